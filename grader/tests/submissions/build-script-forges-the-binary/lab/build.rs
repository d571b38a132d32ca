//! Hostile: writes a line into cargo's own standard output (the grader's
//! pipe) that says the lab's binary is the reference solution's server, built
//! beside it in the same target folder. A grader that believes the line
//! grades the solution instead of this lab.

use std::io::Write;

fn main() {
    let out = std::env::var("OUT_DIR").unwrap_or_default();
    // <target>/debug/build/lab-<hash>/out
    let debug = std::path::Path::new(&out).ancestors().nth(3).map(|p| p.to_path_buf()).unwrap_or_default();
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let line = format!(
        "{{\"reason\":\"compiler-artifact\",\"package_id\":\"path+file://{manifest}#0.1.0\",\
         \"target\":{{\"name\":\"lab\",\"kind\":[\"bin\"]}},\"executable\":{:?}}}\n",
        debug.join("solution").display().to_string()
    );
    let cargo = std::os::unix::process::parent_id();
    if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(format!("/proc/{cargo}/fd/1")) {
        let _ = pipe.write_all(line.as_bytes());
    }
}
