//! The MonCash simulator's memory: client credentials and the bearer tokens issued, orders and
//! their payment tokens, payer accounts, payouts and the merchant's prefunded balance.

use std::collections::{BTreeMap, HashMap};

use time::OffsetDateTime;

use crate::money::{Currency, Money};

pub const HTG: Currency = Currency::HTG;
/// Bearer tokens live this long (the document's `expires_in`).
pub const TOKEN_SECONDS: i64 = 59;
/// Payment tokens live this long (NOTES: about 10 minutes).
pub const PAYMENT_TOKEN_SECONDS: i64 = 600;

#[derive(Clone, Debug)]
pub struct Account {
    pub pin: String,
    pub balance: Money,
    /// A wallet may not hold more than this (403 `Maximum Account Balance` on a payout).
    pub max_balance: Money,
    /// `fullkyc`, `minikyc`.
    pub kyc: String,
    pub status: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Paid {
    pub transaction_id: String,
    pub payer: String,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub order_id: String,
    pub amount: Money,
    pub token: String,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub paid: Option<Paid>,
    /// The customer gave up on the payment page.
    pub given_up: bool,
}

impl Order {
    pub fn open(&self, now: OffsetDateTime) -> bool {
        self.paid.is_none() && !self.given_up && now < self.expires
    }
}

#[derive(Clone, Debug)]
pub struct Payout {
    pub transaction_id: String,
    pub amount: Money,
    pub receiver: String,
    pub desc: String,
}

#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub tokens_issued: u64,
    pub unauthorized: u64,
    pub create_calls: u64,
    pub orders_created: u64,
    pub payments: u64,
    pub transfert_calls: u64,
    pub payouts: u64,
}

pub struct State {
    pub client_id: String,
    pub client_secret: String,
    pub revoked: bool,
    /// Bearer token -> its expiry.
    pub tokens: HashMap<String, OffsetDateTime>,
    pub orders: BTreeMap<String, Order>,
    /// Payment token -> orderId.
    pub by_token: HashMap<String, String>,
    /// transaction_id -> orderId.
    pub by_transaction: HashMap<String, String>,
    pub accounts: BTreeMap<String, Account>,
    /// reference -> payout.
    pub payouts: BTreeMap<String, Payout>,
    pub prefunded: Money,
    pub counters: Counters,
    next_transaction: u64,
}

/// Why a customer or payout action did not happen, as the page or the API says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    Forbidden(String),
    Invalid(String),
}

impl State {
    pub fn new(client_id: &str, client_secret: &str) -> State {
        State {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            revoked: false,
            tokens: HashMap::new(),
            orders: BTreeMap::new(),
            by_token: HashMap::new(),
            by_transaction: HashMap::new(),
            accounts: BTreeMap::new(),
            payouts: BTreeMap::new(),
            prefunded: Money::from_minor(2_981_402_118, HTG),
            counters: Counters::default(),
            next_transaction: 12_874_820,
        }
    }

    pub fn sweep(&mut self, now: OffsetDateTime) {
        self.tokens.retain(|_, expires| *expires > now);
    }

    /// A fresh random token, URL-safe.
    pub fn random_token(bytes: usize) -> String {
        use base64::Engine;
        let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn issue_token(&mut self, now: OffsetDateTime) -> String {
        let token = State::random_token(24);
        self.tokens
            .insert(token.clone(), now + time::Duration::seconds(TOKEN_SECONDS));
        self.counters.tokens_issued += 1;
        token
    }

    /// Whether a bearer token is valid now.
    pub fn token_valid(&self, token: &str, now: OffsetDateTime) -> bool {
        !self.revoked && self.tokens.get(token).is_some_and(|e| *e > now)
    }

    fn transaction_id(&mut self) -> String {
        self.next_transaction += 1;
        self.next_transaction.to_string()
    }

    /// CreatePayment: a new order, or the same order again (orderId is the idempotency key).
    /// `Err` when the orderId is known with another amount.
    pub fn create(
        &mut self,
        order_id: &str,
        amount: Money,
        now: OffsetDateTime,
    ) -> Result<Order, Refusal> {
        self.counters.create_calls += 1;
        if let Some(o) = self.orders.get(order_id) {
            if o.amount != amount {
                return Err(Refusal::Invalid(format!(
                    "orderId {order_id} was created for another amount"
                )));
            }
            return Ok(o.clone());
        }
        let order = Order {
            order_id: order_id.to_string(),
            amount,
            token: State::random_token(32),
            created: now,
            expires: now + time::Duration::seconds(PAYMENT_TOKEN_SECONDS),
            paid: None,
            given_up: false,
        };
        self.counters.orders_created += 1;
        self.by_token
            .insert(order.token.clone(), order_id.to_string());
        self.orders.insert(order_id.to_string(), order.clone());
        Ok(order)
    }

    pub fn order_by_token(&self, token: &str) -> Option<&Order> {
        self.orders.get(self.by_token.get(token)?)
    }

    /// The customer pays an order from their wallet, on the payment page or by the autopilot.
    pub fn pay(
        &mut self,
        order_id: &str,
        phone: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<String, Refusal> {
        let order = self
            .orders
            .get(order_id)
            .ok_or_else(|| Refusal::NotFound(format!("no payment for order {order_id}")))?;
        if order.paid.is_some() {
            return Err(Refusal::Forbidden("this payment was made already".into()));
        }
        if order.given_up {
            return Err(Refusal::Forbidden("this payment was cancelled".into()));
        }
        if now >= order.expires {
            return Err(Refusal::Forbidden("this payment has expired".into()));
        }
        let amount = order.amount;
        let phone = &self::phone(phone);
        let account = self
            .accounts
            .get_mut(phone)
            .ok_or_else(|| Refusal::NotFound(format!("no MonCash account {phone}")))?;
        if account.pin != pin {
            return Err(Refusal::Forbidden("wrong PIN".into()));
        }
        let left = account
            .balance
            .checked_sub(amount)
            .ok()
            .filter(|m| m.minor() >= 0)
            .ok_or_else(|| Refusal::Forbidden("insufficient balance".into()))?;
        account.balance = left;
        let transaction_id = self.transaction_id();
        self.by_transaction
            .insert(transaction_id.clone(), order_id.to_string());
        if let Some(o) = self.orders.get_mut(order_id) {
            o.paid = Some(Paid {
                transaction_id: transaction_id.clone(),
                payer: phone.to_string(),
            });
        }
        self.counters.payments += 1;
        Ok(transaction_id)
    }

    pub fn give_up(&mut self, order_id: &str, now: OffsetDateTime) -> Result<(), Refusal> {
        match self.orders.get_mut(order_id) {
            Some(o) if o.open(now) => {
                o.given_up = true;
                Ok(())
            }
            Some(_) => Err(Refusal::Forbidden("this payment is not open".into())),
            None => Err(Refusal::NotFound(format!(
                "no payment for order {order_id}"
            ))),
        }
    }

    /// Transfert: the same reference again answers the first payout (never a second one).
    pub fn transfer(
        &mut self,
        receiver: &str,
        amount: Money,
        desc: &str,
        reference: &str,
    ) -> Result<Payout, Refusal> {
        self.counters.transfert_calls += 1;
        if let Some(p) = self.payouts.get(reference) {
            return Ok(p.clone());
        }
        if !amount.is_positive() {
            return Err(Refusal::Invalid("The amount is incorrect".into()));
        }
        let account = self
            .accounts
            .get(receiver)
            .ok_or_else(|| Refusal::NotFound("Receiver account not found".into()))?;
        let after = account
            .balance
            .checked_add(amount)
            .map_err(|_| Refusal::Forbidden("Maximum Account Balance".into()))?;
        if after.minor() > account.max_balance.minor() {
            return Err(Refusal::Forbidden("Maximum Account Balance".into()));
        }
        let prefunded = self
            .prefunded
            .checked_sub(amount)
            .ok()
            .filter(|m| m.minor() >= 0)
            .ok_or_else(|| Refusal::Forbidden("Insufficient prefunded balance".into()))?;
        self.prefunded = prefunded;
        if let Some(a) = self.accounts.get_mut(receiver) {
            a.balance = after;
        }
        let payout = Payout {
            transaction_id: self.transaction_id(),
            amount,
            receiver: receiver.to_string(),
            desc: desc.to_string(),
        };
        self.payouts.insert(reference.to_string(), payout.clone());
        self.counters.payouts += 1;
        Ok(payout)
    }

    /// A reference for a payout sent without one (the document's sample PHP omits it).
    pub fn generated_reference(&mut self) -> String {
        format!("auto-{}", self.transaction_id())
    }
}

/// A MonCash account number: 8 digits are a Haitian number without the 509 country code.
pub fn phone(text: &str) -> String {
    let t = text.trim().trim_start_matches('+');
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("509{t}")
    } else {
        t.to_string()
    }
}

/// A JSON number as Java prints a `double` given to `BigDecimal`: the exact decimal value of the
/// binary float nearest `m` (`29814021.18` -> `29814021.179999999701976776123046875`-like tails),
/// as the document's PrefundedBalance shows. Exact arithmetic on decimal digits, no float
/// printing.
pub fn exact_binary_decimal(m: Money) -> String {
    let value = m.minor() as f64 / 100.0;
    if !value.is_finite() || value == 0.0 {
        return "0".into();
    }
    let bits = value.abs().to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp2) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), exponent - 1075)
    };
    // value = mantissa * 2^exp2. Digits little-endian, base 10.
    let mut digits: Vec<u8> = mantissa
        .to_string()
        .bytes()
        .rev()
        .map(|b| b - b'0')
        .collect();
    let multiply = |digits: &mut Vec<u8>, by: u8| {
        let mut carry = 0u16;
        for d in digits.iter_mut() {
            let v = u16::from(*d) * u16::from(by) + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    };
    let mut scale = 0usize;
    if exp2 >= 0 {
        for _ in 0..exp2 {
            multiply(&mut digits, 2);
        }
    } else {
        // m * 2^-k = m * 5^k / 10^k
        for _ in 0..(-exp2) {
            multiply(&mut digits, 5);
        }
        scale = (-exp2) as usize;
    }
    while digits.len() <= scale {
        digits.push(0);
    }
    let text: String = digits.iter().rev().map(|d| char::from(b'0' + d)).collect();
    let (int, frac) = text.split_at(text.len() - scale);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = frac.trim_end_matches('0');
    let sign = if m.minor() < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// An amount as MonCash's Java writes a `double` (`10`, `12.5`; `100.0` with `java_double`).
pub fn plain_number(m: Money, java_double: bool) -> String {
    let text = m.to_decimal_string();
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if java_double && !trimmed.contains('.') {
        format!("{trimmed}.0")
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_carry_the_binary_tail_and_read_back_exactly() {
        let m = Money::from_minor(2_981_402_118, HTG);
        let text = exact_binary_decimal(m);
        assert!(text.starts_with("29814021.17999999"), "{text}");
        assert!(text.len() > 20, "{text}");
        assert_eq!(Money::parse_json_number(&text, HTG), Ok(m));
        assert_eq!(exact_binary_decimal(Money::from_minor(1000, HTG)), "10");
        assert_eq!(exact_binary_decimal(Money::from_minor(50, HTG)), "0.5");
        assert_eq!(plain_number(Money::from_minor(1000, HTG), false), "10");
        assert_eq!(plain_number(Money::from_minor(10_000, HTG), true), "100.0");
        assert_eq!(plain_number(Money::from_minor(1250, HTG), true), "12.5");
    }
}
