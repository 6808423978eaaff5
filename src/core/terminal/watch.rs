//! Sales cancelled at the terminal at a provider that cannot cancel (MonCash): the sale is
//! recorded cancelled at once and the terminal is free, but the customer can still pay the
//! request until it expires. So the order is watched, status by status, until its expiry (plus
//! a grace): a late payment is caught, recorded as a late approval, shown and offered for refund.
//!
//! Decided: the watch lives in memory. After a restart a cancelled sale is not watched again
//! (its journal says cancelled); the provider's own report still lists a late payment.

use super::Terminal;
use super::flow::EXPIRY_GRACE_MS;
use super::state::{CallKind, Watch};
use crate::core::event::{Effect, TimerKind};
use crate::core::provider::{Failure, Operation, PaymentStatus, Prompt, Reply};
use crate::core::record::Outcome;
use crate::core::sale::SaleKey;
use crate::core::time::Millis;

impl Terminal {
    /// The cashier cancelled a sale whose provider cannot cancel: ends it cancelled and starts
    /// watching it. `false` (nothing done) when there is nothing to watch by (no handle or no
    /// expiry), so the caller keeps the sale open instead.
    pub(super) fn cancel_unstoppable(&mut self, now: Millis, fx: &mut Vec<Effect>) -> bool {
        let Some(a) = self.active.as_ref() else {
            return false;
        };
        let Some(handle) = a.handle.clone() else {
            return false;
        };
        let Some(Prompt::Qr { expires_at, .. } | Prompt::PushSent { expires_at, .. }) = a.prompt
        else {
            return false;
        };
        let key = a.request.key.clone();
        let provider = a.provider.id.clone();
        self.finish(now, Outcome::Cancelled, fx);
        self.watching.insert(
            key.clone(),
            Watch {
                handle,
                provider,
                until: expires_at + EXPIRY_GRACE_MS,
                in_flight: false,
            },
        );
        self.arm(
            fx,
            TimerKind::Poll,
            &key,
            now + self.settings.poll_interval_ms,
        );
        true
    }

    pub(super) fn is_watched(&self, sale: &SaleKey) -> bool {
        self.watching.contains_key(sale)
            && self.active.as_ref().is_none_or(|a| &a.request.key != sale)
    }

    /// A poll timer of a watched sale: ask where it stands, or stop once it expired.
    pub(super) fn watch_poll(&mut self, now: Millis, sale: &SaleKey, fx: &mut Vec<Effect>) {
        let Some(w) = self.watching.get_mut(sale) else {
            return;
        };
        if now > w.until {
            self.watching.remove(sale);
            return;
        }
        if w.in_flight {
            return;
        }
        w.in_flight = true;
        let (handle, provider) = (w.handle.clone(), w.provider.clone());
        self.call(
            sale,
            &provider,
            CallKind::Status,
            Operation::Status(handle),
            fx,
        );
    }

    /// The answer to a watched sale's status check.
    pub(super) fn on_watch_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(w) = self.watching.get_mut(&sale) else {
            return;
        };
        w.in_flight = false;
        let until = w.until;
        match &result {
            Ok(Reply::Status(PaymentStatus::Approved { .. })) => {
                self.watching.remove(&sale);
                self.on_late_answer(now, sale, result, fx);
            }
            // Ended another way at the provider: nothing can be paid any more.
            Ok(Reply::Status(s)) if s.is_final() => {
                self.watching.remove(&sale);
            }
            _ if now > until => {
                self.watching.remove(&sale);
            }
            // Still open, or the provider could not be asked: ask again.
            _ => self.arm(
                fx,
                TimerKind::Poll,
                &sale,
                now + self.settings.poll_interval_ms,
            ),
        }
    }
}
