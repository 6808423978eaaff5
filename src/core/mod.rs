//! The terminal as a pure state machine, in the style of rustls and quinn-proto:
//! [`Terminal::handle`] takes the time and one [`Event`] and returns the [`Effect`]s the runtime
//! must carry out, in order. Nothing here awaits, sleeps, reads the clock or does I/O, so every
//! flow, timeout and race is a deterministic unit test with a fake clock.

pub mod event;
pub mod locale;
pub mod message;
pub mod pin;
pub mod provider;
pub mod record;
pub mod report;
pub mod resume;
pub mod sale;
pub mod settings;
pub mod summary;
mod terminal;
pub mod time;
pub mod view;

pub use event::{Effect, Event, Key, Signal, Timer, TimerKind};
pub use locale::{Local, Locale};
pub use pin::PinHash;
pub use settings::{Cashier, KioskCode, KioskSettings, Mode, Settings};
pub use terminal::{SUPERVISOR_MENU, Terminal};
pub use time::{Millis, Zone};
