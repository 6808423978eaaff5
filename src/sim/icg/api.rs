//! The iCG HTTP endpoints: `POST /auth/Login` (the password grant), `GET /process/Invoices/{id}`
//! (bearer token) and `POST /process/Invoices/{id}/Pay` (anonymous: a token is accepted, never
//! needed). Answers are `application/json;charset=utf-8`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::IcgSim;
use crate::money::{Currency, Money};
use crate::sim::faults::MoneyMoving;

type Sim = AxState<Arc<IcgSim>>;

/// NOTES: "Answers are `application/json;charset=utf-8`".
pub const CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// NOTES: the 401 body.
pub const DENIED: &str = "Authorization has been denied for this request.";

pub fn router(sim: Arc<IcgSim>) -> Router {
    Router::new()
        .route("/auth/Login", post(login))
        .route("/process/Invoices/{id}", get(invoice))
        .route("/process/Invoices/{id}/Pay", post(pay))
        .with_state(sim)
}

/// Any answer: written by serde straight to text, so raw amounts stay exact.
pub fn json_resp(status: StatusCode, v: impl serde::Serialize) -> Response {
    let text = serde_json::to_string(&v).unwrap_or_else(|_| "{}".to_string());
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    json_resp(
        StatusCode::BAD_REQUEST,
        json!({ "error": error, "error_description": description }),
    )
}

/// A form body (`a=1&b=2`), read with the URL parser's query decoding.
fn form(body: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(body);
    let Ok(mut url) = reqwest::Url::parse("http://form.invalid/") else {
        return BTreeMap::new();
    };
    url.set_query(Some(text.trim()));
    url.query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn login(AxState(sim): Sim, body: Bytes) -> Response {
    let f = form(&body);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    sim.with(|s, now| {
        s.counters.token_requests += 1;
        if get("grant_type") != "password" {
            return oauth_error(
                "unsupported_grant_type",
                "The authorization grant type is not supported.",
            );
        }
        if get("client_id") != s.client_id {
            s.counters.unauthorized += 1;
            return oauth_error("invalid_client", "The client_id is not known.");
        }
        // NOTES: the user name may be an email; it is compared without case, as such.
        let user_ok = get("username").eq_ignore_ascii_case(&s.username);
        if s.revoked || !user_ok || get("password") != s.password {
            s.counters.unauthorized += 1;
            return oauth_error("invalid_grant", "The user name or password is incorrect.");
        }
        let token = s.issue_token(now);
        json_resp(
            StatusCode::OK,
            json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": s.token_seconds,
            }),
        )
    })
}

/// The bearer token of `Authorization`, matched without case (`bearer` from `token_type`).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn invoice(AxState(sim): Sim, Path(id): Path<String>, headers: HeaderMap) -> Response {
    sim.with(|s, now| {
        let authorized = bearer(&headers).is_some_and(|t| s.token_valid(t, now));
        if !authorized {
            s.counters.unauthorized += 1;
            return json_resp(StatusCode::UNAUTHORIZED, json!({ "Message": DENIED }));
        }
        match s.invoices.get(&id) {
            Some(i) => json_resp(StatusCode::OK, i.wire()),
            None => json_resp(
                StatusCode::NOT_FOUND,
                json!({ "Message": format!("Invoice {id} was not found.") }),
            ),
        }
    })
}

/// A 400 in the process response's shape: `Status`, `StatusMessage`, `ErrorData`.
fn refused(message: &str) -> Response {
    json_resp(
        StatusCode::BAD_REQUEST,
        json!({
            "TransactionId": null,
            "Status": "Error",
            "StatusMessage": message,
            "ErrorData": { "Message": message },
        }),
    )
}

/// The request's fields by lower-case name (.NET binds field names without case).
fn fields(body: &[u8]) -> Option<BTreeMap<String, Box<RawValue>>> {
    let map: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(body).ok()?;
    Some(
        map.into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
    )
}

fn string_field(f: &BTreeMap<String, Box<RawValue>>, k: &str) -> Option<String> {
    let raw = f.get(k)?;
    match serde_json::from_str::<Value>(raw.get()).ok()? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `Amount`: a number with at most two decimals (or the same as a string), exactly.
fn amount(raw: &RawValue) -> Result<Money, String> {
    let text = raw.get().trim();
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let parsed = if inner.contains(['e', 'E']) {
        Money::parse_json_number(inner, Currency::USD)
    } else {
        Money::parse_wire_str(inner, Currency::USD)
    };
    parsed.map_err(|_| format!("The Amount {text} is not valid."))
}

async fn pay(AxState(sim): Sim, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(f) = fields(&body) else {
        sim.with(|s, _| s.counters.pay_posts += 1);
        return refused("The request is invalid.");
    };
    let parsed = (|| {
        let raw = f.get("amount").ok_or("The Amount field is required.")?;
        let amount = amount(raw)?;
        let kind = string_field(&f, "type").ok_or("The Type field is required.")?;
        if kind != crate::providers::icg::wire::TYPE_SALE {
            return Err(format!("Type {kind} cannot pay an invoice."));
        }
        Ok(amount)
    })();
    let description = string_field(&f, "description");
    let lane = string_field(&f, "laneid");
    sim.with(|s, now| {
        s.counters.pay_posts += 1;
        let amount = match parsed {
            Ok(a) => a,
            Err(e) => return refused(&e),
        };
        match s.pay(&id, amount, description, lane, now) {
            Ok(txn) => {
                let mut r = json_resp(StatusCode::OK, txn.wire(false));
                r.extensions_mut().insert(MoneyMoving);
                r
            }
            Err(refusal) => refused(&refusal.0),
        }
    })
}
