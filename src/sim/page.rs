//! The customer web page at `/`: plain HTML with forms, no script, so any browser (or a test's
//! HTTP client) can play the customer: scan a shortlink, pay or reject a payment request.
//!
//! Why forms and redirects: a POST-redirect-GET page keeps working without JavaScript and the
//! refresh tag keeps the list current while a terminal creates requests.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{CustomerAction, Hub};

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/page/{provider}/requests/{id}/{action}", post(act))
        .route("/page/{provider}/scan/{target}", post(scan))
        .route("/page/{provider}/form/{command}", post(form))
        .with_state(hub)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn page(State(hub): State<Arc<Hub>>) -> Html<String> {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"3\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Kassa simulator: customer</title>\
         <style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}\
         td,th{padding:.3em .6em;border-bottom:1px solid #ccc;text-align:left}\
         form{display:inline}button{font-size:1em;margin:0 .2em}</style>\
         </head><body><h1>Customer</h1>\n",
    );
    let _ = writeln!(
        h,
        "<p>Simulated time: {}</p>",
        esc(&super::rfc3339(hub.clock.now()))
    );

    h.push_str("<h2>Open payment requests</h2>\n");
    let requests = hub.open_requests();
    if requests.is_empty() {
        h.push_str("<p id=\"no-requests\">No open payment requests.</p>\n");
    } else {
        h.push_str(
            "<table><tr><th>Provider</th><th>Amount</th><th>POS</th><th>Text</th><th></th></tr>\n",
        );
        for r in &requests {
            let base = format!("/page/{}/requests/{}", esc(r.provider), esc(&r.id));
            let _ = write!(
                h,
                "<tr id=\"req-{id}\"><td>{prov}</td><td>{amount} {cur}</td><td>{pos}</td><td>{text}</td><td>",
                id = esc(&r.id),
                prov = esc(r.provider),
                amount = esc(&r.amount),
                cur = esc(&r.currency),
                pos = esc(&r.pos),
                text = esc(r.text.as_deref().unwrap_or("")),
            );
            if let Some(target) = &r.waiting_for_scan {
                let _ = write!(
                    h,
                    "waiting for a scan of {t} \
                     <form method=\"post\" action=\"/page/{p}/scan/{t}\"><button>Scan</button></form>",
                    t = esc(target),
                    p = esc(r.provider),
                );
            } else {
                let _ = write!(
                    h,
                    "<form method=\"post\" action=\"{base}/pay\"><button>Pay</button></form>\
                     <form method=\"post\" action=\"{base}/reject\"><button>Reject</button></form>"
                );
            }
            h.push_str("</td></tr>\n");
        }
        h.push_str("</table>\n");
    }

    h.push_str("<h2>Shortlinks (QR codes)</h2>\n");
    let targets = hub.scan_targets();
    if targets.is_empty() {
        h.push_str("<p>No shortlinks.</p>\n");
    } else {
        h.push_str("<ul>\n");
        for t in &targets {
            let _ = writeln!(
                h,
                "<li>{label} <code>{qr}</code> \
                 <form method=\"post\" action=\"/page/{p}/scan/{id}\"><button>Scan</button></form></li>",
                label = esc(&t.label),
                qr = esc(&t.qr),
                p = esc(t.provider),
                id = esc(&t.id),
            );
        }
        h.push_str("</ul>\n");
    }
    for p in &hub.providers {
        h.push_str(&p.page_section());
    }
    h.push_str("</body></html>\n");
    Html(h)
}

fn error_page(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!DOCTYPE html><html><body><p>{}</p><p><a href=\"/\">Back</a></p></body></html>",
            esc(msg)
        ),
    )
        .into_response()
}

async fn act(
    State(hub): State<Arc<Hub>>,
    Path((provider, id, action)): Path<(String, String, String)>,
) -> Response {
    let Some(action) = CustomerAction::from_word(&action) else {
        return error_page(StatusCode::NOT_FOUND, "unknown action");
    };
    let Some(p) = hub.provider(&provider) else {
        return error_page(StatusCode::NOT_FOUND, "unknown provider");
    };
    match p.act(&id, action) {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => error_page(StatusCode::CONFLICT, &e.to_string()),
    }
}

async fn scan(
    State(hub): State<Arc<Hub>>,
    Path((provider, target)): Path<(String, String)>,
) -> Response {
    let Some(p) = hub.provider(&provider) else {
        return error_page(StatusCode::NOT_FOUND, "unknown provider");
    };
    match p.scan(&target, None) {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => error_page(StatusCode::CONFLICT, &e.to_string()),
    }
}

/// A provider's own form (see `ProviderSim::page_section`): its fields become a JSON object of
/// strings for the provider's control command.
async fn form(
    State(hub): State<Arc<Hub>>,
    Path((provider, command)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let Some(p) = hub.provider(&provider) else {
        return error_page(StatusCode::NOT_FOUND, "unknown provider");
    };
    let mut fields = serde_json::Map::new();
    if let Ok(mut url) = reqwest::Url::parse("http://form.invalid/") {
        url.set_query(Some(String::from_utf8_lossy(&body).trim()));
        for (k, v) in url.query_pairs() {
            if !v.trim().is_empty() {
                fields.insert(k.to_string(), serde_json::Value::String(v.to_string()));
            }
        }
    }
    match p.control(&command, serde_json::Value::Object(fields)) {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => error_page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
