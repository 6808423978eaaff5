//! eZ Cash's `status` numbers as typed values: the successes and pendings NOTES.md names, and
//! every failure of the document's "Error Codes" table with the document's own wording (its
//! spelling kept), plus how each is read on a money-moving call and on a status query.

use std::fmt;

/// A failure status of the document's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    TransactionFailure,
    InvalidAgentStatus,
    InvalidRecipientStatus,
    UnauthorizedTransactionType,
    UnauthorizedRecipientType,
    InvalidAgentPin,
    InvalidTransactionType,
    InvalidInitiator,
    InvalidCredentials,
    DuplicateRequestId,
    InvalidRecipient,
    BlockedByPinRetries,
    BelowMinimum,
    AboveMaximum,
    DailyCapExceeded,
    BelowCompartmentMinimum,
    DailyOutCapExceeded,
    InsufficientBalance,
    AboveCompartmentMaximum,
    DailyInCapExceeded,
    MissingParameters,
}

/// Every row of the table: code, reason, the document's description.
pub const TABLE: &[(u32, Reason, &str)] = &[
    (6, Reason::TransactionFailure, "Transaction Failure"),
    (12, Reason::InvalidAgentStatus, "Invalid Agent Status"),
    (
        16,
        Reason::InvalidRecipientStatus,
        "Invalid Recipient Status",
    ),
    (
        25,
        Reason::UnauthorizedTransactionType,
        "Unauthorized Transaction Type",
    ),
    (
        26,
        Reason::UnauthorizedRecipientType,
        "Unauthorized Recipient Type",
    ),
    (37, Reason::InvalidAgentPin, "Invalid Agent Pin"),
    (
        40,
        Reason::InvalidTransactionType,
        "Invalid Transaction Type",
    ),
    (41, Reason::InvalidInitiator, "Invalid Initiator"),
    (63, Reason::InvalidCredentials, "Invalid username/password"),
    (64, Reason::DuplicateRequestId, "Duplicate Request ID"),
    (51, Reason::InvalidRecipient, "Invalid Recipient"),
    (
        55,
        Reason::BlockedByPinRetries,
        "Account is blocked due to invalid pin retries",
    ),
    (
        17,
        Reason::BelowMinimum,
        "Amount less than the minimum value allowed",
    ),
    (
        18,
        Reason::AboveMaximum,
        "Amount exceed the maximum value allowed",
    ),
    (
        19,
        Reason::DailyCapExceeded,
        "Amount exceed the daily transaction capping",
    ),
    (
        20,
        Reason::BelowCompartmentMinimum,
        "Amount less than the minimum limit allow for compartment",
    ),
    (
        21,
        Reason::DailyOutCapExceeded,
        "Amount exceed the daily out capping",
    ),
    (
        22,
        Reason::InsufficientBalance,
        "Insufficient amount balance",
    ),
    (
        23,
        Reason::AboveCompartmentMaximum,
        "Amount exceed the max limit for compartment allowed",
    ),
    (
        24,
        Reason::DailyInCapExceeded,
        "Amount exceed the daily in capping",
    ),
    (
        68,
        Reason::MissingParameters,
        "Missing or incorrect requested parameters",
    ),
];

impl Reason {
    pub fn from_code(code: u32) -> Option<Reason> {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, r, _)| *r)
    }

    fn row(self) -> (u32, &'static str) {
        TABLE
            .iter()
            .find(|(_, r, _)| *r == self)
            .map(|(c, _, d)| (*c, *d))
            .unwrap_or((0, "unknown"))
    }

    pub fn code(self) -> u32 {
        self.row().0
    }

    /// The document's description.
    pub fn description(self) -> &'static str {
        self.row().1
    }

    /// Whether it is about the caller (its PIN, its account, its credentials) rather than the
    /// transaction: refused before anything moved, and a person must act.
    pub fn is_credentials(self) -> bool {
        matches!(
            self,
            Reason::InvalidAgentPin
                | Reason::InvalidInitiator
                | Reason::InvalidCredentials
                | Reason::BlockedByPinRetries
        )
    }

    /// Whether, in the answer to a status query, it describes the query itself rather than the
    /// queried transaction (so it must not be read as that transaction's outcome).
    pub fn is_about_the_query(self) -> bool {
        self.is_credentials() || self == Reason::MissingParameters
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.code())
    }
}

/// A `status` as eZ Cash answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// 5: "Transaction you performed is successful."
    Success,
    /// 10 (v1): "Transaction is accepted": waiting, for TX_AOTC on the customer's approval.
    Accepted,
    /// 62 (v2): accepted, pending.
    Pending,
    Failed(Reason),
    /// Not in the document: never read as success.
    Unknown(u32),
    /// A `status` that is not a number at all (a word): never read as success either.
    NotANumber,
}

impl TxStatus {
    pub fn from_code(code: u32) -> TxStatus {
        match code {
            5 => TxStatus::Success,
            10 => TxStatus::Accepted,
            62 => TxStatus::Pending,
            n => Reason::from_code(n).map_or(TxStatus::Unknown(n), TxStatus::Failed),
        }
    }

    pub fn code(self) -> u32 {
        match self {
            TxStatus::Success => 5,
            TxStatus::Accepted => 10,
            TxStatus::Pending => 62,
            TxStatus::Failed(r) => r.code(),
            TxStatus::Unknown(n) => n,
            TxStatus::NotANumber => 0,
        }
    }

    pub fn is_waiting(self) -> bool {
        matches!(self, TxStatus::Accepted | TxStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_round_trips_with_the_documents_wording() {
        assert_eq!(TABLE.len(), 21, "the document's table has 21 rows");
        for (code, reason, text) in TABLE {
            assert_eq!(Reason::from_code(*code), Some(*reason));
            assert_eq!(reason.code(), *code);
            assert_eq!(reason.description(), *text);
            assert_eq!(TxStatus::from_code(*code), TxStatus::Failed(*reason));
            assert_eq!(TxStatus::from_code(*code).code(), *code);
        }
        assert_eq!(
            Reason::BlockedByPinRetries.to_string(),
            "Account is blocked due to invalid pin retries (55)"
        );
        assert_eq!(TxStatus::from_code(5), TxStatus::Success);
        assert!(TxStatus::from_code(10).is_waiting());
        assert!(TxStatus::from_code(62).is_waiting());
        assert_eq!(TxStatus::from_code(7), TxStatus::Unknown(7));
        assert!(Reason::InvalidAgentPin.is_credentials());
        assert!(Reason::MissingParameters.is_about_the_query());
        assert!(!Reason::InsufficientBalance.is_about_the_query());
    }
}
