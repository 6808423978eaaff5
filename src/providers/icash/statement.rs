//! Reading the merchant's statement: iCash has no status call, no idempotency key and no
//! webhook, so the statement is how the terminal learns that a QR sale was paid, and how it
//! finds a money-moving call whose answer was lost before anything is retried. Pure functions
//! over statement entries, tested apart from the wire.

use time::OffsetDateTime;

use super::wire::{Entry, OP_VOUCHER_TOPUP};
use crate::money::Money;

/// How far statement times may lag or lead the terminal's clock (the statement is written in
/// whole seconds of Libya time by another machine).
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(2);

/// The credit that pays a QR sale of `amount` shown since `since`: a credit of exactly the
/// amount, no debit, posted after `since`, not a voucher top-up, and not taken by another sale
/// already (`claimed`). The oldest such credit wins, so two sales of one amount in a row are
/// paid in the order they were shown.
pub fn sale_credit<'a>(
    entries: &'a [Entry],
    amount: Money,
    since: OffsetDateTime,
    claimed: &dyn Fn(&str) -> bool,
) -> Option<&'a Entry> {
    entries
        .iter()
        .filter(|e| {
            e.credit == amount
                && !e.debit.is_positive()
                && e.at >= since - CLOCK_SKEW
                && e.op_type != OP_VOUCHER_TOPUP
                && !claimed(&e.id)
        })
        .min_by_key(|e| e.at)
}

/// The entry that carries `key` in its note or seller text (PayInvoice's `Description`,
/// TransferMoney's `Message`), for `amount` on the given side.
pub fn by_key<'a>(
    entries: &'a [Entry],
    key: &str,
    amount: Money,
    credit: bool,
) -> Option<&'a Entry> {
    entries.iter().find(|e| {
        let side = if credit { e.credit } else { e.debit };
        side == amount && (carries(&e.note, key) || carries(&e.seller_desc, key))
    })
}

fn carries(text: &str, key: &str) -> bool {
    let t = text.trim();
    t == key || t.split_whitespace().any(|w| w == key)
}

/// The entry with operation number `id`.
pub fn by_id<'a>(entries: &'a [Entry], id: &str) -> Option<&'a Entry> {
    entries.iter().find(|e| e.id == id)
}

/// A voucher top-up of `amount` since `since` (a redemption whose answer was lost).
pub fn voucher_topup(entries: &[Entry], amount: Money, since: OffsetDateTime) -> Option<&Entry> {
    entries
        .iter()
        .filter(|e| e.op_type == OP_VOUCHER_TOPUP && e.credit == amount && e.at >= since)
        .min_by_key(|e| e.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use time::macros::datetime;

    fn lyd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::LYD)
    }

    fn entry(id: &str, credit: i64, debit: i64, at: OffsetDateTime, op: i64, note: &str) -> Entry {
        Entry {
            id: id.into(),
            debit: lyd(debit),
            credit: lyd(credit),
            opening: lyd(0),
            closing: lyd(0),
            at,
            desc: "دفع".into(),
            note: note.into(),
            seller_desc: String::new(),
            op_type: op,
            second_party: "1000103943".into(),
        }
    }

    #[test]
    fn a_qr_sale_takes_the_oldest_unclaimed_exact_credit_after_it_was_shown() {
        let shown = datetime!(2026-12-02 10:00:00 UTC);
        let rows = vec![
            entry("5", 12_345, 0, shown + time::Duration::minutes(3), 21, ""),
            entry("4", 12_345, 0, shown + time::Duration::minutes(1), 21, ""),
            entry(
                "3",
                12_345,
                0,
                shown + time::Duration::minutes(1),
                OP_VOUCHER_TOPUP,
                "",
            ),
            entry("2", 12_340, 0, shown + time::Duration::minutes(1), 21, ""),
            entry("1", 12_345, 0, shown - time::Duration::minutes(10), 21, ""),
        ];
        let none = |_: &str| false;
        assert_eq!(
            sale_credit(&rows, lyd(12_345), shown, &none).unwrap().id,
            "4"
        );
        let four = |id: &str| id == "4";
        assert_eq!(
            sale_credit(&rows, lyd(12_345), shown, &four).unwrap().id,
            "5"
        );
        let all = |id: &str| id == "4" || id == "5";
        assert!(sale_credit(&rows, lyd(12_345), shown, &all).is_none());
        assert!(sale_credit(&rows, lyd(1), shown, &none).is_none());
        // A statement clock a minute behind still counts.
        let late = vec![entry(
            "9",
            500,
            0,
            shown - time::Duration::minutes(1),
            21,
            "",
        )];
        assert!(sale_credit(&late, lyd(500), shown, &none).is_some());
    }

    #[test]
    fn keys_are_found_in_notes_on_the_right_side_only() {
        let at = datetime!(2026-12-02 10:00:00 UTC);
        let rows = vec![
            entry("7", 0, 1_000, at, -1, "T1-000042-r1"),
            entry("6", 1_000, 0, at, 20, "T1-000042"),
        ];
        assert_eq!(
            by_key(&rows, "T1-000042", lyd(1_000), true).unwrap().id,
            "6"
        );
        assert_eq!(
            by_key(&rows, "T1-000042-r1", lyd(1_000), false).unwrap().id,
            "7"
        );
        assert!(by_key(&rows, "T1-000042", lyd(1_000), false).is_none());
        assert!(
            by_key(&rows, "T1-00004", lyd(1_000), true).is_none(),
            "whole keys only"
        );
        assert!(by_key(&rows, "T1-000042", lyd(999), true).is_none());
        assert_eq!(by_id(&rows, "7").unwrap().debit, lyd(1_000));
    }
}
