//! Vend controllers: what connects the terminal to a vending machine. One is chosen in
//! `[vending]` (`kind`):
//!
//! - [`mdb`]: an MDB cashless device through a Raspberry Pi MDB HAT (the Qibixx line protocol on
//!   a serial port),
//! - [`socket`]: line-delimited JSON on a Unix socket (or loopback TCP), for machines run by a
//!   computer,
//! - [`gpio`]: a request input per product line with a fixed price, the vend relay, an optional
//!   drop sensor.
//!
//! Each controller turns its machine's words into [`MachineEvent`]s and carries out
//! [`MachineCommand`]s; [`session`] (pure) and [`bridge`] (its async shell) turn those into the
//! core's vend events and back, with the terminal's own deadlines. The core answers every vend
//! request exactly once (`Effect::Vend` or `Effect::VendDenied`), which keeps the two in step.

pub mod bridge;
pub mod demo;
pub mod gpio;
pub mod mdb;
pub mod session;
pub mod socket;

use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{Config, VendController, VendingConfig};
use crate::core::sale::SaleKey;
use crate::money::Money;
use crate::runtime::{Output, RuntimeHandle};

#[derive(Debug, Error)]
pub enum VendError {
    #[error("[vending] port {port}: {reason}")]
    Serial { port: String, reason: String },
    #[error("[vending] {key}: {reason}")]
    Socket { key: &'static str, reason: String },
    #[error("[vending] {0}")]
    Gpio(String),
    #[error("the vend controller stopped: {0}")]
    Stopped(String),
}

/// What the machine says, in the terminal's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MachineEvent {
    /// The customer chose a product: sell it at exactly this price. `item` is the machine's
    /// product number, when it gives one.
    Request { price: Money, item: Option<u32> },
    /// Before the vend was approved: the machine no longer wants it (its cancel, its time-out,
    /// the session ended, the reader was reset).
    Withdrawn { why: String },
    /// After the approval: whether the product was delivered.
    Result { delivered: bool, why: String },
}

/// What the terminal tells the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MachineCommand {
    /// Vend: the payment for exactly `price` is authorized (or paid).
    Approve { price: Money, sale: SaleKey },
    /// Do not vend.
    Deny { reason: String },
    /// The vend's payment is settled: captured (`charged`) or given back.
    Settled {
        sale: SaleKey,
        charged: bool,
        outcome: String,
    },
}

/// The terminal's deadlines from `[vending]`.
pub fn timing(v: &VendingConfig) -> session::Timing {
    session::Timing {
        payment_timeout_ms: v.payment_timeout_seconds.saturating_mul(1000),
        result_timeout_ms: v.result_timeout_seconds.saturating_mul(1000),
    }
}

/// The MDB HAT's reset line, opened high (the HAT runs) on the Pi's GPIO.
fn reset_line(pin: Option<u8>) -> Result<Option<mdb::ResetLine>, VendError> {
    let Some(pin) = pin else {
        return Ok(None);
    };
    let pi = crate::hw::rpi::Pi::open().map_err(|e| VendError::Gpio(e.to_string()))?;
    let line = pi
        .output_high("vending.reset_pin", pin)
        .map_err(|e| VendError::Gpio(e.to_string()))?;
    Ok(Some(Box::new(line)))
}

/// Starts the configured controller and the bridge to the runtime (whose outputs it takes:
/// signals go on to `others`). The bridge's task ends when the runtime stops.
pub async fn start(
    config: &Config,
    vending: &VendingConfig,
    timing: session::Timing,
    handle: RuntimeHandle,
    outputs: mpsc::UnboundedReceiver<Output>,
    others: Option<mpsc::UnboundedSender<Output>>,
) -> Result<JoinHandle<()>, VendError> {
    let (machine, bridge_link) = bridge::link();
    let currency = config.terminal.currency;
    match &vending.controller {
        VendController::Mdb(m) => {
            let style = match m.start_funds {
                Some(funds) => mdb::hat::SessionStyle::AuthorizationFirst { funds },
                None => mdb::hat::SessionStyle::AlwaysIdle,
            };
            mdb::spawn(
                mdb::MdbConfig {
                    port: m.port.clone(),
                    hat: mdb::hat::HatSettings {
                        currency,
                        style,
                        deny_command: m.deny_command.clone(),
                        extra_settings: m.hat_settings.clone(),
                    },
                    link_timeout: std::time::Duration::from_millis(m.link_timeout_ms),
                },
                machine,
                reset_line(m.reset_pin)?,
            )?;
        }
        VendController::Socket { path, tcp } => {
            socket::spawn(
                socket::SocketConfig {
                    path: path.clone(),
                    tcp: *tcp,
                    currency,
                },
                machine,
            )
            .await?;
        }
        VendController::Gpio(g) => {
            let pi = crate::hw::rpi::Pi::open().map_err(|e| VendError::Gpio(e.to_string()))?;
            let gpio_err = |e: crate::hw::HwError| VendError::Gpio(e.to_string());
            let mut lines = Vec::new();
            for (pin, price) in &g.lines {
                lines.push(gpio::GpioLine {
                    input: Box::new(pi.input("vending.request_pins", *pin).map_err(gpio_err)?),
                    price: *price,
                });
            }
            let drop_sensor: Option<Box<dyn crate::hw::pins::InputPin>> = match g.drop_sensor_pin {
                Some(p) => Some(Box::new(
                    pi.input("vending.drop_sensor_pin", p).map_err(gpio_err)?,
                )),
                None => None,
            };
            gpio::spawn(
                gpio::GpioMachine {
                    lines,
                    relay: Box::new(
                        pi.output("vending.relay_pin", g.relay_pin)
                            .map_err(gpio_err)?,
                    ),
                    drop_sensor,
                    pulse_ms: g.pulse_ms,
                    drop_window_ms: g.drop_window_ms,
                },
                machine,
            )?;
        }
    }
    Ok(tokio::spawn(bridge::run(
        handle,
        outputs,
        bridge_link,
        others,
        timing,
    )))
}

#[cfg(all(test, feature = "sim"))]
mod flow_tests;
