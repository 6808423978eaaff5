//! systemd's notify protocol for `kassa run`: READY=1 once the terminal is up, then WATCHDOG=1
//! pings from a timer on the Slint event loop. The pings come from the UI loop itself, not from
//! another thread, so a loop that hangs stops them and systemd (`WatchdogSec=`) restarts the
//! terminal. Outside systemd (no `NOTIFY_SOCKET`) nothing is sent.

use std::rc::Rc;
use std::time::Duration;

use sd_notify::NotifyState;

/// Where notifications go: systemd in production, a test's socket in tests.
pub trait Notify {
    fn notify(&self, states: &[NotifyState]) -> std::io::Result<()>;
}

/// The service manager named by `$NOTIFY_SOCKET` (nothing when it is unset).
pub struct Systemd;

impl Notify for Systemd {
    fn notify(&self, states: &[NotifyState]) -> std::io::Result<()> {
        sd_notify::notify(states)
    }
}

/// How often to ping: a third of systemd's `WatchdogSec=` (from `$WATCHDOG_USEC`, when it is
/// meant for this process), so one late turn of the loop is not yet a restart.
pub fn ping_interval_from_env() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|timeout| (timeout / 3).max(Duration::from_millis(10)))
}

/// Keeps the pings going while it lives.
pub struct Watchdog {
    notify: Rc<dyn Notify>,
    _timer: Option<slint::Timer>,
}

impl Watchdog {
    /// Sends READY=1 with `status`, and starts pinging every `interval` (`None`: no watchdog
    /// asked for). Call on the Slint event loop's thread.
    pub fn start(notify: Rc<dyn Notify>, status: &str, interval: Option<Duration>) -> Watchdog {
        if let Err(e) = notify.notify(&[NotifyState::Ready, NotifyState::Status(status)]) {
            tracing::warn!(error = %e, "cannot tell systemd the terminal is ready");
        }
        let timer = interval.map(|every| {
            let timer = slint::Timer::default();
            let n = notify.clone();
            timer.start(slint::TimerMode::Repeated, every, move || {
                if let Err(e) = n.notify(&[NotifyState::Watchdog]) {
                    tracing::warn!(error = %e, "cannot ping systemd's watchdog");
                }
            });
            timer
        });
        Watchdog {
            notify,
            _timer: timer,
        }
    }

    /// STOPPING=1: the terminal is shutting down on purpose.
    pub fn stopping(self) {
        let _ = self.notify.notify(&[NotifyState::Stopping]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;
    use std::path::PathBuf;
    use std::time::Instant;

    /// Sends the same datagrams as sd-notify (its `NotifyState` lines) to a socket of the test's
    /// own, so no process environment is changed.
    struct Socket(PathBuf);

    impl Notify for Socket {
        fn notify(&self, states: &[NotifyState]) -> std::io::Result<()> {
            let msg: String = states.iter().map(|s| format!("{s}\n")).collect();
            UnixDatagram::unbound()?.send_to(msg.as_bytes(), &self.0)?;
            Ok(())
        }
    }

    fn receive_all(sock: &UnixDatagram) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok(n) = sock.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    /// Turns the off-screen event loop (as `app.run()` would) for `ms` milliseconds, reading
    /// the socket as it goes (a datagram queue holds only a few messages).
    fn run_loop_for(ms: u64, sock: &UnixDatagram) -> Vec<String> {
        let until = Instant::now() + Duration::from_millis(ms);
        let mut got = Vec::new();
        while Instant::now() < until {
            crate::ui::headless::pump();
            got.extend(receive_all(sock));
            std::thread::sleep(Duration::from_millis(2));
        }
        got.extend(receive_all(sock));
        got
    }

    /// The proof that a frozen UI is restarted: pings arrive while the event loop turns, none
    /// while a callback on it hangs (systemd would kill the process after `WatchdogSec=`), and
    /// they come back when the loop turns again.
    #[test]
    fn pings_come_from_the_ui_loop_and_stop_when_it_hangs() {
        // This test's thread is its UI thread (the off-screen platform is per thread).
        crate::ui::headless::use_headless_platform().unwrap();
        let dir = std::env::temp_dir().join(format!("kassa-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_nonblocking(true).unwrap();

        let dog = Watchdog::start(
            Rc::new(Socket(path.clone())),
            "taking sales",
            Some(Duration::from_millis(20)),
        );
        let first = receive_all(&sock);
        assert_eq!(
            first,
            vec!["READY=1\nSTATUS=taking sales\n".to_string()],
            "READY=1 at once, before any ping"
        );

        let running = run_loop_for(400, &sock);
        assert!(
            running.len() >= 5,
            "pings while the loop turns: {running:?}"
        );
        assert!(running.iter().all(|m| m == "WATCHDOG=1\n"), "{running:?}");

        // A callback on the UI loop hangs until the watcher has counted for 300 ms.
        let hung = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let h = hung.clone();
        slint::invoke_from_event_loop(move || {
            h.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = released.recv_timeout(Duration::from_secs(10));
        })
        .unwrap();
        let watcher = std::thread::spawn({
            let sock = sock.try_clone().unwrap();
            move || {
                while !hung.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                // Let anything sent just before the hang arrive, then count during it.
                std::thread::sleep(Duration::from_millis(50));
                let _ = receive_all(&sock);
                std::thread::sleep(Duration::from_millis(300));
                let during = receive_all(&sock);
                let _ = release.send(());
                during
            }
        });
        crate::ui::headless::pump(); // runs the hanging callback; returns once it is released
        let during = watcher.join().unwrap();
        assert!(during.is_empty(), "pings while the loop hung: {during:?}");

        let after = run_loop_for(200, &sock);
        assert!(!after.is_empty(), "pings again once the loop turns");

        dog.stopping();
        assert_eq!(receive_all(&sock), vec!["STOPPING=1\n".to_string()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_watchdog_asked_for_sends_only_ready() {
        // `None` comes from an environment without WATCHDOG_USEC, as outside systemd.
        struct Count(std::cell::RefCell<Vec<String>>);
        impl Notify for Count {
            fn notify(&self, states: &[NotifyState]) -> std::io::Result<()> {
                self.0
                    .borrow_mut()
                    .extend(states.iter().map(|s| s.to_string()));
                Ok(())
            }
        }
        let count = Rc::new(Count(Default::default()));
        let dog = Watchdog::start(count.clone(), "up", None);
        assert!(dog._timer.is_none());
        assert_eq!(*count.0.borrow(), vec!["READY=1", "STATUS=up"]);
    }
}
