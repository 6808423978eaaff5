//! The outbox worker: the ONE task that carries out provider calls that can wait (status checks
//! and recoveries of in-doubt sales, captures, releases, refunds, report closes, push requests
//! taken while offline), in queue order, with exponential backoff and jitter between failures.
//!
//! Why one task: the outbox is ordered, and two drainers would send the same call twice. Every
//! read and write of the outbox goes through the journal writer thread
//! ([`JournalWriter::with_journal`]), so only that thread flushes sled.
//!
//! What the worker does with an answer:
//! - a final status is journaled as the sale's `Outcome` and the item leaves the outbox;
//! - a queued push that started is journaled `Started` and becomes a status check of its handle,
//!   polled (not counted as failures) until the provider says it is final;
//! - a recovery that finds the payment continues the same way; one that finds nothing ends the
//!   sale `Failed`: it never arrived, nothing was charged;
//! - a lost answer to a queued push becomes a recovery: a push is never sent twice blindly;
//! - a transient failure is retried after [`backoff`]; a permanent one (refused, credentials,
//!   an unknown payment) makes the item dead and flags its sale for a person, except a queued
//!   push the provider refuses: no payment exists, so its sale ends `Failed` like online;
//! - a queued push too old to send ends its sale `Expired` and leaves the outbox;
//! - a person's retry or drop (touchscreen) is carried out between two calls.
//!
//! Each change is told to the core (`OutboxDone`, `OutboxChanged`) and the network state it
//! shows (`Connectivity`): a transient failure means offline, any answer means online. When the
//! network comes back every pending item becomes due at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Notify, mpsc};

use super::{Clock, JournalWriteError, JournalWriter};
use crate::core::Millis;
use crate::core::event::{Event, OutboxCommand};
use crate::core::provider::{
    Failure, FailureKind, Operation, PaymentHandle, PaymentStatus, ProviderId, Reply,
};
use crate::core::record::{JournalEntry, Outcome, Record};
use crate::core::sale::SaleKey;
use crate::core::view::OutboxSummary;
use crate::journal::{
    JournalError, OutboxItem, OutboxOp, OutboxState, QueueLimits, Settle, backoff,
    check_queue_limits,
};
use crate::providers::PaymentProvider;
use decide::{Answer, Decision};

/// How long the worker waits after the journal itself failed before it tries again.
const JOURNAL_RETRY_MS: u64 = 5_000;

/// The outcome recorded when a recovery finds that the provider never got the request.
pub const NEVER_RECEIVED: &str = "never received, nothing charged";

/// How a running worker is woken: on enqueue, on `kassa queue sync`, and when the network
/// comes back. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct OutboxSignal {
    inner: Arc<SignalInner>,
}

#[derive(Debug, Default)]
struct SignalInner {
    notify: Notify,
    /// The worker's last word on the network (false after a transient failure).
    offline: AtomicBool,
    /// Make every pending item due before the next round.
    sync: AtomicBool,
    /// A person's commands (retry, drop), carried out between two calls.
    commands: Mutex<VecDeque<OutboxCommand>>,
}

impl OutboxSignal {
    /// Something was queued: look at the outbox now.
    pub fn wake(&self) {
        self.inner.notify.notify_one();
    }

    /// The network works again (an answer came back from a provider): every pending item is
    /// due now, backoff or not. Does nothing while the worker already believes it is online.
    pub fn connectivity_returned(&self) {
        if self.inner.offline.load(Ordering::SeqCst) {
            self.inner.sync.store(true, Ordering::SeqCst);
            self.inner.notify.notify_one();
        }
    }

    /// A supervisor's retry or drop from the touchscreen. The worker carries it out after the
    /// call it may be making now (never during it) and answers with `OutboxCommandDone`.
    pub fn command(&self, command: OutboxCommand) {
        self.inner
            .commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(command);
        self.inner.notify.notify_one();
    }

    fn take_commands(&self) -> Vec<OutboxCommand> {
        self.inner
            .commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect()
    }

    /// Whether the worker's last call failed for want of a network.
    pub fn offline(&self) -> bool {
        self.inner.offline.load(Ordering::SeqCst)
    }

    fn take_sync(&self) -> bool {
        self.inner.sync.swap(false, Ordering::SeqCst)
    }
}

/// What one try of one item came to; for `kassa queue sync`'s progress line and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tried {
    /// Finished: the item left the outbox.
    Done,
    /// The call worked and the item continues (a started push is now polled).
    Continues,
    /// Failed for now; tried again later.
    Retry { error: String },
    /// Failed for good: waits for a person.
    Dead { error: String },
    /// A queued push too old to send: the sale ended `Expired`.
    Expired,
    /// A queued push the provider refused: no payment exists, the sale ended `Failed`.
    Refused { error: String },
}

/// One step of a round, for a progress bar.
#[derive(Debug)]
pub struct Progress<'a> {
    /// Items tried so far in this round, this one included.
    pub done: usize,
    /// Items due in this round.
    pub total: usize,
    pub item: &'a OutboxItem,
    pub tried: &'a Tried,
}

/// Translates a deferred core operation into an outbox item's operation. A cancel cannot wait:
/// by the time it would be sent, the payment has expired anyway.
pub fn outbox_op(op: Operation) -> Result<OutboxOp, String> {
    Ok(match op {
        Operation::Status(handle) => OutboxOp::StatusCheck { handle },
        Operation::Query { .. } => return Err("a query moves no money and is never queued".into()),
        Operation::Recover(request) => OutboxOp::Recover {
            request,
            queued_push: false,
        },
        Operation::Capture(handle, amount) => OutboxOp::Capture { handle, amount },
        Operation::Release(handle) => OutboxOp::Release { handle },
        Operation::Refund {
            handle,
            amount,
            key,
        } => OutboxOp::Refund {
            handle,
            amount,
            key,
        },
        Operation::Start(request) => OutboxOp::QueuedPush { request },
        Operation::Cancel(_) => return Err("a cancel cannot wait in the outbox".into()),
    })
}

/// Queues a deferred call durably (on the writer thread) and returns the new summary. A queued
/// push must fit the offline `limits` (zero limits: nothing may queue). A sale never has two
/// pending items of the same kind: deferring again keeps the one already queued. `Err` is the
/// reason for `Event::DeferRefused`.
pub async fn defer(
    writer: &JournalWriter,
    limits: QueueLimits,
    now: Millis,
    sale: SaleKey,
    provider: ProviderId,
    op: Operation,
) -> Result<OutboxSummary, String> {
    let op = outbox_op(op)?;
    writer
        .with_journal(move |j| {
            let listing = j.outbox_list()?;
            let queued = listing.items.iter().any(|i| {
                i.state == OutboxState::Pending
                    && i.sale.as_ref() == Some(&sale)
                    && i.op.kind() == op.kind()
            });
            if !queued {
                if let OutboxOp::QueuedPush { request } = &op {
                    check_queue_limits(request.amount, &listing.items, &limits, now)
                        .map_err(JournalError::Limit)?;
                }
                j.enqueue(Some(sale), provider, op, now)?;
            }
            j.outbox_summary()
        })
        .await
        .map_err(|e| e.to_string())
}

/// The worker. Built by [`crate::runtime::Runtime::start`] for a terminal, or by `kassa queue
/// sync` / `kassa report --close` for one pass without a terminal.
pub struct OutboxWorker {
    journal: JournalWriter,
    providers: HashMap<ProviderId, Arc<dyn PaymentProvider>>,
    clock: Clock,
    limits: QueueLimits,
    poll_ms: u64,
    events: Option<mpsc::UnboundedSender<Event>>,
    signal: OutboxSignal,
}

impl OutboxWorker {
    /// `poll_ms`: how often a started payment is asked about until it is final.
    pub fn new(
        journal: JournalWriter,
        providers: Vec<Arc<dyn PaymentProvider>>,
        clock: Clock,
        limits: QueueLimits,
        poll_ms: u64,
    ) -> OutboxWorker {
        OutboxWorker {
            journal,
            providers: providers.into_iter().map(|p| (p.info().id, p)).collect(),
            clock,
            limits,
            poll_ms: poll_ms.max(1),
            events: None,
            signal: OutboxSignal::default(),
        }
    }

    /// Tell the core about every change through this channel.
    pub fn with_events(mut self, events: mpsc::UnboundedSender<Event>) -> OutboxWorker {
        self.events = Some(events);
        self
    }

    pub fn signal(&self) -> OutboxSignal {
        self.signal.clone()
    }

    fn tell(&self, event: Event) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }

    /// Drains forever. Waits for the first wake (the runtime gives it once the providers have
    /// started up), makes everything already queued due, then works round after round, sleeping
    /// until the earliest next try or the next wake.
    pub async fn run(mut self) {
        self.signal.inner.notify.notified().await;
        let now = self.clock.now();
        match self.journal.with_journal(move |j| j.sync_now(now)).await {
            Ok(n) if n > 0 => tracing::info!(pending = n, "outbox: draining what was queued"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox: cannot read the queue"),
        }
        self.send_summary().await;
        loop {
            self.obey().await;
            if self.signal.take_sync() {
                let now = self.clock.now();
                if let Err(e) = self.journal.with_journal(move |j| j.sync_now(now)).await {
                    tracing::error!(error = %e, "outbox: cannot make the queue due");
                }
            }
            let next = match self.round(|_| true, &mut |_| {}).await {
                Ok(()) => self.next_try().await,
                Err(e) => {
                    tracing::error!(error = %e, "outbox: journal failed; trying again later");
                    Err(e)
                }
            };
            let notified = self.signal.inner.notify.notified();
            match next {
                Ok(None) => notified.await,
                Ok(Some(at)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(self.clock.instant_at(at)) => {}
                        _ = notified => {}
                    }
                }
                Err(_) => {
                    let at = self.clock.now() + JOURNAL_RETRY_MS;
                    tokio::select! {
                        _ = tokio::time::sleep_until(self.clock.instant_at(at)) => {}
                        _ = notified => {}
                    }
                }
            }
        }
    }

    /// `kassa queue sync`: every pending item is due now and is tried once, in order (a push that
    /// starts is polled within the same pass only if its next poll is already due).
    pub async fn sync(
        &mut self,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<(), JournalWriteError> {
        let now = self.clock.now();
        self.journal.with_journal(move |j| j.sync_now(now)).await?;
        self.round(|_| true, progress).await
    }

    /// Carries out the commands a person gave since the last round, in order, and tells the
    /// core how each went.
    async fn obey(&mut self) {
        let commands = self.signal.take_commands();
        if commands.is_empty() {
            return;
        }
        for command in commands {
            let now = self.clock.now();
            let result = match command.clone() {
                OutboxCommand::Retry { id } => {
                    self.journal
                        .with_journal(move |j| j.retry(id, now).map(|_| ()))
                        .await
                }
                OutboxCommand::Drop { id, who } => {
                    self.journal
                        .with_journal(move |j| j.drop_item(id, &who, now).map(|_| ()))
                        .await
                }
            }
            .map_err(|e| e.to_string());
            match &result {
                Ok(()) => tracing::info!(?command, "outbox: done as a person asked"),
                Err(e) => tracing::warn!(?command, error = %e, "outbox: could not do as asked"),
            }
            self.tell(Event::OutboxCommandDone { command, result });
        }
        self.send_summary().await;
    }

    /// The earliest next try of a pending item.
    async fn next_try(&self) -> Result<Option<Millis>, JournalWriteError> {
        self.journal
            .with_journal(|j| {
                Ok(j.outbox_list()?
                    .items
                    .iter()
                    .filter(|i| i.state == OutboxState::Pending)
                    .map(|i| i.next_try)
                    .min())
            })
            .await
    }

    async fn send_summary(&self) {
        if self.events.is_none() {
            return;
        }
        match self.journal.with_journal(|j| j.outbox_summary()).await {
            Ok(summary) => self.tell(Event::OutboxChanged(summary)),
            Err(e) => tracing::error!(error = %e, "outbox: cannot count the queue"),
        }
    }

    /// One pass: queued pushes too old to send are expired, then every due item that `which`
    /// accepts is tried once, in queue order.
    pub async fn round(
        &mut self,
        which: impl Fn(&OutboxItem) -> bool + Send,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<(), JournalWriteError> {
        let now = self.clock.now();
        let limits = self.limits;
        let expired = self
            .journal
            .with_journal(move |j| j.expire_queued(&limits, now))
            .await?;
        let due: Vec<OutboxItem> = self
            .journal
            .with_journal(move |j| j.due(now))
            .await?
            .into_iter()
            .filter(|i| which(i))
            .collect();
        let total = expired.len() + due.len();
        for (n, item) in expired.iter().enumerate() {
            tracing::warn!(id = item.id, "outbox: queued push too old, not sent");
            if let Some(sale) = &item.sale {
                self.tell(Event::OutboxDone {
                    sale: sale.clone(),
                    record: Record::Outcome {
                        outcome: Outcome::Expired,
                        late: false,
                    },
                });
            }
            progress(Progress {
                done: n + 1,
                total,
                item,
                tried: &Tried::Expired,
            });
        }
        if !expired.is_empty() {
            self.send_summary().await;
        }
        for (n, item) in due.iter().enumerate() {
            let tried = self.try_item(item).await?;
            progress(Progress {
                done: expired.len() + n + 1,
                total,
                item,
                tried: &tried,
            });
        }
        Ok(())
    }

    /// Calls the provider for one item and writes what came of it.
    async fn try_item(&mut self, item: &OutboxItem) -> Result<Tried, JournalWriteError> {
        let decision = match self.providers.get(&item.provider).cloned() {
            // Not permanent: the config may name the provider again after a fix.
            None => Decision {
                settle: self.failure(format!(
                    "provider {} is not configured in this terminal",
                    item.provider
                )),
                records: Vec::new(),
                online: !self.signal.offline(),
                tried: Tried::Retry {
                    error: format!("provider {} is not configured", item.provider),
                },
            },
            Some(provider) => {
                tracing::debug!(id = item.id, what = %item.op.describe(), "outbox: trying");
                let answer = match (&item.op, item.op.to_operation()) {
                    (_, Some(op)) => provider.call(op).await.map(Answer::Reply),
                    (OutboxOp::ReportClose { day }, None) => match crate::journal::day_date(*day) {
                        Some(date) => provider.close_report(date).await.map(Answer::ReportClosed),
                        None => Err(Failure::new(
                            FailureKind::Rejected,
                            format!("day {day} is not a calendar date"),
                        )),
                    },
                    (_, None) => Err(Failure::new(FailureKind::Rejected, "nothing to call")),
                };
                self.decide(item, answer)
            }
        };
        let Decision {
            settle,
            records,
            online,
            tried,
        } = decision;
        if let Tried::Retry { error } | Tried::Dead { error } = &tried {
            tracing::warn!(id = item.id, %error, "outbox: call failed");
        }
        let now = self.clock.now();
        let entries: Vec<JournalEntry> = match &item.sale {
            Some(sale) => records
                .iter()
                .map(|record| JournalEntry {
                    at: now,
                    sale: sale.clone(),
                    provider: item.provider.clone(),
                    record: record.clone(),
                })
                .collect(),
            None => Vec::new(),
        };
        let id = item.id;
        let summary = self
            .journal
            .with_journal(move |j| {
                j.settle(id, now, settle, &entries)?;
                j.outbox_summary()
            })
            .await?;
        if let Some(sale) = &item.sale {
            for record in records {
                super::log_state_change(sale, &item.provider, super::state_word(&record));
                self.tell(Event::OutboxDone {
                    sale: sale.clone(),
                    record,
                });
            }
        }
        self.tell(Event::OutboxChanged(summary));
        self.network(online).await?;
        Ok(tried)
    }

    /// Notes what the last call said about the network; back online, everything is due now.
    async fn network(&mut self, online: bool) -> Result<(), JournalWriteError> {
        let was_offline = self.signal.inner.offline.swap(!online, Ordering::SeqCst);
        if was_offline != online {
            // Offline before and offline now, or online before and online now: no change.
            return Ok(());
        }
        tracing::info!(online, "outbox: network state changed");
        self.tell(Event::Connectivity { online });
        if online {
            let now = self.clock.now();
            self.journal.with_journal(move |j| j.sync_now(now)).await?;
        }
        Ok(())
    }

    fn failure(&self, error: String) -> Settle {
        Settle::Fail {
            error,
            permanent: false,
            jitter: rand::random(),
        }
    }

    fn poll(&self) -> Millis {
        self.clock.now() + self.poll_ms
    }
}

mod decide;
#[cfg(test)]
mod tests;
