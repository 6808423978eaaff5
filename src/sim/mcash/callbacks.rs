//! Signed callbacks to `callback_uri` and progress lines to `display_message_uri`, sent by one
//! background task in the order the changes happened (a receiver sees "scanned" before
//! "paid"), each with a timeout, so a slow or absent receiver never holds up the API.
//!
//! The body is `{"meta": {"id", "event", "uri", "timestamp"}, "object": {...}}`; over plain HTTP
//! `object` is left out and the receiver fetches `meta.uri` (NOTES). A display message has the
//! event `display_message` and always carries `object` `{"tid", "text"}`: the document says
//! only that progress messages are POSTed, the envelope is our decision, and the text holds
//! nothing private. Every request is signed like a KEY-level request, with the simulator's own
//! key ([`crate::providers::mcash::sign`]); the matching public key is
//! [`CallbackKey::public_pem`] (control command `callback_key`). Failed deliveries are logged,
//! not retried.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::{OnceCell, mpsc};

use crate::providers::mcash::sign::{self, Signer};

use super::state::{Notice, datetime, new_id};
use super::{MEDIA_TYPE, SimClock};

const TIMEOUT: Duration = Duration::from_secs(5);
const KEY_BITS: usize = 2048;

/// The simulator's signing key and its public half as PEM.
pub struct CallbackKey {
    signer: Signer,
    public_pem: String,
}

impl CallbackKey {
    /// From a PKCS#1 or PKCS#8 private key PEM (tests pass one to skip key generation).
    pub fn from_private_pem(pem: &SecretString) -> Result<CallbackKey, String> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        use secrecy::ExposeSecret;
        let text = pem.expose_secret().trim();
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(text)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(text))
            .map_err(|_| "the callback key is not an RSA private key PEM".to_string())?;
        Self::from_key(&key)
    }

    /// A fresh key (takes a while: call it off the async threads).
    pub fn generate() -> Result<CallbackKey, String> {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)
            .map_err(|e| format!("cannot generate the callback key: {e}"))?;
        Self::from_key(&key)
    }

    fn from_key(key: &rsa::RsaPrivateKey) -> Result<CallbackKey, String> {
        let private = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the callback key: {e}"))?;
        let signer = Signer::from_pem(&SecretString::from(private.to_string()))
            .map_err(|e| e.to_string())?;
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the callback public key: {e}"))?;
        Ok(CallbackKey { signer, public_pem })
    }

    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }
}

/// Sends notices; the key is made on first use unless one was given.
#[derive(Clone)]
pub struct Callbacks {
    key: Arc<OnceCell<Option<Arc<CallbackKey>>>>,
    client: reqwest::Client,
    clock: SimClock,
    merchant_id: String,
    /// The delivery task's queue, started on the first notice.
    queue: Arc<Mutex<Option<mpsc::UnboundedSender<Notice>>>>,
}

impl Callbacks {
    pub fn new(clock: SimClock, merchant_id: String, key: Option<CallbackKey>) -> Callbacks {
        let cell = match key {
            Some(k) => OnceCell::new_with(Some(Some(Arc::new(k)))),
            None => OnceCell::new(),
        };
        Callbacks {
            key: Arc::new(cell),
            client: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
            clock,
            merchant_id,
            queue: Arc::new(Mutex::new(None)),
        }
    }

    pub async fn key(&self) -> Option<Arc<CallbackKey>> {
        self.key
            .get_or_init(|| async {
                match tokio::task::spawn_blocking(CallbackKey::generate).await {
                    Ok(Ok(k)) => Some(Arc::new(k)),
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "mCASH simulator has no callback key");
                        None
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "callback key generation failed");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The public key PEM if the key exists already.
    pub fn ready_public_pem(&self) -> Option<String> {
        self.key
            .get()
            .and_then(|k| k.as_ref().map(|k| k.public_pem().to_string()))
    }

    /// Starts making the key in the background.
    pub fn warm(&self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let this = self.clone();
            rt.spawn(async move {
                this.key().await;
            });
        }
    }

    /// Queues notices for the delivery task, in order. Needs a Tokio runtime.
    pub fn send(&self, notices: Vec<Notice>) {
        if notices.is_empty() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut pending = notices;
        if let Some(tx) = queue.as_ref() {
            match send_all(tx, pending) {
                Ok(()) => return,
                // The task ended with its runtime (a test's): start another.
                Err(rest) => pending = rest,
            }
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Notice>();
        let this = self.clone();
        rt.spawn(async move {
            while let Some(n) = rx.recv().await {
                if let Err(e) = this.deliver(&n).await {
                    tracing::warn!(uri = %n.callback_uri, event = n.event, error = %e, "callback failed");
                }
            }
        });
        // A fresh channel whose receiver is alive takes everything.
        let _ = send_all(&tx, pending);
        *queue = Some(tx);
    }

    async fn deliver(&self, n: &Notice) -> Result<(), String> {
        let key = self.key().await.ok_or("no callback key")?;
        let secure = n.callback_uri.starts_with("https://");
        let mut body = json!({
            "meta": {
                "id": new_id(22),
                "event": n.event,
                "uri": n.resource_uri,
                "timestamp": datetime(self.clock.now()),
            }
        });
        if secure || n.object_over_http {
            body["object"] = n.object.clone();
        }
        let bytes = body.to_string().into_bytes();
        let stamp = sign::timestamp(
            u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0),
        )
        .map_err(|e| e.to_string())?;
        let digest = sign::content_digest(&bytes);
        let headers = [
            ("X-Mcash-Merchant", self.merchant_id.as_str()),
            ("X-Mcash-Timestamp", stamp.as_str()),
            ("X-Mcash-Content-Digest", digest.as_str()),
        ];
        let signing = sign::signing_string("POST", &n.callback_uri, headers.iter().copied());
        let mut req = self
            .client
            .post(&n.callback_uri)
            .header("Content-Type", "application/json")
            .header("Accept", MEDIA_TYPE)
            .header("Authorization", key.signer.authorization(&signing));
        for (name, value) in headers {
            req = req.header(name, value);
        }
        let resp = req.body(bytes).send().await.map_err(|e| e.to_string())?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("receiver answered {}", resp.status()))
        }
    }
}

/// Sends in order; on a closed channel gives back what was not sent.
fn send_all(tx: &mpsc::UnboundedSender<Notice>, notices: Vec<Notice>) -> Result<(), Vec<Notice>> {
    let mut iter = notices.into_iter();
    while let Some(n) = iter.next() {
        if let Err(mpsc::error::SendError(n)) = tx.send(n) {
            let mut rest = vec![n];
            rest.extend(iter);
            return Err(rest);
        }
    }
    Ok(())
}
