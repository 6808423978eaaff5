//! Who is calling, and at which auth level (OPEN < SECRET < KEY, a higher level grants the lower).
//!
//! KEY requests are verified with the client's own signing code
//! ([`crate::providers::mcash::sign`]), against the public key registered for the user: the
//! content digest over the exact body bytes, the RSA-SHA256 signature over the signing string,
//! and a timestamp no further than [`TIMESTAMP_WINDOW`] from the real clock (the client signs
//! with its wall clock, not with the simulator's shifted clock: a decision of this simulator).
//!
//! A bad signature is answered 401 with the string the simulator expected to be signed in
//! `error_details.string_to_sign`, as mCASH's successor API does (NOTES): it names only the
//! method, URL and `X-Mcash-*` headers, never a secret. A user with a `netmask` may call only
//! from inside it; from outside the answer is 403 `permission_denied` (the credentials are
//! right, the place is not: our decision, the document names no error for it).

use serde_json::json;
use time::OffsetDateTime;

use crate::providers::mcash::sign;

use super::ApiError;
use super::call::Call;
use super::netmask::Netmask;
use super::state::{State, User};

/// How far `X-Mcash-Timestamp` may be from now, either way.
pub const TIMESTAMP_WINDOW: time::Duration = time::Duration::minutes(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Open,
    Secret,
    Key,
}

/// Roles allowed on an endpoint; `ALL` is every role.
pub const ALL: &[&str] = &["user", "superuser", "integrator"];
pub const ADMIN: &[&str] = &["superuser", "integrator"];

#[derive(Clone, Debug)]
pub struct Caller {
    pub level: Level,
}

/// Authenticates `call` for an endpoint requiring `required` and one of `roles`.
pub fn authenticate(
    state: &mut State,
    call: &Call,
    required: Level,
    roles: &[&str],
) -> Result<Caller, ApiError> {
    if required == Level::Open {
        return Ok(Caller { level: Level::Open });
    }
    let result = check(state, call, required, roles);
    if matches!(&result, Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED) {
        state.counters.unauthorized += 1;
    }
    result
}

fn check(state: &State, call: &Call, required: Level, roles: &[&str]) -> Result<Caller, ApiError> {
    let merchant = call
        .header("x-mcash-merchant")
        .ok_or_else(|| ApiError::unauthorized("missing X-Mcash-Merchant header"))?;
    if merchant != state.merchant_id {
        return Err(ApiError::unauthorized("unknown merchant"));
    }
    let (user, integrator): (&User, bool) = match (
        call.header("x-mcash-user"),
        call.header("x-mcash-integrator"),
    ) {
        (Some(id), _) => (
            state
                .users
                .get(id)
                .ok_or_else(|| ApiError::unauthorized("unknown user"))?,
            false,
        ),
        (None, Some(id)) => (
            state
                .integrators
                .get(id)
                .ok_or_else(|| ApiError::unauthorized("unknown integrator"))?,
            true,
        ),
        (None, None) => {
            return Err(ApiError::unauthorized(
                "missing X-Mcash-User (or X-Mcash-Integrator) header",
            ));
        }
    };
    if state.revoked {
        return Err(ApiError::unauthorized("credentials revoked"));
    }
    let authorization = call
        .header("authorization")
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?;
    let level = match authorization.split_once(' ') {
        Some((scheme, secret)) if scheme.eq_ignore_ascii_case("SECRET") => {
            let ok = user.secret.as_ref().is_some_and(|s| {
                constant_time_eq(
                    secrecy::ExposeSecret::expose_secret(s).as_bytes(),
                    secret.as_bytes(),
                )
            });
            if !ok {
                return Err(ApiError::unauthorized("wrong secret"));
            }
            Level::Secret
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case(sign::SCHEME) => {
            verify_key(user, call)?;
            Level::Key
        }
        _ => return Err(ApiError::unauthorized("unsupported Authorization scheme")),
    };
    if level < required {
        return Err(ApiError::unauthorized(
            "this request requires the KEY auth level (RSA-SHA256 signature)",
        ));
    }
    check_netmask(user, call)?;
    let allowed = if integrator {
        roles.contains(&"integrator")
    } else {
        user.roles
            .iter()
            .any(|r| roles.iter().any(|a| a.eq_ignore_ascii_case(r)))
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "the user's role may not call this endpoint",
        ));
    }
    Ok(Caller { level })
}

fn verify_key(user: &User, call: &Call) -> Result<(), ApiError> {
    let pem = user
        .pubkey
        .as_deref()
        .ok_or_else(|| ApiError::unauthorized("no public key registered for this user"))?;
    let verifier = sign::Verifier::from_pem(pem)
        .map_err(|_| ApiError::unauthorized("the registered public key is unusable"))?;
    let stamp = call
        .header("x-mcash-timestamp")
        .ok_or_else(|| ApiError::unauthorized("missing X-Mcash-Timestamp header"))?;
    let secs = sign::parse_timestamp(stamp)
        .map_err(|_| ApiError::unauthorized("X-Mcash-Timestamp is not YYYY-MM-DD hh:mm:ss"))?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let skew = (now - i64::try_from(secs).unwrap_or(i64::MAX)).abs();
    if skew > TIMESTAMP_WINDOW.whole_seconds() {
        return Err(ApiError::unauthorized(
            "X-Mcash-Timestamp is too far from the current UTC time",
        ));
    }
    let pairs = call.header_pairs();
    verifier
        .verify_request(
            call.method.as_str(),
            &call.url,
            pairs.iter().copied(),
            &call.body,
        )
        .map_err(|e| {
            let refused = ApiError::unauthorized(&format!("KEY authentication failed: {e}"));
            match e {
                sign::SignError::SignatureMismatch | sign::SignError::SignatureEncoding => {
                    let expected = sign::signing_string(
                        call.method.as_str(),
                        &call.url,
                        pairs.iter().copied(),
                    );
                    refused.with_details(json!({ "string_to_sign": expected }))
                }
                // The digest of the bytes that arrived: integrators digest other bytes (NOTES).
                sign::SignError::DigestMismatch => refused
                    .with_details(json!({ "content_digest": sign::content_digest(&call.body) })),
                _ => refused,
            }
        })
}

/// Refuses a call from outside the user's netmask.
fn check_netmask(user: &User, call: &Call) -> Result<(), ApiError> {
    let Some(text) = user.netmask.as_deref() else {
        return Ok(());
    };
    let Some(mask) = Netmask::parse(text) else {
        // Stored masks were validated; an unreadable one admits nobody rather than everybody.
        return Err(ApiError::forbidden("the user's netmask is unusable"));
    };
    match call.peer {
        Some(peer) if mask.contains(peer) => Ok(()),
        Some(peer) => Err(ApiError::forbidden(&format!(
            "connections from {peer} are outside the user's netmask {text}"
        ))),
        None => Err(ApiError::forbidden(&format!(
            "the user is limited to the netmask {text} and the client address is unknown"
        ))),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
