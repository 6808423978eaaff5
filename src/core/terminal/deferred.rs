//! What comes back about calls handed to the outbox for sales no longer on screen: their
//! results, and calls that could not be queued at all.

use super::Terminal;
use super::state::State;
use crate::core::event::Effect;
use crate::core::record::{Outcome, Record};
use crate::core::sale::SaleKey;
use crate::core::time::Millis;

impl Terminal {
    /// The outbox worker journaled `record` for a past sale: show it in history.
    pub(super) fn on_outbox_done(&mut self, sale: SaleKey, record: Record) {
        match record {
            Record::Started { handle } => {
                if let Some(provider) = self.row(&sale).map(|r| r.provider.clone()) {
                    self.handles.insert(sale, (handle, provider));
                }
            }
            Record::Outcome { outcome, late } => {
                if let Some(row) = self.row_mut(&sale) {
                    row.outcome = Some(outcome);
                    row.late_approval = late;
                }
            }
            Record::Refunded { reference } => {
                if let Some(row) = self.row_mut(&sale) {
                    row.refunded = Some(reference);
                }
            }
            _ => {}
        }
    }

    /// A deferred call could not be queued. A sale that only existed as a queued request ends
    /// here, not charged; anything else is flagged for a person.
    pub(super) fn on_defer_refused(
        &mut self,
        now: Millis,
        sale: SaleKey,
        reason: String,
        fx: &mut Vec<Effect>,
    ) {
        let Some(row) = self.row(&sale) else { return };
        let provider = row.provider.clone();
        if row.outcome.is_none() && self.active.as_ref().is_none_or(|a| a.request.key != sale) {
            let outcome = Outcome::Failed {
                reason: format!("Could not queue the request, nothing was charged: {reason}"),
            };
            fx.push(self.journal(
                now,
                &sale,
                &provider,
                Record::Outcome {
                    outcome: outcome.clone(),
                    late: false,
                },
            ));
            if let Some(row) = self.row_mut(&sale) {
                row.outcome = Some(outcome);
            }
            if matches!(&self.state, State::Queued { sale: s, .. } if *s == sale) {
                self.state = State::Result { sale };
            }
        } else {
            fx.push(self.journal(
                now,
                &sale,
                &provider,
                Record::Flagged {
                    reason: format!("A follow-up call could not be queued: {reason}"),
                },
            ));
        }
    }
}
