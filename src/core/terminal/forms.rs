//! The entry forms: cashier sign-in, the amount, the choice of provider and the customer's
//! details (phone, card and code, invoice), key by key.

use super::Terminal;
use super::state::{Asked, Form, FormKind, State};
use crate::core::event::{Effect, Key, Signal};
use crate::core::message::Message;
use crate::core::pin::{PinStep, pin_key};
use crate::core::provider::{FlowKind, ProviderId};
use crate::core::sale::{Capture, CardNumber, Flow, InvoiceNumber, Msisdn, PaymentCode};
use crate::core::settings::Mode;
use crate::core::time::Millis;
use crate::money::Money;

impl Terminal {
    pub(super) fn key_login(&mut self, now: Millis, mut pin: String, key: Key) -> State {
        let cashiers = &self.settings.cashiers;
        let step = pin_key(&mut self.login_guard, &mut pin, key, now, |typed| {
            cashiers
                .iter()
                .find(|c| c.pin.verify(typed))
                .map(|c| c.id.clone())
        });
        match step {
            PinStep::Accepted(id) => {
                self.cashier = Some(id);
                self.home()
            }
            PinStep::Refused(error) => State::Login {
                pin,
                error: Some(error),
            },
            PinStep::Typing | PinStep::Cancelled => State::Login { pin, error: None },
        }
    }

    pub(super) fn key_amount(
        &mut self,
        now: Millis,
        minor: i64,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        if self.settings.mode == Mode::Vending {
            // A vending machine takes its price from the vend controller; only the menu works.
            return match key {
                Key::Menu => self.open_supervisor(),
                _ => State::Amount { minor, error: None },
            };
        }
        match key {
            Key::Digit(d) => {
                let next = minor
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(i64::from(d)));
                match next {
                    Some(n) if n <= self.settings.max_amount.minor() => State::Amount {
                        minor: n,
                        error: None,
                    },
                    _ => {
                        fx.push(Effect::Signal(Signal::ErrorBeep));
                        State::Amount {
                            minor,
                            error: Some(Message::AmountTooLarge {
                                max: self.settings.max_amount,
                            }),
                        }
                    }
                }
            }
            Key::Backspace => State::Amount {
                minor: minor / 10,
                error: None,
            },
            Key::Clear | Key::Cancel => State::Amount {
                minor: 0,
                error: None,
            },
            Key::Menu => self.open_supervisor(),
            // Enter is Pay; Send to phone is Pay to the customer's phone, with no QR first.
            Key::Enter | Key::SendToPhone => {
                // With no amount, a provider that knows what is due (an invoice) can still be
                // paid: its amount due is asked and confirmed before the sale starts.
                let refuse = if minor <= 0 && !self.amount_may_come_from_provider() {
                    Some(Message::TypeAmountFirst)
                } else if self.journal_failing {
                    Some(Message::SalesStopped)
                } else if self.providers.is_empty() {
                    Some(Message::NoMethodEnabled)
                } else {
                    None
                };
                match refuse {
                    Some(error) => {
                        fx.push(Effect::Signal(Signal::ErrorBeep));
                        State::Amount {
                            minor,
                            error: Some(error),
                        }
                    }
                    None => self.pay(now, self.money(minor), key == Key::SendToPhone, fx),
                }
            }
        }
    }

    pub(super) fn key_method(
        &mut self,
        now: Millis,
        amount: Money,
        to_phone: bool,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        match key {
            Key::Digit(d) if d >= 1 => {
                self.choose_method(now, amount, usize::from(d - 1), to_phone, fx)
            }
            Key::Enter if self.choices().len() == 1 => {
                self.choose_method(now, amount, 0, to_phone, fx)
            }
            Key::Cancel | Key::Backspace => State::Amount {
                minor: amount.minor(),
                error: None,
            },
            _ => State::Method {
                amount,
                error: None,
                to_phone,
            },
        }
    }

    /// Whether Pay with no amount typed goes on: a cashier's terminal with a provider whose
    /// amount comes from its lookup (`Capabilities::amount_due`).
    fn amount_may_come_from_provider(&self) -> bool {
        self.settings.mode == Mode::Cashier
            && self
                .providers
                .iter()
                .any(|p| p.capabilities.amount_due.is_some())
    }

    /// The method screen's tiles: one per way to pay, in provider order, each provider's flows
    /// in its order of preference. A push is reached with "Send to phone" (on the amount or on
    /// the QR), so it has a tile of its own only at a provider that shows no QR.
    pub(super) fn choices(&self) -> Vec<(usize, FlowKind)> {
        let mut out = Vec::new();
        for (i, p) in self.providers.iter().enumerate() {
            let flows = &p.capabilities.flows;
            for flow in flows {
                if *flow == FlowKind::Push && flows.contains(&FlowKind::Qr) {
                    continue;
                }
                if !out.contains(&(i, *flow)) {
                    out.push((i, *flow));
                }
            }
        }
        out
    }

    /// Pay: with one way to pay, straight to it; with several, their tiles.
    fn pay(&mut self, now: Millis, amount: Money, to_phone: bool, fx: &mut Vec<Effect>) -> State {
        if self.choices().len() <= 1 {
            self.choose_method(now, amount, 0, to_phone, fx)
        } else {
            State::Method {
                amount,
                error: None,
                to_phone,
            }
        }
    }

    /// A choice that cannot be paid: said where it was made (the tiles, or with one provider,
    /// the amount).
    fn refuse_method(&self, amount: Money, to_phone: bool, error: Message) -> State {
        if self.choices().len() <= 1 {
            State::Amount {
                minor: amount.minor(),
                error: Some(error),
            }
        } else {
            State::Method {
                amount,
                error: Some(error),
                to_phone,
            }
        }
    }

    /// Where Cancel on the customer's details goes: the tiles, or with one provider (no tiles
    /// were shown) the amount, kept.
    fn back_from_customer(&self, amount: Money) -> State {
        if self.choices().len() <= 1 {
            State::Amount {
                minor: amount.minor(),
                error: None,
            }
        } else {
            State::Method {
                amount,
                error: None,
                to_phone: false,
            }
        }
    }

    /// The customer's phone for a push from this provider, after its QR was cancelled.
    pub(super) fn phone_entry(&self, amount: Money, provider: &ProviderId) -> State {
        match self.providers.iter().position(|p| &p.id == provider) {
            Some(i) => State::Customer {
                amount,
                provider: i,
                form: Form::new(FormKind::PhoneOrQr),
                error: None,
            },
            None => self.home(),
        }
    }

    /// The `i`-th tile (see [`Terminal::choices`]); with `to_phone`, the phone of its provider.
    pub(super) fn choose_method(
        &mut self,
        now: Millis,
        amount: Money,
        i: usize,
        to_phone: bool,
        fx: &mut Vec<Effect>,
    ) -> State {
        let choices = self.choices();
        let Some((index, flow)) = choices.get(i).copied() else {
            if choices.is_empty()
                && let Some(info) = self.providers.first()
            {
                let error = Message::NoWayToPay {
                    provider: info.name.clone(),
                };
                return self.refuse_method(amount, to_phone, error);
            }
            return State::Method {
                amount,
                error: Some(Message::ChooseOneTo {
                    count: choices.len(),
                }),
                to_phone,
            };
        };
        let Some(info) = self.providers.get(index).cloned() else {
            return self.home();
        };
        if self.locked(&info) {
            let error = self.locked_message(&info);
            return self.refuse_method(amount, to_phone, error);
        }
        if !amount.is_positive() && info.capabilities.amount_due.is_none() {
            let error = Message::ProviderNeedsAmount {
                provider: info.name.clone(),
            };
            return self.refuse_method(amount, to_phone, error);
        }
        let flows = &info.capabilities.flows;
        if to_phone && !flows.contains(&FlowKind::Push) {
            let error = Message::NoPushToPhone {
                provider: info.name.clone(),
            };
            return self.refuse_method(amount, to_phone, error);
        }
        let form = match flow {
            _ if to_phone && flows.contains(&FlowKind::Qr) => Some(FormKind::PhoneOrQr),
            _ if to_phone => Some(FormKind::Phone),
            // A QR-first provider shows its QR at once ("Send to phone" on it for a push). While
            // it cannot be reached a QR cannot work, but a push request can wait in the outbox:
            // it asks for the phone first.
            FlowKind::Qr if flows.contains(&FlowKind::Push) && self.offline(&info.id) => {
                Some(FormKind::PhoneOrQr)
            }
            FlowKind::Qr => None,
            FlowKind::Push => Some(FormKind::Phone),
            FlowKind::CardAndCode => Some(FormKind::CardAndCode),
            FlowKind::Invoice => Some(FormKind::Invoice),
        };
        match form {
            Some(kind) => State::Customer {
                amount,
                provider: index,
                form: Form::new(kind),
                error: None,
            },
            None => self.start_sale(now, amount, info, Flow::Qr, Capture::Sale, fx),
        }
    }

    pub(super) fn key_customer(
        &mut self,
        now: Millis,
        amount: Money,
        provider: usize,
        mut form: Form,
        key: Key,
        fx: &mut Vec<Effect>,
    ) -> State {
        let mut error = None;
        match key {
            Key::Digit(d) => {
                let max = form.max_len();
                let field = &mut form.fields[form.active];
                if field.len() < max {
                    field.push(char::from(b'0' + d));
                } else {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                }
            }
            Key::Backspace => {
                if form.fields[form.active].pop().is_none() && form.active > 0 {
                    form.active -= 1;
                }
            }
            Key::Clear => form.fields[form.active].clear(),
            Key::Cancel => return self.back_from_customer(amount),
            Key::Menu | Key::SendToPhone => {}
            Key::Enter => match self.submit_form(&form) {
                Ok(Some(flow)) => {
                    if self.asks_amount_due(provider) {
                        let asked = Asked {
                            amount,
                            provider,
                            form,
                            flow,
                        };
                        return self.ask_amount_due(asked, fx);
                    }
                    let Some(info) = self.providers.get(provider).cloned() else {
                        return self.home();
                    };
                    return self.start_sale(now, amount, info, flow, Capture::Sale, fx);
                }
                Ok(None) => form.active += 1,
                Err(e) => {
                    fx.push(Effect::Signal(Signal::ErrorBeep));
                    error = Some(e);
                }
            },
        }
        State::Customer {
            amount,
            provider,
            form,
            error,
        }
    }

    /// `Ok(None)`: the field is fine, go to the next one.
    fn submit_form(&self, form: &Form) -> Result<Option<Flow>, Message> {
        let f = |i: usize| form.fields[i].as_str();
        match form.kind {
            FormKind::PhoneOrQr if f(0).is_empty() => Ok(Some(Flow::Qr)),
            FormKind::PhoneOrQr | FormKind::Phone => Msisdn::parse(f(0))
                .map(|phone| Some(Flow::Push { phone }))
                .map_err(Message::Input),
            FormKind::CardAndCode => {
                let card = CardNumber::parse(f(0)).map_err(Message::Input)?;
                if form.active == 0 {
                    return Ok(None);
                }
                let code = PaymentCode::parse(f(1)).map_err(Message::Input)?;
                Ok(Some(Flow::CardAndCode {
                    card,
                    code: Some(code),
                }))
            }
            FormKind::Invoice => InvoiceNumber::parse(f(0))
                .map(|number| Some(Flow::Invoice { number }))
                .map_err(Message::Input),
        }
    }
}
