//! Local days on a real journal: which day a sale belongs to, closing and archiving, in zones
//! with a half-hour offset (Colombo) and with daylight-saving changes (Oslo, New York).

use std::path::PathBuf;

use super::*;
use crate::core::provider::ProviderId;
use crate::core::record::{JournalEntry, Outcome, Record};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::core::{Millis, Zone};
use crate::money::{Currency, Money};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p =
            std::env::temp_dir().join(format!("kassa-journal-local-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Dir(p)
    }

    fn open(&self, zone: &str) -> Journal {
        Journal::open(&self.0, 1 << 20)
            .unwrap()
            .with_zone(Zone::named(zone).unwrap())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A UTC instant, through the `time` crate (independent of the zone code under test).
fn utc(text: &str) -> Millis {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    Millis(u64::try_from(t.unix_timestamp()).unwrap() * 1000)
}

fn day(text: &str) -> u64 {
    parse_day(text).unwrap()
}

fn key(n: u64) -> SaleKey {
    SaleKey::new("T1", n).unwrap()
}

fn append(j: &Journal, at: Millis, n: u64, record: Record) -> Result<(), JournalError> {
    j.append(&JournalEntry {
        at,
        sale: key(n),
        provider: ProviderId::new("mcash"),
        record,
    })
}

/// An approved sale of `n` NOK minor units started at `at`.
fn paid(j: &Journal, at: Millis, n: u64) {
    append(
        j,
        at,
        n,
        Record::StartIntent(SaleRequest {
            key: key(n),
            amount: Money::from_minor(100 * n as i64, Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        }),
    )
    .unwrap();
    append(
        j,
        at + 500,
        n,
        Record::Outcome {
            outcome: Outcome::Approved {
                reference: format!("r{n}"),
            },
            late: false,
        },
    )
    .unwrap();
}

fn keys_on(j: &Journal, d: u64) -> Vec<u64> {
    j.sales_on(d)
        .unwrap()
        .iter()
        .filter_map(|s| s.key.as_str().rsplit('-').next()?.parse().ok())
        .collect()
}

#[test]
fn sales_around_local_midnight_fall_in_their_local_day() {
    let dir = Dir::new("midnight");
    let j = dir.open("Europe/Oslo");
    // Oslo is UTC+2 in October: 21:59 UTC is 23:59 on the 4th, 22:01 UTC 00:01 on the 5th.
    paid(&j, utc("2024-10-03T22:30:00Z"), 1); // 00:30 on the 4th
    paid(&j, utc("2024-10-04T21:59:00Z"), 2); // 23:59 on the 4th
    paid(&j, utc("2024-10-04T22:01:00Z"), 3); // 00:01 on the 5th
    assert_eq!(keys_on(&j, day("2024-10-04")), [1, 2]);
    assert_eq!(keys_on(&j, day("2024-10-05")), [3]);
    let r = j.day_report(day("2024-10-04")).unwrap();
    assert_eq!(
        (r.rows[0].count, r.rows[0].approved_total.minor()),
        (2, 300)
    );
    assert_eq!((r.per_hour[0], r.per_hour[23]), (1, 1));
    assert_eq!(r.per_hour.iter().sum::<u32>(), 2);
    assert_eq!(r.zone.name(), "Europe/Oslo");
    // The same records read as UTC days: the zone decides, nothing was re-filed.
    drop(j);
    let j = dir.open("UTC");
    assert_eq!(keys_on(&j, day("2024-10-03")), [1]);
    assert_eq!(keys_on(&j, day("2024-10-04")), [2, 3]);
}

#[test]
fn a_dst_change_keeps_each_sale_in_its_local_day_and_hour() {
    let dir = Dir::new("dst");
    let j = dir.open("Europe/Oslo");
    // 2024-03-31, 23 hours: 00:00 CET is 23:00 UTC the day before; 02:00 becomes 03:00.
    paid(&j, utc("2024-03-30T23:00:00Z"), 1); // 00:00, the first instant
    paid(&j, utc("2024-03-31T01:30:00Z"), 2); // 03:30 CEST: the 02 hour never happened
    paid(&j, utc("2024-03-31T21:59:00Z"), 3); // 23:59 CEST
    paid(&j, utc("2024-03-31T22:00:00Z"), 4); // 00:00 on April 1st
    assert_eq!(keys_on(&j, day("2024-03-31")), [1, 2, 3]);
    assert_eq!(keys_on(&j, day("2024-04-01")), [4]);
    let r = j.day_report(day("2024-03-31")).unwrap();
    assert_eq!((r.per_hour[0], r.per_hour[2], r.per_hour[3]), (1, 0, 1));
    assert_eq!(r.per_hour[23], 1);
    // 2024-10-27, 25 hours: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    paid(&j, utc("2024-10-26T22:00:00Z"), 5); // 00:00 CEST
    paid(&j, utc("2024-10-27T00:30:00Z"), 6); // 02:30 CEST
    paid(&j, utc("2024-10-27T01:30:00Z"), 7); // 02:30 CET
    paid(&j, utc("2024-10-27T22:59:00Z"), 8); // 23:59 CET
    paid(&j, utc("2024-10-27T23:00:00Z"), 9); // 00:00 on the 28th
    assert_eq!(keys_on(&j, day("2024-10-27")), [5, 6, 7, 8]);
    assert_eq!(keys_on(&j, day("2024-10-28")), [9]);
    let r = j.day_report(day("2024-10-27")).unwrap();
    assert_eq!((r.per_hour[0], r.per_hour[2], r.per_hour[23]), (1, 2, 1));
    assert_eq!(r.rows[0].count, 4);
    drop(j);

    let j = dir.open("America/New_York");
    // 2024-11-03, 25 hours in New York: EDT until 06:00 UTC, then EST.
    paid(&j, utc("2024-11-03T04:00:00Z"), 10); // 00:00 EDT
    paid(&j, utc("2024-11-03T05:30:00Z"), 11); // 01:30 EDT
    paid(&j, utc("2024-11-03T06:30:00Z"), 12); // 01:30 EST
    paid(&j, utc("2024-11-04T04:59:00Z"), 13); // 23:59 EST
    paid(&j, utc("2024-11-04T05:00:00Z"), 14); // 00:00 on the 4th
    assert_eq!(keys_on(&j, day("2024-11-03")), [10, 11, 12, 13]);
    assert_eq!(keys_on(&j, day("2024-11-04")), [14]);
    let r = j.day_report(day("2024-11-03")).unwrap();
    assert_eq!((r.per_hour[0], r.per_hour[1], r.per_hour[23]), (1, 2, 1));
    // 2024-03-10, 23 hours: 02:00 EST becomes 03:00 EDT.
    paid(&j, utc("2024-03-10T05:00:00Z"), 15); // 00:00 EST
    paid(&j, utc("2024-03-10T07:00:00Z"), 16); // 03:00 EDT
    paid(&j, utc("2024-03-11T03:59:00Z"), 17); // 23:59 EDT
    paid(&j, utc("2024-03-11T04:00:00Z"), 18); // 00:00 on the 11th
    assert_eq!(keys_on(&j, day("2024-03-10")), [15, 16, 17]);
    assert_eq!(keys_on(&j, day("2024-03-11")), [18]);
    let r = j.day_report(day("2024-03-10")).unwrap();
    assert_eq!((r.per_hour[2], r.per_hour[3]), (0, 1));
}

#[test]
fn colombo_closes_and_archives_its_day_at_local_midnight() {
    let dir = Dir::new("colombo");
    let j = dir.open("Asia/Colombo");
    let d = day("2024-10-04");
    // Colombo is UTC+5:30: the 4th runs from 18:30 UTC on the 3rd to 18:30 UTC on the 4th.
    paid(&j, utc("2024-10-03T18:29:00Z"), 1); // 23:59 on the 3rd
    paid(&j, utc("2024-10-03T18:30:00Z"), 2); // 00:00 on the 4th
    paid(&j, utc("2024-10-04T12:00:00Z"), 3); // 17:30 on the 4th
    let closed = j.close_day(d, utc("2024-10-04T18:00:00Z")).unwrap();
    assert_eq!(closed.report.rows[0].count, 2);
    assert!(j.is_closed(d).unwrap());
    // 23:59 local on the closed day: refused. One minute after local midnight: a new day.
    let late = Record::StartIntent(SaleRequest {
        key: key(4),
        amount: Money::from_minor(100, Currency::NOK),
        flow: Flow::Qr,
        capture: Capture::Sale,
    });
    assert!(matches!(
        append(&j, utc("2024-10-04T18:29:00Z"), 4, late.clone()),
        Err(JournalError::DayClosed { day }) if day == "2024-10-04"
    ));
    paid(&j, utc("2024-10-04T18:31:00Z"), 5);
    assert_eq!(keys_on(&j, day("2024-10-05")), [5]);
    // The closed day moved to its archive file and still reads as the same two sales.
    assert!(j.archive_path(d).exists());
    assert_eq!(keys_on(&j, d), [2, 3]);
    assert_eq!(keys_on(&j, day("2024-10-03")), [1]);
    assert_eq!(j.day_report(d).unwrap(), closed.report);
}

#[test]
fn the_csv_writes_local_times_with_their_offset_and_exact_amounts() {
    let dir = Dir::new("csv");
    let j = dir.open("Asia/Colombo");
    paid(&j, utc("2024-10-04T10:00:00Z"), 12);
    let mut out = Vec::new();
    j.write_csv(day("2024-10-04"), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let line = text.lines().nth(1).unwrap();
    assert_eq!(
        line,
        "T1-000012,2024-10-04T15:30:00+05:30,mcash,NOK,12.00,approved,r12,false,,false"
    );
    let j = j.with_zone(Zone::named("America/New_York").unwrap());
    let mut out = Vec::new();
    j.write_csv(day("2024-10-04"), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(",2024-10-04T06:00:00-04:00,"), "{text}");
}
