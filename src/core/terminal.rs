//! The terminal state machine. One sale at a time is in progress (`active`); the screen state
//! (`State`) says what the person in front of the terminal is doing. Provider calls are tracked
//! by call id, so a late answer is matched to its sale even after the screen moved on: an
//! approval is never dropped, whenever it arrives.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::event::{CallId, Effect, Event, Key, OutboxCommand, Signal, Timer, TimerKind};
use super::pin::{PinGuard, PinStep, pin_key};
use super::provider::{
    Failure, FailureKind, FlowKind, Operation, PaymentHandle, PaymentStatus, Prompt, ProviderId,
    ProviderInfo, Reply,
};
use super::record::{JournalEntry, Outcome, Record};
use super::report::{DayReport, day_of};
use super::resume::{Left, Resume};
use super::sale::{
    Capture, CardNumber, Flow, InvoiceNumber, Msisdn, PaymentCode, SaleKey, SaleRequest,
};
use super::view::{
    Check, Field, Notice, OutboxSummary, SaleRow, Screen, StatusBar, Tile, Tone, View, Waiting,
};
use super::{Millis, Mode, Settings};
use crate::money::Money;

/// How many finished sales the core keeps for history, refunds and the day's report.
const HISTORY_LEN: usize = 500;
/// After this many failed cancel attempts the sale is flagged rather than waited on forever.
const CANCEL_ATTEMPTS: u32 = 5;
/// How long past its expiry a payment the provider cannot cancel is waited on.
const EXPIRY_GRACE_MS: u64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CancelReason {
    Cashier,
    Expiry,
    /// Found waiting for the customer after a restart: the screen that showed it is gone.
    Restart,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Starting,
    Awaiting,
    Cancelling,
    Checking { attempt: u32 },
    Vending,
    Settling { attempt: u32, delivered: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallKind {
    Start,
    Status,
    Cancel,
    Capture,
    Release,
    Refund,
    Recover,
}

#[derive(Clone, Debug)]
struct PendingCall {
    sale: SaleKey,
    kind: CallKind,
}

#[derive(Clone, Debug)]
struct ActiveSale {
    request: SaleRequest,
    provider: ProviderInfo,
    handle: Option<PaymentHandle>,
    prompt: Option<Prompt>,
    phase: Phase,
    cancel: Option<CancelReason>,
    cancel_attempts: u32,
    status_in_flight: bool,
    /// The expiry passed and the provider could not cancel: the next expiry timer flags it.
    past_expiry: bool,
    /// Resumed after a restart, and what to do with an authorization found standing.
    resumed: Option<Left>,
}

/// What a customer input screen asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum FormKind {
    /// Phone number; empty means show a QR instead.
    PhoneOrQr,
    Phone,
    CardAndCode,
    Invoice,
}

#[derive(Clone, Debug)]
struct Form {
    kind: FormKind,
    fields: Vec<String>,
    active: usize,
}

impl Form {
    fn new(kind: FormKind) -> Form {
        let n = if kind == FormKind::CardAndCode { 2 } else { 1 };
        Form {
            kind,
            fields: vec![String::new(); n],
            active: 0,
        }
    }

    fn max_len(&self) -> usize {
        match (&self.kind, self.active) {
            (FormKind::CardAndCode, 0) => 19,
            (FormKind::CardAndCode, _) => 8,
            (FormKind::Invoice, _) => 20,
            _ => 15,
        }
    }
}

#[derive(Clone, Debug)]
enum State {
    Recovering,
    Login {
        pin: String,
        error: Option<String>,
    },
    Amount {
        minor: i64,
        error: Option<String>,
    },
    Method {
        amount: Money,
        error: Option<String>,
    },
    Customer {
        amount: Money,
        provider: usize,
        form: Form,
        error: Option<String>,
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
        error: Option<String>,
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
    Diagnostics,
}

const MENU: [&str; 7] = [
    "Refund last sale",
    "History",
    "Daily report",
    "Outbox",
    "Settings",
    "Diagnostics",
    "Sign out",
];

/// The terminal. Feed it events with [`Terminal::handle`]; carry out the effects it returns.
pub struct Terminal {
    settings: Settings,
    providers: Vec<ProviderInfo>,
    state: State,
    next_sequence: u64,
    next_call: CallId,
    calls: HashMap<CallId, PendingCall>,
    active: Option<ActiveSale>,
    history: VecDeque<SaleRow>,
    handles: HashMap<SaleKey, (PaymentHandle, ProviderId)>,
    supervisor_guard: PinGuard,
    login_guard: PinGuard,
    cashier: Option<String>,
    online: bool,
    outbox: OutboxSummary,
    journal_failing: bool,
    reachable: BTreeMap<ProviderId, bool>,
    shown: Option<View>,
    /// Unfinished sales from before a restart, resolved one by one before new sales.
    resuming: VecDeque<Resume>,
    /// `Event::Ready` came: providers are started and resuming may begin.
    ready: bool,
    /// Journal size on disk and damaged values, when the runtime has said.
    storage: Option<(u64, usize)>,
    /// A supervisor's outbox command the worker has not answered yet.
    outbox_command: Option<OutboxCommand>,
}

impl Terminal {
    /// A terminal that starts in the recovering state; send [`Event::Ready`] once the runtime
    /// has resolved unfinished sales. `next_sequence` comes from the journal so sale keys never
    /// repeat; `history` is what the journal holds of recent sales.
    pub fn new(
        settings: Settings,
        providers: Vec<ProviderInfo>,
        next_sequence: u64,
        history: Vec<SaleRow>,
    ) -> Terminal {
        let mut rows: VecDeque<SaleRow> = history.into_iter().collect();
        while rows.len() > HISTORY_LEN {
            rows.pop_front();
        }
        Terminal {
            settings,
            providers,
            state: State::Recovering,
            next_sequence,
            next_call: 1,
            calls: HashMap::new(),
            active: None,
            history: rows,
            handles: HashMap::new(),
            supervisor_guard: PinGuard::default(),
            login_guard: PinGuard::default(),
            cashier: None,
            online: true,
            outbox: OutboxSummary::default(),
            journal_failing: false,
            reachable: BTreeMap::new(),
            shown: None,
            resuming: VecDeque::new(),
            ready: false,
            storage: None,
            outbox_command: None,
        }
    }

    /// Hands over the sales the journal found unfinished. Call before `Event::Ready`; the
    /// terminal stays on the recovering screen until each is resolved through its provider.
    pub fn resume(&mut self, sales: Vec<Resume>) {
        for r in sales {
            if self.row(&r.request.key).is_none() {
                self.push_row(SaleRow {
                    key: r.request.key.clone(),
                    provider: r.provider.clone(),
                    amount: r.request.amount,
                    started_at: r.started_at,
                    outcome: None,
                    late_approval: false,
                    refunded: None,
                });
            }
            if let Some(h) = &r.handle {
                self.handles
                    .insert(r.request.key.clone(), (h.clone(), r.provider.clone()));
            }
            self.resuming.push_back(r);
        }
    }

    /// The screen as it stands, for front-ends that attach late.
    pub fn view(&self) -> View {
        View {
            status: StatusBar {
                terminal_id: self.settings.terminal_id.clone(),
                online: self.online,
                outbox_pending: self.outbox.pending,
                cashier: self.cashier.clone(),
                storage_failing: self.journal_failing,
            },
            screen: self.screen(),
        }
    }

    /// The sequence number the next sale will use.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// Remembers the provider handle of a past sale (from the journal), so it can be refunded.
    pub fn know_handle(&mut self, sale: SaleKey, provider: ProviderId, handle: PaymentHandle) {
        self.handles.insert(sale, (handle, provider));
    }

    /// Takes one event; returns what must be done, in order.
    pub fn handle(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        let mut fx = Vec::new();
        match event {
            Event::Ready => {
                if !self.ready {
                    self.ready = true;
                    self.next_resume(now, &mut fx);
                }
            }
            Event::Key(key) => self.on_key(now, key, &mut fx),
            Event::Select(i) => self.on_select(now, i, &mut fx),
            Event::Answer { call, result } => self.on_answer(now, call, result, &mut fx),
            Event::Timer(timer) => self.on_timer(now, timer, &mut fx),
            Event::Connectivity { online } => {
                self.online = online;
                if online {
                    // A provider found unreachable at start-up is tried again once the network
                    // is back; its next failure marks it again.
                    self.reachable.retain(|_, up| *up);
                }
            }
            Event::VendRequest { price } => self.on_vend_request(now, price, &mut fx),
            Event::VendResult { sale, delivered } => {
                self.on_vend_result(now, sale, delivered, &mut fx)
            }
            Event::JournalFailed { sale, message } => self.on_journal_failed(sale, message),
            Event::JournalHealthy => self.journal_failing = false,
            Event::OutboxChanged(summary) => self.on_outbox_changed(summary),
            Event::OutboxCommandDone { command, result } => {
                self.on_outbox_command_done(command, result)
            }
            Event::OutboxDone { sale, record } => self.on_outbox_done(sale, record),
            Event::DeferRefused { sale, reason } => {
                self.on_defer_refused(now, sale, reason, &mut fx)
            }
            Event::ProviderReachable {
                provider,
                reachable,
            } => {
                self.reachable.insert(provider, reachable);
            }
            Event::Storage {
                used_bytes,
                damaged,
            } => self.storage = Some((used_bytes, damaged)),
        }
        let view = self.view();
        if self.shown.as_ref() != Some(&view) {
            self.shown = Some(view.clone());
            fx.push(Effect::Show(Box::new(view)));
        }
        fx
    }

    fn home(&self) -> State {
        if !self.settings.cashiers.is_empty() && self.cashier.is_none() {
            State::Login {
                pin: String::new(),
                error: None,
            }
        } else {
            State::Amount {
                minor: 0,
                error: None,
            }
        }
    }

    fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.settings.currency)
    }

    // ----- keys -----------------------------------------------------------------------------

    fn on_key(&mut self, now: Millis, key: Key, fx: &mut Vec<Effect>) {
        if let Key::Digit(d) = key
            && d > 9
        {
            fx.push(Effect::Signal(Signal::ErrorBeep));
            return;
        }
        let state = std::mem::replace(&mut self.state, State::Recovering);
        self.state = match state {
            State::Recovering => State::Recovering,
            State::Login { pin, .. } => self.key_login(now, pin, key),
            State::Amount { minor, .. } => self.key_amount(minor, key, fx),
            State::Method { amount, .. } => self.key_method(now, amount, key, fx),
            State::Customer {
                amount,
                provider,
                form,
                ..
            } => self.key_customer(now, amount, provider, form, key, fx),
            State::Paying => {
                if key == Key::Cancel {
                    self.request_cancel(now, CancelReason::Cashier, fx);
                }
                State::Paying
            }
            State::Result { sale } => match key {
                Key::Digit(d) if self.settings.mode != Mode::Vending => State::Amount {
                    minor: i64::from(d),
                    error: None,
                },
                Key::Menu => self.open_supervisor(),
                Key::Enter | Key::Cancel | Key::Clear => self.home(),
                _ => State::Result { sale },
            },
            State::Queued { sale, phone } => match key {
                Key::Digit(d) if self.settings.mode != Mode::Vending => State::Amount {
                    minor: i64::from(d),
                    error: None,
                },
                Key::Menu => self.open_supervisor(),
                Key::Enter | Key::Cancel | Key::Clear => self.home(),
                _ => State::Queued { sale, phone },
            },
            State::SupervisorPin { pin, .. } => self.key_supervisor(now, pin, key),
            State::Menu { message } => match key {
                Key::Digit(d) if d >= 1 => self.choose_menu(usize::from(d - 1)),
                Key::Cancel | Key::Menu => self.home(),
                _ => State::Menu { message },
            },
            State::History => match key {
                Key::Digit(d) if d >= 1 => self.choose_history(usize::from(d - 1)),
                Key::Cancel => State::Menu { message: None },
                _ => State::History,
            },
            State::SaleDetail { sale, message } => match key {
                Key::Enter if self.can_refund(&sale) => State::RefundConfirm { sale },
                Key::Cancel => State::History,
                _ => State::SaleDetail { sale, message },
            },
            State::RefundConfirm { sale } => match key {
                Key::Enter => self.start_refund(now, sale, fx),
                Key::Cancel => State::SaleDetail {
                    sale,
                    message: None,
                },
                _ => State::RefundConfirm { sale },
            },
            // A refund in flight is waited on; its answer moves the screen.
            State::Refunding { sale } => State::Refunding { sale },
            State::Outbox { message } => self.key_outbox(message, key),
            State::OutboxItem {
                id,
                confirm_drop,
                message,
            } => self.key_outbox_item(id, confirm_drop, message, key, fx),
            s @ (State::Report | State::SettingsScreen | State::Diagnostics) => {
                if key == Key::Cancel {
                    State::Menu { message: None }
                } else {
                    s
                }
            }
        };
    }

    fn on_select(&mut self, now: Millis, i: usize, fx: &mut Vec<Effect>) {
        let state = std::mem::replace(&mut self.state, State::Recovering);
        self.state = match state {
            State::Method { amount, .. } => self.choose_method(now, amount, i, fx),
            State::Menu { .. } => self.choose_menu(i),
            State::History => self.choose_history(i),
            State::Outbox { message } => self.choose_outbox(i, message),
            other => other,
        };
    }

    fn key_login(&mut self, now: Millis, mut pin: String, key: Key) -> State {
        let cashiers = &self.settings.cashiers;
        let step = pin_key(&mut self.login_guard, &mut pin, key, now, |typed| {
            cashiers
                .iter()
                .find(|c| c.pin.verify(typed))
                .map(|c| c.id.clone())
        });
        match step {
            PinStep::Accepted(id) => {
                self.cashier = Some(id);
                self.home()
            }
            PinStep::Refused(error) => State::Login {
                pin,
                error: Some(error),
            },
            PinStep::Typing | PinStep::Cancelled => State::Login { pin, error: None },
        }
    }

    fn key_amount(&mut self, minor: i64, key: Key, fx: &mut Vec<Effect>) -> State {
        if self.settings.mode == Mode::Vending {
            // A vending machine takes its price from the vend controller; only the menu works.
            return match key {
                Key::Menu => self.open_supervisor(),
                _ => State::Amount { minor, error: None },
            };
        }
        match key {
            Key::Digit(d) => {
                let next = minor
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(i64::from(d)));
                match next {
                    Some(n) if n <= self.settings.max_amount.minor() => State::Amount {
                        minor: n,
                        error: None,
                    },
                    _ => {
                        fx.push(Effect::Signal(Signal::ErrorBeep));
                        State::Amount {
                            minor,
                            error: Some(format!(
                                "The largest amount is {}",
                                self.settings.max_amount
                            )),
                        }
                    }
                }
            }
            Key::Backspace => State::Amount {
                minor: minor / 10,
                error: None,
            },
            Key::Clear | Key::Cancel => State::Amount {
                minor: 0,
                error: None,
            },
            Key::Menu => self.open_supervisor(),
            Key::Enter => {
                let refuse = if minor <= 0 {
                    Some("Type an amount first".to_string())
                } else if self.journal_failing {
                    Some("Sales are stopped: the journal cannot be written".to_string())
                } else if self.providers.is_empty() {
                    Some("No payment method is enabled".to_string())
                } else {
                    None
                };
                match refuse {
                    Some(error) => {
                        fx.push(Effect::Signal(Signal::ErrorBeep));
                        State::Amount {
                            minor,
                            error: Some(error),
                        }
                    }
                    None => State::Method {
                        amount: self.money(minor),
                        error: None,
                    },
                }
            }
        }
    }

    fn key_method(&mut self, now: Millis, amount: Money, key: Key, fx: &mut Vec<Effect>) -> State {
        match key {
            Key::Digit(d) if d >= 1 => self.choose_method(now, amount, usize::from(d - 1), fx),
            Key::Enter if self.providers.len() == 1 => self.choose_method(now, amount, 0, fx),
            Key::Cancel | Key::Backspace => State::Amount {
                minor: amount.minor(),
                error: None,
            },
            _ => State::Method {
                amount,
                error: None,
            },
        }
    }

    fn choose_method(
        &mut self,
        now: Millis,
        amount: Money,
        i: usize,
        fx: &mut Vec<Effect>,
    ) -> State {
        let Some(info) = self.providers.get(i).cloned() else {
            return State::Method {
                amount,
                error: Some(format!("Choose 1 to {}", self.providers.len())),
            };
        };
        let flows = &info.capabilities.flows;
        let form = match flows.first() {
            Some(FlowKind::Qr) if flows.contains(&FlowKind::Push) => Some(FormKind::PhoneOrQr),
            Some(FlowKind::Qr) => None,
            Some(FlowKind::Push) => Some(FormKind::Phone),
            Some(FlowKind::CardAndCode) => Some(FormKind::CardAndCode),
            Some(FlowKind::Invoice) => Some(FormKind::Invoice),
            None => {
                return State::Method {
                    amount,
                    error: Some(format!("{} offers no way to pay here", info.name)),
                };
            }
        };
        match form {
            Some(kind) => State::Customer {
                amount,
                provider: i,
                form: Form::new(kind),
                error: None,
            },
            None => self.start_sale(now, amount, info, Flow::Qr, Capture::Sale, fx),
        }
    }

    fn key_customer(
        &mut self,
        now: Millis,
        amount: Money,
        provider: usize,
        mut form: Form,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let mut error = None;
        match key {
            Key::Digit(d) => {
                let max = form.max_len();
                let field = &mut form.fields[form.active];
                if field.len() < max {
                    field.push(char::from(b'0' + d));
                } else {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                }
            }
            Key::Backspace => {
                if form.fields[form.active].pop().is_none() && form.active > 0 {
                    form.active -= 1;
                }
            }
            Key::Clear => form.fields[form.active].clear(),
            Key::Cancel => {
                return State::Method {
                    amount,
                    error: None,
                };
            }
            Key::Menu => {}
            Key::Enter => match self.submit_form(&form) {
                Ok(Some(flow)) => {
                    let Some(info) = self.providers.get(provider).cloned() else {
                        return self.home();
                    };
                    return self.start_sale(now, amount, info, flow, Capture::Sale, fx);
                }
                Ok(None) => form.active += 1,
                Err(e) => {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                    error = Some(e);
                }
            },
        }
        State::Customer {
            amount,
            provider,
            form,
            error,
        }
    }

    /// `Ok(None)`: the field is fine, go to the next one.
    fn submit_form(&self, form: &Form) -> Result<Option<Flow>, String> {
        let f = |i: usize| form.fields[i].as_str();
        match form.kind {
            FormKind::PhoneOrQr if f(0).is_empty() => Ok(Some(Flow::Qr)),
            FormKind::PhoneOrQr | FormKind::Phone => Msisdn::parse(f(0))
                .map(|phone| Some(Flow::Push { phone }))
                .map_err(|e| e.to_string()),
            FormKind::CardAndCode => {
                let card = CardNumber::parse(f(0)).map_err(|e| e.to_string())?;
                if form.active == 0 {
                    return Ok(None);
                }
                let code = PaymentCode::parse(f(1)).map_err(|e| e.to_string())?;
                Ok(Some(Flow::CardAndCode {
                    card,
                    code: Some(code),
                }))
            }
            FormKind::Invoice => InvoiceNumber::parse(f(0))
                .map(|number| Some(Flow::Invoice { number }))
                .map_err(|e| e.to_string()),
        }
    }

    fn open_supervisor(&mut self) -> State {
        if self.settings.supervisor_pin.is_none() {
            return State::Amount {
                minor: 0,
                error: Some("The supervisor menu needs a supervisor PIN in the config".into()),
            };
        }
        State::SupervisorPin {
            pin: String::new(),
            error: None,
        }
    }

    fn key_supervisor(&mut self, now: Millis, mut pin: String, key: Key) -> State {
        let hash = self.settings.supervisor_pin.as_ref();
        let step = pin_key(&mut self.supervisor_guard, &mut pin, key, now, |typed| {
            hash.is_some_and(|h| h.verify(typed)).then_some(())
        });
        match step {
            PinStep::Accepted(()) => State::Menu { message: None },
            PinStep::Cancelled => self.home(),
            PinStep::Refused(error) => State::SupervisorPin {
                pin,
                error: Some(error),
            },
            PinStep::Typing => State::SupervisorPin { pin, error: None },
        }
    }

    fn menu_items(&self) -> Vec<String> {
        let n = if self.settings.cashiers.is_empty() {
            MENU.len() - 1
        } else {
            MENU.len()
        };
        MENU[..n].iter().map(|s| s.to_string()).collect()
    }

    fn choose_menu(&mut self, i: usize) -> State {
        match i {
            0 => match self.history.iter().rev().find(|r| {
                r.outcome.as_ref().is_some_and(Outcome::is_approved) && r.refunded.is_none()
            }) {
                Some(row) => State::SaleDetail {
                    sale: row.key.clone(),
                    message: None,
                },
                None => State::Menu {
                    message: Some(Notice::problem("No approved sale to refund")),
                },
            },
            1 => State::History,
            2 => State::Report,
            3 => State::Outbox { message: None },
            4 => State::SettingsScreen,
            5 => State::Diagnostics,
            6 if !self.settings.cashiers.is_empty() => {
                self.cashier = None;
                self.home()
            }
            _ => State::Menu { message: None },
        }
    }

    fn history_rows(&self) -> Vec<SaleRow> {
        self.history.iter().rev().take(50).cloned().collect()
    }

    fn choose_history(&mut self, i: usize) -> State {
        match self.history_rows().get(i) {
            Some(row) => State::SaleDetail {
                sale: row.key.clone(),
                message: None,
            },
            None => State::History,
        }
    }

    fn row(&self, sale: &SaleKey) -> Option<&SaleRow> {
        self.history.iter().rev().find(|r| &r.key == sale)
    }

    fn row_mut(&mut self, sale: &SaleKey) -> Option<&mut SaleRow> {
        self.history.iter_mut().rev().find(|r| &r.key == sale)
    }

    fn provider_info(&self, id: &ProviderId) -> Option<&ProviderInfo> {
        self.providers.iter().find(|p| &p.id == id)
    }

    fn can_refund(&self, sale: &SaleKey) -> bool {
        let Some(row) = self.row(sale) else {
            return false;
        };
        row.outcome.as_ref().is_some_and(Outcome::is_approved)
            && row.refunded.is_none()
            && self.handles.contains_key(sale)
            && self
                .provider_info(&row.provider)
                .is_some_and(|p| p.capabilities.refund)
            && !self
                .calls
                .values()
                .any(|c| &c.sale == sale && c.kind == CallKind::Refund)
    }

    // ----- sales ----------------------------------------------------------------------------

    fn start_sale(
        &mut self,
        now: Millis,
        amount: Money,
        provider: ProviderInfo,
        flow: Flow,
        capture: Capture,
        fx: &mut Vec<Effect>,
    ) -> State {
        if self.journal_failing || self.active.is_some() {
            fx.push(Effect::Signal(Signal::ErrorBeep));
            return State::Amount {
                minor: amount.minor(),
                error: Some("Sales are stopped: the journal cannot be written".into()),
            };
        }
        let key = match SaleKey::new(&self.settings.terminal_id, self.next_sequence) {
            Ok(k) => k,
            Err(e) => {
                return State::Amount {
                    minor: amount.minor(),
                    error: Some(format!("Terminal id cannot make a sale key: {e}")),
                };
            }
        };
        self.next_sequence += 1;
        let offline = !self.online || self.reachable.get(&provider.id) == Some(&false);
        let queued_phone = match &flow {
            Flow::Push { phone } if offline && capture == Capture::Sale => Some(phone.clone()),
            _ => None,
        };
        let request = SaleRequest {
            key: key.clone(),
            amount,
            flow,
            capture,
        };
        self.push_row(SaleRow {
            key: key.clone(),
            provider: provider.id.clone(),
            amount,
            started_at: now,
            outcome: None,
            late_approval: false,
            refunded: None,
        });
        fx.push(self.journal(
            now,
            &key,
            &provider.id,
            Record::StartIntent(request.clone()),
        ));
        if let Some(phone) = queued_phone {
            // Offline: the request waits in the outbox (within the configured limits) and is
            // sent when the network is back. Nothing is paid until the customer approves.
            fx.push(Effect::Defer {
                sale: key.clone(),
                provider: provider.id.clone(),
                op: Operation::Start(request),
            });
            if self.settings.mode != Mode::Cashier {
                self.arm(
                    fx,
                    TimerKind::ResultHold,
                    &key,
                    now + self.settings.result_hold_ms,
                );
            }
            return State::Queued { sale: key, phone };
        }
        self.call(
            &key,
            &provider.id,
            CallKind::Start,
            Operation::Start(request.clone()),
            fx,
        );
        self.active = Some(ActiveSale {
            request,
            provider,
            handle: None,
            prompt: None,
            phase: Phase::Starting,
            cancel: None,
            cancel_attempts: 0,
            status_in_flight: false,
            past_expiry: false,
            resumed: None,
        });
        State::Paying
    }

    fn push_row(&mut self, row: SaleRow) {
        if self.history.len() >= HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(row);
    }

    fn journal(
        &self,
        now: Millis,
        sale: &SaleKey,
        provider: &ProviderId,
        record: Record,
    ) -> Effect {
        Effect::Journal(JournalEntry {
            at: now,
            sale: sale.clone(),
            provider: provider.clone(),
            record,
        })
    }

    fn call(
        &mut self,
        sale: &SaleKey,
        provider: &ProviderId,
        kind: CallKind,
        op: Operation,
        fx: &mut Vec<Effect>,
    ) -> CallId {
        let call = self.next_call;
        self.next_call += 1;
        self.calls.insert(
            call,
            PendingCall {
                sale: sale.clone(),
                kind,
            },
        );
        fx.push(Effect::Call {
            call,
            provider: provider.clone(),
            sale: sale.clone(),
            op,
        });
        call
    }

    fn arm(&self, fx: &mut Vec<Effect>, kind: TimerKind, sale: &SaleKey, at: Millis) {
        fx.push(Effect::Arm {
            timer: Timer {
                kind,
                sale: Some(sale.clone()),
            },
            at,
        });
    }

    /// Sends a call for the active sale.
    fn active_call(&mut self, kind: CallKind, op: Operation, fx: &mut Vec<Effect>) {
        let Some(a) = &self.active else { return };
        let (key, provider) = (a.request.key.clone(), a.provider.id.clone());
        self.call(&key, &provider, kind, op, fx);
    }

    fn request_cancel(&mut self, now: Millis, reason: CancelReason, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if a.cancel.is_some() {
            return;
        }
        match a.phase {
            Phase::Starting | Phase::Checking { .. } => a.cancel = Some(reason),
            Phase::Awaiting => {
                a.cancel = Some(reason);
                a.phase = Phase::Cancelling;
                self.send_cancel(now, fx);
            }
            // A vend in progress finishes: the product may already be on its way.
            Phase::Vending | Phase::Settling { .. } | Phase::Cancelling => {}
        }
    }

    /// Asks the provider to abort, or, where it cannot, keeps asking for the status.
    fn send_cancel(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let Some(handle) = a.handle.clone() else {
            return;
        };
        if a.provider.capabilities.cancel && a.cancel_attempts < CANCEL_ATTEMPTS {
            a.cancel_attempts += 1;
            self.active_call(CallKind::Cancel, Operation::Cancel(handle), fx);
        } else {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms,
            );
        }
    }

    fn on_answer(
        &mut self,
        now: Millis,
        call: CallId,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        // Every answer says whether the provider could be reached: offline, push requests are
        // queued instead of sent.
        match &result {
            Ok(_) => self.online = true,
            Err(f) if f.kind == FailureKind::Transient => self.online = false,
            Err(_) => {}
        }
        let Some(pending) = self.calls.remove(&call) else {
            return;
        };
        if let Some(provider) = self.row(&pending.sale).map(|r| r.provider.clone()) {
            match &result {
                Ok(_) => {
                    self.reachable.insert(provider, true);
                }
                Err(f) if f.kind == FailureKind::Transient => {
                    self.reachable.insert(provider, false);
                }
                Err(_) => {}
            }
        }
        if pending.kind == CallKind::Refund {
            self.on_refund_answer(now, pending.sale, result, fx);
            return;
        }
        let is_active = self
            .active
            .as_ref()
            .is_some_and(|a| a.request.key == pending.sale);
        if !is_active {
            self.on_late_answer(now, pending.sale, result, fx);
            return;
        }
        match pending.kind {
            CallKind::Start => self.on_start_answer(now, result, fx),
            CallKind::Recover => self.on_recover_answer(now, result, fx),
            CallKind::Status => {
                if let Some(a) = self.active.as_mut() {
                    a.status_in_flight = false;
                }
                match result {
                    Ok(Reply::Status(s)) => self.on_status(now, s, fx),
                    _ => self.poll_later(now, fx),
                }
            }
            CallKind::Cancel => match result {
                Ok(Reply::Cancelled(s)) if s.is_final() => self.on_status(now, s, fx),
                // Not cancelled yet, refused (too late: it may be paid), or unreachable: the
                // provider's status decides.
                _ => self.poll_soon(now, fx),
            },
            CallKind::Capture | CallKind::Release => self.on_settle_answer(now, result, fx),
            CallKind::Refund => {}
        }
    }

    fn on_start_answer(
        &mut self,
        now: Millis,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Ok(Reply::Started { handle, prompt }) => self.on_started(now, handle, Some(prompt), fx),
            Ok(other) => self.begin_recover(
                now,
                &Failure::new(FailureKind::InDoubt, format!("unexpected answer {other:?}")),
                fx,
            ),
            Err(f) => match f.kind {
                FailureKind::InDoubt => self.begin_recover(now, &f, fx),
                FailureKind::Transient => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("Could not reach the provider, nothing was charged: {f}"),
                    },
                    fx,
                ),
                FailureKind::Auth => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("The provider refused the terminal's credentials: {f}"),
                    },
                    fx,
                ),
                FailureKind::Rejected => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("The provider refused the sale: {f}"),
                    },
                    fx,
                ),
            },
        }
    }

    fn on_started(
        &mut self,
        now: Millis,
        handle: PaymentHandle,
        prompt: Option<Prompt>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let key = a.request.key.clone();
        let provider = a.provider.id.clone();
        let first = a.handle.is_none();
        a.handle = Some(handle.clone());
        if prompt.is_some() {
            a.prompt = prompt;
        }
        a.phase = Phase::Awaiting;
        let expires = match &a.prompt {
            Some(Prompt::Qr { expires_at, .. } | Prompt::PushSent { expires_at, .. }) => {
                Some(*expires_at)
            }
            _ => None,
        };
        let immediate = matches!(a.prompt, Some(Prompt::Immediate));
        let cancel = a.cancel;
        self.handles
            .insert(key.clone(), (handle.clone(), provider.clone()));
        if first {
            fx.push(self.journal(now, &key, &provider, Record::Started { handle }));
        }
        if let Some(reason) = cancel {
            if let Some(a) = self.active.as_mut() {
                a.cancel = None;
            }
            self.request_cancel(now, reason, fx);
            return;
        }
        let first_poll = if immediate {
            now
        } else {
            now + self.settings.poll_interval_ms
        };
        self.arm(fx, TimerKind::Poll, &key, first_poll);
        if let Some(at) = expires {
            self.arm(fx, TimerKind::Expiry, &key, at);
        }
    }

    fn begin_recover(&mut self, now: Millis, why: &Failure, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let attempt = match a.phase {
            Phase::Checking { attempt } => attempt + 1,
            _ => 1,
        };
        if attempt > self.settings.recover_attempts {
            self.finish(
                now,
                Outcome::InDoubt {
                    reason: format!(
                        "No answer from the provider after {} checks: {why}",
                        attempt - 1
                    ),
                },
                fx,
            );
            return;
        }
        a.phase = Phase::Checking { attempt };
        let request = a.request.clone();
        if attempt == 1 {
            self.active_call(CallKind::Recover, Operation::Recover(request), fx);
        } else {
            let key = request.key.clone();
            let delay = backoff_ms(attempt);
            self.arm(fx, TimerKind::RecoverRetry, &key, now + delay);
        }
    }

    fn on_recover_answer(
        &mut self,
        now: Millis,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Ok(Reply::NotFound) => self.finish(
                now,
                Outcome::Failed {
                    reason: "The provider never received the sale: nothing was charged".into(),
                },
                fx,
            ),
            Ok(Reply::Found {
                handle,
                status,
                prompt,
            }) if self.active.as_ref().is_some_and(|a| a.resumed.is_some())
                && (status.is_final() || status == PaymentStatus::Authorized) =>
            {
                // Where it stands is known: settle it without first asking to cancel.
                if let Some(a) = self.active.as_mut() {
                    a.cancel = None;
                }
                self.on_started(now, handle, prompt, fx);
                self.on_status(now, status, fx);
            }
            Ok(Reply::Found {
                handle,
                status,
                prompt,
            }) => {
                self.on_started(now, handle, prompt, fx);
                // `on_started` armed a poll; a final status ends the sale at once.
                if status.is_final() || status == PaymentStatus::Authorized {
                    self.on_status(now, status, fx);
                }
            }
            Ok(other) => self.begin_recover(
                now,
                &Failure::new(FailureKind::InDoubt, format!("unexpected answer {other:?}")),
                fx,
            ),
            Err(f) => self.begin_recover(now, &f, fx),
        }
    }

    fn poll_later(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if let Some(a) = &self.active {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms,
            );
        }
    }

    fn poll_soon(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if let Some(a) = &self.active {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms.min(500),
            );
        }
    }

    fn on_status(&mut self, now: Millis, status: PaymentStatus, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        match status {
            PaymentStatus::Pending => {
                if a.phase == Phase::Cancelling {
                    self.send_cancel(now, fx);
                } else {
                    self.poll_later(now, fx);
                }
            }
            PaymentStatus::Authorized => {
                if a.request.capture == Capture::Auth && a.phase != Phase::Vending {
                    if let Some(left @ (Left::Start | Left::Capture | Left::Release)) = &a.resumed {
                        // After a restart: capture only what the journal says was delivered.
                        let deliver = *left == Left::Capture;
                        self.settle(now, deliver, fx);
                    } else if a.cancel.is_some() {
                        // Cancelled before the vend: give the authorization back.
                        self.settle(now, false, fx);
                    } else {
                        a.phase = Phase::Vending;
                        let key = a.request.key.clone();
                        fx.push(Effect::Vend { sale: key });
                    }
                } else if a.request.capture == Capture::Sale {
                    self.poll_later(now, fx);
                }
            }
            other => {
                let cancel = a.cancel;
                let outcome = match (Outcome::from_status(&other), cancel) {
                    (Some(Outcome::Cancelled), Some(CancelReason::Expiry)) => Outcome::Expired,
                    (Some(o), _) => o,
                    (None, _) => return,
                };
                self.finish(now, outcome, fx);
            }
        }
    }

    fn on_timer(&mut self, now: Millis, timer: Timer, fx: &mut Vec<Effect>) {
        if timer.kind == TimerKind::ResultHold {
            if let State::Result { sale } | State::Queued { sale, .. } = &self.state
                && timer.sale.as_ref() == Some(sale)
            {
                self.state = self.home();
            }
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if timer.sale.as_ref() != Some(&a.request.key) {
            return;
        }
        match timer.kind {
            TimerKind::Poll => {
                if matches!(a.phase, Phase::Awaiting | Phase::Cancelling)
                    && !a.status_in_flight
                    && let Some(handle) = a.handle.clone()
                {
                    a.status_in_flight = true;
                    self.active_call(CallKind::Status, Operation::Status(handle), fx);
                }
            }
            TimerKind::Expiry => {
                if a.past_expiry {
                    self.finish(
                        now,
                        Outcome::InDoubt {
                            reason:
                                "The provider did not confirm the payment ended after it expired"
                                    .into(),
                        },
                        fx,
                    );
                } else if matches!(a.phase, Phase::Awaiting | Phase::Cancelling) {
                    a.past_expiry = true;
                    let key = a.request.key.clone();
                    self.arm(fx, TimerKind::Expiry, &key, now + EXPIRY_GRACE_MS);
                    self.request_cancel(now, CancelReason::Expiry, fx);
                }
            }
            TimerKind::RecoverRetry => match a.phase {
                Phase::Checking { .. } => {
                    let request = a.request.clone();
                    self.active_call(CallKind::Recover, Operation::Recover(request), fx);
                }
                Phase::Settling { delivered, .. } => self.settle_call(delivered, fx),
                _ => {}
            },
            TimerKind::ResultHold => {}
        }
    }

    // ----- vending --------------------------------------------------------------------------

    fn on_vend_request(&mut self, now: Millis, price: Money, fx: &mut Vec<Effect>) {
        if self.settings.mode != Mode::Vending || !matches!(self.state, State::Amount { .. }) {
            fx.push(Effect::Signal(Signal::ErrorBeep));
            return;
        }
        let error = if price.currency() != self.settings.currency {
            Some(format!(
                "The machine asked for {price}, the terminal sells in {}",
                self.settings.currency
            ))
        } else if !price.is_positive() || price.minor() > self.settings.max_amount.minor() {
            Some(format!(
                "The machine asked for {price}, outside the allowed range"
            ))
        } else {
            None
        };
        if let Some(error) = error {
            self.state = State::Amount {
                minor: 0,
                error: Some(error),
            };
            return;
        }
        let provider = self
            .providers
            .iter()
            .find(|p| p.capabilities.auth_capture && p.capabilities.flows.contains(&FlowKind::Qr));
        match provider.cloned() {
            Some(info) => {
                self.state = self.start_sale(now, price, info, Flow::Qr, Capture::Auth, fx);
            }
            None => {
                self.state = State::Amount {
                    minor: 0,
                    error: Some("No enabled provider can authorize and capture".into()),
                }
            }
        }
    }

    fn on_vend_result(
        &mut self,
        now: Millis,
        sale: SaleKey,
        delivered: bool,
        fx: &mut Vec<Effect>,
    ) {
        let matches = self
            .active
            .as_ref()
            .is_some_and(|a| a.request.key == sale && a.phase == Phase::Vending);
        if matches {
            self.settle(now, delivered, fx);
        }
    }

    /// Captures after a delivered vend, releases otherwise. Both are journaled first.
    fn settle(&mut self, now: Millis, delivered: bool, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        a.phase = Phase::Settling {
            attempt: 1,
            delivered,
        };
        let (key, provider, amount) = (
            a.request.key.clone(),
            a.provider.id.clone(),
            a.request.amount,
        );
        let record = if delivered {
            Record::CaptureIntent { amount }
        } else {
            Record::ReleaseIntent
        };
        fx.push(self.journal(now, &key, &provider, record));
        self.settle_call(delivered, fx);
    }

    fn settle_call(&mut self, delivered: bool, fx: &mut Vec<Effect>) {
        let Some(a) = &self.active else { return };
        let Some(handle) = a.handle.clone() else {
            return;
        };
        let amount = a.request.amount;
        if delivered {
            self.active_call(CallKind::Capture, Operation::Capture(handle, amount), fx);
        } else {
            self.active_call(CallKind::Release, Operation::Release(handle), fx);
        }
    }

    fn on_settle_answer(
        &mut self,
        now: Millis,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let Phase::Settling { attempt, delivered } = a.phase else {
            return;
        };
        match result {
            Ok(Reply::Captured { reference }) => {
                self.finish(now, Outcome::Approved { reference }, fx)
            }
            Ok(Reply::Released) => self.finish(now, Outcome::Released, fx),
            Err(f)
                if f.kind != FailureKind::Rejected && attempt < self.settings.recover_attempts =>
            {
                // Capture and release are idempotent at the provider: asking again is safe.
                a.phase = Phase::Settling {
                    attempt: attempt + 1,
                    delivered,
                };
                let key = a.request.key.clone();
                self.arm(
                    fx,
                    TimerKind::RecoverRetry,
                    &key,
                    now + backoff_ms(attempt + 1),
                );
            }
            other => {
                let what = if delivered { "capture" } else { "release" };
                let detail = match other {
                    Err(f) => f.to_string(),
                    Ok(r) => format!("unexpected answer {r:?}"),
                };
                self.finish(
                    now,
                    Outcome::InDoubt {
                        reason: format!("The {what} after the vend was not confirmed: {detail}"),
                    },
                    fx,
                );
            }
        }
    }

    // ----- endings --------------------------------------------------------------------------

    fn finish(&mut self, now: Millis, outcome: Outcome, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.take() else { return };
        let key = a.request.key.clone();
        let late = outcome.is_approved() && a.cancel == Some(CancelReason::Cashier);
        fx.push(self.journal(
            now,
            &key,
            &a.provider.id,
            Record::Outcome {
                outcome: outcome.clone(),
                late,
            },
        ));
        if matches!(outcome, Outcome::InDoubt { .. }) {
            // Not left for a person alone: the outbox keeps asking the provider.
            let op = match (&a.phase, &a.handle) {
                (Phase::Settling { delivered, .. }, Some(h)) if *delivered => {
                    Operation::Capture(h.clone(), a.request.amount)
                }
                (Phase::Settling { .. }, Some(h)) => Operation::Release(h.clone()),
                (_, Some(h)) => Operation::Status(h.clone()),
                (_, None) => Operation::Recover(a.request.clone()),
            };
            fx.push(Effect::Defer {
                sale: key.clone(),
                provider: a.provider.id.clone(),
                op,
            });
        }
        fx.push(Effect::Signal(if outcome.is_approved() {
            Signal::Approved
        } else {
            Signal::NotApproved
        }));
        if let Some(row) = self.row_mut(&key) {
            row.outcome = Some(outcome);
            row.late_approval = late;
        }
        if a.resumed.is_some() {
            self.next_resume(now, fx);
        } else {
            self.show_result(now, key, fx);
        }
    }

    /// Starts resolving the next unfinished sale, or, when none is left, opens the terminal.
    fn next_resume(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if !self.ready || self.active.is_some() {
            return;
        }
        while let Some(r) = self.resuming.pop_front() {
            let key = r.request.key.clone();
            let Some(info) = self.provider_info(&r.provider).cloned() else {
                fx.push(self.journal(
                    now,
                    &key,
                    &r.provider,
                    Record::Flagged {
                        reason: format!(
                            "Unfinished at start and provider {} is no longer configured: check \
                             this sale with the provider",
                            r.provider
                        ),
                    },
                ));
                if let Some(row) = self.row_mut(&key)
                    && row.outcome.is_none()
                {
                    row.outcome = Some(Outcome::InDoubt {
                        reason: format!("provider {} is no longer configured", r.provider),
                    });
                }
                continue;
            };
            if let Left::Refund {
                amount,
                key: refund_key,
            } = &r.left
            {
                match &r.handle {
                    Some(h) => fx.push(Effect::Defer {
                        sale: key.clone(),
                        provider: r.provider.clone(),
                        op: Operation::Refund {
                            handle: h.clone(),
                            amount: *amount,
                            key: refund_key.clone(),
                        },
                    }),
                    None => fx.push(self.journal(
                        now,
                        &key,
                        &r.provider,
                        Record::Flagged {
                            reason: "A refund was started without a payment handle".into(),
                        },
                    )),
                }
                continue;
            }
            let cancel = match r.left {
                Left::Start => Some(CancelReason::Restart),
                _ => None,
            };
            self.active = Some(ActiveSale {
                request: r.request,
                provider: info,
                handle: r.handle,
                prompt: None,
                phase: Phase::Starting,
                cancel,
                cancel_attempts: 0,
                status_in_flight: false,
                past_expiry: false,
                resumed: Some(r.left),
            });
            self.state = State::Recovering;
            self.begin_recover(
                now,
                &Failure::new(
                    FailureKind::InDoubt,
                    "the terminal stopped before the answer was written",
                ),
                fx,
            );
            return;
        }
        if matches!(self.state, State::Recovering) {
            self.state = self.home();
        }
    }

    fn show_result(&mut self, now: Millis, sale: SaleKey, fx: &mut Vec<Effect>) {
        // A result replaces the sale screens; supervisor screens are not interrupted.
        if matches!(
            self.state,
            State::Paying | State::Result { .. } | State::Amount { .. }
        ) {
            self.state = State::Result { sale: sale.clone() };
            if self.settings.mode != Mode::Cashier {
                self.arm(
                    fx,
                    TimerKind::ResultHold,
                    &sale,
                    now + self.settings.result_hold_ms,
                );
            }
        }
    }

    /// An answer for a sale that already ended. Only an approval matters: money moved, so the
    /// sale is recorded as approved (late) and shown, never hidden.
    fn on_late_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let status = match result {
            Ok(Reply::Status(s) | Reply::Cancelled(s) | Reply::Found { status: s, .. }) => s,
            Ok(Reply::Captured { reference }) => PaymentStatus::Approved { reference },
            _ => return,
        };
        let PaymentStatus::Approved { reference } = status else {
            return;
        };
        let Some(row) = self.row_mut(&sale) else {
            return;
        };
        if row.outcome.as_ref().is_some_and(Outcome::is_approved) {
            return;
        }
        let outcome = Outcome::Approved { reference };
        row.outcome = Some(outcome.clone());
        row.late_approval = true;
        let provider = row.provider.clone();
        fx.push(self.journal(
            now,
            &sale,
            &provider,
            Record::Outcome {
                outcome,
                late: true,
            },
        ));
        fx.push(Effect::Signal(Signal::Approved));
        if let State::Result { sale: shown } = &self.state
            && shown == &sale
        {
            return;
        }
        if matches!(self.state, State::Amount { .. } | State::Method { .. }) {
            self.state = State::Result { sale };
        }
    }

    fn start_refund(&mut self, now: Millis, sale: SaleKey, fx: &mut Vec<Effect>) -> State {
        if !self.can_refund(&sale) || self.journal_failing {
            return State::SaleDetail {
                sale,
                message: Some(Notice::problem("This sale cannot be refunded now")),
            };
        }
        let (Some(row), Some((handle, provider))) =
            (self.row(&sale).cloned(), self.handles.get(&sale).cloned())
        else {
            return State::SaleDetail {
                sale,
                message: None,
            };
        };
        let refund_key = match SaleKey::parse(&format!("{}-R", sale.as_str())) {
            Ok(k) => k,
            Err(_) => {
                return State::SaleDetail {
                    sale,
                    message: Some(Notice::problem("This sale's key is too long to refund")),
                };
            }
        };
        fx.push(self.journal(
            now,
            &sale,
            &provider,
            Record::RefundIntent {
                amount: row.amount,
                key: refund_key.clone(),
            },
        ));
        self.call(
            &sale,
            &provider,
            CallKind::Refund,
            Operation::Refund {
                handle,
                amount: row.amount,
                key: refund_key,
            },
            fx,
        );
        State::Refunding { sale }
    }

    /// The outbox worker journaled `record` for a past sale: show it in history.
    fn on_outbox_done(&mut self, sale: SaleKey, record: Record) {
        match record {
            Record::Started { handle } => {
                if let Some(provider) = self.row(&sale).map(|r| r.provider.clone()) {
                    self.handles.insert(sale, (handle, provider));
                }
            }
            Record::Outcome { outcome, late } => {
                if let Some(row) = self.row_mut(&sale) {
                    row.outcome = Some(outcome);
                    row.late_approval = late;
                }
            }
            Record::Refunded { reference } => {
                if let Some(row) = self.row_mut(&sale) {
                    row.refunded = Some(reference);
                }
            }
            _ => {}
        }
    }

    /// A deferred call could not be queued. A sale that only existed as a queued request ends
    /// here, not charged; anything else is flagged for a person.
    fn on_defer_refused(
        &mut self,
        now: Millis,
        sale: SaleKey,
        reason: String,
        fx: &mut Vec<Effect>,
    ) {
        let Some(row) = self.row(&sale) else { return };
        let provider = row.provider.clone();
        if row.outcome.is_none() && self.active.as_ref().is_none_or(|a| a.request.key != sale) {
            let outcome = Outcome::Failed {
                reason: format!("Could not queue the request, nothing was charged: {reason}"),
            };
            fx.push(self.journal(
                now,
                &sale,
                &provider,
                Record::Outcome {
                    outcome: outcome.clone(),
                    late: false,
                },
            ));
            if let Some(row) = self.row_mut(&sale) {
                row.outcome = Some(outcome);
            }
            if matches!(&self.state, State::Queued { sale: s, .. } if *s == sale) {
                self.state = State::Result { sale };
            }
        } else {
            fx.push(self.journal(
                now,
                &sale,
                &provider,
                Record::Flagged {
                    reason: format!("A follow-up call could not be queued: {reason}"),
                },
            ));
        }
    }

    fn on_refund_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(provider) = self.row(&sale).map(|r| r.provider.clone()) else {
            return;
        };
        let message = match result {
            Ok(Reply::Refunded { reference }) => {
                fx.push(self.journal(
                    now,
                    &sale,
                    &provider,
                    Record::Refunded {
                        reference: reference.clone(),
                    },
                ));
                if let Some(row) = self.row_mut(&sale) {
                    row.refunded = Some(reference.clone());
                }
                Notice::good(format!("Refunded. Reference {reference}"))
            }
            Err(f) if f.kind == FailureKind::Rejected || f.kind == FailureKind::Auth => {
                Notice::problem(format!("The provider refused the refund: {f}"))
            }
            Err(f) if f.kind == FailureKind::Transient => Notice::problem(format!(
                "Could not reach the provider, nothing was refunded: {f}"
            )),
            other => {
                let detail = match other {
                    Err(f) => f.to_string(),
                    Ok(r) => format!("unexpected answer {r:?}"),
                };
                let reason = format!("Refund not confirmed: {detail}");
                fx.push(self.journal(
                    now,
                    &sale,
                    &provider,
                    Record::Flagged {
                        reason: reason.clone(),
                    },
                ));
                Notice::problem(format!(
                    "{reason}. Flagged for a person: do not refund in cash"
                ))
            }
        };
        if matches!(&self.state, State::Refunding { sale: s } if *s == sale) {
            self.state = State::SaleDetail {
                sale,
                message: Some(message),
            };
        }
    }

    fn on_journal_failed(&mut self, sale: SaleKey, message: String) {
        self.journal_failing = true;
        let starting = self
            .active
            .as_ref()
            .is_some_and(|a| a.request.key == sale && a.phase == Phase::Starting);
        if starting {
            // The runtime did not send the start: nothing moved. Nothing can be journaled either.
            self.active = None;
            self.calls.retain(|_, c| c.sale != sale);
            let outcome = Outcome::Failed {
                reason: format!("The sale could not be recorded, nothing was charged: {message}"),
            };
            if let Some(row) = self.row_mut(&sale) {
                row.outcome = Some(outcome);
            }
            self.state = State::Result { sale };
        }
    }

    // ----- view -----------------------------------------------------------------------------

    fn screen(&self) -> Screen {
        match &self.state {
            State::Recovering => Screen::Recovering {
                remaining: self.resuming.len() + usize::from(self.active.is_some()),
                current: self.active.as_ref().map(|a| a.request.key.clone()),
            },
            State::Login { pin, error } => Screen::Login {
                digits: pin.len(),
                error: error.clone(),
            },
            State::Amount { minor, error } => Screen::Amount {
                amount: self.money(*minor),
                error: error.clone(),
                vending_idle: self.settings.mode == Mode::Vending,
            },
            State::Method { amount, error } => Screen::Method {
                amount: *amount,
                tiles: self
                    .providers
                    .iter()
                    .map(|p| Tile {
                        provider: p.id.clone(),
                        name: p.name.clone(),
                    })
                    .collect(),
                error: error.clone(),
            },
            State::Customer {
                amount,
                provider,
                form,
                error,
            } => self.customer_screen(*amount, *provider, form, error.clone()),
            State::Paying => match &self.active {
                Some(a) => Screen::Paying {
                    sale: a.request.key.clone(),
                    amount: a.request.amount,
                    provider: a.provider.name.clone(),
                    waiting: waiting(a),
                    cancelling: a.cancel.is_some(),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::Result { sale } => match self.row(sale) {
                Some(row) => Screen::Result {
                    sale: sale.clone(),
                    amount: row.amount,
                    provider: self.provider_name(&row.provider),
                    outcome: row.outcome.clone().unwrap_or(Outcome::InDoubt {
                        reason: "No outcome recorded".into(),
                    }),
                    late_approval: row.late_approval,
                    refund_offered: row.late_approval && self.can_refund(sale),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::Queued { sale, phone } => match self.row(sale) {
                Some(row) => Screen::Queued {
                    sale: sale.clone(),
                    amount: row.amount,
                    provider: self.provider_name(&row.provider),
                    phone: phone.clone(),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::SupervisorPin { pin, error } => Screen::SupervisorPin {
                digits: pin.len(),
                error: error.clone(),
            },
            State::Menu { message } => Screen::Menu {
                items: self.menu_items(),
                message: message.clone(),
            },
            State::History => Screen::History {
                rows: self.history_rows(),
            },
            State::SaleDetail { sale, message } => match self.row(sale) {
                Some(row) => Screen::SaleDetail {
                    row: row.clone(),
                    can_refund: self.can_refund(sale),
                    message: message.clone(),
                },
                None => Screen::History {
                    rows: self.history_rows(),
                },
            },
            State::RefundConfirm { sale } | State::Refunding { sale } => match self.row(sale) {
                Some(row) if matches!(self.state, State::RefundConfirm { .. }) => {
                    Screen::RefundConfirm { row: row.clone() }
                }
                Some(row) => Screen::Refunding { row: row.clone() },
                None => Screen::History {
                    rows: self.history_rows(),
                },
            },
            State::Report => {
                let day = self
                    .history
                    .back()
                    .map(|r| day_of(r.started_at))
                    .unwrap_or(0);
                match DayReport::build(day, self.history.iter()) {
                    Ok(report) => Screen::Report(report),
                    Err(_) => Screen::Menu {
                        items: self.menu_items(),
                        message: Some(Notice::problem("The report could not be built")),
                    },
                }
            }
            State::Outbox { message } => Screen::Outbox {
                summary: self.outbox.clone(),
                message: message.clone(),
            },
            State::OutboxItem {
                id,
                confirm_drop,
                message,
            } => self.outbox_item_screen(*id, *confirm_drop, message.clone()),
            State::SettingsScreen => Screen::Settings {
                rows: self.settings_rows(),
            },
            State::Diagnostics => Screen::Diagnostics {
                checks: self.diagnostics(),
            },
        }
    }

    fn provider_name(&self, id: &ProviderId) -> String {
        self.provider_info(id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    fn customer_screen(
        &self,
        amount: Money,
        provider: usize,
        form: &Form,
        error: Option<String>,
    ) -> Screen {
        let labels: &[&str] = match form.kind {
            FormKind::PhoneOrQr | FormKind::Phone => &["Customer's phone number"],
            FormKind::CardAndCode => &["Card number", "Payment code"],
            FormKind::Invoice => &["Invoice number"],
        };
        let hint = match form.kind {
            FormKind::PhoneOrQr => "Type the phone number, or press Enter to show a QR code",
            FormKind::Phone => "Type the phone number and press Enter",
            FormKind::CardAndCode => "Type the card number, Enter, then the payment code, Enter",
            FormKind::Invoice => "Type the invoice number and press Enter",
        };
        let fields = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let value = &form.fields[i];
                let secret = form.kind == FormKind::CardAndCode && i == 1;
                Field {
                    label: label.to_string(),
                    shown: if secret {
                        "•".repeat(value.len())
                    } else {
                        value.clone()
                    },
                    active: i == form.active,
                }
            })
            .collect();
        Screen::Customer {
            amount,
            provider: self
                .providers
                .get(provider)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            fields,
            hint: hint.to_string(),
            error,
        }
    }

    fn settings_rows(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        vec![
            ("Terminal".into(), s.terminal_id.clone()),
            ("Mode".into(), format!("{:?}", s.mode).to_lowercase()),
            ("Currency".into(), s.currency.to_string()),
            ("Largest sale".into(), s.max_amount.to_string()),
            (
                "Methods".into(),
                self.providers
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]
    }

    fn diagnostics(&self) -> Vec<Check> {
        let mut checks = vec![
            Check::new("Version", env!("CARGO_PKG_VERSION"), Tone::Info),
            Check::new("Terminal", self.settings.terminal_id.clone(), Tone::Info),
            if self.online {
                Check::new("Network", "online", Tone::Good)
            } else {
                Check::new(
                    "Network",
                    "offline: push requests wait in the outbox",
                    Tone::Problem,
                )
            },
            if self.journal_failing {
                Check::new("Journal", "FAILING: sales stopped", Tone::Problem)
            } else {
                Check::new("Journal", "ok", Tone::Good)
            },
            Check::new(
                "Outbox",
                format!(
                    "{} pending, {} given up",
                    self.outbox.pending, self.outbox.dead
                ),
                if self.outbox.dead > 0 {
                    Tone::Problem
                } else {
                    Tone::Info
                },
            ),
        ];
        if let Some((bytes, damaged)) = self.storage {
            checks.push(Check::new(
                "Storage",
                format!("{} used", mib_text(bytes)),
                Tone::Info,
            ));
            if damaged > 0 {
                checks.push(Check::new(
                    "Damaged records",
                    format!("{damaged}: their sales are in doubt, see kassa report"),
                    Tone::Problem,
                ));
            }
        }
        for p in &self.providers {
            checks.push(match self.reachable.get(&p.id) {
                Some(true) => Check::new(p.name.clone(), "reachable", Tone::Good),
                Some(false) => Check::new(p.name.clone(), "NOT reachable", Tone::Problem),
                None => Check::new(p.name.clone(), "not checked yet", Tone::Info),
            });
        }
        checks
    }
}

/// `1.5 MiB`: bytes to tenths of a MiB, rounded, in integers.
fn mib_text(bytes: u64) -> String {
    const MIB: u128 = 1024 * 1024;
    let tenths = (u128::from(bytes) * 10 + MIB / 2) / MIB;
    format!("{}.{} MiB", tenths / 10, tenths % 10)
}

fn waiting(a: &ActiveSale) -> Waiting {
    match a.phase {
        Phase::Starting => Waiting::Starting,
        Phase::Checking { attempt } => Waiting::Checking { attempt },
        Phase::Vending => Waiting::Vending,
        Phase::Settling { .. } => Waiting::Settling,
        Phase::Awaiting | Phase::Cancelling => match &a.prompt {
            Some(Prompt::Qr {
                payload,
                expires_at,
            }) => Waiting::Qr {
                payload: payload.clone(),
                expires_at: *expires_at,
            },
            Some(Prompt::PushSent { phone, expires_at }) => Waiting::Push {
                phone: phone.clone(),
                expires_at: *expires_at,
            },
            Some(Prompt::Immediate) | None => Waiting::Deciding,
        },
    }
}

/// Exponential backoff for checks and settlement retries: 2 s, 4 s, ... at most a minute.
fn backoff_ms(attempt: u32) -> u64 {
    (1_000u64 << attempt.min(6)).min(60_000)
}

mod outbox_screen;
#[cfg(test)]
mod tests;
