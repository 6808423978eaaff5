//! Kiosk mode: nobody presses a key to go on. Time passes (timers fire in order, as the runtime
//! would fire them) and the kiosk must be back on its start screen after every customer.

use super::*;
use crate::core::settings::KioskCode;
use crate::core::view::KioskFrame;

const IDLE: u64 = 30_000;
const ATTRACT: u64 = 60_000;
const CODE: u64 = 90_000;
const PAID: u64 = 5_000;
const NOT_PAID: u64 = 9_000;
const STAFF: u64 = 120_000;

fn kiosk_settings() -> Settings {
    let mut s = pin_settings();
    s.mode = Mode::Kiosk;
    s.kiosk.attract_ms = ATTRACT;
    s.kiosk.idle_ms = IDLE;
    s.kiosk.code_ms = CODE;
    s.kiosk.paid_ms = PAID;
    s.kiosk.not_paid_ms = NOT_PAID;
    s.kiosk.staff_ms = STAFF;
    s
}

fn kiosk() -> H {
    H::new(kiosk_settings(), vec![mcash_like()])
}

/// Lets `ms` pass: every timer due by then fires, earliest first, with the clock at its time.
fn pass(h: &mut H, ms: u64) {
    let end = h.now + ms;
    while let Some(i) = h
        .timers
        .iter()
        .enumerate()
        .filter(|(_, (_, at))| *at <= end)
        .min_by_key(|(_, (_, at))| *at)
        .map(|(i, _)| i)
    {
        let (timer, at) = h.timers.remove(i);
        h.now = h.now.max(at);
        h.send(Event::Timer(timer));
    }
    h.now = end;
}

fn at_start(h: &H) -> bool {
    matches!(&h.view.screen, Screen::Amount { amount, error: None, .. } if amount.minor() == 0)
}

fn frame(h: &H) -> KioskFrame {
    h.view.status.kiosk.clone().expect("a kiosk's view says so")
}

/// The customer types an amount and taps Pay; the provider answers with a QR code.
fn to_code(h: &mut H, amount: &str) -> (SaleKey, CallId) {
    let key = h.sale_to_qr(amount);
    assert!(matches!(
        h.view.screen,
        Screen::Paying {
            waiting: Waiting::Qr { .. },
            ..
        }
    ));
    pass(h, 1_000);
    let (poll, _) = h.take("status");
    (key, poll)
}

#[test]
fn an_unattended_sequence_of_customers_who_pay_reject_and_walk_away() {
    let mut h = kiosk();
    assert!(at_start(&h));

    // 1. Pays: "paid" stays PAID ms, then the start, without a key.
    let (key, poll) = to_code(&mut h, "2500");
    h.answer(poll, Ok(Reply::Status(approved("r1"))));
    assert!(h.view.shows_paid());
    pass(&mut h, PAID - 1);
    assert!(h.view.shows_paid(), "paid is shown for the whole time");
    pass(&mut h, 1);
    assert!(at_start(&h), "{:?}", h.view.screen);
    assert_eq!(h.starts[&key], 1);

    // 2. Rejects in the app: "not paid" stays NOT_PAID ms, then the start.
    let (_, poll) = to_code(&mut h, "990");
    h.answer(
        poll,
        Ok(Reply::Status(PaymentStatus::Declined {
            reason: "rejected by the customer".into(),
        })),
    );
    assert!(matches!(h.outcome(), Some(Outcome::Declined { .. })));
    pass(&mut h, PAID);
    assert!(
        h.outcome().is_some(),
        "a refusal stays longer than a payment"
    );
    pass(&mut h, NOT_PAID - PAID);
    assert!(at_start(&h));

    // 3. Walks away from the code: the kiosk gives up CODE ms after Pay, cancels the request at
    // the provider (it cannot be paid later), says so, and goes back.
    let (key, _poll) = to_code(&mut h, "4000");
    let paid_at = h.now;
    pass(&mut h, CODE - 2_000);
    assert!(!h.has("cancel"), "not before the time is up");
    pass(&mut h, 1_000);
    let (call, op) = h.take("cancel");
    assert!(matches!(op, Operation::Cancel(PaymentHandle(ref t)) if t == &format!("tid-{key}")));
    assert_eq!(h.now.saturating_sub(paid_at), CODE - 1_000);
    h.answer(call, Ok(Reply::Cancelled(PaymentStatus::Cancelled)));
    assert_eq!(h.outcome(), Some(Outcome::Expired));
    pass(&mut h, NOT_PAID);
    assert!(at_start(&h));

    // 4. Types digits and walks away: cleared after IDLE ms.
    h.digits("123");
    pass(&mut h, IDLE - 1);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 123));
    pass(&mut h, 1);
    assert!(at_start(&h));

    // 5. Nobody comes: the attract screen; a touch brings the start back.
    pass(&mut h, ATTRACT);
    assert!(matches!(h.view.screen, Screen::Attract { .. }));
    h.send(Event::Select(0));
    assert!(at_start(&h));

    // No sale was left open, none started twice.
    assert!(h.t.active.is_none());
    assert!(h.starts.values().all(|n| *n == 1));
    assert_eq!(h.starts.len(), 3);
}

#[test]
fn touching_the_kiosk_moves_its_deadlines_on_but_not_the_codes() {
    let mut h = kiosk();
    h.digits("5");
    pass(&mut h, IDLE - 1_000);
    h.key(Key::Digit(0));
    pass(&mut h, IDLE - 1_000);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 50));
    pass(&mut h, 1_000);
    assert!(at_start(&h));

    // On the code screen the time counts from Pay, touched or not; the countdown says when.
    let (_, _poll) = to_code(&mut h, "700");
    let until = frame(&h).until.expect("the code screen shows its time");
    h.key(Key::Digit(4));
    h.key(Key::Enter);
    assert_eq!(frame(&h).until, Some(until));
    let left = until.saturating_sub(h.now);
    pass(&mut h, left);
    assert!(h.has("cancel"));
}

#[test]
fn the_countdown_is_the_earlier_of_the_kiosks_limit_and_the_providers_expiry() {
    let mut s = kiosk_settings();
    s.kiosk.code_ms = 300_000;
    let mut h = H::new(s, vec![mcash_like()]);
    let start = h.now;
    h.sale_to_qr("100");
    // sale_to_qr's QR expires 120 s after the answer.
    assert_eq!(frame(&h).until, Some(start + 120_000));
}

/// A sale whose start got no answer, and whose recovery never gets one either: in doubt.
fn to_in_doubt(h: &mut H, amount: &str) -> SaleKey {
    h.digits(amount);
    h.pay();
    let (call, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    h.answer(call, Err(Failure::new(FailureKind::InDoubt, "no answer")));
    for _ in 0..50 {
        if matches!(h.view.screen, Screen::CallStaff { .. }) {
            break;
        }
        if h.has("recover") {
            let (call, _) = h.take("recover");
            h.answer(
                call,
                Err(Failure::new(FailureKind::InDoubt, "still no answer")),
            );
        } else {
            pass(h, 60_000);
        }
    }
    req.key
}

#[test]
fn in_doubt_calls_staff_and_only_the_supervisor_pin_clears_it() {
    let mut h = kiosk();
    let key = to_in_doubt(&mut h, "1500");
    let shown = |h: &H| matches!(&h.view.screen, Screen::CallStaff { sale, .. } if sale == &key);
    assert!(shown(&h), "{:?}", h.view.screen);
    assert!(!h.view.shows_paid());
    // The sale stays with the outbox, which keeps asking the provider.
    assert!(h.deferred.iter().any(|(s, _)| s == &key));

    // No time, touch or key of a customer clears it.
    pass(&mut h, 3_600_000);
    for k in [Key::Cancel, Key::Clear, Key::Backspace, Key::SendToPhone] {
        h.key(k);
        assert!(shown(&h), "{k:?} cleared it");
    }
    h.send(Event::Select(0));
    assert!(shown(&h));

    // The PIN is asked from it; Cancel, a wrong PIN or walking away lead back to it.
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::SupervisorPin { .. }));
    h.key(Key::Cancel);
    assert!(shown(&h));
    h.key(Key::Menu);
    h.digits("1111");
    h.key(Key::Enter);
    assert!(
        matches!(
            &h.view.screen,
            Screen::SupervisorPin {
                error: Some(Message::WrongPin {
                    tries: 1,
                    allowed: 5
                }),
                ..
            }
        ),
        "{:?}",
        h.view.screen
    );
    pass(&mut h, IDLE);
    assert!(shown(&h), "a PIN left alone goes back to call staff");

    // The right PIN clears it: the supervisor's menu, saying where the sale went.
    h.digits("2468");
    h.key(Key::Enter);
    let Screen::Menu {
        message: Some(n), ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        matches!(
            n,
            Notice {
                tone: Tone::Problem,
                message: Message::StillInDoubt { sale, amount, provider },
            } if *sale == key && amount.minor() == 1500 && provider == "MCASH"
        ),
        "{n:?}"
    );
    // The outcome journaled is in doubt; nothing claims it paid.
    let outcomes: Vec<&Outcome> = h
        .journal
        .iter()
        .filter_map(|j| match &j.record {
            Record::Outcome { outcome, .. } if j.sale == key => Some(outcome),
            _ => None,
        })
        .collect();
    assert!(
        matches!(outcomes[..], [Outcome::InDoubt { .. }]),
        "{outcomes:?}"
    );
    // The menu left open goes back to the start by itself.
    pass(&mut h, STAFF);
    assert!(at_start(&h));
}

/// The records of `key` of these kinds, in order.
fn staff_records(h: &H, key: &SaleKey) -> Vec<Record> {
    h.journal
        .iter()
        .filter(|j| &j.sale == key)
        .filter(|j| matches!(j.record, Record::StaffCalled | Record::StaffCleared { .. }))
        .map(|j| j.record.clone())
        .collect()
}

#[test]
fn call_staff_is_journaled_and_comes_back_after_a_restart_until_the_pin_clears_it() {
    let mut h = kiosk();
    let key = to_in_doubt(&mut h, "1500");
    assert!(matches!(h.view.screen, Screen::CallStaff { .. }));
    // Journaled once, however long it stays and whatever is touched.
    pass(&mut h, 600_000);
    h.key(Key::Cancel);
    assert_eq!(staff_records(&h, &key), vec![Record::StaffCalled]);

    // The power goes; the journal gives the rows back (the row says staff was called).
    let rows: Vec<_> = h.t.history.iter().cloned().collect();
    assert!(rows.iter().any(|r| r.key == key && r.staff_called));
    let restart = |rows: Vec<crate::core::view::SaleRow>| {
        let mut t = Terminal::new(kiosk_settings(), vec![mcash_like()], 9, rows);
        let now = Millis(1_800_000_000_000);
        t.handle(now, Event::Ready);
        H {
            view: t.view(),
            t,
            now,
            ..kiosk()
        }
    };
    let mut h = restart(rows.clone());
    let shown = |h: &H| matches!(&h.view.screen, Screen::CallStaff { sale, .. } if sale == &key);
    assert!(shown(&h), "after the restart: {:?}", h.view.screen);
    // Still only staff can clear it: time, keys, a wrong PIN.
    pass(&mut h, 3_600_000);
    for k in [Key::Cancel, Key::Clear, Key::SendToPhone] {
        h.key(k);
        assert!(shown(&h), "{k:?} cleared it");
    }
    h.key(Key::Enter);
    h.digits("1111");
    h.key(Key::Enter);
    h.key(Key::Cancel);
    h.key(Key::Cancel);
    assert!(shown(&h), "{:?}", h.view.screen);
    assert!(staff_records(&h, &key).is_empty());

    // The right PIN: cleared, and the journal says by what and for which sale (the entry has
    // the time).
    h.key(Key::Enter);
    h.digits("2468");
    h.key(Key::Enter);
    assert!(matches!(h.view.screen, Screen::Menu { .. }));
    let cleared: Vec<&JournalEntry> = h
        .journal
        .iter()
        .filter(|j| matches!(j.record, Record::StaffCleared { .. }))
        .collect();
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].sale, key);
    assert_eq!(cleared[0].at, h.now);
    assert_eq!(
        cleared[0].record,
        Record::StaffCleared {
            by: "supervisor PIN".into()
        }
    );
    pass(&mut h, STAFF);
    assert!(at_start(&h), "{:?}", h.view.screen);

    // Another restart after the clearing: the start screen.
    let rows: Vec<_> = h.t.history.iter().cloned().collect();
    assert!(rows.iter().all(|r| !r.staff_called));
    assert!(at_start(&restart(rows)));
}

#[test]
fn call_staff_shows_what_the_outbox_learnt_but_stays_until_the_pin() {
    let mut h = kiosk();
    let key = to_in_doubt(&mut h, "1500");
    assert!(
        matches!(h.view.screen, Screen::CallStaff { .. }),
        "{:?}",
        h.view.screen
    );
    h.send(Event::OutboxDone {
        sale: key.clone(),
        record: Record::Outcome {
            outcome: Outcome::Approved {
                reference: "late".into(),
            },
            late: true,
        },
    });
    match &h.view.screen {
        Screen::CallStaff { outcome, .. } => assert!(outcome.is_approved(), "{outcome:?}"),
        other => panic!("{other:?}"),
    }
    // Still amber for the customer, still waiting for staff.
    assert!(!h.view.shows_paid());
    h.key(Key::Enter);
    h.digits("2468");
    h.key(Key::Enter);
    let Screen::Menu {
        message: Some(n), ..
    } = &h.view.screen
    else {
        panic!("{:?}", h.view.screen)
    };
    assert!(
        matches!(
            n,
            Notice {
                tone: Tone::Info,
                message: Message::PaidAfterAll { sale, .. },
            } if *sale == key
        ),
        "{n:?}"
    );
}

#[test]
fn a_fixed_price_kiosk_only_takes_pay() {
    let mut s = kiosk_settings();
    s.kiosk.fixed_amount = Some(Money::from_minor(2_000, Currency::NOK));
    let mut h = H::new(s, vec![mcash_like()]);
    let fixed =
        |h: &H| matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 2_000);
    assert!(fixed(&h));
    assert!(frame(&h).fixed_amount);
    h.digits("99");
    h.key(Key::Backspace);
    h.key(Key::Clear);
    assert!(fixed(&h));
    h.key(Key::Enter);
    let (_, op) = h.take("start");
    let Operation::Start(req) = op else {
        unreachable!()
    };
    assert_eq!(req.amount, Money::from_minor(2_000, Currency::NOK));
    // Its untouched start gives way to the attract screen, which shows the price.
    let mut s = kiosk_settings();
    s.kiosk.fixed_amount = Some(Money::from_minor(2_000, Currency::NOK));
    let mut h = H::new(s, vec![mcash_like()]);
    pass(&mut h, ATTRACT);
    assert!(matches!(
        &h.view.screen,
        Screen::Attract { fixed_amount: Some(m), .. } if m.minor() == 2_000
    ));
    h.key(Key::Digit(7));
    assert!(
        fixed(&h),
        "a digit on the attract screen is not an amount here"
    );
}

#[test]
fn a_digit_on_the_attract_screen_starts_the_amount() {
    let mut h = kiosk();
    pass(&mut h, ATTRACT);
    let Screen::Attract { providers, .. } = &h.view.screen else {
        panic!("{:?}", h.view.screen)
    };
    assert_eq!(providers, &["MCASH".to_string()]);
    h.key(Key::Digit(3));
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 3));
}

#[test]
fn a_supervisor_page_left_open_goes_back_to_the_start() {
    let mut h = kiosk();
    h.key(Key::Menu);
    h.digits("2468");
    h.key(Key::Enter);
    h.send(Event::Select(1));
    assert!(matches!(h.view.screen, Screen::History { .. }));
    pass(&mut h, STAFF - 1);
    assert!(matches!(h.view.screen, Screen::History { .. }));
    pass(&mut h, 1);
    assert!(at_start(&h));
    // The PIN page too.
    h.key(Key::Menu);
    pass(&mut h, STAFF);
    assert!(at_start(&h));
}

#[test]
fn without_attract_the_start_screen_stays() {
    let mut s = kiosk_settings();
    s.kiosk.attract_ms = 0;
    let mut h = H::new(s, vec![mcash_like()]);
    pass(&mut h, 10 * ATTRACT);
    assert!(at_start(&h));
    assert!(!h.timers.iter().any(|(t, _)| t.kind == TimerKind::Kiosk));
}

#[test]
fn the_sticker_is_said_in_the_view_and_a_cashier_has_no_kiosk_at_all() {
    let mut s = kiosk_settings();
    s.kiosk.code = KioskCode::Sticker;
    let mut h = H::new(s, vec![mcash_like()]);
    h.sale_to_qr("100");
    assert!(frame(&h).sticker);

    let mut h = H::cashier(vec![mcash_like()]);
    assert!(h.view.status.kiosk.is_none());
    h.digits("12");
    pass(&mut h, 10 * STAFF);
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 12));
    assert!(!h.timers.iter().any(|(t, _)| t.kind == TimerKind::Kiosk));
}

#[test]
fn a_kiosk_timer_that_is_not_due_yet_does_nothing() {
    let mut h = kiosk();
    h.digits("5");
    // A timer from an earlier deadline, fired early: the amount stays.
    h.send(Event::Timer(Timer {
        kind: TimerKind::Kiosk,
        sale: None,
    }));
    assert!(matches!(&h.view.screen, Screen::Amount { amount, .. } if amount.minor() == 5));
    // One kiosk timer is out at a time, not one per key.
    let before = h
        .timers
        .iter()
        .filter(|(t, _)| t.kind == TimerKind::Kiosk)
        .count();
    h.digits("1234");
    let after = h
        .timers
        .iter()
        .filter(|(t, _)| t.kind == TimerKind::Kiosk)
        .count();
    assert_eq!(before, after);
}
