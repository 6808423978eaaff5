//! United States, USD. iCheckGateway: pay an invoice by its number.
//!
//! Today this folder holds the provider's config section only: the client, its wire types, the
//! mapping to the core's vocabulary and its simulator come with issue 12. A terminal that enables
//! it loads, but set-up leaves the provider out (no method tile).

pub mod config;

use super::registry::ProviderEntry;
use crate::money::Currency;

/// The registry's line for iCheckGateway.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "icg",
    name: "iCheckGateway",
    currencies: &[Currency::USD],
    read_config: config::read,
    build: None,
    demo: None,
};
