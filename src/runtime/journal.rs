//! The one journal writer. Every record goes through a single thread that writes and flushes,
//! so flushes never race (sled 0.34 deadlocks when `flush_async` runs from several tasks) and
//! an async caller only waits for its own record to be durable. Outbox work (queueing a call,
//! settling it after the worker tried it) runs on the same thread, as a job over the
//! [`Journal`], for the same reason.

use std::sync::{Arc, Mutex};
use std::thread;

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

use crate::core::record::JournalEntry;
use crate::journal::{Journal, JournalError};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum JournalWriteError {
    #[error("{0}")]
    Store(String),
    #[error("the journal writer has stopped")]
    Stopped,
    #[error("this terminal keeps no outbox (its journal is in memory)")]
    NoOutbox,
}

/// Durable storage for journal entries: `append` returns only once the entry is on disk.
pub trait JournalSink: Send + 'static {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), String>;

    /// The sled journal behind this sink, for outbox jobs; `None` for a sink without an outbox
    /// (then deferred calls are refused).
    fn journal(&self) -> Option<&Journal> {
        None
    }
}

/// Work on the journal itself, run on the writer thread.
type WithJournal = Box<dyn FnOnce(Option<&Journal>) + Send>;

enum Job {
    Append(JournalEntry, oneshot::Sender<Result<(), String>>),
    With(WithJournal),
}

/// Handle to the writer thread.
#[derive(Clone)]
pub struct JournalWriter {
    jobs: mpsc::UnboundedSender<Job>,
    has_journal: bool,
}

impl JournalWriter {
    pub fn spawn(mut sink: impl JournalSink) -> Result<JournalWriter, JournalWriteError> {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        let has_journal = sink.journal().is_some();
        thread::Builder::new()
            .name("kassa-journal".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    match job {
                        Job::Append(entry, done) => {
                            let _ = done.send(sink.append(&entry));
                        }
                        Job::With(work) => work(sink.journal()),
                    }
                }
            })
            .map_err(|e| {
                JournalWriteError::Store(format!("cannot start the journal writer: {e}"))
            })?;
        Ok(JournalWriter { jobs, has_journal })
    }

    /// Whether outbox jobs can run (the sink is the sled journal).
    pub fn has_outbox(&self) -> bool {
        self.has_journal
    }

    /// Runs `work` on the writer thread with the journal and waits for its result: the only way
    /// outbox changes are made while a runtime runs.
    pub async fn with_journal<R: Send + 'static>(
        &self,
        work: impl FnOnce(&Journal) -> Result<R, JournalError> + Send + 'static,
    ) -> Result<R, JournalWriteError> {
        if !self.has_journal {
            return Err(JournalWriteError::NoOutbox);
        }
        let (done, wait) = oneshot::channel();
        let job: WithJournal = Box::new(move |journal| {
            let result = match journal {
                Some(j) => work(j).map_err(|e| JournalWriteError::Store(e.to_string())),
                None => Err(JournalWriteError::NoOutbox),
            };
            let _ = done.send(result);
        });
        self.jobs
            .send(Job::With(job))
            .map_err(|_| JournalWriteError::Stopped)?;
        wait.await.unwrap_or(Err(JournalWriteError::Stopped))
    }

    /// Waits until the entry is durable.
    pub async fn append(&self, entry: JournalEntry) -> Result<(), JournalWriteError> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job::Append(entry, done))
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

    fn journal(&self) -> Option<&Journal> {
        Some(self)
    }
}
