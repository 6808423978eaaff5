//! The REST API under `/moncash/Api/`: the token endpoint and the `/v1/...` resources.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::MoncashSim;
use super::state::{HTG, Refusal, TOKEN_SECONDS, exact_binary_decimal, plain_number};
use crate::money::Money;
use crate::providers::moncash::haiti;
use crate::sim::faults::MoneyMoving;

type Sim = Arc<MoncashSim>;

pub(super) fn router(sim: Sim) -> Router {
    Router::new()
        .route("/Api/oauth/token", post(token))
        .route("/Api/v1/CreatePayment", post(create_payment))
        .route("/Api/v1/RetrieveOrderPayment", post(retrieve_order))
        .route(
            "/Api/v1/RetrieveTransactionPayment",
            post(retrieve_transaction),
        )
        .route("/Api/v1/CustomerStatus", post(customer_status))
        .route("/Api/v1/Transfert", post(transfert))
        .route(
            "/Api/v1/PrefundedTransactionStatus",
            post(transaction_status),
        )
        .route("/Api/v1/PrefundedBalance", get(balance))
        .with_state(sim)
}

/// JSON with the content type MonCash's Spring servers send.
pub(super) fn answer(status: StatusCode, body: Value) -> Response {
    answer_text(status, body.to_string())
}

fn answer_text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// Stands in for a number in a `json!` body until [`with_number`] writes its exact text.
const NUMBER: &str = "\u{1}number";

/// `body` with the [`NUMBER`] placeholder replaced by the number's exact text (a `Value` would
/// hold it as a float and lose digits).
fn with_number(status: StatusCode, body: Value, number: &str) -> Response {
    let placeholder = Value::String(NUMBER.to_string()).to_string();
    answer_text(status, body.to_string().replace(&placeholder, number))
}

fn ms(now: OffsetDateTime) -> u64 {
    haiti::unix_ms(now)
}

/// Spring's error body.
fn spring(status: StatusCode, message: &str, path: &str, now: OffsetDateTime) -> Response {
    answer(
        status,
        json!({
            "path": path,
            "error": status.canonical_reason().unwrap_or("Error"),
            "message": message,
            "timestamp": ms(now),
            "status": status.as_u16(),
        }),
    )
}

fn oauth(status: StatusCode, error: &str, description: &str) -> Response {
    answer(
        status,
        json!({ "error": error, "error_description": description }),
    )
}

fn refusal(r: Refusal, path: &str, now: OffsetDateTime) -> Response {
    match r {
        Refusal::NotFound(m) => spring(StatusCode::NOT_FOUND, &m, path, now),
        Refusal::Forbidden(m) => spring(StatusCode::FORBIDDEN, &m, path, now),
        Refusal::Invalid(m) => spring(StatusCode::BAD_REQUEST, &m, path, now),
    }
}

fn not_found(path: &str, now: OffsetDateTime) -> Response {
    spring(
        StatusCode::NOT_FOUND,
        "Can't find this transaction",
        path,
        now,
    )
}

/// `Authorization: Basic base64(id:secret)`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Form pairs of a query string or a form body.
fn pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// The grant's fields: the query string first, then a form or JSON body (an empty, `null` or
/// `{}` body carries nothing).
fn grant_fields(query: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    let mut fields = query.map(pairs).unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return fields;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => fields.extend(
            map.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))),
        ),
        Ok(_) => {}
        Err(_) => fields.extend(pairs(text)),
    }
    fields
}

async fn token(
    AxState(sim): AxState<Sim>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = grant_fields(query.as_deref(), &body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let credentials = basic(&headers);
    sim.with(|s, now| {
        let known = credentials
            .as_ref()
            .is_some_and(|(id, secret)| *id == s.client_id && *secret == s.client_secret);
        if !known || s.revoked {
            s.counters.unauthorized += 1;
            return oauth(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
        }
        match field("grant_type").as_deref() {
            Some("client_credentials") => {}
            None => {
                return oauth(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing grant type",
                );
            }
            Some(other) => {
                return oauth(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    &format!("Unsupported grant type: {other}"),
                );
            }
        }
        if let Some(scope) = field("scope") {
            let ok = scope
                .split([',', ' '])
                .filter(|p| !p.is_empty())
                .all(|p| p == "read" || p == "write");
            if !ok {
                return oauth(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!("Invalid scope: {scope}"),
                );
            }
        }
        let access = s.issue_token(now);
        answer(
            StatusCode::OK,
            json!({
                "access_token": access,
                "token_type": "bearer",
                "expires_in": TOKEN_SECONDS,
                "scope": "read,write",
                "jti": super::state::State::random_token(16),
            }),
        )
    })
}

/// Checks the bearer token (the scheme in any case); `Some` is the 401 to answer.
fn bearer(sim: &MoncashSim, headers: &HeaderMap) -> Option<Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = value
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    sim.with(|s, now| {
        let refused = match &token {
            None => oauth(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Full authentication is required to access this resource",
            ),
            Some(t) if s.token_valid(t, now) => return None,
            Some(t) if s.tokens.contains_key(t) => oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Access token expired",
            ),
            Some(_) => oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Invalid access token",
            ),
        };
        s.counters.unauthorized += 1;
        Some(refused)
    })
}

/// The JSON body of a call, `Value::Null` if it is not JSON.
fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// A string or number field as text.
fn text(body: &Value, name: &str) -> Option<String> {
    match &body[name] {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `amount` field: a JSON number read from its exact text (raw_value), or a numeric string.
fn amount(raw: &[u8]) -> Option<Money> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        amount: Option<&'a serde_json::value::RawValue>,
    }
    let parsed: Raw<'_> = serde_json::from_slice(raw).ok()?;
    let text = parsed.amount?.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    Money::parse_json_number(text.trim(), HTG).ok()
}

fn money_moving(mut r: Response) -> Response {
    r.extensions_mut().insert(MoneyMoving);
    r
}

async fn create_payment(AxState(sim): AxState<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let v = json_body(&body);
    let path = "/v1/CreatePayment";
    let order = text(&v, "orderId").filter(|o| !o.is_empty());
    let amount = amount(&body).filter(Money::is_positive);
    sim.with(|s, now| {
        let Some(amount) = amount else {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "message": "The amount is incorrect" }),
            );
        };
        let Some(order) = order else {
            return spring(StatusCode::BAD_REQUEST, "orderId is required", path, now);
        };
        match s.create(&order, amount, now) {
            Ok(o) => money_moving(answer(
                StatusCode::ACCEPTED,
                json!({
                    "path": path,
                    "payment_token": {
                        "expired": haiti::format(o.expires),
                        "created": haiti::format(o.created),
                        "token": o.token,
                    },
                    "timestamp": ms(now),
                    "status": 202,
                    "mode": "sandbox",
                }),
            )),
            Err(Refusal::Invalid(m)) => spring(StatusCode::CONFLICT, &m, path, now),
            Err(r) => refusal(r, path, now),
        }
    })
}

/// A paid order as the Retrieve* answers carry it.
fn payment_answer(
    s: &super::state::State,
    order_id: &str,
    path: &str,
    now: OffsetDateTime,
) -> Response {
    let Some((o, paid)) = s
        .orders
        .get(order_id)
        .and_then(|o| o.paid.as_ref().map(|p| (o, p)))
    else {
        return not_found(path, now);
    };
    with_number(
        StatusCode::OK,
        json!({
            "path": path,
            "payment": {
                "reference": o.order_id,
                "transaction_id": paid.transaction_id,
                "cost": NUMBER,
                "message": "successful",
                "payer": paid.payer,
            },
            "timestamp": ms(now),
            "status": 200,
        }),
        &plain_number(o.amount, false),
    )
}

async fn retrieve_order(AxState(sim): AxState<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let order = text(&json_body(&body), "orderId").unwrap_or_default();
    sim.with(|s, now| payment_answer(s, &order, "/v1/RetrieveOrderPayment", now))
}

async fn retrieve_transaction(
    AxState(sim): AxState<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let id = text(&json_body(&body), "transactionId").unwrap_or_default();
    sim.with(|s, now| {
        let order = s.by_transaction.get(&id).cloned().unwrap_or_default();
        payment_answer(s, &order, "/v1/RetrieveTransactionPayment", now)
    })
}

async fn customer_status(AxState(sim): AxState<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let account = super::state::phone(&text(&json_body(&body), "account").unwrap_or_default());
    let path = "/v1/CustomerStatus";
    sim.with(|s, now| match s.accounts.get(&account) {
        Some(a) => answer(
            StatusCode::OK,
            json!({
                "path": path,
                "customerStatus": { "type": a.kyc, "status": a.status },
                "timestamp": ms(now),
                "status": 200,
                "mode": "sandbox",
            }),
        ),
        None => spring(StatusCode::NOT_FOUND, "Customer not found", path, now),
    })
}

async fn transfert(AxState(sim): AxState<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let v = json_body(&body);
    let path = "/Api/v1/Transfert";
    let receiver = super::state::phone(&text(&v, "receiver").unwrap_or_default());
    let desc = text(&v, "desc").unwrap_or_default();
    let reference = text(&v, "reference").filter(|r| !r.is_empty());
    let amount = amount(&body);
    sim.with(|s, now| {
        let Some(amount) = amount else {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "message": "The amount is incorrect" }),
            );
        };
        let reference = reference.unwrap_or_else(|| s.generated_reference());
        match s.transfer(&receiver, amount, &desc, &reference) {
            Ok(p) => money_moving(with_number(
                StatusCode::OK,
                json!({
                    "path": path,
                    "transfer": {
                        "transaction_id": p.transaction_id,
                        "amount": NUMBER,
                        "receiver": p.receiver,
                        "message": "successful",
                        "desc": p.desc,
                    },
                    // Flat copies, as an older answer had them (a published SDK reads these).
                    "transaction_id": p.transaction_id,
                    "receiver": p.receiver,
                    "message": "successful",
                    "desc": p.desc,
                    "timestamp": ms(now),
                    "status": 200,
                }),
                &plain_number(p.amount, true),
            )),
            Err(r) => refusal(r, path, now),
        }
    })
}

async fn transaction_status(
    AxState(sim): AxState<Sim>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    let reference = text(&json_body(&body), "reference").unwrap_or_default();
    let path = "/Api/v1/PrefundedTransactionStatus";
    sim.with(|s, now| {
        if s.payouts.contains_key(&reference) {
            answer(
                StatusCode::OK,
                json!({ "path": path, "transStatus": "successful", "timestamp": ms(now), "status": 200 }),
            )
        } else {
            not_found(path, now)
        }
    })
}

async fn balance(AxState(sim): AxState<Sim>, headers: HeaderMap) -> Response {
    if let Some(r) = bearer(&sim, &headers) {
        return r;
    }
    sim.with(|s, now| {
        with_number(
            StatusCode::OK,
            json!({
                "path": "/Api/v1/PrefundedBalance",
                "balance": { "balance": NUMBER, "message": "successful" },
                "timestamp": ms(now),
                "status": 200,
            }),
            &exact_binary_decimal(s.prefunded),
        )
    })
}
