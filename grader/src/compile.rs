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

/// Builds the package's binaries and returns the path of the server binary
/// (the one named like the package, or its only binary).
pub async fn build(request: &BuildRequest, log: &mut Vec<String>) -> Result<PathBuf, BuildFailure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&request.workspace)
        .args([
            "build",
            "--bins",
            "--message-format=json",
            "--package",
            &request.package,
        ])
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
        BuildFailure::Cargo(format!(
            "cannot run cargo ({}): {e}",
            Path::new(&cargo).display()
        ))
    })?;
    let output = match tokio::time::timeout(request.timeout, child.wait_with_output()).await {
        Ok(output) => {
            output.map_err(|e| BuildFailure::Cargo(format!("cargo failed to run: {e}")))?
        }
        Err(_) => return Err(BuildFailure::Timeout(request.timeout)), // dropping the child kills it
    };
    let messages = parse_messages(&String::from_utf8_lossy(&output.stdout), &request.package);
    if output.status.success() {
        return messages.executable.ok_or_else(|| {
            BuildFailure::Cargo(format!(
                "package `{}` built, but it has no binary to run",
                request.package
            ))
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
    Err(BuildFailure::Cargo(format!(
        "cargo build failed without a compiler error:\n{tail}"
    )))
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
    for line in stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
    {
        match line.reason.as_str() {
            "compiler-message" => {
                if let Some(Diagnostic {
                    level,
                    rendered: Some(text),
                }) = line.message
                {
                    if level == "error"
                        && !text.starts_with("error: aborting")
                        && !text.starts_with("error: could not compile")
                    {
                        messages.errors.push(text.trim_end().to_owned());
                    }
                }
            }
            "compiler-artifact" => {
                let ours = line
                    .package_id
                    .as_deref()
                    .is_some_and(|id| belongs_to(id, package));
                if let (true, Some(target), Some(executable)) = (ours, line.target, line.executable)
                {
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
        || package_id
            .rsplit_once('#')
            .is_some_and(|(url, _)| url.ends_with(&format!("/{name}")))
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
