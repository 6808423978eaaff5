//! `[providers.moncash]`: the keys the client needs, checked at load; the demo settings that
//! point at the built-in simulator; and the client built from them.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use super::MoncashProvider;
use super::client::{MoncashClient, MoncashConfig};
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::mcash::client::system_clock;
use crate::providers::registry::{ProviderSettings, Settings};

/// Values the demo config and the built-in simulator share.
pub mod demo {
    /// The REST root under the simulator's base URL.
    pub const API_PATH: &str = "moncash/Api/";
    /// The payment page root under the simulator's base URL.
    pub const GATEWAY_PATH: &str = "moncash/Moncash-middleware/";
    pub const CLIENT_ID: &str = "demo-moncash-client";
    pub const CLIENT_SECRET: &str = "demo-moncash-secret-0123456789";
    /// The simulator's demo customer (the autopilot pays as this account).
    pub const PAYER: &str = "50937007294";
    pub const PAYER_PIN: &str = "1234";
}

/// `[providers.moncash]`: MonCash (Digicel), Haiti.
#[derive(Clone, Debug)]
pub struct MoncashSettings {
    /// REST host, e.g. `https://sandbox.moncashbutton.digicelgroup.com/Api/`.
    pub base_url: Url,
    /// Payment page host, e.g. `https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/`.
    pub gateway_base_url: Url,
    pub client_id: String,
    pub client_secret: SecretString,
}

impl MoncashSettings {
    /// MonCash's settings in `config`, if it is enabled.
    pub fn of(config: &Config) -> Option<&MoncashSettings> {
        config.providers.get::<MoncashSettings>("moncash")
    }
}

/// Length budgeted for a payment token when the configured QR payload is checked (the
/// document's tokens are JWT-like; the simulator's are 43 characters).
pub const PAYMENT_TOKEN_BUDGET: usize = 64;

impl Settings for MoncashSettings {
    /// `{gateway}Payment/Redirect?token=<payment token>`.
    fn longest_qr_payload(&self) -> Option<String> {
        Some(format!(
            "{}Payment/Redirect?token={}",
            with_slash(self.gateway_base_url.as_str()),
            "x".repeat(PAYMENT_TOKEN_BUDGET)
        ))
    }
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    _terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(
        t,
        "base_url",
        "https://sandbox.moncashbutton.digicelgroup.com/Api/",
    );
    let gateway_base_url = r.required_url(
        t,
        "gateway_base_url",
        "https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/",
    );
    let client_id = r.required_text(t, "client_id", 200, "the OAuth client id");
    let client_secret = r.required_secret(t, "client_secret", "client_secret_file");
    if !t.active {
        return None;
    }
    Some(Arc::new(MoncashSettings {
        base_url: base_url?,
        gateway_base_url: gateway_base_url?,
        client_id: client_id?,
        client_secret: client_secret?,
    }))
}

/// The demo: the built-in simulator's two roots under `sim_base_url`.
pub(crate) fn demo_settings(
    sim_base_url: &str,
    _terminal_id: &str,
) -> Option<Arc<dyn ProviderSettings>> {
    let base = sim_base_url.trim_end_matches('/');
    Some(Arc::new(MoncashSettings {
        base_url: Url::parse(&format!("{base}/{}", demo::API_PATH)).ok()?,
        gateway_base_url: Url::parse(&format!("{base}/{}", demo::GATEWAY_PATH)).ok()?,
        client_id: demo::CLIENT_ID.to_string(),
        client_secret: SecretString::from(demo::CLIENT_SECRET),
    }))
}

pub(crate) fn build(
    settings: &dyn ProviderSettings,
    _config: &Config,
) -> Result<Arc<dyn PaymentProvider>, String> {
    let m = settings
        .as_any()
        .downcast_ref::<MoncashSettings>()
        .ok_or("the settings are not MonCash's")?;
    Ok(Arc::new(provider(m, HttpConfig::default())?))
}

/// The provider itself, with the HTTP settings given (the conformance kit shortens timeouts).
pub(crate) fn provider(m: &MoncashSettings, http: HttpConfig) -> Result<MoncashProvider, String> {
    let client = MoncashClient::new(
        MoncashConfig {
            base_url: m.base_url.to_string(),
            gateway_base_url: m.gateway_base_url.to_string(),
            client_id: m.client_id.clone(),
            client_secret: m.client_secret.clone(),
            http,
        },
        system_clock(),
    )
    .map_err(|e| e.to_string())?;
    Ok(MoncashProvider::new(client, system_clock()))
}
