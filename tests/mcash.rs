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
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
            .expect("example config");
    let config = example
        .replace(
            "http://127.0.0.1:8700/mcash/merchant/v1/",
            &sim.value("mcash base url:"),
        )
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
