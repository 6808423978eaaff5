//! Compiles the Slint UI (`ui/app.slint`) into Rust at build time; fonts it imports are embedded.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_style("fluent".into());
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("cannot compile ui/app.slint: {e}");
        std::process::exit(1);
    }
}
