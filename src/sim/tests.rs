//! The simulators driven over real HTTP on 127.0.0.1 with a plain reqwest client.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::mcash::{DEMO_MERCHANT_ID, DEMO_SECRET, DEMO_USER_ID, McashOptions, McashUser};
use super::{RunningSim, SimOptions, Simulator};
use crate::providers::mcash::sign;

const KEY_USER: &str = "key-pos";
const MEDIA: &str = "application/vnd.mcash.api.merchant.v1+json";

/// One small test key pair for the whole test binary (1024 bits keeps debug builds fast).
pub(super) fn test_key() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let public = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        (private, public)
    })
}

struct T {
    sim: RunningSim,
    http: reqwest::Client,
    base: String,
}

async fn start_with(autopilot: Option<Duration>) -> T {
    let (private, public) = test_key();
    let options = SimOptions {
        autopilot,
        mcash: McashOptions {
            users: vec![McashUser {
                id: KEY_USER.to_string(),
                roles: vec!["superuser".to_string()],
                secret: Some(SecretString::from("key-user-secret")),
                pubkey_pem: Some(public.clone()),
                integrator: false,
            }],
            callback_key_pem: Some(SecretString::from(private.clone())),
        },
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let base = sim.base_url("mcash").unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let t = T { sim, http, base };
    let (st, _) = t
        .send(
            Method::POST,
            "pos/",
            Some(json!({"id": "till-1", "name": "Till 1", "type": "store"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    t
}

async fn start() -> T {
    start_with(None).await
}

impl T {
    fn url(&self, rest: &str) -> String {
        format!("{}{rest}", self.base)
    }

    fn secret(&self, method: Method, rest: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(rest))
            .header("Accept", MEDIA)
            .header("X-Mcash-Merchant", DEMO_MERCHANT_ID)
            .header("X-Mcash-User", DEMO_USER_ID)
            .header("Authorization", format!("SECRET {DEMO_SECRET}"))
    }

    async fn send(&self, method: Method, rest: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.secret(method, rest);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A KEY-level request signed with the test key, the timestamp shifted by `skew` seconds.
    async fn send_key(
        &self,
        method: Method,
        rest: &str,
        body: &Value,
        skew: i64,
        tamper: bool,
    ) -> (StatusCode, Value) {
        let signer = sign::Signer::from_pem(&SecretString::from(test_key().0.clone())).unwrap();
        let bytes = body.to_string().into_bytes();
        let now = time::OffsetDateTime::now_utc().unix_timestamp() + skew;
        let stamp = sign::timestamp(u64::try_from(now).unwrap()).unwrap();
        let digest = sign::content_digest(&bytes);
        let url = self.url(rest);
        let headers = [
            ("X-Mcash-Merchant", DEMO_MERCHANT_ID),
            ("X-Mcash-User", KEY_USER),
            ("X-Mcash-Timestamp", stamp.as_str()),
            ("X-Mcash-Content-Digest", digest.as_str()),
        ];
        let signing = sign::signing_string(method.as_str(), &url, headers.iter().copied());
        let mut req = self
            .http
            .request(method, &url)
            .header("Content-Type", "application/json")
            .header("Authorization", signer.authorization(&signing));
        for (n, v) in headers {
            req = req.header(n, v);
        }
        let mut sent = bytes;
        if tamper {
            sent.push(b' ');
        }
        let resp = req.body(sent).send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, pos_tid: &str, amount: &str, extra: Value) -> (StatusCode, Value) {
        let mut body = json!({
            "pos_id": "till-1", "pos_tid": pos_tid, "currency": "NOK", "amount": amount,
            "allow_credit": false, "action": "sale", "customer": "4799999999", "text": "Coffee",
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.send(Method::POST, "payment_request/", Some(body))
            .await
    }

    async fn tid(&self, pos_tid: &str, extra: Value) -> String {
        let (st, body) = self.create(pos_tid, "100.00", extra).await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn outcome(&self, tid: &str) -> Value {
        let (st, body) = self
            .send(
                Method::GET,
                &format!("payment_request/{tid}/outcome/"),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        body
    }

    async fn control(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.root_url()));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    async fn customer(&self, tid: &str, action: &str) -> StatusCode {
        self.control(
            Method::POST,
            &format!("/control/mcash/requests/{tid}/{action}"),
            None,
        )
        .await
        .status()
    }

    async fn put(&self, tid: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, &format!("payment_request/{tid}/"), Some(body))
            .await
    }
}

#[tokio::test]
async fn base_url_and_paths() {
    let t = start().await;
    assert!(t.sim.addr().port() != 0);
    assert_eq!(
        t.base,
        format!("http://{}/mcash/merchant/v1/", t.sim.addr())
    );
    let (st, body) = t.send(Method::GET, "status_code/", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 8);
    let (st, _) = t.send(Method::GET, "status_code/2000/", None).await;
    assert_eq!(st, StatusCode::OK);
    // Without the trailing slash the resource does not exist.
    let (st, body) = t.send(Method::GET, "status_code", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error_type"], "not_found");
    let (st, body) = t
        .send(Method::GET, &format!("merchant/{DEMO_MERCHANT_ID}/"), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["id"], DEMO_MERCHANT_ID);
}

#[tokio::test]
async fn auth_is_enforced() {
    let t = start().await;
    // No Authorization at all.
    let resp = t
        .http
        .get(t.url("pos/till-1/"))
        .header("X-Mcash-Merchant", DEMO_MERCHANT_ID)
        .header("X-Mcash-User", DEMO_USER_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error_type"], "authentication_error");
    // Wrong secret; the answer never echoes it.
    let resp = t
        .http
        .get(t.url("pos/till-1/"))
        .header("X-Mcash-Merchant", DEMO_MERCHANT_ID)
        .header("X-Mcash-User", DEMO_USER_ID)
        .header("Authorization", "SECRET not-the-secret-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(!resp.text().await.unwrap().contains("not-the-secret"));
    // Wrong merchant.
    let resp = t
        .http
        .get(t.url("pos/till-1/"))
        .header("X-Mcash-Merchant", "other-merchant")
        .header("X-Mcash-User", DEMO_USER_ID)
        .header("Authorization", format!("SECRET {DEMO_SECRET}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Revoked credentials.
    let st = t
        .control(
            Method::POST,
            "/control/mcash/credentials",
            Some(json!({"revoked": true})),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = t.send(Method::GET, "pos/till-1/", None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    t.control(
        Method::POST,
        "/control/mcash/credentials",
        Some(json!({"revoked": false})),
    )
    .await;
    let (st, _) = t.send(Method::GET, "pos/till-1/", None).await;
    assert_eq!(st, StatusCode::OK);
    // OPEN endpoints need nothing.
    let resp = t.http.get(t.url("status_code/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn key_level_is_verified() {
    let t = start().await;
    let user = json!({"id": "new-user", "roles": ["user"], "secret": "a-secret-12345"});
    // SECRET is not enough for POST /user/.
    let (st, _) = t.send(Method::POST, "user/", Some(user.clone())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Body bytes other than those digested.
    let (st, body) = t.send_key(Method::POST, "user/", &user, 0, true).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    // Stale timestamp.
    let (st, body) = t.send_key(Method::POST, "user/", &user, -3600, false).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("Timestamp")
    );
    // Correct.
    let (st, body) = t.send_key(Method::POST, "user/", &user, 0, false).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], "new-user");
    let (st, body) = t.send(Method::GET, "user/new-user/", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["has_secret"], true);
    // A bad signature (signed by the key, but for another URL).
    let signer = sign::Signer::from_pem(&SecretString::from(test_key().0.clone())).unwrap();
    let stamp =
        sign::timestamp(u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap())
            .unwrap();
    let digest = sign::content_digest(b"");
    let signing = sign::signing_string("GET", "http://elsewhere/", std::iter::empty());
    let resp = t
        .http
        .get(t.url("pos/"))
        .header("X-Mcash-Merchant", DEMO_MERCHANT_ID)
        .header("X-Mcash-User", KEY_USER)
        .header("X-Mcash-Timestamp", stamp)
        .header("X-Mcash-Content-Digest", digest)
        .header("Authorization", signer.authorization(&signing))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn create_is_idempotent_and_strict() {
    let t = start().await;
    let (st, first) = t.create("sale-1", "12.50", json!({})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert!(first["id"].as_str().is_some());
    assert!(first.get("uri").is_some());
    let (st, again) = t.create("sale-1", "12.50", json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    let (st, body) = t.create("sale-1", "13.00", json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(body["error_type"], "conflict");
    assert_eq!(t.sim.mcash().created_count("till-1", "sale-1"), 1);
    assert_eq!(t.sim.mcash().create_calls("till-1", "sale-1"), 3);
    let counters: Value = t
        .control(Method::GET, "/control/mcash/counters", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counters["payment_requests_created"]["till-1/sale-1"], 1);
    // Money must be an exact string in the currency's decimals.
    let (st, body) = t.create("sale-2", "12.5", json!({})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_type"], "validation_error");
    assert!(body["error_details"]["amount"].is_array());
    let (st, body) = t.create("sale-3", "x", json!({"amount": 12.5})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error_details"]["amount"].is_array());
    let (st, body) = t.create("bad tid!", "1.00", json!({})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error_details"]["pos_tid"].is_array());
    let (st, _) = t
        .send(Method::GET, "payment_request/nope/outcome/", None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pay_reject_and_expire() {
    let t = start().await;
    let paid = t.tid("p-1", json!({})).await;
    assert_eq!(t.outcome(&paid).await["status_code"], 1003);
    assert_eq!(t.customer(&paid, "pay").await, StatusCode::NO_CONTENT);
    let o = t.outcome(&paid).await;
    assert_eq!(
        (o["status"].clone(), o["status_code"].clone()),
        (json!("ok"), json!(2000))
    );
    assert_eq!(o["captures"][0]["amount"], "100.00");
    // Paying twice is refused.
    assert_eq!(t.customer(&paid, "pay").await, StatusCode::CONFLICT);

    let rejected = t.tid("p-2", json!({})).await;
    assert_eq!(
        t.customer(&rejected, "reject").await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.outcome(&rejected).await["status_code"], 5006);

    let expiring = t.tid("p-3", json!({"expires_in": 60})).await;
    t.sim.clock().advance(Duration::from_secs(61));
    let o = t.outcome(&expiring).await;
    assert_eq!(
        (o["status"].clone(), o["status_code"].clone()),
        (json!("fail"), json!(5011))
    );
}

#[tokio::test]
async fn auth_capture_release_abort_refund() {
    let t = start().await;
    let tid = t.tid("a-1", json!({"action": "auth"})).await;
    assert_eq!(t.customer(&tid, "pay").await, StatusCode::NO_CONTENT);
    assert_eq!(t.outcome(&tid).await["status_code"], 3008);
    // Partial capture, twice with the same capture_id: one capture.
    let part = json!({"action": "capture", "amount": "40.00", "additional_amount": "0.00",
                      "currency": "NOK", "capture_id": "c1"});
    assert_eq!(t.put(&tid, part.clone()).await.0, StatusCode::NO_CONTENT);
    assert_eq!(t.put(&tid, part).await.0, StatusCode::NO_CONTENT);
    let o = t.outcome(&tid).await;
    assert_eq!(o["status_code"], 3008);
    assert_eq!(o["auth_amount"], "60.00");
    assert_eq!(o["captures"].as_array().unwrap().len(), 1);
    // Same id, other amount: conflict. Partial field set: validation error.
    let other = json!({"action": "capture", "amount": "10.00", "additional_amount": "0.00",
                       "currency": "NOK", "capture_id": "c1"});
    assert_eq!(t.put(&tid, other).await.0, StatusCode::CONFLICT);
    let (st, body) = t
        .put(&tid, json!({"action": "capture", "amount": "10.00"}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error_details"]["capture_id"].is_array());
    // Capture the rest.
    assert_eq!(
        t.put(&tid, json!({"action": "capture"})).await.0,
        StatusCode::NO_CONTENT
    );
    let o = t.outcome(&tid).await;
    assert_eq!(o["status_code"], 2000);
    assert_eq!(o["captures"].as_array().unwrap().len(), 2);
    // Abort after capture is illegal.
    assert_eq!(
        t.put(&tid, json!({"action": "abort"})).await.0,
        StatusCode::CONFLICT
    );
    // Refund needs KEY.
    let (st, body) = t.put(&tid, json!({"action": "refund"})).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    let (st, body) = t
        .send_key(
            Method::PUT,
            &format!("payment_request/{tid}/"),
            &json!({"action": "refund"}),
            0,
            false,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(t.outcome(&tid).await["refunds"][0]["amount"], "100.00");

    // Release without captures.
    let rel = t.tid("a-2", json!({"action": "auth"})).await;
    assert_eq!(
        t.put(&rel, json!({"action": "capture"})).await.0,
        StatusCode::CONFLICT
    );
    t.customer(&rel, "pay").await;
    assert_eq!(
        t.put(&rel, json!({"action": "release"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.outcome(&rel).await["status_code"], 4019);
    // Abort while pending.
    let ab = t.tid("a-3", json!({})).await;
    assert_eq!(
        t.put(&ab, json!({"action": "abort"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.outcome(&ab).await["status_code"], 4019);
    // An authorization lapses after 3 days.
    let lapse = t.tid("a-4", json!({"action": "auth"})).await;
    assert_eq!(
        t.customer(&lapse, "authorize").await,
        StatusCode::NO_CONTENT
    );
    t.sim.clock().advance(Duration::from_secs(3 * 86_400 + 1));
    assert_eq!(t.outcome(&lapse).await["status_code"], 5012);
    assert_eq!(
        t.put(&lapse, json!({"action": "capture"})).await.0,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn shortlink_scans_bind_within_max_scan_age() {
    let t = start().await;
    let (st, link) = t
        .send(
            Method::POST,
            "shortlink/",
            Some(json!({"serial_number": "till-1"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let id = link["id"].as_str().unwrap().to_string();
    let (st, list) = t.send(Method::GET, "shortlink/", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        list["uris"][0],
        format!("/mcash/merchant/v1/shortlink/{id}/")
    );
    // A scan 30 s before the request binds (max_scan_age 60).
    let scan = t
        .control(Method::POST, &format!("/control/mcash/scan/{id}"), None)
        .await;
    assert_eq!(scan.status(), StatusCode::OK);
    t.sim.clock().advance(Duration::from_secs(30));
    let bound = t
        .tid("s-1", json!({"customer": format!("shortlink_id:{id}")}))
        .await;
    assert_eq!(t.customer(&bound, "pay").await, StatusCode::NO_CONTENT);
    // A scan older than max_scan_age does not: the request waits.
    t.control(Method::POST, &format!("/control/mcash/scan/{id}"), None)
        .await;
    t.sim.clock().advance(Duration::from_secs(120));
    let waiting = t
        .tid("s-2", json!({"customer": "shortlink_sn:till-1"}))
        .await;
    let open: Value = t
        .control(Method::GET, "/control/requests", None)
        .await
        .json()
        .await
        .unwrap();
    let entry = open
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == waiting.as_str())
        .unwrap();
    assert_eq!(entry["waiting_for_scan"], id.as_str());
    assert_eq!(t.customer(&waiting, "pay").await, StatusCode::CONFLICT);
    // A new scan picks it up.
    t.control(Method::POST, &format!("/control/mcash/scan/{id}"), None)
        .await;
    assert_eq!(t.customer(&waiting, "pay").await, StatusCode::NO_CONTENT);
    assert_eq!(t.outcome(&waiting).await["status_code"], 2000);
}

#[tokio::test]
async fn faults_5xx_page_and_dropped_answer() {
    let t = start().await;
    let st = t
        .control(
            Method::PUT,
            "/control/mcash/faults",
            Some(json!({"fail_next": 1})),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::OK);
    let resp = t.secret(Method::GET, "pos/till-1/").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("<html>"));
    let (st, _) = t.send(Method::GET, "pos/till-1/", None).await;
    assert_eq!(st, StatusCode::OK);

    t.control(
        Method::PUT,
        "/control/mcash/faults",
        Some(json!({"drop_after_commit": 1})),
    )
    .await;
    let body = json!({"pos_id": "till-1", "pos_tid": "drop-1", "currency": "NOK", "amount": "5.00",
                      "allow_credit": false, "action": "sale", "customer": "4799999999"});
    let lost = t
        .secret(Method::POST, "payment_request/")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the answer should have been dropped: {lost:?}"
    );
    // Committed nonetheless: the retry finds it.
    let tid = t.sim.mcash().tid_for("till-1", "drop-1").unwrap();
    assert_eq!(t.sim.mcash().created_count("till-1", "drop-1"), 1);
    let (st, again) = t.send(Method::POST, "payment_request/", Some(body)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["id"], tid.as_str());
    let f: Value = t
        .control(Method::GET, "/control/mcash/faults", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["counters"]["dropped"], 1);
    assert_eq!(f["counters"]["failed"], 1);
}

#[tokio::test]
async fn report_close_opens_a_new_one_and_settlements() {
    let t = start().await;
    let tid = t.tid("r-1", json!({"ledger": "default"})).await;
    t.customer(&tid, "pay").await;
    let (_, ledger) = t.send(Method::GET, "ledger/default/", None).await;
    let open = ledger["open_report_uri"].as_str().unwrap().to_string();
    let rest = open.strip_prefix(&t.base).unwrap().to_string();
    let (st, report) = t.send(Method::GET, &rest, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(report["status"], "open");
    assert_eq!(report["payment_request_count"], 1);
    assert_eq!(report["payment_capture_count"], 1);
    let (st, _) = t.send(Method::PUT, &rest, Some(json!({}))).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, closed) = t.send(Method::GET, &rest, None).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["report_summary"]["captured_amount"], "100.00");
    let (_, ledger) = t.send(Method::GET, "ledger/default/", None).await;
    assert_ne!(ledger["open_report_uri"], json!(open));
    assert_eq!(ledger["last_closed_report_uri"], json!(open));
    let (_, reports) = t.send(Method::GET, "ledger/default/report/", None).await;
    assert_eq!(reports["uris"].as_array().unwrap().len(), 2);
    assert_eq!(
        t.send(Method::DELETE, "ledger/default/", None).await.0,
        StatusCode::CONFLICT
    );

    let resp = t
        .secret(Method::GET, "last_settlement/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let made: Value = t
        .control(Method::POST, "/control/mcash/x/settlement", None)
        .await
        .json()
        .await
        .unwrap();
    let resp = t
        .secret(Method::GET, "last_settlement/")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with(&format!("settlement/{}/", made["id"].as_str().unwrap())));
    let (_, s) = t
        .send(Method::GET, location.strip_prefix(&t.base).unwrap(), None)
        .await;
    assert_eq!(s["settlement_summary"][0]["amount"], "100.00");
}

#[tokio::test]
async fn customer_page_lists_and_pays() {
    let t = start().await;
    let tid = t.tid("w-1", json!({"text": "Two <buns>"})).await;
    let page = t
        .http
        .get(format!("{}/", t.sim.root_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("100.00 NOK"));
    assert!(page.contains("Two &lt;buns&gt;"));
    let action = format!("/page/mcash/requests/{tid}/pay");
    assert!(page.contains(&format!("action=\"{action}\"")));
    let resp = t
        .http
        .post(format!("{}{action}", t.sim.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.outcome(&tid).await["status_code"], 2000);
    let page = t
        .http
        .get(format!("{}/", t.sim.root_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("No open payment requests"));
}

#[tokio::test]
async fn autopilot_scans_and_pays() {
    let t = start_with(Some(Duration::ZERO)).await;
    let (_, link) = t.send(Method::POST, "shortlink/", Some(json!({}))).await;
    let id = link["id"].as_str().unwrap();
    let tid = t
        .tid("auto-1", json!({"customer": format!("shortlink_id:{id}")}))
        .await;
    let mut code = json!(0);
    for _ in 0..40 {
        code = t.outcome(&tid).await["status_code"].clone();
        if code == 2000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(code, 2000);
}

#[tokio::test]
async fn signed_callback_reaches_the_receiver() {
    use axum::routing::post;
    let t = start().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(axum::http::HeaderMap, String)>();
    let app = axum::Router::new().route(
        "/cb",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            async move {
                tx.send((headers, body)).ok();
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let tid = t.tid("cb-1", json!({"callback_uri": cb})).await;
    t.customer(&tid, "pay").await;
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["meta"]["event"], "payment_captured");
    assert!(
        v["meta"]["uri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("payment_request/{tid}/outcome/"))
    );
    assert!(
        v.get("object").is_none(),
        "plain HTTP callbacks carry no object"
    );
    let pem = t.sim.mcash().callback_public_pem().await.unwrap();
    let verifier = sign::Verifier::from_pem(&pem).unwrap();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    verifier
        .verify_request("POST", &cb, pairs.iter().copied(), body.as_bytes())
        .unwrap();
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let u = McashUser {
        id: "u".into(),
        roles: vec![],
        secret: Some(SecretString::from("super-secret-value")),
        pubkey_pem: None,
        integrator: false,
    };
    let o = McashOptions {
        users: vec![u.clone()],
        callback_key_pem: Some(SecretString::from(
            "-----BEGIN PRIVATE KEY----- secret-bits",
        )),
    };
    let text = format!("{u:?} {o:?}");
    assert!(!text.contains("super-secret-value"));
    assert!(!text.contains("secret-bits"));
}

#[tokio::test]
async fn crud_endpoints_answer_as_documented() {
    let t = start().await;
    // POS.
    let upd = json!({"name": "Till One", "type": "vending"});
    assert_eq!(
        t.send(Method::PUT, "pos/till-1/", Some(upd)).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, pos) = t.send(Method::GET, "pos/till-1/", None).await;
    assert_eq!(pos["type"], "vending");
    let (st, body) = t
        .send(
            Method::POST,
            "pos/",
            Some(json!({"id": "x", "name": "X", "type": "car"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(body["error_details"]["type"].is_array());
    assert_eq!(
        t.send(Method::DELETE, "pos/till-1/", None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.send(Method::GET, "pos/till-1/", None).await.0,
        StatusCode::NOT_FOUND
    );
    // Users.
    let (st, _) = t
        .send(
            Method::PUT,
            &format!("user/{DEMO_USER_ID}/"),
            Some(json!({"secret": "short"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (_, me) = t
        .send(Method::GET, &format!("user/{DEMO_USER_ID}/"), None)
        .await;
    assert_eq!(me["roles"], json!(["superuser"]));
    assert!(me.get("secret").is_none());
    // Ledgers.
    let resp = t
        .secret(Method::POST, "ledger/")
        .header("Content-Type", "application/json")
        .body(json!({"currency": "NOK", "description": "Till 1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(location, t.url(&format!("ledger/{id}/")));
    let path = format!("ledger/{id}/");
    assert_eq!(
        t.send(Method::PUT, &path, Some(json!({"description": "d"})))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.send(Method::DELETE, &path, None).await.0,
        StatusCode::NO_CONTENT
    );
    // Shortlinks.
    let (_, link) = t
        .send(
            Method::POST,
            "shortlink/",
            Some(json!({"description": "door"})),
        )
        .await;
    let path = format!("shortlink/{}/", link["id"].as_str().unwrap());
    assert_eq!(
        t.send(Method::PUT, &path, Some(json!({"serial_number": "sn-9"})))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.send(Method::GET, &path, None).await.1["serial_number"],
        "sn-9"
    );
    // mCASH answers this DELETE with a JSON body (NOTES; issue 10): the deleted shortlink.
    let (st, gone) = t.send(Method::DELETE, &path, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(gone["id"], link["id"]);
    // Permission requests.
    let perm = json!({"customer": "4799999999", "pos_id": "till-1", "pos_tid": "perm-1",
                      "scope": "openid phone"});
    let (st, created) = t
        .send(Method::POST, "permission_request/", Some(perm.clone()))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let rid = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.send(Method::POST, "permission_request/", Some(perm))
            .await
            .1["id"],
        rid.as_str()
    );
    let outcome = format!("permission_request/{rid}/outcome/");
    assert_eq!(
        t.send(Method::GET, &outcome, None).await.1["status_code"],
        1003
    );
    let st = t
        .control(
            Method::POST,
            "/control/mcash/x/permission",
            Some(json!({"rid": rid})),
        )
        .await
        .status();
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t.send(Method::GET, &outcome, None).await.1["status"], "ok");
    // Lookup (OPEN), settlement account.
    let resp = t
        .http
        .get(t.url("merchant_lookup/999999999/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (st, acct) = t
        .send(
            Method::GET,
            "settlement_account/demo-settlement-account/",
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(acct["net_transactions_for"], json!([DEMO_MERCHANT_ID]));
    // A body that is not JSON.
    let resp = t
        .secret(Method::POST, "shortlink/")
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
