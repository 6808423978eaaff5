//! The cashless-device session as the HAT reports it, as a pure state machine: HAT lines and
//! the terminal's commands in, lines for the HAT and [`MachineEvent`]s out.
//!
//! Decisions (MDB.md leaves these to the implementer):
//! - Configuration is volatile, so it is sent at start and after every sign of a HAT reset:
//!   `C,0`, each `C,SETCONF` (one at a time, each waiting for `c,SET,OK`), then `C,1`.
//! - A HAT reset is noticed by silence: no line at all for the link timeout (the VMC polls many
//!   times a second, each poll printing `r,ACK`), or the serial port failing. Configuring again
//!   is harmless when the HAT was fine.
//! - Before approval, `c,ERR,VEND 1`, `c,ERR,VEND 5`, a session end (`IDLE`, `ENABLED`) or a
//!   reader reset (`INACTIVE`, `DISABLED`, a HAT reset) withdraws the vend: its payment is
//!   aborted.
//! - After approval: `c,VEND,SUCCESS` delivered; `c,ERR,VEND 3` (or any other `c,ERR,VEND`) not
//!   delivered; a session end without either not delivered (released: the customer is not
//!   charged for a product nobody confirmed); a reset of the reader or of the HAT counts as
//!   delivered, as MDB 4.2 says of a reset between VEND APPROVED and VEND SUCCESS.
//! - The approval echoes exactly the amount text the HAT sent (its own decimals), after checking
//!   it is the amount the terminal authorized, in minor units; never an integer cut.
//! - Authorization first: `C,START,<funds>` only when the device is enabled with no session, never
//!   mid-vend; the funds are the configured ceiling (the dearest product), not a made-up number.
//!   A refused start (`START -3`) waits for the next status change.
//! - `C,DISPLAY` is not sent: an out-of-sequence command makes the VMC reset the reader, and
//!   when the HAT accepts it mid-session is not documented.

use crate::money::{Currency, Money};

use super::super::{MachineCommand, MachineEvent};
use super::line::{HatLine, Status};

/// How sessions begin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionStyle {
    /// `mdb-always-idle=1`: the customer selects first, the vend request comes unasked.
    AlwaysIdle,
    /// The terminal opens a session with funds first (`C,START,<funds>`).
    AuthorizationFirst { funds: Money },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HatSettings {
    pub currency: Currency,
    pub style: SessionStyle,
    /// The line that denies a vend request already made (`C,VEND,-1`, some use `C,VEND,0`).
    pub deny_command: String,
    /// `C,SETCONF` pairs beyond those the terminal sets itself (timeouts, address).
    pub extra_settings: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Sending the configuration: these lines are still to go, one per `c,SET,OK`.
    Configuring { left: Vec<String> },
    /// Waiting for the device to be enabled by the VMC.
    NotReady,
    /// Enabled, no session.
    Enabled,
    /// `C,START` sent, waiting for `c,STATUS,IDLE`.
    Starting,
    /// A session is open, no vend request.
    Session,
    /// A vend request was passed on; the terminal's answer is awaited.
    Requested {
        amount: String,
        price: Money,
        item: u32,
    },
    /// Approved; the VMC's result is awaited.
    Vending {
        amount: String,
        price: Money,
        item: u32,
    },
}

/// What the machine wants done: lines to write and events for the terminal.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Out {
    pub lines: Vec<String>,
    pub events: Vec<MachineEvent>,
}

pub struct Hat {
    settings: HatSettings,
    state: State,
}

impl Hat {
    pub fn new(settings: HatSettings) -> Hat {
        Hat {
            settings,
            state: State::NotReady,
        }
    }

    /// The configuration lines, in order.
    fn config_lines(&self) -> Vec<String> {
        let s = &self.settings;
        let always_idle = matches!(s.style, SessionStyle::AlwaysIdle);
        let mut lines = vec!["C,0".to_string()];
        let mut set = |k: &str, v: String| lines.push(format!("C,SETCONF,{k}={v}"));
        set("mdb-always-idle", u8::from(always_idle).to_string());
        if let Some(n) = iso_numeric(s.currency) {
            set("mdb-currency-code", format!("0x1{n:03}"));
        }
        set("mdb-decimal-places", s.currency.exponent().to_string());
        for (k, v) in &s.extra_settings {
            set(k, v.clone());
        }
        lines.push("C,1".to_string());
        lines
    }

    /// At start, and after a HAT reset (silence, a serial error): withdraws or settles a vend in
    /// flight and configures the HAT again.
    pub fn reset(&mut self, why: &str) -> Out {
        let mut out = Out::default();
        self.reader_reset(why, &mut out);
        let mut left = self.config_lines();
        let first = left.remove(0);
        out.lines.push(first);
        self.state = State::Configuring { left };
        out
    }

    /// The reader was reset: MDB 4.2's rule for a vend in flight.
    fn reader_reset(&mut self, why: &str, out: &mut Out) {
        match &self.state {
            State::Requested { .. } => out.events.push(MachineEvent::Withdrawn {
                why: format!("{why} before the vend was approved"),
            }),
            State::Vending { .. } => out.events.push(MachineEvent::Result {
                delivered: true,
                why: format!("{why} after the vend was approved: counts as success (MDB 4.2)"),
            }),
            _ => {}
        }
    }

    fn session_over(&mut self, why: &str, out: &mut Out) {
        match &self.state {
            State::Requested { .. } => out.events.push(MachineEvent::Withdrawn {
                why: why.to_string(),
            }),
            State::Vending { .. } => out.events.push(MachineEvent::Result {
                delivered: false,
                why: format!("{why} without VEND SUCCESS"),
            }),
            _ => {}
        }
    }

    fn enabled(&mut self, out: &mut Out) {
        self.state = State::Enabled;
        if let SessionStyle::AuthorizationFirst { funds } = &self.settings.style {
            out.lines
                .push(format!("C,START,{}", funds.to_decimal_string()));
            self.state = State::Starting;
        }
    }

    pub fn line(&mut self, line: HatLine) -> Out {
        let mut out = Out::default();
        let state = std::mem::replace(&mut self.state, State::NotReady);
        self.state = state.clone();
        match (state, line) {
            (_, HatLine::Ack) => {}
            (
                State::Configuring { mut left },
                HatLine::Off | HatLine::SetOk | HatLine::On | HatLine::AlreadyOn,
            ) => {
                if left.is_empty() {
                    self.state = State::NotReady;
                } else {
                    out.lines.push(left.remove(0));
                    self.state = State::Configuring { left };
                }
            }
            (_, HatLine::Status(Status::Inactive | Status::Disabled)) => {
                self.reader_reset("the VMC reset the reader", &mut out);
                if !matches!(self.state, State::Configuring { .. }) {
                    self.state = State::NotReady;
                }
            }
            (State::Configuring { .. }, HatLine::Status(_)) => {}
            (
                state,
                HatLine::Status(Status::Enabled | Status::Online)
                | HatLine::AlreadyOn
                | HatLine::On,
            ) => {
                self.session_over("the VMC ended the session", &mut out);
                if !matches!(state, State::Enabled) {
                    self.enabled(&mut out);
                }
            }
            (State::Starting, HatLine::StartRefused) => self.state = State::Enabled,
            (
                State::Requested { .. } | State::Vending { .. },
                HatLine::Status(Status::Idle { .. }),
            ) => {
                self.session_over("the VMC ended the vend", &mut out);
                self.state = State::Session;
            }
            (_, HatLine::Status(Status::Idle { .. })) => self.state = State::Session,
            (state, HatLine::VendRequest { amount, item }) => {
                self.vend_request(state, amount, item, &mut out)
            }
            (State::Vending { .. }, HatLine::VendSuccess) => {
                out.events.push(MachineEvent::Result {
                    delivered: true,
                    why: "VEND SUCCESS".into(),
                });
                self.state = State::Session;
            }
            (State::Vending { .. }, HatLine::VendError(n)) => {
                out.events.push(MachineEvent::Result {
                    delivered: false,
                    why: format!("VEND {n}: the product did not dispense"),
                });
                self.state = State::Session;
            }
            (State::Requested { .. }, HatLine::VendError(n)) => {
                out.events.push(MachineEvent::Withdrawn {
                    why: format!("VEND {n}: the VMC gave up while the payment was pending"),
                });
                self.state = State::Session;
            }
            (_, other) => tracing::debug!(?other, "MDB line ignored"),
        }
        out
    }

    fn vend_request(&mut self, state: State, amount: String, item: u32, out: &mut Out) {
        let price = match Money::parse_wire_str(&amount, self.settings.currency) {
            Ok(p) if p.is_positive() => p,
            _ => {
                tracing::warn!(%amount, "vend request with an amount the terminal cannot sell");
                out.lines.push(self.settings.deny_command.clone());
                return;
            }
        };
        match state {
            State::Vending {
                price: p, item: i, ..
            } if p == price && i == item => {
                // Re-sent after the approval: the session approves again.
                out.events.push(MachineEvent::Request {
                    price,
                    item: Some(item),
                });
            }
            State::Vending { .. } => {
                tracing::warn!(%amount, item, "a second vend request mid-vend: ignored");
            }
            _ => {
                self.state = State::Requested {
                    amount,
                    price,
                    item,
                };
                out.events.push(MachineEvent::Request {
                    price,
                    item: Some(item),
                });
            }
        }
    }

    pub fn command(&mut self, command: MachineCommand) -> Out {
        let mut out = Out::default();
        match (&self.state, command) {
            (
                State::Requested {
                    amount,
                    price,
                    item,
                }
                | State::Vending {
                    amount,
                    price,
                    item,
                },
                MachineCommand::Approve {
                    price: approved, ..
                },
            ) if *price == approved => {
                out.lines.push(format!("C,VEND,{amount}"));
                self.state = State::Vending {
                    amount: amount.clone(),
                    price: *price,
                    item: *item,
                };
            }
            (State::Requested { .. }, MachineCommand::Approve { price, .. }) => {
                tracing::error!(%price, "approval for another amount than requested: denied");
                out.lines.push(self.settings.deny_command.clone());
                self.state = State::Session;
            }
            (State::Requested { .. }, MachineCommand::Deny { reason }) => {
                tracing::info!(%reason, "vend denied");
                out.lines.push(self.settings.deny_command.clone());
                self.state = State::Session;
            }
            (_, MachineCommand::Approve { sale, .. }) => {
                // The VMC has moved on; the session reports it, nothing is approved late.
                tracing::warn!(%sale, "approval with no vend request pending: not sent");
            }
            (_, MachineCommand::Deny { .. } | MachineCommand::Settled { .. }) => {}
        }
        out
    }
}

/// ISO 4217 numeric codes of the currencies Kassa sells in (`mdb-currency-code` is `0x1` and
/// the code).
pub fn iso_numeric(currency: Currency) -> Option<u16> {
    Some(match currency.code() {
        "NOK" => 578,
        "SEK" => 752,
        "DKK" => 208,
        "EUR" => 978,
        "USD" => 840,
        "GBP" => 826,
        "HTG" => 332,
        "LYD" => 434,
        "LKR" => 144,
        _ => return None,
    })
}
