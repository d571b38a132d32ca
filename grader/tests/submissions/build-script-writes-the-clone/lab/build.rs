//! Hostile: writes into the clone it is built from, where whatever reads the
//! clone afterwards (the grader, the instructor's tools, git) would find it:
//! a new file at its root, and a line added to the page's script.

use std::io::Write;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let lab = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let clone = lab.parent().unwrap_or(&lab).to_path_buf();
    let _ = std::fs::write(clone.join("planted-by-the-build"), "the build wrote its clone");
    if let Ok(mut script) = std::fs::OpenOptions::new().append(true).open(clone.join("static/js/session.js")) {
        let _ = writeln!(script, "// planted by the build");
    }
}
