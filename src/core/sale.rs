//! What a sale is made of: its key, its amount, how the customer pays, and the typed customer
//! inputs (phone number, card number, payment code, invoice number), each validated where typed.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::provider::{FieldValue, ServiceId};
use crate::money::Money;

/// Why a customer input was refused; shown inline under the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum InputError {
    #[error("phone number must be 8 to 15 digits")]
    PhoneLength,
    #[error("card number must be 8 to 19 digits")]
    CardLength,
    #[error("payment code must be 4 to 8 digits")]
    CodeLength,
    #[error("invoice number must be 1 to 20 digits")]
    InvoiceLength,
    #[error("only digits are allowed")]
    NotDigits,
    #[error("sale key must be 1 to 64 of A-Z a-z 0-9 _ . -")]
    SaleKey,
}

fn digits(text: &str, min: usize, max: usize, len_err: InputError) -> Result<String, InputError> {
    let t = text.trim().trim_start_matches('+');
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InputError::NotDigits);
    }
    if t.len() < min || t.len() > max {
        return Err(len_err);
    }
    Ok(t.to_string())
}

macro_rules! digit_string {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $err:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, InputError> {
                digits(text, $min, $max, $err).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InputError;
            fn try_from(s: String) -> Result<Self, InputError> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

digit_string!(
    /// A mobile number in international form without `+` (`4791234567`, `50937007294`).
    Msisdn, 8, 15, InputError::PhoneLength
);
digit_string!(
    /// A wallet card number (iCash).
    CardNumber, 8, 19, InputError::CardLength
);
digit_string!(
    /// The one-time payment code a customer reads from their wallet app (iCash). A secret: its
    /// Debug form is masked, and it is never journaled.
    PaymentCode, 4, 8, InputError::CodeLength
);
digit_string!(
    /// An invoice number to pay (iCheckGateway).
    InvoiceNumber, 1, 20, InputError::InvoiceLength
);

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}
impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}
impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}
impl CardNumber {
    /// Last four digits only, for screens and the journal.
    pub fn masked(&self) -> String {
        let tail = &self.0[self.0.len().saturating_sub(4)..];
        format!("****{tail}")
    }
}
impl fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PaymentCode(****)")
    }
}
impl fmt::Debug for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The terminal's key for one sale: `<terminal id>-<sequence>`. It is the idempotency and
/// recovery key toward every provider, so it only uses characters every provider accepts
/// (mCASH `pos_tid`: `^[a-zA-Z0-9_.-]+$`, at most 64).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SaleKey(String);

impl SaleKey {
    pub fn new(terminal_id: &str, sequence: u64) -> Result<SaleKey, InputError> {
        SaleKey::parse(&format!("{terminal_id}-{sequence:06}"))
    }

    pub fn parse(text: &str) -> Result<SaleKey, InputError> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if ok {
            Ok(SaleKey(text.to_string()))
        } else {
            Err(InputError::SaleKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SaleKey {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, InputError> {
        SaleKey::parse(&s)
    }
}
impl From<SaleKey> for String {
    fn from(k: SaleKey) -> String {
        k.0
    }
}
impl fmt::Debug for SaleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for SaleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the customer pays, with what they gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flow {
    /// The terminal shows a code the customer scans.
    Qr,
    /// A request is pushed to the customer's phone.
    Push { phone: Msisdn },
    /// The customer gives a card number and a one-time payment code.
    CardAndCode {
        card: CardNumber,
        #[serde(skip_serializing, default = "redacted_code")]
        code: Option<PaymentCode>,
    },
    /// The customer pays an invoice by its number.
    Invoice { number: InvoiceNumber },
    /// A provider service that moves money (agent wallet top-up, bill payment, voucher
    /// redemption), with what the operator gave for its fields.
    Service {
        service: ServiceId,
        inputs: Vec<FieldValue>,
    },
}

/// The payment code is never written anywhere; a deserialized flow has none.
fn redacted_code() -> Option<PaymentCode> {
    None
}

/// Sale (money moves on approval) or authorization (vending: capture after the vend).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Capture {
    Sale,
    Auth,
}

/// Everything a provider needs to start a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRequest {
    pub key: SaleKey,
    pub amount: Money,
    pub flow: Flow,
    pub capture: Capture,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_validate_where_typed() {
        assert_eq!(Msisdn::parse("+4791234567").unwrap().as_str(), "4791234567");
        assert_eq!(Msisdn::parse("123"), Err(InputError::PhoneLength));
        assert_eq!(Msisdn::parse("47-912"), Err(InputError::NotDigits));
        assert_eq!(CardNumber::parse("1234567"), Err(InputError::CardLength));
        assert_eq!(PaymentCode::parse("123456789"), Err(InputError::CodeLength));
        assert_eq!(InvoiceNumber::parse(""), Err(InputError::InvoiceLength));
        assert!(serde_json::from_str::<Msisdn>("\"12\"").is_err());
    }

    #[test]
    fn secrets_and_card_numbers_are_masked() {
        let code = PaymentCode::parse("4321").unwrap();
        assert!(!format!("{code:?}").contains("4321"));
        let card = CardNumber::parse("1234567890123456").unwrap();
        assert_eq!(format!("{card:?}"), "****3456");
        let flow = Flow::CardAndCode {
            card,
            code: Some(code),
        };
        let json = serde_json::to_string(&flow).unwrap();
        assert!(!json.contains("4321"), "{json}");
    }

    #[test]
    fn sale_keys_fit_every_provider() {
        let k = SaleKey::new("T1", 42).unwrap();
        assert_eq!(k.as_str(), "T1-000042");
        assert!(SaleKey::parse("a b").is_err());
        assert!(SaleKey::parse(&"x".repeat(65)).is_err());
    }
}
