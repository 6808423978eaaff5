//! Representative views of every screen, for `kassa screens`, the screenshot tests and the
//! README's pictures. Built as the core would show them, with fixed times so pictures repeat.

use crate::core::Millis;
use crate::core::message::{Checked, Hint, Label, Message, OutboxCall, Setting};
use crate::core::provider::{FlowKind, InfoLine, ProviderId};
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::sale::{InputError, Msisdn, SaleKey};
use crate::core::settings::Mode;
use crate::core::view::{
    Check, Field, KioskFrame, Notice, OutboxRow, OutboxSummary, SaleRow, Screen, StatusBar,
    SummaryItem, Tile, Tone, View, Waiting,
};
use crate::money::{Currency, Money};

/// 2025-03-14 12:34:56 UTC: the "now" of every sample.
mod icash;
mod services;

pub const NOW: Millis = Millis(1_741_955_696_000);

/// The QR payload the sample QR screen shows (an mCASH shortlink).
pub const QR_PAYLOAD: &str = "https://mca.sh/s/KSDEMO/demo-42";
/// What the iCash QR screen shows: the payload the iCash simulator's payment QR PNG decodes to.
pub const ICASH_QR_PAYLOAD: &str = "ICASH|7121234567|10|12.345";

/// The MonCash sample's QR payload: the payment page of a payment token as long as the signed
/// tokens integrators print (the simulator's are shorter).
pub const MONCASH_QR_PAYLOAD: &str = "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/Payment/Redirect?token=eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJkZW1vLTAwMDA0MyIsInJlZiI6IjI1MC4wMCIsImlhdCI6MTc0MTk1NTY5NiwiZXhwIjoxNzQxOTU2Mjk2fQ.k2Jd9xQwP0vX1mRt7YsLb3NcUe8ZaHf4GiVo6WpKq5TnS0yAlE";

/// What a sample screen's QR code must read back as (`None`: it shows none).
pub fn qr_payload_of(name: &str) -> Option<&'static str> {
    if name.ends_with("-moncash-qr") {
        Some(MONCASH_QR_PAYLOAD)
    } else if name.ends_with("-icash-qr") {
        Some(ICASH_QR_PAYLOAD)
    } else if name.ends_with("-qr") {
        Some(QR_PAYLOAD)
    } else {
        None
    }
}

fn status() -> StatusBar {
    StatusBar {
        terminal_id: "demo".into(),
        online: true,
        outbox_pending: 0,
        cashier: None,
        storage_failing: false,
        local: Default::default(),
        kiosk: None,
    }
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

fn key(n: u64) -> SaleKey {
    SaleKey::parse(&format!("demo-{n}")).expect("demo-N is a valid sale key")
}

fn row(n: u64, provider: &str, minor: i64, minutes_ago: u64, outcome: Option<Outcome>) -> SaleRow {
    SaleRow {
        key: key(n),
        provider: ProviderId::new(provider),
        amount: nok(minor),
        started_at: Millis(NOW.0 - minutes_ago * 60_000),
        outcome,
        late_approval: false,
        refunded: None,
        restart: None,
        service: None,
        staff_called: false,
    }
}

/// Three sales a kill left unfinished, as the recovery settled them.
fn recovery_items() -> Vec<SummaryItem> {
    let item =
        |n: u64, minor: i64, minutes_ago: u64, outcome: Outcome, never_reached: bool| SummaryItem {
            sale: key(n),
            provider: "mCASH".into(),
            amount: nok(minor),
            started_at: Millis(NOW.0 - minutes_ago * 60_000),
            outcome,
            never_reached,
        };
    vec![
        item(
            44,
            12_500,
            2,
            Outcome::Approved {
                reference: "MC-4HX2".into(),
            },
            false,
        ),
        item(45, 3_990, 1, Outcome::Cancelled, true),
        item(
            46,
            7_000,
            1,
            Outcome::InDoubt {
                reason: "no answer from mCASH after 5 checks".into(),
            },
            false,
        ),
    ]
}

fn approved(r: &str) -> Option<Outcome> {
    Some(Outcome::Approved {
        reference: r.into(),
    })
}

fn history() -> Vec<SaleRow> {
    let mut refunded = row(39, "mcash", 8900, 95, approved("MC-7Q2P"));
    refunded.refunded = Some("RF-19A".into());
    vec![
        row(41, "mcash", 12_50 * 10, 3, approved("MC-9K4T")),
        row(
            40,
            "mcash",
            4_990,
            20,
            Some(Outcome::Declined {
                reason: "insufficient funds".into(),
            }),
        ),
        refunded,
        row(
            38,
            "moncash",
            25_000,
            140,
            Some(Outcome::InDoubt {
                reason: "no answer after the start".into(),
            }),
        ),
        row(37, "mcash", 1_500, 190, Some(Outcome::Expired)),
        row(36, "mcash", 32_000, 250, approved("MC-2B8X")),
    ]
}

fn result(outcome: Outcome) -> Screen {
    Screen::Result {
        sale: key(42),
        amount: nok(12_500),
        provider: "mCASH".into(),
        outcome,
        late_approval: false,
        refund_offered: false,
    }
}

fn paying(waiting: Waiting) -> Screen {
    Screen::Paying {
        sale: key(42),
        amount: nok(12_500),
        provider: "mCASH".into(),
        send_to_phone: matches!(waiting, Waiting::Qr { .. }),
        waiting,
        cancelling: false,
    }
}

fn report() -> DayReport {
    let mut rows = history();
    // A busier day for the chart.
    for (i, h) in [8u64, 9, 9, 10, 11, 11, 11, 12, 12].iter().enumerate() {
        let mut r = row(
            100 + i as u64,
            "mcash",
            5_000 + 1_000 * i as i64,
            0,
            approved("r"),
        );
        r.started_at = Millis(NOW.0 / 86_400_000 * 86_400_000 + h * 3_600_000 + 60_000);
        rows.push(r);
    }
    let zone = crate::core::Zone::utc();
    DayReport::build(zone.day_of(NOW), &zone, &rows).unwrap_or(DayReport {
        day: zone.day_of(NOW),
        zone,
        rows: Vec::new(),
        per_hour: [0; 24],
    })
}

/// Two calls waiting (a push taken offline, a refund) and one given up.
fn outbox() -> OutboxSummary {
    let item = |id: u64, sale: u64, what: OutboxCall, minutes_ago: u64, attempts: u32| OutboxRow {
        id,
        sale: Some(key(sale)),
        provider: ProviderId::new("mcash"),
        what,
        created_at: Millis(NOW.0 - minutes_ago * 60_000),
        attempts,
        next_try: NOW + 40_000,
        last_error: None,
        dead: false,
    };
    let mut dead = item(3, 37, OutboxCall::Refund(nok(8_900)), 140, 6);
    dead.dead = true;
    dead.last_error = Some("mCASH refused: the payment is already settled".into());
    let mut waiting = item(2, 43, OutboxCall::QueuedPush(nok(4_500)), 4, 2);
    waiting.last_error = Some("network unreachable".into());
    OutboxSummary {
        pending: 2,
        dead: 1,
        items: vec![item(1, 42, OutboxCall::StatusCheck, 9, 0), waiting, dead],
    }
}

/// Every screen, by file name (without `.png`, numbered in the order a sale meets them).
pub fn all() -> Vec<(String, View)> {
    let mut screens: Vec<(&'static str, Screen)> = vec![
        (
            "recovering",
            Screen::Recovering {
                remaining: 2,
                current: Some(key(17)),
            },
        ),
        (
            "login",
            Screen::Login {
                digits: 2,
                error: None,
            },
        ),
        (
            "amount",
            Screen::Amount {
                amount: nok(12_500),
                error: None,
                vending_idle: false,
            },
        ),
        (
            "method",
            Screen::Method {
                amount: nok(12_500),
                tiles: [
                    ("mcash", "mCASH", FlowKind::Qr),
                    ("moncash", "MonCash", FlowKind::Qr),
                    ("ezcash", "eZ Cash", FlowKind::Push),
                    ("icash", "iCash", FlowKind::Qr),
                    ("icash", "iCash", FlowKind::CardAndCode),
                    ("icg", "iCheckGateway", FlowKind::Invoice),
                ]
                .iter()
                .map(|(id, name, flow)| Tile {
                    provider: ProviderId::new(id),
                    name: name.to_string(),
                    flow: *flow,
                })
                .collect(),
                error: None,
            },
        ),
        (
            "customer-phone",
            Screen::Customer {
                amount: nok(12_500),
                provider: "mCASH".into(),
                fields: vec![Field {
                    label: Label::CustomerPhone,
                    shown: "47912".into(),
                    active: true,
                }],
                hint: Hint::PhoneOrQr,
                error: None,
            },
        ),
        (
            "customer-card",
            Screen::Customer {
                amount: nok(12_500),
                provider: "iCash".into(),
                fields: vec![
                    Field {
                        label: Label::CardNumber,
                        shown: "4000123412341234".into(),
                        active: false,
                    },
                    Field {
                        label: Label::PaymentCode,
                        shown: "•••".into(),
                        active: true,
                    },
                ],
                hint: Hint::CardAndCode,
                error: Some(Message::Input(InputError::CodeLength)),
            },
        ),
        ("starting", paying(Waiting::Starting)),
        (
            "qr",
            paying(Waiting::Qr {
                payload: QR_PAYLOAD.into(),
                expires_at: NOW + 272_000,
            }),
        ),
        (
            "push",
            paying(Waiting::Push {
                phone: Msisdn::parse("4791234567").expect("a constant phone number parses"),
                expires_at: NOW + 95_000,
            }),
        ),
        ("checking", paying(Waiting::Checking { attempt: 2 })),
        (
            "paid",
            result(Outcome::Approved {
                reference: "MC-9K4T-22X".into(),
            }),
        ),
        (
            "declined",
            result(Outcome::Declined {
                reason: "the customer rejected the payment".into(),
            }),
        ),
        ("expired", result(Outcome::Expired)),
        ("cancelled", result(Outcome::Cancelled)),
        (
            "in-doubt",
            result(Outcome::InDoubt {
                reason: "No answer from mCASH after 5 checks".into(),
            }),
        ),
        (
            "queued",
            Screen::Queued {
                sale: key(42),
                amount: nok(12_500),
                provider: "mCASH".into(),
                phone: Msisdn::parse("4791234567").expect("a constant phone number parses"),
            },
        ),
        (
            "failed",
            result(Outcome::Failed {
                reason: "mCASH refused the sale: POS not registered".into(),
            }),
        ),
        (
            "supervisor-pin",
            Screen::SupervisorPin {
                digits: 3,
                error: Some(Message::WrongPin {
                    tries: 3,
                    allowed: 5,
                }),
            },
        ),
        (
            "menu",
            Screen::Menu {
                items: crate::core::SUPERVISOR_MENU.to_vec(),
                message: None,
            },
        ),
        ("history", Screen::History { rows: history() }),
        (
            "sale-detail",
            Screen::SaleDetail {
                row: history()[0].clone(),
                can_refund: true,
                message: None,
            },
        ),
        (
            "refund-confirm",
            Screen::RefundConfirm {
                row: history()[0].clone(),
            },
        ),
        ("report", Screen::Report(report())),
        (
            "outbox",
            Screen::Outbox {
                summary: outbox(),
                message: None,
            },
        ),
        (
            "outbox-item",
            Screen::OutboxItem {
                row: outbox().items[2].clone(),
                confirm_drop: false,
                message: None,
            },
        ),
        (
            "outbox-drop",
            Screen::OutboxItem {
                row: outbox().items[2].clone(),
                confirm_drop: true,
                message: None,
            },
        ),
        (
            "settings",
            Screen::Settings {
                rows: vec![
                    Setting::Terminal("demo".into()),
                    Setting::Mode(Mode::Cashier),
                    Setting::Currency("NOK".into()),
                    Setting::LargestSale(nok(1_000_000)),
                    Setting::Methods(vec!["mCASH".into()]),
                ],
            },
        ),
        (
            "diagnostics",
            Screen::Diagnostics {
                checks: vec![
                    Check::new(
                        Checked::Version(env!("CARGO_PKG_VERSION").into()),
                        Tone::Info,
                    ),
                    Check::new(Checked::Terminal("demo".into()), Tone::Info),
                    Check::new(Checked::Network { online: false }, Tone::Problem),
                    Check::new(Checked::Journal { failing: false }, Tone::Good),
                    Check::new(
                        Checked::Outbox {
                            pending: 2,
                            dead: 1,
                        },
                        Tone::Problem,
                    ),
                    // 3.2 MiB
                    Check::new(Checked::Storage { bytes: 3_355_443 }, Tone::Info),
                    Check::new(
                        Checked::Provider {
                            name: "mCASH".into(),
                            reachable: Some(false),
                        },
                        Tone::Problem,
                    ),
                ],
            },
        ),
        // Last so that the earlier file names stay put: a refund the provider confirmed.
        (
            "sale-refunded",
            Screen::SaleDetail {
                row: history()[2].clone(),
                can_refund: false,
                message: Some(Notice::good(Message::Refunded {
                    reference: "RF-19A".into(),
                })),
            },
        ),
        // What the recovery decided at start, for the cashier to acknowledge.
        (
            "recovery-summary",
            Screen::RecoverySummary {
                items: recovery_items(),
                from_menu: false,
            },
        ),
        // Last, so that the numbers of the screens before it stay as docs/screens has them.
        (
            "customer-invoice",
            Screen::Customer {
                amount: Money::from_minor(13_188, Currency::USD),
                provider: "iCheckGateway".into(),
                fields: vec![Field {
                    label: Label::InvoiceNumber,
                    shown: "1001".into(),
                    active: true,
                }],
                hint: Hint::Invoice,
                error: None,
            },
        ),
        // MonCash in HTG: the payment page as a QR code (no "Send to phone": MonCash has no
        // push and no cancel).
        (
            "moncash-qr",
            Screen::Paying {
                sale: key(43),
                amount: Money::from_minor(25_000, Currency::HTG),
                provider: "MonCash".into(),
                waiting: Waiting::Qr {
                    payload: MONCASH_QR_PAYLOAD.into(),
                    expires_at: NOW + 588_000,
                },
                cancelling: false,
                send_to_phone: false,
            },
        ),
        // A MonCash sale cancelled at the terminal, then paid on the page before its token
        // expired: caught by the watch, paid (late), the refund offered.
        (
            "moncash-late-paid",
            Screen::Result {
                sale: key(43),
                amount: Money::from_minor(25_000, Currency::HTG),
                provider: "MonCash".into(),
                outcome: Outcome::Approved {
                    reference: "12874821".into(),
                },
                late_approval: true,
                refund_offered: true,
            },
        ),
    ];
    screens.extend(services::services());
    // Libya: iCash in LYD (3 decimals), after the rest so their numbers stay put.
    screens.extend(icash::icash());
    let mut out = Vec::new();
    for (i, (name, screen)) in screens.drain(..).enumerate() {
        let mut status = status();
        if matches!(
            name,
            "diagnostics" | "outbox" | "outbox-item" | "outbox-drop" | "queued"
        ) {
            status.online = false;
            status.outbox_pending = 2;
        }
        out.push((format!("{:02}-{name}", i + 1), View { status, screen }));
    }
    // The kiosk's screens, after the cashier's so their numbers stay put.
    for (name, screen, frame) in kiosk() {
        let status = StatusBar {
            kiosk: Some(frame),
            ..status()
        };
        out.push((
            format!("{:02}-{name}", out.len() + 1),
            View { status, screen },
        ));
    }
    // The supervisor's list of languages (from the settings page), after the kiosk's.
    out.push((
        format!("{:02}-language", out.len() + 1),
        View {
            status: status(),
            screen: Screen::Language {
                current: crate::core::Locale::Nb,
                choices: crate::core::Locale::ALL.to_vec(),
            },
        },
    ));
    // The amount due before an invoice is paid, after the kiosk's so their numbers stay put.
    for (name, screen) in services::amount_due() {
        out.push((
            format!("{:02}-{name}", out.len() + 1),
            View {
                status: status(),
                screen,
            },
        ));
    }
    out
}

/// A kiosk's screens: its start (typed and fixed price), the code (on screen and on a sticker),
/// paid, not paid, the attract screen and "call staff".
fn kiosk() -> Vec<(&'static str, Screen, KioskFrame)> {
    let frame = |until: Option<Millis>| KioskFrame {
        sticker: false,
        fixed_amount: false,
        until,
    };
    let fixed = KioskFrame {
        fixed_amount: true,
        ..frame(None)
    };
    let qr = paying(Waiting::Qr {
        payload: QR_PAYLOAD.into(),
        expires_at: NOW + 272_000,
    });
    let start = |minor: i64| Screen::Amount {
        amount: nok(minor),
        error: None,
        vending_idle: false,
    };
    vec![
        ("kiosk-start", start(4_990), frame(None)),
        ("kiosk-start-fixed", start(2_000), fixed.clone()),
        ("kiosk-qr", qr.clone(), frame(Some(NOW + 112_000))),
        (
            "kiosk-sticker",
            qr,
            KioskFrame {
                sticker: true,
                ..frame(Some(NOW + 112_000))
            },
        ),
        (
            "kiosk-paid",
            result(Outcome::Approved {
                reference: "MC-9K4T-22X".into(),
            }),
            frame(Some(NOW + 6_000)),
        ),
        (
            "kiosk-declined",
            result(Outcome::Declined {
                reason: "the customer rejected the payment".into(),
            }),
            frame(Some(NOW + 8_000)),
        ),
        (
            "attract",
            Screen::Attract {
                fixed_amount: None,
                providers: vec!["mCASH".into(), "MonCash".into()],
            },
            frame(None),
        ),
        (
            "call-staff",
            Screen::CallStaff {
                sale: key(42),
                amount: nok(12_500),
                provider: "mCASH".into(),
                outcome: Outcome::InDoubt {
                    reason: "No answer from mCASH after 5 checks".into(),
                },
            },
            frame(None),
        ),
    ]
}
