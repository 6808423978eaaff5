//! Durability with real processes: `kassa pay` is killed with SIGKILL at random points of its
//! sales, again and again, against the in-process simulator. After every kill the journal must
//! open; at the end every payment request the simulator holds is in the journal with the same
//! outcome, and no sale was charged twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use kassa::core::Millis;
use kassa::core::record::Outcome;
use kassa::core::report::day_of;
use kassa::journal::{Journal, SaleState};
use rand::{Rng, SeedableRng};

const POS: &str = "shop1-till1";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kassa-durability-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The shipped example config, pointed at the simulator and a scratch journal, polling fast.
fn write_config(dir: &Path, mcash_base: &str) -> PathBuf {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
            .expect("example config");
    let config = example
        .replace("http://127.0.0.1:8700/mcash/merchant/v1/", mcash_base)
        .replace(
            "# path = \"/var/lib/kassa\"",
            &format!("path = {:?}", dir.join("data")),
        )
        .replace("poll_interval_ms = 1000", "poll_interval_ms = 200");
    assert!(
        config.contains("poll_interval_ms = 200"),
        "example config changed"
    );
    let path = dir.join("kassa.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// The in-process simulator whose customer pays `autopilot_ms` after each request appears.
async fn simulator(autopilot_ms: u64) -> kassa::sim::RunningSim {
    kassa::sim::Simulator::start(
        "127.0.0.1:0".parse().expect("address"),
        kassa::sim::SimOptions {
            autopilot: Some(Duration::from_millis(autopilot_ms)),
            ..Default::default()
        },
    )
    .await
    .expect("simulator")
}

fn now() -> Millis {
    Millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    )
}

/// Every sale in the journal of the last two days, by key.
fn journal_sales(path: &Path) -> BTreeMap<String, SaleState> {
    let journal = Journal::open(path, 1 << 20)
        .unwrap_or_else(|e| panic!("the journal must open after a kill: {e}"));
    let today = day_of(now());
    let mut out = BTreeMap::new();
    for day in [today - 1, today] {
        for s in journal.sales_on(day).expect("sales") {
            out.insert(s.key.to_string(), s);
        }
    }
    assert!(
        journal.damaged().expect("damage scan").is_empty(),
        "no record is damaged by a kill"
    );
    out
}

/// Where the last sale stood when the process died.
fn stage(sale: Option<&SaleState>) -> &'static str {
    match sale {
        None => "before the intent",
        Some(s) if s.outcome.is_some() => "after the outcome",
        Some(s) if s.handle.is_some() => "awaiting the customer",
        Some(_) => "intent written, answer not",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_no_sale_and_charges_none_twice() {
    let kills_wanted: usize = std::env::var("KASSA_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("KASSA_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261121);
    println!("crash test: {kills_wanted} kills, seed {seed} (KASSA_CRASH_SEED to repeat)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sim = simulator(150).await;
    // Each provider call takes a while, as over a mobile network: kills land in flight too.
    sim.faults("mcash")
        .expect("mcash faults")
        .set(kassa::sim::FaultSettings {
            latency_ms: 40,
            ..Default::default()
        });
    let dir = temp_dir("sigkill");
    let config = write_config(&dir, &sim.base_url("mcash").expect("mcash url"));
    let data = dir.join("data");

    let pay = |amount: String| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args([
                "pay",
                "--provider",
                "mcash",
                "--amount",
                &amount,
                "--config",
            ])
            .arg(&config)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start kassa pay")
    };

    // One sale without a kill: how long a whole sale takes here.
    let started = Instant::now();
    let out = pay("1.00".into())
        .wait_with_output()
        .await
        .expect("kassa pay");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = started.elapsed().as_millis() as u64;
    println!(
        "one sale takes {whole} ms; kills land in 0..{} ms",
        whole * 5 / 4
    );

    let mut kills = 0;
    let mut completed = 0;
    let mut stages: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen: std::collections::BTreeSet<String> = Default::default();
    let mut n = 1u64;
    let deadline = Instant::now() + Duration::from_secs(1500);
    while kills < kills_wanted {
        assert!(Instant::now() < deadline, "the crash test ran too long");
        n += 1;
        let amount = format!("{}.{:02}", n % 500 + 1, n % 100);
        let mut child = pay(amount);
        let at = rng.random_range(0..=whole * 5 / 4);
        tokio::select! {
            status = child.wait() => {
                // Finished before the kill: any exit is fine here (a recovery may have ended it
                // in doubt); what matters is checked at the end.
                status.expect("wait");
                completed += 1;
                continue;
            }
            _ = tokio::time::sleep(Duration::from_millis(at)) => {}
        }
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reap");
        kills += 1;
        let sales = journal_sales(&data);
        // The newest sale not seen at the last kill is the one this kill interrupted; none
        // means it died before writing its intent.
        let this = sales
            .values()
            .filter(|s| !seen.contains(s.key.as_str()))
            .max_by_key(|s| s.started_at);
        *stages.entry(stage(this)).or_default() += 1;
        seen = sales.into_keys().collect();
    }

    // A last sale without a kill resolves whatever the last kill left.
    let out = pay("2.00".into())
        .wait_with_output()
        .await
        .expect("kassa pay");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{kills} kills, {completed} sales ended before their kill; kills by stage: {stages:?}"
    );

    let sales = journal_sales(&data);
    let mut paid = 0;
    for (key, s) in &sales {
        let outcome = s
            .outcome
            .as_ref()
            .unwrap_or_else(|| panic!("{key} has no outcome after recovery: {s:?}"));
        assert!(
            !matches!(outcome, Outcome::InDoubt { .. }),
            "{key} stayed in doubt with a healthy provider: {outcome:?}"
        );
        let created = sim.mcash().created_count(POS, key);
        assert!(created <= 1, "{key}: {created} payment requests");
        if let Some(tid) = sim.mcash().tid_for(POS, key) {
            let at_sim = sim.mcash().outcome(&tid).expect("sim outcome");
            // A sale number used twice would pair one request with another sale's amount.
            let amount = s.request.as_ref().map(|r| r.amount.to_decimal_string());
            assert_eq!(
                amount.as_deref(),
                at_sim["amount"].as_str(),
                "{key}: the journal's amount differs from the payment request's"
            );
            // No request, a recovery's own included, is left payable once a start completed.
            assert!(
                !matches!(at_sim["status"].as_str(), Some("pending" | "auth")),
                "{key}: still payable at the simulator after the last start: {at_sim}"
            );
            let sim_paid = at_sim["status"] == "ok";
            assert_eq!(
                outcome.is_approved(),
                sim_paid,
                "{key}: journal says {outcome:?}, simulator says {at_sim}"
            );
            if sim_paid {
                paid += 1;
            }
        } else {
            assert!(
                !outcome.is_approved(),
                "{key} approved in the journal, unknown to the simulator"
            );
        }
    }
    // Every payment request the simulator holds belongs to a journaled sale.
    let at_sim = sim.mcash().created_for_pos(POS);
    let known = sales
        .keys()
        .filter(|k| sim.mcash().created_count(POS, k) == 1)
        .count() as u64;
    assert_eq!(at_sim, known, "payment requests the journal does not know");
    println!(
        "{} sales journaled, {} payment requests at the simulator, {paid} paid",
        sales.len(),
        at_sim
    );
    assert!(kills >= kills_wanted);
    for stage in [
        "before the intent",
        "intent written, answer not",
        "awaiting the customer",
    ] {
        assert!(
            stages.get(stage).is_some_and(|n| *n >= 3),
            "too few kills landed {stage}: {stages:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loopback TCP proxy in front of the simulator that forwards everything until a request whose
/// first line matches the rule arrives: that request is held (never forwarded) and the test is
/// told, so it can kill `kassa pay` exactly there.
struct HoldingProxy {
    url: String,
    rule: std::sync::Arc<std::sync::Mutex<Option<(&'static str, &'static str)>>>,
    held: tokio::sync::mpsc::UnboundedReceiver<String>,
}

async fn holding_proxy(sim_base: &str) -> HoldingProxy {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = sim_base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("sim address")
        .to_string();
    let path = &sim_base["http://".len() + upstream.len()..];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy bind");
    let url = format!(
        "http://{}{path}",
        listener.local_addr().expect("proxy addr")
    );
    let rule: std::sync::Arc<std::sync::Mutex<Option<(&'static str, &'static str)>>> =
        Default::default();
    let (tx, held) = tokio::sync::mpsc::unbounded_channel();
    let r = rule.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                continue;
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let (rule, tx) = (r.clone(), tx.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let text = String::from_utf8_lossy(&buf[..n]);
                    let first = text.lines().next().unwrap_or("").to_string();
                    let hold = rule
                        .lock()
                        .map(|g| g.is_some_and(|(m, p)| first.starts_with(m) && first.contains(p)))
                        .unwrap_or(false);
                    if hold {
                        let _ = tx.send(first);
                        // Held: never forwarded; the kill closes the connection.
                        let mut sink = vec![0u8; 4096];
                        while matches!(cr.read(&mut sink).await, Ok(n) if n > 0) {}
                        return;
                    }
                    if sw.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            });
        }
    });
    HoldingProxy { url, rule, held }
}

/// The kill of issue 16: after the sale's intent, before mCASH has its create; then a start whose
/// recovery re-POSTs the create (201: made now, payable) and is killed before its abort reaches
/// mCASH; then a start that completes. The recovery's request must end aborted at the simulator
/// (or paid, and then shown as paid), and that start tells the cashier what it decided.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_the_recoverys_create_and_its_abort_is_finished_by_the_next_start() {
    // The customer pays 4 s after a request appears: the abort has time to land first.
    let sim = simulator(4_000).await;
    let mut proxy = holding_proxy(&sim.base_url("mcash").expect("mcash url")).await;
    let dir = temp_dir("abort");
    let config = write_config(&dir, &proxy.url);
    let data = dir.join("data");
    let pay = |amount: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["pay", "--provider", "mcash", "--amount", amount, "--config"])
            .arg(&config)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start kassa pay")
    };
    let within = Duration::from_secs(60);

    // 1: the create is held at the proxy, so mCASH never has it; killed there.
    *proxy.rule.lock().expect("rule") = Some(("POST ", "/payment_request/"));
    let mut first = pay("3.30");
    let held = tokio::time::timeout(within, proxy.held.recv())
        .await
        .expect("the sale's create reaches the proxy");
    println!("run 1 held: {held:?}");
    first.start_kill().expect("SIGKILL");
    first.wait().await.expect("reap");
    let sales = journal_sales(&data);
    let (key, s) = sales.iter().next().expect("the intent is journaled");
    let key = key.clone();
    assert!(s.outcome.is_none() && s.handle.is_none(), "{s:?}");
    assert_eq!(sim.mcash().created_count(POS, &key), 0);

    // 2: the recovery re-POSTs (201, created now); its abort is held; killed there.
    *proxy.rule.lock().expect("rule") = Some(("PUT ", "/payment_request/"));
    let mut second = pay("4.40");
    let held = tokio::time::timeout(within, proxy.held.recv())
        .await
        .expect("the recovery's abort reaches the proxy");
    println!("run 2 held: {held:?}");
    second.start_kill().expect("SIGKILL");
    second.wait().await.expect("reap");
    assert_eq!(
        sim.mcash().created_count(POS, &key),
        1,
        "made by the recovery"
    );
    let tid = sim.mcash().tid_for(POS, &key).expect("tid");
    let open = sim.mcash().outcome(&tid).expect("sim outcome");
    assert_eq!(open["status"], "pending", "payable until aborted: {open}");
    let s = &journal_sales(&data)[&key];
    assert!(s.never_reached && s.outcome.is_none(), "{s:?}");

    // 3: completes; its recovery aborts by the journaled handle, then its own sale is paid.
    *proxy.rule.lock().expect("rule") = None;
    let third = tokio::time::timeout(within, pay("5.50").wait_with_output())
        .await
        .expect("the third run ends")
        .expect("kassa pay");
    let stdout = String::from_utf8_lossy(&third.stdout);
    assert_eq!(
        third.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&third.stderr)
    );
    let at_sim = sim.mcash().outcome(&tid).expect("sim outcome");
    let s = &journal_sales(&data)[&key];
    let outcome = s.outcome.clone().expect("resolved");
    assert_eq!(
        sim.mcash().created_count(POS, &key),
        1,
        "never created twice"
    );
    assert!(stdout.contains("Resolved after restart"), "{stdout}");
    assert!(stdout.contains(key.as_str()), "{stdout}");
    if at_sim["status"] == "ok" {
        assert!(outcome.is_approved(), "{outcome:?} {at_sim}");
        assert!(stdout.contains("PAID (reference"), "{stdout}");
    } else {
        assert_eq!(
            at_sim["status"], "fail",
            "aborted at the simulator: {at_sim}"
        );
        assert_eq!(outcome, Outcome::Cancelled);
        assert!(
            stdout.contains("never reached the provider before the restart"),
            "{stdout}"
        );
    }
    assert!(s.after_restart && s.acknowledged, "{s:?}");
    // The summary is shown once: the next start prints none.
    let fourth = tokio::time::timeout(within, pay("6.60").wait_with_output())
        .await
        .expect("the fourth run ends")
        .expect("kassa pay");
    let stdout = String::from_utf8_lossy(&fourth.stdout);
    assert!(!stdout.contains("Resolved after restart"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A journal that cannot grow (its file at a size limit, as on a full disk): the terminal says
/// so, refuses the sale before anything reaches the provider, and what was recorded stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_the_sale_before_any_money_moves() {
    use kassa::core::provider::ProviderId;
    use kassa::core::record::{JournalEntry, Record};
    use kassa::core::sale::{Capture, Flow, SaleKey, SaleRequest};
    use kassa::money::{Currency, Money};

    let sim = simulator(100).await;
    let dir = temp_dir("full");
    let config = write_config(&dir, &sim.base_url("mcash").expect("mcash url"));
    let data = dir.join("data");
    let db = data.join("db");
    // Earlier sales, written until sled's log file starts its second segment: from there on
    // every record makes the file longer.
    let journal = Journal::open(&data, 1 << 20).expect("open");
    let mut n = 0;
    let at = now();
    let first_segment = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    while std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) <= first_segment.max(524_288) {
        n += 1;
        assert!(n < 5_000, "the journal file never grew");
        let key = SaleKey::new(POS, n).expect("key");
        let entry = |record| JournalEntry {
            at,
            sale: key.clone(),
            provider: ProviderId::new("mcash"),
            record,
        };
        journal
            .append(&entry(Record::StartIntent(SaleRequest {
                key: key.clone(),
                amount: Money::from_minor(100, Currency::NOK),
                flow: Flow::Qr,
                capture: Capture::Sale,
            })))
            .expect("append");
        journal
            .append(&entry(Record::Outcome {
                outcome: Outcome::Cancelled,
                late: false,
            }))
            .expect("append");
    }
    drop(journal);
    let size = std::fs::metadata(&db).expect("db").len();
    // `ulimit -f` counts 512-byte blocks; SIGXFSZ ignored, so a write past it fails (EFBIG).
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {}; exec \"$0\" pay --provider mcash --amount 7.00 --config \"$1\"",
            size.div_ceil(512)
        ))
        .arg(env!("CARGO_BIN_EXE_kassa"))
        .arg(&config)
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("kassa pay under a file size limit");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    // Refused at start (sled cannot open its log) or at the sale's intent: either way the
    // message names the full journal and says sales are refused.
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("is full")
            && (said.contains("refused") || said.contains("nothing was charged")),
        "the cashier is told why: {said}"
    );
    assert!(!stdout.contains("PAID - reference"), "{stdout}");
    assert_eq!(
        sim.mcash().created_for_pos(POS),
        0,
        "no payment request may leave unrecorded"
    );
    // What was recorded before is all there, and the journal opens.
    let sales = journal_sales(&data);
    assert!(sales.len() as u64 >= n, "{} of {n} sales", sales.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database file cut short (a card pulled mid-write, a bad copy): `kassa pay` stops with an
/// error naming the path and what to do, exit 2, not a panic and not a fresh journal.
#[test]
fn a_truncated_journal_is_named_with_what_to_do() {
    let dir = temp_dir("truncated");
    let data = dir.join("kassa-data");
    let pay = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["pay", "--provider", "mcash", "--amount", "1.00"])
            .current_dir(&dir)
            .env("RUST_LOG", "error")
            .output()
            .expect("kassa pay")
    };
    let first = pay();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let db = data.join("db");
    let len = std::fs::metadata(&db).expect("db").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open db");
    // Cut into the records themselves (they sit at the start of the file).
    file.set_len((len / 3).min(512)).expect("truncate");
    drop(file);
    let second = pay();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&second.stdout),
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(second.status.code(), Some(2), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(said.contains("kassa-data"), "names the path: {said}");
    assert!(
        said.contains("damaged") || said.contains("cannot be opened"),
        "says what is wrong: {said}"
    );
    assert!(!said.contains("PAID - reference"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Push requests queued while offline, then `kassa queue sync` killed with SIGKILL at random
/// points of its drain, again and again: every queued sale reaches the provider once, and ends
/// in the journal as the simulator has it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_outbox_drains_sends_each_queued_push_once() {
    let kills_wanted: usize = std::env::var("KASSA_CRASH_DRAIN_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let sim = simulator(100).await;
    let faults = sim.faults("mcash").expect("mcash faults");
    let online = kassa::sim::FaultSettings {
        latency_ms: 40,
        ..Default::default()
    };
    let dir = temp_dir("drain");
    let config = write_config(&dir, &sim.base_url("mcash").expect("mcash url"));
    let data = dir.join("data");
    let kassa = |args: &[&str]| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_kassa"));
        c.args(args)
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    };

    let mut queued = 0u64;
    let mut kills = 0;
    let mut syncs = 0;
    let deadline = Instant::now() + Duration::from_secs(900);
    while kills < kills_wanted {
        assert!(
            Instant::now() < deadline,
            "the drain crash test ran too long"
        );
        let open = journal_sales(&data)
            .values()
            .filter(|s| s.outcome.is_none())
            .count();
        if open == 0 {
            // Offline: ten push sales go to the outbox.
            faults.set(kassa::sim::FaultSettings {
                fail_next: 1_000_000,
                ..Default::default()
            });
            for _ in 0..10 {
                queued += 1;
                let amount = format!("{}.{:02}", queued % 9 + 1, queued % 100);
                let phone = format!("4790{:06}", queued);
                let out = kassa(&[
                    "pay",
                    "--provider",
                    "mcash",
                    "--amount",
                    &amount,
                    "--phone",
                    &phone,
                ])
                .output()
                .await
                .expect("kassa pay");
                assert_eq!(
                    out.status.code(),
                    Some(3),
                    "queued offline: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            faults.set(online.clone());
        }
        let mut child = kassa(&["queue", "sync"]).spawn().expect("kassa queue sync");
        let at = rng.random_range(0..=900);
        syncs += 1;
        tokio::select! {
            status = child.wait() => {
                status.expect("wait");
                continue;
            }
            _ = tokio::time::sleep(Duration::from_millis(at)) => {}
        }
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reap");
        kills += 1;
    }
    // Unkilled drains finish what the kills left.
    for _ in 0..60 {
        if journal_sales(&data).values().all(|s| s.outcome.is_some()) {
            break;
        }
        let out = kassa(&["queue", "sync"]).output().await.expect("sync");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sales = journal_sales(&data);
    assert_eq!(sales.len() as u64, queued, "every queued sale is journaled");
    let mut paid = 0;
    for (key, s) in &sales {
        let outcome = s
            .outcome
            .as_ref()
            .unwrap_or_else(|| panic!("{key} never ended: {s:?}"));
        assert!(sim.mcash().created_count(POS, key) <= 1);
        let tid = sim
            .mcash()
            .tid_for(POS, key)
            .unwrap_or_else(|| panic!("{key} never reached the provider: {outcome:?}"));
        let at_sim = sim.mcash().outcome(&tid).expect("sim outcome");
        assert_eq!(
            outcome.is_approved(),
            at_sim["status"] == "ok",
            "{key}: journal {outcome:?}, simulator {at_sim}"
        );
        if outcome.is_approved() {
            paid += 1;
        }
    }
    assert_eq!(
        sim.mcash().created_for_pos(POS),
        queued,
        "one request per queued sale"
    );
    println!("{queued} pushes queued offline, {syncs} drains, {kills} killed, {paid} paid");
    let _ = std::fs::remove_dir_all(&dir);
}
