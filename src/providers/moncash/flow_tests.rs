//! The provider against its simulator over loopback HTTP: a sale paid on the payment page the
//! QR opens, the token expiring mid-sale, an answer dropped after commit (recovered, never
//! created twice), refunds checked with PrefundedTransactionStatus before any retry, the
//! documented 403, expiry of an unpaid order, the services, refused credentials; and the client
//! against a scripted server for what the simulator never answers (a 401 `invalid_token` on a
//! fresh token, 200 instead of 202, a balance with a long tail).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

use super::MoncashProvider;
use super::client::{MoncashClient, MoncashConfig};
use super::config::demo;
use crate::core::provider::{
    FailureKind, FieldValue, InfoLine, Operation, PaymentHandle, PaymentStatus, Prompt, Reply,
    ServiceId,
};
use crate::core::sale::{Capture, Flow, SaleKey, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::http::HttpConfig;
use crate::providers::mcash::client::Clock;
use crate::providers::test_server::{Answer, Request, serve};
use crate::sim::{FaultSettings, ProviderSim, RunningSim, SimOptions, Simulator};

struct T {
    sim: RunningSim,
    provider: MoncashProvider,
    /// The provider's clock, Unix ms; starts at the real time.
    now: Arc<AtomicU64>,
    http: reqwest::Client,
}

fn clock_at(now: &Arc<AtomicU64>) -> Clock {
    let now = now.clone();
    Arc::new(move || now.load(Ordering::SeqCst))
}

fn real_ms() -> u64 {
    crate::providers::mcash::client::system_clock()()
}

fn client(base: &str, gateway: &str, secret: &str, clock: Clock) -> MoncashClient {
    MoncashClient::new(
        MoncashConfig {
            base_url: base.to_string(),
            gateway_base_url: gateway.to_string(),
            client_id: demo::CLIENT_ID.into(),
            client_secret: SecretString::from(secret.to_string()),
            http: HttpConfig {
                total_timeout: Duration::from_secs(5),
                ..HttpConfig::default()
            },
        },
        clock,
    )
    .unwrap()
}

async fn start() -> T {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .unwrap();
    let now = Arc::new(AtomicU64::new(real_ms()));
    let base = sim.base_url("moncash").unwrap();
    let gateway = format!("{}/{}", sim.root_url(), demo::GATEWAY_PATH);
    let c = client(&base, &gateway, demo::CLIENT_SECRET, clock_at(&now));
    T {
        provider: MoncashProvider::new(c, clock_at(&now)),
        sim,
        now,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

fn htg(minor: i64) -> Money {
    Money::from_minor(minor, Currency::HTG)
}

fn sale(n: u32, amount: Money) -> SaleRequest {
    SaleRequest {
        key: SaleKey::new("T1", u64::from(n)).unwrap(),
        amount,
        flow: Flow::Qr,
        capture: Capture::Sale,
    }
}

impl T {
    async fn call(&self, op: Operation) -> Result<Reply, crate::core::provider::Failure> {
        self.provider.call(op).await
    }

    fn counter(&self, name: &str) -> u64 {
        self.sim.moncash().counters()[name].as_u64().unwrap()
    }

    async fn started(&self, req: &SaleRequest) -> (PaymentHandle, String, u64) {
        match self.call(Operation::Start(req.clone())).await {
            Ok(Reply::Started {
                handle,
                prompt:
                    Prompt::Qr {
                        payload,
                        expires_at,
                    },
            }) => (handle, payload, expires_at.0),
            other => panic!("start: {other:?}"),
        }
    }

    async fn status(&self, h: &PaymentHandle) -> PaymentStatus {
        match self.call(Operation::Status(h.clone())).await {
            Ok(Reply::Status(s)) => s,
            other => panic!("status: {other:?}"),
        }
    }

    /// The customer scans the QR (opens its URL), types number and PIN, pays.
    async fn pay_on_page(&self, qr: &str, phone: &str, pin: &str) {
        let page = self
            .http
            .get(qr)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("name=\"pin\""), "{page}");
        let token = qr.split("token=").nth(1).unwrap();
        let pay = qr.replace("Payment/Redirect", "Payment/Pay");
        let pay = pay.split('?').next().unwrap();
        let r = self
            .http
            .post(pay)
            .form(&[("token", token), ("phone", phone), ("pin", pin)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    }

    async fn faults(&self, f: FaultSettings) {
        self.sim.faults("moncash").unwrap().set(f);
    }
}

#[tokio::test]
async fn a_sale_shows_the_payment_page_and_is_approved_once_paid() {
    let t = start().await;
    let req = sale(1, htg(25_000));
    let (handle, qr, expires) = t.started(&req).await;
    assert_eq!(handle, PaymentHandle("T1-000001".into()));
    let token = t.sim.moncash().payment_token("T1-000001").unwrap();
    assert_eq!(
        qr,
        format!(
            "{}/moncash/Moncash-middleware/Payment/Redirect?token={token}",
            t.sim.root_url()
        )
    );
    // The countdown is the payment token's expiry: ten minutes from now.
    let left = expires.saturating_sub(real_ms());
    assert!((590_000..=601_000).contains(&left), "{left} ms left");
    assert_eq!(t.status(&handle).await, PaymentStatus::Pending);
    t.pay_on_page(&qr, demo::PAYER, demo::PAYER_PIN).await;
    let PaymentStatus::Approved { reference } = t.status(&handle).await else {
        panic!("not approved");
    };
    assert!(!reference.is_empty() && reference.len() <= 14);
    let by_tid = t
        .provider
        .client()
        .retrieve_transaction_payment(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_tid.reference, "T1-000001");
    assert_eq!(by_tid.cost.to_money(), Ok(htg(25_000)));
    assert_eq!(t.counter("orders_created"), 1);
}

#[tokio::test]
async fn a_token_that_expires_mid_sale_is_renewed_once_and_the_sale_goes_on() {
    let t = start().await;
    let (handle, qr, _) = t.started(&sale(2, htg(1_000))).await;
    assert_eq!(t.counter("tokens_issued"), 1);
    // Within its life the token is reused.
    assert_eq!(t.status(&handle).await, PaymentStatus::Pending);
    assert_eq!(t.counter("tokens_issued"), 1);
    // The simulator's clock runs past the token's 59 s; the terminal's does not know: 401
    // invalid_token, one renewal, the call is sent once more.
    t.sim.clock().advance(Duration::from_secs(60));
    let refused = t.counter("unauthorized");
    assert_eq!(t.status(&handle).await, PaymentStatus::Pending);
    assert_eq!(t.counter("tokens_issued"), 2);
    assert_eq!(t.counter("unauthorized"), refused + 1);
    // The terminal's own clock nearing the expiry renews before sending, without a 401.
    t.now.fetch_add(50_000, Ordering::SeqCst);
    t.pay_on_page(&qr, demo::PAYER, demo::PAYER_PIN).await;
    assert!(matches!(
        t.status(&handle).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(t.counter("tokens_issued"), 3);
    assert_eq!(t.counter("unauthorized"), refused + 1);
}

#[tokio::test]
async fn a_create_whose_answer_was_dropped_is_recovered_and_never_made_twice() {
    let t = start().await;
    let req = sale(3, htg(4_250));
    t.faults(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    })
    .await;
    let f = t.call(Operation::Start(req.clone())).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::InDoubt, "{f}");
    assert_eq!(t.counter("orders_created"), 1, "the create was committed");
    // Recovery: not paid (404), so the order's payment token is asked for again by orderId.
    let (handle, qr) = match t.call(Operation::Recover(req.clone())).await {
        Ok(Reply::Found {
            handle,
            status: PaymentStatus::Pending,
            prompt: Some(Prompt::Qr { payload, .. }),
        }) => (handle, payload),
        other => panic!("recover: {other:?}"),
    };
    assert_eq!(t.counter("orders_created"), 1, "no second order");
    // The QR shown again is the one order's page: the customer pays it.
    t.pay_on_page(&qr, demo::PAYER, demo::PAYER_PIN).await;
    let calls = t.counter("create_calls");
    match t.call(Operation::Recover(req.clone())).await {
        Ok(Reply::Found {
            handle: h,
            status: PaymentStatus::Approved { .. },
            prompt: None,
        }) => assert_eq!(h, handle),
        other => panic!("recover after payment: {other:?}"),
    }
    assert_eq!(
        t.counter("create_calls"),
        calls,
        "a paid order is only looked up"
    );
    assert_eq!(t.counter("payments"), 1);
}

#[tokio::test]
async fn a_refund_is_a_payout_to_the_payer_checked_before_any_retry() {
    let t = start().await;
    let req = sale(4, htg(10_000));
    let (handle, qr, _) = t.started(&req).await;
    t.pay_on_page(&qr, demo::PAYER, demo::PAYER_PIN).await;
    assert!(matches!(
        t.status(&handle).await,
        PaymentStatus::Approved { .. }
    ));
    let wallet = t.sim.moncash().wallet_balance(demo::PAYER).unwrap();
    let prefunded = t.sim.moncash().prefunded();
    let refund = |amount| Operation::Refund {
        handle: handle.clone(),
        amount,
        key: SaleKey::parse("T1-000004-r1").unwrap(),
    };
    // The payout's answer is lost after MonCash made it.
    t.faults(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    })
    .await;
    let f = t.call(refund(htg(4_000))).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::InDoubt, "{f}");
    assert_eq!(t.counter("payouts"), 1);
    // The retry asks PrefundedTransactionStatus first: successful, so nothing is sent again.
    let calls = t.counter("transfert_calls");
    assert_eq!(
        t.call(refund(htg(4_000))).await.unwrap(),
        Reply::Refunded {
            reference: "T1-000004-r1".into()
        }
    );
    assert_eq!(t.counter("transfert_calls"), calls, "no second Transfert");
    assert_eq!(t.counter("payouts"), 1);
    assert_eq!(
        t.sim.moncash().wallet_balance(demo::PAYER).unwrap(),
        wallet.checked_add(htg(4_000)).unwrap()
    );
    assert_eq!(
        t.sim.moncash().prefunded(),
        prefunded.checked_sub(htg(4_000)).unwrap()
    );
    // A second refund of the sale, its own key: never registered (404), so it is sent.
    let Reply::Refunded { reference } = t
        .call(Operation::Refund {
            handle: handle.clone(),
            amount: htg(1_000),
            key: SaleKey::parse("T1-000004-r2").unwrap(),
        })
        .await
        .unwrap()
    else {
        panic!("second refund");
    };
    assert!(!reference.is_empty());
    assert_eq!(t.counter("payouts"), 2);
    // An unpaid sale has nobody to pay back.
    let (unpaid, _, _) = t.started(&sale(5, htg(500))).await;
    let f = t
        .call(Operation::Refund {
            handle: unpaid,
            amount: htg(500),
            key: SaleKey::parse("T1-000005-r1").unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Rejected, "{f}");
}

#[tokio::test]
async fn a_refund_to_a_full_wallet_is_refused_as_documented() {
    let t = start().await;
    let (handle, qr, _) = t.started(&sale(6, htg(1_000))).await;
    t.pay_on_page(&qr, crate::sim::moncash::FULL_WALLET, "4321")
        .await;
    // Since the sale the wallet filled up: giving back 10.00 would go over its maximum.
    t.sim
        .moncash()
        .control(
            "account",
            json!({"phone": crate::sim::moncash::FULL_WALLET, "balance": "74995.00"}),
        )
        .unwrap();
    let f = t
        .call(Operation::Refund {
            handle,
            amount: htg(1_000),
            key: SaleKey::parse("T1-000006-r1").unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Rejected, "{f}");
    assert!(f.message.contains("Maximum Account Balance"), "{f}");
    assert_eq!(t.counter("payouts"), 0);
}

#[tokio::test]
async fn an_unpaid_order_reads_expired_once_its_token_has_lapsed() {
    let t = start().await;
    let (handle, _, expires) = t.started(&sale(7, htg(700))).await;
    t.now.store(expires + 10_000, Ordering::SeqCst);
    assert_eq!(
        t.status(&handle).await,
        PaymentStatus::Pending,
        "within the grace"
    );
    t.now
        .store(expires + super::EXPIRED_AFTER_MS + 1, Ordering::SeqCst);
    assert_eq!(t.status(&handle).await, PaymentStatus::Expired);
    // A handle this process never started (before a restart) cannot know: pending.
    assert_eq!(
        t.status(&PaymentHandle("T9-000001".into())).await,
        PaymentStatus::Pending
    );
}

#[tokio::test]
async fn the_menu_services_show_the_prefunded_balance_and_a_customer() {
    let t = start().await;
    let info = t.provider.info();
    assert!(!info.capabilities.cancel);
    assert!(info.capabilities.lookup);
    assert!(info.capabilities.services.iter().all(|s| !s.moves_money));
    let answer = t
        .call(Operation::Query {
            service: ServiceId::new("balance"),
            inputs: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        answer,
        Reply::Info(vec![InfoLine {
            label: "Prefunded balance".into(),
            value: "29814021.18 HTG".into(),
        }])
    );
    let Reply::Info(lines) = t
        .call(Operation::Query {
            service: ServiceId::new("customer"),
            inputs: vec![FieldValue::Digits(demo::PAYER.into())],
        })
        .await
        .unwrap()
    else {
        panic!("customer status");
    };
    assert_eq!(lines[1].value, "fullkyc");
    assert_eq!(lines[2].value, "registered, active");
    let f = t
        .call(Operation::Query {
            service: ServiceId::new("customer"),
            inputs: vec![FieldValue::Digits("50930000000".into())],
        })
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Rejected, "{f}");
}

#[tokio::test]
async fn a_wrong_secret_is_auth_with_one_refused_request_and_no_secret_in_the_text() {
    let t = start().await;
    let base = t.sim.base_url("moncash").unwrap();
    let c = client(&base, &base, "wrong-secret-xyz", clock_at(&t.now));
    let p = MoncashProvider::new(c, clock_at(&t.now));
    let f = p
        .call(Operation::Start(sale(8, htg(100))))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth, "{f}");
    assert!(!f.message.contains("wrong-secret-xyz"));
    assert_eq!(t.counter("unauthorized"), 1);
    assert_eq!(t.counter("create_calls"), 0);
}

/// A scripted MonCash: tokens numbered, CreatePayment answered 200, the first API call refused
/// with 401 `invalid_token` when `refuse_first`.
fn scripted(refuse_first: bool) -> impl Fn(&Request) -> Answer + Send + Sync + 'static {
    let tokens = Arc::new(AtomicU64::new(0));
    let api_calls = Arc::new(AtomicU64::new(0));
    move |r: &Request| {
        let path = r.target.split('?').next().unwrap_or("");
        if path.ends_with("oauth/token") {
            let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
            return Answer::json(
                200,
                json!({"access_token": format!("tok{n}"), "token_type": "bearer", "expires_in": 59}),
            );
        }
        if api_calls.fetch_add(1, Ordering::SeqCst) == 0 && refuse_first {
            return Answer::json(
                401,
                json!({"error": "invalid_token", "error_description": "Invalid access token: tok1"}),
            );
        }
        match path {
            "/Api/v1/CreatePayment" => Answer::json(
                200,
                json!({"payment_token": {"token": "pt", "created": "2030-01-01 10:00:00:000",
                       "expired": "2030-01-01 10:10:00:000"}, "status": 200}),
            ),
            "/Api/v1/PrefundedBalance" => Answer::new(
                200,
                "application/json",
                r#"{"balance":{"balance":250.00000000001,"message":"successful"},"status":200}"#,
            ),
            _ => Answer::json(404, json!({"error": "Not Found", "message": "none"})),
        }
    }
}

#[tokio::test]
async fn against_a_scripted_server_a_refused_token_is_renewed_once_and_200_is_accepted() {
    let (base, log) = serve(scripted(true)).await;
    let c = client(
        &format!("{base}/Api/"),
        &format!("{base}/Moncash-middleware"),
        "s3cret-value",
        Arc::new(real_ms),
    );
    let p = MoncashProvider::new(c, Arc::new(real_ms));
    let (handle, prompt) = match p.call(Operation::Start(sale(9, htg(100)))).await {
        Ok(Reply::Started { handle, prompt }) => (handle, prompt),
        other => panic!("{other:?}"),
    };
    assert_eq!(handle.0, "T1-000009");
    // 2030-01-01 10:10 in Haiti (winter, UTC-5) is 15:10 UTC.
    assert_eq!(
        prompt,
        Prompt::Qr {
            payload: format!("{base}/Moncash-middleware/Payment/Redirect?token=pt"),
            expires_at: crate::core::Millis(1_893_510_600_000),
        }
    );
    let requests: Vec<Request> = log.lock().unwrap().clone();
    let what: Vec<(String, Option<String>)> = requests
        .iter()
        .map(|r| {
            (
                r.target.clone(),
                r.header("authorization").map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        what.len(),
        4,
        "token, refused create, token, create: {what:?}"
    );
    assert!(what[0].0.ends_with("/oauth/token") && what[2].0.ends_with("/oauth/token"));
    assert_eq!(what[1].1.as_deref(), Some("Bearer tok1"));
    assert_eq!(what[3].1.as_deref(), Some("Bearer tok2"));
    // The token request is the document's: Basic id:secret, the form body.
    let token = &requests[0];
    assert_eq!(
        String::from_utf8_lossy(&token.body),
        "scope=read,write&grant_type=client_credentials"
    );
    assert!(token.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // The create body: the amount a JSON number with its cents, the orderId the sale key.
    let body: Value = serde_json::from_slice(&requests[3].body).unwrap();
    assert_eq!(body, json!({"amount": 1.0, "orderId": "T1-000009"}));
    assert!(String::from_utf8_lossy(&requests[3].body).contains("\"amount\":1.00"));
    // A long binary tail on a balance is rounded to the cent.
    let balance = p.client().prefunded_balance().await.unwrap();
    assert_eq!(balance, htg(25_000));
}

#[tokio::test]
async fn a_401_that_persists_is_auth_after_one_renewal() {
    let (base, log) = serve(|r: &Request| {
        if r.target.ends_with("oauth/token") {
            Answer::json(200, json!({"access_token": "tok-abcdef", "expires_in": 59}))
        } else {
            Answer::json(
                401,
                json!({"error": "invalid_token",
                       "error_description": "Invalid access token: tok-abcdef"}),
            )
        }
    })
    .await;
    let c = client(&format!("{base}/Api"), &base, "s", Arc::new(real_ms));
    let p = MoncashProvider::new(c, Arc::new(real_ms));
    let f = p
        .call(Operation::Status(PaymentHandle("T1-000001".into())))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth, "{f}");
    assert!(
        !f.message.contains("tok-abcdef"),
        "the token is masked: {f}"
    );
    assert_eq!(log.lock().unwrap().len(), 4, "token, call, token, call");
}
