//! The core's [`View`] turned into what the Slint pages show: plain strings, colours and lists,
//! with no Slint types, so every word a cashier reads is a fast unit test. [`super::fill`] copies
//! a [`UiModel`] into the adapter globals.
//!
//! The approved look (green, check mark) comes from [`View::shows_paid`] and nothing else.

use crate::core::locale::Locale;
use crate::core::provider::FlowKind;
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::summary::{SummaryItem, Verdict};
use crate::core::view::{Field, Notice, SaleRow, Screen, Tone, View, Waiting};
use crate::core::{Local, Millis};
use crate::money::Money;
use crate::ui::tr::{fill, tr};
use crate::ui::words;
pub use kiosk::KioskModel;
use records::{detail_rows, report, sale_row, summary};
use sale::{paying, result};

/// Which page is shown (mirrors the `Page` enum of `ui/adapters.slint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    Recovering,
    Login,
    Amount,
    Method,
    Customer,
    Paying,
    Result,
    SupervisorPin,
    Menu,
    History,
    SaleDetail,
    Report,
    Outbox,
    OutboxItem,
    Settings,
    Diagnostics,
    RecoverySummary,
    /// Kiosk: the start (type the amount, or the fixed price), the code, the result, the
    /// attract screen and "call staff".
    KioskStart,
    KioskCode,
    KioskResult,
    Attract,
    CallStaff,
}

/// What a payment in progress shows beside the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitLook {
    Progress,
    Qr,
    Push,
}

/// The look of a result page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    /// Green, big check mark: only for a view that [`View::shows_paid`].
    Paid,
    /// Red: no money moved.
    NotPaid,
    /// Amber: nobody knows yet, or it waits to be sent. Never green, never a check mark.
    Caution,
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const GREEN: Rgb = Rgb(0x22, 0xc5, 0x5e);
pub const RED: Rgb = Rgb(0xef, 0x44, 0x44);
pub const AMBER: Rgb = Rgb(0xf5, 0x9e, 0x0b);
pub const GREY: Rgb = Rgb(0x94, 0xa3, 0xb8);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileModel {
    pub name: String,
    /// The key that picks it, and the way to pay when its provider has several tiles:
    /// "card + code · key 5".
    pub detail: String,
    pub color: Rgb,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowModel {
    pub left: String,
    pub middle: String,
    pub right: String,
    pub detail: String,
    pub color: Rgb,
}

/// One input field as drawn: its name in words, what is typed (or dots), and whether it is the
/// one being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldModel {
    pub label: String,
    pub shown: String,
    pub active: bool,
}

impl FieldModel {
    fn from_view(lang: Locale, fields: &[Field]) -> Vec<FieldModel> {
        fields
            .iter()
            .map(|f| FieldModel {
                label: words::label(lang, &f.label),
                shown: f.shown.clone(),
                active: f.active,
            })
            .collect()
    }
}

impl RowModel {
    fn pair(key: &str, value: &str) -> RowModel {
        RowModel {
            left: key.to_string(),
            middle: value.to_string(),
            right: String::new(),
            detail: String::new(),
            color: GREY,
        }
    }
}

/// Everything the window shows, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiModel {
    pub page: PageKind,
    /// The display language: the window's `@tr` strings follow it.
    pub locale: Locale,
    // status bar
    pub terminal_id: String,
    pub online: bool,
    pub outbox: usize,
    pub clock: String,
    pub cashier: String,
    pub storage_failing: bool,
    // sale pages
    pub title: String,
    pub amount: String,
    pub currency: String,
    pub error: String,
    pub hint: String,
    pub provider: String,
    pub provider_color: Rgb,
    pub tiles: Vec<TileModel>,
    pub fields: Vec<FieldModel>,
    pub pin_digits: usize,
    pub wait: WaitLook,
    pub wait_text: String,
    /// The QR payload to draw, when the page shows one.
    pub qr: Option<String>,
    pub countdown: String,
    pub cancelling: bool,
    /// The QR page offers "Send to phone".
    pub send_to_phone: bool,
    pub look: Look,
    pub result_title: String,
    pub result_detail: String,
    pub result_note: String,
    pub reference: String,
    // supervisor pages
    pub menu: Vec<String>,
    pub rows: Vec<RowModel>,
    pub message: String,
    /// How the message is drawn: plain, good news (green) or a problem (red).
    pub message_tone: Tone,
    pub can_refund: bool,
    /// The page's main button (sends Enter).
    pub action: String,
    /// A second button (sends Clear), e.g. "Drop…" beside "Try again now".
    pub second_action: String,
    /// The main button does something that cannot be undone: red.
    pub action_danger: bool,
    /// Approved sales per hour: (label, count).
    pub bars: Vec<(String, u32)>,
    pub totals: Vec<RowModel>,
    /// Kiosk mode: the bar shows no operator details.
    pub kiosk_mode: bool,
    /// What only the kiosk pages show.
    pub kiosk: KioskModel,
}

impl UiModel {
    /// A notice from the core, in words.
    fn notice(&mut self, lang: Locale, notice: Option<&Notice>) {
        if let Some(n) = notice {
            self.say(n.tone, words::notice(lang, n));
        }
    }

    /// A line the page itself says, with its tone.
    fn say(&mut self, tone: Tone, text: String) {
        self.message = text;
        self.message_tone = tone;
    }

    fn empty(view: &View, now: Millis) -> UiModel {
        let s = &view.status;
        UiModel {
            page: PageKind::Recovering,
            locale: s.local.locale,
            terminal_id: s.terminal_id.clone(),
            online: s.online,
            outbox: s.outbox_pending,
            clock: s.local.clock(now),
            cashier: s.cashier.clone().unwrap_or_default(),
            storage_failing: s.storage_failing,
            title: String::new(),
            amount: String::new(),
            currency: String::new(),
            error: String::new(),
            hint: String::new(),
            provider: String::new(),
            provider_color: GREY,
            tiles: Vec::new(),
            fields: Vec::new(),
            pin_digits: 0,
            wait: WaitLook::Progress,
            wait_text: String::new(),
            qr: None,
            countdown: String::new(),
            cancelling: false,
            send_to_phone: false,
            look: Look::NotPaid,
            result_title: String::new(),
            result_detail: String::new(),
            result_note: String::new(),
            reference: String::new(),
            menu: Vec::new(),
            rows: Vec::new(),
            message: String::new(),
            message_tone: Tone::Info,
            can_refund: false,
            action: String::new(),
            second_action: String::new(),
            action_danger: false,
            bars: Vec::new(),
            totals: Vec::new(),
            kiosk_mode: s.kiosk.is_some(),
            kiosk: KioskModel::default(),
        }
    }

    /// The big amount and the unit written after it (the pages put the unit after the
    /// number): the locale's sign where it follows the number (`1 234,50` `kr`), otherwise the
    /// ISO code (`1,234.50` `USD`), so a sign never lands on the wrong side.
    fn money(&mut self, local: &Local, amount: &Money) {
        self.amount = local.locale.number(*amount);
        self.currency = local.locale.unit(amount.currency());
    }
}

/// A provider's colour on its tile and badge: its brand colour where known, otherwise one picked
/// from its id, so a provider added later gets a stable colour without a UI change.
pub fn provider_color(id: &str) -> Rgb {
    match id {
        "mcash" => Rgb(0x0e, 0x74, 0x90),
        "moncash" => Rgb(0xc8, 0x10, 0x2e),
        "icash" => Rgb(0x6d, 0x28, 0xd9),
        "ezcash" => Rgb(0xc2, 0x41, 0x0c),
        "icg" => Rgb(0x1d, 0x4e, 0xd8),
        other => {
            const PALETTE: [Rgb; 6] = [
                Rgb(0x7c, 0x3a, 0xed),
                Rgb(0xb4, 0x53, 0x09),
                Rgb(0x03, 0x69, 0xa1),
                Rgb(0xbe, 0x18, 0x5d),
                Rgb(0x4d, 0x7c, 0x0f),
                Rgb(0x0f, 0x76, 0x6e),
            ];
            let h = other
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            PALETTE[(h as usize) % PALETTE.len()]
        }
    }
}

/// A provider's colour from its display name, for screens that carry only the name.
fn color_of_name(name: &str) -> Rgb {
    provider_color(&name.to_ascii_lowercase().replace([' ', '-'], ""))
}

/// The status-bar clock: `HH:MM` in the terminal's zone (`HH:MM UTC` while it keeps UTC).
pub fn clock_text(local: &Local, now: Millis) -> String {
    local.clock(now)
}

/// `m:ss` left until `until`.
pub fn countdown(now: Millis, until: Millis) -> String {
    crate::console::countdown(now, until)
}

/// The bar beside a row: a failing check is red, a passing one green, the rest grey.
fn tone_color(tone: Tone) -> Rgb {
    match tone {
        Tone::Info => GREY,
        Tone::Good => GREEN,
        Tone::Problem => RED,
    }
}

fn rows_page(m: &mut UiModel, page: PageKind, title: &str, rows: Vec<RowModel>) {
    m.page = page;
    m.title = title.to_string();
    m.rows = rows;
}

/// Maps the view to what the window shows at `now` (the clock and countdowns use it).
pub fn model(view: &View, now: Millis) -> UiModel {
    let mut m = UiModel::empty(view, now);
    let l = view.status.local.locale;
    if let Some(frame) = &view.status.kiosk
        && kiosk::model(&mut m, view, frame, now)
    {
        return m;
    }
    match &view.screen {
        Screen::Recovering { remaining, current } => {
            m.page = PageKind::Recovering;
            m.title = if *remaining > 0 {
                fill(
                    tr(l, "Checking unfinished sales: {n} left"),
                    &[("n", remaining)],
                )
            } else {
                tr(l, "Starting").into()
            };
            m.hint = match current {
                Some(sale) => fill(
                    tr(
                        l,
                        "Asking the provider what happened to sale {sale}. New sales start once every unfinished sale is settled.",
                    ),
                    &[("sale", sale)],
                ),
                None => tr(
                    l,
                    "New sales start once every unfinished sale is settled with its provider.",
                )
                .into(),
            };
        }
        Screen::Queued {
            amount,
            provider,
            phone,
            ..
        } => {
            m.page = PageKind::Result;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            // Amber, no check mark: nothing was sent, nothing was paid.
            m.look = Look::Caution;
            m.result_title = tr(l, "QUEUED · NOT PAID").into();
            m.result_detail = fill(
                tr(
                    l,
                    "The request goes to {phone} when the terminal is back online. The customer approves it on the phone then.",
                ),
                &[("phone", phone)],
            );
            m.result_note = tr(l, "Do not hand over goods as paid.").into();
        }
        Screen::Login { digits, error } => {
            m.page = PageKind::Login;
            m.title = tr(l, "Sign in").into();
            m.hint = tr(l, "Type your cashier PIN and press OK.").into();
            m.pin_digits = *digits;
            m.error = words::error(view.status.local.locale, error.as_ref());
        }
        Screen::SupervisorPin { digits, error } => {
            m.page = PageKind::SupervisorPin;
            m.title = tr(l, "Supervisor PIN").into();
            m.hint = tr(l, "Type the supervisor PIN and press OK.").into();
            m.pin_digits = *digits;
            m.error = words::error(view.status.local.locale, error.as_ref());
        }
        Screen::Amount {
            amount,
            error,
            vending_idle,
        } => {
            m.page = PageKind::Amount;
            m.money(&view.status.local, amount);
            m.error = words::error(view.status.local.locale, error.as_ref());
            if *vending_idle {
                m.title = tr(l, "Choose a product").into();
                m.hint = tr(l, "The vending machine sends the price.").into();
            } else {
                m.title = tr(l, "Amount").into();
                m.hint = tr(l, "Type the amount, then Pay.").into();
            }
        }
        Screen::Method {
            amount,
            tiles,
            error,
        } => {
            m.page = PageKind::Method;
            m.money(&view.status.local, amount);
            m.error = words::error(view.status.local.locale, error.as_ref());
            m.tiles = tiles
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let several = tiles.iter().filter(|o| o.provider == t.provider).count() > 1;
                    TileModel {
                        name: t.name.clone(),
                        detail: if several {
                            fill(
                                tr(l, "{way} · key {n}"),
                                &[("way", &flow_words(l, t.flow)), ("n", &(i + 1))],
                            )
                        } else {
                            fill(tr(l, "key {n}"), &[("n", &(i + 1))])
                        },
                        color: provider_color(t.provider.as_str()),
                    }
                })
                .collect();
        }
        Screen::Customer {
            amount,
            provider,
            fields,
            hint,
            error,
        } => {
            m.page = PageKind::Customer;
            m.money(&view.status.local, amount);
            if !amount.is_positive() {
                // No amount typed: the provider's amount due is asked next (an invoice).
                m.amount = tr(l, "Pays the amount due").into();
                m.currency = String::new();
            }
            m.provider = provider.clone();
            m.provider_color = color_of_name(provider);
            m.fields = FieldModel::from_view(view.status.local.locale, fields);
            m.hint = words::hint(view.status.local.locale, *hint);
            m.error = words::error(view.status.local.locale, error.as_ref());
        }
        Screen::AmountDue {
            provider,
            due,
            pay,
            lines,
        } => services::amount_due(
            &mut m,
            &view.status.local,
            provider,
            due.as_ref(),
            pay.as_ref(),
            lines,
        ),
        Screen::Paying {
            amount,
            provider,
            waiting,
            cancelling,
            send_to_phone,
            ..
        } => {
            m.page = PageKind::Paying;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            m.provider_color = color_of_name(provider);
            m.cancelling = *cancelling;
            m.send_to_phone = *send_to_phone;
            paying(&mut m, l, provider, waiting, now);
        }
        Screen::Result {
            amount,
            provider,
            outcome,
            late_approval,
            refund_offered,
            ..
        } => {
            m.page = PageKind::Result;
            m.money(&view.status.local, amount);
            m.provider = provider.clone();
            result(&mut m, view, outcome, *late_approval, *refund_offered);
        }
        Screen::Menu { items, message } => {
            m.notice(view.status.local.locale, message.as_ref());
            m.page = PageKind::Menu;
            m.menu = items
                .iter()
                .map(|i| words::menu_item(view.status.local.locale, i))
                .collect();
        }
        Screen::History { rows } => {
            m.page = PageKind::History;
            m.title = tr(l, "History").into();
            m.rows = rows
                .iter()
                .map(|r| sale_row(&view.status.local, r))
                .collect();
        }
        Screen::SaleDetail {
            row,
            can_refund,
            message,
        } => {
            m.page = PageKind::SaleDetail;
            m.title = fill(tr(l, "Sale {sale}"), &[("sale", &row.key)]);
            m.rows = detail_rows(&view.status.local, row);
            m.can_refund = *can_refund;
            m.notice(view.status.local.locale, message.as_ref());
            if *can_refund {
                m.action = tr(l, "Refund…").into();
            }
        }
        Screen::RefundConfirm { row } => {
            m.page = PageKind::SaleDetail;
            m.title = tr(l, "Refund this sale?").into();
            m.rows = detail_rows(&view.status.local, row);
            m.action = fill(
                tr(l, "Refund {amount} to the customer"),
                &[("amount", &view.status.local.money(row.amount))],
            );
        }
        Screen::Refunding { row } => {
            m.page = PageKind::SaleDetail;
            m.title = tr(l, "Refunding…").into();
            m.rows = detail_rows(&view.status.local, row);
            m.message = tr(l, "Waiting for the provider to confirm the refund.").into();
        }
        Screen::Report(r) => {
            m.page = PageKind::Report;
            report(&mut m, &view.status.local, r);
        }
        Screen::Outbox { summary, message } => {
            outbox::list(&mut m, l, summary, message.as_ref(), now)
        }
        Screen::OutboxItem {
            row,
            confirm_drop,
            message,
        } => outbox::item(&mut m, l, row, *confirm_drop, message.as_ref(), now),
        Screen::Settings { rows } => {
            rows_page(
                &mut m,
                PageKind::Settings,
                tr(l, "Settings"),
                rows.iter()
                    .map(|s| {
                        let (k, v) = words::setting(l, s);
                        RowModel::pair(&k, &v)
                    })
                    .collect(),
            );
            // Enter opens the list of languages.
            m.action = tr(l, "Language…").into();
        }
        Screen::Language { current, choices } => {
            m.page = PageKind::Menu;
            m.title = tr(l, "Language").into();
            m.menu = choices
                .iter()
                .map(|c| {
                    let mark = if c == current { "✓ " } else { "" };
                    format!("{mark}{}", language_name(*c))
                })
                .collect();
        }
        Screen::Diagnostics { checks } => rows_page(
            &mut m,
            PageKind::Diagnostics,
            tr(l, "Diagnostics"),
            checks
                .iter()
                .map(|c| {
                    let (name, found) = words::check(view.status.local.locale, &c.checked);
                    RowModel {
                        color: tone_color(c.tone),
                        ..RowModel::pair(&name, &found)
                    }
                })
                .collect(),
        ),
        Screen::RecoverySummary { items, from_menu } => {
            summary(&mut m, &view.status.local, items, *from_menu)
        }
        Screen::ServiceForm {
            provider,
            service,
            fields,
            choices,
            hint,
            error,
        } => services::form(
            &mut m,
            l,
            services::Form {
                provider,
                service,
                fields,
                choices,
                hint: *hint,
                error: error.as_ref(),
            },
        ),
        Screen::ServiceConfirm {
            provider,
            service,
            amount,
            lines,
        } => services::confirm(&mut m, &view.status.local, provider, service, amount, lines),
        Screen::ServiceWaiting { provider, service } => {
            services::waiting(&mut m, l, provider, service)
        }
        Screen::ServiceInfo {
            provider,
            service,
            lines,
            error,
        } => services::info(&mut m, l, provider, service, lines, error.as_ref()),
        Screen::AgentPin {
            provider,
            digits,
            error,
            checking,
        } => services::agent_pin(&mut m, l, provider, *digits, error.as_ref(), *checking),
        Screen::Attract { .. } | Screen::CallStaff { .. } => kiosk::screen(&mut m, view),
    }
    m
}

/// A language by its own name, as a reader of it looks for it in a list.
pub fn language_name(lang: Locale) -> &'static str {
    match lang {
        Locale::En => "English",
        Locale::Nb => "Norsk bokmål",
        Locale::Fr => "Français",
        Locale::Ht => "Kreyòl ayisyen",
        Locale::Ar => "العربية",
        Locale::Si => "සිංහල",
        Locale::Ta => "தமிழ்",
    }
}

/// How a tile names its way to pay when its provider has several.
fn flow_words(l: Locale, flow: FlowKind) -> &'static str {
    match flow {
        FlowKind::Qr => tr(l, "QR code"),
        FlowKind::Push => tr(l, "to the phone"),
        FlowKind::CardAndCode => tr(l, "card + code"),
        FlowKind::Invoice => tr(l, "invoice"),
    }
}

mod kiosk;
mod outbox;
mod records;
mod sale;
mod services;
#[cfg(test)]
mod tests;
