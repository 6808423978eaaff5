//! The background task: applies expiry under the sim clock and, in demo mode, plays a customer
//! who scans and pays every open payment request after a delay.
//!
//! Why a sweep at all: expiry is also applied lazily on every read, but callbacks announcing an
//! expiry must go out even when nobody asks.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{CustomerAction, Hub};

/// How often the task looks at the providers.
const TICK: Duration = Duration::from_millis(100);

pub(crate) fn spawn(hub: Arc<Hub>, autopilot: Option<Duration>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            for p in &hub.providers {
                p.sweep();
            }
            if let Some(delay) = autopilot {
                pay_due(&hub, delay);
            }
        }
    })
}

/// Scans (when needed) and pays every open request created at least `delay` ago (sim time).
pub(crate) fn pay_due(hub: &Hub, delay: Duration) {
    let now = hub.clock.now();
    for req in hub.open_requests() {
        let age = now - req.created_at;
        if age < delay {
            continue;
        }
        let Some(p) = hub.provider(req.provider) else {
            continue;
        };
        if let Some(target) = &req.waiting_for_scan
            && let Err(e) = p.scan(target, None)
        {
            tracing::warn!(request = %req.id, error = %e, "autopilot could not scan");
            continue;
        }
        match p.act(&req.id, CustomerAction::Pay) {
            Ok(()) => tracing::info!(provider = req.provider, request = %req.id, "autopilot paid"),
            Err(e) => tracing::warn!(request = %req.id, error = %e, "autopilot could not pay"),
        }
    }
}
