//! `[providers.ezcash]`: the keys the client needs, checked at load; the demo settings that
//! point at the built-in simulator; and the provider built from them.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use super::EzcashProvider;
use super::client::{ApiPath, EzcashClient, EzcashConfig};
use super::token::system_clock;
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::registry::{ProviderSettings, Settings};

/// Values the demo config and the built-in simulator share.
pub mod demo {
    /// Path of the simulated ideabiz root under the simulator's base URL.
    pub const PATH: &str = "ezcash/apicall/";
    pub const CONSUMER_KEY: &str = "demo-consumer-key";
    pub const CONSUMER_SECRET: &str = "demo-consumer-secret";
    pub const USERNAME: &str = "demo-ideabiz-user";
    pub const PASSWORD: &str = "demo-ideabiz-password";
    /// NOTES: the test agent.
    pub const AGENT_ALIAS: &str = "IDEA_HUB";
    pub const AGENT_PIN: &str = "1234";
    /// NOTES: the test subscribers.
    pub const SUBSCRIBERS: &[&str] = &["769983684", "769967784"];
}

/// `[providers.ezcash]`: eZ Cash agent API via ideabiz, Sri Lanka.
#[derive(Clone, Debug)]
pub struct EzcashSettings {
    /// ideabiz API root, e.g. `https://ideabiz.lk/apicall/`.
    pub base_url: Url,
    /// `v1` (the document) or `v1-test` (NOTES).
    pub api: ApiPath,
    /// `PRODUCTION` or `SANDBOX`.
    pub scope: String,
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub username: String,
    pub password: SecretString,
    pub agent_alias: String,
    /// `None`: typed on the keypad at the start of each shift.
    pub agent_pin: Option<SecretString>,
    /// `refernceMobileNumber` of bill payments (where eZ Cash sends the agent's SMS).
    pub agent_mobile: Option<String>,
    /// How long the customer has to approve on the handset, for the screen's countdown.
    pub approval_seconds: u32,
}

impl Settings for EzcashSettings {
    fn typed_agent_pin(&self) -> Option<&'static str> {
        self.agent_pin
            .is_none()
            .then_some("agent_pin_file (or agent_pin)")
    }
}

impl EzcashSettings {
    pub fn of(config: &Config) -> Option<&EzcashSettings> {
        config.providers.get::<EzcashSettings>("ezcash")
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    _terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(t, "base_url", "https://ideabiz.lk/apicall/");
    let api = r
        .choice(
            t,
            "api",
            &[("v1", ApiPath::V1), ("v1-test", ApiPath::V1Test)],
        )
        .unwrap_or(ApiPath::V1);
    let scope = r
        .choice(
            t,
            "scope",
            &[("PRODUCTION", "PRODUCTION"), ("SANDBOX", "SANDBOX")],
        )
        .unwrap_or("PRODUCTION");
    let consumer_key = r.required_text(t, "consumer_key", 200, "the ideabiz consumer key");
    let consumer_secret = r.required_secret(t, "consumer_secret", "consumer_secret_file");
    let username = r.required_text(t, "username", 200, "the ideabiz user name");
    let password = r.required_secret(t, "password", "password_file");
    let agent_alias = r.required_text(t, "agent_alias", 100, "the eZ Cash agent alias");
    let agent_pin = r.secret(t, "agent_pin", "agent_pin_file");
    let agent_mobile = r.string(t, "agent_mobile").and_then(|s| {
        let digits = s.get_ref().trim();
        if (9..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Some(digits.to_string())
        } else {
            r.problem(
                Some(&s.span()),
                t.key("agent_mobile"),
                "expected the agent's mobile number, 9 to 12 digits",
            );
            None
        }
    });
    let approval_seconds = r.unsigned(t, "approval_seconds", 30..=3600, 180);
    if !t.active {
        return None;
    }
    Some(Arc::new(EzcashSettings {
        base_url: base_url?,
        api,
        scope: scope.to_string(),
        consumer_key: consumer_key?,
        consumer_secret: consumer_secret?,
        username: username?,
        password: password?,
        agent_alias: agent_alias?,
        agent_pin,
        agent_mobile,
        approval_seconds: approval_seconds as u32,
    }))
}

/// The demo: the simulator's ideabiz under `sim_base_url`, the test agent without its PIN, so the
/// demo terminal asks it on the agent PIN page at shift start as a real one does (`1234`, in the
/// registry's demo entry; `kassa pay` types it there by itself).
pub(crate) fn demo_settings(
    sim_base_url: &str,
    _terminal_id: &str,
) -> Option<Arc<dyn ProviderSettings>> {
    let base = sim_base_url.trim_end_matches('/');
    let base_url = Url::parse(&format!("{base}/{}", demo::PATH)).ok()?;
    Some(Arc::new(EzcashSettings {
        base_url,
        api: ApiPath::V1,
        scope: "PRODUCTION".to_string(),
        consumer_key: demo::CONSUMER_KEY.to_string(),
        consumer_secret: SecretString::from(demo::CONSUMER_SECRET),
        username: demo::USERNAME.to_string(),
        password: SecretString::from(demo::PASSWORD),
        agent_alias: demo::AGENT_ALIAS.to_string(),
        agent_pin: None,
        agent_mobile: None,
        approval_seconds: 180,
    }))
}

/// The running client for these settings.
pub(crate) fn build(
    settings: &dyn ProviderSettings,
    config: &Config,
) -> Result<Arc<dyn PaymentProvider>, String> {
    let s = settings
        .as_any()
        .downcast_ref::<EzcashSettings>()
        .ok_or("the settings are not eZ Cash's")?;
    Ok(Arc::new(provider(s, config, HttpConfig::default())?))
}

/// Where the newest refresh token is kept: under the storage path, beside the journal.
pub fn token_file(config: &Config) -> std::path::PathBuf {
    config.storage.path.join("ezcash").join("token.json")
}

/// The provider itself, with the HTTP settings given (the conformance kit shortens timeouts).
pub(crate) fn provider(
    s: &EzcashSettings,
    config: &Config,
    http: HttpConfig,
) -> Result<EzcashProvider, String> {
    let client = EzcashClient::new(
        EzcashConfig {
            base_url: s.base_url.to_string(),
            api: s.api,
            consumer_key: s.consumer_key.clone(),
            consumer_secret: s.consumer_secret.clone(),
            username: s.username.clone(),
            password: s.password.clone(),
            scope: s.scope.clone(),
            token_file: Some(token_file(config)),
            throttle_backoff: vec![
                Duration::from_millis(500),
                Duration::from_secs(1),
                Duration::from_secs(2),
            ],
            http,
        },
        system_clock(),
    )
    .map_err(|e| e.to_string())?;
    Ok(EzcashProvider::new(
        client,
        super::AgentConfig {
            alias: s.agent_alias.clone(),
            pin: s.agent_pin.clone(),
            mobile: s.agent_mobile.clone(),
            approval_seconds: s.approval_seconds,
        },
        system_clock(),
    ))
}
