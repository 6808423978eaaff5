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

mod extras;
mod ledger;
mod merchant;
mod payment;

use extras::*;
use ledger::*;
use merchant::*;
use payment::*;

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
