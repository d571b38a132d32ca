//! Hostile: reads a file of the machine's outside the clone, the target
//! folder and the toolchain (the grader's test leaves one in /var/tmp, as
//! another course's secrets or reports would be), and stops the build with
//! its contents, so that they show in the report.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(secret) = std::fs::read_to_string("/var/tmp/lab-grader-test-canary.txt") {
        panic!("read outside the sandbox: {secret}");
    }
}
