//! The whole vend: the simulated HAT and VMC on a pseudo-terminal, the real MDB driver, the
//! bridge, the runtime with its sled journal, the mCASH provider and the mCASH simulator over
//! loopback HTTP. Real time (the serial link and HTTP are real), short deadlines.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::mdb::sim::{AfterApproval, SimHat};
use super::session::Timing;
use crate::config::{Config, LoadContext};
use crate::core::record::Outcome;
use crate::core::sale::SaleKey;
use crate::core::view::{Screen, View};
use crate::providers::conformance::env::TempDir;
use crate::providers::setup;
use crate::runtime::{Clock, RuntimeHandle};
use crate::sim::mcash::{DEMO_MERCHANT_ID, DEMO_SECRET, DEMO_USER_ID};
use crate::sim::{CustomerAction, ProviderSim, RunningSim, SimOptions, Simulator};

const TIMING: Timing = Timing {
    payment_timeout_ms: 6_000,
    result_timeout_ms: 6_000,
};

fn config_text(sim: &RunningSim, dir: &TempDir, controller: &str) -> String {
    format!(
        "[terminal]\nid = \"V1\"\nmode = \"vending\"\ncurrency = \"NOK\"\nmax_amount = \"1000\"\n\
         poll_interval_ms = 200\nresult_hold_seconds = 1\n\n\
         [storage]\npath = {journal:?}\ncache_mb = 4\n\n\
         [providers.mcash]\nbase_url = \"{base}\"\nmerchant_id = \"{DEMO_MERCHANT_ID}\"\n\
         user_id = \"{DEMO_USER_ID}\"\nsecret = \"{DEMO_SECRET}\"\npos_id = \"V1\"\n\
         expires_in_seconds = 60\n\n[vending]\n{controller}\n",
        journal = dir.path().join("journal"),
        base = sim.base_url("mcash").unwrap_or_default(),
    )
}

fn load(text: &str, dir: &TempDir) -> Config {
    let ctx = LoadContext {
        config_dir: dir.path().to_path_buf(),
        credentials_directory: None,
        state_directory: None,
    };
    Config::from_toml_str_in(text, "vend-test.toml", &ctx).unwrap_or_else(|e| panic!("{e}"))
}

/// A running terminal with its vend controller.
struct Terminal {
    handle: RuntimeHandle,
    task: tokio::task::JoinHandle<()>,
    bridge: tokio::task::JoinHandle<()>,
}

impl Terminal {
    /// Starts the terminal (retrying while the last one still holds the journal or the port).
    async fn boot(config: &Config, timing: Timing) -> Terminal {
        let vending = config.vending.clone().expect("[vending]");
        for attempt in 0.. {
            let providers = setup::from_config(config).expect("providers");
            let rt = match crate::boot::start(config, providers, Clock::system()) {
                Ok(rt) => rt,
                Err(e) if attempt < 40 => {
                    tracing::debug!(error = %e, "journal still held");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => panic!("boot: {e}"),
            };
            let handle = rt.handle.clone();
            match super::start(config, &vending, timing, handle.clone(), rt.outputs, None).await {
                Ok(bridge) => {
                    return Terminal {
                        handle,
                        task: rt.task,
                        bridge,
                    };
                }
                Err(e) if attempt < 40 => {
                    tracing::debug!(error = %e, "port still held");
                    rt.task.abort();
                    let _ = rt.task.await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("vend controller: {e}"),
            }
        }
        unreachable!()
    }

    /// The power goes: everything stops where it is.
    async fn cut_power(self) {
        self.bridge.abort();
        self.task.abort();
        let _ = self.task.await;
        let _ = self.bridge.await;
    }

    async fn ready(&self) {
        let v = tokio::time::timeout(
            Duration::from_secs(10),
            self.handle
                .wait_for(|v| matches!(v.screen, Screen::Amount { .. } | Screen::Result { .. })),
        )
        .await;
        assert!(v.is_ok(), "the terminal takes vends");
    }

    /// The next result screen: sale and outcome.
    async fn result(&self) -> (SaleKey, Outcome) {
        let v: Option<View> = tokio::time::timeout(
            Duration::from_secs(15),
            self.handle
                .wait_for(|v| matches!(v.screen, Screen::Result { .. })),
        )
        .await
        .expect("a result within 15 s");
        match v.map(|v| v.screen) {
            Some(Screen::Result { sale, outcome, .. }) => (sale, outcome),
            other => panic!("{other:?}"),
        }
    }
}

struct Rig {
    sim: RunningSim,
    hat: SimHat,
    config: Config,
    _dir: TempDir,
}

async fn rig() -> Rig {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .expect("simulator");
    let hat = SimHat::start().expect("simulated HAT");
    let dir = TempDir::new("vend");
    let controller = format!(
        "kind = \"mdb\"\nport = \"{}\"\nvmc_timeout_seconds = 120\nlink_timeout_ms = 2000\n",
        hat.port
    );
    let config = load(&config_text(&sim, &dir, &controller), &dir);
    Rig {
        sim,
        hat,
        config,
        _dir: dir,
    }
}

impl Rig {
    async fn until(&self, what: impl Fn(&SimHat) -> bool + Send + 'static) -> bool {
        let hat = self.hat.clone();
        tokio::task::spawn_blocking(move || hat.wait(Duration::from_secs(10), what))
            .await
            .unwrap_or(false)
    }

    /// The customer scans the machine's QR code and answers on the phone.
    async fn customer(&self, action: CustomerAction) {
        let m = self.sim.mcash();
        for _ in 0..500 {
            if let Some(r) = m.open_requests().into_iter().next() {
                if let Some(target) = &r.waiting_for_scan {
                    m.scan(target, None).expect("scan");
                }
                m.act(&r.id, action).expect("customer");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no payment request to answer");
    }

    async fn wait_open_request(&self) {
        let m = self.sim.mcash();
        for _ in 0..500 {
            if !m.open_requests().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no payment request was made");
    }

    fn outcome(&self, sale: &SaleKey) -> Value {
        let m = self.sim.mcash();
        let tid = m.tid_for("V1", sale.as_str()).expect("a payment request");
        m.outcome(&tid).expect("its outcome")
    }

    /// What mCASH holds: captured (with the amount), or not.
    fn captured(&self, sale: &SaleKey) -> Vec<String> {
        self.outcome(sale)["captures"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|x| x["amount"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Neither authorized nor pending any more: never left hanging until it expires.
    fn ended_uncharged(&self, sale: &SaleKey) -> bool {
        let o = self.outcome(sale);
        o["status"] == "fail" && self.captured(sale).is_empty()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_vend_is_captured_for_exactly_its_price() {
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.select("15.19", 2);
    rig.customer(CustomerAction::Pay).await;
    assert!(
        rig.until(|h| h.approvals() == vec!["15.19".to_string()])
            .await
    );
    let (sale, outcome) = t.result().await;
    assert!(outcome.is_approved(), "{outcome:?}");
    assert_eq!(rig.captured(&sale), vec!["15.19".to_string()]);
    assert_eq!(rig.sim.mcash().created_for_pos("V1"), 1);
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_vend_is_released_and_the_customer_not_charged() {
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.after_approval(AfterApproval::Fail);
    rig.hat.select("4.00", 1);
    rig.customer(CustomerAction::Pay).await;
    let (sale, outcome) = t.result().await;
    assert_eq!(outcome, Outcome::Released);
    assert_eq!(rig.hat.approvals().len(), 1);
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_rejects_gets_a_denied_vend() {
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.select("4.00", 1);
    rig.customer(CustomerAction::Reject).await;
    let (sale, outcome) = t.result().await;
    assert!(matches!(outcome, Outcome::Declined { .. }), "{outcome:?}");
    assert!(
        rig.until(|h| h.denials() == vec!["C,VEND,-1".to_string()])
            .await
    );
    assert!(rig.hat.approvals().is_empty());
    assert!(rig.ended_uncharged(&sale));
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_payment_before_the_deadline_denies_and_aborts_the_request() {
    let rig = rig().await;
    let t = Terminal::boot(
        &rig.config,
        Timing {
            payment_timeout_ms: 1_500,
            result_timeout_ms: 6_000,
        },
    )
    .await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.select("4.00", 1);
    rig.wait_open_request().await;
    assert!(
        rig.until(|h| h.denials().len() == 1).await,
        "denied at the deadline"
    );
    let (sale, outcome) = t.result().await;
    assert_eq!(outcome, Outcome::Cancelled);
    assert!(rig.ended_uncharged(&sale));
    assert!(rig.sim.mcash().open_requests().is_empty());
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_vend_request_makes_one_authorization() {
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.select("7.50", 3);
    rig.wait_open_request().await;
    rig.hat.repeat_request();
    rig.hat.repeat_request();
    tokio::time::sleep(Duration::from_millis(300)).await;
    rig.customer(CustomerAction::Pay).await;
    let (sale, outcome) = t.result().await;
    assert!(outcome.is_approved());
    assert_eq!(
        rig.sim.mcash().created_for_pos("V1"),
        1,
        "one payment request"
    );
    assert_eq!(rig.hat.approvals(), vec!["7.50".to_string()]);
    assert_eq!(rig.captured(&sale), vec!["7.50".to_string()]);
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_completes_after_the_vmc_gave_up_is_released_not_vended() {
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    rig.hat.select("9.00", 5);
    // The customer authorizes just as the VMC times out: before the terminal's next poll.
    rig.customer(CustomerAction::Pay).await;
    rig.hat.give_up();
    let (sale, outcome) = t.result().await;
    // mCASH voids an authorization that is aborted (the terminal's cancel), so the sale ends
    // cancelled; where the abort comes too late, the terminal releases it. Never approved.
    assert!(
        matches!(outcome, Outcome::Released | Outcome::Cancelled),
        "never approved late: {outcome:?}"
    );
    assert!(rig.hat.approvals().is_empty());
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
    t.cut_power().await;
}

/// Where the power goes in a vend (docs/vending.md, "Power cuts", has the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// The vend request is on disk (the start intent); its payment request never reached mCASH.
    RequestNotSent,
    /// The payment request is at mCASH; the customer has not paid.
    WaitingForCustomer,
    /// The customer authorized at mCASH; the terminal had not heard, the vend was not approved.
    AuthorizedNotApproved,
    /// The vend approved to the machine; no result from it.
    ApprovedVending,
    /// The machine reported delivery; the cut comes as the capture is on its way.
    DeliveredCapturing,
    /// The machine reported delivery: the capture intent is on disk, the capture unconfirmed.
    CaptureNotConfirmed,
    /// The machine reported a failure: the release intent is on disk, the release unconfirmed.
    ReleaseNotConfirmed,
}

impl Rig {
    fn faults(&self) -> &crate::sim::Faults {
        self.sim.faults("mcash").expect("mCASH's faults")
    }

    /// From now on every call to mCASH fails (a 502 from "a proxy", before mCASH sees it), so
    /// nothing the terminal sends is confirmed. The failures counted so far.
    fn block_mcash(&self) -> u64 {
        self.faults().set(crate::sim::FaultSettings {
            fail_next: 1_000_000,
            ..Default::default()
        });
        self.faults().counters().failed
    }

    fn unblock_mcash(&self) {
        self.faults().set(crate::sim::FaultSettings::default());
    }

    /// Waits until a call to mCASH failed after `since` failures.
    async fn until_failed(&self, since: u64) {
        for _ in 0..500 {
            if self.faults().counters().failed > since {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the terminal called mCASH no more");
    }

    /// What the journal holds of `sale`, read between two runs of the terminal.
    async fn journal_sale(&self, sale: &SaleKey) -> crate::journal::SaleState {
        for _ in 0..100 {
            match crate::journal::Journal::open(&self.config.storage.path, 1 << 20) {
                Ok(j) => return j.sale(sale).expect("the sale's records"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        panic!("the journal did not open after the cut");
    }

    fn status(&self, sale: &SaleKey) -> Value {
        self.outcome(sale)["status"].clone()
    }
}

impl Terminal {
    async fn until_settling(&self) {
        let v = tokio::time::timeout(
            Duration::from_secs(10),
            self.handle.wait_for(|v| {
                matches!(
                    v.screen,
                    Screen::Paying {
                        waiting: crate::core::view::Waiting::Settling,
                        ..
                    }
                )
            }),
        )
        .await;
        assert!(v.is_ok(), "capturing or releasing");
    }
}

/// A power cut at `cut`, then a start: the authorization ends captured or released, never left
/// to expire. Each cut point is checked where it is (mCASH's record, the journal) before the
/// start, so a test cannot pass by cutting somewhere else.
async fn power_cut(cut: Cut) -> (Rig, SaleKey) {
    use crate::journal::Pending;
    let rig = rig().await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    assert!(rig.until(|h| h.enabled()).await);
    let sale = SaleKey::parse("V1-000001").unwrap();
    let price = crate::money::Money::from_minor(300, crate::money::Currency::NOK);
    match cut {
        Cut::RequestNotSent => {
            let since = rig.block_mcash();
            rig.hat.select("3.00", 1);
            rig.until_failed(since).await;
        }
        Cut::WaitingForCustomer => {
            rig.hat.select("3.00", 1);
            rig.wait_open_request().await;
        }
        Cut::AuthorizedNotApproved => {
            rig.hat.select("3.00", 1);
            rig.wait_open_request().await;
            let since = rig.block_mcash();
            rig.customer(CustomerAction::Pay).await;
            // A poll after the payment failed: the terminal has not heard of it.
            rig.until_failed(since).await;
        }
        Cut::ApprovedVending => {
            rig.hat.after_approval(AfterApproval::Silent);
            rig.hat.select("3.00", 1);
            rig.customer(CustomerAction::Pay).await;
            assert!(rig.until(|h| h.approvals().len() == 1).await);
        }
        Cut::DeliveredCapturing => {
            rig.hat.select("3.00", 1);
            rig.customer(CustomerAction::Pay).await;
            // The VMC reports success at once; the cut comes as the capture is on its way.
            assert!(rig.until(|h| h.approvals().len() == 1).await);
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        Cut::CaptureNotConfirmed | Cut::ReleaseNotConfirmed => {
            rig.hat.after_approval(AfterApproval::Silent);
            rig.hat.select("3.00", 1);
            rig.customer(CustomerAction::Pay).await;
            assert!(rig.until(|h| h.approvals().len() == 1).await);
            let since = rig.block_mcash();
            rig.hat.report(cut == Cut::CaptureNotConfirmed);
            t.until_settling().await;
            rig.until_failed(since).await;
        }
    }
    t.cut_power().await;
    rig.unblock_mcash();

    // Where the power went.
    let m = rig.sim.mcash();
    let before = rig.journal_sale(&sale).await;
    // The capture may have been confirmed before the cut in this one.
    let raced = cut == Cut::DeliveredCapturing;
    assert!(raced || before.outcome.is_none(), "{before:?}");
    let approved = rig.hat.approvals().len();
    match cut {
        Cut::RequestNotSent => {
            assert!(
                m.tid_for("V1", sale.as_str()).is_none(),
                "mCASH never heard"
            );
            assert_eq!(before.pending, vec![Pending::Start]);
            assert!(before.handle.is_none());
        }
        Cut::WaitingForCustomer => assert_eq!(rig.status(&sale), "pending"),
        Cut::AuthorizedNotApproved => {
            assert_eq!(rig.status(&sale), "auth");
            assert_eq!(approved, 0, "the vend was not approved");
            assert_eq!(before.pending, vec![Pending::Start]);
        }
        Cut::ApprovedVending => {
            assert_eq!(rig.status(&sale), "auth");
            assert_eq!(before.pending, vec![Pending::Start]);
        }
        Cut::DeliveredCapturing => assert!(m.tid_for("V1", sale.as_str()).is_some()),
        Cut::CaptureNotConfirmed => {
            assert_eq!(rig.status(&sale), "auth", "not captured yet");
            assert!(
                before.pending.contains(&Pending::Capture { amount: price }),
                "{before:?}"
            );
        }
        Cut::ReleaseNotConfirmed => {
            assert_eq!(rig.status(&sale), "auth", "not released yet");
            assert!(before.pending.contains(&Pending::Release), "{before:?}");
        }
    }

    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    // The recovery has run before the terminal takes vends again.
    let status = rig.status(&sale);
    assert_ne!(
        status,
        "auth",
        "left hanging after the restart: {}",
        rig.outcome(&sale)
    );
    assert_ne!(status, "pending");
    // Nothing is approved to the machine at a start: the vend it was waiting for is gone.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rig.hat.approvals().len(), approved);
    t.cut_power().await;
    let after = rig.journal_sale(&sale).await;
    assert!(after.pending.is_empty(), "{after:?}");
    assert!(
        raced || after.after_restart,
        "resolved by the recovery: {after:?}"
    );
    (rig, sale)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_before_the_payment_request_reached_mcash_ends_it_at_start() {
    let (rig, sale) = power_cut(Cut::RequestNotSent).await;
    // mCASH's recovery re-sends the create under the sale's key: the request it makes is the
    // only one, and is aborted at once, the abort journaled first.
    assert_eq!(rig.sim.mcash().created_for_pos("V1"), 1);
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
    assert!(rig.journal_sale(&sale).await.never_reached);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_while_the_customer_pays_aborts_the_request_at_start() {
    let (rig, sale) = power_cut(Cut::WaitingForCustomer).await;
    assert!(rig.ended_uncharged(&sale));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_after_the_authorization_before_the_vend_releases_at_start() {
    let (rig, sale) = power_cut(Cut::AuthorizedNotApproved).await;
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_between_approval_and_the_vmc_result_releases_at_start() {
    let (rig, sale) = power_cut(Cut::ApprovedVending).await;
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_after_the_vmc_reported_success_captures_at_start() {
    let (rig, sale) = power_cut(Cut::DeliveredCapturing).await;
    assert_eq!(rig.captured(&sale), vec!["3.00".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_with_the_capture_intent_on_disk_captures_at_start() {
    let (rig, sale) = power_cut(Cut::CaptureNotConfirmed).await;
    assert_eq!(rig.captured(&sale), vec!["3.00".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_power_cut_with_the_release_intent_on_disk_releases_at_start() {
    let (rig, sale) = power_cut(Cut::ReleaseNotConfirmed).await;
    assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
}

// ---- the socket API, and a pay-first provider ----

async fn socket_rig(extra: &str) -> (Rig, std::path::PathBuf) {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .expect("simulator");
    let hat = SimHat::start().expect("unused");
    let dir = TempDir::new("vend-socket");
    let path = dir.path().join("vend.sock");
    let controller = format!("kind = \"socket\"\nsocket_path = {path:?}\n{extra}\n");
    let config = load(&config_text(&sim, &dir, &controller), &dir);
    (
        Rig {
            sim,
            hat,
            config,
            _dir: dir,
        },
        path,
    )
}

type Reading = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

/// A machine's computer on the JSON API: one connection, a line each way.
struct Client {
    lines: tokio::io::Lines<tokio::io::BufReader<Reading>>,
    write: Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
}

impl Client {
    async fn connect(path: &std::path::Path) -> Client {
        let s = tokio::net::UnixStream::connect(path)
            .await
            .expect("connect");
        let (r, w) = s.into_split();
        Client::over(Box::new(r), Box::new(w))
    }

    async fn connect_tcp(addr: std::net::SocketAddr) -> Client {
        let s = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect over TCP");
        let (r, w) = s.into_split();
        Client::over(Box::new(r), Box::new(w))
    }

    fn over(r: Reading, w: Box<dyn tokio::io::AsyncWrite + Unpin + Send>) -> Client {
        use tokio::io::AsyncBufReadExt;
        Client {
            lines: tokio::io::BufReader::new(r).lines(),
            write: w,
        }
    }

    async fn send(&mut self, line: &str) {
        use tokio::io::AsyncWriteExt;
        self.write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write");
    }

    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(15), self.lines.next_line())
            .await
            .expect("an answer within 15 s")
            .expect("read")
            .expect("a line");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_api_vends_reports_and_names_bad_input() {
    let (rig, path) = socket_rig("").await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    let mut c = Client::connect(&path).await;
    for (bad, says) in [
        ("not json", "not JSON"),
        ("{\"price\":\"2.50\"}", "missing \"op\""),
        ("{\"op\":\"vend\",\"price\":2.5}", "JSON float"),
        ("{\"op\":\"vend\",\"price\":\"2.505\"}", "price"),
        ("{\"op\":\"vend\"}", "missing \"price\""),
        ("{\"op\":\"success\"}", "no authorized vend"),
        ("{\"op\":\"fly\"}", "unknown op"),
    ] {
        c.send(bad).await;
        let a = c.next().await;
        assert_eq!(a["event"], "error", "{bad}: {a}");
        assert!(
            a["error"].as_str().unwrap_or("").contains(says),
            "{bad}: {a}"
        );
    }
    c.send("{\"op\":\"status\"}").await;
    assert_eq!(c.next().await["state"], "idle");
    c.send("{\"op\":\"vend\",\"price\":\"12.00\",\"item\":4}")
        .await;
    rig.wait_open_request().await;
    c.send("{\"op\":\"status\"}").await;
    let s = c.next().await;
    assert_eq!(
        (s["state"].as_str(), s["price"].as_str()),
        (Some("paying"), Some("12.00"))
    );
    rig.customer(CustomerAction::Pay).await;
    let a = c.next().await;
    assert_eq!(a["event"], "authorized", "{a}");
    assert_eq!(a["price"], "12.00");
    c.send("{\"op\":\"success\"}").await;
    assert_eq!(c.next().await["event"], "ok");
    let settled = c.next().await;
    assert_eq!(settled["event"], "settled", "{settled}");
    assert_eq!(settled["charged"], true);
    let sale = SaleKey::parse(a["sale"].as_str().unwrap_or("")).unwrap();
    assert_eq!(rig.captured(&sale), vec!["12.00".to_string()]);

    // A vend the machine cancels: the payment is aborted, nothing charged.
    c.send("{\"op\":\"vend\",\"price\":\"3.00\",\"item\":1}")
        .await;
    rig.wait_open_request().await;
    c.send("{\"op\":\"cancel\"}").await;
    assert_eq!(c.next().await["event"], "ok");
    let (sale, outcome) = t.result().await;
    assert_eq!(outcome, Outcome::Cancelled);
    assert!(rig.ended_uncharged(&sale));
    c.send("{\"op\":\"status\"}").await;
    assert_eq!(c.next().await["state"], "idle");
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vend_over_loopback_tcp_is_captured_and_a_failed_one_released() {
    // A free port: bound and let go (the terminal binds it a moment later).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let (rig, _) = socket_rig(&format!("tcp_address = \"{addr}\"")).await;
    let t = Terminal::boot(&rig.config, TIMING).await;
    t.ready().await;
    let mut c = Client::connect_tcp(addr).await;
    c.send("{\"op\":\"status\"}").await;
    assert_eq!(c.next().await["state"], "idle");
    for (price, result, charged) in [("6.50", "success", true), ("2.00", "failure", false)] {
        c.send(&format!(
            "{{\"op\":\"vend\",\"price\":\"{price}\",\"item\":2}}"
        ))
        .await;
        rig.customer(CustomerAction::Pay).await;
        let a = c.next().await;
        assert_eq!(
            (a["event"].as_str(), a["price"].as_str()),
            (Some("authorized"), Some(price)),
            "{a}"
        );
        c.send(&format!("{{\"op\":\"{result}\"}}")).await;
        assert_eq!(c.next().await["event"], "ok");
        let settled = c.next().await;
        assert_eq!(settled["event"], "settled", "{settled}");
        assert_eq!(settled["charged"], charged, "{settled}");
        let sale = SaleKey::parse(a["sale"].as_str().unwrap_or("")).unwrap();
        if charged {
            assert_eq!(rig.captured(&sale), vec![price.to_string()]);
        } else {
            assert!(rig.ended_uncharged(&sale), "{}", rig.outcome(&sale));
        }
    }
    t.cut_power().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pay_first_provider_is_refunded_by_itself_after_a_failed_vend() {
    use crate::core::Terminal as Core;
    use crate::core::record::Record;
    use crate::core::{Millis, Mode, Settings};
    use crate::providers::PaymentProvider;
    use crate::providers::fake::FakeProvider;
    use crate::runtime::{JournalWriter, MemoryJournal, Runtime, RuntimeOptions};

    let clock = Clock::starting_at(Millis(1_700_000_000_000));
    let journal = MemoryJournal::default();
    let fake = Arc::new(FakeProvider::new(2, clock, journal.clone()).without_auth_capture());
    let mut settings = Settings::demo("V1");
    settings.mode = Mode::Vending;
    settings.poll_interval_ms = 50;
    let core = Core::new(settings, vec![fake.info()], 1, Vec::new());
    let rt = Runtime::start(
        core,
        vec![fake.clone() as Arc<dyn PaymentProvider>],
        JournalWriter::spawn(journal.clone()).unwrap(),
        clock,
        RuntimeOptions::nothing_queues(crate::money::Currency::NOK),
    );
    let (machine, bridge_link) = super::bridge::link();
    let bridge = tokio::spawn(super::bridge::run(
        rt.handle.clone(),
        rt.outputs,
        bridge_link,
        None,
        TIMING,
    ));
    let super::bridge::MachineLink {
        events,
        mut commands,
    } = machine;
    let price = crate::money::Money::from_minor(1519, crate::money::Currency::NOK);
    events
        .send(super::MachineEvent::Request {
            price,
            item: Some(2),
        })
        .unwrap();
    let approve = tokio::time::timeout(Duration::from_secs(5), commands.recv())
        .await
        .unwrap();
    let Some(super::MachineCommand::Approve { sale, .. }) = approve else {
        panic!("{approve:?}");
    };
    events
        .send(super::MachineEvent::Result {
            delivered: false,
            why: "jammed".into(),
        })
        .unwrap();
    let settled = tokio::time::timeout(Duration::from_secs(5), commands.recv())
        .await
        .unwrap();
    assert!(
        matches!(
            &settled,
            Some(super::MachineCommand::Settled { charged: false, .. })
        ),
        "{settled:?}"
    );
    for _ in 0..100 {
        if journal
            .entries()
            .iter()
            .any(|e| matches!(e.record, Record::Refunded { .. }))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let records: Vec<Record> = journal
        .entries()
        .into_iter()
        .filter(|e| e.sale == sale)
        .map(|e| e.record)
        .collect();
    let paid = records.iter().position(|r| {
        matches!(
            r,
            Record::Outcome {
                outcome: Outcome::Approved { .. },
                ..
            }
        )
    });
    let intent = records
        .iter()
        .position(|r| matches!(r, Record::RefundIntent { amount, .. } if *amount == price));
    let refunded = records
        .iter()
        .position(|r| matches!(r, Record::Refunded { .. }));
    assert!(
        paid.is_some() && intent > paid && refunded > intent,
        "{records:?}"
    );
    let calls = fake.state.lock().unwrap().calls.clone();
    assert_eq!(
        calls.iter().filter(|c| **c == "refund").count(),
        1,
        "{calls:?}"
    );
    assert!(!calls.contains(&"capture"));
    bridge.abort();
    rt.task.abort();
}
