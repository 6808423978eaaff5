//! The pictures, for any embedded-graphics target whose colour has a [`Palette`]: the 128x64
//! OLED (on/off) and the 240x240 TFT (RGB565) each have a layout for their size. Text is
//! Latin-1 (the merchant's name may be Norwegian) in embedded-graphics' fixed fonts, enlarged by
//! whole pixels where the panel has room; a line too long for the panel shrinks, then is cut.

use embedded_graphics::mono_font::iso_8859_1::{FONT_5X8, FONT_6X10, FONT_10X20};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::{BinaryColor, Rgb565, RgbColor};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};

use super::fit::{PanelKind, QrFit, qr_fit};
use super::framebuffer::Framebuffer;
use super::screen::CustomerScreen;
use crate::money::Money;

/// The colours a layout uses, per kind of panel.
pub trait Palette: PixelColor {
    const PAPER: Self;
    const INK: Self;
    const QR_LIGHT: Self;
    const QR_DARK: Self;
    /// The paid banner: green on a colour panel, and used for nothing else.
    const PAID: Self;
    const NOT_PAID: Self;
    /// Text on either banner.
    const ON_BANNER: Self;
}

impl Palette for BinaryColor {
    // An OLED pixel that is off is dark and does not wear: the background stays off.
    const PAPER: Self = BinaryColor::Off;
    const INK: Self = BinaryColor::On;
    const QR_LIGHT: Self = BinaryColor::On;
    const QR_DARK: Self = BinaryColor::Off;
    const PAID: Self = BinaryColor::On;
    const NOT_PAID: Self = BinaryColor::Off;
    const ON_BANNER: Self = BinaryColor::Off;
}

impl Palette for Rgb565 {
    const PAPER: Self = Rgb565::WHITE;
    const INK: Self = Rgb565::BLACK;
    const QR_LIGHT: Self = Rgb565::WHITE;
    const QR_DARK: Self = Rgb565::BLACK;
    const PAID: Self = Rgb565::new(2, 40, 8);
    const NOT_PAID: Self = Rgb565::new(24, 6, 4);
    const ON_BANNER: Self = Rgb565::WHITE;
}

/// A font and a whole-pixel enlargement.
type Size_ = (&'static MonoFont<'static>, u32);

const BIG: &[Size_] = &[
    (&FONT_10X20, 3),
    (&FONT_10X20, 2),
    (&FONT_10X20, 1),
    (&FONT_6X10, 1),
];
const LARGE: &[Size_] = &[
    (&FONT_10X20, 2),
    (&FONT_10X20, 1),
    (&FONT_6X10, 1),
    (&FONT_5X8, 1),
];
const MEDIUM: &[Size_] = &[(&FONT_10X20, 1), (&FONT_6X10, 1), (&FONT_5X8, 1)];
const SMALL: &[Size_] = &[(&FONT_6X10, 1), (&FONT_5X8, 1)];

/// The first size in `sizes` at which `text` fits `width`; the smallest one, with the text cut
/// to fit, when none does.
fn pick(text: &str, width: u32, sizes: &[Size_]) -> (String, Size_) {
    let chars = text.chars().count() as u32;
    for &(font, k) in sizes {
        if chars * font.character_size.width * k <= width {
            return (text.to_string(), (font, k));
        }
    }
    let (font, k) = sizes[sizes.len() - 1];
    let fit = (width / (font.character_size.width * k)).max(1) as usize;
    // A cut line ends in '.' ('…' is not in Latin-1: the font would draw '?').
    let mut cut: String = text.chars().take(fit.saturating_sub(1)).collect();
    cut.push('.');
    (cut, (font, k))
}

/// Draws `text` centred on `center`, as large as `sizes` allow within `width`.
fn line<D>(
    t: &mut D,
    text: &str,
    center: Point,
    width: u32,
    sizes: &[Size_],
    color: D::Color,
) -> Result<(), D::Error>
where
    D: DrawTarget,
{
    let (text, (font, k)) = pick(text, width, sizes);
    let cell = font.character_size;
    let size = Size::new(cell.width * text.chars().count() as u32, cell.height);
    if k == 1 {
        let at = center - Point::new(size.width as i32 / 2, size.height as i32 / 2);
        Text::with_baseline(&text, at, MonoTextStyle::new(font, color), Baseline::Top).draw(t)?;
        return Ok(());
    }
    // Enlarged: draw at 1:1 into a scratch frame, then each lit pixel as a k x k square.
    let mut small = Framebuffer::new(size, BinaryColor::Off);
    let drawn = Text::with_baseline(
        &text,
        Point::zero(),
        MonoTextStyle::new(font, BinaryColor::On),
        Baseline::Top,
    )
    .draw(&mut small);
    let Ok(_) = drawn;
    let origin = center - Point::new((size.width * k) as i32 / 2, (size.height * k) as i32 / 2);
    for y in 0..size.height {
        for x in 0..size.width {
            let p = Point::new(x as i32, y as i32);
            if small.pixel(p) == Some(BinaryColor::On) {
                t.fill_solid(
                    &Rectangle::new(origin + p * k as i32, Size::new(k, k)),
                    color,
                )?;
            }
        }
    }
    Ok(())
}

/// The QR code, centred in `area`, light quiet zone included.
fn qr<D>(t: &mut D, fit: &QrFit, area: Rectangle) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Palette,
{
    let px = fit.px() as i32;
    let origin = area.top_left
        + Point::new(
            (area.size.width as i32 - px) / 2,
            (area.size.height as i32 - px) / 2,
        );
    t.fill_solid(
        &Rectangle::new(origin, Size::new(fit.px(), fit.px())),
        D::Color::QR_LIGHT,
    )?;
    let m = fit.module_px;
    let side = fit.side as usize;
    for (i, dark) in fit.dark.iter().enumerate() {
        if *dark {
            let p = Point::new((i % side) as i32, (i / side) as i32) * m as i32;
            t.fill_solid(
                &Rectangle::new(origin + p, Size::new(m, m)),
                D::Color::QR_DARK,
            )?;
        }
    }
    Ok(())
}

/// A check mark in `bx` (paid).
fn check<D: DrawTarget>(t: &mut D, bx: Rectangle, color: D::Color, w: u32) -> Result<(), D::Error> {
    let (x, y) = (bx.top_left.x, bx.top_left.y);
    let (sw, sh) = (bx.size.width as i32, bx.size.height as i32);
    let style = PrimitiveStyle::with_stroke(color, w);
    let a = Point::new(x, y + sh / 2);
    let b = Point::new(x + sw / 3, y + sh - 1);
    let c = Point::new(x + sw - 1, y);
    Line::new(a, b).into_styled(style).draw(t)?;
    Line::new(b, c).into_styled(style).draw(t)
}

/// A cross in `bx` (not paid).
fn cross<D: DrawTarget>(t: &mut D, bx: Rectangle, color: D::Color, w: u32) -> Result<(), D::Error> {
    let (x, y) = (bx.top_left.x, bx.top_left.y);
    let (x2, y2) = (x + bx.size.width as i32 - 1, y + bx.size.height as i32 - 1);
    let style = PrimitiveStyle::with_stroke(color, w);
    Line::new(Point::new(x, y), Point::new(x2, y2))
        .into_styled(style)
        .draw(t)?;
    Line::new(Point::new(x2, y), Point::new(x, y2))
        .into_styled(style)
        .draw(t)
}

fn amount_text(m: Money) -> String {
    format!("{} {}", m.to_decimal_string(), m.currency().code())
}

/// Draws `screen` for `panel` on `t`, which should be `panel.size()` large.
pub fn draw<D>(t: &mut D, panel: PanelKind, screen: &CustomerScreen) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Palette,
{
    t.clear(D::Color::PAPER)?;
    match panel {
        PanelKind::Ssd1306_128x64 => small_panel(t, screen),
        PanelKind::St7789_240x240 => square_panel(t, screen),
    }
}

/// 128x64: the QR code fills the left half, the amount the right.
fn small_panel<D>(t: &mut D, screen: &CustomerScreen) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Palette,
{
    let ink = D::Color::INK;
    match screen {
        CustomerScreen::Idle { title: None } => Ok(()),
        CustomerScreen::Idle { title: Some(title) } => {
            line(t, title, Point::new(64, 32), 124, MEDIUM, ink)
        }
        CustomerScreen::Amount { amount, note } => {
            let y = if note.is_some() { 22 } else { 32 };
            line(
                t,
                &amount_text(*amount),
                Point::new(64, y),
                124,
                MEDIUM,
                ink,
            )?;
            if let Some(note) = note {
                line(t, note, Point::new(64, 50), 124, SMALL, ink)?;
            }
            Ok(())
        }
        CustomerScreen::Qr { amount, payload } => {
            match qr_fit(payload, PanelKind::Ssd1306_128x64) {
                Ok(fit) => {
                    qr(t, &fit, PanelKind::Ssd1306_128x64.qr_area())?;
                    line(
                        t,
                        &amount.to_decimal_string(),
                        Point::new(96, 16),
                        62,
                        MEDIUM,
                        ink,
                    )?;
                    line(
                        t,
                        amount.currency().code(),
                        Point::new(96, 34),
                        62,
                        SMALL,
                        ink,
                    )?;
                    line(t, "Scan", Point::new(96, 52), 62, SMALL, ink)
                }
                // Refused at config check; a longer payload at run time still shows the amount.
                Err(_) => {
                    line(
                        t,
                        &amount_text(*amount),
                        Point::new(64, 22),
                        124,
                        MEDIUM,
                        ink,
                    )?;
                    line(t, "Scan the till", Point::new(64, 50), 124, SMALL, ink)
                }
            }
        }
        CustomerScreen::Paid { amount } => {
            // The whole panel lit: "paid" reads from across the counter.
            t.clear(D::Color::PAID)?;
            let on = D::Color::ON_BANNER;
            check(
                t,
                Rectangle::new(Point::new(6, 8), Size::new(28, 24)),
                on,
                4,
            )?;
            line(t, "PAID", Point::new(82, 20), 84, LARGE, on)?;
            line(
                t,
                &amount_text(*amount),
                Point::new(64, 50),
                124,
                MEDIUM,
                on,
            )
        }
        CustomerScreen::NotPaid { amount, why } => {
            cross(
                t,
                Rectangle::new(Point::new(6, 6), Size::new(20, 20)),
                ink,
                3,
            )?;
            line(t, "NOT PAID", Point::new(76, 16), 100, MEDIUM, ink)?;
            line(t, why, Point::new(64, 37), 124, SMALL, ink)?;
            line(
                t,
                &amount_text(*amount),
                Point::new(64, 54),
                124,
                SMALL,
                ink,
            )
        }
    }
}

/// 240x240: the amount on top, the QR code under it; paid and not paid as full banners.
fn square_panel<D>(t: &mut D, screen: &CustomerScreen) -> Result<(), D::Error>
where
    D: DrawTarget,
    D::Color: Palette,
{
    let ink = D::Color::INK;
    match screen {
        CustomerScreen::Idle { title: None } => Ok(()),
        CustomerScreen::Idle { title: Some(title) } => {
            line(t, title, Point::new(120, 120), 228, LARGE, ink)
        }
        CustomerScreen::Amount { amount, note } => {
            line(
                t,
                &amount.to_decimal_string(),
                Point::new(120, 96),
                228,
                BIG,
                ink,
            )?;
            line(
                t,
                amount.currency().code(),
                Point::new(120, 144),
                228,
                MEDIUM,
                ink,
            )?;
            if let Some(note) = note {
                line(t, note, Point::new(120, 196), 228, MEDIUM, ink)?;
            }
            Ok(())
        }
        CustomerScreen::Qr { amount, payload } => {
            line(
                t,
                &amount_text(*amount),
                Point::new(120, 18),
                228,
                MEDIUM,
                ink,
            )?;
            match qr_fit(payload, PanelKind::St7789_240x240) {
                Ok(fit) => qr(t, &fit, PanelKind::St7789_240x240.qr_area()),
                Err(_) => line(
                    t,
                    "Scan the code on the till",
                    Point::new(120, 130),
                    228,
                    MEDIUM,
                    ink,
                ),
            }
        }
        CustomerScreen::Paid { amount } => {
            t.clear(D::Color::PAID)?;
            let on = D::Color::ON_BANNER;
            check(
                t,
                Rectangle::new(Point::new(80, 30), Size::new(80, 64)),
                on,
                10,
            )?;
            line(t, "PAID", Point::new(120, 140), 228, BIG, on)?;
            line(
                t,
                &amount_text(*amount),
                Point::new(120, 200),
                228,
                LARGE,
                on,
            )
        }
        CustomerScreen::NotPaid { amount, why } => {
            let on = D::Color::ON_BANNER;
            t.fill_solid(
                &Rectangle::new(Point::zero(), Size::new(240, 130)),
                D::Color::NOT_PAID,
            )?;
            cross(
                t,
                Rectangle::new(Point::new(95, 12), Size::new(50, 50)),
                on,
                8,
            )?;
            line(t, "NOT PAID", Point::new(120, 98), 228, LARGE, on)?;
            line(t, why, Point::new(120, 160), 228, MEDIUM, ink)?;
            line(
                t,
                &amount_text(*amount),
                Point::new(120, 205),
                228,
                LARGE,
                ink,
            )
        }
    }
}
