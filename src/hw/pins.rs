//! The pin traits every backend implements, and their simulated twins.
//!
//! The keypad and the outputs speak only to these traits, never to rppal: rppal's upstream is
//! retired, so a character-device backend (gpiocdev, `/dev/gpiochipN`) for other boards can take
//! its place by implementing [`PinBank`] and [`OutputPin`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::HwError;

/// A 4x4 key matrix's pins. "Active" is the electrical level a pressed key makes (low: rows are
/// driven low one at a time, columns have pull-ups), so the scanner never deals in volts.
pub trait PinBank: Send {
    /// Makes `row` the driven row (`active`) or releases it. A released row must not drive at
    /// all (an input), so two pressed keys in one column never short a high row to a low one.
    fn drive_row(&mut self, row: usize, active: bool) -> Result<(), HwError>;
    /// Whether `column` reads active (a pressed key connects it to the driven row).
    fn read_column(&mut self, column: usize) -> Result<bool, HwError>;
}

/// One output line: a light, the buzzer or the vend relay. `on` is the energised state.
pub trait OutputPin: Send {
    fn set(&mut self, on: bool) -> Result<(), HwError>;
}

/// One input line: a vending machine's vend request, a drop sensor. `active` is the asserted
/// state (a closed contact to ground, with the pull-up: low), so callers never deal in volts.
pub trait InputPin: Send {
    fn is_active(&mut self) -> Result<bool, HwError>;
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a simulated finger holds down on the simulated matrix.
#[derive(Debug, Default)]
struct Matrix {
    pressed: [[bool; 4]; 4],
    driven: [bool; 4],
}

impl Matrix {
    /// Electrically, as a matrix without diodes: a column reads active when it is connected to a
    /// driven row through pressed keys, possibly through other rows and columns. Three keys at
    /// three corners of a rectangle so light up the fourth (a ghost), as on the real keypad.
    fn column_active(&self, column: usize) -> bool {
        // Nodes 0..4 are rows, 4..8 columns; flood from the driven rows.
        let mut reached = [false; 8];
        let mut stack: Vec<usize> = (0..4).filter(|r| self.driven[*r]).collect();
        for r in &stack {
            reached[*r] = true;
        }
        while let Some(node) = stack.pop() {
            let neighbours: Vec<usize> = if node < 4 {
                (0..4)
                    .filter(|c| self.pressed[node][*c])
                    .map(|c| c + 4)
                    .collect()
            } else {
                (0..4).filter(|r| self.pressed[*r][node - 4]).collect()
            };
            for n in neighbours {
                if !reached[n] {
                    reached[n] = true;
                    stack.push(n);
                }
            }
        }
        reached[column + 4]
    }
}

/// The simulated keypad matrix: a [`PinBank`] for the scanner and [`SimKeys`] for the test's
/// finger, sharing one state.
#[derive(Debug, Default)]
pub struct SimPinBank {
    matrix: Arc<Mutex<Matrix>>,
}

/// Presses and releases keys on a [`SimPinBank`], by row and column.
#[derive(Clone, Debug)]
pub struct SimKeys {
    matrix: Arc<Mutex<Matrix>>,
}

impl SimPinBank {
    pub fn new() -> (SimPinBank, SimKeys) {
        let matrix = Arc::new(Mutex::new(Matrix::default()));
        (
            SimPinBank {
                matrix: matrix.clone(),
            },
            SimKeys { matrix },
        )
    }
}

impl SimKeys {
    pub fn press(&self, row: usize, column: usize) {
        lock(&self.matrix).pressed[row][column] = true;
    }

    pub fn release(&self, row: usize, column: usize) {
        lock(&self.matrix).pressed[row][column] = false;
    }

    /// Which rows are driven now: a released keypad leaves none driven.
    pub fn driven_rows(&self) -> [bool; 4] {
        lock(&self.matrix).driven
    }
}

impl PinBank for SimPinBank {
    fn drive_row(&mut self, row: usize, active: bool) -> Result<(), HwError> {
        let mut m = lock(&self.matrix);
        match m.driven.get_mut(row) {
            Some(d) => {
                *d = active;
                Ok(())
            }
            None => Err(HwError::NoSuchLine(format!("keypad row {row}"))),
        }
    }

    fn read_column(&mut self, column: usize) -> Result<bool, HwError> {
        if column >= 4 {
            return Err(HwError::NoSuchLine(format!("keypad column {column}")));
        }
        Ok(lock(&self.matrix).column_active(column))
    }
}

/// Where a simulated twin reads the time it records: real milliseconds since it was made, or a
/// hand-moved clock for tests that step time themselves.
#[derive(Clone, Debug)]
pub struct SimClock {
    start: Option<Instant>,
    manual: Arc<AtomicU64>,
}

impl SimClock {
    pub fn real() -> SimClock {
        SimClock {
            start: Some(Instant::now()),
            manual: Arc::default(),
        }
    }

    pub fn manual() -> SimClock {
        SimClock {
            start: None,
            manual: Arc::default(),
        }
    }

    /// Moves a manual clock (a real one ignores it).
    pub fn set_ms(&self, ms: u64) {
        self.manual.store(ms, Ordering::SeqCst);
    }

    pub fn now_ms(&self) -> u64 {
        match self.start {
            Some(start) => u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            None => self.manual.load(Ordering::SeqCst),
        }
    }
}

/// One change a simulated output made: when (ms on its clock) and to what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub at_ms: u64,
    pub on: bool,
}

/// The simulated twin of a light, the buzzer or the relay: records every change it is asked to
/// make (tests read them back with [`SimOutput::changes`]); logs at debug level.
#[derive(Clone, Debug)]
pub struct SimOutput {
    name: &'static str,
    clock: SimClock,
    changes: Arc<Mutex<Vec<Change>>>,
}

impl SimOutput {
    pub fn new(name: &'static str, clock: SimClock) -> SimOutput {
        SimOutput {
            name,
            clock,
            changes: Arc::default(),
        }
    }

    pub fn changes(&self) -> Vec<Change> {
        lock(&self.changes).clone()
    }
}

impl OutputPin for SimOutput {
    fn set(&mut self, on: bool) -> Result<(), HwError> {
        let at_ms = self.clock.now_ms();
        tracing::debug!(output = self.name, on, at_ms, "simulated output");
        lock(&self.changes).push(Change { at_ms, on });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(bank: &mut SimPinBank, row: usize) -> [bool; 4] {
        bank.drive_row(row, true).unwrap();
        let c = [0, 1, 2, 3].map(|c| bank.read_column(c).unwrap());
        bank.drive_row(row, false).unwrap();
        c
    }

    #[test]
    fn a_pressed_key_shows_only_in_its_row() {
        let (mut bank, keys) = SimPinBank::new();
        keys.press(1, 2);
        assert_eq!(columns(&mut bank, 1), [false, false, true, false]);
        assert_eq!(columns(&mut bank, 0), [false; 4]);
        keys.release(1, 2);
        assert_eq!(columns(&mut bank, 1), [false; 4]);
        assert_eq!(keys.driven_rows(), [false; 4]);
    }

    #[test]
    fn three_keys_on_a_rectangle_make_a_ghost_like_the_real_matrix() {
        let (mut bank, keys) = SimPinBank::new();
        keys.press(0, 0);
        keys.press(0, 1);
        keys.press(1, 0);
        // (1, 1) is not pressed, but row 1 reaches column 1 through (1,0), (0,0) and (0,1).
        assert_eq!(columns(&mut bank, 1), [true, true, false, false]);
    }

    #[test]
    fn a_simulated_output_records_its_changes_on_its_clock() {
        let clock = SimClock::manual();
        let mut out = SimOutput::new("green", clock.clone());
        out.set(true).unwrap();
        clock.set_ms(250);
        out.set(false).unwrap();
        assert_eq!(
            out.changes(),
            vec![
                Change { at_ms: 0, on: true },
                Change {
                    at_ms: 250,
                    on: false
                }
            ]
        );
    }
}
