//! Samples of the provider services' pages and the agent PIN (`kassa screens`).

use super::*;

/// The provider services' pages and the agent PIN, after the others so their names stay put.
pub(super) fn services() -> Vec<(&'static str, Screen)> {
    let field = |label: &str, shown: &str, active: bool| Field {
        label: label.into(),
        shown: shown.into(),
        active,
    };
    let line = |label: &str, value: &str| InfoLine {
        label: label.into(),
        value: value.into(),
    };
    let bill_fields = vec![
        field("Biller", "Electricity (CEB)", false),
        field("Account number", "0712345", true),
        field("Amount", "", false),
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
                    field("Biller", "", true),
                    field("Account number", "", false),
                    field("Amount", "", false),
                ],
                choices: vec![
                    "Electricity (CEB)".into(),
                    "Water (NWSDB)".into(),
                    "Telephone (SLT)".into(),
                    "Dialog TV".into(),
                ],
                hint: "Tap one, or press its number".into(),
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
                hint: "Type the digits and press Enter".into(),
                error: Some("Account number: 8 to 12 digits".into()),
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
                error: Some("It did not work: MonCash could not be reached (timeout)".into()),
            },
        ),
    ]
}
