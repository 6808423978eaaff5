//! The provider conformance kit: one generic test suite, parametrised by provider, that runs a
//! provider's real client against its real simulator over loopback HTTP (and, where a check
//! needs answers no faithful simulator gives, against a scripted server) and checks the promises
//! of `DESIGN.md`. A provider is done when it passes the kit.
//!
//! A provider joins by implementing [`ConformanceSubject`] in its own folder
//! (`src/providers/<id>/conformance.rs`) and adding one [`conformance_suite!`] line at the end of
//! this file. `cargo test --lib conformance` runs every provider, `cargo test --lib
//! conformance::<id>` one. What each check needs from a subject:
//!
//! 1. [`idempotency`] start is idempotent on the sale key (answer dropped after commit, then
//!    recovered; a second start): [`ConformanceSubject::payments_at_sim`] (count of payments from
//!    the simulator's counters) and [`ConformanceSubject::flow`].
//! 2. [`codes`] every documented status and error code maps to the core's vocabulary:
//!    [`ConformanceSubject::codes`] (the table in the provider folder, `<id>/codes.rs`),
//!    [`ConformanceSubject::script`] (a scripted server whose status answers carry a given code),
//!    [`ConformanceSubject::error_answer`] and [`ConformanceSubject::documented_class`] (what the
//!    document says of codes it does not list). Unknown codes never read as paid (proptest).
//! 3. [`auth`] refused credentials are `FailureKind::Auth`, one request per call (no retry
//!    storm): [`ConformanceSubject::auth_rejections`]. Token providers also return
//!    [`ConformanceSubject::token`]: the token is renewed once, one renewal at a time under
//!    concurrent calls, after it expired under the simulator's clock.
//! 4. [`transient`] 5xx and timeouts are transient, a money-moving call whose answer was lost is
//!    in doubt: [`ConformanceSubject::build_with_http`] (a client with a short timeout).
//! 5. [`answers`] malformed, truncated, oversized, wrong-typed and empty answers give a
//!    classified failure naming the problem, never a panic (proptest, every request of every
//!    operation): [`ConformanceSubject::script`] and [`ConformanceSubject::build_with_http`] (a
//!    small body cap).
//! 6. [`amounts`] amounts at the currencies' limits round-trip exactly, through the wire form and
//!    through the simulator: [`ConformanceSubject::to_wire`], [`ConformanceSubject::from_wire`],
//!    [`ConformanceSubject::largest_amount`], [`ConformanceSubject::sim_currencies`] (and
//!    [`ConformanceSubject::payment_command`] where payments are decided at once).
//! 7. [`secrets`] canary secrets never reach the `tracing` output, the journal, the console,
//!    `Debug` output or error texts: [`ConformanceSubject::config_table`] (the provider's config
//!    with the canaries in it, some through `*_file`), [`ConformanceSubject::secret_texts`],
//!    [`ConformanceSubject::sim_setup`] (make the simulator accept the canary credentials).
//!
//! The kit builds every provider in ONE place, [`build`], through the product's own path
//! (`providers::setup`); only checks that need other timeouts or body caps call
//! [`ConformanceSubject::build_with_http`].

pub mod amounts;
pub mod answers;
pub mod auth;
pub mod codes;
pub mod env;
pub mod idempotency;
pub mod scripted;
pub mod secrets;
pub mod transient;

use std::sync::Arc;

use serde_json::Value;

use crate::config::Config;
use crate::core::provider::{FailureKind, PaymentStatus};
use crate::core::sale::Flow;
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

pub use env::{Canaries, Control, Env};

/// A scripted provider: answers each request as the provider would.
pub type Script = Arc<dyn Fn(&Request) -> Answer + Send + Sync>;

/// A provider built outside the product's path, with its `Debug` text (the trait object has
/// none).
pub struct Built {
    pub provider: Arc<dyn PaymentProvider>,
    pub debug: String,
}

/// Where a payment stands, without its details: what a status code must map to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Pending,
    Authorized,
    Approved,
    Declined,
    Expired,
    Cancelled,
    Released,
    Refunded,
}

impl StatusKind {
    pub fn of(status: &PaymentStatus) -> StatusKind {
        match status {
            PaymentStatus::Pending => StatusKind::Pending,
            PaymentStatus::Authorized => StatusKind::Authorized,
            PaymentStatus::Approved { .. } => StatusKind::Approved,
            PaymentStatus::Declined { .. } => StatusKind::Declined,
            PaymentStatus::Expired => StatusKind::Expired,
            PaymentStatus::Cancelled => StatusKind::Cancelled,
            PaymentStatus::Released => StatusKind::Released,
            PaymentStatus::Refunded { .. } => StatusKind::Refunded,
        }
    }
}

/// What a code of the provider's document must become in the core's vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maps {
    /// A payment status code: the status a status check reports.
    Status(StatusKind),
    /// An error code (HTTP status plus error body): the failure of a call that moves no money
    /// (a status check) and of one that does (the start's money-moving request).
    Failure {
        status_call: FailureKind,
        money_call: FailureKind,
    },
}

/// One row of a provider's code table (`src/providers/<id>/codes.rs`).
#[derive(Clone, Copy, Debug)]
pub struct Code {
    /// As the provider writes it (`"2000"`, `"401"`, `"successful"`).
    pub code: &'static str,
    /// What the document says it means.
    pub meaning: &'static str,
    pub maps_to: Maps,
}

/// How a provider authenticates.
#[derive(Clone, Copy, Debug)]
pub struct TokenAuth {
    /// Seconds a token lives at the simulator.
    pub lifetime_seconds: u64,
    /// Token requests so far, from the simulator's counters.
    pub token_requests: fn(&Value) -> u64,
}

/// A provider under test. Implemented in the provider's folder; see the module comment for
/// which check uses what.
pub trait ConformanceSubject: 'static {
    /// The provider id: config table, simulator prefix, control API name.
    const ID: &'static str;

    /// The provider's config table(s), `[providers.<id>]` with its keys, pointing at `base_url`
    /// and carrying the canaries. Files it names (`*_file`) are written by [`Self::files`].
    fn config_table(base_url: &str, canaries: &Canaries) -> String;

    /// Files to write next to the config (name, contents), such as a secret read through
    /// `*_file`.
    fn files(canaries: &Canaries) -> Vec<(String, String)>;

    /// Control commands (`POST /control/<id>/x/<command>`, body) that make the simulator accept
    /// the canary credentials.
    fn sim_setup(canaries: &Canaries) -> Vec<(String, Value)>;

    /// Every text from the config that must never be seen outside the program.
    fn secret_texts(canaries: &Canaries) -> Vec<String>;

    /// Builds the provider from config with other HTTP settings (short timeouts, a small body
    /// cap). Until the registry takes an [`HttpConfig`], this is the provider's own build.
    fn build_with_http(config: &Config, http: HttpConfig) -> Result<Built, String>;

    /// The customer flow the kit's sales use.
    fn flow() -> Flow;

    /// Currencies the kit starts sales in at the simulator (the first is the terminal's).
    fn sim_currencies() -> Vec<Currency>;

    /// Payments the simulator holds, all sale keys together, from its counters.
    fn payments_at_sim(counters: &Value) -> u64;

    /// Requests the simulator refused for bad or revoked credentials, from its counters.
    fn auth_rejections(counters: &Value) -> u64;

    /// `Some` for providers with a token; `None`: static credentials on every call.
    fn token() -> Option<TokenAuth> {
        None
    }

    /// For a provider whose payments are decided at once (nothing stays open for a customer):
    /// the control command (`POST /control/<id>/x/<command>` with `{"id": <handle>}`) that
    /// answers a payment's recorded `amount` and `currency`. `None`: the kit reads the open
    /// requests.
    fn payment_command() -> Option<&'static str> {
        None
    }

    /// The provider's documented status and error codes.
    fn codes() -> &'static [Code];

    /// What the document says of a code it does not list (mCASH: by the first digit); `None`:
    /// nothing, so the code must never read as paid.
    fn documented_class(code: &str) -> Option<StatusKind>;

    /// A scripted server answering every request of every operation the way the provider's
    /// document shows, with the payment's status answers carrying `status_code`.
    fn script(status_code: &str) -> Script;

    /// The provider's answer carrying an error code of its table (`Maps::Failure` rows).
    fn error_answer(code: &str) -> Answer;

    /// The amount as it crosses the wire (the JSON value's text: `"12.50"` or `12.5`).
    fn to_wire(amount: Money) -> String;

    /// The amount read back from its wire text.
    fn from_wire(text: &str, currency: Currency) -> Result<Money, String>;

    /// The largest amount the provider takes in `currency`.
    fn largest_amount(currency: Currency) -> Money;
}

/// The one place the kit builds a provider the way the product does. (When the registry
/// replaces `providers::setup`, this is the line to change.)
pub fn build<S: ConformanceSubject>(config: &Config) -> Result<Arc<dyn PaymentProvider>, String> {
    let providers = crate::providers::setup::from_config(config).map_err(|e| e.to_string())?;
    providers
        .into_iter()
        .find(|p| p.info().id.as_str() == S::ID)
        .ok_or_else(|| format!("the config built no {} provider", S::ID))
}

/// Expands to the whole kit for one provider: `conformance_suite!(mcash, McashSubject)` makes
/// `providers::conformance::mcash::*` tests.
macro_rules! conformance_suite {
    ($id:ident, $subject:ty) => {
        mod $id {
            use $crate::providers::conformance as kit;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn start_is_idempotent_on_the_sale_key() {
                kit::idempotency::start_is_idempotent::<$subject>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn documented_codes_map_to_the_core_vocabulary() {
                kit::codes::documented_codes_map::<$subject>().await;
            }

            #[test]
            fn unknown_codes_never_read_as_paid() {
                kit::codes::unknown_codes_never_paid::<$subject>();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refused_credentials_are_auth_without_a_retry_storm() {
                kit::auth::refused_credentials::<$subject>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn server_errors_and_timeouts_are_transient_or_in_doubt() {
                kit::transient::server_errors_and_timeouts::<$subject>().await;
            }

            #[test]
            fn bad_answers_give_a_named_failure_never_a_panic() {
                kit::answers::bad_answers::<$subject>();
            }

            #[test]
            fn amounts_round_trip_through_the_wire_form() {
                kit::amounts::wire_round_trip::<$subject>();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn amounts_at_the_limits_reach_the_simulator_exactly() {
                kit::amounts::sim_round_trip::<$subject>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn canary_secrets_never_leave_the_program() {
                kit::secrets::canaries_stay_inside::<$subject>().await;
            }
        }
    };
}

// One line per provider.
conformance_suite!(mcash, crate::providers::mcash::conformance::McashSubject);
conformance_suite!(
    moncash,
    crate::providers::moncash::conformance::MoncashSubject
);
// icg joins once `kassa pay` can type an invoice number (platform part 2): its canary check
// sells through `pay`. Its other eight checks pass (see the icg branch's commit message).
