//! `cargo bench --bench outbox`: how fast the outbox worker drains against the in-process mCASH
//! simulator, through the real worker, provider client, HTTP and sled journal (every item is
//! settled with a flushed write). Two passes over N push requests queued offline: the first
//! sends them (one create each, the item becomes a status check), the second asks their status
//! (the simulator's customer has paid at once) and journals each outcome.
//!
//! Machines here are shared and noisy: read the rates over several runs, not one.

use std::time::{Duration, Instant};

use kassa::config::Config;
use kassa::core::provider::ProviderId;
use kassa::core::record::{JournalEntry, Record};
use kassa::core::sale::{Capture, Flow, Msisdn, SaleKey, SaleRequest};
use kassa::journal::{Journal, OutboxOp, QueueLimits};
use kassa::money::{Currency, Money};
use kassa::runtime::outbox::Tried;
use kassa::runtime::{Clock, JournalWriter, OutboxWorker};
use kassa::sim::{SimOptions, Simulator};

fn rate(name: &str, items: usize, took: Duration) {
    println!(
        "{name:<34} n={items:<4} {took:>9.1?}  {:>7.1} items/s  {:>7.2?}/item",
        items as f64 / took.as_secs_f64(),
        took / items.max(1) as u32
    );
}

fn main() {
    let items: u64 = std::env::var("KASSA_BENCH_ITEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let runs: u64 = std::env::var("KASSA_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let sim = Simulator::start(
            "127.0.0.1:0".parse().expect("address"),
            SimOptions {
                autopilot: Some(Duration::ZERO),
                ..Default::default()
            },
        )
        .await
        .expect("simulator");
        let dir = std::env::temp_dir().join(format!("kassa-bench-outbox-{}", std::process::id()));
        let clock = Clock::system();
        let mcash = ProviderId::new("mcash");
        for run in 0..runs {
            let mut config = Config::demo(sim.root_url());
            config.storage.path = dir.join(format!("run-{run}"));
            let journal = Journal::open(&config.storage.path, 8 << 20).expect("journal");
            for n in 1..=items {
                let request = SaleRequest {
                    // Keys unique across runs: the simulator keeps every payment request.
                    key: SaleKey::new(&format!("B{run}"), n).expect("key"),
                    amount: Money::from_minor(1250, Currency::NOK),
                    flow: Flow::Push {
                        phone: Msisdn::parse("4791234567").expect("phone"),
                    },
                    capture: Capture::Sale,
                };
                journal
                    .append(&JournalEntry {
                        at: clock.now(),
                        sale: request.key.clone(),
                        provider: mcash.clone(),
                        record: Record::StartIntent(request.clone()),
                    })
                    .expect("intent");
                journal
                    .enqueue(
                        Some(request.key.clone()),
                        mcash.clone(),
                        OutboxOp::QueuedPush { request },
                        clock.now(),
                    )
                    .expect("enqueue");
            }
            let providers = kassa::providers::setup::from_config(&config).expect("providers");
            for p in &providers {
                p.start_up().await.expect("start-up");
            }
            let writer = JournalWriter::spawn(journal).expect("writer");
            let limits = QueueLimits {
                max_per_sale: Money::from_minor(1_000_000, Currency::NOK),
                max_total: Money::from_minor(i64::MAX / 2, Currency::NOK),
                max_age_ms: 3_600_000,
            };
            let mut worker = OutboxWorker::new(writer.clone(), providers, clock, limits, 1);
            println!("run {}:", run + 1);
            // Pass 1: every queued push is sent once.
            let mut sent = 0usize;
            let start = Instant::now();
            worker
                .sync(&mut |p| {
                    if matches!(p.tried, Tried::Continues) {
                        sent += 1;
                    }
                })
                .await
                .expect("drain");
            rate("  send queued pushes", sent, start.elapsed());
            assert_eq!(sent, items as usize, "every push was sent");
            // Then status checks until every sale has its outcome (the customer pays at once,
            // but a check can still find one open: it stays for the next pass).
            let mut outcomes = 0usize;
            let mut calls = 0usize;
            let start = Instant::now();
            while outcomes < items as usize {
                worker
                    .sync(&mut |p| {
                        calls += 1;
                        if matches!(p.tried, Tried::Done) {
                            outcomes += 1;
                        }
                    })
                    .await
                    .expect("drain");
                assert!(start.elapsed() < Duration::from_secs(120), "no outcomes");
            }
            rate("  status checks to outcomes", outcomes, start.elapsed());
            rate("  status checks (calls)", calls, start.elapsed());
            let left = writer
                .with_journal(|j| j.outbox_list())
                .await
                .expect("list")
                .items
                .len();
            assert_eq!(left, 0, "the outbox drained");
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
