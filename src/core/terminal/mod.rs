//! The terminal state machine. One sale at a time is in progress (`active`); the screen state
//! (`State`) says what the person in front of the terminal is doing. Provider calls are tracked
//! by call id, so a late answer is matched to its sale even after the screen moved on: an
//! approval is never dropped, whenever it arrives.
//!
//! This file holds the [`Terminal`] and its dispatch; each behaviour is an `impl Terminal` block
//! of its own file: entry forms and keys (`forms`), the amount due asked before an invoice is
//! paid (`due`), the sale from start to end (`flow`),
//! resolving sales left unfinished by a restart (`recovery`), refunds (`refund`), vending
//! (`vending`), the supervisor pages (`supervisor`), answers about deferred calls (`deferred`),
//! the outbox pages (`outbox_screen`), kiosk mode's screens and deadlines (`kiosk`) and building
//! the view (`screen`). The data they share is
//! in `state`.

mod deferred;
mod due;
mod flow;
mod forms;
mod kiosk;
mod language;
mod outbox_screen;
mod recovery;
mod refund;
mod screen;
mod services;
mod state;
mod summary;
mod supervisor;
pub use supervisor::SUPERVISOR_MENU;
#[cfg(test)]
mod tests;
mod vending;
mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use self::kiosk::KioskClock;
use self::state::{ActiveSale, CallKind, CancelReason, PendingCall, State, Watch};
use super::event::{CallId, Effect, Event, Key, OutboxCommand, Signal, Timer, TimerKind};
use super::pin::PinGuard;
use super::provider::{Operation, PaymentHandle, ProviderId, ProviderInfo};
use super::record::{JournalEntry, Record};
use super::resume::Resume;
use super::sale::SaleKey;
use super::settings::{Mode, Settings};
use super::time::Millis;
use super::view::{OutboxSummary, SaleRow, StatusBar, View};
use crate::money::Money;

/// How many finished sales the core keeps for history, refunds and the day's report.
const HISTORY_LEN: usize = 500;

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
    /// Sales resolved after a restart whose recovery summary nobody acknowledged yet.
    summary: Vec<SaleKey>,
    /// Kiosk mode: when the screen last changed or was touched, and the kiosk timer out.
    kiosk_clock: KioskClock,
    /// Sales cancelled at the terminal at a provider that cannot cancel, watched for a late
    /// payment until their request expires.
    watching: BTreeMap<SaleKey, Watch>,
    /// Providers that took their agent PIN this shift.
    unlocked: BTreeSet<ProviderId>,
    /// Providers whose agent PIN was not typed when asked this shift (asked again next shift).
    pin_skipped: BTreeSet<ProviderId>,
    /// Numbers the queries' call keys (they are not sales).
    next_query: u64,
    /// Vending: the sale whose vend request has not been answered yet (by `Effect::Vend` or
    /// `Effect::VendDenied`).
    vend_request: Option<SaleKey>,
    /// Vending: refunds the terminal started by itself after a paid vend failed; one that is not
    /// confirmed goes to the outbox instead of waiting for a person.
    vend_refunds: Vec<SaleKey>,
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
        let summary = Terminal::unacknowledged(&history);
        let mut rows: VecDeque<SaleRow> = history.into_iter().collect();
        while rows.len() > HISTORY_LEN {
            rows.pop_front();
        }
        let mut t = Terminal {
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
            summary,
            kiosk_clock: KioskClock::default(),
            watching: BTreeMap::new(),
            unlocked: BTreeSet::new(),
            pin_skipped: BTreeSet::new(),
            next_query: 0,
            vend_request: None,
            vend_refunds: Vec::new(),
        };
        // The journal knows a service by its id; the menu's label reads better.
        let labels: Vec<Option<String>> = t
            .history
            .iter()
            .map(|r| {
                let id = super::provider::ServiceId(r.service.clone()?);
                Some(t.service_label(&r.provider, &id))
            })
            .collect();
        for (row, label) in t.history.iter_mut().zip(labels) {
            if label.is_some() {
                row.service = label;
            }
        }
        t
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
                local: self.settings.local.clone(),
                kiosk: self.kiosk_frame(),
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
        let touched = matches!(event, Event::Key(_) | Event::Select(_));
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
            Event::Timer(timer) if timer.kind == TimerKind::Kiosk => {
                if self.is_kiosk() {
                    self.on_kiosk_timer(now, &mut fx);
                }
            }
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
            Event::VendCancel => self.on_vend_cancel(now, &mut fx),
            Event::JournalFailed { sale, message } => {
                self.on_journal_failed(sale, message, &mut fx)
            }
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
            Event::Unlocked { provider, result } => self.on_unlocked(provider, result),
        }
        if self.is_kiosk() {
            self.kiosk_after(now, touched, &mut fx);
        }
        let view = self.view();
        if self.shown.as_ref() != Some(&view) {
            self.shown = Some(view.clone());
            fx.push(Effect::Show(Box::new(view)));
        }
        fx
    }

    /// Where the terminal rests: sign-in, then each locked provider's agent PIN (once a
    /// shift), then, in a kiosk, "call staff" for a sale still waiting for staff, then the
    /// amount.
    fn home(&self) -> State {
        if !self.settings.cashiers.is_empty() && self.cashier.is_none() {
            State::Login {
                pin: String::new(),
                error: None,
            }
        } else if let Some(i) = self.agent_pin_needed() {
            Terminal::agent_pin_state(i)
        } else if let Some(sale) = self.staff_call() {
            // A kiosk stays on "call staff" until staff clears it, a restart included.
            State::CallStaff { sale }
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
            State::Amount { .. }
                if self.is_kiosk() && self.settings.kiosk.fixed_amount.is_some() =>
            {
                let fixed = self.settings.kiosk.fixed_amount.map_or(0, |m| m.minor());
                self.key_fixed_amount(now, fixed, key, fx)
            }
            State::Amount { minor, .. } => self.key_amount(now, minor, key, fx),
            State::Method {
                amount, to_phone, ..
            } => self.key_method(now, amount, to_phone, key, fx),
            State::Customer {
                amount,
                provider,
                form,
                ..
            } => self.key_customer(now, amount, provider, form, key, fx),
            State::Paying => {
                // On screen while the cancel runs: a sale that ends at once shows its result.
                self.state = State::Paying;
                match key {
                    Key::Cancel => self.request_cancel(now, CancelReason::Cashier, fx),
                    Key::SendToPhone => self.send_to_phone(now, fx),
                    _ => {}
                }
                std::mem::replace(&mut self.state, State::Recovering)
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
                Key::Digit(d) if d >= 1 => self.choose_menu(usize::from(d - 1), fx),
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
            State::Summary { from_menu } => self.key_summary(now, from_menu, key, fx),
            State::OutboxItem {
                id,
                confirm_drop,
                message,
            } => self.key_outbox_item(id, confirm_drop, message, key, fx),
            State::ServiceForm {
                provider,
                service,
                form,
                ..
            } => self.key_service_form(provider, service, form, key, fx),
            s @ State::ServiceConfirm { .. } => self.key_service_confirm(now, s, key, fx),
            State::DueChecking { asked, call } => self.key_due_checking(asked, call, key),
            s @ State::DueConfirm { .. } => self.key_due_confirm(now, s, key, fx),
            State::ServiceWaiting { .. } if key == Key::Cancel => State::Menu { message: None },
            s @ State::ServiceWaiting { .. } => s,
            s @ State::ServiceInfo { .. } => match key {
                Key::Cancel | Key::Enter => State::Menu { message: None },
                _ => s,
            },
            State::AgentPin {
                provider,
                pin,
                checking,
                ..
            } => self.key_agent_pin(provider, pin, checking, key, fx),
            State::Attract => self.key_attract(key),
            State::CallStaff { sale } => self.key_call_staff(sale, key),
            State::StaffPin { sale, pin, .. } => self.key_staff_pin(now, sale, pin, key, fx),
            State::SettingsScreen if key == Key::Enter => State::Language,
            State::Language if key == Key::Cancel => State::SettingsScreen,
            s @ (State::Report | State::SettingsScreen | State::Language | State::Diagnostics) => {
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
            State::Method {
                amount, to_phone, ..
            } => self.choose_method(now, amount, i, to_phone, fx),
            State::Menu { .. } => self.choose_menu(i, fx),
            State::ServiceForm {
                provider,
                service,
                form,
                ..
            } => self.pick_choice(provider, service, form, i, fx),
            State::History => self.choose_history(i),
            State::Outbox { message } => self.choose_outbox(i, message),
            State::Language => self.choose_language(i),
            State::Attract => self.home(),
            other => other,
        };
    }

    fn row(&self, sale: &SaleKey) -> Option<&SaleRow> {
        self.history.iter().rev().find(|r| &r.key == sale)
    }

    fn row_mut(&mut self, sale: &SaleKey) -> Option<&mut SaleRow> {
        self.history.iter_mut().rev().find(|r| &r.key == sale)
    }

    /// The network is down or this provider did not answer its last call.
    fn offline(&self, provider: &ProviderId) -> bool {
        !self.online || self.reachable.get(provider) == Some(&false)
    }

    fn provider_info(&self, id: &ProviderId) -> Option<&ProviderInfo> {
        self.providers.iter().find(|p| &p.id == id)
    }

    fn provider_name(&self, id: &ProviderId) -> String {
        self.provider_info(id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_string())
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
}

/// Exponential backoff for checks and settlement retries: 2 s, 4 s, ... at most a minute.
fn backoff_ms(attempt: u32) -> u64 {
    (1_000u64 << attempt.min(6)).min(60_000)
}
