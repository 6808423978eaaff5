//! Kiosk pages: the same core screens told to a customer alone. Short sentences, what to do next
//! in numbered steps, one big button, and a countdown wherever the kiosk will move on by itself.
//! Supervisor pages (behind the PIN) keep their operator words and are not mapped here.

use super::*;
use crate::core::view::KioskFrame;

/// What only the kiosk pages show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KioskModel {
    /// The one big line: "Scan to pay", "Thank you", "Please call staff".
    pub headline: String,
    /// What to do, one short step each.
    pub steps: Vec<String>,
    /// The time left on screen ("1:52 left", "Back to the start in 6 s"); empty when none.
    pub countdown: String,
    /// The code is on a sticker: point at it instead of drawing one.
    pub sticker: bool,
    /// The price is fixed: the start page has no keypad.
    pub fixed: bool,
    /// Ways to pay, by name (attract page).
    pub providers: Vec<String>,
    /// The page's big button (sends Enter).
    pub action: String,
    /// Small print for staff (call staff: the sale, amount and where it stands).
    pub staff_note: String,
}

/// Maps a customer screen of a kiosk; `false` for screens the kiosk shows as they are (the
/// supervisor's, the provider tiles, a customer form).
pub(super) fn model(m: &mut UiModel, view: &View, frame: &KioskFrame, now: Millis) -> bool {
    m.kiosk.sticker = frame.sticker;
    m.kiosk.fixed = frame.fixed_amount;
    match &view.screen {
        Screen::Amount {
            amount,
            error,
            vending_idle: false,
        } => {
            m.page = PageKind::KioskStart;
            m.money(&view.status.local, amount);
            m.error = words::error(view.status.local.locale, error.as_ref());
            if frame.fixed_amount {
                m.kiosk.headline = format!("Pay {} {}", m.amount, m.currency);
                m.kiosk.steps = vec![
                    "Tap Pay.".into(),
                    "Scan the code with your phone.".into(),
                    "Approve the payment in the app.".into(),
                ];
                m.kiosk.action = format!("Pay {} {}", m.amount, m.currency);
            } else {
                m.kiosk.headline = "Amount to pay".into();
                m.kiosk.steps = vec![
                    "Type the amount.".into(),
                    "Tap Pay.".into(),
                    "Scan the code with your phone.".into(),
                ];
                m.kiosk.action = "Pay".into();
            }
        }
        Screen::Paying {
            amount,
            provider,
            waiting,
            cancelling,
            ..
        } => {
            m.page = PageKind::KioskCode;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            m.provider_color = color_of_name(provider);
            m.cancelling = *cancelling;
            code(m, provider, waiting, frame);
            if *cancelling {
                m.kiosk.headline = "Cancelling…".into();
                m.kiosk.steps = vec![format!("Asking {provider} to stop the payment.")];
            } else if let Some(until) = frame.until
                && matches!(waiting, Waiting::Qr { .. } | Waiting::Push { .. })
            {
                m.kiosk.countdown = format!("{} left", countdown(now, until));
            }
            m.kiosk.action = if *cancelling {
                String::new()
            } else {
                "Cancel".into()
            };
        }
        Screen::Result {
            amount,
            provider,
            outcome,
            ..
        } => {
            m.page = PageKind::KioskResult;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            let paid = view.shows_paid();
            let (look, headline, detail) = done_words(outcome, paid);
            m.look = look;
            m.kiosk.headline = headline;
            m.kiosk.steps = vec![detail];
            if paid && let Outcome::Approved { reference } = outcome {
                m.reference = reference.clone();
            }
            back_in(m, frame, now);
        }
        Screen::Queued { amount, phone, .. } => {
            m.page = PageKind::KioskResult;
            m.money(&view.status.local, amount);
            m.look = Look::Caution;
            m.kiosk.headline = "Not paid yet".into();
            m.kiosk.steps = vec![format!(
                "The request goes to {phone} when the kiosk is back online. Approve it on your \
                 phone then."
            )];
            back_in(m, frame, now);
        }
        Screen::Attract { .. } | Screen::CallStaff { .. } => screen(m, view),
        _ => return false,
    }
    true
}

/// The attract and call-staff pages, which exist in kiosk mode only.
pub(super) fn screen(m: &mut UiModel, view: &View) {
    match &view.screen {
        Screen::Attract {
            fixed_amount,
            providers,
        } => {
            m.page = PageKind::Attract;
            m.kiosk.providers = providers.clone();
            m.kiosk.headline = match fixed_amount {
                Some(a) => format!("Pay {} {} here", a.to_decimal_string(), a.currency()),
                None => "Pay here with your phone".into(),
            };
            m.kiosk.steps = vec!["Touch the screen to start".into()];
            m.kiosk.action = "Start".into();
        }
        Screen::CallStaff {
            sale,
            amount,
            provider,
            outcome,
        } => {
            m.page = PageKind::CallStaff;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            m.look = Look::Caution;
            m.kiosk.headline = "Please call staff".into();
            m.kiosk.steps = vec![
                "We could not confirm this payment.".into(),
                "Do not pay again; staff will help.".into(),
            ];
            let now_stands = match outcome {
                Outcome::InDoubt { reason } => format!("not confirmed ({reason})"),
                o if o.is_approved() => "confirmed paid now".into(),
                _ => "settled now: not paid".into(),
            };
            m.kiosk.staff_note = format!(
                "Staff: sale {sale} is {now_stands}. The outbox keeps asking {provider}. Clear \
                 with the supervisor PIN."
            );
            m.kiosk.action = "Staff: enter PIN".into();
        }
        _ => {}
    }
}

/// The code page: the code itself, or the sticker, or the phone, or a moment's wait.
fn code(m: &mut UiModel, provider: &str, waiting: &Waiting, frame: &KioskFrame) {
    let amount = format!("{} {}", m.amount, m.currency);
    match waiting {
        Waiting::Qr { payload, .. } => {
            m.wait = WaitLook::Qr;
            if frame.sticker {
                m.kiosk.headline = "Scan the sticker".into();
                m.kiosk.steps = vec![
                    format!("Open the {provider} app."),
                    "Scan the code on the sticker.".into(),
                    format!("Approve {amount}."),
                ];
            } else {
                m.qr = Some(payload.clone());
                m.kiosk.headline = "Scan to pay".into();
                m.kiosk.steps = vec![
                    format!("Open the {provider} app."),
                    "Scan this code.".into(),
                    format!("Approve {amount}."),
                ];
            }
        }
        Waiting::Push { phone, .. } => {
            m.wait = WaitLook::Push;
            m.kiosk.headline = "Check your phone".into();
            m.kiosk.steps = vec![
                format!("{provider} sent a request to {phone}."),
                format!("Approve {amount} on your phone."),
            ];
        }
        Waiting::Checking { .. } => {
            m.wait = WaitLook::Progress;
            m.kiosk.headline = "Checking your payment…".into();
            m.kiosk.steps = vec![format!("Please wait: asking {provider}. Do not pay again.")];
        }
        Waiting::Starting | Waiting::Deciding | Waiting::Vending | Waiting::Settling => {
            m.wait = WaitLook::Progress;
            m.kiosk.headline = "One moment…".into();
            m.kiosk.steps = vec![format!("Preparing your payment with {provider}.")];
        }
    }
}

/// The result in a customer's words. Green only when the view says paid.
fn done_words(outcome: &Outcome, paid: bool) -> (Look, String, String) {
    let nothing = "Nothing was paid.";
    match outcome {
        Outcome::Approved { .. } if paid => (
            Look::Paid,
            "Thank you!".into(),
            "Your payment is done.".into(),
        ),
        Outcome::Approved { .. } => (
            Look::Caution,
            "Not confirmed".into(),
            "Please ask staff before you leave.".into(),
        ),
        Outcome::Declined { .. } => (
            Look::NotPaid,
            "Not paid".into(),
            format!("The payment was declined. {nothing}"),
        ),
        Outcome::Expired => (
            Look::NotPaid,
            "Not paid".into(),
            format!("The time ran out. {nothing}"),
        ),
        Outcome::Cancelled => (
            Look::NotPaid,
            "Not paid".into(),
            format!("Cancelled. {nothing}"),
        ),
        Outcome::Released | Outcome::Failed { .. } => (
            Look::NotPaid,
            "Not paid".into(),
            format!("The payment could not be made. {nothing}"),
        ),
        Outcome::InDoubt { .. } => (
            Look::Caution,
            "Please call staff".into(),
            "We could not confirm this payment. Do not pay again.".into(),
        ),
    }
}

fn back_in(m: &mut UiModel, frame: &KioskFrame, now: Millis) {
    m.kiosk.action = "Done".into();
    if let Some(until) = frame.until {
        let secs = until.saturating_sub(now).div_ceil(1000);
        m.kiosk.countdown = format!("Back to the start in {secs} s");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sale::SaleKey;
    use crate::core::view::StatusBar;
    use crate::money::Currency;
    use crate::ui::model::model as ui_model;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK)
    }

    fn kiosk_view(screen: Screen, sticker: bool, until: Option<Millis>) -> View {
        View {
            status: StatusBar {
                kiosk: Some(KioskFrame {
                    sticker,
                    fixed_amount: false,
                    until,
                }),
                ..StatusBar::default()
            },
            screen,
        }
    }

    fn code_screen() -> Screen {
        Screen::Paying {
            sale: SaleKey::new("K", 1).unwrap(),
            amount: nok(4_990),
            provider: "mCASH".into(),
            waiting: Waiting::Qr {
                payload: "http://mca.sh/s/abc/K".into(),
                expires_at: Millis(300_000),
            },
            cancelling: false,
            send_to_phone: true,
        }
    }

    #[test]
    fn the_code_is_drawn_on_screen_and_never_with_a_sticker() {
        let now = Millis(100_000);
        let m = ui_model(
            &kiosk_view(code_screen(), false, Some(Millis(172_000))),
            now,
        );
        assert_eq!(m.page, PageKind::KioskCode);
        assert_eq!(m.qr.as_deref(), Some("http://mca.sh/s/abc/K"));
        assert_eq!(m.kiosk.countdown, "1:12 left");
        assert_eq!(m.kiosk.action, "Cancel");
        assert!(m.kiosk_mode);

        let m = ui_model(&kiosk_view(code_screen(), true, Some(Millis(172_000))), now);
        assert_eq!(m.page, PageKind::KioskCode);
        assert_eq!(m.qr, None, "a sticker kiosk draws no code");
        assert!(m.kiosk.sticker);
        assert!(m.kiosk.steps.iter().any(|s| s.contains("sticker")));
    }

    #[test]
    fn only_a_paid_result_is_green_and_each_says_when_it_goes() {
        let result = |outcome: Outcome| Screen::Result {
            sale: SaleKey::new("K", 1).unwrap(),
            amount: nok(4_990),
            provider: "mCASH".into(),
            outcome,
            late_approval: false,
            refund_offered: false,
        };
        let now = Millis(10_000);
        let until = Some(Millis(15_500));
        let paid = ui_model(
            &kiosk_view(
                result(Outcome::Approved {
                    reference: "r".into(),
                }),
                false,
                until,
            ),
            now,
        );
        assert_eq!((paid.page, paid.look), (PageKind::KioskResult, Look::Paid));
        assert_eq!(paid.kiosk.countdown, "Back to the start in 6 s");
        for o in [
            Outcome::Declined {
                reason: "no".into(),
            },
            Outcome::Expired,
            Outcome::Cancelled,
            Outcome::Failed {
                reason: "down".into(),
            },
        ] {
            let m = ui_model(&kiosk_view(result(o.clone()), false, until), now);
            assert_eq!(m.look, Look::NotPaid, "{o:?}");
            assert!(m.kiosk.steps[0].contains("Nothing was paid"), "{o:?}");
        }
        let m = ui_model(
            &kiosk_view(
                result(Outcome::InDoubt {
                    reason: "lost".into(),
                }),
                false,
                until,
            ),
            now,
        );
        assert_eq!(m.look, Look::Caution);
    }

    #[test]
    fn call_staff_is_amber_and_tells_staff_where_the_sale_stands() {
        let staff = |outcome: Outcome| {
            ui_model(
                &kiosk_view(
                    Screen::CallStaff {
                        sale: SaleKey::new("K", 9).unwrap(),
                        amount: nok(1_500),
                        provider: "mCASH".into(),
                        outcome,
                    },
                    false,
                    None,
                ),
                Millis(0),
            )
        };
        let m = staff(Outcome::InDoubt {
            reason: "no answer".into(),
        });
        assert_eq!((m.page, m.look), (PageKind::CallStaff, Look::Caution));
        assert!(m.kiosk.staff_note.contains("K-"), "{}", m.kiosk.staff_note);
        assert!(m.kiosk.staff_note.contains("no answer"));
        assert_eq!(m.kiosk.action, "Staff: enter PIN");
        let m = staff(Outcome::Approved {
            reference: "r".into(),
        });
        assert_eq!(m.look, Look::Caution, "still amber: staff clears it");
        assert!(m.kiosk.staff_note.contains("confirmed paid"));
    }

    #[test]
    fn supervisor_pages_keep_their_operator_words_in_a_kiosk() {
        let v = kiosk_view(
            Screen::Menu {
                items: vec![crate::core::message::MenuItem::History],
                message: None,
            },
            false,
            None,
        );
        let m = ui_model(&v, Millis(0));
        assert_eq!(m.page, PageKind::Menu);
        assert_eq!(m.menu, vec!["History".to_string()]);
        // The start screen is the kiosk's own, and a vending machine's idle screen is not.
        let start = kiosk_view(
            Screen::Amount {
                amount: nok(0),
                error: None,
                vending_idle: false,
            },
            false,
            None,
        );
        let m = ui_model(&start, Millis(0));
        assert_eq!(m.page, PageKind::KioskStart);
        assert_eq!(m.kiosk.action, "Pay");
    }
}
