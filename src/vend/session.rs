//! The vend session between a machine and the core, as a pure state machine (no I/O, no clock:
//! the caller passes `now` in milliseconds and arms the deadlines it is asked to).
//!
//! One vend at a time. The core answers each `VendRequest` exactly once (approve or deny), so
//! the session waits for that answer before it asks again, even after it gave up (then an
//! approval that arrives is answered "not delivered" at once: the authorization is released,
//! never approved late). Decisions:
//! - The same request repeated while its payment runs (a VMC re-sending its vend request) is the
//!   same vend: no second payment. Repeated after the approval, the approval is sent again.
//! - A different request while one is being paid: the machine changed its mind; the payment is
//!   aborted and the new request denied (the customer chooses again once the machine is idle).
//! - The terminal's payment deadline (`payment_timeout_ms`, kept shorter than the VMC's own vend
//!   timeout) passing: the payment is aborted and the vend denied.
//! - No word from the machine within `result_timeout_ms` of the approval: not delivered (the
//!   authorization is released; the customer is never charged for a product nobody confirmed).
//!   The MDB controller applies the standard's "a reset after approval counts as success"
//!   itself, before this session sees anything.

use crate::core::Event;
use crate::core::sale::SaleKey;
use crate::money::Money;

use super::{MachineCommand, MachineEvent};

/// The terminal's deadlines for a vend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub payment_timeout_ms: u64,
    pub result_timeout_ms: u64,
}

/// What the core said about the request it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreAnswer {
    Vend(SaleKey),
    Denied {
        sale: Option<SaleKey>,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Machine(MachineEvent),
    Core(CoreAnswer),
    /// A deadline armed earlier, by its number.
    Deadline(u64),
}

#[derive(Clone, Debug)]
pub enum Action {
    ToCore(Event),
    ToMachine(MachineCommand),
    /// Deliver `Input::Deadline(id)` at `at_ms`.
    Arm {
        id: u64,
        at_ms: u64,
    },
    /// Tell the machine how `sale` was settled, once the core has settled it; `delivered` is
    /// what the terminal told the core.
    WatchSettlement {
        sale: SaleKey,
        delivered: bool,
    },
}

/// Where the session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Idle,
    /// The core was asked; its answer is awaited.
    Asking {
        price: Money,
        item: Option<u32>,
        deadline: u64,
    },
    /// The machine gave up (or the deadline passed); the core's answer is still awaited.
    GaveUp,
    /// Approved; the machine's result is awaited.
    Approved {
        sale: SaleKey,
        price: Money,
        item: Option<u32>,
        deadline: u64,
    },
}

pub struct Session {
    timing: Timing,
    phase: Phase,
    next_deadline: u64,
}

impl Session {
    pub fn new(timing: Timing) -> Session {
        Session {
            timing,
            phase: Phase::Idle,
            next_deadline: 1,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    fn arm(&mut self, now: u64, after: u64, out: &mut Vec<Action>) -> u64 {
        let id = self.next_deadline;
        self.next_deadline += 1;
        out.push(Action::Arm {
            id,
            at_ms: now.saturating_add(after),
        });
        id
    }

    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        let phase = std::mem::replace(&mut self.phase, Phase::Idle);
        self.phase = match (phase, input) {
            (Phase::Idle, Input::Machine(MachineEvent::Request { price, item })) => {
                out.push(Action::ToCore(Event::VendRequest { price }));
                let deadline = self.arm(now, self.timing.payment_timeout_ms, &mut out);
                Phase::Asking {
                    price,
                    item,
                    deadline,
                }
            }
            (Phase::Idle | Phase::GaveUp, Input::Core(CoreAnswer::Vend(sale))) => {
                // Nobody wants this vend (any more): give the authorization back.
                tracing::warn!(%sale, "approval after the machine gave up: not vending");
                out.push(Action::ToCore(Event::VendResult {
                    sale: sale.clone(),
                    delivered: false,
                }));
                out.push(Action::WatchSettlement {
                    sale,
                    delivered: false,
                });
                Phase::Idle
            }
            (Phase::GaveUp, Input::Core(CoreAnswer::Denied { .. })) => Phase::Idle,
            (Phase::GaveUp, Input::Machine(MachineEvent::Request { .. })) => {
                out.push(Action::ToMachine(MachineCommand::Deny {
                    reason: "The last payment is still being cancelled".into(),
                }));
                Phase::GaveUp
            }
            (
                Phase::Asking {
                    price,
                    item,
                    deadline,
                },
                input,
            ) => self.asking(now, price, item, deadline, input, &mut out),
            (
                Phase::Approved {
                    sale,
                    price,
                    item,
                    deadline,
                },
                input,
            ) => self.approved(sale, price, item, deadline, input, &mut out),
            (phase, input) => {
                tracing::debug!(?input, ?phase, "vend session: nothing to do");
                phase
            }
        };
        out
    }

    fn asking(
        &mut self,
        now: u64,
        price: Money,
        item: Option<u32>,
        deadline: u64,
        input: Input,
        out: &mut Vec<Action>,
    ) -> Phase {
        let same = Phase::Asking {
            price,
            item,
            deadline,
        };
        match input {
            Input::Machine(MachineEvent::Request { price: p, item: i })
                if p == price && i == item =>
            {
                tracing::info!(%price, "the machine repeated its vend request: same payment");
                same
            }
            Input::Machine(MachineEvent::Request { .. }) => {
                out.push(Action::ToCore(Event::VendCancel));
                out.push(Action::ToMachine(MachineCommand::Deny {
                    reason: "Another product was chosen while paying: choose again".into(),
                }));
                Phase::GaveUp
            }
            Input::Machine(MachineEvent::Withdrawn { why }) => {
                tracing::info!(%why, "the machine withdrew its vend request");
                out.push(Action::ToCore(Event::VendCancel));
                Phase::GaveUp
            }
            Input::Machine(MachineEvent::Result { .. }) => same,
            Input::Deadline(id) if id == deadline => {
                tracing::info!("no payment before the vend deadline: denied");
                out.push(Action::ToCore(Event::VendCancel));
                out.push(Action::ToMachine(MachineCommand::Deny {
                    reason: "The payment took too long".into(),
                }));
                Phase::GaveUp
            }
            Input::Deadline(_) => same,
            Input::Core(CoreAnswer::Vend(sale)) => {
                out.push(Action::ToMachine(MachineCommand::Approve {
                    price,
                    sale: sale.clone(),
                }));
                let deadline = self.arm(now, self.timing.result_timeout_ms, out);
                Phase::Approved {
                    sale,
                    price,
                    item,
                    deadline,
                }
            }
            Input::Core(CoreAnswer::Denied { reason, .. }) => {
                out.push(Action::ToMachine(MachineCommand::Deny { reason }));
                Phase::Idle
            }
        }
    }

    fn approved(
        &mut self,
        sale: SaleKey,
        price: Money,
        item: Option<u32>,
        deadline: u64,
        input: Input,
        out: &mut Vec<Action>,
    ) -> Phase {
        let result = |delivered: bool, out: &mut Vec<Action>| {
            out.push(Action::ToCore(Event::VendResult {
                sale: sale.clone(),
                delivered,
            }));
            out.push(Action::WatchSettlement {
                sale: sale.clone(),
                delivered,
            });
            Phase::Idle
        };
        match input {
            Input::Machine(MachineEvent::Result { delivered, why }) => {
                tracing::info!(%sale, delivered, %why, "the machine reported the vend");
                result(delivered, out)
            }
            Input::Machine(MachineEvent::Withdrawn { why }) => {
                tracing::info!(%sale, %why, "the machine left the vend after approval");
                result(false, out)
            }
            Input::Deadline(id) if id == deadline => {
                tracing::warn!(%sale, "no vend result from the machine: not delivered");
                result(false, out)
            }
            Input::Machine(MachineEvent::Request { price: p, item: i })
                if p == price && i == item =>
            {
                out.push(Action::ToMachine(MachineCommand::Approve {
                    price,
                    sale: sale.clone(),
                }));
                Phase::Approved {
                    sale,
                    price,
                    item,
                    deadline,
                }
            }
            Input::Machine(MachineEvent::Request { .. }) => {
                out.push(Action::ToMachine(MachineCommand::Deny {
                    reason: "A vend is in progress".into(),
                }));
                Phase::Approved {
                    sale,
                    price,
                    item,
                    deadline,
                }
            }
            Input::Core(CoreAnswer::Vend(other)) if other != sale => {
                out.push(Action::ToCore(Event::VendResult {
                    sale: other,
                    delivered: false,
                }));
                Phase::Approved {
                    sale,
                    price,
                    item,
                    deadline,
                }
            }
            _ => Phase::Approved {
                sale,
                price,
                item,
                deadline,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    const TIMING: Timing = Timing {
        payment_timeout_ms: 90_000,
        result_timeout_ms: 150_000,
    };

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK)
    }

    fn key() -> SaleKey {
        SaleKey::parse("V1-000001").unwrap()
    }

    fn request(minor: i64, item: u32) -> Input {
        Input::Machine(MachineEvent::Request {
            price: nok(minor),
            item: Some(item),
        })
    }

    fn to_core(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::ToCore(e) => Some(format!("{e:?}")),
                _ => None,
            })
            .collect()
    }

    fn to_machine(actions: &[Action]) -> Vec<MachineCommand> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::ToMachine(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    fn deadline(actions: &[Action]) -> u64 {
        actions
            .iter()
            .find_map(|a| match a {
                Action::Arm { id, .. } => Some(*id),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn a_request_is_asked_once_approved_and_its_result_reported() {
        let mut s = Session::new(TIMING);
        let a = s.handle(0, request(1519, 2));
        assert!(
            matches!(&a[..], [Action::ToCore(Event::VendRequest { price }), Action::Arm { at_ms: 90_000, .. }] if *price == nok(1519)),
            "{a:?}"
        );
        assert!(
            s.handle(10, request(1519, 2)).is_empty(),
            "a repeat is the same vend"
        );
        let a = s.handle(20, Input::Core(CoreAnswer::Vend(key())));
        assert_eq!(
            to_machine(&a),
            vec![MachineCommand::Approve {
                price: nok(1519),
                sale: key()
            }]
        );
        // The machine missed the approval and asks again: approved again, nothing asked.
        let a = s.handle(30, request(1519, 2));
        assert!(to_core(&a).is_empty());
        assert_eq!(to_machine(&a).len(), 1);
        let a = s.handle(
            40,
            Input::Machine(MachineEvent::Result {
                delivered: true,
                why: "VEND SUCCESS".into(),
            }),
        );
        assert_eq!(to_core(&a).len(), 1);
        assert!(to_core(&a)[0].contains("delivered: true"));
        assert_eq!(s.phase(), &Phase::Idle);
    }

    #[test]
    fn the_payment_deadline_aborts_and_denies_and_a_late_approval_is_not_vended() {
        let mut s = Session::new(TIMING);
        let a = s.handle(0, request(500, 1));
        let id = deadline(&a);
        let a = s.handle(90_000, Input::Deadline(id));
        assert_eq!(to_core(&a), vec!["VendCancel"]);
        assert!(matches!(&to_machine(&a)[..], [MachineCommand::Deny { .. }]));
        // The authorization raced the cancel: released, the machine hears nothing more.
        let a = s.handle(90_010, Input::Core(CoreAnswer::Vend(key())));
        assert!(to_core(&a)[0].contains("delivered: false"), "{a:?}");
        assert!(to_machine(&a).is_empty());
        assert_eq!(s.phase(), &Phase::Idle);
    }

    #[test]
    fn a_stale_deadline_does_nothing_and_silence_after_approval_is_not_delivered() {
        let mut s = Session::new(TIMING);
        let first = deadline(&s.handle(0, request(500, 1)));
        let a = s.handle(5, Input::Core(CoreAnswer::Vend(key())));
        let second = deadline(&a);
        assert!(s.handle(90_000, Input::Deadline(first)).is_empty());
        let a = s.handle(150_005, Input::Deadline(second));
        assert!(to_core(&a)[0].contains("delivered: false"));
    }

    #[test]
    fn another_choice_while_paying_aborts_and_denies_and_the_core_answer_ends_it() {
        let mut s = Session::new(TIMING);
        s.handle(0, request(500, 1));
        let a = s.handle(10, request(700, 3));
        assert_eq!(to_core(&a), vec!["VendCancel"]);
        assert_eq!(to_machine(&a).len(), 1);
        // Still winding down: a third request is denied without asking the core.
        let a = s.handle(20, request(700, 3));
        assert!(to_core(&a).is_empty());
        assert_eq!(to_machine(&a).len(), 1);
        s.handle(
            30,
            Input::Core(CoreAnswer::Denied {
                sale: Some(key()),
                reason: "withdrawn".into(),
            }),
        );
        assert_eq!(s.phase(), &Phase::Idle);
    }

    #[test]
    fn a_denial_is_passed_to_the_machine() {
        let mut s = Session::new(TIMING);
        s.handle(0, request(500, 1));
        let a = s.handle(
            5,
            Input::Core(CoreAnswer::Denied {
                sale: Some(key()),
                reason: "Declined: rejected".into(),
            }),
        );
        assert_eq!(
            to_machine(&a),
            vec![MachineCommand::Deny {
                reason: "Declined: rejected".into()
            }]
        );
        assert_eq!(s.phase(), &Phase::Idle);
    }
}
