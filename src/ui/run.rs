//! `kassa run` (and `kassa` with no subcommand): the terminal with its touchscreen. With no
//! config file it runs against the built-in simulators, so `cargo run` shows the whole product.
//!
//! Threads: the Slint event loop owns the main thread; the core's runtime, the journal writer
//! and the simulators run on a tokio runtime's worker threads. Views cross over on the
//! runtime's `watch` channel, read by a future on the Slint event loop; keys and taps go back
//! through [`RuntimeHandle::send`]. A 1 s [`slint::Timer`] moves the clock and countdowns.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;
use thiserror::Error;

use super::fill::Filler;
use super::keys::key_for_text;
use super::{AppWindow, Nav};
use crate::boot;
use crate::config::Config;
use crate::core::Event;
use crate::providers::setup::{self, SetupError};
use crate::runtime::{Clock, Runtime, RuntimeHandle};

/// What to tell someone who runs the terminal where there is no screen.
pub const NO_DISPLAY_HELP: &str = "Run it on a machine with a display, pick a backend with \
SLINT_BACKEND (e.g. SLINT_BACKEND=linuxkms on the device, built with --features kms), or take a \
payment without a screen: kassa pay --provider mcash --amount 12.50";

#[derive(Debug, Error)]
pub enum RunError {
    #[error(
        "kassa run: no display found (DISPLAY/WAYLAND_DISPLAY unset). {help}",
        help = NO_DISPLAY_HELP
    )]
    NoDisplay,
    #[error("kassa run: cannot open the window ({0}). {help}", help = NO_DISPLAY_HELP)]
    Window(String),
    #[error("{path}: {problems}")]
    Config { path: String, problems: String },
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
    #[error("cannot start the terminal: {0}")]
    Start(String),
    #[error("the window stopped: {0}")]
    EventLoop(String),
}

impl RunError {
    /// 2 for everything: the terminal did not run.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Loads `path` (or `./kassa.toml`), or with neither, starts the simulators and uses the demo
/// config. Prints where the customer page is in demo mode.
pub async fn load_config(path: Option<&Path>) -> Result<(Config, Option<DemoSim>), RunError> {
    let explicit = path.is_some();
    let path: PathBuf = path
        .map(Path::to_path_buf)
        .unwrap_or_else(crate::pay::default_config_path);
    if explicit || path.exists() {
        let config = Config::load(&path).map_err(|errors| RunError::Config {
            path: path.display().to_string(),
            problems: errors
                .problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        return Ok((config, None));
    }
    demo_config(&path).await
}

#[cfg(feature = "sim")]
pub type DemoSim = crate::sim::RunningSim;
#[cfg(not(feature = "sim"))]
pub type DemoSim = ();

#[cfg(feature = "sim")]
async fn demo_config(path: &Path) -> Result<(Config, Option<DemoSim>), RunError> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = crate::sim::Simulator::start(addr, crate::sim::SimOptions::default())
        .await
        .map_err(|e| RunError::Start(e.to_string()))?;
    println!(
        "No {} here: running against the built-in simulators (demo credentials).",
        path.display()
    );
    println!(
        "Customer page (scan, pay or reject as the customer): {}",
        sim.root_url()
    );
    let config = Config::demo(sim.root_url());
    Ok((config, Some(sim)))
}

#[cfg(not(feature = "sim"))]
async fn demo_config(path: &Path) -> Result<(Config, Option<DemoSim>), RunError> {
    Err(RunError::Config {
        path: path.display().to_string(),
        problems: "no config file (and this build has no simulators)".into(),
    })
}

/// Starts the core's runtime for `config` through the shared boot sequence (journal, sale
/// counter, history, crash recovery, outbox).
pub async fn start_terminal(config: &Config) -> Result<Runtime, RunError> {
    let providers = setup::from_config(config)?;
    Ok(boot::start(config, providers, Clock::system())?)
}

/// Whether this process can expect a desktop display.
fn display_env_present() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Opens the window with the platform Slint picks (winit on a desktop, `SLINT_BACKEND`
/// otherwise), or says plainly why it cannot.
pub fn open_window() -> Result<AppWindow, RunError> {
    match AppWindow::new() {
        Ok(app) => Ok(app),
        Err(e) => {
            let chose_backend = std::env::var_os("SLINT_BACKEND").is_some();
            if !display_env_present() && !chose_backend {
                Err(RunError::NoDisplay)
            } else {
                Err(RunError::Window(e.to_string()))
            }
        }
    }
}

/// Connects a window to a running terminal: keys and taps go to the core, views come back.
/// Must be called on the Slint event loop's thread. Returns the clock timer (keep it alive).
pub fn attach(app: &AppWindow, handle: &RuntimeHandle, clock: Clock) -> slint::Timer {
    let nav = app.global::<Nav>();
    let h = handle.clone();
    nav.on_key(move |text| {
        if let Some(key) = key_for_text(&text) {
            h.send(Event::Key(key));
        }
    });
    let h = handle.clone();
    nav.on_select(move |i| {
        if let Ok(i) = usize::try_from(i) {
            h.send(Event::Select(i));
        }
    });

    let filler = Rc::new(RefCell::new(Filler::new()));
    let refresh = {
        let app = app.as_weak();
        let views = handle.views();
        Rc::new(move || {
            if let Some(app) = app.upgrade() {
                let view = views.borrow().clone();
                filler.borrow_mut().fill(&app, &view, clock.now());
            }
        })
    };
    refresh();
    let mut views = handle.views();
    let on_change = refresh.clone();
    // Runs on the Slint event loop; tokio's watch channel works with any executor.
    if let Err(e) = slint::spawn_local(async move {
        while views.changed().await.is_ok() {
            on_change();
        }
    }) {
        tracing::error!(error = %e, "cannot follow the terminal's views");
    }
    let timer = slint::Timer::default();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(1),
        move || refresh(),
    );
    timer
}

/// `kassa run`: opens the window, starts the terminal, runs until the window is closed.
pub fn run(config: Option<&Path>) -> Result<(), RunError> {
    // The window first: without a display nothing else is started.
    let app = open_window()?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Start(e.to_string()))?;
    let (config, _sim) = tokio.block_on(load_config(config))?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let runtime = tokio.block_on(async { start_terminal(&config).await })?;
    let clock = Clock::system();
    let _timer = attach(&app, &runtime.handle, clock);
    let result = app.run().map_err(|e| RunError::EventLoop(e.to_string()));
    runtime.task.abort();
    let _ = tokio.block_on(runtime.task);
    result
}
