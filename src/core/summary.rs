//! The recovery summary: what the recovery at a start decided about each sale left unfinished,
//! for the person at the terminal, as data. The screen and `kassa pay` word it the same way
//! (`ui::words::summary_lines`), so a sale resolved behind the cashier's back is told the same
//! way everywhere.

use serde::{Deserialize, Serialize};

use super::record::Outcome;
use super::sale::SaleKey;
use super::time::Millis;
use crate::money::Money;

/// One sale as the recovery left it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryItem {
    pub sale: SaleKey,
    /// Display name of the provider ("mCASH").
    pub provider: String,
    pub amount: Money,
    pub started_at: Millis,
    pub outcome: Outcome,
    /// The start never reached the provider before the restart (the recovery made the request
    /// itself and aborted it).
    pub never_reached: bool,
}

/// How an item reads at a glance: decides its colour on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Money moved: do not charge again.
    Paid,
    /// Nothing moved.
    NotPaid,
    /// Nobody knows yet: for a person.
    InDoubt,
}

impl SummaryItem {
    pub fn verdict(&self) -> Verdict {
        match &self.outcome {
            Outcome::Approved { .. } => Verdict::Paid,
            Outcome::InDoubt { .. } => Verdict::InDoubt,
            _ => Verdict::NotPaid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn item(outcome: Outcome, never_reached: bool) -> SummaryItem {
        SummaryItem {
            sale: SaleKey::new("T1", 7).unwrap(),
            provider: "mCASH".into(),
            amount: Money::from_minor(1250, Currency::NOK),
            // 2023-11-14 22:13:20 UTC
            started_at: Millis(1_700_000_000_000),
            outcome,
            never_reached,
        }
    }

    #[test]
    fn only_an_approval_is_paid_and_only_in_doubt_is_in_doubt() {
        let paid = Outcome::Approved {
            reference: "r-9".into(),
        };
        assert_eq!(item(paid, false).verdict(), Verdict::Paid);
        assert_eq!(
            item(Outcome::InDoubt { reason: "x".into() }, false).verdict(),
            Verdict::InDoubt
        );
        for not_paid in [
            Outcome::Cancelled,
            Outcome::Expired,
            Outcome::Released,
            Outcome::Declined { reason: "x".into() },
            Outcome::Failed { reason: "x".into() },
        ] {
            assert_eq!(item(not_paid, true).verdict(), Verdict::NotPaid);
        }
    }
}
