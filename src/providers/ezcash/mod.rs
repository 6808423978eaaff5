//! eZ Cash agent API through ideabiz (Sri Lanka, LKR): the token side ([`token`]), the client
//! ([`client`]), the wire ([`wire`]), the document's status table as types ([`status`]), and
//! [`EzcashProvider`], the terminal's operations mapped onto them.
//!
//! A sale is TX_AOTC to the mobile number the cashier typed: eZ Cash answers 10 (62 in v2),
//! the customer approves on the handset, and the terminal polls transactionStatusViaRequestId
//! until 5 or a failure. Agent services: wallet top-up (TX_ACWT) and bill payment (TX_ATOB)
//! move money and go through the sale path (`Flow::Service`); the agent balance
//! (subscriberBalance) is a query.
//!
//! What `ezcash.txt` and NOTES.md leave unsaid, and what was decided:
//! - `requestId` is the sale key (unique per terminal and sale, 1 to 64 of `A-Za-z0-9_.-`),
//!   so a start and its recovery name the same transaction. The handle is that id: the status
//!   query takes "the client's original request id", not the `<alias>_<id>` eZ Cash answers.
//! - Code 64 (duplicate request id) on a start is never a failure: the status query says what
//!   that transaction is. It must be the same one (type, amount, and for TX_AOTC and TX_ACWT
//!   the recipient, where the answer carries them): a request id used before for something
//!   else (a terminal reinstalled with a fresh journal) is refused, never read as this sale.
//! - A status query answered with a failure code and no transaction (no `responseId`, no
//!   `txType`) means eZ Cash has no such request: recovery answers `NotFound`. The simulator
//!   answers an unknown id that way (6, "Transaction Failure").
//! - On a status query, 37, 41, 55 and 63 are about the caller (PIN, initiator, account,
//!   credentials): an auth failure of the query, never the transaction's outcome; 68 is a
//!   refused query. 64 there is read as pending (the id is known, no outcome given). Every
//!   other failure code is the transaction's: declined with the document's wording. An unknown
//!   code is pending on a status query (keep asking, never paid) and in doubt on a start.
//! - Failure codes on a start mean nothing moved: 37, 41, 55, 63 are auth failures, the rest
//!   refusals with the document's wording and code.
//! - The agent PIN: from the config (`agent_pin` / `agent_pin_file`), or typed at shift start
//!   (`Capabilities::agent_pin`), checked with a balance query, held as a `SecretString` in
//!   memory only and dropped (zeroized) on `lock` and with the provider. Until then every call
//!   that needs it is refused as an auth failure before anything is sent. A 37 (invalid PIN)
//!   forgets a typed PIN, and a refused configured PIN is not sent again until restart: three
//!   refusals would block the agent (55). An unreachable eZ Cash at unlock keeps the PIN (the
//!   first call checks it). The document puts the PIN in every call's JSON body: the client
//!   wipes its encoded body after the call; the copy the HTTP stack makes to send it is not
//!   reachable to wipe and lives for that one request.
//! - The customer's number goes as eZ Cash writes it, nine digits (`777333015`): a leading `0`
//!   or `94` typed by the cashier is dropped.
//! - `txReference` is the sale key; notifications are asked for (`"true"`); channel `WEB`.
//!   `refernceMobileNumber` of a bill payment is the configured `agent_mobile`, left out when
//!   there is none.
//! - The document has no cancel and no refund: neither is offered. A push not approved stays
//!   pending at eZ Cash until it gives up; the terminal keeps asking.
//! - The screen's approval countdown is `approval_seconds` (default 180): the document names
//!   no approval window.

pub mod client;
#[cfg(all(test, feature = "sim"))]
pub mod codes;
pub mod config;
#[cfg(all(test, feature = "sim"))]
pub mod conformance;
pub mod status;
pub mod token;
pub mod wire;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::SecretString;

use crate::core::Millis;
use crate::core::provider::{
    Capabilities, Failure, FailureKind, FieldInput, FieldSpec, FieldValue, FlowKind, InfoLine,
    Operation, PaymentHandle, PaymentStatus, Prompt, ProviderId, ProviderInfo, Reply, ServiceId,
    ServiceSpec,
};
use crate::core::sale::{Flow, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::registry::{Demo, ProviderEntry};
use crate::providers::{BoxFuture, PaymentProvider};

use client::{EzcashClient, EzcashError};
use status::{Reason, TxStatus};
use token::Clock;
use wire::{AgentTransactionRequest, BILL_DOMAINS, TxAnswer, TxType};

/// The registry's line for eZ Cash.
pub const ENTRY: ProviderEntry = ProviderEntry {
    id: "ezcash",
    name: "eZ Cash",
    currencies: &[Currency::LKR],
    read_config: config::read,
    build: Some(config::build),
    demo: Some(Demo {
        market: "lk",
        settings: config::demo_settings,
        credentials: &[
            ("ezcash consumer key", config::demo::CONSUMER_KEY),
            ("ezcash consumer secret", config::demo::CONSUMER_SECRET),
            ("ezcash user", config::demo::USERNAME),
            ("ezcash password", config::demo::PASSWORD),
            ("ezcash agent alias", config::demo::AGENT_ALIAS),
            ("ezcash agent PIN", config::demo::AGENT_PIN),
            ("ezcash test subscribers", "769983684, 769967784"),
        ],
        agent_pin: Some(config::demo::AGENT_PIN),
        #[cfg(feature = "sim")]
        simulator: crate::sim::ezcash::start,
    }),
};

/// eZ Cash pays in rupees only.
pub const CURRENCY: Currency = Currency::LKR;

/// Service ids.
pub const TOPUP: &str = "topup";
pub const BILL: &str = "bill";
pub const BALANCE: &str = "balance";

/// The agent this terminal acts as.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub alias: String,
    /// Configured as a credential; `None`: typed at shift start.
    pub pin: Option<SecretString>,
    pub mobile: Option<String>,
    pub approval_seconds: u32,
}

/// eZ Cash as a [`PaymentProvider`].
pub struct EzcashProvider {
    client: EzcashClient,
    agent: AgentConfig,
    clock: Clock,
    /// The PIN typed at shift start; dropped (zeroized) on `lock`.
    typed_pin: Mutex<Option<SecretString>>,
    /// eZ Cash refused the configured PIN: not sent again (retries block the agent).
    configured_pin_refused: AtomicBool,
}

impl std::fmt::Debug for EzcashProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EzcashProvider")
            .field("client", &self.client)
            .field("agent_alias", &self.agent.alias)
            .field("pin_configured", &self.agent.pin.is_some())
            .field("unlocked", &self.typed_pin().is_some())
            .finish_non_exhaustive()
    }
}

fn auth(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Auth, message)
}

fn rejected(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, message)
}

/// The number as eZ Cash writes it: nine digits, no `0` or `94` in front.
pub fn local_mobile(digits: &str) -> String {
    let d = digits.trim().trim_start_matches('+');
    if d.len() == 11 && d.starts_with("94") {
        d[2..].to_string()
    } else if d.len() == 10 && d.starts_with('0') {
        d[1..].to_string()
    } else {
        d.to_string()
    }
}

/// The services of the supervisor menu.
pub fn services() -> Vec<ServiceSpec> {
    let mobile = FieldSpec {
        label: "Mobile number".to_string(),
        input: FieldInput::Digits { min: 9, max: 10 },
    };
    vec![
        ServiceSpec {
            id: ServiceId::new(TOPUP),
            label: "Wallet top-up".to_string(),
            fields: vec![mobile],
            moves_money: true,
        },
        ServiceSpec {
            id: ServiceId::new(BILL),
            label: "Bill payment".to_string(),
            fields: vec![
                FieldSpec {
                    label: "Biller".to_string(),
                    input: FieldInput::Choice(
                        BILL_DOMAINS
                            .iter()
                            .map(|(d, name)| format!("{name} ({d})"))
                            .collect(),
                    ),
                },
                FieldSpec {
                    label: "Account number".to_string(),
                    input: FieldInput::Digits { min: 5, max: 15 },
                },
            ],
            moves_money: true,
        },
        ServiceSpec {
            id: ServiceId::new(BALANCE),
            label: "Agent balance".to_string(),
            fields: Vec::new(),
            moves_money: false,
        },
    ]
}

/// What a start asks of eZ Cash, derived from the sale request alone.
struct Order {
    tx_type: TxType,
    /// TX_AOTC and TX_ACWT: the subscriber.
    mobile: Option<String>,
    /// TX_ATOB: domain and account.
    bill: Option<(&'static str, String)>,
}

impl Order {
    fn of(req: &SaleRequest) -> Result<Order, Failure> {
        let digits = |v: Option<&FieldValue>, what: &str| match v {
            Some(FieldValue::Digits(d))
                if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(d.clone())
            }
            _ => Err(rejected(format!("eZ Cash {what}: digits expected"))),
        };
        match &req.flow {
            Flow::Push { phone } => Ok(Order {
                tx_type: TxType::Aotc,
                mobile: Some(local_mobile(phone.as_str())),
                bill: None,
            }),
            Flow::Service { service, inputs } => match service.as_str() {
                TOPUP => Ok(Order {
                    tx_type: TxType::Acwt,
                    mobile: Some(local_mobile(&digits(inputs.first(), "mobile number")?)),
                    bill: None,
                }),
                BILL => {
                    let domain = match inputs.first() {
                        Some(FieldValue::Choice(i)) => BILL_DOMAINS
                            .get(*i)
                            .map(|(d, _)| *d)
                            .ok_or_else(|| rejected("eZ Cash biller: no such choice"))?,
                        _ => return Err(rejected("eZ Cash biller: a choice expected")),
                    };
                    let account = digits(inputs.get(1), "account number")?;
                    Ok(Order {
                        tx_type: TxType::Atob,
                        mobile: None,
                        bill: Some((domain, account)),
                    })
                }
                other => Err(rejected(format!(
                    "eZ Cash offers no service {other:?} that moves money"
                ))),
            },
            _ => Err(rejected(
                "eZ Cash takes payments pushed to the customer's phone only",
            )),
        }
    }

    /// Whether a transaction eZ Cash describes can be this order of `amount`: every field the
    /// answer carries must agree.
    fn matches(&self, amount: Money, a: &TxAnswer) -> bool {
        let type_ok = a
            .tx_type
            .as_deref()
            .is_none_or(|t| TxType::parse(t.trim()) == Some(self.tx_type));
        let amount_ok = a.tx_amount.is_none_or(|m| m == amount);
        let recipient_ok = match (&self.mobile, &a.recipient) {
            (Some(want), Some(got)) if self.tx_type != TxType::Atob => local_mobile(got) == *want,
            _ => true,
        };
        type_ok && amount_ok && recipient_ok
    }
}

impl EzcashProvider {
    pub fn new(client: EzcashClient, agent: AgentConfig, clock: Clock) -> EzcashProvider {
        EzcashProvider {
            client,
            agent,
            clock,
            typed_pin: Mutex::new(None),
            configured_pin_refused: AtomicBool::new(false),
        }
    }

    pub fn client(&self) -> &EzcashClient {
        &self.client
    }

    fn typed_pin(&self) -> Option<SecretString> {
        self.typed_pin.lock().ok().and_then(|g| g.clone())
    }

    /// The PIN to send, or the auth failure saying why there is none.
    fn pin(&self) -> Result<SecretString, Failure> {
        match &self.agent.pin {
            Some(_) if self.configured_pin_refused.load(Ordering::Acquire) => Err(auth(
                "eZ Cash refused the configured agent PIN: correct agent_pin_file and restart \
                 (not sent again: repeated refusals block the agent)",
            )
            .with_code("37")),
            Some(pin) => Ok(pin.clone()),
            None => self.typed_pin().ok_or_else(|| {
                auth("eZ Cash is locked: type the agent PIN at the start of the shift")
            }),
        }
    }

    /// After eZ Cash answered 37 (or 55): the PIN is not sent again.
    fn pin_refused(&self) {
        if self.agent.pin.is_some() {
            self.configured_pin_refused.store(true, Ordering::Release);
        } else {
            self.lock();
        }
    }

    fn failure_of(&self, e: &EzcashError, moves_money: bool) -> Failure {
        e.to_failure(moves_money)
    }

    /// A failure code in an answer, as a failure of the call.
    fn refusal(&self, reason: Reason, description: Option<&str>) -> Failure {
        if matches!(
            reason,
            Reason::InvalidAgentPin | Reason::BlockedByPinRetries
        ) {
            self.pin_refused();
        }
        let mut message = format!("eZ Cash: {}", reason.description());
        if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty())
            && !d.eq_ignore_ascii_case(reason.description())
        {
            message.push_str(&format!(" ({d})"));
        }
        let kind = if reason.is_credentials() {
            FailureKind::Auth
        } else {
            FailureKind::Rejected
        };
        Failure::new(kind, message).with_code(reason.code().to_string())
    }

    fn expires_at(&self) -> Millis {
        Millis((self.clock)()) + u64::from(self.agent.approval_seconds) * 1000
    }

    fn prompt(&self, req: &SaleRequest) -> Prompt {
        match &req.flow {
            Flow::Push { phone } => Prompt::PushSent {
                phone: phone.clone(),
                expires_at: self.expires_at(),
            },
            _ => Prompt::Immediate,
        }
    }

    fn check_currency(&self, amount: Money) -> Result<(), Failure> {
        if amount.currency() == CURRENCY {
            Ok(())
        } else {
            Err(rejected(format!(
                "eZ Cash pays in {CURRENCY} only, not {}",
                amount.currency()
            )))
        }
    }

    fn request(
        &self,
        req: &SaleRequest,
        order: &Order,
        pin: &SecretString,
    ) -> AgentTransactionRequest {
        let (domain, account) = match &order.bill {
            Some((d, a)) => (Some(d.to_string()), Some(a.clone())),
            None => (None, None),
        };
        AgentTransactionRequest {
            agent_alias: self.agent.alias.clone(),
            agent_pin: pin.clone(),
            agent_notification_send: "true".to_string(),
            channel: "WEB".to_string(),
            request_id: req.key.as_str().to_string(),
            subscriber_mobile: order.mobile.clone(),
            domain,
            reference_mobile_number: order.bill.as_ref().and(self.agent.mobile.clone()),
            account_number: account,
            subscriber_notification_send: "true".to_string(),
            tx_amount: wire::amount_text(req.amount),
            tx_reference: Some(req.key.as_str().to_string()),
            tx_type: order.tx_type.as_str().to_string(),
        }
    }

    async fn start(&self, req: SaleRequest) -> Result<Reply, Failure> {
        self.check_currency(req.amount)?;
        let order = Order::of(&req)?;
        let pin = self.pin()?;
        let body = self.request(&req, &order, &pin);
        let answer = self
            .client
            .submit(&body, CURRENCY)
            .await
            .map_err(|e| self.failure_of(&e, true))?;
        let handle = PaymentHandle(req.key.as_str().to_string());
        match answer.status {
            TxStatus::Success | TxStatus::Accepted | TxStatus::Pending => Ok(Reply::Started {
                handle,
                prompt: self.prompt(&req),
            }),
            TxStatus::Failed(Reason::DuplicateRequestId) => {
                // Sent before (a lost answer, a repeat): the status query says what it is.
                match self.lookup(&req, &order).await? {
                    Some((_, status)) => Ok(Reply::Started {
                        handle,
                        prompt: if status.is_final() {
                            Prompt::Immediate
                        } else {
                            self.prompt(&req)
                        },
                    }),
                    None => Err(Failure::new(
                        FailureKind::InDoubt,
                        "eZ Cash answered Duplicate Request ID (64) but does not find the request",
                    )
                    .with_code("64")),
                }
            }
            TxStatus::Failed(reason) => Err(self.refusal(reason, answer.description.as_deref())),
            TxStatus::NotANumber => Err(Failure::new(
                FailureKind::InDoubt,
                "eZ Cash answered a status that is not a number",
            )),
            TxStatus::Unknown(code) => Err(Failure::new(
                FailureKind::InDoubt,
                format!(
                    "eZ Cash answered status {code}, which its document does not list: {}",
                    answer.description.unwrap_or_default()
                ),
            )
            .with_code(code.to_string())),
        }
    }

    /// The status query of a request id, read as the core's status.
    async fn query_status(&self, request_id: &str) -> Result<(TxAnswer, PaymentStatus), Failure> {
        let pin = self.pin()?;
        let answer = self
            .client
            .status(&self.agent.alias, &pin, request_id, CURRENCY)
            .await
            .map_err(|e| self.failure_of(&e, false))?;
        let status = match answer.status {
            TxStatus::Success => PaymentStatus::Approved {
                reference: answer
                    .reference_text()
                    .unwrap_or_else(|| request_id.to_string()),
            },
            TxStatus::Accepted
            | TxStatus::Pending
            | TxStatus::Unknown(_)
            | TxStatus::NotANumber => PaymentStatus::Pending,
            TxStatus::Failed(Reason::DuplicateRequestId) => PaymentStatus::Pending,
            TxStatus::Failed(reason) if reason.is_about_the_query() => {
                return Err(self.refusal(reason, answer.description.as_deref()));
            }
            TxStatus::Failed(reason) => PaymentStatus::Declined {
                reason: reason.to_string(),
            },
        };
        Ok((answer, status))
    }

    /// The transaction of this sale key at eZ Cash: `None` if there is none; a refusal if the
    /// id names another transaction.
    async fn lookup(
        &self,
        req: &SaleRequest,
        order: &Order,
    ) -> Result<Option<(TxAnswer, PaymentStatus)>, Failure> {
        let (answer, status) = self.query_status(req.key.as_str()).await?;
        if matches!(answer.status, TxStatus::Failed(_)) && !answer.has_transaction() {
            return Ok(None);
        }
        if !order.matches(req.amount, &answer) {
            return Err(rejected(format!(
                "eZ Cash holds another transaction under request id {} ({} {}): not this sale",
                req.key,
                answer.tx_type.as_deref().unwrap_or("?"),
                answer
                    .tx_amount
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "?".to_string())
            ))
            .with_code("64"));
        }
        Ok(Some((answer, status)))
    }

    async fn recover(&self, req: SaleRequest) -> Result<Reply, Failure> {
        self.check_currency(req.amount)?;
        let order = Order::of(&req)?;
        Ok(match self.lookup(&req, &order).await? {
            None => Reply::NotFound,
            Some((_, status)) => Reply::Found {
                handle: PaymentHandle(req.key.as_str().to_string()),
                prompt: (!status.is_final()).then(|| self.prompt(&req)),
                status,
            },
        })
    }

    async fn query(&self, service: &ServiceId) -> Result<Reply, Failure> {
        if service.as_str() != BALANCE {
            return Err(rejected(format!(
                "eZ Cash offers no query {:?}",
                service.as_str()
            )));
        }
        let pin = self.pin()?;
        let answer = self
            .client
            .balance(&self.agent.alias, &pin, CURRENCY)
            .await
            .map_err(|e| self.failure_of(&e, false))?;
        match answer.status {
            TxStatus::Success => {
                let available = answer.available.ok_or_else(|| {
                    Failure::new(
                        FailureKind::Transient,
                        "eZ Cash's balance answer lacks availableAmount",
                    )
                })?;
                let mut lines = vec![InfoLine {
                    label: "Available balance".to_string(),
                    value: available.to_string(),
                }];
                lines.push(InfoLine {
                    label: "Agent".to_string(),
                    value: answer.msisdn.unwrap_or_else(|| self.agent.alias.clone()),
                });
                Ok(Reply::Info(lines))
            }
            TxStatus::Failed(reason) => Err(self.refusal(reason, answer.description.as_deref())),
            other => Err(Failure::new(
                FailureKind::Transient,
                format!(
                    "eZ Cash answered the balance query with status {}",
                    other.code()
                ),
            )),
        }
    }

    async fn unlock_with(&self, pin: SecretString) -> Result<(), Failure> {
        if self.agent.pin.is_some() {
            // The configured PIN is the credential; nothing typed is kept.
            return Ok(());
        }
        let answer = self.client.balance(&self.agent.alias, &pin, CURRENCY).await;
        match answer {
            Ok(a) if a.status == TxStatus::Success => {}
            Ok(a) => match a.status {
                TxStatus::Failed(reason) if reason.is_credentials() => {
                    return Err(self.refusal(reason, a.description.as_deref()));
                }
                // Anything else says nothing against the PIN.
                _ => {}
            },
            Err(e) => {
                let f = e.to_failure(false);
                if f.kind != FailureKind::Transient {
                    return Err(f);
                }
                tracing::warn!(error = %f, "eZ Cash unreachable at unlock; the PIN is checked by the first call");
            }
        }
        if let Ok(mut g) = self.typed_pin.lock() {
            *g = Some(pin);
        }
        Ok(())
    }
}

impl PaymentProvider for EzcashProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("ezcash"),
            name: "eZ Cash".to_string(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Push],
                cancel: false,
                refund: false,
                auth_capture: false,
                lookup: self.looks_up_without_creating(),
                services: services(),
                agent_pin: self.agent.pin.is_none(),
                amount_due: None,
            },
        }
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            match op {
                Operation::Start(req) => self.start(req).await,
                Operation::Status(handle) => {
                    Ok(Reply::Status(self.query_status(&handle.0).await?.1))
                }
                Operation::Recover(req) => self.recover(req).await,
                Operation::Query { service, .. } => self.query(&service).await,
                Operation::Cancel(_) => Err(rejected(
                    "eZ Cash has no cancel: the customer declines on the handset",
                )),
                Operation::Capture(..) | Operation::Release(_) => Err(rejected(
                    "eZ Cash has no authorizations to capture or release",
                )),
                Operation::Refund { .. } => Err(rejected("eZ Cash's agent API has no refund")),
            }
        })
    }

    fn looks_up_without_creating(&self) -> bool {
        true
    }

    fn unlock(&self, pin: SecretString) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(self.unlock_with(pin))
    }

    fn lock(&self) {
        if let Ok(mut g) = self.typed_pin.lock() {
            // Dropping the SecretString zeroizes it.
            *g = None;
        }
    }

    fn start_up(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            self.client
                .authenticate()
                .await
                .map_err(|e| e.to_failure(false))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_lose_their_prefixes() {
        assert_eq!(local_mobile("769983684"), "769983684");
        assert_eq!(local_mobile("0769983684"), "769983684");
        assert_eq!(local_mobile("94769983684"), "769983684");
        assert_eq!(local_mobile("+94769983684"), "769983684");
    }

    #[test]
    fn services_are_declared_for_the_menu() {
        let s = services();
        let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, [TOPUP, BILL, BALANCE]);
        assert!(s[0].moves_money && s[1].moves_money && !s[2].moves_money);
        match &s[1].fields[0].input {
            FieldInput::Choice(names) => {
                assert_eq!(names.len(), BILL_DOMAINS.len());
                assert_eq!(names[5], "Hutch (HUTCH)");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(all(test, feature = "sim"))]
mod fault_tests;
#[cfg(all(test, feature = "sim"))]
mod flow_tests;
#[cfg(all(test, feature = "sim"))]
mod test_rig;
