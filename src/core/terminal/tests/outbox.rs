//! The outbox screens: retry, drop (asked first), taps outside the list.

use super::*;

fn outbox_with(items: &[(u64, bool)]) -> OutboxSummary {
    use crate::core::view::OutboxRow;
    OutboxSummary {
        pending: items.iter().filter(|(_, dead)| !dead).count(),
        dead: items.iter().filter(|(_, dead)| *dead).count(),
        items: items
            .iter()
            .map(|&(id, dead)| OutboxRow {
                id,
                sale: Some(SaleKey::parse(&format!("T1-{id}")).unwrap()),
                provider: ProviderId::new("mcash"),
                what: crate::core::message::OutboxCall::Refund(Money::from_minor(
                    500,
                    Currency::NOK,
                )),
                created_at: Millis(1_699_999_000_000),
                attempts: 3,
                next_try: Millis(1_700_000_060_000),
                last_error: dead.then(|| "refused".to_string()),
                dead,
            })
            .collect(),
    }
}

/// Supervisor PIN, menu item 4 (Outbox), with these items in the outbox.
fn at_outbox(items: &[(u64, bool)]) -> H {
    let mut h = H::new(pin_settings(), vec![mcash_like()]);
    h.send(Event::OutboxChanged(outbox_with(items)));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.key(Key::Digit(4));
    assert!(
        matches!(h.view.screen, Screen::Outbox { .. }),
        "{:?}",
        h.view.screen
    );
    h
}

#[test]
fn a_given_up_outbox_item_is_retried_from_the_screen() {
    let mut h = at_outbox(&[(7, false), (9, true)]);
    h.send(Event::Select(1));
    let Screen::OutboxItem {
        row, confirm_drop, ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!((row.id, row.dead, *confirm_drop), (9, true, false));
    h.key(Key::Enter);
    assert_eq!(h.commands, vec![OutboxCommand::Retry { id: 9 }]);
    // A second press before the worker answers sends nothing more.
    h.key(Key::Enter);
    h.key(Key::Clear);
    assert_eq!(h.commands.len(), 1);
    h.send(Event::OutboxCommandDone {
        command: OutboxCommand::Retry { id: 9 },
        result: Ok(()),
    });
    let Screen::OutboxItem { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message.as_ref() == Some(&Notice::info(Message::OutboxItemDue { id: 9 })),
        "{message:?}"
    );
    // The retried call then succeeds: the item leaves the outbox and the screen says so.
    h.send(Event::OutboxChanged(outbox_with(&[(7, false)])));
    let Screen::Outbox { summary, message } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(summary.items.len(), 1);
    assert!(
        message.as_ref() == Some(&Notice::info(Message::OutboxItemDone { id: 9 })),
        "{message:?}"
    );
}

#[test]
fn dropping_an_outbox_item_asks_first_and_names_who() {
    let mut h = at_outbox(&[(9, true)]);
    h.key(Key::Digit(1));
    h.key(Key::Clear);
    assert!(matches!(
        h.view.screen,
        Screen::OutboxItem {
            confirm_drop: true,
            ..
        }
    ));
    // Back out of the question: nothing is dropped.
    h.key(Key::Cancel);
    assert!(matches!(
        h.view.screen,
        Screen::OutboxItem {
            confirm_drop: false,
            ..
        }
    ));
    assert!(h.commands.is_empty());
    h.key(Key::Clear);
    h.key(Key::Enter);
    assert_eq!(
        h.commands,
        vec![OutboxCommand::Drop {
            id: 9,
            who: "supervisor at terminal T1".into()
        }]
    );
    // A failure is shown on the item, which stays.
    h.send(Event::OutboxCommandDone {
        command: h.commands[0].clone(),
        result: Err("journal write failed: disk full".into()),
    });
    let Screen::OutboxItem { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message.as_ref()
            == Some(&Notice::problem(Message::OutboxDropFailed {
                id: 9,
                reason: "journal write failed: disk full".into(),
            })),
        "{message:?}"
    );
    h.key(Key::Clear);
    h.key(Key::Enter);
    h.send(Event::OutboxCommandDone {
        command: h.commands[1].clone(),
        result: Ok(()),
    });
    h.send(Event::OutboxChanged(outbox_with(&[])));
    let Screen::Outbox { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message.as_ref() == Some(&Notice::info(Message::OutboxDropped { id: 9 })),
        "{message:?}"
    );
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
}

#[test]
fn a_tap_below_the_listed_outbox_items_does_nothing() {
    let mut h = at_outbox(&[(7, false)]);
    h.send(Event::Select(3));
    h.key(Key::Digit(5));
    assert!(matches!(h.view.screen, Screen::Outbox { .. }));
    assert!(h.commands.is_empty());
}
