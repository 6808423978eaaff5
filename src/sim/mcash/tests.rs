//! The mCASH loose ends, each against the simulator over loopback HTTP, most of them through
//! the real client or provider: the DELETE body, paged lists, progress and outcome callbacks,
//! netmasks, the expected signing string on a bad signature and closing the report of a day.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::{DEMO_MERCHANT_ID, DEMO_SECRET, DEMO_USER_ID, MEDIA_TYPE, McashOptions, McashUser};
use crate::core::provider::{FailureKind, Operation, PaymentHandle, Reply};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::mcash::client::{Clock, McashClient, McashConfig, system_clock};
use crate::providers::mcash::sign::{Signer, Verifier};
use crate::providers::mcash::wire::{
    LedgerCreate, PaymentAction, PaymentRequestCreate, PosCreate, PosType, ReportClose,
    ShortlinkCreate, UserCreate,
};
use crate::providers::mcash::{McashProvider, McashProviderConfig};
use crate::providers::test_server::{Answer, serve};
use crate::sim::{ProviderSim, RunningSim, SimOptions, Simulator};

const KEY_USER: &str = "key-pos";
const KEY_SECRET: &str = "key-user-secret";

async fn sim() -> RunningSim {
    let (private, public) = crate::sim::tests::test_key();
    Simulator::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions {
            autopilot: None,
            mcash: McashOptions {
                users: vec![McashUser {
                    id: KEY_USER.into(),
                    roles: vec!["superuser".into()],
                    secret: Some(SecretString::from(KEY_SECRET)),
                    pubkey_pem: Some(public.clone()),
                    integrator: false,
                }],
                callback_key_pem: Some(SecretString::from(private.clone())),
            },
        },
    )
    .await
    .unwrap()
}

fn config(sim: &RunningSim, user: &str, secret: &str) -> McashConfig {
    McashConfig {
        base_url: sim.base_url("mcash").unwrap(),
        merchant_id: DEMO_MERCHANT_ID.into(),
        user_id: user.into(),
        secret: SecretString::from(secret.to_string()),
        private_key: None,
        testbed_token: None,
        http: HttpConfig::default(),
    }
}

fn demo(sim: &RunningSim) -> McashClient {
    McashClient::new(config(sim, DEMO_USER_ID, DEMO_SECRET), system_clock()).unwrap()
}

/// The simulator's clock as the provider's, so "now" agrees with report close times.
fn sim_clock(sim: &RunningSim) -> Clock {
    let clock = sim.clock().clone();
    Arc::new(move || u64::try_from(clock.now().unix_timestamp()).unwrap_or(0) * 1000)
}

fn provider(sim: &RunningSim, pos_id: &str) -> McashProvider {
    let clock = sim_clock(sim);
    McashProvider::new(
        McashClient::new(config(sim, DEMO_USER_ID, DEMO_SECRET), clock.clone()).unwrap(),
        McashProviderConfig {
            pos_id: pos_id.into(),
            pos_name: "Till K".into(),
            pos_type: PosType::Store,
            shortlink_id: None,
            max_scan_age: 60,
            expires_in: 300,
            ledger: Some("default".into()),
            text: None,
        },
        clock,
    )
}

async fn control(sim: &RunningSim, command: &str, body: Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/control/mcash/x/{command}", sim.root_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A raw SECRET-level call as `user`.
async fn raw(
    sim: &RunningSim,
    method: reqwest::Method,
    path: &str,
    user: &str,
    secret: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url("mcash").unwrap()))
        .header("Accept", MEDIA_TYPE)
        .header("X-Mcash-Merchant", DEMO_MERCHANT_ID)
        .header("X-Mcash-User", user)
        .header("Authorization", format!("SECRET {secret}"));
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

// ---- DELETE /shortlink/<id>/ ----------------------------------------------------------------

#[tokio::test]
async fn deleting_a_shortlink_answers_with_its_json_and_the_client_reads_it() {
    let sim = sim().await;
    let client = demo(&sim);
    let made = client
        .create_shortlink(&ShortlinkCreate {
            serial_number: Some("till-x".into()),
            ..ShortlinkCreate::default()
        })
        .await
        .unwrap();
    let id = made.id.unwrap();
    let (status, body) = raw(
        &sim,
        reqwest::Method::DELETE,
        &format!("shortlink/{id}/"),
        DEMO_USER_ID,
        DEMO_SECRET,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], json!(id));
    assert_eq!(body["serial_number"], "till-x");

    let again = client
        .create_shortlink(&ShortlinkCreate::default())
        .await
        .unwrap()
        .id
        .unwrap();
    let deleted = client.delete_shortlink(&again).await.unwrap();
    assert_eq!(deleted.map(|l| l.id), Some(again.clone()));
    let gone = client.delete_shortlink(&again).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
}

#[tokio::test]
async fn the_client_tolerates_every_delete_answer_the_notes_allow() {
    let (base, _) = serve(
        |r: &crate::providers::test_server::Request| match r.target.as_str() {
            "/merchant/v1/shortlink/empty/" => Answer::empty(204),
            "/merchant/v1/shortlink/braces/" => Answer::json(200, json!({})),
            "/merchant/v1/shortlink/full/" => {
                Answer::json(200, json!({"id": "full", "serial_number": "s"}))
            }
            _ => Answer::new(200, "text/html", "<html>deleted</html>"),
        },
    )
    .await;
    let client = McashClient::new(
        McashConfig {
            base_url: format!("{base}/merchant/v1/"),
            merchant_id: "M".into(),
            user_id: "U".into(),
            secret: SecretString::from("s3cret-value"),
            private_key: None,
            testbed_token: None,
            http: HttpConfig::default(),
        },
        system_clock(),
    )
    .unwrap();
    assert_eq!(client.delete_shortlink("empty").await.unwrap(), None);
    assert_eq!(client.delete_shortlink("braces").await.unwrap(), None);
    let full = client.delete_shortlink("full").await.unwrap().unwrap();
    assert_eq!(full.serial_number.as_deref(), Some("s"));
    // Not JSON at all: a malformed answer, named as such.
    let err = client.delete_shortlink("html").await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("json"), "{err}");
}

// ---- paging ---------------------------------------------------------------------------------

#[tokio::test]
async fn every_list_pages_with_next_and_prev_and_the_client_follows_them() {
    let sim = sim().await;
    let (status, _) = control(&sim, "page_size", json!({"size": 0})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = control(&sim, "page_size", json!({"size": 2})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let client = demo(&sim);
    for n in 0..5 {
        client
            .create_pos(&PosCreate {
                id: format!("pos-{n}"),
                name: format!("POS {n}"),
                pos_type: PosType::Store,
                location: None,
            })
            .await
            .unwrap();
        client
            .create_shortlink(&ShortlinkCreate::default())
            .await
            .unwrap();
        sim.mcash().generate_settlement();
    }
    for _ in 0..4 {
        client
            .create_ledger(&LedgerCreate {
                currency: Currency::NOK,
                description: None,
            })
            .await
            .unwrap();
        let open = client
            .get_ledger("default")
            .await
            .unwrap()
            .open_report_uri
            .unwrap();
        client
            .close_report_uri(&open, &ReportClose::default())
            .await
            .unwrap();
    }

    // The raw pages: 2 + 2 + 1, linked both ways by absolute paths.
    let (_, first) = raw(
        &sim,
        reqwest::Method::GET,
        "shortlink/",
        DEMO_USER_ID,
        DEMO_SECRET,
        None,
    )
    .await;
    assert_eq!(first["uris"].as_array().unwrap().len(), 2);
    assert_eq!(first["prev"], Value::Null);
    assert_eq!(first["next"], "/mcash/merchant/v1/shortlink/?page=2");
    let (_, last) = raw(
        &sim,
        reqwest::Method::GET,
        "shortlink/?page=3",
        DEMO_USER_ID,
        DEMO_SECRET,
        None,
    )
    .await;
    assert_eq!(last["uris"].as_array().unwrap().len(), 1);
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["prev"], "/mcash/merchant/v1/shortlink/?page=2");
    let (status, bad) = raw(
        &sim,
        reqwest::Method::GET,
        "shortlink/?page=zero",
        DEMO_USER_ID,
        DEMO_SECRET,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error_details"]["page"].is_array(), "{bad}");

    // The client collects every page of every list it uses.
    let distinct = |uris: Vec<String>| {
        let n = uris.len();
        let set: std::collections::BTreeSet<String> = uris.into_iter().collect();
        assert_eq!(set.len(), n, "a page was read twice");
        n
    };
    assert_eq!(distinct(client.all_pos().await.unwrap()), 5);
    assert_eq!(distinct(client.all_shortlinks().await.unwrap()), 5);
    assert_eq!(distinct(client.all_settlements().await.unwrap()), 5);
    assert_eq!(distinct(client.all_ledgers().await.unwrap()), 5);
    assert_eq!(distinct(client.all_reports("default").await.unwrap()), 5);
    assert_eq!(client.list_pos().await.unwrap().uris.len(), 2);
}

#[tokio::test]
async fn start_up_finds_the_terminals_shortlink_on_the_third_page() {
    let sim = sim().await;
    sim.mcash().set_page_size(2);
    let client = demo(&sim);
    for _ in 0..4 {
        client
            .create_shortlink(&ShortlinkCreate {
                serial_number: Some("someone-else".into()),
                ..ShortlinkCreate::default()
            })
            .await
            .unwrap();
    }
    let mine = client
        .create_shortlink(&ShortlinkCreate {
            serial_number: Some("till-k".into()),
            ..ShortlinkCreate::default()
        })
        .await
        .unwrap()
        .id
        .unwrap();
    let p = provider(&sim, "till-k");
    p.start_up().await.unwrap();
    assert_eq!(p.shortlink_id(), Some(mine));
    assert_eq!(
        client.all_shortlinks().await.unwrap().len(),
        5,
        "found, not made again"
    );
}

// ---- callbacks and display messages ---------------------------------------------------------

type Received = tokio::sync::mpsc::UnboundedReceiver<(String, axum::http::HeaderMap, String)>;

/// A loopback receiver for `/cb` and `/dm`; returns its root URL and what arrives, in order.
async fn receiver() -> (String, Received) {
    use axum::extract::Path;
    use axum::routing::post;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/{which}",
        post(
            move |Path(which): Path<String>, headers: axum::http::HeaderMap, body: String| {
                let tx = tx.clone();
                async move {
                    tx.send((which, headers, body)).ok();
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (root, rx)
}

#[tokio::test]
async fn progress_goes_to_display_message_uri_and_the_outcome_to_callback_uri_signed() {
    let sim = sim().await;
    let (root, mut rx) = receiver().await;
    let client = demo(&sim);
    client
        .create_pos(&PosCreate {
            id: "till-1".into(),
            name: "Till 1".into(),
            pos_type: PosType::Store,
            location: None,
        })
        .await
        .unwrap();
    let link = client
        .create_shortlink(&ShortlinkCreate::default())
        .await
        .unwrap()
        .id
        .unwrap();
    let mut req = PaymentRequestCreate::new(
        Money::from_minor(4_200, Currency::NOK),
        "till-1",
        "dm-1",
        Some(format!("shortlink_id:{link}")),
        PaymentAction::Sale,
    );
    req.callback_uri = Some(format!("{root}/cb"));
    req.display_message_uri = Some(format!("{root}/dm"));
    let tid = client
        .create_payment_request(&req)
        .await
        .unwrap()
        .created
        .id;
    sim.mcash().scan(&link, Some("till-1")).unwrap();
    sim.mcash()
        .act(&tid, crate::sim::CustomerAction::Pay)
        .unwrap();

    let verifier = Verifier::from_pem(&sim.mcash().callback_public_pem().await.unwrap()).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let (which, headers, body) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a message within 5 s")
            .unwrap();
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        verifier
            .verify_request(
                "POST",
                &format!("{root}/{which}"),
                pairs.iter().copied(),
                body.as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{which}: {e}"));
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["meta"]["uri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("payment_request/{tid}/outcome/"))
        );
        let line = match which.as_str() {
            "dm" => {
                assert_eq!(v["meta"]["event"], "display_message");
                assert_eq!(v["object"]["tid"], json!(tid));
                format!("dm: {}", v["object"]["text"].as_str().unwrap())
            }
            _ => {
                assert!(v.get("object").is_none(), "plain HTTP: no outcome object");
                format!("cb: {}", v["meta"]["event"].as_str().unwrap())
            }
        };
        seen.push(line);
    }
    assert_eq!(
        seen,
        vec![
            "dm: Waiting for the customer to scan the QR code",
            "dm: The customer scanned the QR code, waiting for the answer",
            "cb: payment_captured",
            "dm: Payment received",
        ]
    );
    // GET shows the display URI as stored.
    let got = client.get_payment_request(&tid).await.unwrap();
    assert_eq!(got.display_message_uri, Some(format!("{root}/dm")));
}

// ---- netmask --------------------------------------------------------------------------------

#[tokio::test]
async fn a_users_netmask_admits_only_addresses_inside_it() {
    let sim = sim().await;
    for (id, mask) in [("inside", "127.0.0.0/8"), ("outside", "10.0.0.0/8")] {
        let (status, answer) = control(
            &sim,
            "user",
            json!({"id": id, "secret": "netmask-secret", "roles": ["user"], "netmask": mask}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (status, _) = control(
        &sim,
        "user",
        json!({"id": "odd", "secret": "netmask-secret", "netmask": "10.0.0.0/40"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let merchant = format!("merchant/{DEMO_MERCHANT_ID}/");
    let get = reqwest::Method::GET;
    let (status, _) = raw(
        &sim,
        get.clone(),
        &merchant,
        "inside",
        "netmask-secret",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = raw(
        &sim,
        get.clone(),
        &merchant,
        "outside",
        "netmask-secret",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error_type"], "permission_denied");
    let why = body["error_description"].as_str().unwrap();
    assert!(
        why.contains("127.0.0.1") && why.contains("10.0.0.0/8"),
        "{why}"
    );
    // Through the client: an auth failure, with the reason.
    let outside =
        McashClient::new(config(&sim, "outside", "netmask-secret"), system_clock()).unwrap();
    let err = outside.merchant(DEMO_MERCHANT_ID).await.unwrap_err();
    assert_eq!(err.to_failure(false).kind, FailureKind::Auth);
    assert!(err.to_string().contains("netmask"), "{err}");

    // Set through the API: validated, shown, enforced.
    let put = reqwest::Method::PUT;
    let user = format!("user/{KEY_USER}/");
    let (status, body) = raw(
        &sim,
        put.clone(),
        &user,
        DEMO_USER_ID,
        DEMO_SECRET,
        Some(json!({"netmask": "not a mask"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error_details"]["netmask"].is_array(), "{body}");
    let (status, _) = raw(
        &sim,
        put,
        &user,
        DEMO_USER_ID,
        DEMO_SECRET,
        Some(json!({"netmask": "192.168.1.0/24"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, shown) = raw(&sim, get.clone(), &user, DEMO_USER_ID, DEMO_SECRET, None).await;
    assert_eq!(shown["netmask"], "192.168.1.0/24");
    let (status, _) = raw(&sim, get, &merchant, KEY_USER, KEY_SECRET, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---- a bad signature names the string to sign -----------------------------------------------

#[tokio::test]
async fn a_bad_signature_is_answered_with_the_expected_string_and_the_client_shows_it() {
    let sim = sim().await;
    // Signed with a key other than the one registered for the user.
    let other = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/providers/testdata/mcash-rsa/private.pem"
    ))
    .unwrap();
    let client = McashClient::new(
        McashConfig {
            private_key: Some(Signer::from_pem(&SecretString::from(other)).unwrap()),
            testbed_token: Some(SecretString::from("testbed-token-canary")),
            ..config(&sim, KEY_USER, KEY_SECRET)
        },
        system_clock(),
    )
    .unwrap();
    let err = client
        .create_user(&UserCreate {
            id: "new-user".into(),
            secret: Some(SecretString::from("new-user-secret-canary")),
            ..UserCreate::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    let base = sim.base_url("mcash").unwrap();
    let expected_start = format!("string_to_sign: POST|{base}user/|X-MCASH-CONTENT-DIGEST=SHA256=");
    assert!(text.contains(&expected_start), "{text}");
    assert!(text.contains("&X-MCASH-USER=key-pos"), "{text}");
    for secret in [KEY_SECRET, "testbed-token-canary", "new-user-secret-canary"] {
        assert!(!text.contains(secret), "{text}");
    }
    let failure = err.to_failure(false);
    assert_eq!(failure.kind, FailureKind::Auth);
    assert!(
        failure.message.contains("string_to_sign"),
        "{}",
        failure.message
    );
}

// ---- closing the report of a day ------------------------------------------------------------

/// Moves the simulator's clock forward to `hour`:00 UTC of `day`.
fn advance_to(sim: &RunningSim, day: time::Date, hour: u8) {
    let target = day.with_hms(hour, 0, 0).unwrap().assume_utc();
    let now = sim.clock().now();
    assert!(target > now, "the test walks forward in time");
    sim.clock().advance(Duration::from_millis(
        u64::try_from((target - now).whole_milliseconds()).unwrap(),
    ));
}

fn sale(n: u32) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse(&format!("T1-{n:06}")).unwrap(),
        amount: Money::from_minor(1_000, Currency::NOK),
        flow: Flow::Push {
            phone: crate::core::sale::Msisdn::parse("4791234567").unwrap(),
        },
        capture: Capture::Sale,
    }
}

async fn report_status(client: &McashClient, uri: &str) -> String {
    let r: crate::providers::mcash::wire::Report = client.get_uri(uri).await.unwrap();
    serde_json::to_value(r.status)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn closing_day_one_while_day_two_is_open_closes_day_ones_report_only() {
    let sim = sim().await;
    sim.mcash().set_page_size(2);
    let client = demo(&sim);
    // Three old reports, closed today, so the ledger lists six by the end (three pages).
    for _ in 0..3 {
        let open = client
            .get_ledger("default")
            .await
            .unwrap()
            .open_report_uri
            .unwrap();
        client
            .close_report_uri(&open, &ReportClose::default())
            .await
            .unwrap();
    }
    let today = sim.clock().now().date();
    let day1 = today.next_day().unwrap();
    let day2 = day1.next_day().unwrap();
    let p = provider(&sim, "till-k");
    p.start_up().await.unwrap();

    // Day 1: a sale, closed at 23:00 as the merchant does.
    advance_to(&sim, day1, 10);
    let reply = p.call(Operation::Start(sale(1))).await.unwrap();
    let Reply::Started {
        handle: PaymentHandle(tid1),
        ..
    } = reply
    else {
        panic!("{reply:?}");
    };
    sim.mcash()
        .act(&tid1, crate::sim::CustomerAction::Pay)
        .unwrap();
    let report1 = client
        .get_ledger("default")
        .await
        .unwrap()
        .open_report_uri
        .unwrap();
    advance_to(&sim, day1, 23);
    let line = PaymentProvider::close_report(&p, day1).await.unwrap();
    assert!(
        line.contains("closed") && !line.contains("already"),
        "{line}"
    );
    assert_eq!(report_status(&client, &report1).await, "closed");
    let report2 = client
        .get_ledger("default")
        .await
        .unwrap()
        .open_report_uri
        .unwrap();
    assert_ne!(report1, report2);

    // Day 2: a sale; then day 1's close arrives again (its answer was lost): day 2 stays open.
    advance_to(&sim, day2, 10);
    p.call(Operation::Start(sale(2))).await.unwrap();
    let line = PaymentProvider::close_report(&p, day1).await.unwrap();
    assert!(line.contains("closed already"), "{line}");
    assert!(line.contains(&day1.to_string()), "{line}");
    assert_eq!(report_status(&client, &report2).await, "open");
    assert_eq!(
        client.get_ledger("default").await.unwrap().open_report_uri,
        Some(report2.clone())
    );

    // Day 2's own close closes day 2's report.
    advance_to(&sim, day2, 23);
    PaymentProvider::close_report(&p, day2).await.unwrap();
    assert_eq!(report_status(&client, &report2).await, "closed");
    assert_eq!(client.all_reports("default").await.unwrap().len(), 6);

    // A day still to come has no report.
    let later = day2.next_day().unwrap().next_day().unwrap();
    let err = PaymentProvider::close_report(&p, later).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Rejected);
    assert!(err.message.contains("holds"), "{}", err.message);
}
