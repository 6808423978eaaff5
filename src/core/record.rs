//! What the core asks to be written to the journal, and the row a sale's records add up to. The
//! journal stores these; the core decides when, so that every money-moving call has its intent
//! on disk before it leaves.

use serde::{Deserialize, Serialize};

use super::provider::{PaymentHandle, PaymentStatus, ProviderId};
use super::sale::{SaleKey, SaleRequest};
use super::time::Millis;
use crate::money::Money;

/// How a sale ended, as shown and as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Approved {
        reference: String,
    },
    Declined {
        reason: String,
    },
    Expired,
    Cancelled,
    /// The provider refused to start it, or it never reached the provider: no money moved.
    Failed {
        reason: String,
    },
    /// Nobody can tell yet whether money moved: listed for a person, never resent blindly.
    InDoubt {
        reason: String,
    },
    /// Vending: the authorization was released because the product was not delivered.
    Released,
}

impl Outcome {
    /// Only the provider's word makes a sale approved.
    pub fn is_approved(&self) -> bool {
        matches!(self, Outcome::Approved { .. })
    }

    pub fn from_status(status: &PaymentStatus) -> Option<Outcome> {
        Some(match status {
            PaymentStatus::Pending | PaymentStatus::Authorized => return None,
            PaymentStatus::Approved { reference } => Outcome::Approved {
                reference: reference.clone(),
            },
            PaymentStatus::Declined { reason } => Outcome::Declined {
                reason: reason.clone(),
            },
            PaymentStatus::Expired => Outcome::Expired,
            PaymentStatus::Cancelled => Outcome::Cancelled,
            PaymentStatus::Released => Outcome::Released,
            // A sale found refunded was approved first; the refund is recorded beside it.
            PaymentStatus::Refunded { reference } => Outcome::Approved {
                reference: reference.clone(),
            },
        })
    }
}

/// A sale as the journal sums it up: listed in history, on its detail screen and in the day's
/// report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRow {
    pub key: SaleKey,
    pub provider: ProviderId,
    pub amount: Money,
    pub started_at: Millis,
    /// `None` while the sale is still in progress.
    pub outcome: Option<Outcome>,
    /// An approval that arrived after the cashier cancelled: money moved, offer a refund.
    pub late_approval: bool,
    pub refunded: Option<String>,
    /// Resolved by the recovery at a start, not in front of the customer: listed once in the
    /// recovery summary and marked in history and reports.
    #[serde(default)]
    pub restart: Option<Restart>,
    /// A provider service that moved money (agent top-up, bill payment), not a sale: its
    /// service id, or its label once the terminal knows the provider. Listed and totalled
    /// apart from sales.
    #[serde(default)]
    pub service: Option<String>,
    /// Kiosk: the sale stopped the kiosk on "call staff" and staff has not cleared it yet.
    #[serde(default)]
    pub staff_called: bool,
}

/// How a sale was resolved after a restart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    /// The sale's start never reached the provider before the restart; the recovery's own
    /// request was aborted at once.
    pub never_reached: bool,
    /// A person acknowledged the recovery summary that listed it.
    pub acknowledged: bool,
}

impl SaleRow {
    /// What `kassa report` and its CSV say about a sale resolved after a restart: English, as
    /// those files are read by scripts (the screens word it through `ui::words::restart_note`).
    pub fn restart_note(&self) -> Option<&'static str> {
        let r = self.restart?;
        Some(if r.never_reached {
            "resolved after restart: never reached the provider before the restart"
        } else {
            "resolved after restart"
        })
    }
}

/// One journal record about one sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub at: Millis,
    pub sale: SaleKey,
    pub provider: ProviderId,
    pub record: Record,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// Written and flushed before the start call leaves.
    StartIntent(SaleRequest),
    /// The provider accepted the start.
    Started {
        handle: PaymentHandle,
    },
    /// The final outcome. `late` marks an approval that arrived after the cashier cancelled.
    Outcome {
        outcome: Outcome,
        late: bool,
    },
    /// Vending: the vend was approved to the machine; written before the machine hears it. A
    /// restart that finds it with no capture or release intent after it releases the
    /// authorization (nothing on record says the product came out).
    VendApproved,
    CaptureIntent {
        amount: Money,
    },
    ReleaseIntent,
    RefundIntent {
        amount: Money,
        key: SaleKey,
    },
    Refunded {
        reference: String,
    },
    /// A refund or capture that could not be confirmed: for a person.
    Flagged {
        reason: String,
    },
    /// A person removed a pending provider call from the outbox (`kassa queue drop`): what it
    /// was and who confirmed it, so the journal shows why that call never happened.
    Dropped {
        what: String,
        who: String,
    },
    /// Recovery's re-sent create made the payment request just now: the sale never reached the
    /// provider before the restart. Written and flushed before the abort (cancel) leaves, so a
    /// kill in between is finished by the next start.
    AbortIntent,
    /// The sale was resolved by the recovery at a start (written before its outcome).
    ResolvedAfterRestart,
    /// A person acknowledged the recovery summary that listed this sale: not shown again.
    Acknowledged,
    /// Kiosk: the sale's outcome was in doubt, so the kiosk stopped on "call staff". It stays
    /// there, across restarts, until `StaffCleared`.
    StaffCalled,
    /// Kiosk: staff cleared "call staff" for this sale; `by` says how they proved who they are
    /// (the entry's time says when).
    StaffCleared {
        by: String,
    },
}
