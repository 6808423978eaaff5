//! The catalogs against the sources: every text the screens can show has a translation in every
//! language, with the msgid's placeholders and the language's number of plural forms. The ids
//! are read from the sources here (every `tr(`/`trn(` call with literal ids under `src/ui/`, and
//! every `@tr("…")` of `ui/`), so a new sentence without translations fails a test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

/// Translations that may equal the English: the same word in that language, or a code.
const SAME_AS_ENGLISH: &[(Locale, &str)] = &[
    (Locale::Nb, "OK"),
    (Locale::Fr, "OK"),
    (Locale::Ht, "OK"),
    (Locale::Nb, "Start"),
    (Locale::Nb, "Send {amount}"),
    (Locale::Fr, "Menu"),
    (Locale::Nb, "Journal"),
    (Locale::Nb, "Terminal"),
    (Locale::Fr, "Journal"),
    (Locale::Fr, "Mode"),
    (Locale::Fr, "Terminal"),
    (Locale::Fr, "Version"),
    (Locale::Nb, "ok"),
    (Locale::Fr, "ok"),
    // The binary unit's symbol.
    (Locale::Nb, "{number} MiB"),
    (Locale::Ht, "{number} MiB"),
    (Locale::Si, "{number} MiB"),
    (Locale::Ta, "{number} MiB"),
];

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A Rust string literal starting at `s[i] == '"'`: its text and the index after it.
fn rust_literal(s: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    i += 1;
    while i < s.len() {
        match s[i] {
            '\\' => {
                match s[i + 1] {
                    '\n' => {
                        i += 2;
                        while s[i].is_whitespace() {
                            i += 1;
                        }
                        continue;
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    c => out.push(c),
                }
                i += 2;
            }
            '"' => return (out, i + 1),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    panic!("unterminated string literal");
}

/// The literal ids of every `tr(`/`trn(` call in `text`: (singular, plural if `trn`).
fn rust_ids(text: &str) -> Vec<(String, Option<String>)> {
    let s: Vec<char> = text.chars().collect();
    let mut ids = Vec::new();
    for start in 0..s.len() {
        let name_len = if s[start..].starts_with(&['t', 'r', '(']) {
            2
        } else if s[start..].starts_with(&['t', 'r', 'n', '(']) {
            3
        } else {
            continue;
        };
        if start > 0 && (s[start - 1].is_alphanumeric() || s[start - 1] == '_') {
            continue;
        }
        let wanted = name_len - 1;
        let (mut i, mut depth, mut lits) = (start + name_len + 1, 0usize, Vec::new());
        while i < s.len() && lits.len() < wanted {
            match s[i] {
                '"' if depth == 0 => {
                    let (lit, next) = rust_literal(&s, i);
                    lits.push(lit);
                    i = next;
                    continue;
                }
                '(' | '[' => depth += 1,
                ')' | ']' if depth == 0 => break,
                ')' | ']' => depth -= 1,
                ';' | '{' => break,
                _ => {}
            }
            i += 1;
        }
        if lits.len() == wanted {
            let mut lits = lits.into_iter();
            let one = lits.next().unwrap();
            ids.push((one, lits.next()));
        }
    }
    ids
}

/// The `@tr("…")` ids of a `.slint` file.
fn slint_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("@tr(") {
        rest = &rest[at + 4..];
        let body = rest.trim_start();
        assert!(body.starts_with('"'), "@tr without a literal: {body:.40}");
        let chars: Vec<char> = body.chars().collect();
        let (lit, end) = rust_literal(&chars, 0);
        let after: String = chars[end..].iter().take(4).collect();
        assert!(
            !after.trim_start().starts_with("=>"),
            "@tr with a context: {lit} (the catalogs have none)"
        );
        ids.push(lit);
    }
    ids
}

struct Ids {
    singular: BTreeSet<String>,
    plural: BTreeMap<String, String>,
}

fn source_ids() -> Ids {
    let mut singular = BTreeSet::new();
    let mut plural = BTreeMap::new();
    let mut rs = Vec::new();
    files(&root().join("src/ui"), "rs", &mut rs);
    // These tests name the calls they look for; they are not screen text.
    let this = root().join("src/ui/tr");
    for f in rs.into_iter().filter(|f| !f.starts_with(&this)) {
        for (one, many) in rust_ids(&std::fs::read_to_string(&f).unwrap()) {
            match many {
                Some(many) => {
                    plural.insert(one, many);
                }
                None => {
                    singular.insert(one);
                }
            }
        }
    }
    let mut slint = Vec::new();
    files(&root().join("ui"), "slint", &mut slint);
    for f in slint {
        singular.extend(slint_ids(&std::fs::read_to_string(&f).unwrap()));
    }
    Ids { singular, plural }
}

/// The placeholders of a template: `{name}`, and Slint's `{}` / `{0}`.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(rest[open..open + close + 1].to_string());
        rest = &rest[open + close + 1..];
    }
    out.sort();
    out
}

/// Slint's `{}` may become `{0}`, `{1}`… in a translation that reorders them.
fn same_placeholders(id: &str, text: &str) -> bool {
    let (a, b) = (placeholders(id), placeholders(text));
    if a == b {
        return true;
    }
    let positional = a.iter().all(|p| p == "{}");
    let numbered: Vec<String> = (0..a.len()).map(|i| format!("{{{i}}}")).collect();
    let mut b_sorted = b.clone();
    b_sorted.sort();
    positional && b_sorted == numbered
}

#[test]
fn the_sources_have_ids_to_check() {
    // Guards the extraction itself: it finds both kinds of calls and the .slint strings.
    let ids = source_ids();
    for id in [
        "Amount",
        "Refund {amount} to the customer",
        "Back",
        "Pay {} {} with",
    ] {
        assert!(ids.singular.contains(id), "{id} not extracted");
    }
    assert_eq!(
        ids.plural.get("{n} sale").map(String::as_str),
        Some("{n} sales")
    );
    assert!(ids.singular.len() > 150, "{}", ids.singular.len());
}

#[test]
fn every_catalog_parses_with_the_plural_rule_the_code_uses() {
    for (lang, text) in CATALOGS {
        let c = po::parse(lang.code(), text).unwrap();
        assert_eq!(c.plural_forms, plural_forms(lang), "{}", lang.code());
        let n = c.nplurals().unwrap();
        for count in 0..=1_000 {
            assert!(plural_index(lang, count) < n, "{} {count}", lang.code());
        }
        assert_eq!(catalog(lang), Some(&c), "the compiled-in copy is the same");
    }
    let ar: Vec<usize> = [0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111]
        .iter()
        .map(|&n| plural_index(Locale::Ar, n))
        .collect();
    assert_eq!(ar, [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]);
    assert_eq!(plural_index(Locale::Fr, 0), 0);
    assert_eq!(plural_index(Locale::Nb, 0), 1);
}

#[test]
fn every_text_on_screen_has_a_translation_in_every_language() {
    let ids = source_ids();
    let mut problems = Vec::new();
    for (lang, _) in CATALOGS {
        let c = catalog(lang).unwrap();
        let code = lang.code();
        for id in &ids.singular {
            match c.messages.get(id).and_then(|m| m.forms.first()) {
                None => problems.push(format!("{code}: no translation of {id:?}")),
                Some(t) if t.is_empty() => problems.push(format!("{code}: empty {id:?}")),
                Some(t) if t == id => {
                    let words = placeholders(id)
                        .iter()
                        .fold(id.clone(), |s, p| s.replace(p.as_str(), ""));
                    if words.chars().any(char::is_alphabetic)
                        && !SAME_AS_ENGLISH.contains(&(lang, id.as_str()))
                    {
                        problems.push(format!("{code}: {id:?} left in English"));
                    }
                }
                Some(t) if !same_placeholders(id, t) => {
                    problems.push(format!("{code}: {t:?} has not the placeholders of {id:?}"))
                }
                Some(_) => {}
            }
        }
        let n = c.nplurals().unwrap();
        for (one, many) in &ids.plural {
            let Some(m) = c.messages.get(one) else {
                problems.push(format!("{code}: no translation of {one:?}"));
                continue;
            };
            if m.plural_id.as_ref() != Some(many) || m.forms.len() != n {
                problems.push(format!("{code}: {one:?} needs {n} forms of {many:?}"));
            }
            for (i, form) in m.forms.iter().enumerate() {
                // A form that only one number takes (Arabic's 0, 1 and 2: "خدمتان", two
                // services) may leave the count out; no form may add a placeholder.
                let one_number = (0..=1_000u64)
                    .filter(|&n| plural_index(lang, n) == i)
                    .count()
                    == 1;
                let extra = placeholders(form)
                    .into_iter()
                    .any(|p| !placeholders(one).contains(&p));
                let lost = !one_number && placeholders(one).into_iter().any(|p| !form.contains(&p));
                if form.is_empty() || extra || lost {
                    problems.push(format!("{code}: form {form:?} of {one:?}"));
                }
            }
        }
        let used: BTreeSet<&String> = ids.singular.iter().chain(ids.plural.keys()).collect();
        for id in c.messages.keys() {
            if !used.contains(id) {
                problems.push(format!("{code}: {id:?} is not used by any source"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_word_in_the_slint_files_is_marked_for_translation() {
    let mut slint = Vec::new();
    files(&root().join("ui"), "slint", &mut slint);
    let mut unmarked = Vec::new();
    for f in slint {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("").trim();
            if code.starts_with("import ") || code.contains("font-family") {
                continue;
            }
            let chars: Vec<char> = code.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if chars[i] == '"' {
                    let (lit, next) = rust_literal(&chars, i);
                    let before: String = chars[..i].iter().collect();
                    let marked = before.trim_end().ends_with("@tr(");
                    // A word is two letters or more; "C" on the keypad and marks are not words.
                    let wordy = lit
                        .split(|c: char| !c.is_alphabetic())
                        .any(|w| w.chars().count() > 1);
                    if wordy && !marked && lit != "Kassa" {
                        unmarked.push(format!("{}: {lit:?}", f.display()));
                    }
                    i = next;
                } else {
                    i += 1;
                }
            }
        }
    }
    assert!(unmarked.is_empty(), "{}", unmarked.join("\n"));
}

#[test]
fn translations_are_looked_up_and_english_is_the_fallback() {
    assert_eq!(tr(Locale::Nb, "Amount"), "Beløp");
    assert_eq!(tr(Locale::Ar, "Amount"), "المبلغ");
    assert_eq!(tr(Locale::En, "Amount"), "Amount");
    assert_eq!(tr(Locale::Fr, "not in any catalog"), "not in any catalog");
    assert_eq!(trn(Locale::Fr, "{n} sale", "{n} sales", 0), "{n} vente");
    assert_eq!(trn(Locale::Fr, "{n} sale", "{n} sales", 2), "{n} ventes");
    assert_eq!(trn(Locale::Ar, "{n} sale", "{n} sales", 2), "عمليتا بيع");
    assert_eq!(
        trn(Locale::Ar, "{n} sale", "{n} sales", 5),
        "{n} عمليات بيع"
    );
    assert_eq!(trn(Locale::Ht, "{n} sale", "{n} sales", 7), "{n} vant");
}

#[test]
fn no_sample_screen_shows_an_english_sentence_that_has_a_translation() {
    // Every screen `kassa screens` draws, as its model, in each language: a sentence of the
    // catalogs (three words or more, no placeholder) must not appear in English.
    let mut problems = Vec::new();
    for (lang, _) in CATALOGS {
        let c = catalog(lang).unwrap();
        let english: Vec<&String> = c
            .messages
            .keys()
            .filter(|id| placeholders(id).is_empty() && id.split(' ').count() >= 3)
            .filter(|id| c.messages[*id].forms[0] != **id)
            .collect();
        for (name, mut view) in crate::ui::samples::all() {
            view.status.local.locale = lang;
            let shown = format!(
                "{:?}",
                crate::ui::model::model(&view, crate::ui::samples::NOW)
            );
            for id in &english {
                if shown.contains(id.as_str()) {
                    problems.push(format!("{}: {name} shows {id:?}", lang.code()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
