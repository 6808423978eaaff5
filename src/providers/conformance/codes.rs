//! Check 2: every status and error code the provider's document lists maps to the core's
//! vocabulary, checked by feeding each code through the provider's own client (scripted
//! answers); codes the document does not list never read as paid.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};

use super::scripted::{Scripted, amount, inject, sale};
use super::{ConformanceSubject, Maps, StatusKind};
use crate::core::provider::{Failure, Operation, PaymentStatus, Reply};

/// Starts the kit's sale at a scripted provider whose status answers carry `code`, then asks
/// the status.
async fn status_for<S: ConformanceSubject>(code: &str) -> Result<PaymentStatus, String> {
    let s = Scripted::start::<S>(S::script(code), None).await;
    let handle = match s.call(Operation::Start(sale::<S>(amount::<S>()))).await {
        Ok(Reply::Started { handle, .. }) => handle,
        other => return Err(format!("start before code {code}: {other:?}")),
    };
    match s.call(Operation::Status(handle)).await {
        Ok(Reply::Status(status)) => Ok(status),
        other => Err(format!("status with code {code}: {other:?}")),
    }
}

/// Requests a happy start, and a happy start then status, make at the scripted provider.
async fn request_counts<S: ConformanceSubject>(code: &str) -> (usize, usize) {
    let s = Scripted::start::<S>(S::script(code), None).await;
    let handle = match s.call(Operation::Start(sale::<S>(amount::<S>()))).await {
        Ok(Reply::Started { handle, .. }) => handle,
        other => panic!("a scripted start must succeed: {other:?}"),
    };
    let start = s.requests();
    s.call(Operation::Status(handle))
        .await
        .expect("a scripted status check must succeed");
    (start, s.requests())
}

/// The failure of a status check, and of a start, whose last request is answered with the
/// error `code`.
async fn failures_for<S: ConformanceSubject>(code: &str, pending: &str) -> (Failure, Failure) {
    let (start_requests, status_requests) = request_counts::<S>(pending).await;
    let answer = S::error_answer(code);

    let s = Scripted::start::<S>(
        inject(S::script(pending), status_requests - 1, answer.clone()),
        None,
    )
    .await;
    let handle = match s.call(Operation::Start(sale::<S>(amount::<S>()))).await {
        Ok(Reply::Started { handle, .. }) => handle,
        other => panic!("start before error {code}: {other:?}"),
    };
    let status = match s.call(Operation::Status(handle)).await {
        Err(f) => f,
        Ok(r) => panic!("a status check answered with error {code} read as {r:?}"),
    };

    let s =
        Scripted::start::<S>(inject(S::script(pending), start_requests - 1, answer), None).await;
    let start = match s.call(Operation::Start(sale::<S>(amount::<S>()))).await {
        Err(f) => f,
        Ok(r) => panic!("a start answered with error {code} read as {r:?}"),
    };
    (status, start)
}

/// A code of the table whose status is pending, for the scripted sales of the error rows.
fn pending_code<S: ConformanceSubject>() -> &'static str {
    S::codes()
        .iter()
        .find(|c| c.maps_to == Maps::Status(StatusKind::Pending))
        .map(|c| c.code)
        .expect("the code table lists a pending status")
}

pub async fn documented_codes_map<S: ConformanceSubject>() {
    let codes = S::codes();
    assert!(
        codes
            .iter()
            .any(|c| matches!(c.maps_to, Maps::Failure { .. })),
        "the table lists no error code"
    );
    assert!(
        codes
            .iter()
            .any(|c| c.maps_to == Maps::Status(StatusKind::Approved)),
        "the table lists no approval"
    );
    let pending = pending_code::<S>();
    let mut wrong = Vec::new();
    for c in codes {
        match c.maps_to {
            Maps::Status(want) => match status_for::<S>(c.code).await {
                Ok(got) if StatusKind::of(&got) == want => {}
                got => wrong.push(format!(
                    "{} ({}): want {want:?}, got {got:?}",
                    c.code, c.meaning
                )),
            },
            Maps::Failure {
                status_call,
                money_call,
            } => {
                let (status, start) = failures_for::<S>(c.code, pending).await;
                if status.kind != status_call {
                    wrong.push(format!(
                        "{} ({}) on a status check: want {status_call:?}, got {status}",
                        c.code, c.meaning
                    ));
                }
                if start.kind != money_call {
                    wrong.push(format!(
                        "{} ({}) on a start: want {money_call:?}, got {start}",
                        c.code, c.meaning
                    ));
                }
                for f in [&status, &start] {
                    assert!(
                        !f.message.trim().is_empty(),
                        "{}: empty failure text",
                        c.code
                    );
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "codes mapped wrongly:\n{}",
        wrong.join("\n")
    );
}

/// Codes the table does not list: numbers and words.
fn unknown_code<S: ConformanceSubject>() -> impl Strategy<Value = String> {
    let listed: Vec<&'static str> = S::codes().iter().map(|c| c.code).collect();
    prop_oneof![
        (0u32..100_000).prop_map(|n| n.to_string()),
        "[a-zA-Z_]{1,12}",
    ]
    .prop_filter("a listed code", move |c| !listed.contains(&c.as_str()))
}

pub fn unknown_codes_never_paid<S: ConformanceSubject>() {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&unknown_code::<S>(), |code| {
        let status = rt
            .block_on(status_for::<S>(&code))
            .map_err(TestCaseError::fail)?;
        let got = StatusKind::of(&status);
        match S::documented_class(&code) {
            Some(want) => prop_assert_eq!(got, want, "code {} by the document's rule", code),
            None => prop_assert!(
                !matches!(got, StatusKind::Approved | StatusKind::Refunded),
                "unknown code {} read as {:?}",
                code,
                status
            ),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
