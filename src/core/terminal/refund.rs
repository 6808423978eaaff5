//! Refunds of approved sales from the supervisor pages: journaled before they leave, never
//! repeated blindly when the answer is lost.

use super::Terminal;
use super::state::{CallKind, State};
use crate::core::event::Effect;
use crate::core::message::Message;
use crate::core::provider::{Failure, FailureKind, Operation, Reply};
use crate::core::record::{Outcome, Record};
use crate::core::sale::SaleKey;
use crate::core::time::Millis;
use crate::core::view::Notice;

impl Terminal {
    pub(super) fn can_refund(&self, sale: &SaleKey) -> bool {
        let Some(row) = self.row(sale) else {
            return false;
        };
        row.outcome.as_ref().is_some_and(Outcome::is_approved)
            && row.refunded.is_none()
            && row.service.is_none()
            && self.handles.contains_key(sale)
            && self
                .provider_info(&row.provider)
                .is_some_and(|p| p.capabilities.refund)
            && !self
                .calls
                .values()
                .any(|c| &c.sale == sale && c.kind == CallKind::Refund)
    }

    pub(super) fn start_refund(
        &mut self,
        now: Millis,
        sale: SaleKey,
        fx: &mut Vec<Effect>,
    ) -> State {
        if !self.can_refund(&sale) || self.journal_failing {
            return State::SaleDetail {
                sale,
                message: Some(Notice::problem(Message::CannotRefundNow)),
            };
        }
        let (Some(row), Some((handle, provider))) =
            (self.row(&sale).cloned(), self.handles.get(&sale).cloned())
        else {
            return State::SaleDetail {
                sale,
                message: None,
            };
        };
        let refund_key = match SaleKey::parse(&format!("{}-R", sale.as_str())) {
            Ok(k) => k,
            Err(_) => {
                return State::SaleDetail {
                    sale,
                    message: Some(Notice::problem(Message::RefundKeyTooLong)),
                };
            }
        };
        fx.push(self.journal(
            now,
            &sale,
            &provider,
            Record::RefundIntent {
                amount: row.amount,
                key: refund_key.clone(),
            },
        ));
        self.call(
            &sale,
            &provider,
            CallKind::Refund,
            Operation::Refund {
                handle,
                amount: row.amount,
                key: refund_key,
            },
            fx,
        );
        State::Refunding { sale }
    }

    pub(super) fn on_refund_answer(
        &mut self,
        now: Millis,
        sale: SaleKey,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(provider) = self.row(&sale).map(|r| r.provider.clone()) else {
            return;
        };
        if self.vend_refunds.contains(&sale) {
            self.on_vend_refund_answer(now, sale, provider, result, fx);
            return;
        }
        let message = match result {
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
                    row.refunded = Some(reference.clone());
                }
                Notice::good(Message::Refunded { reference })
            }
            Err(f) if f.kind == FailureKind::Rejected || f.kind == FailureKind::Auth => {
                Notice::problem(Message::RefundRefused {
                    reason: f.to_string(),
                })
            }
            Err(f) if f.kind == FailureKind::Transient => {
                Notice::problem(Message::RefundUnreachable {
                    reason: f.to_string(),
                })
            }
            other => {
                let detail = match other {
                    Err(f) => f.to_string(),
                    Ok(r) => format!("unexpected answer {r:?}"),
                };
                // The journal's audit line stays as written for `kassa report`; the screen
                // gets the reason as data.
                fx.push(self.journal(
                    now,
                    &sale,
                    &provider,
                    Record::Flagged {
                        reason: format!("Refund not confirmed: {detail}"),
                    },
                ));
                Notice::problem(Message::RefundUnconfirmed { reason: detail })
            }
        };
        if matches!(&self.state, State::Refunding { sale: s } if *s == sale) {
            self.state = State::SaleDetail {
                sale,
                message: Some(message),
            };
        }
    }
}
