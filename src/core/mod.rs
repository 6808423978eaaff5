//! The terminal as a pure state machine, in the style of rustls and quinn-proto:
//! [`Terminal::handle`] takes the time and one [`Event`] and returns the [`Effect`]s the runtime
//! must carry out, in order. Nothing here awaits, sleeps, reads the clock or does I/O, so every
//! flow, timeout and race is a deterministic unit test with a fake clock.

pub mod event;
pub mod pin;
pub mod provider;
pub mod record;
pub mod report;
pub mod resume;
pub mod sale;
mod terminal;
pub mod view;

use std::ops::Add;

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

pub use event::{Effect, Event, Key, Signal, Timer, TimerKind};
pub use pin::PinHash;
pub use terminal::Terminal;

/// Wall-clock time in milliseconds since the Unix epoch, as given by the runtime.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    pub fn saturating_sub(self, other: Millis) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// How the terminal is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A cashier types amounts; a result stays until a key is pressed.
    Cashier,
    /// A customer alone; the terminal returns to the start by itself.
    Kiosk,
    /// A vend controller asks for a price; authorize, vend, then capture or release.
    Vending,
}

/// A cashier who may sign in, with a hashed PIN.
#[derive(Clone, Debug)]
pub struct Cashier {
    pub id: String,
    pub pin: PinHash,
}

/// Everything the core needs from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub terminal_id: String,
    pub mode: Mode,
    pub currency: Currency,
    /// Largest amount one sale may have.
    pub max_amount: Money,
    /// How long a result stays in kiosk and vending modes before the terminal returns by itself.
    pub result_hold_ms: u64,
    /// Time between status polls while awaiting payment.
    pub poll_interval_ms: u64,
    /// How often a lost answer is asked about before the sale is flagged for a person.
    pub recover_attempts: u32,
    pub supervisor_pin: Option<PinHash>,
    /// Empty: no sign-in.
    pub cashiers: Vec<Cashier>,
}

impl Settings {
    /// Settings for tests and the demo: cashier mode, NOK, 10 000.00 limit, no PINs.
    pub fn demo(terminal_id: &str) -> Settings {
        Settings {
            terminal_id: terminal_id.to_string(),
            mode: Mode::Cashier,
            currency: Currency::NOK,
            max_amount: Money::from_minor(1_000_000, Currency::NOK),
            result_hold_ms: 8_000,
            poll_interval_ms: 1_000,
            recover_attempts: 5,
            supervisor_pin: None,
            cashiers: Vec::new(),
        }
    }
}
