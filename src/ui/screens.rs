//! `kassa screens`: every screen, with representative data, drawn to PNG without a display.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::fill::Filler;
use super::headless::{FrozenClock, HeadlessError, OffscreenWindow};
use super::samples;
use crate::core::Local;

#[derive(Debug, Error)]
pub enum ScreensError {
    #[error("--size {0}: expected WIDTHxHEIGHT, e.g. 800x480, each 100 to 4096")]
    Size(String),
    #[error("cannot create {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Render(#[from] HeadlessError),
}

/// Parses `800x480`.
pub fn parse_size(text: &str) -> Result<(u32, u32), ScreensError> {
    let bad = || ScreensError::Size(text.to_string());
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(100..=4096).contains(&w) || !(100..=4096).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Draws every sample screen at `width` x `height` into `dir` (created if missing); returns the
/// files written.
pub fn write_all(dir: &Path, width: u32, height: u32) -> Result<Vec<PathBuf>, ScreensError> {
    write_all_in(dir, width, height, &Local::default())
}

/// [`write_all`] with the samples' clock, times and amounts as `local` writes them, in its
/// language (`kassa screens --lang L`).
pub fn write_all_in(
    dir: &Path,
    width: u32,
    height: u32,
    local: &Local,
) -> Result<Vec<PathBuf>, ScreensError> {
    std::fs::create_dir_all(dir).map_err(|source| ScreensError::Dir {
        path: dir.display().to_string(),
        source,
    })?;
    let window = OffscreenWindow::new(width, height)?;
    // The same pixels on every run: the progress bar drawn a quarter of the way along.
    let _still = FrozenClock::at_phase(400);
    let mut written = Vec::new();
    for (name, mut view) in samples::all() {
        view.status.local = local.clone();
        // A fresh filler per screen: each picture stands alone.
        Filler::new().fill(&window.app, &view, samples::NOW);
        let frame = window.render();
        let path = dir.join(format!("{name}.png"));
        frame.write_png(&path)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_named() {
        assert_eq!(parse_size("800x480").unwrap(), (800, 480));
        assert_eq!(parse_size("1280X720").unwrap(), (1280, 720));
        for bad in ["800", "x480", "800x", "0x0", "99999x10", "axb"] {
            let e = parse_size(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
