//! The common reader: walks the spanned TOML, collects every problem with its line and dotted
//! key, reads typed values (text, integers, URLs, secrets inline or as `*_file`, amounts, GPIO
//! pins), and reports unknown keys with the closest known one. Sections (terminal-wide ones here,
//! each provider's in its own folder) are written against it.

use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use reqwest::Url;
use secrecy::SecretString;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::hardware::GPIO;
use super::{ConfigErrors, LoadContext, Problem, Warning};
use crate::money::{Currency, Money};

/// Byte offset to 1-based line.
pub(crate) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset).max(1)
    }
}

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// One table being read: which keys were asked for, so the rest are reported as unknown.
pub(crate) struct Table<'t, 'i> {
    pub(crate) path: String,
    pub(crate) table: &'t DeTable<'i>,
    /// The header's span, for "missing key" problems; `None` for the document root.
    pub(crate) at: Option<Range<usize>>,
    pub(crate) known: Vec<&'static str>,
    /// `false` for a disabled provider: missing keys and secret files are not looked for.
    pub(crate) active: bool,
}

impl<'t, 'i> Table<'t, 'i> {
    pub(crate) fn key(&self, k: &str) -> String {
        if self.path.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.path)
        }
    }

    pub(crate) fn get(&mut self, k: &'static str) -> Option<&'t Value<'i>> {
        self.known.push(k);
        self.table.get(k)
    }
}

pub(crate) struct Reader<'a> {
    pub(crate) origin: &'a str,
    pub(crate) lines: LineIndex,
    pub(crate) ctx: &'a LoadContext,
    pub(crate) problems: Vec<Problem>,
    pub(crate) warnings: Vec<Warning>,
    /// Every dotted key asked for (array indexes dropped), so a test can prove the example
    /// documents each one.
    pub(crate) asked: Vec<String>,
}

pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &str, origin: &'a str, ctx: &'a LoadContext) -> Reader<'a> {
        Reader {
            origin,
            lines: LineIndex::new(text),
            ctx,
            problems: Vec::new(),
            warnings: Vec::new(),
            asked: Vec::new(),
        }
    }

    pub(crate) fn make(
        &self,
        span: Option<&Range<usize>>,
        key: String,
        message: String,
    ) -> Problem {
        Problem {
            origin: self.origin.to_string(),
            line: span.map(|s| self.lines.line(s.start)),
            key,
            message,
        }
    }

    pub(crate) fn problem(
        &mut self,
        span: Option<&Range<usize>>,
        key: String,
        message: impl Into<String>,
    ) {
        let p = self.make(span, key, message.into());
        self.problems.push(p);
    }

    pub(crate) fn warn(
        &mut self,
        span: Option<&Range<usize>>,
        key: String,
        message: impl Into<String>,
    ) {
        let p = self.make(span, key, message.into());
        self.warnings.push(p);
    }

    pub(crate) fn into_errors(mut self) -> ConfigErrors {
        self.problems.sort_by_key(|p| p.line.unwrap_or(0));
        ConfigErrors {
            problems: self.problems,
        }
    }

    pub(crate) fn wrong_type(&mut self, t: &Table, k: &str, v: &Value, expected: &str) {
        let got = type_name(v.get_ref());
        self.problem(
            Some(&v.span()),
            t.key(k),
            format!("expected {expected}, found {got}"),
        );
    }

    /// Reports a required key that is absent (not one present with a wrong value).
    pub(crate) fn missing(&mut self, t: &Table, k: &str, what: &str) {
        if t.active && !t.table.contains_key(k) {
            let where_ = if t.path.is_empty() {
                String::new()
            } else {
                format!(" in [{}]", t.path)
            };
            self.problem(t.at.as_ref(), t.key(k), format!("missing{where_}: {what}"));
        }
    }

    /// Reports every key of `t` that was not asked for, with the closest known key as a hint.
    pub(crate) fn finish(&mut self, t: Table) {
        let base = match t.path.find('[') {
            Some(i) => &t.path[..i],
            None => &t.path,
        };
        for k in &t.known {
            self.asked.push(if base.is_empty() {
                k.to_string()
            } else {
                format!("{base}.{k}")
            });
        }
        for (key, value) in t.table.iter() {
            let name: &str = key.get_ref();
            if t.known.contains(&name) {
                continue;
            }
            let kind = if value.get_ref().is_table() {
                "unknown table"
            } else {
                "unknown key"
            };
            let hint = closest(name, &t.known)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_else(|| format!("; known keys here: {}", t.known.join(", ")));
            self.problem(Some(&key.span()), t.key(name), format!("{kind}{hint}"));
        }
    }

    // ---- typed getters: `None` when absent or wrong (the problem is already recorded) ----

    pub(crate) fn table<'t, 'i>(
        &mut self,
        parent: &mut Table<'t, 'i>,
        k: &'static str,
        active: bool,
    ) -> Option<Table<'t, 'i>> {
        let v = parent.get(k)?;
        match v.get_ref() {
            DeValue::Table(table) => Some(Table {
                path: parent.key(k),
                table,
                at: Some(self.key_span(parent.table, k).unwrap_or_else(|| v.span())),
                known: Vec::new(),
                active,
            }),
            _ => {
                self.wrong_type(parent, k, v, "a table");
                None
            }
        }
    }

    pub(crate) fn key_span(&self, table: &DeTable<'_>, k: &str) -> Option<Range<usize>> {
        table.get_key_value(k).map(|(key, _)| key.span())
    }

    pub(crate) fn string(&mut self, t: &mut Table, k: &'static str) -> Option<Spanned<String>> {
        let v = t.get(k)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
            _ => {
                self.wrong_type(t, k, v, "a string");
                None
            }
        }
    }

    /// A non-empty string of at most `max` characters without control characters.
    pub(crate) fn text(&mut self, t: &mut Table, k: &'static str, max: usize) -> Option<String> {
        let s = self.string(t, k)?;
        let ok = !s.get_ref().trim().is_empty()
            && s.get_ref().chars().count() <= max
            && !s.get_ref().chars().any(char::is_control);
        if ok {
            Some(s.into_inner())
        } else {
            self.problem(
                Some(&s.span()),
                t.key(k),
                format!("must be 1 to {max} printable characters"),
            );
            None
        }
    }

    pub(crate) fn integer(
        &mut self,
        t: &mut Table,
        k: &'static str,
        range: RangeInclusive<i64>,
    ) -> Option<i64> {
        let v = t.get(k)?;
        let n = match v.get_ref() {
            DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix()).ok(),
            _ => {
                self.wrong_type(t, k, v, "an integer");
                return None;
            }
        };
        match n {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.problem(
                    Some(&v.span()),
                    t.key(k),
                    format!("must be between {} and {}", range.start(), range.end()),
                );
                None
            }
        }
    }

    pub(crate) fn unsigned(
        &mut self,
        t: &mut Table,
        k: &'static str,
        range: RangeInclusive<u64>,
        default: u64,
    ) -> u64 {
        let lo = i64::try_from(*range.start()).unwrap_or(i64::MAX);
        let hi = i64::try_from(*range.end()).unwrap_or(i64::MAX);
        self.integer(t, k, lo..=hi)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(default)
    }

    pub(crate) fn boolean(&mut self, t: &mut Table, k: &'static str) -> Option<bool> {
        let v = t.get(k)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(t, k, v, "true or false");
                None
            }
        }
    }

    /// One of a fixed set of words.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        t: &mut Table,
        k: &'static str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let s = self.string(t, k)?;
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == s.get_ref()) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        self.problem(
            Some(&s.span()),
            t.key(k),
            format!("{:?} is not one of {}", s.get_ref(), names.join(", ")),
        );
        None
    }

    /// An http(s) URL, normalised to end with `/`. Its value is never echoed.
    pub(crate) fn url(&mut self, t: &mut Table, k: &'static str) -> Option<Url> {
        let s = self.string(t, k)?;
        let span = s.span();
        let mut url = match Url::parse(s.get_ref().trim()) {
            Ok(url) => url,
            Err(e) => {
                self.problem(
                    Some(&span),
                    t.key(k),
                    format!("not a URL ({e}); expected http:// or https:// and a host"),
                );
                return None;
            }
        };
        let why = if !matches!(url.scheme(), "http" | "https") {
            Some("must start with http:// or https://")
        } else if url.host_str().is_none_or(str::is_empty) {
            Some("must name a host")
        } else if !url.username().is_empty() || url.password().is_some() {
            Some("must not contain a user name or password; use the credential keys")
        } else if url.query().is_some() || url.fragment().is_some() {
            Some("must not have a query (?...) or fragment (#...)")
        } else {
            None
        };
        if let Some(why) = why {
            self.problem(Some(&span), t.key(k), why);
            return None;
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        if url.scheme() == "http" && t.active && !is_loopback(&url) {
            self.warn(
                Some(&span),
                t.key(k),
                "plain http to another machine: credentials travel unencrypted; use https",
            );
        }
        Some(url)
    }

    /// A secret given inline as `k` or in a file named by `k_file`.
    pub(crate) fn secret(
        &mut self,
        t: &mut Table,
        k: &'static str,
        k_file: &'static str,
    ) -> Option<SecretString> {
        let inline = t.get(k);
        let file = t.get(k_file);
        if let (Some(_), Some(f)) = (inline, file) {
            self.problem(
                Some(&f.span()),
                t.key(k_file),
                format!("give either {k} or {k_file}, not both"),
            );
            return None;
        }
        if let Some(v) = inline {
            return match v.get_ref() {
                DeValue::String(s) if !s.is_empty() => Some(SecretString::from(s.to_string())),
                DeValue::String(_) => {
                    self.problem(Some(&v.span()), t.key(k), "is empty");
                    None
                }
                _ => {
                    self.wrong_type(t, k, v, "a string");
                    None
                }
            };
        }
        let v = file?;
        let name = match v.get_ref() {
            DeValue::String(s) if !s.trim().is_empty() => s.to_string(),
            _ => {
                self.wrong_type(t, k_file, v, "a file name");
                return None;
            }
        };
        if !t.active {
            return None;
        }
        let path = self.resolve_secret_file(&name);
        match read_secret_file(&path) {
            Ok(secret) => Some(secret),
            Err(why) => {
                self.problem(
                    Some(&v.span()),
                    t.key(k_file),
                    format!("{}: {why}", path.display()),
                );
                None
            }
        }
    }

    pub(crate) fn resolve_secret_file(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.is_absolute() {
            return p.to_path_buf();
        }
        match &self.ctx.credentials_directory {
            Some(dir) => dir.join(p),
            None => self.ctx.config_dir.join(p),
        }
    }

    /// A required secret: reports when neither `k` nor `k_file` is given.
    pub(crate) fn required_secret(
        &mut self,
        t: &mut Table,
        k: &'static str,
        k_file: &'static str,
    ) -> Option<SecretString> {
        let s = self.secret(t, k, k_file);
        if s.is_none() && !t.table.contains_key(k) && !t.table.contains_key(k_file) {
            self.missing(t, k, &format!("set {k} or {k_file}"));
        }
        s
    }

    /// An amount: a decimal string such as `"10000.00"` (or an integer) in `currency`.
    pub(crate) fn money(
        &mut self,
        t: &mut Table,
        k: &'static str,
        currency: Option<Currency>,
    ) -> Option<Money> {
        let v = t.get(k)?;
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(n) if n.radix() == 10 => n.as_str().to_string(),
            DeValue::Float(_) => {
                self.problem(
                    Some(&v.span()),
                    t.key(k),
                    "write amounts as a quoted decimal string such as \"10000.00\" (a TOML \
                     float cannot hold cents exactly)",
                );
                return None;
            }
            _ => {
                self.wrong_type(t, k, v, "a decimal string such as \"10000.00\"");
                return None;
            }
        };
        // Without a valid terminal currency the form is still checked (sign, digits) against
        // the currency with the most decimals; the currency's own problem is reported at
        // terminal.currency.
        let Some(currency) = currency else {
            if let Err(e) = Money::parse_input(&text, Currency::LYD) {
                self.problem(
                    Some(&v.span()),
                    t.key(k),
                    format!("{e}; expected a decimal amount of 0 or more, such as \"10000.00\""),
                );
            }
            return None;
        };
        match Money::parse_input(&text, currency) {
            Ok(m) => Some(m),
            Err(e) => {
                self.problem(
                    Some(&v.span()),
                    t.key(k),
                    format!("{e}; expected a decimal amount of 0 or more, such as \"10000.00\""),
                );
                None
            }
        }
    }

    pub(crate) fn pin(
        &mut self,
        t: &mut Table,
        k: &'static str,
        range: RangeInclusive<i64>,
    ) -> Option<u8> {
        self.integer(t, k, range).and_then(|n| u8::try_from(n).ok())
    }

    pub(crate) fn pins4(
        &mut self,
        t: &mut Table,
        k: &'static str,
    ) -> Option<([u8; 4], Range<usize>)> {
        let v = t.get(k)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(t, k, v, "an array of 4 GPIO numbers");
            return None;
        };
        let mut pins = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
                    Ok(n) if GPIO.contains(&n) => pins.push(n as u8),
                    _ => {
                        self.problem(
                            Some(&item.span()),
                            t.key(k),
                            format!("GPIO numbers are BCM {} to {}", GPIO.start(), GPIO.end()),
                        );
                        return None;
                    }
                },
                other => {
                    let got = type_name(other);
                    self.problem(
                        Some(&item.span()),
                        t.key(k),
                        format!("expected a GPIO number, found {got}"),
                    );
                    return None;
                }
            }
        }
        match <[u8; 4]>::try_from(pins) {
            Ok(p) => Some((p, v.span())),
            Err(p) => {
                self.problem(
                    Some(&v.span()),
                    t.key(k),
                    format!("expected exactly 4 GPIO numbers, found {}", p.len()),
                );
                None
            }
        }
    }

    /// A required non-secret text value of an enabled provider.
    pub(crate) fn required_text(
        &mut self,
        t: &mut Table,
        k: &'static str,
        max: usize,
        what: &str,
    ) -> Option<String> {
        let v = self.text(t, k, max);
        self.missing(t, k, what);
        v
    }

    pub(crate) fn required_url(
        &mut self,
        t: &mut Table,
        k: &'static str,
        example: &str,
    ) -> Option<Url> {
        let v = self.url(t, k);
        self.missing(t, k, &format!("an http(s) URL such as \"{example}\""));
        v
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Reads a credential file; trailing newlines are not part of the secret. The error names the
/// failure, never the content.
pub(crate) fn read_secret_file(path: &Path) -> Result<SecretString, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file ({e})"))?;
    let text = String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err("the file is empty".to_string());
    }
    Ok(SecretString::from(trimmed.to_string()))
}

/// The known key closest to a typo, if it is close enough to be a likely meaning.
pub(crate) fn closest<'k>(typo: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (typo.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| (edit_distance(typo, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
        .or_else(|| {
            // `secret_fil` and the like: a known key the typo starts, or that starts the typo.
            known
                .iter()
                .find(|k| typo.len() >= 3 && (k.starts_with(typo) || typo.starts_with(*k)))
                .copied()
        })
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
