//! The journal proper: opening the database, appending records durably, and reading sales back
//! by folding each sale's records in the order they were written.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;
use std::os::unix::fs::FileExt;

use super::envelope::{self, Bad};
pub use super::sale_state::{Damage, Listed, Pending, SaleState, Unfinished};
use super::{JournalError, day_string, from_sled, from_sled_open, io_error};
use crate::core::Millis;
use crate::core::Zone;
use crate::core::provider::ProviderId;
use crate::core::record::{JournalEntry, Record};
use crate::core::report::day_of;
use crate::core::sale::SaleKey;
use crate::core::view::SaleRow;
use crate::money::Money;

/// sled's page cache size when the config says nothing: small, for a Pi with 512 MB.
pub const DEFAULT_CACHE_BYTES: u64 = 8 * 1024 * 1024;

const NEXT_SEQUENCE: &[u8] = b"next_sale_sequence";
const WRITES: &[u8] = b"writes";
const MARKER_FILE: &str = "kassa-journal.mark";
const MARKER_MAGIC: &[u8; 4] = b"KSJ1";

/// Which tree a [`Op`] changes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TreeId {
    Entries,
    Sales,
    Open,
    Outbox,
    ClosedDays,
    Meta,
}

/// One change inside a [`Journal::commit`]: insert `value`, or remove when `None`.
pub(crate) struct Op {
    pub tree: TreeId,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

impl Op {
    pub fn put(tree: TreeId, key: impl Into<Vec<u8>>, value: Vec<u8>) -> Op {
        Op {
            tree,
            key: key.into(),
            value: Some(value),
        }
    }
    pub fn remove(tree: TreeId, key: impl Into<Vec<u8>>) -> Op {
        Op {
            tree,
            key: key.into(),
            value: None,
        }
    }
}

fn marker_bytes(writes: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(MARKER_MAGIC);
    b[4..12].copy_from_slice(&writes.to_be_bytes());
    let crc = crc32fast::hash(&b[..12]);
    b[12..].copy_from_slice(&crc.to_be_bytes());
    b
}

fn parse_marker(b: &[u8]) -> Option<u64> {
    if b.len() != 16 || &b[..4] != MARKER_MAGIC {
        return None;
    }
    let crc = u32::from_be_bytes(b[12..16].try_into().ok()?);
    if crc != crc32fast::hash(&b[..12]) {
        return None;
    }
    Some(u64::from_be_bytes(b[4..12].try_into().ok()?))
}

fn u64_value(v: Option<sled::IVec>) -> Option<u64> {
    match v {
        None => Some(0),
        Some(v) => Some(u64::from_be_bytes(v.as_ref().try_into().ok()?)),
    }
}

/// The journal database. One per process; see the module comment on threads.
pub struct Journal {
    pub(crate) path: PathBuf,
    pub(crate) db: sled::Db,
    pub(crate) entries: sled::Tree,
    pub(crate) sales: sled::Tree,
    pub(crate) open: sled::Tree,
    pub(crate) outbox: sled::Tree,
    pub(crate) closed_days: sled::Tree,
    pub(crate) meta: sled::Tree,
    /// The terminal's zone: which local day a sale belongs to for reports, closing and the
    /// archive. The day index itself is bucketed by UTC day, so changing the zone never
    /// re-files a record.
    pub(crate) zone: Zone,
    /// `kassa-journal.mark` beside sled's files: the count of committed writes, so a database
    /// that sled "recovers" to an older or empty state is refused instead of reused.
    marker: std::fs::File,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

pub(crate) fn entry_key(sale: &SaleKey, seq: u64) -> Vec<u8> {
    let mut k = entry_key_prefix(sale);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(crate) fn entry_key_prefix(sale: &SaleKey) -> Vec<u8> {
    let mut k = sale.as_str().as_bytes().to_vec();
    k.push(0);
    k
}

/// The sale named by an `entries` key, if the key has the right shape.
pub(crate) fn sale_of_entry_key(key: &[u8]) -> Option<SaleKey> {
    let cut = key.len().checked_sub(9)?;
    if key[cut] != 0 {
        return None;
    }
    SaleKey::parse(std::str::from_utf8(&key[..cut]).ok()?).ok()
}

/// The day index key of a sale started at `at`: filed under its UTC day, whatever the zone.
pub(crate) fn index_key(at: Millis, sale: &SaleKey) -> Vec<u8> {
    let mut k = day_of(at).to_be_bytes().to_vec();
    k.extend_from_slice(&at.0.to_be_bytes());
    k.extend_from_slice(sale.as_str().as_bytes());
    k
}

fn parse_index_key(key: &[u8]) -> Option<(Millis, SaleKey)> {
    if key.len() <= 16 {
        return None;
    }
    let at = u64::from_be_bytes(key[8..16].try_into().ok()?);
    let sale = SaleKey::parse(std::str::from_utf8(&key[16..]).ok()?).ok()?;
    Some((Millis(at), sale))
}

/// Checks one stored key and value; `Err` says what is wrong.
type Verify = dyn Fn(&[u8], &[u8]) -> Result<(), String>;

#[derive(Serialize, Deserialize)]
struct IndexValue {
    provider: ProviderId,
    amount: Money,
}

impl Journal {
    /// Opens (or creates) the database at `path` with a page cache of `cache_bytes`.
    ///
    /// A truncated or garbage database is an error naming the path, never a panic: sled 0.34
    /// has `unwrap`s on some recovery paths, so its open runs under `catch_unwind`.
    pub fn open(path: impl AsRef<Path>, cache_bytes: u64) -> Result<Journal, JournalError> {
        // sled releases its file lock from a background thread shortly after the last handle is
        // dropped, so a reopen in the same process (tests, `kassa` commands that reopen) can see
        // its own old lock for a moment. Another process holding it stays locked: report that.
        let mut tries = 0;
        loop {
            match Self::open_once(path.as_ref(), cache_bytes) {
                Err(JournalError::Locked { .. }) if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path, cache_bytes: u64) -> Result<Journal, JournalError> {
        let path = path.to_path_buf();
        // Private before sled creates a file in it (journal/private.rs).
        super::private::private_dir(&path).map_err(|e| JournalError::Open {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let config = sled::Config::new()
            .path(&path)
            .cache_capacity(cache_bytes)
            .mode(sled::Mode::LowSpace)
            .flush_every_ms(None);
        let opened = catch_unwind(AssertUnwindSafe(|| -> Result<Journal, JournalError> {
            let db = config.open().map_err(|e| from_sled_open(&path, e))?;
            let tree = |name: &str| db.open_tree(name).map_err(|e| from_sled_open(&path, e));
            let meta = tree("meta")?;
            let writes = u64_value(meta.get(WRITES).map_err(|e| from_sled_open(&path, e))?)
                .ok_or_else(|| JournalError::Damaged {
                    path: path.clone(),
                    reason: "its write counter is not 8 bytes".into(),
                })?;
            let marker = check_marker(&path, writes)?;
            super::private::private_tree(&path).map_err(|e| io_error(&path, &e))?;
            Ok(Journal {
                entries: tree("entries")?,
                sales: tree("sales")?,
                open: tree("open")?,
                outbox: tree("outbox")?,
                closed_days: tree("closed_days")?,
                meta,
                db,
                path: path.clone(),
                zone: Zone::utc(),
                marker,
            })
        }));
        match opened {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("sled stopped while reading it");
                Err(JournalError::Damaged {
                    path,
                    reason: what.to_string(),
                })
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Counts days in `zone` from now on (opened, the journal counts UTC days).
    pub fn with_zone(mut self, zone: Zone) -> Journal {
        self.zone = zone;
        self
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub(crate) fn err(&self, e: sled::Error) -> JournalError {
        from_sled(&self.path, e)
    }

    pub(crate) fn damaged_err(&self, what: String) -> JournalError {
        JournalError::Damaged {
            path: self.path.clone(),
            reason: what,
        }
    }

    pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, JournalError> {
        envelope::encode(value).map_err(|e| JournalError::Encode(e.to_string()))
    }

    /// Applies `ops` atomically together with the write counter, flushes (synchronously: see the
    /// module comment), then records the counter in the marker file. When this returns `Ok` the
    /// change survives a power cut.
    pub(crate) fn commit(&self, ops: &[Op]) -> Result<(), JournalError> {
        let trees = (
            &self.entries,
            &self.sales,
            &self.open,
            &self.outbox,
            &self.closed_days,
            &self.meta,
        );
        let writes = trees
            .transaction(|(entries, sales, open, outbox, closed, meta)| {
                for op in ops {
                    let t = match op.tree {
                        TreeId::Entries => entries,
                        TreeId::Sales => sales,
                        TreeId::Open => open,
                        TreeId::Outbox => outbox,
                        TreeId::ClosedDays => closed,
                        TreeId::Meta => meta,
                    };
                    match &op.value {
                        Some(v) => t.insert(op.key.as_slice(), v.as_slice())?,
                        None => t.remove(op.key.as_slice())?,
                    };
                }
                let writes = u64_value(meta.get(WRITES)?)
                    .ok_or(ConflictableTransactionError::Abort(()))?
                    .saturating_add(1);
                meta.insert(WRITES, &writes.to_be_bytes())?;
                Ok(writes)
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => self.err(e),
                sled::transaction::TransactionError::Abort(()) => {
                    self.damaged_err("its write counter is not 8 bytes".into())
                }
            })?;
        self.db.flush().map_err(|e| self.err(e))?;
        write_marker(&self.marker, writes).map_err(|e| io_error(&self.path, &e))
    }

    /// The next sale sequence number, durable before it is returned, so sale keys never repeat
    /// across restarts or power cuts. Starts at 1.
    pub fn next_sequence(&self) -> Result<u64, JournalError> {
        let current = self.stored_next_sequence()?;
        let next = current
            .checked_add(1)
            .ok_or_else(|| self.damaged_err("the next sale number is at its maximum".into()))?;
        self.commit(&[Op::put(
            TreeId::Meta,
            NEXT_SEQUENCE,
            next.to_be_bytes().to_vec(),
        )])?;
        Ok(current)
    }

    fn stored_next_sequence(&self) -> Result<u64, JournalError> {
        Ok(
            match self.meta.get(NEXT_SEQUENCE).map_err(|e| self.err(e))? {
                None => 1,
                Some(v) => u64::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                    self.damaged_err(format!(
                        "the next sale number is {} bytes instead of 8",
                        v.len()
                    ))
                })?),
            },
        )
    }

    /// Writes one record and flushes it before returning: when this returns `Ok`, the record
    /// survives a power cut. A new sale on a closed day is refused; results for sales already
    /// started are always recorded, because they say what happened to money.
    ///
    /// On `Err` (disk full, I/O) the caller must treat the record as not written and send
    /// nothing. sled may still hold it in memory and make it durable later; that is safe, since a
    /// start intent without an outcome is only ever recovered (`recover(key)`), never resent.
    pub fn append(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let ops = self.entry_ops(entry)?;
        self.commit(&ops)
    }

    /// The changes that write `entry`: the record, the day index for a start, and the hint of
    /// sales with an intent open.
    pub(crate) fn entry_ops(&self, entry: &JournalEntry) -> Result<Vec<Op>, JournalError> {
        let mut ops = Vec::with_capacity(3);
        let seq = self.db.generate_id().map_err(|e| self.err(e))?;
        ops.push(Op::put(
            TreeId::Entries,
            entry_key(&entry.sale, seq),
            Self::encode(entry)?,
        ));
        let sale = entry.sale.as_str().as_bytes();
        match &entry.record {
            Record::StartIntent(req) => {
                let day = self.zone.day_of(entry.at);
                if self.is_closed(day)? {
                    return Err(JournalError::DayClosed {
                        day: day_string(day),
                    });
                }
                ops.push(Op::put(
                    TreeId::Sales,
                    index_key(entry.at, &entry.sale),
                    Self::encode(&IndexValue {
                        provider: entry.provider.clone(),
                        amount: req.amount,
                    })?,
                ));
                ops.push(Op::put(TreeId::Open, sale, Vec::new()));
                // The core numbers sales itself (`<terminal>-<sequence>`); keep the stored
                // counter past every number used, in the same write, so keys never repeat.
                if let Some(used) = entry
                    .sale
                    .as_str()
                    .rsplit('-')
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    && used >= self.stored_next_sequence()?
                {
                    ops.push(Op::put(
                        TreeId::Meta,
                        NEXT_SEQUENCE,
                        used.saturating_add(1).to_be_bytes().to_vec(),
                    ));
                }
            }
            Record::CaptureIntent { .. }
            | Record::ReleaseIntent
            | Record::RefundIntent { .. }
            | Record::AbortIntent => {
                ops.push(Op::put(TreeId::Open, sale, Vec::new()));
            }
            _ => {
                if self.open.contains_key(sale).map_err(|e| self.err(e))? {
                    let mut state = self.sale(&entry.sale)?;
                    state.apply(entry);
                    if state.pending.is_empty() && state.damaged.is_empty() {
                        ops.push(Op::remove(TreeId::Open, sale));
                    }
                }
            }
        }
        Ok(ops)
    }

    /// One sale, folded from its records. Damaged records are listed in `damaged`. A sale with
    /// live records but no start among them was archived and written to since: its archived
    /// records come first.
    pub fn sale(&self, key: &SaleKey) -> Result<SaleState, JournalError> {
        let mut state = SaleState::new(key.clone());
        let live = self.fold_live(&mut state)?;
        if live > 0
            && state.request.is_none()
            && state.damaged.is_empty()
            && let Some(archived) = self.find_archived(key)?
        {
            state = archived.state();
            state.listed = None;
            self.fold_live(&mut state)?;
        }
        Ok(state)
    }

    /// Applies the sale's live records to `state`; returns how many there were.
    pub(super) fn fold_live(&self, state: &mut SaleState) -> Result<usize, JournalError> {
        let mut n = 0;
        for item in self.entries.scan_prefix(entry_key_prefix(&state.key)) {
            let (_, v) = item.map_err(|e| self.err(e))?;
            n += 1;
            match envelope::decode::<JournalEntry>(&v) {
                Ok(entry) if entry.sale == state.key => state.apply(&entry),
                Ok(entry) => state.damaged.push(format!(
                    "a record filed under this sale names sale {}",
                    entry.sale
                )),
                Err(bad) => state.damaged.push(bad.to_string()),
            }
        }
        Ok(n)
    }

    /// The sale's live records, decoded, in written order (for the archive: only called on a
    /// sale without damage).
    pub(super) fn live_entries(&self, key: &SaleKey) -> Result<Vec<JournalEntry>, JournalError> {
        let mut out = Vec::new();
        for item in self.entries.scan_prefix(entry_key_prefix(key)) {
            let (k, v) = item.map_err(|e| self.err(e))?;
            out.push(
                envelope::decode::<JournalEntry>(&v).map_err(|bad| {
                    self.damaged_err(format!("record {k:?} of sale {key}: {bad}"))
                })?,
            );
        }
        Ok(out)
    }

    /// Every sale that started on local `day` (days since the epoch, in the journal's zone), in
    /// the order they started,
    /// with what the day index says about each: the live ones and, for a closed day, the
    /// archived ones.
    pub fn sales_on(&self, day: u64) -> Result<Vec<SaleState>, JournalError> {
        let live = self.live_sales_on(day)?;
        self.with_archived(day, live)
    }

    /// The sales of local `day` still in the live database, each with its start time: those of
    /// the UTC days the local day overlaps (two at most, three for no real zone) that started
    /// within it.
    pub(super) fn live_sales_on(&self, day: u64) -> Result<Vec<(Millis, SaleState)>, JournalError> {
        let (start, end) = self.zone.day_bounds(day);
        let mut out = Vec::new();
        let last = day_of(Millis(end.0.saturating_sub(1)));
        for bucket in day_of(start)..=last.max(day_of(start)) {
            self.live_sales_in(bucket, start, end, &mut out)?;
        }
        Ok(out)
    }

    /// The sales filed under UTC day `bucket` that started in `[start, end)`, added to `out`.
    fn live_sales_in(
        &self,
        bucket: u64,
        start: Millis,
        end: Millis,
        out: &mut Vec<(Millis, SaleState)>,
    ) -> Result<(), JournalError> {
        for item in self.sales.scan_prefix(bucket.to_be_bytes()) {
            let (k, v) = item.map_err(|e| self.err(e))?;
            let Some((at, key)) = parse_index_key(&k) else {
                // Reported by `damaged()`; nothing here can name the sale.
                continue;
            };
            if at < start || at >= end {
                continue;
            }
            let mut state = SaleState::new(key.clone());
            self.fold_live(&mut state)?;
            match envelope::decode::<IndexValue>(&v) {
                Ok(ix) => {
                    state.listed = Some(Listed {
                        provider: ix.provider,
                        amount: ix.amount,
                        started_at: at,
                    })
                }
                Err(bad) => state.damaged.push(format!("day index: {bad}")),
            }
            out.push((at, state));
        }
        Ok(())
    }

    /// The sales of `day` as listed in history and reports. A sale with a damaged record is in
    /// doubt, never left out.
    pub fn sale_history(&self, day: u64) -> Result<Vec<SaleRow>, JournalError> {
        Ok(self
            .sales_on(day)?
            .iter()
            .filter_map(SaleState::row)
            .collect())
    }

    /// Sales with an intent and no result: recover each through the provider before taking new
    /// sales. A sale whose start record is damaged cannot be listed here; `damaged()` names it.
    /// A sale with an item in the outbox (pending or dead) is not listed either: the outbox
    /// worker owns it (a push queued offline is sent from there, and recovering it at start-up
    /// as well would end it twice).
    pub fn unfinished(&self) -> Result<Vec<Unfinished>, JournalError> {
        let queued: std::collections::HashSet<SaleKey> = self
            .outbox_list()?
            .items
            .into_iter()
            .filter_map(|i| i.sale)
            .collect();
        let mut out = Vec::new();
        for item in self.open.iter() {
            let (k, _) = item.map_err(|e| self.err(e))?;
            let Some(key) = std::str::from_utf8(&k)
                .ok()
                .and_then(|s| SaleKey::parse(s).ok())
            else {
                continue;
            };
            if queued.contains(&key) {
                continue;
            }
            let state = self.sale(&key)?;
            if state.pending.is_empty() {
                continue;
            }
            if let (Some(request), Some(provider), Some(started_at)) =
                (state.request, state.provider, state.started_at)
            {
                out.push(Unfinished {
                    request,
                    provider,
                    handle: state.handle,
                    started_at,
                    pending: state.pending,
                });
            }
        }
        out.sort_by_key(|u| u.started_at);
        Ok(out)
    }

    /// Every stored value that fails its checksum, version or decoding, in every tree. Reads
    /// the whole live database (not the archive of closed days, which is checked when written
    /// and when read): the runtime runs it once at start and shows the result to a person.
    pub fn damaged(&self) -> Result<Vec<Damage>, JournalError> {
        let mut out = Vec::new();
        let mut check = |tree: &'static str,
                         t: &sled::Tree,
                         verify: &Verify,
                         sale_of: &dyn Fn(&[u8]) -> Option<SaleKey>|
         -> Result<(), JournalError> {
            for item in t.iter() {
                let (k, v) = item.map_err(|e| self.err(e))?;
                if let Err(reason) = verify(&k, &v) {
                    out.push(Damage {
                        tree,
                        key: k.to_vec(),
                        sale: sale_of(&k),
                        reason,
                    });
                }
            }
            Ok(())
        };
        fn shape<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T, String> {
            envelope::decode::<T>(v).map_err(|b: Bad| b.to_string())
        }
        check(
            "entries",
            &self.entries,
            &|k, v| {
                let sale = sale_of_entry_key(k).ok_or("malformed record key")?;
                let entry = shape::<JournalEntry>(v)?;
                if entry.sale != sale {
                    return Err(format!("record of sale {} filed under {sale}", entry.sale));
                }
                Ok(())
            },
            &sale_of_entry_key,
        )?;
        check(
            "sales",
            &self.sales,
            &|k, v| {
                parse_index_key(k).ok_or("malformed day index key")?;
                shape::<IndexValue>(v).map(|_| ())
            },
            &|k| parse_index_key(k).map(|(_, s)| s),
        )?;
        check(
            "outbox",
            &self.outbox,
            &|k, v| {
                if k.len() != 8 {
                    return Err("malformed outbox key".into());
                }
                shape::<super::OutboxItem>(v).map(|_| ())
            },
            &|_| None,
        )?;
        check(
            "closed_days",
            &self.closed_days,
            &|k, v| {
                if k.len() != 8 {
                    return Err("malformed day key".into());
                }
                shape::<super::ClosedDay>(v).map(|_| ())
            },
            &|_| None,
        )?;
        check(
            "meta",
            &self.meta,
            &|k, v| {
                if k == NEXT_SEQUENCE && v.len() != 8 {
                    return Err(format!("next sale number is {} bytes", v.len()));
                }
                Ok(())
            },
            &|_| None,
        )?;
        Ok(out)
    }
}

fn write_marker(file: &std::fs::File, writes: u64) -> std::io::Result<()> {
    file.write_all_at(&marker_bytes(writes), 0)?;
    file.sync_data()
}

/// Compares sled's write counter with the marker beside it. sled treats a truncated or
/// overwritten log as a torn write and opens what it could recover, possibly nothing: then sale
/// numbers would repeat and outcomes be forgotten. The marker turns that into an error.
fn check_marker(path: &Path, writes: u64) -> Result<std::fs::File, JournalError> {
    let marker_path = path.join(MARKER_FILE);
    let existed = marker_path.exists();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&marker_path)
        .map_err(|e| io_error(path, &e))?;
    if existed {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut b).map_err(|e| io_error(path, &e))?;
        let marked = parse_marker(&b).ok_or_else(|| JournalError::Damaged {
            path: path.to_path_buf(),
            reason: format!("{} is unreadable", marker_path.display()),
        })?;
        if marked > writes {
            return Err(JournalError::Damaged {
                path: path.to_path_buf(),
                reason: format!(
                    "records were lost: {marked} writes were made, the database holds {writes}"
                ),
            });
        }
    }
    write_marker(&file, writes).map_err(|e| io_error(path, &e))?;
    Ok(file)
}
