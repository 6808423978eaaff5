//! iCash as a subject of the conformance kit ([`crate::providers::conformance`]).
//!
//! The kit's sales are QR sales (iCash's default flow): a start fetches the payment QR, which
//! the simulator counts as a payment request (`payment_requests`), so a start whose answer is
//! dropped after commit is in doubt and its recovery (the same QR again) finds it. The secret
//! is the merchant's password (inline: the kit breaks the config text around it); the token
//! is the OWIN bearer token (14 days at the simulator's clock).

use std::sync::Arc;

use serde_json::{Value, json};

use super::codes::CODES;
use super::config::{IcashSettings, demo};
use crate::config::Config;
use crate::core::sale::Flow;
use crate::money::{Currency, Money};
use crate::providers::conformance::scripted::{PREFIX, amount};
use crate::providers::conformance::{
    Built, Canaries, Code, ConformanceSubject, Script, StatusKind, TokenAuth,
};
use crate::providers::http::HttpConfig;
use crate::providers::icash::wire;
use crate::providers::test_server::{Answer, Request};

pub struct IcashSubject;

fn message(status: u16, text: &str) -> Answer {
    Answer::new(
        status,
        "application/json; charset=utf-8",
        json!({ "Message": text }).to_string(),
    )
}

/// One statement entry as iCash writes it, amounts as exact number tokens.
fn row(id: u64, credit: &str, debit: &str, at: time::OffsetDateTime, op_type: i64) -> String {
    format!(
        "{{\"debt\":{debit},\"crdit\":{credit},\"id\":{id},\"transeDate\":\"{}\",\
         \"desc\":\"دفع بواسطة رمز QR\",\"note\":\"\",\"sellerDesc\":\"\",\"opning\":0,\
         \"closing\":{credit},\"opType\":{op_type},\"secondParty\":\"1000103943\",\
         \"secondPartyAccountId\":\"171\"}}",
        wire::format_statement_date(at)
    )
}

impl ConformanceSubject for IcashSubject {
    const ID: &'static str = "icash";

    fn config_table(base_url: &str, canaries: &Canaries) -> String {
        format!(
            "[providers.icash]\nbase_url = \"{base_url}\"\nusername = \"{user}\"\n\
             password = \"{password}\"\ncard_number = \"{card}\"\nshop_id = {shop}\n",
            password = canaries.secret,
            user = demo::USERNAME,
            card = demo::CARD,
            shop = demo::SHOP,
        )
    }

    /// The one secret is inline: the kit's broken-config check needs it in the text.
    fn files(_canaries: &Canaries) -> Vec<(String, String)> {
        Vec::new()
    }

    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)> {
        vec![(
            "merchant".to_string(),
            json!({ "password": canaries.secret }),
        )]
    }

    fn secret_texts(canaries: &Canaries) -> Vec<String> {
        vec![canaries.secret.clone()]
    }

    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String> {
        let s = IcashSettings::of(config).ok_or("the config has no [providers.icash]")?;
        let provider = super::config::provider(s, http)?;
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
        vec![Currency::LYD]
    }

    fn payments_at_sim(counters: &Value) -> u64 {
        counters["payment_requests"].as_u64().unwrap_or(0)
    }

    fn auth_rejections(counters: &Value) -> u64 {
        counters["unauthorized"].as_u64().unwrap_or(0)
    }

    fn token() -> Option<TokenAuth> {
        Some(TokenAuth {
            lifetime_seconds: 1_209_599,
            token_requests: |c| c["token_requests"].as_u64().unwrap_or(0),
        })
    }

    fn codes() -> &'static [Code] {
        CODES
    }

    /// The document lists no codes: an unlisted reading must never be paid.
    fn documented_class(_code: &str) -> Option<StatusKind> {
        None
    }

    fn script(status_code: &str) -> Script {
        let code = status_code.to_string();
        let png = crate::sim::icash::qr_png("ICASH|7121234567|10|1.25", 4).unwrap_or_default();
        Arc::new(move |r: &Request| {
            let path = r.target.strip_prefix(PREFIX).unwrap_or(&r.target);
            let path = path.split('?').next().unwrap_or(path).to_ascii_lowercase();
            let now = time::OffsetDateTime::now_utc();
            match (r.method.as_str(), path.as_str()) {
                ("POST", "token") => Answer::json(
                    200,
                    json!({"access_token": "kit-access-token", "token_type": "bearer",
                           "expires_in": 1_209_599, "userName": demo::USERNAME,
                           ".issued": wire::format_rfc1123(now),
                           ".expires": wire::format_rfc1123(now + time::Duration::days(14))}),
                ),
                ("GET", "api/merchant/generatepaymentqr") => {
                    Answer::new(200, "image/png", png.clone())
                }
                ("GET", "api/icashaccount/getstatement") => {
                    let a = amount::<IcashSubject>().to_decimal_string();
                    let later = now + time::Duration::seconds(1);
                    let rows = match code.as_str() {
                        "credit" => vec![row(424_242, &a, "0", later, 21)],
                        "none" => vec![],
                        "topup" => vec![row(424_243, &a, "0", later, 15)],
                        "debit" => vec![row(424_244, "0", &a, later, -1)],
                        "early" => vec![row(424_245, &a, "0", now - time::Duration::hours(1), 21)],
                        other => {
                            let op = other.parse::<i64>().unwrap_or(0);
                            vec![row(424_246, "1.249", "0", later, op)]
                        }
                    };
                    Answer::new(
                        200,
                        "application/json; charset=utf-8",
                        format!(
                            "{{\"CurrentBalance\":19,\"Statement\":[{}]}}",
                            rows.join(",")
                        ),
                    )
                }
                ("POST", "api/icashaccount/transfermoney" | "api/icashaccount/payinvoice") => {
                    Answer::json(
                        200,
                        json!({"OperationReferenceNumber": 110_076,
                               "DateTime": "2019-12-03T02:15:31.2588197+00:00"}),
                    )
                }
                ("POST", "api/merchant/cancustomerpurchase") => Answer::json(200, json!(true)),
                _ => message(
                    404,
                    "No HTTP resource was found that matches the request URI.",
                ),
            }
        })
    }

    fn error_answer(code: &str) -> Answer {
        match code {
            "400" => message(400, "The request is invalid."),
            "404" => message(
                404,
                "No HTTP resource was found that matches the request URI.",
            ),
            "500" => message(500, "An error has occurred."),
            "502" => Answer::new(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"),
            "503" => Answer::new(
                503,
                "text/html",
                "<html><body><h1>Service Unavailable</h1></body></html>",
            ),
            other => message(other.parse().unwrap_or(500), "An error has occurred."),
        }
    }

    /// The form body's text: the exact decimal with the currency's decimals.
    fn to_wire(amount: Money) -> String {
        wire::form_amount(amount)
    }

    fn from_wire(text: &str, currency: Currency) -> Result<Money, String> {
        Money::parse_wire_str(text, currency).map_err(|e| e.to_string())
    }

    /// The document sets no limit; a billion dinars less a dirham is far beyond any sale.
    fn largest_amount(currency: Currency) -> Money {
        Money::from_minor(999_999_999_999, currency)
    }
}
