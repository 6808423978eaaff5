//! Time as the runtime gives it to the core: the core never reads a clock itself.

use std::ops::Add;

use serde::{Deserialize, Serialize};

/// Wall-clock time in milliseconds since the Unix epoch, as given by the runtime.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    pub fn saturating_sub(self, other: Millis) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

const DAY_MS: i64 = 86_400_000;

/// A terminal's time zone (`terminal.time_zone`): an IANA zone from the tz database compiled
/// into the binary, so the conversion is a pure function of the timestamp (no clock, no files)
/// and the core may use it. Timestamps stay UTC everywhere they are stored; a zone only decides
/// which local day and hour a timestamp belongs to and how a clock reads.
///
/// Days are counted like [`Millis`]: `u64` days since 1970-01-01, here of the local calendar,
/// so a day number still names one calendar date (`2024-10-04`) whatever the zone.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: jiff::tz::TimeZone,
    /// The canonical IANA name (`Europe/Oslo`), or `UTC`.
    name: String,
}

/// An unknown zone name: a configuration error that names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?} (expected an IANA name such as \"Europe/Oslo\" or \"UTC\")")]
pub struct UnknownZone(pub String);

/// A timestamp as a wall clock in a zone reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Local day, days since 1970-01-01.
    pub day: u64,
    pub year: i16,
    pub month: u8,
    pub day_of_month: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Seconds east of UTC in force at that instant (`19800` in Colombo).
    pub offset_seconds: i32,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            tz: jiff::tz::TimeZone::UTC,
            name: "UTC".to_string(),
        }
    }

    /// Looks up an IANA name (`Asia/Colombo`) in the bundled database.
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        let trimmed = name.trim();
        let tz = jiff::tz::TimeZone::get(trimmed).map_err(|_| UnknownZone(name.to_string()))?;
        let name = tz.iana_name().unwrap_or(trimmed).to_string();
        Ok(Zone { tz, name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_utc(&self) -> bool {
        self.name == "UTC" || self.name == "Etc/UTC"
    }

    fn timestamp(t: Millis) -> jiff::Timestamp {
        i64::try_from(t.0)
            .ok()
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .unwrap_or(jiff::Timestamp::MAX)
    }

    /// Seconds east of UTC at `t`.
    pub fn offset_seconds(&self, t: Millis) -> i32 {
        self.tz.to_offset(Self::timestamp(t)).seconds()
    }

    /// The local day `t` falls in.
    pub fn day_of(&self, t: Millis) -> u64 {
        self.local(t).day
    }

    /// `t` as the local wall clock reads it.
    pub fn local(&self, t: Millis) -> LocalTime {
        let ts = Self::timestamp(t);
        let offset_seconds = self.tz.to_offset(ts).seconds();
        let civil = self.tz.to_datetime(ts);
        // The local day number: the local wall-clock milliseconds, floored to whole days.
        let local_ms = ts
            .as_millisecond()
            .saturating_add(i64::from(offset_seconds) * 1000);
        LocalTime {
            day: u64::try_from(local_ms.div_euclid(DAY_MS)).unwrap_or(0),
            year: civil.year(),
            month: civil.month().unsigned_abs(),
            day_of_month: civil.day().unsigned_abs(),
            hour: civil.hour().unsigned_abs(),
            minute: civil.minute().unsigned_abs(),
            second: civil.second().unsigned_abs(),
            offset_seconds,
        }
    }

    /// The instant local `day` starts (its first existing moment, so a day whose midnight a DST
    /// change skips starts at the change) and the instant the next day starts: `[start, end)`.
    /// A day is 24 hours long except around a change (23 or 25 hours in Oslo and New York).
    pub fn day_bounds(&self, day: u64) -> (Millis, Millis) {
        (self.day_start(day), self.day_start(day.saturating_add(1)))
    }

    fn day_start(&self, day: u64) -> Millis {
        let fallback = Millis((day as i64).saturating_mul(DAY_MS).max(0) as u64);
        let Ok(days) = i32::try_from(day) else {
            return fallback;
        };
        let start = jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(days))
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()))
            .and_then(|z| z.start_of_day())
            .map(|z| z.timestamp().as_millisecond());
        match start {
            Ok(ms) => Millis(u64::try_from(ms).unwrap_or(0)),
            Err(_) => fallback,
        }
    }
}

/// Same zone: same canonical name.
impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Zone, D::Error> {
        let name = String::deserialize(d)?;
        Zone::named(&name).map_err(serde::de::Error::custom)
    }
}
