//! `[terminal]`: the terminal's id, mode, currency and limits, its time zone and locale, the
//! supervisor PIN and the cashiers who sign in.

use secrecy::SecretString;
use toml::de::DeValue;

use super::reader::{Reader, Table, type_name};
use crate::core::sale::SaleKey;
use crate::core::{Cashier, Locale, Mode, PinHash, Zone};
use crate::money::{Currency, Money};

/// `[terminal]`.
#[derive(Clone, Debug)]
pub struct TerminalConfig {
    /// Prefix of every sale key: 1 to 32 of `[A-Za-z0-9_.-]`.
    pub id: String,
    pub mode: Mode,
    pub currency: Currency,
    /// Largest amount one sale may have; more than zero.
    pub max_amount: Money,
    pub result_hold_seconds: u64,
    pub poll_interval_ms: u64,
    pub recover_attempts: u32,
    /// `time_zone`: the IANA zone of the clock, report days and hours; default UTC.
    pub time_zone: Zone,
    /// `locale`: how numbers and money read; default `en`.
    pub locale: Locale,
    pub supervisor_pin_hash: Option<PinHash>,
    /// `[[terminal.cashier]]`; empty: no sign-in.
    pub cashiers: Vec<Cashier>,
}

impl Reader<'_> {
    pub(super) fn terminal(&mut self, root: &mut Table) -> Option<TerminalConfig> {
        let Some(mut t) = self.table(root, "terminal", true) else {
            if !root.table.contains_key("terminal") {
                self.problem(
                    None,
                    "terminal".to_string(),
                    "missing table [terminal] (id, currency and max_amount at least)",
                );
            }
            return None;
        };
        let id = self.string(&mut t, "id").and_then(|id| {
            let ok = id.get_ref().len() <= 32 && SaleKey::parse(id.get_ref()).is_ok();
            if ok {
                Some(id.into_inner())
            } else {
                self.problem(
                    Some(&id.span()),
                    t.key("id"),
                    format!(
                        "{:?} is not a terminal id: expected 1 to 32 of A-Z a-z 0-9 _ . -",
                        id.get_ref()
                    ),
                );
                None
            }
        });
        self.missing(&t, "id", "the terminal's id, such as \"shop1-till2\"");
        let mode = self
            .choice(
                &mut t,
                "mode",
                &[
                    ("cashier", Mode::Cashier),
                    ("kiosk", Mode::Kiosk),
                    ("vending", Mode::Vending),
                ],
            )
            .unwrap_or(Mode::Cashier);
        let currency = self.string(&mut t, "currency").and_then(|c| {
            match Currency::from_code(c.get_ref().trim()) {
                Ok(cur) => Some(cur),
                Err(_) => {
                    let known: Vec<String> =
                        Currency::all().map(|c| c.code().to_string()).collect();
                    self.problem(
                        Some(&c.span()),
                        t.key("currency"),
                        format!(
                            "unknown currency code {:?} (expected an ISO 4217 code Kassa knows: {})",
                            c.get_ref(),
                            known.join(", ")
                        ),
                    );
                    None
                }
            }
        });
        self.missing(&t, "currency", "an ISO 4217 code such as \"NOK\"");
        let max_amount = self.money(&mut t, "max_amount", currency);
        if let Some(m) = max_amount
            && !m.is_positive()
        {
            let span = t.get("max_amount").map(|v| v.span());
            self.problem(span.as_ref(), t.key("max_amount"), "must be more than 0");
        }
        self.missing(
            &t,
            "max_amount",
            "the largest amount of one sale, such as \"10000.00\"",
        );
        let result_hold_seconds = self.unsigned(&mut t, "result_hold_seconds", 1..=600, 8);
        let poll_interval_ms = self.unsigned(&mut t, "poll_interval_ms", 200..=60_000, 1_000);
        let recover_attempts = self.unsigned(&mut t, "recover_attempts", 1..=100, 5) as u32;
        let time_zone = self
            .string(&mut t, "time_zone")
            .map_or(Some(Zone::utc()), |z| match Zone::named(z.get_ref()) {
                Ok(zone) => Some(zone),
                Err(e) => {
                    self.problem(Some(&z.span()), t.key("time_zone"), e.to_string());
                    None
                }
            });
        let locale = self.string(&mut t, "locale").map_or(Some(Locale::En), |l| {
            match Locale::from_code(l.get_ref()) {
                Ok(locale) => Some(locale),
                Err(e) => {
                    self.problem(Some(&l.span()), t.key("locale"), e.to_string());
                    None
                }
            }
        });
        let supervisor_pin_hash = self
            .secret(&mut t, "supervisor_pin_hash", "supervisor_pin_hash_file")
            .and_then(|phc| self.pin_hash(&mut t, "supervisor_pin_hash", phc));
        if supervisor_pin_hash.is_none()
            && mode == Mode::Cashier
            && !t.table.contains_key("supervisor_pin_hash")
            && !t.table.contains_key("supervisor_pin_hash_file")
        {
            self.warn(
                t.at.as_ref(),
                t.key("supervisor_pin_hash"),
                "not set: refunds and the supervisor menu are open to anyone at the till",
            );
        }
        let cashiers = self.cashiers(&mut t);
        self.finish(t);
        Some(TerminalConfig {
            id: id?,
            mode,
            currency: currency?,
            max_amount: max_amount.filter(Money::is_positive)?,
            result_hold_seconds,
            poll_interval_ms,
            recover_attempts,
            time_zone: time_zone?,
            locale: locale?,
            supervisor_pin_hash,
            cashiers,
        })
    }

    pub(crate) fn pin_hash(
        &mut self,
        t: &mut Table,
        k: &'static str,
        phc: SecretString,
    ) -> Option<PinHash> {
        match PinHash::parse(phc) {
            Ok(h) => Some(h),
            Err(e) => {
                let span = t
                    .table
                    .get(k)
                    .or_else(|| t.table.get(format!("{k}_file").as_str()))
                    .map(|v| v.span());
                self.problem(span.as_ref(), t.key(k), e.to_string());
                None
            }
        }
    }

    fn cashiers(&mut self, t: &mut Table) -> Vec<Cashier> {
        let Some(v) = t.get("cashier") else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(t, "cashier", v, "[[terminal.cashier]] tables");
            return Vec::new();
        };
        let mut cashiers: Vec<Cashier> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{}]", t.key("cashier"), i + 1);
            let DeValue::Table(table) = item.get_ref() else {
                let got = type_name(item.get_ref());
                self.problem(
                    Some(&item.span()),
                    path,
                    format!("expected a [[terminal.cashier]] table, found {got}"),
                );
                continue;
            };
            let mut c = Table {
                path,
                table,
                at: Some(item.span()),
                known: Vec::new(),
                active: true,
            };
            let id = self.text(&mut c, "id", 32);
            self.missing(&c, "id", "the cashier's id, such as \"anna\"");
            if let Some(id) = &id
                && cashiers.iter().any(|other| &other.id == id)
            {
                let span = c.table.get("id").map(|v| v.span());
                self.problem(span.as_ref(), c.key("id"), format!("{id:?} is used twice"));
            }
            let pin = self
                .required_secret(&mut c, "pin_hash", "pin_hash_file")
                .and_then(|phc| self.pin_hash(&mut c, "pin_hash", phc));
            self.finish(c);
            if let (Some(id), Some(pin)) = (id, pin) {
                cashiers.push(Cashier { id, pin });
            }
        }
        cashiers
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::config::{Config, ConfigErrors, LoadContext};
    use crate::core::{Local, Locale, Zone};

    fn load(extra: &str) -> Result<Config, ConfigErrors> {
        let text = format!(
            "[terminal]\nid = \"t1\"\ncurrency = \"NOK\"\nmax_amount = \"500.00\"\n{extra}\n\
             [providers.mcash]\nbase_url = \"https://api.mca.sh/merchant/v1\"\n\
             merchant_id = \"m1\"\nuser_id = \"u1\"\nsecret = \"s3cr3t-value\"\n"
        );
        let cx = LoadContext {
            config_dir: PathBuf::from("/nonexistent-kassa-config-dir"),
            credentials_directory: None,
            state_directory: None,
        };
        Config::from_toml_str_in(&text, "kassa.toml", &cx)
    }

    #[test]
    fn time_zone_and_locale_default_to_utc_and_english() {
        let c = load("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.terminal.time_zone, Zone::utc());
        assert_eq!(c.terminal.locale, Locale::En);
        assert_eq!(c.settings().local, Local::default());
    }

    #[test]
    fn a_named_zone_and_locale_reach_the_core() {
        let c = load("time_zone = \"Asia/Colombo\"\nlocale = \"ta\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.terminal.time_zone.name(), "Asia/Colombo");
        assert_eq!(c.settings().local.locale, Locale::Ta);
        assert_eq!(
            c.settings().local.zone,
            Zone::named("Asia/Colombo").unwrap()
        );
    }

    #[test]
    fn an_unknown_zone_or_locale_is_a_problem_naming_it_with_its_line() {
        let e = load("time_zone = \"Europe/Olso\"\nlocale = \"no\"\n").unwrap_err();
        let zone = e
            .problems
            .iter()
            .find(|p| p.key == "terminal.time_zone")
            .unwrap_or_else(|| panic!("{e}"));
        assert_eq!(zone.line, Some(5));
        assert!(zone.message.contains("\"Europe/Olso\""), "{}", zone.message);
        let locale = e
            .problems
            .iter()
            .find(|p| p.key == "terminal.locale")
            .unwrap_or_else(|| panic!("{e}"));
        assert_eq!(locale.line, Some(6));
        assert!(locale.message.contains("\"no\""), "{}", locale.message);
        let e = load("time_zone = 5\n").unwrap_err();
        assert!(
            e.problems.iter().any(|p| p.key == "terminal.time_zone"),
            "{e}"
        );
    }

    #[test]
    fn a_demo_market_reads_in_its_zone_and_locale_and_the_plain_demo_in_utc() {
        let plain = Config::demo("http://127.0.0.1:8700");
        assert_eq!(plain.settings().local, Local::default());
        let norway = Config::demo_market("no", "http://127.0.0.1:8700").unwrap();
        assert_eq!(norway.terminal.time_zone.name(), "Europe/Oslo");
        assert_eq!(norway.terminal.locale, Locale::Nb);
    }
}
