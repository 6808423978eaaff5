//! The real serial driver against the simulated HAT and VMC on a pseudo-terminal pair.

use std::time::Duration;

use super::hat::{HatSettings, SessionStyle};
use super::sim::{AfterApproval, SimHat};
use super::{MdbConfig, spawn};
use crate::core::sale::SaleKey;
use crate::money::{Currency, Money};
use crate::vend::bridge::{BridgeLink, link};
use crate::vend::{MachineCommand, MachineEvent};

fn nok(m: i64) -> Money {
    Money::from_minor(m, Currency::NOK)
}

fn settings(style: SessionStyle, deny: &str) -> HatSettings {
    HatSettings {
        currency: Currency::NOK,
        style,
        deny_command: deny.into(),
        extra_settings: vec![("mdb-timeout-vend".into(), "120".into())],
    }
}

async fn start(style: SessionStyle, deny: &str) -> (SimHat, BridgeLink) {
    start_with(style, deny, false).await
}

/// [`start`], with the HAT's reset line given to the driver or not.
async fn start_with(style: SessionStyle, deny: &str, reset_line: bool) -> (SimHat, BridgeLink) {
    let sim = SimHat::start().unwrap();
    let (machine, bridge) = link();
    let reset: Option<super::ResetLine> = if reset_line {
        Some(Box::new(sim.reset_line()))
    } else {
        None
    };
    spawn(
        MdbConfig {
            port: sim.port.clone(),
            hat: settings(style, deny),
            link_timeout: Duration::from_millis(400),
        },
        machine,
        reset,
    )
    .unwrap();
    let ready = tokio::task::spawn_blocking({
        let s = sim.clone();
        move || s.wait(Duration::from_secs(3), |s| s.enabled())
    });
    let _ = ready.await;
    (sim, bridge)
}

async fn next(bridge: &mut BridgeLink) -> MachineEvent {
    tokio::time::timeout(Duration::from_secs(3), bridge.events.recv())
        .await
        .expect("an event within 3 s")
        .expect("the driver runs")
}

async fn wait(sim: &SimHat, what: impl Fn(&SimHat) -> bool + Send + 'static) -> bool {
    let s = sim.clone();
    tokio::task::spawn_blocking(move || s.wait(Duration::from_secs(3), what))
        .await
        .unwrap_or(false)
}

fn sale() -> SaleKey {
    SaleKey::parse("V1-000001").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configures_the_hat_then_sells_in_the_always_idle_sequence() {
    let (sim, mut bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,-1").await;
    assert!(sim.enabled(), "{:?}", sim.commands());
    let settings = sim.settings();
    for s in [
        "mdb-always-idle=1",
        "mdb-currency-code=0x1578",
        "mdb-decimal-places=2",
        "mdb-timeout-vend=120",
    ] {
        assert!(settings.iter().any(|x| x == s), "{s} in {settings:?}");
    }
    assert_eq!(sim.commands().first().map(String::as_str), Some("C,0"));
    assert_eq!(sim.commands().last().map(String::as_str), Some("C,1"));
    // Garbage and a split line on a link busy with r,ACK.
    sim.garbage();
    sim.select("1.00", 1);
    assert!(
        matches!(next(&mut bridge).await, MachineEvent::Request { .. }),
        "after garbage"
    );
    bridge
        .commands
        .send(MachineCommand::Deny {
            reason: "test".into(),
        })
        .unwrap();
    assert!(wait(&sim, |s| s.denials().len() == 1).await);
    sim.select_split("15.19", 2);
    assert_eq!(
        next(&mut bridge).await,
        MachineEvent::Request {
            price: nok(1519),
            item: Some(2)
        }
    );
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(1519),
            sale: sale(),
        })
        .unwrap();
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Result {
            delivered: true,
            ..
        }
    ));
    assert_eq!(
        sim.approvals(),
        vec!["15.19".to_string()],
        "exactly the amount asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_vend_and_a_denial_with_the_configured_deny_command() {
    let (sim, mut bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,0").await;
    sim.after_approval(AfterApproval::Fail);
    sim.select("2.50", 7);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { item: Some(7), .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(250),
            sale: sale(),
        })
        .unwrap();
    assert!(
        matches!(
            next(&mut bridge).await,
            MachineEvent::Result {
                delivered: false,
                ..
            }
        ),
        "VEND 3 is a failure"
    );
    sim.select("3.00", 1);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Deny {
            reason: "Declined".into(),
        })
        .unwrap();
    assert!(wait(&sim, |s| s.denials() == vec!["C,VEND,0".to_string()]).await);
    // An approval for another amount than asked is never sent.
    sim.select("4.00", 2);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(40),
            sale: sale(),
        })
        .unwrap();
    assert!(wait(&sim, |s| s.denials().len() == 2).await);
    assert_eq!(sim.approvals(), vec!["2.50".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_reset_withdraws_before_approval_and_counts_as_success_after() {
    let (sim, mut bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,-1").await;
    sim.select("1.00", 3);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    sim.reset_reader();
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Withdrawn { .. }
    ));

    sim.after_approval(AfterApproval::ResetReader);
    sim.select("1.00", 3);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(100),
            sale: sale(),
        })
        .unwrap();
    match next(&mut bridge).await {
        MachineEvent::Result { delivered, why } => {
            assert!(delivered, "reset after approval counts as success");
            assert!(why.contains("MDB 4.2"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vmc_that_gives_up_or_resends_its_request() {
    let (sim, mut bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,-1").await;
    sim.select("1.00", 3);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    sim.repeat_request();
    assert!(
        matches!(
            next(&mut bridge).await,
            MachineEvent::Request { item: Some(3), .. }
        ),
        "passed on; the session makes it the same vend"
    );
    sim.give_up();
    match next(&mut bridge).await {
        MachineEvent::Withdrawn { why } => assert!(why.contains("VEND 1"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The session end that follows says nothing more.
    let more = tokio::time::timeout(Duration::from_millis(300), bridge.events.recv()).await;
    assert!(more.is_err(), "{more:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hat_reset_is_noticed_by_its_silence_and_the_hat_configured_again() {
    let (sim, mut bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,-1").await;
    sim.after_approval(AfterApproval::Silent);
    sim.select("5.00", 1);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(500),
            sale: sale(),
        })
        .unwrap();
    assert!(wait(&sim, |s| s.approvals().len() == 1).await);
    sim.reset_hat(Duration::from_millis(200));
    assert!(!sim.enabled() && sim.settings().is_empty());
    // Approved, then the HAT reset: counted as delivered, as a reader reset is.
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Result {
            delivered: true,
            ..
        }
    ));
    assert!(
        wait(&sim, |s| s.enabled() && s.settings().len() >= 3).await,
        "configured again: {:?}",
        sim.commands()
    );
    sim.after_approval(AfterApproval::Deliver);
    sim.select("5.00", 1);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_hat_is_reset_by_its_reset_line_after_a_soft_reset_fails() {
    let (sim, mut bridge) = start_with(SessionStyle::AlwaysIdle, "C,VEND,-1", true).await;
    assert!(sim.enabled());
    sim.hang();
    // First silence: configured again over the serial line, unheard (the HAT hangs), and the
    // reset line not touched yet.
    assert!(
        wait(&sim, |s| s.unheard().first().map(String::as_str)
            == Some("C,0"))
        .await,
        "{:?}",
        sim.unheard()
    );
    assert_eq!(sim.hard_resets(), 0, "not before a soft reset was tried");
    // Second silence: the reset line, then the boot time, then the configuration.
    let s = sim.clone();
    let hard = tokio::task::spawn_blocking(move || {
        s.wait(Duration::from_secs(6), |s| {
            s.hard_resets() == 1 && s.enabled() && s.settings().len() >= 3
        })
    });
    assert!(
        hard.await.unwrap_or(false),
        "reset by its line and configured again: {} resets, {:?}",
        sim.hard_resets(),
        sim.commands()
    );
    // It sells again.
    sim.select("2.00", 3);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { item: Some(3), .. }
    ));
    assert_eq!(sim.hard_resets(), 1, "one reset, not one per silence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_reset_line_a_hung_hat_is_only_configured_again() {
    let (sim, _bridge) = start(SessionStyle::AlwaysIdle, "C,VEND,-1").await;
    sim.hang();
    // Three link timeouts and more: each a configuration over the serial line, never the line.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let tries = sim.unheard().iter().filter(|c| *c == "C,0").count();
    assert!(tries >= 2, "{:?}", sim.unheard());
    assert_eq!(sim.hard_resets(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_first_opens_a_session_with_the_configured_funds() {
    let (sim, mut bridge) = start(
        SessionStyle::AuthorizationFirst { funds: nok(2000) },
        "C,VEND,-1",
    )
    .await;
    assert!(
        wait(&sim, |s| s.commands().iter().any(|c| c == "C,START,20.00")).await,
        "{:?}",
        sim.commands()
    );
    assert!(sim.settings().iter().any(|s| s == "mdb-always-idle=0"));
    sim.select("12.00", 4);
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Request { .. }
    ));
    bridge
        .commands
        .send(MachineCommand::Approve {
            price: nok(1200),
            sale: sale(),
        })
        .unwrap();
    assert!(matches!(
        next(&mut bridge).await,
        MachineEvent::Result {
            delivered: true,
            ..
        }
    ));
    // After the session ends, the next one is opened, never mid-vend.
    assert!(
        wait(&sim, |s| s
            .commands()
            .iter()
            .filter(|c| c.starts_with("C,START"))
            .count()
            == 2)
        .await
    );
    let c = sim.commands();
    let vend = c.iter().position(|c| c == "C,VEND,12.00").unwrap();
    let second = c.iter().rposition(|c| c.starts_with("C,START")).unwrap();
    assert!(second > vend, "{c:?}");
}
