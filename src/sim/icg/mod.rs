//! The iCheckGateway simulator (`icheckgateway.txt` plus the iCG part of `providers/NOTES.md`),
//! mounted at `/icg`: the OAuth server at `/icg/auth/` (`POST Login`, the password grant) and
//! the Process API at `/icg/process/` (`POST Invoices/{id}/Pay`, anonymous, and the invoice
//! lookup `GET Invoices/{id}` with a bearer token, the terminal's assumption: see the module
//! comment of `providers::icg`).
//!
//! What the documents leave unsaid, and what this simulator decided:
//! - One merchant user (the demo's, `providers::icg::config::demo`); the user name is compared
//!   without case (NOTES: it may be an email). A refused grant is 400 with OAuth's
//!   `{"error": "invalid_grant", "error_description": "The user name or password is
//!   incorrect."}`, an unknown client id `invalid_client`, another grant type
//!   `unsupported_grant_type`. Tokens live [`state::DEFAULT_TOKEN_SECONDS`] seconds of the sim
//!   clock (the document's 86399) unless the control API sets another lifetime.
//! - A missing, unknown, expired or revoked token is 401 `{"Message": "Authorization has been
//!   denied for this request."}` (NOTES); an unknown invoice at the lookup is 404 with a
//!   `Message`.
//! - Pay errors are 400 (the only documented error status) in the process response's shape,
//!   `Status` `Error` with `StatusMessage` and `ErrorData`: unknown invoice, invoice paid
//!   already, an amount of zero, above the amount due or with more than two decimals, a missing
//!   `Amount` or `Type`, a `Type` other than `V`. Field names are matched without case, as .NET
//!   binds them; `Amount` may be a number or a numeric string.
//! - A pay on an invoice marked to decline is answered 200 with `Status` `Declined` and the
//!   invoice's `StatusMessage`; an approved one 200 with `Status` `Approved`, a
//!   `ConfirmationCode`, an `ApprovalCode` and the amount as `TransactionAmount`. Both are
//!   recorded on the invoice (its `Transactions`, with the `Description` and `Laneid` sent), and
//!   both count as committed for the `drop_after_commit` fault.
//! - An invoice is `Open` until something is paid, `Partially Paid` while an amount is due,
//!   then `Paid`. Demo invoices: 1001 open (131.88), 1002 partially paid (250.00, 100.00 paid),
//!   1003 paid (75.00), 1004 declines ("Declined: insufficient funds"). The customer page makes
//!   new ones (numbered from 2001).
//! - Nothing waits for a customer: the open requests list and the autopilot have nothing to do.
//!
//! Control commands (`POST /control/icg/x/<command>`): `invoice` (`{"amount": "12.50",
//! "number"?, "description"?, "decline"?}`, answers `{"number"}`), `decline` (`{"number",
//! "message"}`, a null message approves again), `token_seconds` (`{"seconds": n}`), `payment`
//! (`{"id": "<invoice>:<sale key>"}`, answers `{"id", "amount", "currency", "status"}`), `user`
//! (`{"client_id"?, "username"?, "password"?}`: the credentials the simulator accepts).
//! Counters (`GET /control/icg/counters`): `token_requests`, `tokens_issued`, `unauthorized`,
//! `pay_posts`, `payments`, `approved`, `declined`.

mod api;
mod state;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::page::esc;
use super::{
    ActionError, CustomerAction, OpenRequest, ProviderSim, RunningSim, ScanTarget, SimClock,
    SimOptions,
};
use crate::money::{Currency, Money};
use state::State;

pub use api::{CONTENT_TYPE, DENIED};
pub use state::DEFAULT_TOKEN_SECONDS;

/// Starts the iCG simulator on the shared server (the registry's `Demo::simulator`).
pub fn start(clock: &SimClock, _root: &str, _options: &SimOptions) -> Arc<dyn ProviderSim> {
    Arc::new(IcgSim::new(clock.clone()))
}

impl RunningSim {
    /// The iCG simulator, for in-process inspection. The registry always starts it.
    pub fn icg(&self) -> Arc<IcgSim> {
        match self.provider_sim::<IcgSim>("icg") {
            Some(sim) => sim,
            None => unreachable!("the registry starts the iCG simulator"),
        }
    }
}

pub struct IcgSim {
    state: Mutex<State>,
    clock: SimClock,
}

impl IcgSim {
    pub fn new(clock: SimClock) -> IcgSim {
        IcgSim {
            state: Mutex::new(State::new(clock.now())),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Changes are applied whole; a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        f(&mut self.lock(), now)
    }

    /// Makes an invoice of `amount` (USD); returns its number.
    pub fn add_invoice(
        &self,
        number: Option<&str>,
        amount: Money,
        decline: Option<&str>,
    ) -> String {
        self.with(|s, _| {
            s.add_invoice(
                number.map(str::to_string),
                amount,
                "Invoice".to_string(),
                decline.map(str::to_string),
            )
        })
    }

    /// The invoice's JSON text as the lookup answers it.
    pub fn invoice_text(&self, number: &str) -> Option<String> {
        self.with(|s, _| {
            s.invoices
                .get(number)
                .and_then(|i| serde_json::to_string(&i.wire()).ok())
        })
    }

    /// Sets how long new tokens live.
    pub fn set_token_seconds(&self, seconds: u64) {
        self.with(|s, _| s.token_seconds = seconds);
    }

    fn create_from(&self, body: &Value) -> Result<Value, ActionError> {
        let text = |k: &str| {
            body.get(k).and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let amount_text = text("amount")
            .ok_or_else(|| ActionError::Invalid("an invoice needs an \"amount\"".into()))?;
        let amount = Money::parse_input(&amount_text, Currency::USD)
            .map_err(|e| ActionError::Invalid(format!("amount: {e}")))?;
        if !amount.is_positive() {
            return Err(ActionError::Invalid("the amount must be above zero".into()));
        }
        let number = text("number");
        if let Some(n) = &number
            && crate::core::sale::InvoiceNumber::parse(n).is_err()
        {
            return Err(ActionError::Invalid(format!(
                "invoice number {n:?}: 1 to 20 digits"
            )));
        }
        let description = text("description").unwrap_or_else(|| "Invoice".to_string());
        let decline = text("decline");
        let number = self.with(|s, _| {
            if let Some(n) = &number
                && s.invoices.contains_key(n)
            {
                return Err(ActionError::Conflict(format!("invoice {n} exists")));
            }
            Ok(s.add_invoice(number, amount, description, decline))
        })?;
        Ok(json!({ "number": number }))
    }
}

impl ProviderSim for IcgSim {
    fn name(&self) -> &'static str {
        "icg"
    }

    fn router(self: Arc<Self>) -> Router {
        api::router(self)
    }

    /// The OAuth server; the Process API is its sibling `process/`.
    fn base_url(&self, root: &str) -> String {
        format!("{root}/icg/")
    }

    fn open_requests(&self) -> Vec<OpenRequest> {
        Vec::new()
    }

    fn scan_targets(&self) -> Vec<ScanTarget> {
        Vec::new()
    }

    fn act(&self, request_id: &str, _action: CustomerAction) -> Result<(), ActionError> {
        Err(ActionError::NotFound(format!(
            "iCG pays are decided at once; there is no open request {request_id}"
        )))
    }

    fn scan(&self, target_id: &str, _argstring: Option<&str>) -> Result<String, ActionError> {
        Err(ActionError::NotFound(format!(
            "iCG has nothing to scan ({target_id})"
        )))
    }

    fn revoke_credentials(&self, revoked: bool) {
        self.with(|s, _| s.revoked = revoked);
    }

    fn counters(&self) -> Value {
        let c = self.with(|s, _| s.counters.clone());
        json!({
            "token_requests": c.token_requests,
            "tokens_issued": c.tokens_issued,
            "unauthorized": c.unauthorized,
            "pay_posts": c.pay_posts,
            "payments": c.payments,
            "approved": c.approved,
            "declined": c.declined,
        })
    }

    fn sweep(&self) {}

    fn control(&self, command: &str, body: Value) -> Result<Value, ActionError> {
        let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        match command {
            "invoice" => self.create_from(&body),
            "decline" => {
                let number = field("number")
                    .ok_or_else(|| ActionError::Invalid("decline needs a \"number\"".into()))?;
                let message = field("message");
                self.with(|s, _| match s.invoices.get_mut(&number) {
                    Some(i) => {
                        i.decline = message;
                        Ok(json!({ "number": number }))
                    }
                    None => Err(ActionError::NotFound(format!("no invoice {number}"))),
                })
            }
            "token_seconds" => {
                let seconds = body["seconds"]
                    .as_u64()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ActionError::Invalid("token_seconds needs \"seconds\" >= 1".into())
                    })?;
                self.set_token_seconds(seconds);
                Ok(json!({ "seconds": seconds }))
            }
            "payment" => {
                let id = field("id")
                    .ok_or_else(|| ActionError::Invalid("payment needs an \"id\"".into()))?;
                self.with(|s, _| match s.payment(&id) {
                    Some(t) => Ok(json!({
                        "id": id,
                        "amount": t.amount.to_decimal_string(),
                        "currency": t.amount.currency().code(),
                        "status": if t.approved { "Approved" } else { "Declined" },
                    })),
                    None => Err(ActionError::NotFound(format!("no payment {id}"))),
                })
            }
            "user" => {
                self.with(|s, _| {
                    if let Some(c) = field("client_id") {
                        s.client_id = c;
                    }
                    if let Some(u) = field("username") {
                        s.username = u;
                    }
                    if let Some(p) = field("password") {
                        s.password = p;
                    }
                });
                Ok(json!({}))
            }
            other => Err(ActionError::NotFound(format!(
                "unknown iCG control command {other:?} (invoice, decline, token_seconds, payment, user)"
            ))),
        }
    }

    /// The invoices, and a form to make one (amount, and a decline message if it should be
    /// refused).
    fn page_section(&self) -> String {
        let mut h = String::from(
            "<h2>iCheckGateway invoices</h2>\n<table><tr><th>Invoice</th><th>Description</th><th>Amount</th><th>Due</th><th>State</th></tr>\n",
        );
        self.with(|s, _| {
            for i in s.invoices.values() {
                let _ = writeln!(
                    h,
                    "<tr id=\"icg-invoice-{n}\"><td>{n}</td><td>{d}</td><td>{a} USD</td><td>{due} USD</td><td>{st}{dec}</td></tr>",
                    n = esc(&i.number),
                    d = esc(&i.description),
                    a = esc(&i.amount.to_decimal_string()),
                    due = esc(&i.due().to_decimal_string()),
                    st = esc(i.state()),
                    dec = i
                        .decline
                        .as_deref()
                        .map(|m| format!(" (declines: {})", esc(m)))
                        .unwrap_or_default(),
                );
            }
        });
        h.push_str(
            "</table>\n<form method=\"post\" action=\"/page/icg/form/invoice\">\
             New invoice: amount <input name=\"amount\" size=\"8\" placeholder=\"12.50\"> \
             description <input name=\"description\" size=\"16\"> \
             decline with <input name=\"decline\" size=\"16\" placeholder=\"(approve)\"> \
             <button>Create invoice</button></form>\n",
        );
        h
    }
}
