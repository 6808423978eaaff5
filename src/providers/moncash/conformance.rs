//! MonCash as a subject of the conformance kit ([`crate::providers::conformance`]).
//!
//! Secrets in the kit's config: the client secret, inline (MonCash has no other secret, and the
//! kit breaks the config around an inline one; `client_secret_file` goes through the common
//! reader that mCASH's kit run covers). MonCash has a token (59 s): the kit also checks that it
//! is renewed once under concurrent calls.

use std::sync::Arc;

use serde_json::{Value, json};

use super::codes::CODES;
use super::config::MoncashSettings;
use super::wire::WireAmount;
use crate::config::Config;
use crate::core::sale::Flow;
use crate::money::{Currency, Money};
use crate::providers::conformance::scripted::PREFIX;
use crate::providers::conformance::{
    Built, Canaries, Code, ConformanceSubject, Script, StatusKind, TokenAuth,
};
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

pub struct MoncashSubject;

const CLIENT: &str = "kit-client";

/// The gateway root beside a REST root (`.../Api/` -> `.../Moncash-middleware/`).
fn gateway(base_url: &str) -> String {
    match base_url.strip_suffix("Api/") {
        Some(root) => format!("{root}Moncash-middleware/"),
        None => format!("{base_url}gateway/"),
    }
}

fn spring(status: u16, error: &str, message: &str, path: &str) -> Answer {
    Answer::json(
        status,
        json!({"path": path, "error": error, "message": message,
               "timestamp": 1_732_154_199_606_u64, "status": status}),
    )
}

impl ConformanceSubject for MoncashSubject {
    const ID: &'static str = "moncash";

    fn config_table(base_url: &str, canaries: &Canaries) -> String {
        format!(
            "[providers.moncash]\nbase_url = \"{base_url}\"\ngateway_base_url = \"{}\"\n\
             client_id = \"{CLIENT}\"\nclient_secret = \"{}\"\n",
            gateway(base_url),
            canaries.secret
        )
    }

    fn files(_canaries: &Canaries) -> Vec<(String, String)> {
        Vec::new()
    }

    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)> {
        vec![(
            "client".to_string(),
            json!({"client_id": CLIENT, "client_secret": canaries.secret}),
        )]
    }

    fn secret_texts(canaries: &Canaries) -> Vec<String> {
        vec![canaries.secret.clone()]
    }

    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String> {
        let m = MoncashSettings::of(config).ok_or("the config has no [providers.moncash]")?;
        let provider = super::config::provider(m, http)?;
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
        vec![Currency::HTG]
    }

    fn payments_at_sim(counters: &Value) -> u64 {
        counters["orders_created"].as_u64().unwrap_or(0)
    }

    fn auth_rejections(counters: &Value) -> u64 {
        counters["unauthorized"].as_u64().unwrap_or(0)
    }

    fn token() -> Option<TokenAuth> {
        Some(TokenAuth {
            lifetime_seconds: 59,
            token_requests: |c| c["tokens_issued"].as_u64().unwrap_or(0),
        })
    }

    fn codes() -> &'static [Code] {
        CODES
    }

    /// The document lists no other outcome: nothing else may read as paid.
    fn documented_class(_code: &str) -> Option<StatusKind> {
        None
    }

    fn script(status_code: &str) -> Script {
        let code = status_code.to_string();
        Arc::new(move |r: &Request| {
            let path = r.target.strip_prefix(PREFIX).unwrap_or(&r.target);
            let path = path.split('?').next().unwrap_or(path);
            let payment = |what: &str| {
                if code == "404" {
                    spring(404, "Not Found", "Can't find this transaction", what)
                } else {
                    Answer::json(
                        200,
                        json!({"path": what, "payment": {"reference": "kit-000042",
                               "transaction_id": "12874821", "cost": 12.5, "message": code,
                               "payer": "50937007294"}, "timestamp": 1_560_029_360_970_u64,
                               "status": 200}),
                    )
                }
            };
            match (r.method.as_str(), path) {
                ("POST", "oauth/token") => Answer::json(
                    200,
                    json!({"access_token": "kit-access-token", "token_type": "bearer",
                           "expires_in": 59, "scope": "read,write", "jti": "j"}),
                ),
                ("POST", "v1/CreatePayment") => Answer::json(
                    202,
                    json!({"path": "/v1/CreatePayment", "payment_token": {
                               "expired": "2099-05-24 12:46:55:107",
                               "created": "2099-05-24 12:36:55:107", "token": "kitPaymentToken"},
                           "timestamp": 1_558_715_815_122_u64, "status": 202, "mode": "sandbox"}),
                ),
                ("POST", "v1/RetrieveOrderPayment") => payment("/v1/RetrieveOrderPayment"),
                ("POST", "v1/RetrieveTransactionPayment") => {
                    payment("/v1/RetrieveTransactionPayment")
                }
                ("POST", "v1/PrefundedTransactionStatus") => spring(
                    404,
                    "Not Found",
                    "Can't find this transaction",
                    "/Api/v1/PrefundedTransactionStatus",
                ),
                ("POST", "v1/Transfert") => Answer::json(
                    200,
                    json!({"path": "/Api/v1/Transfert", "transfer": {"transaction_id": "T9",
                           "amount": 12.5, "receiver": "50937007294", "message": "successful",
                           "desc": "Refund"}, "timestamp": 1_589_927_614_388_u64, "status": 200}),
                ),
                ("GET", "v1/PrefundedBalance") => Answer::json(
                    200,
                    json!({"path": "/Api/v1/PrefundedBalance",
                           "balance": {"balance": 1000.5, "message": "successful"},
                           "timestamp": 1, "status": 200}),
                ),
                _ => spring(404, "Not Found", "No message available", path),
            }
        })
    }

    fn error_answer(code: &str) -> Answer {
        match code {
            "400" => Answer::json(400, json!({"message": "The amount is incorrect"})),
            "401" => spring(
                401,
                "Unauthorized",
                "Bad credentials",
                "/Api/v1/CreatePayment",
            ),
            "403" => spring(
                403,
                "Forbidden",
                "Maximum Account Balance",
                "/Api/v1/Transfert",
            ),
            "502" => Answer::new(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"),
            other => {
                let status = other.parse().unwrap_or(500);
                spring(
                    status,
                    "Internal Server Error",
                    "error",
                    "/Api/v1/CreatePayment",
                )
            }
        }
    }

    fn to_wire(amount: Money) -> String {
        serde_json::to_string(&WireAmount::from_money(amount)).unwrap_or_default()
    }

    fn from_wire(text: &str, currency: Currency) -> Result<Money, String> {
        let wire: WireAmount = serde_json::from_str(text).map_err(|e| e.to_string())?;
        wire.to_money_in(currency).map_err(|e| e.to_string())
    }

    /// The document sets no upper bound: the largest amount the terminal can hold.
    fn largest_amount(currency: Currency) -> Money {
        Money::from_minor(i64::MAX, currency)
    }
}
