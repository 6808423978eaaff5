//! Every status and error code `moncash.txt` (and the MonCash part of NOTES.md) gives, with what
//! it means there and what the terminal must make of it. MonCash has no payment status codes:
//! a paid order's `payment.message` is `successful`, an unpaid one is a 404. The conformance kit
//! feeds each row through the client ([`crate::providers::conformance::codes`]).

use crate::core::provider::FailureKind::{Auth, InDoubt, Rejected, Transient};
use crate::providers::conformance::StatusKind::{Approved, Pending};
use crate::providers::conformance::{Code, Maps};

/// `payment.message` of RetrieveOrderPayment, then HTTP error statuses of the endpoints.
pub const CODES: &[Code] = &[
    Code {
        code: "successful",
        meaning: "RetrieveOrderPayment: the order is paid (payment.message)",
        maps_to: Maps::Status(Approved),
    },
    Code {
        code: "404",
        meaning: "RetrieveOrderPayment 404 Can't find this transaction: not paid yet (NOTES)",
        maps_to: Maps::Status(Pending),
    },
    Code {
        code: "400",
        meaning: "Bad request (NOTES: {\"message\": \"The amount is incorrect\"})",
        maps_to: Maps::Failure {
            status_call: Rejected,
            money_call: Rejected,
        },
    },
    Code {
        code: "401",
        meaning: "Unauthorized: the client's credentials refused (NOTES: wrong secret is 401)",
        maps_to: Maps::Failure {
            status_call: Auth,
            money_call: Auth,
        },
    },
    Code {
        code: "403",
        meaning: "Forbidden: Maximum Account Balance (the document's Transfert refusal)",
        maps_to: Maps::Failure {
            status_call: Rejected,
            money_call: Rejected,
        },
    },
    Code {
        code: "500",
        meaning: "Internal Server Error (Spring's error body)",
        maps_to: Maps::Failure {
            status_call: Transient,
            money_call: InDoubt,
        },
    },
    Code {
        code: "502",
        meaning: "A proxy's 502 page in front of the API",
        maps_to: Maps::Failure {
            status_call: Transient,
            money_call: InDoubt,
        },
    },
    Code {
        code: "503",
        meaning: "Service unavailable",
        maps_to: Maps::Failure {
            status_call: Transient,
            money_call: InDoubt,
        },
    },
];
