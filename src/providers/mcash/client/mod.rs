//! The mCASH merchant API client: one async method per endpoint, with the headers and auth
//! level each needs (NOTES.md). KEY-level calls are signed over the exact body bytes sent and
//! the exact URL sent, with a timestamp from the injected clock.
//!
//! Decided here: every call sends `Content-Type: application/json` (NOTES says "on every
//! call"), even bodiless GETs; list paging follows `next` whether it is an absolute URL, an
//! absolute path or a relative path, but only ever on the configured host, so credentials never
//! go elsewhere; paging stops after [`MAX_PAGES`] pages.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use super::sign::{self, SignError, Signer};
use super::wire::*;
use crate::core::provider::{Failure, FailureKind};
use crate::providers::http::{self, HttpConfig, HttpError, RawResponse};

/// Most list pages followed by [`McashClient::list_all`].
pub const MAX_PAGES: usize = 50;

/// Wall clock in Unix milliseconds; injected so KEY timestamps are testable.
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

/// Authentication level of an endpoint: OPEN < SECRET < KEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AuthLevel {
    Open,
    Secret,
    Key,
}

/// What the client needs; the config module fills it from TOML.
#[derive(Clone)]
pub struct McashConfig {
    /// `https://api.mca.sh/merchant/v1/` or the testbed's; a trailing `/` is added if missing.
    pub base_url: String,
    pub merchant_id: String,
    pub user_id: String,
    pub secret: SecretString,
    /// Needed only for KEY-level calls (refunds, user creation).
    pub private_key: Option<Signer>,
    pub testbed_token: Option<SecretString>,
    pub http: HttpConfig,
}

impl fmt::Debug for McashConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McashConfig")
            .field("base_url", &self.base_url)
            .field("merchant_id", &self.merchant_id)
            .field("user_id", &self.user_id)
            .field("secret", &"<redacted>")
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "testbed_token",
                &self.testbed_token.as_ref().map(|_| "<redacted>"),
            )
            .field("http", &self.http)
            .finish()
    }
}

/// Why an mCASH call failed.
#[derive(Debug, Error)]
pub enum McashError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{what} needs the KEY auth level: configure private_key_file for mCASH")]
    KeyRequired { what: &'static str },
    #[error("cannot sign the request: {0}")]
    Sign(#[from] SignError),
    #[error("bad URL {0:?}: it must be on the configured mCASH host")]
    Url(String),
    #[error("list has more than {0} pages")]
    TooManyPages(usize),
    /// A list page's `next` link led to an error status: the page that gave it is invalid,
    /// not the request refused (a `next` to nowhere must not end the operation as Rejected).
    #[error("the {what} list's next link {uri:?} is invalid: {source}")]
    BadNextPage {
        what: &'static str,
        uri: String,
        source: HttpError,
    },
    #[error("answer HTTP {status} lacks the {header} header")]
    MissingHeader { status: u16, header: &'static str },
    #[error("answer to {what} lacks the {field} field")]
    MissingField {
        what: &'static str,
        field: &'static str,
    },
    #[error("the merchant has no ledger")]
    NoLedger,
}

impl McashError {
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        match self {
            McashError::Http(e) => e.classify(moves_money),
            McashError::MissingHeader { .. }
            | McashError::MissingField { .. }
            | McashError::BadNextPage { .. } => {
                if moves_money {
                    FailureKind::InDoubt
                } else {
                    FailureKind::Transient
                }
            }
            McashError::KeyRequired { .. }
            | McashError::Sign(_)
            | McashError::Url(_)
            | McashError::TooManyPages(_)
            | McashError::NoLedger => FailureKind::Rejected,
        }
    }

    pub fn to_failure(&self, moves_money: bool) -> Failure {
        match self {
            McashError::Http(e) => e.to_failure(moves_money),
            other => Failure::new(other.classify(moves_money), other.to_string()),
        }
    }

    /// The HTTP status when mCASH answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            McashError::Http(HttpError::Status { status, .. }) => Some(*status),
            _ => None,
        }
    }
}

/// Whether `POST /payment_request/` made a new request (201) or found the identical one (200).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    New,
    Identical,
}

/// Answer to a payment request create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequestAnswer {
    pub created: PaymentRequestCreated,
    pub creation: Creation,
    pub location: Option<String>,
}

/// The mCASH merchant API client.
#[derive(Clone)]
pub struct McashClient {
    config: McashConfig,
    base: reqwest::Url,
    http: reqwest::Client,
    clock: Clock,
}

impl fmt::Debug for McashClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McashClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl McashClient {
    pub fn new(config: McashConfig, clock: Clock) -> Result<McashClient, McashError> {
        let mut base_text = config.base_url.trim().to_string();
        if !base_text.ends_with('/') {
            base_text.push('/');
        }
        let base =
            reqwest::Url::parse(&base_text).map_err(|_| McashError::Url(base_text.clone()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(McashError::Url(base_text));
        }
        let http = http::build_client(&config.http)?;
        Ok(McashClient {
            config,
            base,
            http,
            clock,
        })
    }

    pub fn config(&self) -> &McashConfig {
        &self.config
    }

    pub fn has_key(&self) -> bool {
        self.config.private_key.is_some()
    }

    // -----------------------------------------------------------------------------------------
    // Plumbing

    /// Resolves a resource path (`pos/`), an absolute path (`/merchant/v1/pos/?c=2`) or a full
    /// URL from the server; the result must be on the configured host.
    pub fn resolve(&self, path: &str) -> Result<reqwest::Url, McashError> {
        let url = self
            .base
            .join(path)
            .map_err(|_| McashError::Url(path.to_string()))?;
        let same_origin = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        if same_origin {
            Ok(url)
        } else {
            Err(McashError::Url(path.to_string()))
        }
    }

    fn secrets(&self) -> Vec<&str> {
        let mut s = vec![self.config.secret.expose_secret()];
        if let Some(t) = &self.config.testbed_token {
            s.push(t.expose_secret());
        }
        s
    }

    /// Sends one request with the headers NOTES lists and the auth of `level`.
    async fn execute(
        &self,
        method: Method,
        url: reqwest::Url,
        level: AuthLevel,
        body: Option<Vec<u8>>,
        what: &'static str,
    ) -> Result<RawResponse, McashError> {
        let body = body.unwrap_or_default();
        let mut headers = HeaderMap::new();
        put(&mut headers, "accept", MEDIA_TYPE, false)?;
        put(&mut headers, "content-type", "application/json", false)?;
        put(
            &mut headers,
            "x-mcash-merchant",
            &self.config.merchant_id,
            false,
        )?;
        put(&mut headers, "x-mcash-user", &self.config.user_id, false)?;
        if let Some(token) = &self.config.testbed_token {
            put(&mut headers, "x-testbed-token", token.expose_secret(), true)?;
        }
        match level {
            AuthLevel::Open => {}
            AuthLevel::Secret => {
                let value = format!("SECRET {}", self.config.secret.expose_secret());
                put(&mut headers, "authorization", &value, true)?;
            }
            AuthLevel::Key => {
                let signer = self
                    .config
                    .private_key
                    .as_ref()
                    .ok_or(McashError::KeyRequired { what })?;
                let now = sign::timestamp((self.clock)() / 1000)?;
                let digest = sign::content_digest(&body);
                put(&mut headers, "x-mcash-timestamp", &now, false)?;
                put(&mut headers, "x-mcash-content-digest", &digest, false)?;
                let pairs: Vec<(&str, &str)> = headers
                    .iter()
                    .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
                    .collect();
                let string = sign::signing_string(method.as_str(), url.as_str(), pairs);
                let authorization = signer.authorization(&string);
                put(&mut headers, "authorization", &authorization, true)?;
            }
        }
        let mut request = self.http.request(method, url).headers(headers);
        if !body.is_empty() {
            request = request.body(body);
        }
        Ok(http::send(request, self.config.http.max_body_bytes).await?)
    }

    fn error(&self, response: &RawResponse) -> McashError {
        let secrets = self.secrets();
        McashError::Http(response.status_error(parse_error_body, &secrets))
    }

    async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        level: AuthLevel,
        body: Option<&B>,
        what: &'static str,
    ) -> Result<RawResponse, McashError> {
        let url = self.resolve(path)?;
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| HttpError::Build(format!("cannot encode the {what} body: {e}")))?;
        let response = self.execute(method, url, level, bytes, what).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(self.error(&response))
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        level: AuthLevel,
        what: &'static str,
    ) -> Result<T, McashError> {
        let r = self
            .call::<()>(Method::GET, path, level, None, what)
            .await?;
        Ok(r.json()?)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        level: AuthLevel,
        body: &B,
        what: &'static str,
    ) -> Result<T, McashError> {
        let r = self
            .call(Method::POST, path, level, Some(body), what)
            .await?;
        Ok(r.json()?)
    }

    /// PUT or DELETE answered 204 (or 200 with any body, which some servers send).
    async fn no_content<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        level: AuthLevel,
        body: Option<&B>,
        what: &'static str,
    ) -> Result<(), McashError> {
        self.call(method, path, level, body, what).await.map(|_| ())
    }

    /// Follows `next` from `first` and collects every uri, at most [`MAX_PAGES`] pages.
    pub async fn list_all(
        &self,
        first: &str,
        what: &'static str,
    ) -> Result<Vec<String>, McashError> {
        let mut uris = Vec::new();
        let mut next = Some(first.to_string());
        let mut pages = 0;
        while let Some(path) = next {
            if pages == MAX_PAGES {
                return Err(McashError::TooManyPages(MAX_PAGES));
            }
            pages += 1;
            let page: ResourceList = match self.get(&path, AuthLevel::Secret, what).await {
                Err(McashError::Http(source @ HttpError::Status { .. })) if pages > 1 => {
                    return Err(McashError::BadNextPage {
                        what,
                        uri: path,
                        source,
                    });
                }
                other => other?,
            };
            uris.extend(page.uris);
            next = page.next.filter(|n| !n.is_empty());
        }
        Ok(uris)
    }

    /// Every POS uri, all pages (`GET /pos/`).
    pub async fn all_pos(&self) -> Result<Vec<String>, McashError> {
        self.list_all("pos/", "list POS").await
    }

    /// Every ledger uri, all pages (`GET /ledger/`).
    pub async fn all_ledgers(&self) -> Result<Vec<String>, McashError> {
        self.list_all("ledger/", "list ledgers").await
    }

    /// Every report uri of a ledger, oldest first as mCASH lists them, all pages.
    pub async fn all_reports(&self, ledger_id: &str) -> Result<Vec<String>, McashError> {
        self.list_all(
            &format!("ledger/{}/report/", seg(ledger_id)),
            "list reports",
        )
        .await
    }

    /// Every settlement uri, all pages (`GET /settlement/`).
    pub async fn all_settlements(&self) -> Result<Vec<String>, McashError> {
        self.list_all("settlement/", "list settlements").await
    }

    /// Every shortlink uri, all pages (`GET /shortlink/`).
    pub async fn all_shortlinks(&self) -> Result<Vec<String>, McashError> {
        self.list_all("shortlink/", "list shortlinks").await
    }

    /// GET of a uri the server gave (list entries, `open_report_uri`, Location headers).
    pub async fn get_uri<T: DeserializeOwned>(&self, uri: &str) -> Result<T, McashError> {
        self.get(uri, AuthLevel::Secret, "resource").await
    }
}

fn put(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &str,
    sensitive: bool,
) -> Result<(), HttpError> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| HttpError::Build(format!("header {name} has a forbidden character")))?;
    v.set_sensitive(sensitive);
    headers.insert(HeaderName::from_static(name), v);
    Ok(())
}

/// mCASH's error body as (error_type, summary) for [`RawResponse::status_error`].
pub fn parse_error_body(body: &[u8]) -> Option<(Option<String>, String)> {
    let e: ErrorBody = serde_json::from_slice(body).ok()?;
    if e.error_type.is_none() && e.error_description.is_none() {
        return None;
    }
    Some((e.error_type.clone(), e.summary()))
}

/// Percent-encodes one path segment (ids come from config and from the server).
fn seg(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

mod endpoints;
#[cfg(test)]
mod tests;
