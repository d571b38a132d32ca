//! The one way the grader runs git: on the kit (`tracked`, the exports, and
//! `build.rs`, which includes this file), on a student's clone (its commit),
//! and on the repositories `grader batch` clones (`repos`).
//!
//! Every command runs with the repository's hooks and fsmonitor off (a
//! repository's config could name a program for either), never a prompt,
//! without the variables that name a repository or add configuration
//! (`GIT_DIR`, `GIT_CONFIG_PARAMETERS`... those `git rev-parse
//! --local-env-vars` lists: a grader run from a git hook would otherwise read
//! the hook's repository), within a time limit (then killed, as it is once
//! `stop` is set), its output read up to a cap; a failure is told by git's
//! first `fatal:` or `error:` line. A repository that is the student's
//! through and through ([`Git::hostile`]) is read without the system's and
//! the user's configuration too (so no filter, alias or credential helper),
//! and only over the usual transports (`ext::` and the like could run a
//! command).

use std::ffi::OsStr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a git command may take before it is killed, unless told otherwise.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);
/// How much of a git command's output is kept (the rest is read and
/// dropped), unless told otherwise.
pub const OUTPUT_LIMIT: usize = 16 << 20;

/// The variables that point git at a repository, or add configuration, other
/// than the one it is run in: `git rev-parse --local-env-vars`.
const REPOSITORY_VARIABLES: [&str; 15] = [
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
];

/// What a git command said.
#[derive(Debug)]
pub struct GitOutput {
    pub success: bool,
    /// At most the cap asked for.
    pub stdout: Vec<u8>,
    /// Its first 4 KiB, as text.
    pub stderr: String,
}

/// A git command's settings (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Git<'a> {
    limit: Duration,
    cap: usize,
    stop: Option<&'a AtomicBool>,
    hostile: bool,
}

impl Default for Git<'_> {
    fn default() -> Self {
        Git { limit: TIME_LIMIT, cap: OUTPUT_LIMIT, stop: None, hostile: false }
    }
}

impl<'a> Git<'a> {
    /// At most this long.
    pub fn limit(self, limit: Duration) -> Self {
        Git { limit, ..self }
    }

    /// At most this much of its output kept.
    pub fn cap(self, cap: usize) -> Self {
        Git { cap, ..self }
    }

    /// Stopped once `stop` is set.
    pub fn stop(self, stop: &'a AtomicBool) -> Self {
        Git { stop: Some(stop), ..self }
    }

    /// On a repository every byte of which is a student's: without the
    /// system's and the user's configuration, over the usual transports only.
    pub fn hostile(self) -> Self {
        Git { hostile: true, ..self }
    }

    /// `git -C dir ARGS`: its output where it succeeds, else what git said went wrong.
    pub fn in_dir(&self, dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
        let mut all: Vec<&OsStr> = vec![OsStr::new("-C"), dir.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        let output = self.run(&all)?;
        if output.success {
            Ok(output.stdout)
        } else {
            Err(what_git_said(&output.stderr))
        }
    }

    /// `git ARGS`, and what it said; `Err` says why it did not run or finish.
    pub fn run(&self, args: &[&OsStr]) -> Result<GitOutput, String> {
        use std::io::Read;
        use std::process::{Command, Stdio};
        let mut command = Command::new("git");
        command
            .args(["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
            .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in REPOSITORY_VARIABLES {
            command.env_remove(name);
        }
        if self.hostile {
            command
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_ALLOW_PROTOCOL", "file:git:http:https:ssh")
                .env("GIT_PROTOCOL_FROM_USER", "0");
        }
        let mut child = command.spawn().map_err(|e| format!("cannot run git: {e}"))?;
        let bounded = |stream: Option<Box<dyn Read + Send>>, cap: usize| {
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                if let Some(mut stream) = stream {
                    let _ = (&mut stream).take(cap as u64).read_to_end(&mut kept);
                    // The rest is drained, so that git never blocks on a full pipe.
                    let _ = std::io::copy(&mut stream, &mut std::io::sink());
                }
                kept
            })
        };
        let stdout = bounded(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>), self.cap);
        let stderr = bounded(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>), 4096);
        let started = std::time::Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("git took longer than {} s and was stopped", self.limit.as_secs()));
                }
                Ok(None) if self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed)) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err("git was stopped".into());
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("cannot wait for git: {e}")),
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).trim().to_owned();
        Ok(GitOutput { success: status.success(), stdout, stderr })
    }
}

/// What git said went wrong: its first `fatal:` or `error:` line (the
/// lines after are advice), else its last line.
pub fn what_git_said(said: &str) -> String {
    let lines = || said.lines().map(str::trim).filter(|l| !l.is_empty());
    let first_error = lines().find(|l| l.starts_with("fatal:") || l.starts_with("error:"));
    first_error.or_else(|| lines().next_back()).unwrap_or("git failed").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_told_by_its_first_fatal_or_error_line() {
        assert_eq!(what_git_said("hint: a\nfatal: no such thing\nhint: b\n"), "fatal: no such thing");
        assert_eq!(what_git_said("warning: a\n  last words  \n\n"), "last words");
        assert_eq!(what_git_said(""), "git failed");
    }

    /// A grader run from a git hook (or by `git rebase --exec`) inherits
    /// `GIT_DIR` and `GIT_INDEX_FILE`: git still reads the repository it is
    /// run in, not the hook's. Run in a process of its own, which sets them.
    #[test]
    fn the_environment_names_no_other_repository() {
        const CHILD: &str = "GRADER_GIT_ENVIRONMENT_TEST";
        let Some(folders) = std::env::var_os(CHILD) else {
            let dir = tempfile::tempdir().unwrap();
            let (one, other) = (dir.path().join("one"), dir.path().join("other"));
            for (repo, branch) in [(&one, "first"), (&other, "second")] {
                std::fs::create_dir_all(repo).unwrap();
                Git::default().in_dir(repo, &["init", "-q", "-b", branch]).unwrap();
            }
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "git::tests::the_environment_names_no_other_repository", "--nocapture"])
                .env(CHILD, std::env::join_paths([&one, &other]).unwrap())
                .env("GIT_DIR", other.join(".git"))
                .env("GIT_INDEX_FILE", other.join(".git/index"))
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success() && said.contains("1 passed"), "{said}");
            return;
        };
        let one = std::env::split_paths(&folders).next().unwrap();
        let branch = Git::default().in_dir(&one, &["symbolic-ref", "--short", "HEAD"]).unwrap();
        assert_eq!(String::from_utf8_lossy(&branch).trim(), "first");
    }

    #[test]
    fn a_stopped_command_is_not_waited_for_and_its_output_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(true);
        let stopped =
            Git::default().stop(&stop).run(&[OsStr::new("-C"), dir.path().as_os_str(), OsStr::new("init")]);
        // Stopped at once, or done before the first look: either way never waited for.
        assert!(stopped.as_ref().map_or_else(|why| why == "git was stopped", |o| o.success), "{stopped:?}");
        let version = Git::default().cap(3).run(&[OsStr::new("--version")]).unwrap();
        assert_eq!(version.stdout, b"git");
    }
}
