//! The `kassa` command line as a newcomer and an installer use it: a real child process.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kassa(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kassa");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait for kassa")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kassa-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("kassa.toml");
    std::fs::write(&path, content).expect("write config");
    path
}

#[test]
fn help_and_version() {
    let o = kassa(&["--help"], None);
    assert!(o.status.success());
    assert!(text(&o).contains("config"));
    let o = kassa(&["--version"], None);
    assert!(text(&o).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn the_shipped_example_config_checks_ok() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml");
    let o = kassa(&["config", "check", example], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().last(),
        Some("ok")
    );
}

#[test]
fn a_bad_config_names_key_and_line_and_never_prints_a_secret() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
            .expect("example");
    let secret = "hunter2-very-secret-value";
    // Break three things in the example: currency, limit, and a misspelt key; plant a secret.
    let broken = example
        .replacen("currency = \"NOK\"", "currency = \"NOX\"", 1)
        .replacen("max_amount = \"", "max_amount = \"-", 1)
        .replacen("[terminal]", "[terminal]\nresult_hold_secnds = 3", 1)
        .replace("demo-secret-0123456789", secret);
    let path = temp_file("bad", &broken);
    let o = kassa(
        &["config", "check", path.to_str().expect("utf-8 path")],
        None,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .expect("needle in config")
    };
    assert!(
        out.contains(&format!(":{}: terminal.currency:", line_of("\"NOX\""))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            ":{}: terminal.max_amount:",
            line_of("max_amount = \"-")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            ":{}: terminal.result_hold_secnds:",
            line_of("result_hold_secnds")
        )),
        "{out}"
    );
    assert!(!out.contains(secret), "a secret reached the output: {out}");
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let o = kassa(&["config", "check", "/nonexistent/kassa.toml"], None);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("/nonexistent/kassa.toml"), "{}", text(&o));
}

#[test]
fn hash_pin_reads_stdin_and_prints_an_argon2_hash_only() {
    let o = kassa(&["config", "hash-pin"], Some("2468\n"));
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("$argon2id$"), "{out}");
    assert!(!out.contains("2468"));
    let o = kassa(&["config", "hash-pin"], Some("12\n"));
    assert!(!o.status.success());
}

#[test]
fn run_without_a_display_says_what_to_do_and_exits_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_kassa"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("SLINT_BACKEND")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .expect("run kassa");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("no display found"), "{t}");
    assert!(t.contains("SLINT_BACKEND"), "{t}");
    assert!(t.contains("kassa pay"), "{t}");
}
/// `kassa queue` and `kassa report` on the journal of a stopped terminal.
mod queue_and_report {
    use super::{kassa, text};
    use std::path::PathBuf;

    use kassa::core::Millis;
    use kassa::core::provider::{PaymentHandle, ProviderId};
    use kassa::core::record::{JournalEntry, Outcome, Record};
    use kassa::core::sale::{Capture, Flow, SaleKey, SaleRequest};
    use kassa::journal::{Journal, OutboxOp};
    use kassa::money::{Currency, Money};

    /// The example config's mCASH secret: never printed, whatever fails.
    const SECRET: &str = "demo-secret-0123456789";

    /// 2024-10-04 10:00 UTC.
    const AT: u64 = 20_000 * 86_400_000 + 36_000_000;

    fn key(n: u64) -> SaleKey {
        SaleKey::new("T1", n).expect("key")
    }

    fn setup(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("kassa-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let example =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/kassa.example.toml"))
                .expect("example config");
        let data = dir.join("data");
        let config = example.replace("# path = \"/var/lib/kassa\"", &format!("path = {:?}", data));
        let path = dir.join("kassa.toml");
        std::fs::write(&path, config).expect("write config");
        (dir, path)
    }

    fn open(dir: &std::path::Path) -> Journal {
        Journal::open(dir.join("data"), 1 << 20).expect("journal")
    }

    fn sale(j: &Journal, n: u64, minor: i64, outcome: Option<Outcome>) {
        let mcash = ProviderId::new("mcash");
        let request = SaleRequest {
            key: key(n),
            amount: Money::from_minor(minor, Currency::NOK),
            flow: Flow::Qr,
            capture: Capture::Sale,
        };
        let at = Millis(AT + n * 60_000);
        j.append(&JournalEntry {
            at,
            sale: key(n),
            provider: mcash.clone(),
            record: Record::StartIntent(request),
        })
        .expect("start");
        if let Some(outcome) = outcome {
            j.append(&JournalEntry {
                at,
                sale: key(n),
                provider: mcash,
                record: Record::Outcome {
                    outcome,
                    late: false,
                },
            })
            .expect("outcome");
        }
    }

    fn config_arg(path: &std::path::Path) -> String {
        path.to_str().expect("utf-8 path").to_string()
    }

    #[test]
    fn list_shows_dead_and_pending_with_age_attempts_and_error_then_retry_and_drop() {
        let (dir, config) = setup("queue");
        let config = config_arg(&config);
        let (dead, pending) = {
            let j = open(&dir);
            sale(&j, 1, 1250, None);
            sale(&j, 2, 500, None);
            let dead = j
                .enqueue(
                    Some(key(1)),
                    ProviderId::new("mcash"),
                    OutboxOp::StatusCheck {
                        handle: PaymentHandle("tid-1".into()),
                    },
                    Millis(AT),
                )
                .expect("enqueue");
            j.record_failure(dead.id, Millis(AT + 1), "refused (422)", true, 0)
                .expect("dead");
            let pending = j
                .enqueue(
                    Some(key(2)),
                    ProviderId::new("mcash"),
                    OutboxOp::Capture {
                        handle: PaymentHandle("tid-2".into()),
                        amount: Money::from_minor(500, Currency::NOK),
                    },
                    Millis(AT),
                )
                .expect("enqueue");
            (dead.id, pending.id)
        };

        let out = kassa(&["queue", "list", "--config", &config], None);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{shown}");
        assert!(!shown.contains(SECRET), "no secret in the output");
        assert!(shown.contains("Outbox: 1 pending, 1 dead"), "{shown}");
        assert!(shown.contains(&format!("#{dead} DEAD")), "{shown}");
        assert!(shown.contains("attempts 1"), "{shown}");
        assert!(shown.contains("last error: refused (422)"), "{shown}");
        assert!(shown.contains("status check of tid-1"), "{shown}");
        assert!(shown.contains(&format!("#{pending} pending")), "{shown}");
        assert!(shown.contains("sale T1-000002"), "{shown}");
        // Created long ago (2024): the age is in days.
        assert!(shown.contains("age ") && shown.contains('d'), "{shown}");
        let dead_at = shown.find("DEAD").expect("dead line");
        let pending_at = shown.find(" pending (").expect("pending line");
        assert!(dead_at < pending_at, "dead items first: {shown}");

        let out = kassa(
            &["queue", "retry", &dead.to_string(), "--config", &config],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("pending again"), "{}", text(&out));
        let out = kassa(&["queue", "--config", &config], None);
        assert!(
            text(&out).contains("Outbox: 2 pending, 0 dead"),
            "{}",
            text(&out)
        );

        // Drop: not without a yes.
        let id = pending.to_string();
        let out = kassa(&["queue", "drop", &id, "--config", &config], Some("no\n"));
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("not dropped"), "{}", text(&out));
        assert!(text(&out).contains("capture of 5.00 NOK"), "{}", text(&out));
        let out = kassa(
            &["queue", "drop", &id, "--who", "anna", "--config", &config],
            Some("yes\n"),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("anna dropped it"), "{}", text(&out));
        let out = kassa(&["queue", "drop", &id, "--yes", "--config", &config], None);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out).contains(&format!("the outbox has no item {id}")),
            "{}",
            text(&out)
        );
        let j = open(&dir);
        let dropped = j.sale(&key(2)).expect("sale").dropped;
        assert_eq!(dropped.len(), 1);
        assert!(
            dropped[0].contains("anna") && dropped[0].contains("capture"),
            "{dropped:?}"
        );
        assert_eq!(j.outbox_list().expect("list").items.len(), 1);

        // While a kassa holds the journal: said plainly, exit 1.
        let out = kassa(&["queue", "list", "--config", &config], None);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("in use by another kassa process"),
            "{}",
            text(&out)
        );
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn report_lists_totals_and_in_doubt_first_closes_once_and_writes_csv() {
        let (dir, config) = setup("report");
        let config = config_arg(&config);
        {
            let j = open(&dir);
            sale(
                &j,
                1,
                1250,
                Some(Outcome::Approved {
                    reference: "r1".into(),
                }),
            );
            sale(&j, 2, 700, Some(Outcome::Cancelled));
            sale(
                &j,
                3,
                300,
                Some(Outcome::InDoubt {
                    reason: "answer lost".into(),
                }),
            );
        }
        let csv = dir.join("day.csv");
        let csv_arg = csv.to_str().expect("utf-8").to_string();
        let day = ["--day", "2024-10-04", "--config", &config];
        let out = kassa(&[&["report"][..], &day[..]].concat(), None);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{shown}");
        assert!(
            shown.contains("Report for 2024-10-04 (UTC), open"),
            "{shown}"
        );
        let totals = shown
            .lines()
            .find(|l| l.starts_with("mcash"))
            .expect("totals line");
        let cols: Vec<&str> = totals.split_whitespace().collect();
        assert_eq!(
            cols,
            ["mcash", "NOK", "3", "1", "12.50", "0.00", "12.50", "1"],
            "{shown}"
        );
        let doubt = shown.find("T1-000003").expect("in doubt sale");
        let approved = shown.find("T1-000001").expect("approved sale");
        assert!(doubt < approved, "in doubt first: {shown}");
        assert!(shown.contains("IN DOUBT: answer lost"), "{shown}");

        // The provider's own report cannot be reached here (no simulator): the close of the
        // day still happens, and the provider close waits in the outbox.
        let out = kassa(
            &[&["report", "--close", "--csv", &csv_arg][..], &day[..]].concat(),
            None,
        );
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{shown}");
        assert!(!shown.contains(SECRET), "no secret in output or logs");
        assert!(shown.contains("Closed 2024-10-04"), "{shown}");
        assert!(
            shown.contains("1 sale(s) of that day still need a person"),
            "{shown}"
        );
        assert!(shown.contains("report close of 2024-10-04"), "{shown}");
        let written = std::fs::read_to_string(&csv).expect("csv");
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 4, "{written}");
        assert!(lines[1].starts_with("T1-000003,"), "{written}");

        let out = kassa(&[&["report", "--close"][..], &day[..]].concat(), None);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("2024-10-04 is already closed"),
            "{}",
            text(&out)
        );
        let out = kassa(&[&["report"][..], &day[..]].concat(), None);
        assert!(text(&out).contains("closed at"), "{}", text(&out));
        let out = kassa(
            &["report", "--day", "04.10.2024", "--config", &config],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("not a date like"), "{}", text(&out));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A temp folder with no kassa.toml, so `pay` and `run` fall back to the demo.
fn empty_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kassa-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn kassa_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kassa"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("SLINT_BACKEND")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run kassa")
}

#[test]
fn an_unknown_demo_market_is_named_with_the_known_ones_before_any_window() {
    let dir = empty_dir("demo-market");
    for args in [
        &["--demo", "fr"][..],
        &["--demo", "fr", "run"],
        &[
            "pay",
            "--demo",
            "fr",
            "--provider",
            "mcash",
            "--amount",
            "1",
        ],
    ] {
        let o = kassa_in(&dir, args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains("unknown demo market `fr`"), "{args:?}: {t}");
        for m in ["no (Norway, NOK)", "ht (Haiti, HTG)", "ly (Libya, LYD)"] {
            assert!(t.contains(m), "{args:?}: {t}");
        }
        assert!(
            t.contains("lk (Sri Lanka, LKR), us (United States, USD)"),
            "{t}"
        );
        assert!(!t.contains("no display found"), "{t}");
    }
    // The Norway demo is known: `run` goes on to look for a display.
    let o = kassa_in(&dir, &["--demo", "no"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no display found"), "{}", text(&o));
    // --demo is for run and pay only; not with --config.
    let o = kassa_in(&dir, &["--demo", "no", "queue"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--demo is for"), "{}", text(&o));
    let o = kassa_in(&dir, &["--demo", "no", "run", "--config", "x.toml"]);
    assert!(text(&o).contains("exclude each other"), "{}", text(&o));
    assert!(!dir.join("kassa-data").exists(), "nothing was journaled");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pay_names_the_provider_market_and_refuses_bad_inputs_with_exit_2() {
    let dir = empty_dir("pay-inputs");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--provider", "paypal"],
            "unknown provider `paypal`: the providers are mcash",
        ),
        (
            &["--provider", "mcash", "--demo", "lk"],
            "mCASH is not in demo market lk (Sri Lanka, LKR) (its market is no (Norway, NOK))",
        ),
        (
            &["--provider", "mcash", "--invoice", "12a"],
            "--invoice: only digits are allowed",
        ),
        (
            &[
                "--provider",
                "mcash",
                "--card",
                "7121234567",
                "--code",
                "123",
            ],
            "--code: payment code must be 4 to 8 digits",
        ),
        (
            &["--provider", "mcash", "--invoice", "1234"],
            "mcash does not take --invoice; it takes a QR code",
        ),
        (&["--provider", "mcash", "--card", "7121234567"], "--code"),
        (&["--provider", "mcash", "--amount", "1.234"], "--amount"),
    ];
    for (args, want) in cases {
        let mut all = vec!["pay"];
        if !args.contains(&"--amount") {
            all.extend(["--amount", "1.00"]);
        }
        all.extend(args.iter());
        let o = kassa_in(&dir, &all);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {t}");
        assert!(t.contains(want), "{all:?}: want {want:?} in {t}");
        assert!(!t.contains("PAID"), "{t}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kassa_screens_draws_every_screen_in_the_language_asked_for() {
    let dir = std::env::temp_dir().join(format!("kassa-cli-{}-screens", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let draw = |lang: &str| {
        let out = dir.join(lang);
        let o = kassa(
            &[
                "screens",
                "--out",
                out.to_str().unwrap(),
                "--size",
                "480x320",
                "--lang",
                lang,
            ],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        out
    };
    let (en, ar) = (draw("en"), draw("ar"));
    let names = |d: &std::path::Path| {
        let mut n: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&en), names(&ar));
    // The amount page's words ("Pay", "Menu", the hint) are Arabic: other pixels.
    let page = |d: &std::path::Path| std::fs::read(d.join("03-amount.png")).unwrap();
    assert_ne!(page(&en), page(&ar));

    let o = kassa(
        &[
            "screens",
            "--out",
            dir.join("xx").to_str().unwrap(),
            "--lang",
            "xx",
        ],
        None,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown locale \"xx\""), "{}", text(&o));
    assert!(
        !dir.join("xx").exists(),
        "nothing drawn for an unknown language"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pay_completes_an_ezcash_push_and_an_icg_invoice_by_their_amount_due_against_the_demo() {
    // eZ Cash's demo config has no agent PIN (the window asks it at shift start): `kassa pay`
    // types the simulator's test PIN on that page itself.
    let dir = empty_dir("pay-ezcash");
    let o = kassa_in(
        &dir,
        &[
            "pay",
            "--provider",
            "ezcash",
            "--amount",
            "100",
            "--phone",
            "769983684",
        ],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("PAID"), "{t}");
    // A wrong PIN from --agent-pin-file is refused by eZ Cash and never printed.
    let pin = temp_file("agent-pin", "9876\n");
    let o = kassa_in(
        &empty_dir("pay-ezcash-pin"),
        &[
            "pay",
            "--provider",
            "ezcash",
            "--amount",
            "100",
            "--phone",
            "769983684",
            "--agent-pin-file",
            pin.to_str().expect("utf-8 path"),
        ],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("Invalid Agent Pin (37)"), "{t}");
    assert!(!t.contains("9876"), "{t}");

    // iCG without --amount: the invoice's amount due, shown, then paid.
    let o = kassa_in(
        &empty_dir("pay-icg"),
        &["pay", "--provider", "icg", "--invoice", "1002"],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("State: Partially Paid"), "{t}");
    assert!(t.contains("Paying $150.00 of the $150.00 due"), "{t}");
    assert!(t.contains("PAID"), "{t}");
    // A paid invoice is refused before anything is sent; only --invoice may leave out --amount.
    let o = kassa_in(
        &empty_dir("pay-icg-paid"),
        &["pay", "--provider", "icg", "--invoice", "1003"],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("invoice 1003 is paid already"), "{t}");
    let o = kassa_in(
        &empty_dir("pay-no-amount"),
        &["pay", "--provider", "ezcash", "--phone", "769983684"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--amount is needed"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
