//! The iCash merchant gateway simulator (`icash.txt` plus the iCash part of NOTES.md), mounted
//! at `/icash`: base URL `http://<addr>/icash/`, customer page `/icash/customer/`.
//!
//! Served in the documented form: `POST /Token` (OWIN password grant, form-encoded, field
//! names case-insensitive, 14-day tokens with `.issued`/`.expires` in RFC 1123), the eleven
//! API calls with the merchant's `iCashCardNumber` in the query string and form bodies, JSON
//! numbers for amounts, statement dates `M/d/yyyy h:mm:ss AM|PM` in Libya time with Arabic
//! descriptions, `DateTime`s with seven fraction digits, and the payment QR as a real PNG.
//!
//! What the documents leave unsaid, and what this simulator decided:
//! - One merchant (the demo's, [`demo`]); customers are card accounts with balances
//!   (`1000103943` rich, `1000100550`, `1000107777` with 1 LYD). The merchant owns shops 1 and 10.
//! - A payment code is 7 digits, made for one card, one shop and one amount, good for
//!   [`state::CODE_MINUTES`] minutes and once; the demo customer's standing test code
//!   ([`demo::CUSTOMER_CODE`]) pays any amount, again and again (a sandbox convenience).
//! - `GeneratePaymentQR` answers the open QR for (shop, amount), made when there is none: the
//!   image encodes `ICASH|<merchant card>|<shop>|<amount>`; the open QR is listed by its id
//!   (`qr-` and a digest of that text, the terminal's handle). A customer pays it from the
//!   customer page or the control API; the merchant's statement then shows a credit
//!   (`opType` 21). Unpaid QRs are forgotten after [`state::QR_MINUTES`] minutes.
//! - `opType`s beyond the document's 15 (voucher top-up) and -1 (transfer sent) are ours:
//!   1 transfer received, 20/-20 invoice paid (PayInvoice: the `Description` becomes the
//!   entry's `note`), 21/-21 QR payment. A transfer's `Message` becomes `sellerDesc`.
//! - `CanCustomerPurchase` answers a bare `true`/`false` (the document's answer is blank);
//!   `SetNewPIN` answers the documented object, `IsOperationSuccessful` false when the PIN
//!   breaks the rules (4 to 6 digits, typed twice alike, not one digit repeated).
//! - `ValidateVoucher` of an unknown voucher or a wrong value is 400 `{"Message"}`; a used one
//!   is `Valid: false` with its `ChargeDate` (Libya time, no offset, as the document shows).
//! - Refusals are 400 `{"Message"}`; a route that does not exist is 404, a wrong method 405,
//!   as ASP.NET answers them.
//!
//! Control commands (`POST /control/icash/x/<command>`): `merchant` (`{"password"}`: replaces
//! the demo merchant's password), `code` (`{"card", "shop", "amount"}`: a customer makes a
//! payment code; answers `{"PaymentCode"}`), `pay_qr` (`{"payload", "card"}`), `account`
//! (`{"card"}`: balance and statement rows). Counters (`GET /control/icash/counters`):
//! `token_requests`, `tokens_issued`, `unauthorized`, `qr_invoices_created`, `invoices_paid`,
//! `qr_payments`, `transfers`, `vouchers_redeemed`, and `payment_requests` (QRs made plus
//! invoices paid: what the conformance kit counts).

mod api;
mod page;
mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{Value, json};
use time::OffsetDateTime;

pub use crate::providers::icash::config::demo;
use state::State;

use super::{
    ActionError, CustomerAction, OpenRequest, ProviderSim, RunningSim, ScanTarget, SimClock,
    SimOptions,
};

/// Path prefix of the API inside the simulator server.
const API_PATH: &str = "/icash/";

/// Starts the iCash simulator on the shared server (the registry's `Demo::simulator`).
pub fn start(clock: &SimClock, _root: &str, _options: &SimOptions) -> Arc<dyn ProviderSim> {
    Arc::new(IcashSim::new(clock.clone()))
}

impl RunningSim {
    /// The iCash simulator, for in-process inspection. The registry always starts it.
    pub fn icash(&self) -> Arc<IcashSim> {
        match self.provider_sim::<IcashSim>("icash") {
            Some(sim) => sim,
            None => unreachable!("the registry starts the iCash simulator"),
        }
    }
}

/// A QR code of `text` as a greyscale PNG, `scale` pixels per module, quiet zone included.
pub fn qr_png(text: &str, scale: usize) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let modules = code.width();
    let quiet = 4;
    let scale = scale.max(1);
    let side = (modules + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if code[(x, y)] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * side;
                    for dx in 0..scale {
                        pixels[row + (x + quiet) * scale + dx] = 0;
                    }
                }
            }
        }
    }
    let side32 = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&pixels).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

pub struct IcashSim {
    state: Mutex<State>,
    clock: SimClock,
}

impl IcashSim {
    pub fn new(clock: SimClock) -> IcashSim {
        IcashSim {
            state: Mutex::new(State::new(clock.now())),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Changes are applied whole before anything can panic: a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state after forgetting what expired.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        let mut s = self.lock();
        s.sweep(now);
        f(&mut s, now)
    }

    /// A customer's balance in thousandths of a dinar.
    pub fn balance(&self, card: &str) -> Option<i64> {
        self.with(|s, _| s.accounts.get(card).map(|a| a.balance))
    }

    /// A card holder's name and balance.
    pub fn holder(&self, card: &str) -> Option<(String, i64)> {
        self.with(|s, _| s.accounts.get(card).map(|a| (a.name.clone(), a.balance)))
    }

    /// A customer makes a one-time payment code (the customer page does this).
    pub fn generate_code(&self, card: &str, shop: u32, amount: i64) -> Result<String, String> {
        self.with(|s, now| s.generate_code(card, shop, amount, now))
            .map_err(|e| e.1)
    }

    /// A customer pays the open QR `payload` from `card`; answers the operation number.
    pub fn pay_qr(&self, payload: &str, card: &str) -> Result<u64, String> {
        self.with(|s, now| s.pay_qr(payload, card, now))
            .map_err(|e| e.1)
    }

    /// The merchant's statement rows (oldest first) as (id, credit, debit, note, seller text).
    pub fn merchant_rows(&self) -> Vec<(u64, i64, i64, String, String)> {
        self.with(|s, _| {
            s.accounts
                .get(demo::CARD)
                .map(|a| {
                    a.rows
                        .iter()
                        .map(|r| {
                            (
                                r.id,
                                r.credit,
                                r.debit,
                                r.note.clone(),
                                r.seller_desc.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    fn counters_json(s: &State) -> Value {
        let c = &s.counters;
        json!({
            "token_requests": c.token_requests,
            "tokens_issued": c.tokens_issued,
            "unauthorized": c.unauthorized,
            "qr_invoices_created": c.qr_invoices_created,
            "invoices_paid": c.invoices_paid,
            "qr_payments": c.qr_payments,
            "transfers": c.transfers,
            "vouchers_redeemed": c.vouchers_redeemed,
            "payment_requests": c.qr_invoices_created + c.invoices_paid,
        })
    }
}

fn invalid(m: &str) -> ActionError {
    ActionError::Invalid(m.to_string())
}

impl ProviderSim for IcashSim {
    fn name(&self) -> &'static str {
        "icash"
    }

    fn router(self: Arc<Self>) -> Router {
        api::router(self)
    }

    fn base_url(&self, root: &str) -> String {
        format!("{root}{API_PATH}")
    }

    fn open_requests(&self) -> Vec<OpenRequest> {
        self.with(|s, _| {
            s.invoices
                .values()
                .map(|i| OpenRequest {
                    provider: "icash",
                    id: state::qr_id(&i.payload),
                    amount: crate::money::Money::from_minor(i.amount, crate::money::Currency::LYD)
                        .to_decimal_string(),
                    currency: "LYD".to_string(),
                    pos: format!("shop {}", i.shop),
                    text: Some("payment QR: scan and pay".to_string()),
                    waiting_for_scan: None,
                    created: super::rfc3339(i.created),
                    created_at: i.created,
                })
                .collect()
        })
    }

    fn scan_targets(&self) -> Vec<ScanTarget> {
        Vec::new()
    }

    /// Pay: the demo customer scanned the QR and pays it. Reject: the customer walks away
    /// (the QR is forgotten; the terminal sees nothing and its sale expires).
    fn act(&self, request_id: &str, action: CustomerAction) -> Result<(), ActionError> {
        match action {
            CustomerAction::Pay | CustomerAction::Authorize => self
                .pay_qr(request_id, demo::CUSTOMER_CARD)
                .map(|_| ())
                .map_err(ActionError::Conflict),
            CustomerAction::Reject => self.with(|s, _| {
                let payload = s
                    .open_qr(request_id)
                    .map(|i| i.payload.clone())
                    .ok_or_else(|| ActionError::NotFound(format!("no open QR {request_id}")))?;
                s.invoices.remove(&payload);
                Ok(())
            }),
        }
    }

    fn scan(&self, target_id: &str, _argstring: Option<&str>) -> Result<String, ActionError> {
        Err(ActionError::NotFound(format!(
            "iCash has no scan targets ({target_id}): pay the QR's request instead"
        )))
    }

    fn revoke_credentials(&self, revoked: bool) {
        self.lock().revoked = revoked;
    }

    fn counters(&self) -> Value {
        Self::counters_json(&self.lock())
    }

    fn sweep(&self) {
        self.with(|_, _| ());
    }

    fn control(&self, command: &str, body: Value) -> Result<Value, ActionError> {
        let text = |k: &str| body[k].as_str().map(str::to_string);
        match command {
            "merchant" => {
                let password =
                    text("password").ok_or_else(|| invalid("merchant needs a \"password\""))?;
                self.with(|s, _| {
                    if let Some(m) = s.merchants.first_mut() {
                        m.password = password;
                    }
                });
                Ok(json!({ "username": demo::USERNAME }))
            }
            "code" => {
                let card = text("card").unwrap_or_else(|| demo::CUSTOMER_CARD.to_string());
                let shop = body["shop"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(demo::SHOP);
                let amount = text("amount")
                    .ok_or_else(|| invalid("code needs an \"amount\" such as \"12.345\""))
                    .and_then(|a| state::parse_amount(&a).map_err(|e| invalid(&e.1)))?;
                let code = self
                    .generate_code(&card, shop, amount)
                    .map_err(ActionError::Conflict)?;
                Ok(json!({ "PaymentCode": code }))
            }
            "pay_qr" => {
                let payload =
                    text("payload").ok_or_else(|| invalid("pay_qr needs a \"payload\""))?;
                let card = text("card").unwrap_or_else(|| demo::CUSTOMER_CARD.to_string());
                let id = self
                    .pay_qr(&payload, &card)
                    .map_err(ActionError::Conflict)?;
                Ok(json!({ "OperationReferenceNumber": id }))
            }
            "account" => {
                let card = text("card").unwrap_or_else(|| demo::CARD.to_string());
                self.with(|s, _| {
                    let a = s
                        .accounts
                        .get(&card)
                        .ok_or_else(|| ActionError::NotFound(format!("no card {card}")))?;
                    let rows: Vec<Value> = a
                        .rows
                        .iter()
                        .map(|r| {
                            json!({"id": r.id, "credit": state::decimal(r.credit),
                                   "debit": state::decimal(r.debit), "note": r.note,
                                   "sellerDesc": r.seller_desc, "desc": r.desc})
                        })
                        .collect();
                    Ok(json!({ "balance": state::decimal(a.balance), "rows": rows }))
                })
            }
            other => Err(ActionError::NotFound(format!(
                "unknown iCash control command {other:?} (merchant, code, pay_qr, account)"
            ))),
        }
    }
}
