//! Check 7: canary secrets set in the config never appear in the `tracing` output (captured at
//! TRACE), the journal files of a sale run through the real runtime, the console of that sale,
//! the `Debug` output of the config and the provider, or the texts of failures and config
//! errors.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, filter};

use super::env::{Canaries, config_text};
use super::{ConformanceSubject, Env};
use crate::config::{Config, LoadContext};
use crate::core::provider::{Operation, Reply};
use crate::money::Money;
use crate::pay::{PayRequest, pay};
use crate::providers::http::HttpConfig;
use crate::sim::{FaultSettings, SimOptions};

/// Everything logged while a canary check runs, from every thread.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    on: Arc<AtomicBool>,
    /// Only one canary check captures at a time.
    turn: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once per test process, a global TRACE subscriber that writes into a buffer while
/// a check has it switched on (and costs nothing otherwise).
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer: Arc<Mutex<Vec<u8>>> = Arc::default();
        let on = Arc::new(AtomicBool::new(false));
        let writer = BufferWriter(buffer.clone());
        let gate = on.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .with_filter(filter::LevelFilter::TRACE)
            .with_filter(filter::filter_fn(move |_| gate.load(Ordering::Relaxed)));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in the test process");
        tracing::callsite::rebuild_interest_cache();
        Capture {
            buffer,
            on,
            turn: tokio::sync::Mutex::new(()),
        }
    })
}

/// Where a secret was found, if anywhere.
fn leaks(secrets: &[String], place: &str, bytes: &[u8]) -> Vec<String> {
    secrets
        .iter()
        .filter(|s| !s.is_empty() && bytes.windows(s.len()).any(|w| w == s.as_bytes()))
        .map(|s| format!("{place} holds secret {s:?}"))
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// Config error texts for broken copies of the config: an unknown key holding the secret, and
/// a syntax error on the secret's line.
fn config_error_texts(text: &str, dir: &Path, canaries: &Canaries) -> Vec<String> {
    let ctx = LoadContext {
        config_dir: dir.to_path_buf(),
        credentials_directory: None,
        state_directory: None,
    };
    let mut texts = Vec::new();
    let unknown = text.replacen(
        "[terminal]\n",
        &format!("[terminal]\nsecrett = \"{}\"\n", canaries.secret),
        1,
    );
    let broken = text.replacen(
        &format!("\"{}\"", canaries.secret),
        &format!("\"{}", canaries.secret),
        1,
    );
    for variant in [unknown, broken] {
        match Config::from_toml_str_in(&variant, "kit.toml", &ctx) {
            Ok(_) => panic!("a broken config loaded:\n{variant}"),
            Err(e) => texts.push(format!("{e}\n{e:?}")),
        }
    }
    texts
}

pub async fn canaries_stay_inside<S: ConformanceSubject>() {
    let cap = capture();
    let _turn = cap.turn.lock().await;
    if let Ok(mut b) = cap.buffer.lock() {
        b.clear();
    }
    cap.on.store(true, Ordering::SeqCst);
    tracing::trace!("canary check: capture on");

    let env = Env::<S>::start_with(SimOptions {
        autopilot: Some(Duration::from_millis(300)),
        ..SimOptions::default()
    })
    .await;
    let secrets = S::secret_texts(&env.canaries);
    assert!(!secrets.is_empty(), "the subject names no secret");
    let text = config_text::<S>(
        &env.sim.base_url(S::ID).unwrap_or_default(),
        env.dir.path(),
        &env.canaries,
    );
    // The canaries are in the config (the check would prove nothing otherwise).
    let on_disk: Vec<u8> = {
        let mut all = text.clone().into_bytes();
        for (_, contents) in S::files(&env.canaries) {
            all.extend_from_slice(contents.as_bytes());
        }
        all
    };
    for s in &secrets {
        assert!(
            !leaks(std::slice::from_ref(s), "config", &on_disk).is_empty(),
            "secret {s:?} is not in the config"
        );
    }

    let mut found = Vec::new();

    // A sale through the real runtime and journal, the autopilot customer paying.
    let mut console: Vec<u8> = Vec::new();
    let request = PayRequest {
        provider: S::ID.to_string(),
        amount: "12.50".to_string(),
        phone: None,
        ..Default::default()
    };
    let sale = tokio::time::timeout(
        Duration::from_secs(30),
        pay(&env.config, &request, &mut console, std::future::pending()),
    )
    .await
    .expect("the sale ends within 30 s")
    .expect("the sale runs");
    assert_eq!(
        sale.exit_code(),
        0,
        "the autopilot customer pays: {sale:?}\n{}",
        String::from_utf8_lossy(&console)
    );
    found.extend(leaks(&secrets, "the console", &console));
    let mut journal = Vec::new();
    files_under(&env.config.storage.path, &mut journal);
    assert!(!journal.is_empty(), "the sale wrote no journal files");
    for (path, bytes) in &journal {
        found.extend(leaks(&secrets, path, bytes));
    }

    // Debug output.
    let built = S::build_with_http(&env.config, HttpConfig::default()).expect("build");
    for (place, text) in [
        ("Debug of the config", format!("{:?}", env.config)),
        ("pretty Debug of the config", format!("{:#?}", env.config)),
        ("Debug of the provider", built.debug.clone()),
    ] {
        found.extend(leaks(&secrets, place, text.as_bytes()));
    }

    // Failures: refused credentials, a proxy's 502, and a broken config.
    let p = &env.provider;
    let sale = env.sale(7, Money::from_minor(100, env.config.terminal.currency));
    let handle = match p.call(Operation::Start(sale.clone())).await {
        Ok(Reply::Started { handle, .. }) => handle,
        other => panic!("a start: {other:?}"),
    };
    let mut failures = Vec::new();
    env.control.revoke(true).await;
    failures.push(p.call(Operation::Status(handle.clone())).await);
    failures.push(p.call(Operation::Start(env.sale(8, sale.amount))).await);
    env.control.revoke(false).await;
    env.control
        .faults(FaultSettings {
            fail_next: 2,
            ..FaultSettings::default()
        })
        .await;
    failures.push(p.call(Operation::Status(handle.clone())).await);
    failures.push(p.call(Operation::Recover(sale.clone())).await);
    let failure_texts: Vec<String> = failures
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|f| format!("{f}\n{f:?}"))
        .collect();
    assert!(failure_texts.len() >= 3, "failures expected: {failures:?}");
    for t in failure_texts {
        found.extend(leaks(&secrets, "a failure text", t.as_bytes()));
    }
    for t in config_error_texts(&text, env.dir.path(), &env.canaries) {
        found.extend(leaks(&secrets, "a config error", t.as_bytes()));
    }
    tracing::trace!("canary check: capture off");
    cap.on.store(false, Ordering::SeqCst);
    let logged = cap.buffer.lock().map(|b| b.clone()).unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&logged).contains("canary check: capture on"),
        "the tracing capture saw nothing"
    );
    assert!(
        logged.windows(5).any(|w| w == b"TRACE" || w == b"DEBUG"),
        "the capture is not at TRACE level"
    );
    found.extend(leaks(&secrets, "the tracing output", &logged));
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}
