//! The pages about recorded sales: history rows, a sale's detail, the day's report and the
//! recovery summary.

use super::*;

/// `YYYY-MM-DD` of a day number (a local day names its local date).
pub(super) fn date_text(day: u64) -> String {
    crate::journal::day_string(day)
}

/// What an outcome reads as in lists.
pub(super) fn outcome_text(outcome: Option<&Outcome>) -> (String, Rgb) {
    match outcome {
        None => ("In progress".into(), AMBER),
        Some(Outcome::Approved { reference }) => (format!("Paid · ref {reference}"), GREEN),
        Some(Outcome::Declined { reason }) => (format!("Not paid · declined: {reason}"), RED),
        Some(Outcome::Expired) => ("Not paid · expired".into(), RED),
        Some(Outcome::Cancelled) => ("Not paid · cancelled".into(), RED),
        Some(Outcome::Released) => ("Not paid · released".into(), RED),
        Some(Outcome::Failed { reason }) => (format!("Not paid · {reason}"), RED),
        Some(Outcome::InDoubt { reason }) => (format!("NOT CONFIRMED · {reason}"), AMBER),
    }
}

pub(super) fn sale_row(local: &Local, row: &SaleRow) -> RowModel {
    let (mut detail, color) = outcome_text(row.outcome.as_ref());
    if row.late_approval {
        detail.push_str(" · approved after cancel");
    }
    if let Some(r) = &row.refunded {
        detail = format!("{detail} · refunded ({r})");
    }
    if row.restart.is_some() {
        detail.push_str(" · resolved after restart");
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
    let (outcome, color) = outcome_text(row.outcome.as_ref());
    let mut rows = vec![
        RowModel::pair("Sale", row.key.as_str()),
        RowModel::pair("Amount", &local.money(row.amount)),
        RowModel::pair("Provider", row.provider.as_str()),
        RowModel::pair(
            "Kind",
            &match &row.service {
                Some(s) => format!("service: {s}"),
                None => "sale".to_string(),
            },
        ),
        RowModel::pair("Started", &local.date_time(row.started_at)),
        RowModel {
            color,
            ..RowModel::pair("Outcome", &outcome)
        },
    ];
    if row.late_approval {
        rows.push(RowModel::pair(
            "Note",
            "Approved after the cashier cancelled: money moved",
        ));
    }
    if let Some(r) = &row.refunded {
        rows.push(RowModel::pair("Refunded", r));
    }
    if let Some(restart) = row.restart {
        rows.push(RowModel::pair(
            "Note",
            &words::restart_note(local.locale, restart),
        ));
    }
    rows
}

pub(super) fn report(m: &mut UiModel, local: &Local, r: &DayReport) {
    // The bars count sales per hour of the report's zone; the title names it once.
    m.title = format!("Report {} ({})", date_text(r.day), r.zone.name());
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
            let (one, many) = if row.service.is_some() {
                ("service", "services")
            } else {
                ("sale", "sales")
            };
            let mut middle = format!(
                "{} {}, {} paid, {} refunded",
                row.count,
                if row.count == 1 { one } else { many },
                row.approved,
                local.money(row.refunded_total)
            );
            if row.in_doubt > 0 {
                middle.push_str(&format!(", {} NOT CONFIRMED", row.in_doubt));
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
    m.page = PageKind::RecoverySummary;
    m.title = "Resolved after restart".into();
    m.message = "The terminal stopped during these sales and settled them at start. Check \
                 before selling again."
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
        "Seen: do not show again".into()
    } else {
        "OK, seen".into()
    };
}
