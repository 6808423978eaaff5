//! The payment QR that `GeneratePaymentQR` answers as a PNG image, read back into its payload.
//!
//! Why decode rather than show the PNG: the terminal's QR renderer draws a payload crisply at
//! every panel size (whole pixels per module, quiet zone, the customer display too), while a
//! provider's bitmap scaled to a panel blurs or aliases. Decoding also proves the image is a
//! QR at all: a PNG that does not decode is refused, so the customer is never shown something
//! that cannot be scanned.

use thiserror::Error;

/// Largest image accepted, in pixels (a QR PNG is a few hundred pixels a side).
const MAX_PIXELS: usize = 4096 * 4096;
/// Images smaller than this (a side, in pixels) are enlarged before detection: one pixel per
/// module is too small for the detector.
const MIN_SIDE: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QrError {
    #[error("the payment QR is not a readable PNG image: {0}")]
    Png(String),
    #[error("the payment QR image is {0}x{1} pixels, larger than accepted")]
    TooLarge(u32, u32),
    #[error("the payment QR image holds no readable QR code")]
    NoCode,
    #[error("the payment QR code is empty")]
    Empty,
}

/// A short, stable name for a payment QR (`qr-` and 16 hex digits of its text's SHA-256): the
/// sale's handle, so that handles, logs and the journal never carry the QR's text (which holds
/// the merchant's card number at the simulator, and who knows what at iCash).
pub fn qr_id(payload: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(payload.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("qr-{hex}")
}

/// The text of the one QR code in `png`.
pub fn payload(png: &[u8]) -> Result<String, QrError> {
    let (w, h, luma) = greyscale(png)?;
    let (w, h, luma) = enlarged(w, h, luma);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
    let text = img
        .detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
        .ok_or(QrError::NoCode)?;
    if text.trim().is_empty() {
        return Err(QrError::Empty);
    }
    Ok(text)
}

/// Decodes any PNG colour type into 8-bit greyscale (alpha composed over white).
fn greyscale(png: &[u8]) -> Result<(usize, usize, Vec<u8>), QrError> {
    let bad = |e: png::DecodingError| QrError::Png(e.to_string());
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(png),
        png::Limits {
            bytes: MAX_PIXELS * 4,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(bad)?;
    let (iw, ih) = {
        let info = reader.info();
        (info.width, info.height)
    };
    let (w, h) = (iw as usize, ih as usize);
    if w.saturating_mul(h) > MAX_PIXELS || w == 0 || h == 0 {
        return Err(QrError::TooLarge(iw, ih));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| QrError::Png("no output size".into()))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(QrError::Png("an indexed image was not expanded".into()));
        }
    };
    let stride = frame.line_size;
    let mut luma = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = buf
            .get(y * stride..y * stride + w * channels)
            .ok_or_else(|| QrError::Png("image data shorter than its size".into()))?;
        for px in row.chunks_exact(channels) {
            let (grey, alpha) = match channels {
                1 => (u16::from(px[0]), 255),
                2 => (u16::from(px[0]), u16::from(px[1])),
                _ => {
                    let g = (u16::from(px[0]) * 3 + u16::from(px[1]) * 6 + u16::from(px[2])) / 10;
                    (g, if channels == 4 { u16::from(px[3]) } else { 255 })
                }
            };
            // Over white: transparent pixels are background.
            let v = (grey * alpha + 255 * (255 - alpha)) / 255;
            luma.push(u8::try_from(v).unwrap_or(255));
        }
    }
    Ok((w, h, luma))
}

/// Nearest-neighbour enlargement of small images, so each module is several pixels wide.
fn enlarged(w: usize, h: usize, luma: Vec<u8>) -> (usize, usize, Vec<u8>) {
    let side = w.min(h);
    if side >= MIN_SIDE {
        return (w, h, luma);
    }
    let k = MIN_SIDE.div_ceil(side).clamp(1, 16);
    let (nw, nh) = (w * k, h * k);
    let mut out = Vec::with_capacity(nw * nh);
    for y in 0..nh {
        for x in 0..nw {
            out.push(luma[(y / k) * w + x / k]);
        }
    }
    (nw, nh, out)
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;
    use crate::sim::icash::qr_png;

    #[test]
    fn the_simulators_png_reads_back_at_any_scale() {
        let text = "ICASH|7121234567|10|12.345";
        for scale in [1, 3, 8] {
            let png = qr_png(text, scale).unwrap();
            assert_eq!(payload(&png).unwrap(), text, "scale {scale}");
        }
    }

    #[test]
    fn qr_ids_are_stable_short_and_tell_texts_apart() {
        let a = qr_id("ICASH|7121234567|10|12.345");
        assert_eq!(a, qr_id("ICASH|7121234567|10|12.345"));
        assert_ne!(a, qr_id("ICASH|7121234567|10|12.346"));
        assert_eq!(a.len(), 19);
        assert!(!a.contains("7121234567"));
    }

    #[test]
    fn images_that_are_not_qr_codes_are_refused() {
        assert!(matches!(payload(b"not a png"), Err(QrError::Png(_))));
        // A valid PNG, all white: no code in it.
        let mut blank = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut blank, 64, 64);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[255u8; 64 * 64]).unwrap();
        }
        assert_eq!(payload(&blank), Err(QrError::NoCode));
        // Cut short.
        let png = qr_png("ICASH|x", 4).unwrap();
        assert!(payload(&png[..png.len() / 2]).is_err());
    }
}
