//! mCASH request signing at the KEY auth level (and verification of mCASH's signed callbacks).
//!
//! The scheme (NOTES.md, checked against `testdata/mcash-rsa/`): the signed string is
//! `METHOD|URL|HEADERS`, where URL is the full URL with its query and with scheme and host
//! lower-cased, and HEADERS is every `X-MCASH-*` header, name upper-cased, sorted, written
//! `NAME=value` and joined with `&`. The signature is RSASSA-PKCS1-v1_5 over SHA-256, base64,
//! sent as `Authorization: RSA-SHA256 <b64>`. `X-Mcash-Timestamp` is UTC (integrators were bitten
//! by local time) and `X-Mcash-Content-Digest` is over the exact bytes sent.
//!
//! Decided here (the documents leave it open): headers with the same upper-cased name are sorted
//! by value as well, so the string is deterministic; a verifier accepts the `RSA-SHA256` scheme
//! word case-insensitively but nothing else.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{Keypair, SignatureEncoding, Signer as _, Verifier as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;
use time::macros::format_description;

/// The `Authorization` scheme word for KEY-level requests.
pub const SCHEME: &str = "RSA-SHA256";

/// Prefix of the headers that are signed (compared upper-cased).
const SIGNED_PREFIX: &str = "X-MCASH-";

/// What can go wrong loading keys, signing or verifying. Never carries key material.
#[derive(Debug, Error)]
pub enum SignError {
    #[error("cannot read the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("not an RSA private key in PKCS#1 or PKCS#8 PEM form")]
    PrivateKey,
    #[error("not an RSA public key in SPKI (or PKCS#1) PEM form")]
    PublicKey,
    #[error("timestamp {0} is outside the range mCASH timestamps can express")]
    TimestampRange(u64),
    #[error("timestamp {0:?} is not in the form YYYY-MM-DD hh:mm:ss")]
    TimestampForm(String),
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("authorization scheme is not RSA-SHA256")]
    WrongScheme,
    #[error("signature is not valid base64 of an RSA signature")]
    SignatureEncoding,
    #[error("signature does not match the request")]
    SignatureMismatch,
    #[error("content digest does not match the body")]
    DigestMismatch,
}

/// The string that is signed: `METHOD|URL|HEADERS` (see the module comment).
///
/// `headers` may contain any headers; only `X-MCASH-*` ones are used.
pub fn signing_string<'a, I>(method: &str, url: &str, headers: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut signed: Vec<(String, &str)> = headers
        .into_iter()
        .map(|(name, value)| (name.to_ascii_uppercase(), value))
        .filter(|(name, _)| name.starts_with(SIGNED_PREFIX))
        .collect();
    signed.sort();
    let headers = signed
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}|{}|{}",
        method.to_ascii_uppercase(),
        normalize_url(url),
        headers
    )
}

/// Lower-cases scheme and host (with port); path and query are kept exactly.
fn normalize_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    format!(
        "{}{}",
        url[..authority_end].to_ascii_lowercase(),
        &url[authority_end..]
    )
}

/// `SHA256=<base64 of SHA-256 over the exact body bytes>`, the `X-Mcash-Content-Digest` value.
pub fn content_digest(body: &[u8]) -> String {
    format!("SHA256={}", B64.encode(Sha256::digest(body)))
}

/// `YYYY-MM-DD hh:mm:ss` in UTC, the `X-Mcash-Timestamp` value.
pub fn timestamp(unix_secs: u64) -> Result<String, SignError> {
    let secs = i64::try_from(unix_secs).map_err(|_| SignError::TimestampRange(unix_secs))?;
    let at = OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| SignError::TimestampRange(unix_secs))?;
    at.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .map_err(|_| SignError::TimestampRange(unix_secs))
}

/// Parses an `X-Mcash-Timestamp` (UTC) back to Unix seconds, for freshness checks.
pub fn parse_timestamp(text: &str) -> Result<u64, SignError> {
    let form = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let at = time::PrimitiveDateTime::parse(text, form)
        .map_err(|_| SignError::TimestampForm(text.to_string()))?;
    u64::try_from(at.assume_utc().unix_timestamp())
        .map_err(|_| SignError::TimestampForm(text.to_string()))
}

/// Signs KEY-level requests with the merchant user's RSA private key.
///
/// The key lives in `rsa`'s `SigningKey`, which zeroizes itself on drop; the PEM text is only
/// ever held as a `SecretString`. Cloning shares the one key.
#[derive(Clone)]
pub struct Signer {
    key: Arc<SigningKey<Sha256>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(RSA private key, redacted)")
    }
}

impl Signer {
    /// From PEM text: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`).
    pub fn from_pem(pem: &SecretString) -> Result<Signer, SignError> {
        let text = pem.expose_secret().trim();
        let key = RsaPrivateKey::from_pkcs1_pem(text)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(text))
            .map_err(|_| SignError::PrivateKey)?;
        Ok(Signer {
            key: Arc::new(SigningKey::new(key)),
        })
    }

    /// Reads a PEM file (the config's `private_key_file`).
    pub fn from_pem_file(path: &Path) -> Result<Signer, SignError> {
        let text = std::fs::read_to_string(path).map_err(|source| SignError::KeyFile {
            path: path.display().to_string(),
            source,
        })?;
        Signer::from_pem(&SecretString::from(text))
    }

    /// Base64 RSA-SHA256 signature of `signing_string`.
    pub fn signature_b64(&self, signing_string: &str) -> String {
        let sig: Signature = self.key.sign(signing_string.as_bytes());
        B64.encode(sig.to_bytes())
    }

    /// The `Authorization` header value: `RSA-SHA256 <b64>`.
    pub fn authorization(&self, signing_string: &str) -> String {
        format!("{SCHEME} {}", self.signature_b64(signing_string))
    }

    /// The matching public key, for `Verifier`s in tests and the simulator.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            key: self.key.verifying_key(),
        }
    }
}

/// Checks RSA-SHA256 signatures: mCASH's callbacks, and KEY requests in the simulator.
#[derive(Clone, Debug)]
pub struct Verifier {
    key: VerifyingKey<Sha256>,
}

impl Verifier {
    /// From an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
    pub fn from_pem(pem: &str) -> Result<Verifier, SignError> {
        let text = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(text)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(text))
            .map_err(|_| SignError::PublicKey)?;
        Ok(Verifier {
            key: VerifyingKey::new(key),
        })
    }

    /// Verifies a base64 signature over `signing_string`.
    pub fn verify_b64(&self, signing_string: &str, signature_b64: &str) -> Result<(), SignError> {
        let bytes = B64
            .decode(signature_b64.trim())
            .map_err(|_| SignError::SignatureEncoding)?;
        let sig =
            Signature::try_from(bytes.as_slice()).map_err(|_| SignError::SignatureEncoding)?;
        self.key
            .verify(signing_string.as_bytes(), &sig)
            .map_err(|_| SignError::SignatureMismatch)
    }

    /// Verifies an `Authorization` header value (`RSA-SHA256 <b64>`) over `signing_string`.
    pub fn verify_authorization(
        &self,
        signing_string: &str,
        authorization: &str,
    ) -> Result<(), SignError> {
        let (scheme, sig) = authorization
            .trim()
            .split_once(' ')
            .ok_or(SignError::WrongScheme)?;
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(SignError::WrongScheme);
        }
        self.verify_b64(signing_string, sig)
    }

    /// Verifies a whole request: the content digest header against `body`, then the
    /// `Authorization` signature over the request's signing string. Timestamp freshness is the
    /// caller's policy (see [`parse_timestamp`]).
    pub fn verify_request<'a, I>(
        &self,
        method: &str,
        url: &str,
        headers: I,
        body: &[u8],
    ) -> Result<(), SignError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
    {
        let find = |wanted: &str| {
            headers
                .clone()
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value)
        };
        let authorization =
            find("Authorization").ok_or(SignError::MissingHeader("Authorization"))?;
        let digest = find("X-Mcash-Content-Digest")
            .ok_or(SignError::MissingHeader("X-Mcash-Content-Digest"))?;
        if digest != content_digest(body) {
            return Err(SignError::DigestMismatch);
        }
        find("X-Mcash-Timestamp").ok_or(SignError::MissingHeader("X-Mcash-Timestamp"))?;
        self.verify_authorization(&signing_string(method, url, headers), authorization)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verified vector lives beside the repository; read at test time with a clear message.
    fn vector(file: &str) -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/providers/testdata/mcash-rsa/"
        )
        .to_string()
            + file;
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("test vector {path} is missing ({e}): ../shared must be beside the repo")
        })
    }

    const MERCHANT: &str = "T9oWAQ3FSl6oeITuR2ZGWA";
    const URL: &str = "http://server.test/some/resource/";

    fn vector_headers(body: &[u8]) -> Vec<(String, String)> {
        vec![
            ("X-Mcash-Merchant".into(), MERCHANT.into()),
            ("X-Mcash-User".into(), "POS1".into()),
            ("X-Mcash-Timestamp".into(), "2013-10-05 21:33:46".into()),
            ("X-Mcash-Content-Digest".into(), content_digest(body)),
            ("Content-Type".into(), "application/json".into()),
            (
                "Accept".into(),
                "application/vnd.mcash.api.merchant.v1+json".into(),
            ),
        ]
    }

    fn pairs(h: &[(String, String)]) -> Vec<(&str, &str)> {
        h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    #[test]
    fn digest_and_timestamp_match_the_vector() {
        let body = vector("body.json");
        assert_eq!(
            content_digest(body.as_bytes()),
            "SHA256=oWVxV3hhr8+LfVEYkv57XxW2R1wdhLsrfu3REAzmS7k="
        );
        assert_eq!(
            content_digest(b""),
            "SHA256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        // 2013-10-05 21:33:46 UTC
        assert_eq!(timestamp(1_381_008_826).unwrap(), "2013-10-05 21:33:46");
        assert_eq!(
            parse_timestamp("2013-10-05 21:33:46").unwrap(),
            1_381_008_826
        );
        assert_eq!(timestamp(0).unwrap(), "1970-01-01 00:00:00");
        assert!(parse_timestamp("2013-10-05T21:33:46Z").is_err());
        assert!(timestamp(u64::MAX).is_err());
    }

    #[test]
    fn signing_string_matches_the_vector() {
        let body = vector("body.json");
        let headers = vector_headers(body.as_bytes());
        let s = signing_string("POST", URL, pairs(&headers));
        assert_eq!(s, vector("signing-string.txt"));
        // Scheme and host are lower-cased, path and query kept.
        let s = signing_string("post", "HTTP://Server.TEST:8080/A/b/?Q=X", pairs(&headers));
        assert!(
            s.starts_with("POST|http://server.test:8080/A/b/?Q=X|X-MCASH-CONTENT"),
            "{s}"
        );
    }

    #[test]
    fn signature_reproduces_the_vector_byte_for_byte() {
        let signer = Signer::from_pem(&SecretString::from(vector("private.pem"))).unwrap();
        let expected = vector("signature.b64");
        let sig = signer.signature_b64(&vector("signing-string.txt"));
        assert_eq!(sig, expected.trim());
        assert_eq!(
            signer.authorization(&vector("signing-string.txt")),
            format!("RSA-SHA256 {}", expected.trim())
        );
    }

    #[test]
    fn verifier_accepts_the_vector_and_rejects_any_change() {
        let verifier = Verifier::from_pem(&vector("public.pem")).unwrap();
        let sig = vector("signature.b64");
        let string = vector("signing-string.txt");
        verifier.verify_b64(&string, &sig).unwrap();
        // One byte of the signing string changed (the timestamp's last second digit).
        let altered = string.replace("21:33:46", "21:33:47");
        assert_ne!(altered, string);
        assert!(matches!(
            verifier.verify_b64(&altered, &sig),
            Err(SignError::SignatureMismatch)
        ));

        // The whole request: headers as sent, body as sent.
        let body = vector("body.json");
        let mut headers = vector_headers(body.as_bytes());
        headers.push(("Authorization".into(), format!("RSA-SHA256 {}", sig.trim())));
        verifier
            .verify_request("POST", URL, pairs(&headers), body.as_bytes())
            .unwrap();
        // One byte of the body changed: the digest no longer matches.
        let changed = body.replace("Hello", "Jello");
        assert!(matches!(
            verifier.verify_request("POST", URL, pairs(&headers), changed.as_bytes()),
            Err(SignError::DigestMismatch)
        ));
        // Digest recomputed for the changed body: the signature no longer matches.
        let mut forged = vector_headers(changed.as_bytes());
        forged.push(("Authorization".into(), format!("RSA-SHA256 {}", sig.trim())));
        assert!(matches!(
            verifier.verify_request("POST", URL, pairs(&forged), changed.as_bytes()),
            Err(SignError::SignatureMismatch)
        ));
        // Another URL, or another scheme word.
        assert!(
            verifier
                .verify_request(
                    "POST",
                    "http://server.test/other/",
                    pairs(&headers),
                    body.as_bytes()
                )
                .is_err()
        );
        assert!(matches!(
            verifier.verify_authorization(&string, &format!("SECRET {}", sig.trim())),
            Err(SignError::WrongScheme)
        ));
    }

    #[test]
    fn pkcs8_keys_sign_identically_and_signer_verifies_itself() {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let pkcs1 = vector("private.pem");
        let key = RsaPrivateKey::from_pkcs1_pem(pkcs1.trim()).unwrap();
        let pkcs8 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let signer = Signer::from_pem(&SecretString::from(pkcs8.to_string())).unwrap();
        let string = vector("signing-string.txt");
        assert_eq!(
            signer.signature_b64(&string),
            vector("signature.b64").trim()
        );
        signer
            .verifier()
            .verify_b64(&string, &signer.signature_b64(&string))
            .unwrap();
    }

    #[test]
    fn bad_keys_are_errors_and_debug_shows_no_key() {
        assert!(matches!(
            Signer::from_pem(&SecretString::from("not a key".to_string())),
            Err(SignError::PrivateKey)
        ));
        assert!(matches!(
            Verifier::from_pem("nope"),
            Err(SignError::PublicKey)
        ));
        let missing = Signer::from_pem_file(Path::new("/nonexistent/key.pem")).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/key.pem"));

        let pem = vector("private.pem");
        let signer = Signer::from_pem(&SecretString::from(pem.clone())).unwrap();
        let shown = format!("{signer:?}");
        assert!(shown.contains("redacted"));
        // No line of the key's base64 body appears.
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!shown.contains(line));
        }
        assert!(!shown.contains("MII"));
    }
}
