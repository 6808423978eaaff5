//! `[providers.*]`: one table per provider. The registry (`crate::providers::registry`) names
//! the tables and their readers; each provider's folder reads its own keys with the common
//! reader. This file only walks the registry and checks what is common: at least one enabled,
//! no unknown provider table, and that each can pay in the terminal's currency.

use std::sync::Arc;

use super::reader::{Reader, Table};
use super::terminal::TerminalConfig;
use crate::core::Mode;
use crate::core::provider::ProviderId;
use crate::money::Currency;
use crate::providers::registry::{self, ProviderSettings};

/// `[providers.*]`: the enabled providers' settings, in registry order.
#[derive(Clone, Debug, Default)]
pub struct ProvidersConfig {
    enabled: Vec<(ProviderId, Arc<dyn ProviderSettings>)>,
}

impl ProvidersConfig {
    /// Ids of the enabled providers, in registry order.
    pub fn enabled(&self) -> Vec<ProviderId> {
        self.enabled.iter().map(|(id, _)| id.clone()).collect()
    }

    /// The enabled providers with their settings, in registry order.
    pub fn iter(&self) -> impl Iterator<Item = (&ProviderId, &Arc<dyn ProviderSettings>)> {
        self.enabled.iter().map(|(id, s)| (id, s))
    }

    /// One provider's settings as its own type; `None` when it is disabled or not configured.
    pub fn get<T: 'static>(&self, id: &str) -> Option<&T> {
        self.enabled
            .iter()
            .find(|(p, _)| p.as_str() == id)
            .and_then(|(_, s)| s.as_any().downcast_ref::<T>())
    }

    /// Adds (or replaces) a provider's settings; for the demo config and tests.
    pub fn insert(&mut self, id: &str, settings: Arc<dyn ProviderSettings>) {
        self.enabled.retain(|(p, _)| p.as_str() != id);
        self.enabled.push((ProviderId::new(id), settings));
        let order = |p: &ProviderId| {
            registry::PROVIDERS
                .iter()
                .position(|e| e.id == p.as_str())
                .unwrap_or(usize::MAX)
        };
        self.enabled.sort_by_key(|(p, _)| order(p));
    }
}

impl Reader<'_> {
    pub(super) fn providers(
        &mut self,
        root: &mut Table,
        terminal: Option<&TerminalConfig>,
    ) -> ProvidersConfig {
        let mut out = ProvidersConfig::default();
        let Some(mut p) = self.table(root, "providers", true) else {
            if !root.table.contains_key("providers") {
                self.problem(
                    None,
                    "providers".to_string(),
                    "no [providers.*] table: enable at least one provider",
                );
            }
            return out;
        };
        let currency = terminal.map(|t| t.currency);
        for entry in registry::PROVIDERS {
            if let Some(mut t) = self.provider_table(&mut p, entry.id) {
                if let Some(settings) = (entry.read_config)(self, &mut t, terminal) {
                    self.unattended_agent_pin(&t, entry.name, settings.as_ref(), terminal);
                    out.insert(entry.id, settings);
                }
                self.currency_check(&t, entry.name, entry.currencies, currency);
                self.finish(t);
            }
        }
        let any_enabled = p.table.values().any(|v| {
            v.get_ref().as_table().is_some_and(|t| {
                t.get("enabled")
                    .is_none_or(|e| e.get_ref().as_bool() != Some(false))
            })
        });
        if !any_enabled {
            self.problem(
                p.at.as_ref(),
                p.path.clone(),
                "no provider is enabled: set enabled = true in at least one [providers.*] table",
            );
        }
        self.finish(p);
        out
    }

    /// A provider's table and whether it is enabled (default: enabled when present).
    fn provider_table<'t, 'i>(
        &mut self,
        parent: &mut Table<'t, 'i>,
        k: &'static str,
    ) -> Option<Table<'t, 'i>> {
        let mut t = self.table(parent, k, true)?;
        let enabled = self.boolean(&mut t, "enabled").unwrap_or(true);
        t.active = enabled;
        Some(t)
    }

    /// Refuses a provider that would ask its agent PIN on the screen of a kiosk or a vending
    /// machine: the person in front of it is a customer, who must never see (or be asked for)
    /// the operator's PIN. Such a terminal takes the PIN from the config.
    fn unattended_agent_pin(
        &mut self,
        t: &Table,
        name: &str,
        settings: &dyn ProviderSettings,
        terminal: Option<&TerminalConfig>,
    ) {
        let Some(mode) = terminal.map(|t| t.mode) else {
            return;
        };
        let word = match mode {
            Mode::Kiosk => "a kiosk",
            Mode::Vending => "a vending machine",
            Mode::Cashier => return,
        };
        if let Some(keys) = settings.typed_agent_pin() {
            self.problem(
                t.at.as_ref(),
                t.key("agent_pin"),
                format!(
                    "{name} would ask its agent PIN at the start of each shift, and on {word} \
                     that screen is the customer's: set {keys} in [{}], or enabled = false",
                    t.path
                ),
            );
        }
    }

    /// Refuses an enabled provider that cannot pay in the terminal's currency: a terminal is set
    /// up for one market, and a sale the provider cannot take would only fail at the counter.
    fn currency_check(
        &mut self,
        t: &Table,
        name: &str,
        theirs: &[Currency],
        ours: Option<Currency>,
    ) {
        if let Some(ours) = ours
            && t.active
            && !theirs.is_empty()
            && !theirs.contains(&ours)
        {
            let theirs: Vec<String> = theirs.iter().map(|c| c.to_string()).collect();
            self.problem(
                t.at.as_ref(),
                t.path.clone(),
                format!(
                    "{name} pays in {} only, but terminal.currency is {ours}: set \
                     terminal.currency = \"{}\" or enabled = false here",
                    theirs.join(", "),
                    theirs.first().map(String::as_str).unwrap_or("")
                ),
            );
        }
    }
}
