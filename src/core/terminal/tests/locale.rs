//! A market's locale and zone change how the terminal reads, never what it sends or records.

use super::*;
use crate::core::{Local, Locale, Zone};

fn lyd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::LYD)
}

fn libya(locale: Locale) -> Settings {
    let mut s = Settings::demo("T1");
    s.currency = Currency::LYD;
    s.max_amount = lyd(5_000_000);
    s.local = Local::new(Zone::named("Africa/Tripoli").unwrap(), locale);
    s
}

#[test]
fn the_keypad_types_all_three_decimals_of_lyd() {
    let mut h = H::new(libya(Locale::Ar), vec![qr()]);
    let shown = |h: &H| match &h.view.screen {
        Screen::Amount { amount, .. } => *amount,
        other => panic!("{other:?}"),
    };
    h.digits("1");
    assert_eq!(shown(&h), lyd(1));
    h.digits("2345");
    assert_eq!(shown(&h), lyd(12_345));
    h.key(Key::Backspace);
    assert_eq!(shown(&h), lyd(1_234));
    h.digits("567");
    assert_eq!(shown(&h), lyd(1_234_567));
    assert_eq!(h.view.status.local.money(shown(&h)), "1.234,567\u{a0}د.ل.");
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.amount, lyd(1_234_567));
    assert_eq!(req.amount.to_decimal_string(), "1234.567");
}

#[test]
fn the_limit_is_refused_with_the_limit_itself_and_nothing_is_sent() {
    let mut s = libya(Locale::Ar);
    s.max_amount = lyd(9_999);
    let mut h = H::new(s, vec![qr()]);
    h.digits("99999");
    let Screen::Amount { amount, error, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(*amount, lyd(9_999));
    // The limit as data: the screen writes it in the locale (see `ui::words`).
    assert_eq!(error, &Some(Message::AmountTooLarge { max: lyd(9_999) }));
    assert!(h.pending.is_empty());
}

/// Everything a terminal asks for (calls, journal records, timers) for the same keys.
fn what_is_sent(locale: Locale, zone: &str) -> Vec<String> {
    let mut s = Settings::demo("T1");
    s.local = Local::new(Zone::named(zone).unwrap(), locale);
    let mut h = H::new(s, vec![mcash_like(), qr()]);
    h.digits("123456");
    h.pay();
    let (call, start) = h.take("start");
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("tid-1".into()),
            prompt: Prompt::Qr {
                payload: "http://mca.sh/s/abc/T1".into(),
                expires_at: h.now + 120_000,
            },
        }),
    );
    h.fire(TimerKind::Poll);
    let (call, status) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("r1"))));
    let mut sent = vec![format!("{start:?}"), format!("{status:?}")];
    sent.extend(h.journal.iter().map(|j| format!("{j:?}")));
    sent.extend(h.timers.iter().map(|t| format!("{t:?}")));
    sent
}

#[test]
fn a_locale_or_zone_never_changes_what_is_sent_or_journaled() {
    let plain = what_is_sent(Locale::En, "UTC");
    assert!(plain[0].contains("amount: 1234.56 NOK"), "{plain:#?}");
    for locale in Locale::ALL {
        for zone in ["UTC", "Europe/Oslo", "Asia/Colombo"] {
            assert_eq!(what_is_sent(locale, zone), plain, "{locale:?} {zone}");
        }
    }
}

#[test]
fn the_supervisor_switches_the_language_from_the_settings_page() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(4));
    assert!(
        matches!(h.view.screen, Screen::Settings { .. }),
        "{:?}",
        h.view.screen
    );
    h.key(Key::Enter);
    let Screen::Language { current, choices } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(
        (*current, choices.as_slice()),
        (Locale::En, &Locale::ALL[..])
    );
    // Back leaves the language as it was.
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Settings { .. }));
    assert_eq!(h.view.status.local.locale, Locale::En);

    h.key(Key::Enter);
    let ar = Locale::ALL.iter().position(|l| *l == Locale::Ar).unwrap();
    h.send(Event::Select(ar));
    assert!(matches!(h.view.screen, Screen::Settings { .. }));
    assert_eq!(h.view.status.local.locale, Locale::Ar);
    // The locale is the number format too: the settings page's amounts, as the screen words
    // them, follow it.
    let Screen::Settings { rows } = &h.view.screen else {
        unreachable!()
    };
    let locale = h.view.status.local.locale;
    assert!(
        rows.iter()
            .any(|s| crate::ui::words::setting(locale, s).1.contains("10.000,00")),
        "{rows:?}"
    );
    // A tap beside the list changes nothing; nothing about the switch is journaled.
    h.key(Key::Enter);
    h.send(Event::Select(Locale::ALL.len()));
    assert!(matches!(
        h.view.screen,
        Screen::Language {
            current: Locale::Ar,
            ..
        }
    ));
    assert!(h.journal.is_empty(), "{:?}", h.journal);
    // The language stays for the sales after it.
    h.key(Key::Cancel);
    h.key(Key::Cancel);
    h.key(Key::Cancel);
    assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "{:?}",
        h.view.screen
    );
    assert_eq!(h.view.status.local.locale, Locale::Ar);
}
