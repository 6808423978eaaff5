//! Check 1: start is idempotent on the sale key. The simulator commits the start and drops the
//! answer; the start must then be in doubt, its recovery must find that one payment, and
//! neither the recovery nor a second start of the same key may make another.

use super::{ConformanceSubject, Env};
use crate::core::provider::{FailureKind, Operation, Reply};
use crate::money::Money;
use crate::sim::FaultSettings;

pub async fn start_is_idempotent<S: ConformanceSubject>() {
    let env = Env::<S>::start().await;
    let p = &env.provider;
    p.start_up().await.expect("start-up against the simulator");
    let currency = env.config.terminal.currency;
    let sale = env.sale(1, Money::from_minor(1250, currency));
    assert_eq!(env.payments().await, 0, "payments before the first start");

    env.control
        .faults(FaultSettings {
            drop_after_commit: 1,
            ..FaultSettings::default()
        })
        .await;
    let lost = p.call(Operation::Start(sale.clone())).await;
    match &lost {
        Err(f) => assert_eq!(
            f.kind,
            FailureKind::InDoubt,
            "a start whose answer was lost after commit must be in doubt: {f}"
        ),
        Ok(r) => panic!("the answer was dropped, yet the start reads {r:?}"),
    }
    assert_eq!(
        env.payments().await,
        1,
        "the dropped start was committed once"
    );

    let found = p.call(Operation::Recover(sale.clone())).await;
    let handle = match found {
        Ok(Reply::Found { handle, .. }) => handle,
        other => panic!("recovery of a committed start must find it: {other:?}"),
    };
    assert_eq!(env.payments().await, 1, "recovery made a second payment");

    // A second start of the same key (a bug upstream, a retry) never makes a second payment.
    match p.call(Operation::Start(sale.clone())).await {
        Ok(Reply::Started { handle: again, .. }) => {
            assert_eq!(
                again, handle,
                "a second start of one key gave another handle"
            )
        }
        Ok(other) => panic!("a second start answered {other:?}"),
        // Refusing the repeat is fine too; making a new payment is not.
        Err(_) => {}
    }
    assert_eq!(
        env.payments().await,
        1,
        "a second start made a second payment"
    );

    // Recovery is itself repeatable.
    match p.call(Operation::Recover(sale.clone())).await {
        Ok(Reply::Found { handle: again, .. }) => assert_eq!(again, handle),
        other => panic!("a second recovery must find the same payment: {other:?}"),
    }
    assert_eq!(env.payments().await, 1, "a second recovery made a payment");

    // Another sale is another payment: the counter the subject reads does count.
    p.call(Operation::Start(
        env.sale(2, Money::from_minor(100, currency)),
    ))
    .await
    .expect("a second sale starts");
    assert_eq!(env.payments().await, 2, "the simulator's payment count");
}
