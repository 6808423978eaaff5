//! A simulated MDB HAT with its vending machine (VMC), on the master side of a pseudo-terminal
//! pair: the driver opens the other side as it would `/dev/serial0`, so the real serial code
//! runs. It answers the HAT's commands as MDB.md describes, prints `r,ACK` for every simulated
//! poll (every 10 ms once enabled), and plays the VMC as the test or the demo says: a customer's
//! selection, what happens after an approval, giving up, a reset of the reader, a reset of the
//! HAT itself (its configuration lost, silence while it boots), a HAT that hangs until its reset
//! line (BCM GPIO6 on the real HAT, [`SimResetLine`] here) is pulled low and released, garbage
//! and split lines.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::super::VendError;

/// What the simulated VMC does once a vend is approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterApproval {
    /// `c,VEND,SUCCESS`, then the session ends.
    Deliver,
    /// `c,ERR,VEND 3`: the product did not dispense.
    Fail,
    /// The VMC resets the reader: `INACTIVE`, `DISABLED`, `ENABLED`.
    ResetReader,
    /// Nothing at all.
    Silent,
}

#[derive(Debug)]
struct State {
    booting_until: Option<Instant>,
    enabled: bool,
    settings: Vec<String>,
    commands: Vec<String>,
    session: bool,
    /// The vend request waiting for an answer (amount text, item).
    pending: Option<(String, u32)>,
    vending: bool,
    approvals: Vec<String>,
    denials: Vec<String>,
    after: AfterApproval,
    /// Hung: deaf and mute until a hard reset.
    hung: bool,
    /// The reset line is held low.
    held_in_reset: bool,
    hard_resets: u32,
    /// Commands that arrived while the HAT could not hear them (booting, hung, in reset).
    unheard: Vec<String>,
}

struct Inner {
    state: Mutex<State>,
    writer: Mutex<Box<dyn SerialPort>>,
    stop: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running simulation (clones share it); dropping the last clone stops its threads.
#[derive(Clone)]
pub struct SimHat {
    inner: Arc<Inner>,
    /// The path of the side the driver opens (`/dev/pts/N`).
    pub port: String,
    _guard: Arc<Guard>,
}

struct Guard {
    inner: Arc<Inner>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
    }
}

impl SimHat {
    /// A pseudo-terminal pair; the simulation takes the master side.
    pub fn start() -> Result<SimHat, VendError> {
        let err = |e: serialport::Error| VendError::Serial {
            port: "pseudo-terminal".into(),
            reason: e.to_string(),
        };
        let (mut master, slave) = TTYPort::pair().map_err(err)?;
        let port = slave.name().ok_or_else(|| VendError::Serial {
            port: "pseudo-terminal".into(),
            reason: "the pseudo-terminal has no name".into(),
        })?;
        // The driver opens the slave side by its path, exclusively, as it opens a real port.
        drop(slave);
        master.set_timeout(Duration::from_millis(10)).map_err(err)?;
        let writer = master.try_clone().map_err(err)?;
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                booting_until: None,
                enabled: false,
                settings: Vec::new(),
                commands: Vec::new(),
                session: false,
                pending: None,
                vending: false,
                approvals: Vec::new(),
                denials: Vec::new(),
                after: AfterApproval::Deliver,
                hung: false,
                held_in_reset: false,
                hard_resets: 0,
                unheard: Vec::new(),
            }),
            writer: Mutex::new(writer),
            stop: AtomicBool::new(false),
        });
        let reading = inner.clone();
        std::thread::Builder::new()
            .name("sim-hat".into())
            .spawn(move || read_loop(reading, master))
            .map_err(|e| VendError::Stopped(e.to_string()))?;
        let polling = inner.clone();
        std::thread::Builder::new()
            .name("sim-vmc-poll".into())
            .spawn(move || poll_loop(polling))
            .map_err(|e| VendError::Stopped(e.to_string()))?;
        Ok(SimHat {
            inner: inner.clone(),
            port,
            _guard: Arc::new(Guard { inner }),
        })
    }

    pub fn after_approval(&self, after: AfterApproval) {
        lock(&self.inner.state).after = after;
    }

    /// The customer chooses product `item` at `amount` (as the HAT prints it: `1.00`).
    pub fn select(&self, amount: &str, item: u32) {
        lock(&self.inner.state).pending = Some((amount.to_string(), item));
        self.say(&format!("c,STATUS,VEND,{amount},{item}"));
    }

    /// The VMC re-sends the vend request it is waiting on.
    pub fn repeat_request(&self) {
        let pending = lock(&self.inner.state).pending.clone();
        if let Some((amount, item)) = pending {
            self.say(&format!("c,STATUS,VEND,{amount},{item}"));
        }
    }

    /// The VMC gives up waiting for the payment (its vend timeout, the customer's cancel).
    pub fn give_up(&self) {
        {
            let mut s = lock(&self.inner.state);
            s.pending = None;
            s.session = false;
        }
        self.say("c,ERR,VEND 1");
        self.say("c,STATUS,IDLE");
        self.say("c,STATUS,ENABLED");
    }

    /// After a [`AfterApproval::Silent`] approval: the VMC reports the vend now, delivered
    /// (`c,VEND,SUCCESS`) or not (`c,ERR,VEND 3`), and ends the session.
    pub fn report(&self, delivered: bool) {
        {
            let mut s = lock(&self.inner.state);
            s.vending = false;
            s.session = false;
        }
        self.say(if delivered {
            "c,VEND,SUCCESS"
        } else {
            "c,ERR,VEND 3"
        });
        self.say("c,STATUS,IDLE");
        self.say("c,STATUS,ENABLED");
    }

    /// The VMC resets the reader now (mid-session, say).
    pub fn reset_reader(&self) {
        {
            let mut s = lock(&self.inner.state);
            s.pending = None;
            s.vending = false;
            s.session = false;
        }
        for l in ["c,STATUS,INACTIVE", "c,STATUS,DISABLED", "c,STATUS,ENABLED"] {
            self.say(l);
        }
    }

    /// The HAT itself resets: its configuration is gone, and it says nothing for `boot`.
    pub fn reset_hat(&self, boot: Duration) {
        {
            let mut s = lock(&self.inner.state);
            s.booting_until = Some(Instant::now() + boot);
            s.enabled = false;
            s.settings.clear();
            s.pending = None;
            s.vending = false;
            s.session = false;
        }
        self.raw(b"\x00\xff\x13garbage-at-boot");
    }

    /// The HAT hangs: no `r,ACK`, no answer to any command, until its reset line is pulled
    /// low and released (its configuration is then lost, as at any boot).
    pub fn hang(&self) {
        lock(&self.inner.state).hung = true;
    }

    /// The HAT's reset line, for the driver (what GPIO6 is on the real HAT).
    pub fn reset_line(&self) -> SimResetLine {
        SimResetLine {
            inner: self.inner.clone(),
        }
    }

    /// Commands sent while the HAT could not hear them.
    pub fn unheard(&self) -> Vec<String> {
        lock(&self.inner.state).unheard.clone()
    }

    /// How many times the reset line was pulled low and released.
    pub fn hard_resets(&self) -> u32 {
        lock(&self.inner.state).hard_resets
    }

    /// Bytes that are not a line of the protocol.
    pub fn garbage(&self) {
        self.raw(b"\xfe\xfd#@!\r\nc,STATUS,VEN\r\n%%%%\r\nc,VEND,SUCCESSFUL\r\n");
    }

    /// [`Self::select`], its line in two writes with a pause between, as a slow link may
    /// deliver it.
    pub fn select_split(&self, amount: &str, item: u32) {
        lock(&self.inner.state).pending = Some((amount.to_string(), item));
        let line = format!("c,STATUS,VEND,{amount},{item}");
        let (a, b) = line.split_at(line.len() / 2);
        // The HAT never interleaves lines: the polls wait for the rest.
        let mut w = lock(&self.inner.writer);
        let _ = w.write_all(a.as_bytes());
        let _ = w.flush();
        std::thread::sleep(Duration::from_millis(30));
        let _ = w.write_all(format!("{b}\r\n").as_bytes());
        let _ = w.flush();
    }

    /// Every command the HAT received, in order.
    pub fn commands(&self) -> Vec<String> {
        lock(&self.inner.state).commands.clone()
    }

    /// The `C,SETCONF` settings it holds now (lost at a HAT reset).
    pub fn settings(&self) -> Vec<String> {
        lock(&self.inner.state).settings.clone()
    }

    pub fn enabled(&self) -> bool {
        lock(&self.inner.state).enabled
    }

    /// Amounts approved with `C,VEND,<amount>`.
    pub fn approvals(&self) -> Vec<String> {
        lock(&self.inner.state).approvals.clone()
    }

    /// Deny commands received for a pending request.
    pub fn denials(&self) -> Vec<String> {
        lock(&self.inner.state).denials.clone()
    }

    /// Polls (every 10 ms of real time) until `pred` holds or `timeout` passes.
    pub fn wait(&self, timeout: Duration, mut pred: impl FnMut(&SimHat) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if pred(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        pred(self)
    }

    fn say(&self, line: &str) {
        say(&self.inner, line);
    }

    fn raw(&self, bytes: &[u8]) {
        let mut w = lock(&self.inner.writer);
        let _ = w.write_all(bytes);
        let _ = w.flush();
    }
}

/// The simulated HAT's reset line: low holds the HAT in reset (deaf, mute); released, it boots
/// for 200 ms with its configuration gone, like [`SimHat::reset_hat`], and is no longer hung.
pub struct SimResetLine {
    inner: Arc<Inner>,
}

impl crate::hw::pins::OutputPin for SimResetLine {
    fn set(&mut self, high: bool) -> Result<(), crate::hw::HwError> {
        let mut s = lock(&self.inner.state);
        if !high {
            s.held_in_reset = true;
            s.enabled = false;
        } else if s.held_in_reset {
            s.held_in_reset = false;
            s.hung = false;
            s.hard_resets += 1;
            s.booting_until = Some(Instant::now() + Duration::from_millis(200));
            s.enabled = false;
            s.settings.clear();
            s.pending = None;
            s.vending = false;
            s.session = false;
        }
        Ok(())
    }
}

fn say(inner: &Inner, line: &str) {
    let mut w = lock(&inner.writer);
    let _ = w.write_all(format!("{line}\r\n").as_bytes());
    let _ = w.flush();
}

fn poll_loop(inner: Arc<Inner>) {
    while !inner.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
        let polling = {
            let s = lock(&inner.state);
            s.enabled && s.booting_until.is_none() && !s.hung && !s.held_in_reset
        };
        if polling {
            say(&inner, "r,ACK");
        }
    }
}

fn read_loop(inner: Arc<Inner>, mut master: TTYPort) {
    let mut partial = Vec::new();
    let mut buf = [0u8; 256];
    while !inner.stop.load(Ordering::SeqCst) {
        {
            let mut s = lock(&inner.state);
            if s.booting_until.is_some_and(|t| Instant::now() >= t) {
                s.booting_until = None;
            }
        }
        let n = match master.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            // Nobody has the other side open (yet, or any more): EIO on Linux.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&partial).trim().to_string();
                partial.clear();
                if !line.is_empty() {
                    command(&inner, &line);
                }
            } else {
                partial.push(b);
            }
        }
    }
}

/// One command to the HAT, answered as the HAT and its VMC would.
fn command(inner: &Inner, line: &str) {
    let mut replies: Vec<String> = Vec::new();
    {
        let mut s = lock(&inner.state);
        if s.booting_until.is_some() || s.hung || s.held_in_reset {
            // Deaf while it boots, hangs or is held in reset.
            s.unheard.push(line.to_string());
            return;
        }
        s.commands.push(line.to_string());
        let fields: Vec<&str> = line.splitn(3, ',').collect();
        match fields.as_slice() {
            ["C", "0"] => {
                s.enabled = false;
                replies.push("c,0".into());
            }
            ["C", "1"] if s.enabled => replies.push("c,ERR,\"cashless is on\"".into()),
            ["C", "1"] => {
                s.enabled = true;
                for r in [
                    "c,1",
                    "c,STATUS,INACTIVE",
                    "c,STATUS,DISABLED",
                    "c,STATUS,ENABLED",
                ] {
                    replies.push(r.into());
                }
            }
            ["C", "SETCONF", kv] => {
                s.settings.push(kv.to_string());
                replies.push("c,SET,OK".into());
            }
            ["C", "START", funds] => {
                if s.enabled && !s.vending && s.pending.is_none() && !s.session {
                    s.session = true;
                    replies.push(format!("c,STATUS,IDLE,{funds}"));
                } else {
                    replies.push("c,ERR,\"START -3\"".into());
                }
            }
            ["C", "STOP"] => {
                s.session = false;
                s.pending = None;
                replies.push("c,STATUS,ENABLED".into());
            }
            ["C", "VEND", amount] => match s.pending.take() {
                Some(_) if *amount == "-1" || *amount == "0" => {
                    s.denials.push(line.to_string());
                    s.session = false;
                    replies.push("c,STATUS,IDLE".into());
                    replies.push("c,STATUS,ENABLED".into());
                }
                Some((asked, _)) if asked == *amount => {
                    s.approvals.push(amount.to_string());
                    s.vending = true;
                    let after: &[&str] = match s.after {
                        AfterApproval::Deliver => {
                            &["c,VEND,SUCCESS", "c,STATUS,IDLE", "c,STATUS,ENABLED"]
                        }
                        AfterApproval::Fail => {
                            &["c,ERR,VEND 3", "c,STATUS,IDLE", "c,STATUS,ENABLED"]
                        }
                        AfterApproval::ResetReader => {
                            &["c,STATUS,INACTIVE", "c,STATUS,DISABLED", "c,STATUS,ENABLED"]
                        }
                        AfterApproval::Silent => &[],
                    };
                    if s.after != AfterApproval::Silent {
                        s.vending = false;
                        s.session = false;
                    }
                    replies.extend(after.iter().map(|r| r.to_string()));
                }
                other => {
                    // An approval for another amount than asked, or with nothing asked: a real
                    // VMC would reset the reader.
                    s.pending = other;
                    replies.push("c,ERR,\"VEND -2\"".into());
                }
            },
            _ => replies.push("c,ERR,\"unknown command\"".into()),
        }
    }
    for r in replies {
        say(inner, &r);
    }
}
