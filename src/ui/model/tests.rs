use super::*;
use crate::core::message::{Checked, Hint, Label, Message, OutboxCall};
use crate::core::view::{Check, StatusBar, Tile};
use crate::money::Currency;

fn view(screen: Screen) -> View {
    View {
        status: StatusBar {
            terminal_id: "T1".into(),
            online: false,
            outbox_pending: 3,
            cashier: Some("anna".into()),
            storage_failing: false,
            local: Default::default(),
            kiosk: None,
        },
        screen,
    }
}

fn result(outcome: Outcome) -> View {
    view(Screen::Result {
        sale: crate::core::sale::SaleKey::new("T1", 7).unwrap(),
        amount: Money::from_minor(12_345, Currency::NOK),
        provider: "mCASH".into(),
        outcome,
        late_approval: false,
        refund_offered: false,
    })
}

#[test]
fn only_an_approval_gets_the_paid_look() {
    let paid = model(
        &result(Outcome::Approved {
            reference: "R1".into(),
        }),
        Millis(0),
    );
    assert_eq!(paid.look, Look::Paid);
    assert_eq!(paid.result_title, "PAID");
    assert_eq!(paid.reference, "R1");
    let not_paid = [
        Outcome::Declined {
            reason: "no".into(),
        },
        Outcome::Expired,
        Outcome::Cancelled,
        Outcome::Released,
        Outcome::Failed { reason: "x".into() },
    ];
    for o in not_paid {
        let m = model(&result(o.clone()), Millis(0));
        assert_eq!(m.look, Look::NotPaid, "{o:?}");
        assert!(m.result_title.contains("NOT PAID"), "{o:?}");
        assert!(m.reference.is_empty());
    }
    let doubt = model(
        &result(Outcome::InDoubt {
            reason: "lost".into(),
        }),
        Millis(0),
    );
    assert_eq!(doubt.look, Look::Caution);
    assert_eq!(doubt.result_title, "NOT CONFIRMED");
    assert!(doubt.result_detail.contains("lost"));
}

#[test]
fn amounts_are_exact_decimals_with_the_currency_code() {
    let m = model(
        &view(Screen::Amount {
            amount: Money::from_minor(1_005, Currency::NOK),
            error: None,
            vending_idle: false,
        }),
        Millis(0),
    );
    assert_eq!(m.page, PageKind::Amount);
    assert_eq!((m.amount.as_str(), m.currency.as_str()), ("10.05", "NOK"));
    let lyd = Currency::from_code("LYD").unwrap();
    let m = model(
        &view(Screen::Amount {
            amount: Money::from_minor(1_005, lyd),
            error: Some(Message::AmountTooLarge {
                max: Money::from_minor(1_000, lyd),
            }),
            vending_idle: true,
        }),
        Millis(0),
    );
    assert_eq!((m.amount.as_str(), m.currency.as_str()), ("1.005", "LYD"));
    assert_eq!(m.error, "The largest amount is 1.000 LYD");
    assert_eq!(m.title, "Choose a product");
}

#[test]
fn status_bar_and_clock() {
    let m = model(
        &view(Screen::Recovering {
            remaining: 3,
            current: None,
        }),
        Millis(3_600_000 * 25 + 61_000),
    );
    assert_eq!(m.title, "Checking unfinished sales: 3 left");
    assert_eq!(m.clock, "01:01 UTC");
    assert_eq!((m.online, m.outbox), (false, 3));
    assert_eq!(m.terminal_id, "T1");
    assert_eq!(m.cashier, "anna");
}

#[test]
fn qr_and_push_pages_carry_payload_phone_and_countdown() {
    let paying = |waiting| {
        view(Screen::Paying {
            sale: crate::core::sale::SaleKey::new("T1", 7).unwrap(),
            amount: Money::from_minor(500, Currency::NOK),
            provider: "mCASH".into(),
            waiting,
            cancelling: true,
            send_to_phone: true,
        })
    };
    let m = model(
        &paying(Waiting::Qr {
            payload: "https://mca.sh/s/X".into(),
            expires_at: Millis(125_000),
        }),
        Millis(0),
    );
    assert_eq!(m.page, PageKind::Paying);
    assert_eq!(m.wait, WaitLook::Qr);
    assert_eq!(m.qr.as_deref(), Some("https://mca.sh/s/X"));
    assert_eq!(m.countdown, "2:05");
    assert!(m.cancelling);
    assert!(m.send_to_phone);
    assert!(m.wait_text.contains("mCASH"));
    let m = model(
        &paying(Waiting::Push {
            phone: crate::core::sale::Msisdn::parse("4791234567").unwrap(),
            expires_at: Millis(9_000),
        }),
        Millis(0),
    );
    assert_eq!(m.wait, WaitLook::Push);
    assert!(m.qr.is_none());
    assert!(m.wait_text.contains("+4791234567"), "{}", m.wait_text);
    assert_eq!(m.countdown, "0:09");
}

#[test]
fn tiles_keep_provider_order_and_new_providers_get_a_colour() {
    let tiles = ["mcash", "newpay", "moncash"]
        .iter()
        .map(|id| Tile {
            provider: crate::core::provider::ProviderId::new(id),
            name: id.to_uppercase(),
            flow: crate::core::provider::FlowKind::Qr,
        })
        .collect();
    let m = model(
        &view(Screen::Method {
            amount: Money::from_minor(1, Currency::NOK),
            tiles,
            error: None,
        }),
        Millis(0),
    );
    let names: Vec<&str> = m.tiles.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["MCASH", "NEWPAY", "MONCASH"]);
    assert_eq!(m.tiles[0].color, provider_color("mcash"));
    assert_eq!(provider_color("newpay"), provider_color("newpay"));
    assert_ne!(m.tiles[0].color, m.tiles[2].color);
}

#[test]
fn report_has_24_bars_and_a_row_per_provider() {
    let day = 20_000;
    let row = crate::core::view::SaleRow {
        key: crate::core::sale::SaleKey::new("T1", 1).unwrap(),
        provider: crate::core::provider::ProviderId::new("mcash"),
        amount: Money::from_minor(1_250, Currency::NOK),
        started_at: Millis(day * 86_400_000 + 9 * 3_600_000),
        outcome: Some(Outcome::Approved {
            reference: "r".into(),
        }),
        late_approval: false,
        refunded: None,
        restart: None,
        service: None,
        staff_called: false,
    };
    let r = DayReport::build(day, &crate::core::Zone::utc(), [&row]).unwrap();
    let m = model(&view(Screen::Report(r)), Millis(0));
    assert_eq!(m.bars.len(), 24);
    assert_eq!(m.bars[9].1, 1);
    assert_eq!(m.totals.len(), 1);
    assert_eq!(m.totals[0].right, "12.50 NOK");
    assert!(m.title.contains("2024-10-04"), "{}", m.title);
}

#[test]
fn every_sample_screen_maps_to_its_page() {
    for (name, v) in crate::ui::samples::all() {
        let m = model(&v, crate::ui::samples::NOW);
        if name.ends_with("-paid") {
            assert_eq!(m.look, Look::Paid, "{name}");
        } else {
            assert_ne!(m.look, Look::Paid, "{name}");
        }
    }
}

#[test]
fn a_queued_sale_is_amber_and_says_not_paid() {
    let v = view(Screen::Queued {
        sale: crate::core::sale::SaleKey::new("T1", 9).unwrap(),
        amount: Money::from_minor(12_500, Currency::NOK),
        provider: "mCASH".into(),
        phone: crate::core::sale::Msisdn::parse("4791234567").unwrap(),
    });
    assert!(!v.shows_paid());
    let m = model(&v, Millis(0));
    assert_eq!(m.page, PageKind::Result);
    assert_eq!(m.look, Look::Caution);
    assert!(m.result_title.contains("NOT PAID"), "{}", m.result_title);
    assert!(
        m.result_detail.contains("+4791234567"),
        "{}",
        m.result_detail
    );
    assert!(m.reference.is_empty());
}

#[test]
fn typed_pins_and_payment_codes_never_reach_the_screen_model() {
    use crate::core::{Event, Key, PinHash, Settings, Terminal};
    use secrecy::SecretString;
    let mut settings = Settings::demo("T1");
    settings.supervisor_pin =
        Some(PinHash::parse(SecretString::from(crate::config::demo::SUPERVISOR_PIN_HASH)).unwrap());
    let mut t = Terminal::new(settings, Vec::new(), 1, Vec::new());
    t.handle(Millis(0), Event::Ready);
    t.handle(Millis(0), Event::Key(Key::Menu));
    // A wrong PIN made of digits that appear nowhere else on the screen.
    for d in [9, 8, 7, 6] {
        t.handle(Millis(0), Event::Key(Key::Digit(d)));
    }
    let typing = model(&t.view(), Millis(0));
    assert_eq!(typing.page, PageKind::SupervisorPin);
    assert_eq!(typing.pin_digits, 4);
    assert!(!format!("{typing:?}").contains("9876"));
    t.handle(Millis(0), Event::Key(Key::Enter));
    let refused = model(&t.view(), Millis(0));
    assert!(!refused.error.is_empty(), "a wrong PIN is refused");
    assert!(!format!("{refused:?}").contains("9876"));

    // The payment code field is drawn as dots by the core; the model keeps it so.
    let m = model(
        &view(Screen::Customer {
            amount: Money::from_minor(1, Currency::NOK),
            provider: "iCash".into(),
            fields: vec![Field {
                label: Label::PaymentCode,
                shown: "••••".into(),
                active: true,
            }],
            hint: Hint::CardAndCode,
            error: None,
        }),
        Millis(0),
    );
    assert!(m.fields[0].shown.chars().all(|c| c == '•'));
    assert_eq!(m.fields[0].label, "Payment code");
    assert_eq!(
        m.hint,
        "Type the card number, Enter, then the payment code, Enter"
    );
}

#[test]
fn the_outbox_lists_items_and_an_item_offers_retry_and_a_confirmed_drop() {
    use crate::core::view::{OutboxRow, OutboxSummary};
    use crate::ui::samples::NOW;
    let row = |id: u64, dead: bool| OutboxRow {
        id,
        sale: Some(crate::core::sale::SaleKey::new("T1", id).unwrap()),
        provider: crate::core::provider::ProviderId::new("mcash"),
        what: OutboxCall::Refund(Money::from_minor(500, Currency::NOK)),
        created_at: Millis(NOW.0 - 125_000),
        attempts: 4,
        next_try: NOW + 30_000,
        last_error: dead.then(|| "refused: already settled".to_string()),
        dead,
    };
    let summary = OutboxSummary {
        pending: 1,
        dead: 2,
        items: vec![row(1, false), row(2, true)],
    };
    let list = model(
        &view(Screen::Outbox {
            summary: summary.clone(),
            message: None,
        }),
        NOW,
    );
    assert_eq!(list.page, PageKind::Outbox);
    assert!(
        list.message.starts_with("1 waiting · 2 given up"),
        "{}",
        list.message
    );
    assert_eq!(list.rows[0].left, "#1 Refund 5.00 NOK");
    assert_eq!(list.rows[0].right, "next try in 30s");
    assert_eq!(list.rows[0].color, AMBER);
    assert_eq!(
        (list.rows[1].right.as_str(), list.rows[1].color),
        ("GIVEN UP", RED)
    );
    assert!(
        list.rows[1]
            .detail
            .contains("queued 2m05s ago · 4 tries · refused")
    );
    // One given-up item is damaged and not listed: the screen says where to look.
    assert!(
        list.message.contains("kassa queue list"),
        "{}",
        list.message
    );
    assert_eq!(
        list.message_tone,
        Tone::Problem,
        "damaged items need a person"
    );
    // With every given-up item listed, the counts are plain news, not an error.
    let all_listed = model(
        &view(Screen::Outbox {
            summary: OutboxSummary {
                dead: 1,
                ..summary.clone()
            },
            message: None,
        }),
        NOW,
    );
    assert!(
        all_listed
            .message
            .ends_with("Tap one to try again or drop it.")
    );
    assert_eq!(all_listed.message_tone, Tone::Info);
    // A message from the core keeps its tone behind the counts.
    let failed = model(
        &view(Screen::Outbox {
            summary: summary.clone(),
            message: Some(Notice::problem(Message::OutboxDropFailed {
                id: 2,
                reason: "disk full".into(),
            })),
        }),
        NOW,
    );
    assert_eq!(
        (failed.message.as_str(), failed.message_tone),
        (
            "1 waiting · 2 given up. Could not drop #2: disk full",
            Tone::Problem
        )
    );

    let item = model(
        &view(Screen::OutboxItem {
            row: row(2, true),
            confirm_drop: false,
            message: None,
        }),
        NOW,
    );
    assert_eq!(item.page, PageKind::OutboxItem);
    assert_eq!(
        (item.action.as_str(), item.second_action.as_str()),
        ("Try again now", "Drop…")
    );
    assert!(!item.action_danger);
    assert!(
        item.rows
            .iter()
            .any(|r| r.middle.contains("already settled"))
    );
    let confirm = model(
        &view(Screen::OutboxItem {
            row: row(2, true),
            confirm_drop: true,
            message: None,
        }),
        NOW,
    );
    assert_eq!(confirm.title, "Drop #2 for good?");
    assert_eq!(confirm.action, "Drop #2");
    assert!(confirm.action_danger, "a drop is red");
    assert!(
        confirm.second_action.is_empty(),
        "one way forward: drop or go back"
    );
    assert!(confirm.message.contains("never be made"));
    assert_eq!(confirm.message_tone, Tone::Problem, "cannot be undone");
}

#[test]
fn a_failing_diagnostic_check_is_red_and_a_passing_one_green() {
    let m = model(
        &view(Screen::Diagnostics {
            checks: vec![
                Check::new(Checked::Version("0.1.0".into()), Tone::Info),
                Check::new(Checked::Journal { failing: false }, Tone::Good),
                Check::new(
                    Checked::Provider {
                        name: "mCASH".into(),
                        reachable: Some(false),
                    },
                    Tone::Problem,
                ),
            ],
        }),
        Millis(0),
    );
    assert_eq!(m.page, PageKind::Diagnostics);
    let colors: Vec<_> = m
        .rows
        .iter()
        .map(|r| (r.left.as_str(), r.middle.as_str(), r.color))
        .collect();
    assert_eq!(
        colors,
        vec![
            ("Version", "0.1.0", GREY),
            ("Journal", "ok", GREEN),
            ("mCASH", "NOT reachable", RED)
        ]
    );
}

#[test]
fn amounts_and_times_read_as_the_terminal_s_locale_and_zone_write_them() {
    use crate::core::{Event, Key, Local, Locale, Settings, Terminal, Zone};
    let mut settings = Settings::demo("T1");
    settings.currency = Currency::LYD;
    settings.max_amount = Money::from_minor(5_000_000, Currency::LYD);
    settings.local = Local::new(Zone::named("Africa/Tripoli").unwrap(), Locale::Ar);
    let mut t = Terminal::new(settings, Vec::new(), 1, Vec::new());
    t.handle(Millis(0), Event::Ready);
    for d in [1, 2, 3, 4, 5, 6, 7] {
        t.handle(Millis(0), Event::Key(Key::Digit(d)));
    }
    // 2023-11-14 22:13:20 UTC is 00:13 the next day in Tripoli (UTC+2).
    let m = model(&t.view(), Millis(1_700_000_000_000));
    assert_eq!(m.page, PageKind::Amount);
    assert_eq!(
        (m.amount.as_str(), m.currency.as_str()),
        ("1.234,567", "د.ل.")
    );
    assert_eq!(m.clock, "00:13");

    // A sign that goes before the number is never put behind it: the unit is the ISO code.
    let mut v = view(Screen::Amount {
        amount: Money::from_minor(123_450, Currency::USD),
        error: None,
        vending_idle: false,
    });
    v.status.local = Local::new(Zone::named("America/New_York").unwrap(), Locale::En);
    let m = model(&v, Millis(1_700_000_000_000));
    assert_eq!(
        (m.amount.as_str(), m.currency.as_str()),
        ("1,234.50", "USD")
    );
    assert_eq!(m.clock, "17:13");

    // History rows and the sale's detail: local time, the locale's money.
    let row = crate::core::view::SaleRow {
        key: crate::core::sale::SaleKey::new("T1", 1).unwrap(),
        provider: crate::core::provider::ProviderId::new("mcash"),
        amount: Money::from_minor(123_450, Currency::NOK),
        started_at: Millis(1_700_000_000_000),
        outcome: None,
        late_approval: false,
        refunded: None,
        restart: None,
        service: None,
        staff_called: false,
    };
    let mut v = view(Screen::SaleDetail {
        row: row.clone(),
        can_refund: false,
        message: None,
    });
    v.status.local = Local::new(Zone::named("Europe/Oslo").unwrap(), Locale::Nb);
    let m = model(&v, Millis(0));
    let value = |k: &str| m.rows.iter().find(|r| r.left == k).unwrap().middle.clone();
    // The labels are Norwegian too: the locale is the display language.
    assert_eq!(value("Beløp"), "1\u{a0}234,50\u{a0}kr");
    assert_eq!(value("Startet"), "2023-11-14 23:13");
    let mut v = view(Screen::History { rows: vec![row] });
    v.status.local = Local::new(Zone::named("Europe/Oslo").unwrap(), Locale::Nb);
    let m = model(&v, Millis(0));
    assert_eq!(m.rows[0].left, "23:13 T1-000001");
    assert_eq!(m.rows[0].right, "1\u{a0}234,50\u{a0}kr");
}

#[test]
fn a_provider_with_several_tiles_says_the_way_to_pay_on_each() {
    use crate::core::provider::{FlowKind, ProviderId};
    let tile = |id: &str, name: &str, flow| Tile {
        provider: ProviderId::new(id),
        name: name.into(),
        flow,
    };
    let m = model(
        &view(Screen::Method {
            amount: Money::from_minor(12_345, Currency::LYD),
            tiles: vec![
                tile("icash", "iCash", FlowKind::Qr),
                tile("icash", "iCash", FlowKind::CardAndCode),
                tile("icg", "iCheckGateway", FlowKind::Invoice),
            ],
            error: None,
        }),
        Millis(0),
    );
    let shown: Vec<(&str, &str)> = m
        .tiles
        .iter()
        .map(|t| (t.name.as_str(), t.detail.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("iCash", "QR code · key 1"),
            ("iCash", "card + code · key 2"),
            ("iCheckGateway", "key 3"),
        ]
    );
    assert_eq!(m.amount, "12.345");
}

/// `v` as a terminal in `locale` shows it.
fn in_locale(mut v: View, locale: crate::core::Locale) -> View {
    v.status.local.locale = locale;
    v
}

#[test]
fn a_screen_reads_in_the_terminal_s_language_and_keeps_the_provider_s_own_words() {
    use crate::core::Locale;
    let declined = |locale| {
        model(
            &in_locale(
                result(Outcome::Declined {
                    reason: "Solde insuffisant".into(),
                }),
                locale,
            ),
            Millis(0),
        )
    };
    let ar = declined(Locale::Ar);
    assert_eq!(ar.result_title, "لم يُدفع");
    // The provider's reason, as the provider wrote it, beside the translated heading.
    assert_eq!(ar.result_detail, "مرفوض: Solde insuffisant");
    let nb = declined(Locale::Nb);
    assert_eq!(
        (nb.result_title.as_str(), nb.result_detail.as_str()),
        ("IKKE BETALT", "Avvist: Solde insuffisant")
    );
    assert_eq!(
        declined(Locale::En).result_detail,
        "Declined: Solde insuffisant"
    );

    let waiting = in_locale(
        view(Screen::Paying {
            sale: crate::core::sale::SaleKey::new("T1", 7).unwrap(),
            amount: Money::from_minor(12_345, Currency::NOK),
            provider: "mCASH".into(),
            waiting: Waiting::Push {
                phone: crate::core::sale::Msisdn::parse("4791234567").unwrap(),
                expires_at: Millis(60_000),
            },
            cancelling: false,
            send_to_phone: false,
        }),
        Locale::Nb,
    );
    let m = model(&waiting, Millis(0));
    assert_eq!(
        m.wait_text,
        "Forespørsel sendt til +4791234567, venter på godkjenning på telefonen."
    );
    assert_eq!(m.locale, Locale::Nb, "the window's @tr words follow it");
}

#[test]
fn the_settings_page_opens_the_languages_each_in_its_own_name() {
    use crate::core::Locale;
    let settings = model(
        &in_locale(view(Screen::Settings { rows: Vec::new() }), Locale::Fr),
        Millis(0),
    );
    assert_eq!(
        (settings.title.as_str(), settings.action.as_str()),
        ("Réglages", "Langue…")
    );
    let m = model(
        &in_locale(
            view(Screen::Language {
                current: Locale::Fr,
                choices: Locale::ALL.to_vec(),
            }),
            Locale::Fr,
        ),
        Millis(0),
    );
    assert_eq!((m.page, m.title.as_str()), (PageKind::Menu, "Langue"));
    assert_eq!(
        m.menu,
        [
            "English",
            "Norsk bokmål",
            "✓ Français",
            "Kreyòl ayisyen",
            "العربية",
            "සිංහල",
            "தமிழ்"
        ]
    );
}

#[test]
fn the_amount_due_page_waits_then_offers_to_pay_what_it_shows() {
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let asking = model(
        &view(Screen::AmountDue {
            provider: "iCheckGateway".into(),
            due: None,
            pay: None,
            lines: Vec::new(),
        }),
        Millis(0),
    );
    assert_eq!(asking.page, PageKind::SaleDetail);
    assert!(
        asking.message.contains("Asking iCheckGateway"),
        "{}",
        asking.message
    );
    assert!(asking.action.is_empty(), "nothing to pay before the answer");
    let lines = vec![crate::core::provider::InfoLine {
        label: "Amount due".into(),
        value: "USD 150.00".into(),
    }];
    let part = model(
        &view(Screen::AmountDue {
            provider: "iCheckGateway".into(),
            due: Some(usd(15_000)),
            pay: Some(usd(5_000)),
            lines: lines.clone(),
        }),
        Millis(0),
    );
    assert_eq!(part.title, "Amount due");
    assert_eq!(part.rows.len(), 1);
    assert_eq!(part.rows[0].middle, "USD 150.00");
    assert!(
        part.action.starts_with("Pay ") && part.action.contains("50.00"),
        "{}",
        part.action
    );
    assert!(
        part.message.starts_with("iCheckGateway: pays") && part.message.contains("150.00"),
        "{}",
        part.message
    );
    let whole = model(
        &view(Screen::AmountDue {
            provider: "iCheckGateway".into(),
            due: Some(usd(15_000)),
            pay: Some(usd(15_000)),
            lines,
        }),
        Millis(0),
    );
    assert!(whole.action.contains("150.00"), "{}", whole.action);
    assert!(!whole.message.contains("of the"), "{}", whole.message);
}
