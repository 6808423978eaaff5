//! The customer display without a panel: every screen drawn into memory, written as PNG, read
//! back as PNG and the QR code decoded by rqrr (the decoder the UI tests use).

use embedded_graphics::pixelcolor::{Rgb565, Rgb888};
use embedded_graphics::prelude::{Point, RgbColor};

use super::draw::Palette;
use super::panel::{SimulatedPanel, render_rgb};
use super::*;
use crate::config::{Config, CustomerDisplay};
use crate::core::Millis;
use crate::core::record::Outcome;
use crate::core::sale::{Msisdn, SaleKey};
use crate::core::view::{Screen, StatusBar, View, Waiting};
use crate::money::{Currency, Money};

const PANELS: [PanelKind; 2] = [PanelKind::Ssd1306_128x64, PanelKind::St7789_240x240];

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

fn view(screen: Screen) -> View {
    View {
        status: StatusBar::default(),
        screen,
    }
}

fn sale() -> SaleKey {
    SaleKey::new("T1", 7).unwrap()
}

fn paying(waiting: Waiting) -> View {
    view(Screen::Paying {
        sale: sale(),
        amount: nok(12_50),
        provider: "mCASH".into(),
        waiting,
        cancelling: false,
        send_to_phone: false,
    })
}

fn result(outcome: Outcome) -> View {
    view(Screen::Result {
        sale: sale(),
        amount: nok(12_50),
        provider: "mCASH".into(),
        outcome,
        late_approval: false,
        refund_offered: false,
    })
}

fn qr_view(payload: &str) -> View {
    paying(Waiting::Qr {
        payload: payload.into(),
        expires_at: Millis(0),
    })
}

/// PNG bytes back to greyscale, through the png crate's decoder: what a file viewer would see.
fn png_luma(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let luma = buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| ((u16::from(p[0]) * 3 + u16::from(p[1]) * 6 + u16::from(p[2])) / 10) as u8)
        .collect();
    (info.width as usize, info.height as usize, luma)
}

fn decode(kind: PanelKind, screen: &CustomerScreen) -> Vec<String> {
    let png = render_rgb(kind, screen).to_png().unwrap();
    let (w, h, luma) = png_luma(&png);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn the_qr_code_reads_back_on_both_panels() {
    // The demo payload, and mCASH's with the budgeted id and a 7-character POS id (the longest
    // the 128x64 panel takes).
    for payload in [
        "https://mca.sh/s/KSDEMO/demo-42",
        "http://mca.sh/s/xxxxxxxx/till-07",
    ] {
        let screen = CustomerScreen::from_view(&qr_view(payload), None);
        assert!(matches!(screen, CustomerScreen::Qr { .. }));
        for kind in PANELS {
            assert_eq!(decode(kind, &screen), vec![payload.to_string()], "{kind:?}");
            let fit = qr_fit(payload, kind).unwrap();
            assert!(fit.module_px >= fit::MIN_MODULE_PX);
            assert!(fit.px() <= kind.qr_area().size.height);
        }
    }
    // The colour panel takes far longer payloads, still readable.
    let long = format!("http://mca.sh/s/h3lBe/{}", "a".repeat(64));
    let screen = CustomerScreen::from_view(&qr_view(&long), None);
    assert_eq!(
        decode(PanelKind::St7789_240x240, &screen),
        vec![long.clone()]
    );
    let fit = qr_fit(&long, PanelKind::St7789_240x240).unwrap();
    assert_eq!(
        (fit.version, fit.module_px),
        (6, 4),
        "version 6 at medium: 45 modules in 204 px"
    );
}

#[test]
fn a_qr_code_too_dense_for_the_panel_is_refused() {
    let long = format!("http://mca.sh/s/h3lBe/{}", "a".repeat(64));
    let err = qr_fit(&long, PanelKind::Ssd1306_128x64).unwrap_err();
    assert_eq!(err.max_version, 2);
    assert_eq!(
        err.needs_version,
        Some(5),
        "86 bytes: version 5 at low correction"
    );
    let text = err.to_string();
    assert!(
        text.contains("ssd1306-128x64") && text.contains("version 2"),
        "{text}"
    );
    // More modules than the panel has pixels: no version fits at all.
    let huge = "x".repeat(2_000);
    let err = qr_fit(&huge, PanelKind::St7789_240x240).unwrap_err();
    assert_eq!(err.max_version, 20);
    assert!(err.needs_version.is_some_and(|v| v > 20));
    assert!(qr_fit(&"x".repeat(10_000), PanelKind::St7789_240x240).is_err());
    // At run time such a payload still shows the amount, and no half-readable code.
    let screen = CustomerScreen::from_view(&qr_view(&long), None);
    assert!(decode(PanelKind::Ssd1306_128x64, &screen).is_empty());
}

const MINIMAL: &str = r#"[terminal]
id = "t1"
currency = "NOK"
max_amount = "500.00"
supervisor_pin_hash = "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ"

[providers.mcash]
base_url = "https://api.mca.sh/merchant/v1"
merchant_id = "m1"
user_id = "u1"
secret = "s3cr3t-value"
"#;

fn with_display(pos_id: &str, display: &str) -> String {
    format!("{MINIMAL}pos_id = \"{pos_id}\"\n\n[hardware]\ncustomer_display = \"{display}\"\n")
}

#[test]
fn config_check_refuses_a_panel_too_small_for_the_providers_code() {
    let ok = Config::from_toml_str(&with_display("till-07", "ssd1306-128x64"), "k.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok.hardware.customer_display,
        CustomerDisplay::Ssd1306_128x64
    );
    assert!(check_config(ok.hardware.customer_display, &ok.providers).is_ok());

    let long_pos = "shop-oslo-sentrum-till-2";
    let err = Config::from_toml_str(&with_display(long_pos, "ssd1306-128x64"), "k.toml")
        .expect_err("too dense for 128x64");
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.key, "hardware.customer_display");
    assert!(p.line.is_some());
    assert!(p.message.contains("version 2"), "{}", p.message);
    // The same POS id is fine on the larger panel, and with no panel at all.
    for display in ["st7789-240x240", "none"] {
        Config::from_toml_str(&with_display(long_pos, display), "k.toml")
            .unwrap_or_else(|e| panic!("{display}: {e}"));
    }
    assert_eq!(
        longest_qr_payload(&ok.providers),
        vec!["http://mca.sh/s/xxxxxxxx/till-07".to_string()]
    );
}

#[test]
fn the_customer_sees_amount_qr_and_result_never_the_cashiers_pages() {
    let amount = |minor| {
        view(Screen::Amount {
            amount: nok(minor),
            error: None,
            vending_idle: false,
        })
    };
    assert_eq!(
        CustomerScreen::from_view(&amount(0), Some("Kaffebar")),
        CustomerScreen::Idle {
            title: Some("Kaffebar".into())
        }
    );
    assert_eq!(
        CustomerScreen::from_view(&amount(1250), None),
        CustomerScreen::Amount {
            amount: nok(1250),
            note: None
        }
    );
    assert_eq!(
        CustomerScreen::from_view(&qr_view("p"), None),
        CustomerScreen::Qr {
            amount: nok(12_50),
            payload: "p".into()
        }
    );
    assert!(matches!(
        CustomerScreen::from_view(
            &paying(Waiting::Push {
                phone: Msisdn::parse("4791234567").unwrap(),
                expires_at: Millis(0)
            }),
            None
        ),
        CustomerScreen::Amount { note: Some(_), .. }
    ));
    assert_eq!(
        CustomerScreen::from_view(
            &result(Outcome::Approved {
                reference: "r".into()
            }),
            None
        ),
        CustomerScreen::Paid { amount: nok(12_50) }
    );
    for (outcome, why) in [
        (Outcome::Declined { reason: "x".into() }, "Declined"),
        (Outcome::Expired, "Expired"),
        (Outcome::InDoubt { reason: "x".into() }, "Not confirmed"),
    ] {
        assert_eq!(
            CustomerScreen::from_view(&result(outcome), None),
            CustomerScreen::NotPaid {
                amount: nok(12_50),
                why: why.into()
            }
        );
    }
    let queued = view(Screen::Queued {
        sale: sale(),
        amount: nok(5_00),
        provider: "mCASH".into(),
        phone: Msisdn::parse("4791234567").unwrap(),
    });
    assert!(matches!(
        CustomerScreen::from_view(&queued, None),
        CustomerScreen::NotPaid { .. }
    ));
    let pin = view(Screen::SupervisorPin {
        digits: 2,
        error: None,
    });
    assert_eq!(
        CustomerScreen::from_view(&pin, None),
        CustomerScreen::Idle { title: None }
    );
}

fn every_screen() -> Vec<CustomerScreen> {
    vec![
        CustomerScreen::Idle { title: None },
        CustomerScreen::Idle {
            title: Some("Kaffebar Grünerløkka".into()),
        },
        CustomerScreen::Amount {
            amount: nok(12_50),
            note: None,
        },
        CustomerScreen::Amount {
            amount: Money::from_minor(1_234_567_890, Currency::LYD),
            note: Some("Approve on your phone".into()),
        },
        CustomerScreen::Qr {
            amount: nok(12_50),
            payload: "https://mca.sh/s/KSDEMO/demo-42".into(),
        },
        CustomerScreen::Paid { amount: nok(12_50) },
        CustomerScreen::NotPaid {
            amount: nok(12_50),
            why: "Declined".into(),
        },
    ]
}

fn count(frame: &Framebuffer<Rgb888>, c: Rgb888) -> usize {
    frame.pixels().iter().filter(|p| **p == c).count()
}

#[test]
fn only_a_paid_sale_is_green_and_every_screen_differs() {
    let green: Rgb888 = Rgb565::PAID.into();
    let frames: Vec<(CustomerScreen, Framebuffer<Rgb888>)> = every_screen()
        .into_iter()
        .map(|s| {
            let f = render_rgb(PanelKind::St7789_240x240, &s);
            (s, f)
        })
        .collect();
    for (s, f) in &frames {
        let n = count(f, green);
        if matches!(s, CustomerScreen::Paid { .. }) {
            assert!(n > 240 * 240 / 2, "paid is mostly green: {n}");
        } else {
            assert_eq!(n, 0, "{s:?} has green pixels");
        }
    }
    for kind in PANELS {
        let mut seen: Vec<Vec<[u8; 3]>> = Vec::new();
        for s in every_screen() {
            let f = render_rgb(kind, &s);
            let rgb = f.rgb();
            assert_eq!(rgb.len() as u32, kind.size().width * kind.size().height);
            // Idle with no title is the one blank picture; everything else draws something.
            let blank = rgb.iter().all(|p| *p == rgb[0]);
            assert_eq!(
                blank,
                s == CustomerScreen::Idle { title: None },
                "{kind:?} {s:?}"
            );
            assert!(
                !seen.contains(&rgb),
                "{kind:?}: {s:?} looks like another screen"
            );
            seen.push(rgb);
        }
    }
    // The OLED's paid picture is lit, its not-paid picture mostly dark.
    let lit = |s: &CustomerScreen| count(&render_rgb(PanelKind::Ssd1306_128x64, s), Rgb888::WHITE);
    assert!(lit(&CustomerScreen::Paid { amount: nok(1) }) > 128 * 64 / 2);
    assert!(
        lit(&CustomerScreen::NotPaid {
            amount: nok(1),
            why: "Expired".into()
        }) < 128 * 64 / 4
    );
}

#[test]
fn text_that_does_not_fit_is_cut_not_spilled() {
    let long = CustomerScreen::Idle {
        title: Some("A very long merchant name that no small panel could ever hold".into()),
    };
    for kind in PANELS {
        let f = render_rgb(kind, &long);
        let paper = f.pixel(Point::new(0, 0)).unwrap();
        // Two pixels of margin stay clear on the left and right edges.
        for y in 0..kind.size().height as i32 {
            for x in [
                0,
                1,
                kind.size().width as i32 - 2,
                kind.size().width as i32 - 1,
            ] {
                assert_eq!(
                    f.pixel(Point::new(x, y)),
                    Some(paper),
                    "{kind:?} at {x},{y}"
                );
            }
        }
    }
}

#[test]
fn the_driver_redraws_only_when_the_customer_screen_changes() {
    let panel = SimulatedPanel::new(PanelKind::St7789_240x240);
    let mut driver = Driver::new(Box::new(panel.clone()), Some("Kaffebar".into()));
    let amount = |minor| {
        view(Screen::Amount {
            amount: nok(minor),
            error: None,
            vending_idle: false,
        })
    };
    assert!(driver.update(&amount(0)).unwrap());
    assert!(!driver.update(&amount(0)).unwrap());
    // The cashier's screen changes (a PIN typed) but the customer's does not.
    let pin = view(Screen::SupervisorPin {
        digits: 1,
        error: None,
    });
    assert!(!driver.update(&pin).unwrap());
    assert!(driver.update(&amount(500)).unwrap());
    assert!(
        driver
            .update(&qr_view("https://mca.sh/s/KSDEMO/demo-42"))
            .unwrap()
    );
    // A new countdown on the cashier's screen is the same QR for the customer.
    let later = paying(Waiting::Qr {
        payload: "https://mca.sh/s/KSDEMO/demo-42".into(),
        expires_at: Millis(99),
    });
    assert!(!driver.update(&later).unwrap());
    assert!(
        driver
            .update(&result(Outcome::Approved {
                reference: "r".into()
            }))
            .unwrap()
    );
    let shown = panel.shown();
    assert_eq!(shown.len(), 4);
    assert!(matches!(shown[3], CustomerScreen::Paid { .. }));
}

#[test]
fn an_unconfigured_display_opens_nothing_and_a_simulated_one_needs_no_bus() {
    let mut hw = crate::config::HardwareConfig {
        enabled: false,
        keypad: None,
        green_light_pin: None,
        red_light_pin: None,
        buzzer_pin: None,
        vend_relay_pin: None,
        vend_pulse_ms: 200,
        customer_display: CustomerDisplay::None,
        ..crate::config::HardwareConfig::default()
    };
    assert!(open(&hw, None).unwrap().is_none());
    hw.customer_display = CustomerDisplay::Ssd1306_128x64;
    let mut d = open(&hw, None).unwrap().expect("simulated");
    assert!(d.update(&qr_view("p")).unwrap());
}

#[test]
fn on_a_machine_without_the_bus_opening_the_panel_is_an_error_naming_the_setting() {
    // This test machine has no /dev/i2c-1 or /dev/spidev0.0: rppal's error becomes a message.
    if std::path::Path::new("/dev/i2c-1").exists() || std::path::Path::new("/dev/gpiomem").exists()
    {
        return;
    }
    let mut hw = crate::config::HardwareConfig {
        enabled: true,
        keypad: None,
        green_light_pin: None,
        red_light_pin: None,
        buzzer_pin: None,
        vend_relay_pin: None,
        vend_pulse_ms: 200,
        customer_display: CustomerDisplay::Ssd1306_128x64,
        ..crate::config::HardwareConfig::default()
    };
    for display in [
        CustomerDisplay::Ssd1306_128x64,
        CustomerDisplay::St7789_240x240,
    ] {
        hw.customer_display = display;
        let err = open(&hw, None).err().expect("no bus here");
        let text = err.to_string();
        assert!(text.contains("[hardware] customer_display"), "{text}");
    }
}

#[test]
fn every_screen_writes_a_png() {
    let dir = std::env::temp_dir().join(format!("kassa-display-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in PANELS {
        for (i, s) in every_screen().iter().enumerate() {
            let png = render_rgb(kind, s).to_png().unwrap();
            let (w, h, _) = png_luma(&png);
            assert_eq!(
                (w as u32, h as u32),
                (kind.size().width, kind.size().height)
            );
            std::fs::write(dir.join(format!("{}-{i}.png", kind.name())), png).unwrap();
        }
    }
    if std::env::var_os("KASSA_KEEP_DISPLAY_PNG").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_shows_each_new_view_and_stops_with_the_runtime() {
    let panel = SimulatedPanel::new(PanelKind::Ssd1306_128x64);
    let first = view(Screen::Amount {
        amount: nok(700),
        error: None,
        vending_idle: false,
    });
    let (tx, rx) = tokio::sync::watch::channel(first);
    let task = follow(rx, Driver::new(Box::new(panel.clone()), None));
    let wait_for = |n: usize| {
        let panel = panel.clone();
        async move {
            for _ in 0..500 {
                if panel.shown().len() >= n {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            panic!("panel showed {:?}, wanted {n} screens", panel.shown());
        }
    };
    wait_for(1).await;
    tx.send(qr_view("https://mca.sh/s/KSDEMO/demo-42")).unwrap();
    wait_for(2).await;
    tx.send(result(Outcome::Expired)).unwrap();
    wait_for(3).await;
    drop(tx);
    tokio::time::timeout(std::time::Duration::from_secs(5), task)
        .await
        .expect("follow ends when the views end")
        .unwrap();
    let shown = panel.shown();
    assert!(matches!(shown[1], CustomerScreen::Qr { .. }));
    assert!(matches!(shown[2], CustomerScreen::NotPaid { .. }));
}
