//! The sale pages' words: what a payment in progress says while it waits, and the result's
//! look, title and detail (the paid look only where the view shows paid).

use super::*;

pub(super) fn paying(m: &mut UiModel, l: Locale, provider: &str, waiting: &Waiting, now: Millis) {
    let p: &[(&str, &dyn std::fmt::Display)] = &[("provider", &provider)];
    let (look, text) = match waiting {
        Waiting::Starting => (
            WaitLook::Progress,
            fill(tr(l, "Starting the payment with {provider}…"), p),
        ),
        Waiting::Qr {
            payload,
            expires_at,
        } => {
            m.qr = Some(payload.clone());
            m.countdown = countdown(now, *expires_at);
            (
                WaitLook::Qr,
                fill(
                    tr(
                        l,
                        "Scan the code with the {provider} app and approve the payment.",
                    ),
                    p,
                ),
            )
        }
        Waiting::Push { phone, expires_at } => {
            m.countdown = countdown(now, *expires_at);
            (
                WaitLook::Push,
                fill(
                    tr(
                        l,
                        "Request sent to {phone}, waiting for approval on the phone.",
                    ),
                    &[("phone", phone)],
                ),
            )
        }
        Waiting::Deciding => (
            WaitLook::Progress,
            fill(tr(l, "Waiting for {provider}…"), p),
        ),
        Waiting::Checking { attempt } => (
            WaitLook::Progress,
            fill(
                tr(
                    l,
                    "The answer was lost: asking {provider} what happened (check {attempt})…",
                ),
                &[("provider", &provider), ("attempt", attempt)],
            ),
        ),
        Waiting::Vending => (
            WaitLook::Progress,
            tr(l, "Delivering the product…").to_string(),
        ),
        Waiting::Settling => (
            WaitLook::Progress,
            tr(l, "Settling the payment…").to_string(),
        ),
    };
    m.wait = look;
    m.wait_text = text;
}

pub(super) fn result(
    m: &mut UiModel,
    view: &View,
    outcome: &Outcome,
    late: bool,
    refund_offered: bool,
) {
    let l = view.status.local.locale;
    let paid = view.shows_paid();
    let not_paid = || tr(l, "NOT PAID").to_string();
    let not_confirmed = || tr(l, "NOT CONFIRMED").to_string();
    let (look, title, detail) = match outcome {
        Outcome::Approved { reference } if paid => {
            m.reference = reference.clone();
            (Look::Paid, tr(l, "PAID").to_string(), String::new())
        }
        // Not reachable while shows_paid agrees with is_approved; if they ever part, amber.
        Outcome::Approved { .. } => (
            Look::Caution,
            not_confirmed(),
            tr(
                l,
                "Check the sale in the history before handing over goods.",
            )
            .into(),
        ),
        // The provider's own words (often French or Arabic) beside the translated heading.
        Outcome::Declined { reason } => (
            Look::NotPaid,
            not_paid(),
            fill(tr(l, "Declined: {reason}"), &[("reason", reason)]),
        ),
        Outcome::Expired => (
            Look::NotPaid,
            not_paid(),
            tr(l, "The payment request expired.").into(),
        ),
        Outcome::Cancelled => (Look::NotPaid, not_paid(), tr(l, "Cancelled.").into()),
        Outcome::Released => (
            Look::NotPaid,
            not_paid(),
            tr(
                l,
                "The product was not delivered; the authorization was released.",
            )
            .into(),
        ),
        Outcome::Failed { reason } => (Look::NotPaid, not_paid(), reason.clone()),
        Outcome::InDoubt { reason } => (
            Look::Caution,
            not_confirmed(),
            fill(
                tr(
                    l,
                    "{reason}. Flagged for a person: do not hand over goods as paid.",
                ),
                &[("reason", reason)],
            ),
        ),
    };
    m.look = look;
    m.result_title = title;
    m.result_detail = detail;
    if late && paid {
        m.result_note = if refund_offered {
            tr(
                l,
                "Approved after the cancel: money moved. Refund from the menu if the customer leaves.",
            )
            .into()
        } else {
            tr(l, "Approved after the cancel: money moved.").into()
        };
    }
}
