//! `[kiosk]` (in seconds; the core's [`KioskSettings`] in milliseconds): how a kiosk shows its code (on screen or a printed sticker), an optional fixed
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

/// The kiosk's defaults, with results held as long as `[terminal] result_hold_seconds` says.
pub(crate) fn defaults(result_hold_seconds: u64) -> KioskSettings {
    let hold = result_hold_seconds.saturating_mul(1000);
    KioskSettings {
        paid_ms: hold,
        not_paid_ms: hold,
        ..KioskSettings::default()
    }
}

impl Reader<'_> {
    pub(super) fn kiosk(
        &mut self,
        root: &mut Table,
        terminal: Option<&TerminalConfig>,
        providers: &ProvidersConfig,
    ) -> KioskSettings {
        let hold = terminal.map_or(8, |t| t.result_hold_seconds);
        let mut k = defaults(hold);
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
        let mut seconds = |r: &mut Self, key, range, default_ms: u64| {
            r.unsigned(&mut t, key, range, default_ms / 1000)
                .saturating_mul(1000)
        };
        k.attract_ms = seconds(self, "attract_seconds", 0..=3600, k.attract_ms);
        k.idle_ms = seconds(self, "idle_seconds", 5..=600, k.idle_ms);
        k.code_ms = seconds(self, "code_seconds", 20..=1800, k.code_ms);
        k.paid_ms = seconds(self, "paid_seconds", 1..=600, k.paid_ms);
        k.not_paid_ms = seconds(self, "not_paid_seconds", 1..=600, k.not_paid_ms);
        k.staff_ms = seconds(self, "staff_seconds", 15..=3600, k.staff_ms);
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
