//! `kassa run` (and `kassa` with no subcommand): the terminal with its touchscreen. With no
//! config file it runs against the built-in simulators, so `cargo run` shows the whole product.
//!
//! Threads: the Slint event loop owns the main thread; the core's runtime, the journal writer
//! and the simulators run on a tokio runtime's worker threads. Views cross over on the
//! runtime's `watch` channel, read by a future on the Slint event loop; keys and taps go back
//! through [`RuntimeHandle::send`]. A 1 s [`slint::Timer`] moves the clock and countdowns.
//! With `[hardware]`, the keypad's thread sends its keys through the same handle, and the core's
//! signals and vend requests go to the outputs' thread ([`crate::hw`]). Under systemd, READY=1
//! follows start-up and a timer on the event loop pings the watchdog ([`super::watchdog`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;
use thiserror::Error;

use super::fill::Filler;
use super::keys::key_for_text;
use super::watchdog::{Systemd, Watchdog, ping_interval_from_env};
use super::{AppWindow, Nav};
use crate::boot;
use crate::config::Config;
use crate::core::{Event, Key, Signal};
use crate::hw::outputs::Command;
use crate::hw::{Device, HwError};
use crate::providers::setup::{self, SetupError};
use crate::runtime::{Clock, Output, Runtime, RuntimeHandle};

/// What to tell someone who runs the terminal where there is no screen.
pub const NO_DISPLAY_HELP: &str = "Run it on a machine with a display, pick a backend with \
SLINT_BACKEND (e.g. SLINT_BACKEND=linuxkms on the device, built with --features kms), or take a \
payment without a screen: kassa pay --provider mcash --amount 12.50";

/// The device build's advice: there "no display" means Slint's linuxkms backend found no screen
/// it may draw on. With no seat daemon, kassa opens /dev/dri and /dev/input itself.
pub const NO_SCREEN_HELP: &str = "On the device: connect the screen, load its KMS driver, and run \
kassa as a user in the video and input groups (it opens /dev/dri/card* and /dev/input/event* \
itself); on a desktop, set DISPLAY or WAYLAND_DISPLAY (SLINT_BACKEND=linuxkms forces the device \
screen); or take a payment without a screen: kassa pay --provider mcash --amount 12.50";

#[derive(Debug, Error)]
pub enum RunError {
    #[error(
        "kassa run: no display found (DISPLAY/WAYLAND_DISPLAY unset). {help}",
        help = NO_DISPLAY_HELP
    )]
    NoDisplay,
    /// The device build (`--features kms`) found no DRM/KMS or framebuffer screen it may use.
    #[error("kassa run: no display found: {problem}. {help}", help = NO_SCREEN_HELP)]
    NoScreen { problem: String },
    /// `SLINT_BACKEND=linuxkms` on a build without the device backend.
    #[error(
        "kassa run: SLINT_BACKEND asks for linuxkms, but this build has no linuxkms backend \
(build it with: cargo build --features kms), and the desktop window failed too ({0}). {help}",
        help = NO_DISPLAY_HELP
    )]
    NoKmsBackend(String),
    #[error("kassa run: cannot open the window ({0}). {help}", help = NO_DISPLAY_HELP)]
    Window(String),
    #[error("{path}: {problems}")]
    Config { path: String, problems: String },
    /// `--demo <market>` cannot be opened (unknown market, no demo yet, or with `--config`).
    #[error("{0}")]
    Demo(String),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
    #[error("kassa run: {0}")]
    Hardware(#[from] HwError),
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
/// config. `demo` (`--demo <market>`) asks for the demo of that market whatever files exist.
/// Prints where the customer page is in demo mode.
pub async fn load_config(
    path: Option<&Path>,
    demo: Option<&str>,
) -> Result<(Config, Option<DemoSim>), RunError> {
    let explicit = path.is_some();
    if let Some(market) = demo {
        if explicit {
            return Err(RunError::Demo(
                "--demo and --config exclude each other: the demo runs against the simulators"
                    .into(),
            ));
        }
        return demo_config(None, market).await;
    }
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
    demo_config(Some(&path), crate::config::market::DEFAULT_MARKET).await
}

#[cfg(feature = "sim")]
pub type DemoSim = crate::sim::RunningSim;
#[cfg(not(feature = "sim"))]
pub type DemoSim = ();

#[cfg(feature = "sim")]
async fn demo_config(
    path: Option<&Path>,
    market: &str,
) -> Result<(Config, Option<DemoSim>), RunError> {
    // The market first: an unknown one is said before anything starts.
    crate::config::market::ready_market(market).map_err(|e| RunError::Demo(e.to_string()))?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let sim = crate::sim::Simulator::start(addr, crate::sim::SimOptions::default())
        .await
        .map_err(|e| RunError::Start(e.to_string()))?;
    match path {
        Some(path) => println!(
            "No {} here: running against the built-in simulators (demo credentials).",
            path.display()
        ),
        None => println!("Demo market {market}: running against the built-in simulators."),
    }
    println!(
        "Customer page (scan, pay or reject as the customer): {}",
        sim.root_url()
    );
    let config =
        Config::demo_market(market, sim.root_url()).map_err(|e| RunError::Demo(e.to_string()))?;
    Ok((config, Some(sim)))
}

#[cfg(not(feature = "sim"))]
async fn demo_config(
    path: Option<&Path>,
    _market: &str,
) -> Result<(Config, Option<DemoSim>), RunError> {
    Err(RunError::Config {
        path: path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "--demo".into()),
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

/// Opens the window with the platform Slint picks (winit on a desktop; in the device build,
/// linuxkms when winit finds no desktop; or `SLINT_BACKEND`), or says plainly why it cannot.
pub fn open_window() -> Result<AppWindow, RunError> {
    let e = match AppWindow::new() {
        Ok(app) => {
            // Without it a script the system has no font for draws as nothing; the embedded
            // Latin font still draws, so the terminal runs on and says why.
            if let Err(e) = super::fonts::use_embedded_fonts() {
                tracing::error!(error = %e, "cannot set up the embedded fonts");
            }
            return Ok(app);
        }
        Err(e) => e.to_string(),
    };
    let backend = std::env::var_os("SLINT_BACKEND")
        .map(|b| b.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let wants_kms = backend.starts_with("linuxkms");
    let no_desktop = !display_env_present() && backend.is_empty();
    if cfg!(feature = "kms") && (no_desktop || wants_kms) {
        return Err(RunError::NoScreen {
            problem: kms_problem(&probe_kms(), &e),
        });
    }
    if no_desktop {
        Err(RunError::NoDisplay)
    } else if wants_kms {
        Err(RunError::NoKmsBackend(e))
    } else {
        Err(RunError::Window(e))
    }
}

/// What the device files say: each `/dev/dri/card*` and `/dev/fb0`, opened for reading and
/// writing as Slint's linuxkms backend opens them (`NotFound` for a missing `/dev/fb0`).
struct KmsProbe {
    cards: Vec<(PathBuf, std::io::Result<()>)>,
    fb0: std::io::Result<()>,
}

fn probe_kms() -> KmsProbe {
    let open = |p: &Path| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .map(drop)
    };
    let mut cards: Vec<PathBuf> = std::fs::read_dir("/dev/dri")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("card"))
                })
                .collect()
        })
        .unwrap_or_default();
    cards.sort();
    KmsProbe {
        cards: cards
            .into_iter()
            .map(|c| {
                let r = open(&c);
                (c, r)
            })
            .collect(),
        fb0: open(Path::new("/dev/fb0")),
    }
}

/// Names why the linuxkms backend found no screen. Slint's own error lists every renderer and
/// all ten framebuffers it tried, which buries the one line that matters; it is kept (minus the
/// "No such file" lines) only when the device files look usable.
fn kms_problem(probe: &KmsProbe, slint_error: &str) -> String {
    use std::io::ErrorKind::{NotFound, PermissionDenied};
    let denied: Vec<String> = probe
        .cards
        .iter()
        .filter(|(_, r)| r.as_ref().is_err_and(|e| e.kind() == PermissionDenied))
        .map(|(c, _)| c.display().to_string())
        .collect();
    if !probe.cards.is_empty() && denied.len() == probe.cards.len() {
        return format!(
            "no permission to open {} (add this user to the video group)",
            denied.join(", ")
        );
    }
    if probe.cards.is_empty() {
        match &probe.fb0 {
            Err(e) if e.kind() == NotFound => {
                return "no DRM device (/dev/dri/card* does not exist) and no framebuffer \
(/dev/fb0 does not exist)"
                    .into();
            }
            Err(e) if e.kind() == PermissionDenied => {
                return "no DRM device (/dev/dri/card* does not exist) and no permission to \
open /dev/fb0 (add this user to the video group)"
                    .into();
            }
            _ => {}
        }
    }
    let detail: Vec<&str> = slint_error
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains("No such file or directory"))
        .collect();
    format!(
        "Slint's linuxkms backend could not use the screen (is one connected?): {}",
        detail.join("; ")
    )
}

/// Connects a window to a running terminal: keys and taps go to the core, views come back.
/// Must be called on the Slint event loop's thread. Returns the clock timer (keep it alive).
pub fn attach(app: &AppWindow, handle: &RuntimeHandle, clock: Clock) -> slint::Timer {
    attach_with(app, handle, clock, |_| {})
}

/// [`attach`], and `on_key` sees each terminal key typed or tapped (the buzzer's click).
pub fn attach_with(
    app: &AppWindow,
    handle: &RuntimeHandle,
    clock: Clock,
    on_key: impl Fn(Key) + 'static,
) -> slint::Timer {
    let nav = app.global::<Nav>();
    let h = handle.clone();
    nav.on_key(move |text| {
        if let Some(key) = key_for_text(&text) {
            on_key(key);
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
pub fn run(config: Option<&Path>, demo: Option<&str>) -> Result<(), RunError> {
    // The window first: without a display nothing else is started.
    let app = open_window()?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Start(e.to_string()))?;
    let (config, _sim) = tokio.block_on(load_config(config, demo))?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    // The hardware before the journal: a wrong [hardware] stops here, with nothing started.
    let device = Device::open(&config.hardware)?;
    let Runtime {
        handle,
        outputs: from_core,
        task,
    } = tokio.block_on(async { start_terminal(&config).await })?;
    // A vending machine's controller takes the vend answers; signals come on to the hardware.
    let mut from_core = match &config.vending {
        Some(v) => {
            let (others, rest) = tokio::sync::mpsc::unbounded_channel();
            let timing = crate::vend::timing(v);
            let started = tokio.block_on(crate::vend::start(
                &config,
                v,
                timing,
                handle.clone(),
                from_core,
                Some(others),
            ));
            started.map_err(|e| RunError::Start(e.to_string()))?;
            rest
        }
        None => from_core,
    };
    let (keys, vends) = (handle.clone(), handle.clone());
    let hw = device.start(
        move |key| {
            keys.send(Event::Key(key));
        },
        move |sale, delivered| {
            vends.send(Event::VendResult { sale, delivered });
        },
    )?;
    let outputs = hw.outputs.clone();
    let forward = tokio.spawn(async move {
        while let Some(output) = from_core.recv().await {
            let command = match output {
                Output::Signal(s) => Command::Signal(s),
                Output::Vend(sale) => Command::Vend(sale),
                // The relay has no way to refuse: nothing to do.
                Output::VendDenied { .. } => continue,
            };
            if !outputs.send(command) {
                break;
            }
        }
    });
    // The customer display, if configured: follows the same views on the tokio runtime.
    let _display = tokio.block_on(async { crate::hw::display::start(&config, handle.views()) });
    let clock = Clock::system();
    let beep = hw.outputs.clone();
    let _timer = attach_with(&app, &handle, clock, move |_| {
        beep.send(Command::Signal(Signal::KeyClick));
    });
    // Start-up is done (journal read, unfinished sales handed to the core, which resolves them
    // on screen): systemd may count the terminal as started and watch its UI loop from now.
    let watchdog = Watchdog::start(
        Rc::new(Systemd),
        "terminal started",
        ping_interval_from_env(),
    );
    let result = app.run().map_err(|e| RunError::EventLoop(e.to_string()));
    watchdog.stopping();
    forward.abort();
    hw.stop();
    task.abort();
    let _ = tokio.block_on(task);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    /// What Slint 1.18.1 said on a machine with neither /dev/dri nor /dev/fb*.
    const SLINT_NO_DEVICES: &str = "Could not initialize any renderer for LinuxKMS backend.
Error from Software renderer: Could not initialize software display.
Error using DRM dumb buffers: Could not create an egl display
Error using legacy framebuffer: Could not open any legacy framebuffers.
Error using /dev/fb0: Error opening device /dev/fb0: No such file or directory (os error 2)
No renderers configured.";

    fn gone() -> std::io::Result<()> {
        Err(Error::from(ErrorKind::NotFound))
    }

    fn denied() -> std::io::Result<()> {
        Err(Error::from(ErrorKind::PermissionDenied))
    }

    #[test]
    fn no_devices_at_all_is_named_as_such() {
        let probe = KmsProbe {
            cards: vec![],
            fb0: gone(),
        };
        let p = kms_problem(&probe, SLINT_NO_DEVICES);
        assert!(p.contains("no DRM device"), "{p}");
        assert!(p.contains("/dev/fb0 does not exist"), "{p}");
        assert!(
            !p.contains("fb0: Error"),
            "Slint's list is not repeated: {p}"
        );
    }

    #[test]
    fn a_card_this_user_may_not_open_names_the_group() {
        let probe = KmsProbe {
            cards: vec![(PathBuf::from("/dev/dri/card0"), denied())],
            fb0: gone(),
        };
        let p = kms_problem(&probe, "Error opening DRM device");
        assert!(p.contains("no permission to open /dev/dri/card0"), "{p}");
        assert!(p.contains("video group"), "{p}");
    }

    #[test]
    fn only_a_framebuffer_without_permission_names_the_group() {
        let probe = KmsProbe {
            cards: vec![],
            fb0: denied(),
        };
        let p = kms_problem(&probe, SLINT_NO_DEVICES);
        assert!(p.contains("no permission to open /dev/fb0"), "{p}");
    }

    #[test]
    fn a_usable_card_keeps_slints_reason_without_the_missing_files() {
        let probe = KmsProbe {
            cards: vec![(PathBuf::from("/dev/dri/card1"), Ok(()))],
            fb0: gone(),
        };
        let p = kms_problem(&probe, "Could not initialize\nNo connected outputs found\n");
        assert!(p.contains("No connected outputs found"), "{p}");
        assert!(p.contains("is one connected?"), "{p}");
    }

    #[test]
    fn the_device_message_says_what_to_do() {
        let e = RunError::NoScreen {
            problem: "no DRM device".into(),
        };
        let t = e.to_string();
        for needle in [
            "no display found",
            "video and input groups",
            "SLINT_BACKEND",
            "kassa pay",
        ] {
            assert!(t.contains(needle), "{needle}: {t}");
        }
        assert_eq!(e.exit_code(), 2);
    }
}
