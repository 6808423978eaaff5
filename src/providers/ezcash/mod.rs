//! Sri Lanka, LKR, through ideabiz. eZ Cash: TX_AOTC to the customer's mobile, approved on the
//! handset, polled by request id; agent services TX_ACWT and TX_ATOB.
//!
//! Today this folder holds the provider's config section only: the client, its wire types, the
//! mapping to the core's vocabulary and its simulator come with issue 12. A terminal that enables
//! it loads, but set-up leaves the provider out (no method tile).

pub mod config;

use super::registry::ProviderEntry;
use crate::money::Currency;

/// The registry's line for eZ Cash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "ezcash",
    name: "eZ Cash",
    currencies: &[Currency::LKR],
    read_config: config::read,
    build: None,
    demo: None,
};
