//! HTTP for every provider: one way to build the client (rustls, timeouts, no redirects), one
//! capped body read, and ONE classification of what went wrong into the core's failure kinds.
//!
//! The classification is the heart of "never pay twice": a failure before the request left
//! (DNS, refused connection, connect timeout) is `Transient` and safe to retry; anything that
//! may have reached the provider (timeout or reset after sending, a 5xx, an unreadable answer)
//! is `InDoubt` for a money-moving call, and the core recovers instead of resending.
//!
//! Redirects are not followed: a provider's 302 is an answer (mCASH `last_settlement`), and
//! following it could carry credentials to another host.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use thiserror::Error;

use crate::core::provider::{Failure, FailureKind};

/// Timeouts and limits for one provider's client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time to establish the connection (DNS, TCP, TLS); a failure here means nothing was sent.
    pub connect_timeout: Duration,
    /// Time for the whole exchange, answer body included.
    pub total_timeout: Duration,
    /// Largest answer body read; a bigger one is an error, never a big allocation.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Longest body excerpt kept in an error message.
const SNIPPET_CHARS: usize = 160;

/// What went wrong with one HTTP exchange.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HttpError {
    /// The request could not even be built (bad URL, bad header value): a configuration error.
    #[error("cannot build the request: {0}")]
    Build(String),
    /// No connection: DNS failure, refused, unreachable, TLS handshake, connect timeout.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// No (complete) answer in time. `sent` is false only when the connect phase timed out.
    #[error("no answer within the time limit{}", if *sent { "" } else { " (while connecting)" })]
    Timeout { sent: bool },
    /// The connection broke after the request was (possibly) sent.
    #[error("connection broken after sending: {0}")]
    Interrupted(String),
    /// The answer body is larger than the configured limit.
    #[error("answer (HTTP {status}) is larger than {limit} bytes")]
    BodyTooLarge { status: u16, limit: usize },
    /// A success status with something other than JSON.
    #[error("HTTP {status} answer is {content_type:?}, not JSON: {snippet}")]
    NotJson {
        status: u16,
        content_type: String,
        snippet: String,
    },
    /// A success status with JSON that does not match what was expected.
    #[error("HTTP {status} answer cannot be read: {message}")]
    Decode { status: u16, message: String },
    /// An error status. `code` and `message` come from the provider's error body when it has
    /// one; otherwise `message` names the status and holds a sanitized excerpt of the body.
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        code: Option<String>,
        message: String,
    },
}

impl HttpError {
    /// How the core must treat this failure; `moves_money` is whether the call could have
    /// moved money (start, capture, refund, release).
    pub fn classify(&self, moves_money: bool) -> FailureKind {
        let doubt = if moves_money {
            FailureKind::InDoubt
        } else {
            FailureKind::Transient
        };
        match self {
            HttpError::Build(_) => FailureKind::Rejected,
            HttpError::Connect(_) => FailureKind::Transient,
            HttpError::Timeout { sent: false } => FailureKind::Transient,
            HttpError::Timeout { sent: true } | HttpError::Interrupted(_) => doubt,
            // The provider answered, but we cannot tell what it said.
            HttpError::BodyTooLarge { .. }
            | HttpError::NotJson { .. }
            | HttpError::Decode { .. } => {
                if moves_money {
                    FailureKind::InDoubt
                } else {
                    FailureKind::Transient
                }
            }
            HttpError::Status { status, .. } => match *status {
                401 | 403 => FailureKind::Auth,
                // Not processed: the server says so.
                408 | 429 => FailureKind::Transient,
                500..=599 => doubt,
                _ => FailureKind::Rejected,
            },
        }
    }

    /// The classified failure for the core, with the provider's code when there is one.
    pub fn to_failure(&self, moves_money: bool) -> Failure {
        let failure = Failure::new(self.classify(moves_money), self.to_string());
        match self {
            HttpError::Status {
                code: Some(code), ..
            } => failure.with_code(code.clone()),
            HttpError::Status { status, .. } => failure.with_code(status.to_string()),
            _ => failure,
        }
    }

    /// The HTTP status, when the provider answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. }
            | HttpError::BodyTooLarge { status, .. }
            | HttpError::NotJson { status, .. }
            | HttpError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Builds a client: rustls only, connect and total timeouts, no redirects, no proxies from
/// the environment (a terminal's traffic must not silently go elsewhere).
pub fn build_client(config: &HttpConfig) -> Result<reqwest::Client, HttpError> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .timeout(config.total_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| HttpError::Build(error_chain(&e)))
}

/// A complete answer, body read under the cap.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header(CONTENT_TYPE.as_str()).unwrap_or("")
    }

    /// Whether the answer says it is JSON: `application/json` or any `+json` type.
    pub fn is_json(&self) -> bool {
        is_json_type(self.content_type())
    }

    /// The body as `T`, after checking it is JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, HttpError> {
        if !self.is_json() {
            return Err(HttpError::NotJson {
                status: self.status,
                content_type: self.content_type().to_string(),
                snippet: snippet(&self.body, &[]),
            });
        }
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Decode {
            status: self.status,
            message: e.to_string(),
        })
    }

    /// The error for a non-success answer. `parse` reads the provider's JSON error body into
    /// (code, message); a non-JSON page (a proxy's 502) gets the status and a sanitized excerpt.
    /// `secrets` are masked out of any excerpt in case a server echoes a request header.
    pub fn status_error(
        &self,
        parse: impl Fn(&[u8]) -> Option<(Option<String>, String)>,
        secrets: &[&str],
    ) -> HttpError {
        let parsed = if self.is_json() {
            parse(&self.body)
        } else {
            None
        };
        let (code, message) = match parsed {
            Some((code, message)) => (code, mask(&message, secrets)),
            None => {
                let reason = reqwest::StatusCode::from_u16(self.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("unknown status");
                let excerpt = snippet(&self.body, secrets);
                let message = if excerpt.is_empty() {
                    reason.to_string()
                } else {
                    format!("{reason}: {excerpt}")
                };
                (None, message)
            }
        };
        HttpError::Status {
            status: self.status,
            code,
            message,
        }
    }
}

fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Sends a request and reads the whole answer, at most `max_body_bytes` of it.
pub async fn send(
    request: reqwest::RequestBuilder,
    max_body_bytes: usize,
) -> Result<RawResponse, HttpError> {
    let mut response = request.send().await.map_err(|e| from_reqwest(&e))?;
    let status = response.status().as_u16();
    let too_large = HttpError::BodyTooLarge {
        status,
        limit: max_body_bytes,
    };
    if response
        .content_length()
        .is_some_and(|n| n > max_body_bytes as u64)
    {
        return Err(too_large);
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| from_reqwest(&e))? {
        if body.len() + chunk.len() > max_body_bytes {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// Classifies reqwest's error by the phase it happened in.
fn from_reqwest(e: &reqwest::Error) -> HttpError {
    if e.is_builder() {
        HttpError::Build(error_chain(e))
    } else if e.is_connect() {
        if e.is_timeout() {
            HttpError::Timeout { sent: false }
        } else {
            HttpError::Connect(error_chain(e))
        }
    } else if e.is_timeout() {
        HttpError::Timeout { sent: true }
    } else {
        HttpError::Interrupted(error_chain(e))
    }
}

/// The error and its sources on one line ("error sending request: ... : connection refused"),
/// without the URL (it can carry query parameters some providers treat as credentials).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = without_url(e);
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// reqwest's message with the URL taken out.
fn without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(url) => text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "<url>"),
        None => text,
    }
}

/// A short, single-line, printable excerpt of a body: tags and control characters removed,
/// whitespace collapsed, secrets masked, cut at [`SNIPPET_CHARS`] characters.
pub fn snippet(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut plain = String::with_capacity(text.len().min(4096));
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if in_tag => {}
            c if c.is_control() || c.is_whitespace() => plain.push(' '),
            c => plain.push(c),
        }
    }
    let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let masked = mask(&collapsed, secrets);
    if masked.chars().count() > SNIPPET_CHARS {
        let cut: String = masked.chars().take(SNIPPET_CHARS).collect();
        format!("{cut}…")
    } else {
        masked
    }
}

fn mask(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_string(), |t, s| t.replace(s, "***"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> HttpError {
        HttpError::Status {
            status,
            code: None,
            message: String::new(),
        }
    }

    #[test]
    fn classification_table() {
        use FailureKind::*;
        let cases: Vec<(HttpError, FailureKind, FailureKind)> = vec![
            // (error, when it moves money, when it does not)
            (HttpError::Connect("refused".into()), Transient, Transient),
            (HttpError::Timeout { sent: false }, Transient, Transient),
            (HttpError::Timeout { sent: true }, InDoubt, Transient),
            (HttpError::Interrupted("reset".into()), InDoubt, Transient),
            (
                HttpError::BodyTooLarge {
                    status: 200,
                    limit: 10,
                },
                InDoubt,
                Transient,
            ),
            (
                HttpError::NotJson {
                    status: 200,
                    content_type: "text/html".into(),
                    snippet: String::new(),
                },
                InDoubt,
                Transient,
            ),
            (
                HttpError::Decode {
                    status: 200,
                    message: String::new(),
                },
                InDoubt,
                Transient,
            ),
            (HttpError::Build("bad url".into()), Rejected, Rejected),
            (status(401), Auth, Auth),
            (status(403), Auth, Auth),
            (status(400), Rejected, Rejected),
            (status(404), Rejected, Rejected),
            (status(409), Rejected, Rejected),
            (status(408), Transient, Transient),
            (status(429), Transient, Transient),
            (status(500), InDoubt, Transient),
            (status(502), InDoubt, Transient),
            (status(503), InDoubt, Transient),
        ];
        for (error, money, other) in cases {
            assert_eq!(error.classify(true), money, "{error:?} moving money");
            assert_eq!(error.classify(false), other, "{error:?} not moving money");
        }
    }

    fn response(status: u16, content_type: &str, body: &str) -> RawResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
        RawResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn parse_error(body: &[u8]) -> Option<(Option<String>, String)> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        Some((
            v["code"].as_str().map(str::to_string),
            v["message"].as_str()?.to_string(),
        ))
    }

    #[test]
    fn error_answers_carry_the_provider_code_or_a_sanitized_page() {
        let json = response(
            400,
            "application/json",
            r#"{"code":"bad","message":"amount"}"#,
        );
        let e = json.status_error(parse_error, &[]);
        assert_eq!(
            e,
            HttpError::Status {
                status: 400,
                code: Some("bad".into()),
                message: "amount".into()
            }
        );
        let failure = e.to_failure(true);
        assert_eq!(failure.kind, FailureKind::Rejected);
        assert_eq!(failure.code.as_deref(), Some("bad"));

        let page = format!(
            "<html><head><title>502 Bad Gateway</title></head>\n<body>\r\n<h1>Bad\tGateway</h1>{}</body></html>",
            "x".repeat(1000)
        );
        let e = response(502, "text/html", &page).status_error(parse_error, &[]);
        let HttpError::Status { message, code, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(code.is_none());
        assert!(
            message.starts_with("Bad Gateway: 502 Bad Gateway Bad Gateway x"),
            "{message}"
        );
        assert!(!message.contains('<') && !message.contains('\n') && !message.contains('\t'));
        assert!(message.chars().count() < 200, "{message}");
        assert_eq!(e.classify(true), FailureKind::InDoubt);
        assert_eq!(e.to_failure(false).code.as_deref(), Some("502"));

        // A JSON content type with a body the provider parser does not know: excerpt too.
        let e = response(500, "application/json", "[1,2]").status_error(parse_error, &[]);
        assert!(
            e.to_string().contains("Internal Server Error: [1,2]"),
            "{e}"
        );
    }

    #[test]
    fn secrets_are_masked_in_excerpts() {
        let body = "<p>Authorization: SECRET hunter2-very-secret was refused</p>";
        let e =
            response(500, "text/html", body).status_error(parse_error, &["hunter2-very-secret"]);
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("***"));
    }

    #[test]
    fn json_answers_are_checked_for_content_type() {
        let ok = response(
            200,
            "application/vnd.mcash.api.merchant.v1+json; charset=utf-8",
            "{\"a\":1}",
        );
        let v: serde_json::Value = ok.json().unwrap();
        assert_eq!(v["a"], 1);
        let html = response(200, "text/html", "<h1>login</h1>");
        assert!(matches!(
            html.json::<serde_json::Value>(),
            Err(HttpError::NotJson { status: 200, .. })
        ));
        let broken = response(200, "application/json", "{");
        assert!(matches!(
            broken.json::<serde_json::Value>(),
            Err(HttpError::Decode { .. })
        ));
        assert!(is_json_type("Application/JSON"));
        assert!(!is_json_type("application/jsonp"));
        assert!(!is_json_type("text/json+html"));
    }
}

#[cfg(test)]
mod server_tests {
    use super::*;
    use crate::providers::test_server::{Answer, serve};

    fn small() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_millis(500),
            max_body_bytes: 1024,
        }
    }

    async fn get(url: &str) -> Result<RawResponse, HttpError> {
        let client = build_client(&small()).unwrap();
        send(client.get(url), small().max_body_bytes).await
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused() {
        let (base, _) = serve(|r| {
            let mut a = Answer::new(200, "application/json", vec![b' '; 4096]);
            a.close_delimited = r.target.contains("stream");
            a
        })
        .await;
        // Announced by Content-Length, and streamed without one.
        for path in ["/sized", "/stream"] {
            let e = get(&format!("{base}{path}")).await.unwrap_err();
            assert_eq!(
                e,
                HttpError::BodyTooLarge {
                    status: 200,
                    limit: 1024
                },
                "{path}"
            );
            assert_eq!(e.classify(true), FailureKind::InDoubt);
        }
        let (base, _) = serve(|_| Answer::json(200, serde_json::json!({"ok": true}))).await;
        let r = get(&base).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().unwrap()["ok"], true);
    }

    #[tokio::test]
    async fn wrong_content_type_and_html_error_pages() {
        let (base, _) = serve(|r| {
            if r.target == "/ok" {
                Answer::new(200, "text/html", "<html>captive portal</html>")
            } else {
                Answer::new(503, "text/html", "<html><body><h1>503 Service Unavailable</h1>\nNo server is available</body></html>")
            }
        })
        .await;
        let r = get(&format!("{base}/ok")).await.unwrap();
        let e = r.json::<serde_json::Value>().unwrap_err();
        assert!(matches!(e, HttpError::NotJson { status: 200, .. }), "{e:?}");
        let r = get(&format!("{base}/down")).await.unwrap();
        let e = r.status_error(|_| None, &[]);
        assert_eq!(
            e.to_string(),
            "HTTP 503: Service Unavailable: 503 Service Unavailable No server is available"
        );
        assert_eq!(e.classify(true), FailureKind::InDoubt);
        assert_eq!(e.classify(false), FailureKind::Transient);
    }

    #[tokio::test]
    async fn slow_answers_time_out_after_sending() {
        let (base, log) = serve(|_| {
            let mut a = Answer::json(200, serde_json::json!({}));
            a.delay = Duration::from_secs(3);
            a
        })
        .await;
        let e = get(&base).await.unwrap_err();
        assert_eq!(e, HttpError::Timeout { sent: true });
        assert_eq!(e.classify(true), FailureKind::InDoubt);
        assert_eq!(log.lock().unwrap().len(), 1, "the request did arrive");
    }

    #[tokio::test]
    async fn refused_connections_are_transient() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = get(&format!("http://{addr}/")).await.unwrap_err();
        assert!(matches!(e, HttpError::Connect(_)), "{e:?}");
        assert_eq!(e.classify(true), FailureKind::Transient);
        assert!(!e.to_string().contains(&addr.to_string()), "no URL in {e}");
    }
}
