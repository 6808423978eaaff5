//! The touchscreen, in Slint. `ui/*.slint` holds layout and looks; this module turns the core's
//! [`View`](crate::core::view::View) into the adapter globals ([`model`], [`fill`]) and taps and
//! keys back into core events ([`keys`]). [`run`] is `kassa run`; [`headless`] and [`screens`]
//! draw without a display.

pub mod fill;
pub mod fonts;
pub mod headless;
pub mod keys;
pub mod model;
pub mod po;
pub mod qr;
pub mod run;
pub mod samples;
pub mod screens;
pub mod tr;
pub mod watchdog;
pub mod words;

#[allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]
mod generated {
    slint::include_modules!();
}

pub use generated::*;
