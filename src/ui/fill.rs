//! Copies a [`UiModel`] into the window's adapter globals. The only place that knows both the
//! model and the generated Slint types.

use std::rc::Rc;

use slint::{Color, ComponentHandle, Image, ModelRc, SharedString, VecModel};

use super::model::{Look, PageKind, Rgb, RowModel, UiModel, WaitLook};
use super::qr;
use super::tr::{fill, tr};
use super::{
    AppWindow, Back, BarData, FieldData, Kiosk, MessageTone, Nav, Page, ResultLook, RowData, Sale,
    Status, Theme, TileData, WaitKind,
};
use crate::core::Millis;
use crate::core::locale::Locale;
use crate::core::view::{Tone, View};

/// How big a page's headline ("PAID") is drawn in `locale`'s script, against English: Tamil's
/// and Sinhala's words for it are much wider, and a headline is one word that cannot wrap.
/// Measured by tests/ui.rs `no_text_overflows_at_480x320_in_any_language`.
fn headline_scale(locale: Locale) -> f32 {
    match locale {
        Locale::Ta => 0.55,
        Locale::Si => 0.8,
        _ => 1.0,
    }
}

fn color(c: Rgb) -> Color {
    Color::from_rgb_u8(c.0, c.1, c.2)
}

fn s(text: &str) -> SharedString {
    SharedString::from(text)
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

fn rows(rows: &[RowModel]) -> ModelRc<RowData> {
    model(
        rows.iter()
            .map(|r| RowData {
                left: s(&r.left),
                middle: s(&r.middle),
                right: s(&r.right),
                detail: s(&r.detail),
                color: color(r.color),
            })
            .collect(),
    )
}

fn page(p: PageKind) -> Page {
    match p {
        PageKind::Recovering => Page::Recovering,
        PageKind::Login => Page::Login,
        PageKind::Amount => Page::Amount,
        PageKind::Method => Page::Method,
        PageKind::Customer => Page::Customer,
        PageKind::Paying => Page::Paying,
        PageKind::Result => Page::Result,
        PageKind::SupervisorPin => Page::SupervisorPin,
        PageKind::Menu => Page::Menu,
        PageKind::History => Page::History,
        PageKind::SaleDetail => Page::SaleDetail,
        PageKind::Report => Page::Report,
        PageKind::Outbox => Page::Outbox,
        PageKind::OutboxItem => Page::OutboxItem,
        PageKind::Settings => Page::Settings,
        PageKind::Diagnostics => Page::Diagnostics,
        PageKind::RecoverySummary => Page::RecoverySummary,
        PageKind::KioskStart => Page::KioskStart,
        PageKind::KioskCode => Page::KioskCode,
        PageKind::KioskResult => Page::KioskResult,
        PageKind::Attract => Page::Attract,
        PageKind::CallStaff => Page::CallStaff,
    }
}

/// Fills the window from views, keeping the last QR image so a countdown tick does not
/// re-encode it.
#[derive(Default)]
pub struct Filler {
    qr: Option<(String, Image, usize)>,
    last: Option<UiModel>,
    /// The language the window's `@tr` strings were last switched to.
    lang: Option<Locale>,
}

impl Filler {
    pub fn new() -> Filler {
        Filler::default()
    }

    /// Shows `view` as of `now`. Cheap when nothing changed (the 1 s clock tick).
    pub fn fill(&mut self, window: &AppWindow, view: &View, now: Millis) {
        let m = super::model::model(view, now);
        if self.last.as_ref() == Some(&m) {
            return;
        }
        self.apply(window, &m);
        self.last = Some(m);
    }

    fn apply(&mut self, w: &AppWindow, m: &UiModel) {
        self.select_language(m.locale);
        let theme = w.global::<Theme>();
        theme.set_rtl(m.locale.right_to_left());
        theme.set_headline_scale(headline_scale(m.locale));

        let status = w.global::<Status>();
        status.set_terminal_id(s(&m.terminal_id));
        status.set_online(m.online);
        status.set_outbox(i32::try_from(m.outbox).unwrap_or(i32::MAX));
        status.set_clock(s(&m.clock));
        status.set_cashier(s(&m.cashier));
        status.set_storage_failing(m.storage_failing);
        status.set_kiosk(m.kiosk_mode);

        let sale = w.global::<Sale>();
        sale.set_title(s(&m.title));
        sale.set_amount(s(&m.amount));
        sale.set_currency(s(&m.currency));
        sale.set_error(s(&m.error));
        sale.set_hint(s(&m.hint));
        sale.set_provider(s(&m.provider));
        sale.set_provider_color(color(m.provider_color));
        sale.set_tiles(model(
            m.tiles
                .iter()
                .map(|t| TileData {
                    name: s(&t.name),
                    detail: s(&t.detail),
                    color: color(t.color),
                })
                .collect(),
        ));
        sale.set_fields(model(
            m.fields
                .iter()
                .map(|f| FieldData {
                    label: s(&f.label),
                    shown: s(&f.shown),
                    active: f.active,
                })
                .collect(),
        ));
        sale.set_pin_digits(i32::try_from(m.pin_digits).unwrap_or(i32::MAX));
        let mut wait = match m.wait {
            WaitLook::Progress => WaitKind::Progress,
            WaitLook::Qr => WaitKind::Qr,
            WaitLook::Push => WaitKind::Push,
        };
        let mut wait_text = m.wait_text.clone();
        if let Some(payload) = &m.qr {
            match self.qr_image(payload) {
                Ok((image, side)) => {
                    sale.set_qr(image);
                    sale.set_qr_modules(i32::try_from(side).unwrap_or(1));
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot draw the QR code");
                    wait = WaitKind::Progress;
                    wait_text = fill(
                        tr(m.locale, "Cannot draw the QR code: {error}"),
                        &[("error", &e)],
                    );
                }
            }
        }
        sale.set_wait_kind(wait);
        sale.set_wait_text(s(&wait_text));
        sale.set_countdown(s(&m.countdown));
        sale.set_cancelling(m.cancelling);
        sale.set_send_to_phone(m.send_to_phone);
        sale.set_result_look(match m.look {
            Look::Paid => ResultLook::Paid,
            Look::NotPaid => ResultLook::NotPaid,
            Look::Caution => ResultLook::Caution,
        });
        sale.set_result_title(s(&m.result_title));
        sale.set_result_detail(s(&m.result_detail));
        sale.set_result_note(s(&m.result_note));
        sale.set_reference(s(&m.reference));

        let back = w.global::<Back>();
        back.set_menu(model(m.menu.iter().map(|i| s(i)).collect()));
        back.set_rows(rows(&m.rows));
        back.set_message(s(&m.message));
        back.set_message_tone(match m.message_tone {
            Tone::Info => MessageTone::Info,
            Tone::Good => MessageTone::Good,
            Tone::Problem => MessageTone::Problem,
        });
        back.set_can_refund(m.can_refund);
        back.set_action(s(&m.action));
        back.set_second_action(s(&m.second_action));
        back.set_action_danger(m.action_danger);
        back.set_bars(model(
            m.bars
                .iter()
                .map(|(label, n)| BarData {
                    label: s(label),
                    value: i32::try_from(*n).unwrap_or(i32::MAX),
                })
                .collect(),
        ));
        let max = m.bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        back.set_bar_max(i32::try_from(max).unwrap_or(i32::MAX));
        back.set_totals(rows(&m.totals));

        let kiosk = w.global::<Kiosk>();
        let k = &m.kiosk;
        kiosk.set_headline(s(&k.headline));
        kiosk.set_steps(model(k.steps.iter().map(|t| s(t)).collect()));
        kiosk.set_countdown(s(&k.countdown));
        kiosk.set_sticker(k.sticker);
        kiosk.set_fixed(k.fixed);
        kiosk.set_providers(model(k.providers.iter().map(|t| s(t)).collect()));
        kiosk.set_action(s(&k.action));
        kiosk.set_staff_note(s(&k.staff_note));

        w.global::<Nav>().set_page(page(m.page));
    }

    /// Switches the `@tr` strings of every window to `lang` when it changed; Slint re-evaluates
    /// them, so no page is rebuilt. A language missing from the bundle keeps the text it had
    /// (logged): the window goes on working.
    fn select_language(&mut self, lang: Locale) {
        if self.lang == Some(lang) {
            return;
        }
        if let Err(e) = slint::select_bundled_translation(lang.code()) {
            tracing::error!(error = %e, language = lang.code(), "cannot switch the screen's language");
        }
        self.lang = Some(lang);
    }

    fn qr_image(&mut self, payload: &str) -> Result<(Image, usize), qr::QrError> {
        if let Some((p, image, side)) = &self.qr
            && p == payload
        {
            return Ok((image.clone(), *side));
        }
        let (image, side) = qr::image(payload)?;
        self.qr = Some((payload.to_string(), image.clone(), side));
        Ok((image, side))
    }
}
