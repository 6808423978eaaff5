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

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
    match cli.command {
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

fn config_check(path: &std::path::Path) -> ExitCode {
    let (report, ok) = config::check_report(&config::check(path));
    print!("{report}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
