//! `[providers.icg]`: the keys the client needs, checked at load; the demo settings that point
//! at the built-in simulator; and the client built from them.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use super::IcgProvider;
use super::client::{IcgClient, IcgConfig, system_clock};
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::registry::{ProviderSettings, Settings};

/// Values the demo config and the built-in simulator share.
pub mod demo {
    /// The simulator's OAuth server under the simulator's base URL.
    pub const AUTH_PATH: &str = "icg/auth/";
    /// The simulator's Process API under the simulator's base URL.
    pub const PROCESS_PATH: &str = "icg/process/";
    pub const CLIENT_ID: &str = "demo-audience-0001";
    pub const USERNAME: &str = "demo@merchant.example";
    pub const PASSWORD: &str = "demo-password-0123";
}

/// `[providers.icg]`: iCheckGateway, United States.
#[derive(Clone, Debug)]
pub struct IcgSettings {
    /// OAuth server, e.g. `https://auth.icheckdev.com/` (the grant goes to `Login` under it).
    pub auth_url: Url,
    /// The Process API's base URL is not public: it is configuration, never a constant.
    pub process_base_url: Url,
    pub client_id: String,
    pub username: String,
    pub password: SecretString,
    /// `Laneid` of the process request; the terminal id unless set.
    pub lane_id: String,
}

impl IcgSettings {
    /// iCG's settings in `config`, if it is enabled.
    pub fn of(config: &Config) -> Option<&IcgSettings> {
        config.providers.get::<IcgSettings>("icg")
    }
}

impl Settings for IcgSettings {}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let auth_url = r.required_url(t, "auth_url", "https://auth.icheckdev.com/");
    let process_base_url = r.required_url(t, "process_base_url", "https://process.example.com/");
    let client_id = r.required_text(t, "client_id", 200, "the iCG application audience id");
    let username = r.required_text(t, "username", 200, "the iCG user name");
    let password = r.required_secret(t, "password", "password_file");
    let lane_id = r.text(t, "lane_id", 64);
    if !t.active {
        return None;
    }
    let lane_id = lane_id.or_else(|| terminal.map(|t| t.id.clone()))?;
    Some(Arc::new(IcgSettings {
        auth_url: auth_url?,
        process_base_url: process_base_url?,
        client_id: client_id?,
        username: username?,
        password: password?,
        lane_id,
    }))
}

/// The demo: the built-in simulator's OAuth server and Process API under `sim_base_url`.
pub(crate) fn demo_settings(
    sim_base_url: &str,
    terminal_id: &str,
) -> Option<Arc<dyn ProviderSettings>> {
    let base = sim_base_url.trim_end_matches('/');
    Some(Arc::new(IcgSettings {
        auth_url: Url::parse(&format!("{base}/{}", demo::AUTH_PATH)).ok()?,
        process_base_url: Url::parse(&format!("{base}/{}", demo::PROCESS_PATH)).ok()?,
        client_id: demo::CLIENT_ID.to_string(),
        username: demo::USERNAME.to_string(),
        password: SecretString::from(demo::PASSWORD),
        lane_id: terminal_id.to_string(),
    }))
}

/// The running client for these settings.
pub(crate) fn build(
    settings: &dyn ProviderSettings,
    config: &Config,
) -> Result<Arc<dyn PaymentProvider>, String> {
    let s = settings
        .as_any()
        .downcast_ref::<IcgSettings>()
        .ok_or("the settings are not iCG's")?;
    Ok(Arc::new(provider(s, config, HttpConfig::default())?))
}

/// The provider itself, with the HTTP settings given (the conformance kit shortens timeouts).
pub(crate) fn provider(
    s: &IcgSettings,
    config: &Config,
    http: HttpConfig,
) -> Result<IcgProvider, String> {
    let client = IcgClient::new(
        IcgConfig {
            auth_url: s.auth_url.clone(),
            process_base_url: s.process_base_url.clone(),
            client_id: s.client_id.clone(),
            username: s.username.clone(),
            password: s.password.clone(),
            http,
        },
        system_clock(),
    )
    .map_err(|e| e.to_string())?;
    Ok(IcgProvider::new(
        client,
        config.terminal.currency,
        Some(s.lane_id.clone()),
    ))
}
