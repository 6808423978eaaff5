//! The one journal writer. Every record goes through a single thread that writes and flushes,
//! so flushes never race (sled 0.34 deadlocks when `flush_async` runs from several tasks) and
//! an async caller only waits for its own record to be durable.

use std::sync::{Arc, Mutex};
use std::thread;

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

use crate::core::record::JournalEntry;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum JournalWriteError {
    #[error("{0}")]
    Store(String),
    #[error("the journal writer has stopped")]
    Stopped,
}

/// Durable storage for journal entries: `append` returns only once the entry is on disk.
pub trait JournalSink: Send + 'static {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), String>;
}

type Job = (JournalEntry, oneshot::Sender<Result<(), String>>);

/// Handle to the writer thread.
#[derive(Clone)]
pub struct JournalWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl JournalWriter {
    pub fn spawn(mut sink: impl JournalSink) -> Result<JournalWriter, JournalWriteError> {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        thread::Builder::new()
            .name("kassa-journal".into())
            .spawn(move || {
                while let Some((entry, done)) = rx.blocking_recv() {
                    let _ = done.send(sink.append(&entry));
                }
            })
            .map_err(|e| {
                JournalWriteError::Store(format!("cannot start the journal writer: {e}"))
            })?;
        Ok(JournalWriter { jobs })
    }

    /// Waits until the entry is durable.
    pub async fn append(&self, entry: JournalEntry) -> Result<(), JournalWriteError> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((entry, done))
            .map_err(|_| JournalWriteError::Stopped)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(JournalWriteError::Store(e)),
            Err(_) => Err(JournalWriteError::Stopped),
        }
    }
}

/// A journal in memory: for tests and for `kassa pay` runs that keep nothing.
#[derive(Clone, Default)]
pub struct MemoryJournal {
    entries: Arc<Mutex<Vec<JournalEntry>>>,
    /// When set, appends fail with this message (to test a full disk).
    fail_with: Arc<Mutex<Option<String>>>,
}

impl MemoryJournal {
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn fail_with(&self, message: Option<&str>) {
        if let Ok(mut f) = self.fail_with.lock() {
            *f = message.map(str::to_string);
        }
    }
}

impl JournalSink for MemoryJournal {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), String> {
        if let Some(msg) = self.fail_with.lock().ok().and_then(|f| f.clone()) {
            return Err(msg);
        }
        self.entries
            .lock()
            .map_err(|_| "journal lock poisoned".to_string())?
            .push(entry.clone());
        Ok(())
    }
}

/// The sled journal is the production sink: `append` returns once the record is flushed.
impl JournalSink for crate::journal::Journal {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), String> {
        crate::journal::Journal::append(self, entry).map_err(|e| e.to_string())
    }
}
