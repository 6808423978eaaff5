//! The async shell of [`super::session`]: machine events from a controller, the core's vend
//! answers from the runtime's outputs, deadlines on tokio's clock (paused in tests), and the
//! settlement of each vend reported back to the machine once the core shows its result.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::session::{Action, CoreAnswer, Input, Session, Timing};
use super::{MachineCommand, MachineEvent};
use crate::core::record::Outcome;
use crate::core::sale::SaleKey;
use crate::core::view::Screen;
use crate::runtime::{Output, RuntimeHandle};

/// How long a settlement is waited for before the machine is told nothing more.
const SETTLEMENT_WAIT: Duration = Duration::from_secs(600);

/// The controller's side of a bridge: events in, commands out.
pub struct MachineLink {
    pub events: mpsc::UnboundedSender<MachineEvent>,
    pub commands: mpsc::UnboundedReceiver<MachineCommand>,
}

/// The bridge's side.
pub struct BridgeLink {
    pub events: mpsc::UnboundedReceiver<MachineEvent>,
    pub commands: mpsc::UnboundedSender<MachineCommand>,
}

/// A connected pair: give `MachineLink` to the controller, `BridgeLink` to [`run`].
pub fn link() -> (MachineLink, BridgeLink) {
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    (
        MachineLink {
            events: events_tx,
            commands: commands_rx,
        },
        BridgeLink {
            events: events_rx,
            commands: commands_tx,
        },
    )
}

/// Runs until the controller's side closes or the runtime stops. The runtime's outputs that are
/// not vend answers (signals) go to `others`, when given.
pub async fn run(
    handle: RuntimeHandle,
    mut outputs: mpsc::UnboundedReceiver<Output>,
    mut link: BridgeLink,
    others: Option<mpsc::UnboundedSender<Output>>,
    timing: Timing,
) {
    let start = Instant::now();
    let now = move || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (deadlines_tx, mut deadlines) = mpsc::unbounded_channel::<u64>();
    let mut session = Session::new(timing);
    loop {
        let input = tokio::select! {
            event = link.events.recv() => match event {
                Some(e) => Input::Machine(e),
                None => break,
            },
            output = outputs.recv() => match output {
                Some(Output::Vend(sale)) => Input::Core(CoreAnswer::Vend(sale)),
                Some(Output::VendDenied { sale, reason }) => {
                    Input::Core(CoreAnswer::Denied { sale, reason })
                }
                Some(other) => {
                    if let Some(o) = &others {
                        let _ = o.send(other);
                    }
                    continue;
                }
                None => break,
            },
            Some(id) = deadlines.recv() => Input::Deadline(id),
        };
        for action in session.handle(now(), input) {
            match action {
                Action::ToCore(event) => {
                    if !handle.send(event) {
                        return;
                    }
                }
                Action::ToMachine(command) => {
                    let _ = link.commands.send(command);
                }
                Action::Arm { id, at_ms } => {
                    let tx = deadlines_tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep_until(start + Duration::from_millis(at_ms)).await;
                        let _ = tx.send(id);
                    });
                }
                Action::WatchSettlement { sale, delivered } => {
                    let (h, tx) = (handle.clone(), link.commands.clone());
                    tokio::spawn(async move {
                        if let Some(command) = settlement(&h, sale, delivered).await {
                            let _ = tx.send(command);
                        }
                    });
                }
            }
        }
    }
}

/// Waits for the core to show `sale`'s result.
async fn settlement(
    handle: &RuntimeHandle,
    sale: SaleKey,
    delivered: bool,
) -> Option<MachineCommand> {
    let shown = |v: &crate::core::view::View| matches!(&v.screen, Screen::Result { sale: s, .. } if *s == sale);
    let view = tokio::time::timeout(SETTLEMENT_WAIT, handle.wait_for(shown))
        .await
        .ok()??;
    let Screen::Result { outcome, .. } = view.screen else {
        return None;
    };
    let (charged, words) = match &outcome {
        // Paid outright and not delivered: the core refunds it by itself.
        Outcome::Approved { reference } if !delivered => {
            (false, format!("paid ({reference}), refund started"))
        }
        Outcome::Approved { reference } => (true, format!("captured, reference {reference}")),
        Outcome::Released => (false, "released, not charged".to_string()),
        Outcome::InDoubt { reason } => (false, format!("in doubt: {reason}")),
        other => (false, format!("{other:?}")),
    };
    Some(MachineCommand::Settled {
        sale,
        charged,
        outcome: words,
    })
}
