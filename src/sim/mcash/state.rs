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

    fn open_report(
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
    fn log(&mut self, tid: &str, count: &'static str) {
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

    fn log_amount(&mut self, tid: &str, captured: i64, refunded: i64) {
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

    // ---- payment requests ---------------------------------------------------------------

    /// Registers a new payment request (validated by the caller) and binds a recent scan.
    pub fn insert_payment(&mut self, p: Payment) {
        let tid = p.tid.clone();
        let key = (p.pos_id.clone(), p.pos_tid.clone());
        *self.counters.created.entry(key.clone()).or_default() += 1;
        self.by_pos_tid.insert(key, tid.clone());
        let now = p.created;
        self.payments.insert(tid.clone(), p);
        self.log(&tid, "pending");
        let waits = self
            .payments
            .get(&tid)
            .is_some_and(Payment::waiting_for_scan);
        self.progress(
            &tid,
            if waits {
                "Waiting for the customer to scan the QR code"
            } else {
                "Waiting for the customer to accept"
            },
        );
        self.bind_recent_scan(&tid, now);
    }

    fn bind_recent_scan(&mut self, tid: &str, now: OffsetDateTime) {
        let Some(p) = self.payments.get(tid) else {
            return;
        };
        let Some(shortlink) = p.shortlink.clone() else {
            return;
        };
        let oldest = now - time::Duration::seconds(p.max_scan_age);
        let scan = self
            .scans
            .iter_mut()
            .rev()
            .find(|s| s.shortlink == shortlink && s.used_by.is_none() && s.at >= oldest);
        if let Some(s) = scan {
            s.used_by = Some(tid.to_string());
            let token = s.token.clone();
            if let Some(p) = self.payments.get_mut(tid) {
                p.scan_token = Some(token);
                p.modified = now;
            }
            self.progress(tid, SCANNED);
        }
    }

    /// A customer scans a shortlink: the oldest request waiting on it takes the scan token.
    pub fn scan(
        &mut self,
        shortlink: &str,
        argstring: Option<String>,
        now: OffsetDateTime,
    ) -> Option<String> {
        let link = self.shortlinks.get(shortlink)?.clone();
        let token = format!("token:{}", new_id(20));
        self.scans
            .retain(|s| s.used_by.is_some() || now - s.at < SCAN_LIFETIME);
        let waiting = self
            .payments
            .values()
            .filter(|p| p.waiting_for_scan() && p.shortlink.as_deref() == Some(shortlink))
            .min_by_key(|p| p.created)
            .map(|p| p.tid.clone());
        if let Some(tid) = &waiting
            && let Some(p) = self.payments.get_mut(tid)
        {
            p.scan_token = Some(token.clone());
            p.modified = now;
            self.progress(tid, SCANNED);
        }
        self.scans.push(Scan {
            token: token.clone(),
            shortlink: shortlink.to_string(),

            at: now,
            used_by: waiting,
        });
        if let Some(uri) = link.callback_uri {
            self.outbox.push(Notice {
                callback_uri: uri,
                event: "shortlink_scanned",
                resource_uri: self.url(&format!("shortlink/{shortlink}/")),
                object: json!({ "id": token, "argstring": argstring }),
                object_over_http: false,
            });
        }
        Some(token)
    }

    /// Announces a change of a payment request: the event to its `callback_uri` (the outcome
    /// as `object`) and a line for the operator to its `display_message_uri`.
    fn notify(&mut self, tid: &str, event: &'static str) {
        let Some(p) = self.payments.get(tid) else {
            return;
        };
        let uri = p.callback_uri.clone();
        if let Some(uri) = uri {
            let object = self.outcome_json(tid);
            self.outbox.push(Notice {
                callback_uri: uri,
                event,
                resource_uri: self.url(&format!("payment_request/{tid}/outcome/")),
                object,
                object_over_http: false,
            });
        }
        if let Some(text) = progress_text(event) {
            self.progress(tid, text);
        }
    }

    /// POSTs a progress line to the payment request's `display_message_uri`, if it has one.
    fn progress(&mut self, tid: &str, text: &str) {
        let Some(uri) = self
            .payments
            .get(tid)
            .and_then(|p| p.display_message_uri.clone())
        else {
            return;
        };
        self.outbox.push(Notice {
            callback_uri: uri,
            event: DISPLAY_MESSAGE,
            resource_uri: self.url(&format!("payment_request/{tid}/outcome/")),
            object: json!({ "tid": tid, "text": text }),
            object_over_http: true,
        });
    }

    fn set_code(&mut self, tid: &str, code: Code, now: OffsetDateTime) {
        if let Some(p) = self.payments.get_mut(tid) {
            p.code = code;
            p.modified = now;
        }
    }

    /// Applies request and authorization expiry.
    pub fn sweep(&mut self, now: OffsetDateTime) {
        let due: Vec<(String, Code)> = self
            .payments
            .values()
            .filter_map(|p| match p.code {
                Code::Pending if now >= p.request_expires => {
                    Some((p.tid.clone(), Code::RequestExpired))
                }
                Code::Auth if p.auth_expires.is_some_and(|t| now >= t) => {
                    Some((p.tid.clone(), Code::AuthExpired))
                }
                _ => None,
            })
            .collect();
        for (tid, code) in due {
            let partly_captured = self
                .payments
                .get(&tid)
                .is_some_and(|p| !p.captures.is_empty());
            if code == Code::AuthExpired && partly_captured {
                // What was captured stands; the rest of the authorization lapses.
                self.set_code(&tid, Code::Ok, now);
            } else {
                self.set_code(&tid, code, now);
            }
            self.log(&tid, "expire");
            let event = if code == Code::AuthExpired {
                "payment_authorization_expired"
            } else {
                "payment_request_expired"
            };
            self.notify(&tid, event);
        }
        let expired: Vec<String> = self
            .permissions
            .values()
            .filter(|r| r.code == Code::Pending && now >= r.expires)
            .map(|r| r.rid.clone())
            .collect();
        for rid in expired {
            if let Some(r) = self.permissions.get_mut(&rid) {
                r.code = Code::RequestExpired;
            }
        }
    }

    /// The customer approves: a sale is captured in full, an auth request is authorized.
    pub fn customer_approve(
        &mut self,
        tid: &str,
        authorize_only: bool,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        let p = self
            .payments
            .get(tid)
            .ok_or_else(|| format!("no payment request {tid}"))?;
        if p.code != Code::Pending {
            return Err(format!("payment request {tid} is {}, not pending", p.code));
        }
        if p.waiting_for_scan() {
            return Err(format!(
                "payment request {tid} waits for a scan of shortlink {}",
                p.shortlink.as_deref().unwrap_or("")
            ));
        }
        let sale = p.action == Action::Sale && !authorize_only;
        let (amount, additional) = (p.amount, p.additional_amount);
        if let Some(p) = self.payments.get_mut(tid) {
            p.code = Code::Auth;
            p.auth_expires = Some(now + AUTH_LIFETIME);
            p.modified = now;
        }
        self.log(tid, "auth");
        if sale {
            self.capture(tid, None, amount, additional, now);
            self.notify(tid, "payment_captured");
        } else {
            self.notify(tid, "payment_authorized");
        }
        Ok(())
    }

    pub fn customer_reject(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), String> {
        let p = self
            .payments
            .get(tid)
            .ok_or_else(|| format!("no payment request {tid}"))?;
        if p.code != Code::Pending {
            return Err(format!("payment request {tid} is {}, not pending", p.code));
        }
        self.set_code(tid, Code::Rejected, now);
        self.log(tid, "fail");
        self.notify(tid, "payment_aborted_by_customer");
        Ok(())
    }

    /// Records a capture; the request turns `ok` once nothing authorized remains.
    fn capture(
        &mut self,
        tid: &str,
        capture_id: Option<String>,
        amount: Money,
        additional: Money,
        now: OffsetDateTime,
    ) {
        let Some(p) = self.payments.get_mut(tid) else {
            return;
        };
        p.captures.push(Capture {
            capture_id,
            amount,
            additional_amount: additional,
            at: now,
        });
        p.modified = now;
        if p.remaining_auth() == (0, 0) {
            p.code = Code::Ok;
            p.auth_expires = None;
        }
        self.log(tid, "capture");
        self.log_amount(tid, amount.minor() + additional.minor(), 0);
    }

    /// Merchant capture. `part` is `(capture_id, amount, additional)` or `None` for "the rest".
    pub fn merchant_capture(
        &mut self,
        tid: &str,
        part: Option<(String, Money, Money)>,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        match part {
            None => {
                if p.code == Code::Ok {
                    return Ok(()); // everything already captured: idempotent
                }
                if p.code != Code::Auth {
                    return Err(ApiError::conflict(&format!(
                        "cannot capture a payment request in state {}",
                        p.code
                    )));
                }
                let (a, b) = p.remaining_auth();
                let cur = p.currency;
                self.capture(
                    tid,
                    None,
                    Money::from_minor(a, cur),
                    Money::from_minor(b, cur),
                    now,
                );
            }
            Some((id, amount, additional)) => {
                if let Some(c) = p
                    .captures
                    .iter()
                    .find(|c| c.capture_id.as_deref() == Some(id.as_str()))
                {
                    return if c.amount == amount && c.additional_amount == additional {
                        Ok(())
                    } else {
                        Err(ApiError::conflict(&format!(
                            "capture_id {id} was used with other amounts"
                        )))
                    };
                }
                if p.code != Code::Auth {
                    return Err(ApiError::conflict(&format!(
                        "cannot capture a payment request in state {}",
                        p.code
                    )));
                }
                let (a, b) = p.remaining_auth();
                if amount.minor() > a {
                    return Err(ApiError::validation(
                        "amount",
                        "exceeds the amount still authorized",
                    ));
                }
                if additional.minor() > b {
                    return Err(ApiError::validation(
                        "additional_amount",
                        "exceeds the additional amount still authorized",
                    ));
                }
                self.capture(tid, Some(id), amount, additional, now);
            }
        }
        self.notify(tid, "payment_captured");
        Ok(())
    }

    pub fn merchant_reauth(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get_mut(tid).ok_or_else(ApiError::not_found)?;
        if p.code != Code::Auth {
            return Err(ApiError::conflict(&format!(
                "cannot reauthorize a payment request in state {}",
                p.code
            )));
        }
        p.auth_expires = Some(now + AUTH_LIFETIME);
        p.modified = now;
        self.notify(tid, "payment_authorization_renewed");
        Ok(())
    }

    pub fn merchant_abort(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        match p.code {
            Code::Aborted => Ok(()),
            Code::Pending => {
                self.set_code(tid, Code::Aborted, now);
                self.log(tid, "abort");
                self.notify(tid, "payment_aborted_by_merchant");
                Ok(())
            }
            Code::Auth if p.captures.is_empty() => {
                self.set_code(tid, Code::Aborted, now);
                self.log(tid, "abort");
                self.notify(tid, "payment_aborted_by_merchant");
                Ok(())
            }
            other => Err(ApiError::conflict(&format!(
                "cannot abort a payment request in state {other}"
            ))),
        }
    }

    pub fn merchant_release(&mut self, tid: &str, now: OffsetDateTime) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        if p.released {
            return Ok(());
        }
        if p.code != Code::Auth {
            return Err(ApiError::conflict(&format!(
                "cannot release a payment request in state {}",
                p.code
            )));
        }
        let code = if p.captures.is_empty() {
            Code::Aborted
        } else {
            Code::Ok
        };
        if let Some(p) = self.payments.get_mut(tid) {
            p.released = true;
            p.auth_expires = None;
        }
        self.set_code(tid, code, now);
        self.log(tid, "release");
        self.notify(tid, "payment_auth_released");
        Ok(())
    }

    pub fn merchant_refund(
        &mut self,
        tid: &str,
        part: Option<(String, Money, Money)>,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let p = self.payments.get(tid).ok_or_else(ApiError::not_found)?;
        if p.code != Code::Ok {
            return Err(ApiError::conflict(&format!(
                "cannot refund a payment request in state {}",
                p.code
            )));
        }
        let (ca, cb) = p.captured();
        let (ra, rb) = p.refunded();
        let cur = p.currency;
        let (id, amount, additional) = match part {
            Some((id, a, b)) => {
                if let Some(r) = p
                    .refunds
                    .iter()
                    .find(|r| r.refund_id.as_deref() == Some(id.as_str()))
                {
                    return if r.amount == a && r.additional_amount == b {
                        Ok(())
                    } else {
                        Err(ApiError::conflict(&format!(
                            "refund_id {id} was used with other amounts"
                        )))
                    };
                }
                (Some(id), a, b)
            }
            None => {
                if ca == ra && cb == rb {
                    return Ok(()); // fully refunded already: idempotent
                }
                (
                    None,
                    Money::from_minor(ca - ra, cur),
                    Money::from_minor(cb - rb, cur),
                )
            }
        };
        if amount.minor() > ca - ra || additional.minor() > cb - rb {
            return Err(ApiError::validation(
                "amount",
                "exceeds the captured amount not yet refunded",
            ));
        }
        if let Some(p) = self.payments.get_mut(tid) {
            p.refunds.push(Refund {
                refund_id: id,
                amount,
                additional_amount: additional,
                at: now,
            });
            p.modified = now;
        }
        self.log(tid, "refund");
        self.log_amount(tid, 0, amount.minor() + additional.minor());
        self.notify(tid, "payment_refunded");
        Ok(())
    }

    pub fn outcome_json(&self, tid: &str) -> Value {
        let Some(p) = self.payments.get(tid) else {
            return Value::Null;
        };
        let cur = p.currency;
        let m = |minor: i64| Money::from_minor(minor, cur).to_decimal_string();
        let (aa, ab) = p.remaining_auth();
        let captures: Vec<Value> = p
            .captures
            .iter()
            .map(|c| {
                json!({
                    "capture_id": c.capture_id,
                    "amount": c.amount.to_decimal_string(),
                    "additional_amount": c.additional_amount.to_decimal_string(),
                    "currency": cur.code(),
                    "timestamp": datetime(c.at),
                })
            })
            .collect();
        let refunds: Vec<Value> = p
            .refunds
            .iter()
            .map(|r| {
                json!({
                    "refund_id": r.refund_id,
                    "amount": r.amount.to_decimal_string(),
                    "additional_amount": r.additional_amount.to_decimal_string(),
                    "currency": cur.code(),
                    "timestamp": datetime(r.at),
                })
            })
            .collect();
        json!({
            "currency": cur.code(),
            "amount": p.amount.to_decimal_string(),
            "additional_amount": p.additional_amount.to_decimal_string(),
            "auth_amount": m(aa),
            "auth_additional_amount": m(ab),
            "captures": captures,
            "refunds": refunds,
            "status": p.status_word(),
            "status_code": p.code.code(),
            "customer": p.customer,
            "date_modified": datetime(p.modified),
            "date_expires": datetime(p.date_expires()),
            "credit": false,
            "interchange_fee": m(0),
            "transaction_fee": m(0),
            "report_id": p.report_id,
            "report_uri": p.report_id.as_ref().zip(p.ledger.as_ref())
                .map(|(r, l)| self.url(&format!("ledger/{l}/report/{r}/"))),
            "ledger": p.ledger,
            "attachment_uri": Value::Null,
            "pos_id": p.pos_id,
            "pos_tid": p.pos_tid,
            "tid": p.tid,
            "permissions": Value::Null,
        })
    }

    pub fn payment_json(&self, tid: &str) -> Value {
        let Some(p) = self.payments.get(tid) else {
            return Value::Null;
        };
        let mut v = p.request.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), json!(p.tid));
            o.insert("uri".into(), json!(self.checkout_uri(p)));
            o.insert("ledger".into(), json!(p.ledger));
            o.insert("callback_uri".into(), json!(p.callback_uri));
            o.insert("display_message_uri".into(), json!(p.display_message_uri));
            o.insert("date_expires".into(), json!(datetime(p.request_expires)));
        }
        v
    }

    /// A request without a customer can be claimed on a checkout page: the simulator's
    /// customer page.
    pub fn checkout_uri(&self, p: &Payment) -> Option<String> {
        if p.customer.is_some() {
            return None;
        }
        let root = self
            .api_url
            .strip_suffix(&self.api_path)
            .unwrap_or(&self.api_url);
        Some(format!("{root}/#req-{}", p.tid))
    }

    // ---- settlements and permissions -----------------------------------------------------

    /// Settles everything captured minus refunded since the previous settlement.
    pub fn generate_settlement(&mut self, now: OffsetDateTime) -> String {
        let mut totals: BTreeMap<Currency, i64> = BTreeMap::new();
        for p in self.payments.values() {
            let (ca, cb) = p.captured();
            let (ra, rb) = p.refunded();
            let net = ca + cb - ra - rb;
            let done = self.settled.get(&p.tid).copied().unwrap_or(0);
            if net != done {
                *totals.entry(p.currency).or_default() += net - done;
            }
        }
        let nets: Vec<(String, i64)> = self
            .payments
            .values()
            .map(|p| {
                let (ca, cb) = p.captured();
                let (ra, rb) = p.refunded();
                (p.tid.clone(), ca + cb - ra - rb)
            })
            .collect();
        self.settled.extend(nets);
        let id = new_id(16);
        self.settlements.push(Settlement {
            id: id.clone(),
            created: now,
            totals,
        });
        id
    }

    pub fn settlement_json(&self, s: &Settlement) -> Value {
        let summary: Vec<Value> = s
            .totals
            .iter()
            .map(|(c, minor)| {
                json!({
                    "currency": c.code(),
                    "amount": Money::from_minor(*minor, *c).to_decimal_string(),
                })
            })
            .collect();
        json!({
            "id": s.id,
            "date_created": datetime(s.created),
            "transaction_log_uris": [],
            "scope_log_uris": [],
            "settlement_summary": summary,
            "payout_details": summary,
        })
    }

    pub fn permission_outcome_json(&self, rid: &str) -> Value {
        let Some(r) = self.permissions.get(rid) else {
            return Value::Null;
        };
        let ok = r.code == Code::Ok;
        json!({
            "access_token": if ok { json!(format!("sim-access-{rid}")) } else { Value::Null },
            "id_token": Value::Null,
            "token_type": "Bearer",
            "expires_in": if ok { json!(3600) } else { Value::Null },
            "refresh_token": Value::Null,
            "scope": r.scope,
            "currency": "NOK",
            "transaction_fee": "0.00",
            "report_id": Value::Null,
            "report_uri": Value::Null,
            "ledger_id": Value::Null,
            "status": match r.code { Code::Pending => "pending", Code::Ok => "ok", _ => "fail" },
            "status_code": r.code.code(),
            "pos_id": r.pos_id,
            "pos_tid": r.pos_tid,
            "rid": r.rid,
            "user_info": if ok { json!({"name": "Simulated Customer"}) } else { Value::Null },
        })
    }

    /// The customer answers a permission request.
    pub fn answer_permission(&mut self, rid: &str, approve: bool) -> Result<(), String> {
        let r = self
            .permissions
            .get_mut(rid)
            .ok_or_else(|| format!("no permission request {rid}"))?;
        if r.code != Code::Pending {
            return Err(format!(
                "permission request {rid} is {}, not pending",
                r.code
            ));
        }
        r.code = if approve { Code::Ok } else { Code::Rejected };
        if let Some(uri) = r.callback_uri.clone() {
            let resource_uri = self.url(&format!("permission_request/{rid}/outcome/"));
            let object = self.permission_outcome_json(rid);
            self.outbox.push(Notice {
                callback_uri: uri,
                event: "permission_request_answered",
                resource_uri,
                object,
                object_over_http: false,
            });
        }
        Ok(())
    }
}
