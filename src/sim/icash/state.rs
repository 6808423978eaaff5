//! The iCash simulator's world: merchants who log in, card accounts with balances and
//! statements (every booking writes its opening and closing balance), bearer tokens, payment
//! codes, vouchers and the open payment QRs. Amounts are LYD minor units (thousandths).

use std::collections::{BTreeMap, HashMap};

use rand::distr::{Alphanumeric, SampleString};
use time::OffsetDateTime;

use crate::providers::icash::config::demo;
pub use crate::providers::icash::qr::qr_id;
use crate::providers::icash::wire::LIBYA;

/// A token lives 14 days less a second (NOTES: `expires_in` 1209599).
pub const TOKEN_SECONDS: i64 = 1_209_599;
/// A payment code a customer generates is good for this long.
pub const CODE_MINUTES: i64 = 15;
/// An unpaid payment QR is forgotten after this long.
pub const QR_MINUTES: i64 = 60;

/// `opType`s: the document shows 15 (voucher top-up) and -1 (money transfer, sender side);
/// the rest are the simulator's own (the document has no table).
pub mod op {
    pub const VOUCHER_TOPUP: i64 = 15;
    pub const TRANSFER_OUT: i64 = -1;
    pub const TRANSFER_IN: i64 = 1;
    pub const INVOICE_PAID: i64 = 20;
    pub const INVOICE_PAYMENT: i64 = -20;
    pub const QR_PAID: i64 = 21;
    pub const QR_PAYMENT: i64 = -21;
}

/// An error answer: HTTP status and ASP.NET's `Message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub u16, pub String);

pub fn bad(message: impl Into<String>) -> Refusal {
    Refusal(400, message.into())
}

#[derive(Clone, Debug)]
pub struct Merchant {
    pub username: String,
    pub password: String,
    pub card: String,
    pub shops: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub id: u64,
    pub debit: i64,
    pub credit: i64,
    pub at: OffsetDateTime,
    pub desc: String,
    pub note: String,
    pub seller_desc: String,
    pub opening: i64,
    pub closing: i64,
    pub op_type: i64,
    pub second_party: String,
    pub second_party_account_id: String,
}

#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    pub account_id: u32,
    pub balance: i64,
    pub pin: String,
    /// Oldest first.
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub expires: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct PayCode {
    pub card: String,
    pub shop: u32,
    pub amount: i64,
    pub expires: OffsetDateTime,
    pub used: bool,
}

#[derive(Clone, Debug)]
pub struct Voucher {
    pub value: i64,
    pub network: u32,
    pub charged: Option<OffsetDateTime>,
}

/// An open payment QR: what the image says, waiting for a customer to scan and pay.
#[derive(Clone, Debug)]
pub struct Invoice {
    pub payload: String,
    pub merchant_card: String,
    pub shop: u32,
    pub amount: i64,
    pub created: OffsetDateTime,
}

#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub token_requests: u64,
    pub tokens_issued: u64,
    pub unauthorized: u64,
    pub qr_invoices_created: u64,
    pub invoices_paid: u64,
    pub qr_payments: u64,
    pub transfers: u64,
    pub vouchers_redeemed: u64,
}

pub struct State {
    pub merchants: Vec<Merchant>,
    pub accounts: BTreeMap<String, Account>,
    pub sessions: HashMap<String, Session>,
    pub codes: BTreeMap<String, PayCode>,
    pub vouchers: BTreeMap<String, Voucher>,
    pub invoices: BTreeMap<String, Invoice>,
    pub next_op: u64,
    pub revoked: bool,
    pub counters: Counters,
}

/// The QR text for a merchant's shop and amount: the same inputs give the same QR.
pub fn qr_payload(card: &str, shop: u32, amount: i64) -> String {
    format!("ICASH|{card}|{shop}|{}", decimal(amount))
}

/// Thousandths as decimal text with the trailing zeros dropped (`12.5`, `10`, `0.001`), as
/// iCash's JSON numbers show them.
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (whole, frac) = (abs / 1000, abs % 1000);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let f = format!("{frac:03}");
        format!("{sign}{whole}.{}", f.trim_end_matches('0'))
    }
}

/// A form amount (`12.345`, `25`, `0.5`) in thousandths: positive, at most 3 decimals.
pub fn parse_amount(text: &str) -> Result<i64, Refusal> {
    let t = text.trim();
    let bad_amount = || bad(format!("The value '{t}' is not valid for Amount."));
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad_amount());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 3 {
        return Err(bad("Amount has more than 3 decimals."));
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad_amount())?
    };
    let f: i64 = format!("{frac:0<3}").parse().map_err(|_| bad_amount())?;
    let minor = w.checked_mul(1000).and_then(|m| m.checked_add(f));
    match minor {
        Some(m) if m > 0 => Ok(m),
        Some(_) => Err(bad("Amount must be greater than zero.")),
        None => Err(bad_amount()),
    }
}

impl State {
    pub fn new(now: OffsetDateTime) -> State {
        let mut s = State {
            merchants: vec![Merchant {
                username: demo::USERNAME.to_string(),
                password: demo::PASSWORD.to_string(),
                card: demo::CARD.to_string(),
                shops: vec![1, demo::SHOP],
            }],
            accounts: BTreeMap::new(),
            sessions: HashMap::new(),
            codes: BTreeMap::new(),
            vouchers: BTreeMap::new(),
            invoices: BTreeMap::new(),
            next_op: 109_960,
            revoked: false,
            counters: Counters::default(),
        };
        s.open(demo::CARD, "متجر كاسا التجريبي", 8365, 0);
        s.open(demo::CUSTOMER_CARD, "سالم", 171, 5_000_000);
        s.open("1000100550", "فاطمة", 172, 250_000);
        s.open("1000107777", "علي", 173, 1_000);
        for (secret, value, charged) in [
            ("75311972192799", 10_000, None),
            ("75311972190001", 25_000, None),
            ("75311972190002", 50_000, None),
            (
                "75311972199999",
                10_000,
                Some(time::macros::datetime!(2019-10-16 20:13:41 UTC)),
            ),
        ] {
            s.vouchers.insert(
                secret.to_string(),
                Voucher {
                    value,
                    network: 1,
                    charged,
                },
            );
        }
        // The document's statement: two top-ups and a transfer earlier today.
        let earlier = now - time::Duration::hours(2);
        s.book_topup(demo::CARD, 10_000, earlier);
        let _ = s.transfer(
            demo::CARD,
            "1000100550",
            1_000,
            "Hi",
            earlier + time::Duration::minutes(5),
        );
        s.book_topup(demo::CARD, 10_000, earlier + time::Duration::minutes(10));
        s
    }

    pub fn open(&mut self, card: &str, name: &str, account_id: u32, balance: i64) {
        self.accounts.insert(
            card.to_string(),
            Account {
                name: name.to_string(),
                account_id,
                balance,
                pin: "12345".to_string(),
                rows: Vec::new(),
            },
        );
    }

    fn op_id(&mut self) -> u64 {
        self.next_op += 1;
        self.next_op
    }

    /// Books one line on `card`: balance, opening and closing move together.
    #[allow(clippy::too_many_arguments)]
    fn book(
        &mut self,
        card: &str,
        id: u64,
        delta: i64,
        at: OffsetDateTime,
        desc: String,
        note: &str,
        seller_desc: &str,
        op_type: i64,
        second_party: &str,
    ) {
        let second_id = self
            .accounts
            .get(second_party)
            .map_or_else(|| "606".to_string(), |a| a.account_id.to_string());
        if let Some(a) = self.accounts.get_mut(card) {
            let opening = a.balance;
            a.balance += delta;
            a.rows.push(Row {
                id,
                debit: (-delta).max(0),
                credit: delta.max(0),
                at,
                desc,
                note: note.to_string(),
                seller_desc: seller_desc.to_string(),
                opening,
                closing: a.balance,
                op_type,
                second_party: second_party.to_string(),
                second_party_account_id: second_id,
            });
        }
    }

    fn book_topup(&mut self, card: &str, value: i64, at: OffsetDateTime) -> u64 {
        let id = self.op_id();
        self.book(
            card,
            id,
            value,
            at,
            "شحن رصيد ببطاقة تعبئة".to_string(),
            "",
            "",
            op::VOUCHER_TOPUP,
            "0",
        );
        id
    }

    fn account(&self, card: &str) -> Result<&Account, Refusal> {
        self.accounts
            .get(card)
            .ok_or_else(|| bad(format!("The iCash card number {card} is not valid.")))
    }

    fn merchant(&self, username: &str) -> Option<&Merchant> {
        self.merchants
            .iter()
            .find(|m| m.username.eq_ignore_ascii_case(username))
    }

    /// `POST /Token`: a new session, or `None` for a wrong user name or password.
    pub fn login(&mut self, username: &str, password: &str, now: OffsetDateTime) -> Option<String> {
        self.counters.token_requests += 1;
        let ok = !self.revoked
            && self
                .merchant(username)
                .is_some_and(|m| m.password == password);
        if !ok {
            self.counters.unauthorized += 1;
            return None;
        }
        let token = Alphanumeric.sample_string(&mut rand::rng(), 160);
        self.sessions.insert(
            token.clone(),
            Session {
                username: username.to_string(),
                expires: now + time::Duration::seconds(TOKEN_SECONDS),
            },
        );
        self.counters.tokens_issued += 1;
        Some(token)
    }

    /// The merchant behind a bearer token, or `None` (401).
    pub fn session(&mut self, token: &str, now: OffsetDateTime) -> Option<Merchant> {
        let valid = !self.revoked && self.sessions.get(token).is_some_and(|s| now < s.expires);
        let merchant = valid
            .then(|| self.sessions.get(token).map(|s| s.username.clone()))
            .flatten()
            .and_then(|u| self.merchant(&u).cloned());
        if merchant.is_none() {
            self.counters.unauthorized += 1;
        }
        merchant
    }

    /// The caller's `iCashCardNumber` must be its own card.
    pub fn own_card(&self, m: &Merchant, card: Option<&str>) -> Result<String, Refusal> {
        match card {
            Some(c) if c == m.card => Ok(m.card.clone()),
            Some(c) => Err(bad(format!(
                "The iCash card number {c} does not belong to this account."
            ))),
            None => Err(bad("The request is invalid. iCashCardNumber is required.")),
        }
    }

    pub fn balance(&self, card: &str) -> Result<i64, Refusal> {
        Ok(self.account(card)?.balance)
    }

    /// Rows of Libya days `from..=to`, newest first, at most `n`.
    pub fn statement(
        &self,
        card: &str,
        from: time::Date,
        to: time::Date,
        n: usize,
    ) -> Result<(i64, Vec<Row>), Refusal> {
        let a = self.account(card)?;
        let rows = a
            .rows
            .iter()
            .rev()
            .filter(|r| {
                let d = r.at.to_offset(LIBYA).date();
                from <= d && d <= to
            })
            .take(n)
            .cloned()
            .collect();
        Ok((a.balance, rows))
    }

    pub fn transfer(
        &mut self,
        from: &str,
        to: &str,
        amount: i64,
        message: &str,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        self.account(to)?;
        if from == to {
            return Err(bad("Cannot transfer money to the same card."));
        }
        if self.account(from)?.balance < amount {
            return Err(bad("Insufficient balance."));
        }
        let id = self.op_id();
        let number = id % 100_000;
        self.book(
            from,
            id,
            -amount,
            now,
            format!("تحويل مالي رقم {number} إلى  {to}"),
            "",
            message,
            op::TRANSFER_OUT,
            to,
        );
        self.book(
            to,
            id,
            amount,
            now,
            format!("تحويل مالي رقم {number} من  {from}"),
            "",
            message,
            op::TRANSFER_IN,
            from,
        );
        self.counters.transfers += 1;
        Ok(id)
    }

    /// A one-time payment code for `card` to pay `amount` at `shop`.
    pub fn generate_code(
        &mut self,
        card: &str,
        shop: u32,
        amount: i64,
        now: OffsetDateTime,
    ) -> Result<String, Refusal> {
        self.account(card)?;
        if shop == 0 {
            return Err(bad("The ShopNumber is not valid."));
        }
        let code = loop {
            let n: u32 = rand::random_range(1_000_000..10_000_000);
            let c = n.to_string();
            if !self.codes.contains_key(&c) && c != demo::CUSTOMER_CODE {
                break c;
            }
        };
        self.codes.insert(
            code.clone(),
            PayCode {
                card: card.to_string(),
                shop,
                amount,
                expires: now + time::Duration::minutes(CODE_MINUTES),
                used: false,
            },
        );
        Ok(code)
    }

    pub fn can_purchase(&self, customer: &str, amount: i64) -> Result<bool, Refusal> {
        Ok(self.account(customer)?.balance >= amount)
    }

    /// `PayInvoice`: the code must be the customer's, for this amount, at one of the merchant's
    /// shops, unused and unexpired (the demo customer's standing test code excepted).
    pub fn pay_invoice(
        &mut self,
        m: &Merchant,
        customer: &str,
        total: i64,
        code: &str,
        description: &str,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        self.account(customer)?;
        let standing = customer == demo::CUSTOMER_CARD && code == demo::CUSTOMER_CODE;
        if !standing {
            let c = self
                .codes
                .get(code)
                .ok_or_else(|| bad("The payment code is not valid."))?;
            if c.card != customer {
                return Err(bad("The payment code is not valid."));
            }
            if c.used {
                return Err(bad("The payment code has been used."));
            }
            if now >= c.expires {
                return Err(bad("The payment code has expired."));
            }
            if c.amount != total {
                return Err(bad("The invoice amount does not match the payment code."));
            }
            if !m.shops.contains(&c.shop) {
                return Err(bad("The payment code was made for another shop."));
            }
        }
        if self.account(customer)?.balance < total {
            return Err(bad("Insufficient balance."));
        }
        if let Some(c) = self.codes.get_mut(code) {
            c.used = true;
        }
        let id = self.op_id();
        self.book(
            customer,
            id,
            -total,
            now,
            format!("دفع فاتورة إلى {}", m.card),
            description,
            "",
            op::INVOICE_PAYMENT,
            &m.card,
        );
        self.book(
            &m.card,
            id,
            total,
            now,
            format!("دفع فاتورة من البطاقة {customer}"),
            description,
            "",
            op::INVOICE_PAID,
            customer,
        );
        self.counters.invoices_paid += 1;
        Ok(id)
    }

    /// `GeneratePaymentQR`: the open QR for this shop and amount, made if there is none.
    pub fn payment_qr(
        &mut self,
        m: &Merchant,
        shop: u32,
        amount: i64,
        now: OffsetDateTime,
    ) -> Result<String, Refusal> {
        if !m.shops.contains(&shop) {
            return Err(bad(format!(
                "The ShopID {shop} is not valid for this merchant."
            )));
        }
        let payload = qr_payload(&m.card, shop, amount);
        if !self.invoices.contains_key(&payload) {
            self.invoices.insert(
                payload.clone(),
                Invoice {
                    payload: payload.clone(),
                    merchant_card: m.card.clone(),
                    shop,
                    amount,
                    created: now,
                },
            );
            self.counters.qr_invoices_created += 1;
        }
        Ok(payload)
    }

    /// The open QR whose text, or whose id ([`qr_id`]), is `payload`.
    pub fn open_qr(&self, payload: &str) -> Option<&Invoice> {
        self.invoices.get(payload).or_else(|| {
            self.invoices
                .values()
                .find(|i| qr_id(&i.payload) == payload)
        })
    }

    /// A customer scanned the QR `payload` (its text or its id) and pays it from `card`.
    pub fn pay_qr(
        &mut self,
        payload: &str,
        card: &str,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        let inv = self
            .open_qr(payload)
            .cloned()
            .ok_or_else(|| Refusal(404, "No such payment QR is open.".into()))?;
        let payload = inv.payload.as_str();
        if self.account(card)?.balance < inv.amount {
            return Err(bad("Insufficient balance."));
        }
        self.invoices.remove(payload);
        let id = self.op_id();
        self.book(
            card,
            id,
            -inv.amount,
            now,
            format!("دفع بواسطة رمز QR إلى {}", inv.merchant_card),
            "",
            "",
            op::QR_PAYMENT,
            &inv.merchant_card,
        );
        self.book(
            &inv.merchant_card,
            id,
            inv.amount,
            now,
            format!("دفع بواسطة رمز QR من البطاقة {card}"),
            "",
            "",
            op::QR_PAID,
            card,
        );
        self.counters.qr_payments += 1;
        Ok(id)
    }

    pub fn voucher(&self, secret: &str, value: i64) -> Result<&Voucher, Refusal> {
        match self.vouchers.get(secret) {
            Some(v) if v.value == value => Ok(v),
            _ => Err(bad("The voucher is not valid.")),
        }
    }

    pub fn redeem(
        &mut self,
        card: &str,
        secret: &str,
        value: i64,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        if self.voucher(secret, value)?.charged.is_some() {
            return Err(bad("The voucher has already been used."));
        }
        if let Some(v) = self.vouchers.get_mut(secret) {
            v.charged = Some(now);
        }
        self.counters.vouchers_redeemed += 1;
        Ok(self.book_topup(card, value, now))
    }

    /// PIN rules: 4 to 6 digits, typed twice alike, not one digit repeated.
    pub fn set_pin(&mut self, card: &str, pin: &str, confirm: &str) -> Result<bool, Refusal> {
        self.account(card)?;
        let ok = pin == confirm
            && (4..=6).contains(&pin.len())
            && pin.bytes().all(|b| b.is_ascii_digit())
            && !pin.bytes().all(|b| Some(&b) == pin.as_bytes().first());
        if ok && let Some(a) = self.accounts.get_mut(card) {
            a.pin = pin.to_string();
        }
        Ok(ok)
    }

    /// Forgets expired sessions, codes and unpaid QRs.
    pub fn sweep(&mut self, now: OffsetDateTime) {
        self.sessions.retain(|_, s| now < s.expires);
        self.codes
            .retain(|_, c| now < c.expires + time::Duration::hours(1));
        self.invoices
            .retain(|_, i| now < i.created + time::Duration::minutes(QR_MINUTES));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn state() -> (State, OffsetDateTime) {
        let now = datetime!(2026-12-02 10:00:00 UTC);
        (State::new(now), now)
    }

    #[test]
    fn every_booking_keeps_opening_and_closing_consistent() {
        let (mut s, now) = state();
        let m = s.merchants[0].clone();
        s.pay_invoice(
            &m,
            demo::CUSTOMER_CARD,
            12_345,
            demo::CUSTOMER_CODE,
            "k1",
            now,
        )
        .unwrap();
        s.transfer(demo::CARD, demo::CUSTOMER_CARD, 2_345, "r1", now)
            .unwrap();
        for (card, a) in &s.accounts {
            let mut balance = a.rows.first().map_or(a.balance, |r| r.opening);
            for r in &a.rows {
                assert_eq!(r.opening, balance, "{card}");
                balance += r.credit - r.debit;
                assert_eq!(r.closing, balance, "{card}");
            }
            assert_eq!(balance, a.balance, "{card}");
        }
        assert_eq!(s.balance(demo::CARD).unwrap(), 19_000 + 12_345 - 2_345);
    }

    #[test]
    fn payment_codes_are_tied_to_card_shop_and_amount_and_expire() {
        let (mut s, now) = state();
        let m = s.merchants[0].clone();
        let code = s
            .generate_code(demo::CUSTOMER_CARD, demo::SHOP, 5_000, now)
            .unwrap();
        assert_eq!(code.len(), 7);
        let pay = |s: &mut State, card: &str, total: i64, at| {
            s.pay_invoice(&m, card, total, &code, "k", at)
        };
        assert!(pay(&mut s, demo::CUSTOMER_CARD, 5_001, now).is_err());
        assert!(pay(&mut s, "1000100550", 5_000, now).is_err());
        let late = now + time::Duration::minutes(CODE_MINUTES);
        assert_eq!(
            pay(&mut s, demo::CUSTOMER_CARD, 5_000, late).unwrap_err().1,
            "The payment code has expired."
        );
        pay(&mut s, demo::CUSTOMER_CARD, 5_000, now).unwrap();
        assert_eq!(
            pay(&mut s, demo::CUSTOMER_CARD, 5_000, now).unwrap_err().1,
            "The payment code has been used."
        );
        let other_shop = s
            .generate_code(demo::CUSTOMER_CARD, 77, 5_000, now)
            .unwrap();
        assert!(
            s.pay_invoice(&m, demo::CUSTOMER_CARD, 5_000, &other_shop, "k", now)
                .is_err()
        );
    }

    #[test]
    fn vouchers_are_valid_once_and_pins_follow_the_rules() {
        let (mut s, now) = state();
        s.redeem(demo::CARD, "75311972192799", 10_000, now).unwrap();
        assert!(s.redeem(demo::CARD, "75311972192799", 10_000, now).is_err());
        assert!(s.voucher("75311972190001", 1).is_err(), "value must match");
        assert!(s.set_pin(demo::CARD, "4821", "4821").unwrap());
        assert!(!s.set_pin(demo::CARD, "4821", "4822").unwrap());
        assert!(!s.set_pin(demo::CARD, "1111", "1111").unwrap());
        assert!(!s.set_pin(demo::CARD, "12a4", "12a4").unwrap());
    }

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_amount("12.345"), Ok(12_345));
        assert_eq!(parse_amount("25"), Ok(25_000));
        assert_eq!(parse_amount("0.500"), Ok(500));
        assert_eq!(parse_amount(".001"), Ok(1));
        assert!(parse_amount("0").is_err());
        assert!(parse_amount("1.0001").is_err());
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("1e3").is_err());
        assert_eq!(decimal(12_500), "12.5");
        assert_eq!(decimal(10_000), "10");
        assert_eq!(decimal(1), "0.001");
    }
}
