//! The keypad scanner's CPU: the real scanning thread (100 scans a second, 4 rows, a 10 us
//! settle after each row) against the simulated pin bank, for KASSA_BENCH_SECONDS (default 10)
//! seconds with a key pressed now and then. CPU is the process's on-CPU time from
//! /proc/self/task/*/schedstat (nanoseconds), read while the keypad thread runs, so only it and
//! this mostly sleeping main thread count. Run: `cargo bench --bench keypad`.

use std::time::{Duration, Instant};

use kassa::hw::keypad::{Keypad, KeypadLayout, ScanTiming};
use kassa::hw::pins::SimPinBank;

/// Nanoseconds on a CPU, summed over this process's threads.
fn cpu_ns() -> u64 {
    let mut total = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
                total += s
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    total
}

fn main() {
    let seconds: u64 = std::env::var("KASSA_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (bank, keys) = SimPinBank::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let before = cpu_ns();
    let start = Instant::now();
    let keypad = match Keypad::spawn(
        Box::new(bank),
        KeypadLayout::default(),
        ScanTiming::default(),
        move |e| {
            let _ = tx.send(e);
        },
    ) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("cannot start the keypad: {e}");
            std::process::exit(1);
        }
    };
    // A key tapped once a second (100 ms down), as a cashier might.
    while start.elapsed() < Duration::from_secs(seconds) {
        keys.press(1, 1);
        std::thread::sleep(Duration::from_millis(100));
        keys.release(1, 1);
        std::thread::sleep(Duration::from_millis(900));
    }
    // Measured while the keypad thread still lives: a finished thread leaves /proc/self/task.
    let wall = start.elapsed();
    let cpu = cpu_ns().saturating_sub(before);
    let _ = keypad.stop();
    let presses = rx.try_iter().count();
    let percent = cpu as f64 / wall.as_nanos() as f64 * 100.0;
    println!(
        "keypad: {presses} presses seen in {:.1} s; CPU {:.2} ms = {percent:.3} % of one core",
        wall.as_secs_f64(),
        cpu as f64 / 1e6
    );
}
