//! Vending: the vend controller asks for a price, the payment is authorized, the product is
//! delivered or not, and the authorization is captured or released.
//!
//! Every `VendRequest` is answered exactly once: `Effect::Vend` (approve the vend) or
//! `Effect::VendDenied`. The controller side (`crate::vend`) relies on that to stay in step with
//! the machine. Decisions:
//! - A request is taken on the idle screen and on a result screen (the next customer need not
//!   wait for the result to time out); anywhere else (recovering, a supervisor page, a sale in
//!   progress) it is denied at once, so one authorization per vend, never two.
//! - The provider: the first that authorizes and captures with a QR code (mCASH with action
//!   AUTH); failing that, the first with a QR code that refunds ("pay first": the sale is paid
//!   outright, the product vended, and a failed vend refunded by the terminal itself, journaled
//!   first like any refund; an unconfirmed refund goes to the outbox, never forgotten).
//! - `VendCancel` (the machine gave up) answers the request at once with a denial and aborts
//!   the payment; an authorization that arrives anyway is released, a payment refunded: never
//!   approved late. After the approval the machine's word is `VendResult`, not a cancel.
//! - After a restart, a pay-first payment found approved was never confirmed delivered (the
//!   outcome is journaled only once the machine reports), so it is refunded.

use super::state::{CallKind, CancelReason, Phase, State};
use super::{Terminal, backoff_ms};
use crate::core::event::{Effect, Signal, TimerKind};
use crate::core::message::Message;
use crate::core::provider::{Failure, FailureKind, FlowKind, Operation, ProviderId, Reply};
use crate::core::record::{Outcome, Record};
use crate::core::sale::{Capture, Flow, SaleKey};
use crate::core::settings::Mode;
use crate::core::time::Millis;
use crate::money::Money;

impl Terminal {
    pub(super) fn on_vend_request(&mut self, now: Millis, price: Money, fx: &mut Vec<Effect>) {
        if self.settings.mode != Mode::Vending {
            fx.push(Effect::Signal(Signal::ErrorBeep));
            deny(fx, None, "This terminal is not in vending mode");
            return;
        }
        let idle = matches!(self.state, State::Amount { .. } | State::Result { .. });
        if !idle || self.active.is_some() || self.vend_request.is_some() {
            deny(fx, None, "The terminal is busy");
            return;
        }
        // The machine hears (and logs) its refusal in English; the screen says it in words.
        let refused = if price.currency() != self.settings.currency {
            Some((
                format!(
                    "The machine asked for {price}, the terminal sells in {}",
                    self.settings.currency
                ),
                Message::VendWrongCurrency {
                    price,
                    currency: self.settings.currency.code().to_string(),
                },
            ))
        } else if !price.is_positive() || price.minor() > self.settings.max_amount.minor() {
            Some((
                format!("The machine asked for {price}, outside the allowed range"),
                Message::VendOutOfRange { price },
            ))
        } else {
            None
        };
        if let Some((reason, error)) = refused {
            deny(fx, None, &reason);
            self.state = State::Amount {
                minor: 0,
                error: Some(error),
            };
            return;
        }
        let qr = |caps: &crate::core::provider::Capabilities| caps.flows.contains(&FlowKind::Qr);
        let authorizing = self
            .providers
            .iter()
            .find(|p| p.capabilities.auth_capture && qr(&p.capabilities))
            .map(|p| (p.clone(), Capture::Auth));
        let pay_first = || {
            self.providers
                .iter()
                .find(|p| p.capabilities.refund && qr(&p.capabilities))
                .map(|p| (p.clone(), Capture::Sale))
        };
        let Some((info, capture)) = authorizing.or_else(pay_first) else {
            deny(
                fx,
                None,
                "No enabled provider can authorize, or pay and refund, by QR code",
            );
            self.state = State::Amount {
                minor: 0,
                error: Some(Message::NoVendProvider),
            };
            return;
        };
        self.state = self.start_sale(now, price, info, Flow::Qr, capture, fx);
        match &self.active {
            Some(a) => self.vend_request = Some(a.request.key.clone()),
            None => {
                let reason = match &self.state {
                    State::Amount {
                        error: Some(Message::SalesStopped),
                        ..
                    } => "Sales are stopped: the journal cannot be written",
                    State::Amount {
                        error: Some(Message::SaleKeyFailed { .. }),
                        ..
                    } => "The terminal id cannot make a sale key",
                    _ => "The sale could not start",
                };
                deny(fx, None, reason);
            }
        }
    }

    /// The machine gave up before the vend was approved.
    pub(super) fn on_vend_cancel(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        let Some(key) = self.vend_request.take() else {
            return;
        };
        deny(
            fx,
            Some(key.clone()),
            "The machine withdrew the vend request",
        );
        if self.active.as_ref().is_some_and(|a| a.request.key == key) {
            self.request_cancel(now, CancelReason::Machine, fx);
        }
    }

    /// The sale `key` ended with `outcome`: a vend request still waiting for its answer is
    /// denied.
    pub(super) fn vend_ended(&mut self, key: &SaleKey, outcome: &Outcome, fx: &mut Vec<Effect>) {
        if self.vend_request.as_ref() != Some(key) {
            return;
        }
        self.vend_request = None;
        let reason = match outcome {
            Outcome::Declined { reason } => format!("Declined: {reason}"),
            Outcome::Expired => "The payment expired".to_string(),
            Outcome::Cancelled => "The payment was cancelled".to_string(),
            Outcome::Failed { reason } => reason.clone(),
            Outcome::InDoubt { reason } => format!("The payment is in doubt: {reason}"),
            Outcome::Released => "The authorization was released".to_string(),
            Outcome::Approved { .. } => "The payment ended before the vend".to_string(),
        };
        deny(fx, Some(key.clone()), &reason);
    }

    /// Authorized (or paid outright): approve the vend, if the machine still wants it.
    pub(super) fn approve_vend(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        a.phase = Phase::Vending;
        let (key, provider) = (a.request.key.clone(), a.provider.id.clone());
        if self.vend_request.as_ref() == Some(&key) {
            self.vend_request = None;
        }
        fx.push(self.journal(now, &key, &provider, Record::VendApproved));
        fx.push(Effect::Vend { sale: key });
    }

    /// A pay-first vend's payment was approved.
    pub(super) fn on_vend_paid(&mut self, now: Millis, reference: String, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let key = a.request.key.clone();
        let wanted =
            a.cancel.is_none() && a.resumed.is_none() && self.vend_request.as_ref() == Some(&key);
        if wanted {
            a.paid = Some(reference);
            self.approve_vend(now, fx);
        } else {
            // Paid after the machine gave up, or found paid after a restart with no delivery on
            // record: the money moved, and goes back.
            self.finish(now, Outcome::Approved { reference }, fx);
            self.vend_refund(now, &key, fx);
        }
    }

    pub(super) fn on_vend_result(
        &mut self,
        now: Millis,
        sale: SaleKey,
        delivered: bool,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        if a.request.key != sale || a.phase != Phase::Vending {
            return;
        }
        match a.paid.clone() {
            Some(reference) => {
                self.finish(now, Outcome::Approved { reference }, fx);
                if !delivered {
                    self.vend_refund(now, &sale, fx);
                }
            }
            None => self.settle(now, delivered, fx),
        }
    }

    /// Refunds a paid vend that did not deliver, journaled first, under the same refund key a
    /// supervisor's refund would use (the provider treats a repeat as the same refund).
    pub(super) fn vend_refund(&mut self, now: Millis, sale: &SaleKey, fx: &mut Vec<Effect>) {
        let Some(row) = self.row(sale).cloned() else {
            return;
        };
        if row.refunded.is_some() || self.vend_refunds.contains(sale) {
            return;
        }
        let handle = self.handles.get(sale).map(|(h, _)| h.clone());
        let refund_key = SaleKey::parse(&format!("{}-R", sale.as_str()));
        let (Some(handle), Ok(refund_key)) = (handle, refund_key) else {
            fx.push(
                self.journal(
                    now,
                    sale,
                    &row.provider,
                    Record::Flagged {
                        reason: "The vend failed after payment and the terminal cannot refund it: \
                             refund the customer by hand"
                            .into(),
                    },
                ),
            );
            return;
        };
        fx.push(self.journal(
            now,
            sale,
            &row.provider,
            Record::RefundIntent {
                amount: row.amount,
                key: refund_key.clone(),
            },
        ));
        self.vend_refunds.push(sale.clone());
        self.call(
            sale,
            &row.provider,
            CallKind::Refund,
            Operation::Refund {
                handle,
                amount: row.amount,
                key: refund_key,
            },
            fx,
        );
    }

    /// The answer to a refund the terminal started after a failed vend. Not confirmed (network,
    /// lost answer): the outbox sends it again with the same key until it is.
    pub(super) fn on_vend_refund_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        provider: ProviderId,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        self.vend_refunds.retain(|s| s != &sale);
        match result {
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
                    row.refunded = Some(reference);
                }
            }
            Err(f) if matches!(f.kind, FailureKind::Rejected | FailureKind::Auth) => {
                fx.push(self.journal(
                    now,
                    &sale,
                    &provider,
                    Record::Flagged {
                        reason: format!(
                            "The vend failed after payment and the provider refused the \
                             refund: {f}"
                        ),
                    },
                ));
            }
            _ => {
                let (Some(row), Some((handle, _))) =
                    (self.row(&sale).cloned(), self.handles.get(&sale).cloned())
                else {
                    return;
                };
                let Ok(key) = SaleKey::parse(&format!("{}-R", sale.as_str())) else {
                    return;
                };
                fx.push(Effect::Defer {
                    sale,
                    provider,
                    op: Operation::Refund {
                        handle,
                        amount: row.amount,
                        key,
                    },
                });
            }
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
        if self.vend_request.as_ref() == Some(&key) {
            // Released before the machine was answered (a restart, a cancel): it is denied.
            self.vend_request = None;
            deny(fx, Some(key.clone()), "The authorization was given back");
        }
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

fn deny(fx: &mut Vec<Effect>, sale: Option<SaleKey>, reason: &str) {
    fx.push(Effect::VendDenied {
        sale,
        reason: reason.to_string(),
    });
}
