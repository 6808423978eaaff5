//! The iCash merchant gateway client: one async method per endpoint of `icash.txt`
//! ([`endpoints`]), over the shared HTTP client, with the bearer token of `POST /Token` cached
//! and renewed here.
//!
//! Token rules (NOTES: OWIN bearer tokens, 14 days, no refresh token): the client logs in on
//! first use, logs in again when less than [`RENEW_BEFORE`] remains before the token's expiry
//! (taken from `expires_in`, counted on the client's own clock, so a server clock that is off
//! does not matter), and when a call is answered 401 it logs in once and repeats the call
//! once. A 401 is given before the action runs (ASP.NET's authorization filter), so repeating
//! even a money-moving call after it is safe. Logins are one at a time: concurrent calls that
//! met the same expired token share one new token.

mod endpoints;
#[cfg(all(test, feature = "sim"))]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::wire::{self, ApiError, OAuthError, TokenAnswer, WireError};
use crate::core::provider::{Failure, FailureKind};
use crate::providers::http::{self, HttpConfig, HttpError, RawResponse};

pub use endpoints::{Done, Purchase, StatementPage, VoucherCheck};

/// Log in again when less than this is left of the token's life.
pub const RENEW_BEFORE: Duration = Duration::from_secs(3600);

/// Wall clock in Unix milliseconds; injected so token expiry is testable.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    })
}

/// What the client needs; the config module fills it.
#[derive(Clone)]
pub struct IcashConfig {
    /// `https://icashmerchantv2.azurewebsites.net/`; a trailing `/` is added if missing.
    pub base_url: String,
    pub username: String,
    pub password: SecretString,
    /// The merchant's `iCashCardNumber`, sent in the query string of every account call.
    pub card_number: String,
    pub http: HttpConfig,
}

impl fmt::Debug for IcashConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcashConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("card_number", &mask_card(&self.card_number))
            .field("http", &self.http)
            .finish()
    }
}

/// A card number for people and logs: the last four digits only.
pub fn mask_card(card: &str) -> String {
    let tail = &card[card.len().saturating_sub(4)..];
    format!("****{tail}")
}

/// Why an iCash call failed.
#[derive(Debug, Error)]
pub enum IcashError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// `POST /Token` refused (`invalid_grant`: wrong user name or password).
    #[error("iCash login refused: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Login {
        status: u16,
        error: String,
        description: Option<String>,
    },
    #[error("bad iCash base URL {0:?}")]
    Url(String),
    #[error("iCash answer cannot be read: {0}")]
    Wire(#[from] WireError),
    /// A 2xx answer that is not what the endpoint gives (no PNG for the QR, no boolean).
    #[error("iCash {what} answer cannot be read: {detail}")]
    Unreadable { what: &'static str, detail: String },
}

impl IcashError {
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        match self {
            IcashError::Http(e) => e.classify(moves_money),
            IcashError::Login { error, status, .. } => match error.as_str() {
                "invalid_grant" | "invalid_client" | "unauthorized_client" => FailureKind::Auth,
                _ if *status >= 500 => FailureKind::Transient,
                _ => FailureKind::Rejected,
            },
            IcashError::Url(_) => FailureKind::Rejected,
            IcashError::Wire(_) | IcashError::Unreadable { .. } => {
                if moves_money {
                    FailureKind::InDoubt
                } else {
                    FailureKind::Transient
                }
            }
        }
    }

    pub fn to_failure(&self, moves_money: bool) -> Failure {
        match self {
            IcashError::Http(e) => e.to_failure(moves_money),
            IcashError::Login { error, .. } => {
                Failure::new(self.classify(moves_money), self.to_string()).with_code(error.clone())
            }
            other => Failure::new(other.classify(moves_money), other.to_string()),
        }
    }

    /// The HTTP status when iCash answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            IcashError::Http(HttpError::Status { status, .. }) => Some(*status),
            IcashError::Login { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A token and when this client stops using it.
#[derive(Clone)]
struct Token {
    value: SecretString,
    /// Client clock, Unix ms: log in again from here on.
    renew_at: u64,
    /// Tells tokens apart, so a call that met a 401 knows whether another call renewed already.
    serial: u64,
}

/// How a request authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    Bearer,
    /// GetiCashCardNetworkNumber: the document shows no Authorization header.
    Anonymous,
}

/// The iCash client.
pub struct IcashClient {
    config: IcashConfig,
    base: reqwest::Url,
    http: reqwest::Client,
    clock: Clock,
    /// Held while logging in: one login at a time.
    token: tokio::sync::Mutex<Option<Token>>,
    serial: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for IcashClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcashClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl IcashClient {
    pub fn new(config: IcashConfig, clock: Clock) -> Result<IcashClient, IcashError> {
        let mut base_text = config.base_url.trim().to_string();
        if !base_text.ends_with('/') {
            base_text.push('/');
        }
        let base =
            reqwest::Url::parse(&base_text).map_err(|_| IcashError::Url(base_text.clone()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(IcashError::Url(base_text));
        }
        let http = http::build_client(&config.http)?;
        Ok(IcashClient {
            config,
            base,
            http,
            clock,
            token: tokio::sync::Mutex::new(None),
            serial: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &IcashConfig {
        &self.config
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.config.password.expose_secret()]
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, IcashError> {
        self.base
            .join(path)
            .map_err(|_| IcashError::Url(path.to_string()))
    }

    /// `POST /Token`: the password grant, form-encoded.
    pub async fn login(&self) -> Result<(), IcashError> {
        let mut guard = self.token.lock().await;
        let token = self.fetch_token().await?;
        *guard = Some(token);
        Ok(())
    }

    /// Forgets the token (the next call logs in).
    pub async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    async fn fetch_token(&self) -> Result<Token, IcashError> {
        let url = self.url("Token")?;
        let form = [
            ("UserName", self.config.username.as_str()),
            ("Password", self.config.password.expose_secret()),
            ("grant_type", "password"),
        ];
        let request = self.http.post(url).form(&form);
        let started = (self.clock)();
        let r = http::send(request, self.config.http.max_body_bytes).await?;
        if !r.is_success() {
            if let Ok(e) = serde_json::from_slice::<OAuthError>(&r.body)
                && r.is_json()
            {
                return Err(IcashError::Login {
                    status: r.status,
                    error: e.error,
                    description: e.error_description,
                });
            }
            return Err(self.error(&r));
        }
        let answer: TokenAnswer = r.json()?;
        if answer.access_token.trim().is_empty() {
            return Err(IcashError::Unreadable {
                what: "token",
                detail: "the access_token is missing (empty)".into(),
            });
        }
        if let Some(t) = answer.token_type.as_deref()
            && !t.eq_ignore_ascii_case("bearer")
        {
            return Err(IcashError::Unreadable {
                what: "token",
                detail: format!("token_type {t:?} is not bearer"),
            });
        }
        // Lifetime: expires_in, else .expires - .issued, else the documented 14 days.
        let lifetime_s = answer.expires_in.unwrap_or_else(|| {
            match (
                answer.expires.as_deref().map(wire::parse_rfc1123),
                answer.issued.as_deref().map(wire::parse_rfc1123),
            ) {
                (Some(Ok(e)), Some(Ok(i))) if e > i => {
                    u64::try_from((e - i).whole_seconds()).unwrap_or(0)
                }
                _ => 1_209_599,
            }
        });
        let life_ms = lifetime_s.saturating_mul(1000);
        let margin = u64::try_from(RENEW_BEFORE.as_millis())
            .unwrap_or(0)
            .min(life_ms / 2);
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        Ok(Token {
            value: SecretString::from(answer.access_token),
            renew_at: started.saturating_add(life_ms - margin),
            serial,
        })
    }

    /// A token to use now: the cached one while it is good, else a new login.
    async fn token(&self) -> Result<Token, IcashError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref()
            && (self.clock)() < t.renew_at
        {
            return Ok(t.clone());
        }
        *guard = None;
        let t = self.fetch_token().await?;
        *guard = Some(t.clone());
        Ok(t)
    }

    /// After a 401 with token `stale`: a token another call got since, or a new login.
    async fn renew(&self, stale: u64) -> Result<Token, IcashError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref()
            && t.serial != stale
            && (self.clock)() < t.renew_at
        {
            return Ok(t.clone());
        }
        *guard = None;
        let t = self.fetch_token().await?;
        *guard = Some(t.clone());
        Ok(t)
    }

    /// One call: the merchant card in the query (when `card` is set), a form body (empty for
    /// GETs, still form-typed as the document asks), the bearer token; a 401 logs in again
    /// once and repeats the call once.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        form: &[(&str, String)],
        auth: Auth,
    ) -> Result<RawResponse, IcashError> {
        let url = self.url(path)?;
        let mut token = match auth {
            Auth::Bearer => Some(self.token().await?),
            Auth::Anonymous => None,
        };
        let mut renewed = false;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .query(query)
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
            if let Some(t) = &token {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.value.expose_secret()))
                    .map_err(|_| {
                    HttpError::Build("the token has a forbidden character".into())
                })?;
                v.set_sensitive(true);
                request = request.header(AUTHORIZATION, v);
            }
            if !form.is_empty() {
                request = request.form(form);
            }
            let r = http::send(request, self.config.http.max_body_bytes).await?;
            if r.is_success() {
                return Ok(r);
            }
            match (&token, r.status, renewed) {
                (Some(t), 401, false) => {
                    renewed = true;
                    token = Some(self.renew(t.serial).await?);
                }
                _ => return Err(self.error(&r)),
            }
        }
    }

    fn error(&self, r: &RawResponse) -> IcashError {
        IcashError::Http(r.status_error(parse_error_body, &self.secrets()))
    }
}

/// An ASP.NET error body as (code, message): `{"Message"}` (code: none, the HTTP status
/// stands for it), or the token endpoint's `{"error", "error_description"}`.
pub fn parse_error_body(body: &[u8]) -> Option<(Option<String>, String)> {
    if let Ok(e) = serde_json::from_slice::<ApiError>(body) {
        return Some((None, e.summary()));
    }
    let e: OAuthError = serde_json::from_slice(body).ok()?;
    let message = e.error_description.unwrap_or_else(|| e.error.clone());
    Some((Some(e.error), message))
}
