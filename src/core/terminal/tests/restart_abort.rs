//! A payment request made by the recovery itself (issue 16): aborted at once after a restart,
//! its abort journaled before it leaves; and the recovery summary the cashier acknowledges once.

use super::*;
use crate::core::record::{Restart, SaleRow};
use crate::core::summary::Verdict;

fn left_open(seq: u64, handle: Option<&str>, left: Left) -> Resume {
    Resume {
        request: SaleRequest {
            key: SaleKey::new("T1", seq).unwrap(),
            amount: Money::from_minor(500, Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        },
        provider: ProviderId::new("mcash"),
        handle: handle.map(|h| PaymentHandle(h.into())),
        started_at: Millis(1_600_000_000_000),
        left,
    }
}

fn created(tid: &str, now: Millis) -> Reply {
    Reply::Created {
        handle: PaymentHandle(tid.into()),
        prompt: Some(Prompt::Qr {
            payload: "http://mca.sh/s/abc/T1".into(),
            expires_at: now + 120_000,
        }),
    }
}

fn records(h: &H) -> Vec<Record> {
    h.journal.iter().map(|j| j.record.clone()).collect()
}

fn summary(h: &H) -> Vec<crate::core::view::SummaryItem> {
    match &h.view.screen {
        Screen::RecoverySummary { items, .. } => items.clone(),
        other => panic!("not the recovery summary: {other:?}"),
    }
}

#[test]
fn created_at_a_restart_recovery_is_aborted_with_the_abort_journaled_before_the_cancel_leaves() {
    let left = left_open(7, None, Left::Start);
    let key = left.request.key.clone();
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let (call, _) = h.take("recover");
    let now = h.now;
    h.answer(call, Ok(created("tid-7", now)));
    // In this one batch: the handle and the abort intent are journaled, then the cancel leaves.
    let abort_at = h
        .effects
        .iter()
        .position(|f| matches!(f, Effect::Journal(j) if j.record == Record::AbortIntent))
        .expect("abort intent journaled");
    let started_at = h
        .effects
        .iter()
        .position(|f| matches!(f, Effect::Journal(j) if matches!(j.record, Record::Started { .. })))
        .expect("handle journaled");
    let cancel_at = h
        .effects
        .iter()
        .position(|f| {
            matches!(
                f,
                Effect::Call {
                    op: Operation::Cancel(_),
                    ..
                }
            )
        })
        .expect("cancel sent at once");
    assert!(abort_at < cancel_at && started_at < cancel_at);
    assert!(!h.has("status"), "no waiting for the customer first");
    let (call, op) = h.take("cancel");
    assert_eq!(op, Operation::Cancel(PaymentHandle("tid-7".into())));
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert!(
        h.starts.is_empty(),
        "a recovered sale is never started again"
    );
    let recs = records(&h);
    assert!(recs.contains(&Record::ResolvedAfterRestart));
    assert!(recs.contains(&Record::Outcome {
        outcome: Outcome::Cancelled,
        late: false
    }));
    let items = summary(&h);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].sale, key);
    // Told apart from an abort at the provider by `never_reached` (worded in `ui::words`).
    assert!(items[0].never_reached);
    assert_eq!(items[0].outcome, Outcome::Cancelled);
    assert_eq!(items[0].verdict(), Verdict::NotPaid);
}

#[test]
fn found_at_a_restart_recovery_is_cancelled_as_before_without_an_abort_intent() {
    let left = left_open(8, None, Left::Start);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-8".into()),
            status: PaymentStatus::Pending,
            prompt: None,
        }),
    );
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert!(!records(&h).contains(&Record::AbortIntent));
    let items = summary(&h);
    assert!(!items[0].never_reached);
    assert_eq!(items[0].outcome, Outcome::Cancelled);
}

#[test]
fn an_abort_answered_too_late_approved_is_paid_and_shown_as_paid() {
    let left = left_open(9, None, Left::Start);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let (call, _) = h.take("recover");
    let now = h.now;
    h.answer(call, Ok(created("tid-9", now)));
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(approved("ref-9"))));
    assert!(records(&h).contains(&Record::Outcome {
        outcome: Outcome::Approved {
            reference: "ref-9".into()
        },
        late: false
    }));
    let items = summary(&h);
    assert_eq!(items[0].verdict(), Verdict::Paid);
    assert_eq!(
        items[0].outcome,
        Outcome::Approved {
            reference: "ref-9".into()
        }
    );
}

#[test]
fn created_at_a_live_recovery_is_the_only_request_and_its_qr_is_shown() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "answer lost")));
    let (call, _) = h.take("recover");
    let now = h.now;
    h.answer(call, Ok(created("tid-live", now)));
    assert!(!h.has("cancel"));
    assert!(!records(&h).contains(&Record::AbortIntent));
    assert!(matches!(
        &h.view.screen,
        Screen::Paying {
            waiting: Waiting::Qr { .. },
            cancelling: false,
            ..
        }
    ));
}

#[test]
fn a_lookup_first_provider_is_only_asked_never_started_and_unknown_means_never_reached() {
    let mut p = mcash_like();
    p.capabilities.lookup = true;
    let left = left_open(10, None, Left::Start);
    let mut h = H::resuming(Settings::demo("T1"), vec![p], vec![left]);
    let (call, op) = h.take("recover");
    assert!(matches!(op, Operation::Recover(_)));
    h.answer(call, Ok(Reply::NotFound));
    assert!(h.starts.is_empty());
    assert!(h.pending.is_empty(), "nothing else sent: {:?}", h.pending);
    let items = summary(&h);
    assert_eq!(items[0].verdict(), Verdict::NotPaid);
    assert!(matches!(items[0].outcome, Outcome::Failed { .. }));
}

#[test]
fn an_abort_left_by_a_kill_is_sent_again_by_its_handle_without_recovering_first() {
    let left = left_open(11, Some("tid-11"), Left::Abort);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    assert!(!h.has("recover"), "no re-create when the handle is known");
    let (call, op) = h.take("cancel");
    assert_eq!(op, Operation::Cancel(PaymentHandle("tid-11".into())));
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    let items = summary(&h);
    assert!(items[0].never_reached);
    assert_eq!(items[0].outcome, Outcome::Cancelled);
}

#[test]
fn an_abort_left_without_its_handle_is_recovered_then_cancelled() {
    let left = left_open(12, None, Left::Abort);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-12".into()),
            status: PaymentStatus::Pending,
            prompt: None,
        }),
    );
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert!(summary(&h)[0].never_reached);
}

#[test]
fn the_summary_lists_every_resolved_sale_once_and_one_key_acknowledges_it() {
    let a = left_open(13, None, Left::Start);
    let b = left_open(14, Some("tid-14"), Left::Start);
    let (ka, kb) = (a.request.key.clone(), b.request.key.clone());
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![a, b]);
    let (call, _) = h.take("recover");
    h.answer(call, Ok(Reply::NotFound));
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-14".into()),
            status: approved("ref-14"),
            prompt: None,
        }),
    );
    let keys: Vec<SaleKey> = summary(&h).into_iter().map(|i| i.sale).collect();
    assert_eq!(keys, vec![ka.clone(), kb.clone()]);
    // Other keys do not dismiss it, and no sale starts meanwhile.
    h.digits("5");
    h.key(Key::Cancel);
    assert_eq!(summary(&h).len(), 2);
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    let acked: Vec<SaleKey> = h
        .journal
        .iter()
        .filter(|j| j.record == Record::Acknowledged)
        .map(|j| j.sale.clone())
        .collect();
    assert_eq!(acked, vec![ka, kb]);
}

fn resolved_row(seq: u64, acknowledged: bool) -> SaleRow {
    SaleRow {
        key: SaleKey::new("T1", seq).unwrap(),
        provider: ProviderId::new("mcash"),
        amount: Money::from_minor(700, Currency::NOK),
        started_at: Millis(1_600_000_000_000),
        outcome: Some(Outcome::Cancelled),
        late_approval: false,
        refunded: None,
        restart: Some(Restart {
            never_reached: true,
            acknowledged,
        }),
        service: None,
        staff_called: false,
    }
}

#[test]
fn a_summary_not_acknowledged_before_a_restart_is_shown_again_and_an_acknowledged_one_never() {
    let now = Millis(1_700_000_000_000);
    let rows = vec![resolved_row(1, true), resolved_row(2, false)];
    let mut t = Terminal::new(Settings::demo("T1"), vec![mcash_like()], 3, rows);
    t.handle(now, Event::Ready);
    match t.view().screen {
        Screen::RecoverySummary { items, .. } => {
            assert_eq!(items.len(), 1);
            assert_eq!(items[0].sale, SaleKey::new("T1", 2).unwrap());
        }
        other => panic!("{other:?}"),
    }
    let mut t = Terminal::new(
        Settings::demo("T1"),
        vec![mcash_like()],
        3,
        vec![resolved_row(1, true)],
    );
    t.handle(now, Event::Ready);
    assert!(matches!(t.view().screen, Screen::Amount { .. }));
}

#[test]
fn a_kiosk_keeps_the_summary_behind_the_supervisor_pin() {
    let mut s = pin_settings();
    s.mode = Mode::Kiosk;
    let left = left_open(15, None, Left::Start);
    let mut h = H::resuming(s, vec![mcash_like()], vec![left]);
    let (call, _) = h.take("recover");
    let now = h.now;
    h.answer(call, Ok(created("tid-15", now)));
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    // The customer's screen shows nothing of it.
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    let Screen::Menu { items, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    let at = items
        .iter()
        .position(|i| *i == MenuItem::RecoverySummary { count: 1 })
        .expect("the menu offers the summary");
    h.send(Event::Select(at));
    assert!(matches!(
        &h.view.screen,
        Screen::RecoverySummary { from_menu: true, items } if items.len() == 1
    ));
    h.key(Key::Enter);
    let Screen::Menu { items, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        !items
            .iter()
            .any(|i| matches!(i, MenuItem::RecoverySummary { .. }))
    );
    assert!(records(&h).contains(&Record::Acknowledged));
}
