//! What the customer sees, decided from the core's view: the amount while the cashier types it,
//! the QR code with the amount while the sale waits for a scan, then paid or not paid. Anything
//! for the cashier or a supervisor (sign-in, menus, history, reports) is none of the customer's
//! business: the panel shows its idle picture then.

use crate::core::record::Outcome;
use crate::core::view::{Screen, View, Waiting};
use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerScreen {
    /// Nothing to pay: the merchant's name, or a blank panel.
    Idle { title: Option<String> },
    /// The amount as it stands (typed, or the sale under way without a QR code to show).
    Amount { amount: Money, note: Option<String> },
    /// Scan this to pay `amount`.
    Qr { amount: Money, payload: String },
    /// The provider said paid. Only [`View::shows_paid`] leads here.
    Paid { amount: Money },
    /// Declined, expired, cancelled, failed, in doubt or queued: not paid (yet).
    NotPaid { amount: Money, why: String },
}

impl CustomerScreen {
    /// The customer's picture of `view`; `title` is shown when idle.
    pub fn from_view(view: &View, title: Option<&str>) -> CustomerScreen {
        let idle = || CustomerScreen::Idle {
            title: title.map(str::to_string),
        };
        if view.shows_paid()
            && let Screen::Result { amount, .. } = &view.screen
        {
            return CustomerScreen::Paid { amount: *amount };
        }
        match &view.screen {
            Screen::Amount { amount, .. } if amount.minor() == 0 => idle(),
            Screen::Amount { amount, .. } | Screen::Method { amount, .. } => {
                CustomerScreen::Amount {
                    amount: *amount,
                    note: None,
                }
            }
            Screen::Customer { amount, .. } => CustomerScreen::Amount {
                amount: *amount,
                note: None,
            },
            Screen::Paying {
                amount, waiting, ..
            } => match waiting {
                Waiting::Qr { payload, .. } => CustomerScreen::Qr {
                    amount: *amount,
                    payload: payload.clone(),
                },
                Waiting::Push { .. } => CustomerScreen::Amount {
                    amount: *amount,
                    note: Some("Approve on your phone".into()),
                },
                _ => CustomerScreen::Amount {
                    amount: *amount,
                    note: Some("Please wait".into()),
                },
            },
            Screen::Result {
                amount, outcome, ..
            } => CustomerScreen::NotPaid {
                amount: *amount,
                why: why_not(outcome).into(),
            },
            Screen::Queued { amount, .. } => CustomerScreen::NotPaid {
                amount: *amount,
                why: "Queued, not paid".into(),
            },
            _ => idle(),
        }
    }
}

/// A few words for the customer; the details are on the cashier's screen.
fn why_not(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Declined { .. } => "Declined",
        Outcome::Expired => "Expired",
        Outcome::Cancelled => "Cancelled",
        Outcome::Failed { .. } => "Failed",
        Outcome::InDoubt { .. } => "Not confirmed",
        Outcome::Released => "Released",
        // `shows_paid` took every approval above; kept total rather than panicking.
        Outcome::Approved { .. } => "See the cashier",
    }
}
