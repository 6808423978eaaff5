//! One API request as received: method, the URL the client used, headers and the exact body
//! bytes (the KEY-level content digest is over these bytes, so nothing may re-encode them),
//! and the peer's address (a user's `netmask` is checked against it).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, OriginalUri, Request};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::{ApiError, MEDIA_TYPE};

/// Largest body the simulator reads; mCASH bodies are small.
const MAX_BODY: usize = 1 << 20;

pub struct Call {
    pub method: Method,
    /// `http://<Host><path and query>`, as the client addressed it.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The TCP peer, when the server was started with connect info (the simulator always is).
    pub peer: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let uri = req
            .extensions()
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| req.uri().clone());
        let (parts, body) = req.into_parts();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))
            .unwrap_or("localhost")
            .to_string();
        let pq = uri.path_and_query().map_or("/", |p| p.as_str());
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ApiError::validation("body", "The body is too large.").into_response())?;
        Ok(Call {
            method: parts.method,
            url: format!("http://{host}{pq}"),
            headers: parts.headers,
            body,
            peer,
        })
    }
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Headers as text pairs (for the signing string).
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
            .collect()
    }

    /// The body as a JSON object. An empty body is `{}`. The content type must be JSON.
    pub fn json(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        let ct = self.header("content-type").unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json")
            && !essence.eq_ignore_ascii_case(MEDIA_TYPE)
        {
            return Err(ApiError::media_type(ct));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::validation("body", "Expected a JSON object.")),
            Err(e) => Err(ApiError::validation("body", &format!("Invalid JSON: {e}"))),
        }
    }
}
