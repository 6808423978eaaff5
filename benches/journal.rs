//! `cargo bench --bench journal`: what the sled journal costs on this machine's disk, beside
//! SQLite (WAL, `synchronous=FULL`, one transaction per record) holding the same records.
//!
//! - durable append (write + flush) latency, p50/p99, and appends per second;
//! - recovery at start with 10,000 journaled sales (open + everything `boot::read` does: next
//!   sale number, today's history, unfinished sales, the damage scan);
//! - history: 10,000 and 100,000 sales at 1,000 a day, each past day closed (and so archived),
//!   today open: bytes written to disk per sale (`/proc/self/io` write_bytes), live database
//!   and archive size, start-up, and reading an archived day's report; then the same records in
//!   SQLite, its size, bytes written and start-up.
//!
//! `KASSA_BENCH_SALES` changes the 100,000 (that run takes many minutes on a slow disk). The
//! databases live under `target/` so they are on the same disk as a real one, not in a tmpfs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kassa::core::Millis;
use kassa::core::provider::{PaymentHandle, ProviderId};
use kassa::core::record::{JournalEntry, Outcome, Record};
use kassa::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use kassa::journal::{DEFAULT_CACHE_BYTES, Journal};
use kassa::money::{Currency, Money};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-journal")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn now() -> Millis {
    Millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    )
}

/// The three records of an ordinary QR sale: intent, started, approved.
fn sale_records(n: u64, at: Millis) -> [JournalEntry; 3] {
    let key = SaleKey::new("bench-till", n).expect("key");
    let provider = ProviderId::new("mcash");
    let entry = |record| JournalEntry {
        at,
        sale: key.clone(),
        provider: provider.clone(),
        record,
    };
    [
        entry(Record::StartIntent(SaleRequest {
            key: key.clone(),
            amount: Money::from_minor(1250 + (n % 1000) as i64, Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        })),
        entry(Record::Started {
            handle: PaymentHandle(format!("tid-{n:012}")),
        }),
        entry(Record::Outcome {
            outcome: Outcome::Approved {
                reference: format!("ref-{n:012}"),
            },
            late: false,
        }),
    ]
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn pct(xs: &[Duration], q: f64) -> Duration {
    xs[((xs.len() - 1) as f64 * q).round() as usize]
}

fn append_latency() {
    let dir = scratch("append");
    let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("open");
    let at = now();
    let mut times = Vec::new();
    let started = Instant::now();
    for n in 1..=1000 {
        for e in sale_records(n, at) {
            let t = Instant::now();
            j.append(&e).expect("append");
            times.push(t.elapsed());
        }
    }
    let total = started.elapsed();
    times.sort();
    println!(
        "durable append (write+flush)  n={} p50={:.2?} p99={:.2?} max={:.2?}  {:.0} appends/s",
        times.len(),
        pct(&times, 0.5),
        pct(&times, 0.99),
        times[times.len() - 1],
        times.len() as f64 / total.as_secs_f64()
    );
    drop(j);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `sales` finished sales (and a few unfinished ones) into a fresh journal.
fn fill(dir: &Path, sales: u64, at: Millis) {
    let j = Journal::open(dir, DEFAULT_CACHE_BYTES).expect("open");
    for n in 1..=sales {
        let records = sale_records(n, at);
        // Every 1000th sale was cut off after its intent: recovery has work to find.
        let take = if n % 1000 == 0 { 1 } else { 3 };
        for e in &records[..take] {
            j.append(e).expect("append");
        }
    }
}

fn recovery() {
    let dir = scratch("recovery");
    let at = now();
    fill(&dir, 10_000, at);
    let mut times = Vec::new();
    let mut found = None;
    for _ in 0..5 {
        let t = Instant::now();
        let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("open");
        found = Some(kassa::boot::read(&j, at).expect("read"));
        times.push(t.elapsed());
    }
    times.sort();
    let found = found.expect("ran");
    println!(
        "start-up with 10,000 sales     open+read p50={:.1?} max={:.1?}  ({} unfinished found, {} in history)",
        pct(&times, 0.5),
        times[times.len() - 1],
        found.resume.len(),
        found.history.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes this process has caused to be written to storage so far (all threads).
fn write_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("write_bytes:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

const DAY: u64 = 86_400_000;
const PER_DAY: u64 = 1000;

/// When sale `i` of a day happened: spread over the opening hours, 08:00 to 20:00 UTC.
fn at(day: u64, i: u64) -> Millis {
    Millis(day * DAY + 8 * 3_600_000 + i * (12 * 3_600_000 / PER_DAY))
}

/// The records of `sales` sales at [`PER_DAY`] a day ending today, in the order written. Today's
/// every 100th sale was cut off after its intent (work for recovery, the same in every run).
fn history(sales: u64, today: u64) -> impl Iterator<Item = (u64, Vec<JournalEntry>)> {
    let days = sales.div_ceil(PER_DAY);
    let first = today + 1 - days;
    (0..sales).map(move |n| {
        let day = first + n / PER_DAY;
        let records = sale_records(n + 1, at(day, n % PER_DAY));
        let take = if day == today && n % 100 == 99 { 1 } else { 3 };
        (day, records[..take].to_vec())
    })
}

struct Figures {
    written: u64,
    live: u64,
    archive: u64,
    startup: Duration,
}

fn print_figures(what: &str, sales: u64, f: &Figures, took: Duration) {
    println!(
        "{what:<7} {sales:>7} sales: {:>6.0} bytes written/sale; live {:>6.1} MiB, archive {:>5.1} MiB; start-up p50 {:>7.1?}; filled in {:.0?}",
        f.written as f64 / sales as f64,
        f.live as f64 / 1048576.0,
        f.archive as f64 / 1048576.0,
        f.startup,
        took
    );
}

/// The sled journal: fill, closing each past day (which archives it), then time start-up.
fn sled_history(sales: u64) -> Figures {
    let dir = scratch(&format!("sled-{sales}"));
    let today = kassa::core::report::day_of(now());
    let started = Instant::now();
    let before = write_bytes();
    let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("open");
    let mut day_open = None;
    for (day, records) in history(sales, today) {
        if let Some(d) = day_open
            && d != day
        {
            j.close_day(d, Millis(d * DAY + 23 * 3_600_000))
                .expect("close");
        }
        day_open = Some(day);
        for e in &records {
            j.append(e).expect("append");
        }
    }
    drop(j);
    let written = write_bytes() - before;
    let took = started.elapsed();
    let mut times = Vec::new();
    let mut found = None;
    for _ in 0..5 {
        let t = Instant::now();
        let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("reopen");
        found = Some(kassa::boot::read(&j, now()).expect("read"));
        times.push(t.elapsed());
    }
    times.sort();
    let found = found.expect("ran");
    let archive = dir_size(&dir.join(kassa::journal::ARCHIVE_DIR));
    let f = Figures {
        written,
        live: dir_size(&dir) - archive,
        archive,
        startup: pct(&times, 0.5),
    };
    print_figures("sled", sales, &f, took);
    println!(
        "        (start-up found {} unfinished, {} in history, {} damaged)",
        found.resume.len(),
        found.history.len(),
        found.damaged
    );
    // The oldest day is only in the archive now: its report must still read.
    let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("reopen");
    let oldest = today + 1 - sales.div_ceil(PER_DAY);
    let t = Instant::now();
    let text = kassa::cli::report::render(&j, kassa::core::Locale::En, oldest).expect("report");
    let rows = j.sale_history(oldest).expect("history").len();
    println!(
        "        report of the oldest (archived) day: {rows} sales, {} lines, in {:.1?}",
        text.lines().count(),
        t.elapsed()
    );
    assert_eq!(rows as u64, PER_DAY.min(sales));
    drop(j);
    let _ = std::fs::remove_dir_all(&dir);
    f
}

fn sqlite_open(path: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).expect("sqlite open");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.pragma_update(None, "synchronous", "FULL").expect("full");
    c
}

/// The same records in SQLite: one transaction per record, as the journal flushes per record.
fn sqlite_history(sales: u64) -> (Figures, Duration) {
    use kassa::journal::envelope::encode;
    let dir = scratch(&format!("sqlite-{sales}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("journal.sqlite");
    let today = kassa::core::report::day_of(now());
    let started = Instant::now();
    let before = write_bytes();
    let mut c = sqlite_open(&path);
    c.execute_batch(
        "CREATE TABLE entries(seq INTEGER PRIMARY KEY, sale TEXT NOT NULL, record BLOB NOT NULL);
         CREATE INDEX entries_by_sale ON entries(sale, seq);
         CREATE TABLE sales(day INTEGER, at INTEGER, sale TEXT, listed BLOB NOT NULL,
                            PRIMARY KEY(day, at, sale)) WITHOUT ROWID;
         CREATE TABLE open(sale TEXT PRIMARY KEY) WITHOUT ROWID;
         CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
         INSERT INTO meta VALUES ('writes', 0), ('next_sale_sequence', 1);",
    )
    .expect("schema");
    for (day, records) in history(sales, today) {
        for e in &records {
            let tx = c.transaction().expect("tx");
            let sale = e.sale.as_str();
            tx.execute(
                "INSERT INTO entries(sale, record) VALUES (?1, ?2)",
                rusqlite::params![sale, encode(e).expect("encode")],
            )
            .expect("entry");
            match &e.record {
                Record::StartIntent(req) => {
                    tx.execute(
                        "INSERT INTO sales VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![
                            day as i64,
                            e.at.0 as i64,
                            sale,
                            encode(&(&e.provider, req.amount)).expect("encode")
                        ],
                    )
                    .expect("index");
                    tx.execute("INSERT INTO open VALUES (?1)", [sale])
                        .expect("open");
                }
                Record::Outcome { .. } => {
                    tx.execute("DELETE FROM open WHERE sale = ?1", [sale])
                        .expect("open");
                }
                _ => {}
            }
            tx.execute("UPDATE meta SET v = v + 1 WHERE k = 'writes'", [])
                .expect("meta");
            tx.commit().expect("commit");
        }
    }
    drop(c);
    let written = write_bytes() - before;
    let took = started.elapsed();
    // Start-up: what `boot::read` asks for, through the indexes; then also the journal's damage
    // scan (every record's checksum), which SQLite has no archive to spare it.
    let startup = |scan: bool| {
        let t = Instant::now();
        let c = sqlite_open(&path);
        c.execute(
            "UPDATE meta SET v = v + 1 WHERE k = 'next_sale_sequence'",
            [],
        )
        .expect("next");
        let mut rows = 0usize;
        let mut check = |blob: Vec<u8>| {
            let e: JournalEntry = kassa::journal::envelope::decode(&blob).expect("record");
            rows += usize::from(e.at.0 > 0);
        };
        let mut q = c
            .prepare(
                "SELECT e.record FROM sales s JOIN entries e ON e.sale = s.sale
                 WHERE s.day >= ?1 ORDER BY s.day, s.at, e.seq",
            )
            .expect("prepare");
        for r in q
            .query_map([(today - 1) as i64], |r| r.get::<_, Vec<u8>>(0))
            .expect("query")
        {
            check(r.expect("row"));
        }
        let mut q = c
            .prepare("SELECT e.record FROM open o JOIN entries e ON e.sale = o.sale ORDER BY e.seq")
            .expect("prepare");
        for r in q.query_map([], |r| r.get::<_, Vec<u8>>(0)).expect("query") {
            check(r.expect("row"));
        }
        if scan {
            let mut q = c.prepare("SELECT record FROM entries").expect("prepare");
            for r in q.query_map([], |r| r.get::<_, Vec<u8>>(0)).expect("query") {
                check(r.expect("row"));
            }
        }
        assert!(rows > 0);
        t.elapsed()
    };
    let p50 = |scan: bool| {
        let mut times: Vec<Duration> = (0..5).map(|_| startup(scan)).collect();
        times.sort();
        pct(&times, 0.5)
    };
    let indexed = p50(false);
    let scanned = p50(true);
    let f = Figures {
        written,
        live: dir_size(&dir),
        archive: 0,
        startup: indexed,
    };
    print_figures("sqlite", sales, &f, took);
    println!("        (start-up with a checksum scan of every record as well: {scanned:.1?})");
    let _ = std::fs::remove_dir_all(&dir);
    (f, scanned)
}

fn history_runs() {
    let big: u64 = std::env::var("KASSA_BENCH_SALES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    for sales in [10_000, big] {
        sled_history(sales);
        sqlite_history(sales);
    }
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    append_latency();
    recovery();
    history_runs();
}
