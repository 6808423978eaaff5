//! Day close and exports: `kassa report --close` makes a day immutable (no new sale can start on
//! it; results of sales already started are still recorded, because they say where money went),
//! and `--csv` writes a day's sales for the merchant's spreadsheet.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::JournalError;
use super::envelope;
use super::store::{Journal, Op, SaleState, TreeId};
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::{Millis, Zone};

/// A day as it stood when it was closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedDay {
    pub day: u64,
    pub closed_at: Millis,
    pub report: DayReport,
    /// Sales that needed a person (in doubt, flagged, damaged, unfinished) at close time.
    pub needing_person: u32,
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (a local day names its local date).
pub fn day_string(day: u64) -> String {
    day_date(day)
        .map(|d| d.to_string())
        .unwrap_or_else(|| format!("day {day}"))
}

/// The calendar date of a day number (days since 1970-01-01); `None` past year 9999.
pub fn day_date(day: u64) -> Option<time::Date> {
    let days = i32::try_from(day).ok()?;
    time::Date::from_julian_day(2_440_588_i32.checked_add(days)?).ok()
}

/// The day number of `YYYY-MM-DD` (`kassa report --day`); `None` if it is not such a date or
/// lies before 1970.
pub fn parse_day(text: &str) -> Option<u64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    u64::try_from(date.to_julian_day() - 2_440_588).ok()
}

/// RFC 3339 in the journal's zone, with its offset (`2024-10-04T12:00:00+02:00`; `Z` in UTC):
/// the local time a merchant reads and still the exact instant.
fn timestamp(zone: &Zone, at: Millis) -> String {
    zone.local(at).rfc3339()
}

/// A CSV field, quoted when needed, and defused when a spreadsheet would run it as a formula
/// (provider messages are untrusted text).
fn csv_field(text: &str, untrusted: bool) -> String {
    let mut t = text.to_string();
    if untrusted && t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        t.insert(0, '\'');
    }
    if t.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}

fn outcome_columns(outcome: &Option<Outcome>) -> (&'static str, String) {
    match outcome {
        None => ("in_progress", String::new()),
        Some(Outcome::Approved { reference }) => ("approved", reference.clone()),
        Some(Outcome::Declined { reason }) => ("declined", reason.clone()),
        Some(Outcome::Expired) => ("expired", String::new()),
        Some(Outcome::Cancelled) => ("cancelled", String::new()),
        Some(Outcome::Failed { reason }) => ("failed", reason.clone()),
        Some(Outcome::InDoubt { reason }) => ("in_doubt", reason.clone()),
        Some(Outcome::Released) => ("released", String::new()),
    }
}

/// Sales a person must see come first, then the rest in the order they started.
pub(crate) fn person_first(sales: &mut [SaleState]) {
    sales.sort_by_key(|s| {
        let row = s.row();
        let unsettled = row
            .as_ref()
            .is_none_or(|r| matches!(r.outcome, None | Some(Outcome::InDoubt { .. })));
        !(s.needs_person() || unsettled)
    });
}

impl Journal {
    pub fn is_closed(&self, day: u64) -> Result<bool, JournalError> {
        self.closed_days
            .contains_key(day.to_be_bytes())
            .map_err(|e| self.err(e))
    }

    /// The day as it was closed, if it was.
    pub fn closed_day(&self, day: u64) -> Result<Option<ClosedDay>, JournalError> {
        match self
            .closed_days
            .get(day.to_be_bytes())
            .map_err(|e| self.err(e))?
        {
            None => Ok(None),
            Some(v) => envelope::decode(&v).map(Some).map_err(|bad| {
                self.damaged_err(format!("close record of {}: {bad}", day_string(day)))
            }),
        }
    }

    /// Totals per provider and currency for `day`, in-doubt rows first.
    pub fn day_report(&self, day: u64) -> Result<DayReport, JournalError> {
        let rows = self.sale_history(day)?;
        DayReport::build(day, &self.zone, &rows).map_err(|e| JournalError::Report {
            day: day_string(day),
            reason: e.to_string(),
        })
    }

    /// Closes local `day`: its report is stored as it stands and no new sale can start on it.
    /// Closing the current day stops sales until local midnight; the caller should say so
    /// before asking.
    /// Then the settled sales of every closed day move to the archive.
    pub fn close_day(&self, day: u64, now: Millis) -> Result<ClosedDay, JournalError> {
        if self.is_closed(day)? {
            return Err(JournalError::AlreadyClosed {
                day: day_string(day),
            });
        }
        let sales = self.sales_on(day)?;
        let needing_person = sales
            .iter()
            .filter(|s| s.needs_person() || s.outcome.is_none() || s.row().is_none())
            .count();
        let closed = ClosedDay {
            day,
            closed_at: now,
            report: self.day_report(day)?,
            needing_person: u32::try_from(needing_person).unwrap_or(u32::MAX),
        };
        self.commit(&[Op::put(
            TreeId::ClosedDays,
            day.to_be_bytes(),
            Journal::encode(&closed)?,
        )])?;
        // The day is closed either way; a move that fails leaves its sales live (still correct,
        // just not lighter) and the next close tries again.
        if let Err(e) = self.archive_closed() {
            tracing::warn!(day = %day_string(day), error = %e, "closed day not archived");
        }
        Ok(closed)
    }

    /// Writes `day`'s sales as CSV (local times with their offset, amounts as exact decimals
    /// whatever the locale), sales needing a person first. A sale whose records cannot say what it was is still written, as `damaged`.
    pub fn write_csv(&self, day: u64, out: &mut dyn Write) -> Result<(), JournalError> {
        let mut sales = self.sales_on(day)?;
        person_first(&mut sales);
        let mut text = String::from(
            "sale,started_at,provider,currency,amount,outcome,detail,late_approval,refunded,needs_person\n",
        );
        for s in &sales {
            let line = match s.row() {
                Some(r) => {
                    let (outcome, mut detail) = outcome_columns(&r.outcome);
                    // A provider service that moved money is not a sale: it says so first.
                    if let Some(service) = &r.service {
                        detail = if detail.is_empty() {
                            format!("service {service}")
                        } else {
                            format!("service {service}; {detail}")
                        };
                    }
                    // Resolved by the recovery at a start, not in front of the customer.
                    if let Some(note) = r.restart_note() {
                        detail = if detail.is_empty() {
                            note.to_string()
                        } else {
                            format!("{detail}; {note}")
                        };
                    }
                    [
                        csv_field(r.key.as_str(), false),
                        timestamp(&self.zone, r.started_at),
                        csv_field(r.provider.as_str(), true),
                        r.amount.currency().code().to_string(),
                        r.amount.to_decimal_string(),
                        outcome.to_string(),
                        csv_field(&detail, true),
                        r.late_approval.to_string(),
                        csv_field(r.refunded.as_deref().unwrap_or(""), true),
                        s.needs_person().to_string(),
                    ]
                    .join(",")
                }
                None => format!(
                    "{},,,,,damaged,{},false,,true",
                    csv_field(s.key.as_str(), false),
                    csv_field(&s.damaged.join("; "), true)
                ),
            };
            text.push_str(&line);
            text.push('\n');
        }
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| JournalError::Export(e.to_string()))
    }
}
