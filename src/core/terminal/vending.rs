//! Vending: the vend controller asks for a price, the payment is authorized, the product is
//! delivered or not, and the authorization is captured or released.

use super::state::{CallKind, Phase, State};
use super::{Terminal, backoff_ms};
use crate::core::event::{Effect, Signal, TimerKind};
use crate::core::provider::{Failure, FailureKind, FlowKind, Operation, Reply};
use crate::core::record::{Outcome, Record};
use crate::core::sale::{Capture, Flow, SaleKey};
use crate::core::settings::Mode;
use crate::core::time::Millis;
use crate::money::Money;

impl Terminal {
    pub(super) fn on_vend_request(&mut self, now: Millis, price: Money, fx: &mut Vec<Effect>) {
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

    pub(super) fn on_vend_result(
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
    pub(super) fn settle(&mut self, now: Millis, delivered: bool, fx: &mut Vec<Effect>) {
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

    pub(super) fn settle_call(&mut self, delivered: bool, fx: &mut Vec<Effect>) {
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

    pub(super) fn on_settle_answer(
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
}
