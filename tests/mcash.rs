//! mCASH end to end with real processes: `kassa sim` serving the simulator, `kassa pay` selling
//! through the real runtime, the customer acting through the simulator's customer page.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn kassa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kassa"));
    c.env("RUST_LOG", "warn");
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kassa-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A `kassa sim` child, killed when dropped.
struct Sim {
    child: Child,
    lines: Vec<String>,
}

impl Sim {
    fn start() -> Sim {
        let mut child = kassa()
            .args(["sim", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kassa sim");
        let stdout = child.stdout.take().expect("sim stdout");
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("sim output");
            let done = line.starts_with("mcash secret:");
            lines.push(line);
            if done {
                break;
            }
        }
        Sim { child, lines }
    }

    fn value(&self, prefix: &str) -> String {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in {:?}", self.lines))
            .trim()
            .to_string()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A config for the running simulator, from the shipped example.
fn config_for(sim: &Sim, dir: &std::path::Path) -> PathBuf {
    config_at(&sim.value("mcash base url:"), dir)
}

/// The shipped example config pointed at an mCASH base URL, journaling into `dir/data`.
fn config_at(mcash_base: &str, dir: &std::path::Path) -> PathBuf {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
            .expect("example config");
    let config = example
        .replace("http://127.0.0.1:8700/mcash/merchant/v1/", mcash_base)
        .replace(
            "# path = \"/var/lib/kassa\"",
            &format!("path = {:?}", dir.join("data")),
        );
    let path = dir.join("kassa.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

#[test]
fn sim_prints_base_urls_and_demo_credentials() {
    let sim = Sim::start();
    assert_eq!(sim.value("mcash merchant id:"), "demo-merchant");
    assert_eq!(sim.value("mcash user id:"), "demo-pos");
    assert_eq!(sim.value("mcash secret:"), "demo-secret-0123456789");
    assert!(
        sim.value("mcash base url:")
            .ends_with("/mcash/merchant/v1/")
    );
    assert!(sim.value("customer page:").starts_with("http://127.0.0.1:"));
}

#[test]
fn pay_with_no_config_completes_by_itself() {
    let dir = temp_dir("demo");
    let out = kassa()
        .args(["pay", "--provider", "mcash", "--amount", "12.50"])
        .current_dir(&dir)
        .output()
        .expect("run kassa pay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("QR payload: http://mca.sh/s/"), "{stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("PAID - reference ")),
        "{stdout}"
    );
    assert!(
        dir.join("kassa-data").exists(),
        "the sale was journaled in ./kassa-data"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_exits_1_when_the_customer_page_rejects() {
    let sim = Sim::start();
    let dir = temp_dir("reject");
    let config = config_for(&sim, &dir);
    let pay = tokio::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(["pay", "--provider", "mcash", "--amount", "3.00", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kassa pay");
    let root = sim.value("customer page:");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // Wait for the payment request to appear, then press the page's Reject button.
    let id = loop {
        assert!(
            Instant::now() < deadline,
            "no open payment request appeared"
        );
        let open: serde_json::Value = http
            .get(format!("{root}/control/requests"))
            .send()
            .await
            .expect("control api")
            .json()
            .await
            .expect("json");
        if let Some(id) = open
            .as_array()
            .and_then(|a| a.first())
            .and_then(|r| r["id"].as_str())
        {
            break id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let rejected = http
        .post(format!("{root}/page/mcash/requests/{id}/reject"))
        .send()
        .await
        .expect("customer page");
    assert!(rejected.status().is_success() || rejected.status().is_redirection());
    let out = tokio::time::timeout(Duration::from_secs(30), pay.wait_with_output())
        .await
        .expect("kassa pay ends")
        .expect("kassa pay output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("NOT PAID - declined"), "{stdout}");
    assert!(!stdout.contains("PAID - reference"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The sale through the library's `pay` against an in-process simulator with a fault set.
async fn pay_in_process(
    name: &str,
    faults: kassa::sim::FaultSettings,
) -> (kassa::pay::PayResult, kassa::sim::RunningSim) {
    let sim = kassa::sim::Simulator::start(
        "127.0.0.1:0".parse().expect("address"),
        kassa::sim::SimOptions {
            autopilot: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    )
    .await
    .expect("simulator");
    sim.faults("mcash").expect("mcash faults").set(faults);
    let mut config = kassa::config::Config::demo(sim.root_url());
    config.storage.path = temp_dir(name).join("data");
    config.terminal.poll_interval_ms = 100;
    let request = kassa::pay::PayRequest {
        provider: "mcash".into(),
        amount: "12.50".into(),
        phone: None,
        ..Default::default()
    };
    let mut out = Vec::new();
    let result = kassa::pay::pay(&config, &request, &mut out, std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("pay failed: {e}\n{}", String::from_utf8_lossy(&out)));
    (result, sim)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_dropped_after_commit_ends_approved_once_without_a_second_request() {
    let (result, sim) = pay_in_process(
        "dropped",
        kassa::sim::FaultSettings {
            drop_after_commit: 1,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(result.exit_code(), 0, "{result:?}");
    let pos = kassa::config::demo::TERMINAL_ID;
    // One payment request exists; the terminal asked twice (the lost create, the recovery).
    assert_eq!(sim.mcash().created_for_pos(pos), 1);
    let tid = "demo-000001";
    assert_eq!(sim.mcash().create_calls(pos, tid), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_page_at_start_up_does_not_stop_sales() {
    let (result, sim) = pay_in_process(
        "5xx",
        kassa::sim::FaultSettings {
            fail_next: 1,
            ..Default::default()
        },
    )
    .await;
    // The 502 page met the POS registration at start-up; the provider registers again before
    // the sale instead of failing every sale until a restart, and the sale is paid once.
    assert_eq!(result.exit_code(), 0, "{result:?}");
    assert_eq!(
        sim.mcash()
            .created_for_pos(kassa::config::demo::TERMINAL_ID),
        1
    );
    assert_eq!(
        sim.faults("mcash").expect("faults").settings().fail_next,
        0,
        "the fault was used"
    );
}

/// The outbox worker draining push requests queued offline against the in-process simulator
/// while it fails: every sale ends with exactly one outcome and the simulator holds one payment
/// request per sale key.
mod outbox_drains {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use kassa::core::event::Event;
    use kassa::core::provider::ProviderId;
    use kassa::core::record::{JournalEntry, Outcome, Record};
    use kassa::core::sale::{Capture, Flow, Msisdn, SaleKey, SaleRequest};
    use kassa::journal::{Journal, OutboxOp, QueueLimits};
    use kassa::money::{Currency, Money};
    use kassa::runtime::{Clock, JournalWriter, OutboxWorker};
    use kassa::sim::{FaultSettings, SimOptions, Simulator};

    const SALES: u64 = 3;

    async fn drain_with(name: &str, faults: FaultSettings) {
        let sim = Simulator::start(
            "127.0.0.1:0".parse().expect("address"),
            SimOptions {
                autopilot: Some(Duration::from_millis(200)),
                ..Default::default()
            },
        )
        .await
        .expect("simulator");
        let mut config = kassa::config::Config::demo(sim.root_url());
        config.storage.path = super::temp_dir(name).join("data");
        let pos = kassa::config::demo::TERMINAL_ID;
        let mcash = ProviderId::new("mcash");
        let clock = Clock::system();
        let journal = Journal::open(&config.storage.path, 1 << 20).expect("journal");
        for n in 1..=SALES {
            let request = SaleRequest {
                key: SaleKey::new(pos, n).expect("key"),
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
                .expect("start intent");
            journal
                .enqueue(
                    Some(request.key.clone()),
                    mcash.clone(),
                    OutboxOp::QueuedPush { request },
                    clock.now(),
                )
                .expect("queued");
        }
        let providers = kassa::providers::setup::from_config(&config).expect("providers");
        for p in &providers {
            p.start_up().await.expect("start-up before the faults");
        }
        sim.faults("mcash").expect("faults").set(faults.clone());
        let writer = JournalWriter::spawn(journal).expect("writer");
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let limits = QueueLimits {
            max_per_sale: Money::from_minor(100_000, Currency::NOK),
            max_total: Money::from_minor(1_000_000, Currency::NOK),
            max_age_ms: 3_600_000,
        };
        let mut worker =
            OutboxWorker::new(writer.clone(), providers, clock, limits, 100).with_events(tx);
        let deadline = clock.now() + 60_000;
        loop {
            let tried = Arc::new(Mutex::new(Vec::new()));
            let log = tried.clone();
            worker
                .sync(&mut move |p| log.lock().expect("log").push(p.tried.clone()))
                .await
                .expect("drain");
            let left = writer
                .with_journal(|j| j.outbox_list())
                .await
                .expect("list")
                .items;
            if left.is_empty() {
                break;
            }
            assert!(
                clock.now() < deadline,
                "the outbox did not drain: {left:#?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        let mut outcomes: Vec<(SaleKey, Outcome)> = Vec::new();
        while let Ok(e) = events.try_recv() {
            if let Event::OutboxDone {
                sale,
                record: Record::Outcome { outcome, .. },
            } = e
            {
                outcomes.push((sale, outcome));
            }
        }
        for n in 1..=SALES {
            let key = SaleKey::new(pos, n).expect("key");
            let mine: Vec<&Outcome> = outcomes
                .iter()
                .filter(|(s, _)| *s == key)
                .map(|(_, o)| o)
                .collect();
            assert_eq!(mine.len(), 1, "{key}: exactly one outcome: {outcomes:?}");
            assert!(mine[0].is_approved(), "{key}: {mine:?}");
            let sale = writer
                .with_journal(move |j| j.sale(&key))
                .await
                .expect("sale");
            assert!(matches!(sale.outcome, Some(Outcome::Approved { .. })));
            assert!(sale.pending.is_empty() && sale.flags.is_empty(), "{sale:?}");
            assert_eq!(
                sim.mcash().created_count(pos, sale.key.as_str()),
                1,
                "one payment request per key"
            );
        }
        assert_eq!(sim.mcash().created_for_pos(pos), SALES);
        let used = sim.faults("mcash").expect("faults").counters();
        assert_eq!(
            (used.failed, used.dropped),
            (
                u64::from(faults.fail_next),
                u64::from(faults.drop_after_commit)
            ),
            "every fault met the drain"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_dropped_after_commit_during_a_drain_are_recovered_not_resent() {
        drain_with(
            "drain-drop",
            FaultSettings {
                drop_after_commit: 2,
                ..Default::default()
            },
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_gateway_pages_during_a_drain_are_retried_until_every_sale_ends() {
        drain_with(
            "drain-5xx",
            FaultSettings {
                fail_next: 4,
                ..Default::default()
            },
        )
        .await;
    }
}

#[test]
fn report_close_closes_the_mcash_ledger_report_at_once_when_online() {
    let sim = Sim::start();
    let dir = temp_dir("report-close");
    let config = config_for(&sim, &dir);
    // A journal must exist: one sale through `kassa pay` would need a customer; an empty
    // journal is enough for the day close.
    drop(kassa::journal::Journal::open(dir.join("data"), 1 << 20).expect("journal"));
    let out = kassa()
        .args(["report", "--close", "--day", "2024-10-04", "--config"])
        .arg(&config)
        .output()
        .expect("run kassa report");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("No sales."), "{stdout}");
    assert!(stdout.contains("Closed 2024-10-04"), "{stdout}");
    assert!(
        stdout.contains("report close of 2024-10-04: done"),
        "{stdout}"
    );
    assert!(stdout.contains("Provider reports closed."), "{stdout}");
    let out = kassa()
        .args(["queue", "list", "--config"])
        .arg(&config)
        .output()
        .expect("run kassa queue");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("The outbox is empty."),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Offline, a push-to-phone sale is queued, not paid; back online, `kassa queue sync` sends it,
/// the customer approves on the phone, and the journal ends the sale approved, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_a_push_sale_is_queued_not_paid_and_sent_when_back_online() {
    let sim = kassa::sim::Simulator::start(
        "127.0.0.1:0".parse().expect("address"),
        kassa::sim::SimOptions {
            autopilot: Some(Duration::from_millis(200)),
            ..Default::default()
        },
    )
    .await
    .expect("simulator");
    let dir = temp_dir("offline-push");
    let path = config_at(&sim.base_url("mcash").expect("mcash url"), &dir);
    let config = kassa::config::Config::load(&path).expect("config");

    // The provider answers nothing but 502 pages: the terminal is offline.
    let faults = sim.faults("mcash").expect("faults");
    faults.set(kassa::sim::FaultSettings {
        fail_next: 1_000,
        ..Default::default()
    });
    let request = kassa::pay::PayRequest {
        provider: "mcash".into(),
        amount: "120.00".into(),
        phone: Some("4790000001".into()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let result = kassa::pay::pay(&config, &request, &mut out, std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("pay failed: {e}\n{}", String::from_utf8_lossy(&out)));
    let printed = String::from_utf8_lossy(&out);
    assert_eq!(result.exit_code(), 3, "{result:?}\n{printed}");
    assert!(printed.contains("QUEUED, NOT PAID"), "{printed}");
    assert!(!printed.contains("PAID - reference"), "{printed}");
    assert_eq!(sim.mcash().created_for_pos("shop1-till1"), 0);

    // Back online: a person (or the terminal's worker) drains the outbox.
    faults.set(kassa::sim::FaultSettings::default());
    let sync = || kassa::cli::queue::QueueArgs {
        action: Some(kassa::cli::queue::QueueAction::Sync),
        config: Some(path.clone()),
    };
    let key = kassa::core::sale::SaleKey::new("shop1-till1", 1).expect("key");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut said = Vec::new();
        kassa::cli::queue::run(sync(), &mut said, &mut std::io::empty())
            .await
            .unwrap_or_else(|e| panic!("sync: {e}"));
        let journal = kassa::journal::Journal::open(dir.join("data"), 1 << 20).expect("journal");
        let sale = journal.sale(&key).expect("sale");
        drop(journal);
        if let Some(outcome) = sale.outcome {
            assert!(outcome.is_approved(), "{outcome:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the queued sale never ended: {}",
            String::from_utf8_lossy(&said)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(sim.mcash().created_for_pos("shop1-till1"), 1, "sent once");
    let _ = std::fs::remove_dir_all(&dir);
}
