//! The GPIO controller: a simple machine wired to the Pi. Each product line has a request input
//! (the machine closes it when a customer chooses that line) with a fixed price from the config;
//! an approval closes the vend relay for the pulse time; an optional drop sensor decides whether
//! the product came out. Through the `hw` pin traits, so tests use fakes.
//!
//! Decisions: a request is a debounced edge (inactive to active, stable for [`DEBOUNCE_MS`]);
//! holding the line is one request. Without a drop sensor, a relay that switched counts as
//! delivered (the machine gives no other word). With one, only a drop seen within the drop
//! window after the pulse is delivered: a light item the sensor misses is released, not
//! charged (MDB.md's warning cuts the merchant's way; never the customer's).

use std::time::{Duration, Instant};

use super::bridge::MachineLink;
use super::{MachineCommand, MachineEvent, VendError};
use crate::hw::pins::{InputPin, OutputPin};
use crate::money::Money;

/// How long a request input must stay active to count.
pub const DEBOUNCE_MS: u64 = 30;
/// How often the inputs are read.
const PERIOD: Duration = Duration::from_millis(5);

pub struct GpioLine {
    pub input: Box<dyn InputPin>,
    pub price: Money,
}

pub struct GpioMachine {
    pub lines: Vec<GpioLine>,
    pub relay: Box<dyn OutputPin>,
    pub drop_sensor: Option<Box<dyn InputPin>>,
    pub pulse_ms: u64,
    pub drop_window_ms: u64,
}

/// The pure part: debouncing, the relay pulse and the drop window, on a clock in ms.
#[derive(Debug, Default)]
pub struct Logic {
    /// Per line: active since (ms), and whether that activation was reported.
    since: Vec<Option<(u64, bool)>>,
    /// The vend under way: relay closed until, then drop window until.
    vend: Option<Vend>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vend {
    Pulsing { until: u64 },
    Watching { until: u64 },
}

/// What the pure part asks of its shell.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub events: Vec<MachineEvent>,
    /// `Some(on)`: switch the relay.
    pub relay: Option<bool>,
}

impl Logic {
    /// Inputs read at `now`: the lines' request inputs and the drop sensor.
    pub fn tick(
        &mut self,
        now: u64,
        inputs: &[bool],
        dropped: Option<bool>,
        prices: &[Money],
        window_ms: u64,
    ) -> Step {
        let mut step = Step::default();
        self.since.resize(inputs.len(), None);
        for (i, active) in inputs.iter().enumerate() {
            let slot = &mut self.since[i];
            match (*active, *slot) {
                (false, _) => *slot = None,
                (true, None) => *slot = Some((now, false)),
                (true, Some((t, false))) if now.saturating_sub(t) >= DEBOUNCE_MS => {
                    *slot = Some((t, true));
                    if let Some(price) = prices.get(i) {
                        step.events.push(MachineEvent::Request {
                            price: *price,
                            item: u32::try_from(i + 1).ok(),
                        });
                    }
                }
                _ => {}
            }
        }
        match self.vend {
            Some(Vend::Pulsing { until }) if now >= until => {
                step.relay = Some(false);
                self.vend = match dropped {
                    Some(_) => Some(Vend::Watching {
                        until: now + window_ms,
                    }),
                    None => {
                        step.events.push(MachineEvent::Result {
                            delivered: true,
                            why: "the vend relay was pulsed".into(),
                        });
                        None
                    }
                };
            }
            Some(Vend::Pulsing { .. }) | Some(Vend::Watching { .. }) | None => {}
        }
        if let Some(Vend::Watching { until }) = self.vend {
            if dropped == Some(true) {
                step.events.push(MachineEvent::Result {
                    delivered: true,
                    why: "the drop sensor saw the product".into(),
                });
                self.vend = None;
            } else if now >= until {
                step.events.push(MachineEvent::Result {
                    delivered: false,
                    why: "the drop sensor saw nothing".into(),
                });
                self.vend = None;
            }
        }
        step
    }

    /// Approve: close the relay for `pulse_ms`.
    pub fn approve(&mut self, now: u64, pulse_ms: u64) -> Step {
        if self.vend.is_some() {
            return Step::default();
        }
        self.vend = Some(Vend::Pulsing {
            until: now + pulse_ms,
        });
        Step {
            events: Vec::new(),
            relay: Some(true),
        }
    }
}

/// Starts the polling thread. It stops when the bridge's side closes.
pub fn spawn(mut machine: GpioMachine, link: MachineLink) -> Result<(), VendError> {
    let MachineLink {
        events,
        mut commands,
    } = link;
    machine
        .relay
        .set(false)
        .map_err(|e| VendError::Gpio(e.to_string()))?;
    std::thread::Builder::new()
        .name("vend-gpio".into())
        .spawn(move || {
            let start = Instant::now();
            let now = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            let prices: Vec<Money> = machine.lines.iter().map(|l| l.price).collect();
            let mut logic = Logic::default();
            loop {
                let mut steps = Vec::new();
                loop {
                    match commands.try_recv() {
                        Ok(MachineCommand::Approve { .. }) => {
                            steps.push(logic.approve(now(), machine.pulse_ms))
                        }
                        Ok(_) => {}
                        Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                        Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                            let _ = machine.relay.set(false);
                            return;
                        }
                    }
                }
                let inputs: Vec<bool> = machine
                    .lines
                    .iter_mut()
                    .map(|l| l.input.is_active().unwrap_or(false))
                    .collect();
                let dropped = machine
                    .drop_sensor
                    .as_mut()
                    .map(|s| s.is_active().unwrap_or(false));
                steps.push(logic.tick(now(), &inputs, dropped, &prices, machine.drop_window_ms));
                for step in steps {
                    if let Some(on) = step.relay
                        && let Err(e) = machine.relay.set(on)
                    {
                        tracing::error!(error = %e, "the vend relay did not switch");
                        if on {
                            let _ = events.send(MachineEvent::Result {
                                delivered: false,
                                why: format!("the vend relay did not switch: {e}"),
                            });
                        }
                    }
                    for e in step.events {
                        let _ = events.send(e);
                    }
                }
                std::thread::sleep(PERIOD);
            }
        })
        .map_err(|e| VendError::Gpio(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::hw::HwError;
    use crate::hw::pins::{SimClock, SimOutput};
    use crate::money::Currency;

    fn nok(m: i64) -> Money {
        Money::from_minor(m, Currency::NOK)
    }

    #[test]
    fn a_request_is_a_debounced_edge_and_holding_is_one_request() {
        let mut l = Logic::default();
        let prices = [nok(250), nok(300)];
        let t =
            |l: &mut Logic, now, a: bool, b: bool| l.tick(now, &[a, b], None, &prices, 0).events;
        assert!(t(&mut l, 0, false, true).is_empty());
        assert!(t(&mut l, 10, false, false).is_empty(), "a bounce");
        assert!(t(&mut l, 20, false, true).is_empty());
        let e = t(&mut l, 55, false, true);
        assert_eq!(
            e,
            vec![MachineEvent::Request {
                price: nok(300),
                item: Some(2)
            }]
        );
        assert!(t(&mut l, 500, false, true).is_empty(), "held: one request");
    }

    #[test]
    fn without_a_sensor_the_pulse_delivers_with_one_a_drop_must_be_seen() {
        let prices = [nok(250)];
        let mut l = Logic::default();
        assert_eq!(l.approve(0, 200).relay, Some(true));
        assert_eq!(l.tick(100, &[false], None, &prices, 0), Step::default());
        let s = l.tick(200, &[false], None, &prices, 0);
        assert_eq!(s.relay, Some(false));
        assert!(matches!(
            &s.events[..],
            [MachineEvent::Result {
                delivered: true,
                ..
            }]
        ));

        let mut l = Logic::default();
        l.approve(0, 200);
        let s = l.tick(200, &[false], Some(false), &prices, 1000);
        assert_eq!((s.relay, s.events.len()), (Some(false), 0));
        let s = l.tick(700, &[false], Some(true), &prices, 1000);
        assert!(matches!(
            &s.events[..],
            [MachineEvent::Result {
                delivered: true,
                ..
            }]
        ));

        let mut l = Logic::default();
        l.approve(0, 200);
        l.tick(200, &[false], Some(false), &prices, 1000);
        let s = l.tick(1200, &[false], Some(false), &prices, 1000);
        assert!(matches!(
            &s.events[..],
            [MachineEvent::Result {
                delivered: false,
                ..
            }]
        ));
    }

    struct FakeInput(Arc<AtomicBool>);

    impl InputPin for FakeInput {
        fn is_active(&mut self) -> Result<bool, HwError> {
            Ok(self.0.load(Ordering::SeqCst))
        }
    }

    #[tokio::test]
    async fn the_thread_reads_fake_pins_and_pulses_the_relay() {
        let request = Arc::new(AtomicBool::new(false));
        let drop = Arc::new(AtomicBool::new(false));
        let relay = SimOutput::new("relay", SimClock::real());
        let machine = GpioMachine {
            lines: vec![GpioLine {
                input: Box::new(FakeInput(request.clone())),
                price: nok(1519),
            }],
            relay: Box::new(relay.clone()),
            drop_sensor: Some(Box::new(FakeInput(drop.clone()))),
            pulse_ms: 50,
            drop_window_ms: 2_000,
        };
        let (machine_link, mut bridge) = super::super::bridge::link();
        spawn(machine, machine_link).unwrap();
        request.store(true, Ordering::SeqCst);
        let e = tokio::time::timeout(Duration::from_secs(2), bridge.events.recv())
            .await
            .unwrap();
        assert_eq!(
            e,
            Some(MachineEvent::Request {
                price: nok(1519),
                item: Some(1)
            })
        );
        bridge
            .commands
            .send(MachineCommand::Approve {
                price: nok(1519),
                sale: crate::core::sale::SaleKey::parse("V1-000001").unwrap(),
            })
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        drop.store(true, Ordering::SeqCst);
        let e = tokio::time::timeout(Duration::from_secs(2), bridge.events.recv())
            .await
            .unwrap();
        assert!(
            matches!(
                e,
                Some(MachineEvent::Result {
                    delivered: true,
                    ..
                })
            ),
            "{e:?}"
        );
        let ons: Vec<bool> = relay.changes().iter().map(|c| c.on).collect();
        assert_eq!(ons, vec![false, true, false], "off at start, one pulse");
    }
}
