//! The local JSON API for machines run by a computer: line-delimited JSON on a Unix socket
//! (and, if configured, on a loopback TCP port; never on another address: there is no
//! authentication, the socket file's permissions are the access control).
//!
//! The machine sends one object a line, `op` saying what:
//!
//! ```text
//! {"op":"vend","price":"2.50","item":3}   a customer chose item 3; price as an exact decimal string
//! {"op":"success"} / {"op":"failure"}     after "authorized": delivered or not
//! {"op":"cancel"}                         the customer or the machine gave up (before delivery)
//! {"op":"status"}                         where the vend stands
//! ```
//!
//! The terminal answers, on every connection:
//!
//! ```text
//! {"event":"authorized","sale":"V1-000007","price":"2.50"}   vend now
//! {"event":"denied","reason":"..."}                          do not vend
//! {"event":"settled","sale":"V1-000007","charged":true,"outcome":"captured, reference ..."}
//! {"event":"status","state":"idle"|"paying"|"vending", ...}
//! {"event":"ok","op":"success"}                              a result or cancel was taken
//! {"event":"error","error":"..."}                            bad input, named
//! ```
//!
//! Decisions: `cancel` after "authorized" means the product was not delivered (released);
//! a connection that closes while its vend is being paid withdraws the vend; a price is a string
//! (a JSON float cannot hold cents exactly; a whole number is accepted as such).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::bridge::MachineLink;
use super::{MachineCommand, MachineEvent, VendError};
use crate::money::{Currency, Money};

/// The longest request line read.
const MAX_LINE: usize = 4096;

#[derive(Clone, Debug)]
pub struct SocketConfig {
    pub path: PathBuf,
    /// A loopback TCP address, besides the socket (anything else is refused).
    pub tcp: Option<SocketAddr>,
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Paying { price: Money, item: Option<u32> },
    Vending { sale: String, price: Money },
}

struct Shared {
    phase: Mutex<Phase>,
    events: broadcast::Sender<String>,
    to_bridge: tokio::sync::mpsc::UnboundedSender<MachineEvent>,
    currency: Currency,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Binds the socket (a stale socket file is replaced) and the TCP port, then serves on the
/// current tokio runtime. Errors name the key.
pub async fn spawn(config: SocketConfig, link: MachineLink) -> Result<JoinHandle<()>, VendError> {
    let unix = bind_unix(&config.path)?;
    let tcp = match config.tcp {
        Some(addr) => Some(bind_tcp(addr).await?),
        None => None,
    };
    let (events, _) = broadcast::channel(64);
    let MachineLink {
        events: to_bridge,
        mut commands,
    } = link;
    let shared = Arc::new(Shared {
        phase: Mutex::new(Phase::Idle),
        events,
        to_bridge,
        currency: config.currency,
    });
    Ok(tokio::spawn(async move {
        let s = shared.clone();
        let from_bridge = tokio::spawn(async move {
            while let Some(c) = commands.recv().await {
                s.command(c);
            }
        });
        loop {
            tokio::select! {
                c = unix.accept() => match c {
                    Ok((stream, _)) => { tokio::spawn(serve(shared.clone(), stream)); }
                    Err(e) => tracing::warn!(error = %e, "vend socket accept failed"),
                },
                c = async { match &tcp { Some(l) => l.accept().await, None => std::future::pending().await } } => match c {
                    Ok((stream, _)) => { tokio::spawn(serve(shared.clone(), stream)); }
                    Err(e) => tracing::warn!(error = %e, "vend TCP accept failed"),
                },
            }
            if from_bridge.is_finished() {
                return;
            }
        }
    }))
}

/// Binds a loopback address only; the config refuses any other, and so does this, should one
/// come another way.
async fn bind_tcp(addr: SocketAddr) -> Result<TcpListener, VendError> {
    let err = |reason: String| VendError::Socket {
        key: "tcp_address",
        reason: format!("{addr}: {reason}"),
    };
    if !addr.ip().is_loopback() {
        return Err(err(
            "not a loopback address: the vend API listens on 127.0.0.1 or [::1] only".into(),
        ));
    }
    TcpListener::bind(addr)
        .await
        .map_err(|e| err(e.to_string()))
}

fn bind_unix(path: &Path) -> Result<UnixListener, VendError> {
    let err = |reason: String| VendError::Socket {
        key: "socket_path",
        reason: format!("{}: {reason}", path.display()),
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(err("exists and is not a socket".into()));
        }
        std::fs::remove_file(path).map_err(|e| err(e.to_string()))?;
    }
    UnixListener::bind(path).map_err(|e| err(e.to_string()))
}

impl Shared {
    fn send(&self, v: Value) {
        let _ = self.events.send(v.to_string());
    }

    /// What the bridge tells the machine.
    fn command(&self, c: MachineCommand) {
        let mut phase = lock(&self.phase);
        match c {
            MachineCommand::Approve { price, sale } => {
                *phase = Phase::Vending {
                    sale: sale.to_string(),
                    price,
                };
                self.send(json!({"event": "authorized", "sale": sale.as_str(),
                    "price": price.to_decimal_string()}));
            }
            MachineCommand::Deny { reason } => {
                if matches!(*phase, Phase::Paying { .. }) {
                    *phase = Phase::Idle;
                }
                self.send(json!({"event": "denied", "reason": reason}));
            }
            MachineCommand::Settled {
                sale,
                charged,
                outcome,
            } => self.send(json!({"event": "settled", "sale": sale.as_str(),
                "charged": charged, "outcome": outcome})),
        }
    }

    /// One request line; the answer for this connection alone, if any.
    fn request(&self, line: &str, paying_here: &mut bool) -> Option<Value> {
        let error = |e: String| Some(json!({"event": "error", "error": e}));
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return error(format!("not JSON: {e}")),
        };
        let Some(op) = v.get("op").and_then(Value::as_str) else {
            return error("missing \"op\": one of vend, success, failure, cancel, status".into());
        };
        let mut phase = lock(&self.phase);
        match op {
            "vend" => {
                let price = match parse_price(v.get("price"), self.currency) {
                    Ok(p) => p,
                    Err(e) => return error(e),
                };
                let item = match v.get("item") {
                    None | Some(Value::Null) => None,
                    Some(i) => match i.as_u64().and_then(|i| u32::try_from(i).ok()) {
                        Some(i) => Some(i),
                        None => return error("\"item\" must be a whole number".into()),
                    },
                };
                if *phase == Phase::Idle {
                    *phase = Phase::Paying { price, item };
                }
                *paying_here = true;
                let _ = self.to_bridge.send(MachineEvent::Request { price, item });
                None
            }
            "success" | "failure" => {
                if !matches!(*phase, Phase::Vending { .. }) {
                    return error(format!("\"{op}\" with no authorized vend"));
                }
                *phase = Phase::Idle;
                let _ = self.to_bridge.send(MachineEvent::Result {
                    delivered: op == "success",
                    why: format!("the machine reported {op}"),
                });
                Some(json!({"event": "ok", "op": op}))
            }
            "cancel" => {
                let event = match *phase {
                    Phase::Idle => return error("\"cancel\" with no vend in progress".into()),
                    Phase::Paying { .. } => MachineEvent::Withdrawn {
                        why: "the machine cancelled".into(),
                    },
                    Phase::Vending { .. } => MachineEvent::Result {
                        delivered: false,
                        why: "the machine cancelled after the approval".into(),
                    },
                };
                *phase = Phase::Idle;
                let _ = self.to_bridge.send(event);
                Some(json!({"event": "ok", "op": "cancel"}))
            }
            "status" => Some(match &*phase {
                Phase::Idle => json!({"event": "status", "state": "idle"}),
                Phase::Paying { price, item } => json!({"event": "status", "state": "paying",
                    "price": price.to_decimal_string(), "item": item}),
                Phase::Vending { sale, price } => json!({"event": "status", "state": "vending",
                    "sale": sale, "price": price.to_decimal_string()}),
            }),
            other => error(format!(
                "unknown op {other:?}: one of vend, success, failure, cancel, status"
            )),
        }
    }

    /// A connection closed: a vend it was paying for is withdrawn.
    fn closed(&self, paying_here: bool) {
        let mut phase = lock(&self.phase);
        if paying_here && matches!(*phase, Phase::Paying { .. }) {
            *phase = Phase::Idle;
            let _ = self.to_bridge.send(MachineEvent::Withdrawn {
                why: "the machine's connection closed".into(),
            });
        }
    }
}

fn parse_price(v: Option<&Value>, currency: Currency) -> Result<Money, String> {
    let text = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(Value::Number(_)) => {
            return Err(
                "\"price\" must be a decimal string such as \"2.50\" (a JSON float cannot \
                 hold cents exactly)"
                    .into(),
            );
        }
        _ => return Err("missing \"price\", a decimal string such as \"2.50\"".into()),
    };
    match Money::parse_wire_str(&text, currency) {
        Ok(m) if m.is_positive() => Ok(m),
        Ok(_) => Err("\"price\" must be more than zero".into()),
        Err(e) => Err(format!("\"price\": {e}")),
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Send + 'static>(shared: Arc<Shared>, stream: S) {
    let (read, mut write) = tokio::io::split(stream);
    let mut events = shared.events.subscribe();
    let mut reader = BufReader::new(read);
    let mut paying_here = false;
    let mut buf = Vec::new();
    // Inside an overlong line: its bytes are dropped up to its end.
    let mut skipping = false;
    loop {
        let mut limited = (&mut reader).take(MAX_LINE as u64 + 1);
        tokio::select! {
            // Cancel-safe: bytes read before another branch won stay in `buf`.
            n = limited.read_until(b'\n', &mut buf) => {
                let n = match n { Ok(n) => n, Err(_) => break };
                if n == 0 {
                    break;
                }
                let complete = buf.last() == Some(&b'\n');
                if !complete && buf.len() <= MAX_LINE {
                    continue;
                }
                let answer = if skipping {
                    skipping = !complete;
                    None
                } else if buf.len() > MAX_LINE {
                    skipping = !complete;
                    Some(json!({"event": "error", "error": format!("line longer than {MAX_LINE} bytes")}))
                } else {
                    let line = String::from_utf8_lossy(&buf).trim().to_string();
                    if line.is_empty() { None } else { shared.request(&line, &mut paying_here) }
                };
                buf.clear();
                if let Some(a) = answer
                    && write.write_all(format!("{a}\n").as_bytes()).await.is_err()
                {
                    break;
                }
            }
            e = events.recv() => match e {
                Ok(line) => {
                    if write.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
        }
    }
    shared.closed(paying_here);
}
