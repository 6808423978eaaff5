//! The panels on their wires, and the [`Driver`] that keeps one in step with the terminal.
//!
//! SSD1306: I2C bus 1 (GPIO 2 SDA, GPIO 3 SCL), address 0x3C, through the `ssd1306` crate.
//! ST7789: SPI0 with chip select CE0 (GPIO 8), data/command on GPIO 25, reset on GPIO 27,
//! backlight on GPIO 24 (the common 1.3" 240x240 HAT wiring), through `mipidsi`. Both run over
//! rppal's embedded-hal implementation. Each frame is drawn in memory first and sent whole.
//!
//! With `[hardware] enabled = false` a [`SimulatedPanel`] stands in and records what it was
//! asked to show, so the desktop and the tests run the same path without a bus.

use std::sync::{Arc, Mutex};

use embedded_graphics::pixelcolor::{BinaryColor, Rgb565};
use embedded_graphics::prelude::{Point, RgbColor};

use super::DisplayError;
use super::draw::draw;
use super::fit::PanelKind;
use super::framebuffer::Framebuffer;
use super::screen::CustomerScreen;
use crate::config::HardwareConfig;
use crate::core::view::View;

/// ST7789 wiring (BCM numbers); see the module comment.
pub const ST7789_DC_PIN: u8 = 25;
pub const ST7789_RESET_PIN: u8 = 27;
pub const ST7789_BACKLIGHT_PIN: u8 = 24;
/// SPI clock for the ST7789: a full 240x240 frame in about 25 ms.
const ST7789_SPI_HZ: u32 = 40_000_000;

/// A panel that can show a customer screen.
pub trait Panel: Send {
    fn kind(&self) -> PanelKind;
    fn show(&mut self, screen: &CustomerScreen) -> Result<(), DisplayError>;
}

fn frame_of<C: super::draw::Palette>(kind: PanelKind, screen: &CustomerScreen) -> Framebuffer<C> {
    let mut frame = Framebuffer::new(kind.size(), C::PAPER);
    let drawn = draw(&mut frame, kind, screen);
    // Drawing into memory cannot fail (its error type is Infallible).
    let Ok(()) = drawn;
    frame
}

/// The frame `kind` shows for `screen`, as 8-bit RGB (tests, PNG files).
pub fn render_rgb(kind: PanelKind, screen: &CustomerScreen) -> Framebuffer<RgbOf> {
    match kind {
        PanelKind::Ssd1306_128x64 => {
            let f: Framebuffer<BinaryColor> = frame_of(kind, screen);
            recolour(&f, |c| match c {
                BinaryColor::On => RgbOf::WHITE,
                BinaryColor::Off => RgbOf::BLACK,
            })
        }
        PanelKind::St7789_240x240 => {
            let f: Framebuffer<Rgb565> = frame_of(kind, screen);
            recolour(&f, |c| c.into())
        }
    }
}

/// The colour [`render_rgb`] returns.
pub type RgbOf = embedded_graphics::pixelcolor::Rgb888;

fn recolour<A, B>(f: &Framebuffer<A>, map: impl Fn(A) -> B) -> Framebuffer<B>
where
    A: embedded_graphics::pixelcolor::PixelColor,
    B: embedded_graphics::pixelcolor::PixelColor,
{
    let size = embedded_graphics::prelude::OriginDimensions::size(f);
    let mut out = Framebuffer::new(size, map(f.pixels()[0]));
    let pixels = f.pixels().iter().enumerate().map(|(i, c)| {
        let i = i as u32;
        embedded_graphics::Pixel(
            Point::new((i % size.width) as i32, (i / size.width) as i32),
            map(*c),
        )
    });
    let drawn = embedded_graphics::prelude::DrawTarget::draw_iter(&mut out, pixels);
    let Ok(()) = drawn;
    out
}

/// Stands in for a panel: remembers every screen it was asked to show.
#[derive(Clone)]
pub struct SimulatedPanel {
    kind: PanelKind,
    shown: Arc<Mutex<Vec<CustomerScreen>>>,
}

impl SimulatedPanel {
    pub fn new(kind: PanelKind) -> SimulatedPanel {
        SimulatedPanel {
            kind,
            shown: Arc::default(),
        }
    }

    /// Every screen shown so far, oldest first.
    pub fn shown(&self) -> Vec<CustomerScreen> {
        self.shown.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Panel for SimulatedPanel {
    fn kind(&self) -> PanelKind {
        self.kind
    }

    fn show(&mut self, screen: &CustomerScreen) -> Result<(), DisplayError> {
        // Drawn as the real panel would, so a layout that cannot draw shows up here too.
        let _frame = render_rgb(self.kind, screen);
        if let Ok(mut s) = self.shown.lock() {
            s.push(screen.clone());
        }
        Ok(())
    }
}

type Oled = ssd1306::Ssd1306<
    ssd1306::prelude::I2CInterface<rppal::i2c::I2c>,
    ssd1306::size::DisplaySize128x64,
    ssd1306::mode::BufferedGraphicsMode<ssd1306::size::DisplaySize128x64>,
>;

/// The 128x64 OLED on I2C bus 1.
pub struct Ssd1306Panel {
    oled: Oled,
}

fn open_error(kind: PanelKind, bus: &'static str, reason: impl std::fmt::Display) -> DisplayError {
    DisplayError::Open {
        panel: kind.name(),
        bus,
        reason: reason.to_string(),
    }
}

impl Ssd1306Panel {
    pub fn open() -> Result<Ssd1306Panel, DisplayError> {
        use ssd1306::mode::DisplayConfig;
        let kind = PanelKind::Ssd1306_128x64;
        let i2c = rppal::i2c::I2c::new().map_err(|e| open_error(kind, "I2C", e))?;
        let mut oled = ssd1306::Ssd1306::new(
            ssd1306::I2CDisplayInterface::new(i2c),
            ssd1306::size::DisplaySize128x64,
            ssd1306::rotation::DisplayRotation::Rotate0,
        )
        .into_buffered_graphics_mode();
        oled.init()
            .map_err(|e| open_error(kind, "I2C", format!("no answer at 0x3C ({e:?})")))?;
        Ok(Ssd1306Panel { oled })
    }
}

impl Panel for Ssd1306Panel {
    fn kind(&self) -> PanelKind {
        PanelKind::Ssd1306_128x64
    }

    fn show(&mut self, screen: &CustomerScreen) -> Result<(), DisplayError> {
        let frame: Framebuffer<BinaryColor> = frame_of(self.kind(), screen);
        for (i, c) in frame.pixels().iter().enumerate() {
            let i = i as u32;
            self.oled.set_pixel(i % 128, i / 128, c.is_on());
        }
        self.oled.flush().map_err(|e| DisplayError::Write {
            panel: self.kind().name(),
            reason: format!("{e:?}"),
        })
    }
}

type Tft = mipidsi::Display<
    mipidsi::interface::SpiInterface<
        'static,
        rppal::spi::SimpleHalSpiDevice,
        rppal::gpio::OutputPin,
    >,
    mipidsi::models::ST7789,
    rppal::gpio::OutputPin,
>;

/// The 240x240 TFT on SPI0.
pub struct St7789Panel {
    tft: Tft,
    /// Held so the backlight stays on (rppal resets a pin when it is dropped).
    _backlight: rppal::gpio::OutputPin,
}

impl St7789Panel {
    pub fn open() -> Result<St7789Panel, DisplayError> {
        use rppal::spi::{Bus, Mode, SlaveSelect, Spi};
        let kind = PanelKind::St7789_240x240;
        let gpio = rppal::gpio::Gpio::new().map_err(|e| open_error(kind, "GPIO", e))?;
        let pin = |n: u8| {
            gpio.get(n)
                .map(|p| p.into_output())
                .map_err(|e| open_error(kind, "GPIO", format!("GPIO {n}: {e}")))
        };
        let dc = pin(ST7789_DC_PIN)?;
        let reset = pin(ST7789_RESET_PIN)?;
        let mut backlight = pin(ST7789_BACKLIGHT_PIN)?;
        backlight.set_high();
        let spi = Spi::new(Bus::Spi0, SlaveSelect::Ss0, ST7789_SPI_HZ, Mode::Mode0)
            .map_err(|e| open_error(kind, "SPI", e))?;
        // The interface borrows its transfer buffer for as long as the panel lives: once per
        // process, so leaking 512 bytes is the simplest owner.
        let buffer: &'static mut [u8] = Box::leak(vec![0u8; 512].into_boxed_slice());
        let interface = mipidsi::interface::SpiInterface::new(
            rppal::spi::SimpleHalSpiDevice::new(spi),
            dc,
            buffer,
        );
        let tft = mipidsi::Builder::new(mipidsi::models::ST7789, interface)
            .display_size(240, 240)
            .invert_colors(mipidsi::options::ColorInversion::Inverted)
            .reset_pin(reset)
            .init(&mut rppal::hal::Delay::new())
            .map_err(|e| open_error(kind, "SPI", format!("{e:?}")))?;
        Ok(St7789Panel {
            tft,
            _backlight: backlight,
        })
    }
}

impl Panel for St7789Panel {
    fn kind(&self) -> PanelKind {
        PanelKind::St7789_240x240
    }

    fn show(&mut self, screen: &CustomerScreen) -> Result<(), DisplayError> {
        let frame: Framebuffer<Rgb565> = frame_of(self.kind(), screen);
        self.tft
            .set_pixels(0, 0, 239, 239, frame.pixels().iter().copied())
            .map_err(|e| DisplayError::Write {
                panel: self.kind().name(),
                reason: format!("{e:?}"),
            })
    }
}

/// Keeps a panel showing what the terminal's view means for the customer; redraws only when
/// that changes (a countdown ticking on the cashier's screen does not touch the bus).
pub struct Driver {
    panel: Box<dyn Panel>,
    title: Option<String>,
    last: Option<CustomerScreen>,
}

impl Driver {
    /// `title` is what the panel shows when idle (the merchant's name), if anything.
    pub fn new(panel: Box<dyn Panel>, title: Option<String>) -> Driver {
        Driver {
            panel,
            title,
            last: None,
        }
    }

    /// Shows what `view` means for the customer; `Ok(true)` when the panel was redrawn. After
    /// a failed write the same screen is tried again at the next view.
    pub fn update(&mut self, view: &View) -> Result<bool, DisplayError> {
        let screen = CustomerScreen::from_view(view, self.title.as_deref());
        if self.last.as_ref() == Some(&screen) {
            return Ok(false);
        }
        self.last = None;
        self.panel.show(&screen)?;
        self.last = Some(screen);
        Ok(true)
    }
}

/// The configured panel, opened; `None` when `[hardware] customer_display = "none"`. With
/// `[hardware] enabled = false`, a [`SimulatedPanel`].
pub fn open(hw: &HardwareConfig, title: Option<String>) -> Result<Option<Driver>, DisplayError> {
    let Some(kind) = PanelKind::from_config(hw.customer_display) else {
        return Ok(None);
    };
    let panel: Box<dyn Panel> = if !hw.enabled {
        Box::new(SimulatedPanel::new(kind))
    } else {
        match kind {
            PanelKind::Ssd1306_128x64 => Box::new(Ssd1306Panel::open()?),
            PanelKind::St7789_240x240 => Box::new(St7789Panel::open()?),
        }
    };
    Ok(Some(Driver::new(panel, title)))
}

/// Follows the terminal's views (`RuntimeHandle::views()`) on the tokio runtime until the
/// runtime stops. Bus writes run on the blocking pool, never on the UI thread. A failing panel
/// is logged once, not at every view, and does not stop the terminal.
pub fn follow(
    mut views: tokio::sync::watch::Receiver<View>,
    driver: Driver,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut driver = driver;
        let mut failing = false;
        loop {
            let view = views.borrow_and_update().clone();
            let Ok((back, result)) = tokio::task::spawn_blocking(move || {
                let r = driver.update(&view);
                (driver, r)
            })
            .await
            else {
                return;
            };
            driver = back;
            match result {
                Err(e) if !failing => {
                    tracing::error!(error = %e, "customer display");
                    failing = true;
                }
                Err(_) => {}
                Ok(_) => failing = false,
            }
            if views.changed().await.is_err() {
                return;
            }
        }
    })
}

/// What `kassa run` calls once the runtime is up (inside its tokio context): opens the
/// configured panel and follows `views`. The display is optional: a panel that cannot be
/// opened is logged (naming the setting) and the terminal sells without it.
pub fn start(
    config: &crate::config::Config,
    views: tokio::sync::watch::Receiver<View>,
) -> Option<tokio::task::JoinHandle<()>> {
    // No merchant name in the config yet: the idle panel stays blank.
    match open(&config.hardware, None) {
        Ok(Some(driver)) => Some(follow(views, driver)),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "customer display not started");
            None
        }
    }
}
