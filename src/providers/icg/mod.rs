//! iCheckGateway (United States, USD): pay an invoice by its number. The client ([`client`]),
//! its wire types ([`wire`]), and [`IcgProvider`], the mapping of the terminal's operations.
//!
//! What the public API allows, and what it does not (`icheckgateway.txt`, NOTES.md):
//! - It documents two calls: the OAuth 2.0 password grant (ROPC: username, password, client id
//!   = the application's audience id) and `POST /Invoices/{id}/Pay`, anonymous, whose body is a
//!   process request and whose answer a process response. Nothing else of the Process API
//!   (Transactions, Reconciliation, Holding Transactions...) has a public request or answer
//!   model, and no error but 400 is documented.
//! - There is no documented invoice lookup, so neither the amount due nor what became of a pay
//!   whose answer was lost can be asked in the documented form. There is no idempotency key in
//!   the process request. There is no refund of an invoice payment (`Type` `D` was seen for
//!   credits, but not on this endpoint; refunding by paying an invoice with a credit would be a
//!   guess with real money), no void and no cancel: a pay is decided at once.
//!
//! What the terminal does about it (decisions):
//! - Capabilities: the invoice flow only; `cancel`, `refund` and `auth_capture` false (a refund
//!   is made in iCG's merchant portal); `lookup` true (below); one service that moves no money,
//!   "Invoice balance" (the invoice's amount, amount due and state, as InfoLines).
//! - The ROPC token the document requires is used for the one call the terminal cannot do
//!   without, `GET /Invoices/{id}` with the bearer token, an ASSUMPTION to confirm with iCG before
//!   going live: it answers the invoice with `Amount`, `AmountPaid`, `AmountDue`, `Status`
//!   (`Open`, `Partially Paid`, `Paid`) and `Transactions`, every process response given for the
//!   invoice with the `Description` it was sent with ([`wire::Invoice`]). If a server does not
//!   have it, every sale stops at that lookup before anything is paid.
//! - A sale sends its sale key as the process request's `Description`, and its terminal id as
//!   `Laneid`. Every start asks about the invoice first: if a payment with this sale key is on
//!   it, that payment is the answer (a start is never repeated at iCG); an invoice paid already,
//!   or an amount above the amount due, is refused before anything is sent. The amount is the
//!   one confirmed on the amount-due screen; a smaller one pays the invoice in part.
//! - The payment handle is `<invoice>:<sale key>`; status and recovery read the invoice and find
//!   the payment by its sale key (recovery never pays: an invoice without it is `NotFound`, an
//!   unknown invoice too, since nothing can have been paid on it).
//! - A process response's `Status` (no values are documented): `Approved` is paid, with
//!   reference `<ConfirmationCode> (approval <ApprovalCode>)`; `Declined` and `Error` are not,
//!   with `StatusMessage` as the reason; `Pending` and any other word wait (never paid). Words
//!   are compared without case, spaces or punctuation.
//! - Amounts are JSON numbers with exactly two decimals, written and read as decimal text
//!   (never a float). The largest amount sent is [`LARGEST_MINOR`] cents: the document names no
//!   limit, this one keeps any reader's decimal or double exact to the cent.
//! - A token is renewed a minute before the expiry its answer gives; a 401 renews it once; a
//!   refused grant (400 or 401 at `Login`, OAuth's `invalid_grant`) is an auth failure.
//! - The token endpoint is `Login` under the configured auth URL, as the document's curl shows.
//!   The diagram's refresh token is not used (no refresh grant is documented): the password
//!   grant is made again.
//! - The amount due before the customer confirms: the documented API cannot tell it. With the
//!   assumed lookup it is a step of the sale: the capability `amount_due` names the query
//!   [`DUE_SERVICE`], which the core asks with the typed invoice number before anything is
//!   sent; it answers `Reply::Due` (the amount due, with the invoice's amount and state to
//!   show) or refuses an unknown or paid invoice. The core shows it, and pays on the cashier's
//!   Enter: the amount due when no amount was typed, the typed amount (part of it) otherwise,
//!   never more. The supervisor menu's "Invoice balance" shows the same lookup with the
//!   invoice's payments. The start checks again (the invoice may have been paid meanwhile).

pub mod client;
#[cfg(all(test, feature = "sim"))]
pub mod codes;
pub mod config;
#[cfg(all(test, feature = "sim"))]
pub mod conformance;
#[cfg(all(test, feature = "sim"))]
mod runtime_tests;
#[cfg(all(test, feature = "sim"))]
mod tests;
pub mod wire;

use crate::core::provider::{
    Capabilities, Failure, FailureKind, FieldInput, FieldSpec, FieldValue, FlowKind, InfoLine,
    Operation, PaymentHandle, PaymentStatus, Prompt, ProviderId, ProviderInfo, Reply, ServiceId,
    ServiceSpec,
};
use crate::core::sale::{Flow, InvoiceNumber, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::registry::{Demo, ProviderEntry};
use crate::providers::{BoxFuture, PaymentProvider};

use client::{IcgClient, IcgError};
use wire::{Invoice, InvoiceState, ProcessRequest, ProcessResponse};

/// The registry's line for iCheckGateway.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "icg",
    name: "iCheckGateway",
    currencies: &[Currency::USD],
    read_config: config::read,
    build: Some(config::build),
    demo: Some(Demo {
        market: "us",
        settings: config::demo_settings,
        credentials: &[
            ("icg auth_url", "<icg base url>auth/"),
            ("icg process_base_url", "<icg base url>process/"),
            ("icg client id", config::demo::CLIENT_ID),
            ("icg username", config::demo::USERNAME),
            ("icg password", config::demo::PASSWORD),
        ],
        agent_pin: None,
        #[cfg(feature = "sim")]
        simulator: crate::sim::icg::start,
    }),
};

/// The largest amount sent, in cents: $999,999,999.99.
pub const LARGEST_MINOR: i64 = 99_999_999_999;

/// The service that shows an invoice's amounts.
pub const INVOICE_SERVICE: &str = "invoice";

/// The query the core asks before a sale (`Capabilities::amount_due`): the invoice's amount due,
/// refused for an unknown or paid invoice. Not a menu line.
pub const DUE_SERVICE: &str = "due";

/// iCheckGateway as a [`PaymentProvider`].
pub struct IcgProvider {
    client: IcgClient,
    currency: Currency,
    lane_id: Option<String>,
}

impl std::fmt::Debug for IcgProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcgProvider")
            .field("client", &self.client)
            .field("currency", &self.currency)
            .field("lane_id", &self.lane_id)
            .finish()
    }
}

fn rejected(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, message)
}

/// `<invoice>:<sale key>`.
pub fn handle_for(invoice: &str, sale_key: &str) -> PaymentHandle {
    PaymentHandle(format!("{invoice}:{sale_key}"))
}

fn parse_handle(handle: &PaymentHandle) -> Result<(&str, &str), Failure> {
    handle
        .0
        .split_once(':')
        .filter(|(i, k)| InvoiceNumber::parse(i).is_ok() && !k.is_empty())
        .ok_or_else(|| rejected(format!("{:?} is not an iCG payment handle", handle.0)))
}

/// A status word in a comparable form: `Partially Paid` and `partially_paid` are alike.
fn word(text: Option<&str>) -> String {
    text.unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What a process response says of its payment (see the module comment).
pub fn map_response(r: &ProcessResponse) -> PaymentStatus {
    let reason = || {
        r.status_message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| format!("iCG status {}", r.status.as_deref().unwrap_or("?")))
    };
    match word(r.status.as_deref()).as_str() {
        "approved" => PaymentStatus::Approved {
            reference: reference(r),
        },
        "declined" | "error" => PaymentStatus::Declined { reason: reason() },
        _ => PaymentStatus::Pending,
    }
}

/// `<ConfirmationCode> (approval <ApprovalCode>)`, or what there is of it.
fn reference(r: &ProcessResponse) -> String {
    let present = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    match (present(&r.confirmation_code), present(&r.approval_code)) {
        (Some(c), Some(a)) => format!("{c} (approval {a})"),
        (Some(c), None) => c,
        (None, Some(a)) => format!("approval {a}"),
        (None, None) => present(&r.transaction_id)
            .or_else(|| present(&r.reference_number))
            .unwrap_or_else(|| "approved".to_string()),
    }
}

impl IcgProvider {
    pub fn new(client: IcgClient, currency: Currency, lane_id: Option<String>) -> IcgProvider {
        IcgProvider {
            client,
            currency,
            lane_id,
        }
    }

    pub fn client(&self) -> &IcgClient {
        &self.client
    }

    /// The invoice, for a call that moves no money; an unknown invoice is `Ok(None)`.
    async fn invoice(&self, number: &str) -> Result<Option<Invoice>, Failure> {
        match self.client.invoice(number).await {
            Ok(i) => Ok(Some(i)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e.to_failure(false)),
        }
    }

    fn unreadable(e: impl std::fmt::Display) -> Failure {
        Failure::new(
            FailureKind::Transient,
            format!("iCG's invoice answer cannot be read: {e}"),
        )
    }

    async fn start(&self, req: SaleRequest) -> Result<Reply, Failure> {
        let Flow::Invoice { number } = &req.flow else {
            return Err(rejected("iCheckGateway pays invoices only"));
        };
        let number = number.as_str();
        let key = req.key.as_str();
        if req.amount.currency() != self.currency || self.currency != Currency::USD {
            return Err(rejected(format!(
                "iCheckGateway pays in USD, not {}",
                req.amount.currency()
            )));
        }
        if !req.amount.is_positive() || req.amount.minor() > LARGEST_MINOR {
            return Err(rejected(format!(
                "iCheckGateway takes USD 0.01 to {}",
                Money::from_minor(LARGEST_MINOR, Currency::USD).to_decimal_string()
            )));
        }
        // Nothing has been sent for this sale yet: failures up to the pay move no money.
        let invoice = self
            .invoice(number)
            .await?
            .ok_or_else(|| rejected(format!("iCG has no invoice {number}")).with_code("404"))?;
        if invoice.transaction_of(key).is_some() {
            // This sale was paid (or refused) already: its answer stands, never a second pay.
            return Ok(Reply::Started {
                handle: handle_for(number, key),
                prompt: Prompt::Immediate,
            });
        }
        let amounts = invoice.amounts(self.currency).map_err(Self::unreadable)?;
        if invoice.state() == InvoiceState::Paid || !amounts.due.is_positive() {
            return Err(rejected(format!("invoice {number} is paid already")));
        }
        if req.amount.minor() > amounts.due.minor() {
            return Err(rejected(format!(
                "USD {} is more than the USD {} due on invoice {number}",
                req.amount.to_decimal_string(),
                amounts.due.to_decimal_string()
            )));
        }
        let body = ProcessRequest::sale(req.amount, key, self.lane_id.as_deref());
        self.client
            .pay(number, &body)
            .await
            .map_err(|e| e.to_failure(true))?;
        Ok(Reply::Started {
            handle: handle_for(number, key),
            prompt: Prompt::Immediate,
        })
    }

    async fn status(&self, handle: &PaymentHandle) -> Result<Reply, Failure> {
        let (number, key) = parse_handle(handle)?;
        let invoice = self
            .invoice(number)
            .await?
            .ok_or_else(|| rejected(format!("iCG has no invoice {number}")).with_code("404"))?;
        match invoice.transaction_of(key) {
            Some(t) => Ok(Reply::Status(map_response(t))),
            None => Err(Failure::new(
                FailureKind::Transient,
                format!("iCG's invoice {number} lacks the payment of sale {key}"),
            )),
        }
    }

    async fn recover(&self, req: SaleRequest) -> Result<Reply, Failure> {
        let Flow::Invoice { number } = &req.flow else {
            return Ok(Reply::NotFound);
        };
        let number = number.as_str();
        let key = req.key.as_str();
        let Some(invoice) = self.invoice(number).await? else {
            return Ok(Reply::NotFound);
        };
        Ok(match invoice.transaction_of(key) {
            Some(t) => Reply::Found {
                handle: handle_for(number, key),
                status: map_response(t),
                prompt: None,
            },
            None => Reply::NotFound,
        })
    }

    async fn query(&self, service: &ServiceId, inputs: &[FieldValue]) -> Result<Reply, Failure> {
        let due = match service.as_str() {
            INVOICE_SERVICE => false,
            DUE_SERVICE => true,
            other => {
                return Err(rejected(format!("iCheckGateway offers no service {other}")));
            }
        };
        let number = match inputs.first() {
            Some(FieldValue::Digits(d)) => {
                InvoiceNumber::parse(d).map_err(|e| rejected(e.to_string()))?
            }
            _ => return Err(rejected("the invoice number is missing")),
        };
        let number = number.as_str();
        let invoice = self
            .invoice(number)
            .await?
            .ok_or_else(|| rejected(format!("iCG has no invoice {number}")).with_code("404"))?;
        let amounts = invoice.amounts(self.currency).map_err(Self::unreadable)?;
        let line = |label: &str, value: String| InfoLine {
            label: label.to_string(),
            value,
        };
        let usd = |m: Money| format!("USD {}", m.to_decimal_string());
        let mut lines = vec![
            line("Invoice", number.to_string()),
            line("Amount", usd(amounts.amount)),
            line("Amount due", usd(amounts.due)),
            line(
                "State",
                invoice.status.clone().unwrap_or_else(|| "unknown".into()),
            ),
        ];
        if let Some(d) = invoice.description.clone().filter(|d| !d.trim().is_empty()) {
            lines.push(line("Description", d));
        }
        if due {
            // Before a sale: a paid invoice is refused here, before anything is sent.
            if invoice.state() == InvoiceState::Paid || !amounts.due.is_positive() {
                return Err(rejected(format!("invoice {number} is paid already")));
            }
            return Ok(Reply::Due {
                due: amounts.due,
                lines,
            });
        }
        let paid = invoice
            .transactions
            .iter()
            .filter(|t| matches!(map_response(t), PaymentStatus::Approved { .. }))
            .count();
        lines.push(line("Payments", paid.to_string()));
        Ok(Reply::Info(lines))
    }

    /// The service spec of [`INVOICE_SERVICE`].
    fn services() -> Vec<ServiceSpec> {
        vec![ServiceSpec {
            id: ServiceId::new(INVOICE_SERVICE),
            label: "Invoice balance".to_string(),
            fields: vec![FieldSpec {
                label: "Invoice number".to_string(),
                input: FieldInput::Digits { min: 1, max: 20 },
            }],
            moves_money: false,
        }]
    }
}

impl PaymentProvider for IcgProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("icg"),
            name: "iCheckGateway".to_string(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Invoice],
                cancel: false,
                refund: false,
                auth_capture: false,
                lookup: true,
                services: IcgProvider::services(),
                agent_pin: false,
                amount_due: Some(ServiceId::new(DUE_SERVICE)),
            },
        }
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            match op {
                Operation::Start(req) => self.start(req).await,
                Operation::Status(handle) => self.status(&handle).await,
                Operation::Recover(req) => self.recover(req).await,
                Operation::Query { service, inputs } => self.query(&service, &inputs).await,
                Operation::Cancel(_) => Err(rejected(
                    "an iCG invoice payment is decided at once: there is nothing to cancel",
                )),
                Operation::Refund { .. } => Err(rejected(
                    "the public iCG API has no refund of an invoice payment: refund it in iCG's merchant portal",
                )),
                Operation::Capture(..) | Operation::Release(_) => Err(rejected(
                    "iCheckGateway invoice payments have no authorization to capture or release",
                )),
            }
        })
    }

    fn looks_up_without_creating(&self) -> bool {
        true
    }

    fn start_up(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            self.client
                .check_credentials()
                .await
                .map_err(|e: IcgError| e.to_failure(false))
        })
    }
}

#[cfg(test)]
mod mapping_tests {
    use super::*;
    use serde_json::json;

    fn response(v: serde_json::Value) -> ProcessResponse {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn statuses_map_to_the_terminal() {
        let approved = response(json!({
            "Status": "Approved", "ConfirmationCode": "C77", "ApprovalCode": "A12"
        }));
        assert_eq!(
            map_response(&approved),
            PaymentStatus::Approved {
                reference: "C77 (approval A12)".into()
            }
        );
        let declined = response(json!({"Status": "DECLINED", "StatusMessage": "NSF"}));
        assert_eq!(
            map_response(&declined),
            PaymentStatus::Declined {
                reason: "NSF".into()
            }
        );
        let error = response(json!({"Status": "Error"}));
        assert_eq!(
            map_response(&error),
            PaymentStatus::Declined {
                reason: "iCG status Error".into()
            }
        );
        for other in [
            json!({"Status": "Pending"}),
            json!({"Status": "Approvedish"}),
            json!({}),
        ] {
            assert_eq!(map_response(&response(other)), PaymentStatus::Pending);
        }
        let bare = response(json!({"Status": "approved", "TransactionId": "T9"}));
        assert_eq!(
            map_response(&bare),
            PaymentStatus::Approved {
                reference: "T9".into()
            }
        );
    }

    #[test]
    fn handles_round_trip() {
        let h = handle_for("1001", "T1-000042");
        assert_eq!(parse_handle(&h).unwrap(), ("1001", "T1-000042"));
        assert!(parse_handle(&PaymentHandle("x:y".into())).is_err());
        assert!(parse_handle(&PaymentHandle("1001".into())).is_err());
    }
}
