//! Fault injection per provider: added latency, 5xx answers from "a proxy", and answers lost
//! after the operation was committed.
//!
//! Why: the terminal's promise (no double charge, recovery of in-doubt payments) can only be
//! tested against a server that fails the way real ones do. The layer wraps a provider's whole
//! router; handlers only mark a response as money-moving ([`MoneyMoving`]), and the layer
//! decides whether that committed answer is lost.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Settings and remaining counts of injected faults for one provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSettings {
    /// Added to every answer of this provider.
    pub latency_ms: u64,
    /// The next N requests answer 502 with an HTML page, without reaching the provider.
    pub fail_next: u32,
    /// The next N money-moving requests are committed, then the connection is closed unanswered.
    pub drop_after_commit: u32,
}

/// What the faults did so far, for tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounters {
    pub failed: u64,
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Inner {
    settings: FaultSettings,
    counters: FaultCounters,
}

/// One provider's faults, shared between the control API and the provider's router layer.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the counters inconsistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn settings(&self) -> FaultSettings {
        self.lock().settings.clone()
    }

    /// Replaces all settings (the control API's PUT semantics).
    pub fn set(&self, settings: FaultSettings) {
        self.lock().settings = settings;
    }

    pub fn counters(&self) -> FaultCounters {
        self.lock().counters.clone()
    }

    fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().settings.latency_ms)
    }

    fn take_fail(&self) -> bool {
        let mut g = self.lock();
        if g.settings.fail_next > 0 {
            g.settings.fail_next -= 1;
            g.counters.failed += 1;
            true
        } else {
            false
        }
    }

    fn take_drop(&self) -> bool {
        let mut g = self.lock();
        if g.settings.drop_after_commit > 0 {
            g.settings.drop_after_commit -= 1;
            g.counters.dropped += 1;
            true
        } else {
            false
        }
    }
}

/// Response extension a handler sets when it committed a money-moving operation.
#[derive(Clone, Copy, Debug)]
pub struct MoneyMoving;

/// The router layer: `axum::middleware::from_fn_with_state(faults, faults::layer)`.
pub async fn layer(State(faults): State<Faults>, req: Request, next: Next) -> Response {
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if faults.take_fail() {
        return proxy_error_page();
    }
    let response = next.run(req).await;
    if response.extensions().get::<MoneyMoving>().is_some()
        && response.status().is_success()
        && faults.take_drop()
    {
        return dropped_connection();
    }
    response
}

/// What a reverse proxy in front of a real API answers when the backend is down: HTML, not JSON.
pub fn proxy_error_page() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
         <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n",
    )
        .into_response()
}

/// A response whose body fails before its first byte: hyper then closes the connection without
/// writing the buffered status line, so the client sees a connection closed with no answer.
pub fn dropped_connection() -> Response {
    Body::new(FailingBody).into_response()
}

struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "simulated: answer dropped after commit",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_run_down() {
        let f = Faults::default();
        f.set(FaultSettings {
            latency_ms: 0,
            fail_next: 2,
            drop_after_commit: 1,
        });
        assert!(f.take_fail());
        assert!(f.take_fail());
        assert!(!f.take_fail());
        assert!(f.take_drop());
        assert!(!f.take_drop());
        assert_eq!(
            f.counters(),
            FaultCounters {
                failed: 2,
                dropped: 1
            }
        );
    }
}
