//! The `kassa` command line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use kassa::config;
use kassa::core::PinHash;

/// Kassa: a payment terminal for mobile money (iCash, MonCash, eZ Cash, iCheckGateway, mCASH).
#[derive(Parser, Debug)]
#[command(name = "kassa", version, about, long_about = None)]
struct Cli {
    /// More log output (-v debug, -vv trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Run the demo of one market against the built-in simulators, whatever config files
    /// exist: no (Norway, mCASH, NOK; the default demo), ht (Haiti, MonCash, HTG), ly (Libya,
    /// iCash, LYD), lk (Sri Lanka, eZ Cash, LKR), us (United States, iCheckGateway, USD).
    /// For `run` (the default) and `pay`.
    #[arg(long, value_name = "MARKET")]
    demo: Option<String>,

    /// With no subcommand: `run`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The terminal with its touchscreen (the default). With no config file it runs against
    /// the built-in simulators and prints the customer page's address.
    Run {
        /// Config file (default: ./kassa.toml; if it does not exist, the demo config).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Draw every screen (representative data, a real QR code) to PNG files, no display needed.
    Screens {
        /// Folder for the PNG files (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Screen size in pixels.
        #[arg(long, default_value = "800x480")]
        size: String,
        /// Language (and number format) of the screens: en, nb, fr, ht, ar, si, ta.
        #[arg(long, default_value = "en", value_name = "L")]
        lang: String,
    },
    /// One sale from the command line: shows the QR (or pushes to a phone), waits, prints the
    /// result. Exit code 0 paid, 1 not paid (declined, expired, cancelled), 2 error or in doubt.
    /// With no config file it runs the built-in simulator with a customer who pays by itself.
    Pay {
        /// Provider id: mcash, moncash, icash, ezcash, icg.
        #[arg(long)]
        provider: String,
        /// Amount in the terminal's currency, as typed, in its own decimals: 12.50, 12.345 LYD.
        /// With --invoice it may be left out: the invoice's amount due is paid.
        #[arg(long)]
        amount: Option<String>,
        /// Push the payment request to this phone number instead of showing a QR code.
        #[arg(long, conflicts_with_all = ["card", "invoice"])]
        phone: Option<String>,
        /// Pay with the customer's wallet card number (with --code) instead of a QR code.
        #[arg(long, requires = "code", conflicts_with = "invoice")]
        card: Option<String>,
        /// The one-time payment code the customer read from their wallet (with --card).
        #[arg(long, requires = "card")]
        code: Option<String>,
        /// Pay this invoice, by its number.
        #[arg(long)]
        invoice: Option<String>,
        /// A file holding the agent PIN, typed on the agent PIN page when the provider asks one
        /// at shift start (eZ Cash) and the config does not give it. Against the built-in demo
        /// the simulator's test PIN is typed without it.
        #[arg(long, value_name = "FILE")]
        agent_pin_file: Option<PathBuf>,
        /// Config file (default: ./kassa.toml; if it does not exist, the demo of the provider's
        /// own market).
        #[arg(long, conflicts_with = "demo")]
        config: Option<PathBuf>,
        /// The demo of this market (see `kassa --help`), whatever config files exist.
        #[arg(long, value_name = "MARKET")]
        demo: Option<String>,
    },
    /// Serve the provider simulators on loopback until interrupted, and print what a client
    /// needs: base URLs, demo credentials, the customer page.
    #[cfg(feature = "sim")]
    Sim {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8700")]
        bind: std::net::SocketAddr,
        /// Pay every open payment request by itself after this many seconds (demos).
        #[arg(long)]
        autopilot: Option<u64>,
    },
    /// Vending without a screen. With --config: the terminal's [vending] controller (MDB HAT,
    /// socket or GPIO) drives sales until interrupted. Without: two vends against the built-in
    /// simulators (an MDB HAT and machine on a pseudo-terminal, mCASH): one delivered and
    /// captured, one failed and released. Exit code 0 when they end so.
    Vend {
        /// Config file with a [vending] section.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// The outbox: calls waiting to be sent (list, sync, retry ID, drop ID).
    Queue(kassa::cli::queue::QueueArgs),
    /// A day's totals and sales; --close closes the day, --csv writes its sales.
    Report(kassa::cli::report::ReportArgs),
    /// Check or prepare the configuration file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Check a config file: prints each problem, or `ok`. Exit code 1 on errors.
    Check {
        /// The config file (default: ./kassa.toml).
        path: Option<PathBuf>,
    },
    /// Hash a PIN for `supervisor_pin_hash` or a cashier's `pin_hash`. Reads the PIN from
    /// standard input so it never lands in the shell history.
    HashPin,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Human-readable, coloured logs on a terminal; plain lines without timestamps under systemd,
/// whose journal adds its own.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if under_systemd {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Run { config: None });
    let top_demo = cli.demo;
    if top_demo.is_some() && !matches!(command, Command::Run { .. } | Command::Pay { .. }) {
        eprintln!("error: --demo is for `kassa run` (the default) and `kassa pay`");
        return Ok(ExitCode::from(2));
    }
    match command {
        Command::Run { config } => {
            if let Some(market) = &top_demo {
                // Said before any window opens: a wrong market needs no display to be told.
                if config.is_some() {
                    eprintln!("error: --demo and --config exclude each other");
                    return Ok(ExitCode::from(2));
                }
                if let Err(e) = config::market::ready_market(market) {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            }
            match kassa::ui::run::run(config.as_deref(), top_demo.as_deref()) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(e.exit_code()))
                }
            }
        }
        Command::Screens { out, size, lang } => {
            let (w, h) = kassa::ui::screens::parse_size(&size)?;
            let locale = kassa::core::Locale::from_code(&lang)?;
            let local = kassa::core::Local {
                locale,
                ..kassa::core::Local::default()
            };
            let files = kassa::ui::screens::write_all_in(&out, w, h, &local)?;
            println!("{} screens written to {}", files.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Pay {
            provider,
            amount,
            phone,
            card,
            code,
            invoice,
            agent_pin_file,
            config,
            demo,
        } => {
            let demo = match (demo, top_demo) {
                (Some(a), Some(b)) if a != b => {
                    eprintln!("error: --demo given twice ({b} and {a})");
                    return Ok(ExitCode::from(2));
                }
                (a, b) => a.or(b),
            };
            if demo.is_some() && config.is_some() {
                eprintln!("error: --demo and --config exclude each other");
                return Ok(ExitCode::from(2));
            }
            let request = kassa::pay::PayRequest {
                provider,
                amount: amount.unwrap_or_default(),
                phone,
                card,
                code: code.map(secrecy::SecretString::from),
                invoice,
                agent_pin: match agent_pin_file {
                    Some(path) => Some(read_agent_pin(&path)?),
                    None => None,
                },
            };
            tokio_runtime()?.block_on(pay(config, demo, request))
        }
        #[cfg(feature = "sim")]
        Command::Sim { bind, autopilot } => tokio_runtime()?.block_on(sim(bind, autopilot)),
        Command::Vend { config } => tokio_runtime()?.block_on(vend(config)),
        Command::Queue(args) => Ok(tokio_runtime()?.block_on(kassa::cli::queue::main(args))),
        Command::Report(args) => Ok(tokio_runtime()?.block_on(kassa::cli::report::main(args))),
        Command::Config { action } => match action {
            ConfigAction::Check { path } => {
                let path = path.unwrap_or_else(|| PathBuf::from("kassa.toml"));
                Ok(config_check(&path))
            }
            ConfigAction::HashPin => {
                let mut pin = String::new();
                if std::io::stdin().is_terminal() {
                    eprintln!("Type the PIN (4 to 12 digits) and press Enter:");
                }
                std::io::stdin()
                    .lock()
                    .read_line(&mut pin)
                    .context("reading the PIN from standard input")?;
                let salt: [u8; 16] = rand::random();
                let hash = PinHash::hash(pin.trim(), salt, false)?;
                println!("{}", hash.expose_phc());
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Resolves on Ctrl-C or SIGTERM (systemd stop).
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The agent PIN from `--agent-pin-file`: the file's first line, digits only.
fn read_agent_pin(path: &std::path::Path) -> anyhow::Result<secrecy::SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--agent-pin-file {}: cannot be read", path.display()))?;
    let pin = text.lines().next().unwrap_or("").trim();
    if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!(
            "--agent-pin-file {}: the first line must be the PIN, 4 to 12 digits",
            path.display()
        );
    }
    Ok(secrecy::SecretString::from(pin))
}

async fn pay(
    path: Option<PathBuf>,
    demo: Option<String>,
    request: kassa::pay::PayRequest,
) -> anyhow::Result<ExitCode> {
    let explicit = path.is_some();
    let path = path.unwrap_or_else(kassa::pay::default_config_path);
    // With no config file (or with --demo): the built-in simulator of the provider's own
    // market, with a customer who pays by itself.
    #[cfg(feature = "sim")]
    let mut _sim = None;
    let config = if demo.is_none() && (explicit || path.exists()) {
        match config::Config::load(&path) {
            Ok(c) => c,
            Err(errors) => {
                for p in &errors.problems {
                    eprintln!("{p}");
                }
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        let market = match config::market::market_for_provider(&request.provider, demo.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        #[cfg(feature = "sim")]
        {
            let sim = kassa::sim::Simulator::start(
                "127.0.0.1:0".parse()?,
                kassa::sim::SimOptions {
                    autopilot: Some(std::time::Duration::from_secs(2)),
                    ..Default::default()
                },
            )
            .await?;
            if demo.is_some() {
                println!(
                    "Demo market {market}: using the built-in simulator; its customer pays by itself in 2 s (customer page {})",
                    sim.root_url()
                );
            } else {
                println!(
                    "No {} here: using the built-in simulator ({market}); its customer pays by itself in 2 s (customer page {})",
                    path.display(),
                    sim.root_url()
                );
            }
            let c = config::Config::demo_market(market.code, sim.root_url())?;
            _sim = Some(sim);
            c
        }
        #[cfg(not(feature = "sim"))]
        {
            let _ = market;
            anyhow::bail!(
                "no config file at {} (this build has no simulators)",
                path.display()
            );
        }
    };
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let mut out = std::io::stdout();
    match kassa::pay::pay(&config, &request, &mut out, interrupted()).await {
        Ok(result) => Ok(ExitCode::from(result.exit_code())),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn vend(path: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let Some(path) = path else {
        #[cfg(feature = "sim")]
        {
            let ok = kassa::vend::demo::demo(&mut out).await?;
            return Ok(ExitCode::from(if ok { 0 } else { 1 }));
        }
        #[cfg(not(feature = "sim"))]
        anyhow::bail!("kassa vend needs --config (this build has no simulators)");
    };
    let config = match config::Config::load(&path) {
        Ok(c) => c,
        Err(errors) => {
            for p in &errors.problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    kassa::vend::demo::serve(&config, &mut out, interrupted()).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "sim")]
async fn sim(bind: std::net::SocketAddr, autopilot: Option<u64>) -> anyhow::Result<ExitCode> {
    let sim = kassa::sim::Simulator::start(
        bind,
        kassa::sim::SimOptions {
            autopilot: autopilot.map(std::time::Duration::from_secs),
            ..Default::default()
        },
    )
    .await?;
    // Written at once and without panicking: a reader that stops after the lines it needs
    // (a test, `| head`) must not bring the simulator down.
    let mut banner =
        String::from("Kassa provider simulators (demo credentials, never real ones)\n");
    banner.push_str(&format!("customer page: {}\n", sim.root_url()));
    for (name, url) in sim.base_urls() {
        banner.push_str(&format!("{name} base url: {url}\n"));
    }
    for (name, what, url) in sim.other_urls() {
        println!("{name} {what}: {url}");
    }
    for entry in kassa::providers::registry::PROVIDERS {
        for (label, value) in entry.demo.iter().flat_map(|d| d.credentials) {
            banner.push_str(&format!("{label}: {value}\n"));
        }
    }
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
    drop(stdout);
    sim.serve_until(interrupted()).await?;
    Ok(ExitCode::SUCCESS)
}

fn config_check(path: &std::path::Path) -> ExitCode {
    let (report, ok) = config::check_report(&config::check(path));
    print!("{report}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
