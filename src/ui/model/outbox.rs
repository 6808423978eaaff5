//! The outbox pages: what waits to be sent, and one item to try again or drop.

use super::{AMBER, PageKind, RED, RowModel, UiModel};
use crate::console::age;
use crate::core::Millis;
use crate::core::locale::Locale;
use crate::core::view::{Notice, OutboxRow, OutboxSummary, Tone};
use crate::ui::tr::{fill, tr};
use crate::ui::words;

/// Where an item stands, in a word or three.
fn state_text(l: Locale, row: &OutboxRow, now: Millis) -> String {
    if row.dead {
        tr(l, "GIVEN UP").into()
    } else if row.next_try > now {
        fill(
            tr(l, "next try in {time}"),
            &[("time", &age(row.next_try.0 - now.0 + 999))],
        )
    } else {
        tr(l, "due now").into()
    }
}

fn sale_text(l: Locale, row: &OutboxRow) -> String {
    match &row.sale {
        Some(s) => fill(tr(l, "sale {sale}"), &[("sale", s)]),
        None => tr(l, "no sale").into(),
    }
}

pub(super) fn list(
    m: &mut UiModel,
    l: Locale,
    summary: &OutboxSummary,
    message: Option<&Notice>,
    now: Millis,
) {
    m.page = PageKind::Outbox;
    m.title = tr(l, "Outbox").into();
    let counts = fill(
        tr(l, "{waiting} waiting · {dead} given up"),
        &[("waiting", &summary.pending), ("dead", &summary.dead)],
    );
    m.rows = summary
        .items
        .iter()
        .map(|row| {
            let mut detail = fill(
                tr(l, "{provider} · {sale} · queued {age} ago · {tries} tries"),
                &[
                    ("provider", &row.provider),
                    ("sale", &sale_text(l, row)),
                    ("age", &age(now.0.saturating_sub(row.created_at.0))),
                    ("tries", &row.attempts),
                ],
            );
            if let Some(e) = &row.last_error {
                detail = format!("{detail} · {e}");
            }
            RowModel {
                left: format!("#{} {}", row.id, words::outbox_call(l, &row.what)),
                // The call gets the width: the provider is in the detail line.
                middle: String::new(),
                right: state_text(l, row, now),
                detail,
                color: if row.dead { RED } else { AMBER },
            }
        })
        .collect();
    let listed_dead = summary.items.iter().filter(|r| r.dead).count();
    let unlisted = (summary.pending + summary.dead).saturating_sub(summary.items.len());
    (m.message, m.message_tone) = match message {
        Some(n) => (format!("{counts}. {}", words::notice(l, n)), n.tone),
        // Damaged items count as given up but cannot be listed or acted on from here.
        None if summary.dead > listed_dead && unlisted > 0 => (
            fill(
                tr(
                    l,
                    "{counts}. {n} not listed (some may be damaged): see `kassa queue list`.",
                ),
                &[("counts", &counts), ("n", &unlisted)],
            ),
            Tone::Problem,
        ),
        None if listed_dead > 0 => (
            fill(
                tr(l, "{counts}. Tap one to try again or drop it."),
                &[("counts", &counts)],
            ),
            Tone::Info,
        ),
        None => (counts, Tone::Info),
    };
}

pub(super) fn item(
    m: &mut UiModel,
    l: Locale,
    row: &OutboxRow,
    confirm_drop: bool,
    message: Option<&Notice>,
    now: Millis,
) {
    m.page = PageKind::OutboxItem;
    // Most telling first: at 480x320 only the first rows show without scrolling.
    let mut rows = vec![
        RowModel::pair(tr(l, "Call"), &words::outbox_call(l, &row.what)),
        RowModel {
            color: if row.dead { RED } else { AMBER },
            ..RowModel::pair(tr(l, "State"), &state_text(l, row, now))
        },
    ];
    if let Some(e) = &row.last_error {
        rows.push(RowModel {
            color: RED,
            ..RowModel::pair(tr(l, "Last error"), e)
        });
    }
    rows.push(RowModel::pair(
        tr(l, "Sale"),
        &format!("{} · {}", sale_text(l, row), row.provider),
    ));
    rows.push(RowModel::pair(
        tr(l, "Queued"),
        &fill(
            tr(l, "{age} ago · {tries} tries"),
            &[
                ("age", &age(now.0.saturating_sub(row.created_at.0))),
                ("tries", &row.attempts),
            ],
        ),
    ));
    m.rows = rows;
    let id: &[(&str, &dyn std::fmt::Display)] = &[("id", &row.id)];
    if confirm_drop {
        m.title = fill(tr(l, "Drop #{id} for good?"), id);
        // Cannot be undone: drawn as a problem, beside the red button.
        match message {
            Some(n) => m.notice(l, Some(n)),
            None => m.say(
                Tone::Problem,
                tr(
                    l,
                    "Its call will never be made. The journal records who dropped it.",
                )
                .into(),
            ),
        }
        m.action = fill(tr(l, "Drop #{id}"), id);
        m.action_danger = true;
    } else {
        m.title = fill(tr(l, "Outbox item #{id}"), id);
        m.notice(l, message);
        m.action = tr(l, "Try again now").into();
        m.second_action = tr(l, "Drop…").into();
    }
}
