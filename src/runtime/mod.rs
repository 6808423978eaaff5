//! The driver: owns the [`Terminal`], carries out its effects (journal writes, provider calls,
//! timers, views, signals) and feeds the results back as events. Front-ends (the Slint UI, the
//! console of `kassa pay`, tests) talk to it through a [`RuntimeHandle`].
//!
//! Logging: `info` carries one line per sale state change (each journal record is one, see
//! `log_state_change`) and the rare events around them; provider calls, status polls above
//! all (one a second while a customer decides), go to `debug`, so a terminal's journald holds
//! a few lines per sale instead of 86,400 a day.

mod clock;
pub mod journal;
pub mod outbox;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use journal::{JournalSink, JournalWriteError, JournalWriter, MemoryJournal};
pub use outbox::{OutboxSignal, OutboxWorker};

use crate::config::Config;
use crate::core::event::Effect;
use crate::core::provider::{Failure, FailureKind, ProviderId};
use crate::core::record::{Outcome, Record};
use crate::core::sale::SaleKey;
use crate::core::view::View;
use crate::core::{Event, Signal, Terminal};
use crate::journal::QueueLimits;
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;

/// How the runtime runs its outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// Limits on push requests queued while offline (`[outbox]`); zero amounts: none queue.
    pub queue_limits: QueueLimits,
    /// How often the outbox asks about a started payment until it is final.
    pub outbox_poll_ms: u64,
}

impl RuntimeOptions {
    pub fn from_config(config: &Config) -> RuntimeOptions {
        RuntimeOptions {
            queue_limits: QueueLimits {
                max_per_sale: config.outbox.max_queued_amount,
                max_total: config.outbox.max_queued_total,
                max_age_ms: config.outbox.max_queued_age_minutes.saturating_mul(60_000),
            },
            outbox_poll_ms: config.terminal.poll_interval_ms.max(1),
        }
    }

    /// Nothing may queue while offline (tests, and terminals whose config says so).
    pub fn nothing_queues(currency: Currency) -> RuntimeOptions {
        RuntimeOptions {
            queue_limits: QueueLimits {
                max_per_sale: Money::zero(currency),
                max_total: Money::zero(currency),
                max_age_ms: 0,
            },
            outbox_poll_ms: 1_000,
        }
    }
}

/// What the runtime hands to the hardware and front-ends besides views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Signal(Signal),
    /// Vending: deliver now, then send `Event::VendResult`.
    Vend(SaleKey),
    /// Vending: the vend request is refused (see `Effect::VendDenied`).
    VendDenied {
        sale: Option<SaleKey>,
        reason: String,
    },
}

/// How front-ends reach a running terminal.
#[derive(Clone)]
pub struct RuntimeHandle {
    events: mpsc::UnboundedSender<Event>,
    views: watch::Receiver<View>,
}

impl RuntimeHandle {
    /// Sends an event (a key, a tap, a vend result). Returns false once the runtime stopped.
    pub fn send(&self, event: Event) -> bool {
        self.events.send(event).is_ok()
    }

    /// The latest view and a way to wait for the next.
    pub fn views(&self) -> watch::Receiver<View> {
        self.views.clone()
    }

    /// Waits until a view satisfies `pred`, and returns it. `None` if the runtime stopped.
    pub async fn wait_for(&self, mut pred: impl FnMut(&View) -> bool) -> Option<View> {
        let mut rx = self.views.clone();
        loop {
            {
                let v = rx.borrow_and_update();
                if pred(&v) {
                    return Some(v.clone());
                }
            }
            rx.changed().await.ok()?;
        }
    }
}

/// A running terminal.
pub struct Runtime {
    pub handle: RuntimeHandle,
    /// Signals and vend requests for the hardware.
    pub outputs: mpsc::UnboundedReceiver<Output>,
    pub task: JoinHandle<()>,
}

struct Driver {
    terminal: Terminal,
    providers: HashMap<ProviderId, Arc<dyn PaymentProvider>>,
    journal: JournalWriter,
    clock: Clock,
    events: mpsc::UnboundedSender<Event>,
    views: watch::Sender<View>,
    outputs: mpsc::UnboundedSender<Output>,
    journal_failing: bool,
    options: RuntimeOptions,
    /// The outbox worker's wake-up, when the journal keeps an outbox.
    outbox: Option<OutboxSignal>,
}

impl Runtime {
    /// Starts the driver on the current tokio runtime. Providers are started up (mCASH registers
    /// its POS) before the terminal takes sales; one that fails is marked unreachable. With a
    /// sled journal, the outbox worker runs in the same task (aborting `task` stops both and
    /// so releases the journal) and first drains what is already queued.
    pub fn start(
        terminal: Terminal,
        providers: Vec<Arc<dyn PaymentProvider>>,
        journal: JournalWriter,
        clock: Clock,
        options: RuntimeOptions,
    ) -> Runtime {
        let (events, rx) = mpsc::unbounded_channel();
        let (views_tx, views_rx) = watch::channel(terminal.view());
        let (outputs_tx, outputs) = mpsc::unbounded_channel();
        let worker = journal.has_outbox().then(|| {
            OutboxWorker::new(
                journal.clone(),
                providers.clone(),
                clock,
                options.queue_limits,
                options.outbox_poll_ms,
            )
            .with_events(events.clone())
        });
        let providers: HashMap<ProviderId, Arc<dyn PaymentProvider>> =
            providers.into_iter().map(|p| (p.info().id, p)).collect();
        let driver = Driver {
            terminal,
            providers,
            journal,
            clock,
            events: events.clone(),
            views: views_tx,
            outputs: outputs_tx,
            journal_failing: false,
            options,
            outbox: worker.as_ref().map(OutboxWorker::signal),
        };
        let task = tokio::spawn(async move {
            match worker {
                Some(worker) => {
                    // The worker loops forever; the driver ends when every handle is gone.
                    tokio::select! {
                        _ = driver.run(rx) => {}
                        _ = worker.run() => {}
                    }
                }
                None => driver.run(rx).await,
            }
        });
        Runtime {
            handle: RuntimeHandle {
                events,
                views: views_rx,
            },
            outputs,
            task,
        }
    }
}

impl Drop for Driver {
    /// At exit (the window closed, `kassa pay` done, the task aborted): every provider forgets
    /// the agent PIN it holds.
    fn drop(&mut self) {
        for p in self.providers.values() {
            p.lock();
        }
    }
}

impl Driver {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Event>) {
        let mut startups = Vec::new();
        for (id, p) in &self.providers {
            let (id, p) = (id.clone(), p.clone());
            startups.push(tokio::spawn(async move { (id, p.start_up().await) }));
        }
        for s in startups {
            if let Ok((provider, result)) = s.await {
                if let Err(e) = &result {
                    tracing::warn!(%provider, error = %e, "provider start-up failed");
                }
                let reachable = result.is_ok();
                self.step(Event::ProviderReachable {
                    provider,
                    reachable,
                })
                .await;
            }
        }
        self.step(Event::Ready).await;
        // Providers are up: the outbox may drain what was queued before.
        if let Some(outbox) = &self.outbox {
            outbox.wake();
        }
        while let Some(event) = rx.recv().await {
            self.step(event).await;
        }
    }

    /// Handles one event and everything it leads to synchronously (journal failures).
    async fn step(&mut self, event: Event) {
        if let Some(outbox) = &self.outbox {
            // Any answer from a provider (even a refusal) proves the network works.
            let answered = match &event {
                Event::Answer { result, .. } => {
                    result.is_ok()
                        || result.as_ref().is_err_and(|f| {
                            matches!(f.kind, FailureKind::Rejected | FailureKind::Auth)
                        })
                }
                Event::Connectivity { online } => *online,
                _ => false,
            };
            if answered {
                outbox.connectivity_returned();
            }
        }
        let mut queue = VecDeque::from([event]);
        while let Some(event) = queue.pop_front() {
            let now = self.clock.now();
            let effects = self.terminal.handle(now, event);
            self.execute(effects, &mut queue).await;
        }
    }

    async fn execute(&mut self, effects: Vec<Effect>, queue: &mut VecDeque<Event>) {
        // Sales whose journal write failed in this batch: their calls must not leave.
        let mut blocked: Vec<SaleKey> = Vec::new();
        for effect in effects {
            match effect {
                Effect::Journal(entry) => {
                    let sale = entry.sale.clone();
                    let (provider, state) = (entry.provider.clone(), state_word(&entry.record));
                    match self.journal.append(entry).await {
                        Ok(()) => {
                            log_state_change(&sale, &provider, state);
                            if self.journal_failing {
                                self.journal_failing = false;
                                queue.push_back(Event::JournalHealthy);
                            }
                        }
                        Err(e) => {
                            tracing::error!(%sale, error = %e, "journal write failed");
                            self.journal_failing = true;
                            blocked.push(sale.clone());
                            queue.push_back(Event::JournalFailed {
                                sale,
                                message: e.to_string(),
                            });
                        }
                    }
                }
                Effect::Call {
                    call,
                    provider,
                    sale,
                    op,
                } => {
                    if blocked.contains(&sale) {
                        continue;
                    }
                    tracing::debug!(%sale, %provider, op = op.name(), "provider call");
                    let events = self.events.clone();
                    match self.providers.get(&provider).cloned() {
                        Some(p) => {
                            tokio::spawn(async move {
                                let result = p.call(op).await;
                                let _ = events.send(Event::Answer { call, result });
                            });
                        }
                        None => {
                            let result = Err(Failure::new(
                                FailureKind::Rejected,
                                format!("provider {provider} is not configured"),
                            ));
                            queue.push_back(Event::Answer { call, result });
                        }
                    }
                }
                Effect::Arm { timer, at } => {
                    let events = self.events.clone();
                    let deadline = self.clock.instant_at(at);
                    tokio::spawn(async move {
                        tokio::time::sleep_until(deadline).await;
                        let _ = events.send(Event::Timer(timer));
                    });
                }
                Effect::Show(view) => {
                    self.views.send_replace(*view);
                }
                Effect::Signal(s) => {
                    let _ = self.outputs.send(Output::Signal(s));
                }
                Effect::Vend { sale } => {
                    let _ = self.outputs.send(Output::Vend(sale));
                }
                Effect::Unlock { provider, pin } => {
                    // The PIN goes to the provider and nowhere else: not logged, not journaled.
                    tracing::info!(%provider, "agent PIN handed to the provider");
                    let events = self.events.clone();
                    match self.providers.get(&provider).cloned() {
                        Some(p) => {
                            tokio::spawn(async move {
                                let result = p.unlock(pin).await;
                                let _ = events.send(Event::Unlocked { provider, result });
                            });
                        }
                        None => queue.push_back(Event::Unlocked {
                            result: Err(Failure::new(
                                FailureKind::Rejected,
                                format!("provider {provider} is not configured"),
                            )),
                            provider,
                        }),
                    }
                }
                Effect::Lock { provider } => {
                    tracing::info!(%provider, "provider locked");
                    if let Some(p) = self.providers.get(&provider) {
                        p.lock();
                    }
                }
                Effect::VendDenied { sale, reason } => {
                    let _ = self.outputs.send(Output::VendDenied { sale, reason });
                }
                Effect::Outbox(command) => match &self.outbox {
                    Some(outbox) => outbox.command(command),
                    None => queue.push_back(Event::OutboxCommandDone {
                        command,
                        result: Err(JournalWriteError::NoOutbox.to_string()),
                    }),
                },
                Effect::Defer { sale, provider, op } => {
                    let name = op.name();
                    let queued = match &self.outbox {
                        _ if blocked.contains(&sale) => Err("its journal write failed".to_string()),
                        None => Err(JournalWriteError::NoOutbox.to_string()),
                        Some(_) => {
                            outbox::defer(
                                &self.journal,
                                self.options.queue_limits,
                                self.clock.now(),
                                sale.clone(),
                                provider.clone(),
                                op,
                            )
                            .await
                        }
                    };
                    match queued {
                        Ok(summary) => {
                            tracing::info!(%sale, %provider, op = name, "queued in the outbox");
                            queue.push_back(Event::OutboxChanged(summary));
                            if let Some(outbox) = &self.outbox {
                                outbox.wake();
                            }
                        }
                        Err(reason) => {
                            tracing::warn!(%sale, %provider, op = name, %reason, "not queued");
                            queue.push_back(Event::DeferRefused { sale, reason });
                        }
                    }
                }
            }
        }
    }
}

/// The `info` line of a sale state change: the sale, the provider and the new state in a
/// word (no phone number, amount or message text: those are in the journal).
pub(crate) fn log_state_change(sale: &SaleKey, provider: &ProviderId, state: &'static str) {
    tracing::info!(%sale, %provider, state, "sale state changed");
}

/// A journal record as the state it moves the sale to.
pub(crate) fn state_word(record: &Record) -> &'static str {
    match record {
        Record::StartIntent(_) => "starting",
        Record::Started { .. } => "started",
        Record::Outcome { outcome, .. } => match outcome {
            Outcome::Approved { .. } => "approved",
            Outcome::Declined { .. } => "declined",
            Outcome::Expired => "expired",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed { .. } => "failed",
            Outcome::InDoubt { .. } => "in doubt",
            Outcome::Released => "released",
        },
        Record::VendApproved => "vend approved",
        Record::CaptureIntent { .. } => "capturing",
        Record::ReleaseIntent => "releasing",
        Record::RefundIntent { .. } => "refunding",
        Record::Refunded { .. } => "refunded",
        Record::Flagged { .. } => "needs a person",
        Record::Dropped { .. } => "outbox call dropped",
        Record::AbortIntent => "aborting: never reached the provider before the restart",
        Record::ResolvedAfterRestart => "resolved after restart",
        Record::Acknowledged => "recovery summary acknowledged",
        Record::StaffCalled => "kiosk calls staff",
        Record::StaffCleared { .. } => "call staff cleared",
    }
}

#[cfg(test)]
mod tests;
