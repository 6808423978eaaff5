//! Whether a QR payload can be drawn on a panel so that a phone reads it: every module at least
//! [`MIN_MODULE_PX`] pixels wide with a [`QUIET`]-module light border, inside the square the
//! layout gives the code. `kassa config check` runs the same test on the configured provider's
//! longest payload, so a panel that cannot show its codes is refused before the first sale.

use embedded_graphics::prelude::{Point, Size};
use embedded_graphics::primitives::Rectangle;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::config::{CustomerDisplay, ProvidersConfig};

/// Light modules around the code. The QR specification asks for four; a panel this small
/// cannot spare them, and two read well with phones (and with the tests' decoder).
pub const QUIET: u32 = 2;
/// Below two pixels a module is a fraction of a millimetre on these panels: refused.
pub const MIN_MODULE_PX: u32 = 2;

/// The panels `[hardware] customer_display` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    /// 128x64 monochrome OLED over I2C.
    Ssd1306_128x64,
    /// 240x240 colour TFT over SPI.
    St7789_240x240,
}

impl PanelKind {
    pub fn from_config(display: CustomerDisplay) -> Option<PanelKind> {
        match display {
            CustomerDisplay::None => None,
            CustomerDisplay::Ssd1306_128x64 => Some(PanelKind::Ssd1306_128x64),
            CustomerDisplay::St7789_240x240 => Some(PanelKind::St7789_240x240),
        }
    }

    /// As written in the config.
    pub fn name(self) -> &'static str {
        match self {
            PanelKind::Ssd1306_128x64 => "ssd1306-128x64",
            PanelKind::St7789_240x240 => "st7789-240x240",
        }
    }

    pub fn size(self) -> Size {
        match self {
            PanelKind::Ssd1306_128x64 => Size::new(128, 64),
            PanelKind::St7789_240x240 => Size::new(240, 240),
        }
    }

    /// The square the QR code (quiet zone included) may fill: the left half of the OLED (the
    /// amount goes on the right), everything under the amount band on the colour panel.
    pub fn qr_area(self) -> Rectangle {
        match self {
            PanelKind::Ssd1306_128x64 => Rectangle::new(Point::new(0, 0), Size::new(64, 64)),
            PanelKind::St7789_240x240 => Rectangle::new(Point::new(18, 36), Size::new(204, 204)),
        }
    }

    /// The largest QR version this panel shows at [`MIN_MODULE_PX`].
    pub fn max_version(self) -> i16 {
        let side = self.qr_area().size.width.min(self.qr_area().size.height);
        let modules = side / MIN_MODULE_PX;
        // Version v is 17 + 4v modules across, plus the quiet zone.
        let v = modules.saturating_sub(17 + 2 * QUIET) / 4;
        i16::try_from(v.min(40)).unwrap_or(40)
    }
}

/// A QR code sized for a panel: what to draw and how large.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrFit {
    pub version: i16,
    pub ec: EcLevel,
    /// Modules across, quiet zone included.
    pub side: u32,
    /// Pixels per module.
    pub module_px: u32,
    /// `dark[y * side + x]`, quiet zone included.
    pub dark: Vec<bool>,
}

impl QrFit {
    /// Pixels across, quiet zone included.
    pub fn px(&self) -> u32 {
        self.side * self.module_px
    }
}

/// A payload whose QR code this panel cannot show readably.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct TooDense {
    pub panel: PanelKind,
    pub chars: usize,
    /// The version it needs at low error correction; `None` if no QR code holds it.
    pub needs_version: Option<i16>,
    pub max_version: i16,
}

impl TooDense {
    fn describe(&self) -> String {
        let needs = match self.needs_version {
            Some(v) => format!("needs QR version {v} ({} modules)", 17 + 4 * v),
            None => "is too long for any QR code".to_string(),
        };
        format!(
            "a {}-character QR payload {needs}; the {} panel shows at most version {} ({} modules) at {MIN_MODULE_PX} px a module: shorten the payload (a shorter pos_id) or use a larger panel",
            self.chars,
            self.panel.name(),
            self.max_version,
            17 + 4 * self.max_version,
        )
    }
}

fn encode(payload: &str, ec: EcLevel) -> Option<QrCode> {
    QrCode::with_error_correction_level(payload.as_bytes(), ec).ok()
}

/// Sizes `payload` for `panel`: medium error correction when it fits, else low; the largest
/// whole number of pixels a module.
pub fn qr_fit(payload: &str, panel: PanelKind) -> Result<QrFit, TooDense> {
    let area = panel.qr_area().size;
    let room = area.width.min(area.height);
    for ec in [EcLevel::M, EcLevel::L] {
        let Some(code) = encode(payload, ec) else {
            continue;
        };
        let width = u32::try_from(code.width()).unwrap_or(u32::MAX);
        let side = width.saturating_add(2 * QUIET);
        let module_px = room / side;
        if module_px < MIN_MODULE_PX {
            continue;
        }
        let version = match code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        };
        let colors = code.to_colors();
        let (w, s, q) = (width as usize, side as usize, QUIET as usize);
        let mut dark = vec![false; s * s];
        for y in 0..w {
            for x in 0..w {
                dark[(y + q) * s + x + q] = colors[y * w + x] == Color::Dark;
            }
        }
        return Ok(QrFit {
            version,
            ec,
            side,
            module_px,
            dark,
        });
    }
    Err(TooDense {
        panel,
        chars: payload.chars().count(),
        needs_version: encode(payload, EcLevel::L).map(|c| match c.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        }),
        max_version: panel.max_version(),
    })
}

/// The longest QR payloads the configured providers will ask the display to show (each
/// provider's settings know theirs; a provider that shows no QR code has none).
pub fn longest_qr_payload(providers: &ProvidersConfig) -> Vec<String> {
    providers
        .iter()
        .filter_map(|(_, settings)| settings.longest_qr_payload())
        .collect()
}

/// The config check: every payload the providers will show must fit the configured panel.
pub fn check_config(display: CustomerDisplay, providers: &ProvidersConfig) -> Result<(), TooDense> {
    let Some(panel) = PanelKind::from_config(display) else {
        return Ok(());
    };
    for payload in longest_qr_payload(providers) {
        qr_fit(&payload, panel)?;
    }
    Ok(())
}
