//! The terminal's data: what screen it is on ([`State`]), the sale in progress ([`ActiveSale`])
//! and the calls it waits on. Kept apart from the behaviour files so each of them reads the
//! same vocabulary and none imports another.

pub(super) use super::due::Asked;
use crate::core::event::CallId;
use crate::core::message::Message;
use crate::core::provider::{
    FieldValue, InfoLine, PaymentHandle, Prompt, ProviderId, ProviderInfo,
};
use crate::core::resume::Left;
use crate::core::sale::{Msisdn, SaleKey, SaleRequest};
use crate::core::view::Notice;
use crate::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CancelReason {
    Cashier,
    Expiry,
    /// Found waiting for the customer after a restart: the screen that showed it is gone.
    Restart,
    /// The cashier asked to push the request to a phone instead of the QR: once the provider
    /// confirms the QR request cancelled, the phone is asked for and a new sale is pushed.
    SendToPhone,
    /// Vending: the machine withdrew its vend request (its cancel, time-out or session end, or
    /// the terminal's deadline for the payment): whatever completes is given back.
    Machine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Starting,
    Awaiting,
    Cancelling,
    Checking { attempt: u32 },
    Vending,
    Settling { attempt: u32, delivered: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CallKind {
    Start,
    Status,
    Cancel,
    Capture,
    Release,
    Refund,
    Recover,
    /// A provider service that moves no money (`Operation::Query`).
    Query,
}

#[derive(Clone, Debug)]
pub(super) struct PendingCall {
    pub(super) sale: SaleKey,
    pub(super) kind: CallKind,
}

#[derive(Clone, Debug)]
pub(super) struct ActiveSale {
    pub(super) request: SaleRequest,
    pub(super) provider: ProviderInfo,
    pub(super) handle: Option<PaymentHandle>,
    pub(super) prompt: Option<Prompt>,
    pub(super) phase: Phase,
    pub(super) cancel: Option<CancelReason>,
    pub(super) cancel_attempts: u32,
    pub(super) status_in_flight: bool,
    /// The expiry passed and the provider could not cancel: the next expiry timer flags it.
    pub(super) past_expiry: bool,
    /// Resumed after a restart, and what to do with an authorization found standing.
    pub(super) resumed: Option<Left>,
    /// Vending with a provider that cannot authorize: the payment's reference once it was paid
    /// outright, while the product is being vended (a failed vend is refunded).
    pub(super) paid: Option<String>,
}

/// A sale cancelled at the terminal at a provider that cannot cancel, watched until its
/// request expires so that a late payment is caught (`watch`).
#[derive(Clone, Debug)]
pub(super) struct Watch {
    pub(super) handle: PaymentHandle,
    pub(super) provider: ProviderId,
    /// Watched until then (the request's expiry plus a grace).
    pub(super) until: crate::core::time::Millis,
    pub(super) in_flight: bool,
}

/// What a customer input screen asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum FormKind {
    /// Phone number; empty means show a QR instead. Reached with "Send to phone" on a QR, or
    /// directly when the provider cannot be reached (a push can wait in the outbox, a QR not).
    PhoneOrQr,
    Phone,
    CardAndCode,
    Invoice,
}

#[derive(Clone, Debug)]
pub(super) struct Form {
    pub(super) kind: FormKind,
    pub(super) fields: Vec<String>,
    pub(super) active: usize,
}

impl Form {
    pub(super) fn new(kind: FormKind) -> Form {
        let n = if kind == FormKind::CardAndCode { 2 } else { 1 };
        Form {
            kind,
            fields: vec![String::new(); n],
            active: 0,
        }
    }

    pub(super) fn max_len(&self) -> usize {
        match (&self.kind, self.active) {
            (FormKind::CardAndCode, 0) => 19,
            (FormKind::CardAndCode, _) => 8,
            (FormKind::Invoice, _) => 20,
            _ => 15,
        }
    }
}

#[derive(Clone, Debug)]
pub(super) enum State {
    Recovering,
    Login {
        pin: String,
        error: Option<Message>,
    },
    Amount {
        minor: i64,
        error: Option<Message>,
    },
    Method {
        amount: Money,
        error: Option<Message>,
        /// Send to phone was pressed instead of Pay: the chosen provider asks for the phone.
        to_phone: bool,
    },
    Customer {
        amount: Money,
        provider: usize,
        form: Form,
        error: Option<Message>,
    },
    /// The provider is asked what is due for the customer's details (`due`).
    DueChecking {
        asked: Asked,
        call: CallId,
    },
    /// What the provider said is due, until the cashier confirms: `pay` is what Enter pays
    /// (the typed amount, or with none typed the amount due).
    DueConfirm {
        asked: Asked,
        pay: Money,
        due: Money,
        lines: Vec<InfoLine>,
    },
    Paying,
    Result {
        sale: SaleKey,
    },
    /// A push request taken offline: in the outbox, not paid.
    Queued {
        sale: SaleKey,
        phone: Msisdn,
    },
    SupervisorPin {
        pin: String,
        error: Option<Message>,
    },
    Menu {
        message: Option<Notice>,
    },
    History,
    SaleDetail {
        sale: SaleKey,
        message: Option<Notice>,
    },
    RefundConfirm {
        sale: SaleKey,
    },
    Refunding {
        sale: SaleKey,
    },
    Report,
    Outbox {
        message: Option<Notice>,
    },
    /// One outbox item, by id; `confirm_drop` once the supervisor asked to drop it.
    OutboxItem {
        id: u64,
        confirm_drop: bool,
        message: Option<Notice>,
    },
    SettingsScreen,
    /// The supervisor picks the display language (from the settings page).
    Language,
    Diagnostics,
    /// The recovery summary; `from_menu` when a supervisor opened it (kiosk, vending).
    Summary {
        from_menu: bool,
    },
    /// The fields of a provider service, one at a time (`services`).
    ServiceForm {
        provider: usize,
        service: usize,
        form: ServiceForm,
        error: Option<Message>,
    },
    /// A money-moving service, asked before it is started through the sale path.
    ServiceConfirm {
        provider: usize,
        service: usize,
        inputs: Vec<FieldValue>,
        amount: Money,
    },
    /// A query is out; its answer opens `ServiceInfo`.
    ServiceWaiting {
        provider: usize,
        service: usize,
        call: CallId,
    },
    /// A query's answer, or why it failed.
    ServiceInfo {
        provider: usize,
        service: usize,
        lines: Vec<InfoLine>,
        error: Option<Message>,
    },
    /// A provider's agent PIN, typed at the start of a shift; `checking` while the provider
    /// is being unlocked with it.
    AgentPin {
        provider: usize,
        pin: PinDigits,
        error: Option<Message>,
        checking: bool,
    },
    /// Kiosk: the attract screen, shown when the start screen was left alone.
    Attract,
    /// Kiosk: an in-doubt sale waits for staff; only the supervisor PIN clears it.
    CallStaff {
        sale: SaleKey,
    },
    /// Kiosk: the supervisor PIN asked from the call-staff screen (Cancel goes back there).
    StaffPin {
        sale: SaleKey,
        pin: String,
        error: Option<Message>,
    },
}

/// What the operator typed so far for each field of a service (digits, amount digits, or the
/// chosen index), and which field is active. A money-moving service has one more field at the
/// end: its amount.
#[derive(Clone, Debug, Default)]
pub(super) struct ServiceForm {
    pub(super) values: Vec<String>,
    pub(super) active: usize,
}

/// Digits of a PIN being typed: a secret from the first key, zeroized when dropped, never in
/// Debug. Handed to the runtime as a `SecretString`.
pub(super) struct PinDigits(secrecy::SecretBox<String>);

impl PinDigits {
    pub(super) fn new() -> PinDigits {
        PinDigits(secrecy::SecretBox::new(Box::default()))
    }
    pub(super) fn len(&self) -> usize {
        use secrecy::ExposeSecret;
        self.0.expose_secret().len()
    }
    pub(super) fn push(&mut self, c: char) {
        use secrecy::ExposeSecretMut;
        self.0.expose_secret_mut().push(c);
    }
    pub(super) fn pop(&mut self) {
        use secrecy::ExposeSecretMut;
        self.0.expose_secret_mut().pop();
    }
    pub(super) fn secret(&self) -> secrecy::SecretString {
        use secrecy::ExposeSecret;
        secrecy::SecretString::from(self.0.expose_secret().as_str())
    }
}

impl Clone for PinDigits {
    fn clone(&self) -> PinDigits {
        use secrecy::ExposeSecret;
        PinDigits(secrecy::SecretBox::new(Box::new(
            self.0.expose_secret().clone(),
        )))
    }
}

impl std::fmt::Debug for PinDigits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinDigits({} digits)", self.len())
    }
}
