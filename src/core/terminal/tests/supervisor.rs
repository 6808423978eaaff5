//! The supervisor PIN, the menu, refunds from it, diagnostics and cashier sign-in.

use super::*;

#[test]
fn supervisor_pin_locks_after_five_wrong_tries_with_growing_delay() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.key(Key::Menu);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    for _ in 0..5 {
        h.digits("1111");
        h.key(Key::Enter);
    }
    assert!(matches!(
        &h.view.screen,
        Screen::SupervisorPin {
            error: Some(Message::PinLocked { seconds: 30 }),
            ..
        }
    ));
    // The right PIN is refused while locked.
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    h.now = h.now + 30_000;
    h.digits("1111");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::SupervisorPin {
            error: Some(Message::PinLocked { seconds: 60 }),
            ..
        }
    ));
    h.now = h.now + 60_000;
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
}

#[test]
fn refund_of_the_last_sale_is_journaled_before_it_leaves() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    let key = h.sale_to_qr("1000");
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("ok1"))));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { can_refund: true, row, .. } if row.key == key)
    );
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::RefundConfirm { .. }));
    h.key(Key::Enter);
    let intent = h.effects.iter().position(
        |e| matches!(e, Effect::Journal(j) if matches!(j.record, Record::RefundIntent { .. })),
    );
    let call = h.effects.iter().position(|e| {
        matches!(
            e,
            Effect::Call {
                op: Operation::Refund { .. },
                ..
            }
        )
    });
    assert!(intent.unwrap() < call.unwrap());
    let (call, _) = h.take("refund");
    h.key(Key::Enter); // a second press while refunding does nothing
    assert!(!h.has("refund"));
    h.answer(
        call,
        Ok(Reply::Refunded {
            reference: "rf1".into(),
        }),
    );
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { can_refund: false, message: Some(m), .. }
            if *m == Notice::good(Message::Refunded { reference: "rf1".into() }))
    );
}

#[test]
fn a_refund_with_a_lost_answer_is_flagged_not_repeated() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.sale_to_qr("1000");
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("ok1"))));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    h.key(Key::Enter);
    h.key(Key::Enter);
    let (call, _) = h.take("refund");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "timeout")));
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { message: Some(m), .. }
            if *m == Notice::problem(Message::RefundUnconfirmed { reason: "timeout".into() }))
    );
    assert!(
        h.journal
            .iter()
            .any(|j| matches!(j.record, Record::Flagged { .. }))
    );
}

#[test]
fn refund_from_the_menu_with_no_approved_sale_says_so_on_the_menu() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    let Screen::Menu { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(
        message.as_ref(),
        Some(&Notice::problem(Message::NoApprovedSale))
    );
    // The next choice clears it.
    h.send(Event::Select(1));
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Menu { message: None, .. }));
}

#[test]
fn diagnostics_mark_each_check_good_or_a_problem() {
    let mut h = H::new(pin_settings(), vec![qr(), mcash_like()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(5));
    h.send(Event::ProviderReachable {
        provider: ProviderId::new("mcash"),
        reachable: false,
    });
    // The check as shown (what was found, and its tone), by what was checked.
    let shown = |h: &H, which: fn(&Checked) -> bool| {
        let Screen::Diagnostics { checks } = &h.view.screen else {
            panic!("{:?}", h.view.screen)
        };
        checks
            .iter()
            .find(|c| which(&c.checked))
            .map(|c| (c.checked.clone(), c.tone))
    };
    let provider = |name: &str, reachable: Option<bool>| Checked::Provider {
        name: name.into(),
        reachable,
    };
    let mcash = |c: &Checked| matches!(c, Checked::Provider { name, .. } if name == "MCASH");
    let fake = |c: &Checked| matches!(c, Checked::Provider { name, .. } if name == "FAKE");
    let network = |c: &Checked| matches!(c, Checked::Network { .. });
    let journal = |c: &Checked| matches!(c, Checked::Journal { .. });
    assert_eq!(
        shown(&h, mcash),
        Some((provider("MCASH", Some(false)), Tone::Problem))
    );
    assert_eq!(shown(&h, fake), Some((provider("FAKE", None), Tone::Info)));
    assert_eq!(
        shown(&h, journal),
        Some((Checked::Journal { failing: false }, Tone::Good))
    );
    h.send(Event::Connectivity { online: false });
    assert_eq!(
        shown(&h, network),
        Some((Checked::Network { online: false }, Tone::Problem))
    );
    h.send(Event::JournalFailed {
        sale: SaleKey::new("T1", 1).unwrap(),
        message: "disk full".into(),
    });
    assert_eq!(
        shown(&h, journal),
        Some((Checked::Journal { failing: true }, Tone::Problem))
    );
    // Back online: the unreachable provider is tried again, so it is no longer marked.
    h.send(Event::Connectivity { online: true });
    assert_eq!(
        shown(&h, network),
        Some((Checked::Network { online: true }, Tone::Good))
    );
    assert_eq!(
        shown(&h, mcash),
        Some((provider("MCASH", None), Tone::Info))
    );
}

#[test]
fn menu_without_a_supervisor_pin_stays_closed() {
    let mut h = H::cashier(vec![qr()]);
    h.key(Key::Menu);
    assert!(matches!(
        &h.view.screen,
        Screen::Amount {
            error: Some(Message::NoSupervisorPin),
            ..
        }
    ));
}

#[test]
fn cashiers_sign_in_and_out() {
    let mut s = pin_settings();
    s.cashiers = vec![Cashier {
        id: "anna".into(),
        pin: PinHash::hash("1357", [2; 16], true).unwrap(),
    }];
    let mut h = H::new(s, vec![qr()]);
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    h.digits("0000");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Login {
            error: Some(Message::WrongPin {
                tries: 1,
                allowed: 5
            }),
            ..
        }
    ));
    h.digits("1357");
    assert!(matches!(h.view.screen, Screen::Login { digits: 4, .. }));
    h.key(Key::Enter);
    assert_eq!(h.view.status.cashier.as_deref(), Some("anna"));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(6));
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    assert_eq!(h.view.status.cashier, None);
}

#[test]
fn diagnostics_show_storage_use_and_damaged_records() {
    let mut h = H::cashier(vec![qr()]);
    let storage = |c: &Check| matches!(c.checked, Checked::Storage { .. });
    assert!(!h.t.diagnostics().iter().any(storage));
    h.send(Event::Storage {
        used_bytes: 3 * 1024 * 1024 / 2,
        damaged: 2,
    });
    let checks = h.t.diagnostics();
    assert!(
        checks.contains(&Check::new(
            Checked::Storage {
                bytes: 3 * 1024 * 1024 / 2
            },
            Tone::Info
        )),
        "{checks:?}"
    );
    assert!(
        checks.contains(&Check::new(Checked::Damaged { count: 2 }, Tone::Problem)),
        "{checks:?}"
    );
}

#[test]
fn settings_list_the_terminal_its_mode_currency_limit_and_methods_as_data() {
    let mut h = H::new(pin_settings(), vec![qr(), mcash_like()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(4));
    let Screen::Settings { rows } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    let s = pin_settings();
    assert_eq!(
        rows,
        &vec![
            Setting::Terminal("T1".into()),
            Setting::Mode(Mode::Cashier),
            Setting::Currency(s.currency.code().to_string()),
            Setting::LargestSale(s.max_amount),
            Setting::Methods(vec!["FAKE".into(), "MCASH".into()]),
        ]
    );
}

#[test]
fn the_customer_form_names_its_fields_and_says_what_to_do_as_data() {
    // A card-and-code provider: two fields, the card first.
    let mut h = H::cashier(vec![provider("icash", vec![FlowKind::CardAndCode])]);
    h.digits("500");
    h.key(Key::Enter);
    let Screen::Customer { fields, hint, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    let labels: Vec<&Label> = fields.iter().map(|f| &f.label).collect();
    assert_eq!(labels, [&Label::CardNumber, &Label::PaymentCode]);
    assert_eq!(*hint, Hint::CardAndCode);
    // A push-first provider asks for the phone.
    let mut h = H::cashier(vec![provider("push", vec![FlowKind::Push])]);
    h.digits("500");
    h.key(Key::Enter);
    let Screen::Customer { fields, hint, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(fields[0].label, Label::CustomerPhone);
    assert_eq!(*hint, Hint::Phone);
}
