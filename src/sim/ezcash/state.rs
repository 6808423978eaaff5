//! The eZ Cash simulator's state: ideabiz credentials and tokens, agents with PINs and wallets,
//! subscribers, transactions by (agent, requestId), limits and counters. Pure: every method
//! takes "now" from the caller (the sim clock).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::money::{Currency, Money};
use crate::providers::ezcash::config::demo;
use crate::providers::ezcash::status::{Reason, TxStatus};
use crate::providers::ezcash::wire::TxType;

pub const LKR: Currency = Currency::LKR;
/// Seconds an access token lives (NOTES: 3600).
pub const ACCESS_SECONDS: i64 = 3600;
/// Seconds a refresh token lives (WSO2's default: one day).
pub const REFRESH_SECONDS: i64 = 86_400;
/// Seconds a TX_AOTC waits for the subscriber before it fails.
pub const APPROVAL_SECONDS: i64 = 300;
/// Wrong PINs in a row that block an agent (then 55).
pub const PIN_RETRIES: u32 = 3;

pub fn lkr(minor: i64) -> Money {
    Money::from_minor(minor, LKR)
}

#[derive(Clone, Debug)]
pub struct Agent {
    pub pin: String,
    pub balance: Money,
    pub mobile: String,
    pub wrong_pins: u32,
    pub blocked: bool,
}

#[derive(Clone, Debug)]
pub struct Access {
    pub expires: OffsetDateTime,
    pub active: bool,
}

#[derive(Clone, Debug)]
pub struct Refresh {
    pub expires: OffsetDateTime,
    pub used: bool,
    /// The access token issued with it (revoked when it is used).
    pub access: String,
}

#[derive(Clone, Debug)]
pub struct Tx {
    pub request_id: String,
    pub agent: String,
    pub tx_type: TxType,
    pub amount: Money,
    pub mobile: Option<String>,
    pub domain: Option<String>,
    pub status: TxStatus,
    pub description: String,
    pub response_id: u64,
    pub ref_id: String,
    pub created: OffsetDateTime,
}

/// Per-transaction and daily limits (sim decisions: the document gives only "equal or greater
/// than 10").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub min: Money,
    pub max: Money,
    /// Per agent and UTC day, over every accepted transaction.
    pub daily: Money,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            min: lkr(1_000),
            max: lkr(10_000_000),
            daily: lkr(100_000_000),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub token_requests: u64,
    pub password_grants: u64,
    pub refresh_grants: u64,
    pub unauthorized: u64,
    pub submits: u64,
    pub transactions: u64,
    pub duplicates: u64,
    pub status_queries: u64,
    pub balance_queries: u64,
    pub throttled: u64,
    pub v1: u64,
    pub v1_test: u64,
}

/// Throttling: forced for the next N calls, and a rate per real second.
#[derive(Clone, Debug)]
pub struct Throttle {
    pub next: u32,
    pub per_second: u32,
    pub window: Option<std::time::Instant>,
    pub in_window: u32,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            next: 0,
            per_second: 50,
            window: None,
            in_window: 0,
        }
    }
}

impl Throttle {
    /// Whether this call is throttled.
    pub fn take(&mut self, now: std::time::Instant) -> bool {
        if self.next > 0 {
            self.next -= 1;
            return true;
        }
        match self.window {
            Some(start) if now.duration_since(start).as_millis() < 1000 => {
                self.in_window += 1;
                self.in_window > self.per_second
            }
            _ => {
                self.window = Some(now);
                self.in_window = 1;
                false
            }
        }
    }
}

/// A refusal with the document's code; `record` says whether the request id is consumed (a
/// failed transaction eZ Cash keeps and reports by its id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub record: bool,
}

fn refuse(reason: Reason) -> Refusal {
    Refusal {
        reason,
        record: false,
    }
}

pub struct State {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub username: String,
    pub password: String,
    pub revoked: bool,
    pub access: BTreeMap<String, Access>,
    pub refresh: BTreeMap<String, Refresh>,
    pub agents: BTreeMap<String, Agent>,
    pub subscribers: BTreeMap<String, Money>,
    pub txs: Vec<Tx>,
    pub limits: Limits,
    pub counters: Counters,
    pub throttle: Throttle,
    next_id: u64,
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl State {
    pub fn new() -> State {
        let mut agents = BTreeMap::new();
        agents.insert(
            demo::AGENT_ALIAS.to_string(),
            Agent {
                pin: demo::AGENT_PIN.to_string(),
                balance: lkr(25_000_000),
                mobile: "773331194".to_string(),
                wrong_pins: 0,
                blocked: false,
            },
        );
        let subscribers = demo::SUBSCRIBERS
            .iter()
            .map(|m| (m.to_string(), lkr(5_000_000)))
            .collect();
        State {
            consumer_key: demo::CONSUMER_KEY.to_string(),
            consumer_secret: demo::CONSUMER_SECRET.to_string(),
            username: demo::USERNAME.to_string(),
            password: demo::PASSWORD.to_string(),
            revoked: false,
            access: BTreeMap::new(),
            refresh: BTreeMap::new(),
            agents,
            subscribers,
            txs: Vec::new(),
            limits: Limits::default(),
            counters: Counters::default(),
            throttle: Throttle::default(),
            next_id: 22_975,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A new access and refresh token pair.
    pub fn issue(&mut self, now: OffsetDateTime) -> (String, String) {
        let n = self.next_id();
        let access = format!("at{n:08x}{:06x}", now.nanosecond() & 0xff_ffff);
        let refresh = format!("rt{n:08x}{:06x}", (now.nanosecond() >> 4) & 0xff_ffff);
        self.access.insert(
            access.clone(),
            Access {
                expires: now + time::Duration::seconds(ACCESS_SECONDS),
                active: true,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            Refresh {
                expires: now + time::Duration::seconds(REFRESH_SECONDS),
                used: false,
                access: access.clone(),
            },
        );
        (access, refresh)
    }

    /// The refresh grant: the old refresh token and its access token are spent.
    pub fn rotate(&mut self, refresh: &str, now: OffsetDateTime) -> Option<(String, String)> {
        let r = self.refresh.get_mut(refresh)?;
        if r.used || r.expires <= now {
            return None;
        }
        r.used = true;
        let old = r.access.clone();
        if let Some(a) = self.access.get_mut(&old) {
            a.active = false;
        }
        Some(self.issue(now))
    }

    /// Every token dies (credentials revoked).
    pub fn kill_tokens(&mut self) {
        for a in self.access.values_mut() {
            a.active = false;
        }
        for r in self.refresh.values_mut() {
            r.used = true;
        }
    }

    /// Checks an agent's alias and PIN, counting wrong PINs (three block the agent).
    pub fn check_agent(&mut self, alias: &str, pin: &str) -> Result<(), Reason> {
        let agent = self
            .agents
            .get_mut(alias)
            .ok_or(Reason::InvalidCredentials)?;
        if agent.blocked {
            return Err(Reason::BlockedByPinRetries);
        }
        if agent.pin != pin {
            agent.wrong_pins += 1;
            if agent.wrong_pins >= PIN_RETRIES {
                agent.blocked = true;
                return Err(Reason::BlockedByPinRetries);
            }
            return Err(Reason::InvalidAgentPin);
        }
        agent.wrong_pins = 0;
        Ok(())
    }

    pub fn tx(&self, agent: &str, request_id: &str) -> Option<&Tx> {
        self.txs
            .iter()
            .find(|t| t.agent == agent && t.request_id == request_id)
    }

    fn tx_mut_by_id(&mut self, request_id: &str) -> Option<&mut Tx> {
        self.txs
            .iter_mut()
            .find(|t| t.request_id == request_id && t.status.is_waiting())
    }

    fn used_today(&self, agent: &str, now: OffsetDateTime) -> Money {
        let minor = self
            .txs
            .iter()
            .filter(|t| t.agent == agent && t.created.date() == now.date())
            .filter(|t| t.status == TxStatus::Success || t.status.is_waiting())
            .map(|t| t.amount.minor())
            .fold(0i64, i64::saturating_add);
        lkr(minor)
    }

    /// A submitTransactionRequest after the agent's PIN was checked: the transaction made, or
    /// the refusal.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &mut self,
        agent: &str,
        request_id: &str,
        tx_type: TxType,
        amount: Money,
        mobile: Option<String>,
        domain: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Tx, Refusal> {
        if self.tx(agent, request_id).is_some() {
            self.counters.duplicates += 1;
            return Err(refuse(Reason::DuplicateRequestId));
        }
        let limit = self.limit_check(agent, amount, now);
        let mut status = TxStatus::Accepted;
        let mut description = "Transaction is accepted".to_string();
        let outcome = limit.and_then(|()| match tx_type {
            TxType::Aotc => {
                let m = mobile.as_deref().unwrap_or_default();
                if self.subscribers.contains_key(m) {
                    Ok(())
                } else {
                    Err(Reason::InvalidRecipient)
                }
            }
            TxType::Acwt => {
                let m = mobile.clone().unwrap_or_default();
                if !self.subscribers.contains_key(&m) {
                    return Err(Reason::InvalidRecipient);
                }
                self.debit_agent(agent, amount)?;
                if let Some(b) = self.subscribers.get_mut(&m) {
                    *b = lkr(b.minor().saturating_add(amount.minor()));
                }
                status = TxStatus::Success;
                Ok(())
            }
            TxType::Atob => {
                self.debit_agent(agent, amount)?;
                status = TxStatus::Success;
                description = "Transaction you performed is successful.".to_string();
                Ok(())
            }
        });
        if let Err(reason) = outcome {
            // Refused on its merits: eZ Cash keeps the failed request under its id.
            self.record(
                agent,
                request_id,
                tx_type,
                amount,
                mobile,
                domain,
                TxStatus::Failed(reason),
                reason.description().to_string(),
                now,
            );
            return Err(Refusal {
                reason,
                record: true,
            });
        }
        self.counters.transactions += 1;
        let tx = self.record(
            agent,
            request_id,
            tx_type,
            amount,
            mobile,
            domain,
            status,
            description,
            now,
        );
        // The submit answers "accepted" for TX_AOTC and TX_ACWT, as the document's examples do;
        // the status query then says 5 for the wallet recharge.
        let mut answered = tx;
        if tx_type == TxType::Acwt {
            answered.status = TxStatus::Accepted;
            answered.description = "Transaction is accepted".to_string();
        }
        Ok(answered)
    }

    fn limit_check(&self, agent: &str, amount: Money, now: OffsetDateTime) -> Result<(), Reason> {
        if amount.minor() < self.limits.min.minor() {
            return Err(Reason::BelowMinimum);
        }
        if amount.minor() > self.limits.max.minor() {
            return Err(Reason::AboveMaximum);
        }
        let used = self.used_today(agent, now).minor();
        if used.saturating_add(amount.minor()) > self.limits.daily.minor() {
            return Err(Reason::DailyCapExceeded);
        }
        Ok(())
    }

    fn debit_agent(&mut self, agent: &str, amount: Money) -> Result<(), Reason> {
        let a = self
            .agents
            .get_mut(agent)
            .ok_or(Reason::InvalidCredentials)?;
        if a.balance.minor() < amount.minor() {
            return Err(Reason::InsufficientBalance);
        }
        a.balance = lkr(a.balance.minor() - amount.minor());
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        agent: &str,
        request_id: &str,
        tx_type: TxType,
        amount: Money,
        mobile: Option<String>,
        domain: Option<String>,
        status: TxStatus,
        description: String,
        now: OffsetDateTime,
    ) -> Tx {
        let response_id = self.next_id();
        let date = now.date();
        let tx = Tx {
            request_id: request_id.to_string(),
            agent: agent.to_string(),
            tx_type,
            amount,
            mobile,
            domain,
            status,
            description,
            response_id,
            ref_id: format!(
                "{:04}{:02}{:02}{response_id:09}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
            created: now,
        };
        self.txs.push(tx.clone());
        tx
    }

    /// The subscriber approves (or rejects) a waiting TX_AOTC on the handset.
    pub fn approve(&mut self, request_id: &str, approve: bool) -> Result<(), String> {
        let (mobile, amount, agent) = {
            let tx = self
                .tx_mut_by_id(request_id)
                .ok_or_else(|| format!("no request {request_id} waits for its subscriber"))?;
            (
                tx.mobile.clone().unwrap_or_default(),
                tx.amount,
                tx.agent.clone(),
            )
        };
        let outcome = if !approve {
            Err((
                Reason::TransactionFailure,
                "Transaction Failure: the subscriber rejected it",
            ))
        } else {
            match self.subscribers.get_mut(&mobile) {
                Some(b) if b.minor() >= amount.minor() => {
                    *b = lkr(b.minor() - amount.minor());
                    Ok(())
                }
                _ => Err((
                    Reason::InsufficientBalance,
                    Reason::InsufficientBalance.description(),
                )),
            }
        };
        if outcome.is_ok()
            && let Some(a) = self.agents.get_mut(&agent)
        {
            a.balance = lkr(a.balance.minor().saturating_add(amount.minor()));
        }
        if let Some(tx) = self.tx_mut_by_id(request_id) {
            match outcome {
                Ok(()) => {
                    tx.status = TxStatus::Success;
                    tx.description = "Transaction you performed is successful.".to_string();
                }
                Err((reason, text)) => {
                    tx.status = TxStatus::Failed(reason);
                    tx.description = text.to_string();
                }
            }
        }
        Ok(())
    }

    /// Waiting requests the subscriber never answered fail.
    pub fn sweep(&mut self, now: OffsetDateTime) {
        for tx in &mut self.txs {
            if tx.status.is_waiting()
                && now - tx.created >= time::Duration::seconds(APPROVAL_SECONDS)
            {
                tx.status = TxStatus::Failed(Reason::TransactionFailure);
                tx.description =
                    "Transaction Failure: the subscriber did not approve in time".into();
            }
        }
    }
}
