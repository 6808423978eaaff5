//! Offline: push requests queued in the outbox, never shown paid.

use super::*;

/// A push sale while the provider cannot be reached.
fn offline_push(h: &mut H) -> SaleKey {
    // One failed call tells the terminal it is offline.
    let failed = h.sale_to_qr_failing();
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }), "{failed}");
    h.digits("250");
    h.key(Key::SendToPhone);
    h.digits("4712345678");
    h.key(Key::Enter);
    match &h.view.screen {
        Screen::Queued { sale, phone, .. } => {
            assert_eq!(phone.as_str(), "4712345678");
            sale.clone()
        }
        other => panic!("{other:?}"),
    }
}

impl H {
    fn sale_to_qr_failing(&mut self) -> SaleKey {
        self.digits("100");
        self.pay();
        if matches!(self.view.screen, Screen::Customer { .. }) {
            self.key(Key::Enter); // empty phone: a QR
        }
        let (call, op) = self.take("start");
        self.answer(call, Err(Failure::new(FailureKind::Transient, "no route")));
        match op {
            Operation::Start(r) => r.key,
            _ => unreachable!(),
        }
    }
}

#[test]
fn offline_a_push_sale_is_queued_and_never_looks_paid() {
    let mut h = H::cashier(vec![mcash_like()]);
    let key = offline_push(&mut h);
    assert!(!h.view.shows_paid());
    assert!(!h.has("start"), "nothing is sent while offline");
    // The intent is durable before the deferral is handed over.
    let intent = h.effects.iter().position(|e| {
        matches!(e, Effect::Journal(j) if j.sale == key && matches!(j.record, Record::StartIntent(_)))
    });
    let defer = h.effects.iter().position(
        |e| matches!(e, Effect::Defer { sale, op: Operation::Start(_), .. } if *sale == key),
    );
    assert!(intent.unwrap() < defer.unwrap());
    // Later the outbox sends it and the customer approves: history shows it.
    h.key(Key::Enter);
    h.send(Event::OutboxDone {
        sale: key.clone(),
        record: Record::Outcome {
            outcome: Outcome::Approved {
                reference: "q1".into(),
            },
            late: false,
        },
    });
    let row = h.t.row(&key).unwrap();
    assert_eq!(
        row.outcome,
        Some(Outcome::Approved {
            reference: "q1".into()
        })
    );
}

#[test]
fn a_push_sale_that_cannot_be_queued_ends_failed_and_says_why() {
    let mut h = H::cashier(vec![mcash_like()]);
    let key = offline_push(&mut h);
    h.send(Event::DeferRefused {
        sale: key.clone(),
        reason: "offline limit reached".into(),
    });
    match h.outcome() {
        Some(Outcome::Failed { reason }) => {
            assert!(
                reason.contains("offline limit reached") && reason.contains("nothing was charged")
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(h.journal.iter().any(|j| j.sale == key
        && matches!(
            &j.record,
            Record::Outcome {
                outcome: Outcome::Failed { .. },
                ..
            }
        )));
}

#[test]
fn back_online_push_sales_are_sent_again() {
    let mut h = H::cashier(vec![mcash_like()]);
    offline_push(&mut h);
    h.key(Key::Enter);
    h.send(Event::Connectivity { online: true });
    h.digits("100");
    h.key(Key::SendToPhone);
    h.digits("4712345678");
    h.key(Key::Enter);
    assert!(h.has("start"));
    assert!(matches!(h.view.screen, Screen::Paying { .. }));
}

#[test]
fn a_provider_down_at_start_up_takes_push_sales_again_once_it_answers() {
    let mut h = H::cashier(vec![mcash_like()]);
    h.send(Event::ProviderReachable {
        provider: ProviderId::new("mcash"),
        reachable: false,
    });
    let push = |h: &mut H| {
        h.digits("100");
        h.key(Key::SendToPhone);
        h.digits("4712345678");
        h.key(Key::Enter);
    };
    push(&mut h);
    assert!(matches!(h.view.screen, Screen::Queued { .. }));
    h.key(Key::Enter);
    // The outbox reached the network again: push requests are sent, not queued.
    h.send(Event::Connectivity { online: true });
    push(&mut h);
    assert!(h.has("start"), "{:?}", h.view.screen);
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::Transient, "no route")));
    h.key(Key::Enter);
    push(&mut h);
    assert!(
        matches!(h.view.screen, Screen::Queued { .. }),
        "down again: queued"
    );
}
