//! `[providers.moncash]`: the keys the client needs, checked at load.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use crate::config::TerminalConfig;
use crate::config::reader::{Reader, Table};
use crate::providers::registry::{ProviderSettings, Settings};

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

impl Settings for MoncashSettings {}

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
