//! The simulator against the request shapes published MonCash clients send (NOTES "second
//! look", and the SDKs themselves): the grant in the query string with an empty, `null` or `{}`
//! body, or in the form body; `scope` raw or encoded; `bearer` in lower case; orderIds as
//! integers and strings; amounts as integers and decimals; a payout without `reference` to an
//! 8-digit number; the transfer's fields read flat. Then the payment page, tokens that expire on
//! the simulator's clock, and the documented 403 and 404.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use super::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PAYER, DEMO_PAYER_PIN, FULL_WALLET};
use crate::sim::{ProviderSim, RunningSim, SimOptions, Simulator};

struct T {
    sim: RunningSim,
    api: String,
    http: reqwest::Client,
}

async fn start() -> T {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .unwrap();
    let api = sim.base_url("moncash").unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    T { sim, api, http }
}

fn basic() -> String {
    let raw = format!("{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn read(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, ct, v)
}

impl T {
    /// A token the way the document's curl gets it: form body, Basic auth.
    async fn token(&self) -> String {
        let r = self
            .http
            .post(format!("{}oauth/token", self.api))
            .header("Authorization", basic())
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("scope=read,write&grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        let (status, _, v) = read(r).await;
        assert_eq!(status, 200, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }

    async fn post(&self, path: &str, auth: &str, body: Value) -> (u16, String, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.api))
            .header("Authorization", auth)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        read(r).await
    }

    fn root(&self) -> &str {
        self.sim.root_url()
    }
}

#[tokio::test]
async fn the_grant_arrives_in_every_form_real_clients_send() {
    let t = start().await;
    let url = format!("{}oauth/token", t.api);
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        // moncashify (Python): encoded scope in the query, `{}` body, no content type.
        (
            format!("{url}?scope=read%2Cwrite&grant_type=client_credentials"),
            None,
            "{}",
        ),
        // Raw scope in the query, `null` body, JSON content type.
        (
            format!("{url}?scope=read,write&grant_type=client_credentials"),
            Some("application/json"),
            "null",
        ),
        // Query string and an empty body.
        (
            format!("{url}?grant_type=client_credentials&scope=read,write"),
            Some("application/json"),
            "",
        ),
        // The official Node SDK and the PHP sample: the form body.
        (
            url.clone(),
            Some("application/x-www-form-urlencoded"),
            "scope=read,write&grant_type=client_credentials",
        ),
        (
            url.clone(),
            Some("application/x-www-form-urlencoded"),
            "scope=read%2Cwrite&grant_type=client_credentials",
        ),
    ];
    for (target, content_type, body) in cases {
        let mut r = t
            .http
            .post(&target)
            .header("Authorization", basic())
            .header("Accept", "application/json")
            .body(body.to_string());
        if let Some(ct) = content_type {
            r = r.header("Content-Type", ct);
        }
        let (status, ct, v) = read(r.send().await.unwrap()).await;
        assert_eq!(status, 200, "{target} {body:?}: {v}");
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(v["token_type"], "bearer");
        assert_eq!(v["expires_in"], 59);
        assert_eq!(v["scope"], "read,write");
        assert!(v["jti"].is_string());
        let token = v["access_token"].as_str().unwrap();
        // The token works with the scheme in lower case, built from token_type.
        let (status, _, v) = t
            .post(
                "v1/CustomerStatus",
                &format!("{} {token}", v["token_type"].as_str().unwrap()),
                json!({"account": DEMO_PAYER}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["customerStatus"]["type"], "fullkyc");
        assert_eq!(
            v["customerStatus"]["status"],
            json!(["registered", "active"])
        );
    }
    // Refusals: a wrong secret is 401, a missing or other grant 400, both JSON.
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_CLIENT_ID}:nope"))
    );
    let r = t
        .http
        .post(format!(
            "{url}?scope=read,write&grant_type=client_credentials"
        ))
        .header("Authorization", wrong)
        .send()
        .await
        .unwrap();
    let (status, ct, v) = read(r).await;
    assert_eq!((status, v["error"].as_str()), (401, Some("unauthorized")));
    assert!(ct.starts_with("application/json"));
    for query in [
        "?scope=read,write",
        "?grant_type=password",
        "?grant_type=client_credentials&scope=admin",
    ] {
        let r = t
            .http
            .post(format!("{url}{query}"))
            .header("Authorization", basic())
            .send()
            .await
            .unwrap();
        let (status, _, v) = read(r).await;
        assert_eq!(status, 400, "{query}: {v}");
        assert!(v["error"].is_string());
    }
    let counters = t.sim.moncash().counters();
    assert_eq!(counters["tokens_issued"], 5);
    assert_eq!(counters["unauthorized"], 1);
}

#[tokio::test]
async fn a_payment_is_created_paid_on_the_page_and_retrieved_as_sdks_read_it() {
    let t = start().await;
    let bearer = format!("Bearer {}", t.token().await);
    // orderId as an integer, amount as a decimal (Python and Node SDKs pass what they get).
    let (status, ct, v) = t
        .post(
            "v1/CreatePayment",
            &bearer,
            json!({"amount": 250.5, "orderId": 1_559_796_839_u64}),
        )
        .await;
    assert_eq!(status, 202, "{v}");
    assert!(ct.starts_with("application/json"));
    assert_eq!(v["mode"], "sandbox");
    assert_eq!(v["path"], "/v1/CreatePayment");
    assert!(v["timestamp"].is_u64());
    let token = v["payment_token"]["token"].as_str().unwrap().to_string();
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let created =
        crate::providers::moncash::haiti::parse(v["payment_token"]["created"].as_str().unwrap())
            .unwrap();
    let expired =
        crate::providers::moncash::haiti::parse(v["payment_token"]["expired"].as_str().unwrap())
            .unwrap();
    assert_eq!(expired - created, time::Duration::minutes(10));
    // The same orderId again is the same order.
    let (_, _, again) = t
        .post(
            "v1/CreatePayment",
            &bearer,
            json!({"amount": 250.5, "orderId": "1559796839"}),
        )
        .await;
    assert_eq!(again["payment_token"]["token"], token.as_str());
    let (status, _, _) = t
        .post(
            "v1/CreatePayment",
            &bearer,
            json!({"amount": 99, "orderId": 1_559_796_839_u64}),
        )
        .await;
    assert_eq!(status, 409, "another amount under a known orderId");
    let (status, _, v) = t
        .post(
            "v1/CreatePayment",
            &bearer,
            json!({"amount": 0, "orderId": "x"}),
        )
        .await;
    assert_eq!(
        (status, v["message"].as_str()),
        (400, Some("The amount is incorrect"))
    );

    // Not paid yet: 404 with a JSON body.
    let (status, ct, v) = t
        .post(
            "v1/RetrieveOrderPayment",
            &bearer,
            json!({"orderId": "1559796839"}),
        )
        .await;
    assert_eq!(status, 404);
    assert!(ct.starts_with("application/json"));
    assert_eq!(v["message"], "Can't find this transaction");

    // The customer opens the QR's page, types number and PIN, pays.
    let page_url = format!(
        "{}/moncash/Moncash-middleware/Payment/Redirect?token={token}",
        t.root()
    );
    let page = t
        .http
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("250.50 HTG"), "{page}");
    assert!(page.contains("name=\"phone\"") && page.contains("name=\"pin\""));
    let pay = format!("{}/moncash/Moncash-middleware/Payment/Pay", t.root());
    let wrong = t
        .http
        .post(&pay)
        .form(&[
            ("token", token.as_str()),
            ("phone", DEMO_PAYER),
            ("pin", "0000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    assert!(wrong.text().await.unwrap().contains("wrong PIN"));
    let before = t.sim.moncash().wallet_balance(DEMO_PAYER).unwrap();
    let paid = t
        .http
        .post(&pay)
        .form(&[
            ("token", token.as_str()),
            ("phone", "37007294"),
            ("pin", DEMO_PAYER_PIN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status().as_u16(), 200);
    assert!(paid.text().await.unwrap().contains("Payment made"));
    let after = t.sim.moncash().wallet_balance(DEMO_PAYER).unwrap();
    assert_eq!(
        before.minor() - after.minor(),
        25_050,
        "the wallet paid 250.50"
    );
    // Paid once: the page is closed now.
    let page = t
        .http
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("This payment is closed"));

    let (status, _, v) = t
        .post(
            "v1/RetrieveOrderPayment",
            &bearer,
            json!({"orderId": 1_559_796_839_u64}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let p = &v["payment"];
    assert_eq!(p["message"], "successful");
    assert_eq!(p["reference"], "1559796839");
    assert_eq!(p["payer"], DEMO_PAYER);
    assert_eq!(p["cost"].to_string(), "250.5");
    let tid = p["transaction_id"].as_str().unwrap().to_string();
    assert!(tid.len() <= 14);
    let (status, _, v) = t
        .post(
            "v1/RetrieveTransactionPayment",
            &bearer,
            json!({"transactionId": tid}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(v["payment"]["reference"], "1559796839");
    let (status, _, _) = t
        .post(
            "v1/RetrieveTransactionPayment",
            &bearer,
            json!({"transactionId": "999"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn payouts_draw_the_prefunded_balance_and_are_found_by_reference() {
    let t = start().await;
    let bearer = format!("bearer {}", t.token().await);
    let balance = |v: &Value| v["balance"]["balance"].to_string();
    let r = t
        .http
        .get(format!("{}v1/PrefundedBalance", t.api))
        .header("Authorization", &bearer)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    // The exact double's tail, as the document shows it (not re-printed as a float).
    assert!(text.contains("\"balance\":29814021.17999999"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(balance(&v).starts_with("29814021.1"));

    // The PHP sample: receiver as an 8-digit integer, no reference; read flat like moncashify.
    let (status, _, v) = t
        .post(
            "v1/Transfert",
            &bearer,
            json!({"amount": 100, "receiver": 37_007_294, "desc": "Hello"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["transfer"]["message"], "successful");
    assert_eq!(v["transfer"]["amount"].to_string(), "100.0");
    assert_eq!(v["transfer"]["receiver"], DEMO_PAYER);
    assert_eq!(v["transaction_id"], v["transfer"]["transaction_id"]);
    assert_eq!(v["message"], "successful");

    // With a reference: once, and the same reference again answers the same payout.
    let body =
        json!({"amount": 12.5, "receiver": DEMO_PAYER, "desc": "refund", "reference": "R-1"});
    let (_, _, first) = t.post("v1/Transfert", &bearer, body.clone()).await;
    let (_, _, second) = t.post("v1/Transfert", &bearer, body).await;
    assert_eq!(
        first["transfer"]["transaction_id"],
        second["transfer"]["transaction_id"]
    );
    let counters = t.sim.moncash().counters();
    assert_eq!(counters["payouts"], 2);
    assert_eq!(counters["transfert_calls"], 3);
    assert_eq!(counters["prefunded"], "29813908.68");

    let (status, _, v) = t
        .post(
            "v1/PrefundedTransactionStatus",
            &bearer,
            json!({"reference": "R-1"}),
        )
        .await;
    assert_eq!(
        (status, v["transStatus"].as_str()),
        (200, Some("successful"))
    );
    let (status, _, v) = t
        .post(
            "v1/PrefundedTransactionStatus",
            &bearer,
            json!({"reference": "R-2"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(v["error"], "Not Found");
    assert_eq!(v["message"], "Can't find this transaction");
    assert_eq!(v["path"], "/Api/v1/PrefundedTransactionStatus");

    // The documented 403: the receiver's wallet would go over its maximum.
    let (status, _, v) = t
        .post(
            "v1/Transfert",
            &bearer,
            json!({"amount": 500, "receiver": FULL_WALLET, "desc": "x", "reference": "R-3"}),
        )
        .await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"], "Forbidden");
    assert_eq!(v["message"], "Maximum Account Balance");
    let (status, _, _) = t
        .post(
            "v1/Transfert",
            &bearer,
            json!({"amount": 5, "receiver": "50930000000", "desc": "x", "reference": "R-4"}),
        )
        .await;
    assert_eq!(status, 404, "unknown wallet");
    assert_eq!(
        t.sim.moncash().counters()["payouts"],
        2,
        "refusals paid nothing"
    );
}

#[tokio::test]
async fn bearer_tokens_expire_after_59_seconds_of_simulated_time() {
    let t = start().await;
    let token = t.token().await;
    let bearer = format!("Bearer {token}");
    let call = || t.post("v1/CustomerStatus", &bearer, json!({"account": DEMO_PAYER}));
    assert_eq!(call().await.0, 200);
    t.sim.clock().advance(Duration::from_secs(58));
    assert_eq!(call().await.0, 200);
    t.sim.clock().advance(Duration::from_secs(2));
    let (status, ct, v) = call().await;
    assert_eq!(
        (status, v["error"].as_str()),
        (401, Some("invalid_token")),
        "{v}"
    );
    assert!(ct.starts_with("application/json"));
    // No token at all, and a made-up one.
    let (status, _, v) = t.post("v1/CustomerStatus", "", json!({})).await;
    assert_eq!((status, v["error"].as_str()), (401, Some("unauthorized")));
    let (status, _, v) = t
        .post("v1/CustomerStatus", "Bearer made-up", json!({}))
        .await;
    assert_eq!((status, v["error"].as_str()), (401, Some("invalid_token")));
    // Revoked credentials: no new token, and the ones issued stop working.
    let fresh = format!("Bearer {}", t.token().await);
    t.sim.moncash().revoke_credentials(true);
    let (status, _, _) = t
        .post("v1/CustomerStatus", &fresh, json!({"account": DEMO_PAYER}))
        .await;
    assert_eq!(status, 401);
    let r = t
        .http
        .post(format!(
            "{}oauth/token?grant_type=client_credentials",
            t.api
        ))
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn the_customer_can_give_up_and_an_expired_token_cannot_be_paid() {
    let t = start().await;
    let bearer = format!("Bearer {}", t.token().await);
    for order in ["give-up", "late"] {
        let (status, _, _) = t
            .post(
                "v1/CreatePayment",
                &bearer,
                json!({"amount": 10, "orderId": order}),
            )
            .await;
        assert_eq!(status, 202);
    }
    let sim = t.sim.moncash();
    let open: Vec<String> = sim.open_requests().into_iter().map(|r| r.id).collect();
    assert_eq!(open, ["give-up", "late"]);
    let token = sim.payment_token("give-up").unwrap();
    let r = t
        .http
        .post(format!(
            "{}/moncash/Moncash-middleware/Payment/Cancel",
            t.root()
        ))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Payment cancelled"));
    assert!(sim.pay("give-up", DEMO_PAYER, DEMO_PAYER_PIN).is_err());
    t.sim.clock().advance(Duration::from_secs(601));
    let err = sim.pay("late", DEMO_PAYER, DEMO_PAYER_PIN).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(sim.open_requests().is_empty());
    assert_eq!(sim.counters()["payments"], 0);
}
