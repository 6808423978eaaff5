//! ideabiz tokens (NOTES.md): the password grant with `Authorization: Basic
//! base64(consumer_key:consumer_secret)`, 3600-second access tokens, and the refresh grant,
//! which rotates the refresh token. The newest refresh token is persisted (mode 0600, under the
//! storage path) so a restart renews with it instead of sending the password again; a refresh
//! answered `invalid_grant` falls back to the password grant.
//!
//! One renewal at a time: the state sits behind an async mutex held across the grant, and a
//! caller whose token was refused renews only if that token is still the current one (its
//! generation), so six calls refused together make one grant.
//!
//! Decided here: the grant goes in the form body (NOTES: accepted beside the query string),
//! so the password never sits in a URL; a token is treated as expired 60 s before its
//! `expires_in` by the client's own clock; a persisted token is used only for the same
//! consumer key, user name and scope.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::client::EzcashError;
use super::wire::{OAuthError, TokenAnswer};
use crate::providers::http::{self, HttpConfig, HttpError};

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

/// Seconds before the announced expiry at which a token is renewed anyway.
const MARGIN_SECONDS: u64 = 60;
/// `expires_in` when the answer has none readable (NOTES: 3600).
const DEFAULT_LIFETIME: u64 = 3600;

/// What the token manager needs.
#[derive(Clone)]
pub struct TokenConfig {
    /// `{base_url}token`.
    pub url: reqwest::Url,
    pub consumer_key: String,
    pub consumer_secret: SecretString,
    pub username: String,
    pub password: SecretString,
    /// `PRODUCTION` or `SANDBOX`.
    pub scope: String,
    /// Where the newest refresh token is kept; `None`: memory only.
    pub file: Option<PathBuf>,
    pub http: HttpConfig,
}

/// How a token is renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// The gateway said expired: the refresh grant, else the password grant.
    Refresh,
    /// The gateway said invalid or inactive: the password grant.
    Password,
}

/// An access token and its generation (which renewal made it).
#[derive(Clone)]
pub struct Bearer {
    pub token: SecretString,
    pub generation: u64,
}

#[derive(Default)]
struct State {
    access: Option<(SecretString, u64)>,
    refresh: Option<SecretString>,
    generation: u64,
    loaded: bool,
}

/// The persisted refresh token.
#[derive(Serialize, Deserialize)]
struct Stored {
    consumer_key: String,
    username: String,
    scope: String,
    refresh_token: String,
}

pub struct Tokens {
    config: TokenConfig,
    http: reqwest::Client,
    clock: Clock,
    state: Mutex<State>,
}

impl Tokens {
    pub fn new(config: TokenConfig, clock: Clock) -> Result<Tokens, HttpError> {
        let http = http::build_client(&config.http)?;
        Ok(Tokens {
            config,
            http,
            clock,
            state: Mutex::new(State::default()),
        })
    }

    /// The current access token, fetched or renewed first when there is none or it is about to
    /// expire.
    pub async fn bearer(&self) -> Result<Bearer, EzcashError> {
        let mut state = self.state.lock().await;
        self.load(&mut state);
        let now = (self.clock)();
        if let Some((token, until)) = &state.access
            && now < *until
        {
            return Ok(Bearer {
                token: token.clone(),
                generation: state.generation,
            });
        }
        let how = if state.refresh.is_some() {
            Renewal::Refresh
        } else {
            Renewal::Password
        };
        self.renew(&mut state, how).await
    }

    /// After the gateway refused the token of `generation`: renews it unless another caller
    /// did already, and answers the token to retry with.
    pub async fn renew_after(&self, generation: u64, how: Renewal) -> Result<Bearer, EzcashError> {
        let mut state = self.state.lock().await;
        if state.generation != generation
            && let Some((token, _)) = &state.access
        {
            return Ok(Bearer {
                token: token.clone(),
                generation: state.generation,
            });
        }
        if how == Renewal::Password {
            // Invalid or inactive: neither token is worth another try.
            state.refresh = None;
        }
        state.access = None;
        self.renew(&mut state, how).await
    }

    /// Secrets of the token side, to mask out of error excerpts.
    pub fn secrets(&self) -> Vec<String> {
        vec![
            self.config.consumer_secret.expose_secret().to_string(),
            self.config.password.expose_secret().to_string(),
        ]
    }

    async fn renew(&self, state: &mut State, how: Renewal) -> Result<Bearer, EzcashError> {
        let answer = match (how, state.refresh.clone()) {
            (Renewal::Refresh, Some(refresh)) => match self.refresh_grant(&refresh).await {
                Err(EzcashError::TokenRefused { error, .. }) if error == "invalid_grant" => {
                    tracing::info!("ezcash refresh token refused; password grant");
                    state.refresh = None;
                    self.password_grant().await
                }
                other => other,
            },
            _ => self.password_grant().await,
        };
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                state.access = None;
                if matches!(e, EzcashError::TokenRefused { .. }) {
                    state.refresh = None;
                }
                return Err(e);
            }
        };
        let lifetime = answer
            .expires_in
            .as_ref()
            .and_then(|l| l.number())
            .unwrap_or(DEFAULT_LIFETIME);
        let until = (self.clock)()
            .saturating_add(lifetime.saturating_sub(MARGIN_SECONDS).saturating_mul(1000));
        let token = SecretString::from(answer.access_token);
        state.access = Some((token.clone(), until));
        state.generation += 1;
        if let Some(refresh) = answer.refresh_token.filter(|r| !r.is_empty()) {
            self.store(&refresh);
            state.refresh = Some(SecretString::from(refresh));
        }
        Ok(Bearer {
            token,
            generation: state.generation,
        })
    }

    async fn password_grant(&self) -> Result<TokenAnswer, EzcashError> {
        let form = [
            ("grant_type", "password"),
            ("username", self.config.username.as_str()),
            ("password", self.config.password.expose_secret()),
            ("scope", self.config.scope.as_str()),
        ];
        self.grant(&form).await
    }

    async fn refresh_grant(&self, refresh: &SecretString) -> Result<TokenAnswer, EzcashError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
            ("scope", self.config.scope.as_str()),
        ];
        self.grant(&form).await
    }

    async fn grant(&self, form: &[(&str, &str)]) -> Result<TokenAnswer, EzcashError> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.config.consumer_key,
            self.config.consumer_secret.expose_secret()
        ));
        let mut auth = reqwest::header::HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| EzcashError::Token(HttpError::Build("bad consumer key".into())))?;
        auth.set_sensitive(true);
        let request = self
            .http
            .post(self.config.url.clone())
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form_body(form));
        let response = http::send(request, self.config.http.max_body_bytes)
            .await
            .map_err(EzcashError::Token)?;
        if response.is_success() {
            return response.json::<TokenAnswer>().map_err(EzcashError::Token);
        }
        if let Ok(e) = serde_json::from_slice::<OAuthError>(&response.body) {
            return Err(EzcashError::TokenRefused {
                status: response.status,
                error: e.error,
                description: e.error_description.unwrap_or_default(),
            });
        }
        let secrets = self.secrets();
        let masks: Vec<&str> = secrets.iter().map(String::as_str).collect();
        Err(EzcashError::Token(response.status_error(|_| None, &masks)))
    }

    /// Reads the persisted refresh token once, if it belongs to this account.
    fn load(&self, state: &mut State) {
        if state.loaded {
            return;
        }
        state.loaded = true;
        let Some(path) = &self.config.file else {
            return;
        };
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        match serde_json::from_slice::<Stored>(&bytes) {
            Ok(s)
                if s.consumer_key == self.config.consumer_key
                    && s.username == self.config.username
                    && s.scope == self.config.scope =>
            {
                state.refresh = Some(SecretString::from(s.refresh_token));
            }
            Ok(_) => tracing::info!("ezcash stored refresh token is another account's; ignored"),
            Err(_) => {
                tracing::warn!(path = %path.display(), "ezcash token file unreadable; ignored")
            }
        }
    }

    /// Persists the newest refresh token; a failure costs a password grant at the next start.
    fn store(&self, refresh: &str) {
        let Some(path) = &self.config.file else {
            return;
        };
        let stored = Stored {
            consumer_key: self.config.consumer_key.clone(),
            username: self.config.username.clone(),
            scope: self.config.scope.clone(),
            refresh_token: refresh.to_string(),
        };
        if let Err(e) = write_private(path, &stored) {
            tracing::warn!(path = %path.display(), error = %e, "cannot keep the ezcash refresh token");
        }
    }
}

/// Writes `value` as JSON to `path` with mode 0600, through a temporary file and a rename.
fn write_private(path: &Path, value: &Stored) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(&serde_json::to_vec(value).map_err(std::io::Error::other)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// `application/x-www-form-urlencoded`.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_encoded() {
        assert_eq!(
            form_body(&[("grant_type", "password"), ("password", "a b&c=d/é")]),
            "grant_type=password&password=a+b%26c%3Dd%2F%C3%A9"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_token_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("kassa-ezcash-tok-{}", std::process::id()));
        let path = dir.join("sub").join("token.json");
        let stored = Stored {
            consumer_key: "k".into(),
            username: "u".into(),
            scope: "PRODUCTION".into(),
            refresh_token: "r1".into(),
        };
        write_private(&path, &stored).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let back: Stored = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back.refresh_token, "r1");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
