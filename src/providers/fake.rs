//! An in-memory provider for tests of the core and the runtime: it approves after a set number
//! of status polls, and records every call and whether its intent was journaled first. It can
//! offer any flows, services (queries answered with lines, money-moving ones started like
//! sales) and an agent PIN it must be unlocked with.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{BoxFuture, PaymentProvider};
use crate::core::provider::{
    Capabilities, Failure, FlowKind, InfoLine, Operation, PaymentHandle, PaymentStatus, Prompt,
    ProviderId, ProviderInfo, Reply,
};
use crate::core::record::Record;
use crate::core::sale::Flow;
use crate::runtime::{Clock, MemoryJournal};

#[derive(Default)]
pub struct FakeState {
    pub payments: HashMap<String, (PaymentStatus, u32)>,
    /// Operation names in call order.
    pub calls: Vec<&'static str>,
    /// Starts that arrived without their intent in the journal.
    pub unjournaled_starts: u32,
    pub fail_start: Option<Failure>,
    /// The next calls (of any kind, report closes too) fail with these, in order.
    pub fail_next: VecDeque<Failure>,
    /// The next N calls are carried out, then their answer is lost (`InDoubt`).
    pub lose_next: u32,
    pub reports_closed: u32,
    /// The day each report close was for, in order.
    pub report_days: Vec<time::Date>,
    /// Recovery re-sends the create like mCASH (a sale never seen is created now, answered
    /// `Created`) instead of looking it up (`NotFound`, the default).
    pub recover_creates: bool,
    /// Payment requests made by a recovery, by sale key.
    pub created_by_recovery: Vec<String>,
    /// Each start as it arrived (a payment code is in it: tests only).
    pub started: Vec<crate::core::sale::SaleRequest>,
    /// Agent-PIN mode: whether the PIN was given (and not locked since).
    pub unlocked: bool,
    /// How often `lock` was called.
    pub locks: u32,
}

pub struct FakeProvider {
    pub state: Mutex<FakeState>,
    approve_after: u32,
    clock: Clock,
    journal: MemoryJournal,
    /// What `info()` says; `lookup` follows `recover_creates`.
    capabilities: Capabilities,
    /// Agent-PIN mode: the PIN `unlock` accepts; until then starts and queries are refused.
    agent_pin: Option<secrecy::SecretString>,
}

impl FakeProvider {
    pub fn new(approve_after: u32, clock: Clock, journal: MemoryJournal) -> FakeProvider {
        FakeProvider {
            state: Mutex::new(FakeState::default()),
            approve_after,
            clock,
            journal,
            capabilities: Capabilities {
                flows: vec![FlowKind::Qr],
                cancel: true,
                refund: true,
                auth_capture: true,
                lookup: true,
                services: Vec::new(),
                agent_pin: false,
                amount_due: None,
            },
            agent_pin: None,
        }
    }

    /// The same fake offering these services in the supervisor menu. A query answers with a
    /// "Balance" line and one line per input; a money-moving one is a start like a sale.
    pub fn with_services(mut self, services: Vec<crate::core::provider::ServiceSpec>) -> Self {
        self.capabilities.services = services;
        self
    }

    /// Agent-PIN mode: `unlock` takes only `pin`; starts and queries are refused until then.
    pub fn with_agent_pin(mut self, pin: &str) -> FakeProvider {
        self.capabilities.agent_pin = true;
        self.agent_pin = Some(secrecy::SecretString::from(pin));
        self
    }

    /// The same fake, unable to authorize and capture: a pay-first provider (vending pays
    /// outright, then refunds a failed vend).
    pub fn without_auth_capture(mut self) -> FakeProvider {
        self.capabilities.auth_capture = false;
        self
    }

    /// The same fake offering these flows, in this order (the first is its default).
    pub fn with_flows(mut self, flows: Vec<FlowKind>) -> FakeProvider {
        self.capabilities.flows = flows;
        self
    }

    fn answer(&self, op: Operation) -> Result<Reply, Failure> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| Failure::new(crate::core::provider::FailureKind::Transient, "poisoned"))?;
        s.calls.push(op.name());
        if let Some(f) = s.fail_next.pop_front() {
            return Err(f);
        }
        let refused_locked = self.agent_pin.is_some()
            && !s.unlocked
            && matches!(op, Operation::Start(_) | Operation::Query { .. });
        if refused_locked {
            return Err(Failure::new(
                crate::core::provider::FailureKind::Auth,
                "the agent PIN was not given",
            ));
        }
        let lose = s.lose_next > 0;
        s.lose_next = s.lose_next.saturating_sub(1);
        let reply = self.carry_out(&mut s, op);
        if lose {
            return Err(Failure::new(
                crate::core::provider::FailureKind::InDoubt,
                "answer lost after the call was carried out",
            ));
        }
        reply
    }

    fn carry_out(&self, s: &mut FakeState, op: Operation) -> Result<Reply, Failure> {
        match op {
            Operation::Start(req) => {
                let journaled = self
                    .journal
                    .entries()
                    .iter()
                    .any(|e| e.sale == req.key && matches!(e.record, Record::StartIntent(_)));
                if !journaled {
                    s.unjournaled_starts += 1;
                }
                if let Some(f) = s.fail_start.clone() {
                    return Err(f);
                }
                s.payments
                    .insert(req.key.to_string(), (PaymentStatus::Pending, 0));
                let expires_at = self.clock.now() + 120_000;
                let prompt = match &req.flow {
                    Flow::Qr => Prompt::Qr {
                        payload: format!("fake://pay/{}", req.key),
                        expires_at,
                    },
                    Flow::Push { phone } => Prompt::PushSent {
                        phone: phone.clone(),
                        expires_at,
                    },
                    // Decided at the provider without the customer doing more.
                    _ => Prompt::Immediate,
                };
                s.started.push(req.clone());
                Ok(Reply::Started {
                    handle: PaymentHandle(req.key.to_string()),
                    prompt,
                })
            }
            Operation::Status(h) => {
                let approve_after = self.approve_after;
                let (status, polls) = s.payments.get_mut(&h.0).ok_or_else(|| {
                    Failure::new(
                        crate::core::provider::FailureKind::Rejected,
                        "no such payment",
                    )
                })?;
                *polls += 1;
                if *status == PaymentStatus::Pending && *polls >= approve_after {
                    *status = PaymentStatus::Approved {
                        reference: format!("fake-{}", h.0),
                    };
                }
                Ok(Reply::Status(status.clone()))
            }
            Operation::Cancel(h) => {
                let entry = s.payments.entry(h.0).or_insert((PaymentStatus::Pending, 0));
                if entry.0 == PaymentStatus::Pending {
                    entry.0 = PaymentStatus::Cancelled;
                }
                Ok(Reply::Cancelled(entry.0.clone()))
            }
            Operation::Capture(h, _) => Ok(Reply::Captured { reference: h.0 }),
            Operation::Query { service, inputs } => {
                let mut lines = vec![
                    InfoLine {
                        label: "service".into(),
                        value: service.0,
                    },
                    InfoLine {
                        label: "Balance".into(),
                        value: "1,250.00".into(),
                    },
                ];
                lines.extend(inputs.iter().enumerate().map(|(i, v)| InfoLine {
                    label: format!("input {}", i + 1),
                    value: match v {
                        crate::core::provider::FieldValue::Digits(d) => d.clone(),
                        crate::core::provider::FieldValue::Amount(m) => m.to_string(),
                        crate::core::provider::FieldValue::Choice(c) => c.to_string(),
                    },
                }));
                Ok(Reply::Info(lines))
            }
            Operation::Release(_) => Ok(Reply::Released),
            Operation::Refund { key, .. } => Ok(Reply::Refunded {
                reference: key.to_string(),
            }),
            Operation::Recover(req) => Ok(match s.payments.get(req.key.as_str()) {
                Some((status, _)) => Reply::Found {
                    handle: PaymentHandle(req.key.to_string()),
                    status: status.clone(),
                    prompt: None,
                },
                None if s.recover_creates => {
                    s.payments
                        .insert(req.key.to_string(), (PaymentStatus::Pending, 0));
                    s.created_by_recovery.push(req.key.to_string());
                    Reply::Created {
                        handle: PaymentHandle(req.key.to_string()),
                        prompt: Some(Prompt::Qr {
                            payload: format!("fake://pay/{}", req.key),
                            expires_at: self.clock.now() + 120_000,
                        }),
                    }
                }
                None => Reply::NotFound,
            }),
        }
    }
}

impl PaymentProvider for FakeProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            id: ProviderId::new("fake"),
            name: "Fake".into(),
            capabilities: Capabilities {
                lookup: self.looks_up_without_creating(),
                ..self.capabilities.clone()
            },
        }
    }

    fn looks_up_without_creating(&self) -> bool {
        self.state
            .lock()
            .map(|s| !s.recover_creates)
            .unwrap_or(false)
    }

    fn call(&self, op: Operation) -> BoxFuture<'_, Result<Reply, Failure>> {
        Box::pin(async move {
            // Answer on a later turn of the scheduler, as a network call would.
            tokio::task::yield_now().await;
            self.answer(op)
        })
    }

    fn closes_reports(&self) -> bool {
        true
    }

    fn unlock(&self, pin: secrecy::SecretString) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            use secrecy::ExposeSecret;
            tokio::task::yield_now().await;
            let Some(expected) = &self.agent_pin else {
                return Ok(());
            };
            let mut s = self.state.lock().map_err(|_| {
                Failure::new(crate::core::provider::FailureKind::Transient, "poisoned")
            })?;
            s.calls.push("unlock");
            if pin.expose_secret() == expected.expose_secret() {
                s.unlocked = true;
                Ok(())
            } else {
                Err(Failure::new(
                    crate::core::provider::FailureKind::Rejected,
                    "wrong agent PIN",
                ))
            }
        })
    }

    fn lock(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.unlocked = false;
            s.locks += 1;
        }
    }

    fn close_report(&self, day: time::Date) -> BoxFuture<'_, Result<String, Failure>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            let mut s = self.state.lock().map_err(|_| {
                Failure::new(crate::core::provider::FailureKind::Transient, "poisoned")
            })?;
            s.calls.push("close_report");
            if let Some(f) = s.fail_next.pop_front() {
                return Err(f);
            }
            s.reports_closed += 1;
            s.report_days.push(day);
            Ok(format!("fake report {} of {day} closed", s.reports_closed))
        })
    }
}
