//! The core's [`View`] turned into what the Slint pages show: plain strings, colours and lists,
//! with no Slint types, so every word a cashier reads is a fast unit test. [`super::fill`] copies
//! a [`UiModel`] into the adapter globals.
//!
//! The approved look (green, check mark) comes from [`View::shows_paid`] and nothing else.

use crate::core::provider::FlowKind;
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::summary::{SummaryItem, Verdict};
use crate::core::view::{Field, Notice, SaleRow, Screen, Tone, View, Waiting};
use crate::core::{Local, Locale, Millis};
use crate::money::Money;
pub use kiosk::KioskModel;
use records::{detail_rows, report, sale_row, summary};

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
    pub fields: Vec<Field>,
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
    /// The language: the direction the pages run and the font they are drawn in.
    pub locale: Locale,
}

impl UiModel {
    fn notice(&mut self, notice: Option<Notice>) {
        if let Some(n) = notice {
            self.message = n.text;
            self.message_tone = n.tone;
        }
    }

    fn empty(view: &View, now: Millis) -> UiModel {
        let s = &view.status;
        UiModel {
            page: PageKind::Recovering,
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
            locale: s.local.locale,
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

fn paying(m: &mut UiModel, provider: &str, waiting: &Waiting, now: Millis) {
    let (look, text) = match waiting {
        Waiting::Starting => (
            WaitLook::Progress,
            format!("Starting the payment with {provider}…"),
        ),
        Waiting::Qr {
            payload,
            expires_at,
        } => {
            m.qr = Some(payload.clone());
            m.countdown = countdown(now, *expires_at);
            (
                WaitLook::Qr,
                format!("Scan the code with the {provider} app and approve the payment."),
            )
        }
        Waiting::Push { phone, expires_at } => {
            m.countdown = countdown(now, *expires_at);
            (
                WaitLook::Push,
                format!("Request sent to {phone}, waiting for approval on the phone."),
            )
        }
        Waiting::Deciding => (WaitLook::Progress, format!("Waiting for {provider}…")),
        Waiting::Checking { attempt } => (
            WaitLook::Progress,
            format!("The answer was lost: asking {provider} what happened (check {attempt})…"),
        ),
        Waiting::Vending => (WaitLook::Progress, "Delivering the product…".into()),
        Waiting::Settling => (WaitLook::Progress, "Settling the payment…".into()),
    };
    m.wait = look;
    m.wait_text = text;
}

fn result(m: &mut UiModel, view: &View, outcome: &Outcome, late: bool, refund_offered: bool) {
    let paid = view.shows_paid();
    let (look, title, detail) = match outcome {
        Outcome::Approved { reference } if paid => {
            m.reference = reference.clone();
            (Look::Paid, "PAID".to_string(), String::new())
        }
        // Not reachable while shows_paid agrees with is_approved; if they ever part, amber.
        Outcome::Approved { .. } => (
            Look::Caution,
            "NOT CONFIRMED".into(),
            "Check the sale in the history before handing over goods.".into(),
        ),
        Outcome::Declined { reason } => (
            Look::NotPaid,
            "NOT PAID".into(),
            format!("Declined: {reason}"),
        ),
        Outcome::Expired => (
            Look::NotPaid,
            "NOT PAID".into(),
            "The payment request expired.".into(),
        ),
        Outcome::Cancelled => (Look::NotPaid, "NOT PAID".into(), "Cancelled.".into()),
        Outcome::Released => (
            Look::NotPaid,
            "NOT PAID".into(),
            "The product was not delivered; the authorization was released.".into(),
        ),
        Outcome::Failed { reason } => (Look::NotPaid, "NOT PAID".into(), reason.clone()),
        Outcome::InDoubt { reason } => (
            Look::Caution,
            "NOT CONFIRMED".into(),
            format!("{reason}. Flagged for a person: do not hand over goods as paid."),
        ),
    };
    m.look = look;
    m.result_title = title;
    m.result_detail = detail;
    if late && paid {
        m.result_note = if refund_offered {
            "Approved after the cancel: money moved. Refund from the menu if the customer leaves."
                .into()
        } else {
            "Approved after the cancel: money moved.".into()
        };
    }
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
    if let Some(frame) = &view.status.kiosk
        && kiosk::model(&mut m, view, frame, now)
    {
        return m;
    }
    match &view.screen {
        Screen::Recovering { remaining, current } => {
            m.page = PageKind::Recovering;
            m.title = if *remaining > 0 {
                format!("Checking unfinished sales: {remaining} left")
            } else {
                "Starting".into()
            };
            m.hint = match current {
                Some(sale) => format!(
                    "Asking the provider what happened to sale {sale}. New sales start once every unfinished sale is settled."
                ),
                None => "New sales start once every unfinished sale is settled with its provider."
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
            m.result_title = "QUEUED · NOT PAID".into();
            m.result_detail = format!(
                "The request goes to {phone} when the terminal is back online. The customer approves it on the phone then."
            );
            m.result_note = "Do not hand over goods as paid.".into();
        }
        Screen::Login { digits, error } => {
            m.page = PageKind::Login;
            m.title = "Sign in".into();
            m.hint = "Type your cashier PIN and press OK.".into();
            m.pin_digits = *digits;
            m.error = error.clone().unwrap_or_default();
        }
        Screen::SupervisorPin { digits, error } => {
            m.page = PageKind::SupervisorPin;
            m.title = "Supervisor PIN".into();
            m.hint = "Type the supervisor PIN and press OK.".into();
            m.pin_digits = *digits;
            m.error = error.clone().unwrap_or_default();
        }
        Screen::Amount {
            amount,
            error,
            vending_idle,
        } => {
            m.page = PageKind::Amount;
            m.money(&view.status.local, amount);
            m.error = error.clone().unwrap_or_default();
            if *vending_idle {
                m.title = "Choose a product".into();
                m.hint = "The vending machine sends the price.".into();
            } else {
                m.title = "Amount".into();
                m.hint = "Type the amount, then Pay.".into();
            }
        }
        Screen::Method {
            amount,
            tiles,
            error,
        } => {
            m.page = PageKind::Method;
            m.money(&view.status.local, amount);
            m.error = error.clone().unwrap_or_default();
            m.tiles = tiles
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let several = tiles.iter().filter(|o| o.provider == t.provider).count() > 1;
                    TileModel {
                        name: t.name.clone(),
                        detail: if several {
                            format!("{} · key {}", flow_words(t.flow), i + 1)
                        } else {
                            format!("key {}", i + 1)
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
            m.provider = provider.clone();
            m.provider_color = color_of_name(provider);
            m.fields = fields.clone();
            m.hint = hint.clone();
            m.error = error.clone().unwrap_or_default();
        }
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
            paying(&mut m, provider, waiting, now);
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
            m.notice(message.clone());
            m.page = PageKind::Menu;
            m.menu = items.clone();
        }
        Screen::History { rows } => {
            m.page = PageKind::History;
            m.title = "History".into();
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
            m.title = format!("Sale {}", row.key);
            m.rows = detail_rows(&view.status.local, row);
            m.can_refund = *can_refund;
            m.notice(message.clone());
            if *can_refund {
                m.action = "Refund…".into();
            }
        }
        Screen::RefundConfirm { row } => {
            m.page = PageKind::SaleDetail;
            m.title = "Refund this sale?".into();
            m.rows = detail_rows(&view.status.local, row);
            m.action = format!(
                "Refund {} to the customer",
                view.status.local.money(row.amount)
            );
        }
        Screen::Refunding { row } => {
            m.page = PageKind::SaleDetail;
            m.title = "Refunding…".into();
            m.rows = detail_rows(&view.status.local, row);
            m.message = "Waiting for the provider to confirm the refund.".into();
        }
        Screen::Report(r) => {
            m.page = PageKind::Report;
            report(&mut m, &view.status.local, r);
        }
        Screen::Outbox { summary, message } => outbox::list(&mut m, summary, message.as_ref(), now),
        Screen::OutboxItem {
            row,
            confirm_drop,
            message,
        } => outbox::item(&mut m, row, *confirm_drop, message.as_ref(), now),
        Screen::Settings { rows } => rows_page(
            &mut m,
            PageKind::Settings,
            "Settings",
            rows.iter().map(|(k, v)| RowModel::pair(k, v)).collect(),
        ),
        Screen::Diagnostics { checks } => rows_page(
            &mut m,
            PageKind::Diagnostics,
            "Diagnostics",
            checks
                .iter()
                .map(|c| RowModel {
                    color: tone_color(c.tone),
                    ..RowModel::pair(&c.name, &c.found)
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
            services::Form {
                provider,
                service,
                fields,
                choices,
                hint,
                error: error.as_ref(),
            },
        ),
        Screen::ServiceConfirm {
            provider,
            service,
            amount,
            lines,
        } => services::confirm(&mut m, provider, service, amount, lines),
        Screen::ServiceWaiting { provider, service } => {
            services::waiting(&mut m, provider, service)
        }
        Screen::ServiceInfo {
            provider,
            service,
            lines,
            error,
        } => services::info(&mut m, provider, service, lines, error.as_ref()),
        Screen::AgentPin {
            provider,
            digits,
            error,
            checking,
        } => services::agent_pin(&mut m, provider, *digits, error.as_ref(), *checking),
        Screen::Attract { .. } | Screen::CallStaff { .. } => kiosk::screen(&mut m, view),
    }
    m
}

/// How a tile names its way to pay when its provider has several.
fn flow_words(flow: FlowKind) -> &'static str {
    match flow {
        FlowKind::Qr => "QR code",
        FlowKind::Push => "to the phone",
        FlowKind::CardAndCode => "card + code",
        FlowKind::Invoice => "invoice",
    }
}

mod kiosk;
mod outbox;
mod records;
mod services;
#[cfg(test)]
mod tests;
