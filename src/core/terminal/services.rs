//! Provider services in the supervisor menu and the agent PIN. A service is declared by its
//! provider (`Capabilities::services`), so nothing here names one: its fields are asked one at
//! a time (digits and amounts on the keypad, a choice from a list); a service that moves no
//! money goes out as `Operation::Query` and its answer is shown as lines; one that moves money
//! is confirmed, then started through the sale path as `Flow::Service` (journaled first, keyed
//! by its sale key, recovered, reported apart from sales).
//!
//! A provider with `Capabilities::agent_pin` is locked until its PIN is typed at the start of a
//! shift (after a cashier signs in; at start-up without cashiers). The digits are a secret from
//! the first key ([`PinDigits`]) and reach the runtime as a `SecretString` in `Effect::Unlock`;
//! the screen only knows how many were typed. Sign-out and "Lock the terminal" lock it again.

use super::Terminal;
use super::state::{CallKind, PinDigits, ServiceForm, State};
use crate::core::event::{CallId, Effect, Key, Signal};
use crate::core::message::{Hint, Label, MenuItem, Message};
use crate::core::provider::{
    Failure, FieldInput, FieldValue, InfoLine, Operation, ProviderId, ProviderInfo, Reply,
    ServiceId, ServiceSpec,
};
use crate::core::sale::{Capture, Flow, SaleKey};
use crate::core::time::Millis;
use crate::core::view::{Field, Notice, Screen};

/// PIN lengths the agent PIN screen accepts: Enter needs the least, digits stop at the most.
const AGENT_PIN_MIN: u8 = 4;
const AGENT_PIN_MAX: usize = 12;

impl Terminal {
    /// Every enabled provider's services, in provider order: (provider, service) indices.
    pub(super) fn service_entries(&self) -> Vec<(usize, usize)> {
        self.providers
            .iter()
            .enumerate()
            .flat_map(|(p, info)| (0..info.capabilities.services.len()).map(move |s| (p, s)))
            .collect()
    }

    /// The menu line of a service: its provider's and its own name ("MonCash: Balance").
    pub(super) fn service_menu_item(&self, provider: usize, service: usize) -> Option<MenuItem> {
        let (info, spec) = self.spec(provider, service)?;
        Some(MenuItem::Service {
            provider: info.name.clone(),
            service: spec.label.clone(),
        })
    }

    /// A service's label for history and reports, or its id for a provider not enabled now.
    pub(super) fn service_label(&self, provider: &ProviderId, service: &ServiceId) -> String {
        self.provider_info(provider)
            .and_then(|p| p.capabilities.services.iter().find(|s| &s.id == service))
            .map(|s| s.label.clone())
            .unwrap_or_else(|| service.0.clone())
    }

    fn spec(&self, provider: usize, service: usize) -> Option<(&ProviderInfo, &ServiceSpec)> {
        let info = self.providers.get(provider)?;
        Some((info, info.capabilities.services.get(service)?))
    }

    /// The fields asked, in order: the service's own, then for a money-moving one its amount.
    fn fields_of(&self, provider: usize, service: usize) -> Vec<Asked> {
        let Some((_, spec)) = self.spec(provider, service) else {
            return Vec::new();
        };
        let mut fields: Vec<Asked> = spec
            .fields
            .iter()
            .map(|f| Asked {
                label: Label::Named(f.label.clone()),
                input: f.input.clone(),
            })
            .collect();
        if spec.moves_money {
            fields.push(Asked {
                label: Label::Amount,
                input: FieldInput::Amount,
            });
        }
        fields
    }

    /// Whether a provider waits for its agent PIN: sales and services with it are refused.
    pub(super) fn locked(&self, info: &ProviderInfo) -> bool {
        info.capabilities.agent_pin && !self.unlocked.contains(&info.id)
    }

    /// What a refused sale or service says about a locked provider.
    pub(super) fn locked_message(&self, info: &ProviderInfo) -> Message {
        Message::ProviderLocked {
            provider: info.name.clone(),
        }
    }

    /// The first provider whose agent PIN this shift has not had yet (nor skipped).
    pub(super) fn agent_pin_needed(&self) -> Option<usize> {
        self.providers
            .iter()
            .position(|p| self.locked(p) && !self.pin_skipped.contains(&p.id))
    }

    pub(super) fn agent_pin_state(provider: usize) -> State {
        State::AgentPin {
            provider,
            pin: PinDigits::new(),
            error: None,
            checking: false,
        }
    }

    /// Sign-out, "Lock the terminal", and the runtime at exit: every provider forgets its PIN.
    pub(super) fn lock_all(&mut self, fx: &mut Vec<Effect>) {
        for provider in std::mem::take(&mut self.unlocked) {
            fx.push(Effect::Lock { provider });
        }
        self.pin_skipped.clear();
    }

    pub(super) fn open_service(
        &mut self,
        provider: usize,
        service: usize,
        fx: &mut Vec<Effect>,
    ) -> State {
        let Some((info, _)) = self.spec(provider, service) else {
            return State::Menu { message: None };
        };
        if self.locked(info) {
            return State::Menu {
                message: Some(Notice::problem(self.locked_message(info))),
            };
        }
        let form = ServiceForm {
            values: vec![String::new(); self.fields_of(provider, service).len()],
            active: 0,
        };
        if form.values.is_empty() {
            // Nothing to ask (a balance): it goes out at once.
            return self.submit_service(provider, service, form, fx);
        }
        State::ServiceForm {
            provider,
            service,
            form,
            error: None,
        }
    }

    pub(super) fn key_service_form(
        &mut self,
        provider: usize,
        service: usize,
        mut form: ServiceForm,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let fields = self.fields_of(provider, service);
        let Some(field) = fields.get(form.active) else {
            return State::Menu { message: None };
        };
        let mut error = None;
        match (key, &field.input) {
            (Key::Digit(d), FieldInput::Choice(options)) => {
                return match usize::from(d).checked_sub(1) {
                    Some(i) if i < options.len() => {
                        self.pick_choice(provider, service, form, i, fx)
                    }
                    _ => {
                        fx.push(Effect::Signal(Signal::ErrorBeep));
                        State::ServiceForm {
                            provider,
                            service,
                            form,
                            error: Some(Message::ChooseOneTo {
                                count: options.len(),
                            }),
                        }
                    }
                };
            }
            (Key::Digit(d), input) => {
                let value = &mut form.values[form.active];
                let fits = match input {
                    FieldInput::Digits { max, .. } => value.len() < usize::from(*max),
                    _ => format!("{value}{d}")
                        .parse::<i64>()
                        .is_ok_and(|m| m <= self.settings.max_amount.minor()),
                };
                if fits {
                    value.push(char::from(b'0' + d));
                } else {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                }
            }
            (Key::Backspace, _) => {
                let was_empty = form.values[form.active].pop().is_none();
                if was_empty && form.active > 0 {
                    form.active -= 1;
                }
            }
            (Key::Clear, _) => form.values[form.active].clear(),
            (Key::Cancel, _) => return State::Menu { message: None },
            (Key::Enter, _) => match self.field_value(field, &form.values[form.active]) {
                Ok(_) if form.active + 1 < fields.len() => form.active += 1,
                Ok(_) => return self.submit_service(provider, service, form, fx),
                Err(e) => {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                    error = Some(e);
                }
            },
            _ => {}
        }
        State::ServiceForm {
            provider,
            service,
            form,
            error,
        }
    }

    /// A tap on the `i`-th option of the active choice (or its number on the keypad).
    pub(super) fn pick_choice(
        &mut self,
        provider: usize,
        service: usize,
        mut form: ServiceForm,
        i: usize,
        fx: &mut Vec<Effect>,
    ) -> State {
        let fields = self.fields_of(provider, service);
        let is_choice = fields
            .get(form.active)
            .is_some_and(|f| matches!(&f.input, FieldInput::Choice(o) if i < o.len()));
        if !is_choice {
            return State::ServiceForm {
                provider,
                service,
                form,
                error: None,
            };
        }
        form.values[form.active] = i.to_string();
        if form.active + 1 < fields.len() {
            form.active += 1;
            State::ServiceForm {
                provider,
                service,
                form,
                error: None,
            }
        } else {
            self.submit_service(provider, service, form, fx)
        }
    }

    /// A typed field as the provider takes it, or why not.
    fn field_value(&self, field: &Asked, typed: &str) -> Result<FieldValue, Message> {
        let label = || field.label.clone();
        match &field.input {
            FieldInput::Digits { min, max } => {
                let n = typed.len();
                if n < usize::from(*min) || n > usize::from(*max) || n == 0 {
                    Err(Message::FieldDigits {
                        label: label(),
                        min: *min,
                        max: *max,
                    })
                } else {
                    Ok(FieldValue::Digits(typed.to_string()))
                }
            }
            FieldInput::Amount => match typed.parse::<i64>() {
                Ok(m) if m > 0 && m <= self.settings.max_amount.minor() => {
                    Ok(FieldValue::Amount(self.money(m)))
                }
                _ => Err(Message::FieldAmount {
                    label: label(),
                    max: self.settings.max_amount,
                }),
            },
            FieldInput::Choice(options) => match typed.parse::<usize>() {
                Ok(i) if i < options.len() => Ok(FieldValue::Choice(i)),
                _ => Err(Message::FieldChoose { label: label() }),
            },
        }
    }

    /// Every field is filled: a query goes out, a money-moving service is asked first.
    fn submit_service(
        &mut self,
        provider: usize,
        service: usize,
        form: ServiceForm,
        fx: &mut Vec<Effect>,
    ) -> State {
        let fields = self.fields_of(provider, service);
        let mut values = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            match self.field_value(f, form.values.get(i).map(String::as_str).unwrap_or("")) {
                Ok(v) => values.push(v),
                Err(e) => {
                    return State::ServiceForm {
                        provider,
                        service,
                        form: ServiceForm { active: i, ..form },
                        error: Some(e),
                    };
                }
            }
        }
        let Some((info, spec)) = self.spec(provider, service) else {
            return State::Menu { message: None };
        };
        let (info, spec) = (info.clone(), spec.clone());
        if spec.moves_money {
            let amount = match values.pop() {
                Some(FieldValue::Amount(m)) => m,
                _ => return State::Menu { message: None },
            };
            return State::ServiceConfirm {
                provider,
                service,
                inputs: values,
                amount,
            };
        }
        let Some(key) = self.query_key() else {
            return State::Menu {
                message: Some(Notice::problem(Message::QueryNotNumbered)),
            };
        };
        let call = self.call(
            &key,
            &info.id,
            CallKind::Query,
            Operation::Query {
                service: spec.id.clone(),
                inputs: values,
            },
            fx,
        );
        State::ServiceWaiting {
            provider,
            service,
            call,
        }
    }

    /// Queries are not sales: they get a key of their own kind for the call log, never a sale
    /// number.
    pub(super) fn query_key(&mut self) -> Option<SaleKey> {
        self.next_query += 1;
        SaleKey::new("query", self.next_query).ok()
    }

    /// `state` is the `ServiceConfirm` being answered.
    pub(super) fn key_service_confirm(
        &mut self,
        now: Millis,
        state: State,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let State::ServiceConfirm {
            provider,
            service,
            inputs,
            amount,
        } = state
        else {
            return state;
        };
        match key {
            Key::Enter => {
                let Some((info, spec)) = self.spec(provider, service) else {
                    return State::Menu { message: None };
                };
                let (info, id) = (info.clone(), spec.id.clone());
                let refuse = if self.locked(&info) {
                    Some(self.locked_message(&info))
                } else if self.journal_failing {
                    Some(Message::ServicesStopped)
                } else if self.active.is_some() {
                    Some(Message::SaleInProgress)
                } else {
                    None
                };
                if let Some(e) = refuse {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                    return State::Menu {
                        message: Some(Notice::problem(e)),
                    };
                }
                let flow = Flow::Service {
                    service: id,
                    inputs,
                };
                self.start_sale(now, amount, info, flow, Capture::Sale, fx)
            }
            Key::Cancel => State::Menu { message: None },
            _ => State::ServiceConfirm {
                provider,
                service,
                inputs,
                amount,
            },
        }
    }

    pub(super) fn on_query_answer(&mut self, call: CallId, result: Result<Reply, Failure>) {
        let State::ServiceWaiting {
            provider,
            service,
            call: waiting,
        } = self.state
        else {
            return;
        };
        if waiting != call {
            return;
        }
        let (lines, error) = match result {
            Ok(Reply::Info(lines)) => (lines, None),
            Ok(other) => (
                Vec::new(),
                Some(Message::UnexpectedAnswer {
                    answer: format!("{other:?}"),
                }),
            ),
            Err(f) => (
                Vec::new(),
                Some(Message::ServiceFailed {
                    reason: f.to_string(),
                }),
            ),
        };
        self.state = State::ServiceInfo {
            provider,
            service,
            lines,
            error,
        };
    }

    pub(super) fn key_agent_pin(
        &mut self,
        provider: usize,
        mut pin: PinDigits,
        checking: bool,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let Some(info) = self.providers.get(provider).cloned() else {
            return self.home();
        };
        if checking {
            return State::AgentPin {
                provider,
                pin,
                error: None,
                checking,
            };
        }
        let mut error = None;
        match key {
            Key::Digit(d) if pin.len() < AGENT_PIN_MAX => pin.push(char::from(b'0' + d)),
            Key::Digit(_) => fx.push(Effect::Signal(Signal::ErrorBeep)),
            Key::Backspace => pin.pop(),
            Key::Clear => pin = PinDigits::new(),
            Key::Cancel => {
                // Not now: sales and services with it are refused until it is unlocked.
                self.pin_skipped.insert(info.id);
                return self.home();
            }
            Key::Enter if pin.len() >= usize::from(AGENT_PIN_MIN) => {
                fx.push(Effect::Unlock {
                    provider: info.id,
                    pin: pin.secret(),
                });
                return State::AgentPin {
                    provider,
                    pin: PinDigits::new(),
                    error: None,
                    checking: true,
                };
            }
            Key::Enter => {
                fx.push(Effect::Signal(Signal::ErrorBeep));
                error = Some(Message::AgentPinLength {
                    min: AGENT_PIN_MIN,
                    max: AGENT_PIN_MAX as u8,
                });
            }
            _ => {}
        }
        State::AgentPin {
            provider,
            pin,
            error,
            checking,
        }
    }

    pub(super) fn on_unlocked(&mut self, provider: ProviderId, result: Result<(), Failure>) {
        let index = self.providers.iter().position(|p| p.id == provider);
        match result {
            Ok(()) => {
                self.unlocked.insert(provider.clone());
                self.pin_skipped.remove(&provider);
                if matches!(self.state, State::AgentPin { provider: p, .. } if Some(p) == index) {
                    self.state = self.home();
                }
            }
            Err(f) => {
                if let (State::AgentPin { provider: p, .. }, Some(i)) = (&self.state, index)
                    && *p == i
                {
                    self.state = State::AgentPin {
                        provider: i,
                        pin: PinDigits::new(),
                        error: Some(Message::NotUnlocked {
                            reason: f.to_string(),
                        }),
                        checking: false,
                    };
                }
            }
        }
    }

    pub(super) fn service_screen(&self) -> Option<Screen> {
        let names = |p: usize, s: usize| match self.spec(p, s) {
            Some((info, spec)) => (info.name.clone(), spec.label.clone()),
            None => (String::new(), String::new()),
        };
        Some(match &self.state {
            State::ServiceForm {
                provider,
                service,
                form,
                error,
            } => {
                let (provider_name, service_name) = names(*provider, *service);
                let specs = self.fields_of(*provider, *service);
                let fields = specs
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let typed = form.values.get(i).cloned().unwrap_or_default();
                        Field {
                            label: f.label.clone(),
                            shown: match &f.input {
                                FieldInput::Digits { .. } => typed,
                                FieldInput::Amount => typed
                                    .parse::<i64>()
                                    .map(|m| self.money(m).to_decimal_string())
                                    .unwrap_or_default(),
                                FieldInput::Choice(o) => typed
                                    .parse::<usize>()
                                    .ok()
                                    .and_then(|i| o.get(i).cloned())
                                    .unwrap_or_default(),
                            },
                            active: i == form.active,
                        }
                    })
                    .collect();
                let active = specs.get(form.active);
                let choices = match active.map(|f| &f.input) {
                    Some(FieldInput::Choice(o)) => o.clone(),
                    _ => Vec::new(),
                };
                let hint = match active.map(|f| &f.input) {
                    Some(FieldInput::Choice(_)) => Hint::Choice,
                    Some(FieldInput::Amount) => Hint::Amount,
                    _ => Hint::Digits,
                };
                Screen::ServiceForm {
                    provider: provider_name,
                    service: service_name,
                    fields,
                    choices,
                    hint,
                    error: error.clone(),
                }
            }
            State::ServiceConfirm {
                provider,
                service,
                inputs,
                amount,
            } => {
                let (provider_name, service_name) = names(*provider, *service);
                let specs = self
                    .spec(*provider, *service)
                    .map(|(_, spec)| spec.fields.clone())
                    .unwrap_or_default();
                let lines = specs
                    .iter()
                    .zip(inputs)
                    .map(|(f, v)| InfoLine {
                        label: f.label.clone(),
                        value: match (v, &f.input) {
                            (FieldValue::Digits(d), _) => d.clone(),
                            (FieldValue::Amount(m), _) => m.to_string(),
                            (FieldValue::Choice(i), FieldInput::Choice(o)) => {
                                o.get(*i).cloned().unwrap_or_default()
                            }
                            (FieldValue::Choice(i), _) => i.to_string(),
                        },
                    })
                    .collect();
                Screen::ServiceConfirm {
                    provider: provider_name,
                    service: service_name,
                    amount: *amount,
                    lines,
                }
            }
            State::ServiceWaiting {
                provider, service, ..
            } => {
                let (provider, service) = names(*provider, *service);
                Screen::ServiceWaiting { provider, service }
            }
            State::ServiceInfo {
                provider,
                service,
                lines,
                error,
            } => {
                let (provider, service) = names(*provider, *service);
                Screen::ServiceInfo {
                    provider,
                    service,
                    lines: lines.clone(),
                    error: error.clone(),
                }
            }
            State::AgentPin {
                provider,
                pin,
                error,
                checking,
            } => Screen::AgentPin {
                provider: self
                    .providers
                    .get(*provider)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                digits: pin.len(),
                error: error.clone(),
                checking: *checking,
            },
            _ => return None,
        })
    }
}

/// One field a service form asks: the provider's own, named by its spec, or the amount the
/// terminal adds to a money-moving service, named in the terminal's words.
struct Asked {
    label: Label,
    input: FieldInput,
}
