//! The runtime with the fake provider and paused tokio time: timers, ordering of journal writes
//! before calls, and journal failures.

use std::sync::Arc;

use super::*;
use crate::core::Key;
use crate::core::record::{Outcome, Record};
use crate::core::view::Screen;
use crate::core::{Millis, Settings};
use crate::providers::fake::FakeProvider;

fn start(approve_after: u32) -> (Runtime, Arc<FakeProvider>, MemoryJournal) {
    let clock = Clock::starting_at(Millis(1_700_000_000_000));
    let journal = MemoryJournal::default();
    let fake = Arc::new(FakeProvider::new(approve_after, clock, journal.clone()));
    let terminal = Terminal::new(Settings::demo("T1"), vec![fake.info()], 1, Vec::new());
    let writer = JournalWriter::spawn(journal.clone()).unwrap();
    let rt = Runtime::start(
        terminal,
        vec![fake.clone() as Arc<dyn PaymentProvider>],
        writer,
        clock,
        RuntimeOptions::nothing_queues(crate::money::Currency::NOK),
    );
    (rt, fake, journal)
}

fn type_sale(h: &RuntimeHandle, digits: &str) {
    for d in digits.bytes() {
        h.send(Event::Key(Key::Digit(d - b'0')));
    }
    h.send(Event::Key(Key::Enter));
    // A tap on the first tile where tiles are shown; with one provider Pay already started.
    h.send(Event::Select(0));
}

fn outcome(v: &View) -> Option<Outcome> {
    match &v.screen {
        Screen::Result { outcome, .. } => Some(outcome.clone()),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_sale_runs_through_the_runtime_with_intents_journaled_first() {
    let (mut rt, fake, journal) = start(3);
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .unwrap();
    type_sale(&rt.handle, "1250");
    let v = rt.handle.wait_for(|v| outcome(v).is_some()).await.unwrap();
    assert!(v.shows_paid(), "{:?}", v.screen);
    let s = fake.state.lock().unwrap();
    assert_eq!(s.unjournaled_starts, 0);
    assert_eq!(s.calls.iter().filter(|c| **c == "start").count(), 1);
    assert_eq!(s.calls.iter().filter(|c| **c == "status").count(), 3);
    drop(s);
    let records: Vec<Record> = journal.entries().into_iter().map(|e| e.record).collect();
    assert!(matches!(records[0], Record::StartIntent(_)));
    assert!(matches!(records[1], Record::Started { .. }));
    assert!(matches!(
        records[2],
        Record::Outcome {
            outcome: Outcome::Approved { .. },
            ..
        }
    ));
    let mut signals = Vec::new();
    while let Ok(o) = rt.outputs.try_recv() {
        signals.push(o);
    }
    assert!(signals.contains(&Output::Signal(Signal::Approved)));
}

#[tokio::test(start_paused = true)]
async fn an_unpaid_qr_expires_through_the_provider() {
    let (rt, fake, _journal) = start(u32::MAX);
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .unwrap();
    type_sale(&rt.handle, "100");
    let v = rt.handle.wait_for(|v| outcome(v).is_some()).await.unwrap();
    assert_eq!(outcome(&v), Some(Outcome::Expired));
    let s = fake.state.lock().unwrap();
    assert!(s.calls.contains(&"cancel"), "{:?}", s.calls);
    // Polled about once a second for the two minutes the QR lived.
    let polls = s.calls.iter().filter(|c| **c == "status").count();
    assert!((100..=130).contains(&polls), "{polls} polls");
}

#[tokio::test(start_paused = true)]
async fn a_journal_that_cannot_write_keeps_the_call_from_leaving() {
    let (rt, fake, journal) = start(1);
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .unwrap();
    journal.fail_with(Some("No space left on device (os error 28)"));
    type_sale(&rt.handle, "100");
    let v = rt.handle.wait_for(|v| outcome(v).is_some()).await.unwrap();
    assert!(
        matches!(outcome(&v), Some(Outcome::Failed { reason }) if reason.contains("No space left"))
    );
    assert!(v.status.storage_failing);
    assert!(
        fake.state.lock().unwrap().calls.is_empty(),
        "nothing may leave unjournaled"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// The log lines of one approved sale that took `polls` status polls, at `level`.
async fn sale_log(polls: u32, level: tracing::Level) -> (Vec<String>, usize) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _scope = tracing::subscriber::set_default(subscriber);
    let (rt, fake, _journal) = start(polls);
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .unwrap();
    type_sale(&rt.handle, "1250");
    let v = rt.handle.wait_for(|v| outcome(v).is_some()).await.unwrap();
    assert!(v.shows_paid(), "{:?}", v.screen);
    let made = fake
        .state
        .lock()
        .unwrap()
        .calls
        .iter()
        .filter(|c| **c == "status")
        .count();
    (captured.lines(), made)
}

#[tokio::test(start_paused = true)]
async fn info_logs_one_line_per_state_change_however_many_polls() {
    let (few, few_polls) = sale_log(2, tracing::Level::INFO).await;
    let (many, many_polls) = sale_log(60, tracing::Level::INFO).await;
    assert_eq!((few_polls, many_polls), (2, 60));
    assert_eq!(few.len(), many.len(), "{few:#?}\n{many:#?}");
    assert!(many.len() <= 6, "{many:#?}");
    for state in ["starting", "started", "approved"] {
        let with = many
            .iter()
            .filter(|l| {
                l.contains("sale state changed") && l.contains(&format!("state=\"{state}\""))
            })
            .count();
        assert_eq!(with, 1, "{state}: {many:#?}");
    }
    assert!(many.iter().all(|l| l.contains(" INFO ")), "{many:#?}");
    // The polls are still there for whoever asks for debug.
    let (debug, _) = sale_log(60, tracing::Level::DEBUG).await;
    let calls = debug.iter().filter(|l| l.contains("provider call")).count();
    assert!(calls > 60, "{calls} provider call lines at debug");
}

/// A sale left with only its intent, resumed through the runtime: a provider that looks up
/// never creates (it answers not found), one that re-creates has its request aborted at once.
async fn resume_one(recover_creates: bool) -> (Arc<FakeProvider>, MemoryJournal, View) {
    use crate::core::resume::{Left, Resume};
    use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
    let clock = Clock::starting_at(Millis(1_700_000_000_000));
    let journal = MemoryJournal::default();
    let fake = Arc::new(FakeProvider::new(1, clock, journal.clone()));
    fake.state.lock().unwrap().recover_creates = recover_creates;
    let info = fake.info();
    assert_eq!(info.capabilities.lookup, !recover_creates);
    let mut terminal = Terminal::new(Settings::demo("T1"), vec![info], 2, Vec::new());
    let key = SaleKey::new("T1", 1).unwrap();
    terminal.resume(vec![Resume {
        request: SaleRequest {
            key,
            amount: crate::money::Money::from_minor(500, crate::money::Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        },
        provider: fake.info().id,
        handle: None,
        started_at: Millis(1_699_999_990_000),
        left: Left::Start,
    }]);
    let writer = JournalWriter::spawn(journal.clone()).unwrap();
    let rt = Runtime::start(
        terminal,
        vec![fake.clone() as Arc<dyn PaymentProvider>],
        writer,
        clock,
        RuntimeOptions::nothing_queues(crate::money::Currency::NOK),
    );
    rt.handle.send(Event::Ready);
    let v = rt
        .handle
        .wait_for(|v| matches!(v.screen, Screen::RecoverySummary { .. }))
        .await
        .unwrap();
    (fake, journal, v)
}

#[tokio::test(start_paused = true)]
async fn a_lookup_first_provider_is_never_made_to_create_at_recovery() {
    let (fake, journal, v) = resume_one(false).await;
    let s = fake.state.lock().unwrap();
    assert!(s.created_by_recovery.is_empty());
    assert!(s.payments.is_empty(), "nothing exists at the provider");
    assert_eq!(s.calls, vec!["recover"]);
    drop(s);
    assert!(
        !journal
            .entries()
            .iter()
            .any(|e| e.record == Record::AbortIntent)
    );
    assert!(matches!(&v.screen, Screen::RecoverySummary { items, .. } if items.len() == 1));
}

#[tokio::test(start_paused = true)]
async fn a_request_made_by_the_recovery_is_aborted_at_once_through_the_runtime() {
    let (fake, journal, v) = resume_one(true).await;
    let s = fake.state.lock().unwrap();
    assert_eq!(s.created_by_recovery.len(), 1);
    assert_eq!(s.calls, vec!["recover", "cancel"]);
    assert!(
        s.payments
            .values()
            .all(|(st, _)| *st == crate::core::provider::PaymentStatus::Cancelled)
    );
    drop(s);
    let records: Vec<Record> = journal.entries().into_iter().map(|e| e.record).collect();
    let abort = records.iter().position(|r| *r == Record::AbortIntent);
    let done = records
        .iter()
        .position(|r| matches!(r, Record::Outcome { .. }));
    assert!(abort.is_some() && abort < done, "{records:?}");
    assert!(matches!(
        &v.screen,
        Screen::RecoverySummary { items, .. } if items[0].never_reached
    ));
}
