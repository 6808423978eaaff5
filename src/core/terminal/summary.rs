//! The recovery summary: after "checking unfinished sales", the person at the terminal sees
//! what the recovery decided about each sale, once. Acknowledging it (Enter) is journaled, so a
//! restart does not show it again. A cashier sees it at once; a kiosk or a vending machine keeps
//! it behind the supervisor PIN, never in front of the next customer.

use super::Terminal;
use super::state::State;
use crate::core::event::{Effect, Key};
use crate::core::message::{MenuItem, Message};
use crate::core::record::{Outcome, Record};
use crate::core::settings::Mode;
use crate::core::summary::SummaryItem;
use crate::core::time::Millis;
use crate::core::view::{Notice, SaleRow, Screen};

impl Terminal {
    /// Sales resolved at an earlier start whose summary nobody acknowledged (the terminal
    /// stopped first): listed again with this start's.
    pub(super) fn unacknowledged(rows: &[SaleRow]) -> Vec<crate::core::sale::SaleKey> {
        rows.iter()
            .filter(|r| r.outcome.is_some() && r.restart.is_some_and(|m| !m.acknowledged))
            .map(|r| r.key.clone())
            .collect()
    }

    /// Where the terminal goes once every unfinished sale is resolved.
    pub(super) fn after_recovery(&self) -> State {
        if !self.summary.is_empty() && self.settings.mode == Mode::Cashier {
            State::Summary { from_menu: false }
        } else {
            self.home()
        }
    }

    /// The summary's items, in the order the sales were resolved.
    pub fn recovery_summary(&self) -> Vec<SummaryItem> {
        self.summary
            .iter()
            .filter_map(|k| self.row(k))
            .map(|row| SummaryItem {
                sale: row.key.clone(),
                provider: self.provider_name(&row.provider),
                amount: row.amount,
                started_at: row.started_at,
                outcome: row.outcome.clone().unwrap_or(Outcome::InDoubt {
                    reason: "No outcome recorded".into(),
                }),
                never_reached: row.restart.is_some_and(|m| m.never_reached),
            })
            .collect()
    }

    pub(super) fn summary_screen(&self, from_menu: bool) -> Screen {
        Screen::RecoverySummary {
            items: self.recovery_summary(),
            from_menu,
        }
    }

    /// The supervisor menu's entry for an unacknowledged summary, if any.
    pub(super) fn summary_menu_item(&self) -> Option<MenuItem> {
        (!self.summary.is_empty()).then_some(MenuItem::RecoverySummary {
            count: self.summary.len(),
        })
    }

    pub(super) fn key_summary(
        &mut self,
        now: Millis,
        from_menu: bool,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        match key {
            Key::Enter => {
                self.acknowledge_summary(now, fx);
                if from_menu {
                    State::Menu {
                        message: Some(Notice::info(Message::RecoveryAcknowledged)),
                    }
                } else {
                    self.home()
                }
            }
            Key::Cancel | Key::Menu if from_menu => State::Menu { message: None },
            _ => State::Summary { from_menu },
        }
    }

    /// One record per listed sale, so each is shown once whatever restarts come after.
    fn acknowledge_summary(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        for key in std::mem::take(&mut self.summary) {
            let Some(row) = self.row_mut(&key) else {
                continue;
            };
            if let Some(mark) = row.restart.as_mut() {
                mark.acknowledged = true;
            }
            let provider = row.provider.clone();
            fx.push(self.journal(now, &key, &provider, Record::Acknowledged));
        }
    }
}
