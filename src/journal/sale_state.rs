//! What the journal knows of one sale: its records folded in order (request, handle, outcome,
//! refunds, flags, what is still pending), and the damage found on the way.

use serde::{Deserialize, Serialize};

use crate::core::Millis;
use crate::core::provider::{PaymentHandle, ProviderId};
use crate::core::record::{JournalEntry, Outcome, Record, Restart};
use crate::core::sale::{SaleKey, SaleRequest};
use crate::core::view::SaleRow;
use crate::money::Money;

/// A stored value that failed its checksum, its version or its decoding: for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Which tree it was found in (`entries`, `sales`, `outbox`, `closed_days`, `meta`).
    pub tree: &'static str,
    pub key: Vec<u8>,
    /// The sale it belongs to, when the key still says so.
    pub sale: Option<SaleKey>,
    pub reason: String,
}

/// An intent whose result was never written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    Start,
    Capture {
        amount: Money,
    },
    Release,
    Refund {
        amount: Money,
        key: SaleKey,
    },
    /// The recovery made the payment request itself and journaled its abort.
    Abort,
}

/// A sale with something sent (or about to be sent) and no answer written: to be recovered
/// through the provider before new sales are taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished {
    pub request: SaleRequest,
    pub provider: ProviderId,
    pub handle: Option<PaymentHandle>,
    pub started_at: Millis,
    pub pending: Vec<Pending>,
}

/// What the day index says about a sale: enough to list it if its start record is damaged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub provider: ProviderId,
    pub amount: Money,
    pub started_at: Millis,
}

/// Everything the journal knows about one sale, folded from its records in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleState {
    pub key: SaleKey,
    pub provider: Option<ProviderId>,
    pub request: Option<SaleRequest>,
    pub started_at: Option<Millis>,
    pub handle: Option<PaymentHandle>,
    pub outcome: Option<Outcome>,
    pub late: bool,
    pub refunded: Option<String>,
    pub pending: Vec<Pending>,
    /// Reasons from `Flagged` records.
    pub flags: Vec<String>,
    /// `who dropped what` from `Dropped` records.
    pub dropped: Vec<String>,
    /// Reasons why records of this sale could not be read.
    pub damaged: Vec<String>,
    pub listed: Option<Listed>,
    /// Resolved by the recovery at a start (`ResolvedAfterRestart`).
    pub after_restart: bool,
    /// The recovery found the sale had never reached the provider (`AbortIntent`).
    pub never_reached: bool,
    /// The recovery summary listing it was acknowledged (`Acknowledged`).
    pub acknowledged: bool,
    /// The kiosk called staff for it and nobody cleared that yet (`StaffCalled`,
    /// `StaffCleared`).
    pub staff_called: bool,
}

impl SaleState {
    pub(super) fn new(key: SaleKey) -> SaleState {
        SaleState {
            key,
            provider: None,
            request: None,
            started_at: None,
            handle: None,
            outcome: None,
            late: false,
            refunded: None,
            pending: Vec::new(),
            flags: Vec::new(),
            dropped: Vec::new(),
            damaged: Vec::new(),
            listed: None,
            after_restart: false,
            never_reached: false,
            acknowledged: false,
            staff_called: false,
        }
    }

    pub(super) fn apply(&mut self, entry: &JournalEntry) {
        self.provider.get_or_insert_with(|| entry.provider.clone());
        match &entry.record {
            Record::StartIntent(request) => {
                self.request = Some(request.clone());
                self.started_at = Some(entry.at);
                self.pending.push(Pending::Start);
            }
            Record::Started { handle } => self.handle = Some(handle.clone()),
            Record::Outcome { outcome, late } => {
                // The provider's final word is knowledge; "in doubt" is its absence. A final
                // outcome (from the outbox, after the core wrote "in doubt") wins, and a later
                // "in doubt" never hides a final outcome written before it.
                let keeps_final = matches!(outcome, Outcome::InDoubt { .. })
                    && self
                        .outcome
                        .as_ref()
                        .is_some_and(|o| !matches!(o, Outcome::InDoubt { .. }));
                if !keeps_final {
                    self.outcome = Some(outcome.clone());
                    self.late = *late;
                }
                // An outcome settles the start and, in vending, the capture or release after it.
                self.pending.retain(|p| matches!(p, Pending::Refund { .. }));
            }
            Record::CaptureIntent { amount } => {
                self.pending.push(Pending::Capture { amount: *amount })
            }
            Record::ReleaseIntent => self.pending.push(Pending::Release),
            Record::RefundIntent { amount, key } => self.pending.push(Pending::Refund {
                amount: *amount,
                key: key.clone(),
            }),
            Record::Refunded { reference } => {
                self.refunded = Some(reference.clone());
                self.pending
                    .retain(|p| !matches!(p, Pending::Refund { .. }));
            }
            Record::Flagged { reason } => {
                // Handed to a person: nothing is retried by the machine any more.
                self.flags.push(reason.clone());
                self.pending.clear();
            }
            Record::Dropped { what, who } => {
                self.dropped
                    .push(format!("{who} dropped {what} at {}", entry.at.0));
            }
            Record::AbortIntent => {
                self.never_reached = true;
                if !self.pending.contains(&Pending::Abort) {
                    self.pending.push(Pending::Abort);
                }
            }
            // A step on record; the capture or release intent after it is what is pending.
            Record::VendApproved => {}
            Record::ResolvedAfterRestart => self.after_restart = true,
            Record::Acknowledged => self.acknowledged = true,
            Record::StaffCalled => self.staff_called = true,
            Record::StaffCleared { .. } => self.staff_called = false,
        }
    }

    /// Whether a person must look at this sale: damaged, flagged, in doubt, or never finished.
    pub fn needs_person(&self) -> bool {
        !self.damaged.is_empty()
            || !self.flags.is_empty()
            || matches!(self.outcome, Some(Outcome::InDoubt { .. }))
    }

    /// The sale as listed. A damaged record makes the sale in doubt (we cannot know what it
    /// said); a flag without an outcome does too. `None` only if neither the start record nor
    /// the day index can say what the sale was.
    pub fn row(&self) -> Option<SaleRow> {
        let (provider, amount, started_at) = match (&self.request, &self.listed) {
            (Some(req), _) => (
                self.provider.clone()?,
                req.amount,
                self.started_at
                    .or(self.listed.as_ref().map(|l| l.started_at))?,
            ),
            (None, Some(l)) => (l.provider.clone(), l.amount, l.started_at),
            (None, None) => return None,
        };
        let outcome = if !self.damaged.is_empty() {
            Some(Outcome::InDoubt {
                reason: format!("journal record damaged: {}", self.damaged.join("; ")),
            })
        } else if self.outcome.is_none() && !self.flags.is_empty() {
            Some(Outcome::InDoubt {
                reason: self.flags.join("; "),
            })
        } else {
            self.outcome.clone()
        };
        Some(SaleRow {
            key: self.key.clone(),
            provider,
            amount,
            started_at,
            outcome,
            late_approval: self.late,
            refunded: self.refunded.clone(),
            restart: (self.after_restart || self.never_reached).then_some(Restart {
                never_reached: self.never_reached,
                acknowledged: self.acknowledged,
            }),
            service: self.request.as_ref().and_then(|r| match &r.flow {
                crate::core::sale::Flow::Service { service, .. } => Some(service.0.clone()),
                _ => None,
            }),
            staff_called: self.staff_called,
        })
    }
}
