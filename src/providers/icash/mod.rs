//! iCash merchant gateway (Libya, LYD with 3 decimals): the client ([`client`]), its wire
//! forms ([`wire`]), the payment QR read back from its PNG ([`qr`]), the statement reading that
//! stands in for a status call ([`statement`]), the supervisor services ([`services`]), and
//! [`IcashProvider`], the mapping of the terminal's operations onto them.
//!
//! What `icash.txt` and NOTES.md leave unsaid, and what was decided:
//! - Flows: scan to pay first (the default, so Pay shows the QR at once), then card and code.
//!   Card and code is `CanCustomerPurchase` (a "no" ends the sale before anything is paid),
//!   then `PayInvoice` with the sale key as its `Description`. Its answer's
//!   `OperationReferenceNumber` is the handle (`op-<n>`); the status check finds that
//!   operation in the statement. The payment code is never journaled (core rule), so a card
//!   sale whose answer was lost cannot be repeated, only recovered.
//! - The QR: `GeneratePaymentQR` takes only the amount and the shop, so the image is the same
//!   for the same amount at the same shop; the terminal decodes the PNG (refusing one that holds
//!   no QR code) and shows the payload with its own renderer. The sale's handle is a digest of
//!   the payload ([`qr::qr_id`]), so handles and logs never carry the QR's text.
//!   A QR sale is paid when the statement shows a credit of exactly the amount, posted after
//!   the QR was shown (two minutes of clock skew allowed), not a voucher top-up (`opType` 15)
//!   and not already taken by another sale of this terminal; the oldest such credit wins. The
//!   statement carries nothing else that ties a scan to a sale: two terminals of one merchant
//!   showing the same amount at the same time cannot be told apart (give each its own shop).
//! - The QR sales being watched (amount, when shown, the credit that paid) are held in memory:
//!   after a restart a QR sale is recovered by its request (`Recover`: the QR is fetched again,
//!   no money moves, and the statement read since the QR's lifetime ago). A status check of a
//!   QR handle this process did not show reads the statement and answers pending (its amount
//!   is unknown, so nothing can be matched); a refund of such a sale is refused with a reason.
//! - iCash has no cancel: cancelling a QR sale looks at the statement once more (a payment that
//!   beat the cancel is reported as such) and then stops watching. A payment made after that
//!   is not caught by the terminal (it shows in the statement of the day).
//! - No idempotency key: every money-moving call is journaled by the core before it leaves;
//!   after a lost answer `Recover` reads the statement for the sale key (`Description` shows as
//!   the entry's `note` or `sellerDesc`) and never re-sends. Found: paid; not found: nothing
//!   moved (`NotFound`), which relies on iCash writing its statement as it books.
//! - Refund = `TransferMoney` from the merchant's card back to the card that paid (the
//!   statement entry's `secondParty`), with the refund key as its `Message`; before sending,
//!   the statement of the last [`REFUND_DAYS`] days is read for a debit carrying that key, so a
//!   retried refund after a lost answer is found, not sent again.
//! - A 401 logs in again once and repeats the call once (ASP.NET refuses before acting).
//!   `invalid_grant` on the token is `Auth`. Error bodies: `{"Message"}` (API) and
//!   `{"error", "error_description"}` (token).
//! - Statement dates have no offset: they are Libya wall time (UTC+2, no DST).
//! - `CanCustomerPurchase`'s answer is blank in the document: a boolean (or `"True"`), or an
//!   object with `CanPurchase`/`IsOperationSuccessful`, is read; anything else is unreadable.
//! - Voucher redemption (a merchant top-up) is a service sale: `RedeemVoucher` has no
//!   description field, so a lost answer is recovered with `ValidateVoucher` (used or not) and
//!   the statement (a top-up of the voucher's value). The voucher number is journaled as the
//!   service's input: a used voucher is worth nothing, and recovery needs it.
//! - Card numbers are shown and logged masked (last four digits).

pub mod client;
#[cfg(all(test, feature = "sim"))]
pub mod codes;
pub mod config;
#[cfg(all(test, feature = "sim"))]
pub mod conformance;
#[cfg(all(test, feature = "sim"))]
mod flow_tests;
pub mod qr;
pub mod services;
pub mod statement;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::core::Millis;
use crate::core::provider::{
    Capabilities, Failure, FailureKind, FlowKind, Operation, PaymentHandle, PaymentStatus, Prompt,
    ProviderId, ProviderInfo, Reply, ServiceId,
};
use crate::core::sale::{Flow, SaleKey, SaleRequest};
use crate::money::Money;
use crate::providers::registry::{Demo, ProviderEntry};
use crate::providers::{BoxFuture, PaymentProvider};

use client::{Clock, IcashClient, IcashError, StatementPage, mask_card};
use wire::{CURRENCY, LIBYA};

/// The registry's line for iCash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "icash",
    name: "iCash",
    currencies: &[crate::money::Currency::LYD],
    read_config: config::read,
    build: Some(config::build),
    demo: Some(Demo {
        market: "ly",
        settings: config::demo_settings,
        credentials: &[
            ("icash user name", config::demo::USERNAME),
            ("icash password", config::demo::PASSWORD),
            ("icash merchant card", config::demo::CARD),
            ("icash shop", config::demo::SHOP_TEXT),
            ("icash customer card", config::demo::CUSTOMER_CARD),
            (
                "icash customer test payment code (any amount)",
                config::demo::CUSTOMER_CODE,
            ),
            ("icash customer page", "/icash/customer/"),
        ],
        agent_pin: None,
        #[cfg(feature = "sim")]
        simulator: crate::sim::icash::start,
    }),
};

/// Days of statement a refund reads for the sale and for an earlier attempt.
pub const REFUND_DAYS: i64 = 31;

/// Settings of the mapping; the config module fills them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcashProviderConfig {
    /// `ShopID`/`ShopNumber` of this terminal's shop.
    pub shop_id: u32,
    /// Seconds a QR sale waits for the customer.
    pub qr_expires_s: u32,
    /// `NumberOfRecords` asked of GetStatement.
    pub statement_records: u32,
}

/// A QR sale being watched for its credit.
#[derive(Clone, Debug)]
struct QrWatch {
    amount: Money,
    since: OffsetDateTime,
    /// The statement entry that paid it, and the card it came from.
    paid: Option<(String, String)>,
}

/// iCash as a [`PaymentProvider`].
pub struct IcashProvider {
    client: IcashClient,
    config: IcashProviderConfig,
    clock: Clock,
    watches: Mutex<HashMap<String, QrWatch>>,
    /// Statement entries given to a sale of this terminal already.
    claimed: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for IcashProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcashProvider")
            .field("client", &self.client)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn refused(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, message)
}

const OP_PREFIX: &str = "op-";

impl IcashProvider {
    pub fn new(client: IcashClient, config: IcashProviderConfig, clock: Clock) -> IcashProvider {
        IcashProvider {
            client,
            config,
            clock,
            watches: Mutex::new(HashMap::new()),
            claimed: Mutex::new(HashSet::new()),
        }
    }

    pub fn client(&self) -> &IcashClient {
        &self.client
    }

    fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    fn now(&self) -> OffsetDateTime {
        let ms = i128::from(self.now_ms()) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(ms).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn today(&self) -> time::Date {
        self.now().to_offset(LIBYA).date()
    }

    fn days_back(&self, days: i64) -> time::Date {
        (self.now().to_offset(LIBYA) - time::Duration::days(days)).date()
    }

    async fn statement(&self, days: i64) -> Result<StatementPage, Failure> {
        self.client
            .statement(
                self.days_back(days),
                self.today(),
                self.config.statement_records,
            )
            .await
            .map_err(|e| e.to_failure(false))
    }

    fn qr_prompt(&self, payload: String) -> Prompt {
        Prompt::Qr {
            payload,
            expires_at: Millis(self.now_ms()) + u64::from(self.config.qr_expires_s) * 1000,
        }
    }

    fn check_currency(&self, amount: Money) -> Result<(), Failure> {
        if amount.currency() != CURRENCY {
            return Err(refused(format!(
                "iCash pays in {CURRENCY} only, not {}",
                amount.currency()
            )));
        }
        if !amount.is_positive() {
            return Err(refused("iCash needs an amount above zero"));
        }
        Ok(())
    }

    /// The payment QR's payload for `amount` at this shop. `moves_money`: how a lost answer is
    /// classified (a start: in doubt; a recovery: transient).
    async fn fetch_qr(&self, amount: Money, moves_money: bool) -> Result<String, Failure> {
        let png = self
            .client
            .payment_qr(amount, self.config.shop_id)
            .await
            .map_err(|e| e.to_failure(moves_money))?;
        qr::payload(&png).map_err(|e| {
            let kind = if moves_money {
                FailureKind::InDoubt
            } else {
                FailureKind::Transient
            };
            Failure::new(kind, format!("iCash answer cannot be read: {e}"))
        })
    }

    fn watch(&self, handle: &str, amount: Money, since: OffsetDateTime) {
        if let Ok(mut w) = self.watches.lock() {
            w.insert(
                handle.to_string(),
                QrWatch {
                    amount,
                    since,
                    paid: None,
                },
            );
        }
    }

    fn watched(&self, handle: &str) -> Option<QrWatch> {
        self.watches.lock().ok()?.get(handle).cloned()
    }

    async fn start(&self, req: SaleRequest) -> Result<Reply, Failure> {
        self.check_currency(req.amount)?;
        match &req.flow {
            Flow::Qr => {
                let since = self.now();
                let payload = self.fetch_qr(req.amount, true).await?;
                let handle = qr::qr_id(&payload);
                self.watch(&handle, req.amount, since);
                Ok(Reply::Started {
                    handle: PaymentHandle(handle),
                    prompt: self.qr_prompt(payload),
                })
            }
            Flow::CardAndCode { card, code } => {
                let code = code.as_ref().ok_or_else(|| {
                    refused("the payment code is missing: ask the customer for a new one")
                })?;
                let purchase = self
                    .client
                    .can_customer_purchase(card.as_str(), req.amount)
                    .await
                    .map_err(|e| e.to_failure(false))?;
                if !purchase.allowed {
                    return Err(refused(format!(
                        "iCash: card {} cannot pay {} (balance or limits)",
                        card.masked(),
                        req.amount
                    ))
                    .with_code("CanCustomerPurchase"));
                }
                let done = self
                    .client
                    .pay_invoice(card.as_str(), req.amount, code.as_str(), req.key.as_str())
                    .await
                    .map_err(|e| e.to_failure(true))?;
                Ok(op_started(&done.reference))
            }
            Flow::Service { service, inputs } if service.as_str() == services::VOUCHER_REDEEM => {
                let voucher = services::voucher(inputs)?;
                let done = self
                    .client
                    .redeem_voucher(&voucher, req.amount)
                    .await
                    .map_err(|e| e.to_failure(true))?;
                Ok(op_started(&done.reference))
            }
            Flow::Service { service, .. } => Err(refused(format!(
                "iCash offers no money-moving service {}",
                service.as_str()
            ))),
            Flow::Push { .. } | Flow::Invoice { .. } => Err(refused(
                "iCash takes card and payment code, or its QR code, only",
            )),
        }
    }

    /// Where the sale behind `handle` stands.
    async fn status(&self, handle: &PaymentHandle) -> Result<PaymentStatus, Failure> {
        if let Some(id) = handle.0.strip_prefix(OP_PREFIX) {
            let page = self.statement(1).await?;
            return Ok(match statement::by_id(&page.entries, id) {
                Some(e) if e.credit.is_positive() => PaymentStatus::Approved {
                    reference: e.id.clone(),
                },
                Some(_) => PaymentStatus::Declined {
                    reason: format!("iCash operation {id} is not a payment to this merchant"),
                },
                None => PaymentStatus::Pending,
            });
        }
        let Some(watch) = self.watched(&handle.0) else {
            // A QR this process did not show (another instance, or before a restart): its
            // amount and time are unknown, so no credit can be matched to it. The statement is
            // still read, so the check fails as any other would; it is never paid by this.
            self.statement(0).await?;
            return Ok(PaymentStatus::Pending);
        };
        if let Some((id, _)) = &watch.paid {
            return Ok(PaymentStatus::Approved {
                reference: id.clone(),
            });
        }
        let days =
            i64::from(self.now().to_offset(LIBYA).date() != watch.since.to_offset(LIBYA).date());
        let page = self.statement(days).await?;
        let claimed = self.claimed.lock().map(|c| c.clone()).unwrap_or_default();
        let found = statement::sale_credit(&page.entries, watch.amount, watch.since, &|id| {
            claimed.contains(id)
        });
        let Some(e) = found else {
            return Ok(PaymentStatus::Pending);
        };
        if let Ok(mut c) = self.claimed.lock() {
            c.insert(e.id.clone());
        }
        if let Ok(mut w) = self.watches.lock()
            && let Some(watch) = w.get_mut(&handle.0)
        {
            watch.paid = Some((e.id.clone(), e.second_party.clone()));
        }
        tracing::info!(
            reference = %e.id,
            payer = %mask_card(&e.second_party),
            "iCash QR sale paid"
        );
        Ok(PaymentStatus::Approved {
            reference: e.id.clone(),
        })
    }

    async fn cancel(&self, handle: PaymentHandle) -> Result<Reply, Failure> {
        let status = self.status(&handle).await?;
        if !status.is_final()
            && let Ok(mut w) = self.watches.lock()
        {
            w.remove(&handle.0);
        }
        Ok(Reply::Cancelled(match status {
            PaymentStatus::Pending | PaymentStatus::Authorized => PaymentStatus::Cancelled,
            final_status => final_status,
        }))
    }

    async fn recover(&self, req: SaleRequest) -> Result<Reply, Failure> {
        self.check_currency(req.amount)?;
        match &req.flow {
            Flow::Qr => {
                // The QR could have been paid only while it was shown.
                let lifetime = time::Duration::seconds(i64::from(self.config.qr_expires_s));
                let since = self.now() - lifetime;
                let payload = self.fetch_qr(req.amount, false).await?;
                let handle = PaymentHandle(qr::qr_id(&payload));
                self.watch(&handle.0, req.amount, since);
                let status = self.status(&handle).await?;
                let prompt = (!status.is_final()).then(|| self.qr_prompt(payload));
                Ok(Reply::Found {
                    handle,
                    status,
                    prompt,
                })
            }
            Flow::CardAndCode { .. } => {
                let page = self.statement(1).await?;
                Ok(
                    match statement::by_key(&page.entries, req.key.as_str(), req.amount, true) {
                        Some(e) => found_paid(&e.id),
                        None => Reply::NotFound,
                    },
                )
            }
            Flow::Service { service, inputs } if service.as_str() == services::VOUCHER_REDEEM => {
                let voucher = services::voucher(inputs)?;
                let check = self
                    .client
                    .validate_voucher(&voucher, req.amount)
                    .await
                    .map_err(|e| e.to_failure(false))?;
                if check.valid {
                    return Ok(Reply::NotFound);
                }
                let page = self.statement(7).await?;
                let since = self.now() - time::Duration::days(7);
                Ok(
                    match statement::voucher_topup(&page.entries, req.amount, since) {
                        Some(e) => found_paid(&e.id),
                        None => Reply::NotFound,
                    },
                )
            }
            _ => Ok(Reply::NotFound),
        }
    }

    /// The card that paid the sale behind `handle`, from the watch or the statement.
    fn payer_of(&self, handle: &PaymentHandle, page: &StatementPage) -> Result<String, Failure> {
        let id = match handle.0.strip_prefix(OP_PREFIX) {
            Some(id) => id.to_string(),
            None => match self.watched(&handle.0).and_then(|w| w.paid) {
                Some((_, card)) if !card.is_empty() && card != "0" => return Ok(card),
                Some((id, _)) => id,
                None => {
                    return Err(refused(
                        "iCash cannot tell which card paid this QR sale (not watched since the \
                         terminal restarted): refund it from the iCash merchant portal",
                    ));
                }
            },
        };
        let entry = statement::by_id(&page.entries, &id).ok_or_else(|| {
            refused(format!(
                "iCash operation {id} is not in the statement of the last {REFUND_DAYS} days"
            ))
        })?;
        let card = entry.second_party.trim();
        if card.is_empty() || card == "0" || !card.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refused(format!(
                "iCash operation {id} came from no customer card: nothing to refund to"
            )));
        }
        Ok(card.to_string())
    }

    async fn refund(
        &self,
        handle: PaymentHandle,
        amount: Money,
        key: SaleKey,
    ) -> Result<Reply, Failure> {
        self.check_currency(amount)?;
        // Whether an earlier attempt went through is read first: when that cannot be read, the
        // refund is in doubt (the outbox asks again), never sent blind.
        let page = self
            .client
            .statement(
                self.days_back(REFUND_DAYS),
                self.today(),
                self.config.statement_records,
            )
            .await
            .map_err(|e| e.to_failure(true))?;
        // An earlier attempt whose answer was lost: found, never sent again.
        if let Some(e) = statement::by_key(&page.entries, key.as_str(), amount, false) {
            return Ok(Reply::Refunded {
                reference: e.id.clone(),
            });
        }
        let card = self.payer_of(&handle, &page)?;
        let done = self
            .client
            .transfer(&card, amount, key.as_str())
            .await
            .map_err(|e| e.to_failure(true))?;
        tracing::info!(reference = %done.reference, to = %mask_card(&card), "iCash refund sent");
        Ok(Reply::Refunded {
            reference: done.reference,
        })
    }

    async fn query(
        &self,
        service: ServiceId,
        inputs: Vec<crate::core::provider::FieldValue>,
    ) -> Result<Reply, Failure> {
        match service.as_str() {
            services::BALANCE => {
                let b = self
                    .client
                    .balance()
                    .await
                    .map_err(|e| e.to_failure(false))?;
                Ok(Reply::Info(services::balance_lines(b)))
            }
            services::STATEMENT => {
                let page = self.statement(0).await?;
                Ok(Reply::Info(services::statement_lines(&page)))
            }
            services::VOUCHER_CHECK => {
                let voucher = services::voucher(&inputs)?;
                let value = services::voucher_value(&inputs)?;
                let check = self
                    .client
                    .validate_voucher(&voucher, value)
                    .await
                    .map_err(|e| e.to_failure(false))?;
                Ok(Reply::Info(services::voucher_lines(&check)))
            }
            other => Err(refused(format!("iCash offers no service {other}"))),
        }
    }
}

fn op_started(reference: &str) -> Reply {
    Reply::Started {
        handle: PaymentHandle(format!("{OP_PREFIX}{reference}")),
        prompt: Prompt::Immediate,
    }
}

fn found_paid(id: &str) -> Reply {
    Reply::Found {
        handle: PaymentHandle(format!("{OP_PREFIX}{id}")),
        status: PaymentStatus::Approved {
            reference: id.to_string(),
        },
        prompt: None,
    }
}

impl PaymentProvider for IcashProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("icash"),
            name: "iCash".to_string(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Qr, FlowKind::CardAndCode],
                cancel: true,
                refund: true,
                auth_capture: false,
                lookup: true,
                services: services::specs(),
                agent_pin: false,
                amount_due: None,
            },
        }
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            match op {
                Operation::Start(req) => self.start(req).await,
                Operation::Status(handle) => Ok(Reply::Status(self.status(&handle).await?)),
                Operation::Cancel(handle) => self.cancel(handle).await,
                Operation::Capture(..) | Operation::Release(_) => {
                    Err(refused("iCash has no authorizations to capture or release"))
                }
                Operation::Refund {
                    handle,
                    amount,
                    key,
                } => self.refund(handle, amount, key).await,
                Operation::Recover(req) => self.recover(req).await,
                Operation::Query { service, inputs } => self.query(service, inputs).await,
            }
        })
    }

    fn looks_up_without_creating(&self) -> bool {
        true
    }

    /// Logs in, so the first sale does not wait for the token.
    fn start_up(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            self.client
                .login()
                .await
                .map_err(|e: IcashError| e.to_failure(false))
        })
    }
}
