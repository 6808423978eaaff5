//! The amount due asked before an invoice is paid (`Capabilities::amount_due`).

use super::*;
use crate::core::message::Message;
use crate::core::provider::{FieldValue, InfoLine, ServiceId};

fn invoices() -> ProviderInfo {
    let mut p = provider("icg", vec![FlowKind::Invoice]);
    p.capabilities.amount_due = Some(ServiceId::new("due"));
    p
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

fn due(minor: i64) -> Result<Reply, Failure> {
    Ok(Reply::Due {
        due: nok(minor),
        lines: vec![
            InfoLine {
                label: "Invoice".into(),
                value: "1002".into(),
            },
            InfoLine {
                label: "State".into(),
                value: "Partially Paid".into(),
            },
        ],
    })
}

/// Pay with `amount` typed (none if empty), then invoice 1002 and Enter: the due query's call.
fn ask(h: &mut H, amount: &str) -> CallId {
    h.digits(amount);
    h.pay();
    h.digits("1002");
    h.key(Key::Enter);
    let (call, op) = h.take("query");
    match op {
        Operation::Query { service, inputs } => {
            assert_eq!(service.as_str(), "due");
            assert_eq!(inputs, vec![FieldValue::Digits("1002".into())]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&h.view.screen, Screen::AmountDue { pay: None, provider, .. } if provider == "ICG"),
        "{:?}",
        h.view.screen
    );
    call
}

#[test]
fn with_no_amount_typed_the_invoice_pays_its_amount_due_once_confirmed() {
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "");
    // Nothing that moves money has been recorded or sent yet.
    assert!(h.journal.is_empty());
    assert!(!h.has("start"));
    h.answer(call, due(15_000));
    let Screen::AmountDue {
        due: Some(d),
        pay: Some(p),
        lines,
        ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!((*d, *p), (nok(15_000), nok(15_000)));
    assert_eq!(lines[1].value, "Partially Paid");
    assert!(!h.has("start"));
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.amount, nok(15_000));
    assert!(matches!(&req.flow, Flow::Invoice { number } if number.as_str() == "1002"));
    // Journaled before it left, as every start.
    assert!(matches!(
        h.journal.first().map(|j| &j.record),
        Some(Record::StartIntent(r)) if r.amount == nok(15_000)
    ));
}

#[test]
fn a_typed_amount_pays_that_much_of_it_and_never_more_than_is_due() {
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "5000");
    h.answer(call, due(15_000));
    assert!(matches!(
        &h.view.screen,
        Screen::AmountDue { due: Some(d), pay: Some(p), .. } if *d == nok(15_000) && *p == nok(5_000)
    ));
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(op, Operation::Start(r) if r.amount == nok(5_000)));

    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "30000");
    h.answer(call, due(15_000));
    let Screen::Customer {
        error: Some(e),
        fields,
        ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(
        *e,
        Message::MoreThanDue {
            typed: nok(30_000),
            due: nok(15_000)
        }
    );
    // The number stays typed, to fix or cancel.
    assert_eq!(fields[0].shown, "1002");
    assert!(!h.has("start"));
    assert!(h.journal.is_empty());
}

#[test]
fn a_refused_invoice_is_said_on_the_details_and_nothing_starts() {
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "");
    h.answer(
        call,
        Err(Failure::new(
            FailureKind::Rejected,
            "invoice 1002 is paid already",
        )),
    );
    assert!(matches!(
        &h.view.screen,
        Screen::Customer { error: Some(Message::DueRefused { reason }), .. }
            if reason.contains("invoice 1002 is paid already")
    ));
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "");
    h.answer(call, Err(Failure::new(FailureKind::Transient, "timed out")));
    assert!(matches!(
        &h.view.screen,
        Screen::Customer { error: Some(Message::DueUnreachable { reason }), .. }
            if reason.contains("timed out")
    ));
    // An answer in another currency is not paid either.
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "");
    h.answer(
        call,
        Ok(Reply::Due {
            due: Money::from_minor(100, Currency::USD),
            lines: Vec::new(),
        }),
    );
    assert!(matches!(
        &h.view.screen,
        Screen::Customer { error: Some(Message::DueOtherCurrency { answered, sells }), .. }
            if answered == "USD" && sells == "NOK"
    ));
    assert!(!h.has("start"));
    assert!(h.journal.is_empty());
}

#[test]
fn cancel_while_asking_or_on_the_confirmation_goes_back_and_a_late_answer_is_dropped() {
    let mut h = H::cashier(vec![invoices()]);
    let call = ask(&mut h, "");
    h.key(Key::Cancel);
    assert!(matches!(
        &h.view.screen,
        Screen::Customer { error: None, .. }
    ));
    h.answer(call, due(15_000));
    assert!(matches!(&h.view.screen, Screen::Customer { .. }));
    // Asked again, confirmed screen, then Cancel: back to the details, nothing sent.
    h.key(Key::Enter);
    let (call, _) = h.take("query");
    h.answer(call, due(15_000));
    assert!(matches!(
        &h.view.screen,
        Screen::AmountDue { pay: Some(_), .. }
    ));
    h.key(Key::Cancel);
    assert!(matches!(&h.view.screen, Screen::Customer { .. }));
    assert!(!h.has("start"));
}

#[test]
fn no_amount_is_refused_where_the_provider_cannot_tell_what_is_due() {
    // One provider without the lookup: Pay with no amount is refused as before.
    let mut h = H::cashier(vec![qr()]);
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Amount {
            error: Some(Message::TypeAmountFirst),
            ..
        }
    ));
    // Beside one that has it: the tiles show, and the QR tile asks for an amount.
    let mut h = H::cashier(vec![invoices(), qr()]);
    h.key(Key::Enter);
    assert!(matches!(&h.view.screen, Screen::Method { .. }));
    h.send(Event::Select(1));
    assert!(matches!(
        &h.view.screen,
        Screen::Method { error: Some(Message::ProviderNeedsAmount { provider }), .. }
            if provider == "FAKE"
    ));
    assert!(!h.has("start"));
}
