//! Turns the configuration into running provider clients. The one place that knows which
//! config table feeds which client.

use std::sync::Arc;

use thiserror::Error;

use super::PaymentProvider;
use super::http::HttpConfig;
use super::mcash::client::{McashClient, McashConfig, system_clock};
use super::mcash::sign::Signer;
use super::mcash::wire::PosType;
use super::mcash::{McashProvider, McashProviderConfig};
use crate::config::Config;
use crate::core::Mode;

#[derive(Debug, Error)]
pub enum SetupError {
    #[error("providers.mcash: {0}")]
    Mcash(String),
    #[error(
        "no provider that Kassa can drive yet is enabled (this build drives mCASH; MonCash, iCash, eZ Cash and iCheckGateway come later)"
    )]
    NoneEnabled,
}

/// One client per enabled provider that this build can drive.
pub fn from_config(config: &Config) -> Result<Vec<Arc<dyn PaymentProvider>>, SetupError> {
    let mut providers: Vec<Arc<dyn PaymentProvider>> = Vec::new();
    if let Some(m) = &config.providers.mcash {
        let private_key = m
            .private_key_pem
            .as_ref()
            .map(Signer::from_pem)
            .transpose()
            .map_err(|e| SetupError::Mcash(e.to_string()))?;
        let client = McashClient::new(
            McashConfig {
                base_url: m.base_url.to_string(),
                merchant_id: m.merchant_id.clone(),
                user_id: m.user_id.clone(),
                secret: m.secret.clone(),
                private_key,
                testbed_token: m.testbed_token.clone(),
                http: HttpConfig::default(),
            },
            system_clock(),
        )
        .map_err(|e| SetupError::Mcash(e.to_string()))?;
        let pos_type = match config.terminal.mode {
            Mode::Cashier => PosType::Store,
            Mode::Kiosk => PosType::Poster,
            Mode::Vending => PosType::Vending,
        };
        providers.push(Arc::new(McashProvider::new(
            client,
            McashProviderConfig {
                pos_id: m.pos_id.clone(),
                pos_name: m.pos_name.clone(),
                pos_type,
                shortlink_id: None,
                max_scan_age: m.max_scan_age_seconds,
                expires_in: m.expires_in_seconds,
                ledger: m.ledger.clone(),
                text: None,
            },
            system_clock(),
        )));
    }
    if providers.is_empty() {
        return Err(SetupError::NoneEnabled);
    }
    Ok(providers)
}
