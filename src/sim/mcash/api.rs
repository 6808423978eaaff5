//! The mCASH HTTP endpoints: parse and validate, authenticate, change state, answer exactly as
//! the document says (status codes, `Location`, list form, media type).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::money::Money;
use crate::providers::mcash::sign;
use crate::providers::mcash::wire::StatusCode as Code;
use crate::sim::faults::MoneyMoving;

use super::auth::{self, ADMIN, ALL, Level};
use super::call::Call;
use super::fields::{Fields, is_local_id};
use super::netmask::Netmask;
use super::state::{self, Action, Payment, Permission, Pos, Shortlink, State, User, new_id};
use super::{ApiError, MEDIA_TYPE, McashSim};

type ApiResult = Result<Response, ApiError>;
type Sim = AxState<Arc<McashSim>>;

const SETTLEMENT_ACCOUNT: &str = "demo-settlement-account";
const ORGANIZATION_ID: &str = "999999999";
const POS_TYPES: &[&str] = &["store", "webshop", "mobile", "vending", "poster"];

pub fn router(sim: Arc<McashSim>) -> Router {
    let v1 = Router::new()
        .route("/merchant/{merchant_id}/", get(merchant_get))
        .route("/merchant_lookup/{lookup_id}/", get(merchant_lookup))
        .route("/user/", post(user_create))
        .route("/user/{user_id}/", get(user_get).put(user_update))
        .route("/pos/", post(pos_create).get(pos_list))
        .route(
            "/pos/{pos_id}/",
            get(pos_get).put(pos_update).delete(pos_delete),
        )
        .route("/payment_request/", post(pr_create))
        .route("/payment_request/{tid}/", get(pr_get).put(pr_update))
        .route("/payment_request/{tid}/outcome/", get(pr_outcome))
        .route("/ledger/", post(ledger_create).get(ledger_list))
        .route(
            "/ledger/{ledger_id}/",
            get(ledger_get).put(ledger_update).delete(ledger_delete),
        )
        .route("/ledger/{ledger_id}/report/", get(report_list))
        .route(
            "/ledger/{ledger_id}/report/{report_id}/",
            get(report_get).put(report_close),
        )
        .route("/last_settlement/", get(last_settlement))
        .route("/settlement/", get(settlement_list))
        .route("/settlement/{id}/", get(settlement_get))
        .route("/settlement_account/{id}/", get(settlement_account))
        .route("/permission_request/", post(perm_create))
        .route("/permission_request/{rid}/", get(perm_get))
        .route("/permission_request/{rid}/outcome/", get(perm_outcome))
        .route("/status_code/", get(status_list))
        .route("/status_code/{value}/", get(status_get))
        .route("/shortlink/", post(shortlink_create).get(shortlink_list))
        .route(
            "/shortlink/{id}/",
            get(shortlink_get)
                .put(shortlink_update)
                .delete(shortlink_delete),
        );
    Router::new()
        .nest("/merchant/v1", v1)
        .route(
            "/testbed/merchant/{merchant_id}/txn/{tid}/pay/",
            post(testbed_pay),
        )
        .fallback(|| async { ApiError::not_found() })
        .with_state(sim)
}

// ---- answers ----------------------------------------------------------------------------

fn json_resp(status: StatusCode, v: Value) -> Response {
    (status, [(header::CONTENT_TYPE, MEDIA_TYPE)], v.to_string()).into_response()
}

fn ok(v: Value) -> ApiResult {
    Ok(json_resp(StatusCode::OK, v))
}

fn created(location: String, v: Value) -> ApiResult {
    let mut r = json_resp(StatusCode::CREATED, v);
    if let Ok(h) = header::HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, h);
    }
    Ok(r)
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn money_moving(r: ApiResult) -> ApiResult {
    r.map(|mut r| {
        r.extensions_mut().insert(MoneyMoving);
        r
    })
}

/// One page of a list: `{"uris", "next", "prev"}`, `next`/`prev` absolute paths to the
/// neighbouring pages (`?page=N`, 1-based) or null. `list_path` is the list's own path below
/// the API root (`shortlink/`); `items` are resource paths below it, in a stable order.
fn list(s: &State, call: &Call, list_path: &str, items: impl Iterator<Item = String>) -> ApiResult {
    let page = match query_param(&call.url, "page") {
        None => 1,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(ApiError::validation(
                    "page",
                    "A valid page number (1 or more) is required.",
                ));
            }
        },
    };
    let size = s.page_size.max(1);
    let all: Vec<String> = items.collect();
    let skip = (page - 1).saturating_mul(size);
    let uris: Vec<String> = all
        .iter()
        .skip(skip)
        .take(size)
        .map(|r| s.path(r))
        .collect();
    let link = |n: usize| s.path(&format!("{list_path}?page={n}"));
    let next = (skip.saturating_add(size) < all.len()).then(|| link(page + 1));
    let prev = (page > 1).then(|| link(page - 1));
    ok(json!({ "uris": uris, "next": next, "prev": prev }))
}

/// The value of `name` in the URL's query, if present (no percent-decoding: paging numbers).
fn query_param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn valid_uri(f: &mut Fields<'_>, name: &str) -> Option<String> {
    let u = f.opt_str(name, 2000)?;
    if u.starts_with("http://") || u.starts_with("https://") {
        Some(u)
    } else {
        f.error(name, "Enter a valid http or https URL.");
        None
    }
}

// ---- merchant ---------------------------------------------------------------------------

fn merchant_json(s: &State) -> Value {
    json!({
        "id": s.merchant_id,
        "jurisdiction": "NO",
        "organization_id": ORGANIZATION_ID,
        "business_name": "Kassa Demo Merchant",
        "mcc": 0,
        "netmask": null,
        "location": null,
        "settlement_account_id": SETTLEMENT_ACCOUNT,
        "profile": null,
    })
}

async fn merchant_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id != s.merchant_id {
            return Err(ApiError::not_found());
        }
        ok(merchant_json(s))
    })
}

async fn merchant_lookup(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        if id != ORGANIZATION_ID && id != s.merchant_id {
            return Err(ApiError::not_found());
        }
        ok(merchant_json(s))
    })
}

// ---- users ------------------------------------------------------------------------------

/// Reads `roles`, `netmask`, `secret`, `pubkey` (shared by create and update).
fn user_fields(f: &mut Fields<'_>, obj: &Map<String, Value>, user: &mut User) {
    if let Some(v) = obj.get("roles").filter(|v| !v.is_null()) {
        match v.as_array() {
            Some(list) => {
                let mut roles = Vec::new();
                for r in list {
                    match r.as_str().map(str::to_ascii_lowercase) {
                        Some(r) if r == "user" || r == "superuser" => roles.push(r),
                        _ => f.error("roles", "Value must be one of user, superuser."),
                    }
                }
                user.roles = roles;
            }
            None => f.error("roles", "Expected a list."),
        }
    }
    if let Some(n) = f.opt_str("netmask", 50) {
        if Netmask::parse(&n).is_some() {
            user.netmask = Some(n);
        } else {
            f.error(
                "netmask",
                "Enter a valid IPv4 or IPv6 netmask, for example 192.168.1.0/24.",
            );
        }
    }
    if let Some(secret) = f.opt_str("secret", 64) {
        if secret.len() < 8 {
            f.error("secret", "Ensure this value has at least 8 characters.");
        } else {
            user.secret = Some(secrecy::SecretString::from(secret));
        }
    }
    if let Some(pem) = f.opt_str("pubkey", 10_000) {
        if sign::Verifier::from_pem(&pem).is_ok() {
            user.pubkey = Some(pem);
        } else {
            f.error("pubkey", "Not an RSA public key in PEM form.");
        }
    }
}

async fn user_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Key, ADMIN)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let id = f.req_str("id", 100);
        let mut user = User {
            id: id.clone().unwrap_or_default(),
            roles: vec!["user".to_string()],
            netmask: None,
            secret: None,
            pubkey: None,
        };
        user_fields(&mut f, &obj, &mut user);
        f.finish()?;
        let id = user.id.clone();
        if s.users.contains_key(&id) {
            return Err(ApiError::conflict(&format!("user {id} exists already")));
        }
        s.users.insert(id.clone(), user);
        created(s.url(&format!("user/{id}/")), json!({ "id": id }))
    })
}

async fn user_update(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        let obj = call.json()?;
        let mut user = s.users.get(&id).cloned().ok_or_else(ApiError::not_found)?;
        let mut f = Fields::new(&obj);
        user_fields(&mut f, &obj, &mut user);
        f.finish()?;
        s.users.insert(id, user);
        no_content()
    })
}

async fn user_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let u = s.users.get(&id).ok_or_else(ApiError::not_found)?;
        ok(json!({
            "id": u.id,
            "roles": u.roles,
            "netmask": u.netmask,
            "has_secret": u.secret.is_some(),
            "pubkey": u.pubkey,
        }))
    })
}

// ---- POS --------------------------------------------------------------------------------

fn pos_fields(f: &mut Fields<'_>) -> Option<Pos> {
    let name = f.req_str("name", 100);
    let kind = f.req_str("type", 50);
    if let Some(k) = &kind
        && !POS_TYPES.contains(&k.as_str())
    {
        f.error(
            "type",
            "Value must be one of store, webshop, mobile, vending, poster.",
        );
    }
    Some(Pos {
        name: name?,
        kind: kind?,
        location: Value::Null,
    })
}

async fn pos_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let id = f.req_str("id", 100);
        let pos = pos_fields(&mut f);
        f.finish()?;
        let (Some(id), Some(mut pos)) = (id, pos) else {
            return Err(ApiError::validation("id", "This field is required."));
        };
        if s.pos.contains_key(&id) {
            return Err(ApiError::conflict(&format!("POS {id} exists already")));
        }
        pos.location = obj.get("location").cloned().unwrap_or(Value::Null);
        s.pos.insert(id.clone(), pos);
        created(s.url(&format!("pos/{id}/")), json!({ "id": id }))
    })
}

async fn pos_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        list(
            s,
            &call,
            "pos/",
            s.pos.keys().map(|id| format!("pos/{id}/")),
        )
    })
}

async fn pos_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let p = s.pos.get(&id).ok_or_else(ApiError::not_found)?;
        ok(json!({ "id": id, "name": p.name, "type": p.kind, "location": p.location }))
    })
}

async fn pos_update(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.pos.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos = pos_fields(&mut f);
        f.finish()?;
        if let Some(mut pos) = pos {
            pos.location = obj.get("location").cloned().unwrap_or(Value::Null);
            s.pos.insert(id, pos);
        }
        no_content()
    })
}

async fn pos_delete(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ADMIN)?;
        s.pos.remove(&id).ok_or_else(ApiError::not_found)?;
        no_content()
    })
}

// ---- payment requests -------------------------------------------------------------------

/// Resolves `shortlink_id:<id>` / `shortlink_sn:<serial>` to a shortlink id.
fn shortlink_of(s: &State, f: &mut Fields<'_>, customer: &str) -> Option<String> {
    if let Some(id) = customer.strip_prefix("shortlink_id:") {
        if s.shortlinks.contains_key(id) {
            return Some(id.to_string());
        }
        f.error("customer", format!("No shortlink with id {id}."));
    } else if let Some(sn) = customer.strip_prefix("shortlink_sn:") {
        if let Some(l) = s
            .shortlinks
            .values()
            .find(|l| l.serial_number.as_deref() == Some(sn))
        {
            return Some(l.id.clone());
        }
        f.error("customer", format!("No shortlink with serial number {sn}."));
    }
    None
}

async fn pr_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos_id = f.req_str("pos_id", 100);
        let pos_tid = f.req_str("pos_tid", 64);
        if let (Some(p), Some(t)) = (&pos_id, &pos_tid) {
            let key = (p.clone(), t.clone());
            *s.counters.create_calls.entry(key.clone()).or_default() += 1;
            if let Some(tid) = s.by_pos_tid.get(&key).cloned() {
                let same = s
                    .payments
                    .get(&tid)
                    .is_some_and(|existing| existing.request == Value::Object(obj.clone()));
                if !same {
                    return Err(ApiError::conflict(&format!(
                        "pos_id {p} and pos_tid {t} were used for a different payment request"
                    )));
                }
                let uri = s.payments.get(&tid).and_then(|p| s.checkout_uri(p));
                let mut r = json_resp(StatusCode::OK, json!({ "id": tid, "uri": uri }));
                if let Ok(h) =
                    header::HeaderValue::from_str(&s.url(&format!("payment_request/{tid}/")))
                {
                    r.headers_mut().insert(header::LOCATION, h);
                }
                return Ok(r);
            }
        }
        if let Some(t) = &pos_tid
            && !is_local_id(t)
        {
            f.error("pos_tid", "Must match ^[a-zA-Z0-9_.-]+$.");
        }
        if let Some(p) = &pos_id
            && !s.pos.contains_key(p)
        {
            f.error("pos_id", format!("No POS with id {p} is registered."));
        }
        let currency = f.currency("currency", true);
        if !f.has("amount") {
            f.error("amount", "This field is required.");
        }
        let amount = f.money("amount", currency);
        if amount.is_some_and(|a| !a.is_positive()) {
            f.error("amount", "Ensure this value is positive.");
        }
        let additional = f.money("additional_amount", currency);
        f.opt_bool("additional_edit");
        f.req_bool("allow_credit");
        let action = match f.req_str("action", 10).as_deref() {
            Some("sale" | "SALE") => Some(Action::Sale),
            Some("auth" | "AUTH") => Some(Action::Auth),
            Some(_) => {
                f.error("action", "Value must be one of sale, auth, SALE, AUTH.");
                None
            }
            None => None,
        };
        let expires_in = f.int("expires_in", 21_600, 2_592_000);
        let max_scan_age = f.int("max_scan_age", 60, 2_592_000);
        let customer = f.opt_str("customer", 100);
        let shortlink = customer.as_deref().and_then(|c| shortlink_of(s, &mut f, c));
        let text = f.opt_str("text", 10_000);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let display_message_uri = valid_uri(&mut f, "display_message_uri");
        let ledger = f.opt_str("ledger", 100);
        if let Some(l) = &ledger {
            match s.ledgers.get(l) {
                None => f.error("ledger", format!("No ledger with id {l}.")),
                Some(l) if l.disabled => f.error("ledger", "The ledger is disabled."),
                Some(l) if currency.is_some_and(|c| c != l.currency) => {
                    f.error(
                        "ledger",
                        format!("The ledger's currency is {}.", l.currency),
                    );
                }
                Some(_) => {}
            }
        }
        f.finish()?;
        let (Some(pos_id), Some(pos_tid), Some(currency), Some(amount), Some(action)) =
            (pos_id, pos_tid, currency, amount, action)
        else {
            return Err(ApiError::validation("body", "Required fields are missing."));
        };
        let tid = new_id(22);
        s.insert_payment(Payment {
            tid: tid.clone(),
            request: Value::Object(obj),
            pos_id,
            pos_tid,
            currency,
            amount,
            additional_amount: additional.unwrap_or(Money::zero(currency)),
            action,
            customer,
            shortlink,
            max_scan_age,
            scan_token: None,
            text,
            ledger,
            callback_uri,
            display_message_uri,
            created: now,
            modified: now,
            request_expires: now + time::Duration::seconds(expires_in),
            auth_expires: None,
            code: Code::Pending,
            captures: Vec::new(),
            refunds: Vec::new(),
            released: false,
            report_id: None,
        });
        let uri = s.payments.get(&tid).and_then(|p| s.checkout_uri(p));
        money_moving(created(
            s.url(&format!("payment_request/{tid}/")),
            json!({ "id": tid, "uri": uri }),
        ))
    })
}

async fn pr_get(AxState(sim): Sim, Path(tid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        ok(s.payment_json(&tid))
    })
}

async fn pr_outcome(AxState(sim): Sim, Path(tid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        ok(s.outcome_json(&tid))
    })
}

/// Reads the partial capture/refund quadruple: all four fields or none.
fn part(
    f: &mut Fields<'_>,
    id_field: &str,
    currency: crate::money::Currency,
) -> Option<(String, Money, Money)> {
    let names = ["amount", "additional_amount", "currency", id_field];
    let set: Vec<bool> = names.iter().map(|n| f.has(n)).collect();
    if !set.iter().any(|b| *b) {
        return None;
    }
    for (n, is_set) in names.iter().zip(&set) {
        if !is_set {
            f.error(
                n,
                "Required if any of amount, additional_amount, currency and the id are set.",
            );
        }
    }
    let c = f.currency("currency", false);
    if c.is_some_and(|c| c != currency) {
        f.error(
            "currency",
            format!("The payment request's currency is {currency}."),
        );
    }
    let amount = f.money("amount", Some(currency));
    let additional = f.money("additional_amount", Some(currency));
    let id = f.opt_str(id_field, 100);
    if let Some(id) = &id
        && !is_local_id(id)
    {
        f.error(id_field, "Must match [a-zA-Z0-9-_.]+.");
    }
    Some((id?, amount?, additional?))
}

async fn pr_update(AxState(sim): Sim, Path(tid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, now| {
        let caller = auth::authenticate(s, &call, Level::Secret, ALL)?;
        let currency = s
            .payments
            .get(&tid)
            .map(|p| p.currency)
            .ok_or_else(ApiError::not_found)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let action = f.opt_str("action", 20).map(|a| a.to_ascii_lowercase());
        let ledger = f.opt_str("ledger", 100);
        if let Some(l) = &ledger
            && !s
                .ledgers
                .get(l)
                .is_some_and(|l| !l.disabled && l.currency == currency)
        {
            f.error("ledger", format!("No usable ledger {l} in {currency}."));
        }
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let display_message_uri = valid_uri(&mut f, "display_message_uri");
        let partial = match action.as_deref() {
            Some("capture") => part(&mut f, "capture_id", currency),
            Some("refund") => part(&mut f, "refund_id", currency),
            Some("reauth" | "abort" | "release") | None => None,
            Some(_) => {
                f.error(
                    "action",
                    "Value must be one of reauth, capture, abort, release, refund.",
                );
                None
            }
        };
        f.finish()?;
        if action.as_deref() == Some("refund") && caller.level < Level::Key {
            s.counters.unauthorized += 1;
            return Err(ApiError::unauthorized(
                "REFUND requires the KEY auth level (RSA-SHA256 signature)",
            ));
        }
        if let Some(p) = s.payments.get_mut(&tid) {
            if ledger.is_some() {
                p.ledger = ledger;
            }
            if callback_uri.is_some() {
                p.callback_uri = callback_uri;
            }
            if display_message_uri.is_some() {
                p.display_message_uri = display_message_uri;
            }
        }
        match action.as_deref() {
            Some("capture") => s.merchant_capture(&tid, partial, now)?,
            Some("refund") => s.merchant_refund(&tid, partial, now)?,
            Some("reauth") => s.merchant_reauth(&tid, now)?,
            Some("abort") => s.merchant_abort(&tid, now)?,
            Some("release") => s.merchant_release(&tid, now)?,
            _ => return no_content(),
        }
        money_moving(no_content())
    })
}

async fn testbed_pay(
    AxState(sim): Sim,
    Path((merchant_id, tid)): Path<(String, String)>,
) -> ApiResult {
    sim.with(|s, now| {
        if merchant_id != s.merchant_id || !s.payments.contains_key(&tid) {
            return Err(ApiError::not_found());
        }
        if let Some(p) = s.payments.get_mut(&tid) {
            if p.waiting_for_scan() {
                p.scan_token = Some(format!("token:{merchant_id}-alice"));
            }
            p.customer
                .get_or_insert_with(|| format!("{merchant_id}-alice"));
        }
        s.customer_approve(&tid, false, now)
            .map_err(|e| ApiError::conflict(&e))?;
        money_moving(no_content())
    })
}

// ---- ledgers and reports ----------------------------------------------------------------

async fn ledger_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let currency = f.currency("currency", true);
        let description = f.opt_str("description", 1000);
        f.finish()?;
        let Some(currency) = currency else {
            return Err(ApiError::validation("currency", "This field is required."));
        };
        let id = new_id(12);
        s.add_ledger(id.clone(), currency, description);
        created(s.url(&format!("ledger/{id}/")), json!({ "id": id }))
    })
}

async fn ledger_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        list(
            s,
            &call,
            "ledger/",
            s.ledgers.keys().map(|id| format!("ledger/{id}/")),
        )
    })
}

async fn ledger_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let l = s.ledgers.get(&id).ok_or_else(ApiError::not_found)?;
        let report_uri = |r: &String| s.url(&format!("ledger/{id}/report/{r}/"));
        let open = l.reports.last().map(report_uri);
        let last_closed = l
            .reports
            .iter()
            .rev()
            .find(|r| s.reports.get(*r).is_some_and(|r| r.closed.is_some()))
            .map(report_uri);
        ok(json!({
            "id": l.id,
            "currency": l.currency.code(),
            "description": l.description,
            "open_report_uri": open,
            "last_closed_report_uri": last_closed,
        }))
    })
}

async fn ledger_update(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.ledgers.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let description = f.opt_str("description", 1000);
        f.finish()?;
        if let Some(l) = s.ledgers.get_mut(&id) {
            l.description = description;
        }
        no_content()
    })
}

async fn ledger_delete(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id == state::DEFAULT_LEDGER {
            return Err(ApiError::conflict(
                "the built-in default ledger cannot be deleted",
            ));
        }
        let l = s.ledgers.get_mut(&id).ok_or_else(ApiError::not_found)?;
        l.disabled = true;
        no_content()
    })
}

async fn report_list(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let l = s.ledgers.get(&id).ok_or_else(ApiError::not_found)?;
        let uris: Vec<String> = l
            .reports
            .iter()
            .map(|r| format!("ledger/{id}/report/{r}/"))
            .collect();
        list(s, &call, &format!("ledger/{id}/report/"), uris.into_iter())
    })
}

fn report_in_ledger(s: &State, ledger: &str, report: &str) -> Result<(), ApiError> {
    match s.reports.get(report) {
        Some(r) if r.ledger == ledger => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

async fn report_get(
    AxState(sim): Sim,
    Path((ledger, report)): Path<(String, String)>,
    call: Call,
) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        report_in_ledger(s, &ledger, &report)?;
        ok(s.report_json(&report))
    })
}

async fn report_close(
    AxState(sim): Sim,
    Path((ledger, report)): Path<(String, String)>,
    call: Call,
) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        report_in_ledger(s, &ledger, &report)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        f.finish()?;
        s.close_report(&ledger, &report, callback_uri, now);
        no_content()
    })
}

// ---- settlements ------------------------------------------------------------------------

async fn last_settlement(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let last = s.settlements.last().ok_or_else(ApiError::not_found)?;
        let location = s.url(&format!("settlement/{}/", last.id));
        let mut r = StatusCode::FOUND.into_response();
        if let Ok(h) = header::HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, h);
        }
        Ok(r)
    })
}

async fn settlement_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        list(
            s,
            &call,
            "settlement/",
            s.settlements
                .iter()
                .map(|x| format!("settlement/{}/", x.id)),
        )
    })
}

async fn settlement_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let x = s
            .settlements
            .iter()
            .find(|x| x.id == id)
            .ok_or_else(ApiError::not_found)?;
        ok(s.settlement_json(x))
    })
}

async fn settlement_account(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if id != SETTLEMENT_ACCOUNT {
            return Err(ApiError::not_found());
        }
        ok(json!({
            "net_transactions_for": [s.merchant_id],
            "bill_scopes_for": [s.merchant_id],
        }))
    })
}

// ---- permission requests ----------------------------------------------------------------

async fn perm_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, now| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        let pos_id = f.req_str("pos_id", 100);
        let pos_tid = f.req_str("pos_tid", 64);
        if let (Some(p), Some(t)) = (&pos_id, &pos_tid)
            && let Some(rid) = s.permissions_by_pos_tid.get(&(p.clone(), t.clone()))
        {
            let same = s
                .permissions
                .get(rid)
                .is_some_and(|r| r.request == Value::Object(obj.clone()));
            if !same {
                return Err(ApiError::conflict(&format!(
                    "pos_id {p} and pos_tid {t} were used for a different permission request"
                )));
            }
            return ok(json!({ "id": rid }));
        }
        f.req_str("customer", 100);
        let scope = f.req_str("scope", 500);
        let callback_uri = valid_uri(&mut f, "callback_uri");
        let expires_in = f.int("expires_in", 21_600, 2_592_000);
        f.opt_str("text", 10_000);
        f.finish()?;
        let (Some(pos_id), Some(pos_tid), Some(scope)) = (pos_id, pos_tid, scope) else {
            return Err(ApiError::validation("body", "Required fields are missing."));
        };
        let rid = new_id(22);
        s.permissions_by_pos_tid
            .insert((pos_id.clone(), pos_tid.clone()), rid.clone());
        s.permissions.insert(
            rid.clone(),
            Permission {
                rid: rid.clone(),
                request: Value::Object(obj),
                pos_id,
                pos_tid,
                scope,
                callback_uri,
                expires: now + time::Duration::seconds(expires_in),
                code: Code::Pending,
            },
        );
        created(
            s.url(&format!("permission_request/{rid}/")),
            json!({ "id": rid }),
        )
    })
}

async fn perm_get(AxState(sim): Sim, Path(rid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let r = s.permissions.get(&rid).ok_or_else(ApiError::not_found)?;
        let mut v = r.request.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("date_expires".into(), json!(state::datetime(r.expires)));
        }
        ok(v)
    })
}

async fn perm_outcome(AxState(sim): Sim, Path(rid): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        if !s.permissions.contains_key(&rid) {
            return Err(ApiError::not_found());
        }
        ok(s.permission_outcome_json(&rid))
    })
}

// ---- status codes -----------------------------------------------------------------------

const STATUS_CODES: &[(u32, &str)] = &[
    (1003, "Waiting for customer or bank"),
    (2000, "Payment received ok"),
    (3008, "Payment authorized, ready for capture"),
    (4004, "No such customer"),
    (4019, "Merchant aborted payment before capture"),
    (5006, "Customer rejected/aborted payment request"),
    (5011, "Payment request expired"),
    (5012, "Authorization not captured within 3 days"),
];

fn status_json(code: u32, description: &str) -> Value {
    json!({
        "code": code.to_string(),
        "name": Code::from_code(code).name(),
        "description": description,
    })
}

async fn status_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        ok(Value::Array(
            STATUS_CODES
                .iter()
                .map(|(c, d)| status_json(*c, d))
                .collect(),
        ))
    })
}

async fn status_get(AxState(sim): Sim, Path(value): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Open, ALL)?;
        let code: u32 = value.parse().map_err(|_| ApiError::not_found())?;
        let (c, d) = STATUS_CODES
            .iter()
            .find(|(c, _)| *c == code)
            .ok_or_else(ApiError::not_found)?;
        ok(status_json(*c, d))
    })
}

// ---- shortlinks -------------------------------------------------------------------------

fn shortlink_json(l: &Shortlink) -> Value {
    json!({
        "id": l.id,
        "callback_uri": l.callback_uri,
        "serial_number": l.serial_number,
        "description": l.description,
    })
}

fn shortlink_fields(f: &mut Fields<'_>, l: &mut Shortlink) {
    if let Some(u) = valid_uri(f, "callback_uri") {
        l.callback_uri = Some(u);
    }
    if let Some(sn) = f.opt_str("serial_number", 100) {
        l.serial_number = Some(sn);
    }
    if let Some(d) = f.opt_str("description", 1000) {
        l.description = Some(d);
    }
}

async fn shortlink_create(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        s.shortlink_seq += 1;
        let mut l = Shortlink {
            id: new_id(5),
            seq: s.shortlink_seq,
            callback_uri: None,
            serial_number: None,
            description: None,
        };
        shortlink_fields(&mut f, &mut l);
        f.finish()?;
        let id = l.id.clone();
        s.shortlinks.insert(id.clone(), l);
        created(s.url(&format!("shortlink/{id}/")), json!({ "id": id }))
    })
}

async fn shortlink_list(AxState(sim): Sim, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let mut links: Vec<&Shortlink> = s.shortlinks.values().collect();
        links.sort_by_key(|l| l.seq);
        let paths: Vec<String> = links
            .iter()
            .map(|l| format!("shortlink/{}/", l.id))
            .collect();
        list(s, &call, "shortlink/", paths.into_iter())
    })
}

async fn shortlink_get(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        ok(shortlink_json(
            s.shortlinks.get(&id).ok_or_else(ApiError::not_found)?,
        ))
    })
}

async fn shortlink_update(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        let mut l = s
            .shortlinks
            .get(&id)
            .cloned()
            .ok_or_else(ApiError::not_found)?;
        let obj = call.json()?;
        let mut f = Fields::new(&obj);
        shortlink_fields(&mut f, &mut l);
        f.finish()?;
        s.shortlinks.insert(id, l);
        no_content()
    })
}

async fn shortlink_delete(AxState(sim): Sim, Path(id): Path<String>, call: Call) -> ApiResult {
    sim.with(|s, _| {
        auth::authenticate(s, &call, Level::Secret, ALL)?;
        // mCASH answers with a JSON body here (NOTES): the shortlink as it was.
        let gone = s.shortlinks.remove(&id).ok_or_else(ApiError::not_found)?;
        ok(shortlink_json(&gone))
    })
}
