//! The one vocabulary every provider is mapped to: what the core asks (operations), what comes
//! back (replies), and how failures are classified. Provider clients live in `crate::providers`;
//! the core only sees these types.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::sale::{Msisdn, SaleKey, SaleRequest};
use super::time::Millis;
use crate::money::Money;

/// Short, stable provider name: `mcash`, `moncash`, `icash`, `ezcash`, `icg`, or `fake` in tests.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProviderId(pub String);

impl ProviderId {
    pub fn new(id: &str) -> ProviderId {
        ProviderId(id.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which customer flows a provider offers at a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowKind {
    Qr,
    Push,
    CardAndCode,
    Invoice,
}

/// What a provider can do, so the core offers only what works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Flows in order of preference; the first is the default.
    pub flows: Vec<FlowKind>,
    pub cancel: bool,
    pub refund: bool,
    pub auth_capture: bool,
    /// The provider can look an operation up by the sale's key without creating it (MonCash
    /// RetrieveOrderPayment, eZ Cash status by request id): its recovery never makes a payment
    /// request. mCASH cannot (its only lookup is re-sending the identical create).
    #[serde(default)]
    pub lookup: bool,
    /// The provider's own services in the supervisor menu (balance, statement, agent top-up,
    /// voucher redemption), declared here so that neither the core nor the UI names a provider.
    #[serde(default)]
    pub services: Vec<ServiceSpec>,
    /// The provider needs an operator's PIN (eZ Cash agent PIN) typed at the start of a shift and
    /// handed to it with `PaymentProvider::unlock`; it holds it in memory only.
    #[serde(default)]
    pub agent_pin: bool,
    /// The sale's amount comes from the provider (an invoice's amount due): before a sale is
    /// started, the core asks this query with the customer's details as its inputs, shows the
    /// `Reply::Due` answer and starts the sale only once the cashier confirms it. A sale typed
    /// with no amount takes the amount due; a typed amount pays that much of it.
    #[serde(default)]
    pub amount_due: Option<ServiceId>,
}

/// Stable id of a provider service (`balance`, `topup`, `bill`), unique within its provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceId(pub String);

impl ServiceId {
    pub fn new(id: &str) -> ServiceId {
        ServiceId(id.to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One service a provider offers besides sales. A service that moves money goes through the
/// sale path (`Operation::Start` with `Flow::Service`: journaled first, keyed, recovered,
/// reported apart from sales); one that does not is an `Operation::Query` answered with
/// `Reply::Info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub id: ServiceId,
    /// The menu line: "Agent balance", "Wallet top-up".
    pub label: String,
    /// What the operator types, in order; a money-moving service's amount is the request's
    /// amount, typed on the amount screen, not one of these.
    pub fields: Vec<FieldSpec>,
    pub moves_money: bool,
}

/// One thing an operator types or picks for a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// "Mobile number", "Account number", "Biller".
    pub label: String,
    pub input: FieldInput,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldInput {
    /// Digits on the keypad, between `min` and `max` of them.
    Digits { min: u8, max: u8 },
    /// An amount in the terminal's currency.
    Amount,
    /// One of these, picked from a list.
    Choice(Vec<String>),
}

/// What the operator gave for one field, in the order of `ServiceSpec::fields`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldValue {
    Digits(String),
    Amount(Money),
    /// Index into the field's `Choice` list.
    Choice(usize),
}

/// One line of a service's answer: "Balance" / "LKR 1,250.00", or a statement row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoLine {
    pub label: String,
    pub value: String,
}

/// A provider as the core knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub id: ProviderId,
    /// Display name on the method tile: "mCASH", "MonCash".
    pub name: String,
    pub capabilities: Capabilities,
}

/// The provider's own handle for a started payment (mCASH tid, MonCash order id, ...).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentHandle(pub String);

impl fmt::Debug for PaymentHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the customer must do, as the provider answered a start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prompt {
    /// Show this payload as a QR code until `expires_at`.
    Qr { payload: String, expires_at: Millis },
    /// A request was pushed to this phone; wait for approval until `expires_at`.
    PushSent { phone: Msisdn, expires_at: Millis },
    /// Nothing to show: the provider decides at once (card + code, invoice).
    Immediate,
}

/// What the core asks a provider to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Start a payment; idempotent on the sale key where the provider has such a key.
    Start(SaleRequest),
    Status(PaymentHandle),
    /// Abort a payment not yet approved.
    Cancel(PaymentHandle),
    /// Capture an authorization (vending, after the vend succeeded).
    Capture(PaymentHandle, Money),
    /// Release an authorization (vending, the vend failed).
    Release(PaymentHandle),
    /// Give money back for an approved sale; `key` is the refund's own idempotency key.
    Refund {
        handle: PaymentHandle,
        amount: Money,
        key: SaleKey,
    },
    /// After a lost answer or a crash: what happened to the start sent with this request?
    Recover(SaleRequest),
    /// A provider service that moves no money (balance, statement, voucher check): answered
    /// with `Reply::Info`. Never journaled, never retried by the outbox.
    Query {
        service: ServiceId,
        inputs: Vec<FieldValue>,
    },
}

impl Operation {
    /// Whether this call can move money, and so must be journaled before it leaves.
    pub fn moves_money(&self) -> bool {
        matches!(
            self,
            Operation::Start(_)
                | Operation::Capture(..)
                | Operation::Refund { .. }
                | Operation::Release(_)
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Operation::Start(_) => "start",
            Operation::Status(_) => "status",
            Operation::Cancel(_) => "cancel",
            Operation::Capture(..) => "capture",
            Operation::Release(_) => "release",
            Operation::Refund { .. } => "refund",
            Operation::Recover(_) => "recover",
            Operation::Query { .. } => "query",
        }
    }
}

/// Where a payment stands at the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStatus {
    Pending,
    /// Authorized, waiting for capture or release (vending).
    Authorized,
    Approved {
        reference: String,
    },
    Declined {
        reason: String,
    },
    Expired,
    Cancelled,
    Released,
    Refunded {
        reference: String,
    },
}

impl PaymentStatus {
    pub fn is_final(&self) -> bool {
        !matches!(self, PaymentStatus::Pending | PaymentStatus::Authorized)
    }
}

/// A successful answer to an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Started {
        handle: PaymentHandle,
        prompt: Prompt,
    },
    Status(PaymentStatus),
    /// The provider confirmed the abort, or answered that it was too late with the final
    /// status it has (an approval that beat the cancel).
    Cancelled(PaymentStatus),
    Captured {
        reference: String,
    },
    Released,
    Refunded {
        reference: String,
    },
    /// The provider has never seen this sale: it is safe to say nothing moved.
    NotFound,
    /// The provider knows the sale: here is its handle, where it stands, and, while it is still
    /// open, what to show the customer again.
    Found {
        handle: PaymentHandle,
        status: PaymentStatus,
        prompt: Option<Prompt>,
    },
    /// Recovery found nothing and its re-sent create made the payment request just now (mCASH
    /// 201): the first create never reached the provider. Open and payable until aborted.
    Created {
        handle: PaymentHandle,
        prompt: Option<Prompt>,
    },
    /// The answer to an `Operation::Query`, for a person.
    Info(Vec<InfoLine>),
    /// The answer to the query of `Capabilities::amount_due`: what is due, and what to show
    /// about it (the invoice, its amount, its state) before the customer confirms.
    Due {
        due: Money,
        lines: Vec<InfoLine>,
    },
}

/// How a failure is to be treated; classified once, in `providers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureKind {
    /// Not sent or refused before doing anything: safe to retry with backoff.
    Transient,
    /// Credentials refused even after one renewal.
    Auth,
    /// Final refusal with the provider's code and message.
    Rejected,
    /// Sent, no answer: the operation may or may not have happened. Recover, never resend.
    InDoubt,
}

/// A classified provider failure. `message` is for people and never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            code: None,
            message: message.into(),
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Failure {
        self.code = Some(code.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} ({code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}
