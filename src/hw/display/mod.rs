//! The optional customer display (`[hardware] customer_display`): a small panel facing the
//! customer that shows the amount, the QR code to scan, and whether the sale was paid.
//!
//! Layers, so everything but the wires is tested on any machine:
//! - [`screen`]: what the customer should see, derived from the core's [`View`] (pure);
//! - [`fit`]: whether a QR payload can be drawn on a panel at all (also used by config check);
//! - [`draw`]: the pictures, generic over embedded-graphics' `DrawTarget` and colour;
//! - [`framebuffer`]: an in-memory target (tests, PNG files, and the frame sent to a panel);
//! - [`panel`]: the SSD1306 (I2C) and ST7789 (SPI) drivers over rppal, and the [`Driver`] that
//!   follows the terminal's views.
//!
//! [`View`]: crate::core::view::View

pub mod draw;
pub mod fit;
pub mod framebuffer;
pub mod panel;
pub mod screen;

#[cfg(test)]
mod tests;

pub use fit::{PanelKind, QrFit, TooDense, check_config, longest_qr_payload, qr_fit};
pub use framebuffer::Framebuffer;
pub use panel::{Driver, Panel, follow, open, start};
pub use screen::CustomerScreen;

use thiserror::Error;

/// Why the customer display cannot show something. Every message names the setting to look at.
#[derive(Debug, Error)]
pub enum DisplayError {
    #[error(
        "the customer display ({panel}) cannot be opened: {reason}; check [hardware] customer_display and that {bus} is enabled (raspi-config) and wired"
    )]
    Open {
        panel: &'static str,
        bus: &'static str,
        reason: String,
    },
    #[error("the customer display ({panel}) stopped answering: {reason}")]
    Write { panel: &'static str, reason: String },
    #[error(transparent)]
    TooDense(#[from] TooDense),
    #[error("drawing the customer display failed: {0}")]
    Draw(String),
}
