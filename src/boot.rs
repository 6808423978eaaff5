//! Start-up shared by `kassa run` and `kassa pay`: open the journal, learn from it what the
//! terminal must know (the next sale number, today's sales, what was left unfinished by a crash
//! or power cut), and start the runtime. The terminal then resolves every unfinished sale through
//! its provider before it takes a new one.

use std::sync::Arc;

use thiserror::Error;

use crate::config::Config;
use crate::core::provider::ProviderId;
use crate::core::resume::{Left, Resume};
use crate::core::sale::SaleKey;
use crate::core::view::SaleRow;
use crate::core::{Event, Millis, Terminal};
use crate::journal::{Journal, JournalError, Pending, Unfinished};
use crate::providers::PaymentProvider;
use crate::runtime::{Clock, JournalWriter, Runtime, RuntimeOptions};

#[derive(Debug, Error)]
pub enum BootError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Writer(String),
}

/// What the journal says the terminal must pick up.
#[derive(Debug, Default)]
pub struct Found {
    pub next_sequence: u64,
    pub history: Vec<SaleRow>,
    pub handles: Vec<(SaleKey, ProviderId, crate::core::provider::PaymentHandle)>,
    pub resume: Vec<Resume>,
    /// Stored values that fail their checksum or cannot be read: reported at start, for a
    /// person; their sales show as in doubt.
    pub damaged: usize,
}

/// Reads what the terminal must know from the journal.
pub fn read(journal: &Journal, now: Millis) -> Result<Found, JournalError> {
    let next_sequence = journal.next_sequence()?;
    // Today's and yesterday's sales (local days): history, refunds and the day report around
    // midnight.
    let today = journal.zone().day_of(now);
    let mut history = Vec::new();
    let mut handles = Vec::new();
    for day in [today.saturating_sub(1), today] {
        for state in journal.sales_on(day)? {
            if let (Some(h), Some(p)) = (&state.handle, &state.provider) {
                handles.push((state.key.clone(), p.clone(), h.clone()));
            }
            history.extend(state.row());
        }
    }
    // `unfinished` leaves out sales the outbox owns (a queued push has an intent and no
    // answer on purpose): recovering those here would end them twice.
    let resume = journal
        .unfinished()?
        .into_iter()
        .flat_map(resumes)
        .collect();
    let damaged = journal.damaged()?.len();
    Ok(Found {
        next_sequence,
        history,
        handles,
        resume,
        damaged,
    })
}

/// What is left of one unfinished sale: the payment itself (start, or the capture or release
/// after a vend) and any unconfirmed refund.
fn resumes(u: Unfinished) -> Vec<Resume> {
    let mut out = Vec::new();
    let payment = if u
        .pending
        .iter()
        .any(|p| matches!(p, Pending::Capture { .. }))
    {
        Some(Left::Capture)
    } else if u.pending.contains(&Pending::Release) {
        Some(Left::Release)
    } else if u.pending.contains(&Pending::Abort) {
        Some(Left::Abort)
    } else if u.pending.contains(&Pending::Start) {
        Some(Left::Start)
    } else {
        None
    };
    let lefts = payment
        .into_iter()
        .chain(u.pending.iter().filter_map(|p| match p {
            Pending::Refund { amount, key } => Some(Left::Refund {
                amount: *amount,
                key: key.clone(),
            }),
            _ => None,
        }));
    for left in lefts {
        out.push(Resume {
            request: u.request.clone(),
            provider: u.provider.clone(),
            handle: u.handle.clone(),
            started_at: u.started_at,
            left,
        });
    }
    out
}

/// Opens the journal, prepares the terminal from it and starts the runtime with `providers`.
pub fn start(
    config: &Config,
    providers: Vec<Arc<dyn PaymentProvider>>,
    clock: Clock,
) -> Result<Runtime, BootError> {
    let journal = Journal::open(&config.storage.path, config.storage.cache_mb * 1024 * 1024)?
        .with_zone(config.terminal.time_zone.clone());
    let found = read(&journal, clock.now())?;
    if found.damaged > 0 {
        tracing::error!(
            count = found.damaged,
            path = %config.storage.path.display(),
            "the journal has damaged records; their sales are listed as in doubt"
        );
    }
    if !found.resume.is_empty() {
        tracing::warn!(
            count = found.resume.len(),
            "unfinished sales from before the restart: resolving them first"
        );
    }
    let infos = providers.iter().map(|p| p.info()).collect();
    let mut terminal = Terminal::new(config.settings(), infos, found.next_sequence, found.history);
    for (sale, provider, handle) in found.handles {
        terminal.know_handle(sale, provider, handle);
    }
    terminal.resume(found.resume);
    let writer = JournalWriter::spawn(journal).map_err(|e| BootError::Writer(e.to_string()))?;
    let runtime = Runtime::start(
        terminal,
        providers,
        writer,
        clock,
        RuntimeOptions::from_config(config),
    );
    runtime.handle.send(Event::Storage {
        used_bytes: dir_size(&config.storage.path),
        damaged: found.damaged,
    });
    Ok(runtime)
}

/// Bytes of all files under `dir` (the journal's sled files and marker).
fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::provider::PaymentHandle;
    use crate::core::record::{JournalEntry, Outcome, Record};
    use crate::core::sale::{Capture, Flow, Msisdn, SaleRequest};
    use crate::journal::OutboxOp;
    use crate::money::{Currency, Money};

    const NOW: Millis = Millis(1_700_000_000_000);

    fn key(n: u64) -> SaleKey {
        SaleKey::new("T1", n).unwrap()
    }

    fn write(j: &Journal, n: u64, record: Record) {
        j.append(&JournalEntry {
            at: NOW,
            sale: key(n),
            provider: ProviderId::new("mcash"),
            record,
        })
        .unwrap();
    }

    fn request(n: u64, flow: Flow, capture: Capture) -> SaleRequest {
        SaleRequest {
            key: key(n),
            amount: Money::from_minor(1000, Currency::NOK),
            flow,
            capture,
        }
    }

    #[test]
    fn the_journal_says_what_to_resume_and_leaves_queued_pushes_to_the_outbox() {
        let dir = std::env::temp_dir().join(format!("kassa-boot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = Journal::open(&dir, 1 << 20).unwrap();
        let handle = |n: u64| PaymentHandle(format!("tid-{n}"));
        // 1: only the intent. 2: a vend delivered, capture journaled. 3: done, refund pending.
        // 4: a push queued while offline. 5: finished.
        write(
            &j,
            1,
            Record::StartIntent(request(1, Flow::Qr, Capture::Sale)),
        );
        write(
            &j,
            2,
            Record::StartIntent(request(2, Flow::Qr, Capture::Auth)),
        );
        write(&j, 2, Record::Started { handle: handle(2) });
        let amount = Money::from_minor(1000, Currency::NOK);
        write(&j, 2, Record::CaptureIntent { amount });
        write(
            &j,
            3,
            Record::StartIntent(request(3, Flow::Qr, Capture::Sale)),
        );
        write(&j, 3, Record::Started { handle: handle(3) });
        let approved = Outcome::Approved {
            reference: "r3".into(),
        };
        write(
            &j,
            3,
            Record::Outcome {
                outcome: approved,
                late: false,
            },
        );
        let refund_key = SaleKey::parse("T1-000003-R").unwrap();
        write(
            &j,
            3,
            Record::RefundIntent {
                amount,
                key: refund_key.clone(),
            },
        );
        let push = request(
            4,
            Flow::Push {
                phone: Msisdn::parse("4712345678").unwrap(),
            },
            Capture::Sale,
        );
        write(&j, 4, Record::StartIntent(push.clone()));
        j.enqueue(
            Some(key(4)),
            ProviderId::new("mcash"),
            OutboxOp::QueuedPush { request: push },
            NOW,
        )
        .unwrap();
        write(
            &j,
            5,
            Record::StartIntent(request(5, Flow::Qr, Capture::Sale)),
        );
        write(
            &j,
            5,
            Record::Outcome {
                outcome: Outcome::Cancelled,
                late: false,
            },
        );

        let found = read(&j, NOW).unwrap();
        let got: Vec<(String, Left)> = found
            .resume
            .iter()
            .map(|r| (r.request.key.to_string(), r.left.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("T1-000001".to_string(), Left::Start),
                ("T1-000002".to_string(), Left::Capture),
                (
                    "T1-000003".to_string(),
                    Left::Refund {
                        amount,
                        key: refund_key
                    }
                ),
            ]
        );
        assert_eq!(found.next_sequence, 6);
        assert_eq!(found.history.len(), 5);
        assert!(
            found
                .handles
                .iter()
                .any(|(k, _, h)| *k == key(3) && *h == handle(3))
        );
        assert_eq!(found.damaged, 0);
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_abort_journaled_by_the_recovery_resumes_as_an_abort_with_its_handle() {
        let dir = std::env::temp_dir().join(format!("kassa-boot-abort-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = Journal::open(&dir, 1 << 20).unwrap();
        write(
            &j,
            1,
            Record::StartIntent(request(1, Flow::Qr, Capture::Sale)),
        );
        write(
            &j,
            1,
            Record::Started {
                handle: PaymentHandle("tid-1".into()),
            },
        );
        write(&j, 1, Record::AbortIntent);
        let found = read(&j, NOW).unwrap();
        assert_eq!(found.resume.len(), 1);
        assert_eq!(found.resume[0].left, Left::Abort);
        assert_eq!(found.resume[0].handle, Some(PaymentHandle("tid-1".into())));
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A kiosk on "call staff" is restarted from what the sled journal holds: it comes back on
    /// "call staff" until the supervisor PIN, whose clearing is journaled and holds at the
    /// next start.
    #[test]
    fn a_kiosk_calling_staff_calls_again_after_a_restart_until_the_pin_clears_it() {
        use crate::core::event::{Effect, Event, Key};
        use crate::core::pin::PinHash;
        use crate::core::provider::{Capabilities, FlowKind, ProviderInfo};
        use crate::core::view::Screen;
        use crate::core::{Mode, Settings, Terminal};

        let dir = std::env::temp_dir().join(format!("kassa-boot-staff-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let j = Journal::open(&dir, 1 << 20).unwrap();
        // Sale 1 ended in doubt and called staff (the core's records, as written); sale 2 came
        // before it and ended normally.
        write(
            &j,
            2,
            Record::StartIntent(request(2, Flow::Qr, Capture::Sale)),
        );
        write(
            &j,
            2,
            Record::Outcome {
                outcome: Outcome::Cancelled,
                late: false,
            },
        );
        write(
            &j,
            1,
            Record::StartIntent(request(1, Flow::Qr, Capture::Sale)),
        );
        let in_doubt = Outcome::InDoubt {
            reason: "no answer".into(),
        };
        write(
            &j,
            1,
            Record::Outcome {
                outcome: in_doubt,
                late: false,
            },
        );
        write(&j, 1, Record::StaffCalled);

        let mut settings = Settings::demo("T1");
        settings.mode = Mode::Kiosk;
        settings.supervisor_pin = Some(PinHash::hash("2468", [1; 16], true).unwrap());
        let mcash = ProviderInfo {
            id: ProviderId::new("mcash"),
            name: "mCASH".into(),
            capabilities: Capabilities {
                flows: vec![FlowKind::Qr],
                cancel: true,
                refund: true,
                auth_capture: true,
                lookup: false,
                services: Vec::new(),
                agent_pin: false,
                amount_due: None,
            },
        };
        let start = |j: &Journal| {
            let found = read(j, NOW).unwrap();
            let mut t = Terminal::new(
                settings.clone(),
                vec![mcash.clone()],
                found.next_sequence,
                found.history,
            );
            t.handle(NOW, Event::Ready);
            t
        };
        let calling = |t: &Terminal| matches!(&t.view().screen, Screen::CallStaff { sale, .. } if *sale == key(1));

        let mut t = start(&j);
        assert!(calling(&t), "{:?}", t.view().screen);
        // The runtime writes what the core journals; a customer's keys write nothing.
        let press = |t: &mut Terminal, k: Key| {
            for fx in t.handle(NOW, Event::Key(k)) {
                if let Effect::Journal(e) = fx {
                    j.append(&e).unwrap();
                }
            }
        };
        for k in [
            Key::Cancel,
            Key::Clear,
            Key::Digit(1),
            Key::Cancel,
            Key::Cancel,
        ] {
            press(&mut t, k);
        }
        assert!(calling(&t), "{:?}", t.view().screen);
        drop(t);
        // Restarted again before staff came: still calling.
        let mut t = start(&j);
        assert!(calling(&t));
        press(&mut t, Key::Enter);
        for d in [2, 4, 6, 8] {
            press(&mut t, Key::Digit(d));
        }
        press(&mut t, Key::Enter);
        assert!(
            matches!(t.view().screen, Screen::Menu { .. }),
            "{:?}",
            t.view().screen
        );
        let state = j.sale(&key(1)).unwrap();
        assert!(!state.staff_called, "{state:?}");

        let t = start(&j);
        assert!(
            matches!(t.view().screen, Screen::Amount { .. }),
            "cleared for good: {:?}",
            t.view().screen
        );
        drop(j);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
