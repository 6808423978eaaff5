//! The outbox pages: what waits to be sent, and one item to try again or drop.

use super::{AMBER, PageKind, RED, RowModel, UiModel};
use crate::console::age;
use crate::core::Millis;
use crate::core::view::{Notice, OutboxRow, OutboxSummary, Tone, View};
use crate::ui::words;

/// Where an item stands, in a word or three.
fn state_text(row: &OutboxRow, now: Millis) -> String {
    if row.dead {
        "GIVEN UP".into()
    } else if row.next_try > now {
        format!("next try in {}", age(row.next_try.0 - now.0 + 999))
    } else {
        "due now".into()
    }
}

fn sale_text(row: &OutboxRow) -> String {
    match &row.sale {
        Some(s) => format!("sale {s}"),
        None => "no sale".into(),
    }
}

pub(super) fn list(
    m: &mut UiModel,
    view: &View,
    summary: &OutboxSummary,
    message: Option<&Notice>,
    now: Millis,
) {
    let lang = view.status.local.locale;
    m.page = PageKind::Outbox;
    m.title = "Outbox".into();
    let counts = format!("{} waiting · {} given up", summary.pending, summary.dead);
    m.rows = summary
        .items
        .iter()
        .map(|row| {
            let mut detail = format!(
                "{} · {} · queued {} ago · {} tries",
                row.provider,
                sale_text(row),
                age(now.0.saturating_sub(row.created_at.0)),
                row.attempts
            );
            if let Some(e) = &row.last_error {
                detail = format!("{detail} · {e}");
            }
            RowModel {
                left: format!("#{} {}", row.id, words::outbox_call(lang, &row.what)),
                // The call gets the width: the provider is in the detail line.
                middle: String::new(),
                right: state_text(row, now),
                detail,
                color: if row.dead { RED } else { AMBER },
            }
        })
        .collect();
    let listed_dead = summary.items.iter().filter(|r| r.dead).count();
    let unlisted = (summary.pending + summary.dead).saturating_sub(summary.items.len());
    (m.message, m.message_tone) = match message {
        Some(n) => (format!("{counts}. {}", words::notice(lang, n)), n.tone),
        // Damaged items count as given up but cannot be listed or acted on from here.
        None if summary.dead > listed_dead && unlisted > 0 => (
            format!(
                "{counts}. {unlisted} not listed (some may be damaged): see `kassa queue list`."
            ),
            Tone::Problem,
        ),
        None if listed_dead > 0 => (
            format!("{counts}. Tap one to try again or drop it."),
            Tone::Info,
        ),
        None => (counts, Tone::Info),
    };
}

pub(super) fn item(
    m: &mut UiModel,
    view: &View,
    row: &OutboxRow,
    confirm_drop: bool,
    message: Option<&Notice>,
    now: Millis,
) {
    let lang = view.status.local.locale;
    m.page = PageKind::OutboxItem;
    // Most telling first: at 480x320 only the first rows show without scrolling.
    let mut rows = vec![
        RowModel::pair("Call", &words::outbox_call(lang, &row.what)),
        RowModel {
            color: if row.dead { RED } else { AMBER },
            ..RowModel::pair("State", &state_text(row, now))
        },
    ];
    if let Some(e) = &row.last_error {
        rows.push(RowModel {
            color: RED,
            ..RowModel::pair("Last error", e)
        });
    }
    rows.push(RowModel::pair(
        "Sale",
        &format!("{} · {}", sale_text(row), row.provider),
    ));
    rows.push(RowModel::pair(
        "Queued",
        &format!(
            "{} ago · {} tries",
            age(now.0.saturating_sub(row.created_at.0)),
            row.attempts
        ),
    ));
    m.rows = rows;
    if confirm_drop {
        m.title = format!("Drop #{} for good?", row.id);
        // Cannot be undone: drawn as a problem, beside the red button.
        match message {
            Some(n) => m.notice(lang, Some(n)),
            None => m.say(
                Tone::Problem,
                "Its call will never be made. The journal records who dropped it.".into(),
            ),
        }
        m.action = format!("Drop #{}", row.id);
        m.action_danger = true;
    } else {
        m.title = format!("Outbox item #{}", row.id);
        m.notice(lang, message);
        m.action = "Try again now".into();
        m.second_action = "Drop…".into();
    }
}
