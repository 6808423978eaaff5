//! What every check starts from: a simulator on 127.0.0.1:0, a temp folder with the config
//! text (and its `*_file` secrets), the config read through the product's reader, the provider
//! built from it, and a client of the simulator's control API.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::ConformanceSubject;
use crate::config::{Config, LoadContext};
use crate::core::sale::{Capture, SaleKey, SaleRequest};
use crate::money::Money;
use crate::providers::PaymentProvider;
use crate::sim::{FaultSettings, RunningSim, SimOptions, Simulator};

/// Secret values put into the config, each unique to one run so that a hit is never a
/// coincidence. A subject uses those its provider has.
#[derive(Clone, Debug)]
pub struct Canaries {
    /// A client secret or password.
    pub secret: String,
    /// A PIN (agent PIN).
    pub pin: String,
    /// A token (testbed token, API token).
    pub token: String,
}

impl Canaries {
    fn new(run: &str) -> Canaries {
        Canaries {
            secret: format!("canarySecret{run}"),
            pin: format!("9{}", &run[run.len().saturating_sub(5)..]),
            token: format!("canaryToken{run}"),
        }
    }
}

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "kassa-kit-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the kit's temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A unique run label (digits), for canaries and sale keys.
fn run_label() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}{:09}{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The config text for a subject: a terminal, its journal in `dir`, and the provider's table.
pub fn config_text<S: ConformanceSubject>(
    base_url: &str,
    dir: &Path,
    canaries: &Canaries,
) -> String {
    let currency = S::sim_currencies()
        .first()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| "NOK".to_string());
    let journal = dir.join("journal");
    format!(
        "[terminal]\nid = \"kit\"\ncurrency = \"{currency}\"\nmax_amount = \"10000\"\n\
         poll_interval_ms = 200\n\n[storage]\npath = {journal:?}\ncache_mb = 4\n\n{}\n",
        S::config_table(base_url, canaries)
    )
}

/// Writes the subject's files into `dir` and reads `text` through the product's config reader.
pub fn load_config<S: ConformanceSubject>(text: &str, dir: &Path, canaries: &Canaries) -> Config {
    for (name, contents) in S::files(canaries) {
        std::fs::write(dir.join(&name), contents).expect("write a config file");
    }
    let ctx = LoadContext {
        config_dir: dir.to_path_buf(),
        credentials_directory: None,
        state_directory: None,
    };
    match Config::from_toml_str_in(text, "kit.toml", &ctx) {
        Ok(config) => config,
        Err(e) => panic!("the subject's config does not load: {e}"),
    }
}

/// A running check environment.
pub struct Env<S: ConformanceSubject> {
    pub sim: RunningSim,
    pub control: Control,
    pub canaries: Canaries,
    pub config: Config,
    pub provider: Arc<dyn PaymentProvider>,
    /// Unique per environment; sale keys start with it.
    pub run: String,
    pub dir: TempDir,
    _subject: PhantomData<S>,
}

impl<S: ConformanceSubject> Env<S> {
    pub async fn start() -> Env<S> {
        Env::start_with(SimOptions::default()).await
    }

    /// With simulator options (an autopilot customer, for sales through the runtime).
    pub async fn start_with(options: SimOptions) -> Env<S> {
        let sim = Simulator::start(([127, 0, 0, 1], 0).into(), options)
            .await
            .expect("start the simulator");
        let run = run_label();
        let canaries = Canaries::new(&run);
        let dir = TempDir::new(S::ID);
        let base_url = sim
            .base_url(S::ID)
            .unwrap_or_else(|| panic!("the simulator serves no {}", S::ID));
        let text = config_text::<S>(&base_url, dir.path(), &canaries);
        let config = load_config::<S>(&text, dir.path(), &canaries);
        let control = Control::new(sim.root_url(), S::ID);
        for (command, body) in S::sim_setup(&canaries) {
            control.command(&command, body).await;
        }
        let provider = super::build::<S>(&config).expect("build the provider from its config");
        Env {
            sim,
            control,
            canaries,
            config,
            provider,
            run,
            dir,
            _subject: PhantomData,
        }
    }

    /// A sale of `amount` under a key unique to this environment (`n` tells sales apart).
    pub fn sale(&self, n: u32, amount: Money) -> SaleRequest {
        SaleRequest {
            key: SaleKey::parse(&format!("kit{}-{n:06}", self.run)).expect("a valid sale key"),
            amount,
            flow: S::flow(),
            capture: Capture::Sale,
        }
    }

    pub async fn payments(&self) -> u64 {
        S::payments_at_sim(&self.control.counters().await)
    }

    pub async fn auth_rejections(&self) -> u64 {
        S::auth_rejections(&self.control.counters().await)
    }
}

/// The simulator's control API for one provider (`/control/<id>/...`), over HTTP like any
/// test or demo would use it.
pub struct Control {
    http: reqwest::Client,
    root: String,
    id: &'static str,
}

impl Control {
    pub fn new(root: &str, id: &'static str) -> Control {
        Control {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .no_proxy()
                .build()
                .expect("a control client"),
            root: root.trim_end_matches('/').to_string(),
            id,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Value {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("control {what}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "control {what}: {status} {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("control {what}: {e}: {text}"))
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/control/{}/{rest}", self.root, self.id)
    }

    pub async fn counters(&self) -> Value {
        self.send(self.http.get(self.url("counters")), "counters")
            .await
    }

    pub async fn faults(&self, settings: FaultSettings) {
        self.send(self.http.put(self.url("faults")).json(&settings), "faults")
            .await;
    }

    pub async fn revoke(&self, revoked: bool) {
        let body = json!({ "revoked": revoked });
        self.send(
            self.http.post(self.url("credentials")).json(&body),
            "credentials",
        )
        .await;
    }

    pub async fn command(&self, command: &str, body: Value) -> Value {
        let url = self.url(&format!("x/{command}"));
        self.send(self.http.post(url).json(&body), command).await
    }

    /// This provider's open payment requests, as the customer page lists them.
    pub async fn open_requests(&self) -> Vec<Value> {
        let url = format!("{}/control/requests", self.root);
        let all = self.send(self.http.get(url), "requests").await;
        all.as_array()
            .map(|a| {
                a.iter()
                    .filter(|r| r["provider"] == self.id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Moves the simulator's clock.
    pub async fn advance(&self, seconds: u64) {
        let url = format!("{}/control/clock/advance", self.root);
        let body = json!({ "seconds": seconds });
        self.send(self.http.post(url).json(&body), "clock").await;
    }
}
