//! The `grader` command as instructors and CI run it: flags, exit status,
//! report files, grading a running server, and cleaning up on Ctrl-C.

use crate::common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{lay_out, run_grader as grader, text, Edit, Submission};

fn target_dir() -> String {
    common::shared_target().display().to_string()
}

/// The grader on this kit's `package`, built in the tests' shared target folder.
fn grade_kit(package: &str, flags: &[&str]) -> Output {
    let kit = common::kit().display().to_string();
    let target = target_dir();
    let mut args = vec!["--path", &kit, "--package", package, "--target-dir", &target];
    args.extend_from_slice(flags);
    grader(&args)
}

#[test]
fn list_names_every_check_and_the_old_flag_still_works() {
    let output = grader(&["list"]);
    assert!(output.status.success());
    let listed = text(&output.stdout);
    for check in grader::checks::CHECKS {
        assert!(listed.contains(check.id), "{} is not listed:\n{listed}", check.id);
    }
    assert!(listed.contains("(needs cookie-logs-in)"), "{listed}");
    assert_eq!(text(&grader(&["--list"]).stdout), listed);
}

/// `grader list | head -1`: the reader goes away early, and the grader neither
/// panics nor fails.
#[test]
fn a_closed_pipe_is_not_a_crash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the grader writes
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"), "{}", text(&output.stderr));
}

#[test]
fn self_check_passes_on_the_kit_and_names_what_is_wrong_elsewhere() {
    let output = grader(&["self-check"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("agrees with its kit.toml"));
    let empty = tempfile::tempdir().unwrap();
    let output = grader(&["self-check", "--path", &empty.path().display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("kit.toml"), "{}", text(&output.stderr));
}

/// A report is never written through a symbolic link (it could point at a
/// file of the instructor's), and the file it points at is left as it was.
#[cfg(unix)]
#[test]
fn output_refuses_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let link = dir.path().join("report.json");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let output = grader(&["--no-browser", "--output", &link.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("is a symbolic link"), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
}

/// `--as-is` builds with each clone's own build scripts: never in the kit's
/// own target folder, however it is named; refused before any clone is read.
#[test]
fn a_batch_as_is_never_builds_in_the_kits_own_target_folder() {
    let out = tempfile::tempdir().unwrap();
    let grades = out.path().join("grades").display().to_string();
    let kit = common::kit().display().to_string();
    let kits_target = common::kit().join("target");
    let through_a_dot = common::kit().join("lab").join("..").join("target");
    for target in [kits_target, through_a_dot] {
        let target = target.display().to_string();
        let output =
            grader(&["batch", "--as-is", "--no-browser", "--target-dir", &target, "--out", &grades, &kit]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("apart from the kit's"), "{}", text(&output.stderr));
        assert!(!out.path().join("grades").exists(), "the refused batch wrote its folder");
    }
}

#[test]
fn bad_arguments_are_the_graders_trouble() {
    let cases: [(&[&str], &str); 4] = [
        (&["--only", "nope"], "there is no check `nope`"),
        (&["--points", "nope=3"], "`nope`, which is not a check"),
        (&["--path", "/nonexistent/clone"], "has no Cargo.toml"),
        (&["--url", "localhost:8000"], "--url takes an http:// URL"),
    ];
    for (args, said) in cases {
        let output = grader(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(text(&output.stderr).contains(said), "{args:?}: {}", text(&output.stderr));
    }
    let output = grader(&["--points", "bad-input"]);
    assert_eq!(output.status.code(), Some(2), "clap refuses it");
    assert!(text(&output.stderr).contains("expected ID=N"));
}

#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_json_report_goes_to_a_file_and_the_terminal_gets_the_human_view() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let file_arg = file.display().to_string();
    let flags =
        ["--no-browser", "--only", "bad-input", "--points", "bad-input=0", "--format", "json", "--output"];
    let mut flags = flags.to_vec();
    flags.push(&file_arg);
    let output = grade_kit("solution", &flags);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("PASS  bad-input") && stdout.contains("report written to"), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["outcome"], "passed");
    let ids: Vec<&str> =
        report["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["builds", "boots", "serves-pages", "creates-session", "bad-input"]);
    let bad_input = &report["checks"][4];
    assert_eq!((bad_input["points"].as_u64(), bad_input["max_points"].as_u64()), (Some(0), Some(0)));
    for field in
        ["title", "status", "message", "hint", "expected", "exchanges", "artifacts", "log", "duration_ms"]
    {
        assert!(bad_input.get(field).is_some(), "no `{field}` in {bad_input}");
    }
    assert_eq!(report["score"].as_u64(), Some(15));
}

#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_failing_lab_exits_with_1() {
    if !common::lab_is_untouched() {
        return; // a student's finished lab passes instead (see submissions.rs)
    }
    // `check` as a subcommand, as `grader` alone does it.
    let kit = common::kit().display().to_string();
    let target = target_dir();
    let args =
        ["check", "--path", &kit, "--target-dir", &target, "--no-browser", "--only", "creates-session"];
    let output = grader(&args);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  creates-session"), "{stdout}");
    assert!(stdout.contains("hint      not implemented yet"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("Score: 0/15")), "{stdout}");
    assert!(stdout.trim_end().lines().last().unwrap().starts_with("grader "), "the footer: {stdout}");
}

#[tokio::test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
async fn a_running_server_is_graded_at_its_url() {
    let scratch = tempfile::tempdir().unwrap();
    let request = grader::compile::BuildRequest {
        workspace: common::kit(),
        package: "solution".into(),
        target_dir: Some(common::shared_target()),
        timeout: Duration::from_secs(1800),
        containment: grader::sandbox::Containment::off("a test"),
        home: scratch.path().join("home"),
        progress: None,
        own_copy: false,
    };
    let executable =
        grader::compile::build(&request, scratch.path(), &mut Vec::new()).await.unwrap().executable;
    let spec = grader::server::ServerSpec {
        executable,
        database: scratch.path().join("db.sqlite3"),
        working_dir: common::kit(),
        boot_timeout: Duration::from_secs(30),
        stop_grace: Duration::from_secs(2),
        containment: grader::sandbox::Containment::off("a test"),
    };
    let mut server = grader::server::Server::start(&spec).await.unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["--url", &server.base_url, "--no-browser", "--format", "json"])
        .output()
        .unwrap();
    server.stop().await;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let status = |id: &str| {
        let check = report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
        (check["status"].as_str().unwrap().to_owned(), check["message"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("builds").0, "skip");
    let (restart, why) = status("survives-restart");
    assert_eq!(restart, "skip");
    assert!(why.contains("does not own the server"), "{why}");
    assert_eq!(status("two-users").0, "pass");
    assert_eq!(report["max_score"], 70, "the skipped checks are not graded");
}

/// Ctrl-C, SIGTERM or SIGHUP while a check waits on a hanging handler: the
/// grader stops the server it started before it exits, and the daemon the
/// handler started in a session of its own: in the sandbox its PID namespace
/// ends it, without one the grader's sweep of the orphans it adopted.
/// (Linux: it reads /proc.)
#[cfg(target_os = "linux")]
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn being_stopped_leaves_no_server_behind() {
    for (signal, said, sandbox) in [
        (libc::SIGINT, "interrupted", "off"),
        (libc::SIGTERM, "terminated (SIGTERM)", "auto"),
        (libc::SIGHUP, "hung up (SIGHUP)", "off"),
    ] {
        stop_the_grader_mid_grade(signal, said, sandbox);
    }
}

/// The command line of the daemon the hanging handler starts: a number no other process sleeps.
const DAEMON: &str = "sleep 2718";

#[cfg(target_os = "linux")]
fn stop_the_grader_mid_grade(signal: libc::c_int, said: &str, sandbox: &str) {
    let edits = vec![Edit {
        file: "lab/src/controllers.rs",
        from: "let token = sessions.create(&username).await?;",
        to: "let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"2718\"]).spawn();\n    \
             std::future::pending::<()>().await;\n    let token = sessions.create(&username).await?;",
    }];
    let root = lay_out(&Submission { name: "interrupted", solved: true, edits });
    let root = root.display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["--path", &root, "--target-dir", &target_dir(), "--no-browser", "--request-timeout", "120"])
        .args(["--sandbox", sandbox])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let grader_pid = child.id();
    // Wait (bounded) for the grader's server to be up: a descendant of the
    // grader (its child, or in the sandbox its sandbox's).
    let started = Instant::now();
    let server = loop {
        if let Some(pid) =
            descendants_of(grader_pid).into_iter().find(|pid| exe_of(*pid).contains("lab-grader-"))
        {
            break pid;
        }
        assert!(started.elapsed() < Duration::from_secs(900), "the server never started");
        std::thread::sleep(Duration::from_millis(200));
    };
    // The hanging request is out when its handler's daemon runs.
    while daemons().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(900), "the handler never started its daemon");
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on the grader this test started.
    unsafe { libc::kill(grader_pid as i32, signal) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(said), "{stderr}");
    let started = Instant::now();
    while is_running(server) {
        assert!(started.elapsed() < Duration::from_secs(10), "the server {server} is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Ended by the grader (SIGKILL takes a moment to land): nothing is left for init to adopt.
    let started = Instant::now();
    while !daemons().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = daemons();
    for pid in &left {
        // SAFETY: kill(2) on the daemon of the submission this test laid out.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    assert!(
        left.is_empty(),
        "{signal}, sandbox {sandbox}: the submission's daemon outlived the grader:\n{stderr}"
    );
    if sandbox == "off" {
        // Without the sandbox's PID namespace, it was the grader's sweep: its last line says so.
        assert!(stderr.contains(&format!("({DAEMON})")), "{stderr}");
    }
}

/// The running processes whose command line is [`DAEMON`].
#[cfg(target_os = "linux")]
fn daemons() -> Vec<u32> {
    common::processes_with_command_line(DAEMON)
}

#[cfg(target_os = "linux")]
/// Alive and not a zombie (a zombie has ended; only its exit status is left).
fn is_running(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some(s) if s != "Z" && s != "X")
}

#[cfg(target_os = "linux")]
fn descendants_of(ancestor: u32) -> Vec<u32> {
    let mut found = children_of(ancestor);
    let mut next = 0;
    while let Some(&pid) = found.get(next) {
        found.extend(children_of(pid));
        next += 1;
    }
    found
}

#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // "pid (name) state ppid ...": the name may hold spaces, so split after ')'.
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                == Some(parent)
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn exe_of(pid: u32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe")).map(|p| p.display().to_string()).unwrap_or_default()
}

/// `--screenshots` saves what the browser showed at every browser check,
/// passed ones too. And the browser's processes end before the grader does:
/// run in a process group of its own, as a timing tool runs it, the grader
/// leaves nothing in that group once it has exited.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn screenshots_of_passed_browser_checks_on_request() {
    use std::os::unix::process::CommandExt;
    if !common::browser_on() {
        return; // the browser stage is off in these tests (see common::browser_choice)
    }
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().display().to_string();
    let (kit, target) = (common::kit().display().to_string(), target_dir());
    let flags = ["--only", "browser-login", "--screenshots", "--artifacts", &artifacts];
    let mut grader = Command::new(env!("CARGO_BIN_EXE_grader"));
    grader
        .args(["--path", &kit, "--package", "solution", "--target-dir", &target])
        .args(flags)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .process_group(0);
    let (grader, _claim) = common::spawn_claimed(&mut grader).unwrap();
    // The grader leads its group: the group's id is its pid.
    let group = grader.id();
    let output = grader.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            after_name.split_whitespace().nth(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
        })
        .collect();
    assert!(left.is_empty(), "still in the grader's process group after it exited: {left:?}");
    for file in ["browser-login-form.png", "browser-login.png", "browser-login.console.txt"] {
        assert!(dir.path().join(file).is_file(), "no {file}");
    }
    let console = std::fs::read_to_string(dir.path().join("browser-login.console.txt")).unwrap();
    assert!(console.contains("session.js: token received"), "{console}");
}

/// `--deadline` bounds the whole grade: the check it cuts short cannot be
/// graded, the rest do not run, and the report still says how it ran.
#[test]
fn the_deadline_bounds_the_whole_grade() {
    let output = grade_kit("lab", &["--no-browser", "--deadline", "0", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(output.status.code(), Some(2), "{report:#}");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks[0]["status"], "error", "{report:#}");
    let cut_short = checks[0]["message"].as_str().unwrap();
    assert!(
        cut_short.contains("the grade's deadline (--deadline 0) passed during this check"),
        "{cut_short}"
    );
    assert!(checks[1..].iter().all(|c| c["status"] == "skip"), "{report:#}");
    assert!(checks[1]["message"].as_str().unwrap().contains("deadline had passed"), "{report:#}");

    // What graded what: the grader, its kit, this run, and the student's files as graded.
    let run = &report["run"];
    assert_eq!(run["grader_version"], env!("CARGO_PKG_VERSION"));
    assert!(run["id"].as_str().is_some_and(|id| id.len() == 32), "{run:#}");
    assert!(run["kit_commit"].as_str().is_some_and(|c| !c.is_empty()), "{run:#}");
    use sha2::{Digest, Sha256};
    for (file, student) in
        run["student_files"].as_array().unwrap().iter().zip(grader::kit::kit().student.all())
    {
        assert_eq!(file["path"], student.file.as_str());
        let bytes = std::fs::read(common::kit().join(&student.file)).unwrap();
        let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(file["sha256"], digest.as_str());
    }
}

/// `--sandbox on` where bubblewrap cannot run is the grader's trouble (exit 2), said plainly.
#[test]
fn a_sandbox_that_cannot_be_had_is_refused() {
    let kit = common::kit().display().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["--path", &kit, "--sandbox", "on", "--no-browser"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("the grader runs");
    assert_eq!(output.status.code(), Some(2));
    let said = text(&output.stderr);
    assert!(said.contains("--sandbox on, but bubblewrap (`bwrap`) is not installed"), "{said}");
}

/// A changed given file is a warning by default, and fails the grade with
/// `--given-files fail`; the student's own files are never named.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_changed_given_file_is_named_and_can_fail_the_grade() {
    let edits = vec![
        Edit { file: "lab/src/models.rs", from: "\n", to: "\n// a student was here\n" },
        Edit { file: "lab/src/controllers.rs", from: "\n", to: "\n// my own file\n" },
    ];
    let root = lay_out(&Submission { name: "given-files", solved: true, edits }).display().to_string();
    let target = target_dir();
    let args = ["--path", &root, "--target-dir", &target, "--no-browser", "--format", "json"];
    let gate = ["--given-files", "fail", "--only", "given-files-untouched"];
    let output = grader(&[&args[..], &gate].concat());
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["checks"][0]["id"], "given-files-untouched");
    assert_eq!(report["checks"][0]["status"], "fail");
    let message = report["checks"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1 given file differs from the kit's: lab/src/models.rs (changed: +1 −0 lines)"),
        "{message}"
    );
    let changed = &report["changed_given_files"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{changed:#}");
    assert_eq!(changed[0]["path"], "lab/src/models.rs");

    // By default: a warning in the human report, and no such check.
    let output = grader(&["--path", &root, "--target-dir", &target, "--no-browser", "--deadline", "0"]);
    let shown = text(&output.stdout);
    assert!(shown.contains("warning: 1 given file differs from the kit's"), "{shown}");
    assert!(shown.contains("  lab/src/models.rs (changed: +1 −0 lines)"), "{shown}");
    assert!(!shown.contains("given-files-untouched"), "{shown}");
}

/// `--format github` in a GitHub Actions step: annotations and the points line
/// on stdout, the job summary in the step's file; `--format classroom50` in
/// Classroom 50's runner: its three files. `--format junit` and `gradescope`
/// carry the same checks.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn the_platform_formats_carry_the_grade() {
    let edits = vec![Edit { file: "lab/src/models.rs", from: "\n", to: "\n// a student was here\n" }];
    let root =
        lay_out(&Submission { name: "given-files-formats", solved: true, edits }).display().to_string();
    let target = target_dir();
    let step = tempfile::tempdir().unwrap();
    let (summary, outputs) = (step.path().join("summary.md"), step.path().join("outputs"));
    let args = [
        "--path",
        &root,
        "--target-dir",
        &target,
        "--given-files",
        "fail",
        "--only",
        "given-files-untouched",
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .args(["--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "::error title=The given files are as the kit gave them (0/0 points)::1 given file differs"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("::warning file=lab/src/models.rs,title=A given file changed::"), "{stdout}");
    assert_eq!(stdout.trim_end().lines().last(), Some("Points 0/0"), "{stdout}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("| ❌ | `given-files-untouched` The given files are as the kit gave them |"),
        "{summary}"
    );
    assert!(summary.contains("- lab/src/models.rs (changed: +1 −0 lines)"), "{summary}");
    assert!(summary.contains("feedback, not your grade"), "{summary}");
    // No output for GitHub Classroom's retired reporter: nothing for a forged step to stand in for.
    assert!(!outputs.exists(), "{}", std::fs::read_to_string(&outputs).unwrap_or_default());

    // Classroom 50: result.json as --output, release-body.md beside it, status and summary as outputs.
    let result_file = step.path().join("result.json");
    let classroom50 = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .args(["--format", "classroom50", "--output", result_file.to_str().unwrap()])
        .envs(common::classroom50_runner().1)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    assert_eq!(classroom50.status.code(), Some(1), "{}", text(&classroom50.stderr));
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result_file).unwrap()).unwrap();
    let who = common::classroom50_runner().0;
    assert_eq!(grader::render::classroom50::problems(&result, &who), Vec::<String>::new(), "{result:#}");
    assert_eq!(
        result["tests"][0]["test-name"],
        "given-files-untouched: The given files are as the kit gave them"
    );
    assert_eq!(result["changed_given_files"][0]["path"], "lab/src/models.rs");
    let body = std::fs::read_to_string(step.path().join("release-body.md")).unwrap();
    assert!(body.contains("lab/src/models.rs (changed: +1 −0 lines)"), "{body}");
    let outputs = std::fs::read_to_string(&outputs).unwrap();
    assert_eq!(outputs, "status=failure\nsummary=Feedback: 0/0 points, 1 check failed\n");

    let junit = text(&grader(&[&args[..], &["--format", "junit"]].concat()).stdout);
    let doc = roxmltree::Document::parse(&junit).expect("well-formed XML");
    let case = doc.descendants().find(|n| n.has_tag_name("testcase")).unwrap();
    assert_eq!(case.attribute("classname"), Some("http"));
    assert!(case.children().any(|n| n.has_tag_name("failure")), "{junit}");
    let gradescope = text(&grader(&[&args[..], &["--format", "gradescope"]].concat()).stdout);
    let results: serde_json::Value = serde_json::from_str(&gradescope).unwrap();
    assert_eq!(results["tests"][0]["status"], "failed", "{results:#}");
    assert_eq!(results["extra_data"]["changed_given_files"][0]["path"], "lab/src/models.rs");
}

/// A changed build file (cargo's configuration, a linked build script) is
/// named apart from the given files, in every format, and fails the gate.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_changed_build_file_is_named_apart_in_every_format() {
    let root = lay_out(&Submission { name: "build-files", solved: true, edits: Vec::new() });
    std::fs::create_dir_all(root.join(".cargo")).unwrap();
    std::fs::write(root.join(".cargo/config.toml"), "[build]\nrustflags = [\"--cfg\", \"planted\"]\n")
        .unwrap();
    let script = root.join("lab/build.rs");
    let _ = std::fs::remove_file(&script);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/hostname", &script).unwrap();
    #[cfg(not(unix))]
    std::fs::write(&script, "fn main() {}\n").unwrap();
    let root = root.display().to_string();
    let target = target_dir();
    let args = [
        "--path",
        &root,
        "--target-dir",
        &target,
        "--given-files",
        "fail",
        "--only",
        "given-files-untouched",
    ];
    let in_format = |format: &str| {
        let output = grader(&[&args[..], &["--format", format]].concat());
        assert_eq!(output.status.code(), Some(1), "{format}: {}", text(&output.stderr));
        text(&output.stdout)
    };
    let config = ".cargo/config.toml (added: 2 lines)";

    let report: serde_json::Value = serde_json::from_str(&in_format("json")).unwrap();
    let named: Vec<String> = report["changed_build_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} ({}: {})",
                c["path"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
                c["summary"].as_str().unwrap()
            )
        })
        .collect();
    #[cfg(unix)]
    assert_eq!(named, [config, "lab/build.rs (link: a symbolic link (not followed))"], "{report:#}");
    let message = report["checks"][0]["message"].as_str().unwrap();
    assert!(message.contains("they change how the clone is built or graded"), "{message}");

    let human = in_format("human");
    assert!(human.contains("how the clone is built or graded differ from the kit's"), "{human}");
    assert!(human.contains(&format!("  {config}")), "{human}");
    let github = in_format("github");
    assert!(
        github.contains(
            "::warning file=.cargo/config.toml,title=A file that decides the build or the grade changed::"
        ),
        "{github}"
    );
    let junit = in_format("junit");
    let doc = roxmltree::Document::parse(&junit).expect("well-formed XML");
    let property = doc
        .descendants()
        .find(|n| n.has_tag_name("property") && n.attribute("name") == Some("changed_build_file"))
        .expect("a changed_build_file property");
    assert_eq!(property.attribute("value"), Some(config));
    let gradescope: serde_json::Value = serde_json::from_str(&in_format("gradescope")).unwrap();
    assert_eq!(gradescope["extra_data"]["changed_build_files"][0]["path"], ".cargo/config.toml");
    let html = in_format("html");
    assert!(
        html.contains("Files that decide how the clone is built or graded") && html.contains(config),
        "{html}"
    );
}

/// On a terminal (here `script`'s pseudo-terminal) the grade shows its
/// progress on stderr: a verdict line per check as soon as it is known.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_terminal_sees_each_verdict_as_it_comes() {
    let grader = env!("CARGO_BIN_EXE_grader");
    let kit = common::kit().display().to_string();
    let command =
        format!("{grader} --path '{kit}' --target-dir '{}' --no-browser --only boots", target_dir());
    let output = Command::new("script").args(["-qec", &command, "/dev/null"]).env("NO_COLOR", "1").output();
    let Ok(output) = output else {
        return eprintln!("warning: no `script` (util-linux) here: the terminal display is not tested");
    };
    let seen = text(&output.stdout);
    for check in ["builds  The crate builds (", "boots  The server starts and answers ("] {
        assert!(seen.contains(&format!("PASS  {check}")), "{check} has no verdict line:\n{seen}");
    }
    // Without a terminal, none of it.
    let quiet = grade_kit("lab", &["--no-browser", "--only", "boots"]);
    assert!(!text(&quiet.stderr).contains("PASS "), "{}", text(&quiet.stderr));
}
