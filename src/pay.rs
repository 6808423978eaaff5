//! `kassa pay`: one sale through the real runtime and core, with the console as its screen.
//! The sale is typed into the core as a cashier would (digits, Enter, the method's tile, then the
//! phone, the card and code, or the invoice number), so what is tested here is the product's own
//! path, not a shortcut around it. The inputs are checked with the core's own parsers before
//! anything starts, and the provider must offer the flow they ask for.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::boot;
use crate::config::Config;
use crate::console;
use crate::core::provider::FlowKind;
use crate::core::record::Outcome;
use crate::core::sale::{CardNumber, InvoiceNumber, Msisdn, PaymentCode};
use crate::core::view::{Screen, View, Waiting};
use crate::core::{Event, Key, Local, Locale};
use crate::money::{Money, MoneyError};
use crate::providers::setup::{self, SetupError};
use crate::runtime::{Clock, Runtime};
use crate::ui::words;

#[derive(Debug, Error)]
pub enum PayError {
    #[error("--amount: {0}")]
    Amount(#[from] MoneyError),
    #[error("--amount is needed; only --invoice may go without it (the amount due is paid)")]
    NoAmount,
    #[error("--phone: {0}")]
    Phone(String),
    #[error("--card: {0}")]
    Card(String),
    #[error("--code: {0}")]
    Code(String),
    #[error("--invoice: {0}")]
    Invoice(String),
    /// The provider does not offer the flow the inputs ask for.
    #[error("{0}")]
    Flow(String),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("--provider {0}: not enabled in the config (enabled: {1})")]
    UnknownProvider(String, String),
    #[error(transparent)]
    Boot(#[from] crate::boot::BootError),
    #[error("the terminal refused the sale: {0}")]
    Refused(String),
    #[error("the terminal stopped before the sale ended")]
    Stopped,
    #[error(
        "{0} asks for its agent PIN at the start of a shift: give --agent-pin-file FILE, or agent_pin_file in the config"
    )]
    NoAgentPin(String),
    #[error("{0}")]
    AgentPin(String),
    #[error("{0}")]
    Other(String),
}

/// What was asked on the command line. No inputs: the provider's QR flow; `phone`: a push;
/// `card` and `code`: card and code; `invoice`: pay that invoice.
#[derive(Clone, Debug, Default)]
pub struct PayRequest {
    pub provider: String,
    /// Empty: none given. Only an invoice is paid without one (its amount due, as the provider
    /// answers it; the terminal shows it and confirms it as a cashier would).
    pub amount: String,
    pub phone: Option<String>,
    pub card: Option<String>,
    /// A secret: never printed, never journaled.
    pub code: Option<secrecy::SecretString>,
    pub invoice: Option<String>,
    /// The agent PIN to type on the agent PIN page (`--agent-pin-file`), for a provider that
    /// asks one at shift start and a config that does not give it. A secret: never printed.
    pub agent_pin: Option<secrecy::SecretString>,
}

/// The flow asked for, with its inputs validated.
enum Wanted {
    Qr,
    Push(Msisdn),
    Card(CardNumber, PaymentCode),
    Invoice(InvoiceNumber),
}

impl Wanted {
    fn kind(&self) -> FlowKind {
        match self {
            Wanted::Qr => FlowKind::Qr,
            Wanted::Push(_) => FlowKind::Push,
            Wanted::Card(..) => FlowKind::CardAndCode,
            Wanted::Invoice(_) => FlowKind::Invoice,
        }
    }

    fn from_request(r: &PayRequest) -> Result<Wanted, PayError> {
        use secrecy::ExposeSecret;
        let given = [r.phone.is_some(), r.card.is_some(), r.invoice.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(PayError::Flow(
                "give one of --phone, --card with --code, or --invoice".into(),
            ));
        }
        if let Some(phone) = &r.phone {
            return Msisdn::parse(phone)
                .map(Wanted::Push)
                .map_err(|e| PayError::Phone(e.to_string()));
        }
        match (&r.card, &r.code) {
            (Some(card), Some(code)) => {
                let card = CardNumber::parse(card).map_err(|e| PayError::Card(e.to_string()))?;
                // The error never repeats the code.
                let code = PaymentCode::parse(code.expose_secret())
                    .map_err(|e| PayError::Code(e.to_string()))?;
                return Ok(Wanted::Card(card, code));
            }
            (Some(_), None) => return Err(PayError::Code("--card needs --code".into())),
            (None, Some(_)) => return Err(PayError::Card("--code needs --card".into())),
            (None, None) => {}
        }
        if let Some(number) = &r.invoice {
            return InvoiceNumber::parse(number)
                .map(Wanted::Invoice)
                .map_err(|e| PayError::Invoice(e.to_string()));
        }
        Ok(Wanted::Qr)
    }

    /// What the cashier types on the customer's details screen, field by field.
    fn fields(&self) -> Vec<String> {
        match self {
            Wanted::Qr => Vec::new(),
            Wanted::Push(phone) => vec![phone.as_str().to_string()],
            Wanted::Card(card, code) => vec![card.as_str().to_string(), code.as_str().to_string()],
            Wanted::Invoice(number) => vec![number.as_str().to_string()],
        }
    }
}

/// The flow's name in an error, as the options say it.
fn flow_option(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Qr => "a QR code (no --phone, --card or --invoice)",
        FlowKind::Push => "--phone",
        FlowKind::CardAndCode => "--card with --code",
        FlowKind::Invoice => "--invoice",
    }
}

/// How a sale ended, and the exit code that says it: 0 paid, 1 not paid, 2 not known, 3 queued
/// (offline: in the outbox, not paid yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayResult {
    /// `None` while the sale waits in the outbox.
    pub outcome: Option<Outcome>,
    pub late: bool,
}

impl PayResult {
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Some(Outcome::Approved { .. }) => 0,
            Some(
                Outcome::Declined { .. }
                | Outcome::Expired
                | Outcome::Cancelled
                | Outcome::Released,
            ) => 1,
            Some(Outcome::Failed { .. } | Outcome::InDoubt { .. }) => 2,
            None => 3,
        }
    }
}

/// Runs one sale. `interrupt` resolving (Ctrl-C) asks the terminal to cancel, as the cancel key
/// would; the sale still ends only with the provider's word.
pub async fn pay(
    config: &Config,
    request: &PayRequest,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<PayResult, PayError> {
    // The inputs first: a typo is said before any client is built.
    typed_amount(request, &Wanted::from_request(request)?, config)?;
    let providers = setup::from_config(config)?;
    pay_with(config, providers, request, out, interrupt).await
}

/// [`pay`] with the provider clients given (tests hand in a fake).
pub async fn pay_with(
    config: &Config,
    providers: Vec<std::sync::Arc<dyn crate::providers::PaymentProvider>>,
    request: &PayRequest,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<PayResult, PayError> {
    let wanted = Wanted::from_request(request)?;
    let amount = typed_amount(request, &wanted, config)?;
    // A kiosk with a fixed price sells that price only: another amount would be charged as it.
    if config.terminal.mode == crate::core::Mode::Kiosk
        && let Some(fixed) = config.kiosk.fixed_amount
        && Some(fixed) != amount
    {
        return Err(PayError::Refused(format!(
            "this kiosk's price is fixed at {fixed} ([kiosk] amount)"
        )));
    }
    let infos: Vec<_> = providers.iter().map(|p| p.info()).collect();
    let index = infos
        .iter()
        .position(|i| i.id.as_str() == request.provider)
        .ok_or_else(|| {
            let names: Vec<&str> = infos.iter().map(|i| i.id.as_str()).collect();
            PayError::UnknownProvider(request.provider.clone(), names.join(", "))
        })?;
    let flows = &infos[index].capabilities.flows;
    if !flows.contains(&wanted.kind()) {
        let offered: Vec<&str> = flows.iter().map(|f| flow_option(*f)).collect();
        let error = match &wanted {
            Wanted::Push(_) => PayError::Phone(format!(
                "{} does not push payment requests to phones",
                request.provider
            )),
            _ => PayError::Flow(format!(
                "{} does not take {}; it takes {}",
                request.provider,
                flow_option(wanted.kind()),
                if offered.is_empty() {
                    "nothing here".to_string()
                } else {
                    offered.join(", or ")
                }
            )),
        };
        return Err(error);
    }
    let pin = agent_pin(config, request);
    let agent = (infos[index].name.as_str(), pin.as_ref());
    let rt = boot::start(config, providers, Clock::system())?;
    let result = drive(&rt, amount, &wanted, request, agent, out, interrupt).await;
    // Stop the driver so the journal writer ends and releases the database.
    rt.task.abort();
    let _ = rt.task.await;
    result
}

/// The agent PIN `kassa pay` types when the PIN page shows: `--agent-pin-file`, or against the
/// built-in demo (which leaves the PIN out of its config so the page shows) the simulator's
/// public test PIN from the provider's demo entry.
fn agent_pin(config: &Config, request: &PayRequest) -> Option<secrecy::SecretString> {
    request.agent_pin.clone().or_else(|| {
        let demo = crate::providers::registry::entry(&request.provider)?
            .demo
            .as_ref()?;
        let pin = demo.agent_pin.filter(|_| config.origin == "demo")?;
        Some(secrecy::SecretString::from(pin))
    })
}

/// Types the agent PIN on each agent PIN page shown at the start of the shift: the PIN of the
/// provider being paid, as a cashier would; another provider's page is passed by (Back).
async fn unlock(
    h: &crate::runtime::RuntimeHandle,
    (name, pin): (&str, Option<&secrecy::SecretString>),
) -> Result<(), PayError> {
    use secrecy::ExposeSecret;
    loop {
        let v = h.views().borrow().clone();
        let Screen::AgentPin {
            provider, error, ..
        } = &v.screen
        else {
            return Ok(());
        };
        if let Some(e) = error {
            return Err(PayError::AgentPin(words::message(Locale::En, e)));
        }
        let other = provider.clone();
        if provider != name {
            h.send(Event::Key(Key::Cancel));
            h.wait_for(
                |v| !matches!(&v.screen, Screen::AgentPin { provider, .. } if *provider == other),
            )
            .await
            .ok_or(PayError::Stopped)?;
            continue;
        }
        let pin = pin.ok_or_else(|| PayError::NoAgentPin(other.clone()))?;
        for d in pin.expose_secret().bytes().filter(u8::is_ascii_digit) {
            h.send(Event::Key(Key::Digit(d - b'0')));
        }
        h.send(Event::Key(Key::Enter));
        // Checked by the provider: the page goes, or comes back with why.
        h.wait_for(|v| !matches!(&v.screen, Screen::AgentPin { error: None, .. }))
            .await
            .ok_or(PayError::Stopped)?;
    }
}

/// `--amount`, or `None` for an invoice given without one.
fn typed_amount(
    request: &PayRequest,
    wanted: &Wanted,
    config: &Config,
) -> Result<Option<Money>, PayError> {
    if request.amount.trim().is_empty() {
        return match wanted {
            Wanted::Invoice(_) => Ok(None),
            _ => Err(PayError::NoAmount),
        };
    }
    Ok(Some(Money::parse_input(
        &request.amount,
        config.terminal.currency,
    )?))
}

async fn drive(
    rt: &Runtime,
    amount: Option<Money>,
    wanted: &Wanted,
    request: &PayRequest,
    agent: (&str, Option<&secrecy::SecretString>),
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<PayResult, PayError> {
    let clock = Clock::system();
    let h = rt.handle.clone();

    let ready = |v: &View| !matches!(v.screen, Screen::Recovering { .. });
    let v = h.wait_for(ready).await.ok_or(PayError::Stopped)?;
    if let Screen::RecoverySummary { items, .. } = &v.screen {
        // What the recovery decided about sales left unfinished, printed before this sale: the
        // person running it has seen it, so it is acknowledged (journaled, not shown again).
        // `kassa pay` speaks English, in the terminal's zone.
        let english = Local::new(v.status.local.zone.clone(), Locale::En);
        for line in words::summary_lines(&english, items) {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
        h.send(Event::Key(Key::Enter));
        h.wait_for(|v| !matches!(v.screen, Screen::RecoverySummary { .. }))
            .await
            .ok_or(PayError::Stopped)?;
    }
    unlock(&h, agent).await?;
    // No amount (an invoice): Pay with none typed; the provider's amount due is confirmed below.
    for d in amount
        .map(|a| a.minor().to_string())
        .unwrap_or_default()
        .bytes()
    {
        h.send(Event::Key(Key::Digit(d - b'0')));
    }
    // Pay, or with a phone "Send to phone" (so no QR request is made first); with several ways
    // to pay, then the tile of the provider's flow.
    let pushing = matches!(wanted, Wanted::Push(_));
    let pay_key = if pushing {
        Key::SendToPhone
    } else {
        Key::Enter
    };
    h.send(Event::Key(pay_key));
    let mut v = h
        .wait_for(|v| !matches!(v.screen, Screen::Amount { error: None, .. }))
        .await
        .ok_or(PayError::Stopped)?;
    if let Screen::Method {
        tiles, error: None, ..
    } = &v.screen
    {
        let kind = wanted.kind();
        let tile = tiles
            .iter()
            .position(|t| t.provider.as_str() == request.provider && (pushing || t.flow == kind))
            .ok_or_else(|| {
                PayError::Flow(format!(
                    "{} offers no tile for {}",
                    request.provider,
                    flow_option(kind)
                ))
            })?;
        h.send(Event::Select(tile));
        v = h
            .wait_for(|v| !matches!(v.screen, Screen::Method { error: None, .. }))
            .await
            .ok_or(PayError::Stopped)?;
    }
    match &v.screen {
        Screen::Amount { error: Some(e), .. } | Screen::Method { error: Some(e), .. } => {
            return Err(PayError::Refused(words::message(Locale::En, e)));
        }
        Screen::Customer { .. } => {
            // Field by field, Enter after each, as the cashier types them. A QR provider asked
            // for a phone (offline) gets an empty field: Enter shows the QR.
            let fields = wanted.fields();
            if fields.is_empty() {
                h.send(Event::Key(Key::Enter));
            }
            for field in fields {
                for d in field.bytes() {
                    h.send(Event::Key(Key::Digit(d - b'0')));
                }
                h.send(Event::Key(Key::Enter));
            }
        }
        _ if !matches!(wanted, Wanted::Qr) => {
            return Err(PayError::Flow(format!(
                "{} did not ask for {}",
                request.provider,
                flow_option(wanted.kind())
            )));
        }
        _ => {}
    }

    let mut views = h.views();
    let mut shown_qr: Option<String> = None;
    let mut last_line = String::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(interrupt);
    let mut interrupted = false;
    let mut confirmed = false;
    let write = |out: &mut (dyn Write + Send), text: &str| {
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    };
    loop {
        let view = views.borrow_and_update().clone();
        match &view.screen {
            Screen::Result {
                outcome,
                late_approval,
                ..
            } => {
                write(out, &console::result_line(outcome, *late_approval));
                return Ok(PayResult {
                    outcome: Some(outcome.clone()),
                    late: *late_approval,
                });
            }
            // A kiosk's in-doubt sale: the same answer as an in-doubt result.
            Screen::CallStaff { outcome, .. } => {
                write(out, &console::result_line(outcome, false));
                return Ok(PayResult {
                    outcome: Some(outcome.clone()),
                    late: false,
                });
            }
            Screen::Queued { phone, .. } => {
                write(out, &console::queued_line(phone.as_str()));
                return Ok(PayResult {
                    outcome: None,
                    late: false,
                });
            }
            Screen::Customer { error: Some(e), .. } => {
                let e = words::message(Locale::En, e);
                return Err(match wanted {
                    Wanted::Push(_) => PayError::Phone(e),
                    Wanted::Card(..) => PayError::Card(e),
                    Wanted::Invoice(_) => PayError::Invoice(e),
                    Wanted::Qr => PayError::Refused(e),
                });
            }
            // The provider's amount due (an invoice): shown, then confirmed as the cashier would.
            Screen::AmountDue {
                pay: Some(pay),
                due: Some(due),
                lines,
                ..
            } if !confirmed => {
                for l in lines {
                    write(out, &format!("{}: {}", l.label, l.value));
                }
                let money = |m: &Money| view.status.local.money(*m);
                write(
                    out,
                    &format!("Paying {} of the {} due", money(pay), money(due)),
                );
                confirmed = true;
                h.send(Event::Key(Key::Enter));
            }
            Screen::Paying {
                waiting: Waiting::Qr { payload, .. },
                ..
            } if shown_qr.as_deref() != Some(payload) => {
                match console::qr_half_blocks(payload) {
                    Ok(qr) => write(out, &qr),
                    Err(e) => write(out, &format!("(cannot draw the QR code: {e})")),
                }
                write(out, &format!("QR payload: {payload}"));
                shown_qr = Some(payload.clone());
            }
            _ => {}
        }
        if let Some(line) = console::status_line(&view, clock.now()) {
            // A new line when the state changes, and every 10 s for the countdown.
            let state_of = |l: &str| l.split('(').next().unwrap_or("").to_string();
            let changed = state_of(&line) != state_of(&last_line);
            let secs = clock.now().0 / 1000;
            if changed || (line != last_line && secs.is_multiple_of(10)) {
                write(out, &line);
                last_line = line;
            }
        }
        tokio::select! {
            changed = views.changed() => {
                if changed.is_err() {
                    return Err(PayError::Stopped);
                }
            }
            _ = tick.tick() => {}
            _ = &mut interrupt, if !interrupted => {
                interrupted = true;
                write(out, "Cancelling at the provider...");
                h.send(Event::Key(Key::Cancel));
            }
        }
    }
}

/// Where `kassa pay` and `kassa run` look for their config when none is given.
pub fn default_config_path() -> PathBuf {
    PathBuf::from("kassa.toml")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::sale::Flow;
    use crate::money::Currency;
    use crate::providers::fake::FakeProvider;
    use crate::runtime::MemoryJournal;

    /// A terminal in Libya (LYD, 3 decimals) with the fake offering QR, card and code, invoice.
    fn lyd_config(name: &str) -> (Config, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("kassa-pay-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut c = Config::demo("http://127.0.0.1:9");
        c.terminal.currency = Currency::LYD;
        c.terminal.max_amount = Money::from_minor(1_000_000, Currency::LYD);
        c.terminal.poll_interval_ms = 20;
        c.outbox = crate::config::OutboxConfig::none(Currency::LYD);
        c.storage.path = dir.clone();
        (c, dir)
    }

    fn fake(flows: Vec<FlowKind>) -> Arc<FakeProvider> {
        Arc::new(FakeProvider::new(1, Clock::system(), MemoryJournal::default()).with_flows(flows))
    }

    fn request(amount: &str) -> PayRequest {
        PayRequest {
            provider: "fake".into(),
            amount: amount.into(),
            ..Default::default()
        }
    }

    async fn run(
        config: &Config,
        fake: &Arc<FakeProvider>,
        r: &PayRequest,
    ) -> (Result<PayResult, PayError>, String) {
        let mut out = Vec::new();
        let providers: Vec<Arc<dyn crate::providers::PaymentProvider>> = vec![fake.clone()];
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            pay_with(config, providers, r, &mut out, std::future::pending()),
        )
        .await
        .unwrap_or(Err(PayError::Stopped));
        (result, String::from_utf8_lossy(&out).into_owned())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn card_and_code_invoice_and_qr_each_reach_the_provider_in_lyd() {
        let (config, dir) = lyd_config("flows");
        let all = vec![FlowKind::Qr, FlowKind::CardAndCode, FlowKind::Invoice];
        let f = fake(all.clone());
        let card = PayRequest {
            card: Some("7121234567".into()),
            code: Some("4321".into()),
            ..request("12.345")
        };
        let (result, out) = run(&config, &f, &card).await;
        let result = result.unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(result.exit_code(), 0, "{out}");
        assert!(!out.contains("4321"), "the payment code was printed: {out}");
        let invoice = PayRequest {
            invoice: Some("88001".into()),
            ..request("0.5")
        };
        let (result, out) = run(&config, &f, &invoice).await;
        assert_eq!(result.map(|r| r.exit_code()).ok(), Some(0), "{out}");
        let (result, out) = run(&config, &f, &request("1")).await;
        assert_eq!(result.map(|r| r.exit_code()).ok(), Some(0), "{out}");
        assert!(out.contains("QR payload: fake://pay/"), "{out}");

        let started = f
            .state
            .lock()
            .map(|s| s.started.clone())
            .unwrap_or_default();
        assert_eq!(started.len(), 3);
        assert_eq!(started[0].amount, Money::from_minor(12_345, Currency::LYD));
        match &started[0].flow {
            Flow::CardAndCode { card, code } => {
                assert_eq!(card.as_str(), "7121234567");
                assert_eq!(code.as_ref().map(|c| c.as_str()), Some("4321"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(started[1].amount, Money::from_minor(500, Currency::LYD));
        assert!(matches!(&started[1].flow, Flow::Invoice { number } if number.as_str() == "88001"));
        assert_eq!(started[2].flow, Flow::Qr);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn malformed_inputs_and_missing_flows_are_refused_before_anything_starts() {
        let (config, dir) = lyd_config("refused");
        let f = fake(vec![FlowKind::Qr]);
        let cases: Vec<(PayRequest, &str)> = vec![
            (request("12.3456"), "--amount"),
            (
                request(""),
                "--amount is needed; only --invoice may go without it",
            ),
            (
                PayRequest {
                    phone: Some("4791234567".into()),
                    ..request(" ")
                },
                "--amount is needed",
            ),
            (
                PayRequest {
                    card: Some("71-21".into()),
                    code: Some("4321".into()),
                    ..request("1")
                },
                "--card: only digits are allowed",
            ),
            (
                PayRequest {
                    card: Some("7121234567".into()),
                    code: Some("12".into()),
                    ..request("1")
                },
                "--code: payment code must be 4 to 8 digits",
            ),
            (
                PayRequest {
                    invoice: Some("A-1".into()),
                    ..request("1")
                },
                "--invoice: only digits are allowed",
            ),
            (
                PayRequest {
                    invoice: Some("881".into()),
                    ..request("1")
                },
                "fake does not take --invoice; it takes a QR code",
            ),
            (
                PayRequest {
                    card: Some("7121234567".into()),
                    code: Some("4321".into()),
                    ..request("1")
                },
                "fake does not take --card with --code",
            ),
            (
                PayRequest {
                    phone: Some("4791234567".into()),
                    ..request("1")
                },
                "--phone: fake does not push payment requests to phones",
            ),
            (
                PayRequest {
                    phone: Some("4791234567".into()),
                    invoice: Some("1".into()),
                    ..request("1")
                },
                "give one of --phone",
            ),
            (
                PayRequest {
                    provider: "mcash".into(),
                    ..request("1")
                },
                "--provider mcash: not enabled",
            ),
        ];
        for (r, want) in &cases {
            let (result, out) = run(&config, &f, r).await;
            match result {
                Err(e) => assert!(e.to_string().contains(want), "{e} / want {want}"),
                Ok(r) => panic!("{want}: {r:?}\n{out}"),
            }
        }
        // A push-only provider has no QR flow to fall back on.
        let push = fake(vec![FlowKind::Push]);
        let (result, _) = run(&config, &push, &request("1")).await;
        let e = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("fake does not take a QR code"), "{e}");
        assert!(e.contains("it takes --phone"), "{e}");
        // A kiosk with a fixed price sells that price only.
        let mut kiosk = config.clone();
        kiosk.terminal.mode = crate::core::Mode::Kiosk;
        kiosk.kiosk.fixed_amount = Some(Money::from_minor(2_000, Currency::LYD));
        let (result, _) = run(&kiosk, &f, &request("1")).await;
        let e = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("price is fixed at 2.000"), "{e}");
        assert!(
            f.state.lock().map(|s| s.calls.is_empty()).unwrap_or(false),
            "nothing was sent"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
