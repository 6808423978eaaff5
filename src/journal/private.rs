//! The journal is for the service user alone: its folders are mode 0700 and its files 0600.
//! It holds card numbers (what a refund needs), amounts and the day's business, so neither
//! other users of the machine nor a backup taken by another account should read it.
//!
//! The folder is made private before sled creates anything in it (so files sled adds later,
//! such as snapshots, sit in a folder nobody else can enter), and everything already in it is
//! made private at each open. Elsewhere than Unix this does nothing.

use std::path::Path;

/// Mode of the journal's folders.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the journal's files.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) private, or makes an existing one private.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Makes every folder under `dir` 0700 and every file 0600 (symbolic links are left alone).
pub fn private_tree(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(DIR_MODE))?;
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    stack.push(entry.path());
                } else if kind.is_file() {
                    std::fs::set_permissions(
                        entry.path(),
                        std::fs::Permissions::from_mode(FILE_MODE),
                    )?;
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::core::record::{JournalEntry, Record};
    use crate::core::sale::{Capture, CardNumber, Flow, SaleKey, SaleRequest};
    use crate::core::time::Millis;
    use crate::journal::store::Journal;
    use crate::money::{Currency, Money};

    fn modes(dir: &Path) -> Vec<(String, u32, bool)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            out.push((d.display().to_string(), mode(&d), true));
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.display().to_string(), mode(&p), false));
                }
            }
        }
        out
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_journal_is_readable_by_its_user_only() {
        let root = std::env::temp_dir().join(format!("kassa-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // An existing folder with loose modes is tightened too.
        std::fs::create_dir_all(root.join("old")).unwrap();
        std::fs::set_permissions(root.join("old"), std::fs::Permissions::from_mode(0o755)).unwrap();
        for path in [root.join("new/journal"), root.join("old")] {
            {
                let j = Journal::open(&path, 1 << 20).unwrap();
                let req = SaleRequest {
                    key: SaleKey::parse("T1-000001").unwrap(),
                    amount: Money::from_minor(12_345, Currency::LYD),
                    flow: Flow::CardAndCode {
                        card: CardNumber::parse("1000103943").unwrap(),
                        code: None,
                    },
                    capture: Capture::Sale,
                };
                j.append(&JournalEntry {
                    at: Millis(1),
                    sale: req.key.clone(),
                    provider: crate::core::provider::ProviderId::new("icash"),
                    record: Record::StartIntent(req),
                })
                .unwrap();
            }
            // Reopened: files sled made since are private too.
            drop(Journal::open(&path, 1 << 20).unwrap());
            let all = modes(&path);
            assert!(all.iter().filter(|(_, _, d)| !d).count() >= 2, "{all:?}");
            for (p, m, is_dir) in all {
                let want = if is_dir { DIR_MODE } else { FILE_MODE };
                assert_eq!(m, want, "{p} has mode {m:o}");
            }
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
