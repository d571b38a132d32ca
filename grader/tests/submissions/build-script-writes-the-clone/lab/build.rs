//! Hostile: writes into the clone it is built from, where whatever reads the
//! clone afterwards (the grader, the instructor's tools, git) would find it:
//! a new file at its root, a line added to the page's script, and one to
//! the lock (which cargo itself would write, were the build not `--locked`).

use std::io::Write;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let lab = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let clone = lab.parent().unwrap_or(&lab).to_path_buf();
    let _ = std::fs::write(clone.join("planted-by-the-build"), "the build wrote its clone");
    for (file, line) in [("static/js/session.js", "// planted by the build"), ("Cargo.lock", "# planted by the build")] {
        if let Ok(mut opened) = std::fs::OpenOptions::new().append(true).open(clone.join(file)) {
            let _ = writeln!(opened, "{line}");
        }
    }
}
