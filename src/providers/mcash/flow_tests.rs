//! The provider against a scripted local HTTP server (not the simulator): headers, auth
//! levels, KEY signatures, POS/shortlink start-up, start, recovery and refund.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::SecretString;
use serde_json::json;

use super::client::{McashClient, McashConfig};
use super::sign::{Signer, Verifier};
use super::wire::PosType;
use super::{McashProvider, McashProviderConfig};
use crate::core::Millis;
use crate::core::provider::{FailureKind, Operation, PaymentHandle, PaymentStatus, Prompt, Reply};
use crate::core::sale::{Capture, Flow, Msisdn, SaleKey, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Log, Request, serve};

const NOW_MS: u64 = 1_381_008_826_000; // 2013-10-05 21:33:46 UTC

fn vector(file: &str) -> String {
    let path = format!(
        "{}/../shared/providers/testdata/mcash-rsa/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("test vector {path}: {e}"))
}

fn provider(base: &str, key: bool) -> McashProvider {
    let config = McashConfig {
        base_url: format!("{base}/merchant/v1/"),
        merchant_id: "M1".into(),
        user_id: "POS1".into(),
        secret: SecretString::from("the-secret-123".to_string()),
        private_key: key
            .then(|| Signer::from_pem(&SecretString::from(vector("private.pem"))).unwrap()),
        testbed_token: Some(SecretString::from("tb-token-456".to_string())),
        http: HttpConfig::default(),
    };
    let clock: super::client::Clock = Arc::new(|| NOW_MS);
    let client = McashClient::new(config, clock.clone()).unwrap();
    McashProvider::new(
        client,
        McashProviderConfig {
            pos_id: "till-1".into(),
            pos_name: "Till 1".into(),
            pos_type: PosType::Store,
            shortlink_id: None,
            max_scan_age: 60,
            expires_in: 300,
            ledger: None,
            text: None,
        },
        clock,
    )
}

fn sale(flow: Flow) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse("T1-000007").unwrap(),
        amount: Money::from_minor(1250, Currency::NOK),
        flow,
        capture: Capture::Sale,
    }
}

/// A small mCASH: POS exists already, one foreign shortlink, idempotent payment requests.
fn mcash() -> impl Fn(&Request) -> Answer + Send + Sync + 'static {
    let creates = Arc::new(AtomicUsize::new(0));
    move |r: &Request| {
        let path = r.target.trim_start_matches("/merchant/v1/");
        match (r.method.as_str(), path) {
            ("POST", "pos/") => Answer::json(
                409,
                json!({"error_type": "conflict", "error_description": "POS already exists"}),
            ),
            ("PUT", "pos/till-1/") => Answer::empty(204),
            ("GET", "shortlink/") => Answer::json(
                200,
                json!({"uris": ["/merchant/v1/shortlink/other/"], "next": null, "prev": null}),
            ),
            ("GET", "shortlink/other/") => {
                Answer::json(200, json!({"id": "other", "serial_number": "till-9"}))
            }
            ("POST", "shortlink/") => Answer::json(201, json!({"id": "h3lBe"})),
            ("POST", "payment_request/") => {
                let status = if creates.fetch_add(1, Ordering::SeqCst) == 0 {
                    201
                } else {
                    200
                };
                Answer::json(status, json!({"id": "TID1", "uri": null}))
                    .with_header("Location", "/merchant/v1/payment_request/TID1/")
            }
            ("GET", "payment_request/TID1/outcome/") => Answer::json(
                200,
                json!({"currency": "NOK", "amount": "12.50", "status": "ok", "status_code": 2000,
                       "pos_id": "till-1", "pos_tid": "T1-000007", "tid": "TID1"}),
            ),
            ("PUT", "payment_request/TID1/") => Answer::empty(204),
            _ => Answer::json(404, json!({"error_type": "not_found"})),
        }
    }
}

fn requests(log: &Log) -> Vec<Request> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn start_up_registers_pos_and_shortlink_then_qr_sale_and_recovery() {
    let (base, log) = serve(mcash()).await;
    let p = provider(&base, false);
    p.start_up().await.unwrap();
    assert_eq!(p.shortlink_id().as_deref(), Some("h3lBe"));

    let reply = p.call(Operation::Start(sale(Flow::Qr))).await.unwrap();
    assert_eq!(
        reply,
        Reply::Started {
            handle: PaymentHandle("TID1".into()),
            prompt: Prompt::Qr {
                payload: "http://mca.sh/s/h3lBe/till-1".into(),
                expires_at: Millis(NOW_MS + 300_000),
            }
        }
    );
    let reqs = requests(&log);
    let create = reqs
        .iter()
        .find(|r| r.method == "POST" && r.target.ends_with("/payment_request/"))
        .unwrap();
    assert_eq!(
        create.json(),
        json!({"customer": "shortlink_id:h3lBe", "max_scan_age": 60, "currency": "NOK",
               "amount": "12.50", "allow_credit": false, "pos_id": "till-1",
               "pos_tid": "T1-000007", "action": "sale", "expires_in": 300})
    );
    assert_eq!(
        create.header("Authorization"),
        Some("SECRET the-secret-123")
    );
    assert_eq!(
        create.header("Accept"),
        Some("application/vnd.mcash.api.merchant.v1+json")
    );
    assert_eq!(create.header("Content-Type"), Some("application/json"));
    assert_eq!(create.header("X-Mcash-Merchant"), Some("M1"));
    assert_eq!(create.header("X-Mcash-User"), Some("POS1"));
    assert_eq!(create.header("X-Testbed-Token"), Some("tb-token-456"));
    // The POS was updated after the create's 409.
    assert!(reqs.iter().any(|r| r.method == "PUT"
        && r.target == "/merchant/v1/pos/till-1/"
        && r.json() == json!({"name": "Till 1", "type": "store"})));

    // Recovery re-POSTs the identical body and reads the outcome; no second request.
    let found = p.call(Operation::Recover(sale(Flow::Qr))).await.unwrap();
    assert_eq!(
        found,
        Reply::Found {
            handle: PaymentHandle("TID1".into()),
            status: PaymentStatus::Approved {
                reference: "TID1".into()
            },
            prompt: None,
        }
    );
    let creates: Vec<Vec<u8>> = requests(&log)
        .into_iter()
        .filter(|r| r.method == "POST" && r.target.ends_with("/payment_request/"))
        .map(|r| r.body)
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0], creates[1], "recovery must send the same bytes");
}

#[tokio::test]
async fn push_sale_targets_the_phone() {
    let (base, log) = serve(mcash()).await;
    let p = provider(&base, false);
    let phone = Msisdn::parse("4791234567").unwrap();
    let reply = p
        .call(Operation::Start(sale(Flow::Push {
            phone: phone.clone(),
        })))
        .await
        .unwrap();
    assert!(matches!(
        reply,
        Reply::Started { prompt: Prompt::PushSent { phone: ref p, .. }, .. } if *p == phone
    ));
    let create = requests(&log).pop().unwrap();
    assert_eq!(create.json()["customer"], json!("4791234567"));
    assert!(create.json().get("max_scan_age").is_none());
}

#[tokio::test]
async fn refunds_are_key_signed_over_the_exact_bytes() {
    let (base, log) = serve(mcash()).await;
    let refund = Operation::Refund {
        handle: PaymentHandle("TID1".into()),
        amount: Money::from_minor(500, Currency::NOK),
        key: SaleKey::parse("T1-000007-R1").unwrap(),
    };
    // Without a key: refused before anything is sent.
    let no_key = provider(&base, false)
        .call(refund.clone())
        .await
        .unwrap_err();
    assert_eq!(no_key.kind, FailureKind::Rejected);
    assert!(
        no_key.message.contains("private_key_file"),
        "{}",
        no_key.message
    );
    assert!(requests(&log).is_empty());

    let reply = provider(&base, true).call(refund).await.unwrap();
    assert_eq!(
        reply,
        Reply::Refunded {
            reference: "T1-000007-R1".into()
        }
    );
    let put = requests(&log).pop().unwrap();
    assert_eq!(put.header("X-Mcash-Timestamp"), Some("2013-10-05 21:33:46"));
    assert!(
        put.header("Authorization")
            .unwrap()
            .starts_with("RSA-SHA256 ")
    );
    assert_eq!(
        put.json(),
        json!({"action": "refund", "amount": "5.00", "additional_amount": "0.00",
               "refund_id": "T1-000007-R1", "currency": "NOK"})
    );
    let verifier = Verifier::from_pem(&vector("public.pem")).unwrap();
    let url = format!("{base}{}", put.target);
    let headers: Vec<(&str, &str)> = put
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    verifier
        .verify_request("PUT", &url, headers.clone(), &put.body)
        .unwrap();
    let mut tampered = put.body.clone();
    tampered[2] ^= 1;
    assert!(
        verifier
            .verify_request("PUT", &url, headers, &tampered)
            .is_err()
    );
}

#[tokio::test]
async fn cancel_that_lost_to_an_approval_reports_the_approval() {
    let (base, _) = serve(|r: &Request| {
        if r.method == "PUT" {
            Answer::json(
                409,
                json!({"error_type": "conflict", "error_description": "captured"}),
            )
        } else {
            Answer::json(
                200,
                json!({"currency": "NOK", "status_code": 2000,
                       "pos_id": "till-1", "pos_tid": "T1-000007", "tid": "TID1"}),
            )
        }
    })
    .await;
    let reply = provider(&base, false)
        .call(Operation::Cancel(PaymentHandle("TID1".into())))
        .await
        .unwrap();
    assert_eq!(
        reply,
        Reply::Cancelled(PaymentStatus::Approved {
            reference: "TID1".into()
        })
    );
}

#[tokio::test]
async fn server_errors_on_start_are_in_doubt_and_pages_are_followed() {
    let (base, _) = serve(|r: &Request| {
        if r.target.ends_with("/payment_request/") {
            Answer::new(502, "text/html", "<h1>Bad Gateway</h1>")
        } else if r.target == "/merchant/v1/ledger/" {
            Answer::json(
                200,
                json!({"uris": ["/a/"], "next": "/merchant/v1/ledger/?c=2"}),
            )
        } else {
            Answer::json(200, json!({"uris": ["/b/", "/c/"], "next": null}))
        }
    })
    .await;
    let p = provider(&base, false);
    let err = p
        .call(Operation::Start(sale(Flow::Push {
            phone: Msisdn::parse("4791234567").unwrap(),
        })))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::InDoubt);
    assert!(err.message.contains("502"), "{}", err.message);
    assert!(!err.message.contains("the-secret-123"));
    let all = p.client().list_all("ledger/", "ledgers").await.unwrap();
    assert_eq!(all, vec!["/a/", "/b/", "/c/"]);
}

/// A `next` link to nowhere is an invalid answer of the page that gave it: a failure that
/// names it, to be retried, never a refusal (found by the kit's broken-answer check).
#[tokio::test]
async fn a_next_link_to_nowhere_is_an_invalid_page_not_a_refusal() {
    let (base, _log) = serve(|r: &Request| {
        if r.target == "/merchant/v1/ledger/" {
            Answer::json(200, json!({"uris": ["/a/"], "next": "kit"}))
        } else {
            Answer::json(404, json!({"error_type": "not_found"}))
        }
    })
    .await;
    let p = provider(&base, false);
    let err = p.client().list_all("ledger/", "ledgers").await.unwrap_err();
    assert_eq!(err.classify(false), FailureKind::Transient);
    let text = err.to_failure(false).message;
    assert!(text.contains("invalid") && text.contains("kit"), "{text}");
    // The first page's own error status is still the provider's refusal.
    let (base, _log) =
        serve(|_: &Request| Answer::json(404, json!({"error_type": "not_found"}))).await;
    let err = provider(&base, false)
        .client()
        .list_all("ledger/", "ledgers")
        .await
        .unwrap_err();
    assert!(matches!(err, super::client::McashError::Http(_)), "{err}");
}
