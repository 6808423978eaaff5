//! Commands that work on the journal of a stopped terminal: `kassa queue` (the outbox) and
//! `kassa report` (day totals, close, CSV). They open the journal themselves, so they refuse
//! plainly while a running kassa holds it.

pub mod queue;
pub mod report;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use thiserror::Error;

use crate::config::Config;
use crate::journal::{Journal, JournalError};
use crate::providers::setup::SetupError;
use crate::runtime::JournalWriteError;

/// Where the simulator of a demo config listens (`kassa sim`'s default address).
const DEMO_SIM: &str = "http://127.0.0.1:8700";

#[derive(Debug, Error)]
pub enum CliError {
    #[error("the config has problems:\n{0}")]
    Config(String),
    #[error("there is no journal at {0} (nothing was sold with this config); check [storage] path")]
    NoJournal(PathBuf),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Writer(#[from] JournalWriteError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("--day {0}: not a date like 2024-10-04")]
    Day(String),
    #[error("{0} is already closed; a closed day cannot be closed or changed again")]
    AlreadyClosed(String),
    #[error("not dropped: not confirmed")]
    NotConfirmed,
    #[error("writing {path}: {reason}")]
    Output { path: PathBuf, reason: String },
}

/// The config named by `--config`, else `./kassa.toml`, else the demo config.
pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, CliError> {
    let shown = |errors: crate::config::ConfigErrors| {
        CliError::Config(
            errors
                .problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    let config = match path {
        Some(p) => Config::load(p).map_err(shown)?,
        None => Config::load_or_demo(Path::new("kassa.toml"), DEMO_SIM).map_err(shown)?,
    };
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    Ok(config)
}

/// Opens the journal of `config`, counting days in its time zone; never creates one where none
/// was.
pub(crate) fn open_journal(config: &Config) -> Result<Journal, CliError> {
    let path = &config.storage.path;
    if !path.exists() {
        return Err(CliError::NoJournal(path.clone()));
    }
    Ok(
        Journal::open(path, config.storage.cache_mb.saturating_mul(1024 * 1024))?
            .with_zone(config.terminal.time_zone.clone()),
    )
}

/// Prints the error and turns it into exit code 1.
pub(crate) fn finish(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

pub(crate) use crate::console::age;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_journal_is_not_created() {
        let mut config = Config::demo(DEMO_SIM);
        let dir = std::env::temp_dir().join(format!("kassa-cli-none-{}", std::process::id()));
        config.storage.path = dir.clone();
        assert!(matches!(open_journal(&config), Err(CliError::NoJournal(_))));
        assert!(!dir.exists());
    }

    #[test]
    fn errors_never_show_a_secret() {
        // The demo config's secret must not reach an error about its journal.
        let config = Config::demo(DEMO_SIM);
        let e = CliError::NoJournal(config.storage.path.clone()).to_string();
        assert!(!e.contains(crate::providers::mcash::config::demo::SECRET));
        assert!(!format!("{config:?}").contains(crate::providers::mcash::config::demo::SECRET));
    }
}
