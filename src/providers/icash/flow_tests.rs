//! The terminal's iCash flows against the simulator over loopback HTTP: card and code, scan to
//! pay, a lost answer after commit (never paid twice), refunds with the same care, token
//! expiry mid-sale, cancel, and the supervisor services.

use std::time::Duration;

use secrecy::SecretString;

use super::config::{IcashSettings, demo, provider};
use super::*;
use crate::core::provider::FieldValue;
use crate::core::sale::{Capture, CardNumber, PaymentCode};
use crate::money::Currency;
use crate::providers::http::HttpConfig;
use crate::sim::{FaultSettings, ProviderSim, RunningSim, SimOptions, Simulator};

fn lyd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::LYD)
}

struct Rig {
    sim: RunningSim,
    p: IcashProvider,
}

async fn rig() -> Rig {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .unwrap();
    let settings = IcashSettings {
        base_url: reqwest::Url::parse(&sim.base_url("icash").unwrap()).unwrap(),
        username: demo::USERNAME.into(),
        password: SecretString::from(demo::PASSWORD),
        card_number: demo::CARD.into(),
        shop_id: demo::SHOP,
        qr_expires_seconds: 300,
    };
    let p = provider(&settings, HttpConfig::default()).unwrap();
    Rig { sim, p }
}

impl Rig {
    fn counter(&self, name: &str) -> u64 {
        self.sim.icash().counters()[name].as_u64().unwrap_or(0)
    }

    fn faults(&self, f: FaultSettings) {
        self.sim.faults("icash").unwrap().set(f);
    }

    async fn call(&self, op: Operation) -> Result<Reply, Failure> {
        self.p.call(op).await
    }
}

fn sale(n: u32, minor: i64, flow: Flow) -> SaleRequest {
    SaleRequest {
        key: SaleKey::parse(&format!("T1-{n:06}")).unwrap(),
        amount: lyd(minor),
        flow,
        capture: Capture::Sale,
    }
}

fn card_flow(code: &str) -> Flow {
    Flow::CardAndCode {
        card: CardNumber::parse(demo::CUSTOMER_CARD).unwrap(),
        code: Some(PaymentCode::parse(code).unwrap()),
    }
}

fn started(r: Result<Reply, Failure>) -> (PaymentHandle, Prompt) {
    match r {
        Ok(Reply::Started { handle, prompt }) => (handle, prompt),
        other => panic!("a start: {other:?}"),
    }
}

async fn status(rig: &Rig, h: &PaymentHandle) -> PaymentStatus {
    match rig.call(Operation::Status(h.clone())).await {
        Ok(Reply::Status(s)) => s,
        other => panic!("a status: {other:?}"),
    }
}

#[tokio::test]
async fn card_and_code_pays_once_with_the_customers_code() {
    let rig = rig().await;
    let code = rig
        .sim
        .icash()
        .generate_code(demo::CUSTOMER_CARD, demo::SHOP, 12_345)
        .unwrap();
    let (h, prompt) = started(
        rig.call(Operation::Start(sale(1, 12_345, card_flow(&code))))
            .await,
    );
    assert_eq!(prompt, Prompt::Immediate);
    assert!(h.0.starts_with("op-"), "{h:?}");
    assert!(matches!(
        status(&rig, &h).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(
        rig.sim.icash().balance(demo::CUSTOMER_CARD),
        Some(5_000_000 - 12_345)
    );
    // The code is spent: the same code again is refused by iCash, not paid.
    let again = rig
        .call(Operation::Start(sale(2, 12_345, card_flow(&code))))
        .await;
    assert!(
        matches!(&again, Err(f) if f.kind == FailureKind::Rejected),
        "{again:?}"
    );
    assert_eq!(rig.counter("invoices_paid"), 1);
}

#[tokio::test]
async fn a_customer_who_cannot_buy_is_refused_before_any_payment() {
    let rig = rig().await;
    let flow = Flow::CardAndCode {
        card: CardNumber::parse("1000107777").unwrap(),
        code: Some(PaymentCode::parse("1234567").unwrap()),
    };
    let r = rig.call(Operation::Start(sale(1, 50_000, flow))).await;
    let f = r.unwrap_err();
    assert_eq!(f.kind, FailureKind::Rejected);
    assert!(f.message.contains("****7777"), "masked: {}", f.message);
    assert!(!f.message.contains("1000107777"), "{}", f.message);
    assert_eq!(rig.counter("invoices_paid"), 0);
    // A code that was never journaled (after a restart) is refused before anything is sent.
    let flow = Flow::CardAndCode {
        card: CardNumber::parse(demo::CUSTOMER_CARD).unwrap(),
        code: None,
    };
    assert!(
        rig.call(Operation::Start(sale(2, 1_000, flow)))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_lost_pay_invoice_answer_is_recovered_from_the_statement_and_never_paid_twice() {
    let rig = rig().await;
    let req = sale(7, 2_500, card_flow(demo::CUSTOMER_CODE));
    rig.faults(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let lost = rig.call(Operation::Start(req.clone())).await;
    assert!(
        matches!(&lost, Err(f) if f.kind == FailureKind::InDoubt),
        "{lost:?}"
    );
    assert_eq!(rig.counter("invoices_paid"), 1, "committed, answer lost");
    for _ in 0..2 {
        match rig.call(Operation::Recover(req.clone())).await {
            Ok(Reply::Found {
                handle,
                status: PaymentStatus::Approved { reference },
                prompt: None,
            }) => assert_eq!(handle.0, format!("op-{reference}")),
            other => panic!("recovery: {other:?}"),
        }
    }
    assert_eq!(rig.counter("invoices_paid"), 1, "recovery paid nothing");
    assert_eq!(
        rig.sim.icash().balance(demo::CUSTOMER_CARD),
        Some(5_000_000 - 2_500),
        "the customer paid once"
    );
    // A sale that never reached iCash is not found: nothing moved.
    let never = sale(8, 2_500, card_flow(demo::CUSTOMER_CODE));
    assert_eq!(
        rig.call(Operation::Recover(never)).await,
        Ok(Reply::NotFound)
    );
}

#[tokio::test]
async fn a_qr_sale_is_paid_by_the_matching_credit_and_each_credit_pays_one_sale() {
    let rig = rig().await;
    let (h, prompt) = started(rig.call(Operation::Start(sale(1, 12_345, Flow::Qr))).await);
    let Prompt::Qr { payload, .. } = prompt else {
        panic!("{prompt:?}")
    };
    assert_eq!(h.0, qr::qr_id(&payload));
    assert!(!h.0.contains(demo::CARD), "{h:?}");
    let open = rig.sim.icash().open_requests();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, h.0, "the QR shown is the one iCash made");
    assert_eq!(open[0].amount, "12.345");
    assert_eq!(status(&rig, &h).await, PaymentStatus::Pending);
    let op = rig
        .sim
        .icash()
        .pay_qr(&payload, demo::CUSTOMER_CARD)
        .unwrap();
    assert_eq!(
        status(&rig, &h).await,
        PaymentStatus::Approved {
            reference: op.to_string()
        }
    );
    // The next sale of the same amount is not paid by that credit.
    let (h2, _) = started(rig.call(Operation::Start(sale(2, 12_345, Flow::Qr))).await);
    assert_eq!(status(&rig, &h2).await, PaymentStatus::Pending);
    let op2 = rig.sim.icash().pay_qr(&h2.0, "1000100550").unwrap();
    assert_eq!(
        status(&rig, &h2).await,
        PaymentStatus::Approved {
            reference: op2.to_string()
        }
    );
}

#[tokio::test]
async fn the_token_expires_mid_sale_and_the_sale_goes_on() {
    let rig = rig().await;
    rig.p.start_up().await.unwrap();
    let (h, _) = started(rig.call(Operation::Start(sale(1, 4_000, Flow::Qr))).await);
    rig.sim.icash().pay_qr(&h.0, demo::CUSTOMER_CARD).unwrap();
    // The customer paid; before the terminal looks, its token expires.
    rig.sim.clock().advance(Duration::from_secs(1_209_599 + 60));
    assert!(matches!(
        status(&rig, &h).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(rig.counter("tokens_issued"), 2, "one new login");
}

#[tokio::test]
async fn cancel_reports_a_payment_that_beat_it() {
    let rig = rig().await;
    let (h, _) = started(rig.call(Operation::Start(sale(1, 3_000, Flow::Qr))).await);
    assert_eq!(
        rig.call(Operation::Cancel(h.clone())).await,
        Ok(Reply::Cancelled(PaymentStatus::Cancelled))
    );
    let (h, _) = started(rig.call(Operation::Start(sale(2, 3_500, Flow::Qr))).await);
    rig.sim.icash().pay_qr(&h.0, demo::CUSTOMER_CARD).unwrap();
    assert!(matches!(
        rig.call(Operation::Cancel(h)).await,
        Ok(Reply::Cancelled(PaymentStatus::Approved { .. }))
    ));
}

#[tokio::test]
async fn refunds_go_back_to_the_paying_card_and_a_lost_answer_is_not_sent_again() {
    let rig = rig().await;
    let (card_sale, _) = started(
        rig.call(Operation::Start(sale(
            1,
            8_000,
            card_flow(demo::CUSTOMER_CODE),
        )))
        .await,
    );
    let (qr_sale, _) = started(rig.call(Operation::Start(sale(2, 6_000, Flow::Qr))).await);
    rig.sim.icash().pay_qr(&qr_sale.0, "1000100550").unwrap();
    assert!(matches!(
        status(&rig, &qr_sale).await,
        PaymentStatus::Approved { .. }
    ));

    let refund = |handle: &PaymentHandle, minor, key: &str| Operation::Refund {
        handle: handle.clone(),
        amount: lyd(minor),
        key: SaleKey::parse(key).unwrap(),
    };
    // Lost answer after commit: in doubt; the retry finds it in the statement.
    rig.faults(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let lost = rig.call(refund(&card_sale, 8_000, "T1-000001-r1")).await;
    assert!(
        matches!(&lost, Err(f) if f.kind == FailureKind::InDoubt),
        "{lost:?}"
    );
    let Ok(Reply::Refunded { reference }) =
        rig.call(refund(&card_sale, 8_000, "T1-000001-r1")).await
    else {
        panic!("the retried refund")
    };
    assert!(!reference.is_empty());
    assert_eq!(
        rig.counter("transfers"),
        2,
        "the seed transfer and this refund, once"
    );
    assert_eq!(
        rig.sim.icash().balance(demo::CUSTOMER_CARD),
        Some(5_000_000)
    );

    // The QR sale's refund goes to the card that paid it.
    assert!(matches!(
        rig.call(refund(&qr_sale, 6_000, "T1-000002-r1")).await,
        Ok(Reply::Refunded { .. })
    ));
    assert_eq!(rig.sim.icash().balance("1000100550"), Some(251_000));
    assert_eq!(rig.counter("transfers"), 3);
}

#[tokio::test]
async fn the_services_answer_for_a_person_and_the_voucher_top_up_is_a_sale() {
    let rig = rig().await;
    let info = |r: Result<Reply, Failure>| match r {
        Ok(Reply::Info(lines)) => lines,
        other => panic!("a service: {other:?}"),
    };
    let query = |id: &str, inputs: Vec<FieldValue>| Operation::Query {
        service: ServiceId::new(id),
        inputs,
    };
    let balance = info(rig.call(query(services::BALANCE, vec![])).await);
    assert_eq!(balance[0].value, "19.000 LYD");
    let statement = info(rig.call(query(services::STATEMENT, vec![])).await);
    assert_eq!(statement.first().unwrap().value, "0.000 LYD", "opening");
    assert!(
        statement
            .iter()
            .any(|l| l.label.contains("شحن رصيد ببطاقة تعبئة"))
    );
    assert_eq!(statement.last().unwrap().value, "19.000 LYD", "closing");
    let voucher = || FieldValue::Digits("75311972190001".into());
    let check = info(
        rig.call(query(
            services::VOUCHER_CHECK,
            vec![voucher(), FieldValue::Amount(lyd(25_000))],
        ))
        .await,
    );
    assert!(
        check.iter().any(|l| l.value.starts_with("valid")),
        "{check:?}"
    );

    let redeem = sale(
        9,
        25_000,
        Flow::Service {
            service: ServiceId::new(services::VOUCHER_REDEEM),
            inputs: vec![voucher()],
        },
    );
    rig.faults(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let lost = rig.call(Operation::Start(redeem.clone())).await;
    assert!(
        matches!(&lost, Err(f) if f.kind == FailureKind::InDoubt),
        "{lost:?}"
    );
    assert!(matches!(
        rig.call(Operation::Recover(redeem.clone())).await,
        Ok(Reply::Found {
            status: PaymentStatus::Approved { .. },
            ..
        })
    ));
    assert_eq!(rig.counter("vouchers_redeemed"), 1);
    let balance = info(rig.call(query(services::BALANCE, vec![])).await);
    assert_eq!(balance[0].value, "44.000 LYD");
    // An unused voucher's recovery finds nothing.
    let other = sale(
        10,
        50_000,
        Flow::Service {
            service: ServiceId::new(services::VOUCHER_REDEEM),
            inputs: vec![FieldValue::Digits("75311972190002".into())],
        },
    );
    assert_eq!(
        rig.call(Operation::Recover(other)).await,
        Ok(Reply::NotFound)
    );
}

#[tokio::test]
async fn debug_output_masks_the_merchant_card_and_hides_the_password() {
    let rig = rig().await;
    let text = format!("{:?}", rig.p);
    assert!(
        !text.contains(demo::CARD) && text.contains("****4567"),
        "{text}"
    );
    assert!(!text.contains(demo::PASSWORD), "{text}");
    let settings = super::config::demo_settings(rig.sim.root_url(), "T1").unwrap();
    let text = format!("{settings:?}");
    assert!(
        !text.contains(demo::CARD) && !text.contains(demo::PASSWORD),
        "{text}"
    );
}
