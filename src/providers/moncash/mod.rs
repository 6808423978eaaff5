//! MonCash (Digicel, Haiti, HTG): the client ([`client`]), its wire types ([`wire`]), Haiti
//! time ([`haiti`]) and [`MoncashProvider`], the mapping of the terminal's operations onto it.
//!
//! What `moncash.txt` and NOTES.md leave unsaid, and what was decided:
//! - A sale is `CreatePayment` with the sale key as `orderId`; the QR code is the gateway's
//!   redirect URL for the payment token, and its countdown ends at the token's `expired`.
//! - The payment handle is the orderId. The payment token's expiry is kept in memory by order
//!   (from the create's answer, at a start or a recovery), so a status check knows when the token
//!   can no longer be paid; after a restart the recovery's create learns it again, but a bare
//!   status check of an unpaid order from before the restart reads pending until asked again.
//! - Status is `RetrieveOrderPayment`. 404 means "not paid yet" (or no such order); once the
//!   token is [`EXPIRED_AFTER_MS`] past its expiry, a 404 reads as expired. A payment record
//!   whose `message` is not `successful` reads as pending (never paid, never declined: nothing
//!   documents another message), so it ends expired unless it turns successful. The reference
//!   of an approval is MonCash's `transaction_id`.
//! - MonCash has no cancel (`cancel: false`); the core records a cancelled sale and keeps
//!   watching the order until the token expires.
//! - Recovery asks `RetrieveOrderPayment` first: paid is found paid, never re-created. A 404
//!   cannot tell "created, not paid" from "never arrived", so the recovery sends `CreatePayment`
//!   again with the same `orderId` and amount, which MonCash treats as the same order (NOTES:
//!   `orderId` is the idempotency key): it answers the order's payment token, the QR can be shown
//!   again, and no second payment can exist. If the first create never arrived, the token this
//!   makes has been shown to nobody and lapses unpaid. Either way it is `Found`, pending.
//! - A refund is a payout (`Transfert`) of the refunded amount to the sale's payer (from
//!   `RetrieveOrderPayment`), with the refund key as `reference`. Before every send,
//!   `PrefundedTransactionStatus` is asked for that reference: `successful` means an earlier
//!   attempt arrived (the refund is done, nothing is sent), 404 means it never registered (send),
//!   anything else is in doubt and left for a later check. 403 `Maximum Account Balance` is a
//!   refusal (the payer's wallet is full).
//! - 403 on any call is `Rejected`: NOTES says refused credentials and tokens are 401; MonCash's
//!   only documented 403 is a business refusal.
//! - Services: `balance` (PrefundedBalance) and `customer` (CustomerStatus for a phone number),
//!   both queries that move no money.

pub mod client;
#[cfg(all(test, feature = "sim"))]
pub mod codes;
pub mod config;
#[cfg(all(test, feature = "sim"))]
pub mod conformance;
pub mod haiti;
pub mod wire;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::core::Millis;
use crate::core::provider::{
    Capabilities, Failure, FailureKind, FieldInput, FieldSpec, FieldValue, FlowKind, InfoLine,
    Operation, PaymentHandle, PaymentStatus, Prompt, ProviderId, ProviderInfo, Reply, ServiceId,
    ServiceSpec,
};
use crate::core::sale::{Flow, SaleKey, SaleRequest};
use crate::money::Money;
use crate::providers::mcash::client::Clock;
use crate::providers::registry::{Demo, ProviderEntry};
use crate::providers::{BoxFuture, PaymentProvider};

use client::{MoncashClient, MoncashError};
use wire::{CreatePaymentAnswer, Payment};

/// The registry's line for MonCash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "moncash",
    name: "MonCash",
    currencies: &[crate::money::Currency::HTG],
    read_config: config::read,
    build: Some(config::build),
    demo: Some(Demo {
        market: "ht",
        settings: config::demo_settings,
        credentials: &[
            ("moncash client id", config::demo::CLIENT_ID),
            ("moncash client secret", config::demo::CLIENT_SECRET),
            ("moncash customer", config::demo::PAYER),
            ("moncash customer PIN", config::demo::PAYER_PIN),
        ],
        agent_pin: None,
        #[cfg(feature = "sim")]
        simulator: crate::sim::moncash::start,
    }),
};

/// A 404 this long after the payment token's expiry means the order can no longer be paid.
pub const EXPIRED_AFTER_MS: u64 = 30_000;

/// MonCash as a [`PaymentProvider`].
pub struct MoncashProvider {
    client: MoncashClient,
    clock: Clock,
    /// orderId -> the payment token's expiry (Unix ms), from the create's answers.
    expiries: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for MoncashProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoncashProvider")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn handle(order_id: &str) -> PaymentHandle {
    PaymentHandle(order_id.to_string())
}

fn service(id: &str) -> ServiceId {
    ServiceId::new(id)
}

impl MoncashProvider {
    pub fn new(client: MoncashClient, clock: Clock) -> MoncashProvider {
        MoncashProvider {
            client,
            clock,
            expiries: Mutex::new(HashMap::new()),
        }
    }

    fn expiry(&self, order_id: &str) -> Option<u64> {
        self.expiries.lock().ok()?.get(order_id).copied()
    }

    pub fn client(&self) -> &MoncashClient {
        &self.client
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    fn check_flow(req: &SaleRequest) -> Result<(), Failure> {
        match req.flow {
            Flow::Qr => Ok(()),
            _ => Err(Failure::new(
                FailureKind::Rejected,
                "MonCash offers QR payments only (the payment page's address)",
            )),
        }
    }

    /// The create's answer as a handle and a QR prompt.
    fn started(
        &self,
        order_id: &str,
        answer: &CreatePaymentAnswer,
    ) -> Result<(PaymentHandle, Prompt), Failure> {
        let expires = answer
            .payment_token
            .expires_ms()
            .map_err(|e| MoncashError::from(e).to_failure(true))?;
        if let Ok(mut m) = self.expiries.lock() {
            m.insert(order_id.to_string(), expires);
        }
        Ok((
            handle(order_id),
            Prompt::Qr {
                payload: self.client.redirect_url(&answer.payment_token.token),
                expires_at: Millis(expires),
            },
        ))
    }

    async fn start(&self, req: SaleRequest) -> Result<Reply, Failure> {
        Self::check_flow(&req)?;
        let answer = self
            .client
            .create_payment(req.key.as_str(), req.amount)
            .await
            .map_err(|e| e.to_failure(true))?;
        let (handle, prompt) = self.started(req.key.as_str(), &answer)?;
        Ok(Reply::Started { handle, prompt })
    }

    fn paid(payment: &Payment) -> PaymentStatus {
        if payment.is_successful() {
            PaymentStatus::Approved {
                reference: payment.transaction_id.clone(),
            }
        } else {
            PaymentStatus::Pending
        }
    }

    async fn status(&self, h: &PaymentHandle) -> Result<PaymentStatus, Failure> {
        let order = h.0.as_str();
        let expires = self.expiry(order);
        let found = self
            .client
            .retrieve_order_payment(order)
            .await
            .map_err(|e| e.to_failure(false))?;
        Ok(match found {
            Some(p) => Self::paid(&p),
            None if expires.is_some_and(|e| self.now() > e.saturating_add(EXPIRED_AFTER_MS)) => {
                PaymentStatus::Expired
            }
            None => PaymentStatus::Pending,
        })
    }

    async fn recover(&self, req: SaleRequest) -> Result<Reply, Failure> {
        Self::check_flow(&req)?;
        let order = req.key.as_str();
        let found = self
            .client
            .retrieve_order_payment(order)
            .await
            .map_err(|e| e.to_failure(false))?;
        if let Some(p) = found {
            let status = Self::paid(&p);
            if status != PaymentStatus::Pending {
                return Ok(Reply::Found {
                    handle: handle(order),
                    status,
                    prompt: None,
                });
            }
        }
        // Not paid: the order's payment token again, by the same orderId (module comment).
        let answer = self
            .client
            .create_payment(order, req.amount)
            .await
            .map_err(|e| e.to_failure(true))?;
        let (handle, prompt) = self.started(order, &answer)?;
        Ok(Reply::Found {
            handle,
            status: PaymentStatus::Pending,
            prompt: Some(prompt),
        })
    }

    async fn refund(
        &self,
        h: PaymentHandle,
        amount: Money,
        key: SaleKey,
    ) -> Result<Reply, Failure> {
        let reference = key.as_str();
        // Did an earlier attempt of this refund arrive? Asked before every send.
        match self
            .client
            .prefunded_transaction_status(reference)
            .await
            .map_err(|e| e.to_failure(false))?
        {
            None => {}
            Some(s) if s.trim().eq_ignore_ascii_case("successful") => {
                return Ok(Reply::Refunded {
                    reference: reference.to_string(),
                });
            }
            Some(other) => {
                return Err(Failure::new(
                    FailureKind::InDoubt,
                    format!("MonCash reports payout {reference} as {other:?}; asking again later"),
                ));
            }
        }
        let order = h.0.as_str();
        let payment = self
            .client
            .retrieve_order_payment(order)
            .await
            .map_err(|e| e.to_failure(false))?
            .filter(Payment::is_successful)
            .ok_or_else(|| {
                Failure::new(
                    FailureKind::Rejected,
                    format!(
                        "MonCash holds no successful payment for order {order}: nothing to refund"
                    ),
                )
            })?;
        let desc = format!("Refund of {order}");
        match self
            .client
            .transfert(&payment.payer, amount, &desc, reference)
            .await
        {
            Ok(t) => Ok(Reply::Refunded {
                reference: t.transaction_id,
            }),
            Err(e) if e.status() == Some(403) => Err(Failure::new(
                FailureKind::Rejected,
                format!("MonCash refused the payout to {}: {e}", payment.payer),
            )
            .with_code("403")),
            Err(e) => Err(e.to_failure(true)),
        }
    }

    async fn query(&self, service: ServiceId, inputs: Vec<FieldValue>) -> Result<Reply, Failure> {
        match service.as_str() {
            "balance" => {
                let balance = self
                    .client
                    .prefunded_balance()
                    .await
                    .map_err(|e| e.to_failure(false))?;
                Ok(Reply::Info(vec![InfoLine {
                    label: "Prefunded balance".into(),
                    value: balance.to_string(),
                }]))
            }
            "customer" => {
                let Some(FieldValue::Digits(account)) = inputs.first() else {
                    return Err(Failure::new(
                        FailureKind::Rejected,
                        "the customer status needs the customer's phone number",
                    ));
                };
                let s = self
                    .client
                    .customer_status(account)
                    .await
                    .map_err(|e| e.to_failure(false))?;
                Ok(Reply::Info(vec![
                    InfoLine {
                        label: "Account".into(),
                        value: account.clone(),
                    },
                    InfoLine {
                        label: "KYC".into(),
                        value: s.kind,
                    },
                    InfoLine {
                        label: "Status".into(),
                        value: s.status.join(", "),
                    },
                ]))
            }
            other => Err(Failure::new(
                FailureKind::Rejected,
                format!("MonCash offers no service {other}"),
            )),
        }
    }
}

/// The services MonCash offers in the supervisor menu.
pub fn services() -> Vec<ServiceSpec> {
    vec![
        ServiceSpec {
            id: service("balance"),
            label: "Prefunded balance".into(),
            fields: Vec::new(),
            moves_money: false,
        },
        ServiceSpec {
            id: service("customer"),
            label: "Customer status".into(),
            fields: vec![FieldSpec {
                label: "Customer phone".into(),
                input: FieldInput::Digits { min: 8, max: 11 },
            }],
            moves_money: false,
        },
    ]
}

impl PaymentProvider for MoncashProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("moncash"),
            name: "MonCash".to_string(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Qr],
                cancel: false,
                refund: true,
                auth_capture: false,
                lookup: self.looks_up_without_creating(),
                services: services(),
                agent_pin: false,
                amount_due: None,
            },
        }
    }

    fn looks_up_without_creating(&self) -> bool {
        true
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            match op {
                Operation::Start(req) => self.start(req).await,
                Operation::Status(h) => Ok(Reply::Status(self.status(&h).await?)),
                // No cancel at MonCash: where the order stands is all there is to say.
                Operation::Cancel(h) => Ok(Reply::Cancelled(self.status(&h).await?)),
                Operation::Refund {
                    handle,
                    amount,
                    key,
                } => self.refund(handle, amount, key).await,
                Operation::Recover(req) => self.recover(req).await,
                Operation::Query { service, inputs } => self.query(service, inputs).await,
                Operation::Capture(..) | Operation::Release(_) => Err(Failure::new(
                    FailureKind::Rejected,
                    "MonCash has no authorization to capture or release",
                )),
            }
        })
    }
}

#[cfg(all(test, feature = "sim"))]
mod flow_tests;

#[cfg(all(test, feature = "sim"))]
mod runtime_tests;
