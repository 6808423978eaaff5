//! Faithful local simulators of the providers' APIs, served by one axum server on loopback.
//!
//! Why: the terminal must be demonstrable and testable end to end without the real services,
//! including the failures real services have. Each provider lives under its own path prefix
//! (`/mcash/merchant/v1/...`), keeps its state in memory behind a mutex and implements
//! [`ProviderSim`]; the framework adds what all share: a controllable clock ([`SimClock`]), fault
//! injection ([`faults`]), a JSON control API under `/control/` ([`control`]), a customer web
//! page at `/` ([`page`]) and an autopilot that pays for demos ([`autopilot`]).
//!
//! Start it with [`Simulator::start`]; the returned [`RunningSim`] knows the bound address, the
//! base URL of each provider and stops the server when shut down or dropped.

pub mod autopilot;
pub mod clock;
pub mod control;
pub mod faults;
pub mod icg;
#[cfg(test)]
mod interop_tests;
pub mod mcash;
pub mod moncash;
pub mod page;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde::Serialize;
use thiserror::Error;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::SimClock;
pub use faults::{FaultSettings, Faults};

/// Errors starting or stopping the simulator.
#[derive(Debug, Error)]
pub enum SimError {
    #[error("cannot bind the simulator to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the simulator server failed: {0}")]
    Serve(std::io::Error),
    #[error("the simulator server task ended abnormally: {0}")]
    Task(String),
}

/// Errors of a customer or control action (unknown id, wrong state, bad input).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActionError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("not possible now: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

/// What a customer can do with an open payment request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAction {
    /// Approve as the request asks: a sale is paid, an authorization request is authorized.
    Pay,
    /// Authorize only (the merchant captures later), whatever the request asked.
    Authorize,
    /// Decline.
    Reject,
}

impl CustomerAction {
    /// `pay`, `authorize`, `reject` (control API and page paths).
    pub fn from_word(word: &str) -> Option<CustomerAction> {
        match word {
            "pay" => Some(CustomerAction::Pay),
            "authorize" => Some(CustomerAction::Authorize),
            "reject" => Some(CustomerAction::Reject),
            _ => None,
        }
    }
}

/// A payment request waiting for the customer, as the page and the control API list it.
#[derive(Clone, Debug, Serialize)]
pub struct OpenRequest {
    pub provider: &'static str,
    pub id: String,
    /// Exact decimal text in the currency's minor-unit precision.
    pub amount: String,
    pub currency: String,
    pub pos: String,
    pub text: Option<String>,
    /// The scan target (mCASH shortlink id) this request still waits for; pay after scanning.
    pub waiting_for_scan: Option<String>,
    /// Simulated creation time, RFC 3339.
    pub created: String,
    #[serde(skip)]
    pub created_at: OffsetDateTime,
}

/// Something a customer can scan (an mCASH shortlink).
#[derive(Clone, Debug, Serialize)]
pub struct ScanTarget {
    pub provider: &'static str,
    pub id: String,
    pub label: String,
    /// What the printed QR code encodes.
    pub qr: String,
}

/// One provider's simulator, as the framework drives it.
pub trait ProviderSim: std::any::Any + Send + Sync + 'static {
    /// Path prefix and control-API name: `mcash`.
    fn name(&self) -> &'static str;
    /// The provider's API, mounted under `/<name>`. The framework adds the fault layer.
    fn router(self: Arc<Self>) -> Router;
    /// The base URL a client is configured with, given the server root (`http://127.0.0.1:P`).
    fn base_url(&self, root: &str) -> String;
    fn open_requests(&self) -> Vec<OpenRequest>;
    fn scan_targets(&self) -> Vec<ScanTarget>;
    fn act(&self, request_id: &str, action: CustomerAction) -> Result<(), ActionError>;
    /// Scans a target as the customer; returns the scan token.
    fn scan(&self, target_id: &str, argstring: Option<&str>) -> Result<String, ActionError>;
    /// Revokes (or restores) the credentials clients use, so calls answer 401.
    fn revoke_credentials(&self, revoked: bool);
    /// Counters for tests, as JSON (the provider documents its keys).
    fn counters(&self) -> serde_json::Value;
    /// Applies time-based changes (expiry) under the sim clock.
    fn sweep(&self);
    /// Provider-specific control commands (`POST /control/<name>/x/<command>`).
    fn control(
        &self,
        command: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, ActionError>;
    /// Extra HTML for the customer page (escaped by the provider), such as a form whose fields
    /// are posted to `/page/<name>/form/<command>` and handed to [`Self::control`] as a JSON
    /// object of strings. Empty: nothing extra.
    fn page_section(&self) -> String {
        String::new()
    }
}

/// Options for [`Simulator::start`].
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// Demo mode: scan and pay every open payment request this long after it was created.
    pub autopilot: Option<Duration>,
    pub mcash: mcash::McashOptions,
}

/// What the handlers of the framework share.
pub(crate) struct Hub {
    pub clock: SimClock,
    pub providers: Vec<Arc<dyn ProviderSim>>,
    pub faults: BTreeMap<&'static str, Faults>,
}

impl Hub {
    pub fn provider(&self, name: &str) -> Option<&Arc<dyn ProviderSim>> {
        self.providers.iter().find(|p| p.name() == name)
    }

    pub fn open_requests(&self) -> Vec<OpenRequest> {
        self.providers
            .iter()
            .flat_map(|p| {
                p.sweep();
                p.open_requests()
            })
            .collect()
    }

    pub fn scan_targets(&self) -> Vec<ScanTarget> {
        self.providers
            .iter()
            .flat_map(|p| p.scan_targets())
            .collect()
    }
}

/// Entry point.
pub struct Simulator;

impl Simulator {
    /// Binds `bind` (port 0 picks a free port), starts serving all simulators and the
    /// background tasks, and returns at once.
    pub async fn start(bind: SocketAddr, options: SimOptions) -> Result<RunningSim, SimError> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| SimError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr: bind, source })?;
        let root = format!("http://{addr}");
        let clock = SimClock::new();

        let providers: Vec<Arc<dyn ProviderSim>> = crate::providers::registry::PROVIDERS
            .iter()
            .filter_map(|e| e.demo.as_ref())
            .map(|demo| (demo.simulator)(&clock, &root, &options))
            .collect();
        let faults = providers
            .iter()
            .map(|p| (p.name(), Faults::default()))
            .collect::<BTreeMap<_, _>>();
        let hub = Arc::new(Hub {
            clock: clock.clone(),
            providers,
            faults,
        });

        let mut app = Router::new()
            .merge(control::router(hub.clone()))
            .merge(page::router(hub.clone()));
        for p in &hub.providers {
            let faults = hub.faults.get(p.name()).cloned().unwrap_or_default();
            let api = p
                .clone()
                .router()
                .layer(axum::middleware::from_fn_with_state(faults, faults::layer));
            app = app.nest(&format!("/{}", p.name()), api);
        }

        // The peer address reaches handlers (mCASH checks a user's netmask against it).
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    rx.await.ok();
                })
                .await
        });
        let background = autopilot::spawn(hub.clone(), options.autopilot);
        tracing::info!(%addr, "simulators listening");
        Ok(RunningSim {
            addr,
            root,
            hub,
            shutdown: Some(tx),
            server: Some(server),
            background,
        })
    }
}

/// A running simulator. Dropping it stops the server.
pub struct RunningSim {
    addr: SocketAddr,
    root: String,
    hub: Arc<Hub>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    background: JoinHandle<()>,
}

impl RunningSim {
    /// The bound address (the real port when bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the customer page and the control API live here.
    pub fn root_url(&self) -> &str {
        &self.root
    }

    /// The base URL a provider's client is configured with, e.g. for `mcash`
    /// `http://127.0.0.1:<port>/mcash/merchant/v1/`.
    pub fn base_url(&self, provider: &str) -> Option<String> {
        self.hub.provider(provider).map(|p| p.base_url(&self.root))
    }

    /// Every provider's base URL, by provider name.
    pub fn base_urls(&self) -> BTreeMap<&'static str, String> {
        self.hub
            .providers
            .iter()
            .map(|p| (p.name(), p.base_url(&self.root)))
            .collect()
    }

    pub fn clock(&self) -> &SimClock {
        &self.hub.clock
    }

    /// A provider's simulator as its own type, for in-process inspection in tests and benches
    /// (each provider's sim module adds a typed shortcut, such as `mcash()`).
    pub fn provider_sim<T: ProviderSim>(&self, id: &str) -> Option<Arc<T>> {
        let sim: Arc<dyn std::any::Any + Send + Sync> = self.hub.provider(id)?.clone();
        sim.downcast::<T>().ok()
    }

    /// A provider's fault settings (same object the control API changes).
    pub fn faults(&self, provider: &str) -> Option<&Faults> {
        self.hub.faults.get(provider)
    }

    /// Serves until `signal` completes (e.g. Ctrl-C in `kassa sim`), then shuts down.
    pub async fn serve_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> Result<(), SimError> {
        let Some(server) = self.server.as_mut() else {
            return Ok(());
        };
        tokio::select! {
            res = server => {
                self.server = None;
                flatten(res)
            }
            () = signal => self.shutdown().await,
        }
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.background.abort();
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
        match self.server.take() {
            Some(server) => flatten(server.await),
            None => Ok(()),
        }
    }
}

fn flatten(res: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), SimError> {
    match res {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(SimError::Serve(e)),
        Err(e) => Err(SimError::Task(e.to_string())),
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.background.abort();
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
    }
}

/// Formats a simulated time for pages and the control API.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
