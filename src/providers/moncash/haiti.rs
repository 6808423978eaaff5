//! MonCash's dates: `YYYY-MM-DD hh:mm:ss:SSS` (a colon before the milliseconds), in Haiti wall
//! time with no offset written (NOTES: the document's own example is UTC-4).
//!
//! Haiti (America/Port-au-Prince) is UTC-5, and UTC-4 from the second Sunday of March 02:00 to
//! the first Sunday of November 02:00 local time (the US rule, which Haiti has followed since
//! 2017). Decided: that rule is applied to every year, so the years Haiti skipped summer time
//! (2016 and before 2012) read one hour off; no tz database is linked for it. A wall time in the
//! repeated November hour reads as the first (summer) one.

use thiserror::Error;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0:?} is not a MonCash date (YYYY-MM-DD hh:mm:ss:SSS)")]
pub struct DateError(pub String);

const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second]:[subsecond digits:3]"
);

/// The n-th (1-based) `weekday` of `month`.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let shift =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(time::Duration::days(i64::from(shift + 7 * (n - 1))))
}

/// Summer time as local wall-clock bounds of `year`: [start, end).
fn summer(year: i32) -> Option<(PrimitiveDateTime, PrimitiveDateTime)> {
    let two = Time::from_hms(2, 0, 0).ok()?;
    let start = nth_weekday(year, Month::March, Weekday::Sunday, 2)?;
    let end = nth_weekday(year, Month::November, Weekday::Sunday, 1)?;
    Some((
        PrimitiveDateTime::new(start, two),
        PrimitiveDateTime::new(end, two),
    ))
}

fn offset(hours: i8) -> UtcOffset {
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// Haiti's offset for a wall time.
fn offset_of_local(local: PrimitiveDateTime) -> UtcOffset {
    match summer(local.year()) {
        // The end bound is summer wall time: the repeated hour before it reads as summer.
        Some((start, end)) if local >= start && local < end => offset(-4),
        _ => offset(-5),
    }
}

/// Haiti's offset at an instant.
fn offset_at(instant: OffsetDateTime) -> UtcOffset {
    let standard = instant.to_offset(offset(-5));
    let local = PrimitiveDateTime::new(standard.date(), standard.time());
    match summer(local.year()) {
        // In standard-time terms summer runs from 02:00 to 01:00 (02:00 summer time).
        Some((start, end)) if local >= start && local < end - time::Duration::hours(1) => {
            offset(-4)
        }
        _ => offset(-5),
    }
}

/// Reads a MonCash date as the instant it names.
pub fn parse(text: &str) -> Result<OffsetDateTime, DateError> {
    let local =
        PrimitiveDateTime::parse(text.trim(), FORMAT).map_err(|_| DateError(text.to_string()))?;
    Ok(local.assume_offset(offset_of_local(local)))
}

/// Writes an instant the way MonCash does (the simulator's side).
pub fn format(instant: OffsetDateTime) -> String {
    let local = instant.to_offset(offset_at(instant));
    local
        .format(FORMAT)
        .unwrap_or_else(|_| local.unix_timestamp().to_string())
}

/// Unix milliseconds of an instant (0 before 1970).
pub fn unix_ms(instant: OffsetDateTime) -> u64 {
    u64::try_from(instant.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_example_is_utc_minus_four() {
        // payment_token.created "2019-05-24 12:36:55:107" came with timestamp 1558715815122.
        let t = parse("2019-05-24 12:36:55:107").unwrap();
        assert_eq!(unix_ms(t), 1_558_715_815_107);
        assert_eq!(format(t), "2019-05-24 12:36:55:107");
    }

    #[test]
    fn winter_is_utc_minus_five_and_the_switches_follow_the_us_rule() {
        let t = parse("2026-01-15 08:00:00:000").unwrap();
        assert_eq!(t.offset(), offset(-5));
        assert_eq!(t.to_offset(UtcOffset::UTC).hour(), 13);
        // 2026: summer from Sunday 8 March 02:00 to Sunday 1 November 02:00.
        assert_eq!(
            parse("2026-03-08 01:59:59:999").unwrap().offset(),
            offset(-5)
        );
        assert_eq!(
            parse("2026-03-08 03:00:00:000").unwrap().offset(),
            offset(-4)
        );
        assert_eq!(
            parse("2026-11-01 01:30:00:000").unwrap().offset(),
            offset(-4)
        );
        assert_eq!(
            parse("2026-11-01 02:00:00:000").unwrap().offset(),
            offset(-5)
        );
        // Formatting round-trips on both sides of each switch, at the instants themselves.
        for text in [
            "2026-03-08 01:59:59:999",
            "2026-03-08 03:00:00:000",
            "2026-07-04 12:00:00:001",
            "2026-11-01 02:00:00:000",
            "2026-12-31 23:59:59:999",
        ] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
        let before_fall = parse("2026-11-01 01:59:59:000").unwrap();
        assert_eq!(
            format(before_fall + time::Duration::hours(1)),
            "2026-11-01 01:59:59:000",
            "the repeated hour, written in standard time"
        );
    }

    #[test]
    fn other_forms_are_refused() {
        for bad in [
            "2019-05-24 12:36:55.107",
            "2019-05-24T12:36:55:107",
            "2019-05-24 12:36:55",
            "",
            "yesterday",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
