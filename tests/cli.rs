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
