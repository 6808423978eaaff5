//! The pages about recorded sales: history rows, a sale's detail, the day's report and the
//! recovery summary.

use super::*;
use crate::ui::tr::trn;

/// `YYYY-MM-DD` of a day number (a local day names its local date).
pub(super) fn date_text(day: u64) -> String {
    crate::journal::day_string(day)
}

/// What an outcome reads as in lists.
pub(super) fn outcome_text(l: Locale, outcome: Option<&Outcome>) -> (String, Rgb) {
    match outcome {
        None => (tr(l, "In progress").to_string(), AMBER),
        Some(Outcome::Approved { reference }) => (
            fill(tr(l, "Paid · ref {reference}"), &[("reference", reference)]),
            GREEN,
        ),
        Some(Outcome::Declined { reason }) => (
            fill(
                tr(l, "Not paid · declined: {reason}"),
                &[("reason", reason)],
            ),
            RED,
        ),
        Some(Outcome::Expired) => (tr(l, "Not paid · expired").to_string(), RED),
        Some(Outcome::Cancelled) => (tr(l, "Not paid · cancelled").to_string(), RED),
        Some(Outcome::Released) => (tr(l, "Not paid · released").to_string(), RED),
        Some(Outcome::Failed { reason }) => (
            fill(tr(l, "Not paid · {reason}"), &[("reason", reason)]),
            RED,
        ),
        Some(Outcome::InDoubt { reason }) => (
            fill(tr(l, "NOT CONFIRMED · {reason}"), &[("reason", reason)]),
            AMBER,
        ),
    }
}

pub(super) fn sale_row(local: &Local, row: &SaleRow) -> RowModel {
    let l = local.locale;
    let (mut detail, color) = outcome_text(l, row.outcome.as_ref());
    // Each addition is a whole phrase of its own, after the outcome's.
    if row.late_approval {
        detail = fill(
            tr(l, "{outcome} · approved after cancel"),
            &[("outcome", &detail)],
        );
    }
    if let Some(r) = &row.refunded {
        detail = fill(
            tr(l, "{outcome} · refunded ({refund})"),
            &[("outcome", &detail), ("refund", r)],
        );
    }
    if row.restart.is_some() {
        detail = fill(
            tr(l, "{outcome} · resolved after restart"),
            &[("outcome", &detail)],
        );
    }
    RowModel {
        left: format!("{} {}", local.clock(row.started_at), row.key),
        // A service is not a sale: its label stands beside the provider.
        middle: match &row.service {
            Some(s) => format!("{} · {s}", row.provider),
            None => row.provider.to_string(),
        },
        right: local.money(row.amount),
        detail,
        color,
    }
}

pub(super) fn detail_rows(local: &Local, row: &SaleRow) -> Vec<RowModel> {
    let l = local.locale;
    let (outcome, color) = outcome_text(l, row.outcome.as_ref());
    let mut rows = vec![
        RowModel::pair(tr(l, "Sale"), row.key.as_str()),
        RowModel::pair(tr(l, "Amount"), &local.money(row.amount)),
        RowModel::pair(tr(l, "Provider"), row.provider.as_str()),
        RowModel::pair(
            tr(l, "Kind"),
            &match &row.service {
                Some(s) => fill(tr(l, "service: {service}"), &[("service", s)]),
                None => tr(l, "sale").to_string(),
            },
        ),
        RowModel::pair(tr(l, "Started"), &local.date_time(row.started_at)),
        RowModel {
            color,
            ..RowModel::pair(tr(l, "Outcome"), &outcome)
        },
    ];
    if row.late_approval {
        rows.push(RowModel::pair(
            tr(l, "Note"),
            tr(l, "Approved after the cashier cancelled: money moved"),
        ));
    }
    if let Some(r) = &row.refunded {
        rows.push(RowModel::pair(tr(l, "Refunded"), r));
    }
    if let Some(restart) = row.restart {
        rows.push(RowModel::pair(
            tr(l, "Note"),
            &words::restart_note(local.locale, restart),
        ));
    }
    rows
}

pub(super) fn report(m: &mut UiModel, local: &Local, r: &DayReport) {
    // The bars count sales per hour of the report's zone; the title names it once.
    let l = local.locale;
    m.title = fill(
        tr(l, "Report {day} ({zone})"),
        &[("day", &date_text(r.day)), ("zone", &r.zone.name())],
    );
    m.bars = r
        .per_hour
        .iter()
        .enumerate()
        .map(|(h, n)| {
            let label = if h % 3 == 0 {
                format!("{h:02}")
            } else {
                String::new()
            };
            (label, *n)
        })
        .collect();
    m.totals = r
        .rows
        .iter()
        .map(|row| {
            let count = u64::from(row.count);
            let counted = if row.service.is_some() {
                trn(l, "{n} service", "{n} services", count)
            } else {
                trn(l, "{n} sale", "{n} sales", count)
            };
            let counted = fill(counted, &[("n", &row.count)]);
            let mut middle = fill(
                tr(l, "{counted}, {paid} paid, {refunded} refunded"),
                &[
                    ("counted", &counted),
                    ("paid", &row.approved),
                    ("refunded", &local.money(row.refunded_total)),
                ],
            );
            if row.in_doubt > 0 {
                middle = fill(
                    tr(l, "{totals}, {n} NOT CONFIRMED"),
                    &[("totals", &middle), ("n", &row.in_doubt)],
                );
            }
            RowModel {
                left: match &row.service {
                    Some(s) => format!("{} · {s}", row.provider),
                    None => row.provider.to_string(),
                },
                middle,
                right: local.money(row.net),
                detail: String::new(),
                color: provider_color(row.provider.as_str()),
            }
        })
        .collect();
}

/// The recovery summary: one row per sale, its bar coloured by what the recovery decided
/// (amber for money that moved, so it is never the approval green; red in doubt; grey not
/// paid). One key acknowledges it.
pub(super) fn summary(m: &mut UiModel, local: &Local, items: &[SummaryItem], from_menu: bool) {
    let l = local.locale;
    m.page = PageKind::RecoverySummary;
    m.title = tr(l, "Resolved after restart").into();
    m.message = tr(
        l,
        "The terminal stopped during these sales and settled them at start. Check before selling again.",
    )
    .into();
    m.rows = items
        .iter()
        .map(|i| RowModel {
            left: i.sale.to_string(),
            middle: format!("{} · {}", i.provider, local.clock(i.started_at)),
            right: local.money(i.amount),
            detail: words::summary_decision(local.locale, i),
            color: match i.verdict() {
                Verdict::Paid => AMBER,
                Verdict::InDoubt => RED,
                Verdict::NotPaid => GREY,
            },
        })
        .collect();
    m.action = if from_menu {
        tr(l, "Seen: do not show again").into()
    } else {
        tr(l, "OK, seen").into()
    };
}
