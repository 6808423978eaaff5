//! Flows, races and properties of the terminal, driven with a fake clock and hand-made
//! provider answers.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::core::event::CallId;
use crate::core::pin::PinHash;
use crate::core::provider::Capabilities;
use crate::core::view::Tone;
use crate::core::{Cashier, Mode, Settings};
use crate::money::Currency;

fn provider(id: &str, flows: Vec<FlowKind>) -> ProviderInfo {
    ProviderInfo {
        id: ProviderId::new(id),
        name: id.to_uppercase(),
        capabilities: Capabilities {
            flows,
            cancel: true,
            refund: true,
            auth_capture: true,
        },
    }
}

fn qr() -> ProviderInfo {
    provider("fake", vec![FlowKind::Qr])
}

fn mcash_like() -> ProviderInfo {
    provider("mcash", vec![FlowKind::Qr, FlowKind::Push])
}

/// Drives a terminal and keeps what it asked for.
struct H {
    t: Terminal,
    now: Millis,
    pending: Vec<(CallId, Operation)>,
    timers: Vec<(Timer, Millis)>,
    journal: Vec<JournalEntry>,
    effects: Vec<Effect>,
    view: View,
    starts: HashMap<SaleKey, u32>,
    vends: Vec<SaleKey>,
    deferred: Vec<(SaleKey, Operation)>,
    commands: Vec<OutboxCommand>,
}

impl H {
    fn new(settings: Settings, providers: Vec<ProviderInfo>) -> H {
        H::resuming(settings, providers, Vec::new())
    }

    /// A terminal that starts with these sales left unfinished before a restart.
    fn resuming(settings: Settings, providers: Vec<ProviderInfo>, left: Vec<Resume>) -> H {
        let mut t = Terminal::new(settings, providers, 1, Vec::new());
        t.resume(left);
        let view = t.view();
        let mut h = H {
            t,
            now: Millis(1_700_000_000_000),
            pending: Vec::new(),
            timers: Vec::new(),
            journal: Vec::new(),
            effects: Vec::new(),
            view,
            starts: HashMap::new(),
            vends: Vec::new(),
            deferred: Vec::new(),
            commands: Vec::new(),
        };
        h.send(Event::Ready);
        h
    }

    fn cashier(providers: Vec<ProviderInfo>) -> H {
        H::new(Settings::demo("T1"), providers)
    }

    fn send(&mut self, e: Event) {
        let fx = self.t.handle(self.now, e);
        for f in &fx {
            match f {
                Effect::Journal(j) => self.journal.push(j.clone()),
                Effect::Call { call, op, sale, .. } => {
                    if let Operation::Start(_) = op {
                        *self.starts.entry(sale.clone()).or_default() += 1;
                    }
                    self.pending.push((*call, op.clone()));
                }
                Effect::Arm { timer, at } => self.timers.push((timer.clone(), *at)),
                Effect::Show(v) => self.view = (**v).clone(),
                Effect::Vend { sale } => self.vends.push(sale.clone()),
                Effect::Signal(_) => {}
                Effect::Defer { sale, op, .. } => self.deferred.push((sale.clone(), op.clone())),
                Effect::Outbox(c) => self.commands.push(c.clone()),
            }
        }
        self.effects = fx;
    }

    fn key(&mut self, k: Key) {
        self.send(Event::Key(k));
    }

    fn digits(&mut self, s: &str) {
        for c in s.bytes() {
            self.key(Key::Digit(c - b'0'));
        }
    }

    /// Takes the oldest pending call whose operation has this name.
    fn take(&mut self, name: &str) -> (CallId, Operation) {
        let i = self
            .pending
            .iter()
            .position(|(_, op)| op.name() == name)
            .unwrap_or_else(|| panic!("no pending {name} call in {:?}", self.pending));
        self.pending.remove(i)
    }

    fn has(&self, name: &str) -> bool {
        self.pending.iter().any(|(_, op)| op.name() == name)
    }

    fn answer(&mut self, call: CallId, result: Result<Reply, Failure>) {
        self.send(Event::Answer { call, result });
    }

    /// Fires the latest armed timer of this kind, moving the clock to it.
    fn fire(&mut self, kind: TimerKind) {
        let i = self
            .timers
            .iter()
            .rposition(|(t, _)| t.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} timer armed"));
        let (timer, at) = self.timers.remove(i);
        self.now = self.now.max(at);
        self.send(Event::Timer(timer));
    }

    fn sale_to_qr(&mut self, amount: &str) -> SaleKey {
        self.digits(amount);
        self.key(Key::Enter);
        self.key(Key::Digit(1));
        let (call, op) = self.take("start");
        let Operation::Start(req) = op else {
            unreachable!()
        };
        self.answer(
            call,
            Ok(Reply::Started {
                handle: PaymentHandle(format!("tid-{}", req.key)),
                prompt: Prompt::Qr {
                    payload: "http://mca.sh/s/abc/T1".into(),
                    expires_at: self.now + 120_000,
                },
            }),
        );
        req.key
    }

    fn outcome(&self) -> Option<Outcome> {
        match &self.view.screen {
            Screen::Result { outcome, .. } => Some(outcome.clone()),
            _ => None,
        }
    }
}

fn approved(r: &str) -> PaymentStatus {
    PaymentStatus::Approved {
        reference: r.into(),
    }
}

#[test]
fn a_qr_sale_from_amount_to_approved_and_back() {
    let mut h = H::cashier(vec![qr()]);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    h.digits("1250");
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 1250));
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Method { .. }));
    h.key(Key::Digit(1));
    // The intent is journaled before the start call is emitted.
    let journal_at = h.effects.iter().position(
        |e| matches!(e, Effect::Journal(j) if matches!(j.record, Record::StartIntent(_))),
    );
    let call_at = h.effects.iter().position(|e| {
        matches!(
            e,
            Effect::Call {
                op: Operation::Start(_),
                ..
            }
        )
    });
    assert!(journal_at.unwrap() < call_at.unwrap());
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.amount, Money::from_minor(1250, Currency::NOK));
    assert_eq!(req.key.as_str(), "T1-000001");
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("tid1".into()),
            prompt: Prompt::Qr {
                payload: "QR".into(),
                expires_at: h.now + 60_000,
            },
        }),
    );
    assert!(
        matches!(&h.view.screen, Screen::Paying { waiting: Waiting::Qr { payload, .. }, .. } if payload == "QR")
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Pending)));
    assert!(!h.view.shows_paid());
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("tid1"))));
    assert!(h.view.shows_paid());
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::Outcome {
            outcome: Outcome::Approved { .. },
            late: false
        })
    ));
    // Cashier mode: the result stays until a key is pressed.
    assert!(
        !h.timers
            .iter()
            .any(|(t, _)| t.kind == TimerKind::ResultHold)
    );
    h.key(Key::Enter);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 0));
}

#[test]
fn approval_after_cancel_is_shown_approved_and_offered_for_refund() {
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("500");
    h.key(Key::Cancel);
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            cancelling: true,
            ..
        }
    ));
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(approved("ref-9"))));
    assert!(h.view.shows_paid(), "{:?}", h.view.screen);
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: true,
            refund_offered: true,
            ..
        }
    ));
}

#[test]
fn a_poll_answer_approving_after_the_sale_ended_cancelled_is_not_hidden() {
    let mut h = H::cashier(vec![qr()]);
    let key = h.sale_to_qr("500");
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.key(Key::Cancel);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(h.outcome(), Some(Outcome::Cancelled));
    // The provider's status, asked before the cancel, says it was paid.
    h.answer(poll, Ok(Reply::Status(approved("late-1"))));
    assert!(h.view.shows_paid());
    assert!(h.journal.iter().any(|j| j.sale == key
        && matches!(
            j.record,
            Record::Outcome {
                outcome: Outcome::Approved { .. },
                late: true
            }
        )));
}

#[test]
fn expiry_and_approval_together_end_approved_in_either_order() {
    // Expiry first, approval arrives on the in-flight status.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(poll, Ok(Reply::Status(approved("r1"))));
    assert!(h.view.shows_paid());
    h.answer(
        cancel,
        Err(Failure::new(FailureKind::Rejected, "already paid")),
    );
    assert!(
        h.view.shows_paid(),
        "a refused cancel after approval changes nothing"
    );

    // Expiry confirmed by the provider ends expired, not cancelled, never paid.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(h.outcome(), Some(Outcome::Expired));

    // The cancel is refused because the customer paid at the last second.
    let mut h = H::cashier(vec![qr()]);
    h.sale_to_qr("700");
    h.fire(TimerKind::Expiry);
    let (cancel, _) = h.take("cancel");
    h.answer(cancel, Err(Failure::new(FailureKind::Rejected, "409")));
    assert!(!h.view.shows_paid());
    h.fire(TimerKind::Poll);
    let (poll, _) = h.take("status");
    h.answer(poll, Ok(Reply::Status(approved("r2"))));
    assert!(h.view.shows_paid());
    assert!(matches!(
        h.view.screen,
        Screen::Result {
            late_approval: false,
            ..
        }
    ));
}

#[test]
fn double_key_presses_start_one_sale() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Enter);
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.key(Key::Enter);
    assert_eq!(h.starts.values().sum::<u32>(), 1);
    assert_eq!(
        h.pending
            .iter()
            .filter(|(_, o)| o.name() == "start")
            .count(),
        1
    );
}

#[test]
fn amounts_zero_too_large_and_overflowing_are_refused() {
    let mut s = Settings::demo("T1");
    s.max_amount = Money::from_minor(100_000, Currency::NOK);
    let mut h = H::new(s, vec![qr()]);
    h.key(Key::Enter);
    assert!(
        matches!(&h.view.screen, Screen::Amount { error: Some(e), .. } if e.contains("amount"))
    );
    h.digits("000");
    h.key(Key::Enter);
    assert!(
        matches!(h.view.screen, Screen::Amount { .. }),
        "leading zeros are still zero"
    );
    h.digits("100000");
    h.key(Key::Digit(1));
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: Some(_), .. } if amount.minor() == 100_000)
    );
    h.key(Key::Backspace);
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: None, .. } if amount.minor() == 10_000)
    );
    h.key(Key::Digit(42));
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 10_000));
    // With the largest limit possible, typing past i64 is refused, not wrapped.
    let mut s = Settings::demo("T1");
    s.max_amount = Money::from_minor(i64::MAX, Currency::NOK);
    let mut h = H::new(s, vec![qr()]);
    h.digits("99999999999999999999");
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, error: Some(_), .. } if amount.minor() == 999_999_999_999_999_999)
    );
    h.key(Key::Clear);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 0));
}

#[test]
fn a_lost_start_answer_is_recovered_never_resent() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(
        call,
        Err(Failure::new(FailureKind::InDoubt, "timeout after send")),
    );
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            waiting: Waiting::Checking { attempt: 1 },
            ..
        }
    ));
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid".into()),
            status: PaymentStatus::Pending,
            prompt: Some(Prompt::Qr {
                payload: "again".into(),
                expires_at: h.now + 60_000,
            }),
        }),
    );
    // The customer sees the QR again while the recovered sale waits.
    assert!(
        matches!(&h.view.screen, Screen::Paying { waiting: Waiting::Qr { payload, .. }, .. } if payload == "again")
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("x"))));
    assert!(h.view.shows_paid());
    assert_eq!(h.starts.values().sum::<u32>(), 1);
}

#[test]
fn an_unresolvable_sale_ends_in_doubt_after_bounded_checks() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    for _ in 0..10 {
        if !h.has("recover") {
            if h.timers
                .iter()
                .any(|(t, _)| t.kind == TimerKind::RecoverRetry)
            {
                h.fire(TimerKind::RecoverRetry);
            } else {
                break;
            }
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::Transient, "down")));
    }
    assert!(
        matches!(h.outcome(), Some(Outcome::InDoubt { .. })),
        "{:?}",
        h.view.screen
    );
    assert!(!h.view.shows_paid());
    assert_eq!(h.starts.values().sum::<u32>(), 1);
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::Outcome {
            outcome: Outcome::InDoubt { .. },
            ..
        })
    ));
}

#[test]
fn recover_not_found_means_nothing_was_charged() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    let (call, _) = h.take("recover");
    h.answer(call, Ok(Reply::NotFound));
    assert!(matches!(h.outcome(), Some(Outcome::Failed { .. })));
}

#[test]
fn unreachable_provider_fails_the_sale_without_charging() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, _) = h.take("start");
    h.answer(
        call,
        Err(Failure::new(FailureKind::Transient, "connection refused")),
    );
    match h.outcome() {
        Some(Outcome::Failed { reason }) => assert!(reason.contains("nothing was charged")),
        other => panic!("{other:?}"),
    }
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn push_to_phone_validates_the_number_inline_and_empty_means_qr() {
    let mut h = H::cashier(vec![mcash_like()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    assert!(matches!(h.view.screen, Screen::Customer { .. }));
    h.digits("123");
    h.key(Key::Enter);
    assert!(
        matches!(&h.view.screen, Screen::Customer { error: Some(e), .. } if e.contains("8 to 15"))
    );
    h.key(Key::Clear);
    h.digits("4791234567");
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest {
            flow: Flow::Push { .. },
            ..
        })
    ));

    let mut h = H::cashier(vec![mcash_like()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest { flow: Flow::Qr, .. })
    ));
}

#[test]
fn card_and_code_masks_the_code_and_never_journals_it() {
    let mut h = H::cashier(vec![provider("icash", vec![FlowKind::CardAndCode])]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.digits("1234567890123456");
    h.key(Key::Enter);
    h.digits("9876");
    match &h.view.screen {
        Screen::Customer { fields, .. } => assert_eq!(fields[1].shown, "••••"),
        other => panic!("{other:?}"),
    }
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    assert!(matches!(
        op,
        Operation::Start(SaleRequest {
            flow: Flow::CardAndCode { code: Some(_), .. },
            ..
        })
    ));
    let journal = serde_json::to_string(&h.journal).unwrap();
    assert!(!journal.contains("9876"), "{journal}");
}

fn pin_settings() -> Settings {
    let mut s = Settings::demo("T1");
    s.supervisor_pin = Some(PinHash::hash("2468", [1; 16], true).unwrap());
    s
}

#[test]
fn supervisor_pin_locks_after_five_wrong_tries_with_growing_delay() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.key(Key::Menu);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    for _ in 0..5 {
        h.digits("1111");
        h.key(Key::Enter);
    }
    assert!(
        matches!(&h.view.screen, Screen::SupervisorPin { error: Some(e), .. } if e.contains("Try again in 30"))
    );
    // The right PIN is refused while locked.
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    h.now = h.now + 30_000;
    h.digits("1111");
    h.key(Key::Enter);
    assert!(
        matches!(&h.view.screen, Screen::SupervisorPin { error: Some(e), .. } if e.contains("Try again in 60"))
    );
    h.now = h.now + 60_000;
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
}

#[test]
fn refund_of_the_last_sale_is_journaled_before_it_leaves() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    let key = h.sale_to_qr("1000");
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("ok1"))));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { can_refund: true, row, .. } if row.key == key)
    );
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::RefundConfirm { .. }));
    h.key(Key::Enter);
    let intent = h.effects.iter().position(
        |e| matches!(e, Effect::Journal(j) if matches!(j.record, Record::RefundIntent { .. })),
    );
    let call = h.effects.iter().position(|e| {
        matches!(
            e,
            Effect::Call {
                op: Operation::Refund { .. },
                ..
            }
        )
    });
    assert!(intent.unwrap() < call.unwrap());
    let (call, _) = h.take("refund");
    h.key(Key::Enter); // a second press while refunding does nothing
    assert!(!h.has("refund"));
    h.answer(
        call,
        Ok(Reply::Refunded {
            reference: "rf1".into(),
        }),
    );
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { can_refund: false, message: Some(m), .. } if m.text.contains("rf1") && m.tone == Tone::Good)
    );
}

#[test]
fn a_refund_with_a_lost_answer_is_flagged_not_repeated() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.sale_to_qr("1000");
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(approved("ok1"))));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    h.key(Key::Enter);
    h.key(Key::Enter);
    let (call, _) = h.take("refund");
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "timeout")));
    assert!(
        matches!(&h.view.screen, Screen::SaleDetail { message: Some(m), .. } if m.text.contains("Flagged") && m.tone == Tone::Problem)
    );
    assert!(
        h.journal
            .iter()
            .any(|j| matches!(j.record, Record::Flagged { .. }))
    );
}

#[test]
fn refund_from_the_menu_with_no_approved_sale_says_so_on_the_menu() {
    let mut h = H::new(pin_settings(), vec![qr()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(0));
    let Screen::Menu { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(
        message.as_ref(),
        Some(&Notice::problem("No approved sale to refund"))
    );
    // The next choice clears it.
    h.send(Event::Select(1));
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Menu { message: None, .. }));
}

#[test]
fn diagnostics_mark_each_check_good_or_a_problem() {
    let mut h = H::new(pin_settings(), vec![qr(), mcash_like()]);
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(5));
    h.send(Event::ProviderReachable {
        provider: ProviderId::new("mcash"),
        reachable: false,
    });
    let tone = |h: &H, name: &str| {
        let Screen::Diagnostics { checks } = &h.view.screen else {
            panic!("{:?}", h.view.screen)
        };
        checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.found.clone(), c.tone))
    };
    assert_eq!(
        tone(&h, "MCASH"),
        Some(("NOT reachable".into(), Tone::Problem))
    );
    assert_eq!(
        tone(&h, "FAKE"),
        Some(("not checked yet".into(), Tone::Info))
    );
    assert_eq!(tone(&h, "Journal"), Some(("ok".into(), Tone::Good)));
    h.send(Event::Connectivity { online: false });
    assert!(matches!(tone(&h, "Network"), Some((f, Tone::Problem)) if f.starts_with("offline")));
    h.send(Event::JournalFailed {
        sale: SaleKey::new("T1", 1).unwrap(),
        message: "disk full".into(),
    });
    assert!(matches!(tone(&h, "Journal"), Some((_, Tone::Problem))));
    // Back online: the unreachable provider is tried again, so it is no longer marked.
    h.send(Event::Connectivity { online: true });
    assert_eq!(tone(&h, "Network"), Some(("online".into(), Tone::Good)));
    assert_eq!(
        tone(&h, "MCASH"),
        Some(("not checked yet".into(), Tone::Info))
    );
}

#[test]
fn menu_without_a_supervisor_pin_stays_closed() {
    let mut h = H::cashier(vec![qr()]);
    h.key(Key::Menu);
    assert!(
        matches!(&h.view.screen, Screen::Amount { error: Some(e), .. } if e.contains("supervisor PIN"))
    );
}

fn vending() -> H {
    let mut s = Settings::demo("V1");
    s.mode = Mode::Vending;
    H::new(s, vec![qr()])
}

fn vend_to_authorized(h: &mut H) -> SaleKey {
    h.send(Event::VendRequest {
        price: Money::from_minor(2500, Currency::NOK),
    });
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.capture, Capture::Auth);
    h.answer(
        call,
        Ok(Reply::Started {
            handle: PaymentHandle("v".into()),
            prompt: Prompt::Qr {
                payload: "Q".into(),
                expires_at: h.now + 60_000,
            },
        }),
    );
    h.fire(TimerKind::Poll);
    let (call, _) = h.take("status");
    h.answer(call, Ok(Reply::Status(PaymentStatus::Authorized)));
    assert_eq!(h.vends, vec![req.key.clone()]);
    assert!(!h.view.shows_paid(), "authorized is not paid");
    req.key
}

#[test]
fn vending_captures_after_a_delivered_vend() {
    let mut h = vending();
    h.digits("999"); // keys do not set a price on a vending machine
    assert!(
        matches!(&h.view.screen, Screen::Amount { amount, vending_idle: true, .. } if amount.minor() == 0)
    );
    let key = vend_to_authorized(&mut h);
    h.send(Event::VendResult {
        sale: key,
        delivered: true,
    });
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::CaptureIntent { .. })
    ));
    let (call, _) = h.take("capture");
    h.answer(call, Err(Failure::new(FailureKind::Transient, "503")));
    h.fire(TimerKind::RecoverRetry);
    let (call, _) = h.take("capture");
    h.answer(
        call,
        Ok(Reply::Captured {
            reference: "cap".into(),
        }),
    );
    assert!(h.view.shows_paid());
    h.fire(TimerKind::ResultHold);
    assert!(matches!(
        h.view.screen,
        Screen::Amount {
            vending_idle: true,
            ..
        }
    ));
}

#[test]
fn vending_releases_when_the_vend_fails() {
    let mut h = vending();
    let key = vend_to_authorized(&mut h);
    h.send(Event::VendResult {
        sale: key,
        delivered: false,
    });
    assert!(matches!(
        h.journal.last().map(|j| &j.record),
        Some(Record::ReleaseIntent)
    ));
    let (call, _) = h.take("release");
    h.answer(call, Ok(Reply::Released));
    assert_eq!(h.outcome(), Some(Outcome::Released));
    assert!(!h.view.shows_paid());
}

#[test]
fn kiosk_returns_to_the_start_by_itself() {
    let mut s = Settings::demo("K1");
    s.mode = Mode::Kiosk;
    let mut h = H::new(s, vec![qr()]);
    h.sale_to_qr("100");
    h.fire(TimerKind::Expiry);
    let (call, _) = h.take("cancel");
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Expired)));
    assert_eq!(h.outcome(), Some(Outcome::Expired));
    h.fire(TimerKind::ResultHold);
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_failed_journal_write_stops_sales() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (_, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.send(Event::JournalFailed {
        sale: req.key,
        message: "No space left on device".into(),
    });
    assert!(matches!(h.outcome(), Some(Outcome::Failed { .. })));
    assert!(h.view.status.storage_failing);
    h.key(Key::Enter);
    h.digits("100");
    h.key(Key::Enter);
    assert!(
        matches!(&h.view.screen, Screen::Amount { error: Some(e), .. } if e.contains("journal"))
    );
    h.send(Event::JournalHealthy);
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Method { .. }));
}

#[test]
fn cashiers_sign_in_and_out() {
    let mut s = pin_settings();
    s.cashiers = vec![Cashier {
        id: "anna".into(),
        pin: PinHash::hash("1357", [2; 16], true).unwrap(),
    }];
    let mut h = H::new(s, vec![qr()]);
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    h.digits("0000");
    h.key(Key::Enter);
    assert!(matches!(
        &h.view.screen,
        Screen::Login { error: Some(_), .. }
    ));
    h.digits("1357");
    assert!(matches!(h.view.screen, Screen::Login { digits: 4, .. }));
    h.key(Key::Enter);
    assert_eq!(h.view.status.cashier.as_deref(), Some("anna"));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(6));
    assert!(matches!(h.view.screen, Screen::Login { .. }));
    assert_eq!(h.view.status.cashier, None);
}

// ----- property ---------------------------------------------------------------------------

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
            Just(Key::Menu)
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
            if let Effect::Call { call, sale, .. } = e {
                sale_of_call.insert(*call, sale.clone());
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

// ----- restart recovery, deferred calls, offline queueing ----------------------------------

fn left_open(seq: u64, flow: Flow, capture: Capture, handle: Option<&str>, left: Left) -> Resume {
    Resume {
        request: SaleRequest {
            key: SaleKey::new("T1", seq).unwrap(),
            amount: Money::from_minor(500, Currency::NOK),
            flow,
            capture,
        },
        provider: ProviderId::new("mcash"),
        handle: handle.map(|h| PaymentHandle(h.into())),
        started_at: Millis(1_600_000_000_000),
        left,
    }
}

fn outcomes(h: &H) -> Vec<(SaleKey, Outcome)> {
    h.journal
        .iter()
        .filter_map(|j| match &j.record {
            Record::Outcome { outcome, .. } => Some((j.sale.clone(), outcome.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn after_a_restart_a_payment_still_waiting_is_cancelled_and_never_started_again() {
    let left = left_open(7, Flow::Qr, Capture::Sale, None, Left::Start);
    let key = left.request.key.clone();
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    assert_eq!(
        h.view.screen,
        Screen::Recovering {
            remaining: 1,
            current: Some(key.clone())
        }
    );
    // Keys do nothing while recovering.
    h.digits("100");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Recovering { .. }));
    let (call, op) = h.take("recover");
    assert!(matches!(op, Operation::Recover(r) if r.key == key));
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-7".into()),
            status: PaymentStatus::Pending,
            prompt: None,
        }),
    );
    let (call, op) = h.take("cancel");
    assert!(matches!(op, Operation::Cancel(PaymentHandle(t)) if t == "tid-7"));
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(outcomes(&h), vec![(key.clone(), Outcome::Cancelled)]);
    assert!(
        h.starts.is_empty(),
        "a recovered sale is never started again"
    );
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn after_a_restart_each_unfinished_sale_is_resolved_in_turn_before_new_sales() {
    let a = left_open(3, Flow::Qr, Capture::Sale, Some("tid-3"), Left::Start);
    let b = left_open(4, Flow::Qr, Capture::Sale, None, Left::Start);
    let (ka, kb) = (a.request.key.clone(), b.request.key.clone());
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![a, b]);
    assert!(matches!(
        h.view.screen,
        Screen::Recovering { remaining: 2, .. }
    ));
    let (call, _) = h.take("recover");
    h.answer(
        call,
        Ok(Reply::Found {
            handle: PaymentHandle("tid-3".into()),
            status: approved("ref-3"),
            prompt: None,
        }),
    );
    assert!(!h.has("cancel"), "a decided payment is not cancelled");
    assert!(
        matches!(&h.view.screen, Screen::Recovering { remaining: 1, current: Some(k) } if *k == kb)
    );
    let (call, _) = h.take("recover");
    h.answer(call, Ok(Reply::NotFound));
    let got = outcomes(&h);
    assert_eq!(
        got[0],
        (
            ka,
            Outcome::Approved {
                reference: "ref-3".into()
            }
        )
    );
    assert!(matches!(&got[1], (k, Outcome::Failed { .. }) if *k == kb));
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
    // History knows both, so the approved one can be refunded from the menu.
    assert_eq!(h.t.history_rows().len(), 2);
}

#[test]
fn after_a_restart_a_provider_that_never_answers_leaves_the_sale_in_doubt_for_the_outbox() {
    let left = left_open(9, Flow::Qr, Capture::Sale, Some("tid-9"), Left::Start);
    let mut h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    let attempts = Settings::demo("T1").recover_attempts;
    for i in 0..attempts {
        if i > 0 {
            h.fire(TimerKind::RecoverRetry);
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::Transient, "timeout")));
    }
    assert!(matches!(&outcomes(&h)[..], [(_, Outcome::InDoubt { .. })]));
    assert!(matches!(
        &h.deferred[..],
        [(_, Operation::Status(PaymentHandle(t)))] if t == "tid-9"
    ));
    // The terminal opens: an unanswered provider does not keep the shop closed.
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn after_a_restart_vending_captures_only_what_was_delivered() {
    let mut s = Settings::demo("T1");
    s.mode = Mode::Vending;
    let delivered = left_open(1, Flow::Qr, Capture::Auth, Some("tid-1"), Left::Capture);
    let not_delivered = left_open(2, Flow::Qr, Capture::Auth, Some("tid-2"), Left::Start);
    let mut h = H::resuming(s, vec![mcash_like()], vec![delivered, not_delivered]);
    let authorized = |h: &mut H, tid: &str| {
        let (call, _) = h.take("recover");
        h.answer(
            call,
            Ok(Reply::Found {
                handle: PaymentHandle(tid.into()),
                status: PaymentStatus::Authorized,
                prompt: None,
            }),
        );
    };
    authorized(&mut h, "tid-1");
    let (call, op) = h.take("capture");
    assert!(matches!(op, Operation::Capture(PaymentHandle(t), _) if t == "tid-1"));
    h.answer(
        call,
        Ok(Reply::Captured {
            reference: "cap-1".into(),
        }),
    );
    authorized(&mut h, "tid-2");
    assert!(!h.has("capture"));
    assert!(
        h.vends.is_empty(),
        "nothing is vended again after a restart"
    );
    let (call, op) = h.take("release");
    assert!(matches!(op, Operation::Release(PaymentHandle(t)) if t == "tid-2"));
    h.answer(call, Ok(Reply::Released));
    let got: Vec<Outcome> = outcomes(&h).into_iter().map(|(_, o)| o).collect();
    assert_eq!(
        got,
        vec![
            Outcome::Approved {
                reference: "cap-1".into()
            },
            Outcome::Released
        ]
    );
}

#[test]
fn after_a_restart_an_unconfirmed_refund_goes_to_the_outbox_with_its_own_key() {
    let refund_key = SaleKey::new("T1", 6).unwrap();
    let left = left_open(
        5,
        Flow::Qr,
        Capture::Sale,
        Some("tid-5"),
        Left::Refund {
            amount: Money::from_minor(500, Currency::NOK),
            key: refund_key.clone(),
        },
    );
    let h = H::resuming(Settings::demo("T1"), vec![mcash_like()], vec![left]);
    assert!(matches!(
        &h.deferred[..],
        [(_, Operation::Refund { key, .. })] if *key == refund_key
    ));
    assert!(h.pending.is_empty(), "the refund is not sent twice at once");
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_sale_of_a_provider_no_longer_configured_is_flagged_not_dropped() {
    let left = left_open(5, Flow::Qr, Capture::Sale, None, Left::Start);
    let h = H::resuming(Settings::demo("T1"), vec![qr()], vec![left]);
    assert!(
        h.journal
            .iter()
            .any(|j| matches!(&j.record, Record::Flagged { reason } if reason.contains("mcash")))
    );
    assert!(matches!(
        &h.t.history_rows()[0].outcome,
        Some(Outcome::InDoubt { .. })
    ));
    assert!(matches!(h.view.screen, Screen::Amount { .. }));
}

#[test]
fn a_live_sale_left_in_doubt_is_handed_to_the_outbox() {
    let mut h = H::cashier(vec![qr()]);
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.answer(
        call,
        Err(Failure::new(FailureKind::InDoubt, "reset after send")),
    );
    let attempts = h.t.settings.recover_attempts;
    for i in 0..attempts {
        if i > 0 {
            h.fire(TimerKind::RecoverRetry);
        }
        let (call, _) = h.take("recover");
        h.answer(call, Err(Failure::new(FailureKind::InDoubt, "reset")));
    }
    assert!(matches!(h.outcome(), Some(Outcome::InDoubt { .. })));
    assert!(!h.view.shows_paid());
    // No handle is known: the outbox recovers by the sale key, it never starts again.
    assert!(matches!(
        &h.deferred[..],
        [(k, Operation::Recover(r))] if *k == req.key && r.key == req.key
    ));
    assert_eq!(h.starts.get(&req.key), Some(&1));
}

/// A push sale while the provider cannot be reached.
fn offline_push(h: &mut H) -> SaleKey {
    // One failed call tells the terminal it is offline.
    let failed = h.sale_to_qr_failing();
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Amount { .. }), "{failed}");
    h.digits("250");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.digits("4712345678");
    h.key(Key::Enter);
    match &h.view.screen {
        Screen::Queued { sale, phone, .. } => {
            assert_eq!(phone.as_str(), "4712345678");
            sale.clone()
        }
        other => panic!("{other:?}"),
    }
}

impl H {
    fn sale_to_qr_failing(&mut self) -> SaleKey {
        self.digits("100");
        self.key(Key::Enter);
        self.key(Key::Digit(1));
        if matches!(self.view.screen, Screen::Customer { .. }) {
            self.key(Key::Enter); // empty phone: a QR
        }
        let (call, op) = self.take("start");
        self.answer(call, Err(Failure::new(FailureKind::Transient, "no route")));
        match op {
            Operation::Start(r) => r.key,
            _ => unreachable!(),
        }
    }
}

#[test]
fn offline_a_push_sale_is_queued_and_never_looks_paid() {
    let mut h = H::cashier(vec![mcash_like()]);
    let key = offline_push(&mut h);
    assert!(!h.view.shows_paid());
    assert!(!h.has("start"), "nothing is sent while offline");
    // The intent is durable before the deferral is handed over.
    let intent = h.effects.iter().position(|e| {
        matches!(e, Effect::Journal(j) if j.sale == key && matches!(j.record, Record::StartIntent(_)))
    });
    let defer = h.effects.iter().position(
        |e| matches!(e, Effect::Defer { sale, op: Operation::Start(_), .. } if *sale == key),
    );
    assert!(intent.unwrap() < defer.unwrap());
    // Later the outbox sends it and the customer approves: history shows it.
    h.key(Key::Enter);
    h.send(Event::OutboxDone {
        sale: key.clone(),
        record: Record::Outcome {
            outcome: Outcome::Approved {
                reference: "q1".into(),
            },
            late: false,
        },
    });
    let row = h.t.row(&key).unwrap();
    assert_eq!(
        row.outcome,
        Some(Outcome::Approved {
            reference: "q1".into()
        })
    );
}

#[test]
fn a_push_sale_that_cannot_be_queued_ends_failed_and_says_why() {
    let mut h = H::cashier(vec![mcash_like()]);
    let key = offline_push(&mut h);
    h.send(Event::DeferRefused {
        sale: key.clone(),
        reason: "offline limit reached".into(),
    });
    match h.outcome() {
        Some(Outcome::Failed { reason }) => {
            assert!(
                reason.contains("offline limit reached") && reason.contains("nothing was charged")
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(h.journal.iter().any(|j| j.sale == key
        && matches!(
            &j.record,
            Record::Outcome {
                outcome: Outcome::Failed { .. },
                ..
            }
        )));
}

#[test]
fn back_online_push_sales_are_sent_again() {
    let mut h = H::cashier(vec![mcash_like()]);
    offline_push(&mut h);
    h.key(Key::Enter);
    h.send(Event::Connectivity { online: true });
    h.digits("100");
    h.key(Key::Enter);
    h.key(Key::Digit(1));
    h.digits("4712345678");
    h.key(Key::Enter);
    assert!(h.has("start"));
    assert!(matches!(h.view.screen, Screen::Paying { .. }));
}

#[test]
fn storage_use_is_shown_in_tenths_of_a_mib() {
    assert_eq!(mib_text(0), "0.0 MiB");
    assert_eq!(mib_text(3 * 1024 * 1024 / 2), "1.5 MiB");
    assert_eq!(mib_text(1024 * 1024 - 1), "1.0 MiB");
    assert_eq!(mib_text(52_428), "0.0 MiB");
    assert_eq!(mib_text(52_429), "0.1 MiB");
    assert_eq!(mib_text(u64::MAX), "17592186044416.0 MiB");
}

#[test]
fn diagnostics_show_storage_use_and_damaged_records() {
    let mut h = H::cashier(vec![qr()]);
    assert!(!h.t.diagnostics().iter().any(|c| c.name == "Storage"));
    h.send(Event::Storage {
        used_bytes: 3 * 1024 * 1024 / 2,
        damaged: 2,
    });
    let checks = h.t.diagnostics();
    assert!(
        checks.contains(&Check::new("Storage", "1.5 MiB used", Tone::Info)),
        "{checks:?}"
    );
    assert!(
        checks.iter().any(|c| c.name == "Damaged records"
            && c.found.starts_with("2:")
            && c.tone == Tone::Problem),
        "{checks:?}"
    );
}

#[test]
fn a_provider_down_at_start_up_takes_push_sales_again_once_it_answers() {
    let mut h = H::cashier(vec![mcash_like()]);
    h.send(Event::ProviderReachable {
        provider: ProviderId::new("mcash"),
        reachable: false,
    });
    let push = |h: &mut H| {
        h.digits("100");
        h.key(Key::Enter);
        h.key(Key::Digit(1));
        h.digits("4712345678");
        h.key(Key::Enter);
    };
    push(&mut h);
    assert!(matches!(h.view.screen, Screen::Queued { .. }));
    h.key(Key::Enter);
    // The outbox reached the network again: push requests are sent, not queued.
    h.send(Event::Connectivity { online: true });
    push(&mut h);
    assert!(h.has("start"), "{:?}", h.view.screen);
    let (call, _) = h.take("start");
    h.answer(call, Err(Failure::new(FailureKind::Transient, "no route")));
    h.key(Key::Enter);
    push(&mut h);
    assert!(
        matches!(h.view.screen, Screen::Queued { .. }),
        "down again: queued"
    );
}

// ----- the outbox screens ------------------------------------------------------------------

fn outbox_with(items: &[(u64, bool)]) -> OutboxSummary {
    use crate::core::view::OutboxRow;
    OutboxSummary {
        pending: items.iter().filter(|(_, dead)| !dead).count(),
        dead: items.iter().filter(|(_, dead)| *dead).count(),
        items: items
            .iter()
            .map(|&(id, dead)| OutboxRow {
                id,
                sale: Some(SaleKey::parse(&format!("T1-{id}")).unwrap()),
                provider: ProviderId::new("mcash"),
                what: "Refund 5.00 NOK".into(),
                created_at: Millis(1_699_999_000_000),
                attempts: 3,
                next_try: Millis(1_700_000_060_000),
                last_error: dead.then(|| "refused".to_string()),
                dead,
            })
            .collect(),
    }
}

/// Supervisor PIN, menu item 4 (Outbox), with these items in the outbox.
fn at_outbox(items: &[(u64, bool)]) -> H {
    let mut h = H::new(pin_settings(), vec![mcash_like()]);
    h.send(Event::OutboxChanged(outbox_with(items)));
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.key(Key::Digit(4));
    assert!(
        matches!(h.view.screen, Screen::Outbox { .. }),
        "{:?}",
        h.view.screen
    );
    h
}

#[test]
fn a_given_up_outbox_item_is_retried_from_the_screen() {
    let mut h = at_outbox(&[(7, false), (9, true)]);
    h.send(Event::Select(1));
    let Screen::OutboxItem {
        row, confirm_drop, ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!((row.id, row.dead, *confirm_drop), (9, true, false));
    h.key(Key::Enter);
    assert_eq!(h.commands, vec![OutboxCommand::Retry { id: 9 }]);
    // A second press before the worker answers sends nothing more.
    h.key(Key::Enter);
    h.key(Key::Clear);
    assert_eq!(h.commands.len(), 1);
    h.send(Event::OutboxCommandDone {
        command: OutboxCommand::Retry { id: 9 },
        result: Ok(()),
    });
    let Screen::OutboxItem { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message
            .as_ref()
            .is_some_and(|m| m.text.contains("due now") && m.tone == Tone::Info),
        "{message:?}"
    );
    // The retried call then succeeds: the item leaves the outbox and the screen says so.
    h.send(Event::OutboxChanged(outbox_with(&[(7, false)])));
    let Screen::Outbox { summary, message } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(summary.items.len(), 1);
    assert!(
        message
            .as_ref()
            .is_some_and(|m| m.text.contains("#9 has left") && m.tone == Tone::Info),
        "{message:?}"
    );
}

#[test]
fn dropping_an_outbox_item_asks_first_and_names_who() {
    let mut h = at_outbox(&[(9, true)]);
    h.key(Key::Digit(1));
    h.key(Key::Clear);
    assert!(matches!(
        h.view.screen,
        Screen::OutboxItem {
            confirm_drop: true,
            ..
        }
    ));
    // Back out of the question: nothing is dropped.
    h.key(Key::Cancel);
    assert!(matches!(
        h.view.screen,
        Screen::OutboxItem {
            confirm_drop: false,
            ..
        }
    ));
    assert!(h.commands.is_empty());
    h.key(Key::Clear);
    h.key(Key::Enter);
    assert_eq!(
        h.commands,
        vec![OutboxCommand::Drop {
            id: 9,
            who: "supervisor at terminal T1".into()
        }]
    );
    // A failure is shown on the item, which stays.
    h.send(Event::OutboxCommandDone {
        command: h.commands[0].clone(),
        result: Err("journal write failed: disk full".into()),
    });
    let Screen::OutboxItem { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message
            .as_ref()
            .is_some_and(|m| m.text.contains("disk full") && m.tone == Tone::Problem),
        "{message:?}"
    );
    h.key(Key::Clear);
    h.key(Key::Enter);
    h.send(Event::OutboxCommandDone {
        command: h.commands[1].clone(),
        result: Ok(()),
    });
    h.send(Event::OutboxChanged(outbox_with(&[])));
    let Screen::Outbox { message, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Dropped #9") && m.tone == Tone::Info),
        "{message:?}"
    );
    h.key(Key::Cancel);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
}

#[test]
fn a_tap_below_the_listed_outbox_items_does_nothing() {
    let mut h = at_outbox(&[(7, false)]);
    h.send(Event::Select(3));
    h.key(Key::Digit(5));
    assert!(matches!(h.view.screen, Screen::Outbox { .. }));
    assert!(h.commands.is_empty());
}
