//! iCash's services in the supervisor menu: the merchant's balance, the statement of the day,
//! a voucher check (none of these moves money: `Operation::Query`), and voucher redemption,
//! a merchant top-up that moves money and so runs as a sale (`Flow::Service`).

use crate::core::provider::{Failure, FailureKind};
use crate::core::provider::{FieldInput, FieldSpec, FieldValue, InfoLine, ServiceId, ServiceSpec};
use crate::money::Money;

use super::client::{StatementPage, VoucherCheck, mask_card};
use super::wire::{self, CURRENCY};

pub const BALANCE: &str = "balance";
pub const STATEMENT: &str = "statement";
pub const VOUCHER_CHECK: &str = "voucher-check";
pub const VOUCHER_REDEEM: &str = "voucher-redeem";

fn voucher_field() -> FieldSpec {
    FieldSpec {
        label: "Voucher number".into(),
        input: FieldInput::Digits { min: 6, max: 20 },
    }
}

/// What the menu offers.
pub fn specs() -> Vec<ServiceSpec> {
    vec![
        ServiceSpec {
            id: ServiceId::new(BALANCE),
            label: "iCash balance".into(),
            fields: Vec::new(),
            moves_money: false,
        },
        ServiceSpec {
            id: ServiceId::new(STATEMENT),
            label: "iCash statement of the day".into(),
            fields: Vec::new(),
            moves_money: false,
        },
        ServiceSpec {
            id: ServiceId::new(VOUCHER_CHECK),
            label: "Check an iCash voucher".into(),
            fields: vec![
                voucher_field(),
                FieldSpec {
                    label: "Voucher value".into(),
                    input: FieldInput::Amount,
                },
            ],
            moves_money: false,
        },
        ServiceSpec {
            id: ServiceId::new(VOUCHER_REDEEM),
            label: "Redeem an iCash voucher (top-up)".into(),
            fields: vec![voucher_field()],
            moves_money: true,
        },
    ]
}

fn refused(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Rejected, message)
}

/// The voucher number of a service's inputs (its first field).
pub fn voucher(inputs: &[FieldValue]) -> Result<String, Failure> {
    match inputs.first() {
        Some(FieldValue::Digits(d)) if (6..=20).contains(&d.len()) => Ok(d.clone()),
        _ => Err(refused("a voucher number of 6 to 20 digits is needed")),
    }
}

/// The voucher value of the voucher check (its second field), in LYD.
pub fn voucher_value(inputs: &[FieldValue]) -> Result<Money, Failure> {
    match inputs.get(1) {
        Some(FieldValue::Amount(m)) if m.currency() == CURRENCY && m.is_positive() => Ok(*m),
        Some(FieldValue::Amount(m)) => Err(refused(format!(
            "a voucher value in {CURRENCY} is needed, not {m}"
        ))),
        _ => Err(refused("the voucher's value is needed")),
    }
}

/// A voucher number for people: its last four digits.
pub fn masked_voucher(v: &str) -> String {
    mask_card(v)
}

fn line(label: impl Into<String>, value: impl Into<String>) -> InfoLine {
    InfoLine {
        label: label.into(),
        value: value.into(),
    }
}

pub fn balance_lines(balance: Money) -> Vec<InfoLine> {
    vec![line("Balance", balance.to_string())]
}

/// The statement of the day, oldest first: opening balance, each operation with its time,
/// description (Arabic as iCash writes it) and signed amount, closing balance.
pub fn statement_lines(page: &StatementPage) -> Vec<InfoLine> {
    let mut lines = Vec::new();
    let oldest = page.entries.last();
    let opening = oldest.map_or(page.current_balance, |e| e.opening);
    lines.push(line("Opening balance", opening.to_string()));
    for e in page.entries.iter().rev() {
        let date = wire::format_statement_date(e.at);
        let clock = date.split_once(' ').map_or(date.as_str(), |(_, c)| c);
        let sign_amount = if e.credit.is_positive() {
            format!("+{}", e.credit.to_decimal_string())
        } else {
            format!("-{}", e.debit.to_decimal_string())
        };
        let desc = if e.desc.trim().is_empty() {
            format!("operation {}", e.id)
        } else {
            e.desc.trim().to_string()
        };
        lines.push(line(format!("{clock}  {desc}"), sign_amount));
    }
    if page.entries.is_empty() {
        lines.push(line("Operations", "none today"));
    }
    lines.push(line("Closing balance", page.current_balance.to_string()));
    lines
}

pub fn voucher_lines(v: &VoucherCheck) -> Vec<InfoLine> {
    let state = if v.valid {
        "valid: can be redeemed".to_string()
    } else {
        match &v.charge_date {
            Some(d) if !d.is_empty() => format!("not valid: used {d}"),
            _ => "not valid".to_string(),
        }
    };
    vec![
        line("Voucher", masked_voucher(&v.secret_no)),
        line("Value", v.amount.to_string()),
        line("State", state),
        line("Network", v.network.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::icash::wire::Entry;
    use time::macros::datetime;

    fn lyd(minor: i64) -> Money {
        Money::from_minor(minor, CURRENCY)
    }

    #[test]
    fn the_statement_reads_oldest_first_with_consistent_balances() {
        let page = StatementPage {
            current_balance: lyd(19_000),
            entries: vec![
                Entry {
                    id: "2".into(),
                    debit: lyd(0),
                    credit: lyd(10_000),
                    opening: lyd(9_000),
                    closing: lyd(19_000),
                    at: datetime!(2019-12-02 18:41:52 UTC),
                    desc: "شحن رصيد ببطاقة تعبئة".into(),
                    note: String::new(),
                    seller_desc: String::new(),
                    op_type: 15,
                    second_party: "0".into(),
                },
                Entry {
                    id: "1".into(),
                    debit: lyd(1_000),
                    credit: lyd(0),
                    opening: lyd(10_000),
                    closing: lyd(9_000),
                    at: datetime!(2019-12-02 18:36:31 UTC),
                    desc: "تحويل مالي".into(),
                    note: String::new(),
                    seller_desc: "Hi".into(),
                    op_type: -1,
                    second_party: "1000100550".into(),
                },
            ],
        };
        let lines = statement_lines(&page);
        assert_eq!(lines[0], line("Opening balance", "10.000 LYD"));
        assert_eq!(lines[1], line("8:36:31 PM  تحويل مالي", "-1.000"));
        assert_eq!(
            lines[2],
            line("8:41:52 PM  شحن رصيد ببطاقة تعبئة", "+10.000")
        );
        assert_eq!(lines[3], line("Closing balance", "19.000 LYD"));
    }

    #[test]
    fn service_inputs_are_checked_and_vouchers_masked() {
        assert!(voucher(&[]).is_err());
        assert!(voucher(&[FieldValue::Digits("123".into())]).is_err());
        assert_eq!(
            voucher(&[FieldValue::Digits("75311972192799".into())]).unwrap(),
            "75311972192799"
        );
        let v = VoucherCheck {
            secret_no: "75311972192799".into(),
            amount: lyd(10_000),
            valid: false,
            network: "1".into(),
            charge_date: Some("2019-10-16T22:13:41".into()),
        };
        let text = format!("{:?}", voucher_lines(&v));
        assert!(!text.contains("7531197219"), "{text}");
        assert!(text.contains("****2799") && text.contains("used 2019-10-16T22:13:41"));
        assert!(
            voucher_value(&[
                FieldValue::Digits("1".into()),
                FieldValue::Amount(Money::from_minor(1, crate::money::Currency::NOK))
            ])
            .is_err()
        );
    }
}
