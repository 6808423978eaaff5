//! Vending: authorize, vend, then capture or release.

use super::*;

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
