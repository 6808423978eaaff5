//! Which embedded font draws which script, so that a screen looks the same on every device
//! whatever fonts the system has (or lacks).
//!
//! `ui/app.slint` embeds DejaVu Sans (the window's family: Latin, digits, and the Arabic letters
//! Libyan Arabic uses) and Noto Sans Arabic, Sinhala and Tamil. Slint draws a character the
//! window's family lacks with the generic sans-serif family and then the script's fallback, both
//! of which it takes from the system's fontconfig: embedding alone is not enough, and on a device
//! without a Sinhala system font Sinhala drew as nothing (seen in a render with fontconfig limited
//! to DejaVu). [`use_embedded_fonts`] points the generic families and the script fallbacks at the
//! embedded fonts, so the system is never asked for our scripts.
//!
//! DejaVu Sans stays the family for Arabic too: Slint sizes every line by the requested family,
//! and Noto Sans Arabic's line is 2.1 em high against DejaVu's 1.16 (the tighter "UI" variant is
//! not packaged), which pushed buttons off the 480x320 screen. Noto Sans Arabic draws the Arabic
//! characters DejaVu lacks (a provider's decline reason is shown as the provider wrote it).
//!
//! Text is shaped by Slint's software renderer itself (parley: `harfrust`, HarfBuzz's port, and
//! the Unicode bidi algorithm): joined Arabic, right-to-left order with numbers kept left to right,
//! Sinhala and Tamil vowel signs and conjuncts all come out right once a font has the glyphs
//! (docs/markets.md).

use slint::fontique_011::fontique::{FallbackKey, GenericFamily, Script};
use thiserror::Error;

/// The embedded families, in the order a character not in the window's family is looked up.
pub const FALLBACK_CHAIN: [&str; 4] = [
    "DejaVu Sans",
    "Noto Sans Arabic",
    "Noto Sans Sinhala",
    "Noto Sans Tamil",
];

/// The scripts the Noto fonts are there for (ISO 15924), with their family.
const SCRIPTS: [([u8; 4], &str); 3] = [
    (*b"Arab", "Noto Sans Arabic"),
    (*b"Sinh", "Noto Sans Sinhala"),
    (*b"Taml", "Noto Sans Tamil"),
];

#[derive(Debug, Error)]
pub enum FontError {
    #[error("the embedded font family {0:?} is not registered (is it imported in ui/app.slint?)")]
    Missing(&'static str),
}

/// Makes the embedded fonts the fallbacks of every script Kassa writes. Call on the UI thread
/// after the first `AppWindow` is created (its fonts are registered then); calling it again is
/// harmless.
pub fn use_embedded_fonts() -> Result<(), FontError> {
    let mut collection = slint::fontique_011::shared_collection();
    let mut chain = Vec::with_capacity(FALLBACK_CHAIN.len());
    for family in FALLBACK_CHAIN {
        chain.push(
            collection
                .family_id(family)
                .ok_or(FontError::Missing(family))?,
        );
    }
    for generic in [
        GenericFamily::SansSerif,
        GenericFamily::SystemUi,
        GenericFamily::UiSansSerif,
    ] {
        collection.set_generic_families(generic, chain.iter().copied());
    }
    for (script, family) in SCRIPTS {
        let id = collection
            .family_id(family)
            .ok_or(FontError::Missing(family))?;
        let key = FallbackKey::new(Script::from_bytes(script), None);
        collection.set_fallbacks(key, std::iter::once(id));
    }
    Ok(())
}

/// The families a character missing from the window's family is looked up in, by name (for
/// tests: the chain [`use_embedded_fonts`] set).
pub fn sans_serif_chain() -> Vec<String> {
    let mut collection = slint::fontique_011::shared_collection();
    let ids: Vec<_> = collection
        .generic_families(GenericFamily::SansSerif)
        .collect();
    ids.into_iter()
        .filter_map(|id| collection.family_name(id).map(str::to_string))
        .collect()
}
