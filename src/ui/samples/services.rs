//! Samples of the provider services' pages and the agent PIN (`kassa screens`).

use super::*;

/// The provider services' pages and the agent PIN, after the others so their names stay put.
pub(super) fn services() -> Vec<(&'static str, Screen)> {
    let field = |label: Label, shown: &str, active: bool| Field {
        label,
        shown: shown.into(),
        active,
    };
    let line = |label: &str, value: &str| InfoLine {
        label: label.into(),
        value: value.into(),
    };
    let bill_fields = vec![
        field(Label::Named("Biller".into()), "Electricity (CEB)", false),
        field(Label::Named("Account number".into()), "0712345", true),
        field(Label::Amount, "", false),
    ];
    vec![
        (
            "agent-pin",
            Screen::AgentPin {
                provider: "eZ Cash".into(),
                digits: 3,
                error: None,
                checking: false,
            },
        ),
        (
            "service-choice",
            Screen::ServiceForm {
                provider: "eZ Cash".into(),
                service: "Bill payment".into(),
                fields: vec![
                    field(Label::Named("Biller".into()), "", true),
                    field(Label::Named("Account number".into()), "", false),
                    field(Label::Amount, "", false),
                ],
                choices: vec![
                    "Electricity (CEB)".into(),
                    "Water (NWSDB)".into(),
                    "Telephone (SLT)".into(),
                    "Dialog TV".into(),
                ],
                hint: Hint::Choice,
                error: None,
            },
        ),
        (
            "service-form",
            Screen::ServiceForm {
                provider: "eZ Cash".into(),
                service: "Bill payment".into(),
                fields: bill_fields,
                choices: Vec::new(),
                hint: Hint::Digits,
                error: Some(Message::FieldDigits {
                    label: Label::Named("Account number".into()),
                    min: 8,
                    max: 12,
                }),
            },
        ),
        (
            "service-confirm",
            Screen::ServiceConfirm {
                provider: "eZ Cash".into(),
                service: "Bill payment".into(),
                amount: Money::from_minor(250_000, Currency::LKR),
                lines: vec![
                    line("Biller", "Electricity (CEB)"),
                    line("Account number", "07123456"),
                ],
            },
        ),
        (
            "service-waiting",
            Screen::ServiceWaiting {
                provider: "MonCash".into(),
                service: "Prefunded balance".into(),
            },
        ),
        (
            "service-info",
            Screen::ServiceInfo {
                provider: "iCash".into(),
                service: "Statement of the day".into(),
                lines: (0..14)
                    .map(|i| {
                        line(
                            &format!("09:{:02} تحويل رصيد", i * 4),
                            &format!("+{}.{:03} LYD", 10 + i, i * 125),
                        )
                    })
                    .collect(),
                error: None,
            },
        ),
        (
            "service-failed",
            Screen::ServiceInfo {
                provider: "MonCash".into(),
                service: "Prefunded balance".into(),
                lines: Vec::new(),
                error: Some(Message::ServiceFailed {
                    reason: "MonCash could not be reached (timeout)".into(),
                }),
            },
        ),
    ]
}

/// An invoice's amount due, asked (waiting) and answered (a part of it to pay), and a paid
/// invoice refused on the details before anything is sent.
pub(super) fn amount_due() -> Vec<(&'static str, Screen)> {
    let usd = |minor| Money::from_minor(minor, Currency::USD);
    let line = |label: &str, value: &str| InfoLine {
        label: label.into(),
        value: value.into(),
    };
    vec![
        (
            "amount-due-asking",
            Screen::AmountDue {
                provider: "iCheckGateway".into(),
                due: None,
                pay: None,
                lines: Vec::new(),
            },
        ),
        (
            "amount-due",
            Screen::AmountDue {
                provider: "iCheckGateway".into(),
                due: Some(usd(15_000)),
                pay: Some(usd(5_000)),
                lines: vec![
                    line("Invoice", "1002"),
                    line("Amount", "USD 250.00"),
                    line("Amount due", "USD 150.00"),
                    line("State", "Partially Paid"),
                    line("Description", "Electricity, November"),
                ],
            },
        ),
        (
            "invoice-refused",
            Screen::Customer {
                amount: usd(0),
                provider: "iCheckGateway".into(),
                fields: vec![Field {
                    label: Label::InvoiceNumber,
                    shown: "1003".into(),
                    active: true,
                }],
                hint: Hint::Invoice,
                error: Some(Message::DueRefused {
                    reason: "invoice 1003 is paid already".into(),
                }),
            },
        ),
    ]
}
