//! Random sequences of keys, answers and timers: the promises hold whatever happens.

use super::*;

#[derive(Clone, Debug)]
enum Step {
    Key(Key),
    Select(usize),
    /// Answer the n-th pending call with a reply picked by `r`.
    Answer(usize, u8),
    /// Fire the n-th armed timer.
    Fire(usize),
    Vend(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..10).prop_map(|d| Step::Key(Key::Digit(d))),
        prop_oneof![
            Just(Key::Enter),
            Just(Key::Cancel),
            Just(Key::Clear),
            Just(Key::Backspace),
            Just(Key::Menu),
            Just(Key::SendToPhone)
        ]
        .prop_map(Step::Key),
        (0usize..8).prop_map(Step::Select),
        (0usize..4, 0u8..12).prop_map(|(i, r)| Step::Answer(i, r)),
        (0usize..4).prop_map(Step::Fire),
        any::<bool>().prop_map(Step::Vend),
    ]
}

/// A provider answer for an operation, picked by `r`; approvals are remembered per sale.
fn reply_for(op: &Operation, r: u8) -> Result<Reply, Failure> {
    let fail = |k| Err(Failure::new(k, "x"));
    let status = |r: u8| match r % 6 {
        0 => PaymentStatus::Pending,
        1 => approved("p"),
        2 => PaymentStatus::Declined {
            reason: "no".into(),
        },
        3 => PaymentStatus::Expired,
        4 => PaymentStatus::Cancelled,
        _ => PaymentStatus::Authorized,
    };
    match r {
        0 => fail(FailureKind::Transient),
        1 => fail(FailureKind::InDoubt),
        2 => fail(FailureKind::Rejected),
        _ => Ok(match op {
            Operation::Start(_) => Reply::Started {
                handle: PaymentHandle("h".into()),
                prompt: Prompt::Qr {
                    payload: "q".into(),
                    expires_at: Millis(1_700_000_100_000),
                },
            },
            Operation::Status(_) => Reply::Status(status(r)),
            Operation::Cancel(_) => Reply::Cancelled(status(r)),
            Operation::Capture(..) => Reply::Captured {
                reference: "c".into(),
            },
            Operation::Release(_) => Reply::Released,
            Operation::Refund { .. } => Reply::Refunded {
                reference: "r".into(),
            },
            Operation::Recover(_) if r.is_multiple_of(2) => Reply::NotFound,
            Operation::Recover(_) => Reply::Found {
                handle: PaymentHandle("h".into()),
                status: status(r),
                prompt: None,
            },
            Operation::Query { .. } => Reply::Info(Vec::new()),
        }),
    }
}

fn approves(reply: &Result<Reply, Failure>) -> bool {
    matches!(
        reply,
        Ok(Reply::Status(PaymentStatus::Approved { .. })
            | Reply::Cancelled(PaymentStatus::Approved { .. })
            | Reply::Found {
                status: PaymentStatus::Approved { .. },
                ..
            }
            | Reply::Captured { .. })
    )
}

fn run_property(mode: Mode, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut s = pin_settings();
    s.mode = mode;
    let mut h = H::new(s, vec![qr(), mcash_like()]);
    let mut sale_of_call: HashMap<CallId, SaleKey> = HashMap::new();
    let mut approved_sales: Vec<SaleKey> = Vec::new();
    let mut started: Vec<SaleKey> = Vec::new();
    for step in steps {
        match step {
            Step::Key(k) => h.key(k),
            Step::Select(i) => h.send(Event::Select(i)),
            Step::Answer(i, r) if i < h.pending.len() => {
                let (call, op) = h.pending.remove(i);
                let reply = reply_for(&op, r);
                if approves(&reply)
                    && let Some(sale) = sale_of_call.get(&call)
                {
                    approved_sales.push(sale.clone());
                }
                h.answer(call, reply);
            }
            Step::Fire(i) if i < h.timers.len() => {
                let (timer, at) = h.timers.remove(i);
                h.now = h.now.max(at);
                h.send(Event::Timer(timer));
            }
            Step::Vend(delivered) => {
                if let Some(sale) = h.vends.last().cloned() {
                    h.send(Event::VendResult { sale, delivered });
                } else {
                    h.send(Event::VendRequest {
                        price: Money::from_minor(300, Currency::NOK),
                    });
                }
            }
            _ => {}
        }
        for e in &h.effects {
            if let Effect::Call { call, sale, op, .. } = e {
                sale_of_call.insert(*call, sale.clone());
                if let Operation::Start(_) = op {
                    // Never two payable requests at once: every sale started before this one
                    // has its outcome journaled (a QR swapped for a push was cancelled first).
                    for earlier in started.iter().filter(|s| *s != sale) {
                        prop_assert!(
                            h.journal.iter().any(|j| &j.sale == earlier
                                && matches!(j.record, Record::Outcome { .. })),
                            "{sale} started while {earlier} was still open"
                        );
                    }
                    started.push(sale.clone());
                }
            }
        }
        // Never approved without a provider approval for that sale.
        if let Screen::Result { sale, outcome, .. } = &h.view.screen
            && outcome.is_approved()
        {
            prop_assert!(
                approved_sales.contains(sale),
                "{sale} shown approved without approval"
            );
        }
        // Never two start effects for one sale key.
        prop_assert!(h.starts.values().all(|n| *n == 1), "{:?}", h.starts);
    }
    // Amount entry is always reachable again: answer everything, let timers run, press Cancel.
    for _ in 0..200 {
        if matches!(h.view.screen, Screen::Amount { .. }) {
            break;
        }
        if let Some((call, op)) = h.pending.first().cloned() {
            h.pending.remove(0);
            let reply = reply_for(&op, 3 + 1); // a final, non-approving status where it applies
            h.answer(call, reply);
        } else if !h.timers.is_empty() {
            let (timer, at) = h.timers.remove(0);
            h.now = h.now.max(at);
            h.send(Event::Timer(timer));
        } else if !h.vends.is_empty() {
            let sale = h.vends.remove(0);
            h.send(Event::VendResult {
                sale,
                delivered: false,
            });
        } else {
            h.key(Key::Cancel);
        }
    }
    prop_assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "stuck at {:?}",
        h.view.screen
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_cashier_sequences_keep_the_promises(steps in proptest::collection::vec(step(), 0..80)) {
        run_property(Mode::Cashier, steps)?;
    }

    #[test]
    fn random_vending_sequences_keep_the_promises(steps in proptest::collection::vec(step(), 0..80)) {
        run_property(Mode::Vending, steps)?;
    }
}
