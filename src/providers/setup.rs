//! Turns the configuration into running provider clients by walking the registry: the config
//! holds each enabled provider's settings, the registry knows how to build its client.

use std::sync::Arc;

use thiserror::Error;

use super::PaymentProvider;
use super::registry;
use crate::config::Config;

#[derive(Debug, Error)]
pub enum SetupError {
    #[error("providers.{id}: {message}")]
    Provider { id: String, message: String },
    #[error(
        "no provider that Kassa can drive yet is enabled (this build drives {drivable}; the others come later)"
    )]
    NoneEnabled { drivable: String },
}

/// One client per enabled provider that this build can drive, in registry order. An enabled
/// provider without a client yet is left out (the config load warned about it).
pub fn from_config(config: &Config) -> Result<Vec<Arc<dyn PaymentProvider>>, SetupError> {
    let mut providers: Vec<Arc<dyn PaymentProvider>> = Vec::new();
    for (id, settings) in config.providers.iter() {
        let Some(build) = registry::entry(id.as_str()).and_then(|e| e.build) else {
            continue;
        };
        let provider =
            build(settings.as_ref(), config).map_err(|message| SetupError::Provider {
                id: id.to_string(),
                message,
            })?;
        providers.push(provider);
    }
    if providers.is_empty() {
        let drivable: Vec<&str> = registry::PROVIDERS
            .iter()
            .filter(|e| e.build.is_some())
            .map(|e| e.name)
            .collect();
        return Err(SetupError::NoneEnabled {
            drivable: drivable.join(", "),
        });
    }
    Ok(providers)
}
