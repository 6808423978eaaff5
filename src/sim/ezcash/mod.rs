//! The eZ Cash agent API simulator (`ezcash.txt` plus the eZ Cash part of NOTES.md), mounted at
//! `/ezcash`: the ideabiz root is `http://<addr>/ezcash/apicall/`, the token endpoint
//! `/ezcash/apicall/token`, the agent API under `/ezcash/apicall/ezcash/agentservice/v1/` and,
//! beside it, `v1-test/`.
//!
//! Served in the documented form: the `return` wrappers, `status` and amounts as numbers,
//! notifications as `"true"`, `requestId` answered as `<alias>_<requestId>`; ideabiz tokens of
//! 3600 s whose refresh grant rotates the refresh token; WSO2 XML faults with NOTES' texts
//! (900901 Invalid Credentials, 900903 Access Token Expired, 900904 Access Token Inactive,
//! 900800 Message Throttled Out); `invalid_client` / `invalid_grant` token errors.
//!
//! What the documents leave unsaid, and what this simulator decided:
//! - One ideabiz application and user (the demo's, or set by the control command
//!   `credentials`); the test agent `IDEA_HUB` / `1234` (NOTES) with LKR 250,000.00 and the test
//!   subscribers `769983684`, `769967784` with LKR 50,000.00 each. `v1` and `v1-test` share
//!   this state.
//! - Refresh tokens live one day; using one spends it and makes its access token inactive
//!   (900904). Revoked credentials answer `invalid_client` at the token endpoint and 900901
//!   everywhere, and kill every token issued before.
//! - TX_AOTC answers 10 and waits for the subscriber: the customer page lists it, the subscriber
//!   approves (5, or 22 when the wallet is short) or rejects (6); after 300 s of sim time it
//!   fails (6). TX_ACWT moves the money at once (answered 10, then 5 by status); TX_ATOB answers
//!   5 with the biller's name as `recipientAlias`.
//! - Limits: at least LKR 10.00 (the document), at most LKR 100,000.00 per transaction, LKR
//!   1,000,000.00 per agent and day over accepted transactions (17, 18, 19); the agent's wallet
//!   must cover TX_ACWT and TX_ATOB (22). A request refused on these merits is kept under its id
//!   (its status query answers the failure); one refused for its PIN, alias or parameters is not.
//! - Three wrong PINs in a row block the agent (55) until the control command `unblock`.
//!   An unknown alias is 63, an unknown type 40, a missing field or unknown domain 68, an
//!   unknown subscriber 51, a repeated request id 64.
//! - A status query for an id never seen answers 6 "Transaction Failure" with no transaction.
//! - Throttling: more than 50 agent API calls in one real second answer 900800 (503), or the
//!   next N calls after the control command `throttle`.
//!
//! Control commands (`POST /control/ezcash/x/<command>`): `credentials` (`{"consumer_key",
//! "consumer_secret", "username", "password"}`, each optional), `agent` (`{"alias", "pin",
//! "balance"?, "mobile"?}`), `subscriber` (`{"mobile", "balance"}`), `limits` (`{"min"?, "max"?,
//! "daily"?}` as decimal strings), `unblock` (`{"alias"}`), `throttle` (`{"next"?,
//! "per_second"?}`), `transaction` (`{"agent"?, "request_id"}`: the transaction as JSON),
//! `wallets` (every balance). Counters (`GET /control/ezcash/counters`): `token_requests`,
//! `password_grants`, `refresh_grants`, `unauthorized`, `submits`, `transactions` (made, not
//! refused), `duplicates`, `status_queries`, `balance_queries`, `throttled`, `v1`, `v1_test`.

mod api;
pub mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    ActionError, CustomerAction, OpenRequest, ProviderSim, RunningSim, ScanTarget, SimClock,
    SimOptions,
};
use crate::money::Money;
use crate::providers::ezcash::config::demo;
use state::{Agent, LKR, State, lkr};

/// Starts the eZ Cash simulator on the shared server (the registry's `Demo::simulator`).
pub fn start(clock: &SimClock, _root: &str, _options: &SimOptions) -> Arc<dyn ProviderSim> {
    Arc::new(EzcashSim::new(clock.clone()))
}

impl RunningSim {
    /// The eZ Cash simulator, for in-process inspection. The registry always starts it.
    pub fn ezcash(&self) -> Arc<EzcashSim> {
        match self.provider_sim::<EzcashSim>("ezcash") {
            Some(sim) => sim,
            None => unreachable!("the registry starts the eZ Cash simulator"),
        }
    }
}

pub struct EzcashSim {
    state: Mutex<State>,
    clock: SimClock,
}

impl EzcashSim {
    pub fn new(clock: SimClock) -> EzcashSim {
        EzcashSim {
            state: Mutex::new(State::new()),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // State changes are applied whole under the lock; a panic cannot leave half of one.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state at "now", after expiring what is due.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        let mut s = self.lock();
        s.sweep(now);
        f(&mut s, now)
    }

    /// The transaction an agent made under `request_id`, as the control API shows it.
    pub fn transaction(&self, agent: &str, request_id: &str) -> Option<Value> {
        self.with(|s, _| s.tx(agent, request_id).map(tx_json))
    }

    /// A wallet's balance: an agent alias or a subscriber's number.
    pub fn wallet(&self, id: &str) -> Option<Money> {
        self.with(|s, _| {
            s.agents
                .get(id)
                .map(|a| a.balance)
                .or_else(|| s.subscribers.get(id).copied())
        })
    }
}

fn tx_json(t: &state::Tx) -> Value {
    json!({
        "request_id": t.request_id,
        "agent": t.agent,
        "tx_type": t.tx_type.as_str(),
        "amount": t.amount.to_decimal_string(),
        "mobile": t.mobile,
        "domain": t.domain,
        "status": t.status.code(),
        "description": t.description,
        "created": super::rfc3339(t.created),
    })
}

fn money_field(body: &Value, key: &str) -> Result<Option<Money>, ActionError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Money::parse_wire_str(s, LKR)
            .map(Some)
            .map_err(|e| ActionError::Invalid(format!("{key}: {e}"))),
        Some(other) => Err(ActionError::Invalid(format!(
            "{key}: a decimal string expected, not {other}"
        ))),
    }
}

fn text_field(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

fn required(body: &Value, key: &str, command: &str) -> Result<String, ActionError> {
    text_field(body, key).ok_or_else(|| ActionError::Invalid(format!("{command} needs a {key:?}")))
}

impl ProviderSim for EzcashSim {
    fn name(&self) -> &'static str {
        "ezcash"
    }

    fn router(self: Arc<Self>) -> Router {
        api::router(self)
    }

    fn base_url(&self, root: &str) -> String {
        format!("{root}/{}", demo::PATH)
    }

    fn open_requests(&self) -> Vec<OpenRequest> {
        self.with(|s, _| {
            s.txs
                .iter()
                .filter(|t| {
                    t.status.is_waiting()
                        && t.tx_type == crate::providers::ezcash::wire::TxType::Aotc
                })
                .map(|t| OpenRequest {
                    provider: "ezcash",
                    id: t.request_id.clone(),
                    amount: t.amount.to_decimal_string(),
                    currency: t.amount.currency().code().to_string(),
                    pos: t.agent.clone(),
                    text: Some(format!(
                        "On the handset of {}: pay agent {} (TX_AOTC)? Approve or reject.",
                        t.mobile.as_deref().unwrap_or("?"),
                        t.agent
                    )),
                    waiting_for_scan: None,
                    created: super::rfc3339(t.created),
                    created_at: t.created,
                })
                .collect()
        })
    }

    fn scan_targets(&self) -> Vec<ScanTarget> {
        Vec::new()
    }

    fn act(&self, request_id: &str, action: CustomerAction) -> Result<(), ActionError> {
        let approve = !matches!(action, CustomerAction::Reject);
        self.with(|s, _| s.approve(request_id, approve))
            .map_err(ActionError::Conflict)
    }

    fn scan(&self, target_id: &str, _argstring: Option<&str>) -> Result<String, ActionError> {
        Err(ActionError::NotFound(format!(
            "eZ Cash has nothing to scan ({target_id}): requests go to the subscriber's handset"
        )))
    }

    fn revoke_credentials(&self, revoked: bool) {
        let mut s = self.lock();
        s.revoked = revoked;
        if revoked {
            s.kill_tokens();
        }
    }

    fn counters(&self) -> Value {
        let s = self.lock();
        let c = &s.counters;
        json!({
            "token_requests": c.token_requests,
            "password_grants": c.password_grants,
            "refresh_grants": c.refresh_grants,
            "unauthorized": c.unauthorized,
            "submits": c.submits,
            "transactions": c.transactions,
            "duplicates": c.duplicates,
            "status_queries": c.status_queries,
            "balance_queries": c.balance_queries,
            "throttled": c.throttled,
            "v1": c.v1,
            "v1_test": c.v1_test,
        })
    }

    fn sweep(&self) {
        self.with(|_, _| ());
    }

    fn control(&self, command: &str, body: Value) -> Result<Value, ActionError> {
        match command {
            "credentials" => self.with(|s, _| {
                let set = |field: &mut String, key: &str| {
                    if let Some(v) = text_field(&body, key) {
                        *field = v;
                    }
                };
                set(&mut s.consumer_key, "consumer_key");
                set(&mut s.consumer_secret, "consumer_secret");
                set(&mut s.username, "username");
                set(&mut s.password, "password");
                Ok(json!({ "consumer_key": s.consumer_key, "username": s.username }))
            }),
            "agent" => {
                let alias = required(&body, "alias", "agent")?;
                let pin = required(&body, "pin", "agent")?;
                let balance = money_field(&body, "balance")?.unwrap_or(lkr(25_000_000));
                let mobile = text_field(&body, "mobile").unwrap_or_else(|| "770000000".into());
                self.with(|s, _| {
                    s.agents.insert(
                        alias.clone(),
                        Agent {
                            pin,
                            balance,
                            mobile,
                            wrong_pins: 0,
                            blocked: false,
                        },
                    )
                });
                Ok(json!({ "alias": alias }))
            }
            "subscriber" => {
                let mobile = required(&body, "mobile", "subscriber")?;
                let balance = money_field(&body, "balance")?.unwrap_or(lkr(5_000_000));
                self.with(|s, _| s.subscribers.insert(mobile.clone(), balance));
                Ok(json!({ "mobile": mobile }))
            }
            "limits" => {
                let (min, max, daily) = (
                    money_field(&body, "min")?,
                    money_field(&body, "max")?,
                    money_field(&body, "daily")?,
                );
                self.with(|s, _| {
                    let l = &mut s.limits;
                    l.min = min.unwrap_or(l.min);
                    l.max = max.unwrap_or(l.max);
                    l.daily = daily.unwrap_or(l.daily);
                    Ok(json!({
                        "min": l.min.to_decimal_string(),
                        "max": l.max.to_decimal_string(),
                        "daily": l.daily.to_decimal_string(),
                    }))
                })
            }
            "unblock" => {
                let alias = required(&body, "alias", "unblock")?;
                self.with(|s, _| match s.agents.get_mut(&alias) {
                    Some(a) => {
                        a.blocked = false;
                        a.wrong_pins = 0;
                        Ok(json!({ "alias": alias }))
                    }
                    None => Err(ActionError::NotFound(format!("no agent {alias}"))),
                })
            }
            "throttle" => self.with(|s, _| {
                if let Some(n) = body.get("next").and_then(Value::as_u64) {
                    s.throttle.next = u32::try_from(n).unwrap_or(u32::MAX);
                }
                if let Some(n) = body.get("per_second").and_then(Value::as_u64) {
                    s.throttle.per_second = u32::try_from(n).unwrap_or(u32::MAX);
                }
                Ok(json!({ "next": s.throttle.next, "per_second": s.throttle.per_second }))
            }),
            "transaction" => {
                let id = required(&body, "request_id", "transaction")?;
                let agent =
                    text_field(&body, "agent").unwrap_or_else(|| demo::AGENT_ALIAS.to_string());
                self.transaction(&agent, &id)
                    .ok_or_else(|| ActionError::NotFound(format!("no transaction {agent}/{id}")))
            }
            "wallets" => self.with(|s, _| {
                let agents: serde_json::Map<String, Value> = s
                    .agents
                    .iter()
                    .map(|(k, a)| (k.clone(), json!(a.balance.to_decimal_string())))
                    .collect();
                let subscribers: serde_json::Map<String, Value> = s
                    .subscribers
                    .iter()
                    .map(|(k, b)| (k.clone(), json!(b.to_decimal_string())))
                    .collect();
                Ok(json!({ "agents": agents, "subscribers": subscribers }))
            }),
            other => Err(ActionError::NotFound(format!(
                "unknown eZ Cash control command {other:?} (credentials, agent, subscriber, \
                 limits, unblock, throttle, transaction, wallets)"
            ))),
        }
    }
}
