//! Sales left unfinished by a restart, and live sales left in doubt.

use super::*;

fn left_open(seq: u64, flow: Flow, capture: Capture, handle: Option<&str>, left: Left) -> Resume {
    Resume {
        request: SaleRequest {
            key: SaleKey::new("T1", seq).unwrap(),
            amount: Money::from_minor(500, Currency::NOK),
            flow,
            capture,
        },
        provider: ProviderId::new("mcash"),
        handle: handle.map(|h| PaymentHandle(h.into())),
        started_at: Millis(1_600_000_000_000),
        left,
    }
}

fn outcomes(h: &H) -> Vec<(SaleKey, Outcome)> {
    h.journal
        .iter()
        .filter_map(|j| match &j.record {
            Record::Outcome { outcome, .. } => Some((j.sale.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn after_a_restart_a_payment_still_waiting_is_cancelled_and_never_started_again() {
    let left = left_open(7, Flow::Qr, Capture::Sale, None, Left::Start);
    let key = left.request.key.clone();
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    assert_eq!(
        h.view.screen,
        Screen::Recovering {
            remaining: 1,
            current: Some(key.clone())
        }
    );
    // Keys do nothing while recovering.
    h.digits("100");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Recovering { .. }));
    let (call, op) = h.take("recover");
    assert!(matches!(op, Operation::Recover(r) if r.key == key));
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-7".into()),
            status: PaymentStatus::Pending,
            prompt: None,
        }),
    );
    let (call, op) = h.take("cancel");
    assert!(matches!(op, Operation::Cancel(PaymentHandle(t)) if t == "tid-7"));
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(outcomes(&h), vec![(key.clone(), Outcome::Cancelled)]);
    assert!(
        h.starts.is_empty(),
        "a recovered sale is never started again"
    );
    // The recovery summary lists what was decided; one key acknowledges it.
    assert!(matches!(h.view.screen, Screen::RecoverySummary { .. }));
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn after_a_restart_each_unfinished_sale_is_resolved_in_turn_before_new_sales() {
    let a = left_open(3, Flow::Qr, Capture::Sale, Some("tid-3"), Left::Start);
    let b = left_open(4, Flow::Qr, Capture::Sale, None, Left::Start);
    let (ka, kb) = (a.request.key.clone(), b.request.key.clone());
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![a, b]);
    assert!(matches!(
        h.view.screen,
        Screen::Recovering { remaining: 2, .. }
    ));
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-3".into()),
            status: approved("ref-3"),
            prompt: None,
        }),
    );
    assert!(!h.has("cancel"), "a decided payment is not cancelled");
    assert!(
        matches!(&h.view.screen, Screen::Recovering { remaining: 1, current: Some(k) } if *k == kb)
    );
    let (call, _) = h.take("recover");
    h.answer(call, Ok(Reply::NotFound));
    let got = outcomes(&h);
    assert_eq!(
        got[0],
        (
            ka,
            Outcome::Approved {
                reference: "ref-3".into()
            }
        )
    );
    assert!(matches!(&got[1], (k, Outcome::Failed { .. }) if *k == kb));
    // The recovery summary lists what was decided; one key acknowledges it.
    assert!(matches!(h.view.screen, Screen::RecoverySummary { .. }));
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    // History knows both, so the approved one can be refunded from the menu.
    assert_eq!(h.t.history_rows().len(), 2);
}

#[test]
fn after_a_restart_a_provider_that_never_answers_leaves_the_sale_in_doubt_for_the_outbox() {
    let left = left_open(9, Flow::Qr, Capture::Sale, Some("tid-9"), Left::Start);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let attempts = Settings::demo("T1").recover_attempts;
    for i in 0..attempts {
        if i > 0 {
            h.fire(TimerKind::RecoverRetry);
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::Transient, "timeout")));
    }
    assert!(matches!(&outcomes(&h)[..], [(_, Outcome::InDoubt { .. })]));
    assert!(matches!(
        &h.deferred[..],
        [(_, Operation::Status(PaymentHandle(t)))] if t == "tid-9"
    ));
    // The terminal opens: an unanswered provider does not keep the shop closed.
    // The recovery summary lists what was decided; one key acknowledges it.
    assert!(matches!(h.view.screen, Screen::RecoverySummary { .. }));
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn after_a_restart_vending_captures_only_what_was_delivered() {
    let mut s = Settings::demo("T1");
    s.mode = Mode::Vending;
    let delivered = left_open(1, Flow::Qr, Capture::Auth, Some("tid-1"), Left::Capture);
    let not_delivered = left_open(2, Flow::Qr, Capture::Auth, Some("tid-2"), Left::Start);
    let mut h = H::resuming(s, vec![mcash_like()], vec![delivered, not_delivered]);
    let authorized = |h: &mut H, tid: &str| {
        let (call, _) = h.take("recover");
        h.answer(
            call,
            Ok(Reply::Found {
                handle: PaymentHandle(tid.into()),
                status: PaymentStatus::Authorized,
                prompt: None,
            }),
        );
    };
    authorized(&mut h, "tid-1");
    let (call, op) = h.take("capture");
    assert!(matches!(op, Operation::Capture(PaymentHandle(t), _) if t == "tid-1"));
    h.answer(
        call,
        Ok(Reply::Captured {
            reference: "cap-1".into(),
        }),
    );
    authorized(&mut h, "tid-2");
    assert!(!h.has("capture"));
    assert!(
        h.vends.is_empty(),
        "nothing is vended again after a restart"
    );
    let (call, op) = h.take("release");
    assert!(matches!(op, Operation::Release(PaymentHandle(t)) if t == "tid-2"));
    h.answer(call, Ok(Reply::Released));
    let got: Vec<Outcome> = outcomes(&h).into_iter().map(|(_, o)| o).collect();
    assert_eq!(
        got,
        vec![
            Outcome::Approved {
                reference: "cap-1".into()
            },
            Outcome::Released
        ]
    );
}

#[test]
fn after_a_restart_an_unconfirmed_refund_goes_to_the_outbox_with_its_own_key() {
    let refund_key = SaleKey::new("T1", 6).unwrap();
    let left = left_open(
        5,
        Flow::Qr,
        Capture::Sale,
        Some("tid-5"),
        Left::Refund {
            amount: Money::from_minor(500, Currency::NOK),
            key: refund_key.clone(),
        },
    );
    let h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    assert!(matches!(
        &h.deferred[..],
        [(_, Operation::Refund { key, .. })] if *key == refund_key
    ));
    assert!(h.pending.is_empty(), "the refund is not sent twice at once");
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_sale_of_a_provider_no_longer_configured_is_flagged_not_dropped() {
    let left = left_open(5, Flow::Qr, Capture::Sale, None, Left::Start);
    let h = H::resuming(Settings::demo("T1"), vec![qr()], vec![left]);
    assert!(
        h.journal
            .iter()
            .any(|j| matches!(&j.record, Record::Flagged { reason } if reason.contains("mcash")))
    );
    assert!(matches!(
        &h.t.history_rows()[0].outcome,
        Some(Outcome::InDoubt { .. })
    ));
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_live_sale_left_in_doubt_is_handed_to_the_outbox() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.answer(
        call,
        Err(Failure::new(FailureKind::InDoubt, "reset after send")),
    );
    let attempts = h.t.settings.recover_attempts;
    for i in 0..attempts {
        if i > 0 {
            h.fire(TimerKind::RecoverRetry);
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    }
    assert!(matches!(h.outcome(), Some(Outcome::InDoubt { .. })));
    assert!(!h.view.shows_paid());
    // No handle is known: the outbox recovers by the sale key, it never starts again.
    assert!(matches!(
        &h.deferred[..],
        [(k, Operation::Recover(r))] if *k == req.key && r.key == req.key
    ));
    assert_eq!(h.starts.get(&req.key), Some(&1));
}
