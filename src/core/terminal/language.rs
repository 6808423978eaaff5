//! The supervisor switches the display language from the settings page (Enter: the list of
//! languages, a tap picks one). `terminal.locale` is the language and the number format both, so
//! amounts follow the switch too. The choice is not persisted: no setting changed at runtime is
//! (they all come from the config file), so a restart shows `terminal.locale` again; the front
//! end switches its translated texts from the view, without a restart.

use super::Terminal;
use super::state::State;
use crate::core::locale::Locale;

impl Terminal {
    /// The `i`-th of [`Locale::ALL`] becomes the terminal's language; back to the settings page,
    /// now in that language. A tap beside the list changes nothing.
    pub(super) fn choose_language(&mut self, i: usize) -> State {
        match Locale::ALL.get(i) {
            Some(&locale) => {
                self.settings.local.locale = locale;
                State::SettingsScreen
            }
            None => State::Language,
        }
    }
}
