//! Payment providers: one folder per provider (wire types, client, mapping to the core's
//! vocabulary) and the trait through which the runtime calls them.

use std::future::Future;
use std::pin::Pin;

use crate::core::provider::{Failure, FailureKind, Operation, ProviderInfo, Reply};

#[cfg(all(test, feature = "sim"))]
pub mod conformance;
pub mod ezcash;
// With the simulators too: the window tests (tests/ui.rs) drive services and the agent PIN
// through it, and they link the library as built, not its test build.
#[cfg(any(test, feature = "sim"))]
pub mod fake;
pub mod http;
pub mod icash;
pub mod icg;
pub mod mcash;
pub mod moncash;
pub mod registry;
pub mod setup;
#[cfg(test)]
pub(crate) mod test_server;

/// A boxed future, so that providers can live behind `Arc<dyn PaymentProvider>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A provider as the runtime drives it. Implementations classify every failure into the core's
/// [`Failure`] kinds, so the core decides retry, recover or give up without knowing the wire.
pub trait PaymentProvider: Send + Sync {
    /// Name and capabilities, for the method tiles and the core's choices.
    fn info(&self) -> ProviderInfo;

    /// Carries out one operation. Must not retry a money-moving call whose answer was lost:
    /// that is `FailureKind::InDoubt`, and the core recovers it.
    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>>;

    /// Whether `recover` can look an operation up by the sale's key without creating it. Where
    /// it cannot (mCASH: the only lookup is re-sending the identical create), a recovery may
    /// make the sale's first payment request, answered `Reply::Created`, which the core aborts
    /// after a restart. Where it can, recovery never creates: a sale the provider never saw is
    /// `Reply::NotFound`.
    fn looks_up_without_creating(&self) -> bool {
        false
    }

    /// The operator's PIN typed at the start of a shift (`Capabilities::agent_pin`): held in
    /// memory only, never written, until `lock`. Checked with the provider where it can be.
    fn unlock(&self, pin: secrecy::SecretString) -> BoxFuture<'_, Result<(), Failure>> {
        let _ = pin;
        Box::pin(async { Ok(()) })
    }

    /// Forgets the PIN given to `unlock` (zeroized): the shift ended, the terminal locked or
    /// is stopping.
    fn lock(&self) {}

    /// Work done once when the terminal starts (mCASH registers its POS). Idempotent.
    fn start_up(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }

    /// Whether the provider keeps a report per period that the merchant closes at day end
    /// (mCASH ledgers); `kassa report --close` queues a close for each such provider.
    fn closes_reports(&self) -> bool {
        false
    }

    /// Closes the provider's report that holds `day` (UTC), which need not be the one open now:
    /// a close queued last night, or retried after its answer was lost, must not close today's.
    /// Returns a line for a person (what was closed, or that it was closed already).
    fn close_report(&self, day: time::Date) -> BoxFuture<'_, Result<String, Failure>> {
        let _ = day;
        Box::pin(async {
            Err(Failure::new(
                FailureKind::Rejected,
                "this provider keeps no report to close",
            ))
        })
    }
}
