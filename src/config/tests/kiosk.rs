//! `[kiosk]` and the mCASH keys a kiosk uses (the sticker's shortlink, the POS type).

use super::*;
use crate::core::{KioskCode, KioskSettings};
use crate::providers::mcash::config::pos_type;
use crate::providers::mcash::wire::PosType;

/// MINIMAL in kiosk mode (line 3), then `extra`, starting on line 14.
fn kiosk(extra: &str) -> String {
    let text = MINIMAL.replacen("id = \"t1\"\n", "id = \"t1\"\nmode = \"kiosk\"\n", 1);
    format!("{text}\n{extra}")
}

#[test]
fn the_examples_kiosk_table_uncommented_loads_as_documented() {
    // The example keeps [kiosk] commented (it is a cashier); every line of it uncommented, in
    // kiosk mode, must load and mean what its comments say.
    let mut text = String::new();
    let mut inside = false;
    for line in EXAMPLE.lines() {
        if line == "# [kiosk]" {
            inside = true;
        } else if inside && (line.starts_with('[') || line.starts_with("# One table")) {
            inside = false;
        }
        let uncommented = line
            .strip_prefix("# ")
            .filter(|l| inside && (l.starts_with("[kiosk]") || l.split(' ').nth(1) == Some("=")));
        text.push_str(uncommented.unwrap_or(line));
        text.push('\n');
    }
    let text = text.replacen("mode = \"cashier\"", "mode = \"kiosk\"", 1);
    assert!(text.contains("\n[kiosk]\n") && text.contains("\ncode = \"screen\"\n"));
    let c = Config::from_toml_str_in(&text, "kassa.example.toml", &ctx())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    let k = c.settings().kiosk;
    assert_eq!(
        k,
        KioskSettings {
            code: KioskCode::Screen,
            fixed_amount: Some(Money::from_minor(2_000, Currency::NOK)),
            attract_ms: 60_000,
            idle_ms: 30_000,
            code_ms: 120_000,
            paid_ms: 8_000,
            not_paid_ms: 8_000,
            staff_ms: 120_000,
        }
    );
}

#[test]
fn kiosk_keys_are_read_in_milliseconds_for_the_core() {
    let c = load(&kiosk(
        "[kiosk]\ncode = \"sticker\"\namount = \"15.50\"\nattract_seconds = 0\nidle_seconds = 20\n\
         code_seconds = 45\npaid_seconds = 3\nnot_paid_seconds = 12\nstaff_seconds = 60\n",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let s = c.settings();
    assert_eq!(s.mode, Mode::Kiosk);
    assert_eq!(
        s.kiosk,
        KioskSettings {
            code: KioskCode::Sticker,
            fixed_amount: Some(Money::from_minor(1_550, Currency::NOK)),
            attract_ms: 0,
            idle_ms: 20_000,
            code_ms: 45_000,
            paid_ms: 3_000,
            not_paid_ms: 12_000,
            staff_ms: 60_000,
        }
    );
    // A sticker kiosk is a poster at mCASH; one drawing its code is a store till.
    assert_eq!(pos_type(&c), PosType::Poster);
    let c = load(&kiosk("")).unwrap();
    assert_eq!(pos_type(&c), PosType::Store);
    assert_eq!(pos_type(&load(MINIMAL).unwrap()), PosType::Store);
}

#[test]
fn without_a_kiosk_table_the_result_times_follow_the_terminals() {
    let text = kiosk("").replacen(
        "max_amount = \"500.00\"\n",
        "max_amount = \"500.00\"\nresult_hold_seconds = 4\n",
        1,
    );
    let k = load(&text).unwrap().settings().kiosk;
    assert_eq!((k.paid_ms, k.not_paid_ms), (4_000, 4_000));
    assert_eq!(k.code, KioskCode::Screen);
    assert_eq!(k.fixed_amount, None);
    assert_eq!(k.attract_ms, 60_000);
}

#[test]
fn bad_kiosk_values_are_named_with_key_and_line() {
    let ps = problems(&kiosk(
        "[kiosk]\ncode = \"poster\"\namount = \"900.00\"\nidle_seconds = 2\ncode_seconds = 5000\n\
         paid_seconds = 0\nstaff_seconds = 5\nidle_secs = 30\n",
    ));
    assert!(
        at(&ps, "kiosk.code", 15)
            .message
            .contains("screen, sticker")
    );
    assert!(
        at(&ps, "kiosk.amount", 16)
            .message
            .contains("terminal.max_amount")
    );
    assert!(
        at(&ps, "kiosk.idle_seconds", 17)
            .message
            .contains("between 5 and 600")
    );
    assert!(
        at(&ps, "kiosk.code_seconds", 18)
            .message
            .contains("between 20 and 1800")
    );
    assert!(
        at(&ps, "kiosk.paid_seconds", 19)
            .message
            .contains("between 1 and 600")
    );
    assert!(
        at(&ps, "kiosk.staff_seconds", 20)
            .message
            .contains("between 15 and 3600")
    );
    assert!(
        at(&ps, "kiosk.idle_secs", 21)
            .message
            .contains("idle_seconds")
    );

    let ps = problems(&kiosk("[kiosk]\namount = \"0\"\n"));
    assert!(at(&ps, "kiosk.amount", 15).message.contains("more than 0"));
    let ps = problems(&kiosk("[kiosk]\namount = 12.5\n"));
    assert!(
        at(&ps, "kiosk.amount", 15)
            .message
            .contains("quoted decimal")
    );
}

#[test]
fn a_kiosk_needs_the_supervisor_pin() {
    let text = kiosk("").replace(
        "supervisor_pin_hash = \"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ\"\n",
        "",
    );
    let ps = problems(&text);
    assert!(
        at(&ps, "terminal.supervisor_pin_hash", 1)
            .message
            .contains("call staff")
    );
}

#[test]
fn a_sticker_needs_providers_whose_code_never_changes() {
    let text = kiosk(
        "[kiosk]\ncode = \"sticker\"\n\n[providers.moncash]\nbase_url = \"https://m.example/Api/\"\n\
         gateway_base_url = \"https://m.example/mw/\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
    );
    let ps = match load(&text) {
        Ok(c) => panic!("loaded {:?}", c.providers.enabled()),
        Err(e) => e.problems,
    };
    let p = at(&ps, "kiosk.code", 15);
    assert!(p.message.contains("moncash"), "{p}");
    assert!(p.message.contains("mcash"), "{p}");
}

#[test]
fn a_kiosk_table_outside_kiosk_mode_is_checked_and_warned_about() {
    let c = load(&format!("{MINIMAL}\n[kiosk]\ncode = \"sticker\"\n")).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:#?}", c.warnings);
    assert!(
        c.warnings[0].to_string().contains("kiosk"),
        "{}",
        c.warnings[0]
    );
    let ps = problems(&format!("{MINIMAL}\n[kiosk]\ncode_seconds = 1\n"));
    at(&ps, "kiosk.code_seconds", 14);
}

#[test]
fn the_stickers_shortlink_is_read_and_checked() {
    let text = MINIMAL.replacen(
        "secret = \"s3cr3t-value\"\n",
        "secret = \"s3cr3t-value\"\nshortlink_id = \"h3lBe\"\n",
        1,
    );
    let c = load(&text).unwrap();
    let m = c.providers.get::<McashSettings>("mcash").unwrap();
    assert_eq!(m.shortlink_id.as_deref(), Some("h3lBe"));
    assert_eq!(
        load(MINIMAL)
            .unwrap()
            .providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .shortlink_id,
        None
    );
    for bad in ["", "mca.sh/s/h3lBe", "a b"] {
        let text = MINIMAL.replacen(
            "secret = \"s3cr3t-value\"\n",
            &format!("secret = \"s3cr3t-value\"\nshortlink_id = \"{bad}\"\n"),
            1,
        );
        let ps = problems(&text);
        assert!(
            at(&ps, "providers.mcash.shortlink_id", 12)
                .message
                .contains("not a shortlink id"),
            "{bad:?}"
        );
    }
}

#[test]
fn an_agent_pin_typed_on_the_screen_is_refused_where_a_customer_stands() {
    let typed = EZCASH.replace("agent_pin = \"1234\"\n", "");
    assert_ne!(typed, EZCASH);
    let at = |mode: &str, ezcash: &str| {
        in_market("LKR", &[ezcash]).replacen(
            "id = \"t1\"\n",
            &format!("id = \"t1\"\nmode = \"{mode}\"\n"),
            1,
        )
    };
    // A cashier types it at shift start; a PIN from the config is never asked.
    load(&at("cashier", &typed)).unwrap_or_else(|e| panic!("{e}"));
    load(&at("kiosk", EZCASH)).unwrap_or_else(|e| panic!("{e}"));
    for (mode, word) in [("kiosk", "a kiosk"), ("vending", "a vending machine")] {
        let text = at(mode, &typed);
        let text = if mode == "vending" {
            format!("{text}\n[vending]\nkind = \"socket\"\n")
        } else {
            text
        };
        let p = problems(&text);
        let ours: Vec<&Problem> = p
            .iter()
            .filter(|p| p.key == "providers.ezcash.agent_pin")
            .collect();
        assert_eq!(ours.len(), 1, "{mode}: {p:#?}");
        for says in ["eZ Cash", word, "agent_pin_file", "[providers.ezcash]"] {
            assert!(ours[0].message.contains(says), "{mode}, {says}: {p:#?}");
        }
        assert!(ours[0].line.is_some(), "{p:#?}");
    }
}
