//! `kassa pay`: one sale through the real runtime and core, with the console as its screen.
//! The sale is typed into the core as a cashier would (digits, Enter, method, phone), so what is
//! tested here is the product's own path, not a shortcut around it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::boot;
use crate::config::Config;
use crate::console;
use crate::core::provider::FlowKind;
use crate::core::record::Outcome;
use crate::core::sale::Msisdn;
use crate::core::view::{Screen, View, Waiting};
use crate::core::{Event, Key};
use crate::money::{Money, MoneyError};
use crate::providers::setup::{self, SetupError};
use crate::runtime::{Clock, Runtime};

#[derive(Debug, Error)]
pub enum PayError {
    #[error("--amount: {0}")]
    Amount(#[from] MoneyError),
    #[error("--phone: {0}")]
    Phone(String),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("--provider {0}: not enabled in the config (enabled: {1})")]
    UnknownProvider(String, String),
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
    #[error("the terminal refused the sale: {0}")]
    Refused(String),
    #[error("the terminal stopped before the sale ended")]
    Stopped,
    #[error("{0}")]
    Other(String),
}

/// What was asked on the command line.
#[derive(Clone, Debug)]
pub struct PayRequest {
    pub provider: String,
    pub amount: String,
    pub phone: Option<String>,
}

/// How a sale ended, and the exit code that says it: 0 paid, 1 not paid, 2 not known, 3 queued
/// (offline: in the outbox, not paid yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayResult {
    /// `None` while the sale waits in the outbox.
    pub outcome: Option<Outcome>,
    pub late: bool,
}

impl PayResult {
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Some(Outcome::Approved { .. }) => 0,
            Some(
                Outcome::Declined { .. }
                | Outcome::Expired
                | Outcome::Cancelled
                | Outcome::Released,
            ) => 1,
            Some(Outcome::Failed { .. } | Outcome::InDoubt { .. }) => 2,
            None => 3,
        }
    }
}

/// Runs one sale. `interrupt` resolving (Ctrl-C) asks the terminal to cancel, as the cancel key
/// would; the sale still ends only with the provider's word.
pub async fn pay(
    config: &Config,
    request: &PayRequest,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<PayResult, PayError> {
    let amount = Money::parse_input(&request.amount, config.terminal.currency)?;
    let phone = request
        .phone
        .as_deref()
        .map(Msisdn::parse)
        .transpose()
        .map_err(|e| PayError::Phone(e.to_string()))?;
    let providers = setup::from_config(config)?;
    let infos: Vec<_> = providers.iter().map(|p| p.info()).collect();
    let index = infos
        .iter()
        .position(|i| i.id.as_str() == request.provider)
        .ok_or_else(|| {
            let names: Vec<&str> = infos.iter().map(|i| i.id.as_str()).collect();
            PayError::UnknownProvider(request.provider.clone(), names.join(", "))
        })?;
    if phone.is_some() && !infos[index].capabilities.flows.contains(&FlowKind::Push) {
        return Err(PayError::Phone(format!(
            "{} does not push payment requests to phones",
            request.provider
        )));
    }
    let rt = boot::start(config, providers, Clock::system())?;
    let result = drive(&rt, index, amount, phone, request, out, interrupt).await;
    // Stop the driver so the journal writer ends and releases the database.
    rt.task.abort();
    let _ = rt.task.await;
    result
}

async fn drive(
    rt: &Runtime,
    index: usize,
    amount: Money,
    phone: Option<Msisdn>,
    request: &PayRequest,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<PayResult, PayError> {
    let clock = Clock::system();
    let h = rt.handle.clone();

    let ready = |v: &View| !matches!(v.screen, Screen::Recovering { .. });
    let v = h.wait_for(ready).await.ok_or(PayError::Stopped)?;
    if let Screen::RecoverySummary { items, .. } = &v.screen {
        // What the recovery decided about sales left unfinished, printed before this sale: the
        // person running it has seen it, so it is acknowledged (journaled, not shown again).
        for line in crate::core::summary::lines(items) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        h.send(Event::Key(Key::Enter));
        h.wait_for(|v| !matches!(v.screen, Screen::RecoverySummary { .. }))
            .await
            .ok_or(PayError::Stopped)?;
    }
    for d in amount.minor().to_string().bytes() {
        h.send(Event::Key(Key::Digit(d - b'0')));
    }
    // Pay, or with a phone "Send to phone" (so no QR request is made first); with several
    // providers, then the provider's tile.
    let pay_key = if phone.is_some() {
        Key::SendToPhone
    } else {
        Key::Enter
    };
    h.send(Event::Key(pay_key));
    let mut v = h
        .wait_for(|v| !matches!(v.screen, Screen::Amount { error: None, .. }))
        .await
        .ok_or(PayError::Stopped)?;
    if matches!(v.screen, Screen::Method { error: None, .. }) {
        h.send(Event::Select(index));
        v = h
            .wait_for(|v| !matches!(v.screen, Screen::Method { error: None, .. }))
            .await
            .ok_or(PayError::Stopped)?;
    }
    match &v.screen {
        Screen::Amount { error: Some(e), .. } | Screen::Method { error: Some(e), .. } => {
            return Err(PayError::Refused(e.clone()));
        }
        Screen::Customer { .. } => {
            if let Some(phone) = &phone {
                for d in phone.as_str().bytes() {
                    h.send(Event::Key(Key::Digit(d - b'0')));
                }
            }
            h.send(Event::Key(Key::Enter));
        }
        _ if phone.is_some() => {
            return Err(PayError::Phone(format!(
                "{} does not push payment requests to phones",
                request.provider
            )));
        }
        _ => {}
    }

    let mut views = h.views();
    let mut shown_qr: Option<String> = None;
    let mut last_line = String::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(interrupt);
    let mut interrupted = false;
    let write = |out: &mut (dyn Write + Send), text: &str| {
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    loop {
        let view = views.borrow_and_update().clone();
        match &view.screen {
            Screen::Result {
                outcome,
                late_approval,
                ..
            } => {
                write(out, &console::result_line(outcome, *late_approval));
                return Ok(PayResult {
                    outcome: Some(outcome.clone()),
                    late: *late_approval,
                });
            }
            // A kiosk's in-doubt sale: the same answer as an in-doubt result.
            Screen::CallStaff { outcome, .. } => {
                write(out, &console::result_line(outcome, false));
                return Ok(PayResult {
                    outcome: Some(outcome.clone()),
                    late: false,
                });
            }
            Screen::Queued { phone, .. } => {
                write(out, &console::queued_line(phone.as_str()));
                return Ok(PayResult {
                    outcome: None,
                    late: false,
                });
            }
            Screen::Customer { error: Some(e), .. } => {
                return Err(PayError::Phone(e.clone()));
            }
            Screen::Paying {
                waiting: Waiting::Qr { payload, .. },
                ..
            } if shown_qr.as_deref() != Some(payload) => {
                match console::qr_half_blocks(payload) {
                    Ok(qr) => write(out, &qr),
                    Err(e) => write(out, &format!("(cannot draw the QR code: {e})")),
                }
                write(out, &format!("QR payload: {payload}"));
                shown_qr = Some(payload.clone());
            }
            _ => {}
        }
        if let Some(line) = console::status_line(&view, clock.now()) {
            // A new line when the state changes, and every 10 s for the countdown.
            let state_of = |l: &str| l.split('(').next().unwrap_or("").to_string();
            let changed = state_of(&line) != state_of(&last_line);
            let secs = clock.now().0 / 1000;
            if changed || (line != last_line && secs.is_multiple_of(10)) {
                write(out, &line);
                last_line = line;
            }
        }
        tokio::select! {
            changed = views.changed() => {
                if changed.is_err() {
                    return Err(PayError::Stopped);
                }
            }
            _ = tick.tick() => {}
            _ = &mut interrupt, if !interrupted => {
                interrupted = true;
                write(out, "Cancelling at the provider...");
                h.send(Event::Key(Key::Cancel));
            }
        }
    }
}

/// Where `kassa pay` and `kassa run` look for their config when none is given.
pub fn default_config_path() -> PathBuf {
    PathBuf::from("kassa.toml")
}
