//! The iCG provider over loopback HTTP: against the simulator for every endpoint and flow
//! (paid, partially paid, paid already, unknown, declined, dropped answers, token expiry
//! mid-sale and renewal before it), and against a scripted server for what goes on the wire
//! (the grant's form, no token on the pay, the bearer on the lookup) and for repeated 401s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use super::client::{IcgClient, IcgConfig};
use super::config::demo;
use super::conformance::{IcgSubject, KIT_INVOICE};
use super::{INVOICE_SERVICE, IcgProvider, LARGEST_MINOR};
use crate::core::provider::{
    FailureKind, FieldValue, InfoLine, Operation, PaymentHandle, PaymentStatus, Prompt, Reply,
    ServiceId,
};
use crate::core::sale::{Capture, Flow, InvoiceNumber, SaleKey, SaleRequest};
use crate::money::{Currency, Money};
use crate::providers::PaymentProvider;
use crate::providers::conformance::ConformanceSubject;
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, serve};
use crate::sim::{FaultSettings, ProviderSim, RunningSim, SimOptions, Simulator};

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

/// A client clock the test moves by hand (Unix ms).
fn clock() -> (Arc<AtomicU64>, super::client::Clock) {
    let now = Arc::new(AtomicU64::new(1_800_000_000_000));
    let c = now.clone();
    (now, Arc::new(move || c.load(Ordering::SeqCst)))
}

fn provider_at(
    auth: &str,
    process: &str,
    password: &str,
    clock: super::client::Clock,
) -> IcgProvider {
    let client = IcgClient::new(
        IcgConfig {
            auth_url: auth.parse().unwrap(),
            process_base_url: process.parse().unwrap(),
            client_id: demo::CLIENT_ID.to_string(),
            username: demo::USERNAME.to_string(),
            password: SecretString::from(password.to_string()),
            http: HttpConfig {
                total_timeout: Duration::from_secs(5),
                ..HttpConfig::default()
            },
        },
        clock,
    )
    .unwrap();
    IcgProvider::new(client, Currency::USD, Some("T1".to_string()))
}

struct T {
    sim: RunningSim,
    p: IcgProvider,
    now: Arc<AtomicU64>,
}

impl T {
    async fn start() -> T {
        let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
            .await
            .unwrap();
        let (now, clock) = clock();
        let root = sim.root_url().to_string();
        // No trailing slash on purpose: the client adds it.
        let p = provider_at(
            &format!("{root}/icg/auth"),
            &format!("{root}/icg/process"),
            demo::PASSWORD,
            clock,
        );
        T { sim, p, now }
    }

    fn counter(&self, name: &str) -> u64 {
        self.sim.icg().counters()[name].as_u64().unwrap()
    }

    async fn call(&self, op: Operation) -> Result<Reply, crate::core::provider::Failure> {
        self.p.call(op).await
    }
}

fn sale(n: u64, invoice: &str, amount: Money) -> SaleRequest {
    SaleRequest {
        key: SaleKey::new("T1", n).unwrap(),
        amount,
        flow: Flow::Invoice {
            number: InvoiceNumber::parse(invoice).unwrap(),
        },
        capture: Capture::Sale,
    }
}

async fn started(t: &T, req: &SaleRequest) -> PaymentHandle {
    match t.call(Operation::Start(req.clone())).await {
        Ok(Reply::Started {
            handle,
            prompt: Prompt::Immediate,
        }) => handle,
        other => panic!("start of {req:?}: {other:?}"),
    }
}

async fn status(t: &T, handle: &PaymentHandle) -> PaymentStatus {
    match t.call(Operation::Status(handle.clone())).await {
        Ok(Reply::Status(s)) => s,
        other => panic!("status of {handle:?}: {other:?}"),
    }
}

fn info(reply: Result<Reply, crate::core::provider::Failure>) -> Vec<(String, String)> {
    match reply {
        Ok(Reply::Info(lines)) => lines
            .into_iter()
            .map(|InfoLine { label, value }| (label, value))
            .collect(),
        other => panic!("a query: {other:?}"),
    }
}

fn query(number: &str) -> Operation {
    Operation::Query {
        service: ServiceId::new(INVOICE_SERVICE),
        inputs: vec![FieldValue::Digits(number.to_string())],
    }
}

#[tokio::test]
async fn pays_an_open_invoice_and_carries_the_confirmation_and_approval_codes() {
    let t = T::start().await;
    t.p.start_up().await.expect("the credentials work");
    let req = sale(1, "1001", usd(13_188));
    let handle = started(&t, &req).await;
    assert_eq!(handle.0, "1001:T1-000001");
    let PaymentStatus::Approved { reference } = status(&t, &handle).await else {
        panic!("not approved");
    };
    let text = t.sim.icg().invoice_text("1001").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let txn = &v["Transactions"][0];
    assert_eq!(
        reference,
        format!(
            "{} (approval {})",
            txn["ConfirmationCode"].as_str().unwrap(),
            txn["ApprovalCode"].as_str().unwrap()
        )
    );
    // The sale key went as Description, the terminal as Laneid, the amount exactly.
    assert_eq!(txn["Description"], "T1-000001");
    assert_eq!(txn["Laneid"], "T1");
    assert!(text.contains(r#""TransactionAmount":131.88"#), "{text}");
    assert_eq!(v["Status"], "Paid");
    assert_eq!(t.counter("pay_posts"), 1);
    // One token served the start-up, the start's lookup and the status check.
    assert_eq!(t.counter("tokens_issued"), 1);

    // A second start of the same sale key is that payment again, never a second pay.
    assert_eq!(started(&t, &req).await, handle);
    assert_eq!(t.counter("pay_posts"), 1);
}

#[tokio::test]
async fn a_partial_payment_leaves_the_rest_due_and_more_than_due_is_refused_before_paying() {
    let t = T::start().await;
    let lines = info(t.call(query("1002")).await);
    assert!(
        lines.contains(&("Amount due".into(), "USD 150.00".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("State".into(), "Partially Paid".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("Payments".into(), "1".into())),
        "{lines:?}"
    );

    let handle = started(&t, &sale(1, "1002", usd(5_000))).await;
    assert!(matches!(
        status(&t, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    let lines = info(t.call(query("1002")).await);
    assert!(
        lines.contains(&("Amount due".into(), "USD 100.00".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("Amount".into(), "USD 250.00".into())),
        "{lines:?}"
    );

    let f = t
        .call(Operation::Start(sale(2, "1002", usd(10_001))))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Rejected);
    assert!(
        f.message
            .contains("USD 100.01 is more than the USD 100.00 due"),
        "{f}"
    );
    assert_eq!(
        t.counter("pay_posts"),
        1,
        "nothing was sent for the refused sale"
    );

    // The rest pays it in full.
    let handle = started(&t, &sale(3, "1002", usd(10_000))).await;
    assert!(matches!(
        status(&t, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    let lines = info(t.call(query("1002")).await);
    assert!(
        lines.contains(&("State".into(), "Paid".into())),
        "{lines:?}"
    );
}

#[tokio::test]
async fn paid_unknown_and_unpayable_invoices_are_refused_before_anything_is_sent() {
    let t = T::start().await;
    let paid = t
        .call(Operation::Start(sale(1, "1003", usd(100))))
        .await
        .unwrap_err();
    assert_eq!(paid.kind, FailureKind::Rejected);
    assert!(paid.message.contains("paid already"), "{paid}");
    let unknown = t
        .call(Operation::Start(sale(2, "98765", usd(100))))
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.kind, unknown.code.as_deref()),
        (FailureKind::Rejected, Some("404"))
    );
    let too_big = t
        .call(Operation::Start(sale(3, "1001", usd(LARGEST_MINOR + 1))))
        .await
        .unwrap_err();
    assert_eq!(too_big.kind, FailureKind::Rejected);
    let mut lyd = sale(4, "1001", Money::from_minor(1000, Currency::LYD));
    let wrong = t.call(Operation::Start(lyd.clone())).await.unwrap_err();
    assert!(wrong.message.contains("USD"), "{wrong}");
    lyd.flow = Flow::Qr;
    lyd.amount = usd(100);
    let qr = t.call(Operation::Start(lyd)).await.unwrap_err();
    assert!(qr.message.contains("invoices only"), "{qr}");
    assert_eq!(t.counter("pay_posts"), 0);
    let q = t.call(query("98765")).await.unwrap_err();
    assert_eq!(q.code.as_deref(), Some("404"));
}

#[tokio::test]
async fn declines_carry_the_status_message() {
    let t = T::start().await;
    let handle = started(&t, &sale(1, "1004", usd(4_000))).await;
    assert_eq!(
        status(&t, &handle).await,
        PaymentStatus::Declined {
            reason: "Declined: insufficient funds".into()
        }
    );
    // Recovery of that sale finds the decline: not paid, and never paid again.
    match t
        .call(Operation::Recover(sale(1, "1004", usd(4_000))))
        .await
    {
        Ok(Reply::Found {
            status: PaymentStatus::Declined { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(t.counter("pay_posts"), 1);
}

#[tokio::test]
async fn a_dropped_answer_is_recovered_by_asking_about_the_invoice_never_by_paying_again() {
    let t = T::start().await;
    t.sim.faults("icg").unwrap().set(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let req = sale(7, "1001", usd(3_188));
    let f = t.call(Operation::Start(req.clone())).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::InDoubt, "{f}");
    assert_eq!(
        t.counter("payments"),
        1,
        "the pay was made, its answer lost"
    );
    match t.call(Operation::Recover(req.clone())).await {
        Ok(Reply::Found {
            handle,
            status: PaymentStatus::Approved { .. },
            prompt: None,
        }) => assert_eq!(handle.0, "1001:T1-000007"),
        other => panic!("{other:?}"),
    }
    assert_eq!(started(&t, &req).await.0, "1001:T1-000007");
    assert_eq!(t.counter("pay_posts"), 1, "recovered, never resent");
    let lines = info(t.call(query("1001")).await);
    assert!(
        lines.contains(&("Amount due".into(), "USD 100.00".into())),
        "{lines:?}"
    );

    // A sale whose pay never left: recovery says so, and pays nothing.
    assert_eq!(
        t.call(Operation::Recover(sale(8, "1001", usd(100)))).await,
        Ok(Reply::NotFound)
    );
    assert_eq!(
        t.call(Operation::Recover(sale(9, "55555", usd(100)))).await,
        Ok(Reply::NotFound)
    );
    assert_eq!(t.counter("pay_posts"), 1);
}

#[tokio::test]
async fn a_token_expiring_mid_sale_is_renewed_once() {
    let t = T::start().await;
    let handle = started(&t, &sale(1, "1001", usd(1_000))).await;
    assert_eq!(t.counter("tokens_issued"), 1);
    // The server's clock passes the token's lifetime; the client's does not know.
    t.sim.clock().advance(Duration::from_secs(86_400));
    assert!(matches!(
        status(&t, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(t.counter("tokens_issued"), 2);
    assert_eq!(t.counter("unauthorized"), 1, "one 401, then the new token");
}

#[tokio::test]
async fn tokens_are_renewed_before_the_expiry_their_answer_gives() {
    let t = T::start().await;
    t.sim.icg().set_token_seconds(600);
    t.p.start_up().await.unwrap();
    assert_eq!(t.counter("tokens_issued"), 1);
    t.now.fetch_add(500_000, Ordering::SeqCst);
    info(t.call(query("1001")).await);
    assert_eq!(t.counter("tokens_issued"), 1, "still 100 s to go");
    t.now.fetch_add(45_000, Ordering::SeqCst);
    info(t.call(query("1001")).await);
    assert_eq!(
        t.counter("tokens_issued"),
        2,
        "55 s before the expiry: renewed"
    );
    assert_eq!(t.counter("unauthorized"), 0, "before any 401");
}

#[tokio::test]
async fn refused_credentials_are_auth_and_name_no_secret() {
    let t = T::start().await;
    let (_, clock) = clock();
    let root = t.sim.root_url().to_string();
    let bad = provider_at(
        &format!("{root}/icg/auth/"),
        &format!("{root}/icg/process/"),
        "wrong-password-123",
        clock,
    );
    let f = bad.start_up().await.unwrap_err();
    assert_eq!(
        (f.kind, f.code.as_deref()),
        (FailureKind::Auth, Some("invalid_grant"))
    );
    assert!(
        f.message
            .contains("The user name or password is incorrect."),
        "{f}"
    );
    let f = bad
        .call(Operation::Start(sale(1, "1001", usd(100))))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth);
    assert!(!format!("{f:?}{bad:?}").contains("wrong-password-123"));
    assert_eq!(t.counter("pay_posts"), 0, "a refused start sends no pay");
}

#[tokio::test]
async fn the_wire_the_grant_form_a_bearer_lookup_and_an_anonymous_pay() {
    let script = IcgSubject::script("Approved");
    let (base, log) = serve(move |r| script(r)).await;
    let (_, clock) = clock();
    let p = provider_at(
        &format!("{base}/kit/auth/"),
        &format!("{base}/kit/process/"),
        "pw-1",
        clock,
    );
    let req = SaleRequest {
        key: SaleKey::parse("kit-000042").unwrap(),
        amount: usd(1_250),
        flow: IcgSubject::flow(),
        capture: Capture::Sale,
    };
    p.call(Operation::Start(req)).await.unwrap();
    let log = log.lock().unwrap().clone();
    let targets: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    let invoice = format!("/kit/process/Invoices/{KIT_INVOICE}");
    let pay = format!("{invoice}/Pay");
    assert_eq!(
        targets,
        vec![
            ("POST", "/kit/auth/Login"),
            ("GET", invoice.as_str()),
            ("POST", pay.as_str())
        ]
    );
    let grant = String::from_utf8(log[0].body.clone()).unwrap();
    assert_eq!(
        grant,
        format!(
            "grant_type=password&username={}&password=pw-1&client_id={}",
            demo::USERNAME.replace('@', "%40"),
            demo::CLIENT_ID
        )
    );
    assert_eq!(log[0].header("accept"), Some("application/json"));
    assert_eq!(log[1].header("authorization"), Some("Bearer kit-token"));
    assert_eq!(log[2].header("authorization"), None, "the pay is anonymous");
    assert_eq!(
        String::from_utf8(log[2].body.clone()).unwrap(),
        r#"{"Amount":12.50,"Type":"V","Laneid":"T1","Description":"kit-000042"}"#
    );
}

#[tokio::test]
async fn a_second_401_is_auth_after_one_renewal() {
    let (base, log) = serve(|r| {
        if r.target.ends_with("/Login") {
            Answer::json(
                200,
                json!({"access_token": "t", "token_type": "bearer", "expires_in": 86399}),
            )
        } else {
            Answer::json(
                401,
                json!({"Message": "Authorization has been denied for this request."}),
            )
        }
    })
    .await;
    let (_, clock) = clock();
    let p = provider_at(&format!("{base}/a/"), &format!("{base}/p/"), "pw", clock);
    let f = p
        .call(Operation::Status(PaymentHandle("1001:T1-000001".into())))
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Auth);
    assert!(f.message.contains("Authorization has been denied"), "{f}");
    let log = log.lock().unwrap();
    let logins = log.iter().filter(|r| r.target.ends_with("/Login")).count();
    assert_eq!(
        (log.len(), logins),
        (4, 2),
        "grant, 401, renewal, 401: no more"
    );
}

#[tokio::test]
async fn capabilities_match_what_the_api_allows() {
    let t = T::start().await;
    let info = t.p.info();
    let c = &info.capabilities;
    assert_eq!(c.flows, vec![crate::core::provider::FlowKind::Invoice]);
    assert!(!c.cancel && !c.refund && !c.auth_capture && !c.agent_pin);
    assert!(c.lookup && t.p.looks_up_without_creating());
    assert_eq!(c.services.len(), 1);
    assert!(!c.services[0].moves_money);
    let handle = started(&t, &sale(1, "1001", usd(100))).await;
    for op in [
        Operation::Cancel(handle.clone()),
        Operation::Refund {
            handle: handle.clone(),
            amount: usd(100),
            key: SaleKey::parse("T1-000001-r1").unwrap(),
        },
        Operation::Capture(handle.clone(), usd(100)),
        Operation::Release(handle),
    ] {
        let f = t.call(op).await.unwrap_err();
        assert_eq!(f.kind, FailureKind::Rejected, "{f}");
    }
    assert_eq!(t.counter("pay_posts"), 1);
}

#[tokio::test]
async fn an_unknown_client_id_is_auth_with_its_oauth_code() {
    let t = T::start().await;
    t.sim
        .icg()
        .control("user", json!({"client_id": "another-audience"}))
        .unwrap();
    let f = t.p.start_up().await.unwrap_err();
    assert_eq!(
        (f.kind, f.code.as_deref()),
        (FailureKind::Auth, Some("invalid_client"))
    );
}
