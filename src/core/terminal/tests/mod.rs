//! Flows, races and properties of the terminal, driven with a fake clock and hand-made
//! provider answers.

use std::collections::HashMap;

use proptest::prelude::*;

use super::Terminal;
use crate::core::event::{CallId, Effect, Event, Key, OutboxCommand, Timer, TimerKind};
use crate::core::message::{Checked, Hint, Label, MenuItem, Message, Setting};
use crate::core::pin::PinHash;
use crate::core::provider::{
    Capabilities, Failure, FailureKind, FlowKind, Operation, PaymentHandle, PaymentStatus, Prompt,
    ProviderId, ProviderInfo, Reply,
};
use crate::core::record::{JournalEntry, Outcome, Record};
use crate::core::resume::{Left, Resume};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::core::settings::{Cashier, Mode, Settings};
use crate::core::time::Millis;
use crate::core::view::{Check, Notice, OutboxSummary, Screen, Tone, View, Waiting};
use crate::money::{Currency, Money};

mod due;
mod kiosk;
mod locale;
mod no_cancel;
mod offline;
mod outbox;
mod property;
mod recovery;
mod restart_abort;
mod sale;
mod services;
mod supervisor;
mod taps;
mod vending;

fn provider(id: &str, flows: Vec<FlowKind>) -> ProviderInfo {
    ProviderInfo {
        id: ProviderId::new(id),
        name: id.to_uppercase(),
        capabilities: Capabilities {
            flows,
            cancel: true,
            refund: true,
            auth_capture: true,
            lookup: false,
            services: Vec::new(),
            agent_pin: false,
            amount_due: None,
        },
    }
}

fn qr() -> ProviderInfo {
    provider("fake", vec![FlowKind::Qr])
}

fn mcash_like() -> ProviderInfo {
    provider("mcash", vec![FlowKind::Qr, FlowKind::Push])
}

/// Drives a terminal and keeps what it asked for.
struct H {
    t: Terminal,
    now: Millis,
    pending: Vec<(CallId, Operation)>,
    timers: Vec<(Timer, Millis)>,
    journal: Vec<JournalEntry>,
    effects: Vec<Effect>,
    view: View,
    starts: HashMap<SaleKey, u32>,
    vends: Vec<SaleKey>,
    denied: Vec<(Option<SaleKey>, String)>,
    deferred: Vec<(SaleKey, Operation)>,
    commands: Vec<OutboxCommand>,
    unlocks: Vec<ProviderId>,
    locks: Vec<ProviderId>,
}

impl H {
    fn new(settings: Settings, providers: Vec<ProviderInfo>) -> H {
        H::resuming(settings, providers, Vec::new())
    }

    /// A terminal that starts with these sales left unfinished before a restart.
    fn resuming(settings: Settings, providers: Vec<ProviderInfo>, left: Vec<Resume>) -> H {
        let mut t = Terminal::new(settings, providers, 1, Vec::new());
        t.resume(left);
        let view = t.view();
        let mut h = H {
            t,
            now: Millis(1_700_000_000_000),
            pending: Vec::new(),
            timers: Vec::new(),
            journal: Vec::new(),
            effects: Vec::new(),
            view,
            starts: HashMap::new(),
            vends: Vec::new(),
            denied: Vec::new(),
            deferred: Vec::new(),
            commands: Vec::new(),
            unlocks: Vec::new(),
            locks: Vec::new(),
        };
        h.send(Event::Ready);
        h
    }

    fn cashier(providers: Vec<ProviderInfo>) -> H {
        H::new(Settings::demo("T1"), providers)
    }

    fn send(&mut self, e: Event) {
        let fx = self.t.handle(self.now, e);
        for f in &fx {
            match f {
                Effect::Journal(j) => self.journal.push(j.clone()),
                Effect::Call { call, op, sale, .. } => {
                    if let Operation::Start(_) = op {
                        *self.starts.entry(sale.clone()).or_default() += 1;
                    }
                    self.pending.push((*call, op.clone()));
                }
                Effect::Arm { timer, at } => self.timers.push((timer.clone(), *at)),
                Effect::Show(v) => self.view = (**v).clone(),
                Effect::Vend { sale } => self.vends.push(sale.clone()),
                Effect::VendDenied { sale, reason } => {
                    self.denied.push((sale.clone(), reason.clone()))
                }
                Effect::Signal(_) => {}
                Effect::Defer { sale, op, .. } => self.deferred.push((sale.clone(), op.clone())),
                Effect::Outbox(c) => self.commands.push(c.clone()),
                Effect::Unlock { provider, .. } => self.unlocks.push(provider.clone()),
                Effect::Lock { provider } => self.locks.push(provider.clone()),
            }
        }
        self.effects = fx;
    }

    fn key(&mut self, k: Key) {
        self.send(Event::Key(k));
    }

    fn digits(&mut self, s: &str) {
        for c in s.bytes() {
            self.key(Key::Digit(c - b'0'));
        }
    }

    /// Takes the oldest pending call whose operation has this name.
    fn take(&mut self, name: &str) -> (CallId, Operation) {
        let i = self
            .pending
            .iter()
            .position(|(_, op)| op.name() == name)
            .unwrap_or_else(|| panic!("no pending {name} call in {:?}", self.pending));
        self.pending.remove(i)
    }

    fn has(&self, name: &str) -> bool {
        self.pending.iter().any(|(_, op)| op.name() == name)
    }

    fn answer(&mut self, call: CallId, result: Result<Reply, Failure>) {
        self.send(Event::Answer { call, result });
    }

    /// Fires the latest armed timer of this kind, moving the clock to it.
    fn fire(&mut self, kind: TimerKind) {
        let i = self
            .timers
            .iter()
            .rposition(|(t, _)| t.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} timer armed"));
        let (timer, at) = self.timers.remove(i);
        self.now = self.now.max(at);
        self.send(Event::Timer(timer));
    }

    /// Pay, then the first tile where tiles are shown (several providers).
    fn pay(&mut self) {
        self.key(Key::Enter);
        if matches!(self.view.screen, Screen::Method { .. }) {
            self.key(Key::Digit(1));
        }
    }

    fn sale_to_qr(&mut self, amount: &str) -> SaleKey {
        self.digits(amount);
        self.pay();
        let (call, op) = self.take("start");
        let Operation::Start(req) = op else {
            unreachable!()
        };
        self.answer(
            call,
            Ok(Reply::Started {
                handle: PaymentHandle(format!("tid-{}", req.key)),
                prompt: Prompt::Qr {
                    payload: "http://mca.sh/s/abc/T1".into(),
                    expires_at: self.now + 120_000,
                },
            }),
        );
        req.key
    }

    fn outcome(&self) -> Option<Outcome> {
        match &self.view.screen {
            Screen::Result { outcome, .. } => Some(outcome.clone()),
            _ => None,
        }
    }
}

fn approved(r: &str) -> PaymentStatus {
    PaymentStatus::Approved {
        reference: r.into(),
    }
}

fn pin_settings() -> Settings {
    let mut s = Settings::demo("T1");
    s.supervisor_pin = Some(PinHash::hash("2468", [1; 16], true).unwrap());
    s
}
