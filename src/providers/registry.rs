//! The one list of providers. Each line is a provider folder's [`ProviderEntry`]: its id (the
//! config table `[providers.<id>]`), display name, market currencies, config reader, how to
//! build its client, and its demo (the settings that point at its simulator, the credentials
//! `kassa sim` prints, and how to start the simulator). Config, set-up, the simulator server and
//! `kassa sim` walk this list; none of them names a provider.
//!
//! Adding a provider: a folder here, a folder under `src/sim/`, one line in [`PROVIDERS`], its
//! table in `kassa.example.toml`, and its conformance suite (docs/adding-a-provider.md).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::PaymentProvider;
use super::{ezcash, icash, icg, mcash, moncash};
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::money::Currency;

/// Every provider this build knows, in the order the method screen shows them.
pub static PROVIDERS: &[ProviderEntry] = &[
    mcash::ENTRY,
    moncash::ENTRY,
    icash::ENTRY,
    ezcash::ENTRY,
    icg::ENTRY,
];

/// A provider's validated `[providers.<id>]` table, as its own type behind this trait; a
/// provider marks its settings type with [`Settings`] and gets this for free. Its `Debug` must
/// not print secrets (`SecretString` fields take care of that).
pub trait ProviderSettings: fmt::Debug + Send + Sync + 'static {
    fn as_any(&self) -> &dyn Any;
    /// See [`Settings::longest_qr_payload`].
    fn longest_qr_payload(&self) -> Option<String>;
    /// See [`Settings::typed_agent_pin`].
    fn typed_agent_pin(&self) -> Option<&'static str>;
}

/// The mark of a provider's settings type (`impl Settings for McashSettings {}`). A marker
/// rather than a blanket impl over every type, so that `Arc<dyn ProviderSettings>` is not
/// itself taken for settings.
pub trait Settings: fmt::Debug + Send + Sync + 'static {
    /// The longest QR payload these settings will show, so the config check can refuse a
    /// customer display too small to show it readably; `None`: the provider shows no QR code.
    fn longest_qr_payload(&self) -> Option<String> {
        None
    }
    /// Where the agent PIN would be typed on the terminal at the start of a shift
    /// (`Capabilities::agent_pin`) because these settings do not carry it: the config keys
    /// that would, so the config check can name them where nobody but a customer is in front
    /// of the screen (kiosk, vending). `None`: nothing is typed.
    fn typed_agent_pin(&self) -> Option<&'static str> {
        None
    }
}

impl<T: Settings> ProviderSettings for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn longest_qr_payload(&self) -> Option<String> {
        Settings::longest_qr_payload(self)
    }
    fn typed_agent_pin(&self) -> Option<&'static str> {
        Settings::typed_agent_pin(self)
    }
}

/// Reads `[providers.<id>]` with the common reader: every problem is recorded in the reader;
/// `None` when the table is disabled or incomplete.
pub(crate) type ReadConfig = fn(
    &mut Reader<'_>,
    &mut Table<'_, '_>,
    Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>>;

/// Builds the running client from the provider's settings and the whole config (the terminal's
/// mode, for example). The error is for a person and names no secret.
pub type Build = fn(&dyn ProviderSettings, &Config) -> Result<Arc<dyn PaymentProvider>, String>;

/// One line of the registry.
pub struct ProviderEntry {
    /// Short, stable id: the config table, the simulator's path prefix, the journal's name.
    pub id: &'static str,
    /// For people: "mCASH", "MonCash".
    pub name: &'static str,
    /// The currencies its document lets it pay in; empty: any.
    pub currencies: &'static [Currency],
    pub(crate) read_config: ReadConfig,
    /// `None`: this build has no client for it yet (enabled, it is left out at set-up).
    pub build: Option<Build>,
    /// `None`: no simulator yet, so it is not in the demo.
    pub demo: Option<Demo>,
}

/// What the built-in demo needs of a provider.
pub struct Demo {
    /// The market `--demo <market>` picks it by: `no` (Norway), `ht`, `ly`, `lk`, `us`. The
    /// demo terminal pays in the entry's first currency.
    pub market: &'static str,
    /// Settings pointing at its simulator served under `sim_base_url` (`http://127.0.0.1:8700`),
    /// with `terminal_id` where the provider needs one. `None` when the URL does not parse.
    pub settings: fn(sim_base_url: &str, terminal_id: &str) -> Option<Arc<dyn ProviderSettings>>,
    /// What `kassa sim` prints so that a client can be pointed at the simulator (demo
    /// credentials only, never real ones).
    pub credentials: &'static [(&'static str, &'static str)],
    /// The simulator's test agent PIN, for a provider that asks one at shift start. The demo
    /// config leaves it out, so the demo terminal shows the agent PIN page as a real one does;
    /// `kassa pay` against the built-in demo types it there itself (it is a public test PIN).
    pub agent_pin: Option<&'static str>,
    /// Starts its simulator on the shared server.
    #[cfg(feature = "sim")]
    pub simulator: fn(
        &crate::sim::SimClock,
        &str,
        &crate::sim::SimOptions,
    ) -> Arc<dyn crate::sim::ProviderSim>,
}

/// The registry's line for `id`.
pub fn entry(id: &str) -> Option<&'static ProviderEntry> {
    PROVIDERS.iter().find(|e| e.id == id)
}
