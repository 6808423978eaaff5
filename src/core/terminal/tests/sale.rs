//! A sale through the core: amount, method, start, poll, cancel, expiry, lost answers.

use super::*;

#[test]
fn a_qr_sale_from_amount_to_approved_and_back() {
    // Two providers: Pay shows their tiles (with one, Pay starts at once: see tests/taps.rs).
    let mut h = H::cashier(vec![qr(), mcash_like()]);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    h.digits("1250");
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 1250));
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Method { .. }));
    h.key(Key::Digit(1));
    // The intent is journaled before the start call is emitted.
    let journal_at = h.effects.iter().position(
        |e| matches!(e, Effect::Journal(j) if matches!(j.record, Record::StartIntent(_))),
    );
    let call_at = h.effects.iter().position(|e| {
        matches!(
            e,
            Effect::Call {
                op: Operation::Start(_),
                ..
            }
        )
    });
    assert!(journal_at.unwrap() < call_at.unwrap());
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.amount, Money::from_minor(1250, Currency::NOK));
    assert_eq!(req.key.as_str(), "T1-000001");
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("tid1".into()),
            prompt: Prompt::Qr {
                payload: "QR".into(),
                expires_at: h.now + 60_000,
            },
        }),
    );
    assert!(
        matches!(&h.view.screen, Screen::Paying { waiting: Waiting::Qr { payload, .. }, .. } if payload == "QR")
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Pending)));
    assert!(!h.view.shows_paid());
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("tid1"))));
    assert!(h.view.shows_paid());
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::Outcome {
            outcome: Outcome::Approved { .. },
            late: false
        })
    ));
    // Cashier mode: the result stays until a key is pressed.
    assert!(
        !h.timers
            .iter()
            .any(|(t, _)| t.kind == TimerKind::ResultHold)
    );
    h.key(Key::Enter);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 0));
}

#[test]
fn approval_after_cancel_is_shown_approved_and_offered_for_refund() {
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("500");
    h.key(Key::Cancel);
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            cancelling: true,
            ..
        }
    ));
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(approved("ref-9"))));
    assert!(h.view.shows_paid(), "{:?}", h.view.screen);
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: true,
            refund_offered: true,
            ..
        }
    ));
}

#[test]
fn a_poll_answer_approving_after_the_sale_ended_cancelled_is_not_hidden() {
    let mut h = H::cashier(vec![qr()]);
    let key = h.sale_to_qr("500");
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.key(Key::Cancel);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(h.outcome(), Some(Outcome::Cancelled));
    // The provider's status, asked before the cancel, says it was paid.
    h.answer(poll, Ok(Reply::Status(approved("late-1"))));
    assert!(h.view.shows_paid());
    assert!(h.journal.iter().any(|j| j.sale == key
        && matches!(
            j.record,
            Record::Outcome {
                outcome: Outcome::Approved { .. },
                late: true
            }
        )));
}

#[test]
fn expiry_and_approval_together_end_approved_in_either_order() {
    // Expiry first, approval arrives on the in-flight status.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(poll, Ok(Reply::Status(approved("r1"))));
    assert!(h.view.shows_paid());
    h.answer(
        cancel,
        Err(Failure::new(FailureKind::Rejected, "already paid")),
    );
    assert!(
        h.view.shows_paid(),
        "a refused cancel after approval changes nothing"
    );

    // Expiry confirmed by the provider ends expired, not cancelled, never paid.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(h.outcome(), Some(Outcome::Expired));

    // The cancel is refused because the customer paid at the last second.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Err(Failure::new(FailureKind::Rejected, "409")));
    assert!(!h.view.shows_paid());
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.answer(poll, Ok(Reply::Status(approved("r2"))));
    assert!(h.view.shows_paid());
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: false,
            ..
        }
    ));
}

#[test]
fn double_key_presses_start_one_sale() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Enter);
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.key(Key::Enter);
    assert_eq!(h.starts.values().sum::<u32>(), 1);
    assert_eq!(
        h.pending
            .iter()
            .filter(|(_, o)| o.name() == "start")
            .count(),
        1
    );
}

#[test]
fn amounts_zero_too_large_and_overflowing_are_refused() {
    let mut s = Settings::demo("T1");
    s.max_amount = Money::from_minor(100_000, Currency::NOK);
    let mut h = H::new(s, vec![qr()]);
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Amount {
            error: Some(Message::TypeAmountFirst),
            ..
        }
    ));
    h.digits("000");
    h.key(Key::Enter);
    assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "leading zeros are still zero"
    );
    h.digits("100000");
    h.key(Key::Digit(1));
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: Some(Message::AmountTooLarge { max }), .. } if amount.minor() == 100_000 && max.minor() == 100_000)
    );
    h.key(Key::Backspace);
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: None, .. } if amount.minor() == 10_000)
    );
    h.key(Key::Digit(42));
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 10_000));
    // With the largest limit possible, typing past i64 is refused, not wrapped.
    let mut s = Settings::demo("T1");
    s.max_amount = Money::from_minor(i64::MAX, Currency::NOK);
    let mut h = H::new(s, vec![qr()]);
    h.digits("99999999999999999999");
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: Some(Message::AmountTooLarge { .. }), .. } if amount.minor() == 999_999_999_999_999_999)
    );
    h.key(Key::Clear);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 0));
}

#[test]
fn a_lost_start_answer_is_recovered_never_resent() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(
        call,
        Err(Failure::new(FailureKind::InDoubt, "timeout after send")),
    );
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            waiting: Waiting::Checking { attempt: 1 },
            ..
        }
    ));
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid".into()),
            status: PaymentStatus::Pending,
            prompt: Some(Prompt::Qr {
                payload: "again".into(),
                expires_at: h.now + 60_000,
            }),
        }),
    );
    // The customer sees the QR again while the recovered sale waits.
    assert!(
        matches!(&h.view.screen, Screen::Paying { waiting: Waiting::Qr { payload, .. }, .. } if payload == "again")
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("x"))));
    assert!(h.view.shows_paid());
    assert_eq!(h.starts.values().sum::<u32>(), 1);
}

#[test]
fn an_unresolvable_sale_ends_in_doubt_after_bounded_checks() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    for _ in 0..10 {
        if !h.has("recover") {
            if h.timers
                .iter()
                .any(|(t, _)| t.kind == TimerKind::RecoverRetry)
            {
                h.fire(TimerKind::RecoverRetry);
            } else {
                break;
            }
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::Transient, "down")));
    }
    assert!(
        matches!(h.outcome(), Some(Outcome::InDoubt { .. })),
        "{:?}",
        h.view.screen
    );
    assert!(!h.view.shows_paid());
    assert_eq!(h.starts.values().sum::<u32>(), 1);
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::Outcome {
            outcome: Outcome::InDoubt { .. },
            ..
        })
    ));
}

#[test]
fn recover_not_found_means_nothing_was_charged() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    let (call, _) = h.take("recover");
    h.answer(call, Ok(Reply::NotFound));
    assert!(matches!(h.outcome(), Some(Outcome::Failed { .. })));
}

#[test]
fn unreachable_provider_fails_the_sale_without_charging() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(
        call,
        Err(Failure::new(FailureKind::Transient, "connection refused")),
    );
    match h.outcome() {
        Some(Outcome::Failed { reason }) => assert!(reason.contains("nothing was charged")),
        other => panic!("{other:?}"),
    }
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn push_to_phone_validates_the_number_inline_and_empty_means_qr() {
    let mut h = H::cashier(vec![mcash_like()]);
    h.digits("100");
    // Pay to a phone: the phone is asked for before any QR request is made.
    h.key(Key::SendToPhone);
    assert!(matches!(h.view.screen, Screen::Customer { .. }));
    h.digits("123");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Customer {
            error: Some(Message::Input(crate::core::sale::InputError::PhoneLength)),
            ..
        }
    ));
    h.key(Key::Clear);
    h.digits("4791234567");
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest {
            flow: Flow::Push { .. },
            ..
        })
    ));

    let mut h = H::cashier(vec![mcash_like()]);
    h.digits("100");
    // Pay to a phone: the phone is asked for before any QR request is made.
    h.key(Key::SendToPhone);
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest { flow: Flow::Qr, .. })
    ));
}

#[test]
fn card_and_code_masks_the_code_and_never_journals_it() {
    let mut h = H::cashier(vec![provider("icash", vec![FlowKind::CardAndCode])]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.digits("1234567890123456");
    h.key(Key::Enter);
    h.digits("9876");
    match &h.view.screen {
        Screen::Customer { fields, .. } => {
            assert_eq!(fields[1].shown, "••••");
            let card = &fields[0].shown;
            assert!(
                card.ends_with("•3456") && !card.contains("7890"),
                "masked: {card}"
            );
        }
        other => panic!("{other:?}"),
    }
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest {
            flow: Flow::CardAndCode { code: Some(_), .. },
            ..
        })
    ));
    let journal = serde_json::to_string(&h.journal).unwrap();
    assert!(!journal.contains("9876"), "{journal}");
}

#[test]
fn kiosk_returns_to_the_start_by_itself() {
    let mut s = Settings::demo("K1");
    s.mode = Mode::Kiosk;
    let mut h = H::new(s, vec![qr()]);
    h.sale_to_qr("100");
    h.fire(TimerKind::Expiry);
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Expired)));
    assert_eq!(h.outcome(), Some(Outcome::Expired));
    h.fire(TimerKind::ResultHold);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_failed_journal_write_stops_sales() {
    // Two providers, so that Pay shows the tiles once sales are taken again.
    let mut h = H::cashier(vec![qr(), mcash_like()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (_, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.send(Event::JournalFailed {
        sale: req.key,
        message: "No space left on device".into(),
    });
    assert!(matches!(h.outcome(), Some(Outcome::Failed { .. })));
    assert!(h.view.status.storage_failing);
    h.key(Key::Enter);
    h.digits("100");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Amount {
            error: Some(Message::SalesStopped),
            ..
        }
    ));
    h.send(Event::JournalHealthy);
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Method { .. }));
}
