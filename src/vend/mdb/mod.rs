//! The MDB controller: a cashless device (#1 by default) through a Raspberry Pi MDB HAT speaking
//! the Qibixx line protocol on a serial port (115200 8N1). [`line`] reads the HAT's lines,
//! [`hat`] is the session as a pure state machine, this file is the serial driver around them,
//! and [`sim`] a simulated HAT with its vending machine on the far end of a pseudo-terminal.
//!
//! The driver: one thread reads the port (short read timeouts, so it stops promptly), the async
//! task parses, runs the session and writes. A serial error or a silent link (no line, not even
//! `r,ACK`, for `link_timeout`) is taken as a HAT reset: the port is reopened if it failed, the
//! configuration sent again, and a vend in flight settled by the reset rule of [`hat`].
//!
//! A HAT that stays silent after that (a second `link_timeout` without a line) has hung rather
//! than reset: with a reset line (`reset_pin`, BCM GPIO6 on the Pi HAT) the driver pulls it low
//! for [`RESET_PULSE`], lets the HAT boot for [`HAT_BOOT`], and configures it again. Soft and hard
//! alternate while the silence lasts, so a HAT that is merely slow is not reset over and over.

pub mod hat;
pub mod line;
pub mod sim;
#[cfg(test)]
mod tests;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::hat::{Hat, HatSettings, Out};
use self::line::{HatLine, LineBuffer};
use super::VendError;
use super::bridge::MachineLink;

/// The HAT's fixed speed.
pub const BAUD: u32 = 115_200;
/// How often the reading thread looks at its stop flag.
const READ_TIMEOUT: Duration = Duration::from_millis(50);
/// Between attempts to open a port that failed.
const REOPEN_DELAY: Duration = Duration::from_secs(1);
/// How long the reset line is held low.
pub const RESET_PULSE: Duration = Duration::from_millis(100);
/// How long the HAT is left to boot after a hard reset before it is configured.
pub const HAT_BOOT: Duration = Duration::from_secs(2);

/// The HAT's reset line (`set(true)`: high, the HAT runs; `set(false)`: low, held in reset).
pub type ResetLine = Box<dyn crate::hw::pins::OutputPin>;

#[derive(Clone, Debug)]
pub struct MdbConfig {
    /// `/dev/serial0` on a Pi's GPIO header, `/dev/ttyACM0` for the USB variant.
    pub port: String,
    pub hat: HatSettings,
    /// No line at all from the HAT for this long: it is taken for reset and configured again.
    pub link_timeout: Duration,
}

/// Opens the port (an error names it at once, so a wrong `port` stops the start) and starts
/// the driver on the current tokio runtime, with the HAT's reset line if it has one.
pub fn spawn(
    config: MdbConfig,
    link: MachineLink,
    reset: Option<ResetLine>,
) -> Result<JoinHandle<()>, VendError> {
    let port = open(&config.port)?;
    Ok(tokio::spawn(run(config, port, link, reset)))
}

pub fn open(path: &str) -> Result<TTYPort, VendError> {
    serialport::new(path, BAUD)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_TIMEOUT)
        .open_native()
        .map_err(|e| VendError::Serial {
            port: path.to_string(),
            reason: e.to_string(),
        })
}

/// The reading thread of one opened port.
struct Reader {
    stop: Arc<AtomicBool>,
    chunks: mpsc::UnboundedReceiver<Result<Vec<u8>, String>>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn start_reader(mut port: TTYPort) -> Result<Reader, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, chunks) = mpsc::unbounded_channel();
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("mdb-read".into())
        .spawn(move || {
            let mut buf = [0u8; 256];
            while !flag.load(Ordering::SeqCst) {
                match port.read(&mut buf) {
                    Ok(0) => {
                        let _ = tx.send(Err("the port closed".to_string()));
                        return;
                    }
                    Ok(n) => {
                        if tx.send(Ok(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(Reader { stop, chunks })
}

/// Why a connection to the HAT ended.
enum Ended {
    /// The terminal's side closed: stop for good.
    Stopped,
    /// The port failed: reopen it.
    PortLost(String),
}

async fn run(
    config: MdbConfig,
    first: TTYPort,
    mut link: MachineLink,
    mut reset: Option<ResetLine>,
) {
    let mut hat = Hat::new(config.hat.clone());
    let mut port = Some(first);
    let mut why = "start-up".to_string();
    loop {
        let p = match port.take() {
            Some(p) => p,
            None => match open(&config.port) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "MDB HAT port cannot be opened; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(REOPEN_DELAY) => continue,
                        c = link.commands.recv() => match c {
                            Some(c) => { let _ = hat.command(c); continue; }
                            None => return,
                        },
                    }
                }
            },
        };
        match connection(&config, &mut hat, p, &mut link, &mut reset, &why).await {
            Ended::Stopped => return,
            Ended::PortLost(e) => {
                tracing::error!(error = %e, port = %config.port, "MDB HAT port lost");
                why = format!("the serial port failed ({e})");
            }
        }
    }
}

async fn connection(
    config: &MdbConfig,
    hat: &mut Hat,
    port: TTYPort,
    link: &mut MachineLink,
    reset: &mut Option<ResetLine>,
    why: &str,
) -> Ended {
    let mut writer: Box<dyn SerialPort> = match port.try_clone() {
        Ok(w) => w,
        Err(e) => return Ended::PortLost(e.to_string()),
    };
    let mut reader = match start_reader(port) {
        Ok(r) => r,
        Err(e) => return Ended::PortLost(e),
    };
    let mut lines = LineBuffer::default();
    tracing::info!(port = %config.port, %why, "configuring the MDB HAT");
    if let Err(e) = apply(hat.reset(why), &mut *writer, link) {
        return Ended::PortLost(e);
    }
    let mut last_heard = Instant::now();
    // Link timeouts in a row without a line in between.
    let mut silences = 0u32;
    loop {
        let silence = tokio::time::sleep_until(last_heard + config.link_timeout);
        tokio::select! {
            chunk = reader.chunks.recv() => match chunk {
                Some(Ok(bytes)) => {
                    last_heard = Instant::now();
                    silences = 0;
                    for text in lines.push(&bytes) {
                        let parsed = HatLine::parse(&text);
                        if let HatLine::Unknown(u) = &parsed {
                            tracing::debug!(line = %u.escape_debug(), "MDB line not understood");
                        }
                        if let Err(e) = apply(hat.line(parsed), &mut *writer, link) {
                            return Ended::PortLost(e);
                        }
                    }
                }
                Some(Err(e)) => return Ended::PortLost(e),
                None => return Ended::PortLost("the reading thread stopped".into()),
            },
            command = link.commands.recv() => match command {
                Some(c) => {
                    if let Err(e) = apply(hat.command(c), &mut *writer, link) {
                        return Ended::PortLost(e);
                    }
                }
                None => return Ended::Stopped,
            },
            _ = silence => {
                silences += 1;
                lines.clear();
                let why = match reset.as_mut() {
                    Some(line) if silences >= 2 => {
                        silences = 0;
                        tracing::error!("the MDB HAT does not answer: resetting it by its reset line");
                        if let Err(e) = hard_reset(line.as_mut()).await {
                            tracing::error!(error = %e, "the MDB HAT's reset line failed");
                        }
                        "the HAT was reset by its reset line"
                    }
                    _ => {
                        tracing::warn!(timeout_ms = config.link_timeout.as_millis() as u64,
                            "nothing from the MDB HAT: taking it for reset");
                        "the HAT went silent"
                    }
                };
                // What came in while the HAT was held in reset or booting is noise.
                while let Ok(chunk) = reader.chunks.try_recv() {
                    if let Err(e) = chunk {
                        return Ended::PortLost(e);
                    }
                }
                last_heard = Instant::now();
                if let Err(e) = apply(hat.reset(why), &mut *writer, link) {
                    return Ended::PortLost(e);
                }
            }
        }
    }
}

/// Pulls the reset line low for [`RESET_PULSE`], releases it, and waits [`HAT_BOOT`].
async fn hard_reset(line: &mut dyn crate::hw::pins::OutputPin) -> Result<(), crate::hw::HwError> {
    line.set(false)?;
    tokio::time::sleep(RESET_PULSE).await;
    line.set(true)?;
    tokio::time::sleep(HAT_BOOT).await;
    Ok(())
}

/// Writes the session's lines (each ending `\n`) and passes its events on.
fn apply(out: Out, writer: &mut dyn Write, link: &MachineLink) -> Result<(), String> {
    for l in out.lines {
        tracing::debug!(line = %l, "to the MDB HAT");
        writer
            .write_all(format!("{l}\n").as_bytes())
            .and_then(|()| writer.flush())
            .map_err(|e| e.to_string())?;
    }
    for e in out.events {
        let _ = link.events.send(e);
    }
    Ok(())
}
