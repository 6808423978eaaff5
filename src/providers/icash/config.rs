//! `[providers.icash]`: the keys the client needs, checked at load; the demo settings that
//! point at the built-in simulator; and the client built from them.

use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use super::client::{IcashClient, IcashConfig, system_clock};
use super::{IcashProvider, IcashProviderConfig};
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::registry::{ProviderSettings, Settings};

/// Values the demo config and the built-in simulator share, so both sides use one definition.
pub mod demo {
    /// Path of the iCash simulator under the simulator's base URL.
    pub const PATH: &str = "icash/";
    pub const USERNAME: &str = "store@kassa.ly";
    pub const PASSWORD: &str = "demo-icash-P@ss";
    /// The demo merchant's iCashCardNumber (the document's example).
    pub const CARD: &str = "7121234567";
    pub const SHOP: u32 = 10;
    pub const SHOP_TEXT: &str = "10";
    /// The demo customer (NOTES: card numbers are 10 digits).
    pub const CUSTOMER_CARD: &str = "1000103943";
    /// The demo customer's standing test payment code: accepted for any amount at any shop of
    /// the demo merchant, again and again (a sandbox convenience, so `kassa pay --card --code`
    /// completes by itself); codes the customer generates are one-time and expire.
    pub const CUSTOMER_CODE: &str = "1807676";
}

/// Largest `NumberOfRecords` asked of GetStatement.
pub const STATEMENT_RECORDS: u32 = 1000;

/// `[providers.icash]`: iCash merchant gateway, Libya.
#[derive(Clone)]
pub struct IcashSettings {
    pub base_url: Url,
    pub username: String,
    pub password: SecretString,
    /// The merchant's `iCashCardNumber`.
    pub card_number: String,
    /// `ShopID` of the payment QR (and the shop a customer's payment code names).
    pub shop_id: u32,
    pub qr_expires_seconds: u32,
}

/// The password is redacted by its type, the card number shown by its last four digits.
impl std::fmt::Debug for IcashSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcashSettings")
            .field("base_url", &self.base_url.as_str())
            .field("username", &self.username)
            .field("password", &self.password)
            .field("card_number", &super::client::mask_card(&self.card_number))
            .field("shop_id", &self.shop_id)
            .field("qr_expires_seconds", &self.qr_expires_seconds)
            .finish()
    }
}

impl IcashSettings {
    /// iCash's settings in `config`, if it is enabled.
    pub fn of(config: &Config) -> Option<&IcashSettings> {
        config.providers.get::<IcashSettings>("icash")
    }
}

impl Settings for IcashSettings {
    /// The payload is iCash's (decoded from its PNG) and unknown until a sale: budget what the
    /// simulator's payload for the largest amount at this shop takes.
    fn longest_qr_payload(&self) -> Option<String> {
        Some(format!(
            "ICASH|{}|{}|999999999.999",
            self.card_number, self.shop_id
        ))
    }
}

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
    let shop_id = r.unsigned(t, "shop_id", 1..=999_999_999, 1);
    let qr_expires_seconds = r.unsigned(t, "qr_expires_seconds", 30..=3600, 300);
    if !t.active {
        return None;
    }
    Some(Arc::new(IcashSettings {
        base_url: base_url?,
        username: username?,
        password: password?,
        card_number: card_number?,
        shop_id: u32::try_from(shop_id).unwrap_or(1),
        qr_expires_seconds: u32::try_from(qr_expires_seconds).unwrap_or(300),
    }))
}

/// The demo: the built-in simulator's merchant under `sim_base_url`.
pub(crate) fn demo_settings(
    sim_base_url: &str,
    _terminal_id: &str,
) -> Option<Arc<dyn ProviderSettings>> {
    let base = sim_base_url.trim_end_matches('/');
    let base_url = Url::parse(&format!("{base}/{}", demo::PATH)).ok()?;
    Some(Arc::new(IcashSettings {
        base_url,
        username: demo::USERNAME.to_string(),
        password: SecretString::from(demo::PASSWORD),
        card_number: demo::CARD.to_string(),
        shop_id: demo::SHOP,
        qr_expires_seconds: 300,
    }))
}

/// The running client for these settings.
pub(crate) fn build(
    settings: &dyn ProviderSettings,
    _config: &Config,
) -> Result<Arc<dyn PaymentProvider>, String> {
    let s = settings
        .as_any()
        .downcast_ref::<IcashSettings>()
        .ok_or("the settings are not iCash's")?;
    Ok(Arc::new(provider(s, HttpConfig::default())?))
}

/// The provider itself, with the HTTP settings given (the conformance kit shortens timeouts).
pub(crate) fn provider(s: &IcashSettings, http: HttpConfig) -> Result<IcashProvider, String> {
    let client = IcashClient::new(
        IcashConfig {
            base_url: s.base_url.to_string(),
            username: s.username.clone(),
            password: s.password.clone(),
            card_number: s.card_number.clone(),
            http,
        },
        system_clock(),
    )
    .map_err(|e| e.to_string())?;
    Ok(IcashProvider::new(
        client,
        IcashProviderConfig {
            shop_id: s.shop_id,
            qr_expires_s: s.qr_expires_seconds,
            statement_records: STATEMENT_RECORDS,
        },
        system_clock(),
    ))
}
