//! A class's tools, end to end through the grader's binary: `grader batch`
//! on three clones with known grades (a gradebook, a report each, a
//! summary, the class's page, `--resume`), and `grader watch` grading again
//! after a save.
//! The clones are students' repositories as the template export makes them.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{run_grader, text};
use grader::kit::kit;

/// A student's repository made from the template, with `files` (kit path,
/// source file) laid over it.
fn clone(dir: &Path, name: &str, files: &[(&str, PathBuf)]) -> PathBuf {
    let clone = dir.join(name);
    let export =
        run_grader(&["export", "student", clone.to_str().unwrap(), "--kit-repo", "a/b", "--kit-ref", "v1"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    for (path, from) in files {
        std::fs::copy(from, clone.join(path)).unwrap();
    }
    clone
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=student", "-c", "user.email=student@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", text(&output.stderr));
}

fn solution(student: &grader::kit::StudentFile) -> (&str, PathBuf) {
    (student.file.as_str(), common::kit().join(&student.answer))
}

#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_batch_grades_three_clones_into_a_gradebook_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let [route, script] = kit().student.all();
    let fixture = common::fixtures_dir().join("wrong-body-key").join(&script.file);
    let solved = clone(dir.path(), "solved", &[solution(route), solution(script)]);
    clone(dir.path(), "untouched", &[]);
    clone(dir.path(), "wrong-key", &[solution(route), (script.file.as_str(), fixture)]);
    git(&solved, &["init", "-q"]);
    git(&solved, &["add", "-A"]);
    git(&solved, &["commit", "-qm", "done"]);
    let out = dir.path().join("grades");
    let target = common::shared_target();
    let args = [
        "batch",
        "--from",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
        "--no-browser",
        "--jobs",
        "2",
    ];
    let first = run_grader(&args);
    assert_eq!(first.status.code(), Some(0), "{}\n{}", text(&first.stdout), text(&first.stderr));

    let gradebook = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    let lines: Vec<&str> = gradebook.lines().collect();
    assert_eq!(lines.len(), 4, "{gradebook}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let column =
        |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let row = |name: &str| -> Vec<&str> {
        lines.iter().find(|l| l.starts_with(&format!("{name},"))).unwrap().split(',').collect()
    };
    // Known grades: the solution gets every point, the untouched lab only what the given code earns,
    // and a wrong key in the body loses the session checks but not the route's script check.
    let (solved_row, untouched_row, wrong_row) = (row("solved"), row("untouched"), row("wrong-key"));
    assert_eq!(solved_row[column("score")], solved_row[column("max_score")], "{gradebook}");
    assert_eq!(solved_row[column("outcome")], "passed");
    assert_eq!(solved_row[column("mode")], "overlay");
    assert_eq!(solved_row[column("commit")].len(), 12, "the commit of a git clone: {gradebook}");
    assert_eq!(untouched_row[column("outcome")], "failed");
    assert_eq!(untouched_row[column("script-filled")], "0");
    assert_eq!(untouched_row[column("creates-session")], "0");
    assert_eq!(wrong_row[column("outcome")], "failed");
    assert_eq!(wrong_row[column("builds")], "0");
    assert_eq!(wrong_row[column("creates-session")], "0");
    assert_eq!(wrong_row[column("changed_given_files")], "", "a template clone changes no given file");
    assert_eq!(solved_row[column("browser-login")], "", "not graded without a browser");
    for name in ["solved", "untouched", "wrong-key"] {
        let report: grader::Report =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap())
                .unwrap();
        let score: u32 = row(name)[column("score")].parse().unwrap();
        assert_eq!(report.score, score);
        assert!(out.join(format!("{name}.txt")).is_file());
    }
    assert_the_class_page_works(&out, &["solved", "untouched", "wrong-key"]);
    let summary = text(&first.stdout);
    assert!(summary.starts_with("Graded 3 of 3 clones in "), "{summary}");
    assert!(summary.contains("Most failed checks:\n  creates-session        2 clones"), "{summary}");
    assert!(summary.starts_with(&std::fs::read_to_string(out.join("summary.txt")).unwrap()), "{summary}");

    // Again with --resume: the committed clone's report is kept, the others are graded again.
    let mut resumed_args = args.to_vec();
    resumed_args.push("--resume");
    let second = run_grader(&resumed_args);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let said = text(&second.stderr);
    assert!(said.contains("solved: ") && said.contains("(from the earlier report)"), "{said}");
    let untouched = said.lines().find(|l| l.contains("] untouched: ")).unwrap();
    assert!(!untouched.contains("earlier"), "a clone outside git is graded again: {untouched}");
    assert!(text(&second.stdout).contains("(1 from earlier reports)"), "{}", text(&second.stdout));
}

/// The batch's `index.html`: every link it has is a file in `out`, one page
/// per student; in headless Chromium it shows without a console error or a
/// request beyond itself, its headings sort the table without a script, and
/// its screenshot is saved with the tests' artifacts
/// (`target/grader-fixtures/artifacts/class/index.png`), and also where
/// `GRADER_DOCS_SCREENSHOT` says (relative to the kit), for the README.
fn assert_the_class_page_works(out: &Path, students: &[&str]) {
    let page = out.join("index.html");
    let html = std::fs::read_to_string(&page).expect("the batch writes index.html");
    let mut links: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| !link.starts_with('#'))
        .collect();
    links.sort();
    links.dedup();
    let expected: Vec<String> = students.iter().map(|name| format!("./{name}.html")).collect();
    assert_eq!(links, expected, "a link per student, to their page");
    for link in &links {
        let file = out.join(link.trim_start_matches("./"));
        assert!(file.is_file(), "{link} is not a file of {}", out.display());
    }
    if !matches!(common::browser_choice(), grader::settings::BrowserChoice::Find(_)) {
        return eprintln!("note: no browser, so the class's page is not opened");
    }
    let browser = grader::browser::find(None).unwrap();
    let artifacts = common::shared_target().join("grader-fixtures").join("artifacts").join("class");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("index.png");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let seen = runtime.block_on(open_in_chromium(&browser, &page, &screenshot));
    assert_eq!(seen.errors, Vec::<String>::new(), "console errors");
    let own = format!("file://{}", page.display());
    let elsewhere: Vec<&String> = seen.requests.iter().filter(|url| **url != own).collect();
    assert!(elsewhere.is_empty(), "requests beyond the page: {elsewhere:?}");
    assert_eq!(seen.shown_first, ["by-name"], "the name order shows first");
    assert_eq!(seen.shown_after_click, ["by-score"], "a heading's link shows its order, without a script");
    assert_eq!(seen.rows, students.len() as u64, "{seen:?}");
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000, "a screenshot of the page");
    if let Some(docs) = std::env::var_os("GRADER_DOCS_SCREENSHOT") {
        std::fs::copy(&screenshot, common::kit().join(docs)).unwrap();
    }
}

/// What a page did in the browser.
#[derive(Debug, Default)]
struct Seen {
    /// Console errors, uncaught exceptions, and the browser's own error
    /// messages (a blocked request, a refused style).
    errors: Vec<String>,
    /// Every URL the page requested, itself included.
    requests: Vec<String>,
    /// The ids of the students' tables shown, at first and after a click on "Score".
    shown_first: Vec<String>,
    shown_after_click: Vec<String>,
    /// The rows of the table shown at first.
    rows: u64,
}

/// Opens `page` in a headless Chromium with a fresh profile, the flags that
/// keep it off the network but for the page, and saves its screenshot.
async fn open_in_chromium(executable: &Path, page: &Path, screenshot: &Path) -> Seen {
    use chromiumoxide::cdp::browser_protocol::log::{self, EventEntryAdded, LogEntryLevel};
    use chromiumoxide::cdp::browser_protocol::network::{self, EventRequestWillBeSent};
    use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
    use chromiumoxide::cdp::js_protocol::runtime::{
        ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
    };
    use chromiumoxide::page::ScreenshotParams;
    use futures::{FutureExt, StreamExt};

    let profile = tempfile::tempdir().unwrap();
    let config = chromiumoxide::BrowserConfig::builder()
        .chrome_executable(executable)
        .disable_default_args()
        .with_head() // `headless` below says it
        .args([
            "headless",
            "no-sandbox",
            "disable-gpu",
            "no-first-run",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
        ])
        .user_data_dir(profile.path())
        .window_size(1100, 900)
        .viewport(None)
        .launch_timeout(Duration::from_secs(60))
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (mut browser, mut handler) = chromiumoxide::Browser::launch(config).await.unwrap();
    let handling = tokio::spawn(async move {
        while let Some(event) = handler.next().await {
            if let Err(chromiumoxide::error::CdpError::Ws(_)) = event {
                break;
            }
        }
    });
    let pid = browser.get_mut_child().and_then(|child| child.as_mut_inner().id());
    let tab = browser.new_page("about:blank").await.unwrap();
    tab.execute(log::EnableParams::default()).await.unwrap();
    tab.execute(network::EnableParams::default()).await.unwrap();
    let mut entries = tab.event_listener::<EventEntryAdded>().await.unwrap();
    let mut calls = tab.event_listener::<EventConsoleApiCalled>().await.unwrap();
    let mut thrown = tab.event_listener::<EventExceptionThrown>().await.unwrap();
    let mut requests = tab.event_listener::<EventRequestWillBeSent>().await.unwrap();
    tab.goto(format!("file://{}", page.display())).await.unwrap();
    let shown = "[...document.querySelectorAll('.order')].filter(e => getComputedStyle(e).display !== 'none').map(e => e.id)";
    let ids = |value: serde_json::Value| -> Vec<String> { serde_json::from_value(value).unwrap_or_default() };
    let mut seen = Seen {
        shown_first: ids(tab.evaluate(shown).await.unwrap().into_value().unwrap()),
        ..Seen::default()
    };
    let rows = "document.querySelectorAll('#by-name tr.passed, #by-name tr.failed, #by-name tr.incomplete, #by-name tr.not-graded').length";
    seen.rows = tab.evaluate(rows).await.unwrap().into_value().unwrap();
    tab.save_screenshot(
        ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build(),
        screenshot,
    )
    .await
    .unwrap();
    tab.evaluate("document.querySelector('#by-name a[href=\"#by-score\"]').click()").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    seen.shown_after_click = ids(tab.evaluate(shown).await.unwrap().into_value().unwrap());
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Some(Some(entry)) = entries.next().now_or_never() {
        if matches!(entry.entry.level, LogEntryLevel::Error | LogEntryLevel::Warning) {
            seen.errors.push(format!("{:?}: {}", entry.entry.source, entry.entry.text));
        }
    }
    while let Some(Some(call)) = calls.next().now_or_never() {
        if matches!(call.r#type, ConsoleApiCalledType::Error | ConsoleApiCalledType::Warning) {
            seen.errors.push(format!("console: {:?}", call.args));
        }
    }
    while let Some(Some(exception)) = thrown.next().now_or_never() {
        seen.errors.push(format!("uncaught: {}", exception.exception_details.text));
    }
    while let Some(Some(request)) = requests.next().now_or_never() {
        seen.requests.push(request.request.url.clone());
    }
    drop(tab);
    let family = pid.map(grader::process::family_of).unwrap_or_default();
    let _ = tokio::time::timeout(Duration::from_secs(5), browser.close()).await;
    if tokio::time::timeout(Duration::from_secs(5), browser.wait()).await.is_err() {
        let _ = browser.kill().await;
    }
    handling.abort();
    grader::process::end_family(&family, Duration::from_secs(3));
    seen
}

/// Commits everything in `repo` as of `date` (author and committer dates alike).
fn commit_at(repo: &Path, message: &str, date: &str) {
    git(repo, &["add", "-A"]);
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=student", "-c", "user.email=student@example.com", "commit", "-qm", message])
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_AUTHOR_DATE", date)
        .output()
        .unwrap();
    assert!(output.status.success(), "git commit: {}", text(&output.stderr));
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The instructor's regrade at the deadline: repositories cloned by URL and
/// graded at their last commit before it, whatever was pushed later or
/// forged in the workflow; one that cannot be cloned is a row of its own.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_batch_regrades_repositories_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("class");
    let [route, script] = kit().student.all();
    let before = "2026-12-01T00:00:00Z";
    let on_time = "2026-11-30T12:00:00+00:00";
    let late = "2026-12-01T08:00:00+00:00";

    // Solved on time, then a broken push after the deadline.
    let solved = clone(&class, "solved", &[solution(route), solution(script)]);
    git(&solved, &["init", "-q", "-b", "main"]);
    commit_at(&solved, "solved", on_time);
    std::fs::write(solved.join(&route.file), "this does not compile").unwrap();
    commit_at(&solved, "broken after the deadline", late);

    let untouched = clone(&class, "untouched", &[]);
    git(&untouched, &["init", "-q", "-b", "main"]);
    commit_at(&untouched, "start", on_time);

    // The untouched lab, with a workflow that claims every point.
    let forged = clone(&class, "forged", &[]);
    let workflow = forged.join(".github/workflows/grade.yml");
    let original = std::fs::read_to_string(&workflow).unwrap();
    let claim = "      - name: Grade (feedback)\n        run: |\n          echo 'Points 100/100'\n          \
                 echo '## Feedback on the lab: 100/100 points' >> \"$GITHUB_STEP_SUMMARY\"\n";
    let (head, _) = original.split_once("      - name: Grade (feedback)\n").unwrap();
    std::fs::write(&workflow, format!("{head}{claim}")).unwrap();
    git(&forged, &["init", "-q", "-b", "main"]);
    commit_at(&forged, "full marks", on_time);

    let out = dir.path().join("grades");
    let target = common::shared_target();
    let missing = class.join("no-such-repository");
    let urls = [file_url(&solved), file_url(&untouched), file_url(&missing), file_url(&forged)];
    let mut args = vec!["batch", "--before", before, "--out", out.to_str().unwrap()];
    args.extend(["--target-dir", target.to_str().unwrap(), "--no-browser", "--jobs", "2"]);
    args.extend(urls.iter().map(String::as_str));
    let batch = run_grader(&args);
    let said = format!("{}\n{}", text(&batch.stdout), text(&batch.stderr));
    assert_eq!(batch.status.code(), Some(2), "a repository could not be cloned: {said}");

    let gradebook = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    let lines: Vec<&str> = gradebook.lines().collect();
    assert_eq!(lines.len(), 5, "{gradebook}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let column =
        |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let row = |name: &str| -> Vec<String> {
        let line = lines.iter().find(|l| l.starts_with(&format!("{name},"))).unwrap();
        // The later push's summary holds no comma, the error no quote: a plain split will do but for quotes.
        line.split(',').map(|f| f.trim_matches('"').to_owned()).collect()
    };
    let (solved_row, untouched_row, forged_row) = (row("solved"), row("untouched"), row("forged"));
    // Graded at the deadline's commit: the solution, not the broken push.
    assert_eq!(solved_row[column("score")], solved_row[column("max_score")], "{gradebook}");
    assert_eq!(solved_row[column("commit_date")], "2026-11-30T12:00:00Z");
    assert_eq!(
        solved_row[column("later_push")],
        "1 later commit (the newest committed 2026-12-01T08:00:00Z)"
    );
    assert_eq!(solved_row[column("repository")], file_url(&solved));
    assert_eq!(solved_row[column("commit")].len(), 12, "{gradebook}");
    assert_eq!(untouched_row[column("later_push")], "");
    assert_eq!(untouched_row[column("outcome")], "failed");
    // The forged workflow changes nothing: the untouched lab's grade, and the workflow named.
    assert_eq!(forged_row[column("score")], untouched_row[column("score")], "{gradebook}");
    assert!(
        forged_row[column("changed_build_files")].starts_with(".github/workflows/grade.yml (changed: "),
        "{gradebook}"
    );
    assert_eq!(untouched_row[column("changed_build_files")], "", "the template as exported: {gradebook}");
    let missing_row = lines.iter().find(|l| l.starts_with("no-such-repository,")).unwrap();
    assert!(missing_row.contains("cannot clone it: "), "{missing_row}");
    assert!(said.contains("no-such-repository: not graded: cannot clone it"), "{said}");
    assert!(
        said.contains(
            "Pushed after the deadline (graded at the deadline's commit):\n  solved: 1 later commit"
        ),
        "{said}"
    );

    // The clones are the batch's, at the deadline's commit; the reports say what was graded.
    assert!(out.join("repos/solved/.git").is_dir());
    let solved_report: grader::Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("solved.json")).unwrap()).unwrap();
    let note = solved_report.run.notes.iter().find(|n| n.starts_with("graded commit ")).unwrap();
    assert!(note.contains("the last at or before the deadline 2026-12-01T00:00:00Z"), "{note}");
    assert!(note.contains("a later push exists: 1 later commit"), "{note}");
    let forged_report = std::fs::read_to_string(out.join("forged.txt")).unwrap();
    assert!(
        forged_report.contains("that decides how the clone is built or graded differs from the kit's")
            && forged_report.contains("  .github/workflows/grade.yml (changed: ")
            && forged_report.contains("note: the clone's build files were not used"),
        "{forged_report}"
    );
}

#[test]
fn a_deadline_that_is_not_rfc_3339_is_refused_before_any_clone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grades");
    for bad in ["tomorrow", "2026-12-01", "2026-12-01T23:59:00", "2026-02-30T00:00:00Z"] {
        let refused =
            run_grader(&["batch", "--before", bad, "--out", out.to_str().unwrap(), "file:///nowhere"]);
        assert_eq!(refused.status.code(), Some(2));
        assert!(text(&refused.stderr).contains("RFC 3339"), "{}", text(&refused.stderr));
        assert!(!out.exists(), "nothing was cloned or written");
    }
}

#[test]
fn a_batch_of_nothing_or_of_a_missing_folder_is_refused() {
    let none = run_grader(&["batch"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no clones to grade"), "{}", text(&none.stderr));
    let missing = run_grader(&["batch", "--from", "/nonexistent/class"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("not a folder"), "{}", text(&missing.stderr));
}

/// Reads the watch's output lines into a channel, so the test can wait for each with a time limit.
fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    receive
}

/// The lines up to (and with) the first that starts with `until`, waiting at most 10 minutes.
fn read_until(lines: &mpsc::Receiver<String>, until: &str) -> Vec<String> {
    let mut read = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(600))
            .unwrap_or_else(|_| panic!("no line starting {until:?} came; read:\n{}", read.join("\n")));
        let done = line.starts_with(until);
        read.push(line);
        if done {
            return read;
        }
    }
}

/// Driven as a script drives it: pipes, a session of its own. Each grade
/// reaps what it started: no zombie is left beside it between grades.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn watch_grades_again_after_a_save_and_quits_on_q() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let workspace = clone(dir.path(), "student", &[]);
    let target = common::shared_target();
    let mut command = Command::new(env!("CARGO_BIN_EXE_grader"));
    command
        .args(["watch", "--path", workspace.to_str().unwrap(), "--target-dir", target.to_str().unwrap()])
        .args(["--no-browser", "--only", "script-filled"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid(2) only, as pre_exec requires.
    unsafe {
        command.pre_exec(|| if libc::setsid() < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) });
    }
    // In a session of its own it would outlive a failed assertion: killed when the test ends, whatever happens.
    let (child, claim) = common::spawn_claimed(&mut command).unwrap();
    let mut watch = Killed { child, _claim: claim };
    let child = &mut watch.child;
    let zombies_of = |pid: u32| -> Vec<String> {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
            .filter(|stat| {
                let fields: Vec<&str> =
                    stat.rsplit_once(')').map_or("", |(_, r)| r).split_whitespace().collect();
                fields.first() == Some(&"Z") && fields.get(1).and_then(|p| p.parse().ok()) == Some(pid)
            })
            .collect()
    };
    let lines = lines_of(child.stdout.take().unwrap());
    let first = read_until(&lines, "Watching ").join("\n");
    assert!(first.starts_with("=== grade 1 ===\nNext: script-filled"), "{first}");

    let script = &kit().student.script;
    std::fs::copy(common::kit().join(&script.answer), workspace.join(&script.file)).unwrap();
    let second = read_until(&lines, "Watching ").join("\n");
    assert!(second.starts_with("=== grade 2 ===\nAll checks pass: 5/5."), "{second}");
    assert!(second.contains("\nSince the last grade: 0 → 5 (of 5)\n"), "{second}");
    assert!(!first.contains("Since the last grade"), "{first}");
    assert!(second.contains("\nScore: 5/5 #################### · "), "NO_COLOR: the ASCII bar: {second}");
    let zombies = zombies_of(child.id());
    assert!(zombies.is_empty(), "left unreaped beside the watch: {zombies:?}");

    child.stdin.as_mut().unwrap().write_all(b"q\n").unwrap();
    let status = wait_at_most(child, Duration::from_secs(60));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains("PASS "), "no progress where stderr is not a terminal: {stderr}");
}

/// A child killed and reaped when dropped.
/// A child killed when dropped, and claimed from the sweeps until then.
struct Killed {
    child: std::process::Child,
    _claim: grader::process::Claim,
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    None
}

/// Ctrl-C in the middle of a batch: the grades in flight stop, and the
/// reports and the gradebook of the clones finished are written.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn an_interrupted_batch_keeps_what_it_finished() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["first", "second", "third"] {
        clone(dir.path(), name, &[]);
    }
    let out = dir.path().join("grades");
    let target = common::shared_target();
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["batch", "--from", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--target-dir", target.to_str().unwrap(), "--no-browser", "--jobs", "1", "--only", "boots"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (send, finished) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let first = finished.recv_timeout(Duration::from_secs(600)).expect("a first clone is graded");
    assert!(first.starts_with("[1/3] "), "{first}");
    // SAFETY: kill(2) on the child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_at_most(&mut child, Duration::from_secs(60)).expect("the batch stops");
    assert_eq!(status.code(), Some(2));
    let said: Vec<String> = finished.try_iter().collect();
    assert!(said.iter().any(|l| l.contains("interrupted: stopped")), "{said:?}");
    let gradebook = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    let rows = gradebook.lines().count() - 1;
    assert!((1..3).contains(&rows), "the finished clones, not all three:\n{gradebook}");
    let graded =
        ["first", "second", "third"].iter().filter(|n| out.join(format!("{n}.json")).is_file()).count();
    assert_eq!(graded, rows);
    // The copy of the lab this batch built in (another test's batch may be using others).
    let report = std::fs::read_to_string(out.join("first.json"))
        .or_else(|_| std::fs::read_to_string(out.join("second.json")))
        .unwrap();
    let copy = report
        .split("grader-batch/")
        .nth(1)
        .and_then(|rest| rest.split(['/', ',', '"', ' ']).next())
        .unwrap();
    let copy = target.join("grader-batch").join(copy);
    assert_eq!(
        common::processes_in(&copy),
        Vec::new(),
        "a grade in flight was left running in {}",
        copy.display()
    );
}

/// Two clones graded side by side without the sandbox, each leaving a
/// daemon (a process in a session of its own whose parent exits at once):
/// each report names its own daemon, never the other's, and neither is left
/// running. Each login waits until both daemons run, so the two grades
/// overlap for certain.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn a_batch_names_each_daemon_in_its_own_grade() {
    let dir = tempfile::tempdir().unwrap();
    let [route, _] = kit().student.all();
    let solved = std::fs::read_to_string(common::kit().join(&route.answer)).unwrap();
    let daemons = ["sleep 3141", "sleep 3142"];
    for (name, daemon) in ["ada", "grace"].into_iter().zip(daemons) {
        let text = solved
            .replacen(
                "    routes![create_session]",
                &format!(
                    "    let _ = std::process::Command::new(\"sh\")\n        \
                     .args([\"-c\", \"setsid {daemon} </dev/null >/dev/null 2>&1 &\"])\n        .status();\n    \
                     routes![create_session]"
                ),
                1,
            )
            .replacen(
                "    let username = Username::parse(&login.username)?;",
                &format!(
                    "    for _ in 0..600 {{\n        if {daemons:?}.iter().all(|d| running(d)) {{\n            break;\n        }}\n        \
                     rocket::tokio::time::sleep(std::time::Duration::from_millis(200)).await;\n    }}\n    \
                     let username = Username::parse(&login.username)?;"
                ),
                1,
            )
            + "\n/// Whether a process runs `command`.\nfn running(command: &str) -> bool {\n    \
               std::fs::read_dir(\"/proc\").into_iter().flatten().flatten().any(|e| {\n        \
               std::fs::read(e.path().join(\"cmdline\"))\n            \
               .is_ok_and(|c| String::from_utf8_lossy(&c).replace('\\0', \" \").trim() == command)\n    })\n}\n";
        assert!(text.contains(daemon) && text.contains("fn running"), "the edits apply");
        let file = dir.path().join(format!("{name}.rs"));
        std::fs::write(&file, text).unwrap();
        clone(&dir.path().join("class"), name, &[(route.file.as_str(), file)]);
    }
    let out = dir.path().join("grades");
    let target = common::shared_target();
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["batch", "--from", dir.path().join("class").to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--target-dir", target.to_str().unwrap()])
        .args(["--no-browser", "--jobs", "2", "--sandbox", "off", "--only", "creates-session"])
        .args(["--request-timeout", "150"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_at_most(&mut child, Duration::from_secs(1800));
    let left: Vec<&str> =
        daemons.into_iter().filter(|d| !common::processes_with_command_line(d).is_empty()).collect();
    for daemon in &left {
        for pid in common::processes_with_command_line(daemon) {
            // SAFETY: kill(2) on a daemon of a clone this test made.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.is_some_and(|s| s.code() == Some(0)), "the batch: {status:?}\n{stderr}");
    assert!(left.is_empty(), "left running after the batch: {left:?}");
    for (name, own, other) in [("ada", daemons[0], daemons[1]), ("grace", daemons[1], daemons[0])] {
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap())
                .unwrap();
        let notes = report["run"]["notes"].to_string();
        assert!(notes.contains(&format!("that the submission left running: `{own}`")), "{name}: {notes}");
        assert!(!notes.contains(other), "{name} is named for the other clone's daemon: {notes}");
    }
}
