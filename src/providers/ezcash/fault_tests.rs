//! The client against a scripted ideabiz over loopback HTTP, for answers on demand: each WSO2
//! fault handled by its meaning (which grant follows, how often it is retried), and every code
//! of the document's table on a start and on a status query.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::client::ApiPath;
use super::status::{Reason, TABLE};
use super::test_rig::{TestClock, client_config, provider_with, push};
use crate::core::provider::{FailureKind, Operation, PaymentHandle, PaymentStatus, Reply};
use crate::providers::PaymentProvider;
use crate::providers::conformance::env::TempDir;
use crate::providers::test_server::{Answer, Log, Request, serve};

const EXPIRED: &str = r#"<ams:fault xmlns:ams="http://wso2.org/apimanager/security"><ams:code>900903</ams:code><ams:message>Access Token Expired</ams:message><ams:description>Access failure for API: /ezcash/agentservice/v1, version: v1</ams:description></ams:fault>"#;
const INACTIVE: &str = r#"<ams:fault xmlns:ams="http://wso2.org/apimanager/security"><ams:code>900904</ams:code><ams:message>Access Token Inactive</ams:message><ams:description>Access failure for API: /ezcash/agentservice/v1, version: v1</ams:description></ams:fault>"#;
const INVALID: &str = r#"<ams:fault xmlns:ams="http://wso2.org/apimanager/security"><ams:code>900901</ams:code><ams:message>Invalid Credentials</ams:message><ams:description>Access failure for API: /ezcash/agentservice/v1, version: v1</ams:description></ams:fault>"#;
const THROTTLED: &str = r#"<amt:fault xmlns:amt="http://wso2.org/apimanager/throttling"><amt:code>900800</amt:code><amt:message>Message Throttled Out</amt:message><amt:description>You have exceeded your quota</amt:description></amt:fault>"#;

fn xml(status: u16, body: &str) -> Answer {
    Answer::new(status, "application/xml", body)
}

fn token_answer(n: usize) -> Answer {
    Answer::json(
        200,
        json!({"scope": "PRODUCTION", "token_type": "bearer", "expires_in": 3600,
               "refresh_token": format!("refresh-{n}"), "access_token": format!("access-{n}")}),
    )
}

fn tx(wrapper: &str, status: serde_json::Value) -> Answer {
    Answer::json(
        200,
        json!({ wrapper: {"return": {
            "description": "scripted", "status": status, "requestId": "IDEA_HUB_T1-000001",
            "responseId": 22975, "txAmount": "12.50", "txType": "TX_AOTC",
            "recipientAlias": 769983684u64, "eZCashRefId": "20150715044527"}}}),
    )
}

/// One return under both wrappers, for a start whose 64 sends a status query too.
fn both(status: serde_json::Value) -> Answer {
    let ret = json!({"description": "scripted", "status": status,
        "requestId": "IDEA_HUB_T1-000001", "responseId": 22975, "txAmount": "12.50",
        "txType": "TX_AOTC", "recipientAlias": 769983684u64});
    Answer::json(
        200,
        json!({SUBMIT: {"return": ret.clone()}, STATUS: {"return": ret}}),
    )
}

const SUBMIT: &str = "submitTransactionRequestResponse";
const STATUS: &str = "getTransactionStatusViaRequestIdResponse";

/// A scripted ideabiz: tokens always granted; API calls answered from `api` in turn (the last
/// one repeats).
async fn scripted(api: Vec<Answer>) -> (String, Log) {
    let tokens = AtomicUsize::new(0);
    let calls = AtomicUsize::new(0);
    serve(move |r: &Request| {
        if r.target.ends_with("/token") {
            return token_answer(tokens.fetch_add(1, Ordering::SeqCst) + 1);
        }
        let n = calls.fetch_add(1, Ordering::SeqCst);
        api[n.min(api.len() - 1)].clone()
    })
    .await
}

fn grants(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|r| r.target.ends_with("/token"))
        .map(|r| {
            let body = String::from_utf8_lossy(&r.body).to_string();
            body.split('&')
                .find_map(|p| p.strip_prefix("grant_type="))
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

fn bearers(log: &Log) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|r| !r.target.ends_with("/token"))
        .map(|r| r.header("authorization").unwrap_or("").to_string())
        .collect()
}

fn scripted_provider(base: &str, dir: &TempDir) -> super::EzcashProvider {
    provider_with(
        client_config(&format!("{base}/apicall/"), dir.path(), ApiPath::V1),
        Some("1234"),
        TestClock::default().clock(),
    )
}

async fn status_of(p: &super::EzcashProvider) -> Result<Reply, crate::core::provider::Failure> {
    p.call(Operation::Status(PaymentHandle("T1-000001".into())))
        .await
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried() {
    let dir = TempDir::new("ezcash-fault");
    let (base, log) = scripted(vec![xml(401, EXPIRED), tx(STATUS, json!(10))]).await;
    let p = scripted_provider(&base, &dir);
    assert_eq!(
        status_of(&p).await,
        Ok(Reply::Status(PaymentStatus::Pending))
    );
    assert_eq!(grants(&log), ["password", "refresh_token"]);
    assert_eq!(bearers(&log), ["Bearer access-1", "Bearer access-2"]);
    // The refresh carried the refresh token of the first grant.
    let refresh = log.lock().unwrap()[2].clone();
    assert!(
        String::from_utf8_lossy(&refresh.body).contains("refresh_token=refresh-1"),
        "{refresh:?}"
    );
    assert!(
        refresh
            .header("authorization")
            .unwrap_or("")
            .starts_with("Basic ")
    );
}

#[tokio::test]
async fn an_inactive_or_invalid_token_takes_a_new_password_grant() {
    for fault in [INACTIVE, INVALID] {
        let dir = TempDir::new("ezcash-fault");
        let (base, log) = scripted(vec![xml(401, fault), tx(STATUS, json!(5))]).await;
        let p = scripted_provider(&base, &dir);
        assert!(matches!(
            status_of(&p).await,
            Ok(Reply::Status(PaymentStatus::Approved { .. }))
        ));
        assert_eq!(grants(&log), ["password", "password"], "{fault}");
    }
}

#[tokio::test]
async fn a_token_refused_again_after_its_renewal_is_an_auth_failure() {
    let dir = TempDir::new("ezcash-fault");
    let (base, log) = scripted(vec![xml(401, INVALID)]).await;
    let p = scripted_provider(&base, &dir);
    let f = status_of(&p).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth);
    assert_eq!(f.code.as_deref(), Some("900901"));
    assert!(f.message.contains("Invalid Credentials"), "{f}");
    assert_eq!(bearers(&log).len(), 2, "one retry, no storm");
    // A start refused that way moved nothing: auth, not in doubt.
    let f = p
        .call(Operation::Start(push("T1-000001", 1250)))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth);
}

#[tokio::test]
async fn throttling_is_retried_after_each_back_off_then_given_up() {
    let dir = TempDir::new("ezcash-fault");
    let (base, log) = scripted(vec![
        xml(503, THROTTLED),
        xml(503, THROTTLED),
        tx(SUBMIT, json!(10)),
    ])
    .await;
    let p = scripted_provider(&base, &dir);
    assert!(matches!(
        p.call(Operation::Start(push("T1-000001", 1250))).await,
        Ok(Reply::Started { .. })
    ));
    assert_eq!(bearers(&log).len(), 3);
    let (base, log) = scripted(vec![xml(503, THROTTLED)]).await;
    let p = scripted_provider(&base, &dir);
    let f = p
        .call(Operation::Start(push("T1-000001", 1250)))
        .await
        .unwrap_err();
    assert_eq!(
        f.kind,
        FailureKind::Transient,
        "throttled calls never reached eZ Cash"
    );
    assert_eq!(
        bearers(&log).len(),
        3,
        "the back-off list bounds the retries"
    );
}

#[tokio::test]
async fn every_failure_code_of_the_table_is_read_in_the_documents_words() {
    for (code, reason, text) in TABLE {
        let dir = TempDir::new("ezcash-code");
        // On a start.
        let (base, _) = scripted(vec![both(json!(code))]).await;
        let p = scripted_provider(&base, &dir);
        let got = p.call(Operation::Start(push("T1-000001", 1250))).await;
        if *reason == Reason::DuplicateRequestId {
            // 64 sends the status query, which here answers 64 again: the id is known, pending.
            assert!(matches!(got, Ok(Reply::Started { .. })), "{code}: {got:?}");
        } else {
            let f = got.unwrap_err();
            let want = if reason.is_credentials() {
                FailureKind::Auth
            } else {
                FailureKind::Rejected
            };
            assert_eq!(f.kind, want, "{code} on a start");
            assert_eq!(f.code.as_deref(), Some(code.to_string().as_str()));
            assert!(f.message.contains(text), "{code}: {f}");
        }
        // On a status query, numbers and strings alike.
        for status in [json!(code), json!(code.to_string())] {
            let (base, _) = scripted(vec![tx(STATUS, status)]).await;
            let p = scripted_provider(&base, &dir);
            let got = status_of(&p).await;
            match reason {
                Reason::DuplicateRequestId => {
                    assert_eq!(got, Ok(Reply::Status(PaymentStatus::Pending)))
                }
                r if r.is_about_the_query() => {
                    let f = got.unwrap_err();
                    assert!(matches!(f.kind, FailureKind::Auth | FailureKind::Rejected));
                    assert!(f.message.contains(text), "{code}: {f}");
                }
                _ => assert_eq!(
                    got,
                    Ok(Reply::Status(PaymentStatus::Declined {
                        reason: format!("{text} ({code})")
                    })),
                    "{code}"
                ),
            }
        }
    }
}

#[tokio::test]
async fn success_pending_and_unknown_statuses() {
    let dir = TempDir::new("ezcash-code");
    for (status, want) in [
        (json!(5), "approved"),
        (json!("5"), "approved"),
        (json!(10), "pending"),
        (json!(62), "pending"),
        (json!(7), "pending"),
        (json!("SUCCESSFUL"), "pending"),
    ] {
        let (base, _) = scripted(vec![tx(STATUS, status.clone())]).await;
        let p = scripted_provider(&base, &dir);
        let got = status_of(&p).await;
        match (want, got) {
            ("approved", Ok(Reply::Status(PaymentStatus::Approved { reference }))) => {
                assert_eq!(reference, "20150715044527")
            }
            ("pending", Ok(Reply::Status(PaymentStatus::Pending))) => {}
            (_, got) => panic!("{status}: {got:?}"),
        }
    }
    // An unknown status on a start: in doubt, so it is recovered, never taken for a refusal.
    let (base, _) = scripted(vec![tx(SUBMIT, json!(99))]).await;
    let p = scripted_provider(&base, &dir);
    let f = p
        .call(Operation::Start(push("T1-000001", 1250)))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::InDoubt);
}

#[tokio::test]
async fn requests_carry_the_documents_bodies() {
    let dir = TempDir::new("ezcash-body");
    let (base, log) = scripted(vec![tx(SUBMIT, json!(10))]).await;
    let p = scripted_provider(&base, &dir);
    p.call(Operation::Start(push("T1-000001", 1250)))
        .await
        .unwrap();
    let submit = log.lock().unwrap()[1].clone();
    assert!(
        submit
            .target
            .ends_with("/apicall/ezcash/agentservice/v1/submitTransactionRequest")
    );
    assert_eq!(submit.header("content-type"), Some("application/json"));
    let body = submit.json();
    let r = &body["agenttransactionrequest"];
    assert_eq!(r["txType"], "TX_AOTC");
    assert_eq!(r["txAmount"], "12.50");
    assert_eq!(r["requestId"], "T1-000001");
    assert_eq!(r["subscriberMobile"], "769983684");
    assert_eq!(r["agentAlias"], "IDEA_HUB");
    assert_eq!(r["agentnotificationSend"], "true");
    assert_eq!(r["channel"], "WEB");
    let token = log.lock().unwrap()[0].clone();
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = String::from_utf8_lossy(&token.body).to_string();
    assert!(form.contains("grant_type=password") && form.contains("scope=PRODUCTION"));
    assert!(!token.target.contains("password"), "no password in the URL");
}
