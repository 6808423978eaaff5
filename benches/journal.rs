//! `cargo bench --bench journal`: what the sled journal costs on this machine's disk.
//!
//! - durable append (write + flush) latency, p50/p99, and appends per second;
//! - recovery at start with 10,000 journaled sales (open + everything `boot::read` does: next
//!   sale number, today's history, unfinished sales, the damage scan);
//! - database size on disk after 100,000 sales (sled is known for space amplification).
//!
//! `KASSA_BENCH_SALES` changes the 100,000 (the size run takes minutes on a slow disk). The
//! journal lives under `target/` so it is on the same disk as a real one, not in a tmpfs.

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

fn size() {
    let sales: u64 = std::env::var("KASSA_BENCH_SALES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = scratch("size");
    let started = Instant::now();
    // Spread over 100 days, as a busy till would.
    let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("open");
    let first = now().0 - 100 * 86_400_000;
    for n in 1..=sales {
        let at = Millis(first + n * (100 * 86_400_000 / sales));
        for e in sale_records(n, at) {
            j.append(&e).expect("append");
        }
    }
    drop(j);
    let took = started.elapsed();
    let bytes = dir_size(&dir);
    // What the records themselves take, for the amplification figure.
    let payload: u64 = (1..=sales.min(1000))
        .flat_map(|n| sale_records(n, Millis(first)))
        .map(|e| serde_json::to_vec(&e).map(|v| v.len() as u64).unwrap_or(0))
        .sum::<u64>()
        * sales
        / sales.min(1000);
    println!(
        "size after {sales} sales      {:.1} MiB on disk ({:.0} bytes/sale; records as JSON {:.1} MiB, x{:.1}); written in {:.0?}",
        bytes as f64 / 1048576.0,
        bytes as f64 / sales as f64,
        payload as f64 / 1048576.0,
        bytes as f64 / payload.max(1) as f64,
        took
    );
    let t = Instant::now();
    let j = Journal::open(&dir, DEFAULT_CACHE_BYTES).expect("reopen");
    let _ = kassa::boot::read(&j, now()).expect("read");
    println!(
        "start-up with {sales} sales    open+read {:.1?}",
        t.elapsed()
    );
    drop(j);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    append_latency();
    recovery();
    size();
}
