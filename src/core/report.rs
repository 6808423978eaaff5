//! Daily totals per provider and currency, and sales per hour, computed from sale rows. A
//! provider service that moved money has rows of its own (one per service), never in a sales
//! total.
//! Days and hours are local to the terminal's [`Zone`]: a day runs from local midnight to local
//! midnight (23 or 25 hours across a daylight-saving change), and an hour is the hour the wall
//! clock showed, so the repeated hour of an autumn change counts in one bar and the skipped hour
//! of a spring change stays empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::provider::ProviderId;
use super::record::SaleRow;
use super::time::{Millis, Zone};
use crate::money::{Currency, Money, MoneyError};

const DAY_MS: u64 = 86_400_000;
#[cfg(test)]
const HOUR_MS: u64 = 3_600_000;

/// The UTC day of `t`, days since the Unix epoch: the journal's storage bucket. A day a person
/// reads (reports, closing, history) is [`Zone::day_of`].
pub fn day_of(t: Millis) -> u64 {
    t.0 / DAY_MS
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    pub provider: ProviderId,
    /// A provider service that moves money (top-up, bill payment): totalled apart from the
    /// provider's sales, one row per service. `None`: the provider's sales.
    #[serde(default)]
    pub service: Option<String>,
    pub currency: Currency,
    pub count: u32,
    pub approved: u32,
    pub approved_total: Money,
    pub refunded_total: Money,
    pub net: Money,
    /// Sales nobody can settle yet: listed first for a person.
    pub in_doubt: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// Local day, days since 1970-01-01 in `zone`.
    pub day: u64,
    /// The zone the day and hours are counted in.
    #[serde(default)]
    pub zone: Zone,
    pub rows: Vec<ReportRow>,
    /// Approved sales per local wall-clock hour.
    pub per_hour: [u32; 24],
}

impl DayReport {
    /// Totals of the sales that started on local `day` in `zone`. Fails only on overflow.
    pub fn build<'a>(
        day: u64,
        zone: &Zone,
        sales: impl IntoIterator<Item = &'a SaleRow>,
    ) -> Result<DayReport, MoneyError> {
        let mut rows: BTreeMap<(ProviderId, Option<String>, Currency), ReportRow> = BTreeMap::new();
        let mut per_hour = [0u32; 24];
        let (start, end) = zone.day_bounds(day);
        for sale in sales
            .into_iter()
            .filter(|s| s.started_at >= start && s.started_at < end)
        {
            let currency = sale.amount.currency();
            let zero = Money::zero(currency);
            let row = rows
                .entry((sale.provider.clone(), sale.service.clone(), currency))
                .or_insert_with(|| ReportRow {
                    provider: sale.provider.clone(),
                    service: sale.service.clone(),
                    currency,
                    count: 0,
                    approved: 0,
                    approved_total: zero,
                    refunded_total: zero,
                    net: zero,
                    in_doubt: 0,
                });
            row.count += 1;
            match &sale.outcome {
                Some(o) if o.is_approved() => {
                    row.approved += 1;
                    row.approved_total = row.approved_total.checked_add(sale.amount)?;
                    if sale.refunded.is_some() {
                        row.refunded_total = row.refunded_total.checked_add(sale.amount)?;
                    }
                    // The bars count sales; services are not sales.
                    if sale.service.is_none() {
                        let hour = usize::from(zone.local(sale.started_at).hour);
                        per_hour[hour.min(23)] += 1;
                    }
                }
                Some(super::record::Outcome::InDoubt { .. }) | None => row.in_doubt += 1,
                Some(_) => {}
            }
            row.net = row.approved_total.checked_sub(row.refunded_total)?;
        }
        let mut rows: Vec<ReportRow> = rows.into_values().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.in_doubt > 0));
        Ok(DayReport {
            day,
            zone: zone.clone(),
            rows,
            per_hour,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::record::Outcome;
    use crate::core::sale::SaleKey;

    fn row(n: u64, provider: &str, minor: i64, outcome: Option<Outcome>, at: u64) -> SaleRow {
        SaleRow {
            key: SaleKey::new("T", n).unwrap(),
            provider: ProviderId::new(provider),
            amount: Money::from_minor(minor, Currency::NOK),
            started_at: Millis(at),
            outcome,
            late_approval: false,
            refunded: None,
            restart: None,
            service: None,
            staff_called: false,
        }
    }

    #[test]
    fn totals_per_provider_with_refunds_and_in_doubt_first() {
        let ok = || {
            Some(Outcome::Approved {
                reference: "r".into(),
            })
        };
        let mut refunded = row(2, "mcash", 500, ok(), DAY_MS + 2 * HOUR_MS);
        refunded.refunded = Some("rf".into());
        let sales = vec![
            row(1, "mcash", 1250, ok(), DAY_MS + HOUR_MS),
            refunded,
            row(3, "mcash", 999, Some(Outcome::Cancelled), DAY_MS + HOUR_MS),
            row(
                4,
                "fake",
                100,
                Some(Outcome::InDoubt { reason: "x".into() }),
                DAY_MS,
            ),
            row(5, "mcash", 7, ok(), 2 * DAY_MS), // another day
        ];
        let r = DayReport::build(1, &Zone::utc(), &sales).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].provider.as_str(), "fake");
        assert_eq!(r.rows[0].in_doubt, 1);
        let m = &r.rows[1];
        assert_eq!((m.count, m.approved), (3, 2));
        assert_eq!(m.approved_total.minor(), 1750);
        assert_eq!(m.refunded_total.minor(), 500);
        assert_eq!(m.net.minor(), 1250);
        assert_eq!(r.per_hour[1], 1);
        assert_eq!(r.per_hour[2], 1);
    }
}

#[cfg(test)]
mod service_tests {
    use super::*;
    use crate::core::record::Outcome;
    use crate::core::sale::SaleKey;

    #[test]
    fn services_are_totalled_apart_from_sales_one_row_per_service() {
        let approved = || {
            Some(Outcome::Approved {
                reference: "r".into(),
            })
        };
        let row = |n: u64, minor: i64, service: Option<&str>| SaleRow {
            key: SaleKey::new("T", n).unwrap(),
            provider: ProviderId::new("ezcash"),
            amount: Money::from_minor(minor, Currency::LKR),
            started_at: Millis(DAY_MS + HOUR_MS),
            outcome: approved(),
            late_approval: false,
            refunded: None,
            restart: None,
            service: service.map(str::to_string),
            staff_called: false,
        };
        let sales = [
            row(1, 1_000, None),
            row(2, 5_000, Some("Wallet top-up")),
            row(3, 7_000, Some("Wallet top-up")),
            row(4, 300, Some("Bill payment")),
            row(5, 2_000, None),
        ];
        let r = DayReport::build(1, &Zone::utc(), &sales).unwrap();
        let totals: Vec<(Option<&str>, u32, i64)> = r
            .rows
            .iter()
            .map(|x| (x.service.as_deref(), x.count, x.approved_total.minor()))
            .collect();
        assert_eq!(
            totals,
            [
                (None, 2, 3_000),
                (Some("Bill payment"), 1, 300),
                (Some("Wallet top-up"), 2, 12_000),
            ]
        );
        assert_eq!(r.per_hour[1], 2, "only sales are counted per hour");
    }
}
