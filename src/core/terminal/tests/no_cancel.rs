//! A provider that cannot cancel (MonCash): a sale cancelled at the terminal is recorded
//! cancelled at once, and its order is watched until the request expires, so a late payment is
//! caught, shown and offered for refund.

use super::*;

fn no_cancel() -> ProviderInfo {
    let mut p = provider("moncash", vec![FlowKind::Qr]);
    p.capabilities.cancel = false;
    p.capabilities.auth_capture = false;
    p.capabilities.lookup = true;
    p
}

fn outcomes(h: &H, key: &SaleKey) -> Vec<(Outcome, bool)> {
    h.journal
        .iter()
        .filter(|j| &j.sale == key)
        .filter_map(|j| match &j.record {
            Record::Outcome { outcome, late } => Some((outcome.clone(), *late)),
            _ => None,
        })
        .collect()
}

/// Fires every poll timer armed so far (stale ones included); true if any status was asked.
fn polls_ask(h: &mut H) -> bool {
    while let Some(i) = h
        .timers
        .iter()
        .rposition(|(t, _)| t.kind == TimerKind::Poll)
    {
        let (timer, at) = h.timers.remove(i);
        h.now = h.now.max(at);
        h.send(Event::Timer(timer));
    }
    h.has("status")
}

#[test]
fn a_cancel_ends_the_sale_cancelled_and_a_late_payment_is_caught_and_offered_for_refund() {
    let mut h = H::cashier(vec![no_cancel()]);
    let key = h.sale_to_qr("500");
    h.key(Key::Cancel);
    // No cancel call (the provider has none); the sale is over, the terminal is free.
    assert!(!h.has("cancel"));
    assert_eq!(h.outcome(), Some(Outcome::Cancelled));
    assert_eq!(outcomes(&h, &key), vec![(Outcome::Cancelled, false)]);
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    // The order is still watched: not paid yet.
    h.fire(TimerKind::Poll);
    let (call, op) = h.take("status");
    assert_eq!(op, Operation::Status(PaymentHandle(format!("tid-{key}"))));
    h.answer(call, Ok(Reply::Status(PaymentStatus::Pending)));
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    // Then the customer pays after all: recorded as a late approval, shown, refund offered.
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("moncash-77"))));
    assert_eq!(
        outcomes(&h, &key),
        vec![
            (Outcome::Cancelled, false),
            (
                Outcome::Approved {
                    reference: "moncash-77".into()
                },
                true
            )
        ]
    );
    assert!(h.view.shows_paid(), "{:?}", h.view.screen);
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: true,
            refund_offered: true,
            ..
        }
    ));
    // Nothing is watched any more.
    assert!(!polls_ask(&mut h), "{:?}", h.pending);
}

#[test]
fn the_watch_ends_once_the_request_expired_unpaid() {
    let mut h = H::cashier(vec![no_cancel()]);
    let key = h.sale_to_qr("500");
    h.key(Key::Cancel);
    // Failures to ask are asked again; still open at the provider too.
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(
        call,
        Err(Failure::new(FailureKind::Transient, "network down")),
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Pending)));
    // Past the expiry (120 s) and its grace: the next poll asks nothing, and stops.
    h.now = h.now + 200_000;
    assert!(!polls_ask(&mut h), "{:?}", h.pending);
    assert_eq!(outcomes(&h, &key), vec![(Outcome::Cancelled, false)]);
}

#[test]
fn a_provider_ending_the_request_itself_ends_the_watch() {
    let mut h = H::cashier(vec![no_cancel()]);
    h.sale_to_qr("500");
    h.key(Key::Cancel);
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Expired)));
    assert!(!polls_ask(&mut h), "{:?}", h.pending);
}

#[test]
fn a_new_sale_goes_on_while_the_cancelled_one_is_watched() {
    let mut h = H::cashier(vec![no_cancel()]);
    let first = h.sale_to_qr("500");
    h.key(Key::Cancel);
    h.key(Key::Enter);
    let second = h.sale_to_qr("900");
    assert_ne!(first, second);
    // Both are asked about: the watch by its own poll, the new sale by its own.
    let mut asked = Vec::new();
    while let Some(i) = h
        .timers
        .iter()
        .rposition(|(t, _)| t.kind == TimerKind::Poll)
    {
        let (timer, at) = h.timers.remove(i);
        h.now = h.now.max(at);
        h.send(Event::Timer(timer));
    }
    while h.has("status") {
        let (call, op) = h.take("status");
        asked.push(op.clone());
        let Operation::Status(handle) = op else {
            unreachable!()
        };
        let status = if handle.0 == format!("tid-{first}") {
            approved("late-first")
        } else {
            PaymentStatus::Pending
        };
        h.answer(call, Ok(Reply::Status(status)));
    }
    assert_eq!(asked.len(), 2, "{asked:?}");
    // The late approval of the first is recorded, and the screen stays on the second sale.
    assert!(
        outcomes(&h, &first)
            .iter()
            .any(|(o, late)| o.is_approved() && *late)
    );
    assert!(
        matches!(h.view.screen, Screen::Paying { .. }),
        "{:?}",
        h.view.screen
    );
    assert!(outcomes(&h, &second).is_empty());
}

#[test]
fn a_provider_that_can_cancel_still_asks_the_provider_first() {
    // Unchanged for mCASH-like providers: the cancel goes to the provider.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("500");
    h.key(Key::Cancel);
    assert!(h.has("cancel"));
    assert_eq!(h.outcome(), None);
}
