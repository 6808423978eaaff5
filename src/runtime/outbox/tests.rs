//! The outbox worker with the fake provider, a real sled journal in a temporary directory and
//! paused tokio time: backoff order, dead letters, pushes queued offline (limits, start, polls,
//! lost answers, expiry), waking on connectivity, and a restart that drains what was queued.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::core::Settings;
use crate::core::sale::{Capture, Flow, Msisdn, SaleRequest};
use crate::core::view::Screen;
use crate::journal::Journal;
use crate::money::{Currency, Money};
use crate::providers::fake::FakeProvider;
use crate::runtime::{MemoryJournal, Runtime, RuntimeOptions};

const T0: u64 = 1_700_000_000_000;
const POLL: u64 = 1_000;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "kassa-outbox-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, AtomicOrdering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

fn limits() -> QueueLimits {
    QueueLimits {
        max_per_sale: nok(10_000),
        max_total: nok(15_000),
        max_age_ms: 600_000,
    }
}

fn key(n: u64) -> SaleKey {
    SaleKey::new("T1", n).unwrap()
}

fn push_request(n: u64, minor: i64) -> SaleRequest {
    SaleRequest {
        key: key(n),
        amount: nok(minor),
        flow: Flow::Push {
            phone: Msisdn::parse("4791234567").unwrap(),
        },
        capture: Capture::Sale,
    }
}

fn fake_id() -> ProviderId {
    ProviderId::new("fake")
}

struct Setup {
    _dir: Dir,
    writer: JournalWriter,
    fake: Arc<FakeProvider>,
    clock: Clock,
    worker: OutboxWorker,
    events: mpsc::UnboundedReceiver<Event>,
}

fn setup(name: &str, approve_after: u32) -> Setup {
    let dir = Dir::new(name);
    let journal = Journal::open(&dir.0, 1 << 20).unwrap();
    let writer = JournalWriter::spawn(journal).unwrap();
    let clock = Clock::starting_at(Millis(T0));
    let fake = Arc::new(FakeProvider::new(
        approve_after,
        clock,
        MemoryJournal::default(),
    ));
    let (tx, events) = mpsc::unbounded_channel();
    let worker = OutboxWorker::new(
        writer.clone(),
        vec![fake.clone() as Arc<dyn PaymentProvider>],
        clock,
        limits(),
        POLL,
    )
    .with_events(tx);
    Setup {
        _dir: dir,
        writer,
        fake,
        clock,
        worker,
        events,
    }
}

impl Setup {
    /// The core journaled the sale's start intent (it was taken offline).
    async fn start_intent(&self, request: &SaleRequest) {
        self.writer
            .append(JournalEntry {
                at: self.clock.now(),
                sale: request.key.clone(),
                provider: fake_id(),
                record: Record::StartIntent(request.clone()),
            })
            .await
            .unwrap();
    }

    async fn enqueue(&self, sale: u64, op: OutboxOp) -> OutboxItem {
        let now = self.clock.now();
        self.writer
            .with_journal(move |j| j.enqueue(Some(key(sale)), fake_id(), op, now))
            .await
            .unwrap()
    }

    async fn items(&self) -> Vec<OutboxItem> {
        self.writer
            .with_journal(|j| Ok(j.outbox_list()?.items))
            .await
            .unwrap()
    }

    async fn sale(&self, n: u64) -> crate::journal::SaleState {
        self.writer
            .with_journal(move |j| j.sale(&key(n)))
            .await
            .unwrap()
    }

    async fn round(&mut self) -> Vec<Tried> {
        let mut tried = Vec::new();
        self.worker
            .round(|_| true, &mut |p| tried.push(p.tried.clone()))
            .await
            .unwrap();
        tried
    }

    fn calls(&self, name: &str) -> usize {
        let s = self.fake.state.lock().unwrap();
        s.calls.iter().filter(|c| **c == name).count()
    }

    fn drain_events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }
}

fn transient() -> Failure {
    Failure::new(FailureKind::Transient, "connection refused")
}

fn outcomes(state: &crate::journal::SaleState) -> Option<Outcome> {
    state.outcome.clone()
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_exponentially_then_the_outcome_is_journaled() {
    let mut s = setup("backoff", 1);
    let request = push_request(1, 500);
    s.start_intent(&request).await;
    s.fake.state.lock().unwrap().payments.insert(
        key(1).to_string(),
        (crate::core::provider::PaymentStatus::Pending, 0),
    );
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .extend([transient(), transient(), transient()]);
    s.enqueue(
        1,
        OutboxOp::StatusCheck {
            handle: PaymentHandle(key(1).to_string()),
        },
    )
    .await;

    let mut waits = Vec::new();
    for attempt in 1..=3u32 {
        let before = s.clock.now();
        let tried = s.round().await;
        assert!(matches!(tried[..], [Tried::Retry { .. }]), "{tried:?}");
        let item = s.items().await.remove(0);
        assert_eq!(item.attempts, attempt);
        assert_eq!(item.last_error.as_deref(), Some("connection refused"));
        let wait = item.next_try.0 - before.0;
        // Equal jitter: the upper half of 2 s, 4 s, 8 s.
        let ceiling = 2_000u64 << (attempt - 1);
        assert!((ceiling / 2..=ceiling).contains(&wait), "{attempt}: {wait}");
        waits.push(wait);
        // Not due before its time.
        assert!(s.round().await.is_empty());
        tokio::time::advance(Duration::from_millis(wait)).await;
    }
    assert!(waits[0] < waits[2], "{waits:?}");
    let events = s.drain_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Connectivity { online: false })),
        "a transient failure tells the core it is offline"
    );

    let tried = s.round().await;
    assert_eq!(tried, vec![Tried::Done]);
    assert!(s.items().await.is_empty());
    let sale = s.sale(1).await;
    assert!(matches!(outcomes(&sale), Some(Outcome::Approved { .. })));
    let events = s.drain_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Connectivity { online: true }))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::OutboxDone { sale, record: Record::Outcome { outcome: Outcome::Approved { .. }, .. } }
            if *sale == key(1)
    )));
    assert!(
        matches!(events.last(), Some(Event::OutboxChanged(sum)) if sum.pending == 0)
            || events
                .iter()
                .any(|e| matches!(e, Event::OutboxChanged(sum) if sum.pending == 0))
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_call_goes_dead_flags_its_sale_and_can_be_retried() {
    let mut s = setup("dead", 1);
    s.start_intent(&push_request(2, 500)).await;
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .push_back(Failure::new(FailureKind::Rejected, "refund not allowed").with_code("422"));
    let item = s
        .enqueue(
            2,
            OutboxOp::Refund {
                handle: PaymentHandle("h2".into()),
                amount: nok(500),
                key: SaleKey::parse("T1-000002-R").unwrap(),
            },
        )
        .await;
    let tried = s.round().await;
    assert!(
        matches!(&tried[..], [Tried::Dead { error }] if error.contains("refund not allowed")),
        "{tried:?}"
    );
    let stored = s.items().await.remove(0);
    assert_eq!(stored.state, OutboxState::Dead);
    let sale = s.sale(2).await;
    assert!(
        sale.flags[0].contains("kassa queue"),
        "a person is told what to do: {:?}",
        sale.flags
    );
    assert!(sale.needs_person());
    // Dead items are never tried by the machine again.
    tokio::time::advance(Duration::from_secs(3_600)).await;
    assert!(s.round().await.is_empty());
    assert_eq!(s.calls("refund"), 1);
    // A person retries: it goes through.
    let now = s.clock.now();
    s.writer
        .with_journal(move |j| j.retry(item.id, now))
        .await
        .unwrap();
    assert_eq!(s.round().await, vec![Tried::Done]);
    assert_eq!(s.sale(2).await.refunded.as_deref(), Some("T1-000002-R"));
}

#[tokio::test(start_paused = true)]
async fn a_queued_push_starts_then_is_polled_without_counting_failures() {
    let mut s = setup("push", 3);
    let request = push_request(3, 500);
    s.start_intent(&request).await;
    s.enqueue(3, OutboxOp::QueuedPush { request }).await;
    assert_eq!(s.round().await, vec![Tried::Continues]);
    let item = s.items().await.remove(0);
    assert_eq!(
        item.op,
        OutboxOp::StatusCheck {
            handle: PaymentHandle(key(3).to_string())
        }
    );
    assert_eq!(item.next_try, s.clock.now() + POLL);
    assert!(s.sale(3).await.handle.is_some(), "Started is journaled");
    // Pending twice, approved on the third poll; polls are not failures.
    for _ in 0..2 {
        tokio::time::advance(Duration::from_millis(POLL)).await;
        assert_eq!(s.round().await, vec![Tried::Continues]);
        let item = s.items().await.remove(0);
        assert_eq!((item.attempts, item.last_error), (0, None));
    }
    tokio::time::advance(Duration::from_millis(POLL)).await;
    assert_eq!(s.round().await, vec![Tried::Done]);
    assert!(matches!(
        outcomes(&s.sale(3).await),
        Some(Outcome::Approved { .. })
    ));
    assert_eq!(s.calls("start"), 1);
    assert!(s.items().await.is_empty());
    let events = s.drain_events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::OutboxDone {
            record: Record::Started { .. },
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_to_a_queued_push_is_recovered_never_sent_twice() {
    let mut s = setup("lost", 1);
    let request = push_request(4, 500);
    s.start_intent(&request).await;
    s.fake.state.lock().unwrap().lose_next = 1;
    s.enqueue(
        4,
        OutboxOp::QueuedPush {
            request: request.clone(),
        },
    )
    .await;
    let tried = s.round().await;
    assert!(matches!(tried[..], [Tried::Retry { .. }]), "{tried:?}");
    let item = s.items().await.remove(0);
    assert!(matches!(item.op, OutboxOp::Recover { .. }), "{:?}", item.op);
    tokio::time::advance(Duration::from_secs(3)).await;
    // Found, still pending: continues as a status check; approved on the next poll.
    assert_eq!(s.round().await, vec![Tried::Continues]);
    tokio::time::advance(Duration::from_millis(POLL)).await;
    assert_eq!(s.round().await, vec![Tried::Done]);
    assert_eq!(s.calls("start"), 1, "never resent");
    assert_eq!(s.calls("recover"), 1);
    assert!(matches!(
        outcomes(&s.sale(4).await),
        Some(Outcome::Approved { .. })
    ));

    // A push that never arrived: the recovery finds nothing; nothing was charged.
    let request = push_request(5, 500);
    s.start_intent(&request).await;
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .push_back(Failure::new(FailureKind::InDoubt, "timed out"));
    s.enqueue(5, OutboxOp::QueuedPush { request }).await;
    s.round().await;
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(s.round().await, vec![Tried::Done]);
    assert_eq!(
        outcomes(&s.sale(5).await),
        Some(Outcome::Failed {
            reason: NEVER_RECEIVED.into()
        })
    );
    assert_eq!(s.calls("start"), 2, "one per sale");
}

#[tokio::test(start_paused = true)]
async fn queued_pushes_respect_the_limits_once_per_sale_and_expire_unsent() {
    let mut s = setup("limits", 1);
    let now = s.clock.now();
    let start = |n: u64, minor: i64| Operation::Start(push_request(n, minor));
    let summary = defer(
        &s.writer,
        limits(),
        now,
        key(6),
        fake_id(),
        start(6, 10_000),
    )
    .await
    .unwrap();
    assert_eq!(summary.pending, 1);
    // Deferred again: still one item for that sale.
    let summary = defer(
        &s.writer,
        limits(),
        now,
        key(6),
        fake_id(),
        start(6, 10_000),
    )
    .await
    .unwrap();
    assert_eq!(summary.pending, 1);
    let over_one = defer(
        &s.writer,
        limits(),
        now,
        key(7),
        fake_id(),
        start(7, 10_001),
    )
    .await;
    assert!(
        over_one.as_ref().is_err_and(|e| e.contains("10001.00")
            || e.contains("100.01")
            || e.contains("most one offline sale")),
        "{over_one:?}"
    );
    let over_total = defer(&s.writer, limits(), now, key(8), fake_id(), start(8, 6_000)).await;
    assert!(
        over_total.as_ref().is_err_and(|e| e.contains("limit")),
        "{over_total:?}"
    );
    let nothing = RuntimeOptions::nothing_queues(Currency::NOK).queue_limits;
    assert!(
        defer(&s.writer, nothing, now, key(9), fake_id(), start(9, 1))
            .await
            .is_err()
    );
    assert!(
        defer(
            &s.writer,
            limits(),
            now,
            key(9),
            fake_id(),
            Operation::Cancel(PaymentHandle("x".into()))
        )
        .await
        .is_err()
    );
    assert_eq!(s.items().await.len(), 1);

    // Offline longer than the limit: not sent, the sale ends expired.
    s.start_intent(&push_request(6, 10_000)).await;
    tokio::time::advance(Duration::from_millis(limits().max_age_ms + 1)).await;
    assert_eq!(s.round().await, vec![Tried::Expired]);
    assert_eq!(s.calls("start"), 0);
    assert_eq!(outcomes(&s.sale(6).await), Some(Outcome::Expired));
    assert!(
        s.items()
            .await
            .iter()
            .all(|i| i.sale.as_ref() != Some(&key(6))),
        "an expired push leaves the outbox: nothing for a person to do"
    );
    assert!(s.drain_events().iter().any(|e| matches!(
        e,
        Event::OutboxDone {
            record: Record::Outcome {
                outcome: Outcome::Expired,
                ..
            },
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn the_worker_wakes_when_connectivity_returns_instead_of_waiting_out_its_backoff() {
    let mut s = setup("wake", 1);
    s.start_intent(&push_request(10, 500)).await;
    s.fake.state.lock().unwrap().payments.insert(
        key(10).to_string(),
        (crate::core::provider::PaymentStatus::Pending, 0),
    );
    // Offline for a while: the backoff has grown to minutes.
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .extend(std::iter::repeat_n(transient(), 8));
    s.enqueue(
        10,
        OutboxOp::StatusCheck {
            handle: PaymentHandle(key(10).to_string()),
        },
    )
    .await;
    for _ in 0..7 {
        s.round().await;
        let item = s.items().await.remove(0);
        tokio::time::advance(Duration::from_millis(item.next_try.0 - s.clock.now().0)).await;
    }
    let signal = s.worker.signal();
    assert!(signal.offline());
    s.drain_events();
    let Setup {
        worker,
        mut events,
        clock,
        writer,
        fake,
        _dir,
    } = s;
    // The running worker drains at start-up and fails once more: the backoff is now minutes.
    let task = tokio::spawn(worker.run());
    signal.wake(); // the runtime's start permit
    let mut changes = 0;
    while changes < 2 {
        // No timers of the test's own: paused time must not jump while the worker works.
        if let Some(Event::OutboxChanged(_)) = events.recv().await {
            changes += 1;
        }
    }
    // Every failure was used: the eighth, in the running worker, set a backoff of 128 s or more
    // (see `backoff`). Reading the journal here would let paused time jump to the worker's
    // wake-up, so the test only listens.
    assert!(fake.state.lock().unwrap().fail_next.is_empty());
    // The network is back (the driver saw a provider answer).
    let back = clock.now();
    signal.connectivity_returned();
    loop {
        match events.recv().await {
            Some(Event::OutboxDone {
                record: Record::Outcome { .. },
                ..
            }) => break,
            Some(_) => {}
            None => panic!("the worker stopped"),
        }
    }
    assert!(
        clock.now().0 - back.0 < 2_000,
        "drained at once, not after the backoff"
    );
    let sale = writer.with_journal(|j| j.sale(&key(10))).await.unwrap();
    assert!(matches!(sale.outcome, Some(Outcome::Approved { .. })));
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_restarted_runtime_drains_what_was_queued_and_the_core_hears_of_it() {
    let dir = Dir::new("restart");
    let request = push_request(11, 700);
    {
        // Before the restart: a push queued offline, its start intent journaled.
        let j = Journal::open(&dir.0, 1 << 20).unwrap();
        j.append(&JournalEntry {
            at: Millis(T0),
            sale: key(11),
            provider: fake_id(),
            record: Record::StartIntent(request.clone()),
        })
        .unwrap();
        j.enqueue(
            Some(key(11)),
            fake_id(),
            OutboxOp::QueuedPush { request },
            Millis(T0),
        )
        .unwrap();
    }
    let journal = Journal::open(&dir.0, 1 << 20).unwrap();
    let writer = JournalWriter::spawn(journal).unwrap();
    let clock = Clock::starting_at(Millis(T0 + 1_000));
    let fake = Arc::new(FakeProvider::new(2, clock, MemoryJournal::default()));
    let terminal =
        crate::core::Terminal::new(Settings::demo("T1"), vec![fake.info()], 12, Vec::new());
    let mut options = RuntimeOptions::nothing_queues(Currency::NOK);
    options.queue_limits = limits();
    let rt = Runtime::start(
        terminal,
        vec![fake.clone() as Arc<dyn PaymentProvider>],
        writer.clone(),
        clock,
        options,
    );
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .unwrap();
    let mut sale = writer.with_journal(|j| j.sale(&key(11))).await.unwrap();
    for _ in 0..100 {
        if sale.outcome.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        sale = writer.with_journal(|j| j.sale(&key(11))).await.unwrap();
    }
    let v = rt
        .handle
        .wait_for(|v| v.status.outbox_pending == 0)
        .await
        .unwrap();
    assert!(v.status.online);
    assert!(
        matches!(sale.outcome, Some(Outcome::Approved { .. })),
        "{sale:?}"
    );
    assert_eq!(
        fake.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| **c == "start")
            .count(),
        1
    );
    assert!(
        writer
            .with_journal(|j| j.outbox_list())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    rt.task.abort();
}

#[tokio::test]
async fn a_memory_journal_keeps_no_outbox_and_refuses_deferrals_plainly() {
    let writer = JournalWriter::spawn(MemoryJournal::default()).unwrap();
    assert!(!writer.has_outbox());
    let refused = defer(
        &writer,
        limits(),
        Millis(T0),
        key(1),
        fake_id(),
        Operation::Status(PaymentHandle("h".into())),
    )
    .await;
    assert_eq!(
        refused,
        Err("this terminal keeps no outbox (its journal is in memory)".to_string())
    );
}

#[tokio::test(start_paused = true)]
async fn a_report_close_is_sent_once_and_leaves_no_sale_record() {
    let mut s = setup("report", 1);
    let now = s.clock.now();
    s.writer
        .with_journal(move |j| j.enqueue(None, fake_id(), OutboxOp::ReportClose { day: 1 }, now))
        .await
        .unwrap();
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .push_back(transient());
    assert!(matches!(s.round().await[..], [Tried::Retry { .. }]));
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(s.round().await, vec![Tried::Done]);
    assert_eq!(s.fake.state.lock().unwrap().reports_closed, 1);
    assert!(s.items().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_report_close_reaches_the_provider_with_its_own_day() {
    let mut s = setup("report-day", 1);
    let now = s.clock.now();
    // 2025-12-01 and 2025-11-30 (days since 1970), queued in that order.
    for day in [20_423, 20_422] {
        s.writer
            .with_journal(move |j| j.enqueue(None, fake_id(), OutboxOp::ReportClose { day }, now))
            .await
            .unwrap();
    }
    assert_eq!(s.round().await, vec![Tried::Done, Tried::Done]);
    let days = s.fake.state.lock().unwrap().report_days.clone();
    assert_eq!(
        days,
        vec![
            time::macros::date!(2025 - 12 - 01),
            time::macros::date!(2025 - 11 - 30)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_person_retries_and_drops_items_through_the_running_worker() {
    let mut s = setup("commands", 1);
    let refund = |n: u64| OutboxOp::Refund {
        handle: PaymentHandle(format!("h{n}")),
        amount: nok(500),
        key: SaleKey::parse(&format!("T1-{n:06}-R")).unwrap(),
    };
    for n in [12, 13] {
        s.start_intent(&push_request(n, 500)).await;
        s.fake
            .state
            .lock()
            .unwrap()
            .fail_next
            .push_back(Failure::new(FailureKind::Rejected, "refund not allowed"));
    }
    let first = s.enqueue(12, refund(12)).await;
    let second = s.enqueue(13, refund(13)).await;
    assert_eq!(s.round().await.len(), 2);
    assert!(s.items().await.iter().all(|i| i.state == OutboxState::Dead));
    s.drain_events();
    let Setup {
        worker,
        mut events,
        writer,
        fake,
        _dir,
        ..
    } = s;
    let signal = worker.signal();
    let task = tokio::spawn(worker.run());
    signal.wake();
    // Retry the first: it is due at once and goes through; the second stays given up.
    signal.command(OutboxCommand::Retry { id: first.id });
    let mut answered = false;
    loop {
        match events.recv().await {
            Some(Event::OutboxCommandDone { command, result }) => {
                assert_eq!(command, OutboxCommand::Retry { id: first.id });
                assert_eq!(result, Ok(()));
                answered = true;
            }
            Some(Event::OutboxDone {
                record: Record::Refunded { .. },
                sale,
            }) => {
                assert_eq!(sale, key(12));
                break;
            }
            Some(_) => {}
            None => panic!("the worker stopped"),
        }
    }
    assert!(answered, "the core hears that the retry was taken");
    assert_eq!(
        fake.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| **c == "refund")
            .count(),
        3,
        "two refused, then the retried one"
    );
    // Drop the second: it leaves the outbox and the journal says who dropped it. Dropping it
    // again names the missing item.
    let who = "supervisor at terminal T1".to_string();
    for _ in 0..2 {
        signal.command(OutboxCommand::Drop {
            id: second.id,
            who: who.clone(),
        });
    }
    let mut results = Vec::new();
    while results.len() < 2 {
        match events.recv().await {
            Some(Event::OutboxCommandDone { result, .. }) => results.push(result),
            Some(_) => {}
            None => panic!("the worker stopped"),
        }
    }
    assert_eq!(results[0], Ok(()));
    assert!(
        results[1]
            .as_ref()
            .is_err_and(|e| e.contains(&second.id.to_string())),
        "{results:?}"
    );
    let (items, sale) = writer
        .with_journal(|j| Ok((j.outbox_list()?.items, j.sale(&key(13))?)))
        .await
        .unwrap();
    assert!(items.is_empty(), "{items:?}");
    assert!(sale.dropped[0].starts_with(&who), "{:?}", sale.dropped);
    assert!(sale.refunded.is_none());
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_queued_push_the_provider_refuses_ends_not_paid_and_leaves_the_outbox() {
    let mut s = setup("refused-push", 1);
    let request = push_request(14, 500);
    s.start_intent(&request).await;
    s.fake
        .state
        .lock()
        .unwrap()
        .fail_next
        .push_back(Failure::new(FailureKind::Rejected, "unknown phone number").with_code("404"));
    s.enqueue(14, OutboxOp::QueuedPush { request }).await;
    let tried = s.round().await;
    assert!(
        matches!(&tried[..], [Tried::Refused { error }] if error.contains("unknown phone")),
        "{tried:?}"
    );
    assert!(s.items().await.is_empty());
    let sale = s.sale(14).await;
    assert!(
        matches!(&sale.outcome, Some(Outcome::Failed { reason }) if reason.contains("unknown phone")),
        "{:?}",
        sale.outcome
    );
    assert!(sale.flags.is_empty() && !sale.needs_person());
    assert!(s.drain_events().iter().any(|e| matches!(
        e,
        Event::OutboxDone {
            record: Record::Outcome {
                outcome: Outcome::Failed { .. },
                ..
            },
            ..
        }
    )));
}

/// The core gave up on a sale as in doubt (its start answer lost, no handle) and left a recovery
/// in the outbox. When the provider is back, nobody waits for that sale any more: a request the
/// late recovery made (mCASH re-creates a start that never arrived) or found still open is
/// aborted, never left payable.
#[tokio::test(start_paused = true)]
async fn an_in_doubt_sales_late_recovery_aborts_the_request_nobody_waits_for() {
    let mut s = setup("late-recover", 100);
    s.fake.state.lock().unwrap().recover_creates = true;
    // Sale 6 never reached the provider; sale 7 did, and its request is still open.
    for n in [6, 7] {
        let request = push_request(n, 700);
        s.start_intent(&request).await;
        s.enqueue(
            n,
            OutboxOp::Recover {
                request,
                queued_push: false,
            },
        )
        .await;
    }
    s.fake
        .state
        .lock()
        .unwrap()
        .payments
        .insert(key(7).to_string(), (PaymentStatus::Pending, 0));
    assert_eq!(s.round().await, vec![Tried::Continues, Tried::Continues]);
    let items = s.items().await;
    assert!(
        items.iter().all(|i| matches!(i.op, OutboxOp::Abort { .. })),
        "{items:?}"
    );
    assert_eq!(s.round().await, vec![Tried::Done, Tried::Done]);
    assert_eq!(s.calls("cancel"), 2);
    assert!(s.items().await.is_empty());
    let state = s.fake.state.lock().unwrap().payments.clone();
    for n in [6, 7] {
        assert_eq!(
            state.get(key(n).as_str()).map(|p| p.0.clone()),
            Some(PaymentStatus::Cancelled),
            "sale {n} must end aborted at the provider"
        );
        assert_eq!(outcomes(&s.sale(n).await), Some(Outcome::Cancelled));
        assert_eq!(
            s.sale(n).await.handle,
            Some(PaymentHandle(key(n).to_string()))
        );
    }
    assert_eq!(s.calls("start"), 0, "never a second start");
}

/// A queued push is the one case where a recovery's request is waited for: the customer holds
/// the phone. It is watched, not aborted.
#[tokio::test(start_paused = true)]
async fn a_queued_push_created_by_its_recovery_is_watched_not_aborted() {
    let mut s = setup("push-recover", 1);
    s.fake.state.lock().unwrap().recover_creates = true;
    let request = push_request(8, 800);
    s.start_intent(&request).await;
    s.enqueue(
        8,
        OutboxOp::Recover {
            request,
            queued_push: true,
        },
    )
    .await;
    assert_eq!(s.round().await, vec![Tried::Continues]);
    assert!(matches!(
        s.items().await[0].op,
        OutboxOp::StatusCheck { .. }
    ));
    assert_eq!(s.calls("cancel"), 0);
}
