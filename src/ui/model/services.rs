//! The pages of provider services and the agent PIN, on the existing page layouts: a service's
//! fields on the customer-details page (a choice as the menu's list of buttons), its
//! confirmation, wait and answer on the rows page, the agent PIN on the PIN page; and a sale's
//! amount due (an invoice's), asked and confirmed on the rows page before the sale starts.

use super::{FieldModel, PageKind, RowModel, UiModel};
use crate::core::Local;
use crate::core::locale::Locale;
use crate::core::message::{Hint, Message};
use crate::core::provider::InfoLine;
use crate::core::view::{Field, Tone};
use crate::money::Money;
use crate::ui::tr::{fill, tr};
use crate::ui::words;

pub(super) struct Form<'a> {
    pub provider: &'a str,
    pub service: &'a str,
    pub fields: &'a [Field],
    pub choices: &'a [String],
    pub hint: Hint,
    pub error: Option<&'a Message>,
}

pub(super) fn form(m: &mut UiModel, l: Locale, f: Form<'_>) {
    m.error = words::error(l, f.error);
    m.hint = words::hint(l, f.hint);
    if f.choices.is_empty() {
        m.page = PageKind::Customer;
        m.provider = f.provider.to_string();
        m.provider_color = super::color_of_name(f.provider);
        // The customer page's amount line names the service instead.
        m.amount = f.service.to_string();
        m.currency = String::new();
        m.fields = FieldModel::from_view(l, f.fields);
    } else {
        m.page = PageKind::Menu;
        let label = f
            .fields
            .iter()
            .find(|x| x.active)
            .map(|x| words::label(l, &x.label))
            .unwrap_or_default();
        m.title = fill(
            tr(l, "{service}: {field}"),
            &[("service", &f.service), ("field", &label)],
        );
        m.menu = f.choices.to_vec();
        if let Some(e) = f.error {
            m.say(Tone::Problem, words::message(l, e));
        }
    }
}

fn lines_rows(lines: &[InfoLine]) -> Vec<RowModel> {
    lines
        .iter()
        .map(|l| RowModel::pair(&l.label, &l.value))
        .collect()
}

pub(super) fn confirm(
    m: &mut UiModel,
    local: &Local,
    provider: &str,
    service: &str,
    amount: &Money,
    lines: &[InfoLine],
) {
    let l = local.locale;
    let money = local.money(*amount);
    m.page = PageKind::SaleDetail;
    m.title = fill(
        tr(l, "{provider}: {service}?"),
        &[("provider", &provider), ("service", &service)],
    );
    m.rows = lines_rows(lines);
    m.rows.push(RowModel::pair(tr(l, "Amount"), &money));
    m.message = tr(
        l,
        "This moves money: it is recorded like a sale and cannot be undone here.",
    )
    .into();
    m.action = fill(tr(l, "Send {amount}"), &[("amount", &money)]);
}

pub(super) fn waiting(m: &mut UiModel, l: Locale, provider: &str, service: &str) {
    m.page = PageKind::SaleDetail;
    m.title = format!("{provider}: {service}");
    m.message = fill(tr(l, "Asking {provider}…"), &[("provider", &provider)]);
}

pub(super) fn info(
    m: &mut UiModel,
    l: Locale,
    provider: &str,
    service: &str,
    lines: &[InfoLine],
    error: Option<&Message>,
) {
    m.page = PageKind::Settings;
    m.title = format!("{provider}: {service}");
    m.rows = lines_rows(lines);
    match error {
        Some(e) => m.say(Tone::Problem, words::message(l, e)),
        None if lines.is_empty() => m.say(Tone::Info, tr(l, "The provider sent nothing").into()),
        None => {}
    }
}

pub(super) fn agent_pin(
    m: &mut UiModel,
    l: Locale,
    provider: &str,
    digits: usize,
    error: Option<&Message>,
    checking: bool,
) {
    m.page = PageKind::SupervisorPin;
    let p: &[(&str, &dyn std::fmt::Display)] = &[("provider", &provider)];
    m.title = tr(l, "Agent PIN").into();
    m.hint = if checking {
        fill(tr(l, "Checking the PIN with {provider}…"), p)
    } else {
        fill(
            tr(
                l,
                "Type the agent PIN for {provider} and press OK (Back: not now; its sales wait).",
            ),
            p,
        )
    };
    m.pin_digits = digits;
    m.error = words::error(l, error);
}

/// The amount due before a sale: the provider's lines and what Enter pays, or while the
/// provider is asked, a wait line. `local` writes the amounts as the terminal does.
pub(super) fn amount_due(
    m: &mut UiModel,
    local: &Local,
    provider: &str,
    due: Option<&Money>,
    pay: Option<&Money>,
    lines: &[InfoLine],
) {
    let l = local.locale;
    // A short title: the provider's name goes in the line below, so neither is cut at 480 px.
    m.page = PageKind::SaleDetail;
    m.title = tr(l, "Amount due").into();
    m.rows = lines_rows(lines);
    let (Some(due), Some(pay)) = (due, pay) else {
        m.message = fill(
            tr(l, "Asking {provider} what is due…"),
            &[("provider", &provider)],
        );
        return;
    };
    // What Enter pays is on the button; the line says whether it is all of it.
    m.message = if pay.minor() < due.minor() {
        fill(
            tr(l, "{provider}: pays {pay} of the {due} due."),
            &[
                ("provider", &provider),
                ("pay", &local.money(*pay)),
                ("due", &local.money(*due)),
            ],
        )
    } else {
        fill(
            tr(l, "{provider}: the customer confirms, then Pay."),
            &[("provider", &provider)],
        )
    };
    m.action = fill(tr(l, "Pay {amount}"), &[("amount", &local.money(*pay))]);
}
