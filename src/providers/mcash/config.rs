//! `[providers.mcash]`: the keys the client needs, checked at load; the demo settings that
//! point at the built-in simulator; and the client built from them.

use std::sync::Arc;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use super::client::{McashClient, McashConfig, system_clock};
use super::sign::Signer;
use super::wire::PosType;
use super::{McashProvider, McashProviderConfig};
use crate::config::reader::{Reader, Table};
use crate::config::{Config, TerminalConfig};
use crate::core::sale::SaleKey;
use crate::core::{KioskCode, Mode};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::registry::{ProviderSettings, Settings};

/// Values the demo config and the built-in simulator share, so both sides use one definition.
pub mod demo {
    /// Path of the mCASH simulator's merchant API under the simulator's base URL.
    pub const PATH: &str = "mcash/merchant/v1/";
    pub const MERCHANT_ID: &str = "demo-merchant";
    pub const USER_ID: &str = "demo-pos";
    pub const SECRET: &str = "demo-secret-0123456789";
}

/// `[providers.mcash]`: the mCASH merchant API.
#[derive(Clone, Debug)]
pub struct McashSettings {
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
    /// The shortlink whose code is printed on a kiosk's sticker (or made in the merchant
    /// portal); `None`: found by the POS id at start-up, or created.
    pub shortlink_id: Option<String>,
}

impl McashSettings {
    /// mCASH's settings in `config`, if it is enabled.
    pub fn of(config: &Config) -> Option<&McashSettings> {
        config.providers.get::<McashSettings>("mcash")
    }
}

/// mCASH shortlink ids are short (`h3lBe` in NOTES.md) and only known after start-up; this is
/// the length budgeted for one when the configured payload is checked.
pub const SHORTLINK_ID_BUDGET: usize = 8;

impl Settings for McashSettings {
    /// `http://mca.sh/s/<shortlink id>/<pos_id>`.
    fn longest_qr_payload(&self) -> Option<String> {
        Some(super::wire::shortlink_qr(
            &"x".repeat(SHORTLINK_ID_BUDGET),
            Some(&self.pos_id),
        ))
    }
}

pub(crate) fn read(
    r: &mut Reader<'_>,
    t: &mut Table<'_, '_>,
    terminal: Option<&TerminalConfig>,
) -> Option<Arc<dyn ProviderSettings>> {
    let base_url = r.required_url(t, "base_url", "https://api.mca.sh/merchant/v1/");
    let merchant_id = r.required_text(t, "merchant_id", 100, "the X-Mcash-Merchant id");
    let user_id = r.required_text(t, "user_id", 100, "the X-Mcash-User id");
    let secret = r.required_secret(t, "secret", "secret_file");
    let private_key_pem = r.secret(t, "private_key", "private_key_file");
    if let Some(pem) = &private_key_pem
        && !rsa_pem_parses(pem.expose_secret())
    {
        let k = if t.table.contains_key("private_key") {
            "private_key"
        } else {
            "private_key_file"
        };
        let span = t.table.get(k).map(|v| v.span());
        r.problem(
            span.as_ref(),
            t.key(k),
            "not a PEM RSA private key (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)",
        );
    }
    let testbed_token = r.secret(t, "testbed_token", "testbed_token_file");
    let pos_id = r.string(t, "pos_id").and_then(|s| {
        if SaleKey::parse(s.get_ref()).is_ok() {
            Some(s.into_inner())
        } else {
            r.problem(
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
    let pos_name = r.text(t, "pos_name", 100);
    let ledger = r.text(t, "ledger", 100);
    let max_scan_age_seconds = r.unsigned(t, "max_scan_age_seconds", 0..=2_592_000, 60);
    let expires_in_seconds = r.unsigned(t, "expires_in_seconds", 30..=2_592_000, 300);
    let shortlink_id = r.string(t, "shortlink_id").and_then(|s| {
        let id = s.get_ref();
        let ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Some(s.into_inner())
        } else {
            r.problem(
                Some(&s.span()),
                t.key("shortlink_id"),
                format!(
                    "{id:?} is not a shortlink id: expected 1 to 64 of A-Z a-z 0-9 _ - (the part \
                     after mca.sh/s/)"
                ),
            );
            None
        }
    });
    if !t.active {
        return None;
    }
    let pos_id = pos_id.or_else(|| terminal.map(|t| t.id.clone()))?;
    Some(Arc::new(McashSettings {
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
        shortlink_id,
    }))
}

/// How the terminal appears at mCASH: a kiosk with a printed sticker is a poster (a fixed code
/// on a wall); a kiosk drawing its code on screen is a store till with no cashier.
pub(crate) fn pos_type(config: &Config) -> PosType {
    match config.terminal.mode {
        Mode::Cashier => PosType::Store,
        Mode::Kiosk if config.kiosk.code == KioskCode::Sticker => PosType::Poster,
        Mode::Kiosk => PosType::Store,
        Mode::Vending => PosType::Vending,
    }
}

fn rsa_pem_parses(pem: &str) -> bool {
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    RsaPrivateKey::from_pkcs1_pem(pem).is_ok() || RsaPrivateKey::from_pkcs8_pem(pem).is_ok()
}

/// The demo: the built-in simulator's merchant under `sim_base_url`, POS = the terminal id.
pub(crate) fn demo_settings(
    sim_base_url: &str,
    terminal_id: &str,
) -> Option<Arc<dyn ProviderSettings>> {
    let base = sim_base_url.trim_end_matches('/');
    let base_url = Url::parse(&format!("{base}/{}", demo::PATH)).ok()?;
    Some(Arc::new(McashSettings {
        base_url,
        merchant_id: demo::MERCHANT_ID.to_string(),
        user_id: demo::USER_ID.to_string(),
        secret: SecretString::from(demo::SECRET),
        private_key_pem: None,
        testbed_token: None,
        pos_id: terminal_id.to_string(),
        pos_name: "Kassa demo".to_string(),
        ledger: None,
        max_scan_age_seconds: 60,
        expires_in_seconds: 300,
        shortlink_id: None,
    }))
}

/// The running client for these settings; the POS type follows the terminal's mode.
pub(crate) fn build(
    settings: &dyn ProviderSettings,
    config: &Config,
) -> Result<Arc<dyn PaymentProvider>, String> {
    let m = settings
        .as_any()
        .downcast_ref::<McashSettings>()
        .ok_or("the settings are not mCASH's")?;
    Ok(Arc::new(provider(m, config, HttpConfig::default())?))
}

/// The provider itself, with the HTTP settings given (the conformance kit shortens timeouts).
pub(crate) fn provider(
    m: &McashSettings,
    config: &Config,
    http: HttpConfig,
) -> Result<McashProvider, String> {
    let private_key = m
        .private_key_pem
        .as_ref()
        .map(Signer::from_pem)
        .transpose()
        .map_err(|e| e.to_string())?;
    let client = McashClient::new(
        McashConfig {
            base_url: m.base_url.to_string(),
            merchant_id: m.merchant_id.clone(),
            user_id: m.user_id.clone(),
            secret: m.secret.clone(),
            private_key,
            testbed_token: m.testbed_token.clone(),
            http,
        },
        system_clock(),
    )
    .map_err(|e| e.to_string())?;
    let pos_type = pos_type(config);
    Ok(McashProvider::new(
        client,
        McashProviderConfig {
            pos_id: m.pos_id.clone(),
            pos_name: m.pos_name.clone(),
            pos_type,
            shortlink_id: m.shortlink_id.clone(),
            max_scan_age: m.max_scan_age_seconds,
            expires_in: m.expires_in_seconds,
            ledger: m.ledger.clone(),
            text: None,
        },
        system_clock(),
    ))
}
