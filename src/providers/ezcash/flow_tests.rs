//! The eZ Cash provider against its simulator over loopback HTTP: sales approved and rejected
//! on the handset, the `v1-test` path, token expiry and refresh rotation in the middle of a
//! sale, the persisted refresh token across a restart, lost answers recovered (never resent),
//! the agent PIN, the agent services, and the codes the simulator really answers.

use secrecy::SecretString;
use serde_json::json;

use super::client::{ApiPath, EzcashClient};
use super::config::demo;
use super::test_rig::*;
use super::{AgentConfig, BALANCE, BILL, EzcashProvider, TOPUP};
use crate::core::provider::{
    FailureKind, FieldValue, Operation, PaymentHandle, PaymentStatus, Prompt, Reply, ServiceId,
};
use crate::core::sale::{Flow, Msisdn};
use crate::providers::PaymentProvider;
use crate::sim::{CustomerAction, FaultSettings, ProviderSim};
use std::time::Duration;

#[tokio::test]
async fn a_push_sale_waits_for_the_handset_and_is_approved() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    p.start_up().await.expect("start-up fetches a token");
    let (agent0, customer0) = (rig.wallet(demo::AGENT_ALIAS), rig.wallet(SUBSCRIBER));
    let (handle, prompt) = started(&p, push("T1-000001", 1250)).await;
    assert_eq!(handle.0, "T1-000001", "the handle is the request id");
    match prompt {
        Prompt::PushSent { phone, .. } => assert_eq!(phone.as_str(), SUBSCRIBER),
        other => panic!("{other:?}"),
    }
    assert_eq!(status(&p, &handle).await, PaymentStatus::Pending);
    // The customer page shows it to the subscriber, with its exact amount.
    let open = rig.sim.ezcash().open_requests();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].amount, "12.50");
    assert!(open[0].text.as_deref().unwrap_or("").contains(SUBSCRIBER));
    rig.sim
        .ezcash()
        .act("T1-000001", CustomerAction::Pay)
        .unwrap();
    let reference = match status(&p, &handle).await {
        PaymentStatus::Approved { reference } => reference,
        other => panic!("{other:?}"),
    };
    let tx = rig
        .sim
        .ezcash()
        .transaction(demo::AGENT_ALIAS, "T1-000001")
        .unwrap();
    assert!(
        reference.len() >= 10 && reference.bytes().all(|b| b.is_ascii_digit()),
        "{reference}"
    );
    assert_eq!(tx["status"], 5);
    assert_eq!(rig.wallet(SUBSCRIBER), customer0 - 1250);
    assert_eq!(rig.wallet(demo::AGENT_ALIAS), agent0 + 1250);
    assert_eq!(rig.counter("v1"), 3);
    assert_eq!(
        rig.counter("password_grants"),
        1,
        "one token for everything"
    );
}

#[tokio::test]
async fn a_rejected_or_unfunded_push_is_declined_in_the_documents_words() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let (h1, _) = started(&p, push("T1-000002", 1500)).await;
    rig.sim
        .ezcash()
        .act("T1-000002", CustomerAction::Reject)
        .unwrap();
    assert_eq!(
        status(&p, &h1).await,
        PaymentStatus::Declined {
            reason: "Transaction Failure (6)".into()
        }
    );
    rig.control(
        "subscriber",
        json!({"mobile": SUBSCRIBER, "balance": "10.00"}),
    );
    let (h2, _) = started(&p, push("T1-000003", 1500)).await;
    rig.sim
        .ezcash()
        .act("T1-000003", CustomerAction::Pay)
        .unwrap();
    assert_eq!(
        status(&p, &h2).await,
        PaymentStatus::Declined {
            reason: "Insufficient amount balance (22)".into()
        }
    );
    assert_eq!(rig.wallet(SUBSCRIBER), 1000, "nothing moved");
    // Unapproved for 300 s of sim time: failed.
    let (h3, _) = started(&p, push("T1-000004", 1500)).await;
    rig.sim.clock().advance(Duration::from_secs(301));
    assert!(matches!(
        status(&p, &h3).await,
        PaymentStatus::Declined { .. }
    ));
}

#[tokio::test]
async fn the_v1_test_path_is_served_beside_v1() {
    let rig = Rig::start().await;
    let p = rig.provider_at(ApiPath::V1Test, Some(demo::AGENT_PIN));
    let (handle, _) = started(&p, push("T1-000010", 2000)).await;
    rig.sim
        .ezcash()
        .act("T1-000010", CustomerAction::Pay)
        .unwrap();
    assert!(matches!(
        status(&p, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(rig.counter("v1_test"), 2);
    assert_eq!(rig.counter("v1"), 0);
}

#[tokio::test]
async fn the_token_expires_and_the_refresh_rotates_in_the_middle_of_a_sale() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    p.start_up().await.unwrap();
    let first = rig.token_file();
    assert!(first.contains("refresh_token"), "{first}");
    // The sale starts near the end of the token's hour, and is still waiting when it ends:
    // the next status is refused 900903, refreshed once, retried.
    rig.sim.clock().advance(Duration::from_secs(3500));
    let (handle, _) = started(&p, push("T1-000020", 1250)).await;
    rig.sim.clock().advance(Duration::from_secs(200));
    assert_eq!(status(&p, &handle).await, PaymentStatus::Pending);
    assert_eq!(rig.counter("refresh_grants"), 1);
    assert_eq!(rig.counter("password_grants"), 1);
    let second = rig.token_file();
    assert_ne!(first, second, "the rotated refresh token is persisted");
    rig.sim
        .ezcash()
        .act("T1-000020", CustomerAction::Pay)
        .unwrap();
    rig.sim.clock().advance(Duration::from_secs(3601));
    assert!(matches!(
        status(&p, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(rig.counter("refresh_grants"), 2);
    assert_eq!(
        rig.counter("password_grants"),
        1,
        "never the password again"
    );
    // The first refresh token was spent by the rotation: a replay of it is refused.
    let old: serde_json::Value = serde_json::from_str(&first).unwrap();
    let replay = reqwest::Client::new()
        .post(format!("{}token", rig.base()))
        .basic_auth(demo::CONSUMER_KEY, Some(demo::CONSUMER_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", old["refresh_token"].as_str().unwrap()),
            ("scope", "PRODUCTION"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_clients_own_clock_renews_before_the_gateway_refuses() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let (handle, _) = started(&p, push("T1-000021", 1250)).await;
    rig.clock.advance(3600);
    assert_eq!(status(&p, &handle).await, PaymentStatus::Pending);
    assert_eq!(rig.counter("refresh_grants"), 1);
    assert_eq!(rig.counter("unauthorized"), 0, "renewed before any refusal");
}

#[cfg(unix)]
#[tokio::test]
async fn a_restart_renews_with_the_persisted_refresh_token() {
    use std::os::unix::fs::PermissionsExt;
    let rig = Rig::start().await;
    let a = rig.provider(Some(demo::AGENT_PIN));
    a.start_up().await.unwrap();
    let path = rig.dir.path().join("ezcash").join("token.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the token file is the owner's only");
    drop(a);
    let b = rig.provider(Some(demo::AGENT_PIN));
    b.start_up().await.unwrap();
    assert_eq!(
        rig.counter("password_grants"),
        1,
        "the restart sent no password"
    );
    assert_eq!(rig.counter("refresh_grants"), 1);
    // A refresh token the gateway no longer knows: invalid_grant, then the password grant.
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"consumer_key": demo::CONSUMER_KEY,
            "username": demo::USERNAME, "scope": "PRODUCTION", "refresh_token": "rt-unknown"}))
        .unwrap(),
    )
    .unwrap();
    let c = rig.provider(Some(demo::AGENT_PIN));
    started(&c, push("T1-000030", 1250)).await;
    assert_eq!(rig.counter("refresh_grants"), 2);
    assert_eq!(rig.counter("password_grants"), 2);
    assert!(!rig.token_file().contains("rt-unknown"));
}

#[tokio::test]
async fn lost_answers_are_recovered_by_the_status_query_never_resent() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    p.start_up().await.unwrap();
    let faults = rig.sim.faults("ezcash").unwrap();
    faults.set(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let sale = push("T1-000040", 1250);
    let f = failure(&p, Operation::Start(sale.clone())).await;
    assert_eq!(f.kind, FailureKind::InDoubt, "{f}");
    assert_eq!(rig.counter("transactions"), 1);
    match p.call(Operation::Recover(sale.clone())).await {
        Ok(Reply::Found {
            handle,
            status: PaymentStatus::Pending,
            prompt: Some(Prompt::PushSent { .. }),
        }) => assert_eq!(handle.0, "T1-000040"),
        other => panic!("{other:?}"),
    }
    // A repeated start is a 64 at eZ Cash, resolved by the status query.
    let (handle, _) = started(&p, sale.clone()).await;
    assert_eq!(handle.0, "T1-000040");
    assert_eq!(rig.counter("duplicates"), 1);
    assert_eq!(rig.counter("transactions"), 1, "never a second transaction");
    rig.sim
        .ezcash()
        .act("T1-000040", CustomerAction::Pay)
        .unwrap();
    match p.call(Operation::Recover(sale)).await {
        Ok(Reply::Found {
            status: PaymentStatus::Approved { .. },
            prompt: None,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A top-up whose answer is lost: found done, the money moved once.
    let agent0 = rig.wallet(demo::AGENT_ALIAS);
    faults.set(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let topup = service(
        "T1-000041",
        5000,
        TOPUP,
        vec![FieldValue::Digits(SUBSCRIBER.into())],
    );
    assert_eq!(
        failure(&p, Operation::Start(topup.clone())).await.kind,
        FailureKind::InDoubt
    );
    match p.call(Operation::Recover(topup)).await {
        Ok(Reply::Found {
            status: PaymentStatus::Approved { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(rig.wallet(demo::AGENT_ALIAS), agent0 - 5000);
    // A sale eZ Cash never saw.
    assert_eq!(
        p.call(Operation::Recover(push("T1-000049", 1250))).await,
        Ok(Reply::NotFound)
    );
}

#[tokio::test]
async fn a_request_id_used_for_another_transaction_is_never_read_as_this_sale() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    started(&p, push("T1-000050", 1250)).await;
    // The same key for another amount (a journal wiped, the sequence restarted).
    let f = failure(&p, Operation::Start(push("T1-000050", 9900))).await;
    assert_eq!(f.kind, FailureKind::Rejected, "{f}");
    assert_eq!(f.code.as_deref(), Some("64"));
    let f = failure(&p, Operation::Recover(push("T1-000050", 9900))).await;
    assert_eq!(f.kind, FailureKind::Rejected, "{f}");
}

#[tokio::test]
async fn the_typed_agent_pin_is_checked_held_and_forgotten() {
    let rig = Rig::start().await;
    let p = rig.provider(None);
    assert!(p.info().capabilities.agent_pin);
    let f = failure(&p, Operation::Start(push("T1-000060", 1250))).await;
    assert_eq!(f.kind, FailureKind::Auth);
    assert!(f.message.contains("agent PIN"), "{f}");
    assert_eq!(rig.counter("submits"), 0, "nothing was sent while locked");
    let wrong = p.unlock(SecretString::from("9999")).await.unwrap_err();
    assert_eq!(
        (wrong.kind, wrong.code.as_deref()),
        (FailureKind::Auth, Some("37"))
    );
    assert_eq!(
        failure(&p, Operation::Start(push("T1-000060", 1250)))
            .await
            .kind,
        FailureKind::Auth,
        "a refused PIN is not kept"
    );
    p.unlock(SecretString::from(demo::AGENT_PIN)).await.unwrap();
    assert!(!format!("{p:?}").contains(demo::AGENT_PIN));
    started(&p, push("T1-000060", 1250)).await;
    p.lock();
    let f = failure(&p, Operation::Status(PaymentHandle("T1-000060".into()))).await;
    assert_eq!(f.kind, FailureKind::Auth);
    // The agent's PIN changed at eZ Cash mid-shift: the first 37 locks the terminal again.
    p.unlock(SecretString::from(demo::AGENT_PIN)).await.unwrap();
    rig.control("agent", json!({"alias": demo::AGENT_ALIAS, "pin": "2468"}));
    let f = failure(&p, Operation::Start(push("T1-000061", 1250))).await;
    assert_eq!((f.kind, f.code.as_deref()), (FailureKind::Auth, Some("37")));
    let submits = rig.counter("submits");
    assert_eq!(
        failure(&p, Operation::Start(push("T1-000062", 1250)))
            .await
            .kind,
        FailureKind::Auth
    );
    assert_eq!(
        rig.counter("submits"),
        submits,
        "the refused PIN was not sent again"
    );
}

#[tokio::test]
async fn a_refused_configured_pin_is_not_sent_again_so_the_agent_is_not_blocked() {
    let rig = Rig::start().await;
    let p = rig.provider(Some("0000"));
    assert!(!p.info().capabilities.agent_pin, "the config holds the PIN");
    p.unlock(SecretString::from("1111")).await.unwrap();
    let f = failure(&p, Operation::Start(push("T1-000070", 1250))).await;
    assert_eq!((f.kind, f.code.as_deref()), (FailureKind::Auth, Some("37")));
    for n in 71..75 {
        let f = failure(&p, Operation::Start(push(&format!("T1-0000{n}"), 1250))).await;
        assert_eq!(f.kind, FailureKind::Auth);
    }
    assert_eq!(rig.counter("submits"), 1);
    // The right PIN still works: the agent was not blocked.
    let q = rig.provider(Some(demo::AGENT_PIN));
    started(&q, push("T1-000076", 1250)).await;
}

#[tokio::test]
async fn three_wrong_pins_block_the_agent_with_55() {
    let rig = Rig::start().await;
    for (n, want) in [(1, "37"), (2, "37"), (3, "55")] {
        let p = rig.provider(Some("0000"));
        let f = failure(&p, Operation::Start(push(&format!("T1-00008{n}"), 1250))).await;
        assert_eq!(f.code.as_deref(), Some(want), "attempt {n}: {f}");
    }
    let p = rig.provider(Some(demo::AGENT_PIN));
    let f = failure(&p, Operation::Start(push("T1-000085", 1250))).await;
    assert_eq!((f.kind, f.code.as_deref()), (FailureKind::Auth, Some("55")));
    assert!(
        f.message
            .contains("Account is blocked due to invalid pin retries"),
        "{f}"
    );
    rig.control("unblock", json!({"alias": demo::AGENT_ALIAS}));
    let p = rig.provider(Some(demo::AGENT_PIN));
    started(&p, push("T1-000086", 1250)).await;
}

#[tokio::test]
async fn agent_services_move_money_and_the_balance_is_queried() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let (agent0, customer0) = (rig.wallet(demo::AGENT_ALIAS), rig.wallet(SUBSCRIBER));
    let topup = service(
        "T1-000090",
        20000,
        TOPUP,
        vec![FieldValue::Digits(format!("0{SUBSCRIBER}"))],
    );
    let (h, prompt) = started(&p, topup).await;
    assert_eq!(prompt, Prompt::Immediate);
    assert!(matches!(
        status(&p, &h).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(rig.wallet(SUBSCRIBER), customer0 + 20000);
    let bill = service(
        "T1-000091",
        5000,
        BILL,
        vec![
            FieldValue::Choice(5),
            FieldValue::Digits("788181234".into()),
        ],
    );
    let (h, _) = started(&p, bill).await;
    assert!(matches!(
        status(&p, &h).await,
        PaymentStatus::Approved { .. }
    ));
    let tx = rig
        .sim
        .ezcash()
        .transaction(demo::AGENT_ALIAS, "T1-000091")
        .unwrap();
    assert_eq!(
        (tx["tx_type"].as_str(), tx["domain"].as_str()),
        (Some("TX_ATOB"), Some("HUTCH"))
    );
    assert_eq!(rig.wallet(demo::AGENT_ALIAS), agent0 - 25000);
    let info = match p
        .call(Operation::Query {
            service: ServiceId::new(BALANCE),
            inputs: Vec::new(),
        })
        .await
    {
        Ok(Reply::Info(lines)) => lines,
        other => panic!("{other:?}"),
    };
    let want = lkr(agent0 - 25000).to_string();
    assert_eq!(info[0].value, want, "{info:?}");
    // Too little in the agent's wallet for a top-up: 22, nothing moved.
    rig.control(
        "agent",
        json!({"alias": demo::AGENT_ALIAS, "pin": demo::AGENT_PIN, "balance": "20.00"}),
    );
    let topup = service(
        "T1-000092",
        5000,
        TOPUP,
        vec![FieldValue::Digits(SUBSCRIBER.into())],
    );
    let f = failure(&p, Operation::Start(topup)).await;
    assert_eq!(
        (f.kind, f.code.as_deref()),
        (FailureKind::Rejected, Some("22"))
    );
    assert_eq!(f.message, "eZ Cash: Insufficient amount balance");
    // What the menu cannot give is refused before sending.
    let bad = service(
        "T1-000093",
        5000,
        BILL,
        vec![FieldValue::Choice(9), FieldValue::Digits("1".into())],
    );
    assert_eq!(
        failure(&p, Operation::Start(bad)).await.kind,
        FailureKind::Rejected
    );
    let q = Operation::Query {
        service: ServiceId::new("statement"),
        inputs: Vec::new(),
    };
    assert_eq!(failure(&p, q).await.kind, FailureKind::Rejected);
}

#[tokio::test]
async fn the_simulators_refusals_reach_the_terminal_with_their_codes() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let code = |f: crate::core::provider::Failure| (f.kind, f.code.unwrap_or_default(), f.message);
    // 17: under the document's minimum of 10.
    let (k, c, m) = code(failure(&p, Operation::Start(push("T1-000100", 999))).await);
    assert_eq!((k, c.as_str()), (FailureKind::Rejected, "17"));
    assert_eq!(m, "eZ Cash: Amount less than the minimum value allowed");
    // 18: over the per-transaction maximum.
    let (_, c, _) = code(failure(&p, Operation::Start(push("T1-000101", 10_000_001))).await);
    assert_eq!(c, "18");
    // 19: over the daily cap.
    rig.control("limits", json!({"daily": "30.00"}));
    started(&p, push("T1-000102", 2000)).await;
    let (_, c, _) = code(failure(&p, Operation::Start(push("T1-000103", 2000))).await);
    assert_eq!(c, "19");
    rig.control("limits", json!({"daily": "1000000.00"}));
    // 51: a subscriber eZ Cash does not know.
    let mut unknown = push("T1-000104", 2000);
    unknown.flow = Flow::Push {
        phone: Msisdn::parse("711111111").unwrap(),
    };
    let (_, c, _) = code(failure(&p, Operation::Start(unknown)).await);
    assert_eq!(c, "51");
    // 63: an alias eZ Cash does not know.
    let mut config = client_config(&rig.base(), rig.dir.path(), ApiPath::V1);
    config.token_file = None;
    let client = EzcashClient::new(config, rig.clock.clock()).unwrap();
    let stranger = EzcashProvider::new(
        client,
        AgentConfig {
            alias: "NOBODY".into(),
            pin: Some(SecretString::from("1234")),
            mobile: None,
            approval_seconds: 60,
        },
        rig.clock.clock(),
    );
    let (k, c, _) = code(failure(&stranger, Operation::Start(push("T1-000105", 2000))).await);
    assert_eq!((k, c.as_str()), (FailureKind::Auth, "63"));
    // A refused sale's id is kept: its recovery finds it declined, not unknown.
    match p.call(Operation::Recover(push("T1-000100", 999))).await {
        Ok(Reply::Found {
            status: PaymentStatus::Declined { reason },
            ..
        }) => assert_eq!(reason, "Amount less than the minimum value allowed (17)"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_backed_off_within_its_bound() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let (handle, _) = started(&p, push("T1-000110", 1250)).await;
    rig.control("throttle", json!({"next": 2}));
    assert_eq!(status(&p, &handle).await, PaymentStatus::Pending);
    assert_eq!(rig.counter("throttled"), 2);
    rig.control("throttle", json!({"next": 10}));
    let f = failure(&p, Operation::Status(handle.clone())).await;
    assert_eq!(f.kind, FailureKind::Transient, "{f}");
    assert!(f.message.contains("Message Throttled Out"), "{f}");
    assert_eq!(f.code.as_deref(), Some("900800"));
    assert_eq!(rig.counter("throttled"), 5, "two retries, then given up");
    // A start throttled to the end made nothing: transient, not in doubt.
    rig.control("throttle", json!({"next": 10}));
    let f = failure(&p, Operation::Start(push("T1-000111", 1250))).await;
    assert_eq!(f.kind, FailureKind::Transient);
    assert_eq!(rig.counter("transactions"), 1);
}

#[tokio::test]
async fn refused_ideabiz_credentials_are_auth_failures() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    let (handle, _) = started(&p, push("T1-000120", 1250)).await;
    rig.sim.ezcash().revoke_credentials(true);
    let f = failure(&p, Operation::Status(handle.clone())).await;
    assert_eq!(f.kind, FailureKind::Auth);
    assert!(f.message.contains("invalid_client"), "{f}");
    assert_eq!(f.code.as_deref(), Some("invalid_client"));
    rig.sim.ezcash().revoke_credentials(false);
    assert_eq!(status(&p, &handle).await, PaymentStatus::Pending);
}

#[tokio::test]
async fn an_access_token_made_inactive_mid_sale_takes_a_new_password_grant() {
    let rig = Rig::start().await;
    let a = rig.provider(Some(demo::AGENT_PIN));
    let (handle, _) = started(&a, push("T1-000130", 1250)).await;
    assert_eq!(rig.counter("password_grants"), 1);
    // A second client on the same token file (a restart beside this one) spends the refresh
    // token: the first one's access token is now inactive at the gateway (900904).
    let b = rig.provider(Some(demo::AGENT_PIN));
    b.start_up().await.unwrap();
    assert_eq!(rig.counter("refresh_grants"), 1);
    let refused = rig.counter("unauthorized");
    assert_eq!(status(&a, &handle).await, PaymentStatus::Pending);
    assert_eq!(
        rig.counter("unauthorized"),
        refused + 1,
        "refused 900904 once"
    );
    assert_eq!(
        rig.counter("password_grants"),
        2,
        "a new password grant, not the spent refresh token"
    );
    rig.sim
        .ezcash()
        .act("T1-000130", CustomerAction::Pay)
        .unwrap();
    assert!(matches!(
        status(&a, &handle).await,
        PaymentStatus::Approved { .. }
    ));
    assert_eq!(rig.counter("transactions"), 1);
}

#[tokio::test]
async fn a_bill_payment_whose_answer_is_lost_is_found_paid_once() {
    let rig = Rig::start().await;
    let p = rig.provider(Some(demo::AGENT_PIN));
    p.start_up().await.unwrap();
    let agent0 = rig.wallet(demo::AGENT_ALIAS);
    rig.sim.faults("ezcash").unwrap().set(FaultSettings {
        drop_after_commit: 1,
        ..FaultSettings::default()
    });
    let bill = service(
        "T1-000140",
        7500,
        BILL,
        vec![
            FieldValue::Choice(0),
            FieldValue::Digits("771234567".into()),
        ],
    );
    let f = failure(&p, Operation::Start(bill.clone())).await;
    assert_eq!(f.kind, FailureKind::InDoubt, "{f}");
    match p.call(Operation::Recover(bill.clone())).await {
        Ok(Reply::Found {
            status: PaymentStatus::Approved { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A start repeated after the recovery is a 64 resolved by the status: still one payment.
    started(&p, bill).await;
    assert_eq!(rig.counter("transactions"), 1);
    assert_eq!(rig.wallet(demo::AGENT_ALIAS), agent0 - 7500);
}
