//! `[kiosk]`: how a kiosk shows its code (on screen or a printed sticker), an optional fixed
//! price, and the times after which it moves on by itself. Read in kiosk mode; in another mode
//! the table is checked for typos and a warning says it is not used.
//!
//! Decisions:
//! - A kiosk needs the supervisor PIN: "call staff" (an in-doubt sale) is cleared only with it,
//!   so a kiosk without one could never be cleared.
//! - The sticker works only where the code never changes: mCASH's shortlink (a printed code of
//!   `http://mca.sh/s/<shortlink id>/<pos id>`). Every other provider makes a new code per
//!   payment, so sticker mode with another provider enabled is refused.
//! - The result times default to `[terminal] result_hold_seconds`, so a kiosk configured before
//!   `[kiosk]` existed keeps its behaviour.

use super::ProvidersConfig;
use super::reader::{Reader, Table};
use super::terminal::TerminalConfig;
use crate::core::{KioskCode, KioskSettings, Mode};

/// The providers whose code stays the same for every payment, so it can be printed.
const FIXED_CODE_PROVIDERS: &[&str] = &["mcash"];

/// `[kiosk]`, in seconds as written; [`KioskConfig::settings`] gives the core's milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KioskConfig {
    pub code: KioskCode,
    pub fixed_amount: Option<crate::money::Money>,
    pub attract_seconds: u64,
    pub idle_seconds: u64,
    pub code_seconds: u64,
    pub paid_seconds: u64,
    pub not_paid_seconds: u64,
    pub staff_seconds: u64,
}

impl KioskConfig {
    /// The defaults, with results held as long as `[terminal] result_hold_seconds` says.
    pub fn defaults(result_hold_seconds: u64) -> KioskConfig {
        let d = KioskSettings::default();
        KioskConfig {
            code: d.code,
            fixed_amount: None,
            attract_seconds: d.attract_ms / 1000,
            idle_seconds: d.idle_ms / 1000,
            code_seconds: d.code_ms / 1000,
            paid_seconds: result_hold_seconds,
            not_paid_seconds: result_hold_seconds,
            staff_seconds: d.staff_ms / 1000,
        }
    }

    pub fn settings(&self) -> KioskSettings {
        let ms = |s: u64| s.saturating_mul(1000);
        KioskSettings {
            code: self.code,
            fixed_amount: self.fixed_amount,
            attract_ms: ms(self.attract_seconds),
            idle_ms: ms(self.idle_seconds),
            code_ms: ms(self.code_seconds),
            paid_ms: ms(self.paid_seconds),
            not_paid_ms: ms(self.not_paid_seconds),
            staff_ms: ms(self.staff_seconds),
        }
    }
}

impl Reader<'_> {
    pub(super) fn kiosk(
        &mut self,
        root: &mut Table,
        terminal: Option<&TerminalConfig>,
        providers: &ProvidersConfig,
    ) -> KioskConfig {
        let hold = terminal.map_or(8, |t| t.result_hold_seconds);
        let mut k = KioskConfig::defaults(hold);
        let kiosk_mode = terminal.is_some_and(|t| t.mode == Mode::Kiosk);
        if kiosk_mode
            && let Some(t) = terminal
            && t.supervisor_pin_hash.is_none()
        {
            self.problem(
                root.table.get("terminal").map(|v| v.span()).as_ref(),
                "terminal.supervisor_pin_hash".to_string(),
                "a kiosk needs the supervisor PIN: only it clears the \"call staff\" screen of a \
                 sale in doubt (make one with `kassa config hash-pin`)",
            );
        }
        let Some(mut t) = self.table(root, "kiosk", true) else {
            return k;
        };
        if !kiosk_mode && terminal.is_some() {
            self.warn(
                t.at.as_ref(),
                "kiosk".to_string(),
                "read only when terminal.mode = \"kiosk\"",
            );
        }
        let sticker_span = t.table.get("code").map(|v| v.span());
        k.code = self
            .choice(
                &mut t,
                "code",
                &[
                    ("screen", KioskCode::Screen),
                    ("sticker", KioskCode::Sticker),
                ],
            )
            .unwrap_or(k.code);
        let currency = terminal.map(|t| t.currency);
        let amount_span = t.table.get("amount").map(|v| v.span());
        k.fixed_amount = self.money(&mut t, "amount", currency);
        if let Some(m) = k.fixed_amount {
            let max = terminal.map(|t| t.max_amount);
            let problem = if !m.is_positive() {
                Some("must be more than 0".to_string())
            } else if let Some(max) = max
                && m.minor() > max.minor()
            {
                Some(format!("must not be more than terminal.max_amount ({max})"))
            } else {
                None
            };
            if let Some(problem) = problem {
                self.problem(amount_span.as_ref(), t.key("amount"), problem);
                k.fixed_amount = None;
            }
        }
        k.attract_seconds = self.unsigned(&mut t, "attract_seconds", 0..=3600, k.attract_seconds);
        k.idle_seconds = self.unsigned(&mut t, "idle_seconds", 5..=600, k.idle_seconds);
        k.code_seconds = self.unsigned(&mut t, "code_seconds", 20..=1800, k.code_seconds);
        k.paid_seconds = self.unsigned(&mut t, "paid_seconds", 1..=600, k.paid_seconds);
        k.not_paid_seconds = self.unsigned(&mut t, "not_paid_seconds", 1..=600, k.not_paid_seconds);
        k.staff_seconds = self.unsigned(&mut t, "staff_seconds", 15..=3600, k.staff_seconds);
        if kiosk_mode && k.code == KioskCode::Sticker {
            let changing: Vec<String> = providers
                .enabled()
                .iter()
                .filter(|p| !FIXED_CODE_PROVIDERS.contains(&p.as_str()))
                .map(|p| p.to_string())
                .collect();
            if !changing.is_empty() {
                self.problem(
                    sticker_span.as_ref(),
                    t.key("code"),
                    format!(
                        "a sticker needs a code that never changes, and {} make a new code for \
                         every payment: use code = \"screen\", or enable only {}",
                        changing.join(", "),
                        FIXED_CODE_PROVIDERS.join(", ")
                    ),
                );
            }
        }
        self.finish(t);
        k
    }
}
