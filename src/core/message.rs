//! What the core tells a person, as data: the screens carry these typed messages (with their
//! amounts, counts, provider names and the provider's own words) and the UI layer
//! (`ui::words`) writes them in the terminal's language. The core never builds a sentence, so a
//! translation can move every part and a test can check what was said, not how.
//!
//! Text that comes from a provider (a decline reason, a service's label, a failure's message) is
//! carried as it came: it is the provider's, in the provider's language.

use serde::{Deserialize, Serialize};

use super::sale::{InputError, SaleKey};
use super::settings::Mode;
use crate::money::Money;

/// An error under a field or a line a supervisor page shows about what just happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    // The amount and the choice of a way to pay.
    /// A digit more would pass the largest amount a sale may have.
    AmountTooLarge {
        max: Money,
    },
    TypeAmountFirst,
    /// No amount typed, and this provider cannot say what is due (only an invoice provider can).
    ProviderNeedsAmount {
        provider: String,
    },
    /// The journal cannot be written: no sale starts.
    SalesStopped,
    NoMethodEnabled,
    /// The terminal id cannot make a sale key (a config mistake).
    SaleKeyFailed {
        why: InputError,
    },
    /// The provider's flows fit none of the tiles this terminal shows.
    NoWayToPay {
        provider: String,
    },
    /// A number outside the list was pressed.
    ChooseOneTo {
        count: usize,
    },
    NoPushToPhone {
        provider: String,
    },
    /// The provider waits for its agent PIN.
    ProviderLocked {
        provider: String,
    },
    /// A customer's input was refused (phone, card, code, invoice number).
    Input(InputError),

    // Vending: the machine's price refused.
    VendWrongCurrency {
        price: Money,
        currency: String,
    },
    VendOutOfRange {
        price: Money,
    },
    /// No enabled provider can authorize, or pay and refund, by QR code.
    NoVendProvider,

    // PINs.
    NoSupervisorPin,
    WrongPin {
        tries: u32,
        allowed: u32,
    },
    /// Too many wrong PINs: locked for `seconds` more.
    PinLocked {
        seconds: u64,
    },
    AgentPinLength {
        min: u8,
        max: u8,
    },
    /// The provider refused the agent PIN (its own words).
    NotUnlocked {
        reason: String,
    },

    // Provider services.
    FieldDigits {
        label: Label,
        min: u8,
        max: u8,
    },
    FieldAmount {
        label: Label,
        max: Money,
    },
    FieldChoose {
        label: Label,
    },
    /// A money-moving service refused: the journal cannot be written.
    ServicesStopped,
    SaleInProgress,
    QueryNotNumbered,
    /// The provider answered with something the terminal did not ask for (described as data).
    UnexpectedAnswer {
        answer: String,
    },
    /// The query failed; the failure as the provider (or the network) put it.
    ServiceFailed {
        reason: String,
    },

    // The amount due before a sale (an invoice): each refusal comes before anything is charged.
    DueOtherCurrency {
        answered: String,
        sells: String,
    },
    NothingDue,
    MoreThanDue {
        typed: Money,
        due: Money,
    },
    /// The question about what is due did not get through; nothing was charged.
    DueUnreachable {
        reason: String,
    },
    /// The provider refused the question (an unknown invoice, say), in its own words.
    DueRefused {
        reason: String,
    },

    // Supervisor pages.
    NoApprovedSale,
    ReportFailed,
    CannotRefundNow,
    RefundKeyTooLong,
    Refunded {
        reference: String,
    },
    RefundRefused {
        reason: String,
    },
    RefundUnreachable {
        reason: String,
    },
    /// Nobody knows whether the refund happened: flagged for a person.
    RefundUnconfirmed {
        reason: String,
    },
    RecoveryAcknowledged,

    // The outbox screens.
    OutboxDropping,
    OutboxRetrying,
    /// The item on screen finished by itself.
    OutboxItemDone {
        id: u64,
    },
    OutboxItemDue {
        id: u64,
    },
    OutboxDropped {
        id: u64,
    },
    OutboxRetryFailed {
        id: u64,
        reason: String,
    },
    OutboxDropFailed {
        id: u64,
        reason: String,
    },

    // Kiosk: what staff learns when clearing "call staff".
    StaffCleared {
        sale: SaleKey,
    },
    StillInDoubt {
        sale: SaleKey,
        amount: Money,
        provider: String,
    },
    PaidAfterAll {
        sale: SaleKey,
        amount: Money,
        provider: String,
    },
    NotPaidAfterAll {
        sale: SaleKey,
        amount: Money,
        provider: String,
    },
}

/// The name of an input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Label {
    CustomerPhone,
    CardNumber,
    PaymentCode,
    InvoiceNumber,
    Amount,
    /// A provider's service field, named by the provider's spec.
    Named(String),
}

/// What the customer-details and service pages tell the person to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hint {
    PhoneOrQr,
    Phone,
    CardAndCode,
    Invoice,
    /// A service's choice: tap it or press its number.
    Choice,
    Amount,
    Digits,
}

/// One line of the supervisor menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MenuItem {
    RefundLastSale,
    History,
    DailyReport,
    Outbox,
    Settings,
    Diagnostics,
    SignOut,
    /// A provider's service, by the provider's names.
    Service {
        provider: String,
        service: String,
    },
    Unlock {
        provider: String,
    },
    Lock,
    /// The recovery summary waits to be seen: `count` sales.
    RecoverySummary {
        count: usize,
    },
}

/// One row of the settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    Terminal(String),
    Mode(Mode),
    /// The ISO code.
    Currency(String),
    LargestSale(Money),
    /// The enabled providers, by name, in order.
    Methods(Vec<String>),
}

/// What one diagnostics line checked and found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Checked {
    Version(String),
    Terminal(String),
    Network {
        online: bool,
    },
    Journal {
        failing: bool,
    },
    Outbox {
        pending: usize,
        dead: usize,
    },
    /// Bytes the journal's storage uses.
    Storage {
        bytes: u64,
    },
    /// Journal records that could not be read.
    Damaged {
        count: usize,
    },
    /// A provider's reachability; `None` before the first check.
    Provider {
        name: String,
        reachable: Option<bool>,
    },
}

/// What an outbox item's call does (the sale and provider are shown beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxCall {
    StatusCheck,
    Capture(Money),
    Release,
    Refund(Money),
    /// The day, `YYYY-MM-DD`.
    ReportClose(String),
    QueuedPush(Money),
    Recover,
    Abort,
}
