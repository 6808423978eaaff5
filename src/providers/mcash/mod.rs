//! mCASH merchant API (Norway, NOK).

pub mod sign;
pub mod wire;
