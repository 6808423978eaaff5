//! `[vending]`: which vend controller connects the machine (`kind = "mdb" | "socket" | "gpio"`),
//! its settings, and the vend's deadlines. The section needs `[terminal] mode = "vending"`.
//!
//! The deadlines keep the payment shorter than the machine's patience: the terminal gives up on
//! the payment after `payment_timeout_seconds`, which must be shorter than the VMC's own vend
//! timeout (`vmc_timeout_seconds`, the machine's menu setting); mCASH's payment request expiry
//! (`providers.mcash.expires_in_seconds`) must be shorter than that too, so a request never
//! outlives the vend it pays for.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use toml::de::DeValue;

use super::hardware::{GPIO, HardwareConfig};
use super::reader::{Reader, Table, type_name};
use super::{ProvidersConfig, TerminalConfig};
use crate::core::Mode;
use crate::money::Money;

pub const DEFAULT_MDB_PORT: &str = "/dev/serial0";
pub const DEFAULT_SOCKET_PATH: &str = "/run/kassa/vend.sock";
pub const DEFAULT_DENY_COMMAND: &str = "C,VEND,-1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendingConfig {
    pub controller: VendController,
    /// The terminal's deadline for the payment: then the vend is denied and the payment aborted.
    pub payment_timeout_seconds: u64,
    /// The VMC's own vend timeout (its menu setting): the payment must end before it.
    pub vmc_timeout_seconds: u64,
    /// After an approval, how long the machine's result is waited for: then not delivered.
    pub result_timeout_seconds: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendController {
    Mdb(MdbSettings),
    Socket {
        path: PathBuf,
        /// Also listen on this TCP address; always a loopback one (the API has no
        /// authentication).
        tcp: Option<SocketAddr>,
    },
    Gpio(GpioSettings),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdbSettings {
    pub port: String,
    /// `None`: always idle; `Some(funds)`: authorization first with these funds.
    pub start_funds: Option<Money>,
    pub deny_command: String,
    /// Further `C,SETCONF` pairs (`mdb-timeout-vend=...`, `mdb-addr=0x60`).
    pub hat_settings: Vec<(String, String)>,
    pub link_timeout_ms: u64,
    /// The HAT's reset line (BCM GPIO6 on the MDB Pi HAT), pulled low when the HAT hangs.
    pub reset_pin: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpioSettings {
    /// One request input per product line, with its price.
    pub lines: Vec<(u8, Money)>,
    pub relay_pin: u8,
    pub pulse_ms: u64,
    pub drop_sensor_pin: Option<u8>,
    pub drop_window_ms: u64,
}

#[derive(Clone, Copy)]
enum Kind {
    Mdb,
    Socket,
    Gpio,
}

#[derive(Clone, Copy)]
enum Style {
    AlwaysIdle,
    AuthorizationFirst,
}

impl Reader<'_> {
    pub(super) fn vending(
        &mut self,
        root: &mut Table,
        terminal: Option<&TerminalConfig>,
        providers: &ProvidersConfig,
        hardware: &HardwareConfig,
    ) -> Option<VendingConfig> {
        let mut t = self.table(root, "vending", true)?;
        let currency = terminal.map(|t| t.currency);
        if let Some(term) = terminal
            && term.mode != Mode::Vending
        {
            self.problem(
                t.at.as_ref(),
                t.key("kind"),
                "[vending] needs [terminal] mode = \"vending\"",
            );
        }
        let kind = self.choice(
            &mut t,
            "kind",
            &[
                ("mdb", Kind::Mdb),
                ("socket", Kind::Socket),
                ("gpio", Kind::Gpio),
            ],
        );
        if !t.table.contains_key("kind") {
            self.missing(&t, "kind", "the vend controller: mdb, socket or gpio");
        }
        let payment = self.unsigned(&mut t, "payment_timeout_seconds", 10..=600, 50);
        let vmc = self.unsigned(&mut t, "vmc_timeout_seconds", 10..=3_600, 120);
        let result = self.unsigned(&mut t, "result_timeout_seconds", 5..=3_600, 180);
        if payment >= vmc {
            let span = t.table.get("payment_timeout_seconds").map(|v| v.span());
            self.problem(
                span.as_ref().or(t.at.as_ref()),
                t.key("payment_timeout_seconds"),
                format!(
                    "{payment} s is not shorter than vmc_timeout_seconds ({vmc} s): the machine \
                     would give up while the customer may still pay"
                ),
            );
        }
        let mcash = providers.get::<crate::providers::mcash::config::McashSettings>("mcash");
        if let Some(m) = mcash
            && u64::from(m.expires_in_seconds) >= vmc
        {
            self.problem(
                t.at.as_ref(),
                "providers.mcash.expires_in_seconds".to_string(),
                format!(
                    "{} s is not shorter than [vending] vmc_timeout_seconds ({vmc} s): a \
                     payment request would outlive the vend it pays for",
                    m.expires_in_seconds
                ),
            );
        }

        // Every controller's keys are read (and so known), whichever is chosen.
        let port = self.text(&mut t, "port", 200);
        let style = self.choice(
            &mut t,
            "session",
            &[
                ("always-idle", Style::AlwaysIdle),
                ("authorization-first", Style::AuthorizationFirst),
            ],
        );
        let start_funds = self.money(&mut t, "start_funds", currency);
        let deny_command = self.text(&mut t, "deny_command", 40);
        if let Some(d) = &deny_command
            && (!d.starts_with("C,") || !d.is_ascii())
        {
            let span = t.table.get("deny_command").map(|v| v.span());
            self.problem(
                span.as_ref(),
                t.key("deny_command"),
                "must be a HAT command such as \"C,VEND,-1\" or \"C,VEND,0\"",
            );
        }
        let hat_settings = self.pairs(&mut t, "hat_settings");
        let link_timeout_ms = self.unsigned(&mut t, "link_timeout_ms", 500..=600_000, 10_000);
        let reset_pin = self.pin(&mut t, "reset_pin", GPIO);
        let socket_path = self.text(&mut t, "socket_path", 200);
        let tcp = self.tcp(&mut t);
        let request_pins = self.pin_list(&mut t, "request_pins");
        let prices = self.price_list(&mut t, "prices", currency);
        let relay_pin = self.pin(&mut t, "relay_pin", GPIO);
        let pulse_ms = self.unsigned(&mut t, "pulse_ms", 20..=10_000, 500);
        let drop_sensor_pin = self.pin(&mut t, "drop_sensor_pin", GPIO);
        let drop_window_ms = self.unsigned(&mut t, "drop_window_ms", 100..=60_000, 3_000);

        let controller = match kind? {
            Kind::Mdb => {
                let authorization_first = matches!(style, Some(Style::AuthorizationFirst));
                if authorization_first && !t.table.contains_key("start_funds") {
                    self.missing(
                        &t,
                        "start_funds",
                        "the funds a session opens with (the dearest product's price)",
                    );
                }
                self.gpio_pins_unique(&t, &[], [None, None, reset_pin], hardware);
                VendController::Mdb(MdbSettings {
                    port: port.unwrap_or_else(|| DEFAULT_MDB_PORT.to_string()),
                    start_funds: if authorization_first {
                        start_funds
                    } else {
                        None
                    },
                    deny_command: deny_command
                        .filter(|d| d.starts_with("C,") && d.is_ascii())
                        .unwrap_or_else(|| DEFAULT_DENY_COMMAND.to_string()),
                    hat_settings: hat_settings.unwrap_or_default(),
                    link_timeout_ms,
                    reset_pin,
                })
            }
            Kind::Socket => VendController::Socket {
                path: socket_path
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET_PATH)),
                tcp,
            },
            Kind::Gpio => {
                let lines = match (&request_pins, &prices) {
                    (Some(pins), Some(prices)) if pins.len() == prices.len() => pins
                        .iter()
                        .copied()
                        .zip(prices.iter().copied())
                        .collect::<Vec<_>>(),
                    (Some(pins), Some(prices)) => {
                        let span = t.table.get("prices").map(|v| v.span());
                        self.problem(
                            span.as_ref(),
                            t.key("prices"),
                            format!(
                                "{} prices for {} request pins: one price per line",
                                prices.len(),
                                pins.len()
                            ),
                        );
                        Vec::new()
                    }
                    _ => {
                        self.missing(&t, "request_pins", "one request input per product line");
                        self.missing(&t, "prices", "one price per request pin");
                        Vec::new()
                    }
                };
                if relay_pin.is_none() {
                    self.missing(&t, "relay_pin", "the vend relay's GPIO");
                }
                self.gpio_pins_unique(&t, &lines, [relay_pin, drop_sensor_pin, None], hardware);
                VendController::Gpio(GpioSettings {
                    lines,
                    relay_pin: relay_pin?,
                    pulse_ms,
                    drop_sensor_pin,
                    drop_window_ms,
                })
            }
        };
        self.finish(t);
        Some(VendingConfig {
            controller,
            payment_timeout_seconds: payment,
            vmc_timeout_seconds: vmc,
            result_timeout_seconds: result,
        })
    }

    /// `tcp_port` (on 127.0.0.1) or `tcp_address` (a loopback address and port), not both.
    /// Anything but loopback is refused: the vend API has no authentication, and anyone who
    /// reaches it can vend.
    fn tcp(&mut self, t: &mut Table) -> Option<SocketAddr> {
        let port = self
            .integer(t, "tcp_port", 1..=65_535)
            .and_then(|p| u16::try_from(p).ok());
        let address = self.text(t, "tcp_address", 60);
        let span = t.table.get("tcp_address").map(|v| v.span());
        let address = address.and_then(|a| match a.parse::<SocketAddr>() {
            Ok(addr) if addr.ip().is_loopback() && addr.port() != 0 => Some(addr),
            Ok(addr) if addr.port() == 0 => {
                self.problem(
                    span.as_ref(),
                    t.key("tcp_address"),
                    format!("{a}: port 0 is not a port to listen on"),
                );
                None
            }
            Ok(addr) => {
                self.problem(
                    span.as_ref(),
                    t.key("tcp_address"),
                    format!(
                        "{} is not a loopback address: the vend API has no authentication, so \
                         it listens on 127.0.0.1 or [::1] only (for example \"127.0.0.1:{}\")",
                        addr.ip(),
                        addr.port()
                    ),
                );
                None
            }
            Err(_) => {
                self.problem(
                    span.as_ref(),
                    t.key("tcp_address"),
                    format!(
                        "{a:?} is not an address and port such as \"127.0.0.1:8790\" or \
                         \"[::1]:8790\""
                    ),
                );
                None
            }
        });
        if port.is_some() && t.table.contains_key("tcp_address") {
            self.problem(
                span.as_ref(),
                t.key("tcp_address"),
                "set tcp_port (on 127.0.0.1) or tcp_address, not both",
            );
            return None;
        }
        address.or(port.map(|p| SocketAddr::from((Ipv4Addr::LOCALHOST, p))))
    }

    fn array<'t, 'i>(
        &mut self,
        t: &mut Table<'t, 'i>,
        k: &'static str,
    ) -> Option<&'t toml::de::DeArray<'i>> {
        let v = t.get(k)?;
        match v.get_ref() {
            DeValue::Array(items) => Some(items),
            _ => {
                self.wrong_type(t, k, v, "an array");
                None
            }
        }
    }

    /// `["key=value", ...]`.
    fn pairs(&mut self, t: &mut Table, k: &'static str) -> Option<Vec<(String, String)>> {
        let items = self.array(t, k)?;
        let mut out = Vec::new();
        for item in items.iter() {
            let pair = match item.get_ref() {
                DeValue::String(s) => s.split_once('=').and_then(|(a, b)| {
                    let ok = |x: &str| {
                        !x.is_empty()
                            && x.bytes()
                                .all(|c| c.is_ascii_alphanumeric() || b"-_.x".contains(&c))
                    };
                    (ok(a) && ok(b)).then(|| (a.to_string(), b.to_string()))
                }),
                _ => None,
            };
            match pair {
                Some(p) => out.push(p),
                None => {
                    self.problem(
                        Some(&item.span()),
                        t.key(k),
                        "expected \"setting=value\" such as \"mdb-timeout-vend=120\"",
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn pin_list(&mut self, t: &mut Table, k: &'static str) -> Option<Vec<u8>> {
        let items = self.array(t, k)?;
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
                    Ok(n) if GPIO.contains(&n) => out.push(n as u8),
                    _ => {
                        self.problem(
                            Some(&item.span()),
                            t.key(k),
                            format!("GPIO numbers are BCM {} to {}", GPIO.start(), GPIO.end()),
                        );
                        return None;
                    }
                },
                other => {
                    let got = type_name(other);
                    self.problem(
                        Some(&item.span()),
                        t.key(k),
                        format!("expected a GPIO number, found {got}"),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn price_list(
        &mut self,
        t: &mut Table,
        k: &'static str,
        currency: Option<crate::money::Currency>,
    ) -> Option<Vec<Money>> {
        let items = self.array(t, k)?;
        let mut out = Vec::new();
        for item in items.iter() {
            let parsed = match (item.get_ref(), currency) {
                (DeValue::String(s), Some(c)) => Money::parse_input(s, c)
                    .map_err(|e| e.to_string())
                    .and_then(|m| {
                        if m.is_positive() {
                            Ok(m)
                        } else {
                            Err("a price must be more than zero".into())
                        }
                    }),
                (DeValue::String(_), None) => return None,
                (other, _) => Err(format!(
                    "expected a decimal string such as \"2.50\", found {}",
                    type_name(other)
                )),
            };
            match parsed {
                Ok(m) => out.push(m),
                Err(e) => {
                    self.problem(Some(&item.span()), t.key(k), e);
                    return None;
                }
            }
        }
        Some(out)
    }

    /// The controller's pins drive one thing each, and none of `[hardware]`'s: the GPIO
    /// controller's request lines, then its relay, its drop sensor, and the MDB HAT's reset line.
    fn gpio_pins_unique(
        &mut self,
        t: &Table,
        lines: &[(u8, Money)],
        [relay, sensor, reset]: [Option<u8>; 3],
        hw: &HardwareConfig,
    ) {
        let mut taken: Vec<(u8, String)> = Vec::new();
        if let Some(k) = hw.keypad {
            for p in k.rows.iter().chain(k.columns.iter()) {
                taken.push((*p, "the keypad in [hardware]".into()));
            }
        }
        for (p, what) in [
            (hw.green_light_pin, "hardware.green_light_pin"),
            (hw.red_light_pin, "hardware.red_light_pin"),
            (hw.buzzer_pin, "hardware.buzzer_pin"),
            (hw.vend_relay_pin, "hardware.vend_relay_pin"),
        ] {
            if let Some(p) = p {
                taken.push((p, what.into()));
            }
        }
        let mut mine: Vec<(u8, &'static str)> =
            lines.iter().map(|(p, _)| (*p, "request_pins")).collect();
        mine.extend(relay.map(|p| (p, "relay_pin")));
        mine.extend(sensor.map(|p| (p, "drop_sensor_pin")));
        mine.extend(reset.map(|p| (p, "reset_pin")));
        for (pin, key) in mine {
            if let Some((_, other)) = taken.iter().find(|(p, _)| *p == pin) {
                let span = t.table.get(key).map(|v| v.span());
                self.problem(
                    span.as_ref(),
                    t.key(key),
                    format!("GPIO {pin} is already used by {other}"),
                );
            } else {
                taken.push((pin, t.key(key)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{Config, ConfigErrors, LoadContext};
    use crate::money::Currency;

    fn load(vending: &str, expires: u32, mode: &str) -> Result<Config, ConfigErrors> {
        let text = format!(
            "[terminal]\nid = \"V1\"\nmode = \"{mode}\"\ncurrency = \"NOK\"\n\
             max_amount = \"1000\"\n\n[providers.mcash]\nbase_url = \"http://127.0.0.1:8700/mcash/merchant/v1/\"\n\
             merchant_id = \"m\"\nuser_id = \"u\"\nsecret = \"s\"\nexpires_in_seconds = {expires}\n\n\
             [hardware]\nbuzzer_pin = 18\n\n[vending]\n{vending}\n"
        );
        let ctx = LoadContext {
            config_dir: PathBuf::from("/nonexistent"),
            credentials_directory: None,
            state_directory: None,
        };
        Config::from_toml_str_in(&text, "kassa.toml", &ctx)
    }

    fn problems(e: ConfigErrors) -> Vec<(String, String)> {
        e.problems.into_iter().map(|p| (p.key, p.message)).collect()
    }

    #[test]
    fn an_mdb_section_loads_with_its_defaults() {
        let c = load("kind = \"mdb\"", 60, "vending").unwrap_or_else(|e| panic!("{e}"));
        let v = c.vending.expect("[vending]");
        assert_eq!(
            (
                v.payment_timeout_seconds,
                v.vmc_timeout_seconds,
                v.result_timeout_seconds
            ),
            (50, 120, 180)
        );
        assert_eq!(
            v.controller,
            VendController::Mdb(MdbSettings {
                port: DEFAULT_MDB_PORT.into(),
                start_funds: None,
                deny_command: DEFAULT_DENY_COMMAND.into(),
                hat_settings: Vec::new(),
                link_timeout_ms: 10_000,
                reset_pin: None,
            })
        );
        let c = load(
            "kind = \"mdb\"\nsession = \"authorization-first\"\nstart_funds = \"50.00\"\n\
             deny_command = \"C,VEND,0\"\nhat_settings = [\"mdb-timeout-vend=120\"]",
            60,
            "vending",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(VendingConfig {
            controller: VendController::Mdb(m),
            ..
        }) = c.vending
        else {
            panic!("mdb")
        };
        assert_eq!(m.start_funds, Some(Money::from_minor(5000, Currency::NOK)));
        assert_eq!(m.deny_command, "C,VEND,0");
        assert_eq!(
            m.hat_settings,
            vec![("mdb-timeout-vend".to_string(), "120".to_string())]
        );
    }

    #[test]
    fn the_payment_must_end_before_the_machine_gives_up() {
        let p = problems(
            load(
                "kind = \"socket\"\npayment_timeout_seconds = 120\nvmc_timeout_seconds = 90",
                300,
                "vending",
            )
            .unwrap_err(),
        );
        let keys: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"vending.payment_timeout_seconds"), "{p:?}");
        assert!(
            keys.contains(&"providers.mcash.expires_in_seconds"),
            "{p:?}"
        );
    }

    #[test]
    fn each_mistake_is_named_by_its_key() {
        let p = problems(load("kind = \"mdb\"\nsesion = \"x\"", 60, "cashier").unwrap_err());
        let keys: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"vending.kind"), "needs vending mode: {p:?}");
        assert!(keys.contains(&"vending.sesion"), "unknown key: {p:?}");

        let p = problems(
            load(
                "kind = \"gpio\"\nrequest_pins = [5, 6]\nprices = [\"2.50\"]\nrelay_pin = 18",
                60,
                "vending",
            )
            .unwrap_err(),
        );
        assert!(
            p.iter()
                .any(|(k, m)| k == "vending.prices" && m.contains("2 request pins")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|(k, m)| k == "vending.relay_pin" && m.contains("hardware.buzzer_pin")),
            "{p:?}"
        );

        let p = problems(
            load(
                "kind = \"mdb\"\ndeny_command = \"VEND 0\"\nsession = \"authorization-first\"",
                60,
                "vending",
            )
            .unwrap_err(),
        );
        assert!(p.iter().any(|(k, _)| k == "vending.deny_command"), "{p:?}");
        assert!(p.iter().any(|(k, _)| k == "vending.start_funds"), "{p:?}");

        let p = problems(load("kind = \"pulse\"", 60, "vending").unwrap_err());
        assert!(
            p.iter()
                .any(|(k, m)| k == "vending.kind" && m.contains("mdb, socket, gpio")),
            "{p:?}"
        );
    }

    #[test]
    fn the_hats_reset_line_is_a_free_gpio() {
        let c =
            load("kind = \"mdb\"\nreset_pin = 6", 60, "vending").unwrap_or_else(|e| panic!("{e}"));
        let Some(VendingConfig {
            controller: VendController::Mdb(m),
            ..
        }) = c.vending
        else {
            panic!("mdb")
        };
        assert_eq!(m.reset_pin, Some(6));
        let p = problems(load("kind = \"mdb\"\nreset_pin = 18", 60, "vending").unwrap_err());
        assert!(
            p.iter()
                .any(|(k, m)| k == "vending.reset_pin" && m.contains("hardware.buzzer_pin")),
            "{p:?}"
        );
    }

    #[test]
    fn the_socket_listens_on_loopback_tcp_only() {
        let tcp = |extra: &str| {
            load(&format!("kind = \"socket\"\n{extra}"), 60, "vending").map(|c| match c.vending {
                Some(VendingConfig {
                    controller: VendController::Socket { tcp, .. },
                    ..
                }) => tcp,
                other => panic!("{other:?}"),
            })
        };
        let ok = |extra: &str| tcp(extra).unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert_eq!(ok(""), None);
        assert_eq!(
            ok("tcp_port = 8790"),
            Some("127.0.0.1:8790".parse().unwrap())
        );
        assert_eq!(
            ok("tcp_address = \"127.0.0.1:8791\""),
            Some("127.0.0.1:8791".parse().unwrap())
        );
        assert_eq!(
            ok("tcp_address = \"[::1]:8792\""),
            Some("[::1]:8792".parse().unwrap())
        );
        for (extra, says) in [
            (
                "tcp_address = \"0.0.0.0:8790\"",
                "0.0.0.0 is not a loopback address",
            ),
            (
                "tcp_address = \"192.168.1.20:8790\"",
                "192.168.1.20 is not a loopback",
            ),
            (
                "tcp_address = \"[::]:8790\"",
                ":: is not a loopback address",
            ),
            ("tcp_address = \"localhost\"", "not an address and port"),
            ("tcp_address = \"127.0.0.1:0\"", "port 0"),
            (
                "tcp_port = 8790\ntcp_address = \"127.0.0.1:8790\"",
                "not both",
            ),
        ] {
            let p = problems(tcp(extra).expect_err(extra));
            assert!(
                p.iter()
                    .any(|(k, m)| k == "vending.tcp_address" && m.contains(says)),
                "{extra}: {p:?}"
            );
        }
    }

    #[test]
    fn a_gpio_machine_has_a_price_per_line() {
        let c = load(
            "kind = \"gpio\"\nrequest_pins = [5, 6]\nprices = [\"2.50\", \"3\"]\nrelay_pin = 24\n\
             drop_sensor_pin = 16",
            60,
            "vending",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(VendingConfig {
            controller: VendController::Gpio(g),
            ..
        }) = c.vending
        else {
            panic!("gpio")
        };
        let nok = |m| Money::from_minor(m, Currency::NOK);
        assert_eq!(g.lines, vec![(5, nok(250)), (6, nok(300))]);
        assert_eq!(
            (g.relay_pin, g.drop_sensor_pin, g.pulse_ms),
            (24, Some(16), 500)
        );
    }
}
