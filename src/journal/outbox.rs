//! The outbox: provider calls that can wait (status checks after an outage, captures, releases,
//! refunds, report closes, pushes queued while offline), kept in order with their attempts, next
//! try time and last error. One worker drains it; a permanent error puts an item in the
//! dead-letter state, where a person retries or drops it (`kassa queue`).
//!
//! Every change is flushed before it returns, like journal records.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::JournalError;
use super::envelope;
use super::store::{Damage, Journal, Op, TreeId};
use crate::core::Millis;
use crate::core::message::OutboxCall;
use crate::core::provider::{Operation, PaymentHandle, ProviderId};
use crate::core::record::{JournalEntry, Outcome, Record};
use crate::core::sale::{SaleKey, SaleRequest};
use crate::core::view::{OutboxRow, OutboxSummary};
use crate::money::{Money, MoneyError};

/// First retry delay.
pub const BACKOFF_BASE_MS: u64 = 2_000;
/// Longest retry delay: a terminal that was offline all night retries every ten minutes at most.
pub const BACKOFF_CAP_MS: u64 = 600_000;

/// How long to wait after the `attempts`-th failure: exponential from 2 s, capped at 10 min, with
/// "equal jitter" (a uniform point in the upper half) so terminals that lost the network together
/// do not all retry in the same second. `jitter` is any random number; the runtime supplies it so
/// this stays a pure function.
pub fn backoff(attempts: u32, jitter: u64) -> u64 {
    let doublings = attempts.max(1) - 1;
    let ceiling = if doublings >= 20 {
        BACKOFF_CAP_MS
    } else {
        (BACKOFF_BASE_MS << doublings).min(BACKOFF_CAP_MS)
    };
    let floor = ceiling / 2;
    floor + jitter % (ceiling - floor + 1)
}

/// A provider call that can wait, described as data so it survives restarts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxOp {
    /// Ask where a payment stands (its answer was lost during an outage).
    StatusCheck {
        handle: PaymentHandle,
    },
    Capture {
        handle: PaymentHandle,
        amount: Money,
    },
    Release {
        handle: PaymentHandle,
    },
    Refund {
        handle: PaymentHandle,
        amount: Money,
        key: SaleKey,
    },
    /// Close the provider's report for a day (days since the epoch, UTC); the provider is the
    /// item's.
    ReportClose {
        day: u64,
    },
    /// A push-to-phone payment request taken while offline, within [`QueueLimits`].
    QueuedPush {
        request: SaleRequest,
    },
    /// A sale whose start answer was lost: ask the provider, by the sale's own key, whether it
    /// ever arrived (never resend it).
    Recover {
        request: SaleRequest,
        /// A push queued while offline, which the customer waits for on the phone: a request
        /// found open (or made by this recovery) is watched. Otherwise (a sale the terminal
        /// gave up on as in doubt) nobody waits for it, so an open one is aborted.
        #[serde(default)]
        queued_push: bool,
    },
    /// Cancel a payment request that nobody waits for any more (one an in-doubt sale's late
    /// recovery found open or made), so that it can never be paid unseen.
    Abort {
        handle: PaymentHandle,
    },
}

impl OutboxOp {
    /// The core operation to send, where there is one (a report close is provider-specific).
    pub fn to_operation(&self) -> Option<Operation> {
        Some(match self {
            OutboxOp::StatusCheck { handle } => Operation::Status(handle.clone()),
            OutboxOp::Capture { handle, amount } => Operation::Capture(handle.clone(), *amount),
            OutboxOp::Release { handle } => Operation::Release(handle.clone()),
            OutboxOp::Refund {
                handle,
                amount,
                key,
            } => Operation::Refund {
                handle: handle.clone(),
                amount: *amount,
                key: key.clone(),
            },
            OutboxOp::QueuedPush { request } => Operation::Start(request.clone()),
            OutboxOp::Recover { request, .. } => Operation::Recover(request.clone()),
            OutboxOp::Abort { handle } => Operation::Cancel(handle.clone()),
            OutboxOp::ReportClose { .. } => return None,
        })
    }

    /// One line for a person (`kassa queue list`, the drop record).
    pub fn describe(&self) -> String {
        match self {
            OutboxOp::StatusCheck { handle } => format!("status check of {handle:?}"),
            OutboxOp::Capture { handle, amount } => format!(
                "capture of {} {} on {handle:?}",
                amount.to_decimal_string(),
                amount.currency().code()
            ),
            OutboxOp::Release { handle } => format!("release of {handle:?}"),
            OutboxOp::Refund {
                handle,
                amount,
                key,
            } => format!(
                "refund {key} of {} {} on {handle:?}",
                amount.to_decimal_string(),
                amount.currency().code()
            ),
            OutboxOp::ReportClose { day } => {
                format!("report close of {}", super::day_string(*day))
            }
            OutboxOp::QueuedPush { request } => format!(
                "queued payment request {} of {} {}",
                request.key,
                request.amount.to_decimal_string(),
                request.amount.currency().code()
            ),
            OutboxOp::Recover { request, .. } => format!("recovery of sale {}", request.key),
            OutboxOp::Abort { handle } => format!("abort of {handle:?}"),
        }
    }

    /// What the call does, for the outbox screen (the sale and provider are shown beside it;
    /// handles and keys only in `kassa queue list`). The screen words it.
    pub fn headline(&self) -> OutboxCall {
        match self {
            OutboxOp::StatusCheck { .. } => OutboxCall::StatusCheck,
            OutboxOp::Capture { amount, .. } => OutboxCall::Capture(*amount),
            OutboxOp::Release { .. } => OutboxCall::Release,
            OutboxOp::Refund { amount, .. } => OutboxCall::Refund(*amount),
            OutboxOp::ReportClose { day } => OutboxCall::ReportClose(super::day_string(*day)),
            OutboxOp::QueuedPush { request } => OutboxCall::QueuedPush(request.amount),
            OutboxOp::Recover { .. } => OutboxCall::Recover,
            OutboxOp::Abort { .. } => OutboxCall::Abort,
        }
    }

    /// What the call is for, so one sale never has two pending items doing the same job. A status
    /// check and a recovery both find out where a payment stands, so they count as one kind.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboxOp::StatusCheck { .. } | OutboxOp::Recover { .. } => "check",
            OutboxOp::Abort { .. } => "abort",
            OutboxOp::Capture { .. } => "capture",
            OutboxOp::Release { .. } => "release",
            OutboxOp::Refund { .. } => "refund",
            OutboxOp::ReportClose { .. } => "report close",
            OutboxOp::QueuedPush { .. } => "queued push",
        }
    }
}

/// What becomes of an item after the worker tried it; see [`Journal::settle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Done: the item leaves the outbox.
    Complete,
    /// The call worked and there is more to do for the same sale: the item becomes `op` (a
    /// queued push that started becomes a status check of its handle). Attempts start again.
    Replace { op: OutboxOp, next_try: Millis },
    /// The call worked but the payment is not final yet: ask again at `next_try`. Not a failure.
    Poll { next_try: Millis },
    /// The call failed: as [`Journal::record_failure`].
    Fail {
        error: String,
        permanent: bool,
        jitter: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxState {
    Pending,
    /// A permanent error: waits for a person.
    Dead,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Increasing in the order items were queued.
    pub id: u64,
    /// The sale it is about; `None` for a report close.
    pub sale: Option<SaleKey>,
    pub provider: ProviderId,
    pub op: OutboxOp,
    pub created_at: Millis,
    pub attempts: u32,
    pub next_try: Millis,
    pub last_error: Option<String>,
    pub state: OutboxState,
}

impl OutboxItem {
    /// The item as the outbox screen lists it.
    pub fn row(&self) -> OutboxRow {
        OutboxRow {
            id: self.id,
            sale: self.sale.clone(),
            provider: self.provider.clone(),
            what: self.op.headline(),
            created_at: self.created_at,
            attempts: self.attempts,
            next_try: self.next_try,
            last_error: self.last_error.clone(),
            dead: self.state == OutboxState::Dead,
        }
    }
}

/// The whole outbox as a person sees it: readable items in order, and damaged ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxListing {
    pub items: Vec<OutboxItem>,
    pub damaged: Vec<Damage>,
}

/// Limits on push payment requests taken while offline (from the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLimits {
    /// Largest amount of one queued sale.
    pub max_per_sale: Money,
    /// Largest total of all queued sales not yet sent.
    pub max_total: Money,
    /// A queued request older than this is not sent any more: the customer is gone.
    pub max_age_ms: u64,
}

/// Why a sale may not be queued while offline; shown to the cashier.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LimitError {
    #[error("{amount} is more than {max}, the most one offline sale may be")]
    PerSale { amount: String, max: String },
    #[error("{queued} is already queued offline; {amount} more would pass the limit of {max}")]
    Total {
        queued: String,
        amount: String,
        max: String,
    },
    #[error("offline limits: {0}")]
    Money(#[from] MoneyError),
}

fn show(m: Money) -> String {
    format!("{} {}", m.to_decimal_string(), m.currency().code())
}

/// Whether a push sale of `amount` may be queued next to `queued` (the outbox's items). Queued
/// pushes older than `max_age_ms` do not count: they are expired, not sent.
pub fn check_queue_limits(
    amount: Money,
    queued: &[OutboxItem],
    limits: &QueueLimits,
    now: Millis,
) -> Result<(), LimitError> {
    // Comparing amounts of different currencies is an error, not a pass.
    if amount.currency() != limits.max_per_sale.currency() {
        return Err(MoneyError::CurrencyMismatch(
            amount.currency(),
            limits.max_per_sale.currency(),
        )
        .into());
    }
    if amount.minor() > limits.max_per_sale.minor() {
        return Err(LimitError::PerSale {
            amount: show(amount),
            max: show(limits.max_per_sale),
        });
    }
    let mut total = Money::zero(limits.max_total.currency());
    for item in queued {
        if let OutboxOp::QueuedPush { request } = &item.op
            && item.state == OutboxState::Pending
            && now.saturating_sub(item.created_at) <= limits.max_age_ms
        {
            total = total.checked_add(request.amount)?;
        }
    }
    let after = total.checked_add(amount)?;
    if after.minor() > limits.max_total.minor() {
        return Err(LimitError::Total {
            queued: show(total),
            amount: show(amount),
            max: show(limits.max_total),
        });
    }
    Ok(())
}

impl Journal {
    fn read_item(&self, id: u64) -> Result<OutboxItem, JournalError> {
        let v = self
            .outbox
            .get(id.to_be_bytes())
            .map_err(|e| self.err(e))?
            .ok_or(JournalError::NoSuchItem { id })?;
        envelope::decode(&v).map_err(|bad| self.damaged_err(format!("outbox item {id}: {bad}")))
    }

    fn item_op(item: &OutboxItem) -> Result<Op, JournalError> {
        Ok(Op::put(
            TreeId::Outbox,
            item.id.to_be_bytes(),
            Journal::encode(item)?,
        ))
    }

    fn write_item(&self, item: &OutboxItem) -> Result<(), JournalError> {
        self.commit(&[Self::item_op(item)?])
    }

    /// Queues a call, due at once; durable when this returns.
    pub fn enqueue(
        &self,
        sale: Option<SaleKey>,
        provider: ProviderId,
        op: OutboxOp,
        now: Millis,
    ) -> Result<OutboxItem, JournalError> {
        let item = OutboxItem {
            id: self.db.generate_id().map_err(|e| self.err(e))?,
            sale,
            provider,
            op,
            created_at: now,
            attempts: 0,
            next_try: now,
            last_error: None,
            state: OutboxState::Pending,
        };
        self.write_item(&item)?;
        Ok(item)
    }

    /// Every item in queue order, with damaged ones listed apart (never dropped silently).
    pub fn outbox_list(&self) -> Result<OutboxListing, JournalError> {
        let mut listing = OutboxListing {
            items: Vec::new(),
            damaged: Vec::new(),
        };
        for item in self.outbox.iter() {
            let (k, v) = item.map_err(|e| self.err(e))?;
            match envelope::decode::<OutboxItem>(&v) {
                Ok(item) => listing.items.push(item),
                Err(bad) => listing.damaged.push(Damage {
                    tree: "outbox",
                    key: k.to_vec(),
                    sale: None,
                    reason: bad.to_string(),
                }),
            }
        }
        Ok(listing)
    }

    /// Counts for the status bar and the outbox screen; a damaged item counts as dead.
    pub fn outbox_summary(&self) -> Result<OutboxSummary, JournalError> {
        let listing = self.outbox_list()?;
        let pending = listing
            .items
            .iter()
            .filter(|i| i.state == OutboxState::Pending)
            .count();
        Ok(OutboxSummary {
            pending,
            dead: listing.items.len() - pending + listing.damaged.len(),
            items: listing
                .items
                .iter()
                .take(OutboxSummary::SHOWN)
                .map(OutboxItem::row)
                .collect(),
        })
    }

    /// Pending items whose next try has come, in queue order.
    pub fn due(&self, now: Millis) -> Result<Vec<OutboxItem>, JournalError> {
        Ok(self
            .outbox_list()?
            .items
            .into_iter()
            .filter(|i| i.state == OutboxState::Pending && i.next_try <= now)
            .collect())
    }

    /// The call succeeded: the item leaves the outbox.
    pub fn complete(&self, id: u64) -> Result<(), JournalError> {
        if !self
            .outbox
            .contains_key(id.to_be_bytes())
            .map_err(|e| self.err(e))?
        {
            return Err(JournalError::NoSuchItem { id });
        }
        self.commit(&[Op::remove(TreeId::Outbox, id.to_be_bytes())])
    }

    /// The call failed. A permanent error makes the item dead; otherwise it is retried after
    /// [`backoff`]. Returns the item as stored.
    pub fn record_failure(
        &self,
        id: u64,
        now: Millis,
        error: &str,
        permanent: bool,
        jitter: u64,
    ) -> Result<OutboxItem, JournalError> {
        let mut item = self.read_item(id)?;
        item.attempts = item.attempts.saturating_add(1);
        item.last_error = Some(error.to_string());
        if permanent {
            item.state = OutboxState::Dead;
        } else {
            item.next_try = now + backoff(item.attempts, jitter);
        }
        self.write_item(&item)?;
        Ok(item)
    }

    /// Writes what the worker learned about a sale (`entries`: started, outcome, refunded,
    /// flagged) and what becomes of item `id`, in one durable write, so a power cut cannot leave
    /// a recorded outcome with its call still queued (it would be asked, and recorded, twice).
    /// Returns the item as stored, `None` once completed.
    pub fn settle(
        &self,
        id: u64,
        now: Millis,
        settle: Settle,
        entries: &[JournalEntry],
    ) -> Result<Option<OutboxItem>, JournalError> {
        let mut item = self.read_item(id)?;
        let mut ops = Vec::new();
        for entry in entries {
            ops.extend(self.entry_ops(entry)?);
        }
        let kept = match settle {
            Settle::Complete => {
                ops.push(Op::remove(TreeId::Outbox, id.to_be_bytes()));
                None
            }
            Settle::Replace { op, next_try } => {
                item.op = op;
                item.attempts = 0;
                item.last_error = None;
                item.next_try = next_try;
                Some(item)
            }
            Settle::Poll { next_try } => {
                item.next_try = next_try;
                Some(item)
            }
            Settle::Fail {
                error,
                permanent,
                jitter,
            } => {
                item.attempts = item.attempts.saturating_add(1);
                item.last_error = Some(error);
                if permanent {
                    item.state = OutboxState::Dead;
                } else {
                    item.next_try = now + backoff(item.attempts, jitter);
                }
                Some(item)
            }
        };
        if let Some(item) = &kept {
            ops.push(Self::item_op(item)?);
        }
        self.commit(&ops)?;
        Ok(kept)
    }

    /// A person asks to try again (`kassa queue retry ID`): pending, attempts reset, due now.
    pub fn retry(&self, id: u64, now: Millis) -> Result<OutboxItem, JournalError> {
        let mut item = self.read_item(id)?;
        item.state = OutboxState::Pending;
        item.attempts = 0;
        item.next_try = now;
        self.write_item(&item)?;
        Ok(item)
    }

    /// Connectivity came back, or `kassa queue sync`: every pending item is due now. Returns how
    /// many were pending.
    pub fn sync_now(&self, now: Millis) -> Result<usize, JournalError> {
        let mut ops = Vec::new();
        for mut item in self.outbox_list()?.items {
            if item.state == OutboxState::Pending {
                item.next_try = now;
                ops.push(Self::item_op(&item)?);
            }
        }
        self.commit(&ops)?;
        Ok(ops.len())
    }

    /// A person removes an item (`kassa queue drop ID`, or the touchscreen, after confirming).
    /// The journal records who dropped what, in the same write that removes the item; a dropped
    /// refund, capture or release also flags its sale, so it is never queued again.
    pub fn drop_item(&self, id: u64, who: &str, now: Millis) -> Result<OutboxItem, JournalError> {
        let item = self.read_item(id)?;
        let sale = match &item.sale {
            Some(s) => s.clone(),
            None => SaleKey::parse(&format!("outbox-{id}"))
                .map_err(|e| JournalError::Encode(e.to_string()))?,
        };
        let entry = JournalEntry {
            at: now,
            sale,
            provider: item.provider.clone(),
            record: Record::Dropped {
                what: format!("outbox item {id}: {}", item.op.describe()),
                who: who.to_string(),
            },
        };
        let mut ops = self.entry_ops(&entry)?;
        // A dropped call that moves money must stay unmade: without this, start-up recovery
        // would find its intent unanswered and queue it again. Status checks and recoveries
        // only ask, so their sale is still resolved at the next start.
        let moves_money = matches!(
            item.op,
            OutboxOp::Refund { .. } | OutboxOp::Capture { .. } | OutboxOp::Release { .. }
        );
        if moves_money && item.sale.is_some() {
            ops.extend(self.entry_ops(&JournalEntry {
                record: Record::Flagged {
                    reason: format!(
                        "{who} dropped the {} from the outbox: it will not be made",
                        item.op.kind()
                    ),
                },
                ..entry
            })?);
        }
        ops.push(Op::remove(TreeId::Outbox, id.to_be_bytes()));
        self.commit(&ops)?;
        Ok(item)
    }

    /// Whether a push sale of `amount` may be queued now (see [`check_queue_limits`]).
    pub fn check_queue_limits(
        &self,
        amount: Money,
        limits: &QueueLimits,
        now: Millis,
    ) -> Result<(), JournalError> {
        let items = self.outbox_list()?.items;
        check_queue_limits(amount, &items, limits, now).map_err(JournalError::Limit)
    }

    /// Queued pushes older than `max_age_ms` are never sent (the customer left long ago): each
    /// sale is journaled `Expired` and its item removed, in one write. Returns them, with why in
    /// `last_error`, so the worker can tell the core and `kassa queue sync` can show them.
    pub fn expire_queued(
        &self,
        limits: &QueueLimits,
        now: Millis,
    ) -> Result<Vec<OutboxItem>, JournalError> {
        let mut expired = Vec::new();
        let mut ops = Vec::new();
        for mut item in self.outbox_list()?.items {
            if matches!(item.op, OutboxOp::QueuedPush { .. })
                && item.state == OutboxState::Pending
                && now.saturating_sub(item.created_at) > limits.max_age_ms
            {
                item.last_error = Some(format!(
                    "queued for more than {} s while offline: not sent",
                    limits.max_age_ms / 1000
                ));
                // The sale ends `Expired` and the item leaves, in one write: nothing was sent,
                // so nothing is left for a person to retry or drop.
                if let Some(sale) = &item.sale {
                    ops.extend(self.entry_ops(&JournalEntry {
                        at: now,
                        sale: sale.clone(),
                        provider: item.provider.clone(),
                        record: Record::Outcome {
                            outcome: Outcome::Expired,
                            late: false,
                        },
                    })?);
                }
                ops.push(Op::remove(TreeId::Outbox, item.id.to_be_bytes()));
                expired.push(item);
            }
        }
        self.commit(&ops)?;
        Ok(expired)
    }
}
