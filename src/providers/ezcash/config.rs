//! `[providers.ezcash]`: the keys the client needs, checked at load.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use crate::config::TerminalConfig;
use crate::config::reader::{Reader, Table};
use crate::providers::registry::{ProviderSettings, Settings};

/// `[providers.ezcash]`: eZ Cash agent API via ideabiz, Sri Lanka.
#[derive(Clone, Debug)]
pub struct EzcashSettings {
    /// ideabiz API root, e.g. `https://ideabiz.lk/apicall/`.
    pub base_url: Url,
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub username: String,
    pub password: SecretString,
    pub agent_alias: String,
    pub agent_pin: SecretString,
}

impl Settings for EzcashSettings {}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    _terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(t, "base_url", "https://ideabiz.lk/apicall/");
    let consumer_key = r.required_text(t, "consumer_key", 200, "the ideabiz consumer key");
    let consumer_secret = r.required_secret(t, "consumer_secret", "consumer_secret_file");
    let username = r.required_text(t, "username", 200, "the ideabiz user name");
    let password = r.required_secret(t, "password", "password_file");
    let agent_alias = r.required_text(t, "agent_alias", 100, "the eZ Cash agent alias");
    let agent_pin = r.required_secret(t, "agent_pin", "agent_pin_file");
    if !t.active {
        return None;
    }
    Some(Arc::new(EzcashSettings {
        base_url: base_url?,
        consumer_key: consumer_key?,
        consumer_secret: consumer_secret?,
        username: username?,
        password: password?,
        agent_alias: agent_alias?,
        agent_pin: agent_pin?,
    }))
}
