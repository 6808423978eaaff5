//! Translated words for what the Rust side of the UI writes (the `.slint` files translate their
//! own text with `@tr`). Every sentence is a whole template with `{name}` placeholders, so a
//! translator can move the parts; the message id is the English sentence, as in gettext.
//!
//! Interface first: `tr` and `trn` answer English until the bundled catalogs (issue 15) are
//! read here; callers already pass the language, so no caller changes when they are.

use std::fmt::Display;

use crate::core::locale::Locale;

/// `msgid` in `lang`; the English `msgid` itself where the language has no translation.
pub fn tr(lang: Locale, msgid: &'static str) -> &'static str {
    let _ = lang;
    msgid
}

/// The form of a sentence with a count `n`, by `lang`'s plural rule.
pub fn trn(lang: Locale, singular: &'static str, plural: &'static str, n: u64) -> &'static str {
    let _ = lang;
    if n == 1 { singular } else { plural }
}

/// `template` with each `{name}` replaced by its value; an unknown `{name}` is left as written,
/// so a translation that names a placeholder wrongly shows the mistake instead of losing text.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(&value.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_named_placeholders_and_keeps_unknown_ones() {
        let phone = "+47 400 00 000";
        assert_eq!(
            fill(
                "Request sent to {phone}, {n} left {x}",
                &[("phone", &phone), ("n", &3)]
            ),
            "Request sent to +47 400 00 000, 3 left {x}"
        );
        assert_eq!(fill("no braces", &[]), "no braces");
        assert_eq!(fill("open { only", &[]), "open { only");
    }

    #[test]
    fn english_is_the_message_id() {
        assert_eq!(tr(Locale::En, "Amount"), "Amount");
        assert_eq!(trn(Locale::En, "{n} sale", "{n} sales", 1), "{n} sale");
        assert_eq!(trn(Locale::En, "{n} sale", "{n} sales", 2), "{n} sales");
    }
}
