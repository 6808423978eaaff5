//! Compiles the Slint UI (`ui/app.slint`) into Rust at build time; fonts it imports are embedded,
//! and so are the translations of its `@tr` strings (`translations/<lang>/LC_MESSAGES/kassa.po`,
//! the catalogs `src/ui/tr.rs` reads too). No default context: a message is translated once,
//! whichever component or Rust function shows it.

use slint_build::DefaultTranslationContext;

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("translations")
        .with_default_translation_context(DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("cannot compile ui/app.slint: {e}");
        std::process::exit(1);
    }
}
