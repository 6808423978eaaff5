//! The core's typed messages ([`crate::core::message`]) in a person's language. Every sentence
//! is one whole template passed to [`tr`] or [`trn`] as written (so the catalogs can be
//! extracted from this file), with `{name}` placeholders [`fill`] replaces; amounts are written
//! by the locale; counts that change a word take the language's plural form.
//!
//! A provider's own words (a decline reason, a failure, a service's name) are set into the
//! translated sentence as they came: a French or Arabic reason stays French or Arabic beside
//! the translated heading.

use crate::core::locale::{Local, Locale};
use crate::core::message::{Checked, Hint, Label, MenuItem, Message, OutboxCall, Setting};
use crate::core::record::{Outcome, Restart};
use crate::core::sale::InputError;
use crate::core::settings::Mode;
use crate::core::summary::SummaryItem;
use crate::core::view::Notice;
use crate::ui::tr::{fill, tr, trn};

/// A message the core put on a screen (an error under a field, a notice on a supervisor page).
pub fn message(lang: Locale, m: &Message) -> String {
    use Message as M;
    let money = |m: &crate::money::Money| lang.money(*m);
    match m {
        M::AmountTooLarge { max } => fill(
            tr(lang, "The largest amount is {max}"),
            &[("max", &money(max))],
        ),
        M::TypeAmountFirst => tr(lang, "Type an amount first").into(),
        M::ProviderNeedsAmount { provider } => fill(
            tr(lang, "Type an amount first: {provider} needs one"),
            &[("provider", provider)],
        ),
        M::SalesStopped => tr(lang, "Sales are stopped: the journal cannot be written").into(),
        M::NoMethodEnabled => tr(lang, "No payment method is enabled").into(),
        M::SaleKeyFailed { why } => fill(
            tr(lang, "Terminal id cannot make a sale key: {reason}"),
            &[("reason", &input_error(lang, why))],
        ),
        M::NoWayToPay { provider } => fill(
            tr(lang, "{provider} offers no way to pay here"),
            &[("provider", provider)],
        ),
        M::ChooseOneTo { count } => fill(tr(lang, "Choose 1 to {count}"), &[("count", count)]),
        M::NoPushToPhone { provider } => fill(
            tr(lang, "{provider} does not push payment requests to phones"),
            &[("provider", provider)],
        ),
        M::ProviderLocked { provider } => fill(
            tr(
                lang,
                "{provider} is locked: type its agent PIN first (Menu > Unlock {provider})",
            ),
            &[("provider", provider)],
        ),
        M::Input(e) => input_error(lang, e),
        M::VendWrongCurrency { price, currency } => fill(
            tr(
                lang,
                "The machine asked for {price}, the terminal sells in {currency}",
            ),
            &[("price", &money(price)), ("currency", currency)],
        ),
        M::VendOutOfRange { price } => fill(
            tr(
                lang,
                "The machine asked for {price}, outside the allowed range",
            ),
            &[("price", &money(price))],
        ),
        M::NoVendProvider => tr(
            lang,
            "No enabled provider can authorize, or pay and refund, by QR code",
        )
        .into(),
        M::NoSupervisorPin => tr(
            lang,
            "The supervisor menu needs a supervisor PIN in the config",
        )
        .into(),
        M::WrongPin { tries, allowed } => fill(
            trn(
                lang,
                "Wrong PIN ({tries} of {allowed} try)",
                "Wrong PIN ({tries} of {allowed} tries)",
                u64::from(*allowed),
            ),
            &[("tries", tries), ("allowed", allowed)],
        ),
        M::PinLocked { seconds } => fill(
            tr(lang, "Too many wrong PINs. Try again in {seconds} s"),
            &[("seconds", seconds)],
        ),
        M::AgentPinLength { min, max } => fill(
            tr(lang, "The agent PIN has {min} to {max} digits"),
            &[("min", min), ("max", max)],
        ),
        M::NotUnlocked { reason } => {
            fill(tr(lang, "Not unlocked: {reason}"), &[("reason", reason)])
        }
        M::FieldDigits { label: l, min, max } if min == max => fill(
            trn(
                lang,
                "{label}: {count} digit",
                "{label}: {count} digits",
                u64::from(*min),
            ),
            &[("label", &label(lang, l)), ("count", min)],
        ),
        M::FieldDigits { label: l, min, max } => fill(
            tr(lang, "{label}: {min} to {max} digits"),
            &[("label", &label(lang, l)), ("min", min), ("max", max)],
        ),
        M::FieldAmount { label: l, max } => fill(
            tr(lang, "{label}: type an amount up to {max}"),
            &[("label", &label(lang, l)), ("max", &money(max))],
        ),
        M::FieldChoose { label: l } => fill(
            tr(lang, "{label}: choose one"),
            &[("label", &label(lang, l))],
        ),
        M::ServicesStopped => tr(lang, "Stopped: the journal cannot be written").into(),
        M::SaleInProgress => tr(lang, "A sale is in progress").into(),
        M::QueryNotNumbered => tr(lang, "The query could not be numbered").into(),
        M::UnexpectedAnswer { answer } => fill(
            tr(lang, "The provider gave an unexpected answer ({answer})"),
            &[("answer", answer)],
        ),
        M::ServiceFailed { reason } => {
            fill(tr(lang, "It did not work: {reason}"), &[("reason", reason)])
        }
        M::DueOtherCurrency { answered, sells } => fill(
            tr(lang, "The provider answered in {answered}, not {sells}"),
            &[("answered", answered), ("sells", sells)],
        ),
        M::NothingDue => tr(lang, "Nothing is due: it is paid already").into(),
        M::MoreThanDue { typed, due } => fill(
            tr(lang, "{typed} is more than the {due} due"),
            &[("typed", &money(typed)), ("due", &money(due))],
        ),
        M::DueUnreachable { reason } => fill(
            tr(
                lang,
                "Could not ask the provider what is due, nothing was charged: {reason}",
            ),
            &[("reason", reason)],
        ),
        M::DueRefused { reason } => fill(
            tr(lang, "Refused before anything was charged: {reason}"),
            &[("reason", reason)],
        ),
        M::NoApprovedSale => tr(lang, "No approved sale to refund").into(),
        M::ReportFailed => tr(lang, "The report could not be built").into(),
        M::CannotRefundNow => tr(lang, "This sale cannot be refunded now").into(),
        M::RefundKeyTooLong => tr(lang, "This sale's key is too long to refund").into(),
        M::Refunded { reference } => fill(
            tr(lang, "Refunded. Reference {reference}"),
            &[("reference", reference)],
        ),
        M::RefundRefused { reason } => fill(
            tr(lang, "The provider refused the refund: {reason}"),
            &[("reason", reason)],
        ),
        M::RefundUnreachable { reason } => fill(
            tr(
                lang,
                "Could not reach the provider, nothing was refunded: {reason}",
            ),
            &[("reason", reason)],
        ),
        M::RefundUnconfirmed { reason } => fill(
            tr(
                lang,
                "Refund not confirmed: {reason}. Flagged for a person: do not refund in cash",
            ),
            &[("reason", reason)],
        ),
        M::RecoveryAcknowledged => tr(lang, "Recovery summary acknowledged").into(),
        M::OutboxDropping => tr(lang, "Dropping…").into(),
        M::OutboxRetrying => tr(lang, "Asking the outbox to try again…").into(),
        M::OutboxItemDone { id } => fill(
            tr(lang, "#{id} has left the outbox: its call is done"),
            &[("id", id)],
        ),
        M::OutboxItemDue { id } => fill(
            tr(lang, "#{id} is due now: the outbox tries it again"),
            &[("id", id)],
        ),
        M::OutboxDropped { id } => fill(
            tr(
                lang,
                "Dropped #{id}: its call will not be made. The journal records who dropped it.",
            ),
            &[("id", id)],
        ),
        M::OutboxRetryFailed { id, reason } => fill(
            tr(lang, "Could not retry #{id}: {reason}"),
            &[("id", id), ("reason", reason)],
        ),
        M::OutboxDropFailed { id, reason } => fill(
            tr(lang, "Could not drop #{id}: {reason}"),
            &[("id", id), ("reason", reason)],
        ),
        M::StaffCleared { sale } => fill(
            tr(lang, "Call staff cleared for sale {sale}"),
            &[("sale", sale)],
        ),
        M::StillInDoubt {
            sale,
            amount,
            provider,
        } => fill(
            tr(
                lang,
                "Sale {sale} ({amount}) is still in doubt: the outbox keeps asking {provider}. History shows it.",
            ),
            &[
                ("sale", sale),
                ("amount", &money(amount)),
                ("provider", provider),
            ],
        ),
        M::PaidAfterAll {
            sale,
            amount,
            provider,
        } => fill(
            tr(
                lang,
                "Sale {sale} ({amount}) was paid after all: {provider} confirmed it.",
            ),
            &[
                ("sale", sale),
                ("amount", &money(amount)),
                ("provider", provider),
            ],
        ),
        M::NotPaidAfterAll {
            sale,
            amount,
            provider,
        } => fill(
            tr(
                lang,
                "Sale {sale} ({amount}) was not paid: {provider} settled it.",
            ),
            &[
                ("sale", sale),
                ("amount", &money(amount)),
                ("provider", provider),
            ],
        ),
    }
}

/// An optional message as a page's error line: empty when there is none.
pub fn error(lang: Locale, m: Option<&Message>) -> String {
    m.map(|m| message(lang, m)).unwrap_or_default()
}

/// A notice's text.
pub fn notice(lang: Locale, n: &Notice) -> String {
    message(lang, &n.message)
}

/// Why a customer's input was refused.
pub fn input_error(lang: Locale, e: &InputError) -> String {
    match e {
        InputError::PhoneLength => tr(lang, "phone number must be 8 to 15 digits"),
        InputError::CardLength => tr(lang, "card number must be 8 to 19 digits"),
        InputError::CodeLength => tr(lang, "payment code must be 4 to 8 digits"),
        InputError::InvoiceLength => tr(lang, "invoice number must be 1 to 20 digits"),
        InputError::NotDigits => tr(lang, "only digits are allowed"),
        InputError::SaleKey => tr(lang, "sale key must be 1 to 64 of A-Z a-z 0-9 _ . -"),
    }
    .to_string()
}

/// A field's name; a provider's own name for its service field stays as the provider wrote it.
pub fn label(lang: Locale, l: &Label) -> String {
    match l {
        Label::CustomerPhone => tr(lang, "Customer's phone number").into(),
        Label::CardNumber => tr(lang, "Card number").into(),
        Label::PaymentCode => tr(lang, "Payment code").into(),
        Label::InvoiceNumber => tr(lang, "Invoice number").into(),
        Label::Amount => tr(lang, "Amount").into(),
        Label::Named(name) => name.clone(),
    }
}

pub fn hint(lang: Locale, h: Hint) -> String {
    match h {
        Hint::PhoneOrQr => tr(
            lang,
            "Type the phone number, or press Enter to show a QR code",
        ),
        Hint::Phone => tr(lang, "Type the phone number and press Enter"),
        Hint::CardAndCode => tr(
            lang,
            "Type the card number, Enter, then the payment code, Enter",
        ),
        Hint::Invoice => tr(lang, "Type the invoice number and press Enter"),
        Hint::Choice => tr(lang, "Tap one, or press its number"),
        Hint::Amount => tr(lang, "Type the amount and press Enter"),
        Hint::Digits => tr(lang, "Type the digits and press Enter"),
    }
    .to_string()
}

pub fn menu_item(lang: Locale, item: &MenuItem) -> String {
    match item {
        MenuItem::RefundLastSale => tr(lang, "Refund last sale").into(),
        MenuItem::History => tr(lang, "History").into(),
        MenuItem::DailyReport => tr(lang, "Daily report").into(),
        MenuItem::Outbox => tr(lang, "Outbox").into(),
        MenuItem::Settings => tr(lang, "Settings").into(),
        MenuItem::Diagnostics => tr(lang, "Diagnostics").into(),
        MenuItem::SignOut => tr(lang, "Sign out").into(),
        MenuItem::Service { provider, service } => fill(
            tr(lang, "{provider}: {service}"),
            &[("provider", provider), ("service", service)],
        ),
        MenuItem::Unlock { provider } => {
            fill(tr(lang, "Unlock {provider}"), &[("provider", provider)])
        }
        MenuItem::Lock => tr(lang, "Lock the terminal").into(),
        MenuItem::RecoverySummary { count } => fill(
            tr(lang, "Resolved after restart ({count})"),
            &[("count", count)],
        ),
    }
}

/// A settings row: (what, its value).
pub fn setting(lang: Locale, s: &Setting) -> (String, String) {
    match s {
        Setting::Terminal(id) => (tr(lang, "Terminal").into(), id.clone()),
        Setting::Mode(mode) => (
            tr(lang, "Mode").into(),
            match mode {
                Mode::Cashier => tr(lang, "cashier"),
                Mode::Kiosk => tr(lang, "kiosk"),
                Mode::Vending => tr(lang, "vending"),
            }
            .into(),
        ),
        Setting::Currency(code) => (tr(lang, "Currency").into(), code.clone()),
        Setting::LargestSale(max) => (tr(lang, "Largest sale").into(), lang.money(*max)),
        Setting::Methods(names) => (tr(lang, "Methods").into(), names.join(", ")),
    }
}

/// A diagnostics line: (what was checked, what was found).
pub fn check(lang: Locale, c: &Checked) -> (String, String) {
    match c {
        Checked::Version(v) => (tr(lang, "Version").into(), v.clone()),
        Checked::Terminal(id) => (tr(lang, "Terminal").into(), id.clone()),
        Checked::Network { online: true } => {
            (tr(lang, "Network").into(), tr(lang, "online").to_string())
        }
        Checked::Network { online: false } => (
            tr(lang, "Network").into(),
            tr(lang, "offline: push requests wait in the outbox").to_string(),
        ),
        Checked::Journal { failing: true } => (
            tr(lang, "Journal").into(),
            tr(lang, "FAILING: sales stopped").to_string(),
        ),
        Checked::Journal { failing: false } => {
            (tr(lang, "Journal").into(), tr(lang, "ok").to_string())
        }
        Checked::Outbox { pending, dead } => (
            tr(lang, "Outbox").into(),
            fill(
                tr(lang, "{pending} pending, {dead} given up"),
                &[("pending", pending), ("dead", dead)],
            ),
        ),
        Checked::Storage { bytes } => (
            tr(lang, "Storage").into(),
            fill(
                tr(lang, "{size} used"),
                &[("size", &mib_text(lang, *bytes))],
            ),
        ),
        Checked::Damaged { count } => (
            tr(lang, "Damaged records").into(),
            fill(
                trn(
                    lang,
                    "{count}: its sale is in doubt, see kassa report",
                    "{count}: their sales are in doubt, see kassa report",
                    *count as u64,
                ),
                &[("count", count)],
            ),
        ),
        Checked::Provider { name, reachable } => (
            name.clone(),
            match reachable {
                Some(true) => tr(lang, "reachable").to_string(),
                Some(false) => tr(lang, "NOT reachable").to_string(),
                None => tr(lang, "not checked yet").to_string(),
            },
        ),
    }
}

/// `1.5 MiB`: bytes to tenths of a MiB, rounded, in integers, with the locale's decimal sign.
pub fn mib_text(lang: Locale, bytes: u64) -> String {
    const MIB: u128 = 1024 * 1024;
    let tenths = (u128::from(bytes) * 10 + MIB / 2) / MIB;
    let number = format!("{}{}{}", tenths / 10, lang.decimal_separator(), tenths % 10);
    fill(tr(lang, "{number} MiB"), &[("number", &number)])
}

/// What an outbox item's call does.
pub fn outbox_call(lang: Locale, c: &OutboxCall) -> String {
    let amount = |m: &crate::money::Money| lang.money(*m);
    match c {
        OutboxCall::StatusCheck => tr(lang, "Ask where the payment stands").into(),
        OutboxCall::Capture(m) => fill(tr(lang, "Capture {amount}"), &[("amount", &amount(m))]),
        OutboxCall::Release => tr(lang, "Release the reserved amount").into(),
        OutboxCall::Refund(m) => fill(tr(lang, "Refund {amount}"), &[("amount", &amount(m))]),
        OutboxCall::ReportClose(day) => {
            fill(tr(lang, "Close the report of {day}"), &[("day", day)])
        }
        OutboxCall::QueuedPush(m) => fill(
            tr(lang, "Send payment request of {amount}"),
            &[("amount", &amount(m))],
        ),
        OutboxCall::Recover => tr(lang, "Find out what became of the sale").into(),
        OutboxCall::Abort => tr(lang, "Cancel a payment request nobody waits for").into(),
    }
}

/// What history says about a sale resolved by the recovery at a start.
pub fn restart_note(lang: Locale, restart: Restart) -> String {
    if restart.never_reached {
        tr(
            lang,
            "resolved after restart: never reached the provider before the restart",
        )
    } else {
        tr(lang, "resolved after restart")
    }
    .into()
}

/// A recovery summary item's first line: amount, provider, sale and when it started.
pub fn summary_heading(local: &Local, item: &SummaryItem) -> String {
    fill(
        tr(
            local.locale,
            "{amount} via {provider} - sale {sale} started {time}",
        ),
        &[
            ("amount", &local.money(item.amount)),
            ("provider", &item.provider),
            ("sale", &item.sale),
            ("time", &local.clock(item.started_at)),
        ],
    )
}

/// What the recovery decided about a sale, for the cashier. A decline keeps the provider's
/// own reason beside the translated heading.
pub fn summary_decision(lang: Locale, item: &SummaryItem) -> String {
    match &item.outcome {
        Outcome::Approved { reference } => fill(
            tr(lang, "PAID (reference {reference}): do not charge again"),
            &[("reference", reference)],
        ),
        Outcome::Cancelled if item.never_reached => tr(
            lang,
            "Cancelled: never reached the provider before the restart",
        )
        .into(),
        Outcome::Cancelled => tr(
            lang,
            "Cancelled: aborted at the provider, nothing was charged",
        )
        .into(),
        Outcome::Declined { reason } => fill(tr(lang, "Declined: {reason}"), &[("reason", reason)]),
        Outcome::Expired => tr(lang, "Expired: nothing was charged").into(),
        Outcome::Failed { reason } => fill(tr(lang, "Not paid: {reason}"), &[("reason", reason)]),
        Outcome::Released => tr(lang, "Released: the authorization was given back").into(),
        Outcome::InDoubt { reason } => fill(
            tr(lang, "IN DOUBT, flagged for a person: {reason}"),
            &[("reason", reason)],
        ),
    }
}

/// The lines `kassa pay` prints for a recovery summary: a heading, then two lines per sale.
pub fn summary_lines(local: &Local, items: &[SummaryItem]) -> Vec<String> {
    let mut out = vec![fill(
        trn(
            local.locale,
            "Resolved after restart: {count} sale left unfinished",
            "Resolved after restart: {count} sales left unfinished",
            items.len() as u64,
        ),
        &[("count", &items.len())],
    )];
    for item in items {
        out.push(format!("  {}", summary_heading(local, item)));
        out.push(format!("    {}", summary_decision(local.locale, item)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Millis;
    use crate::core::sale::SaleKey;
    use crate::money::{Currency, Money};

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK)
    }

    fn sale() -> SaleKey {
        SaleKey::new("T1", 7).unwrap()
    }

    /// One of every message, with data in each field.
    fn every_message() -> Vec<Message> {
        let label = || Label::Named("Account number".into());
        let (provider, reason) = (|| "mCASH".to_string(), || "refused (42)".to_string());
        vec![
            Message::AmountTooLarge { max: nok(1_000) },
            Message::TypeAmountFirst,
            Message::SalesStopped,
            Message::NoMethodEnabled,
            Message::SaleKeyFailed {
                why: InputError::SaleKey,
            },
            Message::NoWayToPay {
                provider: provider(),
            },
            Message::ChooseOneTo { count: 3 },
            Message::NoPushToPhone {
                provider: provider(),
            },
            Message::ProviderLocked {
                provider: provider(),
            },
            Message::Input(InputError::PhoneLength),
            Message::VendWrongCurrency {
                price: nok(100),
                currency: "USD".into(),
            },
            Message::VendOutOfRange { price: nok(100) },
            Message::NoVendProvider,
            Message::NoSupervisorPin,
            Message::WrongPin {
                tries: 2,
                allowed: 5,
            },
            Message::PinLocked { seconds: 30 },
            Message::AgentPinLength { min: 4, max: 12 },
            Message::NotUnlocked { reason: reason() },
            Message::FieldDigits {
                label: label(),
                min: 8,
                max: 8,
            },
            Message::FieldDigits {
                label: label(),
                min: 6,
                max: 10,
            },
            Message::FieldAmount {
                label: Label::Amount,
                max: nok(1_000),
            },
            Message::FieldChoose { label: label() },
            Message::ServicesStopped,
            Message::SaleInProgress,
            Message::QueryNotNumbered,
            Message::UnexpectedAnswer {
                answer: "NotFound".into(),
            },
            Message::ServiceFailed { reason: reason() },
            Message::NoApprovedSale,
            Message::ReportFailed,
            Message::CannotRefundNow,
            Message::RefundKeyTooLong,
            Message::Refunded {
                reference: "rf-1".into(),
            },
            Message::RefundRefused { reason: reason() },
            Message::RefundUnreachable { reason: reason() },
            Message::RefundUnconfirmed { reason: reason() },
            Message::RecoveryAcknowledged,
            Message::OutboxDropping,
            Message::OutboxRetrying,
            Message::OutboxItemDone { id: 9 },
            Message::OutboxItemDue { id: 9 },
            Message::OutboxDropped { id: 9 },
            Message::OutboxRetryFailed {
                id: 9,
                reason: reason(),
            },
            Message::OutboxDropFailed {
                id: 9,
                reason: reason(),
            },
            Message::StaffCleared { sale: sale() },
            Message::StillInDoubt {
                sale: sale(),
                amount: nok(1_500),
                provider: provider(),
            },
            Message::PaidAfterAll {
                sale: sale(),
                amount: nok(1_500),
                provider: provider(),
            },
            Message::NotPaidAfterAll {
                sale: sale(),
                amount: nok(1_500),
                provider: provider(),
            },
        ]
    }

    #[test]
    fn every_message_fills_every_placeholder_in_every_language() {
        for lang in Locale::ALL {
            for m in every_message() {
                let text = message(lang, &m);
                assert!(!text.is_empty(), "{m:?}");
                assert!(!text.contains('{'), "{lang:?} {m:?}: {text}");
            }
        }
    }

    #[test]
    fn english_reads_as_the_screens_always_have() {
        let en = |m: Message| message(Locale::En, &m);
        assert_eq!(
            en(Message::AmountTooLarge { max: nok(1_000) }),
            "The largest amount is 10.00 NOK"
        );
        assert_eq!(
            en(Message::WrongPin {
                tries: 3,
                allowed: 5
            }),
            "Wrong PIN (3 of 5 tries)"
        );
        assert_eq!(
            en(Message::PinLocked { seconds: 30 }),
            "Too many wrong PINs. Try again in 30 s"
        );
        assert_eq!(
            en(Message::ProviderLocked {
                provider: "eZ Cash".into()
            }),
            "eZ Cash is locked: type its agent PIN first (Menu > Unlock eZ Cash)"
        );
        assert_eq!(
            en(Message::FieldDigits {
                label: Label::Named("Account number".into()),
                min: 8,
                max: 12
            }),
            "Account number: 8 to 12 digits"
        );
        assert_eq!(
            en(Message::FieldDigits {
                label: Label::Named("PIN".into()),
                min: 4,
                max: 4
            }),
            "PIN: 4 digits"
        );
        assert_eq!(
            en(Message::Input(InputError::PhoneLength)),
            "phone number must be 8 to 15 digits"
        );
        assert_eq!(
            en(Message::RefundUnconfirmed {
                reason: "timeout".into()
            }),
            "Refund not confirmed: timeout. Flagged for a person: do not refund in cash"
        );
        assert_eq!(
            en(Message::StillInDoubt {
                sale: sale(),
                amount: nok(1_500),
                provider: "mCASH".into()
            }),
            "Sale T1-000007 (15.00 NOK) is still in doubt: the outbox keeps asking mCASH. \
             History shows it."
        );
        assert_eq!(
            en(Message::OutboxDropped { id: 3 }),
            "Dropped #3: its call will not be made. The journal records who dropped it."
        );
        // Every English message is the template itself, filled: the input errors read as
        // the thiserror texts `kassa pay` has always printed.
        for e in [
            InputError::PhoneLength,
            InputError::CardLength,
            InputError::CodeLength,
            InputError::InvoiceLength,
            InputError::NotDigits,
            InputError::SaleKey,
        ] {
            assert_eq!(input_error(Locale::En, &e), e.to_string());
        }
    }

    #[test]
    fn amounts_are_written_by_the_locale() {
        let lyd = Money::from_minor(9_999, Currency::LYD);
        assert_eq!(
            message(Locale::Ar, &Message::AmountTooLarge { max: lyd }),
            "أكبر مبلغ هو 9,999\u{a0}د.ل."
        );
        assert_eq!(
            setting(Locale::En, &Setting::LargestSale(nok(1_000_000))),
            ("Largest sale".to_string(), "10,000.00 NOK".to_string())
        );
        assert_eq!(
            outbox_call(Locale::Nb, &OutboxCall::Refund(nok(8_900))),
            "Refunder 89,00\u{a0}kr"
        );
    }

    #[test]
    fn a_restart_note_reads_as_the_reports_write_it() {
        use crate::core::provider::ProviderId;
        use crate::core::record::SaleRow;
        for never_reached in [false, true] {
            let restart = Restart {
                never_reached,
                acknowledged: false,
            };
            let row = SaleRow {
                key: sale(),
                provider: ProviderId::new("mcash"),
                amount: nok(100),
                started_at: Millis(0),
                outcome: None,
                late_approval: false,
                refunded: None,
                restart: Some(restart),
                service: None,
                staff_called: false,
            };
            assert_eq!(
                Some(restart_note(Locale::En, restart).as_str()),
                row.restart_note()
            );
        }
    }

    #[test]
    fn storage_use_is_shown_in_tenths_of_a_mib() {
        let en = |b| mib_text(Locale::En, b);
        assert_eq!(en(0), "0.0 MiB");
        assert_eq!(en(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(en(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(en(52_428), "0.0 MiB");
        assert_eq!(en(52_429), "0.1 MiB");
        assert_eq!(en(u64::MAX), "17592186044416.0 MiB");
        // The locale's decimal sign.
        assert_eq!(mib_text(Locale::Nb, 3 * 1024 * 1024 / 2), "1,5 MiB");
    }

    #[test]
    fn diagnostics_and_menu_lines_read_as_before() {
        assert_eq!(
            check(
                Locale::En,
                &Checked::Outbox {
                    pending: 2,
                    dead: 1
                }
            ),
            ("Outbox".to_string(), "2 pending, 1 given up".to_string())
        );
        assert_eq!(
            check(Locale::En, &Checked::Storage { bytes: 3_355_443 }).1,
            "3.2 MiB used"
        );
        assert_eq!(
            check(Locale::En, &Checked::Damaged { count: 2 }).1,
            "2: their sales are in doubt, see kassa report"
        );
        assert_eq!(
            check(Locale::En, &Checked::Damaged { count: 1 }).1,
            "1: its sale is in doubt, see kassa report"
        );
        assert_eq!(
            check(
                Locale::En,
                &Checked::Provider {
                    name: "mCASH".into(),
                    reachable: Some(false)
                }
            ),
            ("mCASH".to_string(), "NOT reachable".to_string())
        );
        assert_eq!(
            menu_item(
                Locale::En,
                &MenuItem::Service {
                    provider: "MonCash".into(),
                    service: "Balance".into()
                }
            ),
            "MonCash: Balance"
        );
        assert_eq!(
            menu_item(Locale::En, &MenuItem::RecoverySummary { count: 2 }),
            "Resolved after restart (2)"
        );
    }

    fn item(outcome: Outcome, never_reached: bool) -> SummaryItem {
        SummaryItem {
            sale: sale(),
            provider: "mCASH".into(),
            amount: nok(1250),
            // 2023-11-14 22:13:20 UTC
            started_at: Millis(1_700_000_000_000),
            outcome,
            never_reached,
        }
    }

    #[test]
    fn a_paid_sale_says_paid_with_its_reference_amount_and_time() {
        let i = item(
            Outcome::Approved {
                reference: "r-9".into(),
            },
            false,
        );
        assert_eq!(
            summary_decision(Locale::En, &i),
            "PAID (reference r-9): do not charge again"
        );
        assert_eq!(
            summary_heading(&Local::default(), &i),
            "12.50 NOK via mCASH - sale T1-000007 started 22:13 UTC"
        );
    }

    #[test]
    fn never_reached_and_aborted_cancels_read_differently() {
        let never = summary_decision(Locale::En, &item(Outcome::Cancelled, true));
        let aborted = summary_decision(Locale::En, &item(Outcome::Cancelled, false));
        assert!(never.contains("never reached the provider before the restart"));
        assert!(!aborted.contains("never reached"), "{aborted}");
        let one = summary_lines(&Local::default(), &[item(Outcome::Expired, false)]);
        assert_eq!(one.len(), 3);
        assert_eq!(one[0], "Resolved after restart: 1 sale left unfinished");
        let two = summary_lines(
            &Local::default(),
            &[
                item(Outcome::Expired, false),
                item(Outcome::Released, false),
            ],
        );
        assert_eq!(two.len(), 5);
        assert_eq!(two[0], "Resolved after restart: 2 sales left unfinished");
    }

    #[test]
    fn a_decline_keeps_the_providers_own_words_beside_the_heading() {
        let reason = "رصيد غير كاف";
        let i = item(
            Outcome::Declined {
                reason: reason.into(),
            },
            false,
        );
        for lang in [Locale::En, Locale::Ar, Locale::Fr] {
            let text = summary_decision(lang, &i);
            assert!(text.ends_with(reason), "{lang:?}: {text}");
        }
        assert_eq!(
            summary_decision(Locale::En, &i),
            format!("Declined: {reason}")
        );
    }
}
