//! `cargo bench --bench pay`: time from the start of `kassa pay` to the QR code being printed,
//! and to the result, against the in-process mCASH simulator whose customer pays at once.
//! Each sale goes through the real runtime, core, HTTP client and sled journal.
//!
//! Reported as a distribution over many sales: machines here are shared and noisy, so read the
//! median, not a single run.

use std::io::Write;
use std::time::{Duration, Instant};

use kassa::config::Config;
use kassa::pay::{PayRequest, pay};
use kassa::sim::{SimOptions, Simulator};

/// Output sink that notes when the QR payload line was written.
struct Timed {
    start: Instant,
    qr_at: Option<Duration>,
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.qr_at.is_none() && String::from_utf8_lossy(buf).contains("QR payload:") {
            self.qr_at = Some(self.start.elapsed());
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn summary(name: &str, mut xs: Vec<Duration>) {
    xs.sort();
    let pick = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<28} n={:<3} p50={:>8.1?} p90={:>8.1?} max={:>8.1?}",
        xs.len(),
        pick(0.5),
        pick(0.9),
        pick(1.0)
    );
}

fn main() {
    let sales: usize = std::env::var("KASSA_BENCH_SALES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
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
        let dir = std::env::temp_dir().join(format!("kassa-bench-pay-{}", std::process::id()));
        for poll_ms in [1000u64, 100] {
            let mut config = Config::demo(sim.root_url());
            config.storage.path = dir.join(format!("poll-{poll_ms}"));
            config.terminal.poll_interval_ms = poll_ms;
            let request = PayRequest {
                provider: "mcash".into(),
                amount: "12.50".into(),
                phone: None,
                ..Default::default()
            };
            let (mut to_qr, mut to_result) = (Vec::new(), Vec::new());
            for _ in 0..sales {
                let mut out = Timed {
                    start: Instant::now(),
                    qr_at: None,
                };
                let result = pay(&config, &request, &mut out, std::future::pending())
                    .await
                    .expect("sale");
                assert_eq!(result.exit_code(), 0, "{result:?}");
                to_result.push(out.start.elapsed());
                to_qr.push(out.qr_at.expect("QR printed"));
            }
            println!("poll interval {poll_ms} ms:");
            summary("  pay start -> QR printed", to_qr);
            summary("  pay start -> result", to_result);
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
