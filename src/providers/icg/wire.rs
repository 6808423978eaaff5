//! iCheckGateway's wire types: the token answer of the password grant, the process request and
//! process response of `POST /Invoices/{id}/Pay` (field names as NOTES.md gives them, PascalCase),
//! the invoice as the terminal's lookup reads it, and the two error bodies seen. Money is a JSON
//! number (`131.88`) written from the exact decimal text and read from its exact source text:
//! never an `f64`.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::money::{Currency, Money, MoneyError};

/// `Type` of a process request: `V` is a sale (debit). NOTES also saw `D` (credit or refund);
/// the terminal never sends it (see the module comment of `icg`).
pub const TYPE_SALE: &str = "V";

/// The answer of `POST {auth}/Login` with `grant_type=password`.
#[derive(Clone, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; 86399 in one document, 89399 in another (NOTES): never assumed. A number or a
    /// numeric string.
    #[serde(default, deserialize_with = "seconds")]
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u64),
        S(String),
        F(f64),
    }
    match Option::<Either>::deserialize(d)? {
        None => Ok(None),
        Some(Either::N(n)) => Ok(Some(n)),
        Some(Either::S(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expires_in {s:?} is not a number"))),
        Some(Either::F(f)) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
        Some(Either::F(f)) => Err(de::Error::custom(format!("expires_in {f} is not valid"))),
    }
}

/// The process request: the body of `POST /Invoices/{id}/Pay`. Optional fields are left out
/// when unset. `Customer` and `Method` have no public shape and are never sent.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessRequest {
    /// A JSON number with exactly the currency's decimals.
    pub amount: Box<RawValue>,
    #[serde(rename = "Type")]
    pub kind: String,
    /// NOTES spells it `Laneid`.
    #[serde(rename = "Laneid", skip_serializing_if = "Option::is_none")]
    pub lane_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_back_amount: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_serial_number: Option<String>,
    /// The terminal's sale key: how the payment is found on the invoice again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ProcessRequest {
    /// A sale of `amount` carrying the sale key in `Description`.
    pub fn sale(amount: Money, sale_key: &str, lane_id: Option<&str>) -> ProcessRequest {
        ProcessRequest {
            amount: amount.to_json_number(),
            kind: TYPE_SALE.to_string(),
            lane_id: lane_id.map(str::to_string),
            cash_back_amount: None,
            device_serial_number: None,
            description: Some(sale_key.to_string()),
        }
    }
}

/// The process response: the answer of a pay, and each entry of an invoice's `Transactions`.
/// Every field is optional (null means absent); the ones the terminal does not use are kept as
/// raw JSON so an answer with them in any shape still reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ProcessResponse {
    #[serde(deserialize_with = "text")]
    pub transaction_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(deserialize_with = "text")]
    pub status_message: Option<String>,
    #[serde(deserialize_with = "text")]
    pub confirmation_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub approval_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub reference_number: Option<String>,
    pub transaction_amount: Option<Box<RawValue>>,
    #[serde(deserialize_with = "text")]
    pub transaction_date: Option<String>,
    #[serde(deserialize_with = "text")]
    pub card_display: Option<String>,
    #[serde(deserialize_with = "text")]
    pub card_type: Option<String>,
    pub error_data: Option<Box<RawValue>>,
    pub extra_data: Option<Box<RawValue>>,
    /// Only in an invoice's `Transactions`: the `Description` the payment was sent with.
    #[serde(deserialize_with = "text")]
    pub description: Option<String>,
}

/// A string, or a number written as text (ids and codes drift between the two); null is absent.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_json::Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(de::Error::custom(format!(
            "expected a string, found {}",
            kind_of(&other)
        ))),
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl ProcessResponse {
    /// `TransactionAmount` in `currency`, when present.
    pub fn amount(&self, currency: Currency) -> Option<Result<Money, MoneyError>> {
        self.transaction_amount
            .as_ref()
            .filter(|raw| raw.get() != "null")
            .map(|raw| money_from_json(raw.get(), currency))
    }
}

/// Where an invoice stands, as the lookup reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceState {
    Open,
    PartiallyPaid,
    Paid,
    /// Another word: shown as it is, never taken as paid.
    Other,
}

impl InvoiceState {
    pub fn of(word: Option<&str>) -> InvoiceState {
        let w: String = word
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match w.as_str() {
            "open" | "unpaid" => InvoiceState::Open,
            "partiallypaid" | "partial" => InvoiceState::PartiallyPaid,
            "paid" => InvoiceState::Paid,
            _ => InvoiceState::Other,
        }
    }
}

/// An invoice as `GET /Invoices/{id}` answers it (the terminal's assumption, see the module
/// comment of `icg`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Invoice {
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    pub amount: Box<RawValue>,
    #[serde(default)]
    pub amount_paid: Option<Box<RawValue>>,
    pub amount_due: Box<RawValue>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "transactions")]
    pub transactions: Vec<ProcessResponse>,
}

fn transactions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ProcessResponse>, D::Error> {
    Ok(Option::<Vec<ProcessResponse>>::deserialize(d)?.unwrap_or_default())
}

/// An invoice's amounts read in the terminal's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceAmounts {
    pub amount: Money,
    pub due: Money,
}

impl Invoice {
    pub fn state(&self) -> InvoiceState {
        InvoiceState::of(self.status.as_deref())
    }

    pub fn amounts(&self, currency: Currency) -> Result<InvoiceAmounts, MoneyError> {
        Ok(InvoiceAmounts {
            amount: money_from_json(self.amount.get(), currency)?,
            due: money_from_json(self.amount_due.get(), currency)?,
        })
    }

    /// The payment sent with this sale key, the latest if there are several.
    pub fn transaction_of(&self, sale_key: &str) -> Option<&ProcessResponse> {
        self.transactions
            .iter()
            .rev()
            .find(|t| t.description.as_deref() == Some(sale_key))
    }
}

/// An amount read from a JSON value's source text: a number (`131.88`) or a numeric string.
pub fn money_from_json(raw: &str, currency: Currency) -> Result<Money, MoneyError> {
    let t = raw.trim();
    match t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => Money::parse_wire_str(inner, currency),
        None => Money::parse_json_number(t, currency),
    }
}

/// An error body: ASP.NET's `{"Message": ...}` (NOTES, the 401), an OAuth error
/// (`{"error", "error_description"}`), or a process response with `StatusMessage`.
pub fn parse_error_body(body: &[u8]) -> Option<(Option<String>, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    if let Some(code) = s("error") {
        let message = s("error_description").unwrap_or_else(|| code.clone());
        return Some((Some(code), message));
    }
    if let Some(message) = s("StatusMessage").or_else(|| s("Message")) {
        return Some((s("Status"), message));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_process_request_carries_exact_amounts() {
        let r = ProcessRequest::sale(Money::from_minor(13188, Currency::USD), "T1-000042", None);
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"Amount":131.88,"Type":"V","Description":"T1-000042"}"#
        );
        let r = ProcessRequest::sale(Money::from_minor(5, Currency::USD), "k", Some("T1"));
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""Amount":0.05"#), "{text}");
        assert!(text.contains(r#""Laneid":"T1""#), "{text}");
    }

    #[test]
    fn process_responses_read_with_drift_and_extras() {
        let v = json!({
            "TransactionId": 778899, "Status": "Approved", "StatusMessage": "Approved",
            "ConfirmationCode": "C1", "ApprovalCode": null, "TransactionAmount": 131.88,
            "RawRequest": "<x/>", "Arpc": {"a": 1}, "ExtraData": [1, 2]
        });
        let r: ProcessResponse = serde_json::from_value(v).unwrap();
        assert_eq!(r.transaction_id.as_deref(), Some("778899"));
        assert_eq!(r.approval_code, None);
        assert_eq!(
            r.amount(Currency::USD).unwrap().unwrap(),
            Money::from_minor(13188, Currency::USD)
        );
        let r: ProcessResponse =
            serde_json::from_value(json!({"TransactionAmount": "12.5"})).unwrap();
        assert_eq!(
            r.amount(Currency::USD).unwrap().unwrap(),
            Money::from_minor(1250, Currency::USD)
        );
        assert!(serde_json::from_value::<ProcessResponse>(json!({"Status": [1]})).is_err());
    }

    #[test]
    fn tokens_honour_the_expiry_in_any_form() {
        for (v, want) in [
            (json!(86399), Some(86399)),
            (json!("89399"), Some(89399)),
            (json!(null), None),
        ] {
            let t: TokenAnswer = serde_json::from_value(
                json!({"access_token": "secret-token", "token_type": "bearer", "expires_in": v}),
            )
            .unwrap();
            assert_eq!(t.expires_in, want);
            assert!(!format!("{t:?}").contains("secret-token"));
        }
    }

    #[test]
    fn invoices_and_their_states() {
        let v = json!({
            "Id": "1001", "Amount": 100.00, "AmountPaid": 40, "AmountDue": 60.0,
            "Status": "Partially Paid",
            "Transactions": [
                {"Description": "k1", "Status": "Declined"},
                {"Description": "k1", "Status": "Approved"},
            ]
        });
        let i: Invoice = serde_json::from_value(v).unwrap();
        assert_eq!(i.state(), InvoiceState::PartiallyPaid);
        let a = i.amounts(Currency::USD).unwrap();
        assert_eq!(a.due, Money::from_minor(6000, Currency::USD));
        assert_eq!(
            i.transaction_of("k1").unwrap().status.as_deref(),
            Some("Approved")
        );
        assert!(i.transaction_of("k2").is_none());
        assert_eq!(InvoiceState::of(Some("PAID")), InvoiceState::Paid);
        assert_eq!(InvoiceState::of(Some("paid?no")), InvoiceState::Other);
        assert_eq!(InvoiceState::of(None), InvoiceState::Other);
    }

    #[test]
    fn error_bodies() {
        let m = |v: serde_json::Value| parse_error_body(v.to_string().as_bytes());
        assert_eq!(
            m(json!({"Message": "Authorization has been denied for this request."})),
            Some((
                None,
                "Authorization has been denied for this request.".to_string()
            ))
        );
        assert_eq!(
            m(json!({"error": "invalid_grant", "error_description": "bad"})),
            Some((Some("invalid_grant".into()), "bad".into()))
        );
        assert_eq!(
            m(json!({"Status": "Error", "StatusMessage": "Invoice not found"})),
            Some((Some("Error".into()), "Invoice not found".into()))
        );
        assert_eq!(m(json!([1])), None);
    }
}
