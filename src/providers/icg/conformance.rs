//! iCheckGateway as a subject of the conformance kit ([`crate::providers::conformance`]).
//!
//! The secret in the kit's config is the merchant user's password, read through
//! `password_file`; the simulator is told to accept it (control command `user`) and gets the
//! kit's invoice, large enough for every sale of every check (`invoice`). iCG has a token: the
//! kit also checks its renewal. Every kit sale pays the same invoice, each with its own key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::LARGEST_MINOR;
use super::codes::CODES;
use super::config::IcgSettings;
use crate::config::Config;
use crate::core::sale::{Flow, InvoiceNumber};
use crate::money::{Currency, Money};
use crate::providers::conformance::scripted::PREFIX;
use crate::providers::conformance::{
    Built, Canaries, Code, ConformanceSubject, Script, StatusKind, TokenAuth,
};
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

pub struct IcgSubject;

const CLIENT_ID: &str = "kit-audience";
const USERNAME: &str = "kit@merchant.example";
const PASSWORD_FILE: &str = "icg-password";
/// The kit's invoice at the simulator and at the scripted server.
pub const KIT_INVOICE: &str = "900001";

fn json_answer(status: u16, v: Value) -> Answer {
    Answer::new(status, "application/json;charset=utf-8", v.to_string())
}

impl ConformanceSubject for IcgSubject {
    const ID: &'static str = "icg";

    fn config_table(base_url: &str, _canaries: &Canaries) -> String {
        let base = base_url.trim_end_matches('/');
        format!(
            "[providers.icg]\nauth_url = \"{base}/auth/\"\nprocess_base_url = \"{base}/process/\"\n\
             client_id = \"{CLIENT_ID}\"\nusername = \"{USERNAME}\"\npassword_file = \"{PASSWORD_FILE}\"\n"
        )
    }

    fn files(canaries: &Canaries) -> Vec<(String, String)> {
        vec![(PASSWORD_FILE.to_string(), format!("{}\n", canaries.secret))]
    }

    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)> {
        // Ten of the largest sales fit, and every smaller one the kit makes.
        let amount = Money::from_minor(LARGEST_MINOR * 10, Currency::USD);
        vec![
            (
                "user".to_string(),
                json!({"client_id": CLIENT_ID, "username": USERNAME, "password": canaries.secret}),
            ),
            (
                "invoice".to_string(),
                json!({"number": KIT_INVOICE, "amount": amount.to_decimal_string(),
                       "description": "conformance kit"}),
            ),
        ]
    }

    fn secret_texts(canaries: &Canaries) -> Vec<String> {
        vec![canaries.secret.clone()]
    }

    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String> {
        let s = IcgSettings::of(config).ok_or("the config has no [providers.icg]")?;
        let provider = super::config::provider(s, config, http)?;
        let debug = format!("{provider:?}");
        Ok(Built {
            provider: Arc::new(provider),
            debug,
        })
    }

    fn flow() -> Flow {
        match InvoiceNumber::parse(KIT_INVOICE) {
            Ok(number) => Flow::Invoice { number },
            Err(e) => panic!("the kit's invoice number: {e}"),
        }
    }

    fn sim_currencies() -> Vec<Currency> {
        vec![Currency::USD]
    }

    fn payments_at_sim(counters: &Value) -> u64 {
        counters["payments"].as_u64().unwrap_or(0)
    }

    fn auth_rejections(counters: &Value) -> u64 {
        counters["unauthorized"].as_u64().unwrap_or(0)
    }

    fn token() -> Option<TokenAuth> {
        Some(TokenAuth {
            lifetime_seconds: crate::sim::icg::DEFAULT_TOKEN_SECONDS,
            token_requests: |c| c["token_requests"].as_u64().unwrap_or(0),
        })
    }

    fn payment_command() -> Option<&'static str> {
        Some("payment")
    }

    fn codes() -> &'static [Code] {
        CODES
    }

    /// No values are documented; the client's rule: the listed words compared without case,
    /// spaces or punctuation mean what they mean listed, anything else waits.
    fn documented_class(code: &str) -> Option<StatusKind> {
        let w: String = code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        match w.as_str() {
            "approved" => Some(StatusKind::Approved),
            "declined" | "error" => Some(StatusKind::Declined),
            _ => Some(StatusKind::Pending),
        }
    }

    fn script(status_code: &str) -> Script {
        let paid = Arc::new(AtomicBool::new(false));
        let code = status_code.to_string();
        Arc::new(move |r: &Request| {
            let path = r.target.strip_prefix(PREFIX).unwrap_or(&r.target);
            let path = path.split('?').next().unwrap_or(path);
            let invoice = format!("process/Invoices/{KIT_INVOICE}");
            let txn = json!({
                "TransactionId": "7000000001", "Status": code, "StatusMessage": "kit",
                "ConfirmationCode": "C123456789", "ApprovalCode": "654321",
                "ReferenceNumber": "R1", "TransactionAmount": 12.50,
                "TransactionDate": "2026-12-02T01:00:00Z",
            });
            match (r.method.as_str(), path) {
                ("POST", "auth/Login") => json_answer(
                    200,
                    json!({"access_token": "kit-token", "token_type": "bearer", "expires_in": 86399}),
                ),
                ("GET", p) if p == invoice => {
                    let mut t = txn.clone();
                    t["Description"] = json!("kit-000042");
                    let (status, txns, due) = if paid.load(Ordering::SeqCst) {
                        ("Partially Paid", vec![t], 99_987.50)
                    } else {
                        ("Open", vec![], 100_000.00)
                    };
                    json_answer(
                        200,
                        json!({"Id": KIT_INVOICE, "Amount": 100000.00, "AmountPaid": 0,
                               "AmountDue": due, "Status": status, "Transactions": txns}),
                    )
                }
                ("POST", p) if p == format!("{invoice}/Pay") => {
                    paid.store(true, Ordering::SeqCst);
                    json_answer(200, txn)
                }
                _ => json_answer(404, json!({"Message": "No HTTP resource was found."})),
            }
        })
    }

    fn error_answer(code: &str) -> Answer {
        match code {
            "400" => json_answer(
                400,
                json!({"Status": "Error", "StatusMessage": "The request is invalid.",
                       "ErrorData": {"Message": "The request is invalid."}}),
            ),
            "404" => json_answer(404, json!({"Message": "Invoice 900001 was not found."})),
            "502" | "503" => Answer::new(
                code.parse().unwrap_or(502),
                "text/html",
                "<html><h1>Bad Gateway</h1></html>",
            ),
            other => json_answer(
                other.parse().unwrap_or(500),
                json!({"Message": "An error has occurred."}),
            ),
        }
    }

    fn to_wire(amount: Money) -> String {
        amount.to_json_number().get().to_string()
    }

    fn from_wire(text: &str, currency: Currency) -> Result<Money, String> {
        super::wire::money_from_json(text, currency).map_err(|e| e.to_string())
    }

    /// The document names no limit: the client's own ([`LARGEST_MINOR`]).
    fn largest_amount(currency: Currency) -> Money {
        Money::from_minor(LARGEST_MINOR, currency)
    }
}
