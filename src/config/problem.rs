//! A problem found in the configuration: where (file, line, dotted key) and what.

use std::fmt;

use thiserror::Error;

/// One thing wrong (or worth a warning) in a config file: where, which key, what and what is
/// expected. Displays as `kassa.toml:4: terminal.currency: unknown currency code "NOX" (...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file name (or the name given to [`Config::from_toml_str`]).
    pub origin: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// Dotted key, such as `providers.mcash.base_url`; empty for the file as a whole.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Something that loads but is probably not what was meant. Same shape as a [`Problem`].
pub type Warning = Problem;

/// Every problem found in one pass over a config file (syntax errors stop the pass early).
#[derive(Debug, Error)]
#[error("{}", render_lines(.problems))]
pub struct ConfigErrors {
    pub problems: Vec<Problem>,
}

fn render_lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
