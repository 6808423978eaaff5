//! Libya, LYD (3 decimals). iCash: card number and payment code (CanCustomerPurchase, PayInvoice)
//! or the provider's payment QR; no idempotency key, recovery reads the statement.
//!
//! Today this folder holds the provider's config section only: the client, its wire types, the
//! mapping to the core's vocabulary and its simulator come with issue 11. A terminal that enables
//! it loads, but set-up leaves the provider out (no method tile).

pub mod config;

use super::registry::ProviderEntry;
use crate::money::Currency;

/// The registry's line for iCash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "icash",
    name: "iCash",
    currencies: &[Currency::LYD],
    read_config: config::read,
    build: None,
    demo: None,
};
