//! Kiosk mode: a customer alone in front of the screen, and nobody to press a key afterwards.
//!
//! Every screen a customer can leave behind has a deadline ([`Due`]): the untouched start screen
//! gives way to the attract screen, a half-typed amount or a form goes back to the start, the
//! code screen gives up (the request is cancelled at the provider, so it cannot be paid later),
//! a supervisor page left open goes back to the start. One kiosk timer is armed at a time, for
//! the nearest deadline; when it fires the deadline is worked out again from the state, so a
//! touch in between simply moves it on and a stale timer does nothing. Results go back by the
//! `ResultHold` timer, each outcome with its own time.
//!
//! An in-doubt outcome is not a result a customer can act on: the kiosk shows "call staff"
//! instead, and stays there until the supervisor PIN, asked from that screen, clears it. The
//! sale itself stays with the outbox (the flow deferred it), which keeps asking the provider.

use std::mem::{Discriminant, discriminant};

use super::Terminal;
use super::state::{CancelReason, Phase, State};
use crate::core::event::{Effect, Key, Timer, TimerKind};
use crate::core::message::Message;
use crate::core::pin::{PinStep, pin_key};
use crate::core::provider::Prompt;
use crate::core::record::{Outcome, Record};
use crate::core::sale::SaleKey;
use crate::core::settings::Mode;
use crate::core::time::Millis;
use crate::core::view::{KioskFrame, Notice, Screen};

/// The kiosk's sense of time: when the screen last changed or was touched, and the timer out.
#[derive(Clone, Debug, Default)]
pub(super) struct KioskClock {
    /// When the customer last touched the kiosk, or the screen last changed.
    since: Millis,
    /// The screen `since` belongs to (its kind: typing digits is not a new screen).
    shown: Option<Discriminant<State>>,
    /// The kiosk timer armed and not fired yet.
    armed: Option<Millis>,
}

/// What happens when a screen's time is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Due {
    Attract,
    Home,
    /// The code screen's time limit: cancel the request at the provider.
    GiveUp,
    /// The PIN asked from "call staff" was left alone.
    BackToCallStaff,
}

impl Terminal {
    pub(super) fn is_kiosk(&self) -> bool {
        self.settings.mode == Mode::Kiosk
    }

    /// After every event in kiosk mode: keeps the fixed price on the start screen, moves the
    /// clock of the screen on, and arms the kiosk timer for the next deadline.
    pub(super) fn kiosk_after(&mut self, now: Millis, touched: bool, fx: &mut Vec<Effect>) {
        if let Some(fixed) = self.settings.kiosk.fixed_amount
            && let State::Amount { minor, .. } = &mut self.state
        {
            *minor = fixed.minor();
        }
        let kind = discriminant(&self.state);
        // A result and the code screen run on their own clocks; a touch there does not move them.
        let counts = touched
            && !matches!(
                self.state,
                State::Paying | State::Result { .. } | State::Queued { .. }
            );
        if counts || self.kiosk_clock.shown != Some(kind) {
            self.kiosk_clock.since = now;
            self.kiosk_clock.shown = Some(kind);
        }
        if let Some((at, _)) = self.kiosk_due()
            && self.kiosk_clock.armed.is_none_or(|armed| armed > at)
        {
            self.kiosk_clock.armed = Some(at);
            fx.push(Effect::Arm {
                timer: Timer {
                    kind: TimerKind::Kiosk,
                    sale: None,
                },
                at,
            });
        }
    }

    /// The kiosk timer fired: does what is due, if it is due yet (`kiosk_after` re-arms).
    pub(super) fn on_kiosk_timer(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        self.kiosk_clock.armed = None;
        let Some((at, due)) = self.kiosk_due() else {
            return;
        };
        if now < at {
            return;
        }
        match due {
            Due::Attract => self.state = State::Attract,
            Due::Home => self.state = self.home(),
            Due::GiveUp => self.request_cancel(now, CancelReason::Expiry, fx),
            Due::BackToCallStaff => {
                if let State::StaffPin { sale, .. } = &self.state {
                    self.state = State::CallStaff { sale: sale.clone() };
                }
            }
        }
    }

    /// The next deadline of the screen shown, if it has one.
    fn kiosk_due(&self) -> Option<(Millis, Due)> {
        let k = &self.settings.kiosk;
        let since = self.kiosk_clock.since;
        match &self.state {
            State::Amount { minor, error } => {
                let untouched = error.is_none() && (k.fixed_amount.is_some() || *minor == 0);
                if !untouched {
                    Some((since + k.idle_ms, Due::Home))
                } else if k.attract_ms > 0 {
                    Some((since + k.attract_ms, Due::Attract))
                } else {
                    None
                }
            }
            State::Method { .. } | State::Customer { .. } => Some((since + k.idle_ms, Due::Home)),
            State::Paying => self.code_deadline().map(|at| (at, Due::GiveUp)),
            // The ResultHold timer returns these; this is the same time again, for a result
            // that came without one (an approval arriving on the start screen).
            State::Result { sale } => Some((since + self.hold_ms(sale), Due::Home)),
            State::Queued { .. } => Some((since + k.not_paid_ms, Due::Home)),
            State::StaffPin { .. } => Some((since + k.idle_ms, Due::BackToCallStaff)),
            State::SupervisorPin { .. }
            | State::Menu { .. }
            | State::History
            | State::SaleDetail { .. }
            | State::RefundConfirm { .. }
            | State::Report
            | State::Outbox { .. }
            | State::OutboxItem { .. }
            | State::SettingsScreen
            | State::Language
            | State::Diagnostics
            | State::Summary { from_menu: true } => Some((since + k.staff_ms, Due::Home)),
            // Waiting on the provider (recovery, a refund) or on staff: nothing moves by itself.
            // A screen this file does not know about is left alone too.
            _ => None,
        }
    }

    /// When the code screen gives up: the kiosk's own limit after Pay, while the customer has
    /// a code to scan or a request on the phone and nothing was asked of the sale yet.
    fn code_deadline(&self) -> Option<Millis> {
        let a = self.active.as_ref()?;
        let waiting_for_customer = a.phase == Phase::Awaiting
            && a.cancel.is_none()
            && a.resumed.is_none()
            && matches!(a.prompt, Some(Prompt::Qr { .. } | Prompt::PushSent { .. }));
        if !waiting_for_customer {
            return None;
        }
        let started = self.row(&a.request.key)?.started_at;
        Some(started + self.settings.kiosk.code_ms)
    }

    /// How long this sale's result stays: paid and not paid have a time each.
    fn hold_ms(&self, sale: &SaleKey) -> u64 {
        let paid = self
            .row(sale)
            .and_then(|r| r.outcome.as_ref())
            .is_some_and(Outcome::is_approved);
        if paid {
            self.settings.kiosk.paid_ms
        } else {
            self.settings.kiosk.not_paid_ms
        }
    }

    /// A sale ended in kiosk mode: its result with its own time, or "call staff" when nobody
    /// can say whether it was paid.
    pub(super) fn kiosk_result(&mut self, now: Millis, sale: SaleKey, fx: &mut Vec<Effect>) {
        let in_doubt = self
            .row(&sale)
            .and_then(|r| r.outcome.as_ref())
            .is_some_and(|o| matches!(o, Outcome::InDoubt { .. }));
        if in_doubt {
            self.call_staff(now, &sale, fx);
            self.state = State::CallStaff { sale };
            return;
        }
        let at = now + self.hold_ms(&sale);
        self.arm(fx, TimerKind::ResultHold, &sale, at);
        self.state = State::Result { sale };
    }

    /// Journals that the kiosk stopped on "call staff" for `sale`, so a restart comes back to
    /// it (`staff_call`) until staff clears it.
    fn call_staff(&mut self, now: Millis, sale: &SaleKey, fx: &mut Vec<Effect>) {
        let Some(row) = self.row_mut(sale) else {
            return;
        };
        if row.staff_called {
            return;
        }
        row.staff_called = true;
        let provider = row.provider.clone();
        fx.push(self.journal(now, sale, &provider, Record::StaffCalled));
    }

    /// A sale the kiosk called staff for that staff has not cleared (this run or before a
    /// restart): the kiosk's "home" until then. The oldest first.
    pub(super) fn staff_call(&self) -> Option<SaleKey> {
        if !self.is_kiosk() {
            return None;
        }
        self.history
            .iter()
            .find(|r| r.staff_called)
            .map(|r| r.key.clone())
    }

    /// The right PIN was typed on "call staff": journaled, with how staff proved who they are.
    fn clear_staff_call(&mut self, now: Millis, sale: &SaleKey, fx: &mut Vec<Effect>) {
        let Some(row) = self.row_mut(sale) else {
            return;
        };
        row.staff_called = false;
        let provider = row.provider.clone();
        fx.push(self.journal(
            now,
            sale,
            &provider,
            Record::StaffCleared {
                by: "supervisor PIN".into(),
            },
        ));
    }

    /// The start screen with the operator's fixed price: only Pay (and the menu) do anything.
    pub(super) fn key_fixed_amount(
        &mut self,
        now: Millis,
        fixed: i64,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        match key {
            Key::Enter | Key::SendToPhone | Key::Menu => self.key_amount(now, fixed, key, fx),
            _ => State::Amount {
                minor: fixed,
                error: None,
            },
        }
    }

    /// Any touch or key leaves the attract screen; a digit is the first digit of the amount.
    pub(super) fn key_attract(&mut self, key: Key) -> State {
        match key {
            Key::Digit(d) if self.settings.kiosk.fixed_amount.is_none() => State::Amount {
                minor: i64::from(d),
                error: None,
            },
            Key::Menu => self.open_supervisor(),
            _ => self.home(),
        }
    }

    /// "Call staff" waits for the supervisor PIN; a digit is its first digit.
    pub(super) fn key_call_staff(&mut self, sale: SaleKey, key: Key) -> State {
        if self.settings.supervisor_pin.is_none() {
            // `config` refuses a kiosk without a supervisor PIN; nobody can clear this.
            return State::CallStaff { sale };
        }
        match key {
            Key::Enter | Key::Menu => State::StaffPin {
                sale,
                pin: String::new(),
                error: None,
            },
            Key::Digit(d) => State::StaffPin {
                sale,
                pin: char::from(b'0' + d).to_string(),
                error: None,
            },
            _ => State::CallStaff { sale },
        }
    }

    /// The PIN asked from "call staff": right, and the kiosk is the supervisor's (the menu,
    /// saying where the sale went); Cancel on an empty PIN goes back to "call staff".
    pub(super) fn key_staff_pin(
        &mut self,
        now: Millis,
        sale: SaleKey,
        mut pin: String,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let hash = self.settings.supervisor_pin.as_ref();
        let step = pin_key(&mut self.supervisor_guard, &mut pin, key, now, |typed| {
            hash.is_some_and(|h| h.verify(typed)).then_some(())
        });
        match step {
            PinStep::Accepted(()) => {
                self.clear_staff_call(now, &sale, fx);
                State::Menu {
                    message: Some(self.cleared_notice(&sale)),
                }
            }
            PinStep::Cancelled => State::CallStaff { sale },
            PinStep::Refused(error) => State::StaffPin {
                sale,
                pin,
                error: Some(error),
            },
            PinStep::Typing => State::StaffPin {
                sale,
                pin,
                error: None,
            },
        }
    }

    fn cleared_notice(&self, sale: &SaleKey) -> Notice {
        let Some(row) = self.row(sale) else {
            return Notice::info(Message::StaffCleared { sale: sale.clone() });
        };
        let (sale, amount) = (sale.clone(), row.amount);
        let provider = self.provider_name(&row.provider);
        match &row.outcome {
            Some(Outcome::InDoubt { .. }) | None => Notice::problem(Message::StillInDoubt {
                sale,
                amount,
                provider,
            }),
            Some(o) if o.is_approved() => Notice::info(Message::PaidAfterAll {
                sale,
                amount,
                provider,
            }),
            Some(_) => Notice::info(Message::NotPaidAfterAll {
                sale,
                amount,
                provider,
            }),
        }
    }

    pub(super) fn kiosk_screen(&self) -> Option<Screen> {
        match &self.state {
            State::Attract => Some(Screen::Attract {
                fixed_amount: self.settings.kiosk.fixed_amount,
                providers: self.providers.iter().map(|p| p.name.clone()).collect(),
            }),
            State::CallStaff { sale } => Some(match self.row(sale) {
                Some(row) => Screen::CallStaff {
                    sale: sale.clone(),
                    amount: row.amount,
                    provider: self.provider_name(&row.provider),
                    outcome: row.outcome.clone().unwrap_or(Outcome::InDoubt {
                        reason: "No outcome recorded".into(),
                    }),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            }),
            State::StaffPin { pin, error, .. } => Some(Screen::SupervisorPin {
                digits: pin.len(),
                error: error.clone(),
            }),
            _ => None,
        }
    }

    /// How the kiosk presents the screen; `None` outside kiosk mode.
    pub(super) fn kiosk_frame(&self) -> Option<KioskFrame> {
        if !self.is_kiosk() {
            return None;
        }
        let k = &self.settings.kiosk;
        let until = match &self.state {
            State::Paying => {
                let expiry = self.active.as_ref().and_then(|a| match &a.prompt {
                    Some(Prompt::Qr { expires_at, .. } | Prompt::PushSent { expires_at, .. }) => {
                        Some(*expires_at)
                    }
                    _ => None,
                });
                match (self.code_deadline(), expiry) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            State::Result { .. } | State::Queued { .. } => self.kiosk_due().map(|(at, _)| at),
            _ => None,
        };
        Some(KioskFrame {
            sticker: k.code == crate::core::settings::KioskCode::Sticker,
            fixed_amount: k.fixed_amount.is_some(),
            until,
        })
    }
}
