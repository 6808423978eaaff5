//! Supervisor and cashier PINs: stored as argon2 hashes, checked in constant work, and locked
//! with a growing delay after five wrong tries.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::event::Key;
use super::message::Message;
use super::time::Millis;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PinError {
    #[error(
        "not an argon2 PIN hash (expected a string starting with $argon2id$; make one with `kassa config hash-pin`)"
    )]
    NotAHash,
    #[error("a PIN must be 4 to 12 digits")]
    BadPin,
}

/// An argon2 PHC string. Not the PIN, but still kept out of logs: it can be brute-forced.
#[derive(Clone)]
pub struct PinHash(SecretString);

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash(***)")
    }
}

impl PinHash {
    /// Checks the form of a stored hash (config load), so a typo is found at start, not at the
    /// first refund.
    pub fn parse(phc: SecretString) -> Result<PinHash, PinError> {
        let h = PasswordHash::new(phc.expose_secret()).map_err(|_| PinError::NotAHash)?;
        if !h.algorithm.as_str().starts_with("argon2") {
            return Err(PinError::NotAHash);
        }
        Ok(PinHash(phc))
    }

    /// Hashes a PIN with a random salt (for `kassa config hash-pin` and tests). `cheap` uses
    /// small parameters, for tests only.
    pub fn hash(pin: &str, salt_seed: [u8; 16], cheap: bool) -> Result<PinHash, PinError> {
        if pin.len() < 4 || pin.len() > 12 || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::BadPin);
        }
        let params = if cheap {
            Params::new(8, 1, 1, None)
        } else {
            Params::new(19 * 1024, 2, 1, None)
        }
        .map_err(|_| PinError::NotAHash)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(&salt_seed).map_err(|_| PinError::NotAHash)?;
        let phc = argon
            .hash_password(pin.as_bytes(), &salt)
            .map_err(|_| PinError::NotAHash)?
            .to_string();
        Ok(PinHash(SecretString::from(phc)))
    }

    pub fn verify(&self, pin: &str) -> bool {
        match PasswordHash::new(self.0.expose_secret()) {
            Ok(h) => Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok(),
            Err(_) => false,
        }
    }

    pub fn expose_phc(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Counts wrong tries. After [`PinGuard::FREE_TRIES`] wrong tries each further wrong try locks
/// entry for twice as long as the last (30 s, 60 s, 120 s, ... up to an hour).
#[derive(Clone, Debug, Default)]
pub struct PinGuard {
    wrong: u32,
    locked_until: Option<Millis>,
}

impl PinGuard {
    pub const FREE_TRIES: u32 = 5;

    /// `Some(until)` while locked.
    pub fn locked(&self, now: Millis) -> Option<Millis> {
        self.locked_until.filter(|until| now < *until)
    }

    pub fn wrong_tries(&self) -> u32 {
        self.wrong
    }

    pub fn record_wrong(&mut self, now: Millis) {
        self.wrong += 1;
        if self.wrong >= Self::FREE_TRIES {
            let doublings = (self.wrong - Self::FREE_TRIES).min(7);
            let delay = (30_000u64 << doublings).min(3_600_000);
            self.locked_until = Some(now + delay);
        }
    }

    pub fn record_right(&mut self) {
        self.wrong = 0;
        self.locked_until = None;
    }
}

/// What a key did to a PIN being typed.
#[derive(Debug, PartialEq, Eq)]
pub enum PinStep<T> {
    Typing,
    /// Cancel on an empty PIN: leave the PIN screen.
    Cancelled,
    /// The PIN was right; `T` says whose it was.
    Accepted(T),
    /// Wrong or locked: the message to show. The typed PIN is cleared.
    Refused(Message),
}

/// The one keypad behaviour of every PIN screen: digits (at most 12), backspace, clear, and
/// on Enter the lockout check, then `check`, then counting the try.
pub fn pin_key<T>(
    guard: &mut PinGuard,
    pin: &mut String,
    key: Key,
    now: Millis,
    check: impl FnOnce(&str) -> Option<T>,
) -> PinStep<T> {
    match key {
        Key::Digit(d) if pin.len() < 12 && d <= 9 => pin.push(char::from(b'0' + d)),
        Key::Backspace => {
            pin.pop();
        }
        Key::Clear => pin.clear(),
        Key::Cancel if pin.is_empty() => return PinStep::Cancelled,
        Key::Cancel => pin.clear(),
        Key::Enter => {
            let typed = std::mem::take(pin);
            if let Some(until) = guard.locked(now) {
                return PinStep::Refused(locked_message(now, until));
            }
            return match check(&typed) {
                Some(who) => {
                    guard.record_right();
                    PinStep::Accepted(who)
                }
                None => {
                    guard.record_wrong(now);
                    PinStep::Refused(match guard.locked(now) {
                        Some(until) => locked_message(now, until),
                        None => Message::WrongPin {
                            tries: guard.wrong_tries(),
                            allowed: PinGuard::FREE_TRIES,
                        },
                    })
                }
            };
        }
        _ => {}
    }
    PinStep::Typing
}

fn locked_message(now: Millis, until: Millis) -> Message {
    Message::PinLocked {
        seconds: until.saturating_sub(now).div_ceil(1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_its_pin_and_hides_itself() {
        let h = PinHash::hash("2468", [7; 16], true).unwrap();
        assert!(h.verify("2468"));
        assert!(!h.verify("2469"));
        assert!(!format!("{h:?}").contains("argon2"));
        let again = PinHash::parse(SecretString::from(h.expose_phc().to_string())).unwrap();
        assert!(again.verify("2468"));
        assert_eq!(
            PinHash::parse(SecretString::from("1234".to_string())).unwrap_err(),
            PinError::NotAHash
        );
        assert_eq!(
            PinHash::hash("12", [0; 16], true).unwrap_err(),
            PinError::BadPin
        );
    }

    #[test]
    fn five_wrong_tries_lock_with_a_growing_delay() {
        let mut g = PinGuard::default();
        let t0 = Millis(1_000_000);
        for _ in 0..4 {
            g.record_wrong(t0);
            assert_eq!(g.locked(t0), None);
        }
        g.record_wrong(t0);
        assert_eq!(g.locked(t0), Some(t0 + 30_000));
        assert_eq!(g.locked(t0 + 30_000), None);
        g.record_wrong(t0 + 30_000);
        assert_eq!(g.locked(t0 + 30_000), Some(t0 + 90_000));
        g.record_right();
        assert_eq!(g.locked(t0 + 30_000), None);
        assert_eq!(g.wrong_tries(), 0);
    }
}
