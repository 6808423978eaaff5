//! The fewest taps to a QR: with one provider Pay starts its default flow, with several Pay
//! shows their tiles; "Send to phone" on a QR cancels the QR request before a push is made.

use super::*;

/// The start call the terminal just asked for, and its request.
fn started(h: &mut H) -> (CallId, SaleRequest) {
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    (call, req)
}

fn qr_shown(h: &mut H, call: CallId, key: &SaleKey) {
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle(format!("tid-{key}")),
            prompt: Prompt::Qr {
                payload: "http://mca.sh/s/abc/T1".into(),
                expires_at: h.now + 120_000,
            },
        }),
    );
}

/// One mCASH-like provider, 12.50 typed, Pay, the QR shown: returns the QR sale's key.
fn at_qr(h: &mut H) -> SaleKey {
    h.digits("1250");
    h.key(Key::Enter);
    let (call, req) = started(h);
    qr_shown(h, call, &req.key);
    req.key
}

fn offers_phone(h: &H) -> bool {
    matches!(
        h.view.screen,
        Screen::Paying {
            send_to_phone: true,
            ..
        }
    )
}

#[test]
fn one_tap_with_one_provider_pay_starts_its_qr_at_once() {
    let mut h = H::cashier(vec![mcash_like()]);
    h.digits("1250");
    h.key(Key::Enter);
    // No tiles, no phone entry: the start is out, its intent journaled first.
    assert!(matches!(h.view.screen, Screen::Paying { .. }));
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::StartIntent(SaleRequest { flow: Flow::Qr, .. }))
    ));
    let (call, req) = started(&mut h);
    assert_eq!(req.flow, Flow::Qr);
    assert_eq!(req.amount, Money::from_minor(1250, Currency::NOK));
    qr_shown(&mut h, call, &req.key);
    assert!(matches!(
        &h.view.screen,
        Screen::Paying {
            waiting: Waiting::Qr { .. },
            send_to_phone: true,
            ..
        }
    ));
}

#[test]
fn with_several_providers_pay_shows_tiles_and_a_tile_starts_the_qr() {
    let mut h = H::cashier(vec![qr(), mcash_like()]);
    h.digits("500");
    h.key(Key::Enter);
    match &h.view.screen {
        Screen::Method { tiles, .. } => assert_eq!(tiles.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(!h.has("start"));
    // The QR-first provider that also pushes: its QR at once, not the phone entry.
    h.send(Event::Select(1));
    let (call, req) = started(&mut h);
    assert_eq!(req.flow, Flow::Qr);
    qr_shown(&mut h, call, &req.key);
    assert!(offers_phone(&h));

    // A provider that only shows QR codes offers no "Send to phone", and the key does nothing.
    let mut h = H::cashier(vec![qr(), mcash_like()]);
    h.digits("500");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    let (call, req) = started(&mut h);
    qr_shown(&mut h, call, &req.key);
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            send_to_phone: false,
            ..
        }
    ));
    h.key(Key::SendToPhone);
    assert!(h.pending.is_empty(), "{:?}", h.pending);
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            cancelling: false,
            ..
        }
    ));
}

#[test]
fn send_to_phone_cancels_the_qr_request_first_then_pushes_a_new_sale() {
    let mut h = H::cashier(vec![mcash_like()]);
    let qr_sale = at_qr(&mut h);
    h.key(Key::SendToPhone);
    // The QR request is cancelled at the provider; nothing else is sent yet.
    let (cancel, op) = h.take("cancel");
    assert!(
        matches!(op, Operation::Cancel(PaymentHandle(ref t)) if *t == format!("tid-{qr_sale}"))
    );
    assert!(!h.has("start"));
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            cancelling: true,
            send_to_phone: false,
            ..
        }
    ));
    // A second tap asks nothing more.
    h.key(Key::SendToPhone);
    assert!(h.pending.is_empty(), "{:?}", h.pending);

    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    // Journaled as any cancel is: the QR sale ended cancelled, not paid.
    assert!(h.journal.iter().any(|j| j.sale == qr_sale
        && j.record
            == Record::Outcome {
                outcome: Outcome::Cancelled,
                late: false
            }));
    assert!(
        matches!(h.view.screen, Screen::Customer { .. }),
        "{:?}",
        h.view.screen
    );
    assert!(!h.has("start"));
    h.digits("4791234567");
    h.key(Key::Enter);
    let (_, push) = started(&mut h);
    assert!(matches!(&push.flow, Flow::Push { phone } if phone.as_str() == "4791234567"));
    assert_ne!(push.key, qr_sale, "the push is a sale of its own");
    assert_eq!(push.amount, Money::from_minor(1250, Currency::NOK));
    assert!(h.starts.values().all(|n| *n == 1), "{:?}", h.starts);
}

#[test]
fn a_qr_paid_while_switching_to_the_phone_ends_paid_and_pushes_nothing() {
    let mut h = H::cashier(vec![mcash_like()]);
    at_qr(&mut h);
    h.key(Key::SendToPhone);
    let (cancel, _) = h.take("cancel");
    // Too late: the customer had scanned and paid.
    h.answer(cancel, Ok(Reply::Cancelled(approved("ref-7"))));
    assert!(h.view.shows_paid());
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: false,
            ..
        }
    ));
    assert!(!h.has("start"));
    assert_eq!(h.starts.len(), 1);
}

#[test]
fn a_refused_cancel_asks_the_status_and_the_phone_waits_for_the_provider() {
    let mut h = H::cashier(vec![mcash_like()]);
    at_qr(&mut h);
    h.key(Key::SendToPhone);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Err(Failure::new(FailureKind::Rejected, "busy")));
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            cancelling: true,
            ..
        }
    ));
    h.fire(TimerKind::Poll);
    let (status, _) = h.take("status");
    h.answer(status, Ok(Reply::Status(PaymentStatus::Pending)));
    // Still open: asked to cancel again, never a push beside it.
    assert!(!h.has("start"));
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert!(matches!(h.view.screen, Screen::Customer { .. }));
}

#[test]
fn a_qr_declined_while_switching_is_shown_not_replaced_by_a_push() {
    let mut h = H::cashier(vec![mcash_like()]);
    at_qr(&mut h);
    h.key(Key::SendToPhone);
    let (cancel, _) = h.take("cancel");
    h.answer(
        cancel,
        Ok(Reply::Cancelled(PaymentStatus::Declined {
            reason: "no".into(),
        })),
    );
    assert!(matches!(h.outcome(), Some(Outcome::Declined { .. })));
    assert!(!h.has("start"));
}

#[test]
fn cancel_on_the_phone_entry_goes_back_to_where_pay_was_pressed() {
    let mut h = H::cashier(vec![mcash_like()]);
    at_qr(&mut h);
    h.key(Key::SendToPhone);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    h.key(Key::Cancel);
    // One provider: no tiles were shown; the amount is kept.
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 1250),
        "{:?}",
        h.view.screen
    );

    let mut h = H::cashier(vec![qr(), mcash_like()]);
    h.digits("700");
    h.key(Key::SendToPhone);
    h.key(Key::Digit(2));
    assert!(matches!(h.view.screen, Screen::Customer { .. }));
    assert!(!h.has("start"), "the phone is asked for before any request");
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Method { .. }));
}

#[test]
fn pay_to_a_phone_at_a_provider_that_cannot_push_says_so() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::SendToPhone);
    assert!(
        matches!(&h.view.screen, Screen::Amount { error: Some(Message::NoPushToPhone { provider }), .. } if provider == "FAKE"),
        "{:?}",
        h.view.screen
    );
    assert!(!h.has("start"));
}

#[test]
fn a_provider_with_several_flows_gets_a_tile_for_each_and_its_card_tile_asks_card_then_code() {
    let icash = provider("icash", vec![FlowKind::Qr, FlowKind::CardAndCode]);
    let invoice = provider("icg", vec![FlowKind::Invoice]);
    let mut h = H::cashier(vec![icash, invoice, mcash_like()]);
    h.digits("12345");
    h.key(Key::Enter);
    let Screen::Method { tiles, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    let shown: Vec<(&str, FlowKind)> = tiles.iter().map(|t| (t.name.as_str(), t.flow)).collect();
    // mCASH's push is reached through "Send to phone", so it has one tile.
    assert_eq!(
        shown,
        [
            ("ICASH", FlowKind::Qr),
            ("ICASH", FlowKind::CardAndCode),
            ("ICG", FlowKind::Invoice),
            ("MCASH", FlowKind::Qr),
        ]
    );
    h.send(Event::Select(1));
    let Screen::Customer { fields, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(fields.len(), 2);
    h.digits("7121234567");
    h.key(Key::Enter);
    h.digits("4321");
    let Screen::Customer { fields, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(fields[1].shown, "••••");
    assert!(!h.has("start"));
    h.key(Key::Enter);
    let (_, req) = started(&mut h);
    match &req.flow {
        Flow::CardAndCode { card, code } => {
            assert_eq!(card.as_str(), "7121234567");
            assert_eq!(code.as_ref().map(|c| c.as_str()), Some("4321"));
        }
        other => panic!("{other:?}"),
    }

    // The invoice tile asks for the invoice number; a malformed one is refused inline.
    let mut h = H::cashier(vec![provider("icg", vec![FlowKind::Invoice]), qr()]);
    h.digits("500");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Customer {
            error: Some(Message::Input(crate::core::sale::InputError::InvoiceLength)),
            ..
        }
    ));
    h.digits("88001");
    h.key(Key::Enter);
    let (_, req) = started(&mut h);
    assert!(matches!(&req.flow, Flow::Invoice { number } if number.as_str() == "88001"));
    assert_eq!(req.amount, Money::from_minor(500, Currency::NOK));
}

#[test]
fn one_provider_with_one_card_flow_goes_straight_to_its_form() {
    let mut h = H::cashier(vec![provider("icash", vec![FlowKind::CardAndCode])]);
    h.digits("500");
    h.key(Key::Enter);
    assert!(matches!(&h.view.screen, Screen::Customer { fields, .. } if fields.len() == 2));
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}
