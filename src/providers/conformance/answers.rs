//! Check 5: malformed, truncated, oversized, wrong-typed and empty answers give a classified
//! failure whose text names the problem, never a panic, and never a payment that the good
//! answer would not have reported.
//!
//! How: every operation is first run against the subject's scripted server, recording each
//! request's good answer; then a proptest picks an operation, one of its requests and a way to
//! break that request's answer, and runs the operation again with only that answer broken.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::{Value, json};

use super::scripted::{Scripted, amount, inject, sale};
use super::{ConformanceSubject, Maps, Script, StatusKind};
use crate::core::provider::{
    Failure, FailureKind, Operation, PaymentHandle, PaymentStatus, ProviderInfo, Reply,
};
use crate::core::sale::SaleKey;
use crate::providers::http::HttpConfig;
use crate::providers::test_server::{Answer, Request};

/// The body cap the kit builds with, so an oversized answer stays small.
const CAP: usize = 16 * 1024;

fn http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(5),
        max_body_bytes: CAP,
    }
}

/// Which operation, built from the handle a first (good) start gave.
#[derive(Clone, Copy, Debug)]
enum Op {
    Start,
    Status,
    Cancel,
    Recover,
    Capture,
    Release,
    Refund,
}

impl Op {
    fn all(info: &ProviderInfo) -> Vec<Op> {
        let mut ops = vec![Op::Start, Op::Status, Op::Recover];
        if info.capabilities.cancel {
            ops.push(Op::Cancel);
        }
        if info.capabilities.auth_capture {
            ops.extend([Op::Capture, Op::Release]);
        }
        if info.capabilities.refund {
            ops.push(Op::Refund);
        }
        ops
    }

    /// Whether it can move money, by the core's own definition.
    fn moves_money<S: ConformanceSubject>(self) -> bool {
        self.operation::<S>(Some(PaymentHandle("kit".into())))
            .moves_money()
    }

    fn operation<S: ConformanceSubject>(self, handle: Option<PaymentHandle>) -> Operation {
        let amount = amount::<S>();
        let handle = || handle.clone().expect("a handle from the first start");
        match self {
            Op::Start => Operation::Start(sale::<S>(amount)),
            Op::Recover => Operation::Recover(sale::<S>(amount)),
            Op::Status => Operation::Status(handle()),
            Op::Cancel => Operation::Cancel(handle()),
            Op::Capture => Operation::Capture(handle(), amount),
            Op::Release => Operation::Release(handle()),
            Op::Refund => Operation::Refund {
                handle: handle(),
                amount,
                key: SaleKey::parse("kit-000042-r1").expect("a valid refund key"),
            },
        }
    }
}

/// A script that keeps a copy of every answer it gives, in order.
fn recording(base: Script) -> (Script, Arc<Mutex<Vec<Answer>>>) {
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let kept = answers.clone();
    let script: Script = Arc::new(move |r: &Request| {
        let a = base(r);
        if let Ok(mut v) = kept.lock() {
            v.push(a.clone());
        }
        a
    });
    (script, answers)
}

/// One operation's good run: which requests are its own, their good answers, its reply.
#[derive(Clone, Debug)]
struct GoodRun {
    op: Op,
    /// Requests before the operation (the first start, for operations on its handle).
    first: usize,
    answers: Vec<Answer>,
    reply: Result<Reply, Failure>,
}

/// Runs the first start (unless `op` is the start) and then `op`, with `script`.
async fn run<S: ConformanceSubject>(
    op: Op,
    script: Script,
) -> (Result<Reply, Failure>, usize, Scripted) {
    let s = Scripted::start::<S>(script, Some(http())).await;
    let handle = match op {
        Op::Start | Op::Recover => None,
        _ => match s.call(Operation::Start(sale::<S>(amount::<S>()))).await {
            Ok(Reply::Started { handle, .. }) => Some(handle),
            other => panic!("the first start against the script: {other:?}"),
        },
    };
    let first = s.requests();
    let reply = s.call(op.operation::<S>(handle)).await;
    (reply, first, s)
}

async fn good_runs<S: ConformanceSubject>(pending: &str) -> Vec<GoodRun> {
    let probe = Scripted::start::<S>(S::script(pending), Some(http())).await;
    let ops = Op::all(&probe.provider.info());
    let mut runs = Vec::new();
    for op in ops {
        let (script, answers) = recording(S::script(pending));
        let (reply, first, _s) = run::<S>(op, script).await;
        let answers = answers.lock().map(|a| a.clone()).unwrap_or_default();
        assert!(
            answers.len() > first,
            "{op:?} sent no request to the scripted server"
        );
        runs.push(GoodRun {
            op,
            first,
            answers,
            reply,
        });
    }
    runs
}

/// Ways to break one answer.
#[derive(Clone, Debug)]
enum Break {
    /// Random bytes, said to be JSON.
    Garbage(Vec<u8>),
    /// The good body cut short (keeping the fraction, in thousandths), length header to match.
    Truncated(u16),
    /// The good body cut short by a connection closed before the announced length.
    CutTransfer(u16),
    /// More than the client's cap; `announced`: with a Content-Length header, else streamed.
    Oversized { announced: bool },
    /// One field of the good JSON (the n-th, modulo) given a value of another type.
    WrongType(usize, Value),
    /// No body at all; `typed`: still said to be JSON.
    Empty { typed: bool },
    /// JSON `null`.
    Null,
    /// A proxy's HTML page with the good status.
    Html,
}

impl Break {
    /// Words the failure text must contain (one of them), so it names the problem.
    fn names(&self) -> &'static [&'static str] {
        match self {
            Break::Oversized { .. } => &["larger than"],
            Break::CutTransfer(_) => &["connection", "body", "answer"],
            _ => &["cannot be read", "not json", "lacks", "missing", "invalid"],
        }
    }

    fn apply(&self, good: &Answer) -> Answer {
        let json = |status: u16, body: Vec<u8>| Answer::new(status, "application/json", body);
        let cut = |frac: u16| {
            let keep = good.body.len() * usize::from(frac) / 1000;
            good.body[..keep.min(good.body.len().saturating_sub(1))].to_vec()
        };
        match self {
            Break::Garbage(bytes) => json(good.status, bytes.clone()),
            Break::Truncated(frac) => json(good.status, cut(*frac)),
            Break::CutTransfer(frac) => {
                let mut a = json(good.status, cut(*frac))
                    .with_header("Content-Length", &good.body.len().max(1).to_string());
                a.close_delimited = true;
                a
            }
            Break::Oversized { announced } => {
                let mut body = b"{\"pad\":\"".to_vec();
                body.resize(CAP + 64, b'a');
                body.extend_from_slice(b"\"}");
                let mut a = json(good.status, body);
                a.close_delimited = !announced;
                a
            }
            Break::WrongType(n, value) => {
                let mut v: Value = serde_json::from_slice(&good.body).unwrap_or(Value::Null);
                match &mut v {
                    Value::Object(map) if !map.is_empty() => {
                        let key = map.keys().nth(n % map.len()).cloned().unwrap_or_default();
                        let old = map.get(&key).cloned().unwrap_or(Value::Null);
                        map.insert(key, other_type(&old, value));
                    }
                    other => *other = other_type(other, value),
                }
                json(good.status, v.to_string().into_bytes())
            }
            Break::Empty { typed: true } => json(good.status, Vec::new()),
            Break::Empty { typed: false } => Answer::empty(good.status),
            Break::Null => json(good.status, b"null".to_vec()),
            Break::Html => Answer::new(
                good.status,
                "text/html",
                "<html><body><h1>It works!</h1></body></html>",
            ),
        }
    }
}

/// `candidate` unless it has the same JSON type as `old`; then a value of another type.
fn other_type(old: &Value, candidate: &Value) -> Value {
    let kind = |v: &Value| std::mem::discriminant(v);
    if kind(old) != kind(candidate) {
        candidate.clone()
    } else if old.is_string() {
        json!(12.5)
    } else {
        json!("kit")
    }
}

fn breaks() -> impl Strategy<Value = Break> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e9f64..1.0e9).prop_map(|x| json!(x)),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!([1, "two"])),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(Break::Garbage),
        (0u16..1000).prop_map(Break::Truncated),
        (0u16..1000).prop_map(Break::CutTransfer),
        any::<bool>().prop_map(|announced| Break::Oversized { announced }),
        (0usize..32, value).prop_map(|(n, v)| Break::WrongType(n, v)),
        any::<bool>().prop_map(|typed| Break::Empty { typed }),
        Just(Break::Null),
        Just(Break::Html),
    ]
}

/// Whether a reply says money was taken.
fn reads_paid(reply: &Reply) -> bool {
    let paid = |s: &PaymentStatus| {
        matches!(
            StatusKind::of(s),
            StatusKind::Approved | StatusKind::Refunded
        )
    };
    match reply {
        Reply::Status(s) | Reply::Cancelled(s) | Reply::Found { status: s, .. } => paid(s),
        Reply::Captured { .. } | Reply::Refunded { .. } => true,
        Reply::Started { .. }
        | Reply::Created { .. }
        | Reply::Released
        | Reply::NotFound
        | Reply::Info(_)
        | Reply::Due { .. } => false,
    }
}

fn check(
    good: &GoodRun,
    index: usize,
    broken: &Break,
    got: &Result<Reply, Failure>,
    moves_money: bool,
) -> Result<(), TestCaseError> {
    let good_status = good.answers[index].status;
    let last = index + 1 == good.answers.len();
    match got {
        Ok(reply) => {
            let good_paid = matches!(&good.reply, Ok(r) if reads_paid(r));
            prop_assert!(
                !reads_paid(reply) || good_paid,
                "a broken answer read as paid: {:?}",
                reply
            );
        }
        Err(f) => {
            let text = f.to_string();
            prop_assert!(!text.trim().is_empty(), "an empty failure text");
            prop_assert!(text.len() <= 600, "a failure text of {} bytes", text.len());
            prop_assert!(
                !text.chars().any(|c| c.is_control()),
                "control characters in {:?}",
                text
            );
            if (200..300).contains(&good_status) {
                prop_assert!(
                    matches!(f.kind, FailureKind::Transient | FailureKind::InDoubt),
                    "an unreadable answer classified {:?}: {}",
                    f.kind,
                    text
                );
                if moves_money && last {
                    prop_assert_eq!(
                        f.kind,
                        FailureKind::InDoubt,
                        "the money-moving request's answer was unreadable: {}",
                        text
                    );
                }
                let lower = text.to_lowercase();
                prop_assert!(
                    broken.names().iter().any(|w| lower.contains(w)),
                    "the failure text does not name the problem ({:?}): {}",
                    broken,
                    text
                );
            }
        }
    }
    Ok(())
}

pub fn bad_answers<S: ConformanceSubject>() {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let pending = S::codes()
        .iter()
        .find(|c| c.maps_to == Maps::Status(StatusKind::Pending))
        .map(|c| c.code)
        .expect("the code table lists a pending status");
    let runs = rt.block_on(good_runs::<S>(pending));
    let n = runs.len();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 160,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let strategy = (0..n, any::<prop::sample::Index>(), breaks());
    let result = runner.run(&strategy, |(which, pick, broken)| {
        let good = &runs[which];
        let own = good.answers.len() - good.first;
        let index = good.first + pick.index(own);
        let answer = broken.apply(&good.answers[index]);
        let op = good.op;
        let (got, _, _server) =
            rt.block_on(run::<S>(op, inject(S::script(pending), index, answer)));
        check(good, index, &broken, &got, op.moves_money::<S>())
            .map_err(|e| TestCaseError::fail(format!("{op:?}, request {index}: {e}")))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
