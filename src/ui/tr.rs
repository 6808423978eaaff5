//! Translated words for what the Rust side of the UI writes (the `.slint` files translate their
//! own text with `@tr`). Every sentence is a whole template with `{name}` placeholders, so a
//! translator can move the parts; the message id is the English sentence, as in gettext.
//!
//! Both sides read the same catalogs, `translations/<lang>/LC_MESSAGES/kassa.po`: `slint-build`
//! bundles them for `@tr` (build.rs), and this module embeds them with `include_str!` and parses
//! them once ([`super::po`]). No message has a context (`msgctxt`): build.rs turns off Slint's
//! default context (the component's name), so a sentence is translated once whether a `.slint`
//! file or Rust shows it. `.slint` templates use Slint's `{}` placeholders, Rust's `{name}`.
//!
//! English is the source language and has no catalog. A message missing from a catalog shows in
//! English (tests make sure none is missing).

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use super::po::{self, Catalog};
use crate::core::locale::Locale;

/// Each translated language's catalog, as compiled in.
pub const CATALOGS: [(Locale, &str); 6] = [
    (
        Locale::Nb,
        include_str!("../../translations/nb/LC_MESSAGES/kassa.po"),
    ),
    (
        Locale::Fr,
        include_str!("../../translations/fr/LC_MESSAGES/kassa.po"),
    ),
    (
        Locale::Ht,
        include_str!("../../translations/ht/LC_MESSAGES/kassa.po"),
    ),
    (
        Locale::Ar,
        include_str!("../../translations/ar/LC_MESSAGES/kassa.po"),
    ),
    (
        Locale::Si,
        include_str!("../../translations/si/LC_MESSAGES/kassa.po"),
    ),
    (
        Locale::Ta,
        include_str!("../../translations/ta/LC_MESSAGES/kassa.po"),
    ),
];

static PARSED: LazyLock<HashMap<Locale, Catalog>> = LazyLock::new(|| {
    CATALOGS
        .iter()
        .filter_map(|(lang, text)| match po::parse(lang.code(), text) {
            Ok(c) => Some((*lang, c)),
            Err(e) => {
                // Unreachable while the catalog tests pass; the screen then reads English.
                tracing::error!(error = %e, "cannot read a translation catalog");
                None
            }
        })
        .collect()
});

/// The `Plural-Forms` header each catalog must carry; [`plural_index`] is the same rule in Rust
/// (a test holds the two together, and Slint evaluates the header for `@tr` plurals).
pub fn plural_forms(lang: Locale) -> &'static str {
    match lang {
        Locale::En | Locale::Nb | Locale::Ta => "nplurals=2; plural=(n != 1);",
        // French and Sinhala (CLDR: 0 and 1 take the singular).
        Locale::Fr | Locale::Si => "nplurals=2; plural=(n > 1);",
        // Haitian Creole nouns do not change with the count ("1 vant", "3 vant").
        Locale::Ht => "nplurals=1; plural=0;",
        Locale::Ar => {
            "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 ? 4 : 5);"
        }
    }
}

/// Which plural form `n` takes in `lang` (an index into a message's `msgstr[N]`).
pub fn plural_index(lang: Locale, n: u64) -> usize {
    match lang {
        Locale::En | Locale::Nb | Locale::Ta => usize::from(n != 1),
        Locale::Fr | Locale::Si => usize::from(n > 1),
        Locale::Ht => 0,
        Locale::Ar => match (n, n % 100) {
            (0, _) => 0,
            (1, _) => 1,
            (2, _) => 2,
            (_, 3..=10) => 3,
            (_, 11..) => 4,
            _ => 5,
        },
    }
}

/// `lang`'s parsed catalog; `None` for English.
pub fn catalog(lang: Locale) -> Option<&'static Catalog> {
    PARSED.get(&lang)
}

/// `msgid` in `lang`; the English `msgid` itself where the language has no translation.
pub fn tr(lang: Locale, msgid: &'static str) -> &'static str {
    catalog(lang)
        .and_then(|c| c.messages.get(msgid))
        .and_then(|m| m.forms.first())
        .filter(|s| !s.is_empty())
        .map_or(msgid, String::as_str)
}

/// The form of a sentence with a count `n`, by `lang`'s plural rule.
pub fn trn(lang: Locale, singular: &'static str, plural: &'static str, n: u64) -> &'static str {
    let english = if n == 1 { singular } else { plural };
    catalog(lang)
        .and_then(|c| c.messages.get(singular))
        .and_then(|m| m.forms.get(plural_index(lang, n)))
        .filter(|s| !s.is_empty())
        .map_or(english, String::as_str)
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
mod catalog_tests;

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
