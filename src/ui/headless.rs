//! Rendering without a display: a Slint platform whose windows draw with the software renderer
//! into memory, for `kassa screens`, the screenshot tests and the benchmarks. The same fonts are
//! embedded, so the pixels are those the device shows.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, WindowAdapter};
use slint::{ComponentHandle, EventLoopError, PhysicalSize, PlatformError, Rgb8Pixel};
use thiserror::Error;

use super::AppWindow;

#[derive(Debug, Error)]
pub enum HeadlessError {
    #[error("cannot set up off-screen rendering: {0}")]
    Platform(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot encode {path} as PNG: {source}")]
    Png {
        path: String,
        source: png::EncodingError,
    },
}

thread_local! {
    static CREATED: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

type Job = Box<dyn FnOnce() + Send>;

/// What other threads (and `slint::spawn_local` wake-ups) asked to run on the UI thread; run by
/// [`pump`].
static JOBS: Mutex<VecDeque<Job>> = Mutex::new(VecDeque::new());

struct Proxy;

impl EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), EventLoopError> {
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Job) -> Result<(), EventLoopError> {
        JOBS.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(event);
        Ok(())
    }
}

/// The off-screen clock for Slint's timers and animations, in milliseconds. It runs with real
/// time plus `CLOCK_SKIP_MS`, except while a [`FrozenClock`] holds it at `FROZEN_MS` (`u64::MAX`:
/// not frozen). Slint insists that this clock never goes back, so freezing only moves it forward
/// and thawing skips the real clock ahead to where the frozen one stood.
static FROZEN_MS: AtomicU64 = AtomicU64::new(u64::MAX);
static CLOCK_SKIP_MS: AtomicU64 = AtomicU64::new(0);

fn running_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let real =
        u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX);
    real.saturating_add(CLOCK_SKIP_MS.load(Ordering::SeqCst))
}

/// Holds Slint's animation clock still while it lives, so that pictures of animated screens (the
/// progress bar) come out the same on every run and every machine. Timers do not fire while it is
/// held: take pictures under it, never drive interactions.
pub struct FrozenClock(());

impl FrozenClock {
    /// The progress bar sweeps once every 1.6 s (`ui/widgets/page-frame.slint`): the clock stops
    /// at the next whole sweep plus `phase_ms`, always ahead of where it stood.
    pub fn at_phase(phase_ms: u64) -> FrozenClock {
        const SWEEP_MS: u64 = 1600;
        let now = running_ms();
        let at = (now / SWEEP_MS + 1) * SWEEP_MS + phase_ms % SWEEP_MS;
        FROZEN_MS.store(at, Ordering::SeqCst);
        FrozenClock(())
    }
}

impl Drop for FrozenClock {
    fn drop(&mut self) {
        let frozen = FROZEN_MS.swap(u64::MAX, Ordering::SeqCst);
        let now = running_ms();
        if frozen != u64::MAX && frozen > now {
            CLOCK_SKIP_MS.fetch_add(frozen - now, Ordering::SeqCst);
        }
    }
}

struct Headless;

impl Platform for Headless {
    fn duration_since_start(&self) -> Duration {
        Duration::from_millis(match FROZEN_MS.load(Ordering::SeqCst) {
            u64::MAX => running_ms(),
            frozen => frozen,
        })
    }

    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        CREATED.with(|c| *c.borrow_mut() = Some(window.clone()));
        Ok(window)
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(Proxy))
    }
}

/// The off-screen event loop, one turn: runs what was queued for the UI thread (view updates
/// from the terminal) and due timers. Call it on the thread that set the platform.
pub fn pump() {
    loop {
        let job = JOBS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop_front();
        match job {
            Some(job) => job(),
            None => break,
        }
    }
    slint::platform::update_timers_and_animations();
}

/// Makes this thread render off-screen. Slint keeps its platform per thread and its event loop
/// proxy per process, so use one thread for all off-screen windows of a process; calling this
/// again on that thread is fine. Fails if another platform is already in use.
pub fn use_headless_platform() -> Result<(), HeadlessError> {
    thread_local! { static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) }; }
    if DONE.with(|d| d.get()) {
        return Ok(());
    }
    slint::platform::set_platform(Box::new(Headless))
        .map_err(|e| HeadlessError::Platform(e.to_string()))?;
    DONE.with(|d| d.set(true));
    Ok(())
}

/// An RGB image, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Frame {
    pub fn pixel(&self, x: u32, y: u32) -> (u8, u8, u8) {
        let i = ((y * self.width + x) * 3) as usize;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Grey levels, for decoders.
    pub fn luma(&self) -> Vec<u8> {
        self.rgb
            .chunks_exact(3)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                    as u8
            })
            .collect()
    }

    pub fn write_png(&self, path: &Path) -> Result<(), HeadlessError> {
        let name = path.display().to_string();
        let file = std::fs::File::create(path).map_err(|source| HeadlessError::Write {
            path: name.clone(),
            source,
        })?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let png_err = |source| HeadlessError::Png {
            path: name.clone(),
            source,
        };
        let mut writer = encoder.write_header().map_err(png_err)?;
        writer.write_image_data(&self.rgb).map_err(png_err)?;
        writer.finish().map_err(png_err)
    }
}

/// A terminal window that renders into memory.
pub struct OffscreenWindow {
    pub app: AppWindow,
    window: Rc<MinimalSoftwareWindow>,
}

impl OffscreenWindow {
    /// Creates the window on this thread (setting the off-screen platform if needed).
    pub fn new(width: u32, height: u32) -> Result<OffscreenWindow, HeadlessError> {
        use_headless_platform()?;
        let app = AppWindow::new().map_err(|e| HeadlessError::Platform(e.to_string()))?;
        super::fonts::use_embedded_fonts().map_err(|e| HeadlessError::Platform(e.to_string()))?;
        let window = CREATED
            .with(|c| c.borrow_mut().take())
            .ok_or_else(|| HeadlessError::Platform("no window was created".into()))?;
        window.set_size(PhysicalSize::new(width, height));
        app.show()
            .map_err(|e| HeadlessError::Platform(e.to_string()))?;
        Ok(OffscreenWindow { app, window })
    }

    pub fn resize(&self, width: u32, height: u32) {
        self.window.set_size(PhysicalSize::new(width, height));
    }

    /// Draws the whole window as it stands now.
    pub fn render(&self) -> Frame {
        slint::platform::update_timers_and_animations();
        let size = self.window.size();
        let (w, h) = (size.width, size.height);
        let mut pixels = vec![Rgb8Pixel::new(0, 0, 0); (w * h) as usize];
        self.window.request_redraw();
        self.window.draw_if_needed(|renderer| {
            renderer.render(&mut pixels, w as usize);
        });
        let mut rgb = Vec::with_capacity(pixels.len() * 3);
        for p in pixels {
            rgb.extend_from_slice(&[p.r, p.g, p.b]);
        }
        Frame {
            width: w,
            height: h,
            rgb,
        }
    }
}
