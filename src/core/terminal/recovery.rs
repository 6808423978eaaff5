//! Sales left unfinished by a restart, and sales whose answer was lost: each is resolved
//! through its provider by the sale's own key (`Recover`), never started a second time, one at a
//! time and before any new sale.

use super::state::{ActiveSale, CallKind, CancelReason, Phase, State};
use super::{Terminal, backoff_ms};
use crate::core::event::{Effect, TimerKind};
use crate::core::provider::{
    Failure, FailureKind, Operation, PaymentHandle, PaymentStatus, Prompt, ProviderId, Reply,
};
use crate::core::record::{Outcome, Record, Restart};
use crate::core::resume::{Left, Resume};
use crate::core::sale::{Flow, SaleKey};
use crate::core::time::Millis;
use crate::core::view::SaleRow;

impl Terminal {
    /// Hands over the sales the journal found unfinished. Call before `Event::Ready`; the
    /// terminal stays on the recovering screen until each is resolved through its provider.
    pub fn resume(&mut self, sales: Vec<Resume>) {
        for r in sales {
            if self.row(&r.request.key).is_none() {
                self.push_row(SaleRow {
                    key: r.request.key.clone(),
                    provider: r.provider.clone(),
                    amount: r.request.amount,
                    started_at: r.started_at,
                    outcome: None,
                    late_approval: false,
                    refunded: None,
                    restart: None,
                    service: match &r.request.flow {
                        Flow::Service { service, .. } => {
                            Some(self.service_label(&r.provider, service))
                        }
                        _ => None,
                    },
                    staff_called: false,
                });
            }
            if let Some(h) = &r.handle {
                self.handles
                    .insert(r.request.key.clone(), (h.clone(), r.provider.clone()));
            }
            self.resuming.push_back(r);
        }
    }

    pub(super) fn begin_recover(&mut self, now: Millis, why: &Failure, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let attempt = match a.phase {
            Phase::Checking { attempt } => attempt + 1,
            _ => 1,
        };
        if attempt > self.settings.recover_attempts {
            self.finish(
                now,
                Outcome::InDoubt {
                    reason: format!(
                        "No answer from the provider after {} checks: {why}",
                        attempt - 1
                    ),
                },
                fx,
            );
            return;
        }
        a.phase = Phase::Checking { attempt };
        let request = a.request.clone();
        if attempt == 1 {
            self.active_call(CallKind::Recover, Operation::Recover(request), fx);
        } else {
            let key = request.key.clone();
            let delay = backoff_ms(attempt);
            self.arm(fx, TimerKind::RecoverRetry, &key, now + delay);
        }
    }

    pub(super) fn on_recover_answer(
        &mut self,
        now: Millis,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Ok(Reply::NotFound) => self.finish(
                now,
                Outcome::Failed {
                    reason: "The provider never received the sale: nothing was charged".into(),
                },
                fx,
            ),
            Ok(Reply::Found {
                handle,
                status,
                prompt,
            }) if self.active.as_ref().is_some_and(|a| a.resumed.is_some())
                && (status.is_final() || status == PaymentStatus::Authorized) =>
            {
                // Where it stands is known: settle it without first asking to cancel.
                if let Some(a) = self.active.as_mut() {
                    a.cancel = None;
                }
                self.on_started(now, handle, prompt, fx);
                self.on_status(now, status, fx);
            }
            Ok(Reply::Found {
                handle,
                status,
                prompt,
            }) => {
                self.on_started(now, handle, prompt, fx);
                // `on_started` armed a poll; a final status ends the sale at once.
                if status.is_final() || status == PaymentStatus::Authorized {
                    self.on_status(now, status, fx);
                }
            }
            // Resumed after a restart: the request the recovery just made is the sale's first
            // and nobody is there to pay it. Abort it at once, the intent on disk first.
            Ok(Reply::Created { handle, prompt })
                if self.active.as_ref().is_some_and(|a| a.resumed.is_some()) =>
            {
                self.abort_created(now, handle, prompt, fx)
            }
            // Live (a lost start answer, the customer in front of the terminal): this is the
            // only request; show it.
            Ok(Reply::Created { handle, prompt }) => self.on_started(now, handle, prompt, fx),
            Ok(other) => self.begin_recover(
                now,
                &Failure::new(FailureKind::InDoubt, format!("unexpected answer {other:?}")),
                fx,
            ),
            Err(f) => self.begin_recover(now, &f, fx),
        }
    }

    /// The recovery's own create made the payment request just now: the sale never reached
    /// the provider before the restart. Journals that (and the handle) before the cancel
    /// leaves, so a kill in between leaves `Left::Abort` for the next start.
    fn abort_created(
        &mut self,
        now: Millis,
        handle: PaymentHandle,
        prompt: Option<Prompt>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let key = a.request.key.clone();
        let provider = a.provider.id.clone();
        let first = a.handle.as_ref() != Some(&handle);
        a.handle = Some(handle.clone());
        if prompt.is_some() {
            a.prompt = prompt;
        }
        a.phase = Phase::Cancelling;
        a.cancel = Some(CancelReason::Restart);
        let expires = match &a.prompt {
            Some(Prompt::Qr { expires_at, .. } | Prompt::PushSent { expires_at, .. }) => {
                Some(*expires_at)
            }
            _ => None,
        };
        self.handles
            .insert(key.clone(), (handle.clone(), provider.clone()));
        if first {
            fx.push(self.journal(now, &key, &provider, Record::Started { handle }));
        }
        fx.push(self.journal(now, &key, &provider, Record::AbortIntent));
        self.mark_never_reached(&key);
        // A provider that cannot cancel is watched until the request expires, then flagged.
        if let Some(at) = expires {
            self.arm(fx, TimerKind::Expiry, &key, at);
        }
        self.send_cancel(now, fx);
    }

    fn mark_never_reached(&mut self, key: &SaleKey) {
        if let Some(row) = self.row_mut(key) {
            let mark = row.restart.get_or_insert_with(Restart::default);
            mark.never_reached = true;
        }
    }

    /// Called as a resumed sale ends: journaled before its outcome, so history, reports and the
    /// recovery summary know it was resolved at a start and not in front of the customer.
    pub(super) fn resolved_after_restart(
        &mut self,
        now: Millis,
        key: &SaleKey,
        provider: &ProviderId,
        fx: &mut Vec<Effect>,
    ) {
        fx.push(self.journal(now, key, provider, Record::ResolvedAfterRestart));
        if let Some(row) = self.row_mut(key) {
            let mark = row.restart.get_or_insert_with(Restart::default);
            mark.acknowledged = false;
        }
        if !self.summary.contains(key) {
            self.summary.push(key.clone());
        }
    }

    /// Starts resolving the next unfinished sale, or, when none is left, opens the terminal.
    pub(super) fn next_resume(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if !self.ready || self.active.is_some() {
            return;
        }
        while let Some(r) = self.resuming.pop_front() {
            let key = r.request.key.clone();
            let Some(info) = self.provider_info(&r.provider).cloned() else {
                fx.push(self.journal(
                    now,
                    &key,
                    &r.provider,
                    Record::Flagged {
                        reason: format!(
                            "Unfinished at start and provider {} is no longer configured: check \
                             this sale with the provider",
                            r.provider
                        ),
                    },
                ));
                if let Some(row) = self.row_mut(&key)
                    && row.outcome.is_none()
                {
                    row.outcome = Some(Outcome::InDoubt {
                        reason: format!("provider {} is no longer configured", r.provider),
                    });
                }
                continue;
            };
            if let Left::Refund {
                amount,
                key: refund_key,
            } = &r.left
            {
                match &r.handle {
                    Some(h) => fx.push(Effect::Defer {
                        sale: key.clone(),
                        provider: r.provider.clone(),
                        op: Operation::Refund {
                            handle: h.clone(),
                            amount: *amount,
                            key: refund_key.clone(),
                        },
                    }),
                    None => fx.push(self.journal(
                        now,
                        &key,
                        &r.provider,
                        Record::Flagged {
                            reason: "A refund was started without a payment handle".into(),
                        },
                    )),
                }
                continue;
            }
            let cancel = match r.left {
                Left::Start | Left::Abort => Some(CancelReason::Restart),
                _ => None,
            };
            if r.left == Left::Abort {
                self.mark_never_reached(&key);
            }
            // The abort was journaled with the handle: send it again without asking the
            // provider first (no re-create at all).
            let abort_by_handle = r.left == Left::Abort && r.handle.is_some();
            self.active = Some(ActiveSale {
                request: r.request,
                provider: info,
                handle: r.handle,
                prompt: None,
                phase: Phase::Starting,
                cancel,
                cancel_attempts: 0,
                status_in_flight: false,
                past_expiry: false,
                resumed: Some(r.left),
                paid: None,
            });
            self.state = State::Recovering;
            if abort_by_handle {
                if let Some(a) = self.active.as_mut() {
                    a.phase = Phase::Cancelling;
                }
                self.send_cancel(now, fx);
                return;
            }
            self.begin_recover(
                now,
                &Failure::new(
                    FailureKind::InDoubt,
                    "the terminal stopped before the answer was written",
                ),
                fx,
            );
            return;
        }
        if matches!(self.state, State::Recovering) {
            self.state = self.after_recovery();
        }
    }
}

/// An authorization found standing after a restart: capture it only if the journal says the
/// product was delivered, release it otherwise. `None` for a sale that was not resumed.
pub(super) fn resumed_delivery(a: &ActiveSale) -> Option<bool> {
    match &a.resumed {
        Some(left @ (Left::Start | Left::Abort | Left::Capture | Left::Release)) => {
            Some(*left == Left::Capture)
        }
        _ => None,
    }
}
