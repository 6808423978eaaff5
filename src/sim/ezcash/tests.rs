//! The eZ Cash simulator over HTTP, as any client would see it: the token endpoint in both of
//! the forms clients send, the WSO2 faults with NOTES' exact texts, the documented answer
//! forms, the refusals only a raw request can provoke, throttling under load, and the
//! subscriber's approval on the customer page and by the autopilot.

use std::time::Duration;

use serde_json::{Value, json};

use crate::providers::ezcash::config::demo;
use crate::sim::{ProviderSim, RunningSim, SimOptions, Simulator};

async fn sim(options: SimOptions) -> RunningSim {
    Simulator::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("the simulator")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn base(s: &RunningSim) -> String {
    s.base_url("ezcash").unwrap()
}

/// The password grant in the query string with a body of one space (NOTES).
async fn grant_in_query(s: &RunningSim, scope: &str) -> reqwest::Response {
    http()
        .post(format!(
            "{}token?grant_type=password&username={}&password={}&scope={scope}",
            base(s),
            demo::USERNAME,
            demo::PASSWORD
        ))
        .basic_auth(demo::CONSUMER_KEY, Some(demo::CONSUMER_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(" ")
        .send()
        .await
        .unwrap()
}

async fn access_token(s: &RunningSim) -> (String, String) {
    let v: Value = grant_in_query(s, "PRODUCTION").await.json().await.unwrap();
    (
        v["access_token"].as_str().unwrap().to_string(),
        v["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn api(
    s: &RunningSim,
    version: &str,
    endpoint: &str,
    token: &str,
    body: Value,
) -> (u16, String) {
    let r = http()
        .post(format!(
            "{}ezcash/agentservice/{version}/{endpoint}",
            base(s)
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

fn submit_body(request_id: &str, amount: Value, tx_type: &str) -> Value {
    json!({"agenttransactionrequest": {
        "agentAlias": demo::AGENT_ALIAS, "agentPin": demo::AGENT_PIN,
        "agentnotificationSend": "true", "channel": "WEB", "requestId": request_id,
        "subscriberMobile": "769983684", "subscribernotificationSend": "true",
        "txAmount": amount, "txReference": "887565759", "txType": tx_type}})
}

fn ret(text: &str, wrapper: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v[wrapper]["return"].clone()
}

#[tokio::test]
async fn the_token_endpoint_takes_both_forms_and_refuses_in_ideabiz_words() {
    let s = sim(SimOptions::default()).await;
    let r = grant_in_query(&s, "SANDBOX").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["scope"], "SANDBOX");
    assert!(v["refresh_token"].is_string() && v["access_token"].is_string());
    // The form body.
    let r = http()
        .post(format!("{}token", base(&s)))
        .basic_auth(demo::CONSUMER_KEY, Some(demo::CONSUMER_SECRET))
        .form(&[
            ("grant_type", "password"),
            ("username", demo::USERNAME),
            ("password", demo::PASSWORD),
            ("scope", "PRODUCTION"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A wrong consumer secret, and a wrong password: invalid_client, NOTES' text.
    for (secret, password) in [("nope", demo::PASSWORD), (demo::CONSUMER_SECRET, "nope")] {
        let r = http()
            .post(format!("{}token", base(&s)))
            .basic_auth(demo::CONSUMER_KEY, Some(secret))
            .form(&[
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"error":"invalid_client","error_description":"Client Authentication failed."}"#
        );
    }
}

#[tokio::test]
async fn gateway_faults_carry_notes_exact_texts() {
    let s = sim(SimOptions::default()).await;
    let body = json!({"requesttransactionstatus": {"ownerAlias": demo::AGENT_ALIAS,
        "ownerPin": demo::AGENT_PIN, "requestId": "X1"}});
    let (status, text) = api(
        &s,
        "v1",
        "transactionStatusViaRequestId",
        "bogus",
        body.clone(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        text.contains("<ams:code>900901</ams:code><ams:message>Invalid Credentials</ams:message>"),
        "{text}"
    );
    let (token, refresh) = access_token(&s).await;
    // A refresh spends the old pair: its access token is inactive.
    let r = http()
        .post(format!("{}token", base(&s)))
        .basic_auth(demo::CONSUMER_KEY, Some(demo::CONSUMER_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    assert_ne!(
        fresh["refresh_token"].as_str(),
        Some(refresh.as_str()),
        "rotated"
    );
    let (status, text) = api(
        &s,
        "v1",
        "transactionStatusViaRequestId",
        &token,
        body.clone(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        text.contains(
            "<ams:code>900904</ams:code><ams:message>Access Token Inactive</ams:message>"
        ),
        "{text}"
    );
    assert!(text.contains("<ams:description>Access failure for API: /apicall/ezcash/agentservice/v1, version: v1</ams:description>"), "{text}");
    // An hour later the new one has expired.
    let token = fresh["access_token"].as_str().unwrap().to_string();
    let (status, _) = api(
        &s,
        "v1",
        "transactionStatusViaRequestId",
        &token,
        body.clone(),
    )
    .await;
    assert_eq!(status, 200);
    s.clock().advance(Duration::from_secs(3600));
    let (status, text) = api(&s, "v1", "transactionStatusViaRequestId", &token, body).await;
    assert_eq!(status, 401);
    assert!(
        text.contains("<ams:code>900903</ams:code><ams:message>Access Token Expired</ams:message>"),
        "{text}"
    );
}

#[tokio::test]
async fn answers_have_the_documents_form_and_raw_refusals_their_codes() {
    let s = sim(SimOptions::default()).await;
    let (token, _) = access_token(&s).await;
    let (status, text) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("ESB014", json!("10"), "TX_AOTC"),
    )
    .await;
    assert_eq!(status, 200);
    let r = ret(&text, "submitTransactionRequestResponse");
    assert_eq!(r["status"], 10);
    assert_eq!(r["description"], "Transaction is accepted");
    assert_eq!(r["requestId"], "IDEA_HUB_ESB014");
    assert_eq!(r["txAmount"], json!(10.00));
    assert_eq!(r["txType"], "TX_AOTC");
    assert_eq!(r["ownernotificationSend"], "true");
    assert!(
        r["responseId"].is_u64() && r["eZCashRefId"].is_string(),
        "{r}"
    );
    // A number amount is taken too.
    let (_, text) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("ESB015", json!(12.5), "TX_AOTC"),
    )
    .await;
    assert_eq!(ret(&text, "submitTransactionRequestResponse")["status"], 10);
    let code = |text: &str| ret(text, "submitTransactionRequestResponse")["status"].clone();
    let (_, t) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("ESB014", json!("10"), "TX_AOTC"),
    )
    .await;
    assert_eq!(code(&t), 64, "a repeated request id");
    let (_, t) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("ESB016", json!("10"), "TX_NOPE"),
    )
    .await;
    assert_eq!(code(&t), 40);
    let (_, t) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("ESB017", json!("ten"), "TX_AOTC"),
    )
    .await;
    assert_eq!(code(&t), 68);
    let (_, t) = api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        json!({"other": 1}),
    )
    .await;
    assert_eq!(code(&t), 68);
    assert_eq!(
        ret(&t, "submitTransactionRequestResponse")["description"],
        "Missing or incorrect requested parameters"
    );
    let mut bill = submit_body("ESB018", json!("50"), "TX_ATOB");
    bill["agenttransactionrequest"]["domain"] = json!("NOPE");
    bill["agenttransactionrequest"]["accountNumber"] = json!("788181234");
    let (_, t) = api(&s, "v1", "submitTransactionRequest", &token, bill.clone()).await;
    assert_eq!(code(&t), 68, "an unknown domain");
    bill["agenttransactionrequest"]["domain"] = json!("HUTCH");
    let (_, t) = api(&s, "v1", "submitTransactionRequest", &token, bill).await;
    let r = ret(&t, "submitTransactionRequestResponse");
    assert_eq!(
        (r["status"].clone(), r["recipientAlias"].clone()),
        (json!(5), json!("HUTCH"))
    );
    // The status of an id never seen: a bare 6.
    let body = json!({"requesttransactionstatus": {"ownerAlias": demo::AGENT_ALIAS,
        "ownerPin": demo::AGENT_PIN, "requestId": "NEVER"}});
    let (_, t) = api(&s, "v1", "transactionStatusViaRequestId", &token, body).await;
    let r = ret(&t, "getTransactionStatusViaRequestIdResponse");
    assert_eq!(r["status"], 6);
    assert!(
        r.get("responseId").is_none() && r.get("txType").is_none(),
        "{r}"
    );
    // The balance.
    let body = json!({"emoneybalancerequest": {"subscriberAlias": demo::AGENT_ALIAS,
        "subscriberPin": demo::AGENT_PIN}});
    let (_, t) = api(&s, "v1-test", "subscriberBalance", &token, body).await;
    let r = ret(&t, "getSubscriberBalanceResponse");
    assert_eq!(r["status"], 5);
    assert!(r["availableAmount"].is_number(), "{r}");
    let counters = s.ezcash().counters();
    assert_eq!(counters["v1_test"], 1);
}

#[tokio::test]
async fn wrong_pins_block_the_agent_until_unblocked() {
    let s = sim(SimOptions::default()).await;
    let (token, _) = access_token(&s).await;
    let balance = |pin: &str| json!({"emoneybalancerequest": {"subscriberAlias": demo::AGENT_ALIAS, "subscriberPin": pin}});
    let code = |t: &str| ret(t, "getSubscriberBalanceResponse")["status"].clone();
    for want in [37, 37, 55] {
        let (_, t) = api(&s, "v1", "subscriberBalance", &token, balance("0000")).await;
        assert_eq!(code(&t), want);
    }
    let (_, t) = api(
        &s,
        "v1",
        "subscriberBalance",
        &token,
        balance(demo::AGENT_PIN),
    )
    .await;
    assert_eq!(code(&t), 55, "blocked even with the right PIN");
    s.ezcash()
        .control("unblock", json!({"alias": demo::AGENT_ALIAS}))
        .unwrap();
    let (_, t) = api(
        &s,
        "v1",
        "subscriberBalance",
        &token,
        balance(demo::AGENT_PIN),
    )
    .await;
    assert_eq!(code(&t), 5);
}

#[tokio::test]
async fn calls_beyond_the_rate_are_throttled_with_notes_text() {
    let s = sim(SimOptions::default()).await;
    s.ezcash()
        .control("throttle", json!({"per_second": 3}))
        .unwrap();
    let (token, _) = access_token(&s).await;
    let body = json!({"emoneybalancerequest": {"subscriberAlias": demo::AGENT_ALIAS,
        "subscriberPin": demo::AGENT_PIN}});
    let mut statuses = Vec::new();
    let mut throttled_text = String::new();
    for _ in 0..6 {
        let (status, text) = api(&s, "v1", "subscriberBalance", &token, body.clone()).await;
        if status == 503 {
            throttled_text = text;
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        throttled_text,
        "<amt:fault xmlns:amt=\"http://wso2.org/apimanager/throttling\"><amt:code>900800</amt:code><amt:message>Message Throttled Out</amt:message><amt:description>You have exceeded your quota</amt:description></amt:fault>"
    );
}

#[tokio::test]
async fn the_subscriber_approves_on_the_customer_page() {
    let s = sim(SimOptions::default()).await;
    let (token, _) = access_token(&s).await;
    api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("PG1", json!("25.00"), "TX_AOTC"),
    )
    .await;
    let page = http()
        .get(s.root_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("PG1") && page.contains("25.00") && page.contains("769983684"),
        "{page}"
    );
    let r = http()
        .post(format!("{}/page/ezcash/requests/PG1/pay", s.root_url()))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    let tx = s.ezcash().transaction(demo::AGENT_ALIAS, "PG1").unwrap();
    assert_eq!(tx["status"], 5);
    assert_eq!(
        s.ezcash().wallet("769983684").map(|m| m.minor()),
        Some(5_000_000 - 2500)
    );
}

#[tokio::test]
async fn the_autopilot_approves_by_itself() {
    let s = sim(SimOptions {
        autopilot: Some(Duration::from_millis(100)),
        ..SimOptions::default()
    })
    .await;
    let (token, _) = access_token(&s).await;
    api(
        &s,
        "v1",
        "submitTransactionRequest",
        &token,
        submit_body("AP1", json!("10"), "TX_AOTC"),
    )
    .await;
    let mut status = json!(null);
    for _ in 0..40 {
        status = s.ezcash().transaction(demo::AGENT_ALIAS, "AP1").unwrap()["status"].clone();
        if status == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 5);
}
