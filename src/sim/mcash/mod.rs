//! The mCASH merchant API simulator (`mcash.txt` plus the mCASH part of `providers/NOTES.md`),
//! mounted at `/mcash`: base URL `http://<addr>/mcash/merchant/v1/`, testbed pay at
//! `/mcash/testbed/merchant/{merchant_id}/txn/{tid}/pay/`.
//!
//! Served strictly in the documented form: every path ends with `/`; money is a string with
//! exactly the currency's decimals; auth levels OPEN/SECRET/KEY and roles are enforced; creates
//! answer 201 with `Location`; the payment request create is idempotent on (pos_id, pos_tid).
//!
//! What the documents leave unsaid, and what this simulator decided:
//! - One merchant (default [`DEMO_MERCHANT_ID`]); another `X-Mcash-Merchant` is 401.
//! - Error bodies always have the `validation_error` shape; the `error_type` words for 401
//!   (`authentication_error`), 403 (`permission_denied`), 404, 409 and 415 are our own.
//! - DateTimes are `YYYY-MM-DD hh:mm:ss` UTC, like the timestamp header.
//! - Request bodies must be `application/json` or the vendor media type (else 415); responses
//!   are the vendor media type. JSON `null` counts as an absent field.
//! - `pos_id` of a payment request must be a registered POS; `ledger` must exist, be enabled and
//!   have the request's currency. The built-in ledger is `default` (NOK).
//! - A SALE approved by the customer is captured at once (one `payment_captured` callback); an
//!   AUTH is authorized (`payment_authorized`). A partial capture keeps the request in 3008 until
//!   nothing authorized remains, then 2000. Release without captures ends in 4019, with captures
//!   in 2000; an authorization lapsing with captures ends in 2000, without in 5012.
//! - Partial capture beyond what remains authorized is a 400 validation error on `amount`;
//!   reusing a `capture_id`/`refund_id` with other amounts is 409.
//! - REFUND at SECRET level is 401 (the level is insufficient), like any KEY endpoint.
//! - A scan binds to the oldest request waiting on that shortlink; a new request binds the
//!   newest unused scan no older than `max_scan_age`. Scan tokens live one day.
//! - The KEY timestamp window is ±5 minutes of the real clock (see [`auth`]).
//! - `merchant_lookup` finds the merchant by its organization id or its id; the testbed pay
//!   endpoint needs no auth. Permission requests are answered with the control command
//!   `permission` (`{"rid", "approve"}`).
//! - Shortlink ids are 5 characters; the QR text is `http://mca.sh/s/<id>/`.
//! - Every list (`pos`, `ledger`, reports, `settlement`, `shortlink`) is paged:
//!   [`state::DEFAULT_PAGE_SIZE`] entries unless the control API sets another size, `?page=N`
//!   (1-based) selects a page, `next`/`prev` are absolute paths to the neighbours or null, and
//!   a bad page number is a `validation_error` on `page`. Shortlinks and reports are listed
//!   oldest first, the rest by id.
//! - `DELETE /shortlink/<id>/` answers 200 with the deleted shortlink as JSON (NOTES: mCASH's
//!   answer has a JSON body); the other DELETEs answer 204 as documented.
//! - Progress for the operator goes to a payment request's `display_message_uri` (created,
//!   scanned, then each state change), the changes themselves to `callback_uri`, both signed,
//!   in order (see [`callbacks`]).
//! - A user's `netmask` is enforced against the TCP peer (403 `permission_denied` from outside,
//!   see [`auth`]); a bad KEY signature is answered 401 with `error_details.string_to_sign`.
//!
//! Control commands (`POST /control/mcash/x/<command>`): `settlement` (generate one, answers
//! `{"id"}`), `user` (register `{"id", "secret"?, "pubkey"?, "roles"?, "netmask"?}`),
//! `permission`, `page_size` (`{"size": n}`, n >= 1), `callback_key` (answers
//! `{"public_pem"}`). Counters (`GET /control/mcash/counters`):
//! `payment_requests_created` and `payment_request_posts`, each a map `"<pos_id>/<pos_tid>": n`,
//! plus `unauthorized`.

mod api;
mod auth;
mod call;
mod callbacks;
mod error;
mod fields;
mod netmask;
mod state;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;

pub use crate::providers::mcash::wire::MEDIA_TYPE;
pub use callbacks::CallbackKey;
pub use error::ApiError;

use super::{
    ActionError, CustomerAction, OpenRequest, ProviderSim, RunningSim, ScanTarget, SimClock,
    SimOptions,
};
use state::{State, User};

/// The demo merchant, user and secret (also the terminal's default config without a file).
/// The demo credentials are the demo config's, so the terminal with no config file and the
/// simulator agree by construction.
pub use crate::providers::mcash::config::demo::{
    MERCHANT_ID as DEMO_MERCHANT_ID, SECRET as DEMO_SECRET, USER_ID as DEMO_USER_ID,
};

/// Path prefix of the API inside the simulator server.
const API_PATH: &str = "/mcash/merchant/v1/";

/// An extra merchant user to register at start (tests register KEY-level users here).
#[derive(Clone, Debug)]
pub struct McashUser {
    pub id: String,
    /// `user`, `superuser`.
    pub roles: Vec<String>,
    pub secret: Option<SecretString>,
    /// RSA public key, SPKI or PKCS#1 PEM.
    pub pubkey_pem: Option<String>,
    /// Registered as an integrator (authenticates with `X-Mcash-Integrator`).
    pub integrator: bool,
}

/// Options of the mCASH simulator.
#[derive(Clone, Debug, Default)]
pub struct McashOptions {
    pub users: Vec<McashUser>,
    /// Private key PEM to sign callbacks with; generated on first callback when absent.
    pub callback_key_pem: Option<SecretString>,
}

/// Starts the mCASH simulator on the shared server (the registry's `Demo::simulator`).
pub fn start(clock: &SimClock, root: &str, options: &SimOptions) -> Arc<dyn ProviderSim> {
    Arc::new(McashSim::new(clock.clone(), root, options.mcash.clone()))
}

impl RunningSim {
    /// The mCASH simulator, for in-process inspection (counters, customer actions). The
    /// registry always starts it, so its absence is a bug in this build.
    pub fn mcash(&self) -> Arc<McashSim> {
        match self.provider_sim::<McashSim>("mcash") {
            Some(sim) => sim,
            None => unreachable!("the registry starts the mCASH simulator"),
        }
    }
}

pub struct McashSim {
    state: Mutex<State>,
    clock: SimClock,
    callbacks: callbacks::Callbacks,
}

impl McashSim {
    pub fn new(clock: SimClock, root: &str, options: McashOptions) -> McashSim {
        let mut state = State::new(
            DEMO_MERCHANT_ID.to_string(),
            format!("{root}{API_PATH}"),
            API_PATH.to_string(),
        );
        state.users.insert(
            DEMO_USER_ID.to_string(),
            User {
                id: DEMO_USER_ID.to_string(),
                roles: vec!["superuser".to_string()],
                netmask: None,
                secret: Some(SecretString::from(DEMO_SECRET)),
                pubkey: None,
            },
        );
        for u in options.users {
            let user = User {
                id: u.id.clone(),
                roles: u.roles,
                netmask: None,
                secret: u.secret,
                pubkey: u.pubkey_pem,
            };
            if u.integrator {
                state.integrators.insert(u.id, user);
            } else {
                state.users.insert(u.id, user);
            }
        }
        let key = options.callback_key_pem.as_ref().and_then(|pem| {
            CallbackKey::from_private_pem(pem)
                .map_err(|e| tracing::error!(error = %e, "ignoring the given callback key"))
                .ok()
        });
        McashSim {
            state: Mutex::new(state),
            callbacks: callbacks::Callbacks::new(clock.clone(), DEMO_MERCHANT_ID.to_string(), key),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // State changes are applied whole before anything can panic; a poisoned lock still
        // holds consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the state after applying expiry, then sends the callbacks it queued. They
    /// are queued for delivery before the state is unlocked, so receivers see changes in the
    /// order they happened (queueing never waits for a receiver).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, OffsetDateTime) -> R) -> R {
        let now = self.clock.now();
        let mut s = self.lock();
        s.sweep(now);
        let r = f(&mut s, now);
        let notices = std::mem::take(&mut s.outbox);
        self.callbacks.send(notices);
        drop(s);
        r
    }

    /// How many payment requests were created for (pos_id, pos_tid) (0, or 1: creates are
    /// idempotent; a test proving "no second payment" looks at [`Self::created_for_pos`] too).
    pub fn created_count(&self, pos_id: &str, pos_tid: &str) -> u64 {
        self.lock()
            .counters
            .created
            .get(&(pos_id.to_string(), pos_tid.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// How many `POST /payment_request/` calls arrived for (pos_id, pos_tid), repeats included.
    pub fn create_calls(&self, pos_id: &str, pos_tid: &str) -> u64 {
        self.lock()
            .counters
            .create_calls
            .get(&(pos_id.to_string(), pos_tid.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// How many payment requests a POS created in total (any pos_tid).
    pub fn created_for_pos(&self, pos_id: &str) -> u64 {
        self.lock()
            .counters
            .created
            .iter()
            .filter(|((p, _), _)| p == pos_id)
            .map(|(_, n)| n)
            .sum()
    }

    /// The tid of the request created for (pos_id, pos_tid), if any.
    pub fn tid_for(&self, pos_id: &str, pos_tid: &str) -> Option<String> {
        self.lock()
            .by_pos_tid
            .get(&(pos_id.to_string(), pos_tid.to_string()))
            .cloned()
    }

    /// The outcome document of a payment request, as `GET .../outcome/` answers it.
    pub fn outcome(&self, tid: &str) -> Option<Value> {
        self.with(|s, _| s.payments.contains_key(tid).then(|| s.outcome_json(tid)))
    }

    /// The public key callbacks are signed with (generated on first use).
    pub async fn callback_public_pem(&self) -> Option<String> {
        self.callbacks
            .key()
            .await
            .map(|k| k.public_pem().to_string())
    }

    /// Generates a settlement of everything captured since the last one; returns its id.
    pub fn generate_settlement(&self) -> String {
        self.with(|s, now| s.generate_settlement(now))
    }

    /// Entries per list page from now on (at least 1).
    pub fn set_page_size(&self, size: usize) {
        self.with(|s, _| s.page_size = size.max(1));
    }

    /// Registers (or replaces) a user.
    pub fn register_user(&self, u: McashUser) {
        self.register_user_within(u, None);
    }

    /// Registers (or replaces) a user who may call only from inside `netmask`.
    fn register_user_within(&self, u: McashUser, netmask: Option<String>) {
        self.with(|s, _| {
            let user = User {
                id: u.id.clone(),
                roles: u.roles,
                netmask,
                secret: u.secret,
                pubkey: u.pubkey_pem,
            };
            if u.integrator {
                s.integrators.insert(u.id, user);
            } else {
                s.users.insert(u.id, user);
            }
        });
    }
}

fn conflict(msg: String) -> ActionError {
    if msg.starts_with("no ") {
        ActionError::NotFound(msg)
    } else {
        ActionError::Conflict(msg)
    }
}

impl ProviderSim for McashSim {
    fn name(&self) -> &'static str {
        "mcash"
    }

    fn router(self: Arc<Self>) -> Router {
        api::router(self)
    }

    fn base_url(&self, root: &str) -> String {
        format!("{root}{API_PATH}")
    }

    fn open_requests(&self) -> Vec<OpenRequest> {
        self.with(|s, _| {
            s.payments
                .values()
                .filter(|p| p.code == crate::providers::mcash::wire::StatusCode::Pending)
                .map(|p| OpenRequest {
                    provider: "mcash",
                    id: p.tid.clone(),
                    amount: p.amount.to_decimal_string(),
                    currency: p.currency.code().to_string(),
                    pos: s
                        .pos
                        .get(&p.pos_id)
                        .map_or_else(|| p.pos_id.clone(), |pos| pos.name.clone()),
                    text: p.text.clone(),
                    waiting_for_scan: if p.waiting_for_scan() {
                        p.shortlink.clone()
                    } else {
                        None
                    },
                    created: super::rfc3339(p.created),
                    created_at: p.created,
                })
                .collect()
        })
    }

    fn scan_targets(&self) -> Vec<ScanTarget> {
        self.with(|s, _| {
            s.shortlinks
                .values()
                .map(|l| ScanTarget {
                    provider: "mcash",
                    id: l.id.clone(),
                    label: l
                        .description
                        .clone()
                        .or_else(|| l.serial_number.clone())
                        .unwrap_or_else(|| format!("shortlink {}", l.id)),
                    qr: crate::providers::mcash::wire::shortlink_qr(&l.id, None),
                })
                .collect()
        })
    }

    fn act(&self, request_id: &str, action: CustomerAction) -> Result<(), ActionError> {
        self.with(|s, now| match action {
            CustomerAction::Pay => s.customer_approve(request_id, false, now),
            CustomerAction::Authorize => s.customer_approve(request_id, true, now),
            CustomerAction::Reject => s.customer_reject(request_id, now),
        })
        .map_err(conflict)
    }

    fn scan(&self, target_id: &str, argstring: Option<&str>) -> Result<String, ActionError> {
        self.with(|s, now| s.scan(target_id, argstring.map(str::to_string), now))
            .ok_or_else(|| ActionError::NotFound(format!("no shortlink {target_id}")))
    }

    fn revoke_credentials(&self, revoked: bool) {
        self.lock().revoked = revoked;
    }

    fn counters(&self) -> Value {
        let s = self.lock();
        let map = |m: &std::collections::BTreeMap<(String, String), u64>| {
            m.iter()
                .map(|((p, t), n)| (format!("{p}/{t}"), json!(n)))
                .collect::<serde_json::Map<_, _>>()
        };
        json!({
            "payment_requests_created": map(&s.counters.created),
            "payment_request_posts": map(&s.counters.create_calls),
            "unauthorized": s.counters.unauthorized,
        })
    }

    fn sweep(&self) {
        self.with(|_, _| ());
    }

    fn control(&self, command: &str, body: Value) -> Result<Value, ActionError> {
        match command {
            "settlement" => Ok(json!({ "id": self.generate_settlement() })),
            "user" => {
                let id = body["id"]
                    .as_str()
                    .ok_or_else(|| ActionError::Invalid("user needs an \"id\"".into()))?;
                let roles = body["roles"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_else(|| vec!["superuser".to_string()]);
                let netmask = body["netmask"].as_str().map(str::to_string);
                if let Some(n) = &netmask
                    && netmask::Netmask::parse(n).is_none()
                {
                    return Err(ActionError::Invalid(format!(
                        "netmask {n:?} is not an IPv4 or IPv6 netmask such as 192.168.1.0/24"
                    )));
                }
                self.register_user_within(
                    McashUser {
                        id: id.to_string(),
                        roles,
                        secret: body["secret"].as_str().map(SecretString::from),
                        pubkey_pem: body["pubkey"].as_str().map(str::to_string),
                        integrator: body["integrator"].as_bool().unwrap_or(false),
                    },
                    netmask,
                );
                Ok(json!({ "id": id }))
            }
            "permission" => {
                let rid = body["rid"]
                    .as_str()
                    .ok_or_else(|| ActionError::Invalid("permission needs a \"rid\"".into()))?;
                let approve = body["approve"].as_bool().unwrap_or(true);
                self.with(|s, _| s.answer_permission(rid, approve))
                    .map_err(conflict)?;
                Ok(json!({ "rid": rid }))
            }
            "page_size" => {
                let size = body["size"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ActionError::Invalid("page_size needs a \"size\" of 1 or more".into())
                    })?;
                self.with(|s, _| s.page_size = size);
                Ok(json!({ "size": size }))
            }
            "callback_key" => {
                // Generation takes a while: the first call starts it and may answer null.
                let pem = self.callbacks.ready_public_pem();
                if pem.is_none() {
                    self.callbacks.warm();
                }
                Ok(json!({ "public_pem": pem }))
            }
            other => Err(ActionError::NotFound(format!(
                "unknown mCASH control command {other:?} (settlement, user, permission, page_size, callback_key)"
            ))),
        }
    }
}
