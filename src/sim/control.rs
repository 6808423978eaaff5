//! The control API under `/control/` (JSON): lets tests and demos act as the customer, move the
//! clock, inject faults and read counters.
//!
//! Routes (provider = `mcash`, later `moncash`, `icash`, `ezcash`, `icg`):
//! - `GET  /control/requests`: open payment requests of every provider.
//! - `GET  /control/scan_targets`: shortlinks and other things a customer can scan.
//! - `POST /control/{provider}/requests/{id}/{pay|authorize|reject}`
//! - `POST /control/{provider}/scan/{target}`: body `{"argstring": ...}` optional; answers `{"token"}`.
//! - `GET  /control/clock`, `POST /control/clock/advance` with `{"seconds": n}`.
//! - `GET  /control/{provider}/faults` (settings and counters), `PUT` the same with
//!   `{"latency_ms", "fail_next", "drop_after_commit"}` (missing fields are 0).
//! - `POST /control/{provider}/credentials` with `{"revoked": true|false}`.
//! - `GET  /control/{provider}/counters`.
//! - `POST /control/{provider}/x/{command}`: provider-specific commands (see the provider).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{ActionError, CustomerAction, FaultSettings, Hub, ProviderSim, rfc3339};

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/control/requests", get(requests))
        .route("/control/scan_targets", get(scan_targets))
        .route("/control/clock", get(clock))
        .route("/control/clock/advance", post(advance))
        .route(
            "/control/{provider}/requests/{id}/{action}",
            post(customer_action),
        )
        .route("/control/{provider}/scan/{target}", post(scan))
        .route(
            "/control/{provider}/faults",
            get(get_faults).put(put_faults),
        )
        .route("/control/{provider}/credentials", post(credentials))
        .route("/control/{provider}/counters", get(counters))
        .route("/control/{provider}/x/{command}", post(command))
        .with_state(hub)
}

/// An error of the control API: `{"error": "..."}` with a fitting status.
struct ControlError(StatusCode, String);

impl From<ActionError> for ControlError {
    fn from(e: ActionError) -> Self {
        let status = match e {
            ActionError::NotFound(_) => StatusCode::NOT_FOUND,
            ActionError::Conflict(_) => StatusCode::CONFLICT,
            ActionError::Invalid(_) => StatusCode::BAD_REQUEST,
        };
        ControlError(status, e.to_string())
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type Result<T> = std::result::Result<T, ControlError>;

fn provider<'a>(hub: &'a Hub, name: &str) -> Result<&'a Arc<dyn ProviderSim>> {
    hub.provider(name).ok_or_else(|| {
        ControlError(
            StatusCode::NOT_FOUND,
            format!("no simulated provider named {name:?}"),
        )
    })
}

/// Parses an optional JSON body; an empty body is `T::default()`.
fn optional_json<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))
}

async fn requests(State(hub): State<Arc<Hub>>) -> Json<serde_json::Value> {
    Json(json!(hub.open_requests()))
}

async fn scan_targets(State(hub): State<Arc<Hub>>) -> Json<serde_json::Value> {
    Json(json!(hub.scan_targets()))
}

async fn clock(State(hub): State<Arc<Hub>>) -> Json<serde_json::Value> {
    Json(json!({ "now": rfc3339(hub.clock.now()), "offset_ms": hub.clock.offset_ms() }))
}

#[derive(Deserialize, Default)]
struct Advance {
    #[serde(default)]
    seconds: u64,
    #[serde(default)]
    ms: u64,
}

async fn advance(State(hub): State<Arc<Hub>>, body: Bytes) -> Result<Json<serde_json::Value>> {
    let a: Advance = optional_json(&body)?;
    let by = Duration::from_secs(a.seconds) + Duration::from_millis(a.ms);
    hub.clock.advance(by);
    for p in &hub.providers {
        p.sweep();
    }
    Ok(clock(State(hub)).await)
}

async fn customer_action(
    State(hub): State<Arc<Hub>>,
    Path((name, id, action)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let action = parse_action(&action)?;
    let p = provider(&hub, &name)?;
    p.sweep();
    p.act(&id, action)?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse_action(action: &str) -> Result<CustomerAction> {
    CustomerAction::from_word(action).ok_or_else(|| {
        ControlError(
            StatusCode::NOT_FOUND,
            format!("unknown customer action {action:?} (pay, authorize, reject)"),
        )
    })
}

#[derive(Deserialize, Default)]
struct ScanBody {
    argstring: Option<String>,
}

async fn scan(
    State(hub): State<Arc<Hub>>,
    Path((name, target)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<serde_json::Value>> {
    let b: ScanBody = optional_json(&body)?;
    let token = provider(&hub, &name)?.scan(&target, b.argstring.as_deref())?;
    Ok(Json(json!({ "token": token })))
}

fn faults_of<'a>(hub: &'a Hub, name: &str) -> Result<&'a super::Faults> {
    provider(hub, name)?;
    hub.faults.get(name).ok_or_else(|| {
        ControlError(
            StatusCode::NOT_FOUND,
            format!("no faults for provider {name:?}"),
        )
    })
}

async fn get_faults(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let f = faults_of(&hub, &name)?;
    Ok(Json(
        json!({ "settings": f.settings(), "counters": f.counters() }),
    ))
}

async fn put_faults(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>> {
    let settings: FaultSettings = optional_json(&body)?;
    faults_of(&hub, &name)?.set(settings);
    get_faults(State(hub), Path(name)).await
}

#[derive(Deserialize)]
struct Credentials {
    revoked: bool,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials { revoked: true }
    }
}

async fn credentials(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<StatusCode> {
    let c: Credentials = optional_json(&body)?;
    provider(&hub, &name)?.revoke_credentials(c.revoked);
    Ok(StatusCode::NO_CONTENT)
}

async fn counters(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let p = provider(&hub, &name)?;
    let mut c = p.counters();
    if let (Some(obj), Some(f)) = (c.as_object_mut(), hub.faults.get(p.name())) {
        obj.insert("faults".into(), json!(f.counters()));
    }
    Ok(Json(c))
}

async fn command(
    State(hub): State<Arc<Hub>>,
    Path((name, command)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<serde_json::Value>> {
    let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))?
    };
    Ok(Json(provider(&hub, &name)?.control(&command, value)?))
}
