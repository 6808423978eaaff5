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
