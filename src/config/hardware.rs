//! `[hardware]`: the keypad's pins, the lights, the buzzer, the vend relay and the customer
//! display. GPIO pins are BCM numbers and every pin drives one thing.

use std::ops::{Range, RangeInclusive};

use super::ProvidersConfig;
use toml::de::DeValue;

use super::reader::{Reader, Table, type_name};
use crate::core::Mode;

pub(crate) const DEFAULT_VEND_PULSE_MS: u64 = 500;
const DEFAULT_KEY_BEEP_MS: u64 = 30;

/// `[hardware]`: GPIO pins are BCM numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardwareConfig {
    /// `false`: simulated twins of keypad, outputs and display (desktop, tests).
    pub enabled: bool,
    pub keypad: Option<KeypadPins>,
    pub green_light_pin: Option<u8>,
    pub red_light_pin: Option<u8>,
    pub buzzer_pin: Option<u8>,
    pub vend_relay_pin: Option<u8>,
    pub vend_pulse_ms: u64,
    pub customer_display: CustomerDisplay,
    /// Which key each keypad position gives, row by row.
    pub keypad_layout: crate::hw::keypad::KeypadLayout,
    /// The buzzer's click on each key press; 0: silent keys.
    pub key_beep_ms: u64,
}

/// The 4x4 matrix keypad: rows are driven, columns read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeypadPins {
    pub rows: [u8; 4],
    pub columns: [u8; 4],
}

/// The optional small display facing the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerDisplay {
    None,
    Ssd1306_128x64,
    St7789_240x240,
}

impl Default for HardwareConfig {
    fn default() -> Self {
        HardwareConfig {
            enabled: false,
            keypad: None,
            green_light_pin: None,
            red_light_pin: None,
            buzzer_pin: None,
            vend_relay_pin: None,
            vend_pulse_ms: DEFAULT_VEND_PULSE_MS,
            customer_display: CustomerDisplay::None,
            keypad_layout: crate::hw::keypad::KeypadLayout::default(),
            key_beep_ms: DEFAULT_KEY_BEEP_MS,
        }
    }
}

/// BCM GPIO numbers on the Pi's 40-pin header.
pub(crate) const GPIO: RangeInclusive<i64> = 0..=27;

impl Reader<'_> {
    pub(super) fn hardware(
        &mut self,
        root: &mut Table,
        mode: Option<Mode>,
        providers: &ProvidersConfig,
    ) -> HardwareConfig {
        let mut hw = HardwareConfig::default();
        let Some(mut t) = self.table(root, "hardware", true) else {
            return hw;
        };
        hw.enabled = self.boolean(&mut t, "enabled").unwrap_or(false);
        let rows = self.pins4(&mut t, "keypad_row_pins");
        let columns = self.pins4(&mut t, "keypad_column_pins");
        match (&rows, &columns) {
            (Some((rows, _)), Some((columns, _))) => {
                hw.keypad = Some(KeypadPins {
                    rows: *rows,
                    columns: *columns,
                })
            }
            (Some(_), None) if !t.table.contains_key("keypad_column_pins") => self.missing(
                &t,
                "keypad_column_pins",
                "4 column pins to go with the row pins",
            ),
            (None, Some(_)) if !t.table.contains_key("keypad_row_pins") => self.missing(
                &t,
                "keypad_row_pins",
                "4 row pins to go with the column pins",
            ),
            _ => {}
        }
        hw.green_light_pin = self.pin(&mut t, "green_light_pin", GPIO);
        hw.red_light_pin = self.pin(&mut t, "red_light_pin", GPIO);
        hw.buzzer_pin = self.pin(&mut t, "buzzer_pin", GPIO);
        hw.vend_relay_pin = self.pin(&mut t, "vend_relay_pin", GPIO);
        hw.vend_pulse_ms =
            self.unsigned(&mut t, "vend_pulse_ms", 50..=10_000, DEFAULT_VEND_PULSE_MS);
        hw.customer_display = self
            .choice(
                &mut t,
                "customer_display",
                &[
                    ("none", CustomerDisplay::None),
                    ("ssd1306-128x64", CustomerDisplay::Ssd1306_128x64),
                    ("st7789-240x240", CustomerDisplay::St7789_240x240),
                ],
            )
            .unwrap_or(CustomerDisplay::None);
        hw.key_beep_ms = self.unsigned(&mut t, "key_beep_ms", 0..=1_000, DEFAULT_KEY_BEEP_MS);
        if let Some(v) = t.get("keypad_layout") {
            let key = t.key("keypad_layout");
            match v.get_ref() {
                DeValue::Array(rows) if rows.len() == 4 => {
                    let mut layout = hw.keypad_layout;
                    let mut ok = true;
                    for (i, row) in rows.iter().enumerate() {
                        let parsed = match row.get_ref() {
                            DeValue::String(s) => crate::hw::keypad::KeypadLayout::parse_row(s),
                            other => Err(format!(
                                "expected a string of 4 keys, found {}",
                                type_name(other)
                            )),
                        };
                        match parsed {
                            Ok(keys) => layout.keys[i] = keys,
                            Err(e) => {
                                ok = false;
                                self.problem(Some(&row.span()), key.clone(), e);
                            }
                        }
                    }
                    if ok {
                        hw.keypad_layout = layout;
                    }
                }
                _ => self.problem(
                    Some(&v.span()),
                    key,
                    "expected an array of 4 rows, each a string of 4 keys such as \"1 2 3 cancel\"",
                ),
            }
        }
        // The panel must show the providers' QR codes readably (src/hw/display/fit.rs).
        if let Err(e) = crate::hw::display::check_config(hw.customer_display, providers) {
            let span = t.table.get("customer_display").map(|v| v.span());
            self.problem(span.as_ref(), t.key("customer_display"), e.to_string());
        }

        // Every pin drives one thing.
        let mut used: Vec<(u8, String, Range<usize>)> = Vec::new();
        let mut claim = |r: &mut Reader, pin: u8, key: String, span: Range<usize>| {
            if let Some((_, other, _)) = used.iter().find(|(p, _, _)| *p == pin) {
                r.problem(
                    Some(&span),
                    key,
                    format!("GPIO {pin} is already used by {other}"),
                );
            } else {
                used.push((pin, key, span));
            }
        };
        for (k, pins) in [("keypad_row_pins", &rows), ("keypad_column_pins", &columns)] {
            if let Some((pins, span)) = pins {
                for pin in pins {
                    claim(self, *pin, t.key(k), span.clone());
                }
            }
        }
        for (k, pin) in [
            ("green_light_pin", hw.green_light_pin),
            ("red_light_pin", hw.red_light_pin),
            ("buzzer_pin", hw.buzzer_pin),
            ("vend_relay_pin", hw.vend_relay_pin),
        ] {
            if let (Some(pin), Some(v)) = (pin, t.table.get(k)) {
                claim(self, pin, t.key(k), v.span());
            }
        }
        if hw.enabled && mode == Some(Mode::Vending) && hw.vend_relay_pin.is_none() {
            self.warn(
                t.at.as_ref(),
                t.key("vend_relay_pin"),
                "not set in vending mode: the terminal cannot pulse a vend relay",
            );
        }
        self.finish(t);
        hw
    }
}
