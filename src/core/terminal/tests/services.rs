//! Provider services from the supervisor menu, and the agent PIN at the start of a shift.

use super::*;
use crate::core::provider::{FieldInput, FieldSpec, FieldValue, InfoLine, ServiceId, ServiceSpec};

fn agent() -> ProviderInfo {
    let mut p = provider("ezcash", vec![FlowKind::Push]);
    p.capabilities.agent_pin = true;
    p.capabilities.services = vec![
        ServiceSpec {
            id: ServiceId::new("balance"),
            label: "Agent balance".into(),
            fields: Vec::new(),
            moves_money: false,
        },
        ServiceSpec {
            id: ServiceId::new("bill"),
            label: "Bill payment".into(),
            fields: vec![
                FieldSpec {
                    label: "Biller".into(),
                    input: FieldInput::Choice(vec!["Electricity".into(), "Water".into()]),
                },
                FieldSpec {
                    label: "Account number".into(),
                    input: FieldInput::Digits { min: 6, max: 10 },
                },
            ],
            moves_money: true,
        },
    ];
    p
}

/// The menu line of one of the agent provider's services.
fn ezcash(service: &str) -> MenuItem {
    MenuItem::Service {
        provider: "EZCASH".into(),
        service: service.into(),
    }
}

/// Opens the menu (pin_settings: supervisor PIN 2468) and picks the line `line`.
fn menu_line(h: &mut H, line: MenuItem) {
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    let Screen::Menu { items, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    let i = items
        .iter()
        .position(|s| *s == line)
        .unwrap_or_else(|| panic!("no {line:?} in {items:?}"));
    h.send(Event::Select(i));
}

fn unlocked() -> H {
    let mut h = H::new(pin_settings(), vec![agent()]);
    assert!(
        matches!(h.view.screen, Screen::AgentPin { .. }),
        "{:?}",
        h.view.screen
    );
    h.digits("4242");
    h.key(Key::Enter);
    h.send(Event::Unlocked {
        provider: ProviderId::new("ezcash"),
        result: Ok(()),
    });
    assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "{:?}",
        h.view.screen
    );
    h
}

#[test]
fn the_agent_pin_is_asked_at_start_passed_as_a_secret_and_never_shown_or_journaled() {
    let mut h = H::new(pin_settings(), vec![agent()]);
    let Screen::AgentPin {
        provider, digits, ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!((provider.as_str(), *digits), ("EZCASH", 0));
    h.digits("4242");
    assert!(matches!(h.view.screen, Screen::AgentPin { digits: 4, .. }));
    let shown = format!("{:?} {:?}", h.view, h.effects);
    assert!(!shown.contains("4242"), "{shown}");
    h.key(Key::Enter);
    let pin = h.effects.iter().find_map(|e| match e {
        Effect::Unlock { provider, pin } => Some((provider.clone(), pin.clone())),
        _ => None,
    });
    let (provider, pin) = pin.expect("an unlock effect");
    assert_eq!(provider, ProviderId::new("ezcash"));
    use secrecy::ExposeSecret;
    assert_eq!(pin.expose_secret(), "4242");
    assert!(!format!("{:?}", h.effects).contains("4242"));
    assert!(h.journal.is_empty(), "nothing journaled: {:?}", h.journal);
    assert!(matches!(
        h.view.screen,
        Screen::AgentPin { checking: true, .. }
    ));
    // A wrong PIN: asked again, with the provider's word.
    h.send(Event::Unlocked {
        provider: ProviderId::new("ezcash"),
        result: Err(Failure::new(FailureKind::Rejected, "wrong agent PIN")),
    });
    assert!(matches!(
        &h.view.screen,
        Screen::AgentPin { error: Some(Message::NotUnlocked { reason }), checking: false, digits: 0, .. } if reason == "wrong agent PIN"
    ));
}

#[test]
fn a_locked_provider_refuses_sales_and_services_until_unlocked_and_sign_out_locks_it() {
    let mut s = pin_settings();
    s.cashiers = vec![Cashier {
        id: "ana".into(),
        pin: PinHash::hash("1111", [2; 16], true).unwrap(),
    }];
    let mut h = H::new(s, vec![agent()]);
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    h.digits("1111");
    h.key(Key::Enter);
    // After sign-in, the agent PIN; Back skips it for now.
    assert!(
        matches!(h.view.screen, Screen::AgentPin { .. }),
        "{:?}",
        h.view.screen
    );
    h.key(Key::Cancel);
    h.digits("500");
    h.key(Key::SendToPhone);
    assert!(
        matches!(
            &h.view.screen,
            Screen::Amount { error: Some(Message::ProviderLocked { provider }), .. } if provider == "EZCASH"
        ),
        "{:?}",
        h.view.screen
    );
    assert!(!h.has("start"));
    h.key(Key::Cancel);
    menu_line(&mut h, ezcash("Agent balance"));
    assert!(matches!(
        &h.view.screen,
        Screen::Menu { message: Some(n), .. }
            if *n == Notice::problem(Message::ProviderLocked { provider: "EZCASH".into() })
    ));
    let Screen::Menu { items, .. } = &h.view.screen else {
        unreachable!()
    };
    let unlock = items
        .iter()
        .position(|s| {
            *s == MenuItem::Unlock {
                provider: "EZCASH".into(),
            }
        })
        .expect("unlock line");
    h.send(Event::Select(unlock));
    h.digits("4242");
    h.key(Key::Enter);
    h.send(Event::Unlocked {
        provider: ProviderId::new("ezcash"),
        result: Ok(()),
    });
    assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "{:?}",
        h.view.screen
    );
    // Sign out: the provider forgets its PIN; the next cashier's shift asks again.
    menu_line(&mut h, MenuItem::SignOut);
    assert_eq!(h.locks, vec![ProviderId::new("ezcash")]);
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    h.digits("1111");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::AgentPin { .. }));
}

#[test]
fn a_query_goes_out_without_a_journal_and_its_lines_or_its_failure_are_shown() {
    let mut h = unlocked();
    let sequence = h.t.next_sequence();
    menu_line(&mut h, ezcash("Agent balance"));
    let (call, op) = h.take("query");
    assert_eq!(
        op,
        Operation::Query {
            service: ServiceId::new("balance"),
            inputs: Vec::new()
        }
    );
    assert!(matches!(h.view.screen, Screen::ServiceWaiting { .. }));
    let lines = vec![InfoLine {
        label: "Balance".into(),
        value: "LKR 1,250.00".into(),
    }];
    h.answer(call, Ok(Reply::Info(lines.clone())));
    assert_eq!(
        h.view.screen,
        Screen::ServiceInfo {
            provider: "EZCASH".into(),
            service: "Agent balance".into(),
            lines,
            error: None
        }
    );
    assert!(h.journal.is_empty());
    assert_eq!(h.t.next_sequence(), sequence, "a query is not a sale");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
    let Screen::Menu { items, .. } = &h.view.screen else {
        unreachable!()
    };
    let i = items
        .iter()
        .position(|s| *s == ezcash("Agent balance"))
        .unwrap();
    h.send(Event::Select(i));
    let (call, _) = h.take("query");
    h.answer(
        call,
        Err(Failure::new(FailureKind::Transient, "no network")),
    );
    assert!(matches!(
        &h.view.screen,
        Screen::ServiceInfo { error: Some(Message::ServiceFailed { reason }), lines, .. }
            if reason == "no network" && lines.is_empty()
    ));
}

#[test]
fn a_money_moving_service_asks_its_fields_confirms_then_runs_as_a_journaled_sale() {
    let mut h = unlocked();
    menu_line(&mut h, ezcash("Bill payment"));
    let Screen::ServiceForm {
        choices, fields, ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(choices, &["Electricity".to_string(), "Water".to_string()]);
    assert_eq!(fields.len(), 3, "biller, account, amount");
    h.send(Event::Select(1));
    h.digits("123");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::ServiceForm {
            error: Some(Message::FieldDigits { label: Label::Named(name), min: 6, max: 10 }),
            ..
        } if name == "Account number"
    ));
    h.digits("456");
    h.key(Key::Enter);
    h.digits("2500");
    let Screen::ServiceForm { fields, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(fields[0].shown, "Water");
    assert_eq!(fields[2].shown, "25.00");
    h.key(Key::Enter);
    let Screen::ServiceConfirm { amount, lines, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(*amount, Money::from_minor(2500, Currency::NOK));
    assert_eq!(lines[0].value, "Water");
    assert_eq!(lines[1].value, "123456");
    assert!(!h.has("start"), "nothing leaves before it is confirmed");
    h.key(Key::Enter);
    // Journaled first, then the start, keyed like a sale.
    let intent = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Journal(_)));
    let call = h
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Call { .. }));
    assert!(intent < call && intent.is_some());
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(
        req.flow,
        Flow::Service {
            service: ServiceId::new("bill"),
            inputs: vec![FieldValue::Choice(1), FieldValue::Digits("123456".into())]
        }
    );
    assert_eq!(req.key.as_str(), "T1-000001");
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("r1".into()),
            prompt: Prompt::Immediate,
        }),
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("EZ-77"))));
    assert!(matches!(h.outcome(), Some(Outcome::Approved { .. })));
    // History lists it as a service; it is not offered for refund as a sale.
    let row = h.t.history_rows()[0].clone();
    assert_eq!(row.service.as_deref(), Some("Bill payment"));
    assert!(!h.t.can_refund(&row.key));
}
