//! The config reader against example, broken and hostile files.

use std::path::PathBuf;

use secrecy::ExposeSecret;

use super::reader::{LineIndex, closest, edit_distance};
use super::*;
use crate::core::Mode;
use crate::core::provider::ProviderId;
use crate::core::sale::SaleKey;
use crate::money::{Currency, Money};
use crate::providers::ezcash::config::EzcashSettings;
use crate::providers::icash::config::IcashSettings;
use crate::providers::mcash::config::{McashSettings, demo as mcash_demo};
use crate::providers::moncash::config::MoncashSettings;

mod kiosk;

const EXAMPLE: &str = include_str!("../../kassa.example.toml");

/// A public sample key (mCASH signing test vector in providers/testdata), never a real secret.
const SAMPLE_PEM: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEA7uazY9tUxGB9gjDrLmAsDuwKoMQN94T8zzDUTVMAV4bqDVkj
DafIxU0EEP88TEEL4tssi2DI1CeqQ2aHLX5Zc9NCSXwaLD5bMo3DSMSWdXt55SrX
0KoV1x/jUVd2+Vm8TXBCi8Simqb8IHK+6c4DHoPnyUGU7WLka8Je/WEAEgwYMXkh
h9FTHs6DR0bhcsQnFbo1n1On5l3klTcY5ALDNv+XvnEr0Kojv4rCySy+c7Sx/AWq
MPtZ3W+YFUcmY4DTioFcsK7yicyjkXrwOpB4sbHvwpIG/CfcL0wtZgZDhKjJrw24
5akb1dt8rKPJV21Ff6cNhToDZNbHz9YTlIy72wIDAQABAoIBABZ+vKeLcIjpOQg4
SPzd62ggS8Plkhcbe56az3LUfPTA7GsDWKyhfuMtJFPhZLEdctwSnTgmjeKENaER
F2tuOUgRvW0j9WbzHC0/cgL5F93KGak9hoLMcTAHfaUcIkTKcVOtXWbBxjnfvV/k
zhs/3cVS0FGADmDn7fBDpiQfrR0FvfCWUqsewL99dLePBeX8PZWgqPdUXTq+UJuB
T27XNJxA+q15j2scXAjC3P5MXMMojrcnYrc0+gsfFTwS+Lyovqo+Vm9KSIJhCUOM
qziftQizlaj04dePL0H7QaUeVYM9gzEesr8qYZTZseYEU8eqBOAQEWPDSRlvLgv4
4S/JVfkCgYEA8qRTnHoM3d2tzRw/rTfmchwEOgxcTF8VBUGk4GBOeRyyKt2teMQP
axCDYYT+CenqTK1rt7ZidgYaedQog6ll83grL04zDcKjnRsDT4FgxMqaq7D+xm1K
ilIXgYzvL4b/qGlj+thWewvYjwXgR872LOiOGUb6N2YIGT9RUkT8MlcCgYEA/A2n
esnsSdoH2pc66oMLBpSlEu4imj+TvLHJG217z39VeeKfErnPkQUHuNVHrSHmhwEa
uFWwXBmpJpYSMrwI5iuZuigV7vSlXmKj++9za17/G2Q7JdLl1OgDB63IBjG49YV4
dul5l6cnMjIPDrRnzrQDsf/pZAFzZXZ4LcPIOB0CgYBEGe8FqhPWaZOQT+9nVJsv
R8G/8RwuqzkhIo1+FEmyIGW5NkKr9ItHR3k4c7VBXw/NuZbUFzKHYasoqm08ltzw
erfULSSTJh/5xk0lkXBxi1PiAGlhk+cp72R9jerL8h3rTLks/G85VdfQPJv4S5Q4
goTvf0ZXKiH3xBe0+Xu3PQKBgGZDq/X3wzTbj2AzB6ZqcKjE2ozprYRj0y81+uBz
9U3k3etL9TqFxR+TqORnNGOcY4nW+t5bdeiISMbtEIkhHYM1oXOUHAINpKK85ser
CWtA6cRVUGIyRSmy0Lfm3EcXGXIUKyIj7D+JhC+re8x9ibil9PHdYPZAWG+MN4pp
6uxJAoGAV4QkhZDJ5IBoiOxnCVxPBnu0xrV9LiEZLqofOnkgfOrUjDKjrFtVqWnz
tEe7gGLMVO5VaqcvEexKfdzdFQHDJiF9NYoghQADNtjeQk5IPUd+QJD4NQ5CpttB
bHMXDYrlKioHTtJGeYQTMZsPu/0Eq1+35C0mbellbvX+z1rz2ic=
-----END RSA PRIVATE KEY-----";

fn ctx() -> LoadContext {
    LoadContext {
        config_dir: PathBuf::from("/nonexistent-kassa-config-dir"),
        credentials_directory: None,
        state_directory: None,
    }
}

fn load(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_toml_str_in(text, "kassa.toml", &ctx())
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Ok(c) => panic!("expected problems, loaded {c:?}"),
        Err(e) => e.problems,
    }
}

/// The one problem about `key`, asserting its line.
fn at<'p>(problems: &'p [Problem], key: &str, line: usize) -> &'p Problem {
    let found: Vec<&Problem> = problems.iter().filter(|p| p.key == key).collect();
    assert_eq!(found.len(), 1, "one problem for {key} in {problems:#?}");
    assert_eq!(found[0].line, Some(line), "{}", found[0]);
    found[0]
}

/// A small valid config; tests break one thing at a time. Line numbers matter.
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

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kassa-config-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_shipped_example_loads_with_no_problems_and_no_warnings() {
    let c = Config::from_toml_str_in(EXAMPLE, "kassa.example.toml", &ctx())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    let (out, ok) = check_report(&Ok(c.warnings.clone()));
    assert_eq!(out, "ok\n");
    assert!(ok);

    assert_eq!(c.terminal.id, "shop1-till1");
    assert_eq!(c.terminal.mode, Mode::Cashier);
    assert_eq!(c.terminal.currency, Currency::NOK);
    assert_eq!(
        c.terminal.max_amount,
        Money::from_minor(1_000_000, Currency::NOK)
    );
    let m = c.providers.get::<McashSettings>("mcash").unwrap();
    assert_eq!(
        m.base_url.as_str(),
        "http://127.0.0.1:8700/mcash/merchant/v1/"
    );
    assert_eq!(m.merchant_id, mcash_demo::MERCHANT_ID);
    assert_eq!(m.user_id, mcash_demo::USER_ID);
    assert_eq!(m.secret.expose_secret(), mcash_demo::SECRET);
    assert_eq!(m.pos_name, "Shop 1, till 1");
    assert_eq!(m.expires_in_seconds, 300);
    assert_eq!(c.providers.enabled(), vec![ProviderId::new("mcash")]);
    assert_eq!(
        c.hardware.keypad,
        Some(KeypadPins {
            rows: [5, 6, 13, 19],
            columns: [12, 16, 20, 21]
        })
    );
    assert_eq!(c.hardware.vend_relay_pin, Some(23));
    assert_eq!(c.storage.path, PathBuf::from(DEFAULT_STORAGE_DIR));
    assert_eq!(
        c.outbox.max_queued_total,
        Money::from_minor(200_000, Currency::NOK)
    );

    let s = c.settings();
    assert_eq!(s.result_hold_ms, 8_000);
    assert_eq!(s.terminal_id, "shop1-till1");
    // The comment says it is the hash of 1234; it is, and the demo shares it.
    let pin = s.supervisor_pin.unwrap();
    assert!(pin.verify(demo::SUPERVISOR_PIN));
    assert_eq!(pin.expose_phc(), demo::SUPERVISOR_PIN_HASH);
}

#[test]
fn config_check_on_the_example_file_prints_ok() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("kassa.example.toml");
    let (out, ok) = check_report(&check(&path));
    assert_eq!(out, "ok\n");
    assert!(ok);
    let (out, ok) = check_report(&check(&path.with_file_name("no-such-kassa.toml")));
    assert!(!ok);
    assert!(
        out.contains("no-such-kassa.toml: cannot read the config file"),
        "{out}"
    );
}

#[test]
fn every_key_the_reader_knows_is_documented_in_the_example() {
    // Visit every table (the cashier table is commented out in the example), then look
    // for `key =` of each key asked for, set or in a comment.
    let text = format!("{EXAMPLE}\n[[terminal.cashier]]\nid = \"x\"\n");
    let root = DeTable::parse(&text).unwrap();
    let cx = ctx();
    let mut r = Reader::new(&text, "kassa.example.toml", &cx);
    r.config(root.get_ref());
    assert!(r.asked.len() > 60, "{:?}", r.asked);
    let mut undocumented: Vec<&str> = r
        .asked
        .iter()
        .map(|k| k.rsplit('.').next().unwrap_or(k))
        .filter(|leaf| {
            // `leaf =` not preceded by a letter or `_` (so `pin_hash` is not found in
            // `supervisor_pin_hash =`), or a table header naming it.
            let as_key = EXAMPLE.match_indices(&format!("{leaf} =")).any(|(i, _)| {
                !EXAMPLE[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            let as_table = EXAMPLE.contains(&format!("[{leaf}]"))
                || EXAMPLE.contains(&format!("[{leaf}."))
                || EXAMPLE.contains(&format!(".{leaf}]"));
            !as_key && !as_table
        })
        .collect();
    undocumented.dedup();
    assert!(
        undocumented.is_empty(),
        "undocumented keys: {undocumented:?}"
    );
}

#[test]
fn bad_currency_negative_limit_and_unknown_key_are_all_reported_with_key_and_line() {
    let text = r#"[terminal]
id = "t1"
currency = "NOX"
max_amount = "-5.00"
curency = "NOK"

[providers.mcash]
base_url = "https://api.mca.sh/merchant/v1/"
merchant_id = "m1"
user_id = "u1"
secret = "x"
"#;
    let ps = problems(text);
    assert_eq!(ps.len(), 3, "{ps:#?}");
    let cur = at(&ps, "terminal.currency", 3);
    assert!(
        cur.message.contains("unknown currency code \"NOX\""),
        "{cur}"
    );
    assert!(cur.message.contains("NOK"), "names what is expected: {cur}");
    assert!(
        cur.to_string()
            .starts_with("kassa.toml:3: terminal.currency: ")
    );
    let neg = at(&ps, "terminal.max_amount", 4);
    assert!(neg.message.contains("negative"), "{neg}");
    let typo = at(&ps, "terminal.curency", 5);
    assert!(typo.message.contains("unknown key"), "{typo}");
    assert!(typo.message.contains("did you mean `currency`"), "{typo}");
    // Sorted by line, and the report fails.
    let lines: Vec<_> = ps.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(3), Some(4), Some(5)]);
    let (out, ok) = check_report(&Err(ConfigErrors { problems: ps }));
    assert!(!ok);
    assert_eq!(out.lines().count(), 3);
    assert!(!out.contains("ok\n"));
}

#[test]
fn negative_limit_with_a_good_currency_and_a_zero_limit_are_errors() {
    let ps = problems(&MINIMAL.replace("\"500.00\"", "\"-1\""));
    assert!(
        at(&ps, "terminal.max_amount", 4)
            .message
            .contains("negative")
    );
    let ps = problems(&MINIMAL.replace("\"500.00\"", "\"0.00\""));
    assert!(
        at(&ps, "terminal.max_amount", 4)
            .message
            .contains("more than 0")
    );
    let ps = problems(&MINIMAL.replace("\"500.00\"", "500.0"));
    assert!(
        at(&ps, "terminal.max_amount", 4)
            .message
            .contains("quoted decimal")
    );
    let ps = problems(&MINIMAL.replace("\"500.00\"", "\"5.001\""));
    assert!(
        at(&ps, "terminal.max_amount", 4)
            .message
            .contains("decimals")
    );
    let outbox = format!("{MINIMAL}\n[outbox]\nmax_queued_amount = \"-3\"\n");
    let ps = problems(&outbox);
    assert!(
        at(&ps, "outbox.max_queued_amount", 14)
            .message
            .contains("negative")
    );
}

#[test]
fn the_minimal_config_loads_with_defaults() {
    let c = load(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    let m = c.providers.get::<McashSettings>("mcash").unwrap();
    // Normalised to end with a slash; pos_id defaults to the terminal id.
    assert_eq!(m.base_url.as_str(), "https://api.mca.sh/merchant/v1/");
    assert_eq!(m.pos_id, "t1");
    assert_eq!(m.pos_name, "t1");
    assert_eq!(m.max_scan_age_seconds, 60);
    assert_eq!(c.terminal.result_hold_seconds, 8);
    assert_eq!(c.terminal.recover_attempts, 5);
    assert_eq!(c.outbox, OutboxConfig::none(Currency::NOK));
    assert_eq!(c.hardware, HardwareConfig::default());
    assert_eq!(c.storage.cache_mb, 16);
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}

#[test]
fn storage_defaults_to_the_systemd_state_directory() {
    let mut cx = ctx();
    cx.state_directory = Some(PathBuf::from("/var/lib/kassa"));
    let c = Config::from_toml_str_in(MINIMAL, "kassa.toml", &cx).unwrap();
    assert_eq!(c.storage.path, PathBuf::from("/var/lib/kassa"));
    let text = format!("{MINIMAL}\n[storage]\npath = \"/srv/k\"\ncache_mb = 600\n");
    let ps = match Config::from_toml_str_in(&text, "kassa.toml", &cx) {
        Err(e) => e.problems,
        Ok(_) => panic!("cache_mb 600 is out of range"),
    };
    assert!(
        at(&ps, "storage.cache_mb", 15)
            .message
            .contains("between 1 and 512")
    );
}

#[test]
fn toml_syntax_errors_report_their_line() {
    let text = MINIMAL.replace("user_id = \"u1\"", "user_id = u1");
    let ps = problems(&text);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(ps[0].line, Some(10));
    assert!(ps[0].message.starts_with("TOML syntax error"), "{}", ps[0]);
    let dup = format!("{MINIMAL}secret = \"again\"\n");
    let ps = problems(&dup);
    assert_eq!(ps[0].line, Some(12), "{}", ps[0]);
}

#[test]
fn wrong_types_and_ranges_name_key_and_line() {
    let text = r#"[terminal]
id = "has space"
mode = "till"
currency = "NOK"
max_amount = "10"
result_hold_seconds = "8"
poll_interval_ms = 5

[providers.mcash]
enabled = "yes"
base_url = "ftp://api.mca.sh/"
merchant_id = "m1"
user_id = ""
secret = "x"
expires_in_seconds = 99999999

[hardwre]
enabled = true
"#;
    let ps = problems(text);
    at(&ps, "terminal.id", 2);
    assert!(
        at(&ps, "terminal.mode", 3)
            .message
            .contains("cashier, kiosk, vending")
    );
    assert!(
        at(&ps, "terminal.result_hold_seconds", 6)
            .message
            .contains("expected an integer, found a string")
    );
    assert!(
        at(&ps, "terminal.poll_interval_ms", 7)
            .message
            .contains("between 200 and 60000")
    );
    assert!(
        at(&ps, "providers.mcash.enabled", 10)
            .message
            .contains("true or false")
    );
    assert!(
        at(&ps, "providers.mcash.base_url", 11)
            .message
            .contains("http:// or https://")
    );
    at(&ps, "providers.mcash.user_id", 13);
    at(&ps, "providers.mcash.expires_in_seconds", 15);
    let t = at(&ps, "hardwre", 17);
    assert!(
        t.message.contains("unknown table; did you mean `hardware`"),
        "{t}"
    );
    assert_eq!(ps.len(), 9, "{ps:#?}");
}

#[test]
fn missing_sections_and_keys_are_named() {
    let ps = problems("");
    assert!(ps.iter().any(|p| p.key == "terminal" && p.line.is_none()));
    assert!(ps.iter().any(|p| p.key == "providers"));

    let text = "[terminal]\nid = \"t\"\n\n[providers.mcash]\nmerchant_id = \"m\"\n";
    let ps = problems(text);
    assert!(
        at(&ps, "terminal.currency", 1)
            .message
            .contains("missing in [terminal]")
    );
    at(&ps, "terminal.max_amount", 1);
    at(&ps, "providers.mcash.base_url", 4);
    at(&ps, "providers.mcash.user_id", 4);
    let s = at(&ps, "providers.mcash.secret", 4);
    assert!(s.message.contains("secret or secret_file"), "{s}");

    let off = MINIMAL.replace("[providers.mcash]", "[providers.mcash]\nenabled = false");
    let ps = problems(&off);
    assert!(
        at(&ps, "providers", 7)
            .message
            .contains("no provider is enabled")
    );
}

#[test]
fn a_disabled_provider_needs_no_credentials_but_is_checked_for_typos() {
    let text =
        format!("{MINIMAL}\n[providers.moncash]\nenabled = false\nclient_secret_file = \"nope\"\n");
    let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.providers.get::<MoncashSettings>("moncash").is_none());
    let typo = format!("{MINIMAL}\n[providers.moncash]\nenabled = false\nclient_secrett = \"x\"\n");
    let ps = problems(&typo);
    let p = at(&ps, "providers.moncash.client_secrett", 15);
    assert!(p.message.contains("did you mean `client_secret`"), "{p}");
    let unknown = format!("{MINIMAL}\n[providers.paypal]\nenabled = false\n");
    let ps = problems(&unknown);
    assert!(
        at(&ps, "providers.paypal", 13)
            .message
            .contains("unknown table")
    );
}

const MONCASH: &str = r#"
[providers.moncash]
base_url = "https://sandbox.moncashbutton.digicelgroup.com/Api"
gateway_base_url = "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware"
client_id = "cid"
client_secret = "cs"
"#;
const ICASH: &str = r#"
[providers.icash]
base_url = "https://icashmerchantv2.azurewebsites.net"
username = "u"
password = "p"
card_number = "7121234567"
"#;
const EZCASH: &str = r#"
[providers.ezcash]
base_url = "https://ideabiz.lk/apicall/"
consumer_key = "ck"
consumer_secret = "cs"
username = "u"
password = "p"
agent_alias = "IDEA_HUB"
agent_pin = "1234"
"#;
const ICG: &str = r#"
[providers.icg]
auth_url = "https://auth.icheckdev.com/"
process_base_url = "https://process.example.com/"
client_id = "aud"
username = "u"
password = "p"
"#;

/// MINIMAL with the terminal in `currency` (mCASH names no currency, so it stays) and `tables`.
fn in_market(currency: &str, tables: &[&str]) -> String {
    let mut text = MINIMAL
        .replace("currency = \"NOK\"", &format!("currency = \"{currency}\""))
        .replace("max_amount = \"500.00\"", "max_amount = \"500\"");
    for t in tables {
        text.push_str(t);
    }
    text
}

#[test]
fn every_provider_loads_when_complete_in_its_own_currency() {
    let c = load(&in_market("HTG", &[MONCASH])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.providers.enabled().len(), 2);
    assert_eq!(
        c.providers
            .get::<MoncashSettings>("moncash")
            .unwrap()
            .gateway_base_url
            .as_str(),
        "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/"
    );
    let c = load(&in_market("LYD", &[ICASH])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.terminal.max_amount,
        Money::from_minor(500_000, Currency::LYD)
    );
    assert_eq!(
        c.providers
            .get::<IcashSettings>("icash")
            .unwrap()
            .card_number,
        "7121234567"
    );
    let c = load(&in_market("LKR", &[EZCASH])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.providers
            .get::<EzcashSettings>("ezcash")
            .unwrap()
            .agent_pin
            .as_ref()
            .unwrap()
            .expose_secret(),
        "1234"
    );
    let c = load(&in_market("USD", &[ICG])).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    assert_eq!(c.providers.enabled().len(), 2);

    let bad_card = in_market("LYD", &[ICASH]).replace("\"7121234567\"", "\"71-21\"");
    let ps = problems(&bad_card);
    at(&ps, "providers.icash.card_number", 17);
}

#[test]
fn a_provider_that_cannot_pay_in_the_terminal_currency_is_refused_naming_both() {
    let text = in_market("NOK", &[MONCASH, ICASH, EZCASH, ICG]);
    let ps = problems(&text);
    let keys: Vec<(&str, Option<usize>)> = ps.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert_eq!(
        keys,
        vec![
            ("providers.moncash", Some(13)),
            ("providers.icash", Some(19)),
            ("providers.ezcash", Some(25)),
            ("providers.icg", Some(34)),
        ]
    );
    for (p, theirs) in ps.iter().zip(["HTG", "LYD", "LKR", "USD"]) {
        assert!(p.message.contains(theirs), "{p}");
        assert!(p.message.contains("terminal.currency is NOK"), "{p}");
    }
    assert!(
        ps[0].message.starts_with("MonCash pays in HTG only"),
        "{}",
        ps[0]
    );
    let (out, ok) = check_report(&Err(ConfigErrors { problems: ps }));
    assert!(!ok);
    assert!(
        out.starts_with("kassa.toml:13: providers.moncash: "),
        "{out}"
    );
    // Disabled, it is not refused.
    let off = in_market(
        "NOK",
        &[&MONCASH.replace("client_secret = \"cs\"", "enabled = false")],
    );
    assert!(load(&off).is_ok());
}

#[test]
fn urls_with_credentials_are_refused_without_being_echoed() {
    let text = MINIMAL.replace(
        "https://api.mca.sh/merchant/v1",
        "https://user:hunter2pass@api.mca.sh/merchant/v1/",
    );
    let ps = problems(&text);
    let p = at(&ps, "providers.mcash.base_url", 8);
    assert!(p.message.contains("user name or password"));
    assert!(!p.to_string().contains("hunter2pass"));
    // Plain http to another machine is a warning, loopback is not.
    let http = MINIMAL.replace("https://api.mca.sh", "http://10.1.2.3");
    let c = load(&http).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].line, Some(8));
    let local = MINIMAL.replace("https://api.mca.sh", "http://[::1]:8700");
    assert!(load(&local).unwrap().warnings.is_empty());
}

#[test]
fn secret_files_resolve_against_credentials_directory_then_config_dir() {
    let conf_dir = temp_dir("conf");
    let cred_dir = temp_dir("cred");
    std::fs::write(conf_dir.join("mcash-secret"), "from-config-dir\n").unwrap();
    std::fs::write(cred_dir.join("mcash-secret"), "from-credentials\r\n").unwrap();
    let text = MINIMAL.replace(
        "secret = \"s3cr3t-value\"",
        "secret_file = \"mcash-secret\"",
    );

    let mut cx = LoadContext {
        config_dir: conf_dir.clone(),
        credentials_directory: None,
        state_directory: None,
    };
    let c = Config::from_toml_str_in(&text, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .secret
            .expose_secret(),
        "from-config-dir"
    );

    cx.credentials_directory = Some(cred_dir.clone());
    let c = Config::from_toml_str_in(&text, "kassa.toml", &cx).unwrap();
    assert_eq!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .secret
            .expose_secret(),
        "from-credentials"
    );

    // An absolute name is used as it is.
    let abs = conf_dir.join("mcash-secret");
    let text_abs = MINIMAL.replace(
        "secret = \"s3cr3t-value\"",
        &format!("secret_file = {:?}", abs.display().to_string()),
    );
    let c = Config::from_toml_str_in(&text_abs, "kassa.toml", &cx).unwrap();
    assert_eq!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .secret
            .expose_secret(),
        "from-config-dir"
    );

    // Missing and empty files name key, line and path.
    let missing = text.replace("mcash-secret", "no-such-file");
    let ps = match Config::from_toml_str_in(&missing, "kassa.toml", &cx) {
        Err(e) => e.problems,
        Ok(_) => panic!("a missing secret file must fail"),
    };
    let p = at(&ps, "providers.mcash.secret_file", 11);
    assert!(
        p.message
            .contains(&cred_dir.join("no-such-file").display().to_string()),
        "{p}"
    );
    std::fs::write(cred_dir.join("empty"), "\n").unwrap();
    let empty = text.replace("mcash-secret", "empty");
    let ps = Config::from_toml_str_in(&empty, "kassa.toml", &cx)
        .unwrap_err()
        .problems;
    assert!(
        at(&ps, "providers.mcash.secret_file", 11)
            .message
            .contains("empty")
    );

    // Both forms at once is an error.
    let both = format!("{MINIMAL}secret_file = \"mcash-secret\"\n");
    let ps = Config::from_toml_str_in(&both, "kassa.toml", &cx)
        .unwrap_err()
        .problems;
    assert!(
        at(&ps, "providers.mcash.secret_file", 12)
            .message
            .contains("not both")
    );

    // load() resolves next to the file itself.
    let file = conf_dir.join("kassa.toml");
    std::fs::write(&file, &text).unwrap();
    cx.credentials_directory = None;
    let c = Config::load_in(
        &file,
        &LoadContext {
            config_dir: config_dir_of(&file),
            ..cx.clone()
        },
    )
    .unwrap();
    assert_eq!(c.origin, file.display().to_string());
    assert_eq!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .secret
            .expose_secret(),
        "from-config-dir"
    );
    let ps = Config::load_in(&conf_dir.join("absent.toml"), &cx)
        .unwrap_err()
        .problems;
    assert_eq!(ps.len(), 1);
    assert!(ps[0].message.contains("cannot read the config file"));

    let _ = std::fs::remove_dir_all(conf_dir);
    let _ = std::fs::remove_dir_all(cred_dir);
}

#[test]
fn private_keys_are_checked_at_load() {
    let dir = temp_dir("pem");
    std::fs::write(dir.join("key.pem"), SAMPLE_PEM).unwrap();
    std::fs::write(
        dir.join("bad.pem"),
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
    )
    .unwrap();
    let cx = LoadContext {
        config_dir: dir.clone(),
        credentials_directory: None,
        state_directory: None,
    };
    let good = format!("{MINIMAL}private_key_file = \"key.pem\"\n");
    let c = Config::from_toml_str_in(&good, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
    let pem = c
        .providers
        .get::<McashSettings>("mcash")
        .unwrap()
        .private_key_pem
        .clone()
        .unwrap();
    assert!(
        pem.expose_secret()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    let bad = good.replace("key.pem", "bad.pem");
    let ps = Config::from_toml_str_in(&bad, "kassa.toml", &cx)
        .unwrap_err()
        .problems;
    assert!(
        at(&ps, "providers.mcash.private_key_file", 12)
            .message
            .contains("not a PEM RSA private key")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn pin_hashes_and_cashiers_are_validated() {
    let bad_pin = MINIMAL.replace("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ", "1234");
    let ps = problems(&bad_pin);
    assert!(
        at(&ps, "terminal.supervisor_pin_hash", 5)
            .message
            .contains("argon2")
    );

    let anna = PinHash::hash("2468", [3; 16], true).unwrap();
    let text = format!(
        "{MINIMAL}\n[[terminal.cashier]]\nid = \"anna\"\npin_hash = \"{}\"\n\n[[terminal.cashier]]\nid = \"anna\"\npin = \"2468\"\n",
        anna.expose_phc()
    );
    let ps = problems(&text);
    assert!(
        at(&ps, "terminal.cashier[2].id", 18)
            .message
            .contains("used twice")
    );
    assert!(
        at(&ps, "terminal.cashier[2].pin", 19)
            .message
            .contains("unknown key; did you mean `pin_hash`")
    );
    assert_eq!(ps.len(), 3, "{ps:#?}");
    assert!(ps.iter().any(|p| p.key == "terminal.cashier[2].pin_hash"));

    let ok = format!(
        "{MINIMAL}\n[[terminal.cashier]]\nid = \"anna\"\npin_hash = \"{}\"\n",
        anna.expose_phc()
    );
    let s = load(&ok).unwrap().settings();
    assert_eq!(s.cashiers.len(), 1);
    assert_eq!(s.cashiers[0].id, "anna");
    assert!(s.cashiers[0].pin.verify("2468"));

    // Cashier mode without a supervisor PIN loads with a warning.
    let open = MINIMAL
        .lines()
        .filter(|l| !l.starts_with("supervisor_pin_hash"))
        .collect::<Vec<_>>()
        .join("\n");
    let c = load(&open).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].key, "terminal.supervisor_pin_hash");
}

#[test]
fn hardware_pins_are_in_range_and_used_once() {
    let text = format!(
        "{MINIMAL}\n[hardware]\nenabled = true\nkeypad_row_pins = [5, 6, 13, 19]\nkeypad_column_pins = [12, 16, 20]\ngreen_light_pin = 5\nbuzzer_pin = 30\ncustomer_display = \"oled\"\n"
    );
    let ps = problems(&text);
    assert!(
        at(&ps, "hardware.keypad_column_pins", 16)
            .message
            .contains("exactly 4")
    );
    assert!(
        at(&ps, "hardware.green_light_pin", 17)
            .message
            .contains("already used by hardware.keypad_row_pins")
    );
    assert!(
        at(&ps, "hardware.buzzer_pin", 18)
            .message
            .contains("between 0 and 27")
    );
    assert!(
        at(&ps, "hardware.customer_display", 19)
            .message
            .contains("ssd1306-128x64")
    );
    assert_eq!(ps.len(), 4, "{ps:#?}");

    let vending = MINIMAL.replace("currency = ", "mode = \"vending\"\ncurrency = ")
        + "\n[hardware]\nenabled = true\ncustomer_display = \"st7789-240x240\"\n";
    let c = load(&vending).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.hardware.customer_display, CustomerDisplay::St7789_240x240);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.key == "hardware.vend_relay_pin")
    );
}

#[test]
fn keypad_layout_and_key_beep_are_read_and_checked() {
    use crate::core::Key;
    let text = format!(
        "{MINIMAL}\n[hardware]\nkey_beep_ms = 0\nkeypad_layout = [\"1 2 3 enter\", \"4 5 6 clear\", \"7 8 9 cancel\", \"menu 0 backspace none\"]\n"
    );
    let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.hardware.key_beep_ms, 0);
    assert_eq!(c.hardware.keypad_layout.key_at(0, 3), Some(Key::Enter));
    assert_eq!(c.hardware.keypad_layout.key_at(3, 0), Some(Key::Menu));
    assert_eq!(c.hardware.keypad_layout.key_at(3, 3), None);
    assert_eq!(load(MINIMAL).unwrap().hardware.key_beep_ms, 30);

    let bad = format!(
        "{MINIMAL}\n[hardware]\nkey_beep_ms = 5000\nkeypad_layout = [\"1 2 3 A\", \"4 5 6\", \"7 8 9 cancel\", \"menu 0 enter none\"]\n"
    );
    let ps = problems(&bad);
    let line = MINIMAL.lines().count() + 4;
    assert!(
        at(&ps, "hardware.key_beep_ms", line - 1)
            .message
            .contains("between 0 and 1000")
    );
    let layout: Vec<_> = ps
        .iter()
        .filter(|p| p.key == "hardware.keypad_layout")
        .collect();
    assert_eq!(layout.len(), 2, "{ps:#?}");
    assert!(layout[0].message.contains("\"A\" is not a key"), "{ps:#?}");
    assert!(layout[1].message.contains("found 3"), "{ps:#?}");
    let rows3 = format!("{MINIMAL}\n[hardware]\nkeypad_layout = [\"1 2 3 A\"]\n");
    assert!(problems(&rows3)[0].message.contains("an array of 4 rows"));
}

#[test]
fn only_a_missing_file_falls_back_to_the_demo() {
    let dir = temp_dir("demo-fallback");
    let c = Config::load_or_demo(&dir.join("kassa.toml"), "http://127.0.0.1:9").unwrap();
    assert_eq!(c.origin, "demo");
    assert_eq!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .base_url
            .as_str(),
        "http://127.0.0.1:9/mcash/merchant/v1/"
    );
    std::fs::write(dir.join("kassa.toml"), "[terminal]\n").unwrap();
    let e = Config::load_or_demo(&dir.join("kassa.toml"), "http://127.0.0.1:9").unwrap_err();
    assert!(e.problems.iter().any(|p| p.key == "terminal.id"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_demo_config_points_at_the_simulator_and_is_valid() {
    let c = Config::demo("http://127.0.0.1:8700/");
    let m = c.providers.get::<McashSettings>("mcash").unwrap();
    assert_eq!(
        m.base_url.as_str(),
        "http://127.0.0.1:8700/mcash/merchant/v1/"
    );
    assert_eq!(m.merchant_id, mcash_demo::MERCHANT_ID);
    assert_eq!(m.user_id, mcash_demo::USER_ID);
    assert_eq!(m.secret.expose_secret(), mcash_demo::SECRET);
    assert_eq!(c.providers.enabled(), vec![ProviderId::new("mcash")]);
    let s = c.settings();
    assert!(SaleKey::new(&s.terminal_id, 1).is_ok());
    assert!(s.max_amount.is_positive());
    assert!(s.supervisor_pin.is_some());
    // The demo, written out as TOML, passes the same checks as a file.
    let text = format!(
        "[terminal]\nid = \"{}\"\ncurrency = \"{}\"\nmax_amount = \"{}\"\nsupervisor_pin_hash = \"{}\"\n\n[providers.mcash]\nbase_url = \"{}\"\nmerchant_id = \"{}\"\nuser_id = \"{}\"\nsecret = \"{}\"\npos_id = \"{}\"\n",
        s.terminal_id,
        s.currency,
        s.max_amount.to_decimal_string(),
        demo::SUPERVISOR_PIN_HASH,
        m.base_url,
        m.merchant_id,
        m.user_id,
        m.secret.expose_secret(),
        m.pos_id,
    );
    let again = load(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.warnings.is_empty(), "{:#?}", again.warnings);
    assert_eq!(again.terminal.max_amount, c.terminal.max_amount);
}

#[test]
fn each_demo_market_pays_in_its_currency_with_its_own_providers() {
    use super::market::{DemoError, MARKETS, providers_of};
    use crate::providers::registry::PROVIDERS;
    let no = Config::demo_market("NO", "http://127.0.0.1:8700/").unwrap();
    let plain = Config::demo("http://127.0.0.1:8700/");
    assert_eq!(no.providers.enabled(), plain.providers.enabled());
    assert_eq!(no.terminal.currency, Currency::NOK);
    assert_eq!(no.terminal.max_amount, plain.terminal.max_amount);
    for m in MARKETS {
        match Config::demo_market(m.code, "http://127.0.0.1:8700/") {
            Ok(c) => {
                assert_eq!(c.terminal.currency, m.currency, "{m}");
                assert_eq!(c.outbox.max_queued_amount.currency(), m.currency);
                let scale = 10i64.pow(u32::from(m.currency.exponent()));
                assert_eq!(
                    c.terminal.max_amount,
                    Money::from_minor(10_000 * scale, m.currency)
                );
                let ids = c.providers.enabled();
                assert!(!ids.is_empty(), "{m}");
                let want: Vec<ProviderId> = providers_of(m)
                    .iter()
                    .map(|e| ProviderId::new(e.id))
                    .collect();
                assert_eq!(ids, want, "{m}");
            }
            Err(DemoError::NotReady { market, ready, .. }) => {
                assert!(providers_of(m).is_empty(), "{m}");
                assert!(market.contains(m.code));
                assert!(ready.contains("no (Norway, NOK)"), "{ready}");
            }
            Err(e) => panic!("{m}: {e}"),
        }
    }
    // Every provider's demo names a market whose currency it can pay in.
    for e in PROVIDERS {
        if let Some(d) = &e.demo {
            let m = MARKETS.iter().find(|m| m.code == d.market);
            let m = m.unwrap_or_else(|| panic!("{} names unknown market {}", e.id, d.market));
            assert!(
                e.currencies.is_empty() || e.currencies.contains(&m.currency),
                "{}",
                e.id
            );
        }
    }
    let e = Config::demo_market("fr", "http://127.0.0.1:8700/").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("unknown demo market `fr`"), "{text}");
    for m in MARKETS {
        assert!(text.contains(&m.to_string()), "{text}");
    }
    assert!(text.contains("ly (Libya, LYD)"), "{text}");
}

#[test]
fn kassa_pay_without_a_config_opens_the_provider_own_market() {
    use super::market::{DemoError, market_for_provider};
    assert_eq!(market_for_provider("mcash", None).unwrap().code, "no");
    assert_eq!(
        market_for_provider("mcash", Some("no")).unwrap().currency,
        Currency::NOK
    );
    let e = market_for_provider("mcash", Some("ht")).unwrap_err();
    assert!(matches!(e, DemoError::ProviderElsewhere { .. }), "{e}");
    assert!(
        e.to_string().contains("its market is no (Norway, NOK)"),
        "{e}"
    );
    let e = market_for_provider("paypal", None).unwrap_err();
    assert!(
        e.to_string().contains("mcash, moncash, icash, ezcash, icg"),
        "{e}"
    );
    let e = market_for_provider("mcash", Some("zz")).unwrap_err();
    assert!(matches!(e, DemoError::UnknownMarket { .. }), "{e}");
    for entry in crate::providers::registry::PROVIDERS {
        match (&entry.demo, market_for_provider(entry.id, None)) {
            (Some(d), Ok(m)) => assert_eq!(m.code, d.market),
            (None, Err(DemoError::ProviderNotReady { provider, .. })) => {
                assert_eq!(provider, entry.name)
            }
            (_, other) => panic!("{}: {other:?}", entry.id),
        }
    }
}

#[test]
fn no_secret_reaches_debug_output_problems_or_the_check_report() {
    let dir = temp_dir("leak");
    std::fs::write(dir.join("pin-hash"), "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ\n").unwrap();
    std::fs::write(dir.join("key.pem"), SAMPLE_PEM).unwrap();
    std::fs::write(dir.join("pw"), "Pw-From-File-7731\n").unwrap();
    let cx = LoadContext {
        config_dir: dir.clone(),
        credentials_directory: None,
        state_directory: None,
    };
    let secrets = [
        "s3cr3t-value",
        "J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ",
        "tbtoken-9921",
        "Moncash-Client-Secret-55",
        "Pw-From-File-7731",
        "Ezcash-Consumer-88",
        "AgentPin-4242",
        "bHMXDYrlKioHTtJGeYQTMZsPu",
        "hunter2pass",
        "unterminated-secret-31",
    ];
    let good = format!(
        r#"{}
private_key_file = "key.pem"
testbed_token = "tbtoken-9921"

[providers.ezcash]
base_url = "https://ideabiz.lk/apicall/"
consumer_key = "ck"
consumer_secret = "Ezcash-Consumer-88"
username = "u"
password_file = "pw"
agent_alias = "IDEA_HUB"
agent_pin = "AgentPin-4242"
"#,
        MINIMAL
            .replace(
                "supervisor_pin_hash = \"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ\"",
                "supervisor_pin_hash_file = \"pin-hash\""
            )
            // eZ Cash pays in LKR only (mCASH in any currency).
            .replace("\"NOK\"", "\"LKR\"")
    );
    // MonCash pays in HTG only: a terminal of its own.
    let good_ht = in_market(
        "HTG",
        &[r#"
[providers.moncash]
base_url = "https://sandbox.moncashbutton.digicelgroup.com/Api/"
gateway_base_url = "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/"
client_id = "cid"
client_secret = "Moncash-Client-Secret-55"
"#],
    );
    let ht =
        Config::from_toml_str_in(&good_ht, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ht.providers
            .get::<MoncashSettings>("moncash")
            .unwrap()
            .client_secret
            .expose_secret(),
        "Moncash-Client-Secret-55"
    );
    let c = Config::from_toml_str_in(&good, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
    // The secrets were loaded...
    assert_eq!(
        c.providers
            .get::<EzcashSettings>("ezcash")
            .unwrap()
            .password
            .expose_secret(),
        "Pw-From-File-7731"
    );
    assert!(
        c.providers
            .get::<McashSettings>("mcash")
            .unwrap()
            .private_key_pem
            .is_some()
    );
    // ...and do not show.
    let mut shown = vec![
        format!("{c:?}"),
        format!("{:#?}", c),
        format!("{:?}", c.settings()),
        format!("{ht:?}"),
    ];
    shown.push(check_report(&Ok(c.warnings.clone())).0);

    // Broken configs that put secrets right next to the problems.
    let broken = [
        // secret of the wrong kind next to a bad currency
        good.replace("\"LKR\"", "\"XXX\"").replace(
            "agent_pin = \"AgentPin-4242\"",
            "agent_pin = \"AgentPin-4242\"\nagent_pin_file = \"pw\"",
        ),
        // a secret inside a URL
        good.replace(
            "https://ideabiz.lk/apicall/",
            "https://u:hunter2pass@ideabiz.lk/apicall/",
        ),
        // a syntax error on a line holding a secret
        good_ht.replace(
            "client_secret = \"Moncash-Client-Secret-55\"",
            "client_secret = \"unterminated-secret-31\nx",
        ),
        // a secret key with a typo: its name is reported, not its value
        good.replace("testbed_token =", "testbed_tokn ="),
        // a secret where a table is expected
        good.replace(
            "[providers.ezcash]",
            "[providers.ezcash]\nconsumer_secret_file = 5",
        ),
        // a hash that is not a hash
        good.replace(
            "supervisor_pin_hash_file = \"pin-hash\"",
            "supervisor_pin_hash = \"s3cr3t-value\"",
        ),
    ];
    for text in &broken {
        let err = Config::from_toml_str_in(text, "kassa.toml", &cx).unwrap_err();
        assert!(!err.problems.is_empty());
        shown.push(format!("{err}"));
        shown.push(format!("{err:?}"));
        shown.push(check_report(&Err(err)).0);
    }
    for out in &shown {
        for s in secrets {
            assert!(!out.contains(s), "secret {s:?} shown in:\n{out}");
        }
    }
    // The typo'd secret key is named, so the person can fix it.
    assert!(shown.iter().any(|o| o.contains("testbed_tokn")));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn closest_known_key_is_a_likely_typo_only() {
    let known = ["currency", "max_amount", "secret", "secret_file"];
    assert_eq!(closest("curency", &known), Some("currency"));
    assert_eq!(closest("max_ammount", &known), Some("max_amount"));
    assert_eq!(closest("secret_fil", &known), Some("secret_file"));
    assert_eq!(closest("colour", &known), None);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    let lines = LineIndex::new("a\nbb\n\nc");
    assert_eq!(
        [0, 1, 2, 4, 5, 6].map(|o| lines.line(o)),
        [1, 1, 2, 2, 3, 4]
    );
}
