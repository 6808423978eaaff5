//! The TOML configuration: read once at start and validated completely, with every problem named
//! by file, line and dotted key, so the person installing a terminal fixes them all in one go.
//!
//! Why not `#[derive(Deserialize)]`: serde stops at the first error and has no line for a value
//! that parses but is wrong (an unknown currency, a negative limit). So the text is parsed into
//! `toml::de::DeTable`, which keeps byte spans, and the common reader ([`reader`]) walks it,
//! collecting every problem and every unknown key (with the closest known key as a hint). The
//! terminal-wide sections have a file each here; each provider's section lives in its folder
//! (`src/providers/<id>/config.rs`) and is found through the registry.
//!
//! Credentials are `SecretString`s. Each may be given inline (`secret = "..."`) or as a file
//! (`secret_file = "name"`): a relative name is looked up in `$CREDENTIALS_DIRECTORY` when systemd
//! set it (`LoadCredential=`), else next to the config file. No message, `Debug` output or
//! problem ever contains a secret value; values of URL keys are never echoed either, because a
//! URL can carry `user:password@`.
//!
//! Decisions the issue left open:
//! - A provider table without `enabled` is enabled; a disabled provider is checked for unknown
//!   keys and types only (its credentials need not exist).
//! - Every base URL ends with `/` after load, so `Url::join("path/")` keeps the last segment.
//! - A provider documented for other currencies is refused (an error naming both) when the
//!   terminal uses another: a terminal is set up for one market.
//! - The demo config enables one market's providers only (`--demo <market>`, default Norway:
//!   mCASH in NOK; [`market`]): the terminal has one currency.
//! - An enabled provider that this build has no client for yet is left out at set-up.

mod hardware;
mod kiosk;
pub mod market;
mod problem;
mod providers;
pub(crate) mod reader;
mod storage;
mod terminal;
#[cfg(test)]
mod tests;
mod vending;

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use toml::de::DeTable;

use crate::core::{Local, PinHash, Settings};

/// Where `kassa sim` listens by default, and the demo config's fallback.
pub const DEFAULT_SIM_URL: &str = "http://127.0.0.1:8700";

pub use hardware::{CustomerDisplay, HardwareConfig, KeypadPins};
pub use problem::{ConfigErrors, Problem, Warning};
pub use providers::ProvidersConfig;
use reader::{Reader, Table};
use storage::{DEFAULT_CACHE_MB, DEFAULT_STORAGE_DIR};
pub use storage::{OutboxConfig, StorageConfig};
pub use terminal::TerminalConfig;
pub use vending::{GpioSettings, MdbSettings, VendController, VendingConfig};

/// Values of the demo config that are not a provider's (each provider's demo values live in its
/// folder, beside its registry line).
pub mod demo {
    /// Terminal id of the demo config.
    pub const TERMINAL_ID: &str = "demo";
    /// The demo supervisor PIN, and its argon2 hash (also in `kassa.example.toml`).
    pub const SUPERVISOR_PIN: &str = "1234";
    pub const SUPERVISOR_PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$S2Fzc2FEZW1vU2FsdDEyMw$yWhzUBrHAS70l1fmgXS3fce909JELXOQIyHAjGWVa2E";
}

// ---------------------------------------------------------------------------------------------
// The configuration

/// The whole validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where it came from: a file name or `demo`.
    pub origin: String,
    pub terminal: TerminalConfig,
    pub providers: ProvidersConfig,
    pub hardware: HardwareConfig,
    pub storage: StorageConfig,
    pub outbox: OutboxConfig,
    /// `[vending]`: the vend controller, when the terminal runs a vending machine.
    pub vending: Option<VendingConfig>,
    /// `[kiosk]`: read in kiosk mode.
    pub kiosk: crate::core::KioskSettings,
    /// Found at load; the runtime logs them at start.
    pub warnings: Vec<Warning>,
}

/// What a load may read from outside the text: injectable, so tests need not set process env.
#[derive(Clone, Debug, Default)]
pub struct LoadContext {
    /// Relative secret files are found here when no credentials directory is set.
    pub config_dir: PathBuf,
    /// systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=`).
    pub credentials_directory: Option<PathBuf>,
    /// systemd's `$STATE_DIRECTORY` (the first one, if several).
    pub state_directory: Option<PathBuf>,
}

impl LoadContext {
    /// From this process's environment.
    pub fn from_process(config_dir: &Path) -> LoadContext {
        let dir = |name: &str| {
            std::env::var_os(name).and_then(|v| {
                let first = v.to_string_lossy().split(':').next().map(str::to_string)?;
                (!first.is_empty()).then(|| PathBuf::from(first))
            })
        };
        LoadContext {
            config_dir: config_dir.to_path_buf(),
            credentials_directory: dir("CREDENTIALS_DIRECTORY"),
            state_directory: dir("STATE_DIRECTORY"),
        }
    }
}
impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let dir = config_dir_of(path);
        Config::load_in(path, &LoadContext::from_process(&dir))
    }

    /// The file at `path` if it exists, else [`Config::demo`] (whose origin reads `demo`).
    /// Only a missing file falls back: an unreadable or broken one is an error.
    pub fn load_or_demo(path: &Path, sim_base_url: &str) -> Result<Config, ConfigErrors> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::demo(sim_base_url)),
            _ => Config::load(path),
        }
    }

    /// Like [`Config::load`], with the environment given.
    pub fn load_in(path: &Path, ctx: &LoadContext) -> Result<Config, ConfigErrors> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            problems: vec![Problem {
                origin: origin.clone(),
                line: None,
                key: String::new(),
                message: format!("cannot read the config file: {e}"),
            }],
        })?;
        Config::from_toml_str_in(&text, &origin, ctx)
    }

    /// Validates config text; `origin` names it in problems. Relative secret files are looked up
    /// in `$CREDENTIALS_DIRECTORY` or the current directory.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigErrors> {
        Config::from_toml_str_in(text, origin, &LoadContext::from_process(Path::new(".")))
    }

    /// Like [`Config::from_toml_str`], with the environment given.
    pub fn from_toml_str_in(
        text: &str,
        origin: &str,
        ctx: &LoadContext,
    ) -> Result<Config, ConfigErrors> {
        let mut r = Reader::new(text, origin, ctx);
        let root = match DeTable::parse(text) {
            Ok(root) => root,
            Err(e) => {
                let line = e.span().map(|s| r.lines.line(s.start));
                // Only the message: the error's Display quotes the source line, which may hold a
                // secret.
                r.problems.push(Problem {
                    origin: origin.to_string(),
                    line,
                    key: String::new(),
                    message: format!("TOML syntax error: {}", e.message().trim_end()),
                });
                return Err(r.into_errors());
            }
        };
        let config = r.config(root.get_ref());
        match config {
            Some(config) if r.problems.is_empty() => Ok(config),
            _ => {
                if r.problems.is_empty() {
                    r.problems.push(Problem {
                        origin: origin.to_string(),
                        line: None,
                        key: String::new(),
                        message: "incomplete configuration".to_string(),
                    });
                }
                Err(r.into_errors())
            }
        }
    }

    /// The config used when there is no config file: everything points at the built-in
    /// simulators served under `sim_base_url` (such as `http://127.0.0.1:8700`; if that is not
    /// a URL, [`DEFAULT_SIM_URL`] is used). The default demo market, Norway: mCASH in NOK,
    /// supervisor PIN 1234.
    pub fn demo(sim_base_url: &str) -> Config {
        let norway = market::MARKETS
            .iter()
            .find(|m| m.code == market::DEFAULT_MARKET)
            .copied()
            .unwrap_or(market::MARKETS[0]);
        Config::demo_in(&norway, sim_base_url)
    }

    /// The demo config of one market (`no`, `ht`, `ly`, `lk`, `us`): its currency and the
    /// providers whose demo opens there. An unknown market, or one whose provider has no demo
    /// in this build yet, is an error that lists the markets.
    /// The market's zone and locale come with it (`Local::for_market`); the plain demo
    /// ([`Config::demo`]) keeps UTC and English.
    pub fn demo_market(code: &str, sim_base_url: &str) -> Result<Config, market::DemoError> {
        let m = market::ready_market(code)?;
        let mut config = Config::demo_in(m, sim_base_url);
        if let Some(local) = Local::for_market(m.code) {
            config.terminal.time_zone = local.zone;
            config.terminal.locale = local.locale;
        }
        Ok(config)
    }

    fn demo_in(m: &market::Market, sim_base_url: &str) -> Config {
        let mut settings = Settings::demo(demo::TERMINAL_ID);
        settings.currency = m.currency;
        // 10 000 in the market's own units, whatever its decimals.
        let scale = 10i64.pow(u32::from(m.currency.exponent()));
        settings.max_amount = crate::money::Money::from_minor(10_000 * scale, m.currency);
        let mut providers = ProvidersConfig::default();
        for entry in market::providers_of(m) {
            let Some(d) = &entry.demo else { continue };
            let made = (d.settings)(sim_base_url, demo::TERMINAL_ID)
                .or_else(|| (d.settings)(DEFAULT_SIM_URL, demo::TERMINAL_ID));
            if let Some(made) = made {
                providers.insert(entry.id, made);
            }
        }
        Config {
            origin: "demo".to_string(),
            terminal: TerminalConfig {
                id: settings.terminal_id,
                mode: settings.mode,
                currency: settings.currency,
                max_amount: settings.max_amount,
                result_hold_seconds: settings.result_hold_ms / 1000,
                poll_interval_ms: settings.poll_interval_ms,
                recover_attempts: settings.recover_attempts,
                time_zone: settings.local.zone.clone(),
                locale: settings.local.locale,
                supervisor_pin_hash: PinHash::parse(SecretString::from(demo::SUPERVISOR_PIN_HASH))
                    .ok(),
                cashiers: Vec::new(),
            },
            providers,
            hardware: HardwareConfig::default(),
            storage: StorageConfig {
                path: PathBuf::from(DEFAULT_STORAGE_DIR),
                cache_mb: DEFAULT_CACHE_MB,
            },
            outbox: OutboxConfig::none(settings.currency),
            vending: None,
            kiosk: kiosk::defaults(settings.result_hold_ms / 1000),
            warnings: Vec::new(),
        }
    }

    /// Everything the core needs.
    pub fn settings(&self) -> Settings {
        let t = &self.terminal;
        Settings {
            terminal_id: t.id.clone(),
            mode: t.mode,
            currency: t.currency,
            max_amount: t.max_amount,
            result_hold_ms: t.result_hold_seconds.saturating_mul(1000),
            poll_interval_ms: t.poll_interval_ms,
            recover_attempts: t.recover_attempts,
            local: Local::new(t.time_zone.clone(), t.locale),
            supervisor_pin: t.supervisor_pin_hash.clone(),
            cashiers: t.cashiers.clone(),
            kiosk: self.kiosk.clone(),
        }
    }
}

/// `kassa config check`: loads the file and returns the warnings, or every problem.
pub fn check(path: &Path) -> Result<Vec<Warning>, ConfigErrors> {
    Config::load(path).map(|c| c.warnings)
}

/// What `kassa config check` prints, and whether it passed: `warning: ...` lines then `ok`, or
/// one line per problem. Never contains a secret.
pub fn check_report(result: &Result<Vec<Warning>, ConfigErrors>) -> (String, bool) {
    match result {
        Ok(warnings) => {
            let mut out = String::new();
            for w in warnings {
                out.push_str(&format!("warning: {w}\n"));
            }
            out.push_str("ok\n");
            (out, true)
        }
        Err(errors) => (format!("{errors}\n"), false),
    }
}

fn config_dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Reader<'_> {
    fn config(&mut self, root: &DeTable<'_>) -> Option<Config> {
        let mut root = Table {
            path: String::new(),
            table: root,
            at: None,
            known: Vec::new(),
            active: true,
        };
        let terminal = self.terminal(&mut root);
        let currency = terminal.as_ref().map(|t| t.currency);
        let providers = self.providers(&mut root, terminal.as_ref());
        let hardware = self.hardware(&mut root, terminal.as_ref().map(|t| t.mode), &providers);
        let storage = self.storage(&mut root);
        let outbox = self.outbox(&mut root, currency);
        let vending = self.vending(&mut root, terminal.as_ref(), &providers, &hardware);
        let kiosk = self.kiosk(&mut root, terminal.as_ref(), &providers);
        self.finish(root);
        self.warnings.sort_by_key(|w| w.line.unwrap_or(0));
        Some(Config {
            origin: self.origin.to_string(),
            terminal: terminal?,
            providers,
            hardware,
            storage,
            outbox: outbox?,
            vending,
            kiosk,
            warnings: self.warnings.clone(),
        })
    }
}
