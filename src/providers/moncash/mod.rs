//! Haiti, HTG. MonCash (Digicel): CreatePayment, a QR of the gateway redirect URL, poll
//! RetrieveOrderPayment; refunds are payouts (Transfert).
//!
//! Today this folder holds the provider's config section only: the client, its wire types, the
//! mapping to the core's vocabulary and its simulator come with issue 11. A terminal that enables
//! it loads, but set-up leaves the provider out (no method tile).

pub mod config;

use super::registry::ProviderEntry;
use crate::money::Currency;

/// The registry's line for MonCash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "moncash",
    name: "MonCash",
    currencies: &[Currency::HTG],
    read_config: config::read,
    build: None,
    demo: None,
};
