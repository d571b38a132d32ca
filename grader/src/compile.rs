//! Stage 1: build the submission with cargo, and find the server binary.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

use crate::process;

/// How many compiler errors a report shows; the rest are counted.
const ERRORS_SHOWN: usize = 3;

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The Cargo workspace (the student's clone).
    pub workspace: PathBuf,
    /// The package whose binary is the server (`lab`, or `solution`).
    pub package: String,
    /// Where cargo puts its output; `None` for the workspace's own `target/`.
    pub target_dir: Option<PathBuf>,
    pub timeout: Duration,
}

/// Why there is no binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFailure {
    /// The student's code does not compile: the first errors, rendered by rustc.
    Compile { errors: Vec<String>, total: usize },
    /// Cargo could not build for a reason that is not a compiler error
    /// (missing crates offline, a bad `--package`...): the grader cannot grade.
    Cargo(String),
    /// The build took longer than the limit.
    Timeout(Duration),
}

/// Builds the package's binaries and returns a private copy of the server
/// binary (the one named like the package, or its only binary) in `into`.
///
/// Cargo writes every workspace's `lab` binary to the same `target/debug/lab`,
/// so two grades sharing a target folder would run each other's servers. The
/// build and the copy therefore happen under a lock on the target folder.
pub async fn build(
    request: &BuildRequest,
    into: &Path,
    log: &mut Vec<String>,
) -> Result<PathBuf, BuildFailure> {
    let target_dir = request
        .target_dir
        .clone()
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| request.workspace.join("target"));
    let _lock = TargetLock::acquire(&target_dir)
        .await
        .map_err(|e| BuildFailure::Cargo(format!("cannot lock {}: {e}", target_dir.display())))?;
    let marker = target_dir.join(".grader").join(format!("{}.workspace", request.package));
    let workspace = request.workspace.canonicalize().unwrap_or_else(|_| request.workspace.clone());
    if !last_built_here(&marker, &workspace, &target_dir, &request.package) {
        let forgotten = forget_builds(&target_dir, &request.package);
        log.push(format!(
            "another workspace built `{}` here last: forgot {forgotten} builds",
            request.package
        ));
    }
    let built = build_locked(request, log).await?;
    if let Some(folder) = marker.parent() {
        let _ = std::fs::create_dir_all(folder);
    }
    let _ = std::fs::write(&marker, workspace.to_string_lossy().as_bytes());
    let private = into.join(built.file_name().unwrap_or_default());
    if std::fs::hard_link(&built, &private).is_err() {
        std::fs::copy(&built, &private)
            .map_err(|e| BuildFailure::Cargo(format!("cannot copy {}: {e}", built.display())))?;
    }
    log.push(format!("copied {} to {}", built.display(), private.display()));
    Ok(private)
}

/// Whether the last build of `package` in this target folder was the grader's
/// build of this workspace: the marker names it, and no fingerprint of the
/// package changed after the marker was written.
fn last_built_here(marker: &Path, workspace: &Path, target_dir: &Path, package: &str) -> bool {
    let Ok(named) = std::fs::read_to_string(marker) else {
        return false;
    };
    let Ok(marked_at) = std::fs::metadata(marker).and_then(|m| m.modified()) else {
        return false;
    };
    named == workspace.to_string_lossy()
        && fingerprints(target_dir, package)
            .iter()
            .all(|dir| newest_change(dir).is_none_or(|t| t <= marked_at))
}

/// When anything in `dir` last changed.
fn newest_change(dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::read_dir(dir).ok()?.flatten().filter_map(|entry| entry.metadata().ok()?.modified().ok()).max()
}

/// The fingerprint folders cargo keeps for `package` (`lab-<16 hex digits>`).
fn fingerprints(target_dir: &Path, package: &str) -> Vec<PathBuf> {
    let prefixes = [format!("{}-", package.replace('-', "_")), format!("{package}-")];
    let mut found = Vec::new();
    for profile in ["debug", "release"] {
        let Ok(entries) = std::fs::read_dir(target_dir.join(profile).join(".fingerprint")) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let hash = prefixes.iter().find_map(|p| name.strip_prefix(p.as_str()));
            if hash.is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
                found.push(entry.path());
            }
        }
    }
    found
}

/// Makes cargo rebuild `package` from this workspace's sources.
///
/// Cargo names a path package's build by its path *inside* the workspace, so
/// every student's `lab` shares one build in a shared target folder, and cargo
/// takes it as up to date whenever the sources are older than the last build,
/// whoever's it was. Forgetting the package's fingerprints forces a rebuild
/// (of that package only: the dependencies stay shared).
fn forget_builds(target_dir: &Path, package: &str) -> usize {
    fingerprints(target_dir, package).iter().filter(|dir| std::fs::remove_dir_all(dir).is_ok()).count()
}

/// An exclusive lock on `<target>/.grader.lock`, held while it lives (Unix;
/// elsewhere grades sharing a target folder must not run at once).
struct TargetLock {
    _file: std::fs::File,
}

impl TargetLock {
    async fn acquire(target_dir: &Path) -> std::io::Result<TargetLock> {
        std::fs::create_dir_all(target_dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(target_dir.join(".grader.lock"))?;
        tokio::task::spawn_blocking(move || {
            #[cfg(unix)]
            {
                use std::os::fd::AsRawFd;
                // SAFETY: flock(2) on a descriptor this function owns.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(TargetLock { _file: file })
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

async fn build_locked(request: &BuildRequest, log: &mut Vec<String>) -> Result<PathBuf, BuildFailure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&request.workspace)
        .args(["build", "--bins", "--message-format=json", "--package", &request.package])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = &request.target_dir {
        command.arg("--target-dir").arg(dir);
    }
    log.push(format!(
        "running `cargo build --bins --package {}` in {}",
        request.package,
        request.workspace.display()
    ));
    let child = process::isolate(&mut command).spawn().map_err(|e| {
        BuildFailure::Cargo(format!("cannot run cargo ({}): {e}", Path::new(&cargo).display()))
    })?;
    let output = match tokio::time::timeout(request.timeout, child.wait_with_output()).await {
        Ok(output) => output.map_err(|e| BuildFailure::Cargo(format!("cargo failed to run: {e}")))?,
        Err(_) => return Err(BuildFailure::Timeout(request.timeout)), // dropping the child kills it
    };
    let messages = parse_messages(&String::from_utf8_lossy(&output.stdout), &request.package);
    if output.status.success() {
        return messages.executable.ok_or_else(|| {
            BuildFailure::Cargo(format!("package `{}` built, but it has no binary to run", request.package))
        });
    }
    if !messages.errors.is_empty() {
        let total = messages.errors.len();
        let errors = messages.errors.into_iter().take(ERRORS_SHOWN).collect();
        return Err(BuildFailure::Compile { errors, total });
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(12)..].join("\n");
    Err(BuildFailure::Cargo(format!("cargo build failed without a compiler error:\n{tail}")))
}

#[derive(Debug, Default)]
struct Messages {
    errors: Vec<String>,
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Line {
    reason: String,
    message: Option<Diagnostic>,
    target: Option<Target>,
    executable: Option<PathBuf>,
    package_id: Option<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// Reads cargo's JSON messages: rustc's errors, and the package's binaries.
fn parse_messages(stdout: &str, package: &str) -> Messages {
    let mut messages = Messages::default();
    let mut binaries = Vec::new();
    for line in stdout.lines().filter_map(|l| serde_json::from_str::<Line>(l).ok()) {
        match line.reason.as_str() {
            "compiler-message" => {
                if let Some(Diagnostic { level, rendered: Some(text) }) = line.message {
                    if level == "error"
                        && !text.starts_with("error: aborting")
                        && !text.starts_with("error: could not compile")
                    {
                        messages.errors.push(text.trim_end().to_owned());
                    }
                }
            }
            "compiler-artifact" => {
                let ours = line.package_id.as_deref().is_some_and(|id| belongs_to(id, package));
                if let (true, Some(target), Some(executable)) = (ours, line.target, line.executable) {
                    if target.kind.iter().any(|k| k == "bin") {
                        binaries.push((target.name, executable));
                    }
                }
            }
            _ => {}
        }
    }
    let named = binaries.iter().position(|(name, _)| name == package);
    messages.executable = match (named, binaries.len()) {
        (Some(i), _) => Some(binaries.swap_remove(i).1),
        (None, 1) => binaries.pop().map(|(_, path)| path),
        _ => None,
    };
    messages
}

/// Whether a cargo package id (`path+file:///x/lab#0.1.0` or the older
/// `lab 0.1.0 (path+file:///x/lab)`) is the package `name`.
fn belongs_to(package_id: &str, name: &str) -> bool {
    package_id.starts_with(&format!("{name} "))
        || package_id.contains(&format!("#{name}@"))
        || package_id.rsplit_once('#').is_some_and(|(url, _)| url.ends_with(&format!("/{name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_binary_and_the_errors() {
        let stdout = r#"{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"warning","rendered":"warning: unused"}}
{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"error","rendered":"error[E0425]: cannot find value `x`\n --> lab/src/controllers.rs:3:5\n"}}
{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"error","rendered":"error: aborting due to 1 previous error"}}
{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"util","kind":["bin"]},"executable":"/t/util"}
{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"lab","kind":["bin"]},"executable":"/t/lab"}
{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#rocket@0.5.2","target":{"name":"rocket","kind":["lib"]},"executable":null}
not json"#;
        let messages = parse_messages(stdout, "lab");
        assert_eq!(messages.executable, Some(PathBuf::from("/t/lab")));
        assert_eq!(messages.errors.len(), 1);
        assert!(messages.errors[0].contains("controllers.rs:3:5"));
    }

    #[test]
    fn package_ids_old_and_new() {
        assert!(belongs_to("path+file:///w/lab#0.1.0", "lab"));
        assert!(belongs_to("path+file:///w/x#lab@0.1.0", "lab"));
        assert!(belongs_to("lab 0.1.0 (path+file:///w/lab)", "lab"));
        assert!(!belongs_to("path+file:///w/solution#0.1.0", "lab"));
        assert!(!belongs_to("registry+https://x#rocket@0.5.2", "lab"));
    }
}
