//! The terminal's own hardware: the 4x4 keypad ([`keypad`]), the lights, buzzer and vend relay
//! ([`outputs`]), behind pin traits ([`pins`]) with simulated twins. [`rpi`] is the Raspberry
//! Pi backend (rppal); with `[hardware] enabled = false` the twins stand in. [`display`] is the
//! optional small customer display.

pub mod display;
pub mod keypad;
pub mod outputs;
pub mod pins;
pub mod rpi;

use thiserror::Error;

use crate::config::HardwareConfig;
use crate::core::Key;
use crate::core::sale::SaleKey;
use keypad::{Keypad, KeypadEvent, KeypadLayout, ScanTiming};
use outputs::{Lines, OutputTiming, Outputs, OutputsHandle, OutputsThread};
use pins::{OutputPin, PinBank, SimClock, SimOutput};

#[derive(Debug, Error)]
pub enum HwError {
    #[error(
        "[hardware] enabled = true, but the GPIO cannot be opened ({reason}). On a Raspberry Pi, \
run kassa as a user in the gpio group (it opens /dev/gpiomem); on any other machine, set \
`enabled = false` in [hardware]"
    )]
    NoGpio { reason: String },
    #[error("[hardware] {key}: GPIO {pin} cannot be used ({reason})")]
    Pin {
        key: &'static str,
        pin: u8,
        reason: String,
    },
    #[error("no such line: {0}")]
    NoSuchLine(String),
    #[error("cannot start a hardware thread: {0}")]
    Thread(String),
}

/// The opened hardware (or its twins), not yet running.
pub struct Device {
    keypad: Option<(Box<dyn PinBank>, KeypadLayout)>,
    lines: Lines,
    timing: OutputTiming,
}

/// The running hardware: dropping it stops the keypad and switches the outputs off.
pub struct Running {
    /// Stopped first, so no key arrives after the outputs are gone.
    keypad: Option<Keypad>,
    outputs_thread: OutputsThread,
    pub outputs: OutputsHandle,
}

impl Device {
    /// Opens what `[hardware]` names: the real pins with `enabled = true` (an error off a Pi),
    /// else simulated outputs (they log at debug level) and no keypad.
    pub fn open(config: &HardwareConfig) -> Result<Device, HwError> {
        let timing = OutputTiming {
            key_beep_ms: config.key_beep_ms,
            light_ms: OutputTiming::default().light_ms,
            vend_pulse_ms: config.vend_pulse_ms,
        };
        if !config.enabled {
            let clock = SimClock::real();
            let sim = |name| -> Option<Box<dyn OutputPin>> {
                Some(Box::new(SimOutput::new(name, clock.clone())))
            };
            return Ok(Device {
                keypad: None,
                lines: Lines {
                    green: sim("green light"),
                    red: sim("red light"),
                    buzzer: sim("buzzer"),
                    relay: sim("vend relay"),
                },
                timing,
            });
        }
        let pi = rpi::Pi::open()?;
        let output = |key: &'static str, pin: Option<u8>| -> Result<_, HwError> {
            Ok(match pin {
                Some(pin) => Some(Box::new(pi.output(key, pin)?) as Box<dyn OutputPin>),
                None => None,
            })
        };
        let lines = Lines {
            green: output("green_light_pin", config.green_light_pin)?,
            red: output("red_light_pin", config.red_light_pin)?,
            buzzer: output("buzzer_pin", config.buzzer_pin)?,
            relay: output("vend_relay_pin", config.vend_relay_pin)?,
        };
        let keypad = match config.keypad {
            Some(pins) => Some((
                Box::new(pi.keypad(pins.rows, pins.columns)?) as Box<dyn PinBank>,
                config.keypad_layout,
            )),
            None => None,
        };
        Ok(Device {
            keypad,
            lines,
            timing,
        })
    }

    /// Simulated outputs and keypad, for tests.
    pub fn simulated(
        lines: Lines,
        keypad: Option<(Box<dyn PinBank>, KeypadLayout)>,
        timing: OutputTiming,
    ) -> Device {
        Device {
            keypad,
            lines,
            timing,
        }
    }

    /// Starts the outputs and the keypad. Each key press beeps and goes to `on_key` (on the
    /// keypad's thread); each finished vend to `on_vended` (on the outputs' thread).
    pub fn start(
        self,
        on_key: impl Fn(Key) + Send + 'static,
        on_vended: impl FnMut(SaleKey, bool) + Send + 'static,
    ) -> Result<Running, HwError> {
        let (outputs_thread, outputs) =
            OutputsThread::spawn(Outputs::new(self.lines, self.timing), on_vended)?;
        let keypad = match self.keypad {
            Some((bank, layout)) => {
                let beep = outputs.clone();
                Some(Keypad::spawn(
                    bank,
                    layout,
                    ScanTiming::default(),
                    move |event| {
                        if let KeypadEvent::Pressed(key) = event {
                            beep.send(outputs::Command::Signal(crate::core::Signal::KeyClick));
                            on_key(key);
                        }
                    },
                )?)
            }
            None => None,
        };
        Ok(Running {
            keypad,
            outputs_thread,
            outputs,
        })
    }
}

impl Running {
    /// Stops the keypad, then the outputs (all off).
    pub fn stop(mut self) {
        if let Some(k) = self.keypad.take() {
            let _ = k.stop();
        }
        self.outputs_thread.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hw::pins::SimPinBank;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_keypad_press_beeps_and_reaches_the_terminal() {
        let clock = SimClock::real();
        let buzzer = SimOutput::new("buzzer", clock);
        let (bank, keys) = SimPinBank::new();
        let device = Device::simulated(
            Lines {
                buzzer: Some(Box::new(buzzer.clone())),
                ..Lines::default()
            },
            Some((Box::new(bank), KeypadLayout::default())),
            OutputTiming::default(),
        );
        let (tx, rx) = mpsc::channel();
        let running = device
            .start(
                move |k| {
                    let _ = tx.send(k);
                },
                |_, _| {},
            )
            .unwrap();
        keys.press(3, 2);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Key::Enter));
        keys.release(3, 2);
        // The click: on, then off 30 ms later (after the "all off" at start).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while buzzer.changes().len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let ons: Vec<bool> = buzzer.changes().iter().map(|c| c.on).collect();
        assert_eq!(ons, [false, true, false]);
        running.stop();
    }

    #[test]
    fn disabled_hardware_opens_simulated_twins_on_any_machine() {
        let config = HardwareConfig::default();
        assert!(!config.enabled);
        let device = Device::open(&config).unwrap();
        assert!(device.keypad.is_none());
        assert!(
            device.lines.relay.is_some(),
            "the vend relay's twin pulses in demos"
        );
    }

    /// What `kassa run` does with `enabled = true` on this (non-Pi) CI machine.
    #[test]
    fn enabled_hardware_off_a_pi_is_an_error_naming_the_setting() {
        let on_a_pi = std::fs::read_to_string("/proc/device-tree/compatible")
            .is_ok_and(|c| c.contains("brcm,bcm") || c.contains("raspberrypi"));
        let config = HardwareConfig {
            enabled: true,
            ..HardwareConfig::default()
        };
        match Device::open(&config) {
            Ok(_) => assert!(on_a_pi, "opened real GPIO on a machine that is not a Pi"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("[hardware] enabled = true"), "{e}");
                assert!(e.contains("set `enabled = false` in [hardware]"), "{e}");
            }
        }
    }
}
