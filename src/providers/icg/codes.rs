//! The codes of iCheckGateway's answers and what the terminal makes of them. The document lists
//! none: the process response's `Status` words are this client's decision (see the module
//! comment of `icg`), and the error statuses are the one the document names (400) plus what
//! NOTES and any HTTP server give. The conformance kit feeds each through the client.
//!
//! Not in the table: 401. A single 401 is answered by one token renewal and one repeat of the
//! call (so one injected 401 is not a failure at all); a second 401, or a refused grant, is
//! `Auth`: the client's own tests cover both.

use crate::core::provider::FailureKind::{InDoubt, Rejected, Transient};
use crate::providers::conformance::StatusKind::{Approved, Declined, Pending};
use crate::providers::conformance::{Code, Maps, StatusKind};

const fn status(code: &'static str, meaning: &'static str, kind: StatusKind) -> Code {
    Code {
        code,
        meaning,
        maps_to: Maps::Status(kind),
    }
}

const fn error(
    code: &'static str,
    meaning: &'static str,
    status_call: crate::core::provider::FailureKind,
    money_call: crate::core::provider::FailureKind,
) -> Code {
    Code {
        code,
        meaning,
        maps_to: Maps::Failure {
            status_call,
            money_call,
        },
    }
}

/// Process response `Status` words, then HTTP error statuses.
pub const CODES: &[Code] = &[
    status(
        "Approved",
        "the payment was made (decided: no values are documented)",
        Approved,
    ),
    status(
        "Declined",
        "the payment was refused, StatusMessage says why (decided)",
        Declined,
    ),
    status(
        "Error",
        "the payment failed, StatusMessage says why (decided)",
        Declined,
    ),
    status("Pending", "not decided yet (decided)", Pending),
    error(
        "400",
        "the only documented error status: a bad request, nothing was paid",
        Rejected,
        Rejected,
    ),
    error("404", "no such invoice (the lookup)", Rejected, Rejected),
    error("500", "server error", Transient, InDoubt),
    error(
        "502",
        "a proxy's 502 page in front of the API",
        Transient,
        InDoubt,
    ),
    error("503", "service unavailable", Transient, InDoubt),
];
