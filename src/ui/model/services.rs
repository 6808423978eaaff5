//! The pages of provider services and the agent PIN, on the existing page layouts: a service's
//! fields on the customer-details page (a choice as the menu's list of buttons), its
//! confirmation, wait and answer on the rows page, the agent PIN on the PIN page.

use super::{FieldModel, PageKind, RowModel, UiModel};
use crate::core::Locale;
use crate::core::message::{Hint, Message};
use crate::core::provider::InfoLine;
use crate::core::view::{Field, Tone};
use crate::money::Money;
use crate::ui::words;

pub(super) struct Form<'a> {
    pub provider: &'a str,
    pub service: &'a str,
    pub fields: &'a [Field],
    pub choices: &'a [String],
    pub hint: Hint,
    pub error: Option<&'a Message>,
}

pub(super) fn form(m: &mut UiModel, lang: Locale, f: Form<'_>) {
    m.error = words::error(lang, f.error);
    m.hint = words::hint(lang, f.hint);
    if f.choices.is_empty() {
        m.page = PageKind::Customer;
        m.provider = f.provider.to_string();
        m.provider_color = super::color_of_name(f.provider);
        // The customer page's amount line names the service instead.
        m.amount = f.service.to_string();
        m.currency = String::new();
        m.fields = FieldModel::from_view(lang, f.fields);
    } else {
        m.page = PageKind::Menu;
        let label = f
            .fields
            .iter()
            .find(|x| x.active)
            .map(|x| words::label(lang, &x.label))
            .unwrap_or_default();
        m.title = format!("{}: {label}", f.service);
        m.menu = f.choices.to_vec();
        if let Some(e) = f.error {
            m.say(Tone::Problem, words::message(lang, e));
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
    provider: &str,
    service: &str,
    amount: &Money,
    lines: &[InfoLine],
) {
    m.page = PageKind::SaleDetail;
    m.title = format!("{provider}: {service}?");
    m.rows = lines_rows(lines);
    m.rows.push(RowModel::pair("Amount", &amount.to_string()));
    m.message = "This moves money: it is recorded like a sale and cannot be undone here.".into();
    m.action = format!("Send {} {}", amount.to_decimal_string(), amount.currency());
}

pub(super) fn waiting(m: &mut UiModel, provider: &str, service: &str) {
    m.page = PageKind::SaleDetail;
    m.title = format!("{provider}: {service}");
    m.message = format!("Asking {provider}…");
}

pub(super) fn info(
    m: &mut UiModel,
    lang: Locale,
    provider: &str,
    service: &str,
    lines: &[InfoLine],
    error: Option<&Message>,
) {
    m.page = PageKind::Settings;
    m.title = format!("{provider}: {service}");
    m.rows = lines_rows(lines);
    match error {
        Some(e) => m.say(Tone::Problem, words::message(lang, e)),
        None if lines.is_empty() => m.say(Tone::Info, "The provider sent nothing".into()),
        None => {}
    }
}

pub(super) fn agent_pin(
    m: &mut UiModel,
    lang: Locale,
    provider: &str,
    digits: usize,
    error: Option<&Message>,
    checking: bool,
) {
    m.page = PageKind::SupervisorPin;
    m.title = "Agent PIN".into();
    m.hint = if checking {
        format!("Checking the PIN with {provider}…")
    } else {
        format!("Type the agent PIN for {provider} and press OK (Back: not now; its sales wait).")
    };
    m.pin_digits = digits;
    m.error = words::error(lang, error);
}
