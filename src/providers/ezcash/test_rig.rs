//! What the eZ Cash provider tests share: a simulator with a provider built against it (its
//! client clock movable), and sale requests.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;

use super::client::{ApiPath, EzcashClient, EzcashConfig};
use super::config::demo;
use super::token::Clock;
use super::{AgentConfig, EzcashProvider};
use crate::core::provider::{
    FieldValue, Operation, PaymentHandle, PaymentStatus, Prompt, Reply, ServiceId,
};
use crate::core::sale::{Capture, Flow, Msisdn, SaleKey, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::conformance::env::TempDir;
use crate::providers::http::HttpConfig;
use crate::sim::{ProviderSim, RunningSim, SimOptions, Simulator};

pub(super) const SUBSCRIBER: &str = "769983684";

/// A client clock the test moves: system time plus an offset.
#[derive(Clone, Default)]
pub(super) struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub fn clock(&self) -> Clock {
        let offset = self.0.clone();
        let system = super::token::system_clock();
        Arc::new(move || system() + offset.load(Ordering::SeqCst))
    }
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

pub(super) fn client_config(base: &str, dir: &Path, api: ApiPath) -> EzcashConfig {
    EzcashConfig {
        base_url: base.to_string(),
        api,
        consumer_key: demo::CONSUMER_KEY.to_string(),
        consumer_secret: SecretString::from(demo::CONSUMER_SECRET),
        username: demo::USERNAME.to_string(),
        password: SecretString::from(demo::PASSWORD),
        scope: "PRODUCTION".to_string(),
        token_file: Some(dir.join("ezcash").join("token.json")),
        throttle_backoff: vec![Duration::from_millis(10), Duration::from_millis(20)],
        http: HttpConfig {
            total_timeout: Duration::from_secs(5),
            ..HttpConfig::default()
        },
    }
}

pub(super) fn provider_with(
    config: EzcashConfig,
    pin: Option<&str>,
    clock: Clock,
) -> EzcashProvider {
    let client = EzcashClient::new(config, clock.clone()).expect("a client");
    EzcashProvider::new(
        client,
        AgentConfig {
            alias: demo::AGENT_ALIAS.to_string(),
            pin: pin.map(SecretString::from),
            mobile: Some("773331194".to_string()),
            approval_seconds: 180,
        },
        clock,
    )
}

pub(super) struct Rig {
    pub sim: RunningSim,
    pub dir: TempDir,
    pub clock: TestClock,
}

impl Rig {
    pub async fn start() -> Rig {
        let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
            .await
            .expect("the simulator");
        Rig {
            sim,
            dir: TempDir::new("ezcash-flow"),
            clock: TestClock::default(),
        }
    }

    pub fn base(&self) -> String {
        self.sim.base_url("ezcash").expect("the eZ Cash simulator")
    }

    pub fn provider(&self, pin: Option<&str>) -> EzcashProvider {
        self.provider_at(ApiPath::V1, pin)
    }

    pub fn provider_at(&self, api: ApiPath, pin: Option<&str>) -> EzcashProvider {
        provider_with(
            client_config(&self.base(), self.dir.path(), api),
            pin,
            self.clock.clock(),
        )
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.sim.ezcash().counters()[name].as_u64().unwrap_or(0)
    }

    pub fn control(&self, command: &str, body: serde_json::Value) -> serde_json::Value {
        self.sim
            .ezcash()
            .control(command, body)
            .unwrap_or_else(|e| panic!("control {command}: {e}"))
    }

    pub fn wallet(&self, id: &str) -> i64 {
        self.sim
            .ezcash()
            .wallet(id)
            .map(|m| m.minor())
            .unwrap_or(-1)
    }

    pub fn token_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ezcash").join("token.json"))
            .unwrap_or_default()
    }
}

pub(super) fn lkr(minor: i64) -> Money {
    Money::from_minor(minor, Currency::LKR)
}

pub(super) fn push(key: &str, minor: i64) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse(key).unwrap(),
        amount: lkr(minor),
        flow: Flow::Push {
            phone: Msisdn::parse(SUBSCRIBER).unwrap(),
        },
        capture: Capture::Sale,
    }
}

pub(super) fn service(key: &str, minor: i64, id: &str, inputs: Vec<FieldValue>) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse(key).unwrap(),
        amount: lkr(minor),
        flow: Flow::Service {
            service: ServiceId::new(id),
            inputs,
        },
        capture: Capture::Sale,
    }
}

pub(super) async fn started(p: &EzcashProvider, req: SaleRequest) -> (PaymentHandle, Prompt) {
    match p.call(Operation::Start(req)).await {
        Ok(Reply::Started { handle, prompt }) => (handle, prompt),
        other => panic!("a start: {other:?}"),
    }
}

pub(super) async fn status(p: &EzcashProvider, handle: &PaymentHandle) -> PaymentStatus {
    match p.call(Operation::Status(handle.clone())).await {
        Ok(Reply::Status(s)) => s,
        other => panic!("a status: {other:?}"),
    }
}

pub(super) async fn failure(p: &EzcashProvider, op: Operation) -> crate::core::provider::Failure {
    match p.call(op).await {
        Err(f) => f,
        Ok(r) => panic!("expected a failure, got {r:?}"),
    }
}
