//! `[storage]` (where the sled journal lives, its cache) and `[outbox]` (how much may wait while
//! the terminal is offline).

use std::path::PathBuf;

use super::reader::{Reader, Table};
use crate::money::{Currency, Money};

pub(crate) const DEFAULT_STORAGE_DIR: &str = "./kassa-data";
pub(crate) const DEFAULT_CACHE_MB: u64 = 16;
const DEFAULT_QUEUED_AGE_MINUTES: u64 = 60;

/// `[storage]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageConfig {
    /// Folder of the sled database.
    pub path: PathBuf,
    pub cache_mb: u64,
}

/// `[outbox]`: how much may wait while the terminal is offline. Zero amounts: nothing queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    pub max_queued_amount: Money,
    pub max_queued_total: Money,
    pub max_queued_age_minutes: u64,
}

impl OutboxConfig {
    /// Nothing queues while offline.
    pub fn none(currency: Currency) -> OutboxConfig {
        OutboxConfig {
            max_queued_amount: Money::zero(currency),
            max_queued_total: Money::zero(currency),
            max_queued_age_minutes: DEFAULT_QUEUED_AGE_MINUTES,
        }
    }
}

impl Reader<'_> {
    pub(super) fn storage(&mut self, root: &mut Table) -> StorageConfig {
        let default_path = self
            .ctx
            .state_directory
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STORAGE_DIR));
        let mut st = StorageConfig {
            path: default_path,
            cache_mb: DEFAULT_CACHE_MB,
        };
        let Some(mut t) = self.table(root, "storage", true) else {
            return st;
        };
        if let Some(p) = self.text(&mut t, "path", 4096) {
            st.path = PathBuf::from(p);
        }
        st.cache_mb = self.unsigned(&mut t, "cache_mb", 1..=512, DEFAULT_CACHE_MB);
        self.finish(t);
        st
    }

    pub(super) fn outbox(
        &mut self,
        root: &mut Table,
        currency: Option<Currency>,
    ) -> Option<OutboxConfig> {
        let mut t = match self.table(root, "outbox", true) {
            Some(t) => t,
            None => return currency.map(OutboxConfig::none),
        };
        let amount = self.money(&mut t, "max_queued_amount", currency);
        let total = self.money(&mut t, "max_queued_total", currency);
        let age = self.unsigned(
            &mut t,
            "max_queued_age_minutes",
            1..=10_080,
            DEFAULT_QUEUED_AGE_MINUTES,
        );
        if let (Some(a), Some(tot)) = (amount, total)
            && a.minor() > tot.minor()
        {
            let span = t.table.get("max_queued_amount").map(|v| v.span());
            self.problem(
                span.as_ref(),
                t.key("max_queued_amount"),
                "must not be more than outbox.max_queued_total",
            );
        }
        self.finish(t);
        let currency = currency?;
        Some(OutboxConfig {
            max_queued_amount: amount.unwrap_or(Money::zero(currency)),
            max_queued_total: total.unwrap_or(Money::zero(currency)),
            max_queued_age_minutes: age,
        })
    }
}
