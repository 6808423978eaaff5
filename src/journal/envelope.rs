//! The fixed binary frame around every stored value: a format version and a CRC-32, so a flipped
//! byte or a record written by a newer program is detected and reported instead of misread.
//!
//! Layout (big-endian): `version: u16 | crc32: u32 | payload: JSON`. The checksum covers the
//! version bytes and the payload, so a damaged version field is caught as well.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The only format this program writes and reads.
pub const FORMAT_VERSION: u16 = 1;

const HEADER: usize = 6;

/// Why a stored value could not be read. Shown to a person, so it says what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bad {
    TooShort(usize),
    Checksum { stored: u32, computed: u32 },
    Version(u16),
    Payload(String),
}

impl std::fmt::Display for Bad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bad::TooShort(n) => write!(f, "record is {n} bytes, shorter than its header"),
            Bad::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ),
            Bad::Version(v) => write!(
                f,
                "unknown format version {v} (this program reads {FORMAT_VERSION})"
            ),
            Bad::Payload(e) => write!(f, "checksum valid but content unreadable: {e}"),
        }
    }
}

fn crc(version: [u8; 2], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&version);
    h.update(payload);
    h.finalize()
}

/// Frames `value` as JSON with the current version and its checksum.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec(value)?;
    let version = FORMAT_VERSION.to_be_bytes();
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&version);
    out.extend_from_slice(&crc(version, &payload).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Checks the frame, then decodes the payload.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Bad> {
    if bytes.len() < HEADER {
        return Err(Bad::TooShort(bytes.len()));
    }
    let version = [bytes[0], bytes[1]];
    let stored = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
    let payload = &bytes[HEADER..];
    let computed = crc(version, payload);
    if stored != computed {
        return Err(Bad::Checksum { stored, computed });
    }
    let version = u16::from_be_bytes(version);
    if version != FORMAT_VERSION {
        return Err(Bad::Version(version));
    }
    serde_json::from_slice(payload).map_err(|e| Bad::Payload(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_single_flipped_byte_is_caught() {
        let framed = encode(&vec!["a".to_string(), "b".to_string()]).unwrap();
        assert_eq!(decode::<Vec<String>>(&framed).unwrap(), vec!["a", "b"]);
        for i in 0..framed.len() {
            let mut bad = framed.clone();
            bad[i] ^= 0x01;
            assert!(
                decode::<Vec<String>>(&bad).is_err(),
                "flip at byte {i} passed"
            );
        }
    }

    #[test]
    fn newer_version_and_short_records_are_named() {
        let payload = b"{}";
        let version = 7u16.to_be_bytes();
        let mut framed = version.to_vec();
        framed.extend_from_slice(&crc(version, payload).to_be_bytes());
        framed.extend_from_slice(payload);
        let err = decode::<serde_json::Value>(&framed).unwrap_err();
        assert_eq!(err, Bad::Version(7));
        assert!(err.to_string().contains("version 7"));
        assert_eq!(
            decode::<serde_json::Value>(&[0, 1]).unwrap_err(),
            Bad::TooShort(2)
        );
    }
}
