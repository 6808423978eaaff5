//! mCASH as a subject of the conformance kit ([`crate::providers::conformance`]).
//!
//! Secrets in the kit's config: the user's SECRET (inline), the testbed token (through
//! `testbed_token_file`) and a KEY-level private key (through `private_key_file`; the public
//! sample key pair of `testdata/mcash-rsa`, so its PEM lines are the canaries). mCASH has no
//! token: auth is static, so the kit checks refused credentials only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::codes::CODES;
use super::config::McashSettings;
use super::wire::WireMoney;
use crate::config::Config;
use crate::core::sale::Flow;
use crate::money::{Currency, Money};
use crate::providers::conformance::scripted::PREFIX;
use crate::providers::conformance::{
    Built, Canaries, Code, ConformanceSubject, Script, StatusKind,
};
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

pub struct McashSubject;

const USER: &str = "kit-user";
const POS: &str = "kit-pos";
const TID: &str = "KITTID1";
const KEY_FILE: &str = "mcash-key.pem";
const TESTBED_FILE: &str = "mcash-testbed-token";

fn vector(file: &str) -> String {
    let path = format!(
        "{}/../shared/providers/testdata/mcash-rsa/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("test vector {path}: {e}"))
}

/// The status word the document pairs with a code's first digit.
fn status_word(code: u32) -> Option<&'static str> {
    match code / 1000 {
        1 => Some("pending"),
        2 => Some("ok"),
        3 => Some("auth"),
        4 | 5 => Some("fail"),
        _ => None,
    }
}

fn error_body(status: u16, error_type: &str, description: &str) -> Answer {
    Answer::json(
        status,
        json!({"error_type": error_type, "error_description": description}),
    )
}

impl ConformanceSubject for McashSubject {
    const ID: &'static str = "mcash";

    fn config_table(base_url: &str, canaries: &Canaries) -> String {
        format!(
            "[providers.mcash]\nbase_url = \"{base_url}\"\nmerchant_id = \"{merchant}\"\n\
             user_id = \"{USER}\"\nsecret = \"{secret}\"\nprivate_key_file = \"{KEY_FILE}\"\n\
             testbed_token_file = \"{TESTBED_FILE}\"\npos_id = \"{POS}\"\npos_name = \"Kit till\"\n",
            merchant = crate::sim::mcash::DEMO_MERCHANT_ID,
            secret = canaries.secret,
        )
    }

    fn files(canaries: &Canaries) -> Vec<(String, String)> {
        vec![
            (KEY_FILE.to_string(), vector("private.pem")),
            (TESTBED_FILE.to_string(), format!("{}\n", canaries.token)),
        ]
    }

    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)> {
        vec![(
            "user".to_string(),
            json!({"id": USER, "secret": canaries.secret, "pubkey": vector("public.pem"),
                   "roles": ["superuser"]}),
        )]
    }

    fn secret_texts(canaries: &Canaries) -> Vec<String> {
        let mut texts = vec![canaries.secret.clone(), canaries.token.clone()];
        texts.extend(
            vector("private.pem")
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 24)
                .map(str::to_string),
        );
        texts
    }

    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String> {
        let m = McashSettings::of(config).ok_or("the config has no [providers.mcash]")?;
        let provider = super::config::provider(m, config, http)?;
        let debug = format!("{provider:?}");
        Ok(Built {
            provider: Arc::new(provider),
            debug,
        })
    }

    fn flow() -> Flow {
        Flow::Qr
    }

    fn sim_currencies() -> Vec<Currency> {
        vec![Currency::NOK, Currency::LYD]
    }

    fn payments_at_sim(counters: &Value) -> u64 {
        counters["payment_requests_created"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    }

    fn auth_rejections(counters: &Value) -> u64 {
        counters["unauthorized"].as_u64().unwrap_or(0)
    }

    fn codes() -> &'static [Code] {
        CODES
    }

    /// "1xxx and 3xxx being temporary states, 2xxx final successful outcomes, 4xxx and 5xxx
    /// final failure outcomes" (mcash.txt, after the table).
    fn documented_class(code: &str) -> Option<StatusKind> {
        let n: u32 = code.parse().ok()?;
        match n {
            1000..=1999 => Some(StatusKind::Pending),
            2000..=2999 => Some(StatusKind::Approved),
            3000..=3999 => Some(StatusKind::Authorized),
            4000..=5999 => Some(StatusKind::Declined),
            _ => None,
        }
    }

    fn script(status_code: &str) -> Script {
        let creates = AtomicUsize::new(0);
        let code = status_code.to_string();
        Arc::new(move |r: &Request| {
            let path = r.target.strip_prefix(PREFIX).unwrap_or(&r.target);
            let path = path.split('?').next().unwrap_or(path);
            match (r.method.as_str(), path) {
                ("POST", "pos/") => Answer::json(201, json!({ "id": POS }))
                    .with_header("Location", &format!("{PREFIX}pos/{POS}/")),
                ("PUT", p) if p == format!("pos/{POS}/") => Answer::empty(204),
                // One shortlink, of another POS: the client must make its own.
                ("GET", "shortlink/") => Answer::json(
                    200,
                    json!({"uris": [format!("{PREFIX}shortlink/other/")], "next": null, "prev": null}),
                ),
                ("GET", "shortlink/other/") => {
                    Answer::json(200, json!({"id": "other", "serial_number": "till-9"}))
                }
                ("POST", "shortlink/") => Answer::json(201, json!({"id": "kitSL"}))
                    .with_header("Location", &format!("{PREFIX}shortlink/kitSL/")),
                ("POST", "payment_request/") => {
                    let status = if creates.fetch_add(1, Ordering::SeqCst) == 0 {
                        201
                    } else {
                        200
                    };
                    Answer::json(status, json!({"id": TID, "uri": null}))
                        .with_header("Location", &format!("{PREFIX}payment_request/{TID}/"))
                }
                ("GET", p) if p == format!("payment_request/{TID}/outcome/") => {
                    let mut outcome = json!({
                        "currency": "NOK", "amount": "12.50", "pos_id": POS,
                        "pos_tid": "kit-000042", "tid": TID,
                    });
                    match code.parse::<u32>() {
                        Ok(n) => {
                            outcome["status_code"] = json!(n);
                            if let Some(word) = status_word(n) {
                                outcome["status"] = json!(word);
                            }
                        }
                        Err(_) => outcome["status"] = json!(code),
                    }
                    Answer::json(200, outcome)
                }
                ("PUT", p) if p == format!("payment_request/{TID}/") => Answer::empty(204),
                _ => error_body(404, "not_found", "no such resource"),
            }
        })
    }

    fn error_answer(code: &str) -> Answer {
        match code {
            "400" => Answer::json(
                400,
                json!({"error_type": "validation_error", "error_description": "invalid input",
                       "error_details": {"amount": ["Must be a positive amount."]}}),
            ),
            "401" => error_body(401, "authentication_error", "credentials refused"),
            "403" => error_body(403, "permission_denied", "role not permitted"),
            "404" => error_body(404, "not_found", "tid not found"),
            "409" => error_body(409, "conflict", "same pos_id and pos_tid, other request"),
            "502" => Answer::new(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"),
            other => {
                let status = other.parse().unwrap_or(500);
                error_body(status, "server_error", "internal error")
            }
        }
    }

    fn to_wire(amount: Money) -> String {
        serde_json::to_string(&WireMoney::from_money(amount)).unwrap_or_default()
    }

    fn from_wire(text: &str, currency: Currency) -> Result<Money, String> {
        let wire: WireMoney = serde_json::from_str(text).map_err(|e| e.to_string())?;
        wire.to_money(currency).map_err(|e| e.to_string())
    }

    /// The document sets no upper bound: the largest amount the terminal can hold.
    fn largest_amount(currency: Currency) -> Money {
        Money::from_minor(i64::MAX, currency)
    }
}
