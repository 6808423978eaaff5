//! The iCash HTTP endpoints as ASP.NET Web API serves them: routes and parameter names matched
//! case-insensitively, parameters from the query string or the form body, OWIN's token
//! endpoint with its OAuth errors, 401 `{"Message": "Authorization has been denied for this
//! request."}` for a missing, unknown or expired token, `{"Message"}` bodies for other errors,
//! JSON as `application/json; charset=utf-8`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::IcashSim;
use super::state::{Merchant, Refusal, State, TOKEN_SECONDS, bad, decimal, parse_amount};
use crate::providers::icash::wire::{self, LIBYA};
use crate::sim::faults::MoneyMoving;

pub const DENIED: &str = "Authorization has been denied for this request.";
const JSON: &str = "application/json; charset=utf-8";

pub fn router(sim: Arc<IcashSim>) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/{*rest}", any(handle))
        .with_state(sim)
}

/// Parameters by lower-cased name: the query string first, then the form body.
pub struct Params(HashMap<String, String>);

impl Params {
    fn parse(query: Option<&str>, body: &[u8], form: bool) -> Params {
        let mut map = HashMap::new();
        let body_text = if form {
            String::from_utf8_lossy(body).into_owned()
        } else {
            String::new()
        };
        for source in [query.unwrap_or(""), body_text.as_str()] {
            for pair in source.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                map.entry(decode(k).to_ascii_lowercase())
                    .or_insert_with(|| decode(v));
            }
        }
        Params(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(&name.to_ascii_lowercase())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, Refusal> {
        self.get(name)
            .ok_or_else(|| bad(format!("The request is invalid. {name} is required.")))
    }

    fn amount(&self, name: &str) -> Result<i64, Refusal> {
        parse_amount(self.required(name)?)
            .map_err(|Refusal(s, m)| Refusal(s, m.replace("Amount", name)))
    }

    fn number(&self, name: &str) -> Result<u32, Refusal> {
        let t = self.required(name)?;
        t.parse()
            .map_err(|_| bad(format!("The value '{t}' is not valid for {name}.")))
    }

    fn digits(&self, name: &str) -> Result<String, Refusal> {
        let t = self.required(name)?;
        if t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(t.to_string())
        } else {
            Err(bad(format!("The value '{t}' is not valid for {name}.")))
        }
    }
}

/// Percent-decoding of a form or query component (`+` is a space).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json(status: u16, v: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, [(header::CONTENT_TYPE, JSON)], v.to_string()).into_response()
}

/// A JSON body written as text, so amounts stay exact decimal tokens.
fn json_text(text: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, JSON)], text).into_response()
}

fn message(Refusal(status, m): Refusal) -> Response {
    json(status, json!({ "Message": m }))
}

fn denied() -> Response {
    let mut r = json(401, json!({ "Message": DENIED }));
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    r
}

fn oauth(error: &str, description: Option<&str>) -> Response {
    let mut body = json!({ "error": error });
    if let Some(d) = description {
        body["error_description"] = json!(d);
    }
    json(400, body)
}

fn committed(mut r: Response) -> Response {
    r.extensions_mut().insert(MoneyMoving);
    r
}

fn operation(id: u64, now: OffsetDateTime) -> Response {
    committed(json(
        200,
        json!({ "OperationReferenceNumber": id, "DateTime": wire::format_date_time(now) }),
    ))
}

/// An amount as a JSON number token, from its exact decimal text.
fn num(minor: i64) -> String {
    decimal(minor)
}

fn statement_json(balance: i64, rows: &[super::state::Row]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"debt\":{},\"crdit\":{},\"id\":{},\"transeDate\":{},\"desc\":{},\"note\":{},\
                 \"sellerDesc\":{},\"opning\":{},\"closing\":{},\"opType\":{},\"secondParty\":{},\
                 \"secondPartyAccountId\":{}}}",
                num(r.debit),
                num(r.credit),
                r.id,
                json!(wire::format_statement_date(r.at)),
                json!(r.desc),
                json!(r.note),
                json!(r.seller_desc),
                num(r.opening),
                num(r.closing),
                r.op_type,
                json!(r.second_party),
                json!(r.second_party_account_id),
            )
        })
        .collect();
    format!(
        "{{\"CurrentBalance\":{},\"Statement\":[{}]}}",
        num(balance),
        rows.join(",")
    )
}

fn day(p: &Params, name: &str) -> Result<time::Date, Refusal> {
    let t = p.required(name)?;
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(t, f).map_err(|_| bad(format!("The value '{t}' is not valid for {name}.")))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

async fn handle(
    AxState(sim): AxState<Arc<IcashSim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_end_matches('/').to_ascii_lowercase();
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let p = Params::parse(uri.query(), &body, form);
    if path.starts_with("/customer") {
        return super::page::handle(&sim, &method, &path, &p);
    }
    let token = bearer(&headers);
    sim.with(|s, now| route(s, now, &method, &path, &p, form, token.as_deref()))
}

fn route(
    s: &mut State,
    now: OffsetDateTime,
    method: &Method,
    path: &str,
    p: &Params,
    form: bool,
    token: Option<&str>,
) -> Response {
    let get = method == Method::GET;
    let post = method == Method::POST;
    let name = path.rsplit('/').next().unwrap_or("");
    let account = path.starts_with("/api/icashaccount/");
    let merchant_api = path.starts_with("/api/merchant/");
    let wrong_method = |m: &Method| {
        json(
            405,
            json!({ "Message": format!("The requested resource does not support http method '{m}'.") }),
        )
    };
    if path == "/token" {
        return if post {
            token_endpoint(s, now, p, form)
        } else {
            wrong_method(method)
        };
    }
    let known = match (account, merchant_api, name) {
        (true, _, "getbalance" | "getstatement" | "geticashcardnetworknumber") => Some(true),
        (true, _, "transfermoney" | "generatepaymentcode" | "validatevoucher")
        | (true, _, "redeemvoucher" | "payinvoice" | "setnewpin")
        | (_, true, "cancustomerpurchase") => Some(false),
        (_, true, "generatepaymentqr") => Some(true),
        _ => None,
    };
    let Some(is_get) = known else {
        return json(
            404,
            json!({ "Message": format!("No HTTP resource was found that matches the request URI '{path}'.") }),
        );
    };
    if (is_get && !get) || (!is_get && !post) {
        return wrong_method(method);
    }
    // The one anonymous endpoint (NOTES: a token is accepted, not needed).
    if name == "geticashcardnetworknumber" {
        return match p.digits("iCashCardNumber") {
            Ok(card) if s.accounts.contains_key(&card) && card.len() >= 3 => {
                let package: u32 = card[..3].parse().unwrap_or(0);
                json(200, json!({ "PackageNumber": package }))
            }
            Ok(card) => message(bad(format!("The iCash card number {card} is not valid."))),
            Err(r) => message(r),
        };
    }
    let Some(m) = token.and_then(|t| s.session(t, now)) else {
        if token.is_none() {
            s.counters.unauthorized += 1;
        }
        return denied();
    };
    match endpoint(s, now, &m, name, p) {
        Ok(r) => r,
        Err(r) => message(r),
    }
}

fn token_endpoint(s: &mut State, now: OffsetDateTime, p: &Params, form: bool) -> Response {
    if !form {
        s.counters.token_requests += 1;
        return oauth("unsupported_grant_type", None);
    }
    match p.get("grant_type") {
        Some("password") => {}
        None => {
            s.counters.token_requests += 1;
            return oauth("unsupported_grant_type", None);
        }
        Some(_) => {
            s.counters.token_requests += 1;
            return oauth("unsupported_grant_type", None);
        }
    }
    let (Some(user), Some(password)) = (p.get("username"), p.0.get("password")) else {
        s.counters.token_requests += 1;
        s.counters.unauthorized += 1;
        return oauth(
            "invalid_grant",
            Some("The user name or password is incorrect."),
        );
    };
    let user = user.to_string();
    match s.login(&user, password, now) {
        Some(token) => json(
            200,
            json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_SECONDS,
                "userName": user,
                ".issued": wire::format_rfc1123(now),
                ".expires": wire::format_rfc1123(now + time::Duration::seconds(TOKEN_SECONDS)),
            }),
        ),
        None => oauth(
            "invalid_grant",
            Some("The user name or password is incorrect."),
        ),
    }
}

fn endpoint(
    s: &mut State,
    now: OffsetDateTime,
    m: &Merchant,
    name: &str,
    p: &Params,
) -> Result<Response, Refusal> {
    if name == "generatepaymentqr" {
        let amount = p.amount("Amount")?;
        let shop = p.number("ShopID")?;
        let payload = s.payment_qr(m, shop, amount, now)?;
        let png = super::qr_png(&payload, 6).map_err(|e| Refusal(500, e))?;
        return Ok(committed(
            (StatusCode::OK, [(header::CONTENT_TYPE, "image/png")], png).into_response(),
        ));
    }
    let card = s.own_card(m, p.get("iCashCardNumber"))?;
    Ok(match name {
        "getbalance" => json_text(format!("{{\"CurrentBalance\":{}}}", num(s.balance(&card)?))),
        "getstatement" => {
            let (from, to) = (day(p, "From")?, day(p, "To")?);
            let n = match p.get("NumberOfRecords") {
                Some(t) => t.parse::<usize>().map_err(|_| {
                    bad(format!("The value '{t}' is not valid for NumberOfRecords."))
                })?,
                None => 100,
            };
            let (balance, rows) = s.statement(&card, from, to, n)?;
            json_text(statement_json(balance, &rows))
        }
        "transfermoney" => {
            let to = p.digits("ReseveriCashCardNumber")?;
            let amount = p.amount("Amount")?;
            let message = p.get("Message").unwrap_or("");
            operation(s.transfer(&card, &to, amount, message, now)?, now)
        }
        "generatepaymentcode" => {
            let shop = p.number("ShopNumber")?;
            let amount = p.amount("Amount")?;
            let code = s.generate_code(&card, shop, amount, now)?;
            json(
                200,
                json!({ "PaymentCode": code.parse::<u64>().unwrap_or(0), "DateTime": wire::format_date_time(now) }),
            )
        }
        "validatevoucher" => {
            let secret = p.digits("Voucher")?;
            let value = p.amount("VoucherValue")?;
            let v = s.voucher(&secret, value)?;
            let charge = v.charged.map(|t| {
                let f = time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]"
                );
                t.to_offset(LIBYA).format(f).unwrap_or_default()
            });
            json_text(format!(
                "{{\"SecretNo\":{},\"Amount\":{},\"Valid\":{},\"VoucherICashNetwork\":{},\"ChargeDate\":{}}}",
                json!(secret),
                num(v.value),
                v.charged.is_none(),
                v.network,
                json!(charge)
            ))
        }
        "redeemvoucher" => {
            let secret = p.digits("Voucher")?;
            let value = p.amount("VoucherValue")?;
            operation(s.redeem(&card, &secret, value, now)?, now)
        }
        "payinvoice" => {
            let customer = p.digits("CustomeriCashCardNumber")?;
            let total = p.amount("InvoiceTotalAmount")?;
            let code = p.digits("PaymentCode")?;
            let description = p.get("Description").unwrap_or("");
            operation(
                s.pay_invoice(m, &customer, total, &code, description, now)?,
                now,
            )
        }
        "cancustomerpurchase" => {
            let customer = p.digits("CustomeriCashCardNumber")?;
            let amount = p.amount("Amount")?;
            json(200, json!(s.can_purchase(&customer, amount)?))
        }
        "setnewpin" => {
            let pin = p.required("PIN")?;
            let confirm = p.required("ConfirmPIN")?;
            let ok = s.set_pin(&card, pin, confirm)?;
            json(
                200,
                json!({ "IsOperationSuccessful": ok, "DateTime": wire::format_date_time(now) }),
            )
        }
        _ => return Err(Refusal(404, "No HTTP resource was found.".into())),
    })
}
