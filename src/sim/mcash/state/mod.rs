//! The mCASH simulator's in-memory state and the payment request life cycle, without HTTP.
//!
//! Every change takes `now` (the sim clock) so expiry is exact and testable; every change that
//! mCASH announces pushes a [`Notice`] to `outbox`, which the caller sends after unlocking.

use std::collections::{BTreeMap, HashMap};

use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::money::{Currency, Money};
use crate::providers::mcash::wire::StatusCode as Code;

use super::ApiError;

mod life;
mod views;

/// An authorization lives this long unless renewed (the document: 3 days).
pub const AUTH_LIFETIME: time::Duration = time::Duration::days(3);
/// A scan token lives one day (NOTES).
pub const SCAN_LIFETIME: time::Duration = time::Duration::days(1);

/// mCASH DateTime text: `YYYY-MM-DD hh:mm:ss`, UTC (the timestamp header's form).
pub fn datetime(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

pub fn new_id(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// A merchant user (or integrator) as registered.
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub roles: Vec<String>,
    pub netmask: Option<String>,
    pub secret: Option<secrecy::SecretString>,
    /// PEM text of the RSA public key.
    pub pubkey: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .field("has_secret", &self.secret.is_some())
            .field("has_pubkey", &self.pubkey.is_some())
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct Pos {
    pub name: String,
    pub kind: String,
    pub location: Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Sale,
    Auth,
}

#[derive(Clone, Debug)]
pub struct Capture {
    pub capture_id: Option<String>,
    pub amount: Money,
    pub additional_amount: Money,
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct Refund {
    pub refund_id: Option<String>,
    pub amount: Money,
    pub additional_amount: Money,
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub tid: String,
    /// The body as posted, for idempotent re-POSTs and GET.
    pub request: Value,
    pub pos_id: String,
    pub pos_tid: String,
    pub currency: Currency,
    pub amount: Money,
    pub additional_amount: Money,
    pub action: Action,
    pub customer: Option<String>,
    /// Shortlink this request waits on (customer `shortlink_id:`/`shortlink_sn:`).
    pub shortlink: Option<String>,
    pub max_scan_age: i64,
    pub scan_token: Option<String>,
    pub text: Option<String>,
    pub ledger: Option<String>,
    pub callback_uri: Option<String>,
    /// Where progress lines for the operator are POSTed.
    pub display_message_uri: Option<String>,
    pub created: OffsetDateTime,
    pub modified: OffsetDateTime,
    pub request_expires: OffsetDateTime,
    pub auth_expires: Option<OffsetDateTime>,
    pub code: Code,
    pub captures: Vec<Capture>,
    pub refunds: Vec<Refund>,
    pub released: bool,
    pub report_id: Option<String>,
}

impl Payment {
    pub fn captured(&self) -> (i64, i64) {
        self.captures.iter().fold((0, 0), |(a, b), c| {
            (a + c.amount.minor(), b + c.additional_amount.minor())
        })
    }

    pub fn refunded(&self) -> (i64, i64) {
        self.refunds.iter().fold((0, 0), |(a, b), r| {
            (a + r.amount.minor(), b + r.additional_amount.minor())
        })
    }

    /// What is still authorized: amount and additional amount minus captures (0 unless auth).
    pub fn remaining_auth(&self) -> (i64, i64) {
        if self.code != Code::Auth {
            return (0, 0);
        }
        let (a, b) = self.captured();
        (self.amount.minor() - a, self.additional_amount.minor() - b)
    }

    pub fn waiting_for_scan(&self) -> bool {
        self.code == Code::Pending && self.shortlink.is_some() && self.scan_token.is_none()
    }

    pub fn status_word(&self) -> &'static str {
        match self.code {
            Code::Pending => "pending",
            Code::Auth => "auth",
            Code::Ok => "ok",
            _ => "fail",
        }
    }

    pub fn date_expires(&self) -> OffsetDateTime {
        self.auth_expires.unwrap_or(self.request_expires)
    }
}

#[derive(Clone, Debug)]
pub struct Ledger {
    pub id: String,
    pub currency: Currency,
    pub description: Option<String>,
    pub disabled: bool,
    /// Report ids, oldest first; the last one is open.
    pub reports: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub id: String,
    pub ledger: String,
    pub currency: Currency,
    pub closed: Option<OffsetDateTime>,
    pub previous: Option<String>,
    pub callback_uri: Option<String>,
    pub counts: BTreeMap<&'static str, u64>,
    pub captured_minor: i64,
    pub refunded_minor: i64,
}

#[derive(Clone, Debug)]
pub struct Shortlink {
    pub id: String,
    /// Creation order: lists show shortlinks oldest first.
    pub seq: u64,
    pub callback_uri: Option<String>,
    pub serial_number: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Scan {
    pub token: String,
    pub shortlink: String,
    pub at: OffsetDateTime,
    pub used_by: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Settlement {
    pub id: String,
    pub created: OffsetDateTime,
    /// Net captured minus refunded, minor units, per currency.
    pub totals: BTreeMap<Currency, i64>,
}

#[derive(Clone, Debug)]
pub struct Permission {
    pub rid: String,
    pub request: Value,
    pub pos_id: String,
    pub pos_tid: String,
    pub scope: String,
    pub callback_uri: Option<String>,
    pub expires: OffsetDateTime,
    pub code: Code,
}

/// `meta.event` of a message to `display_message_uri` (the document names no event for it).
pub const DISPLAY_MESSAGE: &str = "display_message";

const SCANNED: &str = "The customer scanned the QR code, waiting for the answer";

/// The operator's line for a payment request event, in the words of a POS display.
fn progress_text(event: &str) -> Option<&'static str> {
    Some(match event {
        "payment_authorized" => "Payment authorized, ready for capture",
        "payment_captured" => "Payment received",
        "payment_auth_released" => "Authorization released",
        "payment_aborted_by_customer" => "The customer rejected the payment",
        "payment_aborted_by_merchant" => "Payment aborted",
        "payment_authorization_renewed" => "Authorization renewed",
        "payment_authorization_expired" => "The authorization expired",
        "payment_request_expired" => "The payment request expired",
        "payment_refunded" => "Payment refunded",
        _ => return None,
    })
}

/// A callback to send after the lock is released.
#[derive(Clone, Debug)]
pub struct Notice {
    pub callback_uri: String,
    pub event: &'static str,
    /// Absolute URL of the resource the receiver fetches (`meta.uri`).
    pub resource_uri: String,
    /// Sent only over https (NOTES), unless `object_over_http`.
    pub object: Value,
    /// A display message: its text is for the POS operator and goes over plain HTTP too.
    pub object_over_http: bool,
}

/// The counters tests read.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// `POST /payment_request/` calls that created a new request, by (pos_id, pos_tid).
    pub created: BTreeMap<(String, String), u64>,
    /// Every `POST /payment_request/` that passed auth, by (pos_id, pos_tid), repeats included.
    pub create_calls: BTreeMap<(String, String), u64>,
    /// Requests answered 401.
    pub unauthorized: u64,
}

pub struct State {
    pub merchant_id: String,
    pub users: BTreeMap<String, User>,
    pub integrators: BTreeMap<String, User>,
    pub revoked: bool,
    pub pos: BTreeMap<String, Pos>,
    pub payments: BTreeMap<String, Payment>,
    pub by_pos_tid: HashMap<(String, String), String>,
    pub ledgers: BTreeMap<String, Ledger>,
    pub reports: BTreeMap<String, Report>,
    pub settlements: Vec<Settlement>,
    /// Captured-minus-refunded already settled, per payment tid (minor units).
    pub settled: HashMap<String, i64>,
    pub shortlinks: BTreeMap<String, Shortlink>,
    pub scans: Vec<Scan>,
    pub permissions: BTreeMap<String, Permission>,
    pub permissions_by_pos_tid: HashMap<(String, String), String>,
    pub counters: Counters,
    pub outbox: Vec<Notice>,
    /// `http://host:port/mcash/merchant/v1/` for resource URIs in bodies and callbacks.
    pub api_url: String,
    /// `/mcash/merchant/v1/`: list entries are absolute paths.
    pub api_path: String,
    /// Entries per list page (control command `page_size`).
    pub page_size: usize,
    /// Last [`Shortlink::seq`] given out.
    pub shortlink_seq: u64,
}

/// Entries per list page unless the control API sets another size (the document names none).
pub const DEFAULT_PAGE_SIZE: usize = 20;

pub const DEFAULT_LEDGER: &str = "default";

impl State {
    pub fn new(merchant_id: String, api_url: String, api_path: String) -> State {
        let mut s = State {
            merchant_id,
            users: BTreeMap::new(),
            integrators: BTreeMap::new(),
            revoked: false,
            pos: BTreeMap::new(),
            payments: BTreeMap::new(),
            by_pos_tid: HashMap::new(),
            ledgers: BTreeMap::new(),
            reports: BTreeMap::new(),
            settlements: Vec::new(),
            settled: HashMap::new(),
            shortlinks: BTreeMap::new(),
            scans: Vec::new(),
            permissions: BTreeMap::new(),
            permissions_by_pos_tid: HashMap::new(),
            counters: Counters::default(),
            outbox: Vec::new(),
            api_url,
            api_path,
            page_size: DEFAULT_PAGE_SIZE,
            shortlink_seq: 0,
        };
        s.add_ledger(DEFAULT_LEDGER.to_string(), Currency::NOK, None);
        s
    }

    pub fn url(&self, rest: &str) -> String {
        format!("{}{rest}", self.api_url)
    }

    pub fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.api_path)
    }

    // ---- ledgers and reports -------------------------------------------------------------

    pub fn add_ledger(&mut self, id: String, currency: Currency, description: Option<String>) {
        let report = self.open_report(&id, currency, None);
        self.ledgers.insert(
            id.clone(),
            Ledger {
                id,
                currency,
                description,
                disabled: false,
                reports: vec![report],
            },
        );
    }

    pub(super) fn open_report(
        &mut self,
        ledger: &str,
        currency: Currency,
        previous: Option<String>,
    ) -> String {
        let id = new_id(16);
        self.reports.insert(
            id.clone(),
            Report {
                id: id.clone(),
                ledger: ledger.to_string(),
                currency,
                closed: None,
                previous,
                callback_uri: None,
                counts: BTreeMap::new(),
                captured_minor: 0,
                refunded_minor: 0,
            },
        );
        id
    }

    pub fn open_report_of(&self, ledger: &str) -> Option<String> {
        self.ledgers
            .get(ledger)
            .and_then(|l| l.reports.last().cloned())
    }

    /// Closes the report (if open) and opens the next one. Returns false if already closed.
    pub fn close_report(
        &mut self,
        ledger: &str,
        report: &str,
        callback_uri: Option<String>,
        now: OffsetDateTime,
    ) -> bool {
        let Some(r) = self.reports.get_mut(report) else {
            return false;
        };
        if r.closed.is_some() {
            return false;
        }
        r.closed = Some(now);
        r.callback_uri = callback_uri.clone();
        let currency = r.currency;
        let next = self.open_report(ledger, currency, Some(report.to_string()));
        if let Some(l) = self.ledgers.get_mut(ledger) {
            l.reports.push(next);
        }
        if let Some(uri) = callback_uri {
            let path = format!("ledger/{ledger}/report/{report}/");
            let object = self.report_json(report);
            self.outbox.push(Notice {
                callback_uri: uri,
                event: "report_closed",
                resource_uri: self.url(&path),
                object,
                object_over_http: false,
            });
        }
        true
    }

    /// Counts an event on the payment's ledger's open report.
    pub(super) fn log(&mut self, tid: &str, count: &'static str) {
        let Some(ledger) = self.payments.get(tid).and_then(|p| p.ledger.clone()) else {
            return;
        };
        let Some(report) = self.open_report_of(&ledger) else {
            return;
        };
        if let Some(r) = self.reports.get_mut(&report) {
            *r.counts.entry(count).or_default() += 1;
        }
        if let Some(p) = self.payments.get_mut(tid) {
            p.report_id = Some(report);
        }
    }

    pub(super) fn log_amount(&mut self, tid: &str, captured: i64, refunded: i64) {
        let Some(report) = self.payments.get(tid).and_then(|p| p.report_id.clone()) else {
            return;
        };
        if let Some(r) = self.reports.get_mut(&report) {
            r.captured_minor += captured;
            r.refunded_minor += refunded;
        }
    }

    pub fn report_json(&self, id: &str) -> Value {
        let Some(r) = self.reports.get(id) else {
            return Value::Null;
        };
        let count = |k: &str| r.counts.get(k).copied().unwrap_or(0);
        let summary = r.closed.map(|_| {
            json!({
                "currency": r.currency.code(),
                "captured_amount": Money::from_minor(r.captured_minor, r.currency).to_decimal_string(),
                "refunded_amount": Money::from_minor(r.refunded_minor, r.currency).to_decimal_string(),
            })
        });
        json!({
            "id": r.id,
            "transaction_log_uris": if r.closed.is_some() { json!([]) } else { Value::Null },
            "scope_log_uris": if r.closed.is_some() { json!([]) } else { Value::Null },
            "previous_report_uri": r.previous.as_ref().map(|p| self.url(&format!("ledger/{}/report/{p}/", r.ledger))),
            "settlement_uri": Value::Null,
            "status": if r.closed.is_some() { "closed" } else { "open" },
            "time_closed": r.closed.map(datetime),
            "report_summary": summary,
            "callback_uri": r.callback_uri,
            "payment_request_count": count("pending"),
            "payment_auth_count": count("auth"),
            "payment_capture_count": count("capture"),
            "payment_release_count": count("release"),
            "payment_expire_count": count("expire"),
            "payment_fail_count": count("fail"),
            "payment_abort_count": count("abort"),
            "payment_refund_count": count("refund"),
            "permission_request_count": count("permission_pending"),
            "permission_answered_count": count("permission_ok"),
            "permission_fail_count": count("permission_fail"),
        })
    }
}
