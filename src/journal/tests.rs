//! Tests on real sled databases in unique temporary directories, removed afterwards.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::core::Millis;
use crate::core::provider::{PaymentHandle, ProviderId};
use crate::core::record::{JournalEntry, Outcome, Record};
use crate::core::sale::{Capture, CardNumber, Flow, Msisdn, PaymentCode, SaleKey, SaleRequest};
use crate::money::{Currency, Money};

const DAY: u64 = 86_400_000;
/// 2024-10-04 (UTC), 00:00.
const D: u64 = 20_000;

fn t(day: u64, ms: u64) -> Millis {
    Millis(day * DAY + ms)
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "kassa-journal-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        Dir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn open(&self) -> Journal {
        Journal::open(&self.0, 1 << 20).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key(n: u64) -> SaleKey {
    SaleKey::new("T1", n).unwrap()
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK)
}

fn request(n: u64, minor: i64) -> SaleRequest {
    SaleRequest {
        key: key(n),
        amount: nok(minor),
        flow: Flow::Qr,
        capture: Capture::Sale,
    }
}

fn entry(at: Millis, n: u64, record: Record) -> JournalEntry {
    JournalEntry {
        at,
        sale: key(n),
        provider: ProviderId::new("mcash"),
        record,
    }
}

fn start(j: &Journal, at: Millis, n: u64, minor: i64) {
    j.append(&entry(at, n, Record::StartIntent(request(n, minor))))
        .unwrap();
}

fn outcome(j: &Journal, at: Millis, n: u64, outcome: Outcome) {
    j.append(&entry(
        at,
        n,
        Record::Outcome {
            outcome,
            late: false,
        },
    ))
    .unwrap();
}

fn approved(r: &str) -> Outcome {
    Outcome::Approved {
        reference: r.into(),
    }
}

fn handle(h: &str) -> PaymentHandle {
    PaymentHandle(h.into())
}

#[test]
fn append_and_reopen_keeps_everything() {
    let dir = Dir::new("reopen");
    {
        let j = dir.open();
        start(&j, t(D, 1_000), 1, 1250);
        j.append(&entry(
            t(D, 1_100),
            1,
            Record::Started {
                handle: handle("tid-1"),
            },
        ))
        .unwrap();
        outcome(&j, t(D, 2_000), 1, approved("ref-1"));
        start(&j, t(D, 3_000), 2, 500);
        outcome(&j, t(D, 4_000), 2, approved("ref-2"));
        j.append(&entry(
            t(D, 5_000),
            2,
            Record::RefundIntent {
                amount: nok(500),
                key: key(3),
            },
        ))
        .unwrap();
        j.append(&entry(
            t(D, 6_000),
            2,
            Record::Refunded {
                reference: "rf-2".into(),
            },
        ))
        .unwrap();
        start(&j, t(D + 1, 0), 4, 700); // another day
    }
    let j = dir.open();
    let s1 = j.sale(&key(1)).unwrap();
    assert_eq!(s1.handle, Some(handle("tid-1")));
    assert_eq!(s1.outcome, Some(approved("ref-1")));
    assert_eq!(s1.request, Some(request(1, 1250)));
    let rows = j.sale_history(D).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].key, key(1));
    assert_eq!(rows[0].amount, nok(1250));
    assert_eq!(rows[0].started_at, t(D, 1_000));
    assert_eq!(rows[1].refunded.as_deref(), Some("rf-2"));
    assert_eq!(j.sale_history(D + 1).unwrap().len(), 1);
    let report = j.day_report(D).unwrap();
    assert_eq!(report.rows[0].approved, 2);
    assert_eq!(report.rows[0].net, nok(1250));
    assert!(
        j.unfinished()
            .unwrap()
            .iter()
            .all(|u| u.request.key == key(4))
    );
    assert!(j.damaged().unwrap().is_empty());
}

#[test]
fn a_start_intent_moves_the_sequence_past_its_sale_number() {
    let dir = Dir::new("seq-intent");
    {
        let j = dir.open();
        let base = j.next_sequence().unwrap();
        // The core numbers its sales itself from `base`; the journal must never hand out
        // a number a journaled sale already used, even after a power cut.
        j.append(&entry(
            t(D, 0),
            base + 40,
            Record::StartIntent(request(base + 40, 100)),
        ))
        .unwrap();
    }
    let j = dir.open();
    assert_eq!(j.next_sequence().unwrap(), 42);
}

#[test]
fn next_sequence_survives_reopen_and_never_repeats() {
    let dir = Dir::new("seq");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let j = dir.open();
        for _ in 0..5 {
            assert!(seen.insert(j.next_sequence().unwrap()), "sequence repeated");
        }
    }
    assert_eq!(
        seen.iter().copied().collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
}

#[test]
fn unfinished_finds_intents_without_their_result() {
    let dir = Dir::new("unfinished");
    {
        let j = dir.open();
        // 1: finished. 2: started, no outcome. 3: approved, refund sent, no answer.
        // 4: vending capture sent, no outcome. 5: refund pending but flagged for a person.
        start(&j, t(D, 1), 1, 100);
        outcome(&j, t(D, 2), 1, approved("r1"));
        start(&j, t(D, 3), 2, 200);
        j.append(&entry(
            t(D, 4),
            2,
            Record::Started {
                handle: handle("h2"),
            },
        ))
        .unwrap();
        start(&j, t(D, 5), 3, 300);
        outcome(&j, t(D, 6), 3, approved("r3"));
        j.append(&entry(
            t(D, 7),
            3,
            Record::RefundIntent {
                amount: nok(300),
                key: key(30),
            },
        ))
        .unwrap();
        start(&j, t(D, 8), 4, 400);
        j.append(&entry(
            t(D, 9),
            4,
            Record::CaptureIntent { amount: nok(400) },
        ))
        .unwrap();
        start(&j, t(D, 10), 5, 500);
        outcome(&j, t(D, 11), 5, approved("r5"));
        j.append(&entry(
            t(D, 12),
            5,
            Record::RefundIntent {
                amount: nok(500),
                key: key(50),
            },
        ))
        .unwrap();
        j.append(&entry(
            t(D, 13),
            5,
            Record::Flagged {
                reason: "refund not confirmed".into(),
            },
        ))
        .unwrap();
    }
    let j = dir.open();
    let u = j.unfinished().unwrap();
    let keys: Vec<_> = u.iter().map(|u| u.request.key.clone()).collect();
    assert_eq!(keys, vec![key(2), key(3), key(4)]);
    assert_eq!(u[0].pending, vec![Pending::Start]);
    assert_eq!(u[0].handle, Some(handle("h2")));
    assert_eq!(u[0].provider.as_str(), "mcash");
    assert_eq!(
        u[1].pending,
        vec![Pending::Refund {
            amount: nok(300),
            key: key(30)
        }]
    );
    assert_eq!(
        u[2].pending,
        vec![Pending::Start, Pending::Capture { amount: nok(400) }]
    );
    assert!(j.sale(&key(5)).unwrap().needs_person());

    // Resolving them empties the list, also after a reopen.
    outcome(&j, t(D, 20), 2, Outcome::Expired);
    j.append(&entry(
        t(D, 21),
        3,
        Record::Refunded {
            reference: "rf3".into(),
        },
    ))
    .unwrap();
    outcome(&j, t(D, 22), 4, approved("r4"));
    drop(j);
    let j = dir.open();
    assert_eq!(j.unfinished().unwrap(), vec![]);
    assert!(j.open.is_empty(), "the open-sale hints are cleared");
}

/// Opens the raw sled tree behind a closed journal and changes one stored value.
fn tamper(dir: &Dir, tree: &str, pick: impl Fn(&[u8]) -> bool, change: impl Fn(&mut Vec<u8>)) {
    // sled releases the journal's lock from a background thread: wait for it.
    let db = (0..50)
        .find_map(|_| {
            sled::open(dir.path()).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            })
        })
        .expect("the journal's database reopens raw");
    let t = db.open_tree(tree).unwrap();
    let (k, v) = t
        .iter()
        .map(|i| i.unwrap())
        .find(|(_, v)| pick(v))
        .expect("a value to tamper with");
    let mut v = v.to_vec();
    change(&mut v);
    t.insert(k, v).unwrap();
    db.flush().unwrap();
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_flipped_byte_is_reported_and_the_sale_is_in_doubt() {
    let dir = Dir::new("flip");
    {
        let j = dir.open();
        start(&j, t(D, 1_000), 1, 1250);
        outcome(&j, t(D, 2_000), 1, approved("ref-ok"));
        start(&j, t(D, 3_000), 2, 990);
        outcome(&j, t(D, 4_000), 2, approved("ref-flip"));
    }
    // Flip one bit inside the JSON of sale 2's outcome.
    tamper(
        &dir,
        "entries",
        |v| contains(v, "ref-flip"),
        |v| {
            let at = v.len() - 5;
            v[at] ^= 0x04;
        },
    );
    let j = dir.open();
    let damaged = j.damaged().unwrap();
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(damaged[0].tree, "entries");
    assert_eq!(damaged[0].sale, Some(key(2)));
    assert!(
        damaged[0].reason.contains("checksum"),
        "{}",
        damaged[0].reason
    );
    let rows = j.sale_history(D).unwrap();
    assert_eq!(rows.len(), 2, "the damaged sale is listed, not skipped");
    assert_eq!(rows[0].outcome, Some(approved("ref-ok")));
    match &rows[1].outcome {
        Some(Outcome::InDoubt { reason }) => assert!(reason.contains("damaged"), "{reason}"),
        other => panic!("expected in doubt, got {other:?}"),
    }
    assert!(j.sale(&key(2)).unwrap().needs_person());
    let report = j.day_report(D).unwrap();
    assert_eq!(report.rows[0].in_doubt, 1);
    assert_eq!(report.rows[0].approved, 1);
}

#[test]
fn a_damaged_start_record_still_lists_the_sale_from_the_day_index() {
    let dir = Dir::new("flipstart");
    {
        let j = dir.open();
        start(&j, t(D, 1_000), 7, 4200);
    }
    tamper(
        &dir,
        "entries",
        |v| contains(v, "StartIntent"),
        |v| v[0] = 0x7f, // the version field: caught by the checksum, which covers it
    );
    let j = dir.open();
    assert_eq!(j.damaged().unwrap().len(), 1);
    let rows = j.sale_history(D).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].amount, nok(4200));
    assert!(matches!(rows[0].outcome, Some(Outcome::InDoubt { .. })));
    // It cannot be recovered automatically (its request is unreadable): damaged() names it.
    assert!(j.unfinished().unwrap().is_empty());
    let mut csv = Vec::new();
    j.write_csv(D, &mut csv).unwrap();
    assert!(String::from_utf8(csv).unwrap().contains("T1-000007,"));
}

fn build_small_journal(dir: &Dir) {
    let j = dir.open();
    for n in 1..=30 {
        let seq = j.next_sequence().unwrap();
        start(&j, t(D, n * 10), seq, 100);
        outcome(&j, t(D, n * 10 + 1), seq, approved("r"));
    }
}

fn assert_damage_error(dir: &Dir) {
    let err = Journal::open(dir.path(), 1 << 20).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, JournalError::Damaged { .. }), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("move it aside"), "{text}");
}

#[test]
fn a_truncated_database_file_is_an_error_naming_the_path() {
    for cut in [0u64, 2] {
        let dir = Dir::new("truncated");
        build_small_journal(&dir);
        let db = dir.path().join("db");
        let len = std::fs::metadata(&db).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        file.set_len(len.checked_div(cut).unwrap_or(0)).unwrap();
        drop(file);
        assert_damage_error(&dir);
    }
}

#[test]
fn garbage_database_files_are_an_error_naming_the_path() {
    let dir = Dir::new("garbage-db");
    build_small_journal(&dir);
    let db = dir.path().join("db");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    std::fs::write(&db, vec![0xa5; len]).unwrap();
    assert_damage_error(&dir);

    let dir = Dir::new("garbage-conf");
    build_small_journal(&dir);
    std::fs::write(dir.path().join("conf"), b"\x00not a config\xff").unwrap();
    assert_damage_error(&dir);

    let dir = Dir::new("garbage-marker");
    build_small_journal(&dir);
    std::fs::write(dir.path().join("kassa-journal.mark"), b"xx").unwrap();
    assert_damage_error(&dir);
}

#[test]
fn a_second_process_or_handle_is_refused_with_the_path() {
    let dir = Dir::new("locked");
    let _first = dir.open();
    let err = Journal::open(dir.path(), 1 << 20).unwrap_err();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

/// A real ENOSPC from the kernel: sled's log file is `/dev/full`, where every write fails
/// with "No space left on device". The error names the path and says sales are refused.
#[test]
fn disk_full_is_a_clear_error_naming_the_path() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full on this system: disk-full path not exercised");
        return;
    }
    let dir = Dir::new("full");
    std::fs::create_dir_all(dir.path()).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.path().join("db")).unwrap();
    let j = dir.open();
    let err = j
        .append(&entry(t(D, 1), 1, Record::StartIntent(request(1, 100))))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, JournalError::Full { .. }), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("refused"), "{text}");
    assert!(matches!(j.next_sequence(), Err(JournalError::Full { .. })));
}

#[test]
fn error_mapping_sorts_disk_full_from_other_io_errors() {
    let p = Path::new("/var/lib/kassa/journal");
    let full = from_sled(p, sled::Error::Io(std::io::Error::from_raw_os_error(28)));
    assert!(matches!(full, JournalError::Full { .. }));
    let quota = from_sled(p, sled::Error::Io(std::io::Error::from_raw_os_error(122)));
    assert!(matches!(quota, JournalError::Full { .. }));
    let other = from_sled(p, sled::Error::Io(std::io::Error::from_raw_os_error(5)));
    assert!(matches!(other, JournalError::Io { .. }));
    assert!(other.to_string().contains("/var/lib/kassa/journal"));
    let eof = from_sled_open(p, sled::Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
    assert!(matches!(eof, JournalError::Damaged { .. }));
}

#[test]
fn a_closed_day_refuses_new_sales_but_records_results() {
    let dir = Dir::new("close");
    {
        let j = dir.open();
        start(&j, t(D, 1_000), 1, 1000);
        outcome(&j, t(D, 2_000), 1, approved("r1"));
        start(&j, t(D, 3_000), 2, 2000); // still unfinished at close
        let closed = j.close_day(D, t(D + 1, 5)).unwrap();
        assert_eq!(closed.needing_person, 1);
        assert_eq!(closed.report.rows[0].approved, 1);
        assert!(j.is_closed(D).unwrap());
        assert!(!j.is_closed(D + 1).unwrap());
    }
    let j = dir.open();
    let err = j
        .append(&entry(t(D, 9_000), 3, Record::StartIntent(request(3, 10))))
        .unwrap_err();
    assert!(matches!(err, JournalError::DayClosed { .. }));
    assert!(err.to_string().contains("2024-10-04"), "{err}");
    // The unfinished sale's answer still goes in: it says where money went.
    outcome(&j, t(D + 1, 10), 2, approved("late-r2"));
    assert_eq!(j.sale(&key(2)).unwrap().outcome, Some(approved("late-r2")));
    assert!(
        j.sale(&key(3)).unwrap().request.is_none(),
        "refused start left no record"
    );
    assert_eq!(j.sale_history(D).unwrap().len(), 2);
    // The stored close is what it was; closing again is refused; the next day is open.
    assert_eq!(j.closed_day(D).unwrap().unwrap().report.rows[0].approved, 1);
    assert!(matches!(
        j.close_day(D, t(D + 1, 20)),
        Err(JournalError::AlreadyClosed { .. })
    ));
    start(&j, t(D + 1, 30), 4, 10);
}

#[test]
fn csv_lists_sales_needing_a_person_first_with_safe_fields() {
    let dir = Dir::new("csv");
    let j = dir.open();
    start(&j, t(D, 3_600_000), 1, 1250);
    outcome(&j, t(D, 3_600_500), 1, approved("REF-1"));
    start(&j, t(D, 7_200_000), 2, 99);
    outcome(
        &j,
        t(D, 7_200_500),
        2,
        Outcome::InDoubt {
            reason: "=HYPERLINK(\"x\"), no answer".into(),
        },
    );
    let mut out = Vec::new();
    j.write_csv(D, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "sale,started_at,provider,currency,amount,outcome,detail,late_approval,refunded,needs_person"
    );
    assert_eq!(
        lines[1],
        "T1-000002,2024-10-04T02:00:00Z,mcash,NOK,0.99,in_doubt,\"'=HYPERLINK(\"\"x\"\"), no answer\",false,,true"
    );
    assert_eq!(
        lines[2],
        "T1-000001,2024-10-04T01:00:00Z,mcash,NOK,12.50,approved,REF-1,false,,false"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn day_strings_round_trip() {
    assert_eq!(day_string(D), "2024-10-04");
    assert_eq!(day_string(0), "1970-01-01");
    assert_eq!(parse_day("2024-10-04"), Some(D));
    assert_eq!(parse_day("1969-12-31"), None);
    assert_eq!(parse_day("2024-13-01"), None);
}

fn status_op(h: &str) -> OutboxOp {
    OutboxOp::StatusCheck { handle: handle(h) }
}

#[test]
fn outbox_keeps_order_backs_off_dead_letters_and_retries() {
    let dir = Dir::new("outbox");
    let ids: Vec<u64>;
    {
        let j = dir.open();
        let a = j
            .enqueue(
                Some(key(1)),
                ProviderId::new("mcash"),
                status_op("a"),
                t(D, 0),
            )
            .unwrap();
        let b = j
            .enqueue(
                Some(key(2)),
                ProviderId::new("mcash"),
                OutboxOp::Capture {
                    handle: handle("b"),
                    amount: nok(10),
                },
                t(D, 0),
            )
            .unwrap();
        let c = j
            .enqueue(
                None,
                ProviderId::new("icg"),
                OutboxOp::ReportClose { day: D },
                t(D, 0),
            )
            .unwrap();
        assert!(a.id < b.id && b.id < c.id);
        ids = vec![a.id, b.id, c.id];
    }
    let j = dir.open();
    let due: Vec<u64> = j.due(t(D, 0)).unwrap().iter().map(|i| i.id).collect();
    assert_eq!(due, ids, "in queue order, across a reopen");

    // A transient failure: retried later, within the backoff bounds.
    let a = j
        .record_failure(ids[0], t(D, 100), "timeout", false, 123_456)
        .unwrap();
    assert_eq!(a.attempts, 1);
    assert_eq!(a.last_error.as_deref(), Some("timeout"));
    let wait = a.next_try.0 - t(D, 100).0;
    assert!((1_000..=2_000).contains(&wait), "{wait}");
    let a = j
        .record_failure(ids[0], t(D, 100), "timeout", false, 0)
        .unwrap();
    assert_eq!(
        a.next_try,
        t(D, 100 + 2_000),
        "second failure: floor of 4 s is 2 s"
    );
    let due: Vec<u64> = j.due(t(D, 200)).unwrap().iter().map(|i| i.id).collect();
    assert_eq!(due, vec![ids[1], ids[2]]);
    assert_eq!(j.due(t(D, 2_100)).unwrap()[0].id, ids[0]);

    // A permanent failure: dead, not due, counted; retry brings it back with attempts reset.
    let b = j
        .record_failure(ids[1], t(D, 300), "rejected: 422", true, 0)
        .unwrap();
    assert_eq!(b.state, OutboxState::Dead);
    assert!(
        j.due(t(D, 1_000_000))
            .unwrap()
            .iter()
            .all(|i| i.id != ids[1])
    );
    let summary = j.outbox_summary().unwrap();
    assert_eq!((summary.pending, summary.dead), (2, 1));
    let b = j.retry(ids[1], t(D, 400)).unwrap();
    assert_eq!((b.state, b.attempts), (OutboxState::Pending, 0));
    assert_eq!(b.last_error.as_deref(), Some("rejected: 422"));
    assert_eq!(j.due(t(D, 400)).unwrap().len(), 2);

    // Connectivity back: everything pending is due now.
    assert_eq!(j.sync_now(t(D, 500)).unwrap(), 3);
    assert_eq!(j.due(t(D, 500)).unwrap().len(), 3);

    j.complete(ids[2]).unwrap();
    assert!(matches!(
        j.complete(ids[2]),
        Err(JournalError::NoSuchItem { .. })
    ));
    assert_eq!(j.outbox_list().unwrap().items.len(), 2);
}

#[test]
fn dropping_an_item_records_who_dropped_what() {
    let dir = Dir::new("drop");
    let j = dir.open();
    start(&j, t(D, 0), 1, 100);
    let item = j
        .enqueue(
            Some(key(1)),
            ProviderId::new("mcash"),
            status_op("h1"),
            t(D, 1),
        )
        .unwrap();
    let report = j
        .enqueue(
            None,
            ProviderId::new("icg"),
            OutboxOp::ReportClose { day: D },
            t(D, 1),
        )
        .unwrap();
    j.drop_item(item.id, "supervisor anna", t(D, 5)).unwrap();
    j.drop_item(report.id, "root", t(D, 6)).unwrap();
    drop(j);
    let j = dir.open();
    assert!(j.outbox_list().unwrap().items.is_empty());
    let dropped = j.sale(&key(1)).unwrap().dropped;
    assert_eq!(dropped.len(), 1);
    assert!(dropped[0].contains("supervisor anna"), "{dropped:?}");
    assert!(dropped[0].contains("status check of h1"), "{dropped:?}");
    let other = SaleKey::parse(&format!("outbox-{}", report.id)).unwrap();
    assert!(j.sale(&other).unwrap().dropped[0].contains("report close of 2024-10-04"));
    assert!(matches!(
        j.drop_item(item.id, "x", t(D, 7)),
        Err(JournalError::NoSuchItem { .. })
    ));
    // A dropped status check does not settle the sale: it is still unfinished.
    assert_eq!(j.unfinished().unwrap().len(), 1);
}

#[test]
fn a_damaged_outbox_item_is_listed_and_counted_not_skipped() {
    let dir = Dir::new("outbox-flip");
    {
        let j = dir.open();
        j.enqueue(
            Some(key(1)),
            ProviderId::new("mcash"),
            status_op("zz"),
            t(D, 0),
        )
        .unwrap();
    }
    tamper(&dir, "outbox", |_| true, |v| v[8] ^= 0xff);
    let j = dir.open();
    let listing = j.outbox_list().unwrap();
    assert!(listing.items.is_empty());
    assert_eq!(listing.damaged.len(), 1);
    assert_eq!(j.outbox_summary().unwrap().dead, 1);
    assert_eq!(j.damaged().unwrap()[0].tree, "outbox");
}

#[test]
fn backoff_grows_to_the_cap_within_jitter_bounds() {
    let mut last_ceiling = 0;
    for attempts in 1..=40u32 {
        let ceiling = (2_000u64 << (attempts - 1).min(20)).min(600_000);
        assert!(ceiling >= last_ceiling);
        last_ceiling = ceiling;
        for jitter in [0, 1, 999, 123_456_789, u64::MAX] {
            let d = backoff(attempts, jitter);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempts}: {d}");
        }
        assert_eq!(backoff(attempts, 0), ceiling / 2);
        assert_eq!(backoff(attempts, ceiling - ceiling / 2), ceiling);
    }
    assert_eq!(backoff(1, 0), 1_000);
    assert_eq!(backoff(3, 0), 4_000);
    assert!(backoff(u32::MAX, u64::MAX) <= 600_000);
    assert_eq!(backoff(0, 0), backoff(1, 0));
}

fn push_request(n: u64, minor: i64) -> SaleRequest {
    SaleRequest {
        flow: Flow::Push {
            phone: Msisdn::parse("4791234567").unwrap(),
        },
        ..request(n, minor)
    }
}

#[test]
fn queued_push_sales_respect_amount_total_and_age_limits() {
    let dir = Dir::new("limits");
    let j = dir.open();
    let limits = QueueLimits {
        max_per_sale: nok(10_000),
        max_total: nok(25_000),
        max_age_ms: 3_600_000,
    };
    let now = t(D, 10_000_000);
    assert!(j.check_queue_limits(nok(10_000), &limits, now).is_ok());
    assert!(matches!(
        j.check_queue_limits(nok(10_001), &limits, now),
        Err(JournalError::Limit(LimitError::PerSale { .. }))
    ));
    for (n, at) in [(1, now.0 - 100), (2, now.0 - 50)] {
        j.enqueue(
            Some(key(n)),
            ProviderId::new("mcash"),
            OutboxOp::QueuedPush {
                request: push_request(n, 10_000),
            },
            Millis(at),
        )
        .unwrap();
    }
    assert!(j.check_queue_limits(nok(5_000), &limits, now).is_ok());
    let err = j.check_queue_limits(nok(5_001), &limits, now).unwrap_err();
    assert!(
        err.to_string().contains("200.00 NOK is already queued"),
        "{err}"
    );
    assert!(matches!(
        j.check_queue_limits(Money::from_minor(1, Currency::LYD), &limits, now),
        Err(JournalError::Limit(LimitError::Money(_)))
    ));
    // An hour later both are too old to send: they expire (with why), their sales end Expired
    // and they leave the outbox, so they stop counting and wait for nobody.
    let later = now + 3_600_000;
    assert!(j.expire_queued(&limits, now).unwrap().is_empty());
    let expired = j.expire_queued(&limits, later).unwrap();
    assert_eq!(expired.len(), 2);
    assert!(
        expired[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("not sent")
    );
    assert!(j.due(later).unwrap().is_empty());
    assert!(j.outbox_list().unwrap().items.is_empty());
    for item in &expired {
        let sale = j.sale(item.sale.as_ref().unwrap()).unwrap();
        assert_eq!(sale.outcome, Some(Outcome::Expired));
    }
    assert!(j.check_queue_limits(nok(10_000), &limits, later).is_ok());
}

#[test]
fn payment_codes_never_reach_the_disk_and_debug_shows_only_the_path() {
    let dir = Dir::new("secrets");
    {
        let j = dir.open();
        let req = SaleRequest {
            flow: Flow::CardAndCode {
                card: CardNumber::parse("1234567890123456").unwrap(),
                code: Some(PaymentCode::parse("97531864").unwrap()),
            },
            ..request(1, 100)
        };
        j.append(&entry(t(D, 0), 1, Record::StartIntent(req)))
            .unwrap();
        let debug = format!("{j:?}");
        assert!(
            debug.contains("Journal") && !debug.contains("97531864"),
            "{debug}"
        );
        // The code is gone from what is read back too.
        match j.sale(&key(1)).unwrap().request.unwrap().flow {
            Flow::CardAndCode { code, .. } => assert!(code.is_none()),
            other => panic!("{other:?}"),
        }
    }
    let mut files = 0;
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let e = e.unwrap().path();
            if e.is_dir() {
                stack.push(e);
            } else {
                files += 1;
                assert!(!contains(&std::fs::read(&e).unwrap(), "97531864"), "{e:?}");
            }
        }
    }
    assert!(files >= 3);
}

#[test]
fn an_unusable_path_is_an_open_error_naming_it() {
    let dir = Dir::new("notadir");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let inside = file.join("journal");
    let err = Journal::open(&inside, 1 << 20).unwrap_err();
    assert!(matches!(err, JournalError::Open { .. }), "{err}");
    assert!(
        err.to_string().contains(&inside.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_final_outcome_wins_over_in_doubt_whichever_came_first() {
    let dir = Dir::new("fold");
    let j = dir.open();
    let doubt = || Outcome::InDoubt {
        reason: "answer lost".into(),
    };
    let approved = || Outcome::Approved {
        reference: "r1".into(),
    };
    // The core wrote "in doubt"; the outbox later found the approval.
    start(&j, t(D, 0), 1, 100);
    outcome(&j, t(D, 1), 1, doubt());
    outcome(&j, t(D, 2), 1, approved());
    let s = j.sale(&key(1)).unwrap();
    assert_eq!(s.outcome, Some(approved()));
    assert!(!s.needs_person());
    // A late "in doubt" (a restart that lost track) never hides a final outcome.
    start(&j, t(D, 10), 2, 100);
    outcome(&j, t(D, 11), 2, Outcome::Expired);
    outcome(&j, t(D, 12), 2, doubt());
    assert_eq!(j.sale(&key(2)).unwrap().outcome, Some(Outcome::Expired));
    // In doubt alone stays in doubt.
    start(&j, t(D, 20), 3, 100);
    outcome(&j, t(D, 21), 3, doubt());
    assert!(j.sale(&key(3)).unwrap().needs_person());
    let rows = j.sale_history(D).unwrap();
    assert_eq!(rows[0].outcome, Some(approved()));
}

#[test]
fn settle_writes_records_and_the_item_in_one_go() {
    let dir = Dir::new("settle");
    let j = dir.open();
    start(&j, t(D, 0), 1, 100);
    let item = j
        .enqueue(
            Some(key(1)),
            ProviderId::new("mcash"),
            OutboxOp::QueuedPush {
                request: request(1, 100),
            },
            t(D, 0),
        )
        .unwrap();
    // Started: the item becomes a status check of the handle, due at the next poll.
    let kept = j
        .settle(
            item.id,
            t(D, 10),
            Settle::Replace {
                op: status_op("h1"),
                next_try: t(D, 1_010),
            },
            &[entry(
                t(D, 10),
                1,
                Record::Started {
                    handle: handle("h1"),
                },
            )],
        )
        .unwrap()
        .unwrap();
    assert_eq!(kept.op, status_op("h1"));
    assert_eq!(kept.next_try, t(D, 1_010));
    assert_eq!(j.sale(&key(1)).unwrap().handle, Some(handle("h1")));
    // Still pending at the provider: polled, not a failure.
    let kept = j
        .settle(
            item.id,
            t(D, 1_010),
            Settle::Poll {
                next_try: t(D, 2_010),
            },
            &[],
        )
        .unwrap()
        .unwrap();
    assert_eq!((kept.attempts, kept.last_error.clone()), (0, None));
    // A failure counts and backs off.
    let kept = j
        .settle(
            item.id,
            t(D, 2_010),
            Settle::Fail {
                error: "502".into(),
                permanent: false,
                jitter: 0,
            },
            &[],
        )
        .unwrap()
        .unwrap();
    assert_eq!(kept.attempts, 1);
    assert_eq!(kept.next_try, t(D, 2_010 + 1_000));
    // Final: outcome and removal together; the sale is finished.
    let approved = Outcome::Approved {
        reference: "r".into(),
    };
    let done = j
        .settle(
            item.id,
            t(D, 3_000),
            Settle::Complete,
            &[entry(
                t(D, 3_000),
                1,
                Record::Outcome {
                    outcome: approved.clone(),
                    late: false,
                },
            )],
        )
        .unwrap();
    assert!(done.is_none());
    assert!(j.outbox_list().unwrap().items.is_empty());
    assert_eq!(j.sale(&key(1)).unwrap().outcome, Some(approved));
    assert!(j.unfinished().unwrap().is_empty());
    assert!(matches!(
        j.settle(item.id, t(D, 3_001), Settle::Complete, &[]),
        Err(JournalError::NoSuchItem { .. })
    ));
}

#[test]
fn recover_items_name_their_kind_and_describe_themselves() {
    let op = OutboxOp::Recover {
        request: request(7, 100),
        queued_push: false,
    };
    assert_eq!(op.kind(), status_op("x").kind());
    assert!(op.describe().contains("T1-000007"), "{}", op.describe());
    assert!(matches!(
        op.to_operation(),
        Some(crate::core::provider::Operation::Recover(_))
    ));
}

#[test]
fn a_sale_the_outbox_owns_is_not_recovered_at_start_up() {
    let dir = Dir::new("owned");
    let j = dir.open();
    start(&j, t(D, 0), 1, 100);
    start(&j, t(D, 1), 2, 100);
    let item = j
        .enqueue(
            Some(key(1)),
            ProviderId::new("mcash"),
            OutboxOp::QueuedPush {
                request: request(1, 100),
            },
            t(D, 1),
        )
        .unwrap();
    let keys: Vec<SaleKey> = j
        .unfinished()
        .unwrap()
        .into_iter()
        .map(|u| u.request.key)
        .collect();
    assert_eq!(keys, vec![key(2)], "the queued push is the outbox's");
    j.drop_item(item.id, "anna", t(D, 2)).unwrap();
    assert_eq!(j.unfinished().unwrap().len(), 2, "dropped: recovered again");
}

#[test]
fn a_dropped_refund_is_never_queued_again_at_start_up() {
    let dir = Dir::new("drop-refund");
    let j = dir.open();
    start(&j, t(D, 1), 3, 500);
    outcome(&j, t(D, 2), 3, approved("r3"));
    let refund_key = SaleKey::parse("T1-000003-R").unwrap();
    j.append(&entry(
        t(D, 3),
        3,
        Record::RefundIntent {
            amount: nok(500),
            key: refund_key.clone(),
        },
    ))
    .unwrap();
    assert_eq!(j.unfinished().unwrap().len(), 1, "an unanswered refund");
    let item = j
        .enqueue(
            Some(key(3)),
            ProviderId::new("mcash"),
            OutboxOp::Refund {
                handle: handle("h3"),
                amount: nok(500),
                key: refund_key,
            },
            t(D, 3),
        )
        .unwrap();
    j.drop_item(item.id, "supervisor at terminal T1", t(D, 4))
        .unwrap();
    drop(j);
    let j = dir.open();
    assert!(j.unfinished().unwrap().is_empty(), "the drop holds");
    let sale = j.sale(&key(3)).unwrap();
    assert!(
        sale.flags[0].contains("dropped the refund"),
        "{:?}",
        sale.flags
    );
    assert!(sale.needs_person());
    assert!(sale.refunded.is_none());
}

/// Day `D` with one of each kind of sale: approved, declined, refunded, in doubt, unfinished.
fn a_mixed_day(j: &Journal) {
    start(j, t(D, 1_000), 1, 1250);
    j.append(&entry(
        t(D, 1_100),
        1,
        Record::Started {
            handle: handle("h1"),
        },
    ))
    .unwrap();
    outcome(j, t(D, 2_000), 1, approved("r1"));
    start(j, t(D, 3_000), 2, 990);
    outcome(
        j,
        t(D, 4_000),
        2,
        Outcome::Declined {
            reason: "no funds".into(),
        },
    );
    start(j, t(D, 5_000), 3, 500);
    outcome(j, t(D, 6_000), 3, approved("r3"));
    j.append(&entry(
        t(D, 7_000),
        3,
        Record::RefundIntent {
            amount: nok(500),
            key: key(1003),
        },
    ))
    .unwrap();
    j.append(&entry(
        t(D, 7_500),
        3,
        Record::Refunded {
            reference: "rf3".into(),
        },
    ))
    .unwrap();
    start(j, t(D, 8_000), 4, 700);
    outcome(
        j,
        t(D, 9_000),
        4,
        Outcome::InDoubt {
            reason: "timeout".into(),
        },
    );
    start(j, t(D, 10_000), 5, 300); // cut off after its intent
    // A sale of the next day, which stays open.
    start(j, t(D + 1, 1_000), 6, 100);
    outcome(j, t(D + 1, 2_000), 6, approved("r6"));
}

/// Everything a person can read about `day`: the printed report, the CSV and the history.
fn day_as_read(j: &Journal, day: u64) -> (String, String, Vec<crate::core::view::SaleRow>) {
    let report = crate::cli::report::render(j, crate::core::Locale::En, day).unwrap();
    let mut csv = Vec::new();
    j.write_csv(day, &mut csv).unwrap();
    (
        report,
        String::from_utf8(csv).unwrap(),
        j.sale_history(day).unwrap(),
    )
}

fn live_records_of(j: &Journal, n: u64) -> usize {
    j.entries
        .scan_prefix(store::entry_key_prefix(&key(n)))
        .count()
}

#[test]
fn a_closed_day_moves_its_settled_sales_to_the_archive_and_reads_the_same() {
    let dir = Dir::new("archive");
    let j = dir.open();
    a_mixed_day(&j);
    // Close without archiving first, to read the closed day as it was before the move.
    let closed = ClosedDay {
        day: D,
        closed_at: t(D + 1, 5),
        report: j.day_report(D).unwrap(),
        needing_person: 2,
    };
    j.commit(&[store::Op::put(
        store::TreeId::ClosedDays,
        D.to_be_bytes(),
        Journal::encode(&closed).unwrap(),
    )])
    .unwrap();
    let before = day_as_read(&j, D);
    assert_eq!(before.2.len(), 5);
    assert!(!j.archive_path(D).exists());

    let done = j.archive_closed().unwrap();
    assert_eq!(
        done,
        Archived {
            days: 1,
            sales: 3,
            kept: 2
        },
        "approved, declined and refunded move; in doubt and unfinished stay"
    );
    assert!(j.archive_path(D).exists());
    for n in [1, 2, 3] {
        assert_eq!(live_records_of(&j, n), 0, "sale {n} still live");
    }
    for n in [4, 5, 6] {
        assert!(
            live_records_of(&j, n) > 0,
            "sale {n} left the live database"
        );
    }
    assert_eq!(j.sales.scan_prefix(D.to_be_bytes()).count(), 2);
    assert_eq!(day_as_read(&j, D), before);
    assert_eq!(j.archived_sales(D).unwrap().len(), 3);
    // Repeating moves nothing and changes nothing.
    assert_eq!(j.archive_closed().unwrap().sales, 0);
    assert_eq!(day_as_read(&j, D), before);

    // The unfinished sale settles; the next pass moves it too, into the same day's file.
    outcome(&j, t(D + 1, 100), 5, approved("r5"));
    let after_late = day_as_read(&j, D);
    assert_ne!(after_late, before);
    assert_eq!(j.archive_closed().unwrap().sales, 1);
    assert_eq!(live_records_of(&j, 5), 0);
    assert_eq!(j.archived_sales(D).unwrap().len(), 4);
    assert_eq!(day_as_read(&j, D), after_late);
    drop(j);
    // And after a restart.
    let j = dir.open();
    assert_eq!(day_as_read(&j, D), after_late);
    assert_eq!(day_as_read(&j, D + 1).2.len(), 1);
}

#[test]
fn close_day_archives_at_once() {
    let dir = Dir::new("close-archives");
    let j = dir.open();
    a_mixed_day(&j);
    let rows = j.sale_history(D).unwrap();
    j.close_day(D, t(D + 1, 5)).unwrap();
    assert_eq!(j.archived_sales(D).unwrap().len(), 3);
    assert_eq!(live_records_of(&j, 1), 0);
    assert_eq!(j.sale_history(D).unwrap(), rows);
}

#[test]
fn start_up_does_not_read_archived_records() {
    let dir = Dir::new("archive-startup");
    {
        let j = dir.open();
        a_mixed_day(&j);
        j.close_day(D, t(D + 1, 5)).unwrap();
    }
    // Ruin the archive file: a start-up that read it would fail or report damage.
    let path = dir.path().join(ARCHIVE_DIR).join("2024-10-04.kja");
    std::fs::write(&path, b"not an archive at all, just noise").unwrap();
    let j = dir.open();
    let found = crate::boot::read(&j, t(D + 5, 0)).unwrap();
    assert_eq!(found.damaged, 0);
    assert!(j.damaged().unwrap().is_empty());
    // Recovery still finds the unfinished sale, which never moved.
    assert_eq!(found.resume.len(), 1);
    assert_eq!(found.resume[0].request.key, key(5));
    // Reading the day does read the file, and says it is damaged, naming it.
    let err = j.day_report(D).unwrap_err();
    assert!(matches!(err, JournalError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("2024-10-04.kja"), "{err}");
}

#[test]
fn a_refund_of_an_archived_sale_folds_its_archived_records_first() {
    let dir = Dir::new("archive-refund");
    let j = dir.open();
    a_mixed_day(&j);
    j.close_day(D, t(D + 1, 5)).unwrap();
    assert_eq!(live_records_of(&j, 1), 0);
    j.append(&entry(
        t(D + 1, 50),
        1,
        Record::RefundIntent {
            amount: nok(1250),
            key: key(1001),
        },
    ))
    .unwrap();
    let s = j.sale(&key(1)).unwrap();
    assert_eq!(s.request, Some(request(1, 1250)));
    assert_eq!(s.outcome, Some(approved("r1")));
    assert_eq!(s.pending.len(), 1);
    // The unconfirmed refund is recovered at start-up like any other.
    assert!(
        j.unfinished()
            .unwrap()
            .iter()
            .any(|u| u.request.key == key(1))
    );
    j.append(&entry(
        t(D + 1, 60),
        1,
        Record::Refunded {
            reference: "rf1".into(),
        },
    ))
    .unwrap();
    assert!(
        j.unfinished()
            .unwrap()
            .iter()
            .all(|u| u.request.key != key(1))
    );
    let row = j
        .sale_history(D)
        .unwrap()
        .into_iter()
        .find(|r| r.key == key(1))
        .unwrap();
    assert_eq!(row.refunded.as_deref(), Some("rf1"));
}

#[test]
fn a_sale_both_archived_and_live_after_a_cut_is_listed_once() {
    let dir = Dir::new("archive-cut");
    let j = dir.open();
    a_mixed_day(&j);
    let rows = j.sale_history(D).unwrap();
    j.commit(&[store::Op::put(
        store::TreeId::ClosedDays,
        D.to_be_bytes(),
        Journal::encode(&ClosedDay {
            day: D,
            closed_at: t(D + 1, 5),
            report: j.day_report(D).unwrap(),
            needing_person: 2,
        })
        .unwrap(),
    )])
    .unwrap();
    // As if power went after the file was written and before sled let go of the sales.
    let sale1 = j.sales_on(D).unwrap().remove(0);
    let copy = ArchivedSale {
        key: key(1),
        started_at: t(D, 1_000),
        provider: ProviderId::new("mcash"),
        amount: nok(1250),
        entries: j.live_entries(&sale1.key).unwrap(),
    };
    j.write_archive(D, &[copy]).unwrap();
    assert_eq!(j.sale_history(D).unwrap(), rows);
    assert_eq!(j.archive_closed().unwrap().sales, 3);
    assert_eq!(j.sale_history(D).unwrap(), rows);
    assert_eq!(j.archived_sales(D).unwrap().len(), 3);
}

#[test]
fn a_damaged_day_file_does_not_stop_finding_an_archived_sale_in_another() {
    let dir = Dir::new("archive-search");
    let j = dir.open();
    a_mixed_day(&j);
    j.close_day(D, t(D + 1, 5)).unwrap();
    j.close_day(D + 1, t(D + 2, 5)).unwrap();
    assert_eq!(j.archived_sales(D + 1).unwrap().len(), 1);
    // The newest day's file, searched first, is ruined.
    std::fs::write(j.archive_path(D + 1), b"noise").unwrap();
    j.append(&entry(
        t(D + 2, 50),
        1,
        Record::RefundIntent {
            amount: nok(1250),
            key: key(1001),
        },
    ))
    .unwrap();
    let unfinished = j.unfinished().unwrap();
    let u = unfinished.iter().find(|u| u.request.key == key(1)).unwrap();
    assert_eq!(u.pending.len(), 1);
    assert!(matches!(
        j.day_report(D + 1),
        Err(JournalError::Damaged { .. })
    ));
}

#[test]
fn a_sale_resolved_after_restart_is_marked_and_its_abort_stays_open_until_an_outcome() {
    let dir = Dir::new("restart");
    let j = dir.open();
    start(&j, t(D, 3_600_000), 1, 1250);
    j.append(&entry(
        t(D, 3_600_100),
        1,
        Record::Started {
            handle: PaymentHandle("tid-1".into()),
        },
    ))
    .unwrap();
    j.append(&entry(t(D, 3_600_200), 1, Record::AbortIntent))
        .unwrap();
    // Killed here: the next start must finish the abort, by its handle.
    let open = j.unfinished().unwrap();
    assert_eq!(open.len(), 1);
    assert!(open[0].pending.contains(&Pending::Abort));
    assert_eq!(open[0].handle, Some(PaymentHandle("tid-1".into())));
    j.append(&entry(t(D, 3_600_300), 1, Record::ResolvedAfterRestart))
        .unwrap();
    outcome(&j, t(D, 3_600_400), 1, Outcome::Cancelled);
    assert!(j.unfinished().unwrap().is_empty());
    let row = j.sale_history(D).unwrap().remove(0);
    let mark = row.restart.expect("marked");
    assert!(mark.never_reached && !mark.acknowledged);
    let mut out = Vec::new();
    j.write_csv(D, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l
                .contains("resolved after restart: never reached the provider before the restart")),
        "{text}"
    );
    j.append(&entry(t(D, 3_600_500), 1, Record::Acknowledged))
        .unwrap();
    let row = j.sale_history(D).unwrap().remove(0);
    assert!(row.restart.is_some_and(|m| m.acknowledged));
}
