//! The provider against a scripted server (`providers::test_server`) instead of its simulator:
//! for answers a faithful simulator never gives (every documented code on demand, broken
//! bodies). The subject's [`Script`] answers like the provider; [`inject`] replaces the answer
//! to one request, counted from the first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::env::{Canaries, TempDir, config_text, load_config};
use super::{ConformanceSubject, Script};
use crate::core::provider::{Failure, Operation, Reply};
use crate::core::sale::{Capture, SaleKey, SaleRequest};
use crate::money::Money;
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Log, Request, serve};

/// Path under which the scripted server is configured: the provider's base URL is
/// `http://127.0.0.1:<port>/kit/`, so a script sees targets like `/kit/pos/`.
pub const PREFIX: &str = "/kit/";

/// A provider configured against a scripted server.
pub struct Scripted {
    pub provider: Arc<dyn PaymentProvider>,
    pub log: Log,
    _dir: TempDir,
}

impl Scripted {
    /// `http`: `None` builds through the product's path ([`super::build`]).
    pub async fn start<S: ConformanceSubject>(
        script: Script,
        http: Option<HttpConfig>,
    ) -> Scripted {
        let (base, log) = serve(move |r: &Request| script(r)).await;
        let dir = TempDir::new("scripted");
        let canaries = Canaries {
            secret: "scripted-secret".into(),
            pin: "4321".into(),
            token: "scripted-token".into(),
        };
        let text = config_text::<S>(&format!("{base}{PREFIX}"), dir.path(), &canaries);
        let config = load_config::<S>(&text, dir.path(), &canaries);
        let provider = match http {
            None => super::build::<S>(&config),
            Some(http) => S::build_with_http(&config, http).map(|b| b.provider),
        }
        .expect("build the provider for the scripted server");
        Scripted {
            provider,
            log,
            _dir: dir,
        }
    }

    pub fn requests(&self) -> usize {
        self.log.lock().map(|l| l.len()).unwrap_or(0)
    }

    pub async fn call(&self, op: Operation) -> Result<Reply, Failure> {
        self.provider.call(op).await
    }
}

/// `base`, except that request number `at` (0-based, in arrival order) gets `answer`.
pub fn inject(base: Script, at: usize, answer: Answer) -> Script {
    let n = AtomicUsize::new(0);
    Arc::new(move |r: &Request| {
        if n.fetch_add(1, Ordering::SeqCst) == at {
            answer.clone()
        } else {
            base(r)
        }
    })
}

/// The kit's sale against a scripted server.
pub fn sale<S: ConformanceSubject>(amount: Money) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse("kit-000042").expect("a valid sale key"),
        amount,
        flow: S::flow(),
        capture: Capture::Sale,
    }
}

/// The kit's amount against a scripted server, in the subject's first currency.
pub fn amount<S: ConformanceSubject>() -> Money {
    let currency = S::sim_currencies()
        .first()
        .copied()
        .unwrap_or(crate::money::Currency::NOK);
    Money::from_minor(1250, currency)
}
