//! MonCash through the real terminal: core, runtime, journal, HTTP and the simulator. A sale
//! cancelled at the terminal is recorded cancelled at once; the customer pays the QR after all;
//! the terminal, still watching the order, shows the late payment as paid (late) and offers
//! the refund.

use std::time::Duration;

use crate::config::{Config, LoadContext};
use crate::core::event::{Event, Key};
use crate::core::record::Outcome;
use crate::core::view::{Screen, View, Waiting};
use crate::providers::conformance::env::TempDir;
use crate::providers::setup;
use crate::runtime::Clock;
use crate::sim::{SimOptions, Simulator};

fn config(sim: &crate::sim::RunningSim, dir: &std::path::Path) -> Config {
    let api = sim.base_url("moncash").unwrap();
    let gateway = format!("{}/moncash/Moncash-middleware/", sim.root_url());
    let text = format!(
        "[terminal]\nid = \"T1\"\ncurrency = \"HTG\"\nmax_amount = \"100000\"\n\
         poll_interval_ms = 200\n\n[storage]\npath = {journal:?}\ncache_mb = 4\n\n\
         [providers.moncash]\nbase_url = \"{api}\"\ngateway_base_url = \"{gateway}\"\n\
         client_id = \"{id}\"\nclient_secret = \"{secret}\"\n",
        journal = dir.join("journal"),
        id = super::config::demo::CLIENT_ID,
        secret = super::config::demo::CLIENT_SECRET,
    );
    let ctx = LoadContext {
        config_dir: dir.to_path_buf(),
        credentials_directory: None,
        state_directory: None,
    };
    Config::from_toml_str_in(&text, "kassa.toml", &ctx).unwrap()
}

async fn wait(
    h: &crate::runtime::RuntimeHandle,
    what: &str,
    pred: impl FnMut(&View) -> bool,
) -> View {
    tokio::time::timeout(Duration::from_secs(10), h.wait_for(pred))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("the runtime stopped before {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sale_paid_late_is_caught_shown_and_offered_for_refund() {
    let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimOptions::default())
        .await
        .unwrap();
    let dir = TempDir::new("moncash-runtime");
    let config = config(&sim, dir.path());
    let providers = setup::from_config(&config).unwrap();
    let rt = crate::boot::start(&config, providers, Clock::system()).unwrap();
    let h = rt.handle.clone();
    wait(&h, "the amount screen", |v| {
        matches!(v.screen, Screen::Amount { .. })
    })
    .await;
    for d in [2, 5, 0, 0, 0] {
        h.send(Event::Key(Key::Digit(d)));
    }
    h.send(Event::Key(Key::Enter));
    let v = wait(&h, "the QR", |v| {
        matches!(
            v.screen,
            Screen::Paying {
                waiting: Waiting::Qr { .. },
                ..
            }
        )
    })
    .await;
    let Screen::Paying {
        sale,
        waiting: Waiting::Qr { payload, .. },
        ..
    } = v.screen
    else {
        unreachable!()
    };
    assert!(
        payload.contains("/moncash/Moncash-middleware/Payment/Redirect?token="),
        "{payload}"
    );
    // Cancel at the terminal: no cancel at MonCash, the sale ends cancelled here at once.
    h.send(Event::Key(Key::Cancel));
    wait(&h, "the cancelled result", |v| {
        matches!(
            &v.screen,
            Screen::Result {
                outcome: Outcome::Cancelled,
                ..
            }
        )
    })
    .await;
    // The customer pays the QR after all.
    let tid = sim
        .moncash()
        .pay(
            sale.as_str(),
            super::config::demo::PAYER,
            super::config::demo::PAYER_PIN,
        )
        .unwrap();
    let v = wait(&h, "the late payment", |v| v.shows_paid()).await;
    match v.screen {
        Screen::Result {
            outcome: Outcome::Approved { reference },
            late_approval,
            refund_offered,
            ..
        } => {
            assert_eq!(reference, tid);
            assert!(late_approval && refund_offered);
        }
        other => panic!("{other:?}"),
    }
    rt.task.abort();
    let _ = rt.task.await;
}
