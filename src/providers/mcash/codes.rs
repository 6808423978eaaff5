//! Every status and error code `mcash.txt` (and the mCASH part of NOTES.md) lists, with what it
//! means there and what the terminal must make of it. The conformance kit feeds each through
//! the client and checks the mapping ([`crate::providers::conformance::codes`]).

use crate::core::provider::FailureKind::{Auth, InDoubt, Rejected, Transient};
use crate::providers::conformance::StatusKind::{
    Approved, Authorized, Cancelled, Declined, Expired, Pending,
};
use crate::providers::conformance::{Code, Maps};

const fn status(
    code: &'static str,
    meaning: &'static str,
    kind: crate::providers::conformance::StatusKind,
) -> Code {
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

/// Outcome `status_code`s (the document's table), then HTTP error statuses of its endpoints.
pub const CODES: &[Code] = &[
    status("1003", "PENDING - Waiting for customer or bank", Pending),
    status("2000", "OK - Payment received", Approved),
    status(
        "3008",
        "AUTH - Payment authorized, ready for capture",
        Authorized,
    ),
    status("4004", "NOT_FOUND - No such customer", Declined),
    status(
        "4019",
        "ABORTED - Merchant aborted payment before capture",
        Cancelled,
    ),
    status(
        "5006",
        "REJECTED - Customer rejected/aborted payment request",
        Declined,
    ),
    status("5011", "REQUEST_EXPIRED - Payment request expired", Expired),
    status(
        "5012",
        "AUTH_EXPIRED - Authorization not captured within 3 days",
        Declined,
    ),
    error("400", "Bad request, validation error", Rejected, Rejected),
    error(
        "401",
        "Credentials refused (NOTES: SECRET or KEY auth failed)",
        Auth,
        Auth,
    ),
    error("403", "Role not permitted for this endpoint", Auth, Auth),
    error(
        "404",
        "tid not found (or unauthorized for this merchant)",
        Rejected,
        Rejected,
    ),
    error(
        "409",
        "Conflict, same pos_id and pos_tid used for a different request earlier",
        Rejected,
        Rejected,
    ),
    error(
        "500",
        "Server error (NOTES: 5xx answers happen; retry idempotent calls)",
        Transient,
        InDoubt,
    ),
    error(
        "502",
        "A proxy's 502 page in front of the API",
        Transient,
        InDoubt,
    ),
    error("503", "Service unavailable", Transient, InDoubt),
];
