//! The sales journal and the outbox, in a sled 0.34 database on disk.
//!
//! Why it exists: the terminal must lose nothing across power cuts and outages. Every record is
//! framed with a format version and a CRC-32 ([`envelope`]) and flushed before `append` returns,
//! so an intent is on disk before its provider call leaves. A record that fails its check is
//! reported ([`Journal::damaged`]) and its sale shown in doubt, never skipped.
//!
//! Threading: every call here is synchronous and runs on the caller's thread. The runtime owns
//! one [`Journal`] from one writer (a dedicated thread or `spawn_blocking`), which is the only
//! one that flushes, and only with sled's synchronous `flush()`: sled 0.34 can deadlock when
//! `flush_async` is called from several tasks, so it is never used here. sled's own background
//! flusher is switched off for the same reason.
//!
//! Trees:
//! - `entries`: `sale key | 0x00 | record sequence (u64 BE)` -> framed [`JournalEntry`], so one
//!   sale's records are contiguous and in the order written.
//! - `sales`: `day (u64 BE) | started at (u64 BE) | sale key` -> framed provider and amount; the
//!   day index, and a second copy that keeps a sale listable if its start record is damaged.
//! - `open`: sale keys that had an intent without its result when last written (a hint that
//!   [`Journal::unfinished`] checks against the records, so a stale hint is harmless).
//! - `outbox`: `id (u64 BE)` -> framed [`OutboxItem`].
//! - `closed_days`: `day (u64 BE)` -> framed [`ClosedDay`].
//! - `meta`: the next sale sequence number and a count of committed writes.
//!
//! Settled sales of closed days move out of sled to `archive/YYYY-MM-DD.kja` ([`archive`]), so
//! the trees above hold open work and recent days, not years of history.
//!
//! Beside sled's files, `kassa-journal.mark` holds that count too. sled treats a truncated or
//! overwritten log as a torn write and opens whatever it can recover (even nothing), which would
//! make sale numbers repeat; comparing the two counts at open turns that into an error.
//!
//! [`JournalEntry`]: crate::core::record::JournalEntry

pub mod archive;
pub mod envelope;
pub mod outbox;
pub mod private;
pub mod report;
mod sale_state;
pub mod store;

#[cfg(test)]
mod local_days;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use archive::{ARCHIVE_DIR, Archived, ArchivedSale};
pub use outbox::{
    LimitError, OutboxItem, OutboxListing, OutboxOp, OutboxState, QueueLimits, Settle, backoff,
    check_queue_limits,
};
pub use report::{ClosedDay, day_date, day_string, parse_day};
pub use store::{DEFAULT_CACHE_BYTES, Damage, Journal, Listed, Pending, SaleState, Unfinished};

/// Why the journal could not do what was asked. Every variant names the database's path and,
/// where a person can act, what to do.
#[derive(Debug, Error)]
pub enum JournalError {
    #[error(
        "the journal at {path} cannot be opened ({reason}); check that the directory exists and that kassa may write to it"
    )]
    Open { path: PathBuf, reason: String },
    #[error(
        "the journal at {path} is in use by another kassa process ({reason}); stop the other process first"
    )]
    Locked { path: PathBuf, reason: String },
    #[error(
        "the journal at {path} is damaged ({reason}); move it aside and run `kassa report` from a backup"
    )]
    Damaged { path: PathBuf, reason: String },
    #[error(
        "the disk holding the journal at {path} is full ({reason}); free space there: new sales are refused until a write succeeds"
    )]
    Full { path: PathBuf, reason: String },
    #[error(
        "writing the journal at {path} failed ({reason}); new sales are refused until a write succeeds"
    )]
    Io { path: PathBuf, reason: String },
    #[error("day {day} is closed: no new sale can start on it")]
    DayClosed { day: String },
    #[error("day {day} is already closed")]
    AlreadyClosed { day: String },
    #[error("the outbox has no item {id}")]
    NoSuchItem { id: u64 },
    #[error("this sale cannot be queued: {0}")]
    Limit(outbox::LimitError),
    #[error("a record could not be encoded: {0}")]
    Encode(String),
    #[error("the report for day {day} cannot be computed: {reason}")]
    Report { day: String, reason: String },
    #[error("writing the export failed: {0}")]
    Export(String),
}

/// Whether an I/O error means "no space left" (ENOSPC, or EDQUOT: over quota).
/// ENOSPC, EDQUOT, and EFBIG (a file size limit, `ulimit -f`): all mean no room to write.
fn is_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge
    ) || matches!(e.raw_os_error(), Some(27 | 28 | 122))
}

/// Maps a plain I/O error on the journal's own files.
pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> JournalError {
    let path = path.to_path_buf();
    if is_full(e) {
        JournalError::Full {
            path,
            reason: e.to_string(),
        }
    } else {
        JournalError::Io {
            path,
            reason: e.to_string(),
        }
    }
}

/// Maps an error from sled during normal work to one that names the path.
pub(crate) fn from_sled(path: &Path, e: sled::Error) -> JournalError {
    let path = path.to_path_buf();
    match e {
        sled::Error::Io(io) if is_full(&io) => JournalError::Full {
            path,
            reason: io.to_string(),
        },
        sled::Error::Io(io) => JournalError::Io {
            path,
            reason: io.to_string(),
        },
        sled::Error::Corruption { at, .. } => JournalError::Damaged {
            path,
            reason: match at {
                Some(at) => format!("sled found corruption at {at:?}"),
                None => "sled found corruption".to_string(),
            },
        },
        other => JournalError::Io {
            path,
            reason: other.to_string(),
        },
    }
}

/// Maps an error from sled while opening: a short or unreadable file is damage, not an I/O hiccup.
pub(crate) fn from_sled_open(path: &Path, e: sled::Error) -> JournalError {
    use std::io::ErrorKind;
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            JournalError::Locked {
                path: path.to_path_buf(),
                reason: io.to_string(),
            }
        }
        sled::Error::Io(io)
            if matches!(io.kind(), ErrorKind::UnexpectedEof | ErrorKind::InvalidData) =>
        {
            JournalError::Damaged {
                path: path.to_path_buf(),
                reason: io.to_string(),
            }
        }
        sled::Error::Io(io) if !is_full(&io) => JournalError::Open {
            path: path.to_path_buf(),
            reason: io.to_string(),
        },
        sled::Error::Unsupported(m) | sled::Error::ReportableBug(m) => JournalError::Damaged {
            path: path.to_path_buf(),
            reason: m,
        },
        other => from_sled(path, other),
    }
}
