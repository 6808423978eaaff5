//! MonCash's requests and answers as `moncash.txt` and NOTES.md give them; money and dates are
//! converted here and nowhere else.
//!
//! Amounts are JSON numbers both ways. Out: the exact decimal text of the amount (`250.00`),
//! never a float. In: the number's own source text (serde_json's `RawValue`), read as a decimal
//! and rounded half-up to the cent. Decided: a tail beyond the cent (`250.00000000001`,
//! `29814021.179999999701976776123046875`) is the server printing a binary float, not money, so
//! it is rounded away; the round-trip of every amount the terminal sends is exact (the kit checks
//! it). A string holding a number is read the same way, since clients and servers were seen to
//! drift between the two.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::haiti;
use crate::money::{Currency, Money, MoneyError};

/// The currency MonCash pays in.
pub const CURRENCY: Currency = Currency::HTG;

/// An amount as it crosses the wire: the JSON number's text.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WireAmount(pub Box<RawValue>);

impl WireAmount {
    pub fn from_money(m: Money) -> WireAmount {
        WireAmount(m.to_json_number())
    }

    /// The amount, rounded half-up to HTG's cents (see the module comment).
    pub fn to_money(&self) -> Result<Money, MoneyError> {
        self.to_money_in(CURRENCY)
    }

    /// The same in another currency (the conformance kit's round trips).
    pub fn to_money_in(&self, currency: Currency) -> Result<Money, MoneyError> {
        let text = self.0.get().trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        Money::parse_json_number(text.trim(), currency)
    }
}

/// A field MonCash writes as a string or as a number (`reference`, `transaction_id`, `payer`):
/// kept as its text.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Text::deserialize(d)? {
        Text::S(s) => s,
        Text::N(n) => n.to_string(),
    })
}

/// `POST /oauth/token` answer.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; 59 at MonCash.
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/CreatePayment` body.
#[derive(Debug, Serialize)]
pub struct CreatePayment {
    pub amount: WireAmount,
    #[serde(rename = "orderId")]
    pub order_id: String,
}

/// `payment_token` of the CreatePayment answer.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentToken {
    pub token: String,
    /// `YYYY-MM-DD hh:mm:ss:SSS`, Haiti time.
    pub created: String,
    pub expired: String,
}

impl PaymentToken {
    /// When the payment page stops taking the payment, in Unix milliseconds.
    pub fn expires_ms(&self) -> Result<u64, haiti::DateError> {
        haiti::parse(&self.expired).map(haiti::unix_ms)
    }
}

#[derive(Debug, Deserialize)]
pub struct CreatePaymentAnswer {
    pub payment_token: PaymentToken,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub timestamp: Option<u64>,
}

/// `POST /v1/RetrieveOrderPayment` body.
#[derive(Debug, Serialize)]
pub struct OrderQuery {
    #[serde(rename = "orderId")]
    pub order_id: String,
}

/// `POST /v1/RetrieveTransactionPayment` body.
#[derive(Debug, Serialize)]
pub struct TransactionQuery {
    #[serde(rename = "transactionId")]
    pub transaction_id: String,
}

/// A payment as the Retrieve* answers carry it.
#[derive(Debug, Deserialize)]
pub struct Payment {
    /// The orderId, as a string.
    #[serde(deserialize_with = "lenient_text")]
    pub reference: String,
    /// At most 14 characters (NOTES).
    #[serde(deserialize_with = "lenient_text")]
    pub transaction_id: String,
    pub cost: WireAmount,
    /// `successful` is how every client tests success.
    pub message: String,
    /// The payer's MonCash account, `509...`.
    #[serde(deserialize_with = "lenient_text")]
    pub payer: String,
}

impl Payment {
    pub fn is_successful(&self) -> bool {
        self.message.trim() == "successful"
    }
}

#[derive(Debug, Deserialize)]
pub struct PaymentAnswer {
    pub payment: Payment,
}

/// `POST /v1/CustomerStatus` body.
#[derive(Debug, Serialize)]
pub struct AccountQuery {
    pub account: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct CustomerStatus {
    /// `fullkyc`, `minikyc`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `["registered", "active"]`.
    #[serde(default)]
    pub status: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct CustomerStatusAnswer {
    #[serde(rename = "customerStatus")]
    pub customer_status: CustomerStatus,
}

/// `POST /v1/Transfert` body.
#[derive(Debug, Serialize)]
pub struct Transfert {
    pub amount: WireAmount,
    pub receiver: String,
    pub desc: String,
    pub reference: String,
}

#[derive(Debug, Deserialize)]
pub struct Transfer {
    #[serde(deserialize_with = "lenient_text")]
    pub transaction_id: String,
    pub amount: WireAmount,
    #[serde(deserialize_with = "lenient_text")]
    pub receiver: String,
    pub message: String,
    #[serde(default)]
    pub desc: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TransferAnswer {
    pub transfer: Transfer,
}

/// The Transfert answer's payout: under `transfer` (the document), or its fields at the top
/// level (an older form a published SDK reads). The error is the documented form's.
pub fn parse_transfer(body: &[u8]) -> Result<Transfer, serde_json::Error> {
    match serde_json::from_slice::<TransferAnswer>(body) {
        Ok(a) => Ok(a.transfer),
        Err(e) => serde_json::from_slice::<Transfer>(body).map_err(|_| e),
    }
}

/// `POST /v1/PrefundedTransactionStatus` body.
#[derive(Debug, Serialize)]
pub struct ReferenceQuery {
    pub reference: String,
}

#[derive(Debug, Deserialize)]
pub struct TransactionStatusAnswer {
    #[serde(rename = "transStatus")]
    pub trans_status: String,
}

#[derive(Debug, Deserialize)]
pub struct Balance {
    pub balance: WireAmount,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct BalanceAnswer {
    pub balance: Balance,
}

/// An error body: Spring's `{path, error, message, timestamp, status}`, OAuth's
/// `{error, error_description}`, or the bare `{message}` seen for a bad CreatePayment.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

impl ErrorBody {
    /// OAuth's answer for an expired, unknown or revoked bearer token: renew and resend once.
    pub fn is_invalid_token(&self) -> bool {
        self.error.as_deref() == Some("invalid_token")
    }

    /// (code, text) for the failure: OAuth's error word is a code; Spring's `error` is only the
    /// status's reason phrase, so it goes into the text.
    pub fn summary(&self) -> Option<(Option<String>, String)> {
        let oauth = self.error_description.is_some();
        let text = match (&self.error, &self.message, &self.error_description) {
            (_, _, Some(d)) => d.clone(),
            (Some(e), Some(m), None) => format!("{e}: {m}"),
            (None, Some(m), None) => m.clone(),
            (Some(e), None, None) => e.clone(),
            (None, None, None) => return None,
        };
        let code = if oauth { self.error.clone() } else { None };
        Some((code, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(json: &str) -> Result<Money, MoneyError> {
        serde_json::from_str::<WireAmount>(json).unwrap().to_money()
    }

    fn htg(minor: i64) -> Money {
        Money::from_minor(minor, CURRENCY)
    }

    #[test]
    fn amounts_are_exact_out_and_rounded_to_the_cent_in() {
        let body = serde_json::to_string(&CreatePayment {
            amount: WireAmount::from_money(htg(25_000)),
            order_id: "T1-000001".into(),
        })
        .unwrap();
        assert_eq!(body, r#"{"amount":250.00,"orderId":"T1-000001"}"#);
        assert_eq!(amount("10"), Ok(htg(1000)));
        assert_eq!(amount("100.0"), Ok(htg(10_000)));
        assert_eq!(amount("250.00000000001"), Ok(htg(25_000)));
        assert_eq!(amount("249.99999999999"), Ok(htg(25_000)));
        assert_eq!(
            amount("29814021.179999999701976776123046875"),
            Ok(htg(2_981_402_118))
        );
        assert_eq!(amount("12.345"), Ok(htg(1235)), "half-up");
        assert_eq!(amount("1.2e2"), Ok(htg(12_000)));
        assert_eq!(amount("\"12.50\""), Ok(htg(1250)));
        assert!(amount("\"twelve\"").is_err());
        assert!(amount("true").is_err());
    }

    #[test]
    fn answers_read_as_the_document_and_notes_show_them() {
        let created: CreatePaymentAnswer = serde_json::from_str(
            r#"{"path":"/v1/CreatePayment","payment_token":{"expired":"2019-05-24 12:46:55:107",
            "created":"2019-05-24 12:36:55:107","token":"eyJhbGciOi"},"timestamp":1558715815122,
            "status":202,"mode":"sandbox"}"#,
        )
        .unwrap();
        assert_eq!(
            created.payment_token.expires_ms().unwrap(),
            1_558_715_815_107 + 600_000
        );
        // reference and transaction_id as numbers or strings; payer as a string.
        let paid: PaymentAnswer = serde_json::from_str(
            r#"{"path":"/v1/RetrieveOrderPayment ","payment":{"reference":1559796839,
            "transaction_id":"12874820","cost":10,"message":"successful","payer":"50937007294"},
            "timestamp":1560029360970,"status":200}"#,
        )
        .unwrap();
        assert_eq!(paid.payment.reference, "1559796839");
        assert_eq!(paid.payment.cost.to_money(), Ok(htg(1000)));
        assert!(paid.payment.is_successful());

        let e: ErrorBody = serde_json::from_str(
            r#"{"path":"/Api/v1/Transfert","error":"Forbidden","message":"Maximum Account Balance",
            "timestamp":1732154199606,"status":403}"#,
        )
        .unwrap();
        assert_eq!(
            e.summary(),
            Some((None, "Forbidden: Maximum Account Balance".into()))
        );
        let e: ErrorBody =
            serde_json::from_str(r#"{"error":"invalid_token","error_description":"expired"}"#)
                .unwrap();
        assert!(e.is_invalid_token());
        assert_eq!(
            e.summary(),
            Some((Some("invalid_token".into()), "expired".into()))
        );
        let e: ErrorBody =
            serde_json::from_str(r#"{"message":"The amount is incorrect"}"#).unwrap();
        assert_eq!(e.summary(), Some((None, "The amount is incorrect".into())));
        assert_eq!(ErrorBody::default().summary(), None);
    }
}
