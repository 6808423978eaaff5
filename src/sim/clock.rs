//! The simulators' clock: real time plus an offset the control API can advance.
//!
//! Why: expiry rules (an mCASH authorization lapses after 3 days, a request after `expires_in`)
//! must be testable in milliseconds, so every simulator reads time from here, never directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

/// Shared, cheaply cloned clock. All clones see the same offset.
#[derive(Clone, Debug, Default)]
pub struct SimClock {
    offset_ms: Arc<AtomicI64>,
}

impl SimClock {
    pub fn new() -> SimClock {
        SimClock::default()
    }

    /// Simulated "now" in UTC.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::milliseconds(self.offset_ms())
    }

    /// Moves simulated time forward. Time never runs backwards.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            })
            .ok();
    }

    /// How far simulated time runs ahead of the real clock, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_every_clone() {
        let clock = SimClock::new();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::from_secs(3 * 86_400));
        let after = other.now();
        assert!(after - before >= time::Duration::days(3));
        assert_eq!(other.offset_ms(), 3 * 86_400 * 1000);
    }
}
