//! `[providers.icg]`: the keys the client needs, checked at load.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use crate::config::TerminalConfig;
use crate::config::reader::{Reader, Table};
use crate::providers::registry::{ProviderSettings, Settings};

/// `[providers.icg]`: iCheckGateway, United States.
#[derive(Clone, Debug)]
pub struct IcgSettings {
    pub base_url: Url,
    /// OAuth server, e.g. `https://auth.icheckdev.com/`.
    pub auth_url: Url,
    /// The Process API's base URL is not public: it is configuration, never a constant.
    pub process_base_url: Url,
    pub client_id: String,
    pub username: String,
    pub password: SecretString,
}

impl Settings for IcgSettings {}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    _terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(t, "base_url", "https://api.icheckgateway.com/");
    let auth_url = r.required_url(t, "auth_url", "https://auth.icheckdev.com/");
    let process_base_url = r.required_url(t, "process_base_url", "https://process.example.com/");
    let client_id = r.required_text(t, "client_id", 200, "the iCG application audience id");
    let username = r.required_text(t, "username", 200, "the iCG user name");
    let password = r.required_secret(t, "password", "password_file");
    if !t.active {
        return None;
    }
    Some(Arc::new(IcgSettings {
        base_url: base_url?,
        auth_url: auth_url?,
        process_base_url: process_base_url?,
        client_id: client_id?,
        username: username?,
        password: password?,
    }))
}
