//! The 4x4 matrix keypad: one row driven at a time, the columns read, every key debounced, and
//! the result mapped to the core's [`Key`]s through the layout from `[hardware]`.
//!
//! What counts as a press: a key whose reading stayed the same for `stable_scans` scans in a row
//! (contact bounce is shorter), going down while no other key is down. Holding it does nothing
//! more (no auto-repeat). Two keys at once count as neither (and a third key can light a fourth
//! that is not pressed: a ghost of a matrix without diodes), so a cashier's slip never types a
//! digit nobody meant. A key down longer than `stuck_scans` is reported once as stuck and then
//! left out, so the other keys keep working; releasing it ends that.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::HwError;
use super::pins::PinBank;
use crate::core::Key;

/// Which core key each position gives, row by row (`None`: the position does nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeypadLayout {
    pub keys: [[Option<Key>; 4]; 4],
}

/// The names a layout row is written in.
const NAMES: [(&str, Option<Key>); 6] = [
    ("clear", Some(Key::Clear)),
    ("backspace", Some(Key::Backspace)),
    ("cancel", Some(Key::Cancel)),
    ("enter", Some(Key::Enter)),
    ("menu", Some(Key::Menu)),
    ("none", None),
];

impl Default for KeypadLayout {
    /// The common 4x4 membrane keypad, printed `1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D`:
    /// A cancel, B clear, C menu, `*` backspace, `#` enter, D unused.
    fn default() -> Self {
        let d = |n| Some(Key::Digit(n));
        KeypadLayout {
            keys: [
                [d(1), d(2), d(3), Some(Key::Cancel)],
                [d(4), d(5), d(6), Some(Key::Clear)],
                [d(7), d(8), d(9), Some(Key::Menu)],
                [Some(Key::Backspace), d(0), Some(Key::Enter), None],
            ],
        }
    }
}

impl KeypadLayout {
    /// One row of the config's `keypad_layout`: four names separated by spaces, each a digit or
    /// one of clear, backspace, cancel, enter, menu, none.
    pub fn parse_row(text: &str) -> Result<[Option<Key>; 4], String> {
        let mut keys = Vec::new();
        for word in text.split_whitespace() {
            let lower = word.to_ascii_lowercase();
            let key = match lower.as_str() {
                d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
                    Some(Key::Digit(d.as_bytes()[0] - b'0'))
                }
                name => match NAMES.iter().find(|(n, _)| *n == name) {
                    Some((_, key)) => *key,
                    None => {
                        return Err(format!(
                            "{word:?} is not a key; use 0 to 9, clear, backspace, cancel, \
enter, menu or none"
                        ));
                    }
                },
            };
            keys.push(key);
        }
        <[Option<Key>; 4]>::try_from(keys)
            .map_err(|k| format!("expected 4 keys in a row, found {}", k.len()))
    }

    pub fn key_at(&self, row: usize, column: usize) -> Option<Key> {
        self.keys
            .get(row)
            .and_then(|r| r.get(column))
            .copied()
            .flatten()
    }
}

/// How often and how patiently the keypad is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanTiming {
    /// Sleep between two scans of the whole matrix.
    pub period: Duration,
    /// After driving a row, before reading the columns (the lines' capacitance).
    pub settle: Duration,
    /// Scans a key's new reading must hold before it counts.
    pub stable_scans: u32,
    /// Scans a key may stay down before it is reported stuck.
    pub stuck_scans: u32,
}

impl Default for ScanTiming {
    /// 100 scans a second: a press counts after 30 ms of steady contact, well under the 50 ms a
    /// quick tap lasts; a key down for 10 s is stuck.
    fn default() -> Self {
        ScanTiming {
            period: Duration::from_millis(10),
            settle: Duration::from_micros(10),
            stable_scans: 3,
            stuck_scans: 1000,
        }
    }
}

/// What the keypad reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeypadEvent {
    Pressed(Key),
    /// A key held past `stuck_scans`: reported once, then ignored until released.
    Stuck {
        row: usize,
        column: usize,
        key: Option<Key>,
    },
}

#[derive(Clone, Copy, Debug, Default)]
struct KeyState {
    /// The debounced reading.
    down: bool,
    /// Scans in a row whose raw reading differs from `down`.
    differing: u32,
    /// Scans since it went down (debounced).
    held: u32,
    stuck: bool,
}

/// The debouncing and the rules above, on raw readings: pure, so tests feed it scans directly.
#[derive(Clone, Debug)]
pub struct Scanner {
    layout: KeypadLayout,
    timing: ScanTiming,
    keys: [KeyState; 16],
}

impl Scanner {
    pub fn new(layout: KeypadLayout, timing: ScanTiming) -> Scanner {
        Scanner {
            layout,
            timing,
            keys: [KeyState::default(); 16],
        }
    }

    /// One scan's raw readings (bit `row * 4 + column` set: that key reads down) in, what it
    /// means out.
    pub fn update(&mut self, raw: u16) -> Vec<KeypadEvent> {
        let mut events = Vec::new();
        let mut went_down = Vec::new();
        for (i, k) in self.keys.iter_mut().enumerate() {
            let reading = raw & (1 << i) != 0;
            if reading == k.down {
                k.differing = 0;
            } else {
                k.differing += 1;
                if k.differing >= self.timing.stable_scans.max(1) {
                    k.down = reading;
                    k.differing = 0;
                    k.held = 0;
                    k.stuck = false;
                    if reading {
                        went_down.push(i);
                    }
                }
            }
            if k.down {
                k.held = k.held.saturating_add(1);
                if !k.stuck && k.held > self.timing.stuck_scans {
                    k.stuck = true;
                    let (row, column) = (i / 4, i % 4);
                    events.push(KeypadEvent::Stuck {
                        row,
                        column,
                        key: self.layout.key_at(row, column),
                    });
                }
            }
        }
        let down = self.keys.iter().filter(|k| k.down && !k.stuck).count();
        if let ([i], 1) = (went_down.as_slice(), down)
            && let Some(key) = self.layout.key_at(i / 4, i % 4)
        {
            events.push(KeypadEvent::Pressed(key));
        }
        events
    }
}

/// Reads the whole matrix once: each row driven in turn, its columns read, then released (also
/// when a read fails).
pub fn scan(bank: &mut dyn PinBank, settle: Duration) -> Result<u16, HwError> {
    let mut raw = 0u16;
    for row in 0..4 {
        bank.drive_row(row, true)?;
        if !settle.is_zero() {
            std::thread::sleep(settle);
        }
        let mut read = || -> Result<(), HwError> {
            for column in 0..4 {
                if bank.read_column(column)? {
                    raw |= 1 << (row * 4 + column);
                }
            }
            Ok(())
        };
        let result = read();
        bank.drive_row(row, false)?;
        result?;
    }
    Ok(raw)
}

/// The scanning thread. It sleeps between scans (no busy loop) and stops when this is stopped or
/// dropped.
pub struct Keypad {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<Result<(), HwError>>>,
}

impl Keypad {
    /// Starts scanning `bank`; `on_event` runs on the keypad's thread for each press or stuck
    /// key.
    pub fn spawn(
        mut bank: Box<dyn PinBank>,
        layout: KeypadLayout,
        timing: ScanTiming,
        mut on_event: impl FnMut(KeypadEvent) + Send + 'static,
    ) -> Result<Keypad, HwError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("keypad".into())
            .spawn(move || {
                let mut scanner = Scanner::new(layout, timing);
                loop {
                    let raw = match scan(bank.as_mut(), timing.settle) {
                        Ok(raw) => raw,
                        Err(e) => {
                            tracing::error!(error = %e, "keypad stopped");
                            return Err(e);
                        }
                    };
                    for event in scanner.update(raw) {
                        match event {
                            KeypadEvent::Pressed(key) => tracing::debug!(?key, "keypad"),
                            KeypadEvent::Stuck { row, column, key } => tracing::warn!(
                                row,
                                column,
                                ?key,
                                "keypad: a key has been down for {} s, ignored until released",
                                timing.period.saturating_mul(timing.stuck_scans).as_secs()
                            ),
                        }
                        on_event(event);
                    }
                    match stopped.recv_timeout(timing.period) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                }
            })
            .map_err(|e| HwError::Thread(e.to_string()))?;
        Ok(Keypad {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops scanning and waits for the thread; its error if the pins failed.
    pub fn stop(mut self) -> Result<(), HwError> {
        self.halt()
    }

    fn halt(&mut self) -> Result<(), HwError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| HwError::Thread("the keypad thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for Keypad {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hw::pins::{SimKeys, SimPinBank};
    use std::time::Instant;

    fn timing() -> ScanTiming {
        ScanTiming {
            period: Duration::from_millis(1),
            settle: Duration::ZERO,
            stable_scans: 3,
            stuck_scans: 50,
        }
    }

    /// A scanner on a simulated matrix, scanned by hand.
    struct Rig {
        bank: SimPinBank,
        keys: SimKeys,
        scanner: Scanner,
    }

    impl Rig {
        fn new() -> Rig {
            let (bank, keys) = SimPinBank::new();
            Rig {
                bank,
                keys,
                scanner: Scanner::new(KeypadLayout::default(), timing()),
            }
        }

        fn scans(&mut self, n: usize) -> Vec<KeypadEvent> {
            let mut out = Vec::new();
            for _ in 0..n {
                let raw = scan(&mut self.bank, Duration::ZERO).unwrap();
                out.extend(self.scanner.update(raw));
            }
            out
        }
    }

    #[test]
    fn a_bouncing_contact_counts_once() {
        let mut rig = Rig::new();
        // (1, 1) is 5. Contact chatter on the way down: on, off, on, off, then steady.
        for state in [true, false, true, false] {
            if state {
                rig.keys.press(1, 1);
            } else {
                rig.keys.release(1, 1);
            }
            assert_eq!(rig.scans(1), vec![], "no key while it bounces");
        }
        rig.keys.press(1, 1);
        assert_eq!(rig.scans(2), vec![], "not yet stable");
        assert_eq!(rig.scans(1), vec![KeypadEvent::Pressed(Key::Digit(5))]);
        assert_eq!(rig.scans(20), vec![], "held: no auto-repeat");
        // Chatter on the way up, then released: nothing; pressed again: a second 5.
        for state in [false, true, false, true, false] {
            if state {
                rig.keys.press(1, 1);
            } else {
                rig.keys.release(1, 1);
            }
            assert_eq!(rig.scans(1), vec![]);
        }
        assert_eq!(rig.scans(5), vec![]);
        rig.keys.press(1, 1);
        assert_eq!(rig.scans(3), vec![KeypadEvent::Pressed(Key::Digit(5))]);
    }

    #[test]
    fn a_glitch_shorter_than_the_debounce_is_no_key() {
        let mut rig = Rig::new();
        rig.keys.press(3, 2); // enter
        assert_eq!(rig.scans(2), vec![]);
        rig.keys.release(3, 2);
        assert_eq!(rig.scans(10), vec![]);
    }

    #[test]
    fn two_keys_at_once_count_as_neither() {
        let mut rig = Rig::new();
        rig.keys.press(0, 0); // 1
        rig.keys.press(0, 1); // 2
        assert_eq!(rig.scans(10), vec![], "both down in the same scan");
        rig.keys.release(0, 0);
        rig.keys.release(0, 1);
        assert_eq!(rig.scans(10), vec![]);

        // One held, a second pressed: only the first counts, and releasing it does not make the
        // second count.
        rig.keys.press(2, 0); // 7
        assert_eq!(rig.scans(5), vec![KeypadEvent::Pressed(Key::Digit(7))]);
        rig.keys.press(2, 1); // 8
        assert_eq!(rig.scans(5), vec![]);
        rig.keys.release(2, 0);
        assert_eq!(rig.scans(5), vec![]);
        rig.keys.release(2, 1);
        assert_eq!(rig.scans(5), vec![]);

        // Afterwards single keys work again.
        rig.keys.press(3, 1);
        assert_eq!(rig.scans(5), vec![KeypadEvent::Pressed(Key::Digit(0))]);
    }

    #[test]
    fn three_keys_and_their_ghost_type_nothing() {
        let mut rig = Rig::new();
        rig.keys.press(0, 0);
        assert_eq!(rig.scans(5), vec![KeypadEvent::Pressed(Key::Digit(1))]);
        rig.keys.press(0, 1);
        rig.keys.press(1, 0);
        // The matrix now reads (1, 1) = 5 too, which nobody pressed.
        let raw = scan(&mut rig.bank, Duration::ZERO).unwrap();
        assert_ne!(raw & (1 << 5), 0, "the simulated matrix shows the ghost");
        assert_eq!(rig.scans(10), vec![]);
    }

    #[test]
    fn a_stuck_key_is_reported_once_and_the_others_still_work() {
        let mut rig = Rig::new();
        rig.keys.press(0, 3); // cancel
        let events = rig.scans(3);
        assert_eq!(events, vec![KeypadEvent::Pressed(Key::Cancel)]);
        let events = rig.scans(200);
        assert_eq!(
            events,
            vec![KeypadEvent::Stuck {
                row: 0,
                column: 3,
                key: Some(Key::Cancel)
            }],
            "reported exactly once in 200 scans"
        );
        // Still stuck: another key counts.
        rig.keys.press(1, 2);
        assert_eq!(rig.scans(5), vec![KeypadEvent::Pressed(Key::Digit(6))]);
        rig.keys.release(1, 2);
        assert_eq!(
            rig.scans(300),
            vec![],
            "not reported again while still stuck"
        );
        // Freed and pressed again: a normal press.
        rig.keys.release(0, 3);
        assert_eq!(rig.scans(5), vec![]);
        rig.keys.press(0, 3);
        assert_eq!(rig.scans(5), vec![KeypadEvent::Pressed(Key::Cancel)]);
    }

    #[test]
    fn the_layout_is_read_from_config_words() {
        assert_eq!(
            KeypadLayout::parse_row("1 2 3 cancel"),
            Ok([
                Some(Key::Digit(1)),
                Some(Key::Digit(2)),
                Some(Key::Digit(3)),
                Some(Key::Cancel)
            ])
        );
        assert_eq!(
            KeypadLayout::parse_row("Backspace 0  ENTER none"),
            Ok([
                Some(Key::Backspace),
                Some(Key::Digit(0)),
                Some(Key::Enter),
                None
            ])
        );
        let e = KeypadLayout::parse_row("1 2 3 A").unwrap_err();
        assert!(e.contains("\"A\" is not a key"), "{e}");
        let e = KeypadLayout::parse_row("1 2 3").unwrap_err();
        assert!(e.contains("expected 4 keys in a row, found 3"), "{e}");
        let e = KeypadLayout::parse_row("1 2 3 4 5").unwrap_err();
        assert!(e.contains("found 5"), "{e}");
    }

    #[test]
    fn the_thread_reports_presses_and_stops_promptly() {
        let (bank, keys) = SimPinBank::new();
        let (tx, rx) = mpsc::channel();
        let keypad = Keypad::spawn(
            Box::new(bank),
            KeypadLayout::default(),
            timing(),
            move |e| {
                let _ = tx.send(e);
            },
        )
        .unwrap();
        keys.press(2, 2);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok(KeypadEvent::Pressed(Key::Digit(9)))
        );
        keys.release(2, 2);
        let asked = Instant::now();
        keypad.stop().unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "stop took {:?}",
            asked.elapsed()
        );
        assert_eq!(keys.driven_rows(), [false; 4], "no row left driven");
        assert!(
            rx.recv_timeout(Duration::from_millis(50)).is_err(),
            "the thread is gone"
        );
    }
}
