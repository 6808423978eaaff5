//! The supervisor pages behind the PIN: the menu, history, settings and diagnostics.

use super::Terminal;
use super::state::State;
use crate::core::event::Key;
use crate::core::pin::{PinStep, pin_key};
use crate::core::record::Outcome;
use crate::core::time::Millis;
use crate::core::view::{Check, Notice, SaleRow, Tone};

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

    pub(super) fn menu_items(&self) -> Vec<String> {
        let n = if self.settings.cashiers.is_empty() {
            MENU.len() - 1
        } else {
            MENU.len()
        };
        let mut items: Vec<String> = MENU[..n].iter().map(|s| s.to_string()).collect();
        items.extend(self.summary_menu_item());
        items
    }

    pub(super) fn choose_menu(&mut self, i: usize) -> State {
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
            // Appended after the fixed entries while a recovery summary waits.
            i if i + 1 == self.menu_items().len() && self.summary_menu_item().is_some() => {
                State::Summary { from_menu: true }
            }
            _ => State::Menu { message: None },
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
