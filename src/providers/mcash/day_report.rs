//! Which ledger report holds a day: the choice `kassa report --close --day D` needs, because
//! the report open now is not always day D's (a close queued last night and sent this
//! morning, or a close retried after its answer was lost, must not close today's report).
//!
//! The document gives a report no opening time, only `time_closed` (null while open) and the
//! rule that a ledger has one open report at a time and closing one opens the next. So the
//! reports of a ledger tile time: each runs from the close of the one before it (the first
//! from the beginning) to its own `time_closed`, the open one (or one still `closing` without
//! a time) to now. Decided here: the report that holds day D is the one whose period overlaps
//! D's 24 UTC hours the most, the later one on a tie; a report closed at 23:30 holds its day,
//! and so does one closed the next morning at 07:00. No overlap (a day still to come) is no
//! report. `time_closed` is read as `YYYY-MM-DD hh:mm:ss` UTC (the timestamp header's form, as
//! the simulator writes it) or RFC 3339.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::wire::{Report, ReportStatus};

/// One report as the choice needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub uri: String,
    /// Unix seconds of `time_closed`; `None` while open (or closing without a time yet).
    pub closed_at: Option<i64>,
    pub closed: bool,
}

/// Why a report cannot be placed in time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("mCASH report {uri} is closed but its time_closed {text:?} is not a date and time")]
    BadTime { uri: String, text: String },
    #[error("mCASH report {uri} is closed but has no time_closed")]
    NoTime { uri: String },
}

impl Placed {
    pub fn from_report(uri: String, report: &Report) -> Result<Placed, PlaceError> {
        let closed = report.status == Some(ReportStatus::Closed);
        let closed_at = match &report.time_closed {
            Some(text) => Some(parse_time(text).ok_or_else(|| PlaceError::BadTime {
                uri: uri.clone(),
                text: text.clone(),
            })?),
            None if closed => return Err(PlaceError::NoTime { uri }),
            None => None,
        };
        Ok(Placed {
            uri,
            closed_at,
            closed,
        })
    }
}

/// `YYYY-MM-DD hh:mm:ss` (UTC), optionally with `T`, fractions and `Z`, or RFC 3339.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let head = text.get(..19)?.replacen('T', " ", 1);
    let tail = text.get(19..)?;
    let tail = tail.strip_suffix('Z').unwrap_or(tail);
    let fraction_ok = tail.is_empty()
        || (tail.starts_with('.')
            && tail.len() > 1
            && tail[1..].bytes().all(|b| b.is_ascii_digit()));
    if !fraction_ok {
        return None;
    }
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(&head, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// The index of the report holding `day`, given every report of one ledger (any order) and
/// the time now (Unix seconds).
pub fn holding(reports: &[Placed], day: Date, now: i64) -> Option<usize> {
    let day_start = day.midnight().assume_utc().unix_timestamp();
    let day_end = day_start + 86_400;
    // Closed ones by close time, then those still open or closing (they end now).
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by_key(|&i| (reports[i].closed_at.unwrap_or(i64::MAX), !reports[i].closed));
    let mut start = i64::MIN;
    let mut best: Option<(i64, usize)> = None;
    for i in order {
        let end = reports[i].closed_at.unwrap_or(now).max(start);
        let overlap = end.min(day_end) - start.max(day_start);
        if overlap > 0 && best.is_none_or(|(b, _)| overlap >= b) {
            best = Some((overlap, i));
        }
        start = end;
    }
    best.map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn at(text: &str) -> i64 {
        parse_time(text).unwrap()
    }

    fn closed(uri: &str, when: &str) -> Placed {
        Placed {
            uri: uri.into(),
            closed_at: Some(at(when)),
            closed: true,
        }
    }

    fn open(uri: &str) -> Placed {
        Placed {
            uri: uri.into(),
            closed_at: None,
            closed: false,
        }
    }

    fn pick<'a>(reports: &'a [Placed], day: Date, now: &str) -> Option<&'a str> {
        holding(reports, day, at(now)).map(|i| reports[i].uri.as_str())
    }

    #[test]
    fn times_are_read_in_both_forms() {
        assert_eq!(at("1970-01-02 00:00:00"), 86_400);
        assert_eq!(at("1970-01-02T00:00:01Z"), 86_401);
        assert_eq!(at("1970-01-02T00:00:01.250Z"), 86_401);
        assert_eq!(at("1970-01-02T01:00:00+01:00"), 86_400);
        for bad in [
            "",
            "yesterday",
            "1970-01-02 00:00",
            "1970-01-02 00:00:00 junk",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_report_closed_in_the_evening_holds_its_day_and_a_retry_leaves_the_next_alone() {
        let reports = [closed("r1", "2026-11-30 23:30:00"), open("r2")];
        // The close of the 30th retried the next afternoon: r1, already closed.
        assert_eq!(
            pick(&reports, date!(2026 - 11 - 30), "2026-12-01 15:00:00"),
            Some("r1")
        );
        // The 1st at its end: r2.
        assert_eq!(
            pick(&reports, date!(2026 - 12 - 01), "2026-12-01 23:30:00"),
            Some("r2")
        );
    }

    #[test]
    fn a_report_closed_next_morning_holds_the_day_before() {
        // Listed newest first: the order of the list does not matter.
        let reports = [
            open("r3"),
            closed("r2", "2026-12-01 07:00:00"),
            closed("r1", "2026-11-30 07:00:00"),
        ];
        assert_eq!(
            pick(&reports, date!(2026 - 11 - 30), "2026-12-01 08:00:00"),
            Some("r2")
        );
        assert_eq!(
            pick(&reports, date!(2026 - 12 - 01), "2026-12-01 23:00:00"),
            Some("r3")
        );
        // The first report reaches back to the beginning.
        assert_eq!(
            pick(&reports, date!(2026 - 01 - 01), "2026-12-01 23:00:00"),
            Some("r1")
        );
    }

    #[test]
    fn a_day_still_to_come_has_no_report_and_ties_go_to_the_later() {
        let reports = [closed("r1", "2026-11-30 12:00:00"), open("r2")];
        assert_eq!(
            pick(&reports, date!(2026 - 12 - 02), "2026-12-01 10:00:00"),
            None
        );
        assert_eq!(
            pick(&reports, date!(2026 - 11 - 30), "2026-12-02 10:00:00"),
            Some("r2")
        );
        assert_eq!(holding(&[], date!(2026 - 11 - 30), 0), None);
    }

    #[test]
    fn a_closed_report_must_say_when() {
        let report = Report {
            status: Some(ReportStatus::Closed),
            ..Report::default()
        };
        assert_eq!(
            Placed::from_report("r".into(), &report),
            Err(PlaceError::NoTime { uri: "r".into() })
        );
        let odd = Report {
            time_closed: Some("soon".into()),
            ..report
        };
        assert!(matches!(
            Placed::from_report("r".into(), &odd),
            Err(PlaceError::BadTime { .. })
        ));
    }
}
