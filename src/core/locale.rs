//! How a market writes numbers, money and times (`terminal.locale`, `terminal.time_zone`): one
//! place that turns a [`Money`] or a [`Millis`] into what a person reads, used by the screens and
//! the reports alike. Display only: what is sent on the wire, journaled or exported as data stays
//! the exact decimal of [`Money::to_decimal_string`] and UTC, whatever the locale.
//!
//! Each locale is the market's variant of the language (CLDR 48 data as ICU 78 formats it):
//! `en` en-US, `nb` nb-NO, `fr` fr-HT, `ar` ar-LY, `si` si-LK, `ta` ta-LK. Decided here, where
//! CLDR says nothing or the screen cannot follow it yet:
//! - `ht` (Haitian Creole) has no CLDR number data; it writes numbers as fr-HT does
//!   (`1 234,50 G`), the convention of Haiti's French-language press and banks.
//! - `ta` follows CLDR's ta-LK, which groups in lakhs (`Rs. 12,34,567.50`); Sinhala (si-LK) and
//!   English group in thousands.
//! - Arabic keeps Latin digits (ar-LY's default numbering in CLDR) and leaves out the
//!   right-to-left marks CLDR puts around an amount: the layout direction is the RTL part of
//!   issue 15, and a mark the font cannot draw would show as a box.
//! - Separators are CLDR's: no-break space (nb), narrow no-break space (fr, ht), and nb's minus
//!   sign U+2212; an amount never breaks across lines.

use serde::{Deserialize, Serialize};

use super::time::{LocalTime, Millis, Zone};
use crate::money::{Currency, Money};

/// A display language and number convention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    Nb,
    Fr,
    Ht,
    Ar,
    Si,
    Ta,
}

/// Unknown locale code in the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale {0:?} (expected one of: en, nb, fr, ht, ar, si, ta)")]
pub struct UnknownLocale(pub String);

/// How digits are grouped left of the decimal separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grouping {
    /// 1,234,567
    Thousands,
    /// 12,34,567: the last three, then by two.
    Lakhs,
}

/// The number conventions of one locale.
struct Style {
    decimal: &'static str,
    group: &'static str,
    minus: &'static str,
    grouping: Grouping,
    /// The currency comes after the number (`1 234,50 kr`) rather than before (`$1,234.50`).
    symbol_after: bool,
}

const NBSP: &str = "\u{a0}";

impl Locale {
    pub const ALL: [Locale; 7] = [
        Locale::En,
        Locale::Nb,
        Locale::Fr,
        Locale::Ht,
        Locale::Ar,
        Locale::Si,
        Locale::Ta,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Nb => "nb",
            Locale::Fr => "fr",
            Locale::Ht => "ht",
            Locale::Ar => "ar",
            Locale::Si => "si",
            Locale::Ta => "ta",
        }
    }

    pub fn from_code(code: &str) -> Result<Locale, UnknownLocale> {
        Locale::ALL
            .into_iter()
            .find(|l| l.code() == code.trim())
            .ok_or_else(|| UnknownLocale(code.to_string()))
    }

    fn style(self) -> Style {
        let (decimal, group, minus, grouping, symbol_after) = match self {
            Locale::En => (".", ",", "-", Grouping::Thousands, false),
            Locale::Nb => (",", NBSP, "\u{2212}", Grouping::Thousands, true),
            Locale::Fr | Locale::Ht => (",", "\u{202f}", "-", Grouping::Thousands, true),
            Locale::Ar => (",", ".", "-", Grouping::Thousands, true),
            Locale::Si => (".", ",", "-", Grouping::Thousands, false),
            Locale::Ta => (".", ",", "-", Grouping::Lakhs, false),
        };
        Style {
            decimal,
            group,
            minus,
            grouping,
            symbol_after,
        }
    }

    /// Whether the language is written right to left (the screens mirror).
    pub fn right_to_left(self) -> bool {
        matches!(self, Locale::Ar)
    }

    /// The decimal separator this locale writes (what the keypad's point key shows).
    pub fn decimal_separator(self) -> &'static str {
        self.style().decimal
    }

    /// The currency's sign as this locale writes it; its ISO code where the locale has none.
    pub fn symbol(self, currency: Currency) -> String {
        let own = match (self, currency.code()) {
            (_, "EUR") => "€",
            (Locale::En | Locale::Ta, "USD") => "$",
            (Locale::En | Locale::Ta, "JPY") => "¥",
            (Locale::Nb, "NOK") => "kr",
            (Locale::Fr | Locale::Ht, "HTG") => "G",
            (Locale::Fr | Locale::Ht, "USD") => "$US",
            (Locale::Ar, "LYD") => "د.ل.",
            (Locale::Ar | Locale::Si, "USD") => "US$",
            (Locale::Si, "LKR") => "රු.",
            (Locale::Ta, "LKR") => "Rs.",
            (_, code) => code,
        };
        own.to_string()
    }

    /// What follows a bare number where a page writes the unit after it: the locale's sign when
    /// the locale puts it after the number (`kr`, `G`, `د.ل.`), otherwise the ISO code, so a
    /// sign that goes first (`$`, `රු.`) is never shown behind the number.
    pub fn unit(self, currency: Currency) -> String {
        if self.style().symbol_after {
            self.symbol(currency)
        } else {
            currency.code().to_string()
        }
    }

    /// The unsigned number, grouped, with its decimals; and whether it was negative.
    fn unsigned_number(self, amount: Money) -> (bool, String) {
        let style = self.style();
        let exact = amount.to_decimal_string();
        let (negative, digits) = match exact.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, exact.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut out = group(whole, style.group, style.grouping);
        if !frac.is_empty() {
            out.push_str(style.decimal);
            out.push_str(frac);
        }
        (negative, out)
    }

    /// The amount's number alone, in this locale's digits grouping and separators, with every
    /// decimal the currency has: `1 234,50` (nb NOK), `1.234,500` (ar LYD), `1,234.50` (en).
    pub fn number(self, amount: Money) -> String {
        let (negative, number) = self.unsigned_number(amount);
        if negative {
            format!("{}{number}", self.style().minus)
        } else {
            number
        }
    }

    /// The amount for a person, currency where the locale puts it: `1 234,50 kr` (nb),
    /// `$1,234.50` (en USD), `1,234.50 NOK` (en NOK), `රු. 1,234.50` (si), `1.234,500 د.ل.` (ar).
    pub fn money(self, amount: Money) -> String {
        let style = self.style();
        let symbol = self.symbol(amount.currency());
        let (negative, number) = self.unsigned_number(amount);
        let sign = if negative { style.minus } else { "" };
        if self == Locale::En && symbol == amount.currency().code() {
            // Kassa's English form for a currency without an English sign, as on its receipts
            // and screens so far: the ISO code after the number.
            format!("{sign}{number} {symbol}")
        } else if style.symbol_after {
            format!("{sign}{number}{NBSP}{symbol}")
        } else {
            // A letter or an abbreviation point is set off by a space ("LKR 5.00", "Rs. 5.00");
            // a sign is not ("$5.00").
            let spaced = symbol
                .chars()
                .last()
                .is_some_and(|c| c.is_alphabetic() || c == '.');
            let gap = if spaced { NBSP } else { "" };
            format!("{sign}{symbol}{gap}{number}")
        }
    }
}

/// `whole` (ASCII digits) with `sep` between groups.
fn group(whole: &str, sep: &str, grouping: Grouping) -> String {
    let n = whole.len();
    if n <= 3 {
        return whole.to_string();
    }
    // Where a separator goes, counted from the right.
    let is_break = |from_right: usize| match grouping {
        Grouping::Thousands => from_right.is_multiple_of(3),
        Grouping::Lakhs => {
            from_right == 3 || (from_right > 3 && (from_right - 3).is_multiple_of(2))
        }
    };
    let mut out = String::with_capacity(n + n / 2 * sep.len());
    for (i, c) in whole.chars().enumerate() {
        let from_right = n - i;
        if i > 0 && is_break(from_right) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// Where the terminal is: its zone and locale, the two things every display of a time or an
/// amount needs. Carried in the view's status bar so the UI and the core read the same one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Local {
    pub zone: Zone,
    pub locale: Locale,
}

impl Local {
    pub fn new(zone: Zone, locale: Locale) -> Local {
        Local { zone, locale }
    }

    /// The zone and locale of a demo market (`--demo no|ht|ly|lk|us`); `None` for another code.
    /// Sri Lanka reads Sinhala, its majority language, drawn by the embedded Noto Sans Sinhala
    /// (`src/ui/fonts.rs`); a Tamil-speaking shop sets `locale = "ta"`.
    pub fn for_market(market: &str) -> Option<Local> {
        let (zone, locale) = match market {
            "no" => ("Europe/Oslo", Locale::Nb),
            "ht" => ("America/Port-au-Prince", Locale::Fr),
            "ly" => ("Africa/Tripoli", Locale::Ar),
            "lk" => ("Asia/Colombo", Locale::Si),
            "us" => ("America/New_York", Locale::En),
            _ => return None,
        };
        Zone::named(zone).ok().map(|z| Local::new(z, locale))
    }

    pub fn money(&self, amount: Money) -> String {
        self.locale.money(amount)
    }

    pub fn local(&self, t: Millis) -> LocalTime {
        self.zone.local(t)
    }

    /// `HH:MM` local; `HH:MM UTC` when the terminal keeps UTC, so a UTC clock never passes for
    /// local time.
    pub fn clock(&self, t: Millis) -> String {
        let l = self.zone.local(t);
        if self.zone.is_utc() {
            format!("{:02}:{:02} UTC", l.hour, l.minute)
        } else {
            format!("{:02}:{:02}", l.hour, l.minute)
        }
    }

    /// `YYYY-MM-DD HH:MM` local, for a sale's detail.
    pub fn date_time(&self, t: Millis) -> String {
        let l = self.zone.local(t);
        format!("{} {}", l.date(), self.clock(t))
    }
}

impl LocalTime {
    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.year, self.month, self.day_of_month
        )
    }

    /// `HH:MM:SS`.
    pub fn hms(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// RFC 3339 with the local offset (`2024-10-04T12:00:00+02:00`); `Z` at offset zero.
    pub fn rfc3339(&self) -> String {
        let off = self.offset_seconds;
        let zone = if off == 0 {
            "Z".to_string()
        } else {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            format!("{sign}{:02}:{:02}", a / 3600, (a / 60) % 60)
        };
        format!("{}T{}{zone}", self.date(), self.hms())
    }
}

#[cfg(test)]
mod tests;
