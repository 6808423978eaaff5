//! A text front-end for the core's views, used by `kassa pay`: QR codes drawn with Unicode half
//! blocks, a countdown, and a result line that says "paid" only for an approved sale.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use thiserror::Error;

use crate::core::Millis;
use crate::core::record::Outcome;
use crate::core::view::{Screen, View, Waiting};

#[derive(Debug, Error)]
pub enum ConsoleError {
    #[error("cannot draw a QR code for this payload: {0}")]
    Qr(#[from] qrcode::types::QrError),
}

/// Draws `payload` as a QR code, two rows of modules per line of text, with the quiet zone.
/// Light modules are drawn as full blocks, so the code scans on a dark terminal background.
pub fn qr_half_blocks(payload: &str) -> Result<String, ConsoleError> {
    let code = QrCode::new(payload.as_bytes())?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// `m:ss` left until `until`.
pub fn countdown(now: Millis, until: Millis) -> String {
    let secs = until.saturating_sub(now) / 1000;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// `45s`, `3m05s`, `2h03m`, `3d04h`: how long ago (or until), for a person.
pub fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m{:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h{:02}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

/// One line for a result: the words a cashier reads. Only an approval says PAID.
pub fn result_line(outcome: &Outcome, late: bool) -> String {
    match outcome {
        Outcome::Approved { reference } if late => format!(
            "PAID (approved after the cancel; refund from the menu if the customer leaves) - reference {reference}"
        ),
        Outcome::Approved { reference } => format!("PAID - reference {reference}"),
        Outcome::Declined { reason } => format!("NOT PAID - declined: {reason}"),
        Outcome::Expired => "NOT PAID - the payment request expired".into(),
        Outcome::Cancelled => "NOT PAID - cancelled".into(),
        Outcome::Released => "NOT PAID - authorization released".into(),
        Outcome::Failed { reason } => format!("NOT PAID - {reason}"),
        Outcome::InDoubt { reason } => {
            format!("NOT CONFIRMED - in doubt, flagged for a person: {reason}")
        }
    }
}

/// A one-line status for screens that are not results, or `None` when there is nothing to say.
pub fn status_line(view: &View, now: Millis) -> Option<String> {
    match &view.screen {
        Screen::Paying {
            waiting,
            cancelling,
            amount,
            provider,
            ..
        } => {
            let what = match waiting {
                Waiting::Starting => format!("Starting {provider} payment of {amount}..."),
                Waiting::Qr { expires_at, .. } => format!(
                    "Waiting for the customer to scan and pay {amount} ({} left)",
                    countdown(now, *expires_at)
                ),
                Waiting::Push { phone, expires_at } => format!(
                    "Request sent to {phone}, waiting for approval ({} left)",
                    countdown(now, *expires_at)
                ),
                Waiting::Deciding => format!("Waiting for {provider}..."),
                Waiting::Checking { attempt } => {
                    format!("Answer lost: checking with {provider} (check {attempt})...")
                }
                Waiting::Vending => "Delivering the product...".into(),
                Waiting::Settling => "Settling the payment...".into(),
            };
            Some(if *cancelling {
                format!("Cancelling... {what}")
            } else {
                what
            })
        }
        Screen::AmountDue {
            provider,
            pay: None,
            ..
        } => Some(format!("Asking {provider} what is due...")),
        Screen::Recovering { remaining, .. } if *remaining > 0 => Some(format!(
            "Checking unfinished sales from before the restart: {remaining} left..."
        )),
        Screen::Recovering { .. } => Some("Starting...".into()),
        _ => None,
    }
}

/// The line for a push request taken while offline. It must never read as paid.
pub fn queued_line(phone: &str) -> String {
    format!(
        "QUEUED, NOT PAID: the request goes to {phone} when the terminal is back online; \
         the customer approves it then"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::view::StatusBar;
    use crate::money::{Currency, Money};

    #[test]
    fn ages_read_like_a_person_says_them() {
        assert_eq!(age(999), "0s");
        assert_eq!(age(45_000), "45s");
        assert_eq!(age(185_000), "3m05s");
        assert_eq!(age(7_380_000), "2h03m");
        assert_eq!(age(273_600_000), "3d04h");
    }

    #[test]
    fn qr_is_drawn_with_half_blocks() {
        let qr = qr_half_blocks("http://mca.sh/s/abc/T1").unwrap();
        let lines: Vec<&str> = qr.lines().collect();
        // Modules plus a quiet zone of 4 on each side; two module rows per text line.
        let side = QrCode::new(b"http://mca.sh/s/abc/T1").unwrap().width() + 8;
        assert!(lines.iter().all(|l| l.chars().count() == side));
        assert_eq!(lines.len(), side.div_ceil(2));
        assert!(qr.contains('▀') || qr.contains('▄'));
    }

    #[test]
    fn only_an_approval_reads_paid() {
        let not_paid = [
            Outcome::Declined { reason: "x".into() },
            Outcome::Expired,
            Outcome::Cancelled,
            Outcome::Released,
            Outcome::Failed { reason: "x".into() },
            Outcome::InDoubt { reason: "x".into() },
        ];
        for o in not_paid {
            assert!(!result_line(&o, false).starts_with("PAID"), "{o:?}");
        }
        let ok = Outcome::Approved {
            reference: "r1".into(),
        };
        assert!(result_line(&ok, false).starts_with("PAID"));
        assert!(queued_line("+4712345678").contains("NOT PAID"));
    }

    #[test]
    fn countdown_and_status() {
        assert_eq!(countdown(Millis(0), Millis(125_000)), "2:05");
        assert_eq!(countdown(Millis(10), Millis(0)), "0:00");
        let view = View {
            status: StatusBar::default(),
            screen: Screen::Paying {
                sale: crate::core::sale::SaleKey::new("T", 1).unwrap(),
                amount: Money::from_minor(1250, Currency::NOK),
                provider: "mCASH".into(),
                waiting: Waiting::Qr {
                    payload: "p".into(),
                    expires_at: Millis(61_000),
                },
                cancelling: false,
                send_to_phone: false,
            },
        };
        let line = status_line(&view, Millis(0)).unwrap();
        assert!(
            line.contains("12.50 NOK") && line.contains("1:01"),
            "{line}"
        );
    }
}
