//! iCG sales through the product's own path: the config read by the product's reader, the
//! provider built by set-up, the runtime with its journal and the pure core, keys typed as a
//! cashier types them (amount, Enter, invoice number, Enter), against the simulator.

use std::time::Duration;

use super::conformance::IcgSubject;
use crate::boot;
use crate::core::record::Outcome;
use crate::core::view::{Screen, View};
use crate::core::{Event, Key};
use crate::money::{Currency, Money};
use crate::providers::conformance::Env;
use crate::providers::setup;
use crate::runtime::{Clock, Runtime};
use crate::sim::{FaultSettings, ProviderSim};

fn digits(rt: &Runtime, text: &str) {
    for d in text.bytes() {
        rt.handle.send(Event::Key(Key::Digit(d - b'0')));
    }
}

/// Types `minor` cents (none if 0), Enter, the invoice number, Enter: the amount-due screen once
/// iCG answered, or the details' refusal.
async fn ask(rt: &Runtime, minor: i64, number: &str) -> View {
    let h = &rt.handle;
    h.wait_for(|v| !matches!(v.screen, Screen::Recovering { .. }))
        .await
        .expect("the terminal starts");
    if minor > 0 {
        digits(rt, &minor.to_string());
    }
    h.send(Event::Key(Key::Enter));
    h.wait_for(|v| matches!(v.screen, Screen::Customer { .. }))
        .await
        .expect("the invoice number is asked for");
    digits(rt, number);
    h.send(Event::Key(Key::Enter));
    let asked = h.wait_for(|v| {
        matches!(
            v.screen,
            Screen::AmountDue { pay: Some(_), .. } | Screen::Customer { error: Some(_), .. }
        )
    });
    tokio::time::timeout(Duration::from_secs(20), asked)
        .await
        .expect("iCG answers what is due within 20 s")
        .expect("a screen")
}

/// [`ask`], then Enter on the amount due, and waits for the result.
async fn sell(rt: &Runtime, minor: i64, number: &str) -> View {
    let v = ask(rt, minor, number).await;
    assert!(
        matches!(v.screen, Screen::AmountDue { .. }),
        "{:?}",
        v.screen
    );
    rt.handle.send(Event::Key(Key::Enter));
    let result = rt
        .handle
        .wait_for(|v| matches!(v.screen, Screen::Result { .. }));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_amount_typed_the_amount_due_is_shown_then_paid() {
    let env = Env::<IcgSubject>::start().await;
    let rt = runtime(&env).await;
    // Invoice 1002: USD 250.00, 100.00 paid already.
    let v = ask(&rt, 0, "1002").await;
    let Screen::AmountDue {
        due: Some(due),
        pay: Some(pay),
        lines,
        ..
    } = &v.screen
    else {
        panic!("{:?}", v.screen)
    };
    assert_eq!(*due, Money::from_minor(15_000, Currency::USD));
    assert_eq!(pay, due);
    let state = lines
        .iter()
        .find(|l| l.label == "State")
        .map(|l| l.value.as_str());
    assert_eq!(state, Some("Partially Paid"));
    assert_eq!(
        env.sim.icg().counters()["pay_posts"],
        0,
        "asked, not paid yet"
    );
    rt.handle.send(Event::Key(Key::Enter));
    let v = rt
        .handle
        .wait_for(|v| matches!(v.screen, Screen::Result { .. }))
        .await
        .expect("a result");
    assert!(v.shows_paid(), "{:?}", v.screen);
    let invoice = env.sim.icg().invoice_text("1002").unwrap_or_default();
    assert!(invoice.contains(r#""Status":"Paid""#), "{invoice}");
    rt.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_or_unknown_invoice_is_refused_before_anything_is_sent() {
    let env = Env::<IcgSubject>::start().await;
    let rt = runtime(&env).await;
    let v = ask(&rt, 0, "1003").await;
    assert!(
        matches!(&v.screen, Screen::Customer { error: Some(e), .. }
            if crate::ui::words::message(crate::core::Locale::En, e).contains("invoice 1003 is paid already")),
        "{:?}",
        v.screen
    );
    // Back to the amount, then an invoice iCG does not know.
    rt.handle.send(Event::Key(Key::Cancel));
    rt.handle
        .wait_for(|v| matches!(v.screen, Screen::Amount { .. }))
        .await
        .expect("the amount again");
    let v = ask(&rt, 0, "9999").await;
    assert!(
        matches!(&v.screen, Screen::Customer { error: Some(e), .. }
            if crate::ui::words::message(crate::core::Locale::En, e).contains("no invoice 9999")),
        "{:?}",
        v.screen
    );
    assert_eq!(env.sim.icg().counters()["pay_posts"], 0);
    rt.task.abort();
}
