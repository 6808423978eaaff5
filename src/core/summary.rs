//! The recovery summary: what the recovery at a start decided about each sale left unfinished,
//! for the person at the terminal. The screen, `kassa pay` and the tests read the same lines, so
//! a sale resolved behind the cashier's back is told the same way everywhere.

use serde::{Deserialize, Serialize};

use super::locale::Local;
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

    /// The first line: amount, provider, sale and when it started, as `local` writes them.
    pub fn heading(&self, local: &Local) -> String {
        format!(
            "{} via {} - sale {} started {}",
            local.money(self.amount),
            self.provider,
            self.sale,
            local.clock(self.started_at)
        )
    }

    /// What the recovery decided, in words for the cashier.
    pub fn decision(&self) -> String {
        match &self.outcome {
            Outcome::Approved { reference } => {
                format!("PAID (reference {reference}): do not charge again")
            }
            Outcome::Cancelled if self.never_reached => {
                "Cancelled: never reached the provider before the restart".into()
            }
            Outcome::Cancelled => "Cancelled: aborted at the provider, nothing was charged".into(),
            Outcome::Declined { reason } => format!("Declined: {reason}"),
            Outcome::Expired => "Expired: nothing was charged".into(),
            Outcome::Failed { reason } => format!("Not paid: {reason}"),
            Outcome::Released => "Released: the authorization was given back".into(),
            Outcome::InDoubt { reason } => {
                format!("IN DOUBT, flagged for a person: {reason}")
            }
        }
    }
}

/// The lines `kassa pay` prints (and the screen shows) for a summary.
pub fn lines(items: &[SummaryItem], local: &Local) -> Vec<String> {
    let mut out = vec![format!(
        "Resolved after restart: {} sale{} left unfinished",
        items.len(),
        if items.len() == 1 { "" } else { "s" }
    )];
    for item in items {
        out.push(format!("  {}", item.heading(local)));
        out.push(format!("    {}", item.decision()));
    }
    out
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
    fn a_paid_sale_says_paid_with_its_reference_amount_and_time() {
        let i = item(
            Outcome::Approved {
                reference: "r-9".into(),
            },
            false,
        );
        assert_eq!(i.verdict(), Verdict::Paid);
        assert!(i.decision().contains("r-9"), "{}", i.decision());
        assert!(i.decision().contains("do not charge again"));
        let h = i.heading(&Local::default());
        assert!(
            h.contains("12.50") && h.contains("mCASH") && h.contains("22:13"),
            "{h}"
        );
    }

    #[test]
    fn never_reached_and_aborted_cancels_read_differently() {
        let never = item(Outcome::Cancelled, true).decision();
        let aborted = item(Outcome::Cancelled, false).decision();
        assert!(never.contains("never reached the provider before the restart"));
        assert!(!aborted.contains("never reached"));
        assert_eq!(
            item(Outcome::InDoubt { reason: "x".into() }, false).verdict(),
            Verdict::InDoubt
        );
        let l = lines(&[item(Outcome::Expired, false)], &Local::default());
        assert_eq!(l.len(), 3);
        assert!(l[0].contains("1 sale left"));
    }
}
