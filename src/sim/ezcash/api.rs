//! The simulated ideabiz endpoints: the token endpoint, and the agent API's three calls under
//! both `v1` and `v1-test`, answered in the document's form (the `return` wrappers, numbers
//! where its examples have numbers, `"true"` strings), with the WSO2 XML faults of NOTES.md.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::EzcashSim;
use super::state::{LKR, Tx};
use crate::money::Money;
use crate::providers::ezcash::status::{Reason, TxStatus};
use crate::providers::ezcash::wire::{BILL_DOMAINS, TxType};
use crate::sim::faults::MoneyMoving;

type Sim = AxState<Arc<EzcashSim>>;

pub fn router(sim: Arc<EzcashSim>) -> Router {
    Router::new()
        .route("/apicall/token", post(token))
        .route(
            "/apicall/ezcash/agentservice/{version}/{endpoint}",
            post(agent_api),
        )
        .with_state(sim)
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        serde_json::json!({"error": error, "error_description": description}).to_string(),
    )
}

/// WSO2's security fault, exactly as NOTES gives its texts.
fn ams_fault(code: u32, message: &str, version: &str) -> Response {
    let body = format!(
        "<ams:fault xmlns:ams=\"http://wso2.org/apimanager/security\"><ams:code>{code}</ams:code>\
         <ams:message>{message}</ams:message><ams:description>Access failure for API: \
         /apicall/ezcash/agentservice/{version}, version: {version}</ams:description></ams:fault>"
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/xml")],
        body,
    )
        .into_response()
}

/// WSO2's throttling fault (NOTES' exact text).
fn throttled() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/xml")],
        "<amt:fault xmlns:amt=\"http://wso2.org/apimanager/throttling\"><amt:code>900800</amt:code>\
         <amt:message>Message Throttled Out</amt:message><amt:description>You have exceeded \
         your quota</amt:description></amt:fault>",
    )
        .into_response()
}

/// `application/x-www-form-urlencoded` pairs.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.trim().is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((decode(k.trim()), decode(v.trim())))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Serialize)]
struct TokenOut {
    scope: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    access_token: String,
}

/// `POST /apicall/token`: the grant in the query string (body empty or one space) or in the
/// form body; `Authorization: Basic base64(consumer_key:consumer_secret)`.
async fn token(sim: Sim, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let AxState(sim) = sim;
    let now = sim.clock.now();
    let mut params = form_pairs(query.as_deref().unwrap_or(""));
    params.extend(form_pairs(&String::from_utf8_lossy(&body)));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        })
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let scope = get("scope").unwrap_or_else(|| "PRODUCTION".to_string());
    sim.with(|s, _| {
        s.counters.token_requests += 1;
        let client_ok = !s.revoked
            && basic
                .as_deref()
                .and_then(|b| b.split_once(':'))
                .is_some_and(|(k, v)| k == s.consumer_key && v == s.consumer_secret);
        let invalid_client = || {
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client Authentication failed.",
            )
        };
        if !client_ok {
            s.counters.unauthorized += 1;
            return invalid_client();
        }
        if scope != "PRODUCTION" && scope != "SANDBOX" {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "Invalid scope: PRODUCTION or SANDBOX",
            );
        }
        let pair = match get("grant_type").as_deref() {
            Some("password") => {
                s.counters.password_grants += 1;
                let ok = get("username").as_deref() == Some(s.username.as_str())
                    && get("password").as_deref() == Some(s.password.as_str());
                if !ok {
                    s.counters.unauthorized += 1;
                    return invalid_client();
                }
                s.issue(now)
            }
            Some("refresh_token") => {
                s.counters.refresh_grants += 1;
                let Some(pair) = get("refresh_token").and_then(|r| s.rotate(&r, now)) else {
                    s.counters.unauthorized += 1;
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "Provided Authorization Grant is invalid.",
                    );
                };
                pair
            }
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    "Unsupported grant_type value",
                );
            }
        };
        let out = TokenOut {
            scope: scope.clone(),
            token_type: "bearer",
            expires_in: super::state::ACCESS_SECONDS,
            refresh_token: pair.1,
            access_token: pair.0,
        };
        json(
            StatusCode::OK,
            serde_json::to_string(&out).unwrap_or_default(),
        )
    })
}

/// The bearer token, checked: `Some` is the gateway's refusal.
fn refused(sim: &EzcashSim, headers: &HeaderMap, version: &str) -> Option<Response> {
    let now = sim.clock.now();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
    sim.with(|s, _| {
        let verdict = match token.as_deref().and_then(|t| s.access.get(t)) {
            _ if s.revoked => Some((900901, "Invalid Credentials")),
            None => Some((900901, "Invalid Credentials")),
            Some(a) if !a.active => Some((900904, "Access Token Inactive")),
            Some(a) if a.expires <= now => Some((900903, "Access Token Expired")),
            Some(_) => None,
        };
        match verdict {
            Some((code, message)) => {
                s.counters.unauthorized += 1;
                Some(ams_fault(code, message, version))
            }
            None if s.throttle.take(std::time::Instant::now()) => {
                s.counters.throttled += 1;
                Some(throttled())
            }
            None => None,
        }
    })
}

/// A field of drifting type as text (`"10"` or `10`, `"true"` or `true`).
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An amount from `"12.50"` or `12.5`, exactly.
fn amount(v: &Value) -> Option<Money> {
    let raw = v.get("txAmount")?;
    match raw {
        Value::String(s) => Money::parse_wire_str(s.trim(), LKR).ok(),
        Value::Number(n) => Money::parse_json_number(&n.to_string(), LKR).ok(),
        _ => None,
    }
}

fn raw(text: String) -> Box<RawValue> {
    RawValue::from_string(text)
        .unwrap_or_else(|_| serde_json::value::to_raw_value(&0).unwrap_or_default())
}

/// The `return` of a transaction answer, in the document's types.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TxOut {
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    net_amount: Option<Box<RawValue>>,
    owner_alias: String,
    ownernotification_send: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiving_commission: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_alias: Option<String>,
    request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_charge: Option<u32>,
    status: u32,
    subscribernotification_send: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tx_amount: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tx_type: Option<&'static str>,
    #[serde(rename = "eZCashRefId", skip_serializing_if = "Option::is_none")]
    ez_cash_ref_id: Option<String>,
}

fn tx_out(tx: &Tx) -> TxOut {
    let recipient = match tx.tx_type {
        TxType::Atob => tx.domain.as_ref().map(|d| {
            BILL_DOMAINS
                .iter()
                .find(|(code, _)| code == d)
                .map_or_else(|| d.clone(), |(_, name)| name.to_uppercase())
        }),
        _ => tx.mobile.clone(),
    };
    TxOut {
        description: tx.description.clone(),
        net_amount: Some(raw(tx.amount.to_decimal_string())),
        owner_alias: tx.agent.clone(),
        ownernotification_send: "true",
        receiving_commission: Some(0),
        recipient_alias: recipient,
        request_id: format!("{}_{}", tx.agent, tx.request_id),
        response_id: Some(tx.response_id),
        service_charge: Some(0),
        status: tx.status.code(),
        subscribernotification_send: "true",
        tx_amount: Some(raw(tx.amount.to_decimal_string())),
        tx_type: Some(tx.tx_type.as_str()),
        ez_cash_ref_id: Some(tx.ref_id.clone()),
    }
}

/// A bare refusal: status and the document's description, no transaction.
fn refusal_out(agent: &str, request_id: &str, reason: Reason) -> TxOut {
    TxOut {
        description: reason.description().to_string(),
        net_amount: None,
        owner_alias: agent.to_string(),
        ownernotification_send: "true",
        receiving_commission: None,
        recipient_alias: None,
        request_id: format!("{agent}_{request_id}"),
        response_id: None,
        service_charge: None,
        status: reason.code(),
        subscribernotification_send: "true",
        tx_amount: None,
        tx_type: None,
        ez_cash_ref_id: None,
    }
}

fn wrapped<T: Serialize>(wrapper: &str, ret: &T) -> Response {
    let v = serde_json::json!({ wrapper: { "return": ret } });
    json(StatusCode::OK, v.to_string())
}

const SUBMIT: &str = "submitTransactionRequestResponse";
const STATUS: &str = "getTransactionStatusViaRequestIdResponse";
const BALANCE: &str = "getSubscriberBalanceResponse";

async fn agent_api(
    sim: Sim,
    Path((version, endpoint)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let AxState(sim) = sim;
    if version != "v1" && version != "v1-test" {
        return (StatusCode::NOT_FOUND, "no such API version").into_response();
    }
    if let Some(answer) = refused(&sim, &headers, &version) {
        return answer;
    }
    sim.with(|s, _| {
        if version == "v1" {
            s.counters.v1 += 1;
        } else {
            s.counters.v1_test += 1;
        }
    });
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match endpoint.as_str() {
        "submitTransactionRequest" => submit(&sim, &v),
        "transactionStatusViaRequestId" => status(&sim, &v),
        "subscriberBalance" => balance(&sim, &v),
        _ => (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    }
}

fn submit(sim: &EzcashSim, v: &Value) -> Response {
    sim.with(|s, now| {
        s.counters.submits += 1;
        let r = &v["agenttransactionrequest"];
        let agent = text(r, "agentAlias").unwrap_or_default();
        let request_id = text(r, "requestId").unwrap_or_default();
        let refuse = |reason| wrapped(SUBMIT, &refusal_out(&agent, &request_id, reason));
        if !r.is_object() {
            return refuse(Reason::MissingParameters);
        }
        if let Err(reason) = s.check_agent(&agent, &text(r, "agentPin").unwrap_or_default()) {
            return refuse(reason);
        }
        if request_id.is_empty() || request_id.len() > 64 {
            return refuse(Reason::MissingParameters);
        }
        let Some(tx_type) = text(r, "txType").as_deref().and_then(TxType::parse) else {
            return refuse(Reason::InvalidTransactionType);
        };
        let Some(amount) = amount(r) else {
            return refuse(Reason::MissingParameters);
        };
        let mobile = text(r, "subscriberMobile");
        let domain = text(r, "domain");
        match tx_type {
            TxType::Aotc | TxType::Acwt if mobile.is_none() => {
                return refuse(Reason::MissingParameters);
            }
            TxType::Atob => {
                let known = domain
                    .as_deref()
                    .is_some_and(|d| BILL_DOMAINS.iter().any(|(c, _)| *c == d));
                if !known || text(r, "accountNumber").is_none_or(|a| a.is_empty()) {
                    return refuse(Reason::MissingParameters);
                }
            }
            _ => {}
        }
        match s.submit(&agent, &request_id, tx_type, amount, mobile, domain, now) {
            Ok(tx) => {
                let mut response = wrapped(SUBMIT, &tx_out(&tx));
                response.extensions_mut().insert(MoneyMoving);
                response
            }
            Err(refusal) => match s.tx(&agent, &request_id) {
                Some(tx) if refusal.record => wrapped(SUBMIT, &tx_out(tx)),
                _ => refuse(refusal.reason),
            },
        }
    })
}

fn status(sim: &EzcashSim, v: &Value) -> Response {
    sim.with(|s, _| {
        s.counters.status_queries += 1;
        let r = &v["requesttransactionstatus"];
        let agent = text(r, "ownerAlias").unwrap_or_default();
        let request_id = text(r, "requestId").unwrap_or_default();
        let refuse = |reason| wrapped(STATUS, &refusal_out(&agent, &request_id, reason));
        if !r.is_object() || request_id.is_empty() {
            return refuse(Reason::MissingParameters);
        }
        if let Err(reason) = s.check_agent(&agent, &text(r, "ownerPin").unwrap_or_default()) {
            return refuse(reason);
        }
        match s.tx(&agent, &request_id) {
            Some(tx) => wrapped(STATUS, &tx_out(tx)),
            // Decided: an id eZ Cash never saw is a bare "Transaction Failure".
            None => refuse(Reason::TransactionFailure),
        }
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceOut {
    status: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_amount: Option<Box<RawValue>>,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    msisdn: Option<Box<RawValue>>,
}

fn balance(sim: &EzcashSim, v: &Value) -> Response {
    sim.with(|s, _| {
        s.counters.balance_queries += 1;
        let r = &v["emoneybalancerequest"];
        let alias = text(r, "subscriberAlias").unwrap_or_default();
        let refuse = |reason: Reason| {
            wrapped(
                BALANCE,
                &BalanceOut {
                    status: reason.code(),
                    available_amount: None,
                    description: reason.description().to_string(),
                    msisdn: None,
                },
            )
        };
        if !r.is_object() {
            return refuse(Reason::MissingParameters);
        }
        if let Err(reason) = s.check_agent(&alias, &text(r, "subscriberPin").unwrap_or_default()) {
            return refuse(reason);
        }
        let Some(agent) = s.agents.get(&alias) else {
            return refuse(Reason::InvalidCredentials);
        };
        wrapped(
            BALANCE,
            &BalanceOut {
                status: TxStatus::Success.code(),
                available_amount: Some(raw(agent.balance.to_decimal_string())),
                description: "Transaction you performed is successful.".to_string(),
                msisdn: Some(raw(agent.mobile.clone())),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        assert_eq!(
            form_pairs("grant_type=password&password=a+b%26c%3D&x"),
            vec![
                ("grant_type".to_string(), "password".to_string()),
                ("password".to_string(), "a b&c=".to_string())
            ]
        );
        assert_eq!(form_pairs(" "), Vec::<(String, String)>::new());
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
    }
}
