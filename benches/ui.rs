//! `cargo bench --bench ui`: the touchscreen's costs.
//!
//! 1. process start -> first frame: `kassa screens` (a real process, the off-screen software
//!    renderer, embedded fonts) until its first PNG is on disk;
//! 2. render time of the QR screen at 800x480 with the software renderer (full repaints);
//! 3. resident memory after 100 sales: the terminal as `kassa run` starts it in demo mode
//!    (in-process simulators, the same start-up and window glue), driven through the window's
//!    callbacks with an off-screen window, since no display is assumed here;
//! 4. CPU while idle on the amount screen: a real `kassa run` under an X server (`DISPLAY`, or
//!    `xvfb-run` when installed), 10 s of its user+system time; skipped without one.
//!
//! Machines here are shared and noisy: read the medians.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kassa::config::Config;
use kassa::runtime::Clock;
use kassa::sim::{CustomerAction, ProviderSim, SimOptions, Simulator};
use kassa::ui::fill::Filler;
use kassa::ui::headless::{OffscreenWindow, pump};
use kassa::ui::{Nav, Page, Sale, samples};
use slint::ComponentHandle;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("kassa-bench-ui-{}-{name}", std::process::id()))
}

fn start_to_first_frame() {
    let mut times = Vec::new();
    for i in 0..5 {
        let dir = temp(&format!("screens-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        let first = dir.join("01-recovering.png");
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
            .args(["screens", "--out"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kassa screens");
        while !first.exists() {
            std::thread::sleep(Duration::from_millis(1));
        }
        times.push(start.elapsed());
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "process start -> first frame (kassa screens)  p50 {:>8.1?}",
        median(times)
    );
}

fn qr_render_time() {
    let window = OffscreenWindow::new(800, 480).expect("off-screen window");
    let (_, view) = samples::all()
        .into_iter()
        .find(|(n, _)| n.ends_with("-qr"))
        .expect("a QR sample");
    Filler::new().fill(&window.app, &view, samples::NOW);
    let _ = window.render();
    let times: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let _ = window.render();
            t.elapsed()
        })
        .collect();
    println!(
        "QR screen render 800x480 (software, full)      p50 {:>8.1?}",
        median(times)
    );
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn wait_until(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "a sale got stuck"
        );
        pump();
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn memory_after_sales(sales: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let sim = rt
        .block_on(Simulator::start(
            "127.0.0.1:0".parse().expect("addr"),
            SimOptions::default(),
        ))
        .expect("simulator");
    let mut config = Config::demo(sim.root_url());
    let dir = temp("journal");
    let _ = std::fs::remove_dir_all(&dir);
    config.storage.path = dir.clone();
    config.terminal.poll_interval_ms = 50;
    let runtime = rt
        .block_on(kassa::ui::run::start_terminal(&config))
        .expect("terminal");
    let window = OffscreenWindow::new(800, 480).expect("off-screen window");
    let _timer = kassa::ui::run::attach(&window.app, &runtime.handle, Clock::system());
    let nav = window.app.global::<Nav>();
    let sale = window.app.global::<Sale>();
    let enter = char::from(slint::platform::Key::Return).to_string();
    wait_until(|| nav.get_page() == Page::Amount);
    let before = rss_kib();
    let start = Instant::now();
    for i in 0..sales {
        for d in format!("{}", 100 + i).chars() {
            nav.invoke_key(d.to_string().into());
        }
        // One provider: Pay shows its QR at once.
        nav.invoke_key(enter.clone().into());
        wait_until(|| nav.get_page() == Page::Paying && !sale.get_countdown().is_empty());
        let _ = window.render();
        for req in sim.mcash().open_requests() {
            if let Some(target) = &req.waiting_for_scan {
                let _ = sim.mcash().scan(target, None);
            }
            let _ = sim.mcash().act(&req.id, CustomerAction::Pay);
        }
        wait_until(|| nav.get_page() == Page::Result);
        let _ = window.render();
        nav.invoke_key(enter.clone().into());
        wait_until(|| nav.get_page() == Page::Amount);
    }
    let after = rss_kib();
    println!(
        "resident memory, demo terminal + window: {} KiB at start, {} KiB after {sales} sales ({:.1?})",
        before.map_or("?".into(), |k| k.to_string()),
        after.map_or("?".into(), |k| k.to_string()),
        start.elapsed()
    );
    runtime.task.abort();
    let _ = rt.block_on(runtime.task);
    drop(sim);
    rt.shutdown_timeout(Duration::from_secs(2));
    let _ = std::fs::remove_dir_all(&dir);
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn idle_cpu() {
    let has_display = std::env::var_os("DISPLAY").is_some();
    let xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_display && !xvfb {
        println!("idle CPU on the amount screen: skipped (no DISPLAY and no xvfb-run)");
        return;
    }
    let dir = temp("idle");
    let _ = std::fs::create_dir_all(&dir);
    let kassa = env!("CARGO_BIN_EXE_kassa");
    let mut cmd = if has_display {
        Command::new(kassa)
    } else {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 800x480x24", kassa]);
        c
    };
    let mut child = cmd
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kassa run");
    std::thread::sleep(Duration::from_secs(5));
    // The kassa process: the child itself, or xvfb-run's child of that name.
    let pid = if has_display {
        Some(child.id())
    } else {
        Command::new("pgrep")
            .args(["-P", &child.id().to_string(), "-x", "kassa"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    };
    let Some(pid) = pid else {
        println!("idle CPU on the amount screen: kassa run did not start");
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let hz = 100.0; // USER_HZ on Linux
    let t0 = cpu_ticks(pid);
    let secs = 10.0;
    std::thread::sleep(Duration::from_secs_f64(secs));
    let t1 = cpu_ticks(pid);
    match (t0, t1) {
        (Some(a), Some(b)) => println!(
            "idle CPU on the amount screen (kassa run, X)  {:.2} % of one core over {secs} s",
            (b - a) as f64 / hz / secs * 100.0
        ),
        _ => println!("idle CPU on the amount screen: kassa run stopped"),
    }
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let sales = std::env::var("KASSA_BENCH_SALES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    start_to_first_frame();
    qr_render_time();
    memory_after_sales(sales);
    idle_cpu();
}
