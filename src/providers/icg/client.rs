//! The iCheckGateway client: the OAuth 2.0 password grant (ROPC) at the configured auth URL,
//! the invoice lookup (bearer token) and `POST /Invoices/{id}/Pay` (anonymous, as the document
//! says) at the configured Process API base URL.
//!
//! The token is cached with the expiry its answer gives (`expires_in`, never assumed) and renewed
//! [`RENEW_BEFORE_MS`] before it, by one caller at a time: callers that find a renewal under way
//! wait for it and share its token. A 401 to a call with a token the client still believed good
//! (the server's clock, a revoked token) drops that token, renews once and repeats the call once;
//! a second 401, or a refused grant, is `FailureKind::Auth`. Only calls that move no money are
//! repeated; the pay is anonymous and never repeated here.

use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::wire::{Invoice, ProcessRequest, ProcessResponse, TokenAnswer, parse_error_body};
use crate::core::provider::{Failure, FailureKind};
use crate::providers::http::{self, HttpConfig, HttpError, RawResponse};

/// A token is renewed this long before the expiry its answer gave.
pub const RENEW_BEFORE_MS: u64 = 60_000;

/// Wall clock in Unix milliseconds; injected so expiry is testable.
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
pub struct IcgConfig {
    /// The OAuth server (`https://auth.icheckdev.com/`); the grant goes to `Login` under it.
    pub auth_url: Url,
    /// The Process API root, given by iCG to each merchant.
    pub process_base_url: Url,
    /// The iCG application's audience id.
    pub client_id: String,
    pub username: String,
    pub password: SecretString,
    pub http: HttpConfig,
}

impl fmt::Debug for IcgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcgConfig")
            .field("auth_url", &self.auth_url.as_str())
            .field("process_base_url", &self.process_base_url.as_str())
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("http", &self.http)
            .finish()
    }
}

/// Why an iCG call failed.
#[derive(Debug, Error)]
pub enum IcgError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The password grant was refused (HTTP 400/401 from the token endpoint), with OAuth's
    /// error code (`invalid_grant`, `invalid_client`) when the answer has one.
    #[error("iCG refused the credentials: {message}")]
    Credentials {
        code: Option<String>,
        message: String,
    },
    /// The token answer was not a bearer token.
    #[error("iCG's token answer cannot be read: {0}")]
    TokenAnswer(String),
    #[error("bad iCG URL for {0}")]
    Url(String),
}

impl IcgError {
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        match self {
            IcgError::Http(e) => e.classify(moves_money),
            IcgError::Credentials { .. } => FailureKind::Auth,
            IcgError::TokenAnswer(_) => FailureKind::Transient,
            IcgError::Url(_) => FailureKind::Rejected,
        }
    }

    pub fn to_failure(&self, moves_money: bool) -> Failure {
        match self {
            IcgError::Http(e) => e.to_failure(moves_money),
            IcgError::Credentials { code, .. } => {
                let failure = Failure::new(self.classify(moves_money), self.to_string());
                failure.with_code(code.clone().unwrap_or_else(|| "invalid_grant".to_string()))
            }
            other => Failure::new(other.classify(moves_money), other.to_string()),
        }
    }

    /// The HTTP status, when iCG answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            IcgError::Http(HttpError::Status { status, .. }) => Some(*status),
            _ => None,
        }
    }
}

struct Token {
    value: SecretString,
    /// Renew from this moment on (the expiry less [`RENEW_BEFORE_MS`]).
    renew_at_ms: u64,
    generation: u64,
}

/// The iCG client.
pub struct IcgClient {
    config: IcgConfig,
    token_url: Url,
    http: reqwest::Client,
    clock: Clock,
    token: tokio::sync::Mutex<Option<Token>>,
    generations: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for IcgClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcgClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A base URL with the trailing `/` that `Url::join` needs to keep its last segment.
fn with_slash(url: &Url) -> Url {
    let mut u = url.clone();
    if !u.path().ends_with('/') {
        let path = format!("{}/", u.path());
        u.set_path(&path);
    }
    u
}

impl IcgClient {
    pub fn new(mut config: IcgConfig, clock: Clock) -> Result<IcgClient, IcgError> {
        config.auth_url = with_slash(&config.auth_url);
        config.process_base_url = with_slash(&config.process_base_url);
        let token_url = config
            .auth_url
            .join("Login")
            .map_err(|_| IcgError::Url("the token endpoint".into()))?;
        let http = http::build_client(&config.http)?;
        Ok(IcgClient {
            config,
            token_url,
            http,
            clock,
            token: tokio::sync::Mutex::new(None),
            generations: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &IcgConfig {
        &self.config
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    fn process_url(&self, path: &str) -> Result<Url, IcgError> {
        self.config
            .process_base_url
            .join(path)
            .map_err(|_| IcgError::Url(path.to_string()))
    }

    /// Texts masked out of any error excerpt.
    fn secrets(&self, token: Option<&SecretString>) -> Vec<String> {
        let mut s = vec![self.config.password.expose_secret().to_string()];
        if let Some(t) = token {
            s.push(t.expose_secret().to_string());
        }
        s
    }

    fn error(&self, response: &RawResponse, token: Option<&SecretString>) -> IcgError {
        let secrets = self.secrets(token);
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        IcgError::Http(response.status_error(parse_error_body, &refs))
    }

    /// A valid token and its generation: the cached one, or a new one from the password grant.
    async fn token(&self) -> Result<(SecretString, u64), IcgError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref()
            && self.now() < t.renew_at_ms
        {
            return Ok((t.value.clone(), t.generation));
        }
        *slot = None;
        let fresh = self.grant().await?;
        let out = (fresh.value.clone(), fresh.generation);
        *slot = Some(fresh);
        Ok(out)
    }

    /// Drops the token of `generation` if it is still the cached one (a 401 refused it).
    async fn drop_token(&self, generation: u64) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }

    /// `POST {auth}/Login`: the password grant, as the document's curl sends it.
    async fn grant(&self) -> Result<Token, IcgError> {
        let form = [
            ("grant_type", "password"),
            ("username", self.config.username.as_str()),
            ("password", self.config.password.expose_secret()),
            ("client_id", self.config.client_id.as_str()),
        ];
        let request = self
            .http
            .post(self.token_url.clone())
            .header(ACCEPT, "application/json")
            .form(&form);
        let asked_at = self.now();
        let response = http::send(request, self.config.http.max_body_bytes).await?;
        if matches!(response.status, 400 | 401) {
            return Err(match self.error(&response, None) {
                IcgError::Http(HttpError::Status { code, message, .. }) => {
                    IcgError::Credentials { code, message }
                }
                other => IcgError::Credentials {
                    code: None,
                    message: other.to_string(),
                },
            });
        }
        if !response.is_success() {
            return Err(self.error(&response, None));
        }
        let answer: TokenAnswer = response.json()?;
        if answer.access_token.trim().is_empty() {
            return Err(IcgError::TokenAnswer("empty access_token".into()));
        }
        if let Some(kind) = &answer.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(IcgError::TokenAnswer(format!(
                "token_type {kind:?}, not bearer"
            )));
        }
        let lifetime_ms = answer
            .expires_in
            .ok_or_else(|| IcgError::TokenAnswer("no expires_in".into()))?
            .saturating_mul(1000);
        // Counted from when it was asked for: the answer may have taken a while.
        let expires_at = asked_at.saturating_add(lifetime_ms);
        let generation = self
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        Ok(Token {
            value: SecretString::from(answer.access_token),
            renew_at_ms: expires_at.saturating_sub(RENEW_BEFORE_MS.min(lifetime_ms / 2)),
            generation,
        })
    }

    /// Fetches a fresh token now (start-up checks the credentials this way).
    pub async fn check_credentials(&self) -> Result<(), IcgError> {
        self.token().await.map(|_| ())
    }

    /// An authenticated GET that moves no money: repeated once after a 401 with a new token.
    async fn get_authenticated(&self, url: Url) -> Result<RawResponse, IcgError> {
        let mut renewed = false;
        loop {
            let (token, generation) = self.token().await?;
            let request = self
                .http
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
            let response = http::send(request, self.config.http.max_body_bytes).await?;
            if response.status == 401 && !renewed {
                self.drop_token(generation).await;
                renewed = true;
                continue;
            }
            if !response.is_success() {
                return Err(self.error(&response, Some(&token)));
            }
            return Ok(response);
        }
    }

    /// `GET /Invoices/{id}`: the invoice with its amounts, state and payments.
    pub async fn invoice(&self, number: &str) -> Result<Invoice, IcgError> {
        let url = self.process_url(&format!("Invoices/{number}"))?;
        Ok(self.get_authenticated(url).await?.json()?)
    }

    /// `POST /Invoices/{id}/Pay`, anonymous. Sent once: a lost answer is for the caller to
    /// recover by looking at the invoice.
    pub async fn pay(
        &self,
        number: &str,
        request: &ProcessRequest,
    ) -> Result<ProcessResponse, IcgError> {
        let url = self.process_url(&format!("Invoices/{number}/Pay"))?;
        let body = serde_json::to_vec(request).map_err(|e| HttpError::Build(e.to_string()))?;
        let request = self
            .http
            .post(url)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        let response = http::send(request, self.config.http.max_body_bytes).await?;
        if !response.is_success() {
            return Err(self.error(&response, None));
        }
        Ok(response.json()?)
    }
}
