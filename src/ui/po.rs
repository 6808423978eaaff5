//! A strict reader of the gettext `.po` catalogs in `translations/<lang>/LC_MESSAGES/kassa.po`,
//! the same files `slint-build` bundles for the `@tr` strings of `ui/*.slint`. Strict because a
//! catalog is written by hand: a line it does not understand is an error naming the line, never
//! a silently lost translation.
//!
//! Understood: comments (`#…`), `msgid`, `msgid_plural`, `msgstr`, `msgstr[N]`, continuation
//! strings, and the escapes `\n \t \" \\`. A `msgctxt` is refused: Kassa's catalogs carry no
//! context (see [`super::tr`]).

use std::collections::HashMap;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{lang}.po line {line}: {problem}")]
pub struct PoError {
    pub lang: String,
    pub line: usize,
    pub problem: String,
}

/// One message: its translation, or its plural forms in the order of the catalog's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub plural_id: Option<String>,
    pub forms: Vec<String>,
}

/// One language's catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// The header's `Plural-Forms` value (`nplurals=2; plural=(n != 1);`).
    pub plural_forms: String,
    pub messages: HashMap<String, Message>,
}

impl Catalog {
    /// `nplurals` of the header; `None` when the header has none or it is not a number.
    pub fn nplurals(&self) -> Option<usize> {
        self.plural_forms.split(';').find_map(|part| {
            let (key, value) = part.split_once('=')?;
            (key.trim() == "nplurals")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
    }
}

/// The keyword a string belongs to while it is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Id,
    Plural,
    Str(usize),
}

#[derive(Default)]
struct Pending {
    id: Option<String>,
    plural: Option<String>,
    strs: Vec<(usize, String)>,
    line: usize,
}

/// Parses one catalog; `lang` only names the file in errors.
pub fn parse(lang: &str, text: &str) -> Result<Catalog, PoError> {
    let err = |line: usize, problem: String| PoError {
        lang: lang.to_string(),
        line,
        problem,
    };
    let mut catalog = Catalog::default();
    let mut pending = Pending::default();
    let mut field: Option<Field> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('"') {
            let Some(f) = field else {
                return Err(err(line_no, "a string with no keyword before it".into()));
            };
            let more = unquote(line).map_err(|p| err(line_no, p))?;
            append(&mut pending, f, &more);
            continue;
        }
        let (keyword, rest) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(line_no, format!("expected a keyword and a string: {line}")))?;
        let value = unquote(rest.trim()).map_err(|p| err(line_no, p))?;
        let f = match keyword {
            "msgid" => {
                finish(&mut catalog, std::mem::take(&mut pending)).map_err(|p| err(line_no, p))?;
                pending.line = line_no;
                pending.id = Some(String::new());
                Field::Id
            }
            "msgid_plural" => {
                if pending.id.is_none() || pending.plural.is_some() {
                    return Err(err(line_no, "msgid_plural without its msgid".into()));
                }
                pending.plural = Some(String::new());
                Field::Plural
            }
            "msgstr" => {
                if pending.id.is_none() || pending.plural.is_some() || !pending.strs.is_empty() {
                    return Err(err(line_no, "msgstr without its msgid".into()));
                }
                pending.strs.push((0, String::new()));
                Field::Str(0)
            }
            "msgctxt" => {
                return Err(err(
                    line_no,
                    "msgctxt: Kassa's catalogs have no context (see src/ui/tr.rs)".into(),
                ));
            }
            k => {
                let n = k
                    .strip_prefix("msgstr[")
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| err(line_no, format!("unknown keyword {k}")))?;
                if pending.plural.is_none() || pending.strs.len() != n {
                    return Err(err(
                        line_no,
                        format!("msgstr[{n}] out of order or without msgid_plural"),
                    ));
                }
                pending.strs.push((n, String::new()));
                Field::Str(n)
            }
        };
        append(&mut pending, f, &value);
        field = Some(f);
    }
    let last = pending.line;
    finish(&mut catalog, pending).map_err(|p| err(last, p))?;
    Ok(catalog)
}

fn append(p: &mut Pending, f: Field, more: &str) {
    let target = match f {
        Field::Id => p.id.as_mut(),
        Field::Plural => p.plural.as_mut(),
        Field::Str(n) => p.strs.iter_mut().find(|(i, _)| *i == n).map(|(_, s)| s),
    };
    if let Some(t) = target {
        t.push_str(more);
    }
}

/// Files a finished entry; the empty msgid is the header.
fn finish(catalog: &mut Catalog, p: Pending) -> Result<(), String> {
    let Some(id) = p.id else {
        return Ok(());
    };
    if p.strs.is_empty() {
        return Err(format!("msgid {id:?} has no msgstr"));
    }
    let forms: Vec<String> = p.strs.into_iter().map(|(_, s)| s).collect();
    if id.is_empty() {
        catalog.plural_forms = forms[0]
            .lines()
            .find_map(|l| l.strip_prefix("Plural-Forms:"))
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        return Ok(());
    }
    let message = Message {
        plural_id: p.plural,
        forms,
    };
    if catalog.messages.insert(id.clone(), message).is_some() {
        return Err(format!("msgid {id:?} twice"));
    }
    Ok(())
}

/// The text of one `"…"` string.
fn unquote(s: &str) -> Result<String, String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| format!("expected a quoted string: {s}"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                other => return Err(format!("unknown escape \\{}", other.unwrap_or(' '))),
            },
            '"' => return Err(format!("unescaped quote inside {s}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_plurals_and_the_header() {
        let text = r#"
# a comment
msgid ""
msgstr ""
"Language: nb\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Amount"
msgstr "Beløp"

msgid "{n} sale"
msgid_plural "{n} sales"
msgstr[0] "{n} salg"
msgstr[1] "{n} "
"salg"

msgid "Say \"hi\""
msgstr "Si \"hei\"\\"
"#;
        let c = parse("nb", text).unwrap();
        assert_eq!(c.plural_forms, "nplurals=2; plural=(n != 1);");
        assert_eq!(c.nplurals(), Some(2));
        assert_eq!(c.messages["Amount"].forms, vec!["Beløp"]);
        let sale = &c.messages["{n} sale"];
        assert_eq!(sale.plural_id.as_deref(), Some("{n} sales"));
        assert_eq!(sale.forms, vec!["{n} salg", "{n} salg"]);
        assert_eq!(c.messages["Say \"hi\""].forms, vec!["Si \"hei\"\\"]);
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let cases = [
            ("msgid \"a\"\n", "line 1: msgid \"a\" has no msgstr"),
            (
                "msgid \"a\"\nmsgstr \"b\nmsgid",
                "line 2: expected a quoted string",
            ),
            ("msgctxt \"x\"\n", "line 1: msgctxt"),
            (
                "msgid \"a\"\nmsgstr[1] \"b\"\n",
                "line 2: msgstr[1] out of order",
            ),
            (
                "msgid \"a\"\nmsgstr \"\\q\"\n",
                "line 2: unknown escape \\q",
            ),
            ("\"loose\"\n", "line 1: a string with no keyword"),
            (
                "msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"\n",
                "msgid \"a\" twice",
            ),
            (
                "msgid \"a\"\nmsgstr \"b\"\nmsgfoo \"c\"\n",
                "line 3: unknown keyword msgfoo",
            ),
        ];
        for (text, want) in cases {
            let e = parse("xx", text).unwrap_err().to_string();
            assert!(e.starts_with("xx.po "), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
