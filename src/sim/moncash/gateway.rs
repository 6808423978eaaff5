//! The payment page under `/moncash/Moncash-middleware/`: what the terminal's QR code opens.
//! The customer types their MonCash number and PIN and pays, or gives up. Plain HTML forms,
//! no script, so a phone's browser or a test's HTTP client can play the customer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::MoncashSim;
use super::state::Refusal;
use crate::sim::page::esc;

type Sim = Arc<MoncashSim>;

pub(super) fn router(sim: Sim) -> Router {
    Router::new()
        .route("/Moncash-middleware/Payment/Redirect", get(page))
        .route("/Moncash-middleware/Payment/Pay", post(pay))
        .route("/Moncash-middleware/Payment/Cancel", post(give_up))
        .with_state(sim)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>MonCash: {t}</title>\
             <style>body{{font-family:sans-serif;margin:1em;max-width:30em}}\
             input,button{{font-size:1.1em;margin:.2em 0}}</style></head>\
             <body><h1>MonCash</h1>\n<h2 id=\"title\">{t}</h2>\n{body}</body></html>\n",
            t = esc(title),
        ),
    )
        .into_response()
}

fn refused(r: Refusal) -> Response {
    let (status, message) = match r {
        Refusal::NotFound(m) => (StatusCode::NOT_FOUND, m),
        Refusal::Forbidden(m) => (StatusCode::FORBIDDEN, m),
        Refusal::Invalid(m) => (StatusCode::BAD_REQUEST, m),
    };
    html(
        status,
        "Payment not made",
        &format!("<p id=\"message\">{}</p>", esc(&message)),
    )
}

/// The order behind a payment token, as the page shows it.
fn order_of(sim: &MoncashSim, token: &str) -> Result<(String, String, bool), Refusal> {
    sim.with(|s, now| {
        let o = s
            .order_by_token(token)
            .ok_or_else(|| Refusal::NotFound("This payment link is not valid".into()))?;
        Ok((o.order_id.clone(), o.amount.to_string(), o.open(now)))
    })
}

async fn page(AxState(sim): AxState<Sim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").cloned().unwrap_or_default();
    let (order, amount, open) = match order_of(&sim, &token) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    if !open {
        return html(
            StatusCode::OK,
            "This payment is closed",
            &format!(
                "<p id=\"message\">Order {} is paid, cancelled or expired.</p>",
                esc(&order)
            ),
        );
    }
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>Pay <strong id=\"amount\">{amount}</strong> for order <code>{order}</code>.</p>\
         <form method=\"post\" action=\"Pay\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <p><label>MonCash number<br><input name=\"phone\" inputmode=\"numeric\" autocomplete=\"tel\"></label></p>\
         <p><label>PIN<br><input name=\"pin\" type=\"password\" inputmode=\"numeric\"></label></p>\
         <p><button id=\"pay\">Pay</button></p></form>\
         <form method=\"post\" action=\"Cancel\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button id=\"cancel\">Cancel</button></form>",
        amount = esc(&amount),
        order = esc(&order),
        token = esc(&token),
    );
    html(StatusCode::OK, "Payment", &b)
}

async fn pay(AxState(sim): AxState<Sim>, Form(f): Form<HashMap<String, String>>) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (order, amount, _) = match order_of(&sim, &field("token")) {
        Ok(o) => o,
        Err(r) => return refused(r),
    };
    match sim.with(|s, now| s.pay(&order, &field("phone"), &field("pin"), now)) {
        Ok(transaction_id) => html(
            StatusCode::OK,
            "Payment made",
            &format!(
                "<p id=\"message\">Paid {} for order <code>{}</code>. Transaction \
                 <code id=\"transaction\">{}</code>.</p>",
                esc(&amount),
                esc(&order),
                esc(&transaction_id)
            ),
        ),
        Err(r) => refused(r),
    }
}

async fn give_up(AxState(sim): AxState<Sim>, Form(f): Form<HashMap<String, String>>) -> Response {
    let token = f.get("token").cloned().unwrap_or_default();
    let order = match order_of(&sim, &token) {
        Ok((order, ..)) => order,
        Err(r) => return refused(r),
    };
    match sim.with(|s, now| s.give_up(&order, now)) {
        Ok(()) => html(
            StatusCode::OK,
            "Payment cancelled",
            "<p id=\"message\">Nothing was paid.</p>",
        ),
        Err(r) => refused(r),
    }
}
