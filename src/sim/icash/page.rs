//! The iCash customer page (`/icash/customer/`): a person plays an iCash customer: makes a
//! one-time payment code for an amount (to give the cashier with the card number), or scans
//! the terminal's QR (picks it from the open ones, or pastes the text a phone read from it)
//! and pays it. Plain HTML forms, no script.

use std::fmt::Write as _;

use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::api::Params;
use super::{IcashSim, demo, state};
use crate::sim::page::esc;

pub fn handle(sim: &IcashSim, method: &Method, path: &str, p: &Params) -> Response {
    match (method.as_str(), path) {
        ("GET", "/customer") => page(sim, p.get("note")).into_response(),
        ("POST", "/customer/code") => {
            let card = p.get("card").unwrap_or(demo::CUSTOMER_CARD);
            let shop = p
                .get("shop")
                .and_then(|s| s.parse().ok())
                .unwrap_or(demo::SHOP);
            let note = match p
                .get("amount")
                .ok_or_else(|| "type an amount".to_string())
                .and_then(|a| state::parse_amount(a).map_err(|e| e.1))
                .and_then(|amount| sim.generate_code(card, shop, amount))
            {
                Ok(code) => format!(
                    "Payment code {code} for card {card} at shop {shop}: give both to the cashier \
                     (good for {} minutes, once).",
                    state::CODE_MINUTES
                ),
                Err(e) => format!("No code: {e}"),
            };
            back(&note)
        }
        ("POST", "/customer/pay") => {
            let card = p.get("card").unwrap_or(demo::CUSTOMER_CARD);
            let note = match p.get("payload") {
                Some(payload) => match sim.pay_qr(payload, card) {
                    Ok(id) => format!("Paid from card {card}: operation {id}."),
                    Err(e) => format!("Not paid: {e}"),
                },
                None => "Scan a QR first".to_string(),
            };
            back(&note)
        }
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            "not found",
        )
            .into_response(),
    }
}

fn back(note: &str) -> Response {
    let mut q = String::new();
    for b in note.bytes() {
        if b.is_ascii_alphanumeric() {
            q.push(char::from(b));
        } else {
            let _ = write!(q, "%{b:02X}");
        }
    }
    Redirect::to(&format!("/icash/customer/?note={q}")).into_response()
}

fn cards(selected: &str) -> String {
    let mut h = String::from("<select name=\"card\">");
    for card in [demo::CUSTOMER_CARD, "1000100550", "1000107777"] {
        let sel = if card == selected { " selected" } else { "" };
        let _ = write!(h, "<option{sel}>{card}</option>");
    }
    h.push_str("</select>");
    h
}

fn page(sim: &IcashSim, note: Option<&str>) -> Html<String> {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>iCash simulator: customer</title>\
         <style>body{font-family:sans-serif;margin:1em}td,th{padding:.3em .6em;text-align:left}\
         input,select,button{font-size:1em}</style></head><body><h1>iCash customer</h1>\n",
    );
    if let Some(n) = note {
        let _ = writeln!(h, "<p id=\"note\"><strong>{}</strong></p>", esc(n));
    }
    h.push_str("<h2>Balances</h2><table>");
    for card in [demo::CUSTOMER_CARD, "1000100550", "1000107777"] {
        let (name, b) = sim.holder(card).unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td>{card}</td><td>{}</td><td>{} LYD</td></tr>",
            esc(&name),
            esc(&state::decimal(b))
        );
    }
    let _ = write!(
        h,
        "</table>\n<h2>Pay with card and code</h2>\
         <form method=\"post\" action=\"/icash/customer/code\">Card {} Shop \
         <input name=\"shop\" value=\"{}\" size=\"4\"> Amount <input name=\"amount\" \
         placeholder=\"12.345\" size=\"10\"> LYD <button>Make a payment code</button></form>\
         <p>The card {} also has the standing test code {} (any amount).</p>\n",
        cards(demo::CUSTOMER_CARD),
        demo::SHOP,
        demo::CUSTOMER_CARD,
        demo::CUSTOMER_CODE
    );
    h.push_str("<h2>Scan to pay</h2>\n");
    let open = crate::sim::ProviderSim::open_requests(sim);
    if open.is_empty() {
        h.push_str("<p id=\"no-qr\">No payment QR is open: start a QR sale at the terminal.</p>\n");
    }
    for r in &open {
        let _ = write!(
            h,
            "<form method=\"post\" action=\"/icash/customer/pay\">\
             <input type=\"hidden\" name=\"payload\" value=\"{p}\">{amount} LYD at {pos} \
             from {cards} <button>Pay</button></form><br>",
            p = esc(&r.id),
            amount = esc(&r.amount),
            pos = esc(&r.pos),
            cards = cards(demo::CUSTOMER_CARD)
        );
        h.push('\n');
    }
    let _ = write!(
        h,
        "<form method=\"post\" action=\"/icash/customer/pay\">Scanned text \
         <input name=\"payload\" size=\"40\"> from {} <button>Pay</button></form>\
         </body></html>",
        cards(demo::CUSTOMER_CARD)
    );
    h.push('\n');
    Html(h)
}
