//! QR codes for the screen: one pixel per module with a four-module quiet zone, black on white.
//! The page scales it by a whole number with `image-rendering: pixelated`, so modules stay sharp
//! squares that a phone (and the tests' independent decoder) reads at every screen size.

use qrcode::{Color, EcLevel, QrCode};
use slint::{Image, Rgb8Pixel, SharedPixelBuffer};
use thiserror::Error;

/// Modules of quiet zone on each side (the QR specification asks for four).
pub const QUIET: usize = 4;

#[derive(Debug, Error)]
pub enum QrError {
    #[error("cannot encode this payload as a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
}

/// A QR code as modules: `side` across (quiet zone included), `dark[y * side + x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrModules {
    pub side: usize,
    pub dark: Vec<bool>,
}

/// Encodes `payload` with medium error correction (a scratched screen or glare still reads).
pub fn modules(payload: &str) -> Result<QrModules, QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let side = width + 2 * QUIET;
    let colors = code.to_colors();
    let mut dark = vec![false; side * side];
    for y in 0..width {
        for x in 0..width {
            dark[(y + QUIET) * side + x + QUIET] = colors[y * width + x] == Color::Dark;
        }
    }
    Ok(QrModules { side, dark })
}

/// The code as a Slint image, one pixel per module.
pub fn image(payload: &str) -> Result<(Image, usize), QrError> {
    let m = modules(payload)?;
    let side = m.side as u32;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side, side);
    for (px, dark) in buffer.make_mut_slice().iter_mut().zip(&m.dark) {
        let v = if *dark { 0 } else { 255 };
        *px = Rgb8Pixel { r: v, g: v, b: v };
    }
    Ok((Image::from_rgb8(buffer), m.side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_zone_is_light_and_finder_is_dark() {
        let m = modules("http://mca.sh/s/ABCDE/demo-1").unwrap();
        let at = |x: usize, y: usize| m.dark[y * m.side + x];
        for i in 0..m.side {
            for q in 0..QUIET {
                assert!(!at(i, q) && !at(q, i) && !at(i, m.side - 1 - q));
            }
        }
        // Top-left finder pattern: its corner module is dark.
        assert!(at(QUIET, QUIET));
        assert_eq!(m.dark.len(), m.side * m.side);
    }

    #[test]
    fn an_oversized_payload_is_an_error_not_a_panic() {
        let huge = "x".repeat(10_000);
        assert!(modules(&huge).is_err());
    }
}
