//! Sales found unfinished at start: an intent was journaled and its answer never was (power cut,
//! crash, kill). The runtime reads them from the journal; the core resolves each through the
//! provider before it takes a new sale, and never sends a start again.

use super::provider::{PaymentHandle, ProviderId};
use super::sale::{SaleKey, SaleRequest};
use super::time::Millis;
use crate::money::Money;

/// What was left open for one sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resume {
    pub request: SaleRequest,
    pub provider: ProviderId,
    /// The provider's handle, if its start answer was journaled.
    pub handle: Option<PaymentHandle>,
    pub started_at: Millis,
    pub left: Left,
}

/// Which intent has no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Left {
    /// The start (and everything after it): where the payment stands is unknown. Resolved by
    /// `Recover`; a payment still waiting for the customer is cancelled (the screen that showed
    /// it is gone), an authorization in vending is released (the vend did not happen).
    Start,
    /// The recovery at an earlier start made the payment request itself (the sale never reached
    /// the provider before that restart) and journaled its abort: abort it, by the handle when
    /// it was journaled, else recover it first (mCASH's re-POST then answers 200, no new request).
    Abort,
    /// Vending: the product was delivered and the capture journaled; capture it.
    Capture,
    /// Vending: the release was journaled; release it.
    Release,
    /// The sale ended; a refund was journaled and not confirmed: the outbox sends it again with
    /// the same refund key, which the provider treats as the same refund.
    Refund { amount: Money, key: SaleKey },
}
