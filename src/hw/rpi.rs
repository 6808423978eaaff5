//! The Raspberry Pi backend, through rppal (`/dev/gpiomem`). rppal is the owner's choice and its
//! upstream is retired: nothing outside this file names it, so a gpiocdev backend can replace it.

use rppal::gpio::{Bias, Gpio, IoPin, Mode, OutputPin as RppalOutput};

use super::HwError;
use super::pins::{InputPin, OutputPin, PinBank};

/// The GPIO peripheral, opened once.
pub struct Pi {
    gpio: Gpio,
}

impl Pi {
    /// Fails with a message naming `[hardware] enabled` on a machine that is not a Pi (rppal
    /// cannot identify the SoC) or without access to `/dev/gpiomem`.
    pub fn open() -> Result<Pi, HwError> {
        Gpio::new().map(|gpio| Pi { gpio }).map_err(no_gpio)
    }

    /// The keypad's pins: rows released (inputs with pull-ups), columns inputs with pull-ups.
    pub fn keypad(&self, rows: [u8; 4], columns: [u8; 4]) -> Result<RppalBank, HwError> {
        let get = |key: &'static str, pin: u8| {
            self.gpio.get(pin).map_err(|e| HwError::Pin {
                key,
                pin,
                reason: e.to_string(),
            })
        };
        let mut r = Vec::with_capacity(4);
        for pin in rows {
            let mut io = get("keypad_row_pins", pin)?.into_io(Mode::Input);
            io.set_bias(Bias::PullUp);
            r.push(io);
        }
        let mut c = Vec::with_capacity(4);
        for pin in columns {
            c.push(get("keypad_column_pins", pin)?.into_input_pullup());
        }
        Ok(RppalBank {
            rows: r,
            columns: c,
        })
    }

    /// An output line, low (off) to start with.
    pub fn output(&self, key: &'static str, pin: u8) -> Result<RppalPin, HwError> {
        self.output_at(key, pin, false)
    }

    /// An output line, high to start with: a reset line (active low) that must not reset what
    /// it is wired to as it is opened.
    pub fn output_high(&self, key: &'static str, pin: u8) -> Result<RppalPin, HwError> {
        self.output_at(key, pin, true)
    }

    fn output_at(&self, key: &'static str, pin: u8, high: bool) -> Result<RppalPin, HwError> {
        self.gpio
            .get(pin)
            .map(|p| {
                RppalPin(if high {
                    p.into_output_high()
                } else {
                    p.into_output_low()
                })
            })
            .map_err(|e| HwError::Pin {
                key,
                pin,
                reason: e.to_string(),
            })
    }
}

impl Pi {
    /// An input line with the pull-up on: a contact closing to ground makes it active.
    pub fn input(&self, key: &'static str, pin: u8) -> Result<RppalInput, HwError> {
        self.gpio
            .get(pin)
            .map(|p| RppalInput(p.into_input_pullup()))
            .map_err(|e| HwError::Pin {
                key,
                pin,
                reason: e.to_string(),
            })
    }
}

/// An input through rppal: active low (pull-up, contact to ground).
pub struct RppalInput(rppal::gpio::InputPin);

impl InputPin for RppalInput {
    fn is_active(&mut self) -> Result<bool, HwError> {
        Ok(self.0.is_low())
    }
}

fn no_gpio(e: rppal::gpio::Error) -> HwError {
    HwError::NoGpio {
        reason: e.to_string(),
    }
}

/// The keypad's pins through rppal. A selected row is an output driven low; the others are
/// inputs, so they never drive against each other through two pressed keys.
pub struct RppalBank {
    rows: Vec<IoPin>,
    columns: Vec<rppal::gpio::InputPin>,
}

impl PinBank for RppalBank {
    fn drive_row(&mut self, row: usize, active: bool) -> Result<(), HwError> {
        let pin = self
            .rows
            .get_mut(row)
            .ok_or_else(|| HwError::NoSuchLine(format!("keypad row {row}")))?;
        if active {
            pin.set_low();
            pin.set_mode(Mode::Output);
        } else {
            pin.set_mode(Mode::Input);
        }
        Ok(())
    }

    fn read_column(&mut self, column: usize) -> Result<bool, HwError> {
        self.columns
            .get(column)
            .map(|p| p.is_low())
            .ok_or_else(|| HwError::NoSuchLine(format!("keypad column {column}")))
    }
}

/// A light, the buzzer or the relay: high is on (through a transistor or relay module).
pub struct RppalPin(RppalOutput);

impl OutputPin for RppalPin {
    fn set(&mut self, on: bool) -> Result<(), HwError> {
        if on {
            self.0.set_high();
        } else {
            self.0.set_low();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This runs on the CI machines, which are not Raspberry Pis: opening the GPIO must fail
    /// with a message that names the setting to change, and never panic.
    fn names_the_setting(e: &str) {
        assert!(e.contains("[hardware]"), "{e}");
        assert!(e.contains("enabled = false"), "{e}");
        assert!(e.contains("gpio group"), "{e}");
    }

    #[test]
    fn an_unknown_board_names_the_hardware_setting() {
        let e = no_gpio(rppal::gpio::Error::UnknownModel).to_string();
        names_the_setting(&e);
        assert!(
            e.contains("Unknown Raspberry Pi model"),
            "rppal's reason is kept: {e}"
        );
    }

    /// CI runs on x86_64 (and aarch64 under qemu, where /proc describes the x86 host): rppal
    /// cannot identify a Pi there, so the real open must fail with that message, not panic.
    #[test]
    fn off_a_pi_opening_the_gpio_fails_with_that_message() {
        let on_a_pi = std::fs::read_to_string("/proc/device-tree/compatible")
            .is_ok_and(|c| c.contains("brcm,bcm") || c.contains("raspberrypi"));
        match Pi::open() {
            Ok(_) => assert!(on_a_pi, "rppal opened a GPIO on a machine that is not a Pi"),
            Err(e) => names_the_setting(&e.to_string()),
        }
    }
}
