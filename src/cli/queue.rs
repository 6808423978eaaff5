//! `kassa queue [list|sync|retry ID|drop ID]`: the outbox for a person. `list` shows pending and
//! dead items with age, attempts and last error; `sync` drains now through the same worker the
//! terminal runs (no second copy of the drain logic), with a progress bar; `retry` makes a dead
//! item pending again; `drop` removes an item after confirmation and records who dropped it.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{CliError, age, finish, load_config, open_journal};
use crate::config::Config;
use crate::journal::{Journal, JournalError, OutboxItem, OutboxState};
use crate::providers::setup;
use crate::runtime::outbox::{Progress, Tried};
use crate::runtime::{Clock, JournalWriter, OutboxWorker, RuntimeOptions};

#[derive(clap::Args, Debug)]
pub struct QueueArgs {
    #[command(subcommand)]
    pub action: Option<QueueAction>,
    /// Config file (default: ./kassa.toml; if it does not exist, the demo config).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum QueueAction {
    /// Pending and dead items with age, attempts and last error (the default).
    List,
    /// Try every pending item now, in order, and show the progress.
    Sync,
    /// Make an item pending again and due now (after fixing what made it fail).
    Retry { id: u64 },
    /// Remove an item for good: its call is never made. Asks for confirmation.
    Drop {
        id: u64,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Who drops it, for the journal (default: $USER).
        #[arg(long)]
        who: Option<String>,
    },
}

/// Runs the command on stdin/stdout; errors go to stderr with exit code 1.
pub async fn main(args: QueueArgs) -> ExitCode {
    let mut out = std::io::stdout();
    let mut input = std::io::stdin().lock();
    finish(run(args, &mut out, &mut input).await)
}

pub async fn run(
    args: QueueArgs,
    out: &mut (dyn Write + Send),
    input: &mut dyn BufRead,
) -> Result<(), CliError> {
    let config = load_config(args.config.as_deref())?;
    let journal = open_journal(&config)?;
    let now = Clock::system().now();
    match args.action.unwrap_or(QueueAction::List) {
        QueueAction::List => list(&journal, now, out),
        QueueAction::Sync => sync(&config, journal, out).await,
        QueueAction::Retry { id } => {
            let item = journal.retry(id, now)?;
            say(
                out,
                &format!(
                    "#{id} is pending again and due now: {}. `kassa queue sync` sends it now; a terminal sends it when it starts.",
                    item.op.describe()
                ),
            )
        }
        QueueAction::Drop { id, yes, who } => {
            let item = find(&journal, id)?;
            if !yes {
                say(
                    out,
                    &format!(
                        "Drop #{id} ({}, {})? Its call will never be made. Type yes to drop:",
                        item.op.describe(),
                        sale_of(&item)
                    ),
                )?;
                let mut answer = String::new();
                input
                    .read_line(&mut answer)
                    .map_err(|_| CliError::NotConfirmed)?;
                if !matches!(answer.trim(), "yes" | "y" | "YES") {
                    return Err(CliError::NotConfirmed);
                }
            }
            let who = who
                .or_else(|| std::env::var("USER").ok())
                .filter(|w| !w.trim().is_empty())
                .unwrap_or_else(|| "unknown user".to_string());
            journal.drop_item(id, &who, now)?;
            say(
                out,
                &format!(
                    "Dropped #{id} ({}); the journal records that {who} dropped it.",
                    item.op.describe()
                ),
            )
        }
    }
}

fn say(out: &mut (dyn Write + Send), line: &str) -> Result<(), CliError> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        })
}

fn find(journal: &Journal, id: u64) -> Result<OutboxItem, CliError> {
    journal
        .outbox_list()?
        .items
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(CliError::Journal(JournalError::NoSuchItem { id }))
}

fn sale_of(item: &OutboxItem) -> String {
    match &item.sale {
        Some(s) => format!("sale {s}"),
        None => "no sale".to_string(),
    }
}

/// One item in two lines: what and where it stands, then its last error.
pub fn describe_item(item: &OutboxItem, now: crate::core::Millis) -> String {
    let state = match item.state {
        OutboxState::Pending if item.next_try > now => format!(
            "pending (next try in {})",
            age(item.next_try.0 - now.0 + 999)
        ),
        OutboxState::Pending => "pending (due)".to_string(),
        OutboxState::Dead => "DEAD (waits for a person)".to_string(),
    };
    let mut text = format!(
        "#{} {state}  age {}  attempts {}  {}  {}: {}",
        item.id,
        age(now.0.saturating_sub(item.created_at.0)),
        item.attempts,
        item.provider,
        sale_of(item),
        item.op.describe()
    );
    if let Some(e) = &item.last_error {
        text.push_str(&format!("\n    last error: {e}"));
    }
    text
}

fn list(
    journal: &Journal,
    now: crate::core::Millis,
    out: &mut (dyn Write + Send),
) -> Result<(), CliError> {
    let listing = journal.outbox_list()?;
    let summary = journal.outbox_summary()?;
    say(
        out,
        &format!("Outbox: {} pending, {} dead", summary.pending, summary.dead),
    )?;
    if listing.items.is_empty() && listing.damaged.is_empty() {
        return say(out, "The outbox is empty.");
    }
    // Dead items first: they wait for a person.
    let (dead, pending): (Vec<_>, Vec<_>) = listing
        .items
        .iter()
        .partition(|i| i.state == OutboxState::Dead);
    for item in dead.into_iter().chain(pending) {
        say(out, &describe_item(item, now))?;
    }
    for d in &listing.damaged {
        say(
            out,
            &format!(
                "DAMAGED outbox entry (key {:02x?}): {}; it cannot be sent, `kassa queue drop` cannot name it: restore the journal from a backup",
                d.key, d.reason
            ),
        )?;
    }
    Ok(())
}

/// A text progress bar: `[######----] 3/5`.
pub fn bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 20;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

fn tried_text(tried: &Tried) -> String {
    match tried {
        Tried::Done => "done".into(),
        Tried::Continues => "sent; still open, asked again later".into(),
        Tried::Retry { error } => format!("failed, will retry: {error}"),
        Tried::Dead { error } => format!("failed for good, now dead: {error}"),
        Tried::Expired => "too old to send: not sent, the sale ended expired".into(),
        Tried::Refused { error } => format!("refused, the sale ended not paid: {error}"),
    }
}

/// A worker over this journal and the config's providers, for one pass without a terminal.
pub(crate) async fn one_pass_worker(
    config: &Config,
    journal: Journal,
) -> Result<OutboxWorker, CliError> {
    let providers = setup::from_config(config)?;
    for p in &providers {
        if let Err(e) = p.start_up().await {
            tracing::warn!(provider = %p.info().id, error = %e, "provider start-up failed");
        }
    }
    let writer = JournalWriter::spawn(journal)?;
    let options = RuntimeOptions::from_config(config);
    Ok(OutboxWorker::new(
        writer,
        providers,
        Clock::system(),
        options.queue_limits,
        options.outbox_poll_ms,
    ))
}

/// Shows a round's progress, one line per item.
pub(crate) fn progress_printer(
    out: &mut (dyn Write + Send),
) -> impl FnMut(Progress<'_>) + Send + '_ {
    move |p: Progress<'_>| {
        let _ = writeln!(
            out,
            "{} #{} {}: {}",
            bar(p.done, p.total),
            p.item.id,
            p.item.op.describe(),
            tried_text(p.tried)
        );
        let _ = out.flush();
    }
}

async fn sync(
    config: &Config,
    journal: Journal,
    out: &mut (dyn Write + Send),
) -> Result<(), CliError> {
    let pending = journal.outbox_summary()?.pending;
    if pending == 0 {
        return say(out, "Nothing is pending.");
    }
    let mut worker = one_pass_worker(config, journal).await?;
    let mut tally = [0usize; 4];
    {
        let mut print = progress_printer(out);
        worker
            .sync(&mut |p| {
                let slot = match p.tried {
                    Tried::Done | Tried::Continues => 0,
                    Tried::Retry { .. } => 1,
                    Tried::Dead { .. } | Tried::Refused { .. } => 2,
                    Tried::Expired => 3,
                };
                tally[slot] += 1;
                print(p);
            })
            .await?;
    }
    say(
        out,
        &format!(
            "{} sent, {} to retry, {} dead or refused, {} expired",
            tally[0], tally[1], tally[2], tally[3]
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_progress() {
        assert_eq!(bar(0, 4), "[--------------------] 0/4");
        assert_eq!(bar(1, 4), "[#####---------------] 1/4");
        assert_eq!(bar(4, 4), "[####################] 4/4");
        assert_eq!(bar(0, 0), "[####################] 0/0");
    }
}
