//! Every endpoint of the client against the simulator over loopback HTTP, and the token's
//! life: wrong credentials, expiry under the simulator's clock mid-use, one renewal.

use std::time::Duration;

use secrecy::SecretString;

use super::*;
use crate::money::{Currency, Money};
use crate::providers::icash::config::demo;
use crate::providers::icash::qr;
use crate::sim::{RunningSim, SimOptions, Simulator};

fn lyd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::LYD)
}

async fn sim() -> RunningSim {
    Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .unwrap()
}

fn client(sim: &RunningSim, password: &str) -> IcashClient {
    IcashClient::new(
        IcashConfig {
            base_url: sim.base_url("icash").unwrap(),
            username: demo::USERNAME.to_uppercase(),
            password: SecretString::from(password),
            card_number: demo::CARD.to_string(),
            http: HttpConfig::default(),
        },
        system_clock(),
    )
    .unwrap()
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(crate::providers::icash::wire::LIBYA)
        .date()
}

#[tokio::test]
async fn wrong_credentials_are_a_typed_login_refusal() {
    let sim = sim().await;
    let c = client(&sim, "not-the-password");
    let e = c.balance().await.unwrap_err();
    match &e {
        IcashError::Login {
            status,
            error,
            description,
        } => {
            assert_eq!(*status, 400);
            assert_eq!(error, "invalid_grant");
            assert_eq!(
                description.as_deref(),
                Some("The user name or password is incorrect.")
            );
        }
        other => panic!("{other:?}"),
    }
    let f = e.to_failure(false);
    assert_eq!(f.kind, FailureKind::Auth);
    assert_eq!(f.code.as_deref(), Some("invalid_grant"));
    assert!(!f.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn a_revoked_merchant_gets_aspnets_401_message() {
    let sim = sim().await;
    let c = client(&sim, demo::PASSWORD);
    c.login().await.unwrap();
    crate::sim::ProviderSim::revoke_credentials(sim.icash().as_ref(), true);
    let e = c.balance().await.unwrap_err();
    // The 401 renews once; the renewal is refused: a login refusal, after one 401.
    assert!(matches!(e, IcashError::Login { .. }), "{e:?}");
    let counters = crate::sim::ProviderSim::counters(sim.icash().as_ref());
    assert_eq!(counters["unauthorized"], 2);
    // The 401 body itself, typed as the API's Message.
    let raw = reqwest::Client::new()
        .get(format!(
            "{}api/ICashAccount/GetBalance?iCashCardNumber={}",
            sim.base_url("icash").unwrap(),
            demo::CARD
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let body = raw.bytes().await.unwrap();
    assert_eq!(
        parse_error_body(&body),
        Some((
            None,
            "Authorization has been denied for this request.".to_string()
        ))
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_mid_use() {
    let sim = sim().await;
    let c = client(&sim, demo::PASSWORD);
    assert_eq!(c.balance().await.unwrap(), lyd(19_000));
    sim.clock().advance(Duration::from_secs(1_209_599 + 1));
    // Four calls at once meet the expired token; one login serves them all.
    let (a, b, d, e) = tokio::join!(c.balance(), c.balance(), c.balance(), c.balance());
    for r in [a, b, d, e] {
        assert_eq!(r.unwrap(), lyd(19_000));
    }
    let counters = crate::sim::ProviderSim::counters(sim.icash().as_ref());
    assert_eq!(counters["tokens_issued"], 2, "{counters}");
    let refused = counters["unauthorized"].as_u64().unwrap();
    assert!((1..=4).contains(&refused), "{counters}");
}

#[tokio::test]
async fn balance_statement_and_transfer_agree() {
    let sim = sim().await;
    let c = client(&sim, demo::PASSWORD);
    let before = c.statement(today(), today(), 100).await.unwrap();
    assert_eq!(before.current_balance, lyd(19_000));
    assert_eq!(before.entries.len(), 3, "the document's three lines");
    assert_eq!(before.entries[0].desc, "شحن رصيد ببطاقة تعبئة");
    assert!(before.entries[1].desc.starts_with("تحويل مالي رقم"));
    assert_eq!(before.entries[1].seller_desc, "Hi");

    let done = c.transfer("1000100550", lyd(1_234), "T1-r1").await.unwrap();
    assert!(!done.reference.is_empty());
    let dt = done.date_time.unwrap();
    assert_eq!(dt.len(), "2019-12-03T02:15:31.2588197+00:00".len(), "{dt}");
    assert_eq!(c.balance().await.unwrap(), lyd(19_000 - 1_234));

    let after = c.statement(today(), today(), 100).await.unwrap();
    let e = &after.entries[0];
    assert_eq!(e.id, done.reference);
    assert_eq!(e.debit, lyd(1_234));
    assert_eq!(e.seller_desc, "T1-r1");
    assert_eq!(e.second_party, "1000100550");
    // Opening and closing chain from the oldest line to the balance.
    let mut balance = after.entries.last().unwrap().opening;
    for e in after.entries.iter().rev() {
        assert_eq!(e.opening, balance);
        balance = balance
            .checked_add(e.credit)
            .unwrap()
            .checked_sub(e.debit)
            .unwrap();
        assert_eq!(e.closing, balance);
    }
    assert_eq!(balance, after.current_balance);
    // NumberOfRecords is honoured, newest first.
    assert_eq!(
        c.statement(today(), today(), 1)
            .await
            .unwrap()
            .entries
            .len(),
        1
    );
    // A day with nothing.
    let past = today() - time::Duration::days(400);
    assert!(
        c.statement(past, past, 10)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    // Too much: a typed 400 Message.
    let e = c
        .transfer("1000100550", lyd(1_000_000_000), "x")
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("Insufficient balance"), "{e}");
}

#[tokio::test]
async fn payment_codes_invoices_and_purchase_checks() {
    let sim = sim().await;
    let c = client(&sim, demo::PASSWORD);
    // The merchant's own code (GeneratePaymentCode pays from the logged-in card).
    let own = c.generate_payment_code(demo::SHOP, lyd(500)).await.unwrap();
    assert_eq!(own.len(), 7);
    // A customer's code, made on the customer's side.
    let code = sim
        .icash()
        .generate_code(demo::CUSTOMER_CARD, demo::SHOP, 12_345)
        .unwrap();
    assert!(
        c.can_customer_purchase(demo::CUSTOMER_CARD, lyd(12_345))
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !c.can_customer_purchase("1000107777", lyd(12_345))
            .await
            .unwrap()
            .allowed
    );
    let wrong = c
        .pay_invoice(demo::CUSTOMER_CARD, lyd(12_000), &code, "T1-000001")
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("does not match"), "{wrong}");
    let paid = c
        .pay_invoice(demo::CUSTOMER_CARD, lyd(12_345), &code, "T1-000001")
        .await
        .unwrap();
    let again = c
        .pay_invoice(demo::CUSTOMER_CARD, lyd(12_345), &code, "T1-000001")
        .await
        .unwrap_err();
    assert!(again.to_string().contains("used"), "{again}");
    let rows = c.statement(today(), today(), 5).await.unwrap();
    assert_eq!(rows.entries[0].id, paid.reference);
    assert_eq!(rows.entries[0].note, "T1-000001");
    assert_eq!(rows.entries[0].credit, lyd(12_345));
    assert_eq!(
        sim.icash().balance(demo::CUSTOMER_CARD),
        Some(5_000_000 - 12_345)
    );
}

#[tokio::test]
async fn vouchers_network_numbers_pins_and_the_qr_png() {
    let sim = sim().await;
    let c = client(&sim, demo::PASSWORD);
    let v = c
        .validate_voucher("75311972192799", lyd(10_000))
        .await
        .unwrap();
    assert!(v.valid);
    assert_eq!(v.secret_no, "75311972192799");
    let used = c
        .validate_voucher("75311972199999", lyd(10_000))
        .await
        .unwrap();
    assert!(!used.valid);
    assert_eq!(used.charge_date.as_deref(), Some("2019-10-16T22:13:41"));
    assert_eq!(
        c.validate_voucher("1", lyd(10_000))
            .await
            .unwrap_err()
            .status(),
        Some(400)
    );
    c.redeem_voucher("75311972192799", lyd(10_000))
        .await
        .unwrap();
    assert!(
        c.redeem_voucher("75311972192799", lyd(10_000))
            .await
            .is_err()
    );
    assert_eq!(c.balance().await.unwrap(), lyd(29_000));

    assert_eq!(c.network_number(demo::CUSTOMER_CARD).await.unwrap(), "100");
    assert_eq!(c.network_number(demo::CARD).await.unwrap(), "712");

    assert!(c.set_new_pin("4821", "4821").await.unwrap());
    assert!(!c.set_new_pin("4821", "1111").await.unwrap());

    let png = c.payment_qr(lyd(12_345), demo::SHOP).await.unwrap();
    assert_eq!(
        qr::payload(&png).unwrap(),
        format!("ICASH|{}|{}|12.345", demo::CARD, demo::SHOP)
    );
    let e = c.payment_qr(lyd(12_345), 99).await.unwrap_err();
    assert!(e.to_string().contains("ShopID"), "{e}");
}
