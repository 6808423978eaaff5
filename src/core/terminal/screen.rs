//! Building the screen from the state: what the view shows, never deciding anything.

use super::Terminal;
use super::flow::offers_phone;
use super::state::{ActiveSale, Form, FormKind, Phase, State};
use crate::core::locale::Locale;
use crate::core::message::{Hint, Label, Message};
use crate::core::provider::Prompt;
use crate::core::record::Outcome;
use crate::core::report::DayReport;
use crate::core::settings::Mode;
use crate::core::view::{Field, Notice, Screen, Tile, Waiting};
use crate::money::Money;

impl Terminal {
    pub(super) fn screen(&self) -> Screen {
        if let Some(screen) = self.kiosk_screen() {
            return screen;
        }
        match &self.state {
            State::Recovering => Screen::Recovering {
                remaining: self.resuming.len() + usize::from(self.active.is_some()),
                current: self.active.as_ref().map(|a| a.request.key.clone()),
            },
            State::Login { pin, error } => Screen::Login {
                digits: pin.len(),
                error: error.clone(),
            },
            State::Amount { minor, error } => Screen::Amount {
                amount: self.money(*minor),
                error: error.clone(),
                vending_idle: self.settings.mode == Mode::Vending,
            },
            State::Method { amount, error, .. } => Screen::Method {
                amount: *amount,
                tiles: self.tiles(),
                error: error.clone(),
            },
            State::Customer {
                amount,
                provider,
                form,
                error,
            } => self.customer_screen(*amount, *provider, form, error.clone()),
            State::DueChecking { asked, .. } => Screen::AmountDue {
                provider: self.provider_name_at(asked.provider),
                due: None,
                pay: None,
                lines: Vec::new(),
            },
            State::DueConfirm {
                asked,
                pay,
                due,
                lines,
            } => Screen::AmountDue {
                provider: self.provider_name_at(asked.provider),
                due: Some(*due),
                pay: Some(*pay),
                lines: lines.clone(),
            },
            State::Paying => match &self.active {
                Some(a) => Screen::Paying {
                    sale: a.request.key.clone(),
                    amount: a.request.amount,
                    provider: a.provider.name.clone(),
                    waiting: waiting(a),
                    cancelling: a.cancel.is_some(),
                    send_to_phone: offers_phone(a),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::Result { sale } => match self.row(sale) {
                Some(row) => Screen::Result {
                    sale: sale.clone(),
                    amount: row.amount,
                    provider: self.provider_name(&row.provider),
                    outcome: row.outcome.clone().unwrap_or(Outcome::InDoubt {
                        reason: "No outcome recorded".into(),
                    }),
                    late_approval: row.late_approval,
                    refund_offered: row.late_approval && self.can_refund(sale),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::Queued { sale, phone } => match self.row(sale) {
                Some(row) => Screen::Queued {
                    sale: sale.clone(),
                    amount: row.amount,
                    provider: self.provider_name(&row.provider),
                    phone: phone.clone(),
                },
                None => Screen::Recovering {
                    remaining: 0,
                    current: None,
                },
            },
            State::SupervisorPin { pin, error } => Screen::SupervisorPin {
                digits: pin.len(),
                error: error.clone(),
            },
            State::Menu { message } => Screen::Menu {
                items: self.menu_items(),
                message: message.clone(),
            },
            State::History => Screen::History {
                rows: self.history_rows(),
            },
            State::SaleDetail { sale, message } => match self.row(sale) {
                Some(row) => Screen::SaleDetail {
                    row: row.clone(),
                    can_refund: self.can_refund(sale),
                    message: message.clone(),
                },
                None => Screen::History {
                    rows: self.history_rows(),
                },
            },
            State::RefundConfirm { sale } | State::Refunding { sale } => match self.row(sale) {
                Some(row) if matches!(self.state, State::RefundConfirm { .. }) => {
                    Screen::RefundConfirm { row: row.clone() }
                }
                Some(row) => Screen::Refunding { row: row.clone() },
                None => Screen::History {
                    rows: self.history_rows(),
                },
            },
            State::Report => {
                let zone = &self.settings.local.zone;
                let day = self
                    .history
                    .back()
                    .map(|r| zone.day_of(r.started_at))
                    .unwrap_or(0);
                match DayReport::build(day, zone, self.history.iter()) {
                    Ok(report) => Screen::Report(report),
                    Err(_) => Screen::Menu {
                        items: self.menu_items(),
                        message: Some(Notice::problem(Message::ReportFailed)),
                    },
                }
            }
            State::Outbox { message } => Screen::Outbox {
                summary: self.outbox.clone(),
                message: message.clone(),
            },
            State::OutboxItem {
                id,
                confirm_drop,
                message,
            } => self.outbox_item_screen(*id, *confirm_drop, message.clone()),
            State::SettingsScreen => Screen::Settings {
                rows: self.settings_rows(),
            },
            State::Language => Screen::Language {
                current: self.settings.local.locale,
                choices: Locale::ALL.to_vec(),
            },
            State::Diagnostics => Screen::Diagnostics {
                checks: self.diagnostics(),
            },
            State::Summary { from_menu } => self.summary_screen(*from_menu),
            State::ServiceForm { .. }
            | State::ServiceConfirm { .. }
            | State::ServiceWaiting { .. }
            | State::ServiceInfo { .. }
            | State::AgentPin { .. } => self.service_screen().unwrap_or(Screen::Menu {
                items: self.menu_items(),
                message: None,
            }),
            // Built by `kiosk_screen` above.
            State::Attract | State::CallStaff { .. } | State::StaffPin { .. } => {
                Screen::Recovering {
                    remaining: 0,
                    current: None,
                }
            }
        }
    }

    fn provider_name_at(&self, provider: usize) -> String {
        self.providers
            .get(provider)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }

    /// One tile per way to pay (see [`Terminal::choices`]).
    fn tiles(&self) -> Vec<Tile> {
        self.choices()
            .iter()
            .filter_map(|&(i, flow)| {
                let p = self.providers.get(i)?;
                Some(Tile {
                    provider: p.id.clone(),
                    name: p.name.clone(),
                    flow,
                })
            })
            .collect()
    }

    fn customer_screen(
        &self,
        amount: Money,
        provider: usize,
        form: &Form,
        error: Option<Message>,
    ) -> Screen {
        let labels: &[Label] = match form.kind {
            FormKind::PhoneOrQr | FormKind::Phone => &[Label::CustomerPhone],
            FormKind::CardAndCode => &[Label::CardNumber, Label::PaymentCode],
            FormKind::Invoice => &[Label::InvoiceNumber],
        };
        let hint = match form.kind {
            FormKind::PhoneOrQr => Hint::PhoneOrQr,
            FormKind::Phone => Hint::Phone,
            FormKind::CardAndCode => Hint::CardAndCode,
            FormKind::Invoice => Hint::Invoice,
        };
        let fields = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let value = &form.fields[i];
                let secret = form.kind == FormKind::CardAndCode && i == 1;
                // A card number typed and left is shown by its last four digits only.
                let card_done = form.kind == FormKind::CardAndCode && i == 0 && i != form.active;
                Field {
                    label: label.clone(),
                    shown: if secret {
                        "•".repeat(value.len())
                    } else if card_done {
                        let tail = value.len().saturating_sub(4);
                        format!("{}{}", "•".repeat(tail), &value[tail..])
                    } else {
                        value.clone()
                    },
                    active: i == form.active,
                }
            })
            .collect();
        Screen::Customer {
            amount,
            provider: self.provider_name_at(provider),
            fields,
            hint,
            error,
        }
    }
}

fn waiting(a: &ActiveSale) -> Waiting {
    match a.phase {
        Phase::Starting => Waiting::Starting,
        Phase::Checking { attempt } => Waiting::Checking { attempt },
        Phase::Vending => Waiting::Vending,
        Phase::Settling { .. } => Waiting::Settling,
        Phase::Awaiting | Phase::Cancelling => match &a.prompt {
            Some(Prompt::Qr {
                payload,
                expires_at,
            }) => Waiting::Qr {
                payload: payload.clone(),
                expires_at: *expires_at,
            },
            Some(Prompt::PushSent { phone, expires_at }) => Waiting::Push {
                phone: phone.clone(),
                expires_at: *expires_at,
            },
            Some(Prompt::Immediate) | None => Waiting::Deciding,
        },
    }
}
