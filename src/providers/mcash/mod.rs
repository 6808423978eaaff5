//! mCASH merchant API (Norway, NOK).

pub mod client;
pub mod sign;
pub mod wire;
