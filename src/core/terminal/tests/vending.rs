//! Vending: authorize, vend, then capture or release.

use super::*;

fn vending() -> H {
    let mut s = Settings::demo("V1");
    s.mode = Mode::Vending;
    H::new(s, vec![qr()])
}

fn vend_to_authorized(h: &mut H) -> SaleKey {
    h.send(Event::VendRequest {
        price: Money::from_minor(2500, Currency::NOK),
    });
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.capture, Capture::Auth);
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("v".into()),
            prompt: Prompt::Qr {
                payload: "Q".into(),
                expires_at: h.now + 60_000,
            },
        }),
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Authorized)));
    assert_eq!(h.vends, vec![req.key.clone()]);
    assert!(!h.view.shows_paid(), "authorized is not paid");
    req.key
}

#[test]
fn vending_captures_after_a_delivered_vend() {
    let mut h = vending();
    h.digits("999"); // keys do not set a price on a vending machine
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, vending_idle: true, .. } if amount.minor() == 0)
    );
    let key = vend_to_authorized(&mut h);
    h.send(Event::VendResult {
        sale: key,
        delivered: true,
    });
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::CaptureIntent { .. })
    ));
    let (call, _) = h.take("capture");
    h.answer(call, Err(Failure::new(FailureKind::Transient, "503")));
    h.fire(TimerKind::RecoverRetry);
    let (call, _) = h.take("capture");
    h.answer(
        call,
        Ok(Reply::Captured {
            reference: "cap".into(),
        }),
    );
    assert!(h.view.shows_paid());
    h.fire(TimerKind::ResultHold);
    assert!(matches!(
        h.view.screen,
        Screen::Amount {
            vending_idle: true,
            ..
        }
    ));
}

#[test]
fn vending_releases_when_the_vend_fails() {
    let mut h = vending();
    let key = vend_to_authorized(&mut h);
    h.send(Event::VendResult {
        sale: key,
        delivered: false,
    });
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::ReleaseIntent)
    ));
    let (call, _) = h.take("release");
    h.answer(call, Ok(Reply::Released));
    assert_eq!(h.outcome(), Some(Outcome::Released));
    assert!(!h.view.shows_paid());
}

fn pay_first() -> ProviderInfo {
    let mut p = provider("sale-only", vec![FlowKind::Qr]);
    p.capabilities.auth_capture = false;
    p
}

/// The sale's journal has its approval, then a refund intent for `minor`, in that order.
fn assert_paid_then_refund_intent(h: &H, key: &SaleKey, minor: i64) {
    let records: Vec<&Record> = h
        .journal
        .iter()
        .filter(|j| &j.sale == key)
        .map(|j| &j.record)
        .collect();
    let paid = records.iter().position(|r| {
        matches!(
            r,
            Record::Outcome {
                outcome: Outcome::Approved { .. },
                ..
            }
        )
    });
    let intent = records
        .iter()
        .position(|r| matches!(r, Record::RefundIntent { amount, .. } if amount.minor() == minor));
    assert!(paid.is_some() && intent > paid, "{records:?}");
}

fn vend_started(h: &mut H, minor: i64) -> (SaleKey, Capture) {
    h.send(Event::VendRequest {
        price: Money::from_minor(minor, Currency::NOK),
    });
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle(format!("h-{}", req.key)),
            prompt: Prompt::Qr {
                payload: "Q".into(),
                expires_at: h.now + 60_000,
            },
        }),
    );
    (req.key, req.capture)
}

#[test]
fn a_machine_that_gives_up_is_answered_at_once_and_a_late_authorization_is_released() {
    let mut h = vending();
    let (key, capture) = vend_started(&mut h, 1519);
    assert_eq!(capture, Capture::Auth);
    assert!(h.denied.is_empty());
    h.send(Event::VendCancel);
    assert_eq!(h.denied.len(), 1, "answered once: {:?}", h.denied);
    assert_eq!(h.denied[0].0.as_ref(), Some(&key));
    // The abort reaches the provider too late: the customer authorized just before.
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Authorized)));
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Authorized)));
    assert!(h.vends.is_empty(), "never approved late");
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::ReleaseIntent)
    ));
    let (call, _) = h.take("release");
    h.answer(call, Ok(Reply::Released));
    assert_eq!(h.outcome(), Some(Outcome::Released));
    assert_eq!(h.denied.len(), 1, "no second answer: {:?}", h.denied);
}

#[test]
fn a_repeated_vend_request_is_denied_and_makes_no_second_payment() {
    let mut h = vending();
    let (key, _) = vend_started(&mut h, 250);
    h.send(Event::VendRequest {
        price: Money::from_minor(250, Currency::NOK),
    });
    assert_eq!(h.denied, vec![(None, "The terminal is busy".to_string())]);
    assert!(!h.has("start"), "one payment per vend");
    assert_eq!(h.starts.get(&key), Some(&1));
}

#[test]
fn a_declined_payment_denies_the_vend_with_the_reason() {
    let mut h = vending();
    let (key, _) = vend_started(&mut h, 250);
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(
        call,
        Ok(Reply::Status(PaymentStatus::Declined {
            reason: "customer rejected".into(),
        })),
    );
    assert_eq!(h.denied.len(), 1);
    assert_eq!(h.denied[0].0.as_ref(), Some(&key));
    assert!(
        h.denied[0].1.contains("customer rejected"),
        "{:?}",
        h.denied
    );
    assert!(h.vends.is_empty());
    // The next customer need not wait for the result screen to time out.
    let (_, capture) = vend_started(&mut h, 300);
    assert_eq!(capture, Capture::Auth);
}

#[test]
fn a_price_in_another_currency_or_out_of_range_is_denied() {
    let mut h = vending();
    h.send(Event::VendRequest {
        price: Money::from_minor(100, Currency::USD),
    });
    h.send(Event::VendRequest {
        price: Money::from_minor(0, Currency::NOK),
    });
    assert_eq!(h.denied.len(), 2, "{:?}", h.denied);
    assert!(h.denied.iter().all(|(s, _)| s.is_none()));
    assert!(!h.has("start"));
}

#[test]
fn a_pay_first_provider_pays_then_vends_and_refunds_a_failed_vend_by_itself() {
    let mut h = H::new(
        {
            let mut s = Settings::demo("V1");
            s.mode = Mode::Vending;
            s
        },
        vec![pay_first()],
    );
    let (key, capture) = vend_started(&mut h, 1519);
    assert_eq!(capture, Capture::Sale);
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("paid-1"))));
    assert_eq!(h.vends, vec![key.clone()]);
    h.send(Event::VendResult {
        sale: key.clone(),
        delivered: false,
    });
    assert_paid_then_refund_intent(&h, &key, 1519);
    let (call, op) = h.take("refund");
    let Operation::Refund {
        key: refund_key, ..
    } = op
    else {
        unreachable!()
    };
    assert_eq!(refund_key.as_str(), format!("{key}-R"));
    // Lost answer: the outbox sends the same refund again, nobody has to remember it.
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "timeout")));
    assert!(
        matches!(h.deferred.last(), Some((s, Operation::Refund { key: k, .. })) if *s == key && *k == refund_key),
        "{:?}",
        h.deferred
    );
    assert!(h.denied.is_empty(), "the vend was approved: {:?}", h.denied);
}

#[test]
fn a_pay_first_vend_that_delivers_is_approved_and_not_refunded() {
    let mut s = Settings::demo("V1");
    s.mode = Mode::Vending;
    let mut h = H::new(s, vec![pay_first()]);
    let (key, _) = vend_started(&mut h, 400);
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("paid-2"))));
    h.send(Event::VendResult {
        sale: key,
        delivered: true,
    });
    assert!(h.view.shows_paid());
    assert!(!h.has("refund"));
    assert!(
        !h.journal
            .iter()
            .any(|j| matches!(j.record, Record::RefundIntent { .. }))
    );
}

#[test]
fn a_pay_first_payment_that_completes_after_the_machine_gave_up_is_refunded() {
    let mut s = Settings::demo("V1");
    s.mode = Mode::Vending;
    let mut h = H::new(s, vec![pay_first()]);
    let (_key, _) = vend_started(&mut h, 400);
    h.send(Event::VendCancel);
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(approved("paid-late"))));
    assert!(h.vends.is_empty(), "never vended late");
    let (call, _) = h.take("refund");
    h.answer(
        call,
        Ok(Reply::Refunded {
            reference: "rf-1".into(),
        }),
    );
    assert!(h.journal.iter().any(|j| j.record
        == Record::Refunded {
            reference: "rf-1".into()
        }));
    assert_eq!(h.denied.len(), 1);
}

#[test]
fn the_approval_is_journaled_before_the_machine_hears_it() {
    let mut h = vending();
    let key = vend_to_authorized(&mut h);
    let journaled = h.effects.iter().position(
        |e| matches!(e, Effect::Journal(j) if j.record == Record::VendApproved && j.sale == key),
    );
    let vend = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Vend { .. }));
    assert!(journaled.is_some() && journaled < vend, "{:?}", h.effects);
}

#[test]
fn a_pay_first_vend_found_paid_after_a_restart_is_refunded_and_never_vended() {
    let mut s = Settings::demo("V1");
    s.mode = Mode::Vending;
    let key = SaleKey::new("V1", 4).unwrap();
    let amount = Money::from_minor(1519, Currency::NOK);
    let left = Resume {
        request: SaleRequest {
            key: key.clone(),
            amount,
            flow: Flow::Qr,
            capture: Capture::Sale,
        },
        provider: ProviderId::new("sale-only"),
        handle: Some(PaymentHandle("h-4".into())),
        started_at: Millis(1_600_000_000_000),
        left: Left::Start,
    };
    let mut h = H::resuming(s, vec![pay_first()], vec![left]);
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("h-4".into()),
            status: approved("paid-4"),
            prompt: None,
        }),
    );
    // Paid, and no delivery on record: the money goes back, journaled first.
    assert_paid_then_refund_intent(&h, &key, amount.minor());
    let (_, op) = h.take("refund");
    assert!(
        matches!(&op, Operation::Refund { key: k, .. } if k.as_str() == "V1-000004-R"),
        "{op:?}"
    );
    assert!(h.vends.is_empty(), "never vended at a start");
}
