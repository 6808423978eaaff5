//! Check 6: amounts at the currencies' limits (one minor unit, the largest the provider takes,
//! LYD's three decimals) round-trip exactly through the provider's wire form, and a sale of
//! such an amount is recorded by the simulator with exactly that amount.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use super::{ConformanceSubject, Env};
use crate::core::provider::{Operation, Reply};
use crate::money::{Currency, Money};

/// Every currency of the five providers, LYD (3 decimals) among them.
fn currencies<S: ConformanceSubject>() -> Vec<Currency> {
    let mut all = vec![
        Currency::NOK,
        Currency::LYD,
        Currency::HTG,
        Currency::LKR,
        Currency::USD,
    ];
    for c in S::sim_currencies() {
        if !all.contains(&c) {
            all.push(c);
        }
    }
    all
}

/// The wire text read as an exact decimal, independently of `crate::money`: a JSON string or
/// number, digits with at most one point. `None` if it is not such a text (an exponent, a
/// float tail that does not fit the currency).
fn exact_minor(wire: &str, exponent: u8) -> Option<i128> {
    let text = wire.trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > usize::from(exponent) {
        return None;
    }
    let mut digits = format!("{int}{frac}");
    for _ in frac.len()..usize::from(exponent) {
        digits.push('0');
    }
    digits.parse().ok()
}

fn round_trip<S: ConformanceSubject>(m: Money) -> Result<(), String> {
    let wire = S::to_wire(m);
    let exact = exact_minor(&wire, m.currency().exponent());
    if exact != Some(i128::from(m.minor())) {
        return Err(format!(
            "{} {} crosses the wire as {wire}, which reads as {exact:?} minor units",
            m.to_decimal_string(),
            m.currency()
        ));
    }
    match S::from_wire(&wire, m.currency()) {
        Ok(back) if back == m => Ok(()),
        other => Err(format!("{wire} reads back as {other:?}, not {m:?}")),
    }
}

pub fn wire_round_trip<S: ConformanceSubject>() {
    for c in currencies::<S>() {
        let largest = S::largest_amount(c);
        assert_eq!(largest.currency(), c);
        assert!(largest.is_positive(), "largest amount in {c}: {largest:?}");
        for m in [
            Money::from_minor(1, c),
            Money::from_minor(10, c),
            Money::from_minor(100, c),
            Money::from_minor(1001, c),
            largest,
        ] {
            if let Err(e) = round_trip::<S>(m) {
                panic!("{e}");
            }
        }
    }
    // The independent reader does tell amounts apart.
    assert_eq!(exact_minor("\"0.001\"", 3), Some(1));
    assert_eq!(exact_minor("0.30000000000000004", 2), None);
    assert_eq!(exact_minor("12.5", 2), Some(1250));

    let cs = currencies::<S>();
    let strategy = (0..cs.len(), 1i64..=i64::MAX).prop_map(move |(i, minor)| {
        let c = cs[i];
        let largest = S::largest_amount(c).minor();
        Money::from_minor(1 + (minor - 1) % largest, c)
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&strategy, |m| {
        round_trip::<S>(m).map_err(proptest::test_runner::TestCaseError::fail)
    }) {
        panic!("{e}");
    }
}

pub async fn sim_round_trip<S: ConformanceSubject>() {
    let env = Env::<S>::start().await;
    env.provider.start_up().await.expect("start-up");
    let mut n = 0;
    for c in S::sim_currencies() {
        for m in [Money::from_minor(1, c), S::largest_amount(c)] {
            n += 1;
            let handle = match env.provider.call(Operation::Start(env.sale(n, m))).await {
                Ok(Reply::Started { handle, .. }) => handle,
                other => panic!("a start of {} {c}: {other:?}", m.to_decimal_string()),
            };
            let recorded = match S::payment_command() {
                Some(command) => {
                    env.control
                        .command(command, serde_json::json!({ "id": handle.0 }))
                        .await
                }
                None => {
                    let open = env.control.open_requests().await;
                    open.iter()
                        .find(|r| r["id"] == handle.0.as_str())
                        .cloned()
                        .unwrap_or_else(|| {
                            panic!("the simulator lists no request {handle:?}: {open:?}")
                        })
                }
            };
            assert_eq!(recorded["currency"], c.code(), "{recorded}");
            let text = recorded["amount"].as_str().unwrap_or_default();
            assert_eq!(
                Money::parse_wire_str(text, c).ok(),
                Some(m),
                "the simulator recorded {text} for {}",
                m.to_decimal_string()
            );
        }
    }
}
