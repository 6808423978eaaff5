//! The eZ Cash agent API client (`ezcash.txt`): submitTransactionRequest,
//! transactionStatusViaRequestId and subscriberBalance under
//! `{base_url}ezcash/agentservice/{v1|v1-test}/`, each a JSON POST with the ideabiz bearer
//! token ([`super::token`]).
//!
//! The gateway's WSO2 faults are handled by their meaning (NOTES, by the message text first):
//! "Access Token Expired" (900903) refreshes, "Invalid Credentials" (900901) and "Access Token
//! Inactive" (900904) take a new password grant, each then retried once (the gateway refused
//! the call before it reached eZ Cash, so nothing moved); a second refusal is an auth failure.
//! "Message Throttled Out" (900800, 503) is retried after each of the configured back-off
//! delays, then given up as transient (a throttled call never reached eZ Cash).

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use super::token::{Clock, Renewal, TokenConfig, Tokens};
use super::wire::{self, BalanceAnswer, FaultMeaning, GatewayFault, TxAnswer, WireError};
use crate::core::provider::{Failure, FailureKind};
use crate::money::Currency;
use crate::providers::http::{self, HttpConfig, HttpError, RawResponse};

/// Which path of the agent API: the document's `v1`, or NOTES' `v1-test` beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiPath {
    V1,
    V1Test,
}

impl ApiPath {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiPath::V1 => "v1",
            ApiPath::V1Test => "v1-test",
        }
    }
}

/// What the client needs; the config module fills it.
#[derive(Clone)]
pub struct EzcashConfig {
    /// The ideabiz API root, `https://ideabiz.lk/apicall/`.
    pub base_url: String,
    pub api: ApiPath,
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub username: String,
    pub password: SecretString,
    pub scope: String,
    /// Where the refresh token is kept (under the storage path).
    pub token_file: Option<std::path::PathBuf>,
    /// Waits before each retry of a throttled call; its length bounds the retries.
    pub throttle_backoff: Vec<Duration>,
    pub http: HttpConfig,
}

impl fmt::Debug for EzcashConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EzcashConfig")
            .field("base_url", &self.base_url)
            .field("api", &self.api)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("scope", &self.scope)
            .field("token_file", &self.token_file)
            .field("throttle_backoff", &self.throttle_backoff)
            .field("http", &self.http)
            .finish()
    }
}

/// Why an eZ Cash call failed (before eZ Cash's own `status` is read).
#[derive(Debug, Error)]
pub enum EzcashError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The token endpoint could not be reached or answered something unreadable: the API call
    /// itself was never sent.
    #[error("ideabiz token: {0}")]
    Token(HttpError),
    /// The token endpoint refused the grant (`invalid_client`, `invalid_grant`).
    #[error("ideabiz refused the token request: {error} ({description}, HTTP {status})")]
    TokenRefused {
        status: u16,
        error: String,
        description: String,
    },
    /// The gateway refused the call with a WSO2 fault.
    #[error("ideabiz gateway HTTP {status}: {}", fault.summary())]
    Gateway { status: u16, fault: GatewayFault },
    #[error("ideabiz throttled the call after {retries} retries: {}", fault.summary())]
    Throttled { retries: usize, fault: GatewayFault },
    #[error("answer to {what} cannot be read: {source}")]
    Wire {
        what: &'static str,
        source: WireError,
    },
    #[error("bad eZ Cash URL {0:?}")]
    Url(String),
}

impl EzcashError {
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        match self {
            EzcashError::Http(e) => e.classify(moves_money),
            // Nothing reached the agent API.
            EzcashError::Token(e) => match e.classify(false) {
                FailureKind::InDoubt => FailureKind::Transient,
                other => other,
            },
            EzcashError::TokenRefused { .. } => FailureKind::Auth,
            EzcashError::Gateway { status, fault } => match (status, fault.meaning()) {
                (401 | 403, _) | (_, FaultMeaning::Expired | FaultMeaning::Invalid) => {
                    FailureKind::Auth
                }
                (_, FaultMeaning::Throttled) => FailureKind::Transient,
                (s, _) => HttpError::Status {
                    status: *s,
                    code: None,
                    message: String::new(),
                }
                .classify(moves_money),
            },
            EzcashError::Throttled { .. } => FailureKind::Transient,
            EzcashError::Wire { .. } => {
                if moves_money {
                    FailureKind::InDoubt
                } else {
                    FailureKind::Transient
                }
            }
            EzcashError::Url(_) => FailureKind::Rejected,
        }
    }

    pub fn to_failure(&self, moves_money: bool) -> Failure {
        let failure = Failure::new(self.classify(moves_money), self.to_string());
        match self {
            EzcashError::Http(e) => e.to_failure(moves_money),
            EzcashError::Gateway { fault, status } => {
                let code = fault
                    .code
                    .map_or_else(|| status.to_string(), |c| c.to_string());
                failure.with_code(code)
            }
            EzcashError::TokenRefused { error, .. } => failure.with_code(error.clone()),
            EzcashError::Throttled { fault, .. } => {
                failure.with_code(fault.code.unwrap_or(900800).to_string())
            }
            _ => failure,
        }
    }
}

/// The agent API client.
pub struct EzcashClient {
    config: EzcashConfig,
    api_base: reqwest::Url,
    http: reqwest::Client,
    tokens: Tokens,
}

impl fmt::Debug for EzcashClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EzcashClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EzcashClient {
    pub fn new(config: EzcashConfig, clock: Clock) -> Result<EzcashClient, EzcashError> {
        let mut root = config.base_url.trim().to_string();
        if !root.ends_with('/') {
            root.push('/');
        }
        let base = reqwest::Url::parse(&root).map_err(|_| EzcashError::Url(root.clone()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(EzcashError::Url(root));
        }
        let join = |p: &str| base.join(p).map_err(|_| EzcashError::Url(p.to_string()));
        let api_base = join(&format!("ezcash/agentservice/{}/", config.api.as_str()))?;
        let tokens = Tokens::new(
            TokenConfig {
                url: join("token")?,
                consumer_key: config.consumer_key.clone(),
                consumer_secret: config.consumer_secret.clone(),
                username: config.username.clone(),
                password: config.password.clone(),
                scope: config.scope.clone(),
                file: config.token_file.clone(),
                http: config.http,
            },
            clock,
        )?;
        let http = http::build_client(&config.http)?;
        Ok(EzcashClient {
            config,
            api_base,
            http,
            tokens,
        })
    }

    pub fn config(&self) -> &EzcashConfig {
        &self.config
    }

    /// Fetches a token now (start-up), so the first sale does not wait for it.
    pub async fn authenticate(&self) -> Result<(), EzcashError> {
        self.tokens.bearer().await.map(|_| ())
    }

    /// submitTransactionRequest.
    pub async fn submit(
        &self,
        request: &wire::AgentTransactionRequest,
        currency: Currency,
    ) -> Result<TxAnswer, EzcashError> {
        let body = wire::SubmitBody {
            agenttransactionrequest: request,
        };
        let pins = [request.agent_pin.expose_secret()];
        let v = self.post("submitTransactionRequest", &body, &pins).await?;
        wire::tx_answer(&v, "submitTransactionRequestResponse", currency).map_err(|source| {
            EzcashError::Wire {
                what: "submitTransactionRequest",
                source,
            }
        })
    }

    /// transactionStatusViaRequestId, with the client's original request id.
    pub async fn status(
        &self,
        owner_alias: &str,
        owner_pin: &SecretString,
        request_id: &str,
        currency: Currency,
    ) -> Result<TxAnswer, EzcashError> {
        let body = wire::StatusBody {
            requesttransactionstatus: wire::StatusRequest {
                owner_alias,
                owner_pin: owner_pin.expose_secret(),
                request_id,
            },
        };
        let pins = [owner_pin.expose_secret()];
        let v = self
            .post("transactionStatusViaRequestId", &body, &pins)
            .await?;
        wire::tx_answer(&v, "getTransactionStatusViaRequestIdResponse", currency).map_err(
            |source| EzcashError::Wire {
                what: "transactionStatusViaRequestId",
                source,
            },
        )
    }

    /// subscriberBalance of the agent's own wallet.
    pub async fn balance(
        &self,
        alias: &str,
        pin: &SecretString,
        currency: Currency,
    ) -> Result<BalanceAnswer, EzcashError> {
        let body = wire::BalanceBody {
            emoneybalancerequest: wire::BalanceRequest {
                subscriber_alias: alias,
                subscriber_pin: pin.expose_secret(),
            },
        };
        let pins = [pin.expose_secret()];
        let v = self.post("subscriberBalance", &body, &pins).await?;
        wire::balance_answer(&v, currency).map_err(|source| EzcashError::Wire {
            what: "subscriberBalance",
            source,
        })
    }

    /// One API call with its token handling: renewed once after a refused token, retried
    /// after throttling within the back-off list.
    async fn post<B: Serialize>(
        &self,
        endpoint: &'static str,
        body: &B,
        pins: &[&str],
    ) -> Result<Value, EzcashError> {
        let url = self
            .api_base
            .join(endpoint)
            .map_err(|_| EzcashError::Url(endpoint.to_string()))?;
        let mut bytes = serde_json::to_vec(body)
            .map_err(|e| HttpError::Build(format!("cannot encode the {endpoint} body: {e}")))?;
        let answer = self.post_bytes(endpoint, url, &bytes, pins).await;
        wire::wipe(&mut bytes);
        answer
    }

    async fn post_bytes(
        &self,
        endpoint: &'static str,
        url: reqwest::Url,
        bytes: &[u8],
        pins: &[&str],
    ) -> Result<Value, EzcashError> {
        let mut bearer = self.tokens.bearer().await?;
        let mut renewed = false;
        let mut throttled = 0;
        loop {
            let response = self.send(url.clone(), bytes, &bearer.token).await?;
            if response.is_success() {
                return Ok(response.json::<Value>()?);
            }
            let fault = GatewayFault::parse(&response.body);
            let meaning = fault.as_ref().map(GatewayFault::meaning);
            match (response.status, meaning) {
                (401, Some(FaultMeaning::Expired | FaultMeaning::Invalid) | None)
                | (_, Some(FaultMeaning::Expired | FaultMeaning::Invalid))
                    if !renewed =>
                {
                    renewed = true;
                    let how = if meaning == Some(FaultMeaning::Expired) {
                        Renewal::Refresh
                    } else {
                        Renewal::Password
                    };
                    tracing::debug!(endpoint, ?how, "ideabiz refused the token; renewing once");
                    bearer = self.tokens.renew_after(bearer.generation, how).await?;
                }
                (_, Some(FaultMeaning::Throttled)) => {
                    let fault = fault.unwrap_or(GatewayFault {
                        code: Some(900800),
                        message: None,
                        description: None,
                    });
                    let Some(wait) = self.config.throttle_backoff.get(throttled) else {
                        return Err(EzcashError::Throttled {
                            retries: throttled,
                            fault,
                        });
                    };
                    throttled += 1;
                    tracing::info!(
                        endpoint,
                        wait_ms = wait.as_millis() as u64,
                        "ideabiz throttled; backing off"
                    );
                    tokio::time::sleep(*wait).await;
                }
                (status, _) => {
                    return Err(match fault {
                        Some(fault) => EzcashError::Gateway { status, fault },
                        None => EzcashError::Http(self.status_error(&response, pins)),
                    });
                }
            }
        }
    }

    async fn send(
        &self,
        url: reqwest::Url,
        body: &[u8],
        token: &SecretString,
    ) -> Result<RawResponse, EzcashError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| HttpError::Build("the access token has a forbidden character".into()))?;
        auth.set_sensitive(true);
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, auth)
            .body(body.to_vec());
        Ok(http::send(request, self.config.http.max_body_bytes).await?)
    }

    fn status_error(&self, response: &RawResponse, pins: &[&str]) -> HttpError {
        let mut secrets = self.tokens.secrets();
        secrets.extend(pins.iter().map(|p| p.to_string()));
        let masks: Vec<&str> = secrets.iter().map(String::as_str).collect();
        response.status_error(|_| None, &masks)
    }
}
