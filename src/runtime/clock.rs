//! The runtime's clock: wall time for the core, tokio instants for timers. Wall time is read
//! once at start and advanced with tokio's monotonic clock, so paused-time tests move both and a
//! wall-clock jump (NTP on a Pi without an RTC) cannot fire timers early or late.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::{Duration, Instant};

use crate::core::Millis;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    wall: Millis,
    start: Instant,
}

impl Clock {
    pub fn system() -> Clock {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Clock::starting_at(Millis(wall))
    }

    pub fn starting_at(wall: Millis) -> Clock {
        Clock {
            wall,
            start: Instant::now(),
        }
    }

    pub fn now(&self) -> Millis {
        self.wall + self.start.elapsed().as_millis() as u64
    }

    /// The tokio instant at which the wall clock reads `at`.
    pub fn instant_at(&self, at: Millis) -> Instant {
        self.start + Duration::from_millis(at.saturating_sub(self.wall))
    }
}
