//! A grade in a grader process of its own (`grader check`), for `grader
//! batch --jobs N` where no PID namespace keeps the grades' processes apart
//! (no sandbox). A daemon that leaves its process group is re-parented to
//! the nearest ancestor that adopts orphans: in one process every grade's
//! daemons would meet there, and one grade's sweep would end and name
//! another's. In a process of its own, each grade adopts, ends and names
//! only what its own submission left.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use crate::report::Report;
use crate::settings::{BrowserChoice, GivenFilesMode, SandboxMode, Settings, Target};

/// Grades as `settings` say, through `grader check` run as a child process;
/// the report is the child's JSON report, read back.
pub async fn grade(
    settings: &Settings,
    only: &[String],
    points: &HashMap<String, u32>,
) -> Result<Report, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot make a scratch folder: {e}"))?;
    let output = scratch.path().join("report.json");
    let grader = std::env::current_exe().map_err(|e| format!("cannot find the grader's own program: {e}"))?;
    let mut command = tokio::process::Command::new(grader);
    command.args(check_args(settings, only, points, &output)?);
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let child = crate::process::spawn(&mut command).map_err(|e| format!("cannot run `grader check`: {e}"))?;
    // Dropped halfway (Ctrl-C), the child grader goes with its group; what it started dies with it.
    let _guard = crate::process::Group::of(&child).map(crate::process::Group::guard);
    let finished =
        child.wait_with_output().await.map_err(|e| format!("`grader check` failed to run: {e}"))?;
    match std::fs::read_to_string(&output) {
        Ok(json) => serde_json::from_str(&json)
            .map_err(|e| format!("`grader check` wrote a report that does not read back: {e}")),
        Err(_) => {
            let said = String::from_utf8_lossy(&finished.stderr);
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no reason given");
            Err(format!(
                "`grader check` gave no report ({}): {}",
                finished.status,
                crate::render::inert(last)
            ))
        }
    }
}

/// The command line of `grader check` that grades as `settings` say, its
/// JSON report written to `output`.
fn check_args(
    settings: &Settings,
    only: &[String],
    points: &HashMap<String, u32>,
    output: &Path,
) -> Result<Vec<OsString>, String> {
    let Target::Workspace { path, package, target_dir } = &settings.target else {
        return Err("a grade apart grades a workspace".into());
    };
    let mut args: Vec<OsString> = Vec::new();
    let mut arg = |name: &str, value: OsString| args.extend([name.into(), value]);
    arg("--path", path.into());
    arg("--package", package.into());
    if let Some(dir) = target_dir {
        arg("--target-dir", dir.into());
    }
    if let Some(from) = &settings.laid_from {
        arg("--laid-from", from.into());
    }
    arg("--format", "json".into());
    arg("--output", output.into());
    arg("--artifacts", settings.artifacts_dir.clone().into());
    let seconds = |d: std::time::Duration| d.as_secs().max(1).to_string().into();
    arg("--build-timeout", seconds(settings.build_timeout));
    arg("--boot-timeout", seconds(settings.boot_timeout));
    arg("--request-timeout", seconds(settings.request_timeout));
    arg("--browser-timeout", seconds(settings.browser_timeout));
    if let Some(deadline) = settings.deadline {
        arg("--deadline", seconds(deadline));
    }
    let sandbox = match settings.sandbox {
        SandboxMode::Auto => "auto",
        SandboxMode::On => "on",
        SandboxMode::Off => "off",
    };
    arg("--sandbox", sandbox.into());
    let given_files = match settings.given_files {
        GivenFilesMode::Warn => "warn",
        GivenFilesMode::Fail => "fail",
        GivenFilesMode::Off => "off",
    };
    arg("--given-files", given_files.into());
    if !only.is_empty() {
        arg("--only", only.join(",").into());
    }
    let mut points: Vec<_> = points.iter().collect();
    points.sort();
    for (id, value) in points {
        arg("--points", format!("{id}={value}").into());
    }
    match &settings.browser {
        BrowserChoice::Off => args.push("--no-browser".into()),
        BrowserChoice::Find(Some(browser)) => args.extend(["--browser".into(), browser.into()]),
        BrowserChoice::Find(None) => {}
    }
    if settings.screenshots {
        args.push("--screenshots".into());
    }
    args.extend(["--quiet".into()]);
    let mut line: Vec<OsString> = vec!["check".into()];
    line.extend(args);
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// What the child grades with is what the batch asked for: the command
    /// line parses back into the same settings, every field of them.
    #[test]
    fn the_child_grades_with_the_batchs_settings() {
        let workspace = tempfile::tempdir().unwrap();
        std::fs::write(workspace.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        let seconds = std::time::Duration::from_secs;
        let mut settings = Settings::new(Target::Workspace {
            path: workspace.path().to_owned(),
            package: "lab".into(),
            target_dir: Some("/w/target".into()),
        });
        settings.laid_from = Some("/class/ada".into());
        settings.artifacts_dir = "/out/artifacts/ada".into();
        settings.build_timeout = seconds(77);
        settings.boot_timeout = seconds(7);
        settings.request_timeout = seconds(3);
        settings.browser_timeout = seconds(4);
        settings.deadline = Some(seconds(300));
        settings.sandbox = SandboxMode::Off;
        settings.given_files = GivenFilesMode::Fail;
        settings.browser = BrowserChoice::Find(Some("/opt/chromium/chrome".into()));
        settings.screenshots = true;
        let points = HashMap::from([("bad-input".to_owned(), 0)]);
        let parse = |settings: &Settings| {
            let args = check_args(settings, &["boots".into()], &points, Path::new("/tmp/r.json")).unwrap();
            let cli = crate::cli::Cli::try_parse_from(std::iter::once(OsString::from("grader")).chain(args))
                .expect("a command line grader check takes");
            crate::cli::check_settings(cli).expect("a check")
        };
        let check = parse(&settings);
        assert_eq!(check.output.as_deref(), Some(Path::new("/tmp/r.json")));
        assert_eq!(check.only, ["boots"]);
        assert_eq!(check.points, points);
        let parsed = &check.settings;
        // Every field by name, no `..`: a field added to Settings does not
        // compile here until it is carried to the child, or said why not.
        let Settings {
            target,
            build_timeout,
            boot_timeout,
            request_timeout,
            stop_grace,
            browser,
            browser_timeout,
            artifacts_dir,
            screenshots,
            sandbox,
            deadline,
            given_files,
            laid_from,
            progress,
        } = &settings;
        assert_eq!(format!("{:?}", parsed.target), format!("{target:?}"));
        assert_eq!(parsed.build_timeout, *build_timeout);
        assert_eq!(parsed.boot_timeout, *boot_timeout);
        assert_eq!(parsed.request_timeout, *request_timeout);
        assert_eq!(format!("{:?}", parsed.browser), format!("{browser:?}"));
        assert_eq!(parsed.browser_timeout, *browser_timeout);
        assert_eq!(parsed.artifacts_dir, *artifacts_dir);
        assert_eq!(parsed.screenshots, *screenshots);
        assert_eq!(parsed.sandbox, *sandbox);
        assert_eq!(parsed.deadline, *deadline);
        assert_eq!(parsed.given_files, *given_files);
        assert_eq!(parsed.laid_from, *laid_from);
        // No flag of `grader check`: the batch keeps the default grace, as the child does,
        assert_eq!(parsed.stop_grace, *stop_grace);
        // and the child is quiet: a grade apart shows no progress (see `batch`).
        assert!(progress.is_none() && parsed.progress.is_none());
        settings.browser = BrowserChoice::Off;
        assert!(matches!(parse(&settings).settings.browser, BrowserChoice::Off));
    }
}
