//! The supervisor pages behind the PIN: the menu (with the providers' services), history,
//! settings and diagnostics.

use super::Terminal;
use super::state::State;
use crate::core::event::{Effect, Key};
use crate::core::pin::{PinStep, pin_key};
use crate::core::record::Outcome;
use crate::core::time::Millis;
use crate::core::view::{Check, Notice, SaleRow, Tone};

/// What a menu line opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// One of [`MENU`], by index.
    Fixed(usize),
    /// A provider's service: (provider, service) indices.
    Service(usize, usize),
    Unlock(usize),
    Lock,
    Summary,
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

impl Terminal {
    pub(super) fn open_supervisor(&mut self) -> State {
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
    fn menu_entries(&self) -> Vec<(Entry, String)> {
        let n = if self.settings.cashiers.is_empty() {
            MENU.len() - 1
        } else {
            MENU.len()
        };
        let mut items: Vec<(Entry, String)> = MENU[..n]
            .iter()
            .enumerate()
            .map(|(i, s)| (Entry::Fixed(i), s.to_string()))
            .collect();
        for (p, s) in self.service_entries() {
            items.push((Entry::Service(p, s), self.service_menu_line(p, s)));
        }
        for (i, p) in self.providers.iter().enumerate() {
            if self.locked(p) {
                items.push((Entry::Unlock(i), format!("Unlock {}", p.name)));
            }
        }
        if self.providers.iter().any(|p| p.capabilities.agent_pin) {
            items.push((Entry::Lock, "Lock the terminal".to_string()));
        }
        if let Some(line) = self.summary_menu_item() {
            items.push((Entry::Summary, line));
        }
        items
    }

    pub(super) fn menu_items(&self) -> Vec<String> {
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
                    message: Some(Notice::problem("No approved sale to refund")),
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

    pub(super) fn settings_rows(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        vec![
            ("Terminal".into(), s.terminal_id.clone()),
            ("Mode".into(), format!("{:?}", s.mode).to_lowercase()),
            ("Currency".into(), s.currency.to_string()),
            ("Largest sale".into(), s.local.money(s.max_amount)),
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

    pub(super) fn diagnostics(&self) -> Vec<Check> {
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
pub(super) fn mib_text(bytes: u64) -> String {
    const MIB: u128 = 1024 * 1024;
    let tenths = (u128::from(bytes) * 10 + MIB / 2) / MIB;
    format!("{}.{} MiB", tenths / 10, tenths % 10)
}
