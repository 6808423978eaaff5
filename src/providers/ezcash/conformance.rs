//! eZ Cash as a subject of the conformance kit ([`crate::providers::conformance`]).
//!
//! Secrets in the kit's config: the ideabiz consumer secret (inline), the ideabiz password
//! (through `password_file`) and the agent PIN (through `agent_pin_file`, so the provider is
//! unlocked by its config). The PIN is the kit's PIN canary behind a word: a digits-only PIN
//! could occur by chance in the journal's sale keys, which carry the same run digits.
//!
//! The simulator is set up to accept these credentials and a KIT agent, and its minimum
//! amount is lowered to one minor unit: the kit starts sales of LKR 0.01 and LKR 5.00 to check
//! amounts and auth, which the default minimum (LKR 10.00, the document's) would refuse with
//! 17 before they reach what the kit checks.
//!
//! The kit does not say which request an error answer replaces (a status query's or a
//! submit's), so the error answer carries both wrappers; each call reads its own.

use std::sync::Arc;

use serde_json::{Value, json};

use super::codes::CODES;
use super::config::EzcashSettings;
use super::wire::{Loose, amount_text};
use crate::config::Config;
use crate::core::sale::{Flow, Msisdn};
use crate::money::{Currency, Money};
use crate::providers::conformance::{
    Built, Canaries, Code, ConformanceSubject, Script, StatusKind, TokenAuth,
};
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

pub struct EzcashSubject;

const CONSUMER: &str = "kit-consumer";
const USER: &str = "kit-ideabiz-user";
const AGENT: &str = "KIT_AGENT";
const PHONE: &str = "769983684";
const PASSWORD_FILE: &str = "ezcash-password";
const PIN_FILE: &str = "ezcash-agent-pin";

fn pin(canaries: &Canaries) -> String {
    format!("kitPin{}", canaries.pin)
}

fn password(canaries: &Canaries) -> String {
    format!("{}Pw", canaries.token)
}

/// One transaction `return` as the document writes it.
fn tx_return(status: Value) -> Value {
    json!({
        "description": "Transaction is accepted", "netAmount": 12.5, "ownerAlias": AGENT,
        "ownernotificationSend": "true", "receivingCommission": 0, "recipientAlias": 769983684u64,
        "requestId": format!("{AGENT}_kit-000042"), "responseId": 22975, "serviceCharge": 0,
        "status": status, "subscribernotificationSend": "true", "txAmount": 12.5,
        "txType": "TX_AOTC", "eZCashRefId": "20150715044527",
    })
}

/// A code as the answer's `status`: a number when it is one, else the word as a string.
fn status_value(code: &str) -> Value {
    code.parse::<u64>()
        .map_or_else(|_| json!(code), |n| json!(n))
}

impl ConformanceSubject for EzcashSubject {
    const ID: &'static str = "ezcash";

    fn config_table(base_url: &str, canaries: &Canaries) -> String {
        format!(
            "[providers.ezcash]\nbase_url = \"{base_url}\"\nconsumer_key = \"{CONSUMER}\"\n\
             consumer_secret = \"{secret}\"\nusername = \"{USER}\"\n\
             password_file = \"{PASSWORD_FILE}\"\nagent_alias = \"{AGENT}\"\n\
             agent_pin_file = \"{PIN_FILE}\"\n",
            secret = canaries.secret,
        )
    }

    fn files(canaries: &Canaries) -> Vec<(String, String)> {
        vec![
            (
                PASSWORD_FILE.to_string(),
                format!("{}\n", password(canaries)),
            ),
            (PIN_FILE.to_string(), format!("{}\n", pin(canaries))),
        ]
    }

    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)> {
        vec![
            (
                "credentials".to_string(),
                json!({"consumer_key": CONSUMER, "consumer_secret": canaries.secret,
                       "username": USER, "password": password(canaries)}),
            ),
            (
                "agent".to_string(),
                json!({"alias": AGENT, "pin": pin(canaries)}),
            ),
            ("limits".to_string(), json!({"min": "0.01"})),
        ]
    }

    fn secret_texts(canaries: &Canaries) -> Vec<String> {
        vec![canaries.secret.clone(), password(canaries), pin(canaries)]
    }

    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String> {
        let s = EzcashSettings::of(config).ok_or("the config has no [providers.ezcash]")?;
        let provider = super::config::provider(s, config, http)?;
        let debug = format!("{provider:?}");
        Ok(Built {
            provider: Arc::new(provider),
            debug,
        })
    }

    fn flow() -> Flow {
        Flow::Push {
            phone: Msisdn::parse(PHONE).expect("the kit's phone number"),
        }
    }

    fn sim_currencies() -> Vec<Currency> {
        vec![Currency::LKR]
    }

    fn payments_at_sim(counters: &Value) -> u64 {
        counters["transactions"].as_u64().unwrap_or(0)
    }

    fn auth_rejections(counters: &Value) -> u64 {
        counters["unauthorized"].as_u64().unwrap_or(0)
    }

    fn token() -> Option<TokenAuth> {
        Some(TokenAuth {
            lifetime_seconds: 3600,
            token_requests: |c| c["token_requests"].as_u64().unwrap_or(0),
        })
    }

    fn codes() -> &'static [Code] {
        CODES
    }

    /// The document gives no rule for statuses it does not list.
    fn documented_class(_code: &str) -> Option<StatusKind> {
        None
    }

    fn script(status_code: &str) -> Script {
        let code = status_value(status_code);
        Arc::new(move |r: &Request| {
            let path = r.target.split('?').next().unwrap_or(&r.target);
            if path.ends_with("/token") {
                return Answer::json(
                    200,
                    json!({"scope": "PRODUCTION", "token_type": "bearer", "expires_in": 3600,
                           "refresh_token": "kit-refresh", "access_token": "kit-access"}),
                );
            }
            if path.ends_with("/submitTransactionRequest") {
                return Answer::json(
                    200,
                    json!({"submitTransactionRequestResponse": {"return": tx_return(json!(10))}}),
                );
            }
            if path.ends_with("/transactionStatusViaRequestId") {
                let mut ret = tx_return(code.clone());
                ret["description"] = json!("as scripted");
                return Answer::json(
                    200,
                    json!({"getTransactionStatusViaRequestIdResponse": {"return": ret}}),
                );
            }
            Answer::new(404, "text/plain", "not found")
        })
    }

    fn error_answer(code: &str) -> Answer {
        if code == "502" {
            return Answer::new(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>");
        }
        let ret = json!({"status": status_value(code), "description": "as scripted",
                         "requestId": format!("{AGENT}_kit-000042")});
        Answer::json(
            200,
            json!({"submitTransactionRequestResponse": {"return": ret.clone()},
                   "getTransactionStatusViaRequestIdResponse": {"return": ret}}),
        )
    }

    fn to_wire(amount: Money) -> String {
        serde_json::to_string(&amount_text(amount)).unwrap_or_default()
    }

    fn from_wire(text: &str, currency: Currency) -> Result<Money, String> {
        let loose: Loose = serde_json::from_str(text).map_err(|e| e.to_string())?;
        loose.money(currency).map_err(|e| e.to_string())
    }

    /// The document sets no maximum: the simulator's per-transaction cap (LKR 100,000.00), in
    /// minor units of any currency.
    fn largest_amount(currency: Currency) -> Money {
        Money::from_minor(10_000_000, currency)
    }
}
