//! `kassa report [--day YYYY-MM-DD] [--close] [--csv FILE]`: a day's totals per provider and
//! currency (count, approved, refunded, net), then its sales, those needing a person first.
//! `--close` makes the day immutable and closes each provider's own report that holds that day
//! (mCASH ledgers; not necessarily the one open now) through the outbox, at once if the network
//! allows. The day travels in the queued item (`OutboxOp::ReportClose`), so a close sent late
//! or retried still closes that day's report and never the next day's.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::queue::{one_pass_worker, progress_printer};
use super::{CliError, finish, load_config, open_journal};
use crate::config::Config;
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::{Local, Locale, Millis, Zone};
use crate::journal::{Journal, JournalError, OutboxOp, day_string, parse_day};
use crate::providers::setup;
use crate::runtime::Clock;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The day, local to `terminal.time_zone` (default UTC), default today.
    #[arg(long)]
    pub day: Option<String>,
    /// Close the day: no new sale can start on it, and each provider's report holding it is
    /// closed.
    #[arg(long)]
    pub close: bool,
    /// Also write the day's sales to this CSV file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Config file (default: ./kassa.toml; if it does not exist, the demo config).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs the command on stdout; errors go to stderr with exit code 1.
pub async fn main(args: ReportArgs) -> ExitCode {
    let mut out = std::io::stdout();
    finish(run(args, &mut out).await)
}

pub async fn run(args: ReportArgs, out: &mut (dyn Write + Send)) -> Result<(), CliError> {
    let config = load_config(args.config.as_deref())?;
    let now = Clock::system().now();
    let zone = &config.terminal.time_zone;
    let day = match &args.day {
        Some(text) => parse_day(text).ok_or_else(|| CliError::Day(text.clone()))?,
        None => zone.day_of(now),
    };
    let journal = open_journal(&config)?;
    let closed_now = if args.close {
        Some(journal.close_day(day, now).map_err(|e| match e {
            JournalError::AlreadyClosed { day } => CliError::AlreadyClosed(day),
            other => other.into(),
        })?)
    } else {
        None
    };
    let text = render(&journal, config.terminal.locale, day)?;
    write(out, &text)?;
    if let Some(path) = &args.csv {
        let mut file = std::fs::File::create(path).map_err(|e| CliError::Output {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        journal.write_csv(day, &mut file)?;
        write(
            out,
            &format!(
                "Wrote the sales of {} to {}\n",
                day_string(day),
                path.display()
            ),
        )?;
    }
    if let Some(closed) = closed_now {
        write(
            out,
            &format!(
                "Closed {} at {}: no new sale can start on it{}.\n",
                day_string(day),
                time_of(zone, closed.closed_at),
                if day != zone.day_of(now) {
                    ""
                } else if zone.is_utc() {
                    " (today: sales resume after midnight UTC)"
                } else {
                    " (today: sales resume after local midnight)"
                }
            ),
        )?;
        if closed.needing_person > 0 {
            write(
                out,
                &format!(
                    "{} sale(s) of that day still need a person (listed first above).\n",
                    closed.needing_person
                ),
            )?;
        }
        close_provider_reports(&config, journal, day, now, out).await?;
    }
    Ok(())
}

fn write(out: &mut (dyn Write + Send), text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Output {
            path: "standard output".into(),
            reason: e.to_string(),
        })
}

/// `HH:MM:SS` of a time in `zone`, marked `UTC` when the terminal keeps UTC.
fn time_of(zone: &Zone, at: Millis) -> String {
    let hms = zone.local(at).hms();
    if zone.is_utc() {
        format!("{hms} UTC")
    } else {
        hms
    }
}

fn outcome_text(outcome: &Option<Outcome>, late: bool) -> String {
    match outcome {
        None => "in progress or queued, not paid".into(),
        Some(Outcome::Approved { reference }) if late => {
            format!("approved after a cancel (ref {reference})")
        }
        Some(Outcome::Approved { reference }) => format!("approved (ref {reference})"),
        Some(Outcome::Declined { reason }) => format!("declined: {reason}"),
        Some(Outcome::Expired) => "expired".into(),
        Some(Outcome::Cancelled) => "cancelled".into(),
        Some(Outcome::Failed { reason }) => format!("failed: {reason}"),
        Some(Outcome::InDoubt { reason }) => format!("IN DOUBT: {reason}"),
        Some(Outcome::Released) => "released".into(),
    }
}

/// The report as printed: totals, then sales with those needing a person first. Days and times
/// in the journal's zone, amounts as `locale` writes them.
pub fn render(journal: &Journal, locale: Locale, day: u64) -> Result<String, CliError> {
    let report: DayReport = journal.day_report(day)?;
    let zone = journal.zone();
    let local = Local::new(zone.clone(), locale);
    let mut text = match journal.closed_day(day)? {
        Some(c) => format!(
            "Report for {} ({}), closed at {}\n",
            day_string(day),
            zone.name(),
            time_of(zone, c.closed_at)
        ),
        None => format!("Report for {} ({}), open\n", day_string(day), zone.name()),
    };
    if report.rows.is_empty() {
        text.push_str("No sales.\n");
        return Ok(text);
    }
    text.push_str(&format!(
        "{:<10} {:<4} {:>6} {:>8} {:>14} {:>14} {:>14} {:>8}\n",
        "provider", "cur", "count", "approved", "approved total", "refunded", "net", "in doubt"
    ));
    for r in &report.rows {
        // A service that moved money has its own row, apart from the provider's sales.
        let name = match &r.service {
            Some(s) => format!("{} service {s}", r.provider),
            None => r.provider.to_string(),
        };
        text.push_str(&format!(
            "{:<10} {:<4} {:>6} {:>8} {:>14} {:>14} {:>14} {:>8}\n",
            name,
            r.currency.code(),
            r.count,
            r.approved,
            local.locale.number(r.approved_total),
            local.locale.number(r.refunded_total),
            local.locale.number(r.net),
            r.in_doubt
        ));
    }
    text.push_str("Sales (those needing a person first):\n");
    let mut sales = journal.sales_on(day)?;
    crate::journal::report::person_first(&mut sales);
    for s in &sales {
        let line = match s.row() {
            Some(r) => {
                let mut line = format!(
                    "  {}  {}  {}  {}  {}",
                    r.key,
                    time_of(zone, r.started_at),
                    r.provider,
                    local.money(r.amount),
                    outcome_text(&r.outcome, r.late_approval)
                );
                if let Some(reference) = &r.refunded {
                    line.push_str(&format!(", refunded (ref {reference})"));
                }
                if let Some(service) = &r.service {
                    line.push_str(&format!("  [service {service}, not a sale]"));
                }
                if let Some(note) = r.restart_note() {
                    line.push_str(&format!("  [{note}]"));
                }
                if s.needs_person() {
                    line.push_str("  [needs a person]");
                }
                line
            }
            None => format!(
                "  {}  DAMAGED: {}  [needs a person]",
                s.key,
                s.damaged.join("; ")
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// Queues a close of `day`'s report for every provider that keeps one and tries them now.
async fn close_provider_reports(
    config: &Config,
    journal: Journal,
    day: u64,
    now: Millis,
    out: &mut (dyn Write + Send),
) -> Result<(), CliError> {
    let providers = match setup::from_config(config) {
        Ok(p) => p,
        Err(e) => {
            return write(out, &format!("No provider report was closed: {e}\n"));
        }
    };
    let mut queued = 0;
    for p in providers.iter().filter(|p| p.closes_reports()) {
        journal.enqueue(None, p.info().id, OutboxOp::ReportClose { day }, now)?;
        queued += 1;
    }
    if queued == 0 {
        return Ok(());
    }
    drop(providers);
    let mut worker = one_pass_worker(config, journal).await?;
    let mut left = 0;
    {
        let mut print = progress_printer(out);
        worker
            .round(
                move |i| matches!(i.op, OutboxOp::ReportClose { day: d } if d == day),
                &mut |p| {
                    if !matches!(p.tried, crate::runtime::outbox::Tried::Done) {
                        left += 1;
                    }
                    print(p);
                },
            )
            .await?;
    }
    if left > 0 {
        write(
            out,
            &format!(
                "{left} provider report close(s) wait in the outbox: `kassa queue` shows them, the terminal retries them.\n"
            ),
        )?;
    } else {
        write(out, "Provider reports closed.\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Millis;
    use crate::core::provider::ProviderId;
    use crate::core::record::{JournalEntry, Outcome, Record};
    use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
    use crate::money::{Currency, Money};

    #[test]
    fn the_text_report_marks_sales_resolved_after_restart() {
        let dir = std::env::temp_dir().join(format!("kassa-cli-restart-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = Journal::open(&dir, 1 << 20).unwrap();
        let at = Millis(1_728_000_000_000);
        let key = |n| SaleKey::new("T1", n).unwrap();
        let put = |n, record| {
            j.append(&JournalEntry {
                at,
                sale: key(n),
                provider: ProviderId::new("mcash"),
                record,
            })
            .unwrap()
        };
        for n in [1, 2] {
            put(
                n,
                Record::StartIntent(SaleRequest {
                    key: key(n),
                    amount: Money::from_minor(500, Currency::NOK),
                    flow: Flow::Qr,
                    capture: Capture::Sale,
                }),
            );
        }
        put(1, Record::ResolvedAfterRestart);
        for n in [1, 2] {
            put(
                n,
                Record::Outcome {
                    outcome: Outcome::Cancelled,
                    late: false,
                },
            );
        }
        let text = render(&j, Locale::En, crate::core::report::day_of(at)).unwrap();
        let line = |k: &str| {
            text.lines()
                .find(|l| l.contains(k))
                .unwrap_or("")
                .to_string()
        };
        assert!(
            line("T1-000001").contains("[resolved after restart]"),
            "{text}"
        );
        assert!(!line("T1-000002").contains("restart"), "{text}");
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_text_report_reads_in_the_terminal_s_zone_and_locale() {
        let dir = std::env::temp_dir().join(format!("kassa-cli-local-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let oslo = Zone::named("Europe/Oslo").unwrap();
        let j = Journal::open(&dir, 1 << 20).unwrap().with_zone(oslo);
        // 2024-10-03 22:30 UTC is 00:30 on the 4th in Oslo.
        let at = Millis(1_727_994_600_000);
        let key = SaleKey::new("T1", 1).unwrap();
        let put = |record| {
            j.append(&JournalEntry {
                at,
                sale: key.clone(),
                provider: ProviderId::new("mcash"),
                record,
            })
            .unwrap()
        };
        put(Record::StartIntent(SaleRequest {
            key: key.clone(),
            amount: Money::from_minor(123_450, Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        }));
        put(Record::Outcome {
            outcome: Outcome::Approved {
                reference: "r1".into(),
            },
            late: false,
        });
        let day = parse_day("2024-10-04").unwrap();
        let text = render(&j, Locale::Nb, day).unwrap();
        assert!(
            text.starts_with("Report for 2024-10-04 (Europe/Oslo), open\n"),
            "{text}"
        );
        let totals = text.lines().find(|l| l.starts_with("mcash")).unwrap();
        assert!(totals.contains(" 1\u{a0}234,50 "), "{text}");
        let sale = text.lines().find(|l| l.contains("T1-000001")).unwrap();
        assert!(sale.contains("  00:30:00  "), "{text}");
        assert!(sale.contains("1\u{a0}234,50\u{a0}kr"), "{text}");
        // In Oslo the 3rd has no sale; a terminal keeping UTC finds it there.
        let before = render(&j, Locale::En, day - 1).unwrap();
        assert!(
            before.contains("Report for 2024-10-03 (Europe/Oslo)"),
            "{before}"
        );
        assert!(before.contains("No sales."), "{before}");
        drop(j);
        let j = Journal::open(&dir, 1 << 20).unwrap();
        let utc = render(&j, Locale::En, day - 1).unwrap();
        assert!(utc.contains("Report for 2024-10-03 (UTC)"), "{utc}");
        assert!(
            utc.contains("22:30:00 UTC") && utc.contains("1,234.50 NOK"),
            "{utc}"
        );
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
