//! What the core needs from the configuration, already checked by `config`.

use serde::{Deserialize, Serialize};

use super::locale::Local;
use super::pin::PinHash;
use crate::money::{Currency, Money};

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
    /// Time zone and locale of every clock, day and amount shown.
    pub local: Local,
    pub supervisor_pin: Option<PinHash>,
    /// Empty: no sign-in.
    pub cashiers: Vec<Cashier>,
    /// Kiosk mode's times and presentation; read in kiosk mode only.
    pub kiosk: KioskSettings,
}

/// Where a kiosk's customer finds the code to scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KioskCode {
    /// Drawn large on the screen, from the provider's QR payload.
    Screen,
    /// Printed on a sticker beside the screen (mCASH's shortlink never changes): the screen
    /// shows the amount and the state, no code.
    Sticker,
}

/// A kiosk has nobody to press a key: every screen a customer can leave behind has a time after
/// which the kiosk moves on by itself. Milliseconds, checked by `config` (`[kiosk]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KioskSettings {
    pub code: KioskCode,
    /// The operator's fixed price: the customer only taps Pay. `None`: the customer types it.
    pub fixed_amount: Option<Money>,
    /// Untouched start screen -> the attract screen. 0: no attract screen.
    pub attract_ms: u64,
    /// A half-typed amount, the method tiles or a customer form left alone -> the start.
    pub idle_ms: u64,
    /// The code screen gives up (asks the provider to cancel) this long after Pay, unless the
    /// provider's own expiry comes first.
    pub code_ms: u64,
    /// A paid result -> the start.
    pub paid_ms: u64,
    /// A result that is not paid (declined, expired, cancelled, failed, queued) -> the start.
    pub not_paid_ms: u64,
    /// A supervisor page left open -> the start, so the next customer never finds the menu.
    pub staff_ms: u64,
}

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings {
            code: KioskCode::Screen,
            fixed_amount: None,
            attract_ms: 60_000,
            idle_ms: 30_000,
            code_ms: 120_000,
            paid_ms: 8_000,
            not_paid_ms: 8_000,
            staff_ms: 120_000,
        }
    }
}

impl Settings {
    /// Settings for tests and the demo: cashier mode, NOK, 10 000.00 limit, no PINs, UTC and
    /// English.
    pub fn demo(terminal_id: &str) -> Settings {
        Settings {
            terminal_id: terminal_id.to_string(),
            mode: Mode::Cashier,
            currency: Currency::NOK,
            max_amount: Money::from_minor(1_000_000, Currency::NOK),
            result_hold_ms: 8_000,
            poll_interval_ms: 1_000,
            recover_attempts: 5,
            local: Local::default(),
            supervisor_pin: None,
            cashiers: Vec::new(),
            kiosk: KioskSettings::default(),
        }
    }
}
