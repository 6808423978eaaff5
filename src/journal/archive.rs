//! Closed days leave the live database: their settled sales move to one checksummed file per
//! day under `archive/` beside sled's files, so start-up (which reads every live record for
//! damage) and the live database grow with open work, not with history. A day's report reads
//! the live sales and the archive together, so it is the same before and after the move.
//!
//! What moves: sales of a closed day that are settled (an outcome, nothing pending, not flagged,
//! in doubt or damaged, not in the `open` hint, no outbox item). The rest stays live until a
//! later close finds it settled; a person's work never hides in a file nobody reads.
//!
//! File layout (big-endian): `KSAR | version u16 | day u64`, then per sale `length u32 |
//! envelope(ArchivedSale)` (each with its own CRC), then `KSAE | sales u32 | crc32` where the
//! CRC covers every byte before it. A file is written beside its final name, synced, read back
//! and checked, then renamed over the old one; only then are the sales removed from sled, in
//! one transaction per batch. A crash between the two leaves a sale in both places: the live
//! copy wins (its day-index row is still there) and the next close moves it again.
//!
//! A record written for a sale after it moved (a refund of a closed day's sale) is kept live;
//! reading that sale folds its archived records first.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::envelope;
use super::store::{Journal, Listed, Op, SaleState, TreeId, entry_key_prefix, index_key};
use super::{JournalError, day_string, io_error};
use crate::core::Millis;
use crate::core::provider::ProviderId;
use crate::core::record::JournalEntry;
use crate::core::sale::SaleKey;
use crate::money::Money;

/// The folder under the journal's path that holds the archive files.
pub const ARCHIVE_DIR: &str = "archive";
const MAGIC: &[u8; 4] = b"KSAR";
const END: &[u8; 4] = b"KSAE";
const VERSION: u16 = 1;
const HEADER: usize = 4 + 2 + 8;
const TRAILER: usize = 4 + 4 + 4;
/// Sales removed from sled per transaction: bounds the memory a move of a busy day takes.
const BATCH: usize = 256;

/// One settled sale as archived: what the day index said, and its records in written order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedSale {
    pub key: SaleKey,
    pub started_at: Millis,
    pub provider: ProviderId,
    pub amount: Money,
    pub entries: Vec<JournalEntry>,
}

/// What one archiving pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Archived {
    /// Closed days whose file was (re)written.
    pub days: usize,
    /// Sales moved out of the live database.
    pub sales: usize,
    /// Sales of closed days left live because they are not settled.
    pub kept: usize,
}

impl ArchivedSale {
    /// The sale folded from its archived records, listed as the day index said.
    pub(super) fn state(&self) -> SaleState {
        let mut state = SaleState::new(self.key.clone());
        for e in &self.entries {
            state.apply(e);
        }
        state.listed = Some(Listed {
            provider: self.provider.clone(),
            amount: self.amount,
            started_at: self.started_at,
        });
        state
    }
}

/// The file bytes for `day`'s archived `sales`.
fn encode_file(day: u64, sales: &[ArchivedSale]) -> Result<Vec<u8>, JournalError> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&day.to_be_bytes());
    for s in sales {
        let framed = Journal::encode(s)?;
        let len = u32::try_from(framed.len())
            .map_err(|_| JournalError::Encode(format!("archived sale {} is too large", s.key)))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&framed);
    }
    let count = u32::try_from(sales.len())
        .map_err(|_| JournalError::Encode("too many sales in one day".into()))?;
    out.extend_from_slice(END);
    out.extend_from_slice(&count.to_be_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// Reads a whole archive file back; `Err` says what is wrong with it, for a person.
fn decode_file(day: u64, bytes: &[u8]) -> Result<Vec<ArchivedSale>, String> {
    if bytes.len() < HEADER + TRAILER {
        return Err(format!("{} bytes, shorter than its frame", bytes.len()));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
        ));
    }
    if &body[..4] != MAGIC {
        return Err("not a kassa archive file".into());
    }
    let version = u16::from_be_bytes([body[4], body[5]]);
    if version != VERSION {
        return Err(format!(
            "unknown archive version {version} (this program reads {VERSION})"
        ));
    }
    let mut d = [0u8; 8];
    d.copy_from_slice(&body[6..14]);
    if u64::from_be_bytes(d) != day {
        return Err(format!("holds day {}", day_string(u64::from_be_bytes(d))));
    }
    let trailer = &body[body.len() - (TRAILER - 4)..];
    if &trailer[..4] != END {
        return Err("its end marker is missing".into());
    }
    let count = u32::from_be_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
    let mut rest = &body[HEADER..body.len() - (TRAILER - 4)];
    let mut out = Vec::with_capacity(count);
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err("a sale's length is cut off".into());
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(framed) = rest.get(4..4 + len) else {
            return Err("a sale is cut off".into());
        };
        let sale = envelope::decode::<ArchivedSale>(framed)
            .map_err(|bad| format!("sale {}: {bad}", out.len() + 1))?;
        out.push(sale);
        rest = &rest[4 + len..];
    }
    if out.len() != count {
        return Err(format!(
            "holds {} sales, its trailer says {count}",
            out.len()
        ));
    }
    Ok(out)
}

impl Journal {
    fn archive_dir(&self) -> PathBuf {
        self.path.join(ARCHIVE_DIR)
    }

    /// Where `day`'s archive lives (it may not exist).
    pub fn archive_path(&self, day: u64) -> PathBuf {
        self.archive_dir().join(format!("{}.kja", day_string(day)))
    }

    /// `day`'s archived sales, in the order they started; empty when nothing was archived.
    pub fn archived_sales(&self, day: u64) -> Result<Vec<ArchivedSale>, JournalError> {
        let path = self.archive_path(day);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&path, &e)),
        };
        decode_file(day, &bytes).map_err(|reason| JournalError::Damaged {
            path: path.clone(),
            reason: format!("archive of {}: {reason}", day_string(day)),
        })
    }

    /// The sale's archived records, searched newest day first. Only for the rare sale that got
    /// a record after it was archived (a late refund), so reading files here is acceptable.
    pub(crate) fn find_archived(
        &self,
        key: &SaleKey,
    ) -> Result<Option<ArchivedSale>, JournalError> {
        let mut days: Vec<u64> = Vec::new();
        for item in self.closed_days.iter().rev() {
            let (k, _) = item.map_err(|e| self.err(e))?;
            if let Ok(b) = <[u8; 8]>::try_from(k.as_ref()) {
                days.push(u64::from_be_bytes(b));
            }
        }
        for day in days {
            if !self.archive_path(day).exists() {
                continue;
            }
            // A damaged day is reported when that day is read; it must not stop this search
            // (which runs at start-up for a sale with an unconfirmed late refund).
            match self.archived_sales(day) {
                Ok(sales) => {
                    if let Some(s) = sales.into_iter().find(|s| &s.key == key) {
                        return Ok(Some(s));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "archive skipped while looking for {key}"),
            }
        }
        Ok(None)
    }

    /// Adds `day`'s archived sales that are not live (a live day-index row wins: see the module
    /// comment) to `live`, each with any record written after it moved, in start order.
    pub(crate) fn with_archived(
        &self,
        day: u64,
        live: Vec<(Millis, SaleState)>,
    ) -> Result<Vec<SaleState>, JournalError> {
        let mut all = live;
        if self.is_closed(day)? {
            let here: HashSet<SaleKey> = all.iter().map(|(_, s)| s.key.clone()).collect();
            for a in self.archived_sales(day)? {
                if here.contains(&a.key) {
                    continue;
                }
                let mut state = a.state();
                self.fold_live(&mut state)?;
                all.push((a.started_at, state));
            }
            all.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.key.as_str().cmp(y.key.as_str())));
        }
        Ok(all.into_iter().map(|(_, s)| s).collect())
    }

    /// Moves the settled sales of every closed day to the archive. Safe to repeat and to be cut
    /// off at any point (see the module comment).
    pub fn archive_closed(&self) -> Result<Archived, JournalError> {
        let mut days = Vec::new();
        for item in self.closed_days.iter() {
            let (k, _) = item.map_err(|e| self.err(e))?;
            if let Ok(b) = <[u8; 8]>::try_from(k.as_ref()) {
                days.push(u64::from_be_bytes(b));
            }
        }
        let owned: HashSet<SaleKey> = self
            .outbox_list()?
            .items
            .into_iter()
            .filter_map(|i| i.sale)
            .collect();
        let mut done = Archived::default();
        for day in days {
            let (moved, kept) = self.archive_day(day, &owned)?;
            if moved > 0 {
                done.days += 1;
            }
            done.sales += moved;
            done.kept += kept;
        }
        Ok(done)
    }

    /// Moves `day`'s settled live sales; returns how many moved and how many stay live.
    fn archive_day(
        &self,
        day: u64,
        owned: &HashSet<SaleKey>,
    ) -> Result<(usize, usize), JournalError> {
        let mut moving = Vec::new();
        let mut kept = 0;
        for (at, state) in self.live_sales_on(day)? {
            let settled = state.outcome.is_some()
                && state.pending.is_empty()
                && !state.needs_person()
                && !owned.contains(&state.key)
                && !self
                    .open
                    .contains_key(state.key.as_str().as_bytes())
                    .map_err(|e| self.err(e))?;
            match (&state.listed, settled) {
                (Some(listed), true) => {
                    let entries = self.live_entries(&state.key)?;
                    moving.push(ArchivedSale {
                        key: state.key.clone(),
                        started_at: at,
                        provider: listed.provider.clone(),
                        amount: listed.amount,
                        entries,
                    });
                }
                _ => kept += 1,
            }
        }
        if moving.is_empty() {
            return Ok((0, kept));
        }
        let moving_keys: HashSet<SaleKey> = moving.iter().map(|s| s.key.clone()).collect();
        let mut all: Vec<ArchivedSale> = self
            .archived_sales(day)?
            .into_iter()
            .filter(|s| !moving_keys.contains(&s.key))
            .collect();
        all.extend(moving.iter().cloned());
        all.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.key.as_str().cmp(b.key.as_str()))
        });
        self.write_archive(day, &all)?;
        for batch in moving.chunks(BATCH) {
            let mut ops = Vec::new();
            for s in batch {
                for item in self.entries.scan_prefix(entry_key_prefix(&s.key)) {
                    let (k, _) = item.map_err(|e| self.err(e))?;
                    ops.push(Op::remove(TreeId::Entries, k.to_vec()));
                }
                ops.push(Op::remove(TreeId::Sales, index_key(s.started_at, &s.key)));
            }
            self.commit(&ops)?;
        }
        Ok((moving.len(), kept))
    }

    /// Writes `day`'s file atomically and checks it reads back as `sales` before anything is
    /// removed from sled.
    pub(super) fn write_archive(
        &self,
        day: u64,
        sales: &[ArchivedSale],
    ) -> Result<(), JournalError> {
        let dir = self.archive_dir();
        super::private::private_dir(&dir).map_err(|e| io_error(&dir, &e))?;
        let path = self.archive_path(day);
        let tmp = path.with_extension("kja.new");
        let bytes = encode_file(day, sales)?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        };
        write().map_err(|e| io_error(&tmp, &e))?;
        let back = std::fs::read(&tmp).map_err(|e| io_error(&tmp, &e))?;
        match decode_file(day, &back) {
            Ok(read) if read == sales => {}
            Ok(_) => return Err(self.damaged_err(format!("{} read back different", tmp.display()))),
            Err(reason) => return Err(self.damaged_err(format!("{}: {reason}", tmp.display()))),
        }
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, &e))?;
        super::private::private_tree(&dir).map_err(|e| io_error(&dir, &e))?;
        sync_dir(&dir).map_err(|e| io_error(&dir, &e))
    }
}

/// Makes a rename durable: the directory entry is data too.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::provider::PaymentHandle;
    use crate::core::record::{Outcome, Record};
    use crate::core::sale::{Capture, Flow, SaleRequest};
    use crate::money::Currency;

    fn sale(n: u64) -> ArchivedSale {
        let key = SaleKey::new("T1", n).unwrap();
        let e = |record| JournalEntry {
            at: Millis(1000 + n),
            sale: key.clone(),
            provider: ProviderId::new("mcash"),
            record,
        };
        ArchivedSale {
            key: key.clone(),
            started_at: Millis(1000 + n),
            provider: ProviderId::new("mcash"),
            amount: Money::from_minor(100, Currency::NOK),
            entries: vec![
                e(Record::StartIntent(SaleRequest {
                    key: key.clone(),
                    amount: Money::from_minor(100, Currency::NOK),
                    flow: Flow::Qr,
                    capture: Capture::Sale,
                })),
                e(Record::Started {
                    handle: PaymentHandle("h".into()),
                }),
                e(Record::Outcome {
                    outcome: Outcome::Approved {
                        reference: "r".into(),
                    },
                    late: false,
                }),
            ],
        }
    }

    #[test]
    fn a_file_round_trips_and_every_flipped_byte_or_cut_is_caught() {
        let sales = vec![sale(1), sale(2)];
        let bytes = encode_file(7, &sales).unwrap();
        assert_eq!(decode_file(7, &bytes).unwrap(), sales);
        assert!(decode_file(8, &bytes).unwrap_err().contains("holds day"));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode_file(7, &bad).is_err(), "flip at byte {i} passed");
        }
        for cut in [0, 5, HEADER, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                decode_file(7, &bytes[..cut]).is_err(),
                "cut at {cut} passed"
            );
        }
    }

    #[test]
    fn an_empty_day_file_is_valid() {
        let bytes = encode_file(3, &[]).unwrap();
        assert_eq!(decode_file(3, &bytes).unwrap(), Vec::new());
    }
}
