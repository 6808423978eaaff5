//! Check 3: refused credentials are `FailureKind::Auth`, with one request per call and no retry
//! storm (counted at the simulator); for token providers also: an expired token is renewed
//! once, one renewal at a time, under concurrent calls.

use std::future::Future;

use super::{ConformanceSubject, Env};
use crate::core::provider::{Failure, FailureKind, Operation, PaymentHandle, Reply};
use crate::money::Money;

/// Runs the futures concurrently on spawned tasks and returns their results in order.
async fn join_all<T: Send + 'static>(
    futures: Vec<impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a concurrent call panicked"));
    }
    out
}

const CONCURRENT: usize = 6;

async fn started<S: ConformanceSubject>(env: &Env<S>) -> PaymentHandle {
    let sale = env.sale(1, Money::from_minor(500, env.config.terminal.currency));
    match env.provider.call(Operation::Start(sale)).await {
        Ok(Reply::Started { handle, .. }) => handle,
        other => panic!("a start with valid credentials: {other:?}"),
    }
}

fn statuses<S: ConformanceSubject>(
    env: &Env<S>,
    handle: &PaymentHandle,
) -> Vec<impl Future<Output = Result<Reply, Failure>> + Send + 'static> {
    (0..CONCURRENT)
        .map(|_| {
            let p = env.provider.clone();
            let h = handle.clone();
            async move { p.call(Operation::Status(h)).await }
        })
        .collect()
}

pub async fn refused_credentials<S: ConformanceSubject>() {
    let env = Env::<S>::start().await;
    env.provider.start_up().await.expect("start-up");
    let handle = started(&env).await;

    env.control.revoke(true).await;
    let before = env.auth_rejections().await;
    match env.provider.call(Operation::Status(handle.clone())).await {
        Err(f) => assert_eq!(f.kind, FailureKind::Auth, "revoked credentials: {f}"),
        Ok(r) => panic!("a status check with revoked credentials read {r:?}"),
    }
    let one = env.auth_rejections().await - before;
    // A token provider may try one renewal (refused too); never more.
    let most = if S::token().is_some() { 2 } else { 1 };
    assert!(
        (1..=most).contains(&one),
        "one refused call made {one} refused requests at the simulator"
    );

    let results = join_all(statuses(&env, &handle)).await;
    for r in &results {
        assert!(
            matches!(r, Err(f) if f.kind == FailureKind::Auth),
            "concurrent calls with revoked credentials: {r:?}"
        );
    }
    let many = env.auth_rejections().await - before - one;
    assert!(
        many <= most * CONCURRENT as u64,
        "{CONCURRENT} refused calls made {many} refused requests: a retry storm"
    );

    let sale = env.sale(2, Money::from_minor(500, env.config.terminal.currency));
    match env.provider.call(Operation::Start(sale)).await {
        Err(f) => assert_eq!(
            f.kind,
            FailureKind::Auth,
            "a start with revoked credentials: {f}"
        ),
        Ok(r) => panic!("a start with revoked credentials read {r:?}"),
    }
    assert_eq!(env.payments().await, 1, "a refused start made a payment");

    env.control.revoke(false).await;
    env.provider
        .call(Operation::Status(handle.clone()))
        .await
        .expect("calls work again once the credentials are restored");

    if let Some(token) = S::token() {
        token_renewed_once::<S>(&env, &handle, token).await;
    }
}

/// The token expires under the simulator's clock; concurrent calls renew it exactly once.
async fn token_renewed_once<S: ConformanceSubject>(
    env: &Env<S>,
    handle: &PaymentHandle,
    token: super::TokenAuth,
) {
    let before = (token.token_requests)(&env.control.counters().await);
    assert!(before >= 1, "no token was fetched for the calls so far");
    env.control.advance(token.lifetime_seconds + 1).await;
    let results = join_all(statuses(env, handle)).await;
    for r in &results {
        assert!(r.is_ok(), "a call after the token expired: {r:?}");
    }
    let after = (token.token_requests)(&env.control.counters().await);
    assert_eq!(
        after - before,
        1,
        "{CONCURRENT} concurrent calls after expiry fetched {} tokens",
        after - before
    );
}
