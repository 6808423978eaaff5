//! Strict validation of mCASH request bodies, collecting every field problem into one
//! `validation_error` as a form validator does.
//!
//! Why strict: the simulator serves the documented form only (NOTES), so a client that sends
//! `"12.5"` for NOK, a JSON number as money, or a bad `pos_tid` finds out here, not in production.

use serde_json::{Map, Value};

use crate::money::{Currency, Money};

use super::ApiError;

pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    errors: Vec<(String, String)>,
}

impl<'a> Fields<'a> {
    pub fn new(obj: &'a Map<String, Value>) -> Fields<'a> {
        Fields {
            obj,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, field: &str, problem: impl Into<String>) {
        self.errors.push((field.to_string(), problem.into()));
    }

    /// The field, with JSON `null` read as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn opt_str(&mut self, name: &str, max_len: usize) -> Option<String> {
        match self.get(name)? {
            Value::String(s) if s.chars().count() <= max_len => Some(s.clone()),
            Value::String(_) => {
                self.error(
                    name,
                    format!("Ensure this value has at most {max_len} characters."),
                );
                None
            }
            _ => {
                self.error(name, "Not a valid string.");
                None
            }
        }
    }

    pub fn req_str(&mut self, name: &str, max_len: usize) -> Option<String> {
        if !self.has(name) {
            self.error(name, "This field is required.");
            return None;
        }
        let s = self.opt_str(name, max_len)?;
        if s.is_empty() {
            self.error(name, "This field is required.");
            return None;
        }
        Some(s)
    }

    pub fn opt_bool(&mut self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(name, "Not a valid boolean.");
                None
            }
        }
    }

    pub fn req_bool(&mut self, name: &str) -> Option<bool> {
        if !self.has(name) {
            self.error(name, "This field is required.");
            return None;
        }
        self.opt_bool(name)
    }

    /// An integer in `0..=max`, or `default` when absent.
    pub fn int(&mut self, name: &str, default: i64, max: i64) -> i64 {
        match self.get(name) {
            None => default,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (0..=max).contains(&v) => v,
                _ => {
                    self.error(name, format!("Ensure this value is between 0 and {max}."));
                    default
                }
            },
            Some(_) => {
                self.error(name, "Not a valid integer.");
                default
            }
        }
    }

    pub fn currency(&mut self, name: &str, required: bool) -> Option<Currency> {
        let s = if required {
            self.req_str(name, 3)?
        } else {
            self.opt_str(name, 3)?
        };
        match Currency::from_code(&s) {
            Ok(c) => Some(c),
            Err(_) => {
                self.error(name, format!("{s:?} is not a supported ISO 4217 currency."));
                None
            }
        }
    }

    /// mCASH Money: a string with exactly the currency's decimals.
    pub fn money(&mut self, name: &str, currency: Option<Currency>) -> Option<Money> {
        let v = self.get(name)?;
        let Value::String(text) = v else {
            self.error(
                name,
                "Money must be a string such as \"12.50\", not a number.",
            );
            return None;
        };
        let currency = currency?;
        match strict_money(text, currency) {
            Ok(m) => Some(m),
            Err(problem) => {
                self.error(name, problem);
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation_fields(self.errors))
        }
    }
}

/// Accepts only `digits[.exactly-exponent-digits]`, e.g. `"12.50"` for NOK, `"1.250"` for LYD.
pub fn strict_money(text: &str, currency: Currency) -> Result<Money, String> {
    let exp = usize::from(currency.exponent());
    let bad = || {
        let example = Money::from_minor(1250, currency).to_decimal_string();
        format!(
            "{text:?} is not an amount in {currency}: expected digits with exactly {exp} decimals, e.g. \"{example}\"."
        )
    };
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = whole.len() > 1 && whole.starts_with('0');
    let frac_ok = match (exp, frac) {
        (0, None) => true,
        (_, Some(f)) => f.len() == exp && digits(f),
        _ => false,
    };
    if !digits(whole) || leading_zero || !frac_ok {
        return Err(bad());
    }
    Money::parse_wire_str(text, currency).map_err(|_| bad())
}

/// `pos_tid` / `capture_id` form (NOTES): `^[a-zA-Z0-9_.-]+$`.
pub fn is_local_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_strict() {
        let nok = Currency::NOK;
        assert_eq!(strict_money("12.50", nok).map(|m| m.minor()), Ok(1250));
        assert_eq!(strict_money("0.05", nok).map(|m| m.minor()), Ok(5));
        for bad in [
            "12.5", "12", "12.500", "-1.00", "012.50", "1e2", "", "12,50", " 1.00",
        ] {
            assert!(strict_money(bad, nok).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            strict_money("1.250", Currency::LYD).map(|m| m.minor()),
            Ok(1250)
        );
    }

    #[test]
    fn number_money_is_a_validation_error() {
        let obj = serde_json::json!({"amount": 12.5});
        let mut f = Fields::new(obj.as_object().unwrap());
        assert_eq!(f.money("amount", Some(Currency::NOK)), None);
        let e = f.finish().unwrap_err();
        assert_eq!(e.error_type, "validation_error");
        assert!(e.details["amount"][0].as_str().unwrap().contains("string"));
    }
}
