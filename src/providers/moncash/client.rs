//! The MonCash REST client: the token, then one method per endpoint of `moncash.txt`.
//!
//! Tokens live 59 seconds and there is no refresh token (NOTES). One token is cached with the
//! time it was fetched; it is renewed when less than [`RENEW_BEFORE_MS`] (or a third of its
//! life, if shorter) is left, and one renewal runs at a time: callers wait on the cache's lock
//! and take the token the first of them fetched. An API call answered 401 `invalid_token`
//! (OAuth's answer for an expired, unknown or revoked token, which a server clock running ahead
//! of ours also gives) renews once and is sent once more: a 401 means the request was not
//! processed, so resending moves nothing twice. Any other 401 (the token endpoint's refusal of
//! the client secret) is `Auth` at once.

use std::fmt;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use super::wire::*;
use crate::core::provider::{Failure, FailureKind};
use crate::money::{Money, MoneyError};
use crate::providers::http::{self, HttpConfig, HttpError, RawResponse};
use crate::providers::mcash::client::Clock;

/// Renew a token this long before it expires (at most a third of its life).
pub const RENEW_BEFORE_MS: u64 = 10_000;

/// What the client needs; the config module fills it.
#[derive(Clone)]
pub struct MoncashConfig {
    /// REST root, `https://sandbox.moncashbutton.digicelgroup.com/Api/`.
    pub base_url: String,
    /// Payment page root, `https://sandbox.moncashbutton.digicelgroup.com/Moncash-middleware/`.
    pub gateway_base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub http: HttpConfig,
}

impl fmt::Debug for MoncashConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MoncashConfig")
            .field("base_url", &self.base_url)
            .field("gateway_base_url", &self.gateway_base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("http", &self.http)
            .finish()
    }
}

/// Why a MonCash call failed.
#[derive(Debug, Error)]
pub enum MoncashError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("bad MonCash URL {0:?}")]
    Url(String),
    #[error("MonCash answered an amount that is not HTG: {0}")]
    Money(#[from] MoneyError),
    #[error("MonCash answered a date that cannot be read: {0}")]
    Date(#[from] super::haiti::DateError),
    #[error("MonCash answered {what} with message {message:?}, not \"successful\"")]
    NotSuccessful { what: &'static str, message: String },
}

impl MoncashError {
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        match self {
            // MonCash's only documented 403 is a business refusal (refused credentials and
            // tokens are 401): not an auth failure.
            MoncashError::Http(HttpError::Status { status: 403, .. }) => FailureKind::Rejected,
            MoncashError::Http(e) => e.classify(moves_money),
            MoncashError::Url(_) => FailureKind::Rejected,
            // The provider answered, but not in a form we can trust.
            MoncashError::Money(_) | MoncashError::Date(_) | MoncashError::NotSuccessful { .. } => {
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
            MoncashError::Http(e) => Failure {
                kind: self.classify(moves_money),
                ..e.to_failure(moves_money)
            },
            other => Failure::new(other.classify(moves_money), other.to_string()),
        }
    }

    /// The HTTP status when MonCash answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            MoncashError::Http(HttpError::Status { status, .. }) => Some(*status),
            _ => None,
        }
    }
}

struct Token {
    value: SecretString,
    /// Unix ms after which it is not used any more.
    renew_at: u64,
}

/// The MonCash REST client.
pub struct MoncashClient {
    config: MoncashConfig,
    base: reqwest::Url,
    gateway: reqwest::Url,
    http: reqwest::Client,
    clock: Clock,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl fmt::Debug for MoncashClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MoncashClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn root(text: &str) -> Result<reqwest::Url, MoncashError> {
    let mut t = text.trim().to_string();
    if !t.ends_with('/') {
        t.push('/');
    }
    let url = reqwest::Url::parse(&t).map_err(|_| MoncashError::Url(t.clone()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(MoncashError::Url(t));
    }
    Ok(url)
}

impl MoncashClient {
    pub fn new(config: MoncashConfig, clock: Clock) -> Result<MoncashClient, MoncashError> {
        let base = root(&config.base_url)?;
        let gateway = root(&config.gateway_base_url)?;
        let http = http::build_client(&config.http)?;
        Ok(MoncashClient {
            config,
            base,
            gateway,
            http,
            clock,
            token: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &MoncashConfig {
        &self.config
    }

    /// `GATEWAY_BASE/Payment/Redirect?token=<payment token>`: the page the customer pays on,
    /// shown as the QR code. The token is URL-safe (NOTES); it is encoded anyway.
    pub fn redirect_url(&self, payment_token: &str) -> String {
        let mut url = self.gateway.clone();
        url.set_path(&format!("{}Payment/Redirect", self.gateway.path()));
        url.query_pairs_mut()
            .clear()
            .append_pair("token", payment_token);
        url.to_string()
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, MoncashError> {
        self.base
            .join(path)
            .map_err(|_| MoncashError::Url(path.to_string()))
    }

    fn masked(&self, response: &RawResponse, token: Option<&SecretString>) -> HttpError {
        let mut secrets = vec![self.config.client_secret.expose_secret()];
        if let Some(t) = token {
            secrets.push(t.expose_secret());
        }
        response.status_error(parse_error_body, &secrets)
    }

    /// `POST /oauth/token` with Basic client_id:secret and the form body of the document.
    async fn fetch_token(&self) -> Result<Token, MoncashError> {
        let started = (self.clock)();
        let request = self
            .http
            .post(self.url("oauth/token")?)
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose_secret()),
            )
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("scope=read,write&grant_type=client_credentials");
        let response = http::send(request, self.config.http.max_body_bytes).await?;
        if !response.is_success() {
            return Err(self.masked(&response, None).into());
        }
        let answer: TokenAnswer = response.json()?;
        if answer.access_token.trim().is_empty() {
            return Err(HttpError::Decode {
                status: response.status,
                message: "the token answer has an empty access_token".into(),
            }
            .into());
        }
        let life_ms = answer.expires_in.unwrap_or(59).saturating_mul(1000);
        let early = RENEW_BEFORE_MS.min(life_ms / 3);
        Ok(Token {
            value: SecretString::from(answer.access_token),
            renew_at: started.saturating_add(life_ms.saturating_sub(early)),
        })
    }

    /// The cached token, or a new one. `refused`: the token the server just refused, which is
    /// replaced unless another caller replaced it already.
    async fn token(&self, refused: Option<&SecretString>) -> Result<SecretString, MoncashError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref() {
            let same = refused.is_some_and(|r| r.expose_secret() == t.value.expose_secret());
            if !same && (self.clock)() < t.renew_at {
                return Ok(t.value.clone());
            }
        }
        *cached = None;
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
        token: &SecretString,
    ) -> Result<RawResponse, MoncashError> {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| HttpError::Build("the access token has a forbidden character".into()))?;
        bearer.set_sensitive(true);
        let mut request = self
            .http
            .request(method.clone(), self.url(path)?)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, bearer);
        if let Some(b) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        Ok(http::send(request, self.config.http.max_body_bytes).await?)
    }

    /// One API call with the bearer token; a 401 `invalid_token` renews once and resends.
    async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<RawResponse, MoncashError> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| HttpError::Build(format!("cannot encode the {path} body: {e}")))?;
        let mut token = self.token(None).await?;
        let mut renewed = false;
        loop {
            let response = self
                .send_once(&method, path, bytes.as_deref(), &token)
                .await?;
            if response.is_success() {
                return Ok(response);
            }
            let expired = response.status == 401
                && response.is_json()
                && serde_json::from_slice::<ErrorBody>(&response.body)
                    .is_ok_and(|e| e.is_invalid_token());
            if expired && !renewed {
                renewed = true;
                token = self.token(Some(&token)).await?;
                continue;
            }
            return Err(self.masked(&response, Some(&token)).into());
        }
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, MoncashError> {
        Ok(self.call(Method::POST, path, Some(body)).await?.json()?)
    }

    /// `POST /v1/CreatePayment`: 202 in the document, 200 accepted too.
    pub async fn create_payment(
        &self,
        order_id: &str,
        amount: Money,
    ) -> Result<CreatePaymentAnswer, MoncashError> {
        let body = CreatePayment {
            amount: WireAmount::from_money(amount),
            order_id: order_id.to_string(),
        };
        let answer: CreatePaymentAnswer = self.post("v1/CreatePayment", &body).await?;
        answer.payment_token.expires_ms()?;
        Ok(answer)
    }

    /// `POST /v1/RetrieveOrderPayment`; `None` for 404 (not paid yet, or no such order).
    pub async fn retrieve_order_payment(
        &self,
        order_id: &str,
    ) -> Result<Option<Payment>, MoncashError> {
        let body = OrderQuery {
            order_id: order_id.to_string(),
        };
        self.payment("v1/RetrieveOrderPayment", &body).await
    }

    /// `POST /v1/RetrieveTransactionPayment`; `None` for 404.
    pub async fn retrieve_transaction_payment(
        &self,
        transaction_id: &str,
    ) -> Result<Option<Payment>, MoncashError> {
        let body = TransactionQuery {
            transaction_id: transaction_id.to_string(),
        };
        self.payment("v1/RetrieveTransactionPayment", &body).await
    }

    async fn payment<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Option<Payment>, MoncashError> {
        match self.post::<_, PaymentAnswer>(path, body).await {
            Ok(a) => {
                a.payment.cost.to_money()?;
                Ok(Some(a.payment))
            }
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/CustomerStatus`.
    pub async fn customer_status(&self, account: &str) -> Result<CustomerStatus, MoncashError> {
        let body = AccountQuery {
            account: account.to_string(),
        };
        let a: CustomerStatusAnswer = self.post("v1/CustomerStatus", &body).await?;
        Ok(a.customer_status)
    }

    /// `POST /v1/Transfert` (payout from the prefunded balance); 200 or 202.
    pub async fn transfert(
        &self,
        receiver: &str,
        amount: Money,
        desc: &str,
        reference: &str,
    ) -> Result<Transfer, MoncashError> {
        let body = Transfert {
            amount: WireAmount::from_money(amount),
            receiver: receiver.to_string(),
            desc: desc.to_string(),
            reference: reference.to_string(),
        };
        let r = self.call(Method::POST, "v1/Transfert", Some(&body)).await?;
        // Checks that the answer is JSON at all; the payout is read from the same bytes.
        r.json::<serde::de::IgnoredAny>()?;
        let transfer = parse_transfer(&r.body).map_err(|e| HttpError::Decode {
            status: r.status,
            message: e.to_string(),
        })?;
        transfer.amount.to_money()?;
        if transfer.message.trim() != "successful" {
            return Err(MoncashError::NotSuccessful {
                what: "Transfert",
                message: transfer.message,
            });
        }
        Ok(transfer)
    }

    /// `POST /v1/PrefundedTransactionStatus`: the payout's `transStatus`; `None` for 404
    /// (never registered).
    pub async fn prefunded_transaction_status(
        &self,
        reference: &str,
    ) -> Result<Option<String>, MoncashError> {
        let body = ReferenceQuery {
            reference: reference.to_string(),
        };
        match self
            .post::<_, TransactionStatusAnswer>("v1/PrefundedTransactionStatus", &body)
            .await
        {
            Ok(a) => Ok(Some(a.trans_status)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/PrefundedBalance`.
    pub async fn prefunded_balance(&self) -> Result<Money, MoncashError> {
        let r = self
            .call::<()>(Method::GET, "v1/PrefundedBalance", None)
            .await?;
        let a: BalanceAnswer = r.json()?;
        Ok(a.balance.balance.to_money()?)
    }
}

/// MonCash's error body as (code, text) for [`RawResponse::status_error`].
pub fn parse_error_body(body: &[u8]) -> Option<(Option<String>, String)> {
    serde_json::from_slice::<ErrorBody>(body).ok()?.summary()
}
