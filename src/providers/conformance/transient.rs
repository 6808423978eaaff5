//! Check 4: 5xx answers and timeouts are transient for calls that move no money; a
//! money-moving call whose answer was lost is in doubt (or, if it reads transient, the
//! simulator must show that nothing was made). Recovery then finds what happened.

use std::time::Duration;

use super::{Built, ConformanceSubject, Env};
use crate::core::provider::{FailureKind, Operation, Reply};
use crate::core::sale::SaleRequest;
use crate::money::Money;
use crate::providers::http::HttpConfig;
use crate::sim::FaultSettings;

/// The client timeout of the short-timeout build, and the latency that overruns it.
const TIMEOUT: Duration = Duration::from_millis(1_500);
const LATENCY_MS: u64 = 3_000;

fn fail_next(n: u32) -> FaultSettings {
    FaultSettings {
        fail_next: n,
        ..FaultSettings::default()
    }
}

pub async fn server_errors_and_timeouts<S: ConformanceSubject>() {
    let env = Env::<S>::start().await;
    let p = &env.provider;
    p.start_up().await.expect("start-up");
    let currency = env.config.terminal.currency;
    let handle = match p
        .call(Operation::Start(
            env.sale(1, Money::from_minor(700, currency)),
        ))
        .await
    {
        Ok(Reply::Started { handle, .. }) => handle,
        other => panic!("a start: {other:?}"),
    };

    // 5xx (a proxy's 502 page) on a status check: transient, and the next one works.
    env.control.faults(fail_next(1)).await;
    match p.call(Operation::Status(handle.clone())).await {
        Err(f) => assert_eq!(
            f.kind,
            FailureKind::Transient,
            "a 502 on a status check: {f}"
        ),
        Ok(r) => panic!("a 502 read as {r:?}"),
    }
    p.call(Operation::Status(handle.clone()))
        .await
        .expect("the status check after the 502");

    // 5xx on a start: never a blind retry unless nothing was made.
    let before = env.payments().await;
    env.control.faults(fail_next(1)).await;
    let sale = env.sale(2, Money::from_minor(800, currency));
    match p.call(Operation::Start(sale.clone())).await {
        Err(f) if f.kind == FailureKind::InDoubt => {}
        Err(f) if f.kind == FailureKind::Transient => assert_eq!(
            env.payments().await,
            before,
            "a start read transient, yet the simulator made a payment: {f}"
        ),
        other => panic!("a 502 on a start: {other:?}"),
    }
    recover_once::<S>(&env, &sale).await;

    // Timeouts: a client with a short total timeout against a slow simulator.
    let slow: Built = S::build_with_http(
        &env.config,
        HttpConfig {
            connect_timeout: TIMEOUT,
            total_timeout: TIMEOUT,
            ..HttpConfig::default()
        },
    )
    .expect("build with a short timeout");
    slow.provider.start_up().await.expect("start-up, fast");
    env.control
        .faults(FaultSettings {
            latency_ms: LATENCY_MS,
            ..FaultSettings::default()
        })
        .await;
    match slow.provider.call(Operation::Status(handle.clone())).await {
        Err(f) => assert_eq!(
            f.kind,
            FailureKind::Transient,
            "a status check timed out: {f}"
        ),
        Ok(r) => panic!("a timed-out status check read {r:?}"),
    }
    let before = env.payments().await;
    let sale = env.sale(3, Money::from_minor(900, currency));
    // A start that asks something before its money-moving request (iCG reads the invoice
    // first) may time out before sending it: then it reads transient, and nothing was made.
    let transient = match slow.provider.call(Operation::Start(sale.clone())).await {
        Err(f) if f.kind == FailureKind::Transient => true,
        Err(f) => {
            assert_eq!(
                f.kind,
                FailureKind::InDoubt,
                "a start whose answer did not come in time must be in doubt: {f}"
            );
            false
        }
        Ok(r) => panic!("a timed-out start read {r:?}"),
    };
    // Whether the simulator got to carry the start out (the client hung up while the request
    // was held), recovery leaves that one payment, or none.
    tokio::time::sleep(Duration::from_millis(LATENCY_MS + 300)).await;
    env.control.faults(FaultSettings::default()).await;
    let made = env.payments().await - before;
    assert!(made <= 1, "one timed-out start made {made} payments");
    assert!(
        !transient || made == 0,
        "a start read transient, yet the simulator made a payment"
    );
    recover_once::<S>(&env, &sale).await;
    let made = env.payments().await - before;
    assert!(
        made <= 1,
        "a timed-out start and its recovery made {made} payments"
    );
}

/// Recovers `sale` and checks it left exactly one payment for it (made now or before).
async fn recover_once<S: ConformanceSubject>(env: &Env<S>, sale: &SaleRequest) {
    let before = env.payments().await;
    // `Created`: the start never arrived and the recovery made the one request.
    match env.provider.call(Operation::Recover(sale.clone())).await {
        Ok(Reply::Found { .. } | Reply::Created { .. } | Reply::NotFound) => {}
        other => panic!("recovery after a lost answer: {other:?}"),
    }
    let after = env.payments().await;
    assert!(
        after - before <= 1,
        "recovery made {} payments",
        after - before
    );
    match env.provider.call(Operation::Recover(sale.clone())).await {
        Ok(Reply::Found { .. } | Reply::NotFound) => {}
        other => panic!("a second recovery: {other:?}"),
    }
    assert_eq!(
        env.payments().await,
        after,
        "a second recovery made a payment"
    );
}
