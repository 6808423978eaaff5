//! The demo's markets: a terminal is set up for one country, so it pays in one currency with
//! that country's providers. `--demo <market>` picks one; the providers come from the registry
//! (each provider's `Demo::market`), the currency from this table, because a provider such as
//! mCASH names no single currency of its own.

use std::fmt;

use thiserror::Error;

use crate::money::Currency;
use crate::providers::registry::{self, ProviderEntry};

/// One market the demo can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Market {
    /// What `--demo` takes: `no`, `ht`, `ly`, `lk`, `us`.
    pub code: &'static str,
    pub country: &'static str,
    pub currency: Currency,
}

/// Every market, the default first.
pub const MARKETS: &[Market] = &[
    Market {
        code: "no",
        country: "Norway",
        currency: Currency::NOK,
    },
    Market {
        code: "ht",
        country: "Haiti",
        currency: Currency::HTG,
    },
    Market {
        code: "ly",
        country: "Libya",
        currency: Currency::LYD,
    },
    Market {
        code: "lk",
        country: "Sri Lanka",
        currency: Currency::LKR,
    },
    Market {
        code: "us",
        country: "United States",
        currency: Currency::USD,
    },
];

/// The market plain `cargo run` opens: Norway, mCASH in NOK.
pub const DEFAULT_MARKET: &str = "no";

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.code, self.country, self.currency)
    }
}

/// Why the demo cannot open a market.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DemoError {
    #[error("unknown demo market `{given}`: the markets are {known}")]
    UnknownMarket { given: String, known: String },
    #[error(
        "demo market {market}: {providers} has no demo in this build yet (markets with a demo: {ready})"
    )]
    NotReady {
        market: String,
        providers: String,
        ready: String,
    },
    #[error("unknown provider `{given}`: the providers are {known}")]
    UnknownProvider { given: String, known: String },
    #[error("{provider} has no demo in this build yet (markets with a demo: {ready})")]
    ProviderNotReady { provider: String, ready: String },
    #[error("{provider} is not in demo market {market} (its market is {theirs})")]
    ProviderElsewhere {
        provider: String,
        market: String,
        theirs: String,
    },
}

/// The market with this code, or an error that lists them all.
pub fn market(code: &str) -> Result<&'static Market, DemoError> {
    let wanted = code.trim().to_ascii_lowercase();
    MARKETS
        .iter()
        .find(|m| m.code == wanted)
        .ok_or_else(|| DemoError::UnknownMarket {
            given: code.to_string(),
            known: list(MARKETS.iter()),
        })
}

/// The registry's providers whose demo opens in this market, in registry order.
pub fn providers_of(market: &Market) -> Vec<&'static ProviderEntry> {
    registry::PROVIDERS
        .iter()
        .filter(|e| e.demo.as_ref().is_some_and(|d| d.market == market.code))
        .collect()
}

/// The market a provider's demo opens in: what `kassa pay --provider X` with no config uses.
/// With `demo` given, the provider must belong to it.
pub fn market_for_provider(
    provider: &str,
    demo: Option<&str>,
) -> Result<&'static Market, DemoError> {
    let entry = registry::entry(provider).ok_or_else(|| DemoError::UnknownProvider {
        given: provider.to_string(),
        known: registry::PROVIDERS
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let Some(theirs) = entry.demo.as_ref() else {
        return Err(DemoError::ProviderNotReady {
            provider: entry.name.to_string(),
            ready: ready_list(),
        });
    };
    let theirs = market(theirs.market)?;
    match demo {
        None => Ok(theirs),
        Some(code) => {
            let asked = market(code)?;
            if asked.code == theirs.code {
                Ok(asked)
            } else {
                Err(DemoError::ProviderElsewhere {
                    provider: entry.name.to_string(),
                    market: asked.to_string(),
                    theirs: theirs.to_string(),
                })
            }
        }
    }
}

/// Checks that a market can be opened: known, and with at least one provider that has a demo.
pub fn ready_market(code: &str) -> Result<&'static Market, DemoError> {
    let m = market(code)?;
    if providers_of(m).is_empty() {
        let names: Vec<&str> = registry::PROVIDERS
            .iter()
            .filter(|e| e.currencies.contains(&m.currency))
            .map(|e| e.name)
            .collect();
        return Err(DemoError::NotReady {
            market: m.to_string(),
            providers: if names.is_empty() {
                "its provider".to_string()
            } else {
                names.join(", ")
            },
            ready: ready_list(),
        });
    }
    Ok(m)
}

fn list<'a>(markets: impl Iterator<Item = &'a Market>) -> String {
    markets
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ready_list() -> String {
    let ready = list(MARKETS.iter().filter(|m| !providers_of(m).is_empty()));
    if ready.is_empty() {
        "none".to_string()
    } else {
        ready
    }
}
