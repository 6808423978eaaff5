//! `kassa vend`: with a config, the vending terminal without a screen (its `[vending]`
//! controller drives the sales until interrupted); with none, a demonstration against the
//! built-in simulators: the mCASH simulator with a customer who pays by herself, and a
//! simulated MDB HAT and vending machine on a pseudo-terminal that the real serial driver
//! opens. Two vends: one delivered (captured), one that fails to dispense (released).

use std::io::Write;
use std::time::Duration;

use thiserror::Error;

use crate::boot;
use crate::config::Config;
use crate::core::record::Outcome;
use crate::core::sale::SaleKey;
use crate::core::view::Screen;
use crate::providers::setup;
use crate::runtime::Clock;

#[derive(Debug, Error)]
pub enum DemoError {
    #[error("the config has no [vending] section")]
    NoVending,
    #[error(transparent)]
    Setup(#[from] setup::SetupError),
    #[error(transparent)]
    Boot(#[from] boot::BootError),
    #[error(transparent)]
    Vend(#[from] super::VendError),
    #[error("{0}")]
    Other(String),
}

/// Runs the configured vending terminal until `interrupt` resolves.
pub async fn serve(
    config: &Config,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<(), DemoError> {
    let vending = config.vending.clone().ok_or(DemoError::NoVending)?;
    let providers = setup::from_config(config)?;
    let rt = boot::start(config, providers, Clock::system())?;
    let bridge = super::start(
        config,
        &vending,
        super::timing(&vending),
        rt.handle.clone(),
        rt.outputs,
        None,
    )
    .await?;
    let _ = writeln!(
        out,
        "kassa vend: taking vends through [vending] ({}); Ctrl-C stops",
        kind(&vending.controller)
    );
    interrupt.await;
    bridge.abort();
    rt.task.abort();
    let _ = rt.task.await;
    Ok(())
}

fn kind(c: &crate::config::VendController) -> &'static str {
    match c {
        crate::config::VendController::Mdb(_) => "MDB HAT",
        crate::config::VendController::Socket { .. } => "socket",
        crate::config::VendController::Gpio(_) => "GPIO",
    }
}

/// The demonstration. Returns whether both vends ended as they should (captured, released).
#[cfg(feature = "sim")]
pub async fn demo(out: &mut (dyn Write + Send)) -> Result<bool, DemoError> {
    use super::mdb::sim::{AfterApproval, SimHat};
    use crate::config::LoadContext;
    use crate::sim::mcash::{DEMO_MERCHANT_ID, DEMO_SECRET, DEMO_USER_ID};
    use crate::sim::{SimOptions, Simulator};

    let other = |e: &dyn std::fmt::Display| DemoError::Other(e.to_string());
    let sim = Simulator::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            autopilot: Some(Duration::from_secs(1)),
            ..SimOptions::default()
        },
    )
    .await
    .map_err(|e| other(&e))?;
    let hat = SimHat::start()?;
    let dir = std::env::temp_dir().join(format!("kassa-vend-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "[terminal]\nid = \"VEND1\"\nmode = \"vending\"\ncurrency = \"NOK\"\n\
         max_amount = \"1000\"\npoll_interval_ms = 200\nresult_hold_seconds = 1\n\n\
         [storage]\npath = {journal:?}\ncache_mb = 4\n\n\
         [providers.mcash]\nbase_url = \"{base}\"\nmerchant_id = \"{DEMO_MERCHANT_ID}\"\n\
         user_id = \"{DEMO_USER_ID}\"\nsecret = \"{DEMO_SECRET}\"\npos_id = \"VEND1\"\n\
         expires_in_seconds = 60\n\n\
         [vending]\nkind = \"mdb\"\nport = \"{port}\"\npayment_timeout_seconds = 50\n\
         vmc_timeout_seconds = 120\n",
        journal = dir.join("journal"),
        base = sim.base_url("mcash").unwrap_or_default(),
        port = hat.port,
    );
    let ctx = LoadContext {
        config_dir: dir.clone(),
        credentials_directory: None,
        state_directory: None,
    };
    let config = Config::from_toml_str_in(&text, "kassa vend demo", &ctx).map_err(|e| other(&e))?;
    let vending = config.vending.clone().ok_or(DemoError::NoVending)?;
    let rt = boot::start(&config, setup::from_config(&config)?, Clock::system())?;
    let handle = rt.handle.clone();
    let bridge = super::start(
        &config,
        &vending,
        super::timing(&vending),
        handle.clone(),
        rt.outputs,
        None,
    )
    .await?;
    let _ = writeln!(
        out,
        "Simulated vending machine on {} (MDB HAT protocol, 115200 8N1); mCASH simulator at {}; \
         its customer pays 1 s after each request.",
        hat.port,
        sim.root_url()
    );
    let until = |what: Box<dyn Fn(&SimHat) -> bool + Send>| {
        let h = hat.clone();
        tokio::task::spawn_blocking(move || h.wait(Duration::from_secs(30), what))
    };
    let _ = until(Box::new(|h| h.enabled())).await;
    let _ = writeln!(out, "HAT configured: {}", hat.settings().join(", "));

    let mut all_ok = true;
    let mut last: Option<SaleKey> = None;
    let vends = [
        ("15.19", 2, AfterApproval::Deliver, true),
        ("4.00", 1, AfterApproval::Fail, false),
    ];
    for (n, (amount, item, after, delivers)) in vends.into_iter().enumerate() {
        let approvals = hat.approvals().len();
        hat.after_approval(after);
        let _ = writeln!(
            out,
            "\nvend {}: the customer chooses item {item} at {amount} NOK (c,STATUS,VEND,{amount},{item})",
            n + 1
        );
        let _ = out.flush();
        hat.select(amount, item);
        let approved = until(Box::new(move |h| h.approvals().len() > approvals))
            .await
            .unwrap_or(false);
        if approved {
            let _ = writeln!(
                out,
                "  paid by QR (mCASH AUTH), the vend approved: C,VEND,{amount}"
            );
            let _ = writeln!(
                out,
                "  the machine {}",
                if delivers {
                    "delivers: c,VEND,SUCCESS"
                } else {
                    "fails to dispense: c,ERR,VEND 3"
                }
            );
        } else {
            let _ = writeln!(out, "  the vend was not approved");
        }
        let prev = last.clone();
        let view = tokio::time::timeout(
            Duration::from_secs(30),
            handle.wait_for(
                |v| matches!(&v.screen, Screen::Result { sale, .. } if Some(sale) != prev.as_ref()),
            ),
        )
        .await
        .ok()
        .flatten();
        let Some(Screen::Result { sale, outcome, .. }) = view.map(|v| v.screen) else {
            let _ = writeln!(out, "  no result within 30 s");
            all_ok = false;
            continue;
        };
        let m = sim.mcash();
        let at_mcash = m
            .tid_for("VEND1", sale.as_str())
            .and_then(|tid| m.outcome(&tid))
            .unwrap_or_default();
        let captures = at_mcash["captures"].as_array().map_or(0, Vec::len);
        let line = match &outcome {
            Outcome::Approved { reference } => {
                format!("captured {amount} NOK (sale {sale}, reference {reference})")
            }
            Outcome::Released => format!("released, not charged (sale {sale})"),
            other => format!("{other:?} (sale {sale})"),
        };
        let _ = writeln!(
            out,
            "  {line}; mCASH: status {}, {captures} capture(s)",
            at_mcash["status"]
        );
        let expected = if delivers {
            outcome.is_approved() && captures == 1
        } else {
            outcome == Outcome::Released && captures == 0
        };
        all_ok &= expected;
        last = Some(sale);
    }
    bridge.abort();
    rt.task.abort();
    let _ = rt.task.await;
    let _ = writeln!(
        out,
        "\n{}",
        if all_ok {
            "DONE: one vend delivered and captured, one failed and released"
        } else {
            "NOT AS EXPECTED: see above"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(all_ok)
}
