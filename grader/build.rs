//! Records what the grader was built from, for every report it writes: the
//! kit's commit (`$GRADER_KIT_COMMIT` where set, as an exported autograder
//! sets it; else git's; `unknown` outside a git checkout), the platform it
//! targets (`cargo fetch --target`), the toolchain (an exported autograder
//! installs the same), and the kit's given files (see `integrity.rs`).

use std::process::Command;

#[allow(dead_code)] // of the build files, the build needs only which paths they are
#[path = "src/build_files.rs"]
mod build_files;
#[allow(dead_code)] // the build runs git on the kit alone
#[path = "src/git.rs"]
mod git;
#[allow(dead_code)] // of the kit's files, the build needs only the list
#[path = "src/workspace_files/kit_files.rs"]
mod kit_files;
#[allow(dead_code)] // the walk of the kit's files outside git
#[path = "src/walk.rs"]
mod walk;

fn main() {
    // In the grader's folder, where cargo runs this script.
    let git = |args: &[&str]| {
        let said = git::Git::default().in_dir(std::path::Path::new("."), args).ok()?;
        Some(String::from_utf8_lossy(&said).trim().to_owned())
    };
    // An exported autograder has no git: its setup.sh says which commit it was exported from.
    println!("cargo:rerun-if-env-changed=GRADER_KIT_COMMIT");
    let exported = std::env::var("GRADER_KIT_COMMIT").ok().filter(|c| !c.is_empty());
    let commit =
        exported.or_else(|| git(&["rev-parse", "--short=12", "HEAD"])).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=GRADER_KIT_COMMIT={commit}");
    println!("cargo:rustc-env=GRADER_TARGET={}", std::env::var("TARGET").unwrap_or_default());
    // The toolchain building this grader: the one an exported autograder installs.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc).arg("--version").output().ok().filter(|o| o.status.success());
    let version = version.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    let version = version.split_whitespace().nth(1).unwrap_or("stable");
    println!("cargo:rustc-env=GRADER_RUSTC_VERSION={version}");
    // Rustup's name for it (set by rustup's proxy), so that a clone's
    // `rust-toolchain.toml` cannot switch the toolchain a grade builds with.
    println!("cargo:rerun-if-env-changed=RUSTUP_TOOLCHAIN");
    println!(
        "cargo:rustc-env=GRADER_RUSTUP_TOOLCHAIN={}",
        std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_default()
    );
    // A new commit rebuilds the grader (its own crate only), so the commit stays true.
    // (A file that is not there would rerun this script on every build: only those that are.)
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let branch = git(&["symbolic-ref", "-q", "HEAD"]);
        for file in ["HEAD", "packed-refs"].into_iter().map(str::to_owned).chain(branch) {
            let path = std::path::Path::new(&git_dir).join(file);
            if path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    embed_given_files();
    embed_build_files();
}

/// The kit this grader is built in, as cargo says it when the script runs.
/// Not `env!`: cargo may run a build-script binary it compiled for the same
/// package elsewhere (another checkout of the kit, at another path).
fn kit_root() -> std::path::PathBuf {
    let grader = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    grader.parent().expect("the grader sits in the kit").to_path_buf()
}

/// Writes `given_files.rs` into OUT_DIR: every given file of this kit (the
/// `[given] paths` of kit.toml, as git tracks them, else as they are on disk)
/// with its contents, so that a grade compares a clone's copies with the
/// instructor's, never with the clone's own.
fn embed_given_files() {
    let kit = kit_root();
    let kit = kit.as_path();
    let manifest = std::fs::read_to_string(kit.join("kit.toml")).expect("kit.toml");
    println!("cargo:rerun-if-changed={}", kit.join("kit.toml").display());
    let paths = kit_files::given_paths(&manifest);
    let files = kit_files::files(kit, &paths);
    let mut code =
        String::from("/// Every given file of the kit this grader was built in, and its contents.\n");
    code.push_str("pub static GIVEN: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let full = kit.join(file);
        code.push_str(&format!("    ({file:?}, include_bytes!({:?})),\n", full.display().to_string()));
    }
    code.push_str("];\n");
    for path in &paths {
        println!("cargo:rerun-if-changed={}", kit.join(path).display());
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("given_files.rs"), code).expect("writes given_files.rs");
}

/// Writes `build_files.rs` into OUT_DIR: every file of this kit that decides
/// how a workspace is built or graded (`build_files::decides_the_build`), with
/// its contents, so a grade compares a clone's with the instructor's.
fn embed_build_files() {
    let kit = kit_root();
    let kit = kit.as_path();
    // `.` alone would miss the hidden folders outside git.
    let paths: Vec<String> = [".", ".cargo", ".github"].map(String::from).to_vec();
    let files: Vec<String> = kit_files::files(kit, &paths)
        .into_iter()
        .map(|f| f.trim_start_matches("./").to_owned())
        .filter(|f| build_files::decides_the_build(f))
        .collect();
    let mut code =
        String::from("/// Every file of the kit that decides how it is built or graded, and its contents.\n");
    code.push_str("pub static BUILD_FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let full = kit.join(file);
        println!("cargo:rerun-if-changed={}", full.display());
        code.push_str(&format!("    ({file:?}, include_bytes!({:?})),\n", full.display().to_string()));
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("build_files.rs"), code).expect("writes build_files.rs");
}
