//! The amount due, asked before a sale at a provider whose amount comes from its own lookup
//! (`Capabilities::amount_due`, an invoice): the customer's details are typed, the provider is
//! asked what is due, the answer is shown, and the sale starts only on the cashier's Enter. An
//! unknown or paid invoice is refused here, before anything that moves money is sent. Nothing of
//! this is journaled: the question moves no money, and the sale that follows is journaled as any.

use super::Terminal;
use super::state::{Form, State};
use crate::core::event::{CallId, Effect, Key, Signal};
use crate::core::message::Message;
use crate::core::provider::{Failure, FailureKind, FieldValue, InfoLine, Operation, Reply};
use crate::core::sale::{Capture, Flow};
use crate::core::time::Millis;
use crate::money::Money;

/// A sale on its way to the amount-due question: what was typed, at which provider.
#[derive(Clone, Debug)]
pub(super) struct Asked {
    pub(super) amount: Money,
    pub(super) provider: usize,
    pub(super) form: Form,
    pub(super) flow: Flow,
}

/// What the customer gave, as the inputs of the provider's amount-due query. A payment code is
/// a secret and is never one of them.
fn inputs_of(flow: &Flow) -> Vec<FieldValue> {
    match flow {
        Flow::Invoice { number } => vec![FieldValue::Digits(number.as_str().to_string())],
        Flow::Push { phone } => vec![FieldValue::Digits(phone.as_str().to_string())],
        Flow::CardAndCode { card, .. } => vec![FieldValue::Digits(card.as_str().to_string())],
        Flow::Qr | Flow::Service { .. } => Vec::new(),
    }
}

impl Terminal {
    /// Whether a sale at this provider asks its amount due before it starts.
    pub(super) fn asks_amount_due(&self, provider: usize) -> bool {
        self.providers
            .get(provider)
            .is_some_and(|p| p.capabilities.amount_due.is_some())
    }

    /// The customer's details are typed: ask the provider what is due.
    pub(super) fn ask_amount_due(&mut self, asked: Asked, fx: &mut Vec<Effect>) -> State {
        let Some(info) = self.providers.get(asked.provider).cloned() else {
            return self.home();
        };
        let (Some(service), Some(key)) = (info.capabilities.amount_due.clone(), self.query_key())
        else {
            return self.home();
        };
        let op = Operation::Query {
            service,
            inputs: inputs_of(&asked.flow),
        };
        let call = self.call(&key, &info.id, super::state::CallKind::Query, op, fx);
        State::DueChecking { asked, call }
    }

    /// The provider's answer about what is due; `false` if no amount-due question waits on it.
    pub(super) fn on_due_answer(
        &mut self,
        call: CallId,
        result: Result<Reply, Failure>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let State::DueChecking { call: waiting, .. } = &self.state else {
            return false;
        };
        if *waiting != call {
            return false;
        }
        let State::DueChecking { asked, .. } = std::mem::replace(&mut self.state, State::Paying)
        else {
            return false;
        };
        let typed = asked.amount;
        let refused =
            |error: Message| -> Result<(Money, Money, Vec<InfoLine>), Message> { Err(error) };
        let decided = match result {
            Ok(Reply::Due { due, .. }) if due.currency() != typed.currency() => {
                refused(Message::DueOtherCurrency {
                    answered: due.currency().to_string(),
                    sells: typed.currency().to_string(),
                })
            }
            Ok(Reply::Due { due, .. }) if !due.is_positive() => refused(Message::NothingDue),
            Ok(Reply::Due { due, .. }) if typed.minor() > due.minor() => {
                refused(Message::MoreThanDue { typed, due })
            }
            Ok(Reply::Due { due, lines }) => {
                let pay = if typed.is_positive() { typed } else { due };
                Ok((pay, due, lines))
            }
            Ok(other) => refused(Message::UnexpectedAnswer {
                answer: format!("{other:?}"),
            }),
            Err(f) if f.kind == FailureKind::Transient => refused(Message::DueUnreachable {
                reason: f.to_string(),
            }),
            Err(f) => refused(Message::DueRefused {
                reason: f.to_string(),
            }),
        };
        self.state = match decided {
            Ok((pay, due, lines)) => State::DueConfirm {
                asked,
                pay,
                due,
                lines,
            },
            Err(error) => {
                fx.push(Effect::Signal(Signal::ErrorBeep));
                State::Customer {
                    amount: asked.amount,
                    provider: asked.provider,
                    form: asked.form,
                    error: Some(error),
                }
            }
        };
        true
    }

    /// A key while the amount due is asked: Cancel goes back to the customer's details (a late
    /// answer is then dropped); nothing else does anything.
    pub(super) fn key_due_checking(&mut self, asked: Asked, call: CallId, key: Key) -> State {
        match key {
            Key::Cancel => State::Customer {
                amount: asked.amount,
                provider: asked.provider,
                form: asked.form,
                error: None,
            },
            _ => State::DueChecking { asked, call },
        }
    }

    /// Enter pays what the confirmation shows; Cancel goes back to the customer's details.
    pub(super) fn key_due_confirm(
        &mut self,
        now: Millis,
        confirm: State,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let State::DueConfirm { asked, pay, .. } = &confirm else {
            return confirm;
        };
        match key {
            Key::Enter => {
                let Some(info) = self.providers.get(asked.provider).cloned() else {
                    return self.home();
                };
                let (pay, flow) = (*pay, asked.flow.clone());
                self.start_sale(now, pay, info, flow, Capture::Sale, fx)
            }
            Key::Cancel => {
                let State::DueConfirm { asked, .. } = confirm else {
                    return self.home();
                };
                State::Customer {
                    amount: asked.amount,
                    provider: asked.provider,
                    form: asked.form,
                    error: None,
                }
            }
            _ => confirm,
        }
    }
}
