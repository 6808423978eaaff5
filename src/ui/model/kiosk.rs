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
    let l = view.status.local.locale;
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
                let pay = fill(
                    tr(l, "Pay {amount} {unit}"),
                    &[("amount", &m.amount), ("unit", &m.currency)],
                );
                m.kiosk.headline = pay.clone();
                m.kiosk.steps = vec![
                    tr(l, "Tap Pay.").to_string(),
                    tr(l, "Scan the code with your phone.").to_string(),
                    tr(l, "Approve the payment in the app.").to_string(),
                ];
                m.kiosk.action = pay;
            } else {
                m.kiosk.headline = tr(l, "Amount to pay").to_string();
                m.kiosk.steps = vec![
                    tr(l, "Type the amount.").to_string(),
                    tr(l, "Tap Pay.").to_string(),
                    tr(l, "Scan the code with your phone.").to_string(),
                ];
                m.kiosk.action = tr(l, "Pay").to_string();
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
            code(m, l, provider, waiting, frame);
            if *cancelling {
                m.kiosk.headline = tr(l, "Cancelling…").to_string();
                m.kiosk.steps = vec![fill(
                    tr(l, "Asking {provider} to stop the payment."),
                    &[("provider", provider)],
                )];
            } else if let Some(until) = frame.until
                && matches!(waiting, Waiting::Qr { .. } | Waiting::Push { .. })
            {
                m.kiosk.countdown = fill(tr(l, "{time} left"), &[("time", &countdown(now, until))]);
            }
            m.kiosk.action = if *cancelling {
                String::new()
            } else {
                tr(l, "Cancel").to_string()
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
            let (look, headline, detail) = done_words(l, outcome, paid);
            m.look = look;
            m.kiosk.headline = headline;
            m.kiosk.steps = vec![detail];
            if paid && let Outcome::Approved { reference } = outcome {
                m.reference = reference.clone();
            }
            back_in(m, l, frame, now);
        }
        Screen::Queued { amount, phone, .. } => {
            m.page = PageKind::KioskResult;
            m.money(&view.status.local, amount);
            m.look = Look::Caution;
            m.kiosk.headline = tr(l, "Not paid yet").to_string();
            m.kiosk.steps = vec![fill(
                tr(
                    l,
                    "The request goes to {phone} when the kiosk is back online. Approve it on your phone then.",
                ),
                &[("phone", phone)],
            )];
            back_in(m, l, frame, now);
        }
        Screen::Attract { .. } | Screen::CallStaff { .. } => screen(m, view),
        _ => return false,
    }
    true
}

/// The attract and call-staff pages, which exist in kiosk mode only.
pub(super) fn screen(m: &mut UiModel, view: &View) {
    let l = view.status.local.locale;
    match &view.screen {
        Screen::Attract {
            fixed_amount,
            providers,
        } => {
            m.page = PageKind::Attract;
            m.kiosk.providers = providers.clone();
            m.kiosk.headline = match fixed_amount {
                Some(a) => fill(
                    tr(l, "Pay {amount} here"),
                    &[("amount", &view.status.local.money(*a))],
                ),
                None => tr(l, "Pay here with your phone").to_string(),
            };
            m.kiosk.steps = vec![tr(l, "Touch the screen to start").to_string()];
            m.kiosk.action = tr(l, "Start").to_string();
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
            m.kiosk.headline = tr(l, "Please call staff").to_string();
            m.kiosk.steps = vec![
                tr(l, "We could not confirm this payment.").to_string(),
                tr(l, "Do not pay again; staff will help.").to_string(),
            ];
            // One whole sentence per state, so a translation can order it freely.
            let args: &[(&str, &dyn std::fmt::Display)] = &[("sale", sale), ("provider", provider)];
            m.kiosk.staff_note = match outcome {
                Outcome::InDoubt { reason } => fill(
                    tr(
                        l,
                        "Staff: sale {sale} is not confirmed ({reason}). The outbox keeps asking {provider}. Clear with the supervisor PIN.",
                    ),
                    &[("sale", sale), ("provider", provider), ("reason", reason)],
                ),
                o if o.is_approved() => fill(
                    tr(
                        l,
                        "Staff: sale {sale} is confirmed paid now. The outbox keeps asking {provider}. Clear with the supervisor PIN.",
                    ),
                    args,
                ),
                _ => fill(
                    tr(
                        l,
                        "Staff: sale {sale} is settled now: not paid. The outbox keeps asking {provider}. Clear with the supervisor PIN.",
                    ),
                    args,
                ),
            };
            m.kiosk.action = tr(l, "Staff: enter PIN").to_string();
        }
        _ => {}
    }
}

/// The code page: the code itself, or the sticker, or the phone, or a moment's wait.
fn code(m: &mut UiModel, l: Locale, provider: &str, waiting: &Waiting, frame: &KioskFrame) {
    let amount = format!("{} {}", m.amount, m.currency);
    let args: &[(&str, &dyn std::fmt::Display)] = &[("provider", &provider), ("amount", &amount)];
    match waiting {
        Waiting::Qr { payload, .. } => {
            m.wait = WaitLook::Qr;
            if frame.sticker {
                m.kiosk.headline = tr(l, "Scan the sticker").to_string();
                m.kiosk.steps = vec![
                    fill(tr(l, "Open the {provider} app."), args),
                    tr(l, "Scan the code on the sticker.").to_string(),
                    fill(tr(l, "Approve {amount}."), args),
                ];
            } else {
                m.qr = Some(payload.clone());
                m.kiosk.headline = tr(l, "Scan to pay").to_string();
                m.kiosk.steps = vec![
                    fill(tr(l, "Open the {provider} app."), args),
                    tr(l, "Scan this code.").to_string(),
                    fill(tr(l, "Approve {amount}."), args),
                ];
            }
        }
        Waiting::Push { phone, .. } => {
            m.wait = WaitLook::Push;
            m.kiosk.headline = tr(l, "Check your phone").to_string();
            m.kiosk.steps = vec![
                fill(
                    tr(l, "{provider} sent a request to {phone}."),
                    &[("provider", &provider), ("phone", phone)],
                ),
                fill(tr(l, "Approve {amount} on your phone."), args),
            ];
        }
        Waiting::Checking { .. } => {
            m.wait = WaitLook::Progress;
            m.kiosk.headline = tr(l, "Checking your payment…").to_string();
            m.kiosk.steps = vec![fill(
                tr(l, "Please wait: asking {provider}. Do not pay again."),
                args,
            )];
        }
        Waiting::Starting | Waiting::Deciding | Waiting::Vending | Waiting::Settling => {
            m.wait = WaitLook::Progress;
            m.kiosk.headline = tr(l, "One moment…").to_string();
            m.kiosk.steps = vec![fill(tr(l, "Preparing your payment with {provider}."), args)];
        }
    }
}

/// The result in a customer's words. Green only when the view says paid. Each sentence whole,
/// "Nothing was paid." included, so no translation is glued from pieces.
fn done_words(l: Locale, outcome: &Outcome, paid: bool) -> (Look, String, String) {
    match outcome {
        Outcome::Approved { .. } if paid => (
            Look::Paid,
            tr(l, "Thank you!").to_string(),
            tr(l, "Your payment is done.").to_string(),
        ),
        Outcome::Approved { .. } => (
            Look::Caution,
            tr(l, "Not confirmed").to_string(),
            tr(l, "Please ask staff before you leave.").to_string(),
        ),
        Outcome::Declined { .. } => (
            Look::NotPaid,
            tr(l, "Not paid").to_string(),
            tr(l, "The payment was declined. Nothing was paid.").to_string(),
        ),
        Outcome::Expired => (
            Look::NotPaid,
            tr(l, "Not paid").to_string(),
            tr(l, "The time ran out. Nothing was paid.").to_string(),
        ),
        Outcome::Cancelled => (
            Look::NotPaid,
            tr(l, "Not paid").to_string(),
            tr(l, "Cancelled. Nothing was paid.").to_string(),
        ),
        Outcome::Released | Outcome::Failed { .. } => (
            Look::NotPaid,
            tr(l, "Not paid").to_string(),
            tr(l, "The payment could not be made. Nothing was paid.").to_string(),
        ),
        Outcome::InDoubt { .. } => (
            Look::Caution,
            tr(l, "Please call staff").to_string(),
            tr(l, "We could not confirm this payment. Do not pay again.").to_string(),
        ),
    }
}

fn back_in(m: &mut UiModel, l: Locale, frame: &KioskFrame, now: Millis) {
    m.kiosk.action = tr(l, "Done").into();
    if let Some(until) = frame.until {
        let secs = until.saturating_sub(now).div_ceil(1000);
        m.kiosk.countdown = fill(
            tr(l, "Back to the start in {seconds} s"),
            &[("seconds", &secs)],
        );
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
