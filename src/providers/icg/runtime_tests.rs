//! iCG sales through the product's own path: the config read by the product's reader, the
//! provider built by set-up, the runtime with its journal and the pure core, keys typed as a
//! cashier types them (amount, Enter, invoice number, Enter), against the simulator.

use std::time::Duration;

use super::conformance::IcgSubject;
use crate::boot;
use crate::core::record::Outcome;
use crate::core::view::{Screen, View};
use crate::core::{Event, Key};
use crate::providers::conformance::Env;
use crate::providers::setup;
use crate::runtime::{Clock, Runtime};
use crate::sim::{FaultSettings, ProviderSim};

fn digits(rt: &Runtime, text: &str) {
    for d in text.bytes() {
        rt.handle.send(Event::Key(Key::Digit(d - b'0')));
    }
}

/// Types a sale of `minor` cents on invoice `number` and waits for its result.
async fn sell(rt: &Runtime, minor: i64, number: &str) -> View {
    let h = &rt.handle;
    h.wait_for(|v| !matches!(v.screen, Screen::Recovering { .. }))
        .await
        .expect("the terminal starts");
    digits(rt, &minor.to_string());
    h.send(Event::Key(Key::Enter));
    h.wait_for(|v| matches!(v.screen, Screen::Customer { .. }))
        .await
        .expect("the invoice number is asked for");
    digits(rt, number);
    h.send(Event::Key(Key::Enter));
    let result = h.wait_for(|v| matches!(v.screen, Screen::Result { .. }));
    tokio::time::timeout(Duration::from_secs(20), result)
        .await
        .expect("the sale ends within 20 s")
        .expect("a result")
}

fn outcome(v: &View) -> &Outcome {
    match &v.screen {
        Screen::Result { outcome, .. } => outcome,
        other => panic!("not a result: {other:?}"),
    }
}

async fn runtime(env: &Env<IcgSubject>) -> Runtime {
    let providers = setup::from_config(&env.config).expect("set-up builds iCG");
    boot::start(&env.config, providers, Clock::system()).expect("the runtime starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_paid_at_the_keypad_shows_the_codes() {
    let env = Env::<IcgSubject>::start().await;
    let rt = runtime(&env).await;
    let v = sell(&rt, 13_188, "1001").await;
    match outcome(&v) {
        Outcome::Approved { reference } => {
            assert!(
                reference.starts_with('C') && reference.contains("(approval "),
                "{reference}"
            )
        }
        other => panic!("{other:?}"),
    }
    let invoice = env.sim.icg().invoice_text("1001").unwrap_or_default();
    assert!(invoice.contains(r#""Status":"Paid""#), "{invoice}");
    rt.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_invoice_payment_is_not_paid() {
    let env = Env::<IcgSubject>::start().await;
    let rt = runtime(&env).await;
    let v = sell(&rt, 4_000, "1004").await;
    assert_eq!(
        outcome(&v),
        &Outcome::Declined {
            reason: "Declined: insufficient funds".into()
        }
    );
    assert!(!v.shows_paid());
    rt.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_found_on_the_invoice_and_never_paid_twice() {
    let env = Env::<IcgSubject>::start().await;
    env.control
        .faults(FaultSettings {
            drop_after_commit: 1,
            ..FaultSettings::default()
        })
        .await;
    let rt = runtime(&env).await;
    let v = sell(&rt, 5_000, "1002").await;
    assert!(
        matches!(outcome(&v), Outcome::Approved { .. }),
        "{:?}",
        outcome(&v)
    );
    let dropped = env.sim.faults("icg").map(|f| f.counters().dropped);
    assert_eq!(dropped, Some(1), "the pay's answer was dropped");
    let c = env.sim.icg().counters();
    assert_eq!(
        c["pay_posts"], 1,
        "recovered from the invoice, never resent: {c}"
    );
    assert_eq!(c["approved"], 1, "{c}");
    rt.task.abort();
}
