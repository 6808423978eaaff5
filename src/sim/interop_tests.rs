//! The mCASH client of `providers::mcash` pointed at the simulator, unchanged: proves the two
//! read the document the same way (paths, headers, auth levels, status codes, money form).

use secrecy::SecretString;

use super::mcash::{DEMO_MERCHANT_ID, DEMO_SECRET, DEMO_USER_ID, McashOptions, McashUser};
use super::{CustomerAction, ProviderSim, SimOptions, Simulator};
use crate::money::{Currency, Money};
use crate::providers::http::HttpConfig;
use crate::providers::mcash::client::{Creation, McashClient, McashConfig, system_clock};
use crate::providers::mcash::sign::Signer;
use crate::providers::mcash::wire::{
    PaymentAction, PaymentRequestCreate, PaymentRequestUpdate, PosCreate, PosType, ReportClose,
    ShortlinkCreate, StatusCode, UpdateAction,
};

#[tokio::test]
async fn the_mcash_client_works_against_the_simulator() {
    let (private, public) = super::tests::test_key();
    let sim = Simulator::start(
        "127.0.0.1:0".parse().unwrap(),
        SimOptions {
            autopilot: None,
            mcash: McashOptions {
                users: vec![McashUser {
                    id: "key-pos".into(),
                    roles: vec!["superuser".into()],
                    secret: Some(SecretString::from("key-user-secret")),
                    pubkey_pem: Some(public.clone()),
                    integrator: false,
                }],
                callback_key_pem: None,
            },
        },
    )
    .await
    .unwrap();
    let config = McashConfig {
        base_url: sim.base_url("mcash").unwrap(),
        merchant_id: DEMO_MERCHANT_ID.into(),
        user_id: "key-pos".into(),
        secret: SecretString::from("key-user-secret"),
        private_key: Some(Signer::from_pem(&SecretString::from(private.clone())).unwrap()),
        testbed_token: None,
        http: HttpConfig::default(),
    };
    let client = McashClient::new(config, system_clock()).unwrap();
    let demo = McashClient::new(
        McashConfig {
            base_url: sim.base_url("mcash").unwrap(),
            merchant_id: DEMO_MERCHANT_ID.into(),
            user_id: DEMO_USER_ID.into(),
            secret: SecretString::from(DEMO_SECRET),
            private_key: None,
            testbed_token: None,
            http: HttpConfig::default(),
        },
        system_clock(),
    )
    .unwrap();

    demo.merchant(DEMO_MERCHANT_ID).await.unwrap();
    demo.create_pos(&PosCreate {
        id: "till-1".into(),
        name: "Till 1".into(),
        pos_type: PosType::Store,
        location: None,
    })
    .await
    .unwrap();
    assert_eq!(demo.list_pos().await.unwrap().uris.len(), 1);
    let link = demo
        .create_shortlink(&ShortlinkCreate::default())
        .await
        .unwrap();
    let link_id = link.id.unwrap();

    // Sale, idempotent create, pay, outcome.
    let amount = Money::from_minor(1_250, Currency::NOK);
    let mut req = PaymentRequestCreate::new(amount, "till-1", "t-1", None, PaymentAction::Sale);
    req.ledger = Some("default".into());
    let first = demo.create_payment_request(&req).await.unwrap();
    assert_eq!(first.creation, Creation::New);
    let again = demo.create_payment_request(&req).await.unwrap();
    assert_eq!(again.creation, Creation::Identical);
    assert_eq!(again.created.id, first.created.id);
    let tid = first.created.id.clone();
    let mcash = sim.mcash();
    mcash.act(&tid, CustomerAction::Pay).unwrap();
    let outcome = demo.payment_outcome(&tid).await.unwrap();
    assert_eq!(outcome.status_code, Some(StatusCode::Ok));
    assert_eq!(outcome.amount().unwrap(), Some(amount));

    // Auth via a shortlink scan, partial capture, KEY refund.
    let mut auth = PaymentRequestCreate::new(
        Money::from_minor(10_000, Currency::NOK),
        "till-1",
        "t-2",
        Some(format!("shortlink_id:{link_id}")),
        PaymentAction::Auth,
    );
    auth.max_scan_age = Some(60);
    let tid2 = demo.create_payment_request(&auth).await.unwrap().created.id;
    mcash.scan(&link_id, None).unwrap();
    mcash.act(&tid2, CustomerAction::Pay).unwrap();
    assert_eq!(
        demo.payment_outcome(&tid2).await.unwrap().status_code,
        Some(StatusCode::Auth)
    );
    let part = PaymentRequestUpdate::capture("c1", Money::from_minor(4_000, Currency::NOK));
    demo.update_payment_request(&tid2, &part).await.unwrap();
    demo.update_payment_request(&tid2, &part).await.unwrap();
    demo.update_payment_request(&tid2, &PaymentRequestUpdate::action(UpdateAction::Release))
        .await
        .unwrap();
    let o = demo.payment_outcome(&tid2).await.unwrap();
    assert_eq!(o.status_code, Some(StatusCode::Ok));
    assert_eq!(o.captures.map(|c| c.len()), Some(1));
    let refund = PaymentRequestUpdate::refund("r1", Money::from_minor(1_000, Currency::NOK), None);
    assert!(demo.update_payment_request(&tid2, &refund).await.is_err());
    client.update_payment_request(&tid2, &refund).await.unwrap();

    // Reports and settlements.
    let ledger = demo.get_ledger("default").await.unwrap();
    let open = ledger.open_report_uri.unwrap();
    demo.close_report_uri(&open, &ReportClose::default())
        .await
        .unwrap();
    let ledger = demo.get_ledger("default").await.unwrap();
    assert_eq!(
        ledger.last_closed_report_uri.as_deref(),
        Some(open.as_str())
    );
    assert_eq!(demo.last_settlement().await.unwrap(), None);
    mcash.generate_settlement();
    assert!(demo.last_settlement().await.unwrap().is_some());
    sim.shutdown().await.unwrap();
}
