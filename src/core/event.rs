//! What goes into the core ([`Event`]) and what comes out ([`Effect`]).

use serde::{Deserialize, Serialize};

use super::provider::{Failure, Operation, ProviderId, Reply};
use super::sale::SaleKey;
use super::time::Millis;
use super::view::{OutboxSummary, View};
use crate::money::Money;

/// A key of the keypad, the desktop keyboard or the on-screen keypad: all map to these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    Digit(u8),
    /// Clear the field.
    Clear,
    /// Remove the last digit.
    Backspace,
    /// Back to a safe place; cancels a payment in progress.
    Cancel,
    Enter,
    /// The supervisor menu (behind the supervisor PIN).
    Menu,
    /// On a QR code: ask for the customer's phone and push the request there instead.
    SendToPhone,
}

/// Identifies the provider call an answer belongs to.
pub type CallId = u64;

/// What a timer is for; the core ignores a timer that no longer matches its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    Poll,
    Expiry,
    RecoverRetry,
    ResultHold,
    /// Kiosk: a screen's time is up (attract, idle, the code's time limit). One armed at a time;
    /// the core works out again what is due when it fires.
    Kiosk,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timer {
    pub kind: TimerKind,
    pub sale: Option<SaleKey>,
}

#[derive(Clone, Debug)]
pub enum Event {
    /// The runtime is ready (recovery done): show the first screen.
    Ready,
    Key(Key),
    /// A tap on the n-th item of the list on screen (method tiles, menu items, history rows).
    Select(usize),
    Answer {
        call: CallId,
        result: Result<Reply, Failure>,
    },
    Timer(Timer),
    Connectivity {
        online: bool,
    },
    /// Vending: the vend controller asks to sell a product at this price.
    VendRequest {
        price: Money,
    },
    /// Vending: whether the product was delivered.
    VendResult {
        sale: SaleKey,
        delivered: bool,
    },
    /// Vending: the machine withdrew its vend request before it was approved (the customer
    /// cancelled, the machine timed out or left the session, or the terminal's own deadline for
    /// the payment passed). The payment is aborted; one that completes anyway is given back
    /// (released, or refunded when it was paid outright), never approved late.
    VendCancel,
    /// A journal write failed: the sale did not start, and new sales are refused until a write
    /// succeeds again.
    JournalFailed {
        sale: SaleKey,
        message: String,
    },
    /// A journal write succeeded after failures.
    JournalHealthy,
    OutboxChanged(OutboxSummary),
    /// The outbox worker carried out (or could not carry out) a person's command.
    OutboxCommandDone {
        command: OutboxCommand,
        result: Result<(), String>,
    },
    /// The outbox worker finished a deferred call and journaled `record` for `sale` (an
    /// outcome, a refund, a start): the core updates what it shows of that sale.
    OutboxDone {
        sale: SaleKey,
        record: super::record::Record,
    },
    /// A deferred call could not be queued (offline limits, storage): `reason` says why.
    DeferRefused {
        sale: SaleKey,
        reason: String,
    },
    ProviderReachable {
        provider: ProviderId,
        reachable: bool,
    },
    /// The provider took (or refused) the agent PIN handed to it with `Effect::Unlock`.
    Unlocked {
        provider: ProviderId,
        result: Result<(), Failure>,
    },
    /// What the journal holds on disk, and how many of its stored values failed their checksum
    /// at start (their sales show in doubt): for the diagnostics screen.
    Storage {
        used_bytes: u64,
        damaged: usize,
    },
}

/// What a supervisor asks of one outbox item from the touchscreen (`kassa queue retry|drop` on
/// the command line). The outbox worker carries it out between two calls, never during one, so an
/// item is not dropped while its call is on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxCommand {
    /// Pending again, attempts reset, due now.
    Retry { id: u64 },
    /// Removed for good: its call is never made. The journal records `who`.
    Drop { id: u64, who: String },
}

impl OutboxCommand {
    pub fn id(&self) -> u64 {
        match self {
            OutboxCommand::Retry { id } | OutboxCommand::Drop { id, .. } => *id,
        }
    }
}

/// Beeps and lights the hardware gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    KeyClick,
    ErrorBeep,
    Approved,
    NotApproved,
}

/// What the runtime must do, in the order given. A `Journal` effect must be durable before the
/// effects after it are carried out: that is how an intent is flushed before its call leaves.
#[derive(Clone, Debug)]
pub enum Effect {
    Journal(super::record::JournalEntry),
    Call {
        call: CallId,
        provider: ProviderId,
        sale: SaleKey,
        op: Operation,
    },
    Arm {
        timer: Timer,
        at: Millis,
    },
    Show(Box<View>),
    Signal(Signal),
    /// Vending: deliver the product for this sale now, then answer with `VendResult`.
    Vend {
        sale: SaleKey,
    },
    /// Vending: the vend request is refused (no payment, declined, expired, cancelled, or the
    /// terminal is busy). Every `VendRequest` is answered exactly once, by `Vend` or by this;
    /// `sale` is the sale the request started, if it started one.
    VendDenied {
        sale: Option<SaleKey>,
        reason: String,
    },
    /// A call that can wait: put it in the outbox (durably), and let the outbox worker carry it
    /// out, with retries, across restarts. The worker answers with `OutboxDone` or, if it could
    /// not even queue it, `DeferRefused`. Used for status checks of in-doubt sales, captures,
    /// releases and refunds that failed for now, and push requests taken while offline.
    Defer {
        sale: SaleKey,
        provider: ProviderId,
        op: Operation,
    },
    /// Hand a person's command to the outbox worker; it answers with `OutboxCommandDone`.
    Outbox(OutboxCommand),
    /// Give this provider the agent PIN typed at the start of a shift
    /// (`PaymentProvider::unlock`); the runtime answers with `Unlocked`. Never journaled.
    Unlock {
        provider: ProviderId,
        pin: secrecy::SecretString,
    },
    /// Make this provider forget its agent PIN (`PaymentProvider::lock`): sign-out, the
    /// supervisor locking the terminal.
    Lock {
        provider: ProviderId,
    },
}
