//! Kassa: a payment terminal for mobile money.
//!
//! `core` is the terminal as a pure state machine; `runtime` carries out its effects; `hw` is
//! the keypad, lights, buzzer and relay on the device; `vend` connects a vending machine;
//! `providers` speak to the payment services; `money` and `config` are shared vocabulary.

pub mod boot;
pub mod cli;
pub mod config;
pub mod console;
pub mod core;
pub mod hw;
pub mod journal;
pub mod money;
pub mod pay;
pub mod providers;
pub mod runtime;
#[cfg(feature = "sim")]
pub mod sim;
pub mod ui;
pub mod vend;
