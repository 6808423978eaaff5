//! One sale from start to end: the start call, polling, cancelling, expiry, the outcome and
//! answers that arrive after the sale ended.

use super::Terminal;
use super::recovery::resumed_delivery;
use super::state::{ActiveSale, CallKind, CancelReason, Phase, State};
use crate::core::event::{CallId, Effect, Signal, Timer, TimerKind};
use crate::core::message::Message;
use crate::core::provider::{
    Failure, FailureKind, FlowKind, Operation, PaymentHandle, PaymentStatus, Prompt, ProviderInfo,
    Reply,
};
use crate::core::record::{Outcome, Record};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::core::settings::Mode;
use crate::core::time::Millis;
use crate::core::view::SaleRow;
use crate::money::Money;

/// After this many failed cancel attempts the sale is flagged rather than waited on forever.
const CANCEL_ATTEMPTS: u32 = 5;
/// How long past its expiry a payment the provider cannot cancel is waited on.
pub(super) const EXPIRY_GRACE_MS: u64 = 60_000;

impl Terminal {
    pub(super) fn start_sale(
        &mut self,
        now: Millis,
        amount: Money,
        provider: ProviderInfo,
        flow: Flow,
        capture: Capture,
        fx: &mut Vec<Effect>,
    ) -> State {
        if self.journal_failing || self.active.is_some() {
            fx.push(Effect::Signal(Signal::ErrorBeep));
            return State::Amount {
                minor: amount.minor(),
                error: Some(Message::SalesStopped),
            };
        }
        let key = match SaleKey::new(&self.settings.terminal_id, self.next_sequence) {
            Ok(k) => k,
            Err(e) => {
                return State::Amount {
                    minor: amount.minor(),
                    error: Some(Message::SaleKeyFailed { why: e }),
                };
            }
        };
        self.next_sequence += 1;
        let offline = self.offline(&provider.id);
        let queued_phone = match &flow {
            Flow::Push { phone } if offline && capture == Capture::Sale => Some(phone.clone()),
            _ => None,
        };
        let service = match &flow {
            Flow::Service { service, .. } => Some(self.service_label(&provider.id, service)),
            _ => None,
        };
        let request = SaleRequest {
            key: key.clone(),
            amount,
            flow,
            capture,
        };
        self.push_row(SaleRow {
            key: key.clone(),
            provider: provider.id.clone(),
            amount,
            started_at: now,
            outcome: None,
            late_approval: false,
            refunded: None,
            restart: None,
            service,
            staff_called: false,
        });
        fx.push(self.journal(
            now,
            &key,
            &provider.id,
            Record::StartIntent(request.clone()),
        ));
        if let Some(phone) = queued_phone {
            // Offline: the request waits in the outbox (within the configured limits) and is
            // sent when the network is back. Nothing is paid until the customer approves.
            fx.push(Effect::Defer {
                sale: key.clone(),
                provider: provider.id.clone(),
                op: Operation::Start(request),
            });
            if self.settings.mode != Mode::Cashier {
                self.arm(
                    fx,
                    TimerKind::ResultHold,
                    &key,
                    now + self.settings.result_hold_ms,
                );
            }
            return State::Queued { sale: key, phone };
        }
        self.call(
            &key,
            &provider.id,
            CallKind::Start,
            Operation::Start(request.clone()),
            fx,
        );
        self.active = Some(ActiveSale {
            request,
            provider,
            handle: None,
            prompt: None,
            phase: Phase::Starting,
            cancel: None,
            cancel_attempts: 0,
            status_in_flight: false,
            past_expiry: false,
            resumed: None,
            paid: None,
        });
        State::Paying
    }

    pub(super) fn request_cancel(
        &mut self,
        now: Millis,
        reason: CancelReason,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.active.as_ref() else {
            return;
        };
        if a.cancel.is_some() {
            return;
        }
        // The provider cannot cancel: the sale ends cancelled here, and is watched.
        if a.phase == Phase::Awaiting
            && reason == CancelReason::Cashier
            && !a.provider.capabilities.cancel
            && self.cancel_unstoppable(now, fx)
        {
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        match a.phase {
            Phase::Starting | Phase::Checking { .. } => a.cancel = Some(reason),
            Phase::Awaiting => {
                a.cancel = Some(reason);
                a.phase = Phase::Cancelling;
                self.send_cancel(now, fx);
            }
            // A vend in progress finishes: the product may already be on its way.
            Phase::Vending | Phase::Settling { .. } | Phase::Cancelling => {}
        }
    }

    /// Asks the provider to abort, or, where it cannot, keeps asking for the status.
    pub(super) fn send_cancel(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        let Some(handle) = a.handle.clone() else {
            return;
        };
        if a.provider.capabilities.cancel && a.cancel_attempts < CANCEL_ATTEMPTS {
            a.cancel_attempts += 1;
            self.active_call(CallKind::Cancel, Operation::Cancel(handle), fx);
        } else {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms,
            );
        }
    }

    pub(super) fn on_answer(
        &mut self,
        now: Millis,
        call: CallId,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        // Every answer says whether the provider could be reached: offline, push requests are
        // queued instead of sent.
        match &result {
            Ok(_) => self.online = true,
            Err(f) if f.kind == FailureKind::Transient => self.online = false,
            Err(_) => {}
        }
        let Some(pending) = self.calls.remove(&call) else {
            return;
        };
        if let Some(provider) = self.row(&pending.sale).map(|r| r.provider.clone()) {
            match &result {
                Ok(_) => {
                    self.reachable.insert(provider, true);
                }
                Err(f) if f.kind == FailureKind::Transient => {
                    self.reachable.insert(provider, false);
                }
                Err(_) => {}
            }
        }
        if pending.kind == CallKind::Refund {
            self.on_refund_answer(now, pending.sale, result, fx);
            return;
        }
        if pending.kind == CallKind::Status && self.is_watched(&pending.sale) {
            self.on_watch_answer(now, pending.sale, result, fx);
            return;
        }
        if pending.kind == CallKind::Query {
            if !self.on_due_answer(call, result.clone(), fx) {
                self.on_query_answer(call, result);
            }
            return;
        }
        let is_active = self
            .active
            .as_ref()
            .is_some_and(|a| a.request.key == pending.sale);
        if !is_active {
            self.on_late_answer(now, pending.sale, result, fx);
            return;
        }
        match pending.kind {
            CallKind::Start => self.on_start_answer(now, result, fx),
            CallKind::Recover => self.on_recover_answer(now, result, fx),
            CallKind::Status => {
                if let Some(a) = self.active.as_mut() {
                    a.status_in_flight = false;
                }
                match result {
                    Ok(Reply::Status(s)) => self.on_status(now, s, fx),
                    _ => self.poll_later(now, fx),
                }
            }
            CallKind::Cancel => match result {
                Ok(Reply::Cancelled(s)) if s.is_final() => self.on_status(now, s, fx),
                // Not cancelled yet, refused (too late: it may be paid), or unreachable: the
                // provider's status decides.
                _ => self.poll_soon(now, fx),
            },
            CallKind::Capture | CallKind::Release => self.on_settle_answer(now, result, fx),
            CallKind::Refund | CallKind::Query => {}
        }
    }

    fn on_start_answer(
        &mut self,
        now: Millis,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Ok(Reply::Started { handle, prompt }) => self.on_started(now, handle, Some(prompt), fx),
            Ok(other) => self.begin_recover(
                now,
                &Failure::new(FailureKind::InDoubt, format!("unexpected answer {other:?}")),
                fx,
            ),
            Err(f) => match f.kind {
                FailureKind::InDoubt => self.begin_recover(now, &f, fx),
                FailureKind::Transient => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("Could not reach the provider, nothing was charged: {f}"),
                    },
                    fx,
                ),
                FailureKind::Auth => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("The provider refused the terminal's credentials: {f}"),
                    },
                    fx,
                ),
                FailureKind::Rejected => self.finish(
                    now,
                    Outcome::Failed {
                        reason: format!("The provider refused the sale: {f}"),
                    },
                    fx,
                ),
            },
        }
    }

    pub(super) fn on_started(
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
        let first = a.handle.is_none();
        a.handle = Some(handle.clone());
        if prompt.is_some() {
            a.prompt = prompt;
        }
        a.phase = Phase::Awaiting;
        let expires = match &a.prompt {
            Some(Prompt::Qr { expires_at, .. } | Prompt::PushSent { expires_at, .. }) => {
                Some(*expires_at)
            }
            _ => None,
        };
        let immediate = matches!(a.prompt, Some(Prompt::Immediate));
        let cancel = a.cancel;
        self.handles
            .insert(key.clone(), (handle.clone(), provider.clone()));
        if first {
            fx.push(self.journal(now, &key, &provider, Record::Started { handle }));
        }
        if let Some(reason) = cancel {
            if let Some(a) = self.active.as_mut() {
                a.cancel = None;
            }
            self.request_cancel(now, reason, fx);
            return;
        }
        let first_poll = if immediate {
            now
        } else {
            now + self.settings.poll_interval_ms
        };
        self.arm(fx, TimerKind::Poll, &key, first_poll);
        if let Some(at) = expires {
            self.arm(fx, TimerKind::Expiry, &key, at);
        }
    }

    fn poll_later(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if let Some(a) = &self.active {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms,
            );
        }
    }

    fn poll_soon(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if let Some(a) = &self.active {
            let key = a.request.key.clone();
            self.arm(
                fx,
                TimerKind::Poll,
                &key,
                now + self.settings.poll_interval_ms.min(500),
            );
        }
    }

    pub(super) fn on_status(&mut self, now: Millis, status: PaymentStatus, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.as_mut() else {
            return;
        };
        match status {
            PaymentStatus::Pending => {
                if a.phase == Phase::Cancelling {
                    self.send_cancel(now, fx);
                } else {
                    self.poll_later(now, fx);
                }
            }
            PaymentStatus::Authorized => {
                let settled = matches!(a.phase, Phase::Vending | Phase::Settling { .. });
                if a.request.capture == Capture::Auth && !settled {
                    let wanted = self.vend_request.as_ref() == Some(&a.request.key);
                    if let Some(deliver) = resumed_delivery(a) {
                        self.settle(now, deliver, fx);
                    } else if a.cancel.is_some() || !wanted {
                        // Cancelled before the vend, or the machine gave up: give it back.
                        self.settle(now, false, fx);
                    } else {
                        self.approve_vend(now, fx);
                    }
                } else if a.request.capture == Capture::Sale {
                    self.poll_later(now, fx);
                }
            }
            PaymentStatus::Approved { reference }
                if self.settings.mode == Mode::Vending
                    && a.request.capture == Capture::Sale
                    && a.phase != Phase::Vending =>
            {
                self.on_vend_paid(now, reference, fx);
            }
            other => {
                let cancel = a.cancel;
                let outcome = match (Outcome::from_status(&other), cancel) {
                    (Some(Outcome::Cancelled), Some(CancelReason::Expiry)) => Outcome::Expired,
                    (Some(o), _) => o,
                    (None, _) => return,
                };
                self.finish(now, outcome, fx);
            }
        }
    }

    pub(super) fn on_timer(&mut self, now: Millis, timer: Timer, fx: &mut Vec<Effect>) {
        if timer.kind == TimerKind::ResultHold {
            if let State::Result { sale } | State::Queued { sale, .. } = &self.state
                && timer.sale.as_ref() == Some(sale)
            {
                self.state = self.home();
            }
            return;
        }
        if let Some(sale) = timer.sale.as_ref().filter(|s| self.is_watched(s)) {
            if timer.kind == TimerKind::Poll {
                let sale = sale.clone();
                self.watch_poll(now, &sale, fx);
            }
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if timer.sale.as_ref() != Some(&a.request.key) {
            return;
        }
        match timer.kind {
            TimerKind::Poll => {
                if matches!(a.phase, Phase::Awaiting | Phase::Cancelling)
                    && !a.status_in_flight
                    && let Some(handle) = a.handle.clone()
                {
                    a.status_in_flight = true;
                    self.active_call(CallKind::Status, Operation::Status(handle), fx);
                }
            }
            TimerKind::Expiry => {
                if a.past_expiry {
                    self.finish(
                        now,
                        Outcome::InDoubt {
                            reason:
                                "The provider did not confirm the payment ended after it expired"
                                    .into(),
                        },
                        fx,
                    );
                } else if matches!(a.phase, Phase::Awaiting | Phase::Cancelling) {
                    a.past_expiry = true;
                    let key = a.request.key.clone();
                    self.arm(fx, TimerKind::Expiry, &key, now + EXPIRY_GRACE_MS);
                    self.request_cancel(now, CancelReason::Expiry, fx);
                }
            }
            TimerKind::RecoverRetry => match a.phase {
                Phase::Checking { .. } => {
                    let request = a.request.clone();
                    self.active_call(CallKind::Recover, Operation::Recover(request), fx);
                }
                Phase::Settling { delivered, .. } => self.settle_call(delivered, fx),
                _ => {}
            },
            TimerKind::ResultHold | TimerKind::Kiosk => {}
        }
    }

    pub(super) fn finish(&mut self, now: Millis, outcome: Outcome, fx: &mut Vec<Effect>) {
        let Some(a) = self.active.take() else { return };
        let key = a.request.key.clone();
        self.vend_ended(&key, &outcome, fx);
        let late = outcome.is_approved() && a.cancel == Some(CancelReason::Cashier);
        if a.resumed.is_some() {
            self.resolved_after_restart(now, &key, &a.provider.id, fx);
        }
        fx.push(self.journal(
            now,
            &key,
            &a.provider.id,
            Record::Outcome {
                outcome: outcome.clone(),
                late,
            },
        ));
        if matches!(outcome, Outcome::InDoubt { .. }) {
            // Not left for a person alone: the outbox keeps asking the provider.
            let op = match (&a.phase, &a.handle) {
                (Phase::Settling { delivered, .. }, Some(h)) if *delivered => {
                    Operation::Capture(h.clone(), a.request.amount)
                }
                (Phase::Settling { .. }, Some(h)) => Operation::Release(h.clone()),
                (_, Some(h)) => Operation::Status(h.clone()),
                (_, None) => Operation::Recover(a.request.clone()),
            };
            fx.push(Effect::Defer {
                sale: key.clone(),
                provider: a.provider.id.clone(),
                op,
            });
        }
        // Only a QR request the provider confirmed cancelled makes way for a push: paid,
        // declined, expired or in doubt is shown as it is, and nothing else is sent.
        let to_phone = a.cancel == Some(CancelReason::SendToPhone)
            && outcome == Outcome::Cancelled
            && a.resumed.is_none()
            && matches!(self.state, State::Paying);
        if !to_phone {
            fx.push(Effect::Signal(if outcome.is_approved() {
                Signal::Approved
            } else {
                Signal::NotApproved
            }));
        }
        if let Some(row) = self.row_mut(&key) {
            row.outcome = Some(outcome);
            row.late_approval = late;
        }
        if a.resumed.is_some() {
            self.next_resume(now, fx);
        } else if to_phone {
            self.state = self.phone_entry(a.request.amount, &a.provider.id);
        } else {
            self.show_result(now, key, fx);
        }
    }

    /// "Send to phone" on a QR: the QR request is cancelled at the provider first (never two
    /// payable requests for one sale); the phone is asked for once it is confirmed cancelled.
    pub(super) fn send_to_phone(&mut self, now: Millis, fx: &mut Vec<Effect>) {
        if self.active.as_ref().is_some_and(offers_phone) {
            self.request_cancel(now, CancelReason::SendToPhone, fx);
        }
    }

    fn show_result(&mut self, now: Millis, sale: SaleKey, fx: &mut Vec<Effect>) {
        // A result replaces the sale screens; supervisor screens are not interrupted.
        if matches!(
            self.state,
            State::Paying | State::Result { .. } | State::Amount { .. }
        ) {
            if self.is_kiosk() {
                self.kiosk_result(now, sale, fx);
                return;
            }
            self.state = State::Result { sale: sale.clone() };
            if self.settings.mode != Mode::Cashier {
                self.arm(
                    fx,
                    TimerKind::ResultHold,
                    &sale,
                    now + self.settings.result_hold_ms,
                );
            }
        }
    }

    /// An answer for a sale that already ended. Only an approval matters: money moved, so the
    /// sale is recorded as approved (late) and shown, never hidden.
    pub(super) fn on_late_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let captured = matches!(result, Ok(Reply::Captured { .. }));
        let status = match result {
            Ok(Reply::Status(s) | Reply::Cancelled(s) | Reply::Found { status: s, .. }) => s,
            Ok(Reply::Captured { reference }) => PaymentStatus::Approved { reference },
            _ => return,
        };
        let PaymentStatus::Approved { reference } = status else {
            return;
        };
        let Some(row) = self.row_mut(&sale) else {
            return;
        };
        if row.outcome.as_ref().is_some_and(Outcome::is_approved) {
            return;
        }
        let outcome = Outcome::Approved { reference };
        row.outcome = Some(outcome.clone());
        row.late_approval = true;
        let provider = row.provider.clone();
        // A vending machine's payment taken outright (its provider cannot authorize) that was
        // approved after the vend was given up.
        let pay_first_vend = !captured
            && self.settings.mode == Mode::Vending
            && self
                .provider_info(&provider)
                .is_some_and(|p| !p.capabilities.auth_capture);
        fx.push(self.journal(
            now,
            &sale,
            &provider,
            Record::Outcome {
                outcome,
                late: true,
            },
        ));
        fx.push(Effect::Signal(Signal::Approved));
        if pay_first_vend {
            // Nobody is waiting for this product any more: the money goes back by itself.
            self.vend_refund(now, &sale, fx);
            return;
        }
        if let State::Result { sale: shown } = &self.state
            && shown == &sale
        {
            return;
        }
        if matches!(self.state, State::Amount { .. } | State::Method { .. }) {
            self.state = State::Result { sale };
        }
    }

    pub(super) fn on_journal_failed(
        &mut self,
        sale: SaleKey,
        message: String,
        fx: &mut Vec<Effect>,
    ) {
        self.journal_failing = true;
        let starting = self
            .active
            .as_ref()
            .is_some_and(|a| a.request.key == sale && a.phase == Phase::Starting);
        if starting {
            // The runtime did not send the start: nothing moved. Nothing can be journaled either.
            self.active = None;
            self.calls.retain(|_, c| c.sale != sale);
            let outcome = Outcome::Failed {
                reason: format!("The sale could not be recorded, nothing was charged: {message}"),
            };
            self.vend_ended(&sale, &outcome, fx);
            if let Some(row) = self.row_mut(&sale) {
                row.outcome = Some(outcome);
            }
            self.state = State::Result { sale };
        }
    }
}

/// Whether a sale in progress may swap its QR for a push to a phone: a cashier's sale showing
/// its QR, nothing asked of it yet, at a provider that pushes and can cancel the QR request.
pub(super) fn offers_phone(a: &ActiveSale) -> bool {
    let caps = &a.provider.capabilities;
    a.phase == Phase::Awaiting
        && a.cancel.is_none()
        && a.resumed.is_none()
        && a.request.capture == Capture::Sale
        && matches!(a.prompt, Some(Prompt::Qr { .. }))
        && caps.cancel
        && caps.flows.contains(&FlowKind::Push)
}
