//! mCASH merchant API wire types: one request/response struct per endpoint of `mcash.txt`,
//! plus shortlinks and callbacks from NOTES.md.
//!
//! Rules kept here so client and simulator agree:
//! - Responses ignore unknown fields (mCASH adds fields); requests skip `None` fields, so the
//!   same request always serializes to the same bytes (idempotent re-POSTs compare bodies).
//! - Money is [`WireMoney`], mCASH's exact decimal string; it becomes [`Money`] only with the
//!   `currency` of the same object. We always send exactly the currency's decimals; we accept
//!   fewer (`"12.5"`) and integers, and refuse more decimals than the currency has and JSON
//!   floats (a float is never trusted as money).
//! - `status_code` is [`StatusCode`]; unknown codes are classified by their first digit.
//!
//! Left unsaid by the document and decided here: `PubKey` is sent as the PEM text of the
//! public key; `LineItem`, `Location`, `Capture`, `Refund`, `ReportSummary`, `SettlementSummary`,
//! `PayoutDetail` and `MerchantProfile` have no published schema and are kept as raw JSON
//! values; DateTime fields are kept as the server's text.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use thiserror::Error;

use crate::money::{Currency, Money, MoneyError};

/// The media type of every request and answer.
pub const MEDIA_TYPE: &str = "application/vnd.mcash.api.merchant.v1+json";

/// A money field that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    #[error("field {field}: {source}")]
    Money {
        field: &'static str,
        source: MoneyError,
    },
}

// ---------------------------------------------------------------------------------------------
// Money

/// mCASH's money text, e.g. `"12.50"`. Holds validated decimal text (digits, optional point and
/// digits); the currency comes from the enclosing object.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WireMoney(String);

impl WireMoney {
    /// Exactly the currency's decimals, as mCASH wants them.
    pub fn from_money(m: Money) -> WireMoney {
        WireMoney(m.to_decimal_string())
    }

    /// Validated text; `"12.5"` and `"12"` are accepted, signs and exponents are not.
    pub fn parse(text: &str) -> Result<WireMoney, MoneyError> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let ok = !int.is_empty()
            && digits(int)
            && digits(frac)
            && !(text.contains('.') && frac.is_empty());
        if ok {
            Ok(WireMoney(text.to_string()))
        } else {
            Err(MoneyError::Malformed(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The amount in `currency`; more decimals than the currency has is an error.
    pub fn to_money(&self, currency: Currency) -> Result<Money, MoneyError> {
        Money::parse_wire_str(&self.0, currency)
    }
}

impl From<Money> for WireMoney {
    fn from(m: Money) -> WireMoney {
        WireMoney::from_money(m)
    }
}

impl fmt::Debug for WireMoney {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Serialize for WireMoney {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WireMoney {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WireMoney;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount string such as \"12.50\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireMoney, E> {
                WireMoney::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireMoney, E> {
                Ok(WireMoney(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireMoney, E> {
                WireMoney::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WireMoney, E> {
                Err(E::custom(format!(
                    "amount {v} is a JSON float; mCASH amounts are decimal strings"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

fn money_field(
    field: &'static str,
    value: &Option<WireMoney>,
    currency: Currency,
) -> Result<Option<Money>, WireError> {
    value
        .as_ref()
        .map(|v| v.to_money(currency))
        .transpose()
        .map_err(|source| WireError::Money { field, source })
}

// ---------------------------------------------------------------------------------------------
// Secrets on the wire (user secrets, access tokens): serialized only where the wire needs them.

fn ser_secret_opt<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_str(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

/// `code` is documented as a string but servers of this kind often send a number: accept both.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(de::Error::custom(format!(
                "expected a string or number, got {other}"
            )));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Shared shapes

/// Every list answer: absolute paths of the resources, plus paging links.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceList {
    #[serde(default)]
    pub uris: Vec<String>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub prev: Option<String>,
}

/// mCASH's error body, e.g. `{"error_type": "validation_error", "error_description": "...",
/// "error_details": {"amount": ["..."]}}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_details: Option<Value>,
}

impl ErrorBody {
    /// One line for people: description, then the field details.
    pub fn summary(&self) -> String {
        let mut out = self
            .error_description
            .clone()
            .or_else(|| self.error_type.clone())
            .unwrap_or_else(|| "error without description".to_string());
        if let Some(Value::Object(fields)) = &self.error_details {
            let details: Vec<String> = fields
                .iter()
                .map(|(k, v)| match v {
                    Value::Array(items) => format!(
                        "{k}: {}",
                        items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect();
            if !details.is_empty() {
                out.push_str(" (");
                out.push_str(&details.join(", "));
                out.push(')');
            }
        }
        out
    }
}

/// A created resource's id (`POST /ledger/`, `/user/`, `/shortlink/`, `/pos/`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    #[serde(default)]
    pub id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Merchant

/// `GET /merchant/<merchant_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Merchant {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub mcc: Option<u32>,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub location: Option<Value>,
    #[serde(default)]
    pub settlement_account_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Value>,
}

/// `GET /merchant_lookup/<lookup_id>/` (OPEN, integrators). The answer has no published schema:
/// the merchant id if present, and the rest as raw JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MerchantLookup {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// User

/// `POST /user/` (KEY).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserCreate {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub secret: Option<SecretString>,
    /// PEM text of the user's RSA public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
}

/// `PUT /user/<user_id>/` (SECRET).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub secret: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
}

/// `GET /user/<user_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub netmask: Option<String>,
    #[serde(default)]
    pub has_secret: Option<bool>,
    #[serde(default)]
    pub pubkey: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// POS

/// What kind of point of sale; affects the map in the customer's app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PosType {
    Store,
    Webshop,
    Mobile,
    Vending,
    Poster,
}

/// `POST /pos/` (SECRET): 201 with `Location`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosCreate {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
}

/// `PUT /pos/<pos_id>/` (SECRET): 204.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosUpdate {
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Value>,
}

/// `GET /pos/<pos_id>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pos {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub pos_type: PosType,
    #[serde(default)]
    pub location: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// Payment request

/// `action` on create: sale, or auth (capture later). mCASH also accepts upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentAction {
    #[serde(alias = "SALE")]
    Sale,
    #[serde(alias = "AUTH")]
    Auth,
}

/// `action` on update (case-insensitive on the server; we send lower case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateAction {
    #[serde(alias = "REAUTH")]
    Reauth,
    #[serde(alias = "CAPTURE")]
    Capture,
    #[serde(alias = "ABORT")]
    Abort,
    #[serde(alias = "RELEASE")]
    Release,
    #[serde(alias = "REFUND")]
    Refund,
}

/// `POST /payment_request/` (SECRET): 201 new, 200 identical, 409 same key with another body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequestCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_message_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<Value>>,
    /// msisdn, scan token, `shortlink_id:<id>`, `shortlink_sn:<serial>`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scan_age: Option<u32>,
    pub currency: Currency,
    pub amount: WireMoney,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_edit: Option<bool>,
    pub allow_credit: bool,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_return_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_return_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Value>>,
    pub action: PaymentAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_scope_text: Option<String>,
}

impl PaymentRequestCreate {
    /// The smallest valid request: everything optional left out.
    pub fn new(
        amount: Money,
        pos_id: &str,
        pos_tid: &str,
        customer: Option<String>,
        action: PaymentAction,
    ) -> PaymentRequestCreate {
        PaymentRequestCreate {
            ledger: None,
            display_message_uri: None,
            callback_uri: None,
            line_items: None,
            customer,
            max_scan_age: None,
            currency: amount.currency(),
            amount: WireMoney::from_money(amount),
            additional_amount: None,
            additional_edit: None,
            allow_credit: false,
            pos_id: pos_id.to_string(),
            pos_tid: pos_tid.to_string(),
            text: None,
            success_return_uri: None,
            failure_return_uri: None,
            cid: None,
            links: None,
            action,
            expires_in: None,
            required_scope: None,
            required_scope_text: None,
        }
    }

    pub fn amount(&self) -> Result<Money, WireError> {
        self.amount
            .to_money(self.currency)
            .map_err(|source| WireError::Money {
                field: "amount",
                source,
            })
    }

    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("additional_amount", &self.additional_amount, self.currency)
    }
}

/// Answer to `POST /payment_request/`: the tid; `uri` only when posted without a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequestCreated {
    pub id: String,
    #[serde(default)]
    pub uri: Option<String>,
}

/// `PUT /payment_request/<tid>/` (SECRET; KEY for refund): 204, 409 when illegal now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequestUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_message_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_items: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<UpdateAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_amount: Option<WireMoney>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl PaymentRequestUpdate {
    /// A bare action: reauth, abort, release, or a full capture.
    pub fn action(action: UpdateAction) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(action),
            ..PaymentRequestUpdate::default()
        }
    }

    /// A capture of `amount` (no additional amount), idempotent on `capture_id` + amounts.
    pub fn capture(capture_id: &str, amount: Money) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(UpdateAction::Capture),
            amount: Some(WireMoney::from_money(amount)),
            additional_amount: Some(WireMoney::from_money(Money::zero(amount.currency()))),
            capture_id: Some(capture_id.to_string()),
            currency: Some(amount.currency()),
            ..PaymentRequestUpdate::default()
        }
    }

    /// A refund of `amount` (KEY level), idempotent on `refund_id`.
    pub fn refund(refund_id: &str, amount: Money, text: Option<String>) -> PaymentRequestUpdate {
        PaymentRequestUpdate {
            action: Some(UpdateAction::Refund),
            amount: Some(WireMoney::from_money(amount)),
            additional_amount: Some(WireMoney::from_money(Money::zero(amount.currency()))),
            refund_id: Some(refund_id.to_string()),
            currency: Some(amount.currency()),
            text,
            ..PaymentRequestUpdate::default()
        }
    }

    /// The amount, if set (it needs `currency`).
    pub fn amount(&self) -> Result<Option<Money>, WireError> {
        match (self.currency, &self.amount) {
            (Some(c), a) => money_field("amount", a, c),
            (None, None) => Ok(None),
            (None, Some(a)) => Err(WireError::Money {
                field: "amount",
                source: MoneyError::Malformed(format!("{} without currency", a.as_str())),
            }),
        }
    }

    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        match (self.currency, &self.additional_amount) {
            (Some(c), a) => money_field("additional_amount", a, c),
            (None, None) => Ok(None),
            (None, Some(a)) => Err(WireError::Money {
                field: "additional_amount",
                source: MoneyError::Malformed(format!("{} without currency", a.as_str())),
            }),
        }
    }
}

/// `GET /payment_request/<tid>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentRequest {
    pub id: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub ledger: Option<String>,
    #[serde(default)]
    pub display_message_uri: Option<String>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub line_items: Option<Vec<Value>>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub max_scan_age: Option<u32>,
    pub currency: Currency,
    pub amount: WireMoney,
    #[serde(default)]
    pub additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub additional_edit: Option<bool>,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub success_return_uri: Option<String>,
    #[serde(default)]
    pub failure_return_uri: Option<String>,
    #[serde(default)]
    pub cid: Option<String>,
    #[serde(default)]
    pub links: Option<Vec<Value>>,
    #[serde(default)]
    pub date_expires: Option<String>,
    #[serde(default)]
    pub allow_credit: Option<bool>,
    #[serde(default)]
    pub required_scope: Option<String>,
}

impl PaymentRequest {
    pub fn amount(&self) -> Result<Money, WireError> {
        self.amount
            .to_money(self.currency)
            .map_err(|source| WireError::Money {
                field: "amount",
                source,
            })
    }
}

/// How a status code is to be read (the document's note): 1xxx and 3xxx are temporary,
/// 2xxx final success, 4xxx and 5xxx final failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusClass {
    /// Waiting for the customer or bank (1xxx).
    Pending,
    /// Authorized, waiting for capture (3xxx).
    Authorized,
    Success,
    Failure,
    /// A first digit the document does not describe: treated as "still waiting" by callers,
    /// never as success or failure.
    Unclassified,
}

/// An outcome's `status_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// 1003 PENDING: waiting for customer or bank.
    Pending,
    /// 2000 OK: payment received.
    Ok,
    /// 3008 AUTH: authorized, ready for capture.
    Auth,
    /// 4004 NOT_FOUND: no such customer.
    NotFound,
    /// 4019 ABORTED: merchant aborted before capture.
    Aborted,
    /// 5006 REJECTED: customer rejected or aborted.
    Rejected,
    /// 5011 REQUEST_EXPIRED.
    RequestExpired,
    /// 5012 AUTH_EXPIRED: authorization not captured within 3 days.
    AuthExpired,
    Unknown(u32),
}

impl StatusCode {
    pub fn from_code(code: u32) -> StatusCode {
        match code {
            1003 => StatusCode::Pending,
            2000 => StatusCode::Ok,
            3008 => StatusCode::Auth,
            4004 => StatusCode::NotFound,
            4019 => StatusCode::Aborted,
            5006 => StatusCode::Rejected,
            5011 => StatusCode::RequestExpired,
            5012 => StatusCode::AuthExpired,
            other => StatusCode::Unknown(other),
        }
    }

    pub fn code(&self) -> u32 {
        match self {
            StatusCode::Pending => 1003,
            StatusCode::Ok => 2000,
            StatusCode::Auth => 3008,
            StatusCode::NotFound => 4004,
            StatusCode::Aborted => 4019,
            StatusCode::Rejected => 5006,
            StatusCode::RequestExpired => 5011,
            StatusCode::AuthExpired => 5012,
            StatusCode::Unknown(c) => *c,
        }
    }

    /// The document's name for the code, or `UNKNOWN`.
    pub fn name(&self) -> &'static str {
        match self {
            StatusCode::Pending => "PENDING",
            StatusCode::Ok => "OK",
            StatusCode::Auth => "AUTH",
            StatusCode::NotFound => "NOT_FOUND",
            StatusCode::Aborted => "ABORTED",
            StatusCode::Rejected => "REJECTED",
            StatusCode::RequestExpired => "REQUEST_EXPIRED",
            StatusCode::AuthExpired => "AUTH_EXPIRED",
            StatusCode::Unknown(_) => "UNKNOWN",
        }
    }

    /// Classified by the first digit of the four-digit code.
    pub fn class(&self) -> StatusClass {
        match self.code() {
            1000..=1999 => StatusClass::Pending,
            2000..=2999 => StatusClass::Success,
            3000..=3999 => StatusClass::Authorized,
            4000..=5999 => StatusClass::Failure,
            _ => StatusClass::Unclassified,
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self.class(), StatusClass::Success | StatusClass::Failure)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

impl Serialize for StatusCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Some servers quote numbers; accept "2000" as well as 2000.
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .map(StatusCode::from_code)
                .ok_or_else(|| de::Error::custom(format!("status_code {n} is out of range"))),
            Value::String(s) => s
                .trim()
                .parse::<u32>()
                .map(StatusCode::from_code)
                .map_err(|_| de::Error::custom(format!("status_code {s:?} is not a number"))),
            other => Err(de::Error::custom(format!(
                "status_code must be an integer, got {other}"
            ))),
        }
    }
}

/// `GET /payment_request/<tid>/outcome/` (SECRET); also the `object` of payment callbacks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub currency: Currency,
    #[serde(default)]
    pub amount: Option<WireMoney>,
    #[serde(default)]
    pub additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub auth_amount: Option<WireMoney>,
    #[serde(default)]
    pub auth_additional_amount: Option<WireMoney>,
    #[serde(default)]
    pub captures: Option<Vec<Value>>,
    #[serde(default)]
    pub refunds: Option<Vec<Value>>,
    /// ok, fail, auth or pending.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_code: Option<StatusCode>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub date_modified: Option<String>,
    #[serde(default)]
    pub date_expires: Option<String>,
    #[serde(default)]
    pub credit: Option<bool>,
    #[serde(default)]
    pub interchange_fee: Option<WireMoney>,
    #[serde(default)]
    pub transaction_fee: Option<WireMoney>,
    #[serde(default)]
    pub report_id: Option<String>,
    #[serde(default)]
    pub report_uri: Option<String>,
    #[serde(default)]
    pub ledger: Option<String>,
    #[serde(default)]
    pub attachment_uri: Option<String>,
    pub pos_id: String,
    pub pos_tid: String,
    pub tid: String,
    #[serde(default)]
    pub permissions: Option<Value>,
}

impl Outcome {
    pub fn amount(&self) -> Result<Option<Money>, WireError> {
        money_field("amount", &self.amount, self.currency)
    }
    pub fn additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("additional_amount", &self.additional_amount, self.currency)
    }
    pub fn auth_amount(&self) -> Result<Option<Money>, WireError> {
        money_field("auth_amount", &self.auth_amount, self.currency)
    }
    pub fn auth_additional_amount(&self) -> Result<Option<Money>, WireError> {
        money_field(
            "auth_additional_amount",
            &self.auth_additional_amount,
            self.currency,
        )
    }
    pub fn interchange_fee(&self) -> Result<Option<Money>, WireError> {
        money_field("interchange_fee", &self.interchange_fee, self.currency)
    }
    pub fn transaction_fee(&self) -> Result<Option<Money>, WireError> {
        money_field("transaction_fee", &self.transaction_fee, self.currency)
    }
}

// ---------------------------------------------------------------------------------------------
// Ledger and report

/// `POST /ledger/` (SECRET): 201 `{"id"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerCreate {
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PUT /ledger/<ledger_id>/` (SECRET): 204.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /ledger/<ledger_id>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub id: String,
    pub currency: Currency,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub open_report_uri: Option<String>,
    #[serde(default)]
    pub last_closed_report_uri: Option<String>,
}

/// `PUT /ledger/<ledger_id>/report/<report_id>/` (SECRET): starts closing the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportClose {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
}

/// A report's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    Open,
    Closing,
    Closed,
}

/// `GET /ledger/<ledger_id>/report/<report_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    #[serde(default)]
    pub transaction_log_uris: Option<Vec<String>>,
    #[serde(default)]
    pub scope_log_uris: Option<Vec<String>>,
    #[serde(default)]
    pub previous_report_uri: Option<String>,
    #[serde(default)]
    pub settlement_uri: Option<String>,
    #[serde(default)]
    pub status: Option<ReportStatus>,
    #[serde(default)]
    pub time_closed: Option<String>,
    #[serde(default)]
    pub report_summary: Option<Value>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub payment_request_count: Option<u64>,
    #[serde(default)]
    pub payment_auth_count: Option<u64>,
    #[serde(default)]
    pub payment_capture_count: Option<u64>,
    #[serde(default)]
    pub payment_release_count: Option<u64>,
    #[serde(default)]
    pub payment_expire_count: Option<u64>,
    #[serde(default)]
    pub payment_fail_count: Option<u64>,
    #[serde(default)]
    pub payment_abort_count: Option<u64>,
    #[serde(default)]
    pub payment_refund_count: Option<u64>,
    #[serde(default)]
    pub permission_request_count: Option<u64>,
    #[serde(default)]
    pub permission_answered_count: Option<u64>,
    #[serde(default)]
    pub permission_fail_count: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Settlement

/// `GET /settlement/<settlement_id>/` (SECRET). `GET /last_settlement/` redirects (302) here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    pub id: String,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub transaction_log_uris: Vec<String>,
    #[serde(default)]
    pub scope_log_uris: Vec<String>,
    #[serde(default)]
    pub settlement_summary: Option<Vec<Value>>,
    #[serde(default)]
    pub payout_details: Option<Vec<Value>>,
}

/// `GET /settlement_account/<settlement_account_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementAccount {
    #[serde(default)]
    pub net_transactions_for: Option<Vec<String>>,
    #[serde(default)]
    pub bill_scopes_for: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Permission request

/// `POST /permission_request/` (SECRET): 201 new, 200 identical (idempotent on pos_id+pos_tid).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequestCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    pub customer: String,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    /// Space-delimited scopes: openid, address, profile, phone, email, ...
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u32>,
}

/// `GET /permission_request/<rid>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionRequest {
    #[serde(default)]
    pub ledger: Option<String>,
    pub customer: String,
    pub pos_id: String,
    pub pos_tid: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    pub scope: String,
    #[serde(default)]
    pub date_expires: Option<String>,
}

/// `GET /permission_request/<rid>/outcome/` (SECRET). Tokens are secrets: hidden from Debug.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PermissionOutcome {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub access_token: Option<SecretString>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub id_token: Option<SecretString>,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_secret_opt"
    )]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub currency: Option<Currency>,
    #[serde(default)]
    pub transaction_fee: Option<WireMoney>,
    #[serde(default)]
    pub report_id: Option<String>,
    #[serde(default)]
    pub report_uri: Option<String>,
    #[serde(default)]
    pub ledger_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_code: Option<StatusCode>,
    pub pos_id: String,
    pub pos_tid: String,
    pub rid: String,
    #[serde(default)]
    pub user_info: Option<Value>,
}

impl PermissionOutcome {
    pub fn transaction_fee(&self) -> Result<Option<Money>, WireError> {
        match self.currency {
            Some(c) => money_field("transaction_fee", &self.transaction_fee, c),
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Status codes

/// `GET /status_code/` (a JSON array of these) and `GET /status_code/<value>/` (OPEN).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCodeInfo {
    #[serde(default, deserialize_with = "string_or_number")]
    pub code: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shortlinks (NOTES.md; not in the document)

/// `POST /shortlink/` (201 `{"id"}`) and `PUT /shortlink/<id>/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortlinkCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /shortlink/<id>/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortlink {
    pub id: String,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// The text a QR code carries: `http://mca.sh/s/<shortlink_id>/<argstring>`.
pub fn shortlink_qr(shortlink_id: &str, argstring: Option<&str>) -> String {
    match argstring {
        Some(arg) => format!("http://mca.sh/s/{shortlink_id}/{arg}"),
        None => format!("http://mca.sh/s/{shortlink_id}/"),
    }
}

// ---------------------------------------------------------------------------------------------
// Callbacks (NOTES.md)

/// What mCASH POSTs to a `callback_uri`; `object` is left out over plain HTTP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub meta: CallbackMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackMeta {
    pub id: String,
    /// `payment_authorized`, `payment_captured`, `shortlink_scanned`, ...
    pub event: String,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// The `object` of a `shortlink_scanned` callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortlinkScan {
    /// `token:...`, usable as a payment request's `customer`.
    pub id: String,
    #[serde(default)]
    pub argstring: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK)
    }

    #[test]
    fn money_strings_are_exact_and_lenient_only_where_safe() {
        assert_eq!(WireMoney::from_money(nok(1250)).as_str(), "12.50");
        assert_eq!(
            serde_json::to_string(&WireMoney::from(nok(5))).unwrap(),
            "\"0.05\""
        );
        let read = |s: &str| serde_json::from_str::<WireMoney>(s);
        assert_eq!(
            read("\"12.50\"").unwrap().to_money(Currency::NOK),
            Ok(nok(1250))
        );
        assert_eq!(
            read("\"12.5\"").unwrap().to_money(Currency::NOK),
            Ok(nok(1250))
        );
        assert_eq!(
            read("\"12\"").unwrap().to_money(Currency::NOK),
            Ok(nok(1200))
        );
        assert_eq!(read("12").unwrap().to_money(Currency::NOK), Ok(nok(1200)));
        assert!(matches!(
            read("\"12.505\"").unwrap().to_money(Currency::NOK),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        // Three decimals are right for LYD.
        assert_eq!(
            read("\"12.505\"").unwrap().to_money(Currency::LYD),
            Ok(Money::from_minor(12505, Currency::LYD))
        );
        for bad in [
            "12.5",
            "\"-1.00\"",
            "\"1e3\"",
            "\"12.\"",
            "\".5\"",
            "\"\"",
            "\"1,5\"",
            "null",
        ] {
            assert!(read(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn payment_request_round_trips_and_reads_its_amount() {
        let mut req = PaymentRequestCreate::new(
            nok(1250),
            "pos-1",
            "T1-000001",
            Some("shortlink_id:h3lBe".into()),
            PaymentAction::Sale,
        );
        req.max_scan_age = Some(60);
        req.expires_in = Some(300);
        let text = serde_json::to_string(&req).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["amount"], json!("12.50"));
        assert_eq!(v["currency"], json!("NOK"));
        assert_eq!(v["action"], json!("sale"));
        assert_eq!(v["allow_credit"], json!(false));
        assert!(
            v.get("ledger").is_none(),
            "None fields are left out: {text}"
        );
        let back: PaymentRequestCreate = serde_json::from_str(&text).unwrap();
        assert_eq!(back, req);
        assert_eq!(back.amount(), Ok(nok(1250)));
        // Upper-case actions as the server allows them.
        let upper = text.replace("\"sale\"", "\"SALE\"");
        assert_eq!(
            serde_json::from_str::<PaymentRequestCreate>(&upper)
                .unwrap()
                .action,
            PaymentAction::Sale
        );
        // Too many decimals in a request is caught by the amount helper.
        let bad = text.replace("12.50", "12.505");
        let bad: PaymentRequestCreate = serde_json::from_str(&bad).unwrap();
        assert!(matches!(
            bad.amount(),
            Err(WireError::Money {
                field: "amount",
                ..
            })
        ));
    }

    #[test]
    fn updates_carry_ids_and_amounts() {
        let cap = PaymentRequestUpdate::capture("T1-000001", nok(1000));
        let v = serde_json::to_value(&cap).unwrap();
        assert_eq!(
            v,
            json!({"action": "capture", "amount": "10.00", "additional_amount": "0.00",
                   "capture_id": "T1-000001", "currency": "NOK"})
        );
        assert_eq!(cap.amount(), Ok(Some(nok(1000))));
        let abort =
            serde_json::to_value(PaymentRequestUpdate::action(UpdateAction::Abort)).unwrap();
        assert_eq!(abort, json!({"action": "abort"}));
        let refund = PaymentRequestUpdate::refund("R-1", nok(500), None);
        assert_eq!(
            serde_json::to_value(&refund).unwrap()["refund_id"],
            json!("R-1")
        );
        let parsed: PaymentRequestUpdate =
            serde_json::from_value(json!({"action": "REFUND", "amount": "5"})).unwrap();
        assert_eq!(parsed.action, Some(UpdateAction::Refund));
        assert!(parsed.amount().is_err(), "an amount needs its currency");
    }

    #[test]
    fn outcome_parses_ignoring_unknown_fields() {
        let v = json!({
            "currency": "NOK", "amount": "12.5", "additional_amount": "0.00",
            "auth_amount": null, "status": "ok", "status_code": 2000,
            "pos_id": "pos-1", "pos_tid": "T1-000001", "tid": "abc",
            "captures": [{"amount": "12.50"}], "brand_new_field": {"x": 1}
        });
        let o: Outcome = serde_json::from_value(v).unwrap();
        assert_eq!(o.status_code, Some(StatusCode::Ok));
        assert_eq!(o.amount(), Ok(Some(nok(1250))));
        assert_eq!(o.auth_amount(), Ok(None));
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(back["status_code"], json!(2000));
        assert_eq!(back["amount"], json!("12.5"));
        // A quoted code is read as well.
        let o: Outcome = serde_json::from_value(json!({
            "currency": "NOK", "status_code": "3008",
            "pos_id": "p", "pos_tid": "t", "tid": "x"
        }))
        .unwrap();
        assert_eq!(o.status_code, Some(StatusCode::Auth));
    }

    #[test]
    fn status_codes_classify_by_first_digit() {
        let class = |c: u32| StatusCode::from_code(c).class();
        assert_eq!(StatusCode::from_code(1003), StatusCode::Pending);
        assert_eq!(StatusCode::from_code(5012), StatusCode::AuthExpired);
        assert_eq!(StatusCode::from_code(4019).to_string(), "4019 ABORTED");
        assert_eq!(class(1003), StatusClass::Pending);
        assert_eq!(class(1999), StatusClass::Pending);
        assert_eq!(class(2001), StatusClass::Success);
        assert_eq!(class(3008), StatusClass::Authorized);
        assert_eq!(class(3100), StatusClass::Authorized);
        assert_eq!(class(4321), StatusClass::Failure);
        assert_eq!(class(5999), StatusClass::Failure);
        assert_eq!(class(6000), StatusClass::Unclassified);
        assert_eq!(class(42), StatusClass::Unclassified);
        assert_eq!(StatusCode::from_code(2042), StatusCode::Unknown(2042));
        assert!(StatusCode::from_code(2042).is_final());
        assert!(!StatusCode::from_code(3999).is_final());
        let parsed: StatusCode = serde_json::from_str("7001").unwrap();
        assert_eq!(parsed, StatusCode::Unknown(7001));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "7001");
        assert!(serde_json::from_str::<StatusCode>("-1").is_err());
        assert!(serde_json::from_str::<StatusCode>("\"ok\"").is_err());
    }

    #[test]
    fn error_bodies_parse_and_summarize() {
        let e: ErrorBody = serde_json::from_value(json!({
            "error_type": "validation_error",
            "error_description": "Invalid input",
            "error_details": {"amount": ["Not a valid amount", "Too many decimals"]}
        }))
        .unwrap();
        assert_eq!(e.error_type.as_deref(), Some("validation_error"));
        assert_eq!(
            e.summary(),
            "Invalid input (amount: Not a valid amount; Too many decimals)"
        );
        let bare: ErrorBody = serde_json::from_value(json!({"error_type": "conflict"})).unwrap();
        assert_eq!(bare.summary(), "conflict");
        let empty: ErrorBody = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty.summary(), "error without description");
    }

    #[test]
    fn other_endpoints_round_trip() {
        let list: ResourceList = serde_json::from_value(json!({
            "uris": ["/merchant/v1/pos/a/"], "next": "/merchant/v1/pos/?cursor=2", "prev": null
        }))
        .unwrap();
        assert_eq!(list.uris.len(), 1);
        assert_eq!(list.next.as_deref(), Some("/merchant/v1/pos/?cursor=2"));

        let pos = PosCreate {
            id: "pos-1".into(),
            name: "Till 1".into(),
            pos_type: PosType::Store,
            location: None,
        };
        assert_eq!(
            serde_json::to_value(&pos).unwrap(),
            json!({"id": "pos-1", "name": "Till 1", "type": "store"})
        );
        let got: Pos =
            serde_json::from_value(json!({"id": "pos-1", "name": "Till 1", "type": "vending"}))
                .unwrap();
        assert_eq!(got.pos_type, PosType::Vending);

        let ledger: Ledger = serde_json::from_value(json!({
            "id": "l1", "currency": "NOK",
            "open_report_uri": "https://api.mca.sh/merchant/v1/ledger/l1/report/r1/"
        }))
        .unwrap();
        assert!(ledger.open_report_uri.unwrap().ends_with("/r1/"));
        let report: Report =
            serde_json::from_value(json!({"status": "closing", "payment_capture_count": 3}))
                .unwrap();
        assert_eq!(report.status, Some(ReportStatus::Closing));
        assert_eq!(report.payment_capture_count, Some(3));

        let codes: Vec<StatusCodeInfo> = serde_json::from_value(json!([
            {"code": "2000", "name": "OK"}, {"code": 1003, "name": "PENDING"}
        ]))
        .unwrap();
        assert_eq!(codes[1].code.as_deref(), Some("1003"));

        let settlement: Settlement = serde_json::from_value(json!({
            "id": "s1", "date_created": "2024-01-01 00:00:00",
            "transaction_log_uris": [], "scope_log_uris": []
        }))
        .unwrap();
        assert_eq!(settlement.id, "s1");

        let cb: Callback = serde_json::from_value(json!({
            "meta": {"id": "m1", "event": "shortlink_scanned", "uri": null},
            "object": {"id": "token:abc", "argstring": "pos-1"}
        }))
        .unwrap();
        let scan: ShortlinkScan = serde_json::from_value(cb.object.unwrap()).unwrap();
        assert_eq!(scan.argstring.as_deref(), Some("pos-1"));
        assert_eq!(
            shortlink_qr("h3lBe", Some("pos-1")),
            "http://mca.sh/s/h3lBe/pos-1"
        );
    }

    #[test]
    fn secrets_on_the_wire_are_sent_but_never_debug_printed() {
        let user = UserCreate {
            id: "pos1".into(),
            secret: Some(SecretString::from("s3cr3t-value".to_string())),
            ..UserCreate::default()
        };
        assert_eq!(
            serde_json::to_value(&user).unwrap()["secret"],
            json!("s3cr3t-value")
        );
        assert!(!format!("{user:?}").contains("s3cr3t-value"));
        let outcome: PermissionOutcome = serde_json::from_value(json!({
            "access_token": "tok-123456", "token_type": "Bearer",
            "pos_id": "p", "pos_tid": "t", "rid": "r"
        }))
        .unwrap();
        assert!(!format!("{outcome:?}").contains("tok-123456"));
    }
}
