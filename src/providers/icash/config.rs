//! `[providers.icash]`: the keys the client needs, checked at load.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use crate::config::TerminalConfig;
use crate::config::reader::{Reader, Table};
use crate::providers::registry::{ProviderSettings, Settings};

/// `[providers.icash]`: iCash merchant gateway, Libya.
#[derive(Clone, Debug)]
pub struct IcashSettings {
    pub base_url: Url,
    pub username: String,
    pub password: SecretString,
    /// The merchant's `iCashCardNumber`.
    pub card_number: String,
}

impl Settings for IcashSettings {}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    _terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(t, "base_url", "https://icashmerchantv2.azurewebsites.net/");
    let username = r.required_text(t, "username", 200, "the merchant's user name");
    let password = r.required_secret(t, "password", "password_file");
    let card_number = r.string(t, "card_number").and_then(|s| {
        let v = s.get_ref();
        if (1..=19).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
            Some(s.into_inner())
        } else {
            r.problem(
                Some(&s.span()),
                t.key("card_number"),
                "expected the merchant's iCash card number: 1 to 19 digits, as a string",
            );
            None
        }
    });
    r.missing(
        t,
        "card_number",
        "the merchant's iCashCardNumber, such as \"7121234567\"",
    );
    if !t.active {
        return None;
    }
    Some(Arc::new(IcashSettings {
        base_url: base_url?,
        username: username?,
        password: password?,
        card_number: card_number?,
    }))
}
