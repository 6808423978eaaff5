//! Keys by their text, as Slint reports them from the keyboard and as the on-screen keypad sends
//! them, mapped to the core's [`Key`]: one mapping for touch and keyboard.

use slint::platform::Key as SlintKey;

use crate::core::Key;

/// Digits, Enter, Backspace, Escape = Cancel, Delete = Clear, F2 or M = Menu, F3 or P = Send to
/// phone. Anything else (other letters, arrows, modifiers) is not a terminal key.
pub fn key_for_text(text: &str) -> Option<Key> {
    let mut chars = text.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    if let Some(d) = c.to_digit(10) {
        return Some(Key::Digit(d as u8));
    }
    let is = |k: SlintKey| char::from(k) == c;
    if is(SlintKey::Return) || c == '\r' {
        Some(Key::Enter)
    } else if is(SlintKey::Backspace) {
        Some(Key::Backspace)
    } else if is(SlintKey::Escape) {
        Some(Key::Cancel)
    } else if is(SlintKey::Delete) {
        Some(Key::Clear)
    } else if is(SlintKey::F2) || c == 'm' || c == 'M' {
        Some(Key::Menu)
    } else if is(SlintKey::F3) || c == 'p' || c == 'P' {
        Some(Key::SendToPhone)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboard_and_keypad_map_to_core_keys() {
        for d in 0..=9u8 {
            assert_eq!(key_for_text(&d.to_string()), Some(Key::Digit(d)));
        }
        let text = |k: SlintKey| char::from(k).to_string();
        assert_eq!(key_for_text(&text(SlintKey::Return)), Some(Key::Enter));
        assert_eq!(key_for_text("\r"), Some(Key::Enter));
        assert_eq!(
            key_for_text(&text(SlintKey::Backspace)),
            Some(Key::Backspace)
        );
        assert_eq!(key_for_text(&text(SlintKey::Escape)), Some(Key::Cancel));
        assert_eq!(key_for_text(&text(SlintKey::Delete)), Some(Key::Clear));
        assert_eq!(key_for_text(&text(SlintKey::F2)), Some(Key::Menu));
        assert_eq!(key_for_text("m"), Some(Key::Menu));
        assert_eq!(key_for_text("M"), Some(Key::Menu));
        assert_eq!(key_for_text(&text(SlintKey::F3)), Some(Key::SendToPhone));
        assert_eq!(key_for_text("p"), Some(Key::SendToPhone));
        assert_eq!(key_for_text("P"), Some(Key::SendToPhone));
    }

    #[test]
    fn other_keys_are_ignored() {
        for t in ["", "a", "12", "x", " ", "\u{F700}"] {
            assert_eq!(key_for_text(t), None, "{t:?}");
        }
    }
}
