//! The lights, the buzzer and the vend relay, driven by the core's [`Signal`]s and vend effects.
//!
//! Each signal is a short pattern of timed changes on a [`Timeline`]; a new pattern replaces
//! what was left of an older one on the same lines (a key beep does not wait for a result's
//! three-second light). A vend pulses the relay for `vend_pulse_ms`, then reports the sale as
//! delivered: there is no delivery sensor, so "delivered" means the relay was pulsed.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::HwError;
use super::pins::OutputPin;
use crate::core::Signal;
use crate::core::sale::SaleKey;

/// The output lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Line {
    Green,
    Red,
    Buzzer,
    Relay,
}

/// How long the patterns last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputTiming {
    /// The click on each key press; 0: silent keys.
    pub key_beep_ms: u64,
    /// How long the green or red light stays on after a result.
    pub light_ms: u64,
    pub vend_pulse_ms: u64,
}

impl Default for OutputTiming {
    fn default() -> Self {
        OutputTiming {
            key_beep_ms: 30,
            light_ms: 3_000,
            vend_pulse_ms: 500,
        }
    }
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Set(Line, bool),
    /// The relay pulse for this sale is over.
    Vended(SaleKey),
}

/// Patterns as offsets from now: a pure schedule, so tests step it through virtual time.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// (due at ms, order of scheduling, action), kept sorted.
    pending: Vec<(u64, u64, Action)>,
    seq: u64,
}

impl Timeline {
    fn schedule(&mut self, now: u64, pattern: Vec<(u64, Action)>) {
        let lines: Vec<Line> = pattern
            .iter()
            .filter_map(|(_, a)| match a {
                Action::Set(line, _) => Some(*line),
                Action::Vended(_) => None,
            })
            .collect();
        // The rest of an older pattern on these lines is dropped; a vend's report never is.
        self.pending
            .retain(|(_, _, a)| !matches!(a, Action::Set(l, _) if lines.contains(l)));
        for (offset, action) in pattern {
            self.seq += 1;
            self.pending
                .push((now.saturating_add(offset), self.seq, action));
        }
        self.pending.sort_by_key(|(at, seq, _)| (*at, *seq));
    }

    /// Takes the actions due at `now`, in order.
    fn due(&mut self, now: u64) -> Vec<Action> {
        let n = self.pending.partition_point(|(at, _, _)| *at <= now);
        self.pending.drain(..n).map(|(_, _, a)| a).collect()
    }

    /// When the next action is due.
    pub fn next_at(&self) -> Option<u64> {
        self.pending.first().map(|(at, _, _)| *at)
    }
}

/// What the outputs are asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Signal(Signal),
    Vend(SaleKey),
}

fn pattern(command: &Command, t: &OutputTiming) -> Vec<(u64, Action)> {
    use Action::Set;
    use Line::*;
    match command {
        Command::Signal(Signal::KeyClick) if t.key_beep_ms == 0 => vec![],
        Command::Signal(Signal::KeyClick) => {
            vec![(0, Set(Buzzer, true)), (t.key_beep_ms, Set(Buzzer, false))]
        }
        // A refused key or action: one 200 ms beep.
        Command::Signal(Signal::ErrorBeep) => {
            vec![(0, Set(Buzzer, true)), (200, Set(Buzzer, false))]
        }
        // Paid: green, two short beeps.
        Command::Signal(Signal::Approved) => vec![
            (0, Set(Red, false)),
            (0, Set(Green, true)),
            (0, Set(Buzzer, true)),
            (100, Set(Buzzer, false)),
            (200, Set(Buzzer, true)),
            (300, Set(Buzzer, false)),
            (t.light_ms, Set(Green, false)),
        ],
        // Not paid: red, one long beep.
        Command::Signal(Signal::NotApproved) => vec![
            (0, Set(Green, false)),
            (0, Set(Red, true)),
            (0, Set(Buzzer, true)),
            (800, Set(Buzzer, false)),
            (t.light_ms, Set(Red, false)),
        ],
        Command::Vend(sale) => vec![
            (0, Set(Relay, true)),
            (t.vend_pulse_ms, Set(Relay, false)),
            (t.vend_pulse_ms, Action::Vended(sale.clone())),
        ],
    }
}

/// The fitted output lines (a line left out of `[hardware]` is `None`).
#[derive(Default)]
pub struct Lines {
    pub green: Option<Box<dyn OutputPin>>,
    pub red: Option<Box<dyn OutputPin>>,
    pub buzzer: Option<Box<dyn OutputPin>>,
    pub relay: Option<Box<dyn OutputPin>>,
}

impl Lines {
    fn get(&mut self, line: Line) -> Option<&mut Box<dyn OutputPin>> {
        match line {
            Line::Green => self.green.as_mut(),
            Line::Red => self.red.as_mut(),
            Line::Buzzer => self.buzzer.as_mut(),
            Line::Relay => self.relay.as_mut(),
        }
    }

    /// Everything off (at start and when stopping).
    fn all_off(&mut self) {
        for line in [Line::Green, Line::Red, Line::Buzzer, Line::Relay] {
            if let Some(pin) = self.get(line)
                && let Err(e) = pin.set(false)
            {
                tracing::error!(?line, error = %e, "cannot switch an output off");
            }
        }
    }
}

/// A vend's outcome: the sale, and whether the relay was pulsed.
pub type Vended = (SaleKey, bool);

/// Carries out commands on the lines at the times their patterns say; pure in time (`now` is
/// given), so tests drive it with a virtual clock and the thread with the real one.
pub struct Outputs {
    lines: Lines,
    timing: OutputTiming,
    timeline: Timeline,
    /// The relay failed to switch during the current pulse.
    relay_failed: bool,
}

impl Outputs {
    pub fn new(lines: Lines, timing: OutputTiming) -> Outputs {
        Outputs {
            lines,
            timing,
            timeline: Timeline::default(),
            relay_failed: false,
        }
    }

    /// Takes a command at `now` (ms) and carries out what is due at once. Returns finished
    /// vends (at once for a vend with no relay fitted: not delivered).
    pub fn command(&mut self, now: u64, command: Command) -> Vec<Vended> {
        if let Command::Vend(sale) = &command
            && self.lines.relay.is_none()
        {
            tracing::error!(%sale, "vend asked, but no vend_relay_pin is set in [hardware]");
            return vec![(sale.clone(), false)];
        }
        self.timeline.schedule(now, pattern(&command, &self.timing));
        self.run_due(now)
    }

    /// Carries out what is due at `now`; returns finished vends.
    pub fn run_due(&mut self, now: u64) -> Vec<Vended> {
        let mut vended = Vec::new();
        for action in self.timeline.due(now) {
            match action {
                Action::Set(line, on) => {
                    if let Some(pin) = self.lines.get(line)
                        && let Err(e) = pin.set(on)
                    {
                        tracing::error!(?line, on, error = %e, "output failed");
                        if line == Line::Relay {
                            self.relay_failed = true;
                        }
                    }
                }
                Action::Vended(sale) => {
                    let failed = std::mem::take(&mut self.relay_failed);
                    if failed {
                        tracing::error!(%sale, "the vend relay did not switch");
                    }
                    vended.push((sale, !failed));
                }
            }
        }
        vended
    }

    pub fn next_at(&self) -> Option<u64> {
        self.timeline.next_at()
    }
}

enum Msg {
    Do(Command),
    Stop,
}

/// The outputs' thread: takes commands from any thread, sleeps until the next change is due.
pub struct OutputsThread {
    commands: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

/// Hands commands to a running [`OutputsThread`]; cheap to clone.
#[derive(Clone, Debug)]
pub struct OutputsHandle {
    commands: mpsc::Sender<Msg>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Do(c) => write!(f, "{c:?}"),
            Msg::Stop => write!(f, "Stop"),
        }
    }
}

impl OutputsHandle {
    /// False once the outputs stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(Msg::Do(command)).is_ok()
    }
}

impl OutputsThread {
    /// Switches everything off, then runs; `on_vended` is called on this thread when a relay
    /// pulse is over (or could not happen).
    pub fn spawn(
        mut outputs: Outputs,
        mut on_vended: impl FnMut(SaleKey, bool) + Send + 'static,
    ) -> Result<(OutputsThread, OutputsHandle), HwError> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = std::thread::Builder::new()
            .name("outputs".into())
            .spawn(move || {
                let start = Instant::now();
                let now = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                outputs.lines.all_off();
                loop {
                    let received = match outputs.next_at() {
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                        Some(at) => {
                            rx.recv_timeout(Duration::from_millis(at.saturating_sub(now())))
                        }
                    };
                    let done = match received {
                        Ok(Msg::Do(command)) => outputs.command(now(), command),
                        Err(RecvTimeoutError::Timeout) => outputs.run_due(now()),
                        Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                    };
                    for (sale, delivered) in done {
                        on_vended(sale, delivered);
                    }
                }
                outputs.lines.all_off();
            })
            .map_err(|e| HwError::Thread(e.to_string()))?;
        Ok((
            OutputsThread {
                commands: tx.clone(),
                thread: Some(thread),
            },
            OutputsHandle { commands: tx },
        ))
    }

    /// Stops now (what was still scheduled is dropped), leaving all outputs off.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.commands.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for OutputsThread {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hw::pins::{Change, SimClock, SimOutput};

    fn c(at_ms: u64, on: bool) -> Change {
        Change { at_ms, on }
    }

    fn sale() -> SaleKey {
        SaleKey::new("T1", 42).unwrap()
    }

    /// The outputs on simulated twins, stepped through virtual time.
    struct Rig {
        clock: SimClock,
        green: SimOutput,
        red: SimOutput,
        buzzer: SimOutput,
        relay: SimOutput,
        outputs: Outputs,
    }

    impl Rig {
        fn new(timing: OutputTiming) -> Rig {
            let clock = SimClock::manual();
            let [green, red, buzzer, relay] =
                ["green", "red", "buzzer", "relay"].map(|n| SimOutput::new(n, clock.clone()));
            let lines = Lines {
                green: Some(Box::new(green.clone())),
                red: Some(Box::new(red.clone())),
                buzzer: Some(Box::new(buzzer.clone())),
                relay: Some(Box::new(relay.clone())),
            };
            Rig {
                clock,
                green,
                red,
                buzzer,
                relay,
                outputs: Outputs::new(lines, timing),
            }
        }

        fn command(&mut self, at: u64, command: Command) -> Vec<Vended> {
            self.clock.set_ms(at);
            self.outputs.command(at, command)
        }

        /// Carries out everything due up to `until`, each at its own time.
        fn run_until(&mut self, until: u64) -> Vec<(u64, Vended)> {
            let mut out = Vec::new();
            while let Some(at) = self.outputs.next_at().filter(|at| *at <= until) {
                self.clock.set_ms(at);
                out.extend(self.outputs.run_due(at).into_iter().map(|v| (at, v)));
            }
            out
        }
    }

    #[test]
    fn approved_lights_green_and_beeps_twice() {
        let mut rig = Rig::new(OutputTiming::default());
        assert!(rig.command(0, Command::Signal(Signal::Approved)).is_empty());
        rig.run_until(10_000);
        assert_eq!(rig.green.changes(), vec![c(0, true), c(3000, false)]);
        assert_eq!(rig.red.changes(), vec![c(0, false)]);
        assert_eq!(
            rig.buzzer.changes(),
            vec![c(0, true), c(100, false), c(200, true), c(300, false)]
        );
        assert!(rig.relay.changes().is_empty());
    }

    #[test]
    fn declined_lights_red_with_one_long_beep() {
        let mut rig = Rig::new(OutputTiming::default());
        rig.command(5, Command::Signal(Signal::NotApproved));
        rig.run_until(10_000);
        assert_eq!(rig.red.changes(), vec![c(5, true), c(3005, false)]);
        assert_eq!(rig.green.changes(), vec![c(5, false)]);
        assert_eq!(rig.buzzer.changes(), vec![c(5, true), c(805, false)]);
    }

    #[test]
    fn a_key_click_is_short_and_can_be_silenced() {
        let mut rig = Rig::new(OutputTiming::default());
        rig.command(0, Command::Signal(Signal::KeyClick));
        rig.run_until(1_000);
        assert_eq!(rig.buzzer.changes(), vec![c(0, true), c(30, false)]);

        let mut quiet = Rig::new(OutputTiming {
            key_beep_ms: 0,
            ..OutputTiming::default()
        });
        quiet.command(0, Command::Signal(Signal::KeyClick));
        quiet.run_until(1_000);
        assert!(quiet.buzzer.changes().is_empty());
        quiet.command(2_000, Command::Signal(Signal::ErrorBeep));
        quiet.run_until(3_000);
        assert_eq!(
            quiet.buzzer.changes(),
            vec![c(2000, true), c(2200, false)],
            "silent keys still beep on errors"
        );
    }

    #[test]
    fn a_key_beep_does_not_cut_a_results_light_but_a_new_result_replaces_it() {
        let mut rig = Rig::new(OutputTiming::default());
        rig.command(0, Command::Signal(Signal::Approved));
        rig.run_until(999);
        rig.command(1_000, Command::Signal(Signal::KeyClick));
        rig.run_until(1_999);
        assert_eq!(rig.green.changes(), vec![c(0, true)], "still lit");
        rig.command(2_000, Command::Signal(Signal::NotApproved));
        rig.run_until(10_000);
        assert_eq!(
            rig.green.changes(),
            vec![c(0, true), c(2000, false)],
            "switched off by the new result, and not switched again at 3000"
        );
        assert_eq!(
            rig.red.changes(),
            vec![c(0, false), c(2000, true), c(5000, false)]
        );
        let buzzer = rig.buzzer.changes();
        assert!(buzzer.contains(&c(1000, true)) && buzzer.contains(&c(1030, false)));
        assert_eq!(buzzer.last(), Some(&c(2800, false)));
    }

    #[test]
    fn a_vend_pulses_the_relay_then_reports_delivery() {
        let mut rig = Rig::new(OutputTiming {
            vend_pulse_ms: 250,
            ..OutputTiming::default()
        });
        assert!(rig.command(100, Command::Vend(sale())).is_empty());
        assert!(rig.run_until(349).is_empty(), "not before the pulse ends");
        assert_eq!(rig.run_until(1_000), vec![(350, (sale(), true))]);
        assert_eq!(rig.relay.changes(), vec![c(100, true), c(350, false)]);
    }

    struct Broken;

    impl OutputPin for Broken {
        fn set(&mut self, _: bool) -> Result<(), HwError> {
            Err(HwError::NoSuchLine("relay (broken in this test)".into()))
        }
    }

    #[test]
    fn a_vend_without_a_working_relay_is_not_delivered() {
        let mut none = Outputs::new(Lines::default(), OutputTiming::default());
        assert_eq!(
            none.command(0, Command::Vend(sale())),
            vec![(sale(), false)]
        );
        assert_eq!(none.next_at(), None);

        let lines = Lines {
            relay: Some(Box::new(Broken)),
            ..Lines::default()
        };
        let mut broken = Outputs::new(lines, OutputTiming::default());
        assert!(broken.command(0, Command::Vend(sale())).is_empty());
        assert_eq!(broken.run_due(500), vec![(sale(), false)]);
    }

    #[test]
    fn the_thread_plays_patterns_in_real_time_and_stops_with_everything_off() {
        let clock = SimClock::real();
        let relay = SimOutput::new("relay", clock.clone());
        let green = SimOutput::new("green", clock);
        let lines = Lines {
            green: Some(Box::new(green.clone())),
            relay: Some(Box::new(relay.clone())),
            ..Lines::default()
        };
        let timing = OutputTiming {
            vend_pulse_ms: 60,
            ..OutputTiming::default()
        };
        let (tx, rx) = mpsc::channel();
        let (thread, handle) = OutputsThread::spawn(Outputs::new(lines, timing), move |s, d| {
            let _ = tx.send((s, d));
        })
        .unwrap();
        assert!(handle.send(Command::Signal(Signal::Approved)));
        assert!(handle.send(Command::Vend(sale())));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok((sale(), true)));
        let r = relay.changes();
        // Off at start, on, off after at least the pulse.
        assert_eq!(
            r.iter().map(|c| c.on).collect::<Vec<_>>(),
            [false, true, false]
        );
        // The thread's clock and the simulated pins' clock both count whole milliseconds from
        // their own start, so a pulse of 60 ms can read as 59 between the two (seen under qemu).
        assert!(r[2].at_ms - r[1].at_ms >= 60 - 1, "{r:?}");
        thread.stop();
        let g = green.changes();
        assert_eq!(
            g.iter().map(|c| c.on).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert!(g[2].at_ms < 3000, "stopping switched it off early: {g:?}");
        assert!(!handle.send(Command::Signal(Signal::KeyClick)), "stopped");
    }
}
