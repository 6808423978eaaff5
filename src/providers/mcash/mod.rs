//! mCASH merchant API (Norway, NOK): the client ([`client`]), its wire types ([`wire`]), KEY
//! signing ([`sign`]), and [`McashProvider`], the mapping of the terminal's operations onto it.
//!
//! What `mcash.txt` and NOTES.md leave unsaid, and what was decided:
//! - POS registration is idempotent by hand: `POST /pos/`, and on 400/409 (the POS exists)
//!   `PUT /pos/<id>/` with the configured name and type.
//! - The QR code is a shortlink (NOTES). The terminal's shortlink is found again after a
//!   restart by its `serial_number`, which is the POS id; it is created when missing, or taken
//!   from config when given. The QR payload is `http://mca.sh/s/<shortlink_id>/<pos_id>`.
//! - `pos_tid` is the sale key, so a re-POST of the same create (recovery) finds the same
//!   payment request instead of making a second one. The create body is built by one function
//!   from the sale request and the fixed config, so it is byte-identical each time.
//! - A capture's `capture_id` is the mCASH tid (the core's capture carries no sale key; the
//!   tid is as unique, and makes a retried capture capture once). A refund's `refund_id` is the
//!   refund key. Refunds need KEY level (the document says so): without a private key they are
//!   refused before anything is sent.
//! - Status codes: 2xxx approved (reference = tid), 3xxx authorized, 1xxx pending, 4019
//!   cancelled, 5011 expired, 5006/4004/5012 and other 4xxx/5xxx declined with a reason; a code
//!   with another first digit is treated as pending (never as a final answer).
//! - A 409 to abort means it was too late: the outcome is fetched and returned as the final
//!   status (typically the approval that beat the cancel).
//! - Failures of money-moving calls (start, capture, release, refund) after sending are
//!   `InDoubt`; recovery re-POSTs the identical create, which mCASH answers 200 with the same
//!   tid (or 201 if the first never arrived, which is then the one and only request).
//! - Lists are followed page by page through `next` (the shortlink search, ledgers, reports).
//! - `close_report(day)` closes the report holding that day ([`day_report`] says how a report's
//!   period is read from `time_closed`), found by listing the ledger's reports and reading each
//!   (one GET per report: a ledger closed daily for years makes this slow; walking
//!   `previous_report_uri` back from `open_report_uri` would be cheaper). A report that is
//!   closed already is left alone and reported as such.
//! - `DELETE /shortlink/<id>/` answers with a JSON body (NOTES): read as the deleted shortlink
//!   when it has an `id`; 204, an empty body or `{}` are plain successes.
//! - A 401 for a bad KEY signature may carry `error_details.string_to_sign` (NOTES: mCASH's
//!   successor API echoes it); the error text shows it like any detail, so a person can
//!   compare it with what the client signed. It holds no secret (method, URL, `X-Mcash-*`).

pub mod client;
#[cfg(all(test, feature = "sim"))]
pub mod codes;
pub mod config;
#[cfg(all(test, feature = "sim"))]
pub mod conformance;
pub mod day_report;
pub mod sign;
pub mod wire;

use std::sync::{Arc, Mutex};

use crate::core::Millis;
use crate::core::provider::{
    Capabilities, Failure, FailureKind, FlowKind, Operation, PaymentHandle, PaymentStatus, Prompt,
    ProviderId, ProviderInfo, Reply,
};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::money::Money;
use crate::providers::registry::{Demo, ProviderEntry};
use crate::providers::{BoxFuture, PaymentProvider};

use client::{Clock, Creation, McashClient, McashError};
use day_report::Placed;
use wire::{
    Ledger, Outcome, PaymentAction, PaymentRequestCreate, PaymentRequestUpdate, PosCreate, PosType,
    PosUpdate, Report, ReportClose, Shortlink, ShortlinkCreate, StatusClass, StatusCode,
    UpdateAction,
};

/// The registry's line for mCASH.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "mcash",
    name: "mCASH",
    // mCASH's document names no single currency: the ledger decides; NOK in the demo.
    currencies: &[],
    read_config: config::read,
    build: Some(config::build),
    demo: Some(Demo {
        market: "no",
        settings: config::demo_settings,
        credentials: &[
            ("mcash merchant id", config::demo::MERCHANT_ID),
            ("mcash user id", config::demo::USER_ID),
            ("mcash secret", config::demo::SECRET),
        ],
        agent_pin: None,
        #[cfg(feature = "sim")]
        simulator: crate::sim::mcash::start,
    }),
};

/// How this terminal appears at mCASH; filled by the config module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McashProviderConfig {
    /// The POS id (unique per merchant), also the QR argstring and the shortlink serial number.
    pub pos_id: String,
    /// Shown to the customer as the payment's origin.
    pub pos_name: String,
    /// From the terminal mode: cashier => store, kiosk => store or poster, vending => vending.
    pub pos_type: PosType,
    /// A shortlink made elsewhere (merchant portal); otherwise found or created at start-up.
    pub shortlink_id: Option<String>,
    /// Oldest scan (seconds) a QR payment request binds to.
    pub max_scan_age: u32,
    /// Seconds the customer has to pay.
    pub expires_in: u32,
    /// Ledger for payments and end-of-day reports; `None` = mCASH's default (payments are then
    /// not logged on a ledger, and `close_report` uses the first ledger in the currency).
    pub ledger: Option<String>,
    /// Text shown to the customer with the payment request.
    pub text: Option<String>,
}

/// The report closed at end of day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedReport {
    pub ledger_id: String,
    pub report_uri: String,
    /// The report holding the day was closed before this call (nothing was sent).
    pub already_closed: bool,
}

/// mCASH as a [`PaymentProvider`].
pub struct McashProvider {
    client: McashClient,
    config: McashProviderConfig,
    clock: Clock,
    shortlink_id: Mutex<Option<String>>,
    /// Set once the POS registration succeeded; a failed start-up registration (network down at
    /// boot) is retried before the next payment request instead of failing every sale.
    pos_registered: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for McashProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McashProvider")
            .field("client", &self.client)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl McashProvider {
    /// `clock` is the wall clock in Unix milliseconds (for QR expiry; the client has its own for
    /// KEY timestamps, normally the same one).
    pub fn new(client: McashClient, config: McashProviderConfig, clock: Clock) -> McashProvider {
        let shortlink_id = Mutex::new(config.shortlink_id.clone());
        McashProvider {
            client,
            config,
            clock,
            shortlink_id,
            pos_registered: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Registers the POS unless that already succeeded.
    async fn ensure_pos(&self) -> Result<(), McashError> {
        use std::sync::atomic::Ordering;
        if self.pos_registered.load(Ordering::Acquire) {
            return Ok(());
        }
        self.register_pos().await?;
        self.pos_registered.store(true, Ordering::Release);
        Ok(())
    }

    pub fn client(&self) -> &McashClient {
        &self.client
    }

    /// The shortlink in use, once known.
    pub fn shortlink_id(&self) -> Option<String> {
        self.shortlink_id.lock().ok().and_then(|g| g.clone())
    }

    fn set_shortlink_id(&self, id: String) {
        if let Ok(mut g) = self.shortlink_id.lock() {
            *g = Some(id);
        }
    }

    /// What the QR code shows.
    pub fn qr_payload(&self, shortlink_id: &str) -> String {
        wire::shortlink_qr(shortlink_id, Some(&self.config.pos_id))
    }

    /// Registers the POS (create, or update when it exists).
    async fn register_pos(&self) -> Result<(), McashError> {
        let create = PosCreate {
            id: self.config.pos_id.clone(),
            name: self.config.pos_name.clone(),
            pos_type: self.config.pos_type,
            location: None,
        };
        match self.client.create_pos(&create).await {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.status(), Some(400 | 409)) => {
                let update = PosUpdate {
                    name: create.name,
                    pos_type: create.pos_type,
                    location: None,
                };
                match self.client.update_pos(&create.id, &update).await {
                    Ok(()) => Ok(()),
                    // The POS does not exist: the create's refusal was the real problem.
                    Err(u) if u.status() == Some(404) => Err(e),
                    Err(u) => Err(u),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Finds (by serial number = POS id) or creates the terminal's shortlink.
    async fn ensure_shortlink(&self) -> Result<String, McashError> {
        if let Some(id) = self.shortlink_id() {
            return Ok(id);
        }
        let serial = self.config.pos_id.clone();
        for uri in self.client.all_shortlinks().await? {
            let link: Shortlink = self.client.get_uri(&uri).await?;
            if link.serial_number.as_deref() == Some(serial.as_str()) {
                self.set_shortlink_id(link.id.clone());
                return Ok(link.id);
            }
        }
        let created = self
            .client
            .create_shortlink(&ShortlinkCreate {
                callback_uri: None,
                serial_number: Some(serial),
                description: Some(self.config.pos_name.clone()),
            })
            .await?;
        let id = created.id.ok_or(McashError::MissingField {
            what: "create shortlink",
            field: "id",
        })?;
        self.set_shortlink_id(id.clone());
        Ok(id)
    }

    /// The one create body for a sale: the same sale always gives the same bytes.
    fn create_body(
        &self,
        req: &SaleRequest,
        shortlink: Option<&str>,
    ) -> Result<PaymentRequestCreate, Failure> {
        let customer = match (&req.flow, shortlink) {
            (Flow::Qr, Some(id)) => format!("shortlink_id:{id}"),
            (Flow::Push { phone }, _) => phone.as_str().to_string(),
            (Flow::Qr, None) => {
                return Err(Failure::new(
                    FailureKind::Transient,
                    "mCASH shortlink is not known yet (start-up has not finished)",
                ));
            }
            _ => {
                return Err(Failure::new(
                    FailureKind::Rejected,
                    "mCASH offers only QR and push payments",
                ));
            }
        };
        let action = match req.capture {
            Capture::Sale => PaymentAction::Sale,
            Capture::Auth => PaymentAction::Auth,
        };
        let mut body = PaymentRequestCreate::new(
            req.amount,
            &self.config.pos_id,
            req.key.as_str(),
            Some(customer),
            action,
        );
        if matches!(req.flow, Flow::Qr) {
            body.max_scan_age = Some(self.config.max_scan_age);
        }
        body.expires_in = Some(self.config.expires_in);
        body.ledger = self.config.ledger.clone();
        body.text = self.config.text.clone();
        body.allow_credit = false;
        Ok(body)
    }

    async fn shortlink_for(&self, req: &SaleRequest) -> Result<Option<String>, Failure> {
        // Nothing has been sent for this sale yet: a failure here moves no money.
        self.ensure_pos().await.map_err(|e| e.to_failure(false))?;
        match req.flow {
            Flow::Qr => self
                .ensure_shortlink()
                .await
                .map(Some)
                .map_err(|e| e.to_failure(false)),
            _ => Ok(None),
        }
    }

    fn expires_at(&self) -> Millis {
        Millis((self.clock)()) + u64::from(self.config.expires_in) * 1000
    }

    async fn start(&self, req: SaleRequest) -> Result<Reply, Failure> {
        let shortlink = self.shortlink_for(&req).await?;
        let body = self.create_body(&req, shortlink.as_deref())?;
        let answer = self
            .client
            .create_payment_request(&body)
            .await
            .map_err(|e| e.to_failure(true))?;
        Ok(Reply::Started {
            handle: PaymentHandle(answer.created.id),
            prompt: self.prompt(&req, shortlink),
        })
    }

    /// What the customer is shown for a payment request made for `req`.
    fn prompt(&self, req: &SaleRequest, shortlink: Option<String>) -> Prompt {
        let expires_at = self.expires_at();
        match (&req.flow, shortlink) {
            (Flow::Push { phone }, _) => Prompt::PushSent {
                phone: phone.clone(),
                expires_at,
            },
            (_, Some(id)) => Prompt::Qr {
                payload: self.qr_payload(&id),
                expires_at,
            },
            (_, None) => Prompt::Immediate,
        }
    }

    async fn outcome_status(&self, tid: &str) -> Result<PaymentStatus, Failure> {
        let outcome = self
            .client
            .payment_outcome(tid)
            .await
            .map_err(|e| e.to_failure(false))?;
        Ok(map_outcome(&outcome))
    }

    async fn cancel(&self, handle: PaymentHandle) -> Result<Reply, Failure> {
        let abort = PaymentRequestUpdate::action(UpdateAction::Abort);
        match self.client.update_payment_request(&handle.0, &abort).await {
            Ok(()) => {}
            // Too late to abort: the outcome says what won.
            Err(e) if e.status() == Some(409) => {}
            Err(e) => return Err(e.to_failure(false)),
        }
        Ok(Reply::Cancelled(self.outcome_status(&handle.0).await?))
    }

    async fn capture(&self, handle: PaymentHandle, amount: Money) -> Result<Reply, Failure> {
        let capture = PaymentRequestUpdate::capture(&capture_id(&handle.0), amount);
        match self
            .client
            .update_payment_request(&handle.0, &capture)
            .await
        {
            Ok(()) => Ok(Reply::Captured {
                reference: handle.0,
            }),
            Err(e) if e.status() == Some(409) => {
                // Already captured (a retry) is success; anything else is the refusal.
                match self.outcome_status(&handle.0).await? {
                    PaymentStatus::Approved { reference } => Ok(Reply::Captured { reference }),
                    other => Err(Failure::new(
                        FailureKind::Rejected,
                        format!("mCASH refused the capture; the payment is {other:?}"),
                    )
                    .with_code("409")),
                }
            }
            Err(e) => Err(e.to_failure(true)),
        }
    }

    async fn release(&self, handle: PaymentHandle) -> Result<Reply, Failure> {
        let release = PaymentRequestUpdate::action(UpdateAction::Release);
        match self
            .client
            .update_payment_request(&handle.0, &release)
            .await
        {
            Ok(()) => Ok(Reply::Released),
            Err(e) if e.status() == Some(409) => match self.outcome_status(&handle.0).await? {
                // Nothing left to release: the authorization is gone already.
                PaymentStatus::Cancelled
                | PaymentStatus::Released
                | PaymentStatus::Expired
                | PaymentStatus::Declined { .. } => Ok(Reply::Released),
                other => Err(Failure::new(
                    FailureKind::Rejected,
                    format!("mCASH refused the release; the payment is {other:?}"),
                )
                .with_code("409")),
            },
            Err(e) => Err(e.to_failure(true)),
        }
    }

    async fn refund(
        &self,
        handle: PaymentHandle,
        amount: Money,
        key: SaleKey,
    ) -> Result<Reply, Failure> {
        if !self.client.has_key() {
            return Err(Failure::new(
                FailureKind::Rejected,
                "mCASH refunds need the KEY auth level: configure private_key_file",
            ));
        }
        let refund = PaymentRequestUpdate::refund(key.as_str(), amount, None);
        self.client
            .update_payment_request(&handle.0, &refund)
            .await
            .map_err(|e| e.to_failure(true))?;
        Ok(Reply::Refunded {
            reference: key.as_str().to_string(),
        })
    }

    async fn recover(&self, req: SaleRequest) -> Result<Reply, Failure> {
        let shortlink = self.shortlink_for(&req).await?;
        let body = self.create_body(&req, shortlink.as_deref())?;
        let answer = match self.client.create_payment_request(&body).await {
            Ok(a) => a,
            Err(e) if e.status() == Some(409) => {
                return Err(Failure::new(
                    FailureKind::Rejected,
                    format!(
                        "mCASH holds another payment request under sale key {}: {e}",
                        req.key
                    ),
                )
                .with_code("409"));
            }
            Err(e) => return Err(e.to_failure(true)),
        };
        let handle = PaymentHandle(answer.created.id);
        let status = match answer.creation {
            // The first create never arrived; this one is the only request, just made: the
            // core decides whether to show it (a live sale) or abort it (after a restart).
            Creation::New => {
                return Ok(Reply::Created {
                    handle,
                    prompt: Some(self.prompt(&req, shortlink)),
                });
            }
            Creation::Identical => self.outcome_status(&handle.0).await?,
        };
        // The shortlink is the terminal's own, so the QR can be shown again while it waits.
        let prompt = (!status.is_final()).then(|| self.prompt(&req, shortlink));
        Ok(Reply::Found {
            handle,
            status,
            prompt,
        })
    }

    /// End of day D: closes the ledger report that holds D ([`day_report`]), which is not
    /// always the open one; if that report is closed already, nothing is sent (mCASH opens a
    /// new report on each close, so a second close would close the next day's).
    pub async fn close_report(&self, day: time::Date) -> Result<ClosedReport, Failure> {
        let failure = |e: McashError| e.to_failure(false);
        let ledger = self.report_ledger().await.map_err(failure)?;
        let mut placed = Vec::new();
        for uri in self.client.all_reports(&ledger.id).await.map_err(failure)? {
            let report: Report = self.client.get_uri(&uri).await.map_err(failure)?;
            placed.push(
                Placed::from_report(uri, &report)
                    .map_err(|e| Failure::new(FailureKind::Rejected, e.to_string()))?,
            );
        }
        let now = i64::try_from((self.clock)() / 1000).unwrap_or(i64::MAX);
        let index = day_report::holding(&placed, day, now).ok_or_else(|| {
            Failure::new(
                FailureKind::Rejected,
                format!("no report of mCASH ledger {} holds {day}", ledger.id),
            )
        })?;
        let Placed { uri, closed, .. } = placed.swap_remove(index);
        if !closed {
            self.client
                .close_report_uri(&uri, &ReportClose::default())
                .await
                .map_err(failure)?;
        }
        Ok(ClosedReport {
            ledger_id: ledger.id,
            report_uri: uri,
            already_closed: closed,
        })
    }

    async fn report_ledger(&self) -> Result<Ledger, McashError> {
        if let Some(id) = &self.config.ledger {
            return self.client.get_ledger(id).await;
        }
        let mut first = None;
        for uri in self.client.all_ledgers().await? {
            let ledger: Ledger = self.client.get_uri(&uri).await?;
            if ledger.id == "default" {
                return Ok(ledger);
            }
            first.get_or_insert(ledger);
        }
        first.ok_or(McashError::NoLedger)
    }
}

/// A capture id from a tid, restricted to `[a-zA-Z0-9-_.]`.
fn capture_id(tid: &str) -> String {
    tid.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The terminal's view of an outcome (see the module comment).
pub fn map_outcome(outcome: &Outcome) -> PaymentStatus {
    let approved = || PaymentStatus::Approved {
        reference: outcome.tid.clone(),
    };
    let declined = |reason: &str| PaymentStatus::Declined {
        reason: reason.to_string(),
    };
    let Some(code) = outcome.status_code else {
        return match outcome.status.as_deref() {
            Some("ok") => approved(),
            Some("auth") => PaymentStatus::Authorized,
            Some("fail") => declined("payment failed"),
            _ => PaymentStatus::Pending,
        };
    };
    match code {
        StatusCode::Ok => approved(),
        StatusCode::Auth => PaymentStatus::Authorized,
        StatusCode::Pending => PaymentStatus::Pending,
        StatusCode::Aborted => PaymentStatus::Cancelled,
        StatusCode::RequestExpired => PaymentStatus::Expired,
        StatusCode::Rejected => declined("customer rejected the payment"),
        StatusCode::NotFound => declined("no such customer"),
        StatusCode::AuthExpired => declined("authorization expired"),
        StatusCode::Unknown(c) => match code.class() {
            StatusClass::Success => approved(),
            StatusClass::Authorized => PaymentStatus::Authorized,
            StatusClass::Failure => declined(&format!("mCASH status {c}")),
            StatusClass::Pending | StatusClass::Unclassified => PaymentStatus::Pending,
        },
    }
}

impl PaymentProvider for McashProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("mcash"),
            name: "mCASH".to_string(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Qr, FlowKind::Push],
                cancel: true,
                refund: true,
                auth_capture: true,
                lookup: self.looks_up_without_creating(),
                services: Vec::new(),
                agent_pin: false,
                amount_due: None,
            },
        }
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            match op {
                Operation::Start(req) => self.start(req).await,
                Operation::Status(handle) => {
                    Ok(Reply::Status(self.outcome_status(&handle.0).await?))
                }
                Operation::Cancel(handle) => self.cancel(handle).await,
                Operation::Capture(handle, amount) => self.capture(handle, amount).await,
                Operation::Release(handle) => self.release(handle).await,
                Operation::Refund {
                    handle,
                    amount,
                    key,
                } => self.refund(handle, amount, key).await,
                Operation::Recover(req) => self.recover(req).await,
                Operation::Query { service, .. } => Err(Failure::new(
                    FailureKind::Rejected,
                    format!("mCASH offers no service {}", service.as_str()),
                )),
            }
        })
    }

    fn start_up(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            self.ensure_pos().await.map_err(|e| e.to_failure(false))?;
            self.ensure_shortlink()
                .await
                .map_err(|e| e.to_failure(false))?;
            Ok(())
        })
    }

    fn closes_reports(&self) -> bool {
        true
    }

    fn close_report(&self, day: time::Date) -> BoxFuture<'_, Result<String, Failure>> {
        Box::pin(async move {
            let closed = McashProvider::close_report(self, day).await?;
            Ok(if closed.already_closed {
                format!(
                    "mCASH report {} of ledger {} (holding {day}) was closed already",
                    closed.report_uri, closed.ledger_id
                )
            } else {
                format!(
                    "mCASH report {} of ledger {} (holding {day}) closed",
                    closed.report_uri, closed.ledger_id
                )
            })
        })
    }
}

/// Shared so the runtime can hold it as `Arc<dyn PaymentProvider>`.
pub fn shared(provider: McashProvider) -> Arc<dyn PaymentProvider> {
    Arc::new(provider)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(code: Option<u32>, status: Option<&str>) -> Outcome {
        let mut v = json!({"currency": "NOK", "pos_id": "p", "pos_tid": "t", "tid": "TID1"});
        if let Some(c) = code {
            v["status_code"] = json!(c);
        }
        if let Some(s) = status {
            v["status"] = json!(s);
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn outcomes_map_to_terminal_statuses() {
        let approved = PaymentStatus::Approved {
            reference: "TID1".into(),
        };
        let cases = [
            (2000, approved.clone()),
            (3008, PaymentStatus::Authorized),
            (1003, PaymentStatus::Pending),
            (4019, PaymentStatus::Cancelled),
            (5011, PaymentStatus::Expired),
            (2999, approved.clone()),
            (3500, PaymentStatus::Authorized),
            (1500, PaymentStatus::Pending),
            (9000, PaymentStatus::Pending),
        ];
        for (code, want) in cases {
            assert_eq!(map_outcome(&outcome(Some(code), None)), want, "{code}");
        }
        let reason = |code| match map_outcome(&outcome(Some(code), None)) {
            PaymentStatus::Declined { reason } => reason,
            other => panic!("{code}: {other:?}"),
        };
        assert_eq!(reason(5006), "customer rejected the payment");
        assert_eq!(reason(5012), "authorization expired");
        assert_eq!(reason(4004), "no such customer");
        assert_eq!(reason(4711), "mCASH status 4711");
        // No code: the status word.
        assert_eq!(map_outcome(&outcome(None, Some("ok"))), approved);
        assert_eq!(
            map_outcome(&outcome(None, Some("auth"))),
            PaymentStatus::Authorized
        );
        assert_eq!(map_outcome(&outcome(None, None)), PaymentStatus::Pending);
    }

    #[test]
    fn capture_ids_fit_the_pattern() {
        assert_eq!(capture_id("abc-1_2.3"), "abc-1_2.3");
        assert_eq!(capture_id("a/b c"), "a_b_c");
    }
}

#[cfg(test)]
mod flow_tests;
