//! What a front-end shows: the core's whole screen as plain data. The Slint UI, the console of
//! `kassa pay` and the tests all render from this, so what a cashier sees is decided here once.

use serde::{Deserialize, Serialize};

use super::locale::Locale;
use super::message::{Checked, Hint, Label, MenuItem, Message, OutboxCall, Setting};
use super::provider::{FlowKind, InfoLine, ProviderId};
use super::record::Outcome;
/// Screens list sale rows; the type lives with the journal records it is summed from.
pub use super::record::SaleRow;
use super::report::DayReport;
use super::sale::{Msisdn, SaleKey};
pub use super::summary::SummaryItem;
use super::time::Millis;
use crate::money::Money;

/// The bar on every screen.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusBar {
    pub terminal_id: String,
    pub online: bool,
    pub outbox_pending: usize,
    pub cashier: Option<String>,
    /// Journal writes are failing: new sales are refused.
    pub storage_failing: bool,
    /// The terminal's zone and locale: how the clock, times and amounts of every screen read.
    pub local: crate::core::locale::Local,
    /// Kiosk mode: every screen is presented to a customer alone (customer words, no operator
    /// details in the bar). `None` outside kiosk mode.
    #[serde(default)]
    pub kiosk: Option<KioskFrame>,
}

/// A line a supervisor page shows about what just happened. Its tone picks the colour, so news
/// ("Dropped #3") never reads as an error and a refusal never reads as news.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub tone: Tone,
    pub message: Message,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tone {
    /// Plain information: what is under way, what a page holds.
    Info,
    /// Good news: something asked for was done (a refund confirmed), a check passed.
    Good,
    /// Something was refused, failed, or cannot be undone: read before going on.
    Problem,
}

impl Notice {
    pub fn info(message: Message) -> Notice {
        Notice {
            tone: Tone::Info,
            message,
        }
    }

    pub fn good(message: Message) -> Notice {
        Notice {
            tone: Tone::Good,
            message,
        }
    }

    pub fn problem(message: Message) -> Notice {
        Notice {
            tone: Tone::Problem,
            message,
        }
    }
}

/// One line of the diagnostics page: what was checked, what was found, and whether that is good,
/// so a failing part stands out without reading every line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub checked: Checked,
    pub tone: Tone,
}

impl Check {
    pub fn new(checked: Checked, tone: Tone) -> Check {
        Check { checked, tone }
    }
}

/// The outbox as the terminal shows it: exact counts, and the first items in queue order.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OutboxSummary {
    pub pending: usize,
    /// Given up items plus damaged ones (which only `kassa queue` can list).
    pub dead: usize,
    /// At most [`OutboxSummary::SHOWN`] items, oldest first, for the outbox screen.
    pub items: Vec<OutboxRow>,
}

impl OutboxSummary {
    /// How many items the outbox screen lists; the counts above stay exact.
    pub const SHOWN: usize = 50;
}

/// One outbox item as a supervisor sees it, to retry or drop it from the touchscreen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: u64,
    /// The sale it is about; `None` for a report close.
    pub sale: Option<SaleKey>,
    pub provider: ProviderId,
    /// What the call does (a refund of 5.00 NOK, the queued payment request).
    pub what: OutboxCall,
    pub created_at: Millis,
    pub attempts: u32,
    pub next_try: Millis,
    pub last_error: Option<String>,
    /// Given up: waits for a person.
    pub dead: bool,
}

/// One method tile: one way to pay at one provider (a provider with several has a tile each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    pub provider: ProviderId,
    pub name: String,
    pub flow: FlowKind,
}

/// One input field of the customer input screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub label: Label,
    /// What to draw: the digits, or dots for a payment code.
    pub shown: String,
    pub active: bool,
}

/// Where a sale in progress stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// The start call is out.
    Starting,
    /// Show this QR code.
    Qr { payload: String, expires_at: Millis },
    /// A request was pushed to this phone.
    Push { phone: Msisdn, expires_at: Millis },
    /// The provider decides without the customer doing more.
    Deciding,
    /// An answer was lost: asking the provider what happened (attempt n).
    Checking { attempt: u32 },
    /// Vending: the product is being delivered.
    Vending,
    /// Vending: capturing or releasing after the vend.
    Settling,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Screen {
    /// Looking into unfinished sales (from before a restart) before taking new ones.
    Recovering {
        /// Sales still to resolve, the current one included.
        remaining: usize,
        current: Option<SaleKey>,
    },
    /// Cashier sign-in: `digits` typed so far (shown as dots).
    Login {
        digits: usize,
        error: Option<Message>,
    },
    /// Amount entry (cashier, kiosk) or "choose a product" (vending, `vending_idle`).
    Amount {
        amount: Money,
        error: Option<Message>,
        vending_idle: bool,
    },
    Method {
        amount: Money,
        tiles: Vec<Tile>,
        error: Option<Message>,
    },
    Customer {
        amount: Money,
        provider: String,
        fields: Vec<Field>,
        hint: Hint,
        error: Option<Message>,
    },
    /// What the provider says is due for the customer's details (an invoice), before the sale:
    /// `pay` is `None` while the question is out; then Enter pays it and Cancel goes back to the
    /// details. `lines` are the provider's (the invoice, its amount, its state).
    AmountDue {
        provider: String,
        due: Option<Money>,
        pay: Option<Money>,
        lines: Vec<InfoLine>,
    },
    /// A payment in progress. Cancel is always offered; `cancelling` once asked.
    Paying {
        sale: SaleKey,
        amount: Money,
        provider: String,
        waiting: Waiting,
        cancelling: bool,
        /// The "Send to phone" key is offered: the QR request is cancelled first, then the
        /// customer's phone is asked for.
        send_to_phone: bool,
    },
    Result {
        sale: SaleKey,
        amount: Money,
        provider: String,
        outcome: Outcome,
        late_approval: bool,
        /// Whether the supervisor may refund this sale from here.
        refund_offered: bool,
    },
    /// A push request taken while offline: it waits in the outbox and is sent when the terminal
    /// is back online. Not paid: the customer approves it on the phone later, or not.
    Queued {
        sale: SaleKey,
        amount: Money,
        provider: String,
        phone: Msisdn,
    },
    SupervisorPin {
        digits: usize,
        error: Option<Message>,
    },
    Menu {
        items: Vec<MenuItem>,
        message: Option<Notice>,
    },
    History {
        rows: Vec<SaleRow>,
    },
    SaleDetail {
        row: SaleRow,
        can_refund: bool,
        message: Option<Notice>,
    },
    RefundConfirm {
        row: SaleRow,
    },
    Refunding {
        row: SaleRow,
    },
    Report(DayReport),
    Outbox {
        summary: OutboxSummary,
        message: Option<Notice>,
    },
    /// One outbox item: retry it now (Enter) or drop it (Clear, then Enter to confirm).
    OutboxItem {
        row: OutboxRow,
        confirm_drop: bool,
        message: Option<Notice>,
    },
    Settings {
        rows: Vec<Setting>,
    },
    /// The display languages to pick from (Select), `current` the one shown now.
    Language {
        current: Locale,
        choices: Vec<Locale>,
    },
    Diagnostics {
        checks: Vec<Check>,
    },
    /// What the recovery at this start decided, per sale; Enter acknowledges it. In a kiosk
    /// only behind the supervisor PIN (`from_menu`).
    RecoverySummary {
        items: Vec<SummaryItem>,
        from_menu: bool,
    },
    /// A provider service's fields (supervisor menu): digits and amounts on the keypad; while
    /// the active field is a choice, `choices` lists it (a tap or its number picks one).
    ServiceForm {
        provider: String,
        service: String,
        fields: Vec<Field>,
        choices: Vec<String>,
        hint: Hint,
        error: Option<Message>,
    },
    /// A money-moving service, asked before it starts: what will be sent, and the amount.
    ServiceConfirm {
        provider: String,
        service: String,
        amount: Money,
        lines: Vec<InfoLine>,
    },
    /// A query is out at the provider.
    ServiceWaiting {
        provider: String,
        service: String,
    },
    /// A query's answer (a list to scroll), or `error` when it failed.
    ServiceInfo {
        provider: String,
        service: String,
        lines: Vec<InfoLine>,
        error: Option<Message>,
    },
    /// A provider's agent PIN at the start of a shift: `digits` typed (shown as dots).
    AgentPin {
        provider: String,
        digits: usize,
        error: Option<Message>,
        checking: bool,
    },
    /// Kiosk: nobody touched the start screen for a while. A touch or a key leaves it.
    Attract {
        /// The operator's fixed price, when there is one.
        fixed_amount: Option<Money>,
        /// The ways to pay, by name.
        providers: Vec<String>,
    },
    /// Kiosk: a sale nobody can call paid or not paid yet (in doubt). The customer cannot
    /// clear it; staff does, with the supervisor PIN (Enter or Menu asks for it). The sale
    /// itself stays with the outbox, which keeps asking the provider.
    CallStaff {
        sale: SaleKey,
        amount: Money,
        provider: String,
        /// Where the sale stands now: in doubt, or what the outbox has learnt since.
        outcome: Outcome,
    },
}

/// How a kiosk presents a screen to a customer alone (customer words, big targets, no key
/// needed to go on). `None` outside kiosk mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskFrame {
    /// The code is printed on a sticker beside the screen: the code screen shows none.
    pub sticker: bool,
    /// The operator fixed the price: the start screen has only Pay.
    pub fixed_amount: bool,
    /// When this screen gives way by itself: the code screen gives up, a result returns to
    /// the start. For the countdown the customer sees.
    pub until: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub status: StatusBar,
    pub screen: Screen,
}

impl View {
    /// True only when the screen says the customer has paid. Every front-end draws the approved
    /// look from this one test, so a queued or in-doubt sale can never look paid.
    pub fn shows_paid(&self) -> bool {
        matches!(&self.screen, Screen::Result { outcome, .. } if outcome.is_approved())
    }
}
