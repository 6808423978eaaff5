//! Every status of `ezcash.txt` (and NOTES.md: 5, 10, 62) with what it means there and what the
//! terminal must make of it, for the conformance kit
//! ([`crate::providers::conformance::codes`]). The kit feeds a status code through a status
//! query, and an error code through the last request of a status query and of a start.
//!
//! In a status query's answer, a failure code of the transaction is a decline; the codes about
//! the caller (37, 41, 55, 63) and 68 describe the query itself, so they are error rows here:
//! an auth failure (or a refusal) of the query, and of a start, where nothing moved. 64 in a
//! status answer says the id is known without an outcome: pending. The HTTP row is a proxy's
//! 502. The gateway's WSO2 faults are not rows: one such answer is followed by a renewal or a
//! back-off and a retry that succeeds, so the client's own tests check them (`flow_tests`).

use crate::core::provider::FailureKind::{Auth, InDoubt, Rejected, Transient};
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

pub const CODES: &[Code] = &[
    status(
        "5",
        "SUCCESS: Transaction you performed is successful.",
        Approved,
    ),
    status(
        "10",
        "Transaction is accepted (v1): waiting for the customer",
        Pending,
    ),
    status("62", "Accepted, pending (v2, NOTES)", Pending),
    status("6", "Transaction Failure", Declined),
    status("12", "Invalid Agent Status", Declined),
    status("16", "Invalid Recipient Status", Declined),
    status("25", "Unauthorized Transaction Type", Declined),
    status("26", "Unauthorized Recipient Type", Declined),
    status("40", "Invalid Transaction Type", Declined),
    status("51", "Invalid Recipient", Declined),
    status("17", "Amount less than the minimum value allowed", Declined),
    status("18", "Amount exceed the maximum value allowed", Declined),
    status(
        "19",
        "Amount exceed the daily transaction capping",
        Declined,
    ),
    status(
        "20",
        "Amount less than the minimum limit allow for compartment",
        Declined,
    ),
    status("21", "Amount exceed the daily out capping", Declined),
    status("22", "Insufficient amount balance", Declined),
    status(
        "23",
        "Amount exceed the max limit for compartment allowed",
        Declined,
    ),
    status("24", "Amount exceed the daily in capping", Declined),
    status(
        "64",
        "Duplicate Request ID (on a status answer: known, no outcome)",
        Pending,
    ),
    error("37", "Invalid Agent Pin", Auth, Auth),
    error("41", "Invalid Initiator", Auth, Auth),
    error(
        "55",
        "Account is blocked due to invalid pin retries",
        Auth,
        Auth,
    ),
    error("63", "Invalid username/password", Auth, Auth),
    error(
        "68",
        "Missing or incorrect requested parameters",
        Rejected,
        Rejected,
    ),
    error(
        "502",
        "A proxy's 502 page in front of ideabiz",
        Transient,
        InDoubt,
    ),
];
