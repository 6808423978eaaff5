//! Ledgers, their reports (closed at day end) and settlements.

use super::*;

// Ledger and report

/// `POST /ledger/` (SECRET): 201 `{"id"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerCreate {
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PUT /ledger/<ledger_id>/` (SECRET): 204.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LedgerUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /ledger/<ledger_id>/` (SECRET).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub id: String,
    pub currency: Currency,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub open_report_uri: Option<String>,
    #[serde(default)]
    pub last_closed_report_uri: Option<String>,
}

/// `PUT /ledger/<ledger_id>/report/<report_id>/` (SECRET): starts closing the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportClose {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_uri: Option<String>,
}

/// A report's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    Open,
    Closing,
    Closed,
}

/// `GET /ledger/<ledger_id>/report/<report_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    #[serde(default)]
    pub transaction_log_uris: Option<Vec<String>>,
    #[serde(default)]
    pub scope_log_uris: Option<Vec<String>>,
    #[serde(default)]
    pub previous_report_uri: Option<String>,
    #[serde(default)]
    pub settlement_uri: Option<String>,
    #[serde(default)]
    pub status: Option<ReportStatus>,
    #[serde(default)]
    pub time_closed: Option<String>,
    #[serde(default)]
    pub report_summary: Option<Value>,
    #[serde(default)]
    pub callback_uri: Option<String>,
    #[serde(default)]
    pub payment_request_count: Option<u64>,
    #[serde(default)]
    pub payment_auth_count: Option<u64>,
    #[serde(default)]
    pub payment_capture_count: Option<u64>,
    #[serde(default)]
    pub payment_release_count: Option<u64>,
    #[serde(default)]
    pub payment_expire_count: Option<u64>,
    #[serde(default)]
    pub payment_fail_count: Option<u64>,
    #[serde(default)]
    pub payment_abort_count: Option<u64>,
    #[serde(default)]
    pub payment_refund_count: Option<u64>,
    #[serde(default)]
    pub permission_request_count: Option<u64>,
    #[serde(default)]
    pub permission_answered_count: Option<u64>,
    #[serde(default)]
    pub permission_fail_count: Option<u64>,
}

// Settlement

/// `GET /settlement/<settlement_id>/` (SECRET). `GET /last_settlement/` redirects (302) here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    pub id: String,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub transaction_log_uris: Vec<String>,
    #[serde(default)]
    pub scope_log_uris: Vec<String>,
    #[serde(default)]
    pub settlement_summary: Option<Vec<Value>>,
    #[serde(default)]
    pub payout_details: Option<Vec<Value>>,
}

/// `GET /settlement_account/<settlement_account_id>/` (SECRET).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementAccount {
    #[serde(default)]
    pub net_transactions_for: Option<Vec<String>>,
    #[serde(default)]
    pub bill_scopes_for: Option<Vec<String>>,
}
