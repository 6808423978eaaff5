//! The supervisor pages behind the PIN: the menu (with the providers' services), history,
//! settings and diagnostics.

use super::Terminal;
use super::state::State;
use crate::core::event::{Effect, Key};
use crate::core::message::{Checked, MenuItem, Message, Setting};
use crate::core::pin::{PinStep, pin_key};
use crate::core::record::Outcome;
use crate::core::time::Millis;
use crate::core::view::{Check, Notice, SaleRow, Tone};

/// What a menu line opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// One of [`SUPERVISOR_MENU`], by index.
    Fixed(usize),
    /// A provider's service: (provider, service) indices.
    Service(usize, usize),
    Unlock(usize),
    Lock,
    Summary,
}

/// The supervisor menu's fixed lines, in order (providers' services and unlocks follow them).
pub const SUPERVISOR_MENU: [MenuItem; 7] = [
    MenuItem::RefundLastSale,
    MenuItem::History,
    MenuItem::DailyReport,
    MenuItem::Outbox,
    MenuItem::Settings,
    MenuItem::Diagnostics,
    MenuItem::SignOut,
];

impl Terminal {
    pub(super) fn open_supervisor(&mut self) -> State {
        if self.settings.supervisor_pin.is_none() {
            return State::Amount {
                minor: 0,
                error: Some(Message::NoSupervisorPin),
            };
        }
        State::SupervisorPin {
            pin: String::new(),
            error: None,
        }
    }

    pub(super) fn key_supervisor(&mut self, now: Millis, mut pin: String, key: Key) -> State {
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

    /// The menu's entries: the fixed ones (Sign out with cashiers), each enabled provider's
    /// services, Unlock for a provider waiting for its agent PIN, Lock the terminal where a
    /// provider has one, and the recovery summary while one waits.
    fn menu_entries(&self) -> Vec<(Entry, MenuItem)> {
        let n = if self.settings.cashiers.is_empty() {
            SUPERVISOR_MENU.len() - 1
        } else {
            SUPERVISOR_MENU.len()
        };
        let mut items: Vec<(Entry, MenuItem)> = SUPERVISOR_MENU[..n]
            .iter()
            .enumerate()
            .map(|(i, item)| (Entry::Fixed(i), item.clone()))
            .collect();
        for (p, s) in self.service_entries() {
            if let Some(item) = self.service_menu_item(p, s) {
                items.push((Entry::Service(p, s), item));
            }
        }
        for (i, p) in self.providers.iter().enumerate() {
            if self.locked(p) {
                let provider = p.name.clone();
                items.push((Entry::Unlock(i), MenuItem::Unlock { provider }));
            }
        }
        if self.providers.iter().any(|p| p.capabilities.agent_pin) {
            items.push((Entry::Lock, MenuItem::Lock));
        }
        if let Some(line) = self.summary_menu_item() {
            items.push((Entry::Summary, line));
        }
        items
    }

    pub(super) fn menu_items(&self) -> Vec<MenuItem> {
        self.menu_entries().into_iter().map(|(_, s)| s).collect()
    }

    pub(super) fn choose_menu(&mut self, i: usize, fx: &mut Vec<Effect>) -> State {
        let Some((entry, _)) = self.menu_entries().into_iter().nth(i) else {
            return State::Menu { message: None };
        };
        match entry {
            Entry::Fixed(0) => match self.history.iter().rev().find(|r| {
                r.outcome.as_ref().is_some_and(Outcome::is_approved)
                    && r.refunded.is_none()
                    && r.service.is_none()
            }) {
                Some(row) => State::SaleDetail {
                    sale: row.key.clone(),
                    message: None,
                },
                None => State::Menu {
                    message: Some(Notice::problem(Message::NoApprovedSale)),
                },
            },
            Entry::Fixed(1) => State::History,
            Entry::Fixed(2) => State::Report,
            Entry::Fixed(3) => State::Outbox { message: None },
            Entry::Fixed(4) => State::SettingsScreen,
            Entry::Fixed(5) => State::Diagnostics,
            Entry::Fixed(_) => {
                // Sign out: the shift ends, and with it every agent PIN.
                self.cashier = None;
                self.lock_all(fx);
                self.home()
            }
            Entry::Service(p, s) => self.open_service(p, s, fx),
            Entry::Unlock(p) => Terminal::agent_pin_state(p),
            Entry::Lock => {
                self.cashier = None;
                self.lock_all(fx);
                self.home()
            }
            Entry::Summary => State::Summary { from_menu: true },
        }
    }

    pub(super) fn history_rows(&self) -> Vec<SaleRow> {
        self.history.iter().rev().take(50).cloned().collect()
    }

    pub(super) fn choose_history(&mut self, i: usize) -> State {
        match self.history_rows().get(i) {
            Some(row) => State::SaleDetail {
                sale: row.key.clone(),
                message: None,
            },
            None => State::History,
        }
    }

    pub(super) fn settings_rows(&self) -> Vec<Setting> {
        let s = &self.settings;
        vec![
            Setting::Terminal(s.terminal_id.clone()),
            Setting::Mode(s.mode),
            Setting::Currency(s.currency.code().to_string()),
            Setting::LargestSale(s.max_amount),
            Setting::Methods(self.providers.iter().map(|p| p.name.clone()).collect()),
        ]
    }

    pub(super) fn diagnostics(&self) -> Vec<Check> {
        let mut checks = vec![
            Check::new(
                Checked::Version(env!("CARGO_PKG_VERSION").to_string()),
                Tone::Info,
            ),
            Check::new(
                Checked::Terminal(self.settings.terminal_id.clone()),
                Tone::Info,
            ),
            Check::new(
                Checked::Network {
                    online: self.online,
                },
                if self.online {
                    Tone::Good
                } else {
                    Tone::Problem
                },
            ),
            Check::new(
                Checked::Journal {
                    failing: self.journal_failing,
                },
                if self.journal_failing {
                    Tone::Problem
                } else {
                    Tone::Good
                },
            ),
            Check::new(
                Checked::Outbox {
                    pending: self.outbox.pending,
                    dead: self.outbox.dead,
                },
                if self.outbox.dead > 0 {
                    Tone::Problem
                } else {
                    Tone::Info
                },
            ),
        ];
        if let Some((bytes, damaged)) = self.storage {
            checks.push(Check::new(Checked::Storage { bytes }, Tone::Info));
            if damaged > 0 {
                checks.push(Check::new(
                    Checked::Damaged { count: damaged },
                    Tone::Problem,
                ));
            }
        }
        for p in &self.providers {
            let reachable = self.reachable.get(&p.id).copied();
            let tone = match reachable {
                Some(true) => Tone::Good,
                Some(false) => Tone::Problem,
                None => Tone::Info,
            };
            let name = p.name.clone();
            checks.push(Check::new(Checked::Provider { name, reachable }, tone));
        }
        checks
    }
}
