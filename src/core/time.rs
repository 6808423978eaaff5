//! Time as the runtime gives it to the core: the core never reads a clock itself.

use std::ops::Add;

use serde::{Deserialize, Serialize};

/// Wall-clock time in milliseconds since the Unix epoch, as given by the runtime.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    pub fn saturating_sub(self, other: Millis) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}
