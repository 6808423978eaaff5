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

mod extras;
mod ledger;
mod merchant;
mod payment;
#[cfg(test)]
mod tests;

pub use extras::*;
pub use ledger::*;
pub use merchant::*;
pub use payment::*;
