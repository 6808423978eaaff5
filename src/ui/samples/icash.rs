//! Samples of iCash's screens: card and code, its own QR, a paid result in LYD.

use super::*;

fn lyd(minor: i64) -> Money {
    Money::from_minor(minor, crate::money::Currency::LYD)
}

/// iCash's screens: card and code (the card, left, masked), its payment QR (the payload its
/// simulator's PNG decodes to), and a paid result with its operation number.
pub(super) fn icash() -> Vec<(&'static str, Screen)> {
    let amount = lyd(12_345);
    let provider = "iCash".to_string();
    vec![
        (
            "icash-card",
            Screen::Customer {
                amount,
                provider: provider.clone(),
                fields: vec![
                    Field {
                        label: Label::CardNumber,
                        shown: "••••••3943".into(),
                        active: false,
                    },
                    Field {
                        label: Label::PaymentCode,
                        shown: "•••••".into(),
                        active: true,
                    },
                ],
                hint: Hint::CardAndCode,
                error: None,
            },
        ),
        (
            "icash-qr",
            Screen::Paying {
                sale: key(43),
                amount,
                provider: provider.clone(),
                send_to_phone: false,
                waiting: Waiting::Qr {
                    payload: ICASH_QR_PAYLOAD.into(),
                    expires_at: NOW + 281_000,
                },
                cancelling: false,
            },
        ),
        (
            "icash-paid",
            Screen::Result {
                sale: key(43),
                amount,
                provider,
                outcome: Outcome::Approved {
                    reference: "109964".into(),
                },
                late_approval: false,
                refund_offered: false,
            },
        ),
    ]
}
