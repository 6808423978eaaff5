//! The TOML configuration: read once at start and validated completely, with every problem named
//! by file, line and dotted key, so the person installing a terminal fixes them all in one go.
//!
//! Why not `#[derive(Deserialize)]`: serde stops at the first error and has no line for a value
//! that parses but is wrong (an unknown currency, a negative limit). So the text is parsed into
//! `toml::de::DeTable`, which keeps byte spans, and a small reader below walks it, collecting
//! every problem and every unknown key (with the closest known key as a hint).
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
//! - A provider documented for one currency warns (not fails) when the terminal uses another.
//! - The demo config enables mCASH only: the terminal has one currency and the demo is in NOK.

use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::core::provider::ProviderId;
use crate::core::sale::SaleKey;
use crate::core::{Cashier, Mode, PinHash, Settings};
use crate::money::{Currency, Money};

/// Values the demo config and the built-in simulators share, so both sides use one definition.
pub mod demo {
    /// Terminal id of the demo config.
    pub const TERMINAL_ID: &str = "demo";
    /// Path of the mCASH simulator's merchant API under the simulator's base URL.
    pub const MCASH_PATH: &str = "mcash/merchant/v1/";
    pub const MCASH_MERCHANT_ID: &str = "demo-merchant";
    pub const MCASH_USER_ID: &str = "demo-pos";
    pub const MCASH_SECRET: &str = "demo-secret-0123456789";
    /// The demo supervisor PIN, and its argon2 hash (also in `kassa.example.toml`).
    pub const SUPERVISOR_PIN: &str = "1234";
    pub const SUPERVISOR_PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$S2Fzc2FEZW1vU2FsdDEyMw$yWhzUBrHAS70l1fmgXS3fce909JELXOQIyHAjGWVa2E";
}

// ---------------------------------------------------------------------------------------------
// Problems

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
    /// Found at load; the runtime logs them at start.
    pub warnings: Vec<Warning>,
}

/// `[terminal]`.
#[derive(Clone, Debug)]
pub struct TerminalConfig {
    /// Prefix of every sale key: 1 to 32 of `[A-Za-z0-9_.-]`.
    pub id: String,
    pub mode: Mode,
    pub currency: Currency,
    /// Largest amount one sale may have; more than zero.
    pub max_amount: Money,
    pub result_hold_seconds: u64,
    pub poll_interval_ms: u64,
    pub recover_attempts: u32,
    pub supervisor_pin_hash: Option<PinHash>,
    /// `[[terminal.cashier]]`; empty: no sign-in.
    pub cashiers: Vec<Cashier>,
}

/// `[providers.*]`. `None`: the provider is disabled or not configured.
#[derive(Clone, Debug, Default)]
pub struct ProvidersConfig {
    pub mcash: Option<McashConfig>,
    pub moncash: Option<MoncashConfig>,
    pub icash: Option<IcashConfig>,
    pub ezcash: Option<EzcashConfig>,
    pub icg: Option<IcgConfig>,
}

impl ProvidersConfig {
    /// Ids of the enabled providers, in a fixed order.
    pub fn enabled(&self) -> Vec<ProviderId> {
        [
            ("mcash", self.mcash.is_some()),
            ("moncash", self.moncash.is_some()),
            ("icash", self.icash.is_some()),
            ("ezcash", self.ezcash.is_some()),
            ("icg", self.icg.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(id, _)| ProviderId::new(id))
        .collect()
    }
}

/// `[providers.mcash]`: the mCASH merchant API.
#[derive(Clone, Debug)]
pub struct McashConfig {
    /// Ends with `/`, e.g. `https://api.mca.sh/merchant/v1/`.
    pub base_url: Url,
    /// `X-Mcash-Merchant`.
    pub merchant_id: String,
    /// `X-Mcash-User`.
    pub user_id: String,
    /// SECRET-level auth.
    pub secret: SecretString,
    /// PEM RSA private key for KEY-level calls (refunds); checked to parse at load.
    pub private_key_pem: Option<SecretString>,
    /// `X-Testbed-Token`, for mCASH's testbed only.
    pub testbed_token: Option<SecretString>,
    /// The POS registered with mCASH (defaults to the terminal id).
    pub pos_id: String,
    pub pos_name: String,
    pub ledger: Option<String>,
    pub max_scan_age_seconds: u32,
    pub expires_in_seconds: u32,
}

/// `[providers.moncash]`: MonCash (Digicel), Haiti.
#[derive(Clone, Debug)]
pub struct MoncashConfig {
    /// REST host, e.g. `https://sandbox.moncashbutton.digicelgroup.com/Api/`.
    pub base_url: Url,
    /// Payment page host, e.g. `https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/`.
    pub gateway_base_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// `[providers.icash]`: iCash merchant gateway, Libya.
#[derive(Clone, Debug)]
pub struct IcashConfig {
    pub base_url: Url,
    pub username: String,
    pub password: SecretString,
    /// The merchant's `iCashCardNumber`.
    pub card_number: String,
}

/// `[providers.ezcash]`: eZ Cash agent API via ideabiz, Sri Lanka.
#[derive(Clone, Debug)]
pub struct EzcashConfig {
    /// ideabiz API root, e.g. `https://ideabiz.lk/apicall/`.
    pub base_url: Url,
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub username: String,
    pub password: SecretString,
    pub agent_alias: String,
    pub agent_pin: SecretString,
}

/// `[providers.icg]`: iCheckGateway, United States.
#[derive(Clone, Debug)]
pub struct IcgConfig {
    pub base_url: Url,
    /// OAuth server, e.g. `https://auth.icheckdev.com/`.
    pub auth_url: Url,
    /// The Process API's base URL is not public: it is configuration, never a constant.
    pub process_base_url: Url,
    pub client_id: String,
    pub username: String,
    pub password: SecretString,
}

/// `[hardware]`: GPIO pins are BCM numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardwareConfig {
    /// `false`: simulated twins of keypad, outputs and display (desktop, tests).
    pub enabled: bool,
    pub keypad: Option<KeypadPins>,
    pub green_light_pin: Option<u8>,
    pub red_light_pin: Option<u8>,
    pub buzzer_pin: Option<u8>,
    pub vend_relay_pin: Option<u8>,
    pub vend_pulse_ms: u64,
    pub customer_display: CustomerDisplay,
    /// Which key each keypad position gives, row by row.
    pub keypad_layout: crate::hw::keypad::KeypadLayout,
    /// The buzzer's click on each key press; 0: silent keys.
    pub key_beep_ms: u64,
}

/// The 4x4 matrix keypad: rows are driven, columns read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeypadPins {
    pub rows: [u8; 4],
    pub columns: [u8; 4],
}

/// The optional small display facing the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerDisplay {
    None,
    Ssd1306_128x64,
    St7789_240x240,
}

/// `[storage]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// Folder of the sled database.
    pub path: PathBuf,
    pub cache_mb: u64,
}

/// `[outbox]`: how much may wait while the terminal is offline. Zero amounts: nothing queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    pub max_queued_amount: Money,
    pub max_queued_total: Money,
    pub max_queued_age_minutes: u64,
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
    /// a URL, `http://127.0.0.1:8700` is used). mCASH only, in NOK, supervisor PIN 1234.
    pub fn demo(sim_base_url: &str) -> Config {
        let settings = Settings::demo(demo::TERMINAL_ID);
        let base = sim_base_url.trim_end_matches('/');
        let mcash_url = Url::parse(&format!("{base}/{}", demo::MCASH_PATH))
            .or_else(|_| Url::parse(&format!("http://127.0.0.1:8700/{}", demo::MCASH_PATH)));
        let mcash = mcash_url.ok().map(|base_url| McashConfig {
            base_url,
            merchant_id: demo::MCASH_MERCHANT_ID.to_string(),
            user_id: demo::MCASH_USER_ID.to_string(),
            secret: SecretString::from(demo::MCASH_SECRET),
            private_key_pem: None,
            testbed_token: None,
            pos_id: demo::TERMINAL_ID.to_string(),
            pos_name: "Kassa demo".to_string(),
            ledger: None,
            max_scan_age_seconds: 60,
            expires_in_seconds: 300,
        });
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
                supervisor_pin_hash: PinHash::parse(SecretString::from(demo::SUPERVISOR_PIN_HASH))
                    .ok(),
                cashiers: Vec::new(),
            },
            providers: ProvidersConfig {
                mcash,
                ..ProvidersConfig::default()
            },
            hardware: HardwareConfig::default(),
            storage: StorageConfig {
                path: PathBuf::from(DEFAULT_STORAGE_DIR),
                cache_mb: DEFAULT_CACHE_MB,
            },
            outbox: OutboxConfig::none(settings.currency),
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
            supervisor_pin: t.supervisor_pin_hash.clone(),
            cashiers: t.cashiers.clone(),
        }
    }
}

impl Default for HardwareConfig {
    fn default() -> Self {
        HardwareConfig {
            enabled: false,
            keypad: None,
            green_light_pin: None,
            red_light_pin: None,
            buzzer_pin: None,
            vend_relay_pin: None,
            vend_pulse_ms: DEFAULT_VEND_PULSE_MS,
            customer_display: CustomerDisplay::None,
            keypad_layout: crate::hw::keypad::KeypadLayout::default(),
            key_beep_ms: DEFAULT_KEY_BEEP_MS,
        }
    }
}

impl OutboxConfig {
    /// Nothing queues while offline.
    pub fn none(currency: Currency) -> OutboxConfig {
        OutboxConfig {
            max_queued_amount: Money::zero(currency),
            max_queued_total: Money::zero(currency),
            max_queued_age_minutes: DEFAULT_QUEUED_AGE_MINUTES,
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

const DEFAULT_STORAGE_DIR: &str = "./kassa-data";
const DEFAULT_CACHE_MB: u64 = 16;
const DEFAULT_VEND_PULSE_MS: u64 = 500;
const DEFAULT_KEY_BEEP_MS: u64 = 30;
const DEFAULT_QUEUED_AGE_MINUTES: u64 = 60;

// ---------------------------------------------------------------------------------------------
// The reader: walks the spanned TOML, collects problems.

/// Byte offset to 1-based line.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset).max(1)
    }
}

type Value<'i> = Spanned<DeValue<'i>>;

/// One table being read: which keys were asked for, so the rest are reported as unknown.
struct Table<'t, 'i> {
    path: String,
    table: &'t DeTable<'i>,
    /// The header's span, for "missing key" problems; `None` for the document root.
    at: Option<Range<usize>>,
    known: Vec<&'static str>,
    /// `false` for a disabled provider: missing keys and secret files are not looked for.
    active: bool,
}

impl<'t, 'i> Table<'t, 'i> {
    fn key(&self, k: &str) -> String {
        if self.path.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.path)
        }
    }

    fn get(&mut self, k: &'static str) -> Option<&'t Value<'i>> {
        self.known.push(k);
        self.table.get(k)
    }
}

struct Reader<'a> {
    origin: &'a str,
    lines: LineIndex,
    ctx: &'a LoadContext,
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
    /// Every dotted key asked for (array indexes dropped), so a test can prove the example
    /// documents each one.
    asked: Vec<String>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
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
    fn new(text: &str, origin: &'a str, ctx: &'a LoadContext) -> Reader<'a> {
        Reader {
            origin,
            lines: LineIndex::new(text),
            ctx,
            problems: Vec::new(),
            warnings: Vec::new(),
            asked: Vec::new(),
        }
    }

    fn make(&self, span: Option<&Range<usize>>, key: String, message: String) -> Problem {
        Problem {
            origin: self.origin.to_string(),
            line: span.map(|s| self.lines.line(s.start)),
            key,
            message,
        }
    }

    fn problem(&mut self, span: Option<&Range<usize>>, key: String, message: impl Into<String>) {
        let p = self.make(span, key, message.into());
        self.problems.push(p);
    }

    fn warn(&mut self, span: Option<&Range<usize>>, key: String, message: impl Into<String>) {
        let p = self.make(span, key, message.into());
        self.warnings.push(p);
    }

    fn into_errors(mut self) -> ConfigErrors {
        self.problems.sort_by_key(|p| p.line.unwrap_or(0));
        ConfigErrors {
            problems: self.problems,
        }
    }

    fn wrong_type(&mut self, t: &Table, k: &str, v: &Value, expected: &str) {
        let got = type_name(v.get_ref());
        self.problem(
            Some(&v.span()),
            t.key(k),
            format!("expected {expected}, found {got}"),
        );
    }

    /// Reports a required key that is absent (not one present with a wrong value).
    fn missing(&mut self, t: &Table, k: &str, what: &str) {
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
    fn finish(&mut self, t: Table) {
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

    fn table<'t, 'i>(
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

    fn key_span(&self, table: &DeTable<'_>, k: &str) -> Option<Range<usize>> {
        table.get_key_value(k).map(|(key, _)| key.span())
    }

    fn string(&mut self, t: &mut Table, k: &'static str) -> Option<Spanned<String>> {
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
    fn text(&mut self, t: &mut Table, k: &'static str, max: usize) -> Option<String> {
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

    fn integer(
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

    fn unsigned(
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

    fn boolean(&mut self, t: &mut Table, k: &'static str) -> Option<bool> {
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
    fn choice<T: Copy>(
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
    fn url(&mut self, t: &mut Table, k: &'static str) -> Option<Url> {
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
    fn secret(
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

    fn resolve_secret_file(&self, name: &str) -> PathBuf {
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
    fn required_secret(
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
    fn money(
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

    fn pin(&mut self, t: &mut Table, k: &'static str, range: RangeInclusive<i64>) -> Option<u8> {
        self.integer(t, k, range).and_then(|n| u8::try_from(n).ok())
    }

    fn pins4(&mut self, t: &mut Table, k: &'static str) -> Option<([u8; 4], Range<usize>)> {
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

    // ---- sections ----

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
        let hardware = self.hardware(&mut root, terminal.as_ref().map(|t| t.mode));
        let storage = self.storage(&mut root);
        let outbox = self.outbox(&mut root, currency);
        self.finish(root);
        self.warnings.sort_by_key(|w| w.line.unwrap_or(0));
        Some(Config {
            origin: self.origin.to_string(),
            terminal: terminal?,
            providers,
            hardware,
            storage,
            outbox: outbox?,
            warnings: self.warnings.clone(),
        })
    }

    fn terminal(&mut self, root: &mut Table) -> Option<TerminalConfig> {
        let Some(mut t) = self.table(root, "terminal", true) else {
            if !root.table.contains_key("terminal") {
                self.problem(
                    None,
                    "terminal".to_string(),
                    "missing table [terminal] (id, currency and max_amount at least)",
                );
            }
            return None;
        };
        let id = self.string(&mut t, "id").and_then(|id| {
            let ok = id.get_ref().len() <= 32 && SaleKey::parse(id.get_ref()).is_ok();
            if ok {
                Some(id.into_inner())
            } else {
                self.problem(
                    Some(&id.span()),
                    t.key("id"),
                    format!(
                        "{:?} is not a terminal id: expected 1 to 32 of A-Z a-z 0-9 _ . -",
                        id.get_ref()
                    ),
                );
                None
            }
        });
        self.missing(&t, "id", "the terminal's id, such as \"shop1-till2\"");
        let mode = self
            .choice(
                &mut t,
                "mode",
                &[
                    ("cashier", Mode::Cashier),
                    ("kiosk", Mode::Kiosk),
                    ("vending", Mode::Vending),
                ],
            )
            .unwrap_or(Mode::Cashier);
        let currency = self.string(&mut t, "currency").and_then(|c| {
            match Currency::from_code(c.get_ref().trim()) {
                Ok(cur) => Some(cur),
                Err(_) => {
                    let known: Vec<String> =
                        Currency::all().map(|c| c.code().to_string()).collect();
                    self.problem(
                        Some(&c.span()),
                        t.key("currency"),
                        format!(
                            "unknown currency code {:?} (expected an ISO 4217 code Kassa knows: {})",
                            c.get_ref(),
                            known.join(", ")
                        ),
                    );
                    None
                }
            }
        });
        self.missing(&t, "currency", "an ISO 4217 code such as \"NOK\"");
        let max_amount = self.money(&mut t, "max_amount", currency);
        if let Some(m) = max_amount
            && !m.is_positive()
        {
            let span = t.get("max_amount").map(|v| v.span());
            self.problem(span.as_ref(), t.key("max_amount"), "must be more than 0");
        }
        self.missing(
            &t,
            "max_amount",
            "the largest amount of one sale, such as \"10000.00\"",
        );
        let result_hold_seconds = self.unsigned(&mut t, "result_hold_seconds", 1..=600, 8);
        let poll_interval_ms = self.unsigned(&mut t, "poll_interval_ms", 200..=60_000, 1_000);
        let recover_attempts = self.unsigned(&mut t, "recover_attempts", 1..=100, 5) as u32;
        let supervisor_pin_hash = self
            .secret(&mut t, "supervisor_pin_hash", "supervisor_pin_hash_file")
            .and_then(|phc| self.pin_hash(&mut t, "supervisor_pin_hash", phc));
        if supervisor_pin_hash.is_none()
            && mode == Mode::Cashier
            && !t.table.contains_key("supervisor_pin_hash")
            && !t.table.contains_key("supervisor_pin_hash_file")
        {
            self.warn(
                t.at.as_ref(),
                t.key("supervisor_pin_hash"),
                "not set: refunds and the supervisor menu are open to anyone at the till",
            );
        }
        let cashiers = self.cashiers(&mut t);
        self.finish(t);
        Some(TerminalConfig {
            id: id?,
            mode,
            currency: currency?,
            max_amount: max_amount.filter(Money::is_positive)?,
            result_hold_seconds,
            poll_interval_ms,
            recover_attempts,
            supervisor_pin_hash,
            cashiers,
        })
    }

    fn pin_hash(&mut self, t: &mut Table, k: &'static str, phc: SecretString) -> Option<PinHash> {
        match PinHash::parse(phc) {
            Ok(h) => Some(h),
            Err(e) => {
                let span = t
                    .table
                    .get(k)
                    .or_else(|| t.table.get(format!("{k}_file").as_str()))
                    .map(|v| v.span());
                self.problem(span.as_ref(), t.key(k), e.to_string());
                None
            }
        }
    }

    fn cashiers(&mut self, t: &mut Table) -> Vec<Cashier> {
        let Some(v) = t.get("cashier") else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(t, "cashier", v, "[[terminal.cashier]] tables");
            return Vec::new();
        };
        let mut cashiers: Vec<Cashier> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{}]", t.key("cashier"), i + 1);
            let DeValue::Table(table) = item.get_ref() else {
                let got = type_name(item.get_ref());
                self.problem(
                    Some(&item.span()),
                    path,
                    format!("expected a [[terminal.cashier]] table, found {got}"),
                );
                continue;
            };
            let mut c = Table {
                path,
                table,
                at: Some(item.span()),
                known: Vec::new(),
                active: true,
            };
            let id = self.text(&mut c, "id", 32);
            self.missing(&c, "id", "the cashier's id, such as \"anna\"");
            if let Some(id) = &id
                && cashiers.iter().any(|other| &other.id == id)
            {
                let span = c.table.get("id").map(|v| v.span());
                self.problem(span.as_ref(), c.key("id"), format!("{id:?} is used twice"));
            }
            let pin = self
                .required_secret(&mut c, "pin_hash", "pin_hash_file")
                .and_then(|phc| self.pin_hash(&mut c, "pin_hash", phc));
            self.finish(c);
            if let (Some(id), Some(pin)) = (id, pin) {
                cashiers.push(Cashier { id, pin });
            }
        }
        cashiers
    }

    fn providers(
        &mut self,
        root: &mut Table,
        terminal: Option<&TerminalConfig>,
    ) -> ProvidersConfig {
        let mut out = ProvidersConfig::default();
        let Some(mut p) = self.table(root, "providers", true) else {
            if !root.table.contains_key("providers") {
                self.problem(
                    None,
                    "providers".to_string(),
                    "no [providers.*] table: enable at least one provider",
                );
            }
            return out;
        };
        let currency = terminal.map(|t| t.currency);
        if let Some(mut t) = self.provider_table(&mut p, "mcash") {
            out.mcash = self.mcash(&mut t, terminal);
            self.finish(t);
        }
        if let Some(mut t) = self.provider_table(&mut p, "moncash") {
            out.moncash = self.moncash(&mut t);
            self.currency_hint(&t, "MonCash", Currency::HTG, currency);
            self.finish(t);
        }
        if let Some(mut t) = self.provider_table(&mut p, "icash") {
            out.icash = self.icash(&mut t);
            self.currency_hint(&t, "iCash", Currency::LYD, currency);
            self.finish(t);
        }
        if let Some(mut t) = self.provider_table(&mut p, "ezcash") {
            out.ezcash = self.ezcash(&mut t);
            self.currency_hint(&t, "eZ Cash", Currency::LKR, currency);
            self.finish(t);
        }
        if let Some(mut t) = self.provider_table(&mut p, "icg") {
            out.icg = self.icg(&mut t);
            self.currency_hint(&t, "iCheckGateway", Currency::USD, currency);
            self.finish(t);
        }
        let any_enabled = p.table.values().any(|v| {
            v.get_ref().as_table().is_some_and(|t| {
                t.get("enabled")
                    .is_none_or(|e| e.get_ref().as_bool() != Some(false))
            })
        });
        if !any_enabled {
            self.problem(
                p.at.as_ref(),
                p.path.clone(),
                "no provider is enabled: set enabled = true in at least one [providers.*] table",
            );
        }
        self.finish(p);
        out
    }

    /// A provider's table and whether it is enabled (default: enabled when present).
    fn provider_table<'t, 'i>(
        &mut self,
        parent: &mut Table<'t, 'i>,
        k: &'static str,
    ) -> Option<Table<'t, 'i>> {
        let mut t = self.table(parent, k, true)?;
        let enabled = self.boolean(&mut t, "enabled").unwrap_or(true);
        t.active = enabled;
        Some(t)
    }

    fn currency_hint(&mut self, t: &Table, name: &str, theirs: Currency, ours: Option<Currency>) {
        if let Some(ours) = ours
            && t.active
            && ours != theirs
        {
            self.warn(
                t.at.as_ref(),
                t.path.clone(),
                format!("{name} is documented for {theirs} only, but terminal.currency is {ours}"),
            );
        }
    }

    /// A required non-secret text value of an enabled provider.
    fn required_text(
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

    fn required_url(&mut self, t: &mut Table, k: &'static str, example: &str) -> Option<Url> {
        let v = self.url(t, k);
        self.missing(t, k, &format!("an http(s) URL such as \"{example}\""));
        v
    }

    fn mcash(&mut self, t: &mut Table, terminal: Option<&TerminalConfig>) -> Option<McashConfig> {
        let base_url = self.required_url(t, "base_url", "https://api.mca.sh/merchant/v1/");
        let merchant_id = self.required_text(t, "merchant_id", 100, "the X-Mcash-Merchant id");
        let user_id = self.required_text(t, "user_id", 100, "the X-Mcash-User id");
        let secret = self.required_secret(t, "secret", "secret_file");
        let private_key_pem = self.secret(t, "private_key", "private_key_file");
        if let Some(pem) = &private_key_pem
            && !rsa_pem_parses(pem.expose_secret())
        {
            let k = if t.table.contains_key("private_key") {
                "private_key"
            } else {
                "private_key_file"
            };
            let span = t.table.get(k).map(|v| v.span());
            self.problem(
                span.as_ref(),
                t.key(k),
                "not a PEM RSA private key (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)",
            );
        }
        let testbed_token = self.secret(t, "testbed_token", "testbed_token_file");
        let pos_id = self.string(t, "pos_id").and_then(|s| {
            if SaleKey::parse(s.get_ref()).is_ok() {
                Some(s.into_inner())
            } else {
                self.problem(
                    Some(&s.span()),
                    t.key("pos_id"),
                    format!(
                        "{:?} is not a POS id: expected 1 to 64 of A-Z a-z 0-9 _ . -",
                        s.get_ref()
                    ),
                );
                None
            }
        });
        let pos_name = self.text(t, "pos_name", 100);
        let ledger = self.text(t, "ledger", 100);
        let max_scan_age_seconds = self.unsigned(t, "max_scan_age_seconds", 0..=2_592_000, 60);
        let expires_in_seconds = self.unsigned(t, "expires_in_seconds", 30..=2_592_000, 300);
        if !t.active {
            return None;
        }
        let pos_id = pos_id.or_else(|| terminal.map(|t| t.id.clone()))?;
        Some(McashConfig {
            base_url: base_url?,
            merchant_id: merchant_id?,
            user_id: user_id?,
            secret: secret?,
            private_key_pem: private_key_pem.filter(|p| rsa_pem_parses(p.expose_secret())),
            testbed_token,
            pos_name: pos_name.unwrap_or_else(|| pos_id.clone()),
            pos_id,
            ledger,
            max_scan_age_seconds: max_scan_age_seconds as u32,
            expires_in_seconds: expires_in_seconds as u32,
        })
    }

    fn moncash(&mut self, t: &mut Table) -> Option<MoncashConfig> {
        let base_url = self.required_url(
            t,
            "base_url",
            "https://sandbox.moncashbutton.digicelgroup.com/Api/",
        );
        let gateway_base_url = self.required_url(
            t,
            "gateway_base_url",
            "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/",
        );
        let client_id = self.required_text(t, "client_id", 200, "the OAuth client id");
        let client_secret = self.required_secret(t, "client_secret", "client_secret_file");
        if !t.active {
            return None;
        }
        Some(MoncashConfig {
            base_url: base_url?,
            gateway_base_url: gateway_base_url?,
            client_id: client_id?,
            client_secret: client_secret?,
        })
    }

    fn icash(&mut self, t: &mut Table) -> Option<IcashConfig> {
        let base_url =
            self.required_url(t, "base_url", "https://icashmerchantv2.azurewebsites.net/");
        let username = self.required_text(t, "username", 200, "the merchant's user name");
        let password = self.required_secret(t, "password", "password_file");
        let card_number = self.string(t, "card_number").and_then(|s| {
            let v = s.get_ref();
            if (1..=19).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
                Some(s.into_inner())
            } else {
                self.problem(
                    Some(&s.span()),
                    t.key("card_number"),
                    "expected the merchant's iCash card number: 1 to 19 digits, as a string",
                );
                None
            }
        });
        self.missing(
            t,
            "card_number",
            "the merchant's iCashCardNumber, such as \"7121234567\"",
        );
        if !t.active {
            return None;
        }
        Some(IcashConfig {
            base_url: base_url?,
            username: username?,
            password: password?,
            card_number: card_number?,
        })
    }

    fn ezcash(&mut self, t: &mut Table) -> Option<EzcashConfig> {
        let base_url = self.required_url(t, "base_url", "https://ideabiz.lk/apicall/");
        let consumer_key = self.required_text(t, "consumer_key", 200, "the ideabiz consumer key");
        let consumer_secret = self.required_secret(t, "consumer_secret", "consumer_secret_file");
        let username = self.required_text(t, "username", 200, "the ideabiz user name");
        let password = self.required_secret(t, "password", "password_file");
        let agent_alias = self.required_text(t, "agent_alias", 100, "the eZ Cash agent alias");
        let agent_pin = self.required_secret(t, "agent_pin", "agent_pin_file");
        if !t.active {
            return None;
        }
        Some(EzcashConfig {
            base_url: base_url?,
            consumer_key: consumer_key?,
            consumer_secret: consumer_secret?,
            username: username?,
            password: password?,
            agent_alias: agent_alias?,
            agent_pin: agent_pin?,
        })
    }

    fn icg(&mut self, t: &mut Table) -> Option<IcgConfig> {
        let base_url = self.required_url(t, "base_url", "https://api.icheckgateway.com/");
        let auth_url = self.required_url(t, "auth_url", "https://auth.icheckdev.com/");
        let process_base_url =
            self.required_url(t, "process_base_url", "https://process.example.com/");
        let client_id = self.required_text(t, "client_id", 200, "the iCG application audience id");
        let username = self.required_text(t, "username", 200, "the iCG user name");
        let password = self.required_secret(t, "password", "password_file");
        if !t.active {
            return None;
        }
        Some(IcgConfig {
            base_url: base_url?,
            auth_url: auth_url?,
            process_base_url: process_base_url?,
            client_id: client_id?,
            username: username?,
            password: password?,
        })
    }

    fn hardware(&mut self, root: &mut Table, mode: Option<Mode>) -> HardwareConfig {
        let mut hw = HardwareConfig::default();
        let Some(mut t) = self.table(root, "hardware", true) else {
            return hw;
        };
        hw.enabled = self.boolean(&mut t, "enabled").unwrap_or(false);
        let rows = self.pins4(&mut t, "keypad_row_pins");
        let columns = self.pins4(&mut t, "keypad_column_pins");
        match (&rows, &columns) {
            (Some((rows, _)), Some((columns, _))) => {
                hw.keypad = Some(KeypadPins {
                    rows: *rows,
                    columns: *columns,
                })
            }
            (Some(_), None) if !t.table.contains_key("keypad_column_pins") => self.missing(
                &t,
                "keypad_column_pins",
                "4 column pins to go with the row pins",
            ),
            (None, Some(_)) if !t.table.contains_key("keypad_row_pins") => self.missing(
                &t,
                "keypad_row_pins",
                "4 row pins to go with the column pins",
            ),
            _ => {}
        }
        hw.green_light_pin = self.pin(&mut t, "green_light_pin", GPIO);
        hw.red_light_pin = self.pin(&mut t, "red_light_pin", GPIO);
        hw.buzzer_pin = self.pin(&mut t, "buzzer_pin", GPIO);
        hw.vend_relay_pin = self.pin(&mut t, "vend_relay_pin", GPIO);
        hw.vend_pulse_ms =
            self.unsigned(&mut t, "vend_pulse_ms", 50..=10_000, DEFAULT_VEND_PULSE_MS);
        hw.customer_display = self
            .choice(
                &mut t,
                "customer_display",
                &[
                    ("none", CustomerDisplay::None),
                    ("ssd1306-128x64", CustomerDisplay::Ssd1306_128x64),
                    ("st7789-240x240", CustomerDisplay::St7789_240x240),
                ],
            )
            .unwrap_or(CustomerDisplay::None);
        hw.key_beep_ms = self.unsigned(&mut t, "key_beep_ms", 0..=1_000, DEFAULT_KEY_BEEP_MS);
        if let Some(v) = t.get("keypad_layout") {
            let key = t.key("keypad_layout");
            match v.get_ref() {
                DeValue::Array(rows) if rows.len() == 4 => {
                    let mut layout = hw.keypad_layout;
                    let mut ok = true;
                    for (i, row) in rows.iter().enumerate() {
                        let parsed = match row.get_ref() {
                            DeValue::String(s) => crate::hw::keypad::KeypadLayout::parse_row(s),
                            other => Err(format!(
                                "expected a string of 4 keys, found {}",
                                type_name(other)
                            )),
                        };
                        match parsed {
                            Ok(keys) => layout.keys[i] = keys,
                            Err(e) => {
                                ok = false;
                                self.problem(Some(&row.span()), key.clone(), e);
                            }
                        }
                    }
                    if ok {
                        hw.keypad_layout = layout;
                    }
                }
                _ => self.problem(
                    Some(&v.span()),
                    key,
                    "expected an array of 4 rows, each a string of 4 keys such as \"1 2 3 cancel\"",
                ),
            }
        }

        // Every pin drives one thing.
        let mut used: Vec<(u8, String, Range<usize>)> = Vec::new();
        let mut claim = |r: &mut Reader, pin: u8, key: String, span: Range<usize>| {
            if let Some((_, other, _)) = used.iter().find(|(p, _, _)| *p == pin) {
                r.problem(
                    Some(&span),
                    key,
                    format!("GPIO {pin} is already used by {other}"),
                );
            } else {
                used.push((pin, key, span));
            }
        };
        for (k, pins) in [("keypad_row_pins", &rows), ("keypad_column_pins", &columns)] {
            if let Some((pins, span)) = pins {
                for pin in pins {
                    claim(self, *pin, t.key(k), span.clone());
                }
            }
        }
        for (k, pin) in [
            ("green_light_pin", hw.green_light_pin),
            ("red_light_pin", hw.red_light_pin),
            ("buzzer_pin", hw.buzzer_pin),
            ("vend_relay_pin", hw.vend_relay_pin),
        ] {
            if let (Some(pin), Some(v)) = (pin, t.table.get(k)) {
                claim(self, pin, t.key(k), v.span());
            }
        }
        if hw.enabled && mode == Some(Mode::Vending) && hw.vend_relay_pin.is_none() {
            self.warn(
                t.at.as_ref(),
                t.key("vend_relay_pin"),
                "not set in vending mode: the terminal cannot pulse a vend relay",
            );
        }
        self.finish(t);
        hw
    }

    fn storage(&mut self, root: &mut Table) -> StorageConfig {
        let default_path = self
            .ctx
            .state_directory
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STORAGE_DIR));
        let mut st = StorageConfig {
            path: default_path,
            cache_mb: DEFAULT_CACHE_MB,
        };
        let Some(mut t) = self.table(root, "storage", true) else {
            return st;
        };
        if let Some(p) = self.text(&mut t, "path", 4096) {
            st.path = PathBuf::from(p);
        }
        st.cache_mb = self.unsigned(&mut t, "cache_mb", 1..=512, DEFAULT_CACHE_MB);
        self.finish(t);
        st
    }

    fn outbox(&mut self, root: &mut Table, currency: Option<Currency>) -> Option<OutboxConfig> {
        let mut t = match self.table(root, "outbox", true) {
            Some(t) => t,
            None => return currency.map(OutboxConfig::none),
        };
        let amount = self.money(&mut t, "max_queued_amount", currency);
        let total = self.money(&mut t, "max_queued_total", currency);
        let age = self.unsigned(
            &mut t,
            "max_queued_age_minutes",
            1..=10_080,
            DEFAULT_QUEUED_AGE_MINUTES,
        );
        if let (Some(a), Some(tot)) = (amount, total)
            && a.minor() > tot.minor()
        {
            let span = t.table.get("max_queued_amount").map(|v| v.span());
            self.problem(
                span.as_ref(),
                t.key("max_queued_amount"),
                "must not be more than outbox.max_queued_total",
            );
        }
        self.finish(t);
        let currency = currency?;
        Some(OutboxConfig {
            max_queued_amount: amount.unwrap_or(Money::zero(currency)),
            max_queued_total: total.unwrap_or(Money::zero(currency)),
            max_queued_age_minutes: age,
        })
    }
}

/// BCM GPIO numbers on the Pi's 40-pin header.
const GPIO: RangeInclusive<i64> = 0..=27;

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn rsa_pem_parses(pem: &str) -> bool {
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    RsaPrivateKey::from_pkcs1_pem(pem).is_ok() || RsaPrivateKey::from_pkcs8_pem(pem).is_ok()
}

/// Reads a credential file; trailing newlines are not part of the secret. The error names the
/// failure, never the content.
fn read_secret_file(path: &Path) -> Result<SecretString, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file ({e})"))?;
    let text = String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err("the file is empty".to_string());
    }
    Ok(SecretString::from(trimmed.to_string()))
}

/// The known key closest to a typo, if it is close enough to be a likely meaning.
fn closest<'k>(typo: &str, known: &[&'k str]) -> Option<&'k str> {
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

fn edit_distance(a: &str, b: &str) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../kassa.example.toml");

    /// A public sample key (mCASH signing test vector in providers/testdata), never a real secret.
    const SAMPLE_PEM: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEA7uazY9tUxGB9gjDrLmAsDuwKoMQN94T8zzDUTVMAV4bqDVkj
DafIxU0EEP88TEEL4tssi2DI1CeqQ2aHLX5Zc9NCSXwaLD5bMo3DSMSWdXt55SrX
0KoV1x/jUVd2+Vm8TXBCi8Simqb8IHK+6c4DHoPnyUGU7WLka8Je/WEAEgwYMXkh
h9FTHs6DR0bhcsQnFbo1n1On5l3klTcY5ALDNv+XvnEr0Kojv4rCySy+c7Sx/AWq
MPtZ3W+YFUcmY4DTioFcsK7yicyjkXrwOpB4sbHvwpIG/CfcL0wtZgZDhKjJrw24
5akb1dt8rKPJV21Ff6cNhToDZNbHz9YTlIy72wIDAQABAoIBABZ+vKeLcIjpOQg4
SPzd62ggS8Plkhcbe56az3LUfPTA7GsDWKyhfuMtJFPhZLEdctwSnTgmjeKENaER
F2tuOUgRvW0j9WbzHC0/cgL5F93KGak9hoLMcTAHfaUcIkTKcVOtXWbBxjnfvV/k
zhs/3cVS0FGADmDn7fBDpiQfrR0FvfCWUqsewL99dLePBeX8PZWgqPdUXTq+UJuB
T27XNJxA+q15j2scXAjC3P5MXMMojrcnYrc0+gsfFTwS+Lyovqo+Vm9KSIJhCUOM
qziftQizlaj04dePL0H7QaUeVYM9gzEesr8qYZTZseYEU8eqBOAQEWPDSRlvLgv4
4S/JVfkCgYEA8qRTnHoM3d2tzRw/rTfmchwEOgxcTF8VBUGk4GBOeRyyKt2teMQP
axCDYYT+CenqTK1rt7ZidgYaedQog6ll83grL04zDcKjnRsDT4FgxMqaq7D+xm1K
ilIXgYzvL4b/qGlj+thWewvYjwXgR872LOiOGUb6N2YIGT9RUkT8MlcCgYEA/A2n
esnsSdoH2pc66oMLBpSlEu4imj+TvLHJG217z39VeeKfErnPkQUHuNVHrSHmhwEa
uFWwXBmpJpYSMrwI5iuZuigV7vSlXmKj++9za17/G2Q7JdLl1OgDB63IBjG49YV4
dul5l6cnMjIPDrRnzrQDsf/pZAFzZXZ4LcPIOB0CgYBEGe8FqhPWaZOQT+9nVJsv
R8G/8RwuqzkhIo1+FEmyIGW5NkKr9ItHR3k4c7VBXw/NuZbUFzKHYasoqm08ltzw
erfULSSTJh/5xk0lkXBxi1PiAGlhk+cp72R9jerL8h3rTLks/G85VdfQPJv4S5Q4
goTvf0ZXKiH3xBe0+Xu3PQKBgGZDq/X3wzTbj2AzB6ZqcKjE2ozprYRj0y81+uBz
9U3k3etL9TqFxR+TqORnNGOcY4nW+t5bdeiISMbtEIkhHYM1oXOUHAINpKK85ser
CWtA6cRVUGIyRSmy0Lfm3EcXGXIUKyIj7D+JhC+re8x9ibil9PHdYPZAWG+MN4pp
6uxJAoGAV4QkhZDJ5IBoiOxnCVxPBnu0xrV9LiEZLqofOnkgfOrUjDKjrFtVqWnz
tEe7gGLMVO5VaqcvEexKfdzdFQHDJiF9NYoghQADNtjeQk5IPUd+QJD4NQ5CpttB
bHMXDYrlKioHTtJGeYQTMZsPu/0Eq1+35C0mbellbvX+z1rz2ic=
-----END RSA PRIVATE KEY-----";

    fn ctx() -> LoadContext {
        LoadContext {
            config_dir: PathBuf::from("/nonexistent-kassa-config-dir"),
            credentials_directory: None,
            state_directory: None,
        }
    }

    fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_toml_str_in(text, "kassa.toml", &ctx())
    }

    fn problems(text: &str) -> Vec<Problem> {
        match load(text) {
            Ok(c) => panic!("expected problems, loaded {c:?}"),
            Err(e) => e.problems,
        }
    }

    /// The one problem about `key`, asserting its line.
    fn at<'p>(problems: &'p [Problem], key: &str, line: usize) -> &'p Problem {
        let found: Vec<&Problem> = problems.iter().filter(|p| p.key == key).collect();
        assert_eq!(found.len(), 1, "one problem for {key} in {problems:#?}");
        assert_eq!(found[0].line, Some(line), "{}", found[0]);
        found[0]
    }

    /// A small valid config; tests break one thing at a time. Line numbers matter.
    const MINIMAL: &str = r#"[terminal]
id = "t1"
currency = "NOK"
max_amount = "500.00"
supervisor_pin_hash = "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ"

[providers.mcash]
base_url = "https://api.mca.sh/merchant/v1"
merchant_id = "m1"
user_id = "u1"
secret = "s3cr3t-value"
"#;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kassa-config-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_shipped_example_loads_with_no_problems_and_no_warnings() {
        let c = Config::from_toml_str_in(EXAMPLE, "kassa.example.toml", &ctx())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
        let (out, ok) = check_report(&Ok(c.warnings.clone()));
        assert_eq!(out, "ok\n");
        assert!(ok);

        assert_eq!(c.terminal.id, "shop1-till1");
        assert_eq!(c.terminal.mode, Mode::Cashier);
        assert_eq!(c.terminal.currency, Currency::NOK);
        assert_eq!(
            c.terminal.max_amount,
            Money::from_minor(1_000_000, Currency::NOK)
        );
        let m = c.providers.mcash.as_ref().unwrap();
        assert_eq!(
            m.base_url.as_str(),
            "http://127.0.0.1:8700/mcash/merchant/v1/"
        );
        assert_eq!(m.merchant_id, demo::MCASH_MERCHANT_ID);
        assert_eq!(m.user_id, demo::MCASH_USER_ID);
        assert_eq!(m.secret.expose_secret(), demo::MCASH_SECRET);
        assert_eq!(m.pos_name, "Shop 1, till 1");
        assert_eq!(m.expires_in_seconds, 300);
        assert_eq!(c.providers.enabled(), vec![ProviderId::new("mcash")]);
        assert_eq!(
            c.hardware.keypad,
            Some(KeypadPins {
                rows: [5, 6, 13, 19],
                columns: [12, 16, 20, 21]
            })
        );
        assert_eq!(c.hardware.vend_relay_pin, Some(23));
        assert_eq!(c.storage.path, PathBuf::from(DEFAULT_STORAGE_DIR));
        assert_eq!(
            c.outbox.max_queued_total,
            Money::from_minor(200_000, Currency::NOK)
        );

        let s = c.settings();
        assert_eq!(s.result_hold_ms, 8_000);
        assert_eq!(s.terminal_id, "shop1-till1");
        // The comment says it is the hash of 1234; it is, and the demo shares it.
        let pin = s.supervisor_pin.unwrap();
        assert!(pin.verify(demo::SUPERVISOR_PIN));
        assert_eq!(pin.expose_phc(), demo::SUPERVISOR_PIN_HASH);
    }

    #[test]
    fn config_check_on_the_example_file_prints_ok() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("kassa.example.toml");
        let (out, ok) = check_report(&check(&path));
        assert_eq!(out, "ok\n");
        assert!(ok);
        let (out, ok) = check_report(&check(&path.with_file_name("no-such-kassa.toml")));
        assert!(!ok);
        assert!(
            out.contains("no-such-kassa.toml: cannot read the config file"),
            "{out}"
        );
    }

    #[test]
    fn every_key_the_reader_knows_is_documented_in_the_example() {
        // Visit every table (the cashier table is commented out in the example), then look
        // for `key =` of each key asked for, set or in a comment.
        let text = format!("{EXAMPLE}\n[[terminal.cashier]]\nid = \"x\"\n");
        let root = DeTable::parse(&text).unwrap();
        let cx = ctx();
        let mut r = Reader::new(&text, "kassa.example.toml", &cx);
        r.config(root.get_ref());
        assert!(r.asked.len() > 60, "{:?}", r.asked);
        let mut undocumented: Vec<&str> = r
            .asked
            .iter()
            .map(|k| k.rsplit('.').next().unwrap_or(k))
            .filter(|leaf| {
                // `leaf =` not preceded by a letter or `_` (so `pin_hash` is not found in
                // `supervisor_pin_hash =`), or a table header naming it.
                let as_key = EXAMPLE.match_indices(&format!("{leaf} =")).any(|(i, _)| {
                    !EXAMPLE[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                let as_table = EXAMPLE.contains(&format!("[{leaf}]"))
                    || EXAMPLE.contains(&format!("[{leaf}."))
                    || EXAMPLE.contains(&format!(".{leaf}]"));
                !as_key && !as_table
            })
            .collect();
        undocumented.dedup();
        assert!(
            undocumented.is_empty(),
            "undocumented keys: {undocumented:?}"
        );
    }

    #[test]
    fn bad_currency_negative_limit_and_unknown_key_are_all_reported_with_key_and_line() {
        let text = r#"[terminal]
id = "t1"
currency = "NOX"
max_amount = "-5.00"
curency = "NOK"

[providers.mcash]
base_url = "https://api.mca.sh/merchant/v1/"
merchant_id = "m1"
user_id = "u1"
secret = "x"
"#;
        let ps = problems(text);
        assert_eq!(ps.len(), 3, "{ps:#?}");
        let cur = at(&ps, "terminal.currency", 3);
        assert!(
            cur.message.contains("unknown currency code \"NOX\""),
            "{cur}"
        );
        assert!(cur.message.contains("NOK"), "names what is expected: {cur}");
        assert!(
            cur.to_string()
                .starts_with("kassa.toml:3: terminal.currency: ")
        );
        let neg = at(&ps, "terminal.max_amount", 4);
        assert!(neg.message.contains("negative"), "{neg}");
        let typo = at(&ps, "terminal.curency", 5);
        assert!(typo.message.contains("unknown key"), "{typo}");
        assert!(typo.message.contains("did you mean `currency`"), "{typo}");
        // Sorted by line, and the report fails.
        let lines: Vec<_> = ps.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5)]);
        let (out, ok) = check_report(&Err(ConfigErrors { problems: ps }));
        assert!(!ok);
        assert_eq!(out.lines().count(), 3);
        assert!(!out.contains("ok\n"));
    }

    #[test]
    fn negative_limit_with_a_good_currency_and_a_zero_limit_are_errors() {
        let ps = problems(&MINIMAL.replace("\"500.00\"", "\"-1\""));
        assert!(
            at(&ps, "terminal.max_amount", 4)
                .message
                .contains("negative")
        );
        let ps = problems(&MINIMAL.replace("\"500.00\"", "\"0.00\""));
        assert!(
            at(&ps, "terminal.max_amount", 4)
                .message
                .contains("more than 0")
        );
        let ps = problems(&MINIMAL.replace("\"500.00\"", "500.0"));
        assert!(
            at(&ps, "terminal.max_amount", 4)
                .message
                .contains("quoted decimal")
        );
        let ps = problems(&MINIMAL.replace("\"500.00\"", "\"5.001\""));
        assert!(
            at(&ps, "terminal.max_amount", 4)
                .message
                .contains("decimals")
        );
        let outbox = format!("{MINIMAL}\n[outbox]\nmax_queued_amount = \"-3\"\n");
        let ps = problems(&outbox);
        assert!(
            at(&ps, "outbox.max_queued_amount", 14)
                .message
                .contains("negative")
        );
    }

    #[test]
    fn the_minimal_config_loads_with_defaults() {
        let c = load(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
        let m = c.providers.mcash.unwrap();
        // Normalised to end with a slash; pos_id defaults to the terminal id.
        assert_eq!(m.base_url.as_str(), "https://api.mca.sh/merchant/v1/");
        assert_eq!(m.pos_id, "t1");
        assert_eq!(m.pos_name, "t1");
        assert_eq!(m.max_scan_age_seconds, 60);
        assert_eq!(c.terminal.result_hold_seconds, 8);
        assert_eq!(c.terminal.recover_attempts, 5);
        assert_eq!(c.outbox, OutboxConfig::none(Currency::NOK));
        assert_eq!(c.hardware, HardwareConfig::default());
        assert_eq!(c.storage.cache_mb, 16);
        assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    }

    #[test]
    fn storage_defaults_to_the_systemd_state_directory() {
        let mut cx = ctx();
        cx.state_directory = Some(PathBuf::from("/var/lib/kassa"));
        let c = Config::from_toml_str_in(MINIMAL, "kassa.toml", &cx).unwrap();
        assert_eq!(c.storage.path, PathBuf::from("/var/lib/kassa"));
        let text = format!("{MINIMAL}\n[storage]\npath = \"/srv/k\"\ncache_mb = 600\n");
        let ps = match Config::from_toml_str_in(&text, "kassa.toml", &cx) {
            Err(e) => e.problems,
            Ok(_) => panic!("cache_mb 600 is out of range"),
        };
        assert!(
            at(&ps, "storage.cache_mb", 15)
                .message
                .contains("between 1 and 512")
        );
    }

    #[test]
    fn toml_syntax_errors_report_their_line() {
        let text = MINIMAL.replace("user_id = \"u1\"", "user_id = u1");
        let ps = problems(&text);
        assert_eq!(ps.len(), 1, "{ps:#?}");
        assert_eq!(ps[0].line, Some(10));
        assert!(ps[0].message.starts_with("TOML syntax error"), "{}", ps[0]);
        let dup = format!("{MINIMAL}secret = \"again\"\n");
        let ps = problems(&dup);
        assert_eq!(ps[0].line, Some(12), "{}", ps[0]);
    }

    #[test]
    fn wrong_types_and_ranges_name_key_and_line() {
        let text = r#"[terminal]
id = "has space"
mode = "till"
currency = "NOK"
max_amount = "10"
result_hold_seconds = "8"
poll_interval_ms = 5

[providers.mcash]
enabled = "yes"
base_url = "ftp://api.mca.sh/"
merchant_id = "m1"
user_id = ""
secret = "x"
expires_in_seconds = 99999999

[hardwre]
enabled = true
"#;
        let ps = problems(text);
        at(&ps, "terminal.id", 2);
        assert!(
            at(&ps, "terminal.mode", 3)
                .message
                .contains("cashier, kiosk, vending")
        );
        assert!(
            at(&ps, "terminal.result_hold_seconds", 6)
                .message
                .contains("expected an integer, found a string")
        );
        assert!(
            at(&ps, "terminal.poll_interval_ms", 7)
                .message
                .contains("between 200 and 60000")
        );
        assert!(
            at(&ps, "providers.mcash.enabled", 10)
                .message
                .contains("true or false")
        );
        assert!(
            at(&ps, "providers.mcash.base_url", 11)
                .message
                .contains("http:// or https://")
        );
        at(&ps, "providers.mcash.user_id", 13);
        at(&ps, "providers.mcash.expires_in_seconds", 15);
        let t = at(&ps, "hardwre", 17);
        assert!(
            t.message.contains("unknown table; did you mean `hardware`"),
            "{t}"
        );
        assert_eq!(ps.len(), 9, "{ps:#?}");
    }

    #[test]
    fn missing_sections_and_keys_are_named() {
        let ps = problems("");
        assert!(ps.iter().any(|p| p.key == "terminal" && p.line.is_none()));
        assert!(ps.iter().any(|p| p.key == "providers"));

        let text = "[terminal]\nid = \"t\"\n\n[providers.mcash]\nmerchant_id = \"m\"\n";
        let ps = problems(text);
        assert!(
            at(&ps, "terminal.currency", 1)
                .message
                .contains("missing in [terminal]")
        );
        at(&ps, "terminal.max_amount", 1);
        at(&ps, "providers.mcash.base_url", 4);
        at(&ps, "providers.mcash.user_id", 4);
        let s = at(&ps, "providers.mcash.secret", 4);
        assert!(s.message.contains("secret or secret_file"), "{s}");

        let off = MINIMAL.replace("[providers.mcash]", "[providers.mcash]\nenabled = false");
        let ps = problems(&off);
        assert!(
            at(&ps, "providers", 7)
                .message
                .contains("no provider is enabled")
        );
    }

    #[test]
    fn a_disabled_provider_needs_no_credentials_but_is_checked_for_typos() {
        let text = format!(
            "{MINIMAL}\n[providers.moncash]\nenabled = false\nclient_secret_file = \"nope\"\n"
        );
        let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.providers.moncash.is_none());
        let typo =
            format!("{MINIMAL}\n[providers.moncash]\nenabled = false\nclient_secrett = \"x\"\n");
        let ps = problems(&typo);
        let p = at(&ps, "providers.moncash.client_secrett", 15);
        assert!(p.message.contains("did you mean `client_secret`"), "{p}");
        let unknown = format!("{MINIMAL}\n[providers.paypal]\nenabled = false\n");
        let ps = problems(&unknown);
        assert!(
            at(&ps, "providers.paypal", 13)
                .message
                .contains("unknown table")
        );
    }

    #[test]
    fn every_provider_loads_when_complete_and_warns_on_a_foreign_currency() {
        let text = format!(
            r#"{MINIMAL}
[providers.moncash]
base_url = "https://sandbox.moncashbutton.digicelgroup.com/Api"
gateway_base_url = "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware"
client_id = "cid"
client_secret = "cs"

[providers.icash]
base_url = "https://icashmerchantv2.azurewebsites.net"
username = "u"
password = "p"
card_number = "7121234567"

[providers.ezcash]
base_url = "https://ideabiz.lk/apicall/"
consumer_key = "ck"
consumer_secret = "cs"
username = "u"
password = "p"
agent_alias = "IDEA_HUB"
agent_pin = "1234"

[providers.icg]
base_url = "https://api.example.com/"
auth_url = "https://auth.icheckdev.com/"
process_base_url = "https://process.example.com/"
client_id = "aud"
username = "u"
password = "p"
"#
        );
        let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.providers.enabled().len(), 5);
        assert_eq!(
            c.providers
                .moncash
                .as_ref()
                .unwrap()
                .gateway_base_url
                .as_str(),
            "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/"
        );
        assert_eq!(
            c.providers.icash.as_ref().unwrap().card_number,
            "7121234567"
        );
        assert_eq!(
            c.providers
                .ezcash
                .as_ref()
                .unwrap()
                .agent_pin
                .expose_secret(),
            "1234"
        );
        let keys: Vec<(&str, Option<usize>)> = c
            .warnings
            .iter()
            .map(|w| (w.key.as_str(), w.line))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("providers.moncash", Some(13)),
                ("providers.icash", Some(19)),
                ("providers.ezcash", Some(25)),
                ("providers.icg", Some(34)),
            ]
        );
        assert!(c.warnings[0].message.contains("HTG"));
        let (out, ok) = check_report(&Ok(c.warnings.clone()));
        assert!(ok);
        assert!(out.starts_with("warning: kassa.toml:13: providers.moncash: "));
        assert!(out.ends_with("ok\n"));

        let bad_card = text.replace("\"7121234567\"", "\"71-21\"");
        let ps = problems(&bad_card);
        at(&ps, "providers.icash.card_number", 23);
    }

    #[test]
    fn urls_with_credentials_are_refused_without_being_echoed() {
        let text = MINIMAL.replace(
            "https://api.mca.sh/merchant/v1",
            "https://user:hunter2pass@api.mca.sh/merchant/v1/",
        );
        let ps = problems(&text);
        let p = at(&ps, "providers.mcash.base_url", 8);
        assert!(p.message.contains("user name or password"));
        assert!(!p.to_string().contains("hunter2pass"));
        // Plain http to another machine is a warning, loopback is not.
        let http = MINIMAL.replace("https://api.mca.sh", "http://10.1.2.3");
        let c = load(&http).unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].line, Some(8));
        let local = MINIMAL.replace("https://api.mca.sh", "http://[::1]:8700");
        assert!(load(&local).unwrap().warnings.is_empty());
    }

    #[test]
    fn secret_files_resolve_against_credentials_directory_then_config_dir() {
        let conf_dir = temp_dir("conf");
        let cred_dir = temp_dir("cred");
        std::fs::write(conf_dir.join("mcash-secret"), "from-config-dir\n").unwrap();
        std::fs::write(cred_dir.join("mcash-secret"), "from-credentials\r\n").unwrap();
        let text = MINIMAL.replace(
            "secret = \"s3cr3t-value\"",
            "secret_file = \"mcash-secret\"",
        );

        let mut cx = LoadContext {
            config_dir: conf_dir.clone(),
            credentials_directory: None,
            state_directory: None,
        };
        let c =
            Config::from_toml_str_in(&text, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.providers.mcash.unwrap().secret.expose_secret(),
            "from-config-dir"
        );

        cx.credentials_directory = Some(cred_dir.clone());
        let c = Config::from_toml_str_in(&text, "kassa.toml", &cx).unwrap();
        assert_eq!(
            c.providers.mcash.unwrap().secret.expose_secret(),
            "from-credentials"
        );

        // An absolute name is used as it is.
        let abs = conf_dir.join("mcash-secret");
        let text_abs = MINIMAL.replace(
            "secret = \"s3cr3t-value\"",
            &format!("secret_file = {:?}", abs.display().to_string()),
        );
        let c = Config::from_toml_str_in(&text_abs, "kassa.toml", &cx).unwrap();
        assert_eq!(
            c.providers.mcash.unwrap().secret.expose_secret(),
            "from-config-dir"
        );

        // Missing and empty files name key, line and path.
        let missing = text.replace("mcash-secret", "no-such-file");
        let ps = match Config::from_toml_str_in(&missing, "kassa.toml", &cx) {
            Err(e) => e.problems,
            Ok(_) => panic!("a missing secret file must fail"),
        };
        let p = at(&ps, "providers.mcash.secret_file", 11);
        assert!(
            p.message
                .contains(&cred_dir.join("no-such-file").display().to_string()),
            "{p}"
        );
        std::fs::write(cred_dir.join("empty"), "\n").unwrap();
        let empty = text.replace("mcash-secret", "empty");
        let ps = Config::from_toml_str_in(&empty, "kassa.toml", &cx)
            .unwrap_err()
            .problems;
        assert!(
            at(&ps, "providers.mcash.secret_file", 11)
                .message
                .contains("empty")
        );

        // Both forms at once is an error.
        let both = format!("{MINIMAL}secret_file = \"mcash-secret\"\n");
        let ps = Config::from_toml_str_in(&both, "kassa.toml", &cx)
            .unwrap_err()
            .problems;
        assert!(
            at(&ps, "providers.mcash.secret_file", 12)
                .message
                .contains("not both")
        );

        // load() resolves next to the file itself.
        let file = conf_dir.join("kassa.toml");
        std::fs::write(&file, &text).unwrap();
        cx.credentials_directory = None;
        let c = Config::load_in(
            &file,
            &LoadContext {
                config_dir: config_dir_of(&file),
                ..cx.clone()
            },
        )
        .unwrap();
        assert_eq!(c.origin, file.display().to_string());
        assert_eq!(
            c.providers.mcash.unwrap().secret.expose_secret(),
            "from-config-dir"
        );
        let ps = Config::load_in(&conf_dir.join("absent.toml"), &cx)
            .unwrap_err()
            .problems;
        assert_eq!(ps.len(), 1);
        assert!(ps[0].message.contains("cannot read the config file"));

        let _ = std::fs::remove_dir_all(conf_dir);
        let _ = std::fs::remove_dir_all(cred_dir);
    }

    #[test]
    fn private_keys_are_checked_at_load() {
        let dir = temp_dir("pem");
        std::fs::write(dir.join("key.pem"), SAMPLE_PEM).unwrap();
        std::fs::write(
            dir.join("bad.pem"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
        )
        .unwrap();
        let cx = LoadContext {
            config_dir: dir.clone(),
            credentials_directory: None,
            state_directory: None,
        };
        let good = format!("{MINIMAL}private_key_file = \"key.pem\"\n");
        let c =
            Config::from_toml_str_in(&good, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
        let pem = c.providers.mcash.unwrap().private_key_pem.unwrap();
        assert!(
            pem.expose_secret()
                .starts_with("-----BEGIN RSA PRIVATE KEY-----")
        );
        let bad = good.replace("key.pem", "bad.pem");
        let ps = Config::from_toml_str_in(&bad, "kassa.toml", &cx)
            .unwrap_err()
            .problems;
        assert!(
            at(&ps, "providers.mcash.private_key_file", 12)
                .message
                .contains("not a PEM RSA private key")
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn pin_hashes_and_cashiers_are_validated() {
        let bad_pin = MINIMAL.replace("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ", "1234");
        let ps = problems(&bad_pin);
        assert!(
            at(&ps, "terminal.supervisor_pin_hash", 5)
                .message
                .contains("argon2")
        );

        let anna = PinHash::hash("2468", [3; 16], true).unwrap();
        let text = format!(
            "{MINIMAL}\n[[terminal.cashier]]\nid = \"anna\"\npin_hash = \"{}\"\n\n[[terminal.cashier]]\nid = \"anna\"\npin = \"2468\"\n",
            anna.expose_phc()
        );
        let ps = problems(&text);
        assert!(
            at(&ps, "terminal.cashier[2].id", 18)
                .message
                .contains("used twice")
        );
        assert!(
            at(&ps, "terminal.cashier[2].pin", 19)
                .message
                .contains("unknown key; did you mean `pin_hash`")
        );
        assert_eq!(ps.len(), 3, "{ps:#?}");
        assert!(ps.iter().any(|p| p.key == "terminal.cashier[2].pin_hash"));

        let ok = format!(
            "{MINIMAL}\n[[terminal.cashier]]\nid = \"anna\"\npin_hash = \"{}\"\n",
            anna.expose_phc()
        );
        let s = load(&ok).unwrap().settings();
        assert_eq!(s.cashiers.len(), 1);
        assert_eq!(s.cashiers[0].id, "anna");
        assert!(s.cashiers[0].pin.verify("2468"));

        // Cashier mode without a supervisor PIN loads with a warning.
        let open = MINIMAL
            .lines()
            .filter(|l| !l.starts_with("supervisor_pin_hash"))
            .collect::<Vec<_>>()
            .join("\n");
        let c = load(&open).unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].key, "terminal.supervisor_pin_hash");
    }

    #[test]
    fn hardware_pins_are_in_range_and_used_once() {
        let text = format!(
            "{MINIMAL}\n[hardware]\nenabled = true\nkeypad_row_pins = [5, 6, 13, 19]\nkeypad_column_pins = [12, 16, 20]\ngreen_light_pin = 5\nbuzzer_pin = 30\ncustomer_display = \"oled\"\n"
        );
        let ps = problems(&text);
        assert!(
            at(&ps, "hardware.keypad_column_pins", 16)
                .message
                .contains("exactly 4")
        );
        assert!(
            at(&ps, "hardware.green_light_pin", 17)
                .message
                .contains("already used by hardware.keypad_row_pins")
        );
        assert!(
            at(&ps, "hardware.buzzer_pin", 18)
                .message
                .contains("between 0 and 27")
        );
        assert!(
            at(&ps, "hardware.customer_display", 19)
                .message
                .contains("ssd1306-128x64")
        );
        assert_eq!(ps.len(), 4, "{ps:#?}");

        let vending = MINIMAL.replace("currency = ", "mode = \"vending\"\ncurrency = ")
            + "\n[hardware]\nenabled = true\ncustomer_display = \"st7789-240x240\"\n";
        let c = load(&vending).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.hardware.customer_display, CustomerDisplay::St7789_240x240);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.key == "hardware.vend_relay_pin")
        );
    }

    #[test]
    fn keypad_layout_and_key_beep_are_read_and_checked() {
        use crate::core::Key;
        let text = format!(
            "{MINIMAL}\n[hardware]\nkey_beep_ms = 0\nkeypad_layout = [\"1 2 3 enter\", \"4 5 6 clear\", \"7 8 9 cancel\", \"menu 0 backspace none\"]\n"
        );
        let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.hardware.key_beep_ms, 0);
        assert_eq!(c.hardware.keypad_layout.key_at(0, 3), Some(Key::Enter));
        assert_eq!(c.hardware.keypad_layout.key_at(3, 0), Some(Key::Menu));
        assert_eq!(c.hardware.keypad_layout.key_at(3, 3), None);
        assert_eq!(load(MINIMAL).unwrap().hardware.key_beep_ms, 30);

        let bad = format!(
            "{MINIMAL}\n[hardware]\nkey_beep_ms = 5000\nkeypad_layout = [\"1 2 3 A\", \"4 5 6\", \"7 8 9 cancel\", \"menu 0 enter none\"]\n"
        );
        let ps = problems(&bad);
        let line = MINIMAL.lines().count() + 4;
        assert!(
            at(&ps, "hardware.key_beep_ms", line - 1)
                .message
                .contains("between 0 and 1000")
        );
        let layout: Vec<_> = ps
            .iter()
            .filter(|p| p.key == "hardware.keypad_layout")
            .collect();
        assert_eq!(layout.len(), 2, "{ps:#?}");
        assert!(layout[0].message.contains("\"A\" is not a key"), "{ps:#?}");
        assert!(layout[1].message.contains("found 3"), "{ps:#?}");
        let rows3 = format!("{MINIMAL}\n[hardware]\nkeypad_layout = [\"1 2 3 A\"]\n");
        assert!(problems(&rows3)[0].message.contains("an array of 4 rows"));
    }

    #[test]
    fn only_a_missing_file_falls_back_to_the_demo() {
        let dir = temp_dir("demo-fallback");
        let c = Config::load_or_demo(&dir.join("kassa.toml"), "http://127.0.0.1:9").unwrap();
        assert_eq!(c.origin, "demo");
        assert_eq!(
            c.providers.mcash.unwrap().base_url.as_str(),
            "http://127.0.0.1:9/mcash/merchant/v1/"
        );
        std::fs::write(dir.join("kassa.toml"), "[terminal]\n").unwrap();
        let e = Config::load_or_demo(&dir.join("kassa.toml"), "http://127.0.0.1:9").unwrap_err();
        assert!(e.problems.iter().any(|p| p.key == "terminal.id"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_demo_config_points_at_the_simulator_and_is_valid() {
        let c = Config::demo("http://127.0.0.1:8700/");
        let m = c.providers.mcash.as_ref().unwrap();
        assert_eq!(
            m.base_url.as_str(),
            "http://127.0.0.1:8700/mcash/merchant/v1/"
        );
        assert_eq!(m.merchant_id, demo::MCASH_MERCHANT_ID);
        assert_eq!(m.user_id, demo::MCASH_USER_ID);
        assert_eq!(m.secret.expose_secret(), demo::MCASH_SECRET);
        assert_eq!(c.providers.enabled(), vec![ProviderId::new("mcash")]);
        let s = c.settings();
        assert!(SaleKey::new(&s.terminal_id, 1).is_ok());
        assert!(s.max_amount.is_positive());
        assert!(s.supervisor_pin.is_some());
        // The demo, written out as TOML, passes the same checks as a file.
        let text = format!(
            "[terminal]\nid = \"{}\"\ncurrency = \"{}\"\nmax_amount = \"{}\"\nsupervisor_pin_hash = \"{}\"\n\n[providers.mcash]\nbase_url = \"{}\"\nmerchant_id = \"{}\"\nuser_id = \"{}\"\nsecret = \"{}\"\npos_id = \"{}\"\n",
            s.terminal_id,
            s.currency,
            s.max_amount.to_decimal_string(),
            demo::SUPERVISOR_PIN_HASH,
            m.base_url,
            m.merchant_id,
            m.user_id,
            m.secret.expose_secret(),
            m.pos_id,
        );
        let again = load(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!(again.warnings.is_empty(), "{:#?}", again.warnings);
        assert_eq!(again.terminal.max_amount, c.terminal.max_amount);
    }

    #[test]
    fn no_secret_reaches_debug_output_problems_or_the_check_report() {
        let dir = temp_dir("leak");
        std::fs::write(dir.join("pin-hash"), "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ\n").unwrap();
        std::fs::write(dir.join("key.pem"), SAMPLE_PEM).unwrap();
        std::fs::write(dir.join("pw"), "Pw-From-File-7731\n").unwrap();
        let cx = LoadContext {
            config_dir: dir.clone(),
            credentials_directory: None,
            state_directory: None,
        };
        let secrets = [
            "s3cr3t-value",
            "J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ",
            "tbtoken-9921",
            "Moncash-Client-Secret-55",
            "Pw-From-File-7731",
            "Ezcash-Consumer-88",
            "AgentPin-4242",
            "bHMXDYrlKioHTtJGeYQTMZsPu",
            "hunter2pass",
            "unterminated-secret-31",
        ];
        let good = format!(
            r#"{}
private_key_file = "key.pem"
testbed_token = "tbtoken-9921"

[providers.moncash]
base_url = "https://sandbox.moncashbutton.digicelgroup.com/Api/"
gateway_base_url = "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/"
client_id = "cid"
client_secret = "Moncash-Client-Secret-55"

[providers.ezcash]
base_url = "https://ideabiz.lk/apicall/"
consumer_key = "ck"
consumer_secret = "Ezcash-Consumer-88"
username = "u"
password_file = "pw"
agent_alias = "IDEA_HUB"
agent_pin = "AgentPin-4242"
"#,
            MINIMAL.replace(
                "supervisor_pin_hash = \"$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$J4yxPH6F6p3E4WFddSmKYDbJ4ZrkbPwjxCvq5Hz7uFQ\"",
                "supervisor_pin_hash_file = \"pin-hash\""
            )
        );
        let c =
            Config::from_toml_str_in(&good, "kassa.toml", &cx).unwrap_or_else(|e| panic!("{e}"));
        // The secrets were loaded...
        assert_eq!(
            c.providers
                .ezcash
                .as_ref()
                .unwrap()
                .password
                .expose_secret(),
            "Pw-From-File-7731"
        );
        assert!(
            c.providers
                .mcash
                .as_ref()
                .unwrap()
                .private_key_pem
                .is_some()
        );
        // ...and do not show.
        let mut shown = vec![
            format!("{c:?}"),
            format!("{:#?}", c),
            format!("{:?}", c.settings()),
        ];
        shown.push(check_report(&Ok(c.warnings.clone())).0);

        // Broken configs that put secrets right next to the problems.
        let broken = [
            // secret of the wrong kind next to a bad currency
            good.replace("\"NOK\"", "\"XXX\"").replace(
                "agent_pin = \"AgentPin-4242\"",
                "agent_pin = \"AgentPin-4242\"\nagent_pin_file = \"pw\"",
            ),
            // a secret inside a URL
            good.replace(
                "https://ideabiz.lk/apicall/",
                "https://u:hunter2pass@ideabiz.lk/apicall/",
            ),
            // a syntax error on a line holding a secret
            good.replace(
                "client_secret = \"Moncash-Client-Secret-55\"",
                "client_secret = \"unterminated-secret-31\nx",
            ),
            // a secret key with a typo: its name is reported, not its value
            good.replace("testbed_token =", "testbed_tokn ="),
            // a secret where a table is expected
            good.replace(
                "[providers.ezcash]",
                "[providers.ezcash]\nconsumer_secret_file = 5",
            ),
            // a hash that is not a hash
            good.replace(
                "supervisor_pin_hash_file = \"pin-hash\"",
                "supervisor_pin_hash = \"s3cr3t-value\"",
            ),
        ];
        for text in &broken {
            let err = Config::from_toml_str_in(text, "kassa.toml", &cx).unwrap_err();
            assert!(!err.problems.is_empty());
            shown.push(format!("{err}"));
            shown.push(format!("{err:?}"));
            shown.push(check_report(&Err(err)).0);
        }
        for out in &shown {
            for s in secrets {
                assert!(!out.contains(s), "secret {s:?} shown in:\n{out}");
            }
        }
        // The typo'd secret key is named, so the person can fix it.
        assert!(shown.iter().any(|o| o.contains("testbed_tokn")));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn closest_known_key_is_a_likely_typo_only() {
        let known = ["currency", "max_amount", "secret", "secret_file"];
        assert_eq!(closest("curency", &known), Some("currency"));
        assert_eq!(closest("max_ammount", &known), Some("max_amount"));
        assert_eq!(closest("secret_fil", &known), Some("secret_file"));
        assert_eq!(closest("colour", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let lines = LineIndex::new("a\nbb\n\nc");
        assert_eq!(
            [0, 1, 2, 4, 5, 6].map(|o| lines.line(o)),
            [1, 1, 2, 2, 3, 4]
        );
    }
}
