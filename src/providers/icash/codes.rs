//! What the terminal makes of iCash's answers, as a table the conformance kit walks.
//!
//! `icash.txt` has no payment status codes at all: a sale's state is read from the merchant's
//! statement. The "status codes" here name what the statement shows for a QR sale (the kit's
//! scripted server writes that statement), so the mapping of each reading is checked through
//! the real client; a code the table does not list is written as an entry that is no credit of
//! the sale's amount, and must never read as paid. The error codes are the HTTP statuses
//! ASP.NET answers with its `{"Message"}` body (a 401 is checked by the kit's auth check: the
//! client logs in again once, so a single scripted 401 is not a failure).

use crate::core::provider::FailureKind::{InDoubt, Rejected, Transient};
use crate::providers::conformance::StatusKind::{Approved, Pending};
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
        "credit",
        "the statement shows a credit of exactly the sale's amount after the QR was shown",
        Approved,
    ),
    status(
        "none",
        "the statement shows nothing for the sale yet",
        Pending,
    ),
    status(
        "topup",
        "a voucher top-up (opType 15) of the same amount: the merchant's own, not the sale",
        Pending,
    ),
    status(
        "debit",
        "money going out (opType -1, a transfer) of the same amount",
        Pending,
    ),
    status(
        "early",
        "a credit of the amount from before the QR was shown (another sale's)",
        Pending,
    ),
    error(
        "400",
        "{\"Message\"}: the request is invalid",
        Rejected,
        Rejected,
    ),
    error(
        "404",
        "{\"Message\"}: no HTTP resource matches the request URI",
        Rejected,
        Rejected,
    ),
    error(
        "500",
        "{\"Message\": \"An error has occurred.\"}",
        Transient,
        InDoubt,
    ),
    error(
        "502",
        "a proxy's 502 page in front of the API",
        Transient,
        InDoubt,
    ),
    error(
        "503",
        "the service is unavailable (Azure)",
        Transient,
        InDoubt,
    ),
];
