//! The outbox screens: the list of calls waiting to be made, and one item to retry or drop.
//!
//! Dropping asks first, because a dropped call is never made (a refund the customer never gets,
//! a queued payment request never sent). The command goes to the outbox worker, which carries
//! it out between two calls; until it answers, the item takes no second command.

use super::Terminal;
use super::state::State;
use crate::core::event::{Effect, Key, OutboxCommand, Signal};
use crate::core::message::Message;
use crate::core::view::{Notice, OutboxSummary, Screen};

impl Terminal {
    pub(super) fn key_outbox(&mut self, message: Option<Notice>, key: Key) -> State {
        match key {
            Key::Digit(d) if d >= 1 => self.choose_outbox(usize::from(d - 1), message),
            Key::Cancel | Key::Menu => State::Menu { message: None },
            _ => State::Outbox { message },
        }
    }

    pub(super) fn choose_outbox(&mut self, i: usize, message: Option<Notice>) -> State {
        match self.outbox.items.get(i) {
            Some(row) => State::OutboxItem {
                id: row.id,
                confirm_drop: false,
                message: None,
            },
            None => State::Outbox { message },
        }
    }

    pub(super) fn key_outbox_item(
        &mut self,
        id: u64,
        confirm_drop: bool,
        message: Option<Notice>,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let busy = self.outbox_command.is_some();
        match key {
            Key::Cancel if confirm_drop => State::OutboxItem {
                id,
                confirm_drop: false,
                message: None,
            },
            Key::Cancel | Key::Menu => State::Outbox { message: None },
            Key::Enter | Key::Clear if busy => {
                fx.push(Effect::Signal(Signal::ErrorBeep));
                State::OutboxItem {
                    id,
                    confirm_drop,
                    message,
                }
            }
            Key::Enter if confirm_drop => {
                self.send_outbox(
                    OutboxCommand::Drop {
                        id,
                        who: self.who_acts(),
                    },
                    fx,
                );
                State::OutboxItem {
                    id,
                    confirm_drop: false,
                    message: Some(Notice::info(Message::OutboxDropping)),
                }
            }
            Key::Enter => {
                self.send_outbox(OutboxCommand::Retry { id }, fx);
                State::OutboxItem {
                    id,
                    confirm_drop: false,
                    message: Some(Notice::info(Message::OutboxRetrying)),
                }
            }
            Key::Clear => State::OutboxItem {
                id,
                confirm_drop: true,
                message: None,
            },
            _ => State::OutboxItem {
                id,
                confirm_drop,
                message,
            },
        }
    }

    fn send_outbox(&mut self, command: OutboxCommand, fx: &mut Vec<Effect>) {
        self.outbox_command = Some(command.clone());
        fx.push(Effect::Outbox(command));
    }

    /// Who the journal says dropped an item: the supervisor PIN was given on this terminal.
    fn who_acts(&self) -> String {
        match &self.cashier {
            Some(c) => format!(
                "supervisor at terminal {} (cashier {c} signed in)",
                self.settings.terminal_id
            ),
            None => format!("supervisor at terminal {}", self.settings.terminal_id),
        }
    }

    pub(super) fn on_outbox_changed(&mut self, summary: OutboxSummary) {
        self.outbox = summary;
        // The item on screen finished (or was dropped by its own command, answered below).
        if let State::OutboxItem { id, .. } = self.state
            && self.outbox_command.is_none()
            && !self.outbox.items.iter().any(|r| r.id == id)
        {
            self.state = State::Outbox {
                message: Some(Notice::info(Message::OutboxItemDone { id })),
            };
        }
    }

    pub(super) fn on_outbox_command_done(
        &mut self,
        command: OutboxCommand,
        result: Result<(), String>,
    ) {
        if self.outbox_command.as_ref() == Some(&command) {
            self.outbox_command = None;
        }
        let id = command.id();
        let on_screen = matches!(self.state, State::OutboxItem { id: shown, .. } if shown == id);
        if !on_screen {
            return;
        }
        self.state = match (command, result) {
            (OutboxCommand::Retry { .. }, Ok(())) => State::OutboxItem {
                id,
                confirm_drop: false,
                message: Some(Notice::info(Message::OutboxItemDue { id })),
            },
            (OutboxCommand::Drop { .. }, Ok(())) => State::Outbox {
                message: Some(Notice::info(Message::OutboxDropped { id })),
            },
            (OutboxCommand::Retry { .. }, Err(e)) => State::OutboxItem {
                id,
                confirm_drop: false,
                message: Some(Notice::problem(Message::OutboxRetryFailed {
                    id,
                    reason: e,
                })),
            },
            (OutboxCommand::Drop { .. }, Err(e)) => State::OutboxItem {
                id,
                confirm_drop: false,
                message: Some(Notice::problem(Message::OutboxDropFailed { id, reason: e })),
            },
        };
    }

    pub(super) fn outbox_item_screen(
        &self,
        id: u64,
        confirm_drop: bool,
        message: Option<Notice>,
    ) -> Screen {
        match self.outbox.items.iter().find(|r| r.id == id) {
            Some(row) => Screen::OutboxItem {
                row: row.clone(),
                confirm_drop,
                message,
            },
            None => Screen::Outbox {
                summary: self.outbox.clone(),
                message,
            },
        }
    }
}
