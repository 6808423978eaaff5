//! The MonCash simulator (`moncash.txt` plus the MonCash part of `providers/NOTES.md`), mounted
//! at `/moncash`: REST root `http://<addr>/moncash/Api/`, gateway root
//! `http://<addr>/moncash/Moncash-middleware/` (the customer's payment page is
//! `Payment/Redirect?token=...` there).
//!
//! Served in the documented form: `POST /oauth/token` with Basic client_id:secret (the grant in
//! the query string or the form body, `scope` raw or encoded, any body a client was seen to
//! send), bearer tokens that expire 59 s after issue on the simulator's clock (scheme matched
//! case-insensitively), every `/v1/...` endpoint, Spring-style JSON errors with
//! `Content-Type: application/json;charset=UTF-8`, CreatePayment answered 202.
//!
//! What the documents leave unsaid, and what this simulator decided:
//! - One merchant client (demo id and secret; the control command `client` sets others).
//!   Revoked credentials refuse new tokens (401 `unauthorized`) and the tokens issued (401
//!   `invalid_token`).
//! - 401 bodies are OAuth's (`{"error", "error_description"}`): `unauthorized` without a bearer
//!   token or with bad client credentials, `invalid_token` for an unknown or expired one.
//! - `orderId` is the idempotency key: CreatePayment of a known orderId with the same amount
//!   answers that order's payment token again (202); with another amount, 409. orderIds arrive
//!   as strings or integers, amounts as integers, decimals or numeric strings; an amount that is
//!   not positive is 400 `{"message": "The amount is incorrect"}` (NOTES).
//! - RetrieveOrderPayment / RetrieveTransactionPayment: 404 `Can't find this transaction` until
//!   the order is paid. `cost` is written the way Java writes a double (`10`, `12.5`).
//! - Payment tokens (URL-safe, 43 characters) live [`state::PAYMENT_TOKEN_SECONDS`]; the
//!   customer pays on the payment page with a phone number and PIN from their wallet, or gives
//!   up there; a paid, given-up or expired token cannot be paid again.
//! - Transfert pays from the prefunded balance to a wallet: the same `reference` again answers
//!   the first payout (never a second one); a payout without `reference` (the document's PHP
//!   sample) gets one made up; a wallet over its maximum is 403 `Maximum Account Balance`, an
//!   unknown wallet 404, a prefunded balance too small 403. `amount` is written like `100.0`.
//! - PrefundedTransactionStatus answers `successful` for a known reference, else 404 `Can't find
//!   this transaction`; PrefundedBalance writes the balance as the exact value of the nearest
//!   binary double (a long tail, like the document's example).
//! - CustomerStatus knows the simulator's wallets (`fullkyc`/`minikyc`, `registered`,
//!   `active`); another account is 404.
//!
//! Control commands (`POST /control/moncash/x/<command>`): `client` (`{"client_id",
//! "client_secret"}`), `account` (`{"phone", "pin"?, "balance"?, "max_balance"?, "kyc"?,
//! "status"?}`, amounts as decimal strings), `prefunded` (`{"balance"}`), `pay` (`{"order_id",
//! "phone"?, "pin"?}`). Counters (`GET /control/moncash/counters`): `tokens_issued`,
//! `unauthorized`, `create_calls`, `orders_created`, `payments`, `transfert_calls`, `payouts`,
//! `prefunded` (decimal string).

mod api;
mod gateway;
pub mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    ActionError, CustomerAction, OpenRequest, ProviderSim, RunningSim, ScanTarget, SimClock,
    SimOptions,
};
use crate::money::Money;
pub use crate::providers::moncash::config::demo::{
    CLIENT_ID as DEMO_CLIENT_ID, CLIENT_SECRET as DEMO_CLIENT_SECRET, PAYER as DEMO_PAYER,
    PAYER_PIN as DEMO_PAYER_PIN,
};
use state::{Account, HTG, Refusal, State};

/// A wallet that is close to its maximum balance, for the documented 403.
pub const FULL_WALLET: &str = "50938888888";

/// Starts the MonCash simulator on the shared server (the registry's `Demo::simulator`).
pub fn start(clock: &SimClock, _root: &str, _options: &SimOptions) -> Arc<dyn ProviderSim> {
    Arc::new(MoncashSim::new(clock.clone()))
}

impl RunningSim {
    /// The MonCash simulator, for in-process inspection. The registry always starts it.
    pub fn moncash(&self) -> Arc<MoncashSim> {
        match self.provider_sim::<MoncashSim>("moncash") {
            Some(sim) => sim,
            None => unreachable!("the registry starts the MonCash simulator"),
        }
    }
}

pub struct MoncashSim {
    state: Mutex<State>,
    clock: SimClock,
}

fn htg(minor: i64) -> Money {
    Money::from_minor(minor, HTG)
}

fn wallet(pin: &str, balance: i64, max: i64, kyc: &str) -> Account {
    Account {
        pin: pin.to_string(),
        balance: htg(balance),
        max_balance: htg(max),
        kyc: kyc.to_string(),
        status: vec!["registered".into(), "active".into()],
    }
}

impl MoncashSim {
    pub fn new(clock: SimClock) -> MoncashSim {
        let mut state = State::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
        state.accounts.insert(
            DEMO_PAYER.to_string(),
            wallet(DEMO_PAYER_PIN, 10_000_000, 15_000_000_000, "fullkyc"),
        );
        state.accounts.insert(
            FULL_WALLET.to_string(),
            wallet("4321", 7_490_000, 7_500_000, "minikyc"),
        );
        MoncashSim {
            state: Mutex::new(state),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is applied whole before anything can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state at the simulator's "now", after expiry is applied.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        let mut s = self.lock();
        s.sweep(now);
        f(&mut s, now)
    }

    /// The payment token of an order, if it was created.
    pub fn payment_token(&self, order_id: &str) -> Option<String> {
        self.with(|s, _| s.orders.get(order_id).map(|o| o.token.clone()))
    }

    /// The balance of a wallet.
    pub fn wallet_balance(&self, phone: &str) -> Option<Money> {
        self.with(|s, _| s.accounts.get(phone).map(|a| a.balance))
    }

    pub fn prefunded(&self) -> Money {
        self.with(|s, _| s.prefunded)
    }

    /// Pays an order as a customer would on the payment page.
    pub fn pay(&self, order_id: &str, phone: &str, pin: &str) -> Result<String, ActionError> {
        self.with(|s, now| s.pay(order_id, phone, pin, now))
            .map_err(action_error)
    }
}

fn action_error(r: Refusal) -> ActionError {
    match r {
        Refusal::NotFound(m) => ActionError::NotFound(m),
        Refusal::Forbidden(m) => ActionError::Conflict(m),
        Refusal::Invalid(m) => ActionError::Invalid(m),
    }
}

fn money_field(body: &Value, field: &str) -> Result<Option<Money>, ActionError> {
    match body[field].as_str() {
        None => Ok(None),
        Some(t) => Money::parse_wire_str(t, HTG)
            .map(Some)
            .map_err(|e| ActionError::Invalid(format!("{field}: {e}"))),
    }
}

impl ProviderSim for MoncashSim {
    fn name(&self) -> &'static str {
        "moncash"
    }

    fn router(self: Arc<Self>) -> Router {
        api::router(self.clone()).merge(gateway::router(self))
    }

    fn base_url(&self, root: &str) -> String {
        format!("{root}/moncash/Api/")
    }

    fn open_requests(&self) -> Vec<OpenRequest> {
        self.with(|s, now| {
            s.orders
                .values()
                .filter(|o| o.open(now))
                .map(|o| OpenRequest {
                    provider: "moncash",
                    id: o.order_id.clone(),
                    amount: o.amount.to_decimal_string(),
                    currency: HTG.code().to_string(),
                    pos: "MonCash merchant".into(),
                    text: None,
                    waiting_for_scan: None,
                    created: super::rfc3339(o.created),
                    created_at: o.created,
                })
                .collect()
        })
    }

    fn scan_targets(&self) -> Vec<ScanTarget> {
        Vec::new()
    }

    fn act(&self, request_id: &str, action: CustomerAction) -> Result<(), ActionError> {
        match action {
            CustomerAction::Pay | CustomerAction::Authorize => {
                self.pay(request_id, DEMO_PAYER, DEMO_PAYER_PIN).map(|_| ())
            }
            CustomerAction::Reject => self
                .with(|s, now| s.give_up(request_id, now))
                .map_err(action_error),
        }
    }

    fn scan(&self, target_id: &str, _argstring: Option<&str>) -> Result<String, ActionError> {
        Err(ActionError::NotFound(format!(
            "MonCash has nothing to scan ({target_id}): open the payment page instead"
        )))
    }

    fn revoke_credentials(&self, revoked: bool) {
        self.lock().revoked = revoked;
    }

    fn counters(&self) -> Value {
        let s = self.lock();
        let c = &s.counters;
        json!({
            "tokens_issued": c.tokens_issued,
            "unauthorized": c.unauthorized,
            "create_calls": c.create_calls,
            "orders_created": c.orders_created,
            "payments": c.payments,
            "transfert_calls": c.transfert_calls,
            "payouts": c.payouts,
            "prefunded": s.prefunded.to_decimal_string(),
        })
    }

    fn sweep(&self) {
        self.with(|_, _| ());
    }

    fn control(&self, command: &str, body: Value) -> Result<Value, ActionError> {
        match command {
            "client" => {
                let id = body["client_id"].as_str();
                let secret = body["client_secret"].as_str();
                let (Some(id), Some(secret)) = (id, secret) else {
                    return Err(ActionError::Invalid(
                        "client needs \"client_id\" and \"client_secret\"".into(),
                    ));
                };
                self.with(|s, _| {
                    s.client_id = id.to_string();
                    s.client_secret = secret.to_string();
                });
                Ok(json!({ "client_id": id }))
            }
            "account" => {
                let phone = body["phone"]
                    .as_str()
                    .ok_or_else(|| ActionError::Invalid("account needs a \"phone\"".into()))?
                    .to_string();
                let balance = money_field(&body, "balance")?;
                let max = money_field(&body, "max_balance")?;
                self.with(|s, _| {
                    let a = s
                        .accounts
                        .entry(phone.clone())
                        .or_insert_with(|| wallet("1234", 0, 15_000_000_000, "fullkyc"));
                    if let Some(pin) = body["pin"].as_str() {
                        a.pin = pin.to_string();
                    }
                    if let Some(b) = balance {
                        a.balance = b;
                    }
                    if let Some(m) = max {
                        a.max_balance = m;
                    }
                    if let Some(k) = body["kyc"].as_str() {
                        a.kyc = k.to_string();
                    }
                    if let Some(list) = body["status"].as_array() {
                        a.status = list
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect();
                    }
                });
                Ok(json!({ "phone": phone }))
            }
            "prefunded" => {
                let balance = money_field(&body, "balance")?
                    .ok_or_else(|| ActionError::Invalid("prefunded needs a \"balance\"".into()))?;
                self.with(|s, _| s.prefunded = balance);
                Ok(json!({ "balance": balance.to_decimal_string() }))
            }
            "pay" => {
                let order = body["order_id"]
                    .as_str()
                    .ok_or_else(|| ActionError::Invalid("pay needs an \"order_id\"".into()))?;
                let phone = body["phone"].as_str().unwrap_or(DEMO_PAYER);
                let pin = body["pin"].as_str().unwrap_or(DEMO_PAYER_PIN);
                let transaction_id = self.pay(order, phone, pin)?;
                Ok(json!({ "transaction_id": transaction_id }))
            }
            other => Err(ActionError::NotFound(format!(
                "unknown MonCash control command {other:?} (client, account, prefunded, pay)"
            ))),
        }
    }
}
