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
    assert!(
        matches!(&h.view.screen, Screen::SupervisorPin { error: Some(e), .. } if e.contains("Try again in 30"))
    );
    // The right PIN is refused while locked.
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    h.now = h.now + 30_000;
    h.digits("1111");
    h.key(Key::Enter);
    assert!(
        matches!(&h.view.screen, Screen::SupervisorPin { error: Some(e), .. } if e.contains("Try again in 60"))
    );
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
        matches!(&h.view.screen, Screen::SaleDetail { can_refund: false, message: Some(m), .. } if m.text.contains("rf1") && m.tone == Tone::Good)
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
        matches!(&h.view.screen, Screen::SaleDetail { message: Some(m), .. } if m.text.contains("Flagged") && m.tone == Tone::Problem)
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
        Some(&Notice::problem("No approved sale to refund"))
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
    let tone = |h: &H, name: &str| {
        let Screen::Diagnostics { checks } = &h.view.screen else {
            panic!("{:?}", h.view.screen)
        };
        checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.found.clone(), c.tone))
    };
    assert_eq!(
        tone(&h, "MCASH"),
        Some(("NOT reachable".into(), Tone::Problem))
    );
    assert_eq!(
        tone(&h, "FAKE"),
        Some(("not checked yet".into(), Tone::Info))
    );
    assert_eq!(tone(&h, "Journal"), Some(("ok".into(), Tone::Good)));
    h.send(Event::Connectivity { online: false });
    assert!(matches!(tone(&h, "Network"), Some((f, Tone::Problem)) if f.starts_with("offline")));
    h.send(Event::JournalFailed {
        sale: SaleKey::new("T1", 1).unwrap(),
        message: "disk full".into(),
    });
    assert!(matches!(tone(&h, "Journal"), Some((_, Tone::Problem))));
    // Back online: the unreachable provider is tried again, so it is no longer marked.
    h.send(Event::Connectivity { online: true });
    assert_eq!(tone(&h, "Network"), Some(("online".into(), Tone::Good)));
    assert_eq!(
        tone(&h, "MCASH"),
        Some(("not checked yet".into(), Tone::Info))
    );
}

#[test]
fn menu_without_a_supervisor_pin_stays_closed() {
    let mut h = H::cashier(vec![qr()]);
    h.key(Key::Menu);
    assert!(
        matches!(&h.view.screen, Screen::Amount { error: Some(e), .. } if e.contains("supervisor PIN"))
    );
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
        Screen::Login { error: Some(_), .. }
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
fn storage_use_is_shown_in_tenths_of_a_mib() {
    assert_eq!(mib_text(0), "0.0 MiB");
    assert_eq!(mib_text(3 * 1024 * 1024 / 2), "1.5 MiB");
    assert_eq!(mib_text(1024 * 1024 - 1), "1.0 MiB");
    assert_eq!(mib_text(52_428), "0.0 MiB");
    assert_eq!(mib_text(52_429), "0.1 MiB");
    assert_eq!(mib_text(u64::MAX), "17592186044416.0 MiB");
}

#[test]
fn diagnostics_show_storage_use_and_damaged_records() {
    let mut h = H::cashier(vec![qr()]);
    assert!(!h.t.diagnostics().iter().any(|c| c.name == "Storage"));
    h.send(Event::Storage {
        used_bytes: 3 * 1024 * 1024 / 2,
        damaged: 2,
    });
    let checks = h.t.diagnostics();
    assert!(
        checks.contains(&Check::new("Storage", "1.5 MiB used", Tone::Info)),
        "{checks:?}"
    );
    assert!(
        checks.iter().any(|c| c.name == "Damaged records"
            && c.found.starts_with("2:")
            && c.tone == Tone::Problem),
        "{checks:?}"
    );
}
