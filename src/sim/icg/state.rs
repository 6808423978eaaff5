//! The iCG simulator's state: the merchant's credentials, issued tokens with their expiry,
//! invoices with their amounts and the process responses given for them, and counters.

use std::collections::BTreeMap;

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::money::{Currency, Money};
use crate::providers::icg::config::demo;

/// Seconds a token lives unless the control API sets another lifetime (the document's value).
pub const DEFAULT_TOKEN_SECONDS: u64 = 86_399;

/// The first number given to an invoice made without one.
const FIRST_NUMBER: u64 = 2001;

/// One process response recorded on an invoice.
#[derive(Clone, Debug)]
pub struct Txn {
    pub id: String,
    pub approved: bool,
    pub message: String,
    pub confirmation: Option<String>,
    pub approval: Option<String>,
    pub reference: String,
    pub amount: Money,
    pub date: OffsetDateTime,
    pub description: Option<String>,
    pub lane: Option<String>,
}

/// A process response as the simulator writes it. Amounts are raw JSON numbers written from
/// the exact decimal text (a `serde_json::Value` would pass them through an `f64`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnWire {
    transaction_id: String,
    status: &'static str,
    status_message: String,
    confirmation_code: Option<String>,
    approval_code: Option<String>,
    reference_number: String,
    transaction_amount: Box<RawValue>,
    transaction_date: String,
    card_display: Option<String>,
    card_type: Option<String>,
    error_data: Option<String>,
    extra_data: Option<String>,
    raw_request: Option<String>,
    raw_response: Option<String>,
    cvc_response: Option<String>,
    avs_response: Option<String>,
    arpc: Option<String>,
    issuer_script: Option<String>,
    #[serde(rename = "IssuerScript2")]
    issuer_script2: Option<String>,
    application_id: Option<String>,
    /// Only in an invoice's `Transactions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Option<String>>,
    #[serde(rename = "Laneid", skip_serializing_if = "Option::is_none")]
    lane_id: Option<Option<String>>,
}

impl Txn {
    /// The process response, as the pay answers it and (with the `Description` and `Laneid`
    /// sent) as the invoice lists it.
    pub fn wire(&self, listed: bool) -> TxnWire {
        TxnWire {
            transaction_id: self.id.clone(),
            status: if self.approved {
                "Approved"
            } else {
                "Declined"
            },
            status_message: self.message.clone(),
            confirmation_code: self.confirmation.clone(),
            approval_code: self.approval.clone(),
            reference_number: self.reference.clone(),
            transaction_amount: self.amount.to_json_number(),
            transaction_date: super::super::rfc3339(self.date),
            card_display: None,
            card_type: None,
            error_data: None,
            extra_data: None,
            raw_request: None,
            raw_response: None,
            cvc_response: None,
            avs_response: None,
            arpc: None,
            issuer_script: None,
            issuer_script2: None,
            application_id: None,
            description: listed.then(|| self.description.clone()),
            lane_id: listed.then(|| self.lane.clone()),
        }
    }
}

/// An invoice as the lookup answers it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvoiceWire {
    id: String,
    amount: Box<RawValue>,
    amount_paid: Box<RawValue>,
    amount_due: Box<RawValue>,
    status: &'static str,
    description: String,
    transactions: Vec<TxnWire>,
}

/// An invoice at iCG.
#[derive(Clone, Debug)]
pub struct Invoice {
    pub number: String,
    pub amount: Money,
    pub description: String,
    /// Pays are declined with this `StatusMessage` while set.
    pub decline: Option<String>,
    pub transactions: Vec<Txn>,
}

impl Invoice {
    pub fn paid(&self) -> Money {
        let minor = self
            .transactions
            .iter()
            .filter(|t| t.approved)
            .fold(0i64, |sum, t| sum.saturating_add(t.amount.minor()));
        Money::from_minor(minor, self.amount.currency())
    }

    pub fn due(&self) -> Money {
        Money::from_minor(
            self.amount
                .minor()
                .saturating_sub(self.paid().minor())
                .max(0),
            self.amount.currency(),
        )
    }

    /// `Open`, `Partially Paid` or `Paid`.
    pub fn state(&self) -> &'static str {
        if !self.due().is_positive() {
            "Paid"
        } else if self.paid().is_positive() {
            "Partially Paid"
        } else {
            "Open"
        }
    }

    pub fn wire(&self) -> InvoiceWire {
        InvoiceWire {
            id: self.number.clone(),
            amount: self.amount.to_json_number(),
            amount_paid: self.paid().to_json_number(),
            amount_due: self.due().to_json_number(),
            status: self.state(),
            description: self.description.clone(),
            transactions: self.transactions.iter().map(|t| t.wire(true)).collect(),
        }
    }
}

/// What the simulator counts, for tests (`GET /control/icg/counters`).
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Every `POST /auth/Login`.
    pub token_requests: u64,
    pub tokens_issued: u64,
    /// Refused grants and calls refused for a missing, bad, expired or revoked token.
    pub unauthorized: u64,
    /// Every `POST /Invoices/{id}/Pay` that reached the simulator.
    pub pay_posts: u64,
    /// Process responses recorded on invoices (approved and declined).
    pub payments: u64,
    pub approved: u64,
    pub declined: u64,
}

pub struct State {
    pub client_id: String,
    pub username: String,
    pub password: String,
    pub revoked: bool,
    pub token_seconds: u64,
    pub tokens: BTreeMap<String, OffsetDateTime>,
    pub invoices: BTreeMap<String, Invoice>,
    pub next_number: u64,
    pub next_txn: u64,
    pub counters: Counters,
}

/// Why a pay is refused (HTTP 400, the only error the document names).
pub struct Refusal(pub String);

fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

pub fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 48)
}

impl State {
    pub fn new(now: OffsetDateTime) -> State {
        let mut s = State {
            client_id: demo::CLIENT_ID.to_string(),
            username: demo::USERNAME.to_string(),
            password: demo::PASSWORD.to_string(),
            revoked: false,
            token_seconds: DEFAULT_TOKEN_SECONDS,
            tokens: BTreeMap::new(),
            invoices: BTreeMap::new(),
            next_number: FIRST_NUMBER,
            next_txn: 1,
            counters: Counters::default(),
        };
        s.seed(now);
        // The counters count what clients did, not the demo's history.
        s.counters = Counters::default();
        s
    }

    /// The demo invoices: open, partially paid, paid, and one whose pays are declined.
    fn seed(&mut self, now: OffsetDateTime) {
        let usd = |minor| Money::from_minor(minor, Currency::USD);
        let made = [
            ("1001", 13_188, "Water bill, November", None),
            ("1002", 25_000, "Electricity, November", None),
            ("1003", 7_500, "Internet, November", None),
            (
                "1004",
                4_000,
                "Phone, November",
                Some("Declined: insufficient funds"),
            ),
        ];
        for (number, minor, text, decline) in made {
            self.add_invoice(
                Some(number.to_string()),
                usd(minor),
                text.to_string(),
                decline.map(str::to_string),
            );
        }
        // 1002 is partially paid, 1003 paid, by earlier payments at another lane.
        for (number, minor) in [("1002", 10_000), ("1003", 7_500)] {
            let _ = self.pay(
                number,
                usd(minor),
                Some("seed".into()),
                Some("web".into()),
                now,
            );
        }
    }

    pub fn add_invoice(
        &mut self,
        number: Option<String>,
        amount: Money,
        description: String,
        decline: Option<String>,
    ) -> String {
        let number = number.unwrap_or_else(|| {
            loop {
                let n = self.next_number.to_string();
                self.next_number += 1;
                if !self.invoices.contains_key(&n) {
                    break n;
                }
            }
        });
        self.invoices.insert(
            number.clone(),
            Invoice {
                number: number.clone(),
                amount,
                description,
                decline,
                transactions: Vec::new(),
            },
        );
        number
    }

    pub fn issue_token(&mut self, now: OffsetDateTime) -> String {
        let token = new_token();
        let lifetime =
            time::Duration::seconds(i64::try_from(self.token_seconds).unwrap_or(i64::MAX));
        self.tokens.insert(token.clone(), now + lifetime);
        self.counters.tokens_issued += 1;
        // Forget long-expired tokens so a load test cannot grow the map without bound.
        self.tokens
            .retain(|_, exp| *exp > now - time::Duration::days(2));
        token
    }

    pub fn token_valid(&self, token: &str, now: OffsetDateTime) -> bool {
        !self.revoked && self.tokens.get(token).is_some_and(|exp| *exp > now)
    }

    /// Pays `amount` on invoice `number`: the process response, or why it was refused.
    pub fn pay(
        &mut self,
        number: &str,
        amount: Money,
        description: Option<String>,
        lane: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Txn, Refusal> {
        let id = self.next_txn;
        let invoice = self
            .invoices
            .get_mut(number)
            .ok_or_else(|| Refusal(format!("Invoice {number} was not found.")))?;
        if amount.currency() != invoice.amount.currency() {
            return Err(Refusal(
                "The amount is not in the invoice's currency.".into(),
            ));
        }
        if !amount.is_positive() {
            return Err(Refusal("The Amount must be greater than zero.".into()));
        }
        let due = invoice.due();
        if !due.is_positive() {
            return Err(Refusal(format!("Invoice {number} is already paid.")));
        }
        if amount.minor() > due.minor() {
            return Err(Refusal(format!(
                "The Amount {} exceeds the amount due {} of invoice {number}.",
                amount.to_decimal_string(),
                due.to_decimal_string()
            )));
        }
        self.next_txn += 1;
        let approved = invoice.decline.is_none();
        let txn = Txn {
            id: format!("{:010}", 7_000_000_000u64 + id),
            approved,
            message: invoice
                .decline
                .clone()
                .unwrap_or_else(|| "Approved".to_string()),
            confirmation: approved.then(|| format!("C{}", digits(9))),
            approval: approved.then(|| digits(6)),
            reference: format!("R{}", digits(10)),
            amount,
            date: now,
            description,
            lane,
        };
        invoice.transactions.push(txn.clone());
        self.counters.payments += 1;
        if approved {
            self.counters.approved += 1;
        } else {
            self.counters.declined += 1;
        }
        Ok(txn)
    }

    /// The payment of a terminal handle `<invoice>:<sale key>`.
    pub fn payment(&self, handle: &str) -> Option<&Txn> {
        let (number, key) = handle.split_once(':')?;
        self.invoices
            .get(number)?
            .transactions
            .iter()
            .rev()
            .find(|t| t.description.as_deref() == Some(key))
    }
}
