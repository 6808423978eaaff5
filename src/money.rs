//! Money as integer minor units with its currency.
//!
//! Nothing in Kassa holds an amount as a float: a person's typing, every provider's wire form
//! and every display go through the decimal text parser and formatter here.
//!
//! Rounding rule: text with more fraction digits than the currency has (only ever seen in
//! provider JSON numbers with binary-float tails such as MonCash's
//! `29814021.179999999701976776123046875`) is rounded to the nearest minor unit, ties away from
//! zero. What a person types is never rounded: too many decimals is an error.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Errors from parsing, formatting or arithmetic on money.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?} (expected an ISO 4217 code such as NOK, LYD, HTG)")]
    UnknownCurrency(String),
    #[error("{0:?} is not an amount (expected digits with an optional decimal point)")]
    Malformed(String),
    #[error("amount {text:?} has more than {max} decimals for {currency}")]
    TooManyDecimals {
        text: String,
        max: u8,
        currency: Currency,
    },
    #[error("amount {0:?} is negative")]
    Negative(String),
    #[error("amount is too large")]
    Overflow,
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An ISO 4217 currency with its minor-unit exponent (LYD has 3 decimals, NOK 2, JPY 0).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// The currencies Kassa knows. An unknown code is an error, never a guessed exponent.
const CURRENCIES: &[(&str, u8)] = &[
    ("BHD", 3),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HTG", 2),
    ("IQD", 3),
    ("JOD", 3),
    ("JPY", 0),
    ("KWD", 3),
    ("LKR", 2),
    ("LYD", 3),
    ("NOK", 2),
    ("OMR", 3),
    ("SEK", 2),
    ("TND", 3),
    ("USD", 2),
];

impl Currency {
    pub const NOK: Currency = Currency::known(*b"NOK", 2);
    pub const LYD: Currency = Currency::known(*b"LYD", 3);
    pub const HTG: Currency = Currency::known(*b"HTG", 2);
    pub const LKR: Currency = Currency::known(*b"LKR", 2);
    pub const USD: Currency = Currency::known(*b"USD", 2);

    const fn known(code: [u8; 3], exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Looks up an ISO 4217 code (upper case, as every provider sends it).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, e)| {
                let b = c.as_bytes();
                Currency::known([b[0], b[1], b[2]], *e)
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    /// Every currency Kassa knows, for property tests and settings screens.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .filter_map(|(c, _)| Currency::from_code(c).ok())
    }

    pub fn code(&self) -> &str {
        // The code bytes come only from the ASCII table above.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of decimals of the minor unit.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    fn scale(&self) -> i64 {
        10i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount: integer minor units of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// How to treat fraction digits beyond the currency's exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Excess {
    Reject,
    Round,
}

impl Money {
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// What a person typed: `12.50`, `12,50`, `12`, `.5`. No sign, no rounding.
    pub fn parse_input(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.starts_with('-') {
            return Err(MoneyError::Negative(t.to_string()));
        }
        let t = t.replacen(',', ".", 1);
        parse_decimal(&t, currency, Excess::Reject, false).map_err(|e| relabel(e, text))
    }

    /// A provider's decimal string (mCASH `"12.50"`, eZ Cash `"10"`). Accepts fewer decimals than
    /// the currency has (clients must accept what real servers send); more is an error, because
    /// a string amount is meant to be exact.
    pub fn parse_wire_str(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        parse_decimal(text, currency, Excess::Reject, false)
    }

    /// A provider's JSON number, given as its exact source text (MonCash `cost`, balances).
    /// Exponents are allowed; excess decimals are rounded by the module's rule.
    pub fn parse_json_number(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        parse_decimal(text, currency, Excess::Round, true)
    }

    /// Exact decimals, no currency: `12.50`, `1.250` for LYD, `12` for JPY. mCASH's wire form.
    pub fn to_decimal_string(&self) -> String {
        let scale = self.currency.scale();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let whole = abs / scale as u64;
        let frac = abs % scale as u64;
        if self.currency.exponent == 0 {
            format!("{sign}{whole}")
        } else {
            format!(
                "{sign}{whole}.{frac:0width$}",
                width = usize::from(self.currency.exponent)
            )
        }
    }

    /// The amount as a JSON number token (MonCash), written from the decimal text, never a float.
    pub fn to_json_number(&self) -> Box<serde_json::value::RawValue> {
        // A decimal string of digits is always a valid JSON number.
        serde_json::value::RawValue::from_string(self.to_decimal_string())
            .unwrap_or_else(|_| unreachable_raw())
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(factor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

fn unreachable_raw() -> Box<serde_json::value::RawValue> {
    // `to_decimal_string` only writes digits, a point and a sign: RawValue accepts it.
    serde_json::value::to_raw_value(&0).unwrap_or_default()
}

fn relabel(e: MoneyError, original: &str) -> MoneyError {
    match e {
        MoneyError::Malformed(_) => MoneyError::Malformed(original.to_string()),
        other => other,
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// For screens and receipts: `12.50 NOK`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

/// Parses decimal text into minor units without ever going through a float.
fn parse_decimal(
    text: &str,
    currency: Currency,
    excess: Excess,
    allow_exponent: bool,
) -> Result<Money, MoneyError> {
    let malformed = || MoneyError::Malformed(text.to_string());
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') if allow_exponent => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp10) = match body.find(['e', 'E']) {
        Some(i) if allow_exponent => {
            let e: i32 = body[i + 1..].parse().map_err(|_| malformed())?;
            (&body[..i], e)
        }
        Some(_) => return Err(malformed()),
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return Err(malformed());
    }
    if exp10.unsigned_abs() > 400 {
        return Err(MoneyError::Overflow);
    }
    // All digits in one string, with the decimal point moved by the exponent and the exponent.
    let digits: String = format!("{int_part}{frac_part}");
    let point = int_part.len() as i64 + i64::from(exp10) + i64::from(currency.exponent);
    // `point` is where the decimal point falls, counted in digits, once scaled to minor units.
    let (whole, rest): (String, String) = if point <= 0 {
        (String::new(), "0".repeat((-point) as usize) + &digits)
    } else if point as usize >= digits.len() {
        (
            digits.clone() + &"0".repeat(point as usize - digits.len()),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_string(),
            digits[point as usize..].to_string(),
        )
    };
    let excess_digits = rest.trim_end_matches('0');
    let whole = whole.trim_start_matches('0');
    if whole.len() > 19 {
        return Err(MoneyError::Overflow);
    }
    let mut magnitude: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| MoneyError::Overflow)?
    };
    if !excess_digits.is_empty() {
        match excess {
            Excess::Reject => {
                return Err(MoneyError::TooManyDecimals {
                    text: text.to_string(),
                    max: currency.exponent,
                    currency,
                });
            }
            Excess::Round => {
                if excess_digits.as_bytes()[0] >= b'5' {
                    magnitude += 1;
                }
            }
        }
    }
    let signed = if negative { -magnitude } else { magnitude };
    let minor = i64::try_from(signed).map_err(|_| MoneyError::Overflow)?;
    Ok(Money::from_minor(minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nok(m: i64) -> Money {
        Money::from_minor(m, Currency::NOK)
    }

    #[test]
    fn known_currencies_have_their_exponents() {
        assert_eq!(Currency::from_code("LYD").unwrap().exponent(), 3);
        assert_eq!(Currency::from_code("HTG").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("LKR").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("NOK").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
    }

    #[test]
    fn unknown_currency_is_an_error_not_a_default() {
        assert_eq!(
            Currency::from_code("XYZ"),
            Err(MoneyError::UnknownCurrency("XYZ".into()))
        );
        assert!(Currency::from_code("nok").is_err());
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn parses_what_a_person_types() {
        assert_eq!(Money::parse_input("12.50", Currency::NOK), Ok(nok(1250)));
        assert_eq!(Money::parse_input("12,5", Currency::NOK), Ok(nok(1250)));
        assert_eq!(Money::parse_input(" 12 ", Currency::NOK), Ok(nok(1200)));
        assert_eq!(Money::parse_input(".5", Currency::NOK), Ok(nok(50)));
        assert_eq!(
            Money::parse_input("1.250", Currency::LYD),
            Ok(Money::from_minor(1250, Currency::LYD))
        );
        assert!(matches!(
            Money::parse_input("12.505", Currency::NOK),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Money::parse_input("-5", Currency::NOK),
            Err(MoneyError::Negative(_))
        ));
        for bad in ["", ".", "1.2.3", "12a", "1e3", "١٢", "+5"] {
            assert!(
                matches!(
                    Money::parse_input(bad, Currency::NOK),
                    Err(MoneyError::Malformed(_))
                ),
                "{bad:?} must be malformed"
            );
        }
    }

    #[test]
    fn parses_provider_wire_forms() {
        // mCASH exact-decimal strings.
        assert_eq!(Money::parse_wire_str("12.50", Currency::NOK), Ok(nok(1250)));
        // eZ Cash numeric strings.
        assert_eq!(
            Money::parse_wire_str("10", Currency::LKR),
            Ok(Money::from_minor(1000, Currency::LKR))
        );
        // MonCash JSON numbers with binary-float tails.
        assert_eq!(
            Money::parse_json_number("29814021.179999999701976776123046875", Currency::HTG),
            Ok(Money::from_minor(2_981_402_118, Currency::HTG))
        );
        assert_eq!(
            Money::parse_json_number("1.5e2", Currency::HTG),
            Ok(Money::from_minor(15000, Currency::HTG))
        );
        assert_eq!(
            Money::parse_json_number("0.125", Currency::HTG),
            Ok(Money::from_minor(13, Currency::HTG))
        );
        assert_eq!(
            Money::parse_json_number("-0.125", Currency::HTG),
            Ok(Money::from_minor(-13, Currency::HTG))
        );
        assert_eq!(
            Money::parse_json_number("5E-3", Currency::LYD),
            Ok(Money::from_minor(5, Currency::LYD))
        );
        assert!(Money::parse_json_number("1e999999", Currency::HTG).is_err());
        assert_eq!(
            Money::parse_wire_str("99999999999999999999", Currency::NOK),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn formats_each_wire_form() {
        assert_eq!(nok(1250).to_decimal_string(), "12.50");
        assert_eq!(nok(5).to_decimal_string(), "0.05");
        assert_eq!(nok(-5).to_decimal_string(), "-0.05");
        assert_eq!(
            Money::from_minor(1250, Currency::LYD).to_decimal_string(),
            "1.250"
        );
        assert_eq!(nok(1250).to_json_number().get(), "12.50");
        assert_eq!(nok(1250).to_string(), "12.50 NOK");
        let json = serde_json::to_string(&nok(1250)).unwrap();
        assert_eq!(json, r#"{"minor":1250,"currency":"NOK"}"#);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(nok(1).checked_add(nok(2)), Ok(nok(3)));
        assert_eq!(nok(i64::MAX).checked_add(nok(1)), Err(MoneyError::Overflow));
        assert_eq!(nok(i64::MIN).checked_sub(nok(1)), Err(MoneyError::Overflow));
        assert_eq!(nok(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(
            nok(1).checked_add(Money::from_minor(1, Currency::LYD)),
            Err(MoneyError::CurrencyMismatch(Currency::NOK, Currency::LYD))
        );
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        let all: Vec<Currency> = Currency::all().collect();
        proptest::sample::select(all)
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in any::<i64>(), currency in any_currency()) {
            let m = Money::from_minor(minor, currency);
            let text = m.to_decimal_string();
            prop_assert_eq!(Money::parse_wire_str(&text, currency), Ok(m));
            prop_assert_eq!(Money::parse_json_number(&text, currency), Ok(m));
            let json = m.to_json_number();
            prop_assert_eq!(Money::parse_json_number(json.get(), currency), Ok(m));
            if minor >= 0 {
                prop_assert_eq!(Money::parse_input(&text, currency), Ok(m));
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}", currency in any_currency()) {
            let _ = Money::parse_input(&text, currency);
            let _ = Money::parse_wire_str(&text, currency);
            let _ = Money::parse_json_number(&text, currency);
        }
    }
}
