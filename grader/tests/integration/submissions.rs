//! The grader against real submissions, each built and booted for real.
//!
//! Every folder of `grader/tests/submissions/` is a submission: the files a
//! student changed (laid over the lab, or over the solved lab) and an
//! `expected.toml` that says how it must grade, with and without a browser
//! (the exercism test runner's `expected_results.json` is the model):
//!
//! ```toml
//! about = "what this submission is"
//! start = "solution"                  # or "lab": what its files are laid over
//! quick = true                        # one of the fast tier's fixtures (one per family of diagnoses)
//! snapshot = true                     # also compare the reports with snapshots
//! [links]                             # symbolic links the submission holds: path = target
//! "lab/src/controllers.rs" = "/etc/passwd"
//! [limits]                            # seconds: boot, request, build, browser, deadline;
//!                                     # memory_mb (peak of the grader's process, with cli)
//! [run]
//! cli = true                          # through the grader's binary, with secrets in its environment
//!                                     # and no toolchain variables (as installed, run from a shell)
//! user = "unprivileged"               # a grader that is not root (as root, the test grades as
//!                                     # nobody, with a copy and a target folder of nobody's); cli only
//! sandbox = ["on", "off"]             # the sandbox modes to grade in [default: auto];
//!                                     # with the browser, the first only
//! [expect]                            # both modes
//! exit = 1
//! fail = ["creates-session"]          # exactly the checks that fail
//! error = []                          # exactly the checks that cannot be graded
//! said."creates-session" = ["words its message or hint must contain"]
//! unsaid."creates-session" = ["words they must not"]
//! [with_browser]                      # where the browser changes the outcome
//! [without_browser]
//! ```
//!
//! Without a browser, browser checks are left out of `fail`, `error` and `said`.
//! Whatever a fixture does, no process it started may be left running after
//! its grade (none whose working folder is in the graded copy).
//! The `quick` fixtures are graded by `cargo test --workspace`; every other
//! one only in the full tier, `cargo test --workspace -- --include-ignored`.
//! `GRADER_FIXTURES=name,name cargo test -p grader --test integration -- --include-ignored expected_toml_says`
//! grades only those.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{grade, ids, said, settings};
use futures::FutureExt;
use grader::checks::{self, Stage, CHECKS};
use grader::report::Outcome as ReportOutcome;
use grader::settings::{BrowserChoice, SandboxMode};
use grader::{Report, Settings, Status};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    about: String,
    start: String,
    #[serde(default)]
    quick: bool,
    #[serde(default)]
    snapshot: bool,
    #[serde(default)]
    links: BTreeMap<String, String>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    run: Run,
    #[serde(default)]
    expect: Outcome,
    #[serde(default)]
    with_browser: Outcome,
    #[serde(default)]
    without_browser: Outcome,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Limits {
    boot: Option<u64>,
    request: Option<u64>,
    build: Option<u64>,
    browser: Option<u64>,
    deadline: Option<u64>,
    /// The grader's peak memory (its own process: `cli` only), in MB.
    memory_mb: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Run {
    #[serde(default)]
    cli: bool,
    #[serde(default)]
    sandbox: Vec<String>,
    /// `unprivileged`: a grader that is not root (a test run as root grades as `nobody`).
    user: Option<String>,
}

/// A value the grader's environment holds in `cli` runs, which no report may show.
const SECRET_NAME: &str = "GRADER_TEST_SECRET_TOKEN";

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct Outcome {
    exit: Option<u8>,
    fail: Option<Vec<String>>,
    error: Option<Vec<String>>,
    #[serde(default)]
    said: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    unsaid: BTreeMap<String, Vec<String>>,
}

impl Outcome {
    /// `self` with what `mode` says instead, or adds.
    fn with(&self, mode: &Outcome) -> Outcome {
        let mut merged = self.clone();
        merged.exit = mode.exit.or(self.exit);
        merged.fail = mode.fail.clone().or_else(|| self.fail.clone());
        merged.error = mode.error.clone().or_else(|| self.error.clone());
        for (id, words) in &mode.said {
            merged.said.entry(id.clone()).or_default().extend(words.iter().cloned());
        }
        for (id, words) in &mode.unsaid {
            merged.unsaid.entry(id.clone()).or_default().extend(words.iter().cloned());
        }
        merged
    }
}

/// The files of a fixture folder that are given files (under the kit's given
/// paths, not the student's): what its grade must name as changed, in path order.
fn given_files_of(fixture: &Path) -> Vec<String> {
    let kit = grader::kit::kit();
    let student: Vec<String> = kit.student.all().iter().map(|f| f.file.clone()).collect();
    let given = |f: &str| kit.given.paths.iter().any(|p| f == p || f.starts_with(&format!("{p}/")));
    let mut found = common::files_under(fixture, Path::new(""));
    found.retain(|f| given(f) && !student.contains(f));
    found.sort();
    found
}

/// Every fixture folder, by name.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(common::fixtures_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("expected.toml").is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    found.sort();
    found
}

/// Whether the fixture lays a file cargo compiles (anything but the pages'
/// scripts and styles under `static/`, which the server reads as it runs),
/// or links one.
fn changes_the_build(folder: &Path) -> bool {
    let files = common::files_under(folder, Path::new(""));
    let laid = files.iter().filter(|f| *f != "expected.toml");
    laid.clone().any(|f| !f.starts_with("static/")) || !expected_of(folder).links.is_empty()
}

fn expected_of(folder: &Path) -> Expected {
    let text = std::fs::read_to_string(folder.join("expected.toml")).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
}

/// What is wrong with `report` against `outcome`, one line each.
fn mismatches(
    report: &Report,
    outcome: &Outcome,
    browser: bool,
    fixture: &Path,
    graded: &Path,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let in_mode = |ids: &[String]| -> Vec<String> {
        let stage = |id: &str| checks::find(id).map(|c| c.stage);
        ids.iter().filter(|id| browser || stage(id) != Some(Stage::Browser)).cloned().collect()
    };
    for named in outcome.said.keys().chain(outcome.unsaid.keys()).chain(outcome.fail.iter().flatten()) {
        if checks::find(named).is_none() {
            wrong.push(format!("expected.toml names `{named}`, which is not a check"));
        }
    }
    match outcome.exit {
        Some(exit) if exit != report.exit_code() => {
            wrong.push(format!("exit {} instead of {exit}", report.exit_code()))
        }
        Some(_) => {}
        None => wrong.push("expected.toml gives no exit status for this mode".into()),
    }
    for (status, listed) in [(Status::Fail, &outcome.fail), (Status::Error, &outcome.error)] {
        let want = in_mode(listed.as_deref().unwrap_or_default());
        let got: Vec<String> = ids(report, status).into_iter().map(str::to_owned).collect();
        if got != want {
            wrong.push(format!("{status:?}: {got:?} instead of {want:?}"));
        }
    }
    for (id, words) in &outcome.said {
        let Some(check) = checks::find(id).filter(|c| browser || c.stage != Stage::Browser) else { continue };
        let told = said(report, check);
        wrong.extend(
            words.iter().filter(|w| !told.contains(w.as_str())).map(|w| format!("{id} does not say {w:?}")),
        );
    }
    for (id, words) in &outcome.unsaid {
        let Some(check) = checks::find(id).filter(|c| browser || c.stage != Stage::Browser) else { continue };
        let told = said(report, check);
        wrong.extend(words.iter().filter(|w| told.contains(w.as_str())).map(|w| format!("{id} says {w:?}")));
    }
    // The given files it changed are named: exactly the fixture's files that are not the student's.
    let named: Vec<&str> = report.changed_given_files.iter().map(|c| c.path.as_str()).collect();
    if named != given_files_of(fixture) {
        wrong.push(format!("changed given files {named:?} instead of {:?}", given_files_of(fixture)));
    }
    // And the build files, apart (a fixture's build script, its toolchain file).
    let built: Vec<&str> = report.changed_build_files.iter().map(|c| c.path.as_str()).collect();
    let mut want = common::files_under(fixture, Path::new(""));
    want.retain(|f| grader::build_files::decides_the_build(f));
    want.sort();
    if built != want {
        wrong.push(format!("changed build files {built:?} instead of {want:?}"));
    }
    wrong.extend(formats_disagree(report));
    wrong.extend(untrue_quotes(report, graded));
    // Whatever the submission answered or printed, the human report shows it inert.
    let shown = grader::render::human(report, true, grader::render::Style::PLAIN);
    if shown.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        wrong.push("the human report shows a raw control character".into());
    }
    if shown.lines().any(|line| line.trim_start().starts_with("::")) {
        wrong.push("a line of the human report could start a CI workflow command".into());
    }
    // Whatever the grade did, nothing it started runs any more: not the
    // server it built, nor anything started in the graded copy.
    let left = common::processes_in(&common::overlay_root());
    if !left.is_empty() {
        wrong.push(format!("processes left running in the graded copy: {left:?}"));
    }
    let built = report.check("builds").and_then(|c| c.log.iter().find_map(|l| l.split(" to ").nth(1)));
    if let Some(built) = built {
        let left = common::processes_running(Path::new(built));
        if !left.is_empty() {
            wrong.push(format!("the grader left {built} running (pids {left:?})"));
        }
    }
    wrong
}

/// The fast tier's fixtures, one per family of diagnoses, each graded with
/// the browser (when one is installed) and without: exactly as its
/// `expected.toml` says. Where the full tier runs too, its table grades
/// them, in its one pass over the layout.
#[tokio::test]
async fn the_quick_fixtures_grade_as_their_expected_toml_says() {
    if full_tier_runs() {
        eprintln!("the full tier runs: its table grades the quick fixtures with every other");
        return;
    }
    grade_the_fixtures(Tier::Quick).await;
}

/// Every fixture (the hostile ones among them), in every mode and sandbox
/// its `expected.toml` names: the full tier.
#[tokio::test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
async fn every_fixture_grades_as_its_expected_toml_says() {
    grade_the_fixtures(Tier::Full).await;
}

#[derive(Clone, Copy, PartialEq)]
enum Tier {
    /// `quick = true` in `expected.toml`.
    Quick,
    /// Every fixture.
    Full,
}

/// Whether this run has the full tier's tests (`--include-ignored`, `--ignored`).
/// The two tables lay their fixtures over the same copy of the lab, so they
/// cannot run at once; and the one that waited would hold a test thread
/// while the other ran.
fn full_tier_runs() -> bool {
    std::env::args().any(|arg| arg == "--include-ignored" || arg == "--ignored")
}

/// The fast tier stands for the whole table: between them its fixtures fail
/// each of these checks, and one of them is correct.
const FAMILIES: &[&str] = &[
    "builds",
    "boots",
    "script-filled",
    "creates-session",
    "fresh-tokens",
    "cookie-logs-in",
    "no-token",
    "bad-input",
    "survives-restart",
    "browser-login",
];

/// Every fixture is in exactly one tier, and the quick one has a fixture of
/// each family: a fixture that fails each of `FAMILIES` (with a browser), and
/// a correct one.
#[test]
fn every_fixture_is_in_one_tier_and_the_quick_tier_has_every_family() {
    let all = fixtures();
    let quick: Vec<(String, Expected)> =
        all.iter().map(|(n, f)| (n.clone(), expected_of(f))).filter(|(_, e)| e.quick).collect();
    let failed: Vec<String> =
        quick.iter().flat_map(|(_, e)| e.expect.with(&e.with_browser).fail.unwrap_or_default()).collect();
    for family in FAMILIES {
        assert!(failed.iter().any(|f| f == family), "no quick fixture fails `{family}`");
    }
    assert!(
        quick.iter().any(|(_, e)| e.expect.with(&e.with_browser).exit == Some(0)),
        "no quick fixture is correct"
    );
    assert!(quick.len() <= 12, "the fast tier has {} fixtures: keep it to one per family", quick.len());
    assert!(all.len() >= 60, "only {} fixtures: were some lost?", all.len());
    eprintln!("{} fixtures: {} quick, {} in the full tier", all.len(), quick.len(), all.len() - quick.len());
}

/// Every hostile fixture is graded through the grader's binary, as a grade
/// runs, so that its peak memory and what it leaves behind are measured.
#[test]
fn every_hostile_fixture_is_graded_by_the_binary() {
    for (name, folder) in fixtures() {
        let expected = expected_of(&folder);
        if expected.about.starts_with("Hostile") {
            assert!(expected.run.cli, "{name}: a hostile fixture runs with `cli = true`");
        }
    }
}

/// One way a fixture is graded: with the browser or without, in a sandbox mode.
#[derive(Clone)]
struct Mode {
    browser: bool,
    sandbox: String,
}

/// A grade of a fixture in one [`Mode`]: its report, what was wrong about
/// the grade itself (the clone changed, the secret seen, the memory), and
/// the folder it graded.
struct Graded {
    report: Report,
    wrong: Vec<String>,
    root: PathBuf,
}

/// Grades the fixture laid out in `root` as `expected` says, in `mode`;
/// `None` when the mode cannot run here (the sandbox is off on this machine).
async fn grade_in_mode(name: &str, expected: &Expected, mode: &Mode, root: &Path) -> Option<Graded> {
    let mut settings = own_artifacts(settings(root.to_path_buf(), "lab"), &artifacts_name(name, mode));
    let limits = &expected.limits;
    let seconds = |limit: Option<u64>, default: Duration| limit.map_or(default, Duration::from_secs);
    settings.boot_timeout = seconds(limits.boot, settings.boot_timeout);
    settings.request_timeout = seconds(limits.request, settings.request_timeout);
    settings.build_timeout = seconds(limits.build, settings.build_timeout);
    settings.browser_timeout = seconds(limits.browser, settings.browser_timeout);
    settings.deadline = limits.deadline.map(Duration::from_secs);
    settings.sandbox = match mode.sandbox.as_str() {
        "on" => SandboxMode::On,
        "off" => SandboxMode::Off,
        "auto" => SandboxMode::Auto,
        other => panic!("{name}: sandbox `{other}` is not on, off or auto"),
    };
    if settings.sandbox == SandboxMode::On && !common::sandbox_on() {
        return None;
    }
    if !mode.browser {
        settings.browser = BrowserChoice::Off;
    }
    let mut wrong = Vec::new();
    let unprivileged = match expected.run.user.as_deref() {
        None => false,
        Some("unprivileged") => true,
        Some(other) => panic!("{name}: user `{other}` is not `unprivileged`"),
    };
    assert!(!unprivileged || expected.run.cli, "{name}: a grader that is not root runs as a binary (cli)");
    let lent = (unprivileged && common::running_as_root()).then(|| common::Unprivileged::lend(root, name));
    if let Some(lent) = &lent {
        settings.target = grader::Target::Workspace {
            path: lent.workspace.clone(),
            package: "lab".into(),
            target_dir: Some(lent.target.clone()),
        };
        settings.artifacts_dir = lent.artifacts.clone();
    }
    // Every file of the clone as laid, to compare with after the grade.
    let graded_clone = lent.as_ref().map_or(root.to_path_buf(), |l| l.workspace.clone());
    let clone_before = common::snapshot(&graded_clone);
    let report = if expected.run.cli {
        let (report, json, peak) = grade_with_the_binary(&settings, lent.as_ref()).await;
        if let Some(left) =
            lent.as_ref().map(|l| common::processes_in(&l.workspace)).filter(|l| !l.is_empty())
        {
            wrong.push(format!("processes left running in nobody's copy: {left:?}"));
        }
        let limit = limits.memory_mb.unwrap_or(300) * 1_000_000;
        if peak > limit {
            wrong.push(format!(
                "the grader's peak memory was {} MB, over {} MB",
                peak / 1_000_000,
                limit / 1_000_000
            ));
        }
        eprintln!("{name}: the grader's peak memory was {:.1} MB", peak as f64 / 1e6);
        if json.contains(&format!("own {SECRET_NAME}")) {
            wrong.push("the server saw the grader's secret in its own environment".into());
        }
        if mode.sandbox != "off"
            && report.run.sandbox.starts_with("bubblewrap")
            && json.contains(SECRET_VALUE)
        {
            wrong.push("the sandboxed server found the grader's secret".into());
        }
        report
    } else {
        assert!(limits.memory_mb.is_none(), "{name}: memory is measured in `cli` runs only");
        grade(settings).await
    };
    // Nothing a grade runs creates, changes or removes a file of the clone it grades.
    let changed = common::changes(&clone_before, &common::snapshot(&graded_clone));
    if !changed.is_empty() {
        wrong.push(format!("the grade changed the clone it graded: {}", changed.join(", ")));
    }
    Some(Graded { report, wrong, root: root.to_path_buf() })
}

/// The artifacts folder of a fixture's grade in `mode`: the fixture's name
/// for its first mode (with the browser where one runs), so that two grades
/// running at once never write the same file.
fn artifacts_name(name: &str, mode: &Mode) -> String {
    match (mode.browser, mode.sandbox.as_str()) {
        (true, _) => name.to_owned(),
        (false, sandbox) => format!("{name}.without-browser.sandbox-{sandbox}"),
    }
}

/// The fixtures of `tier`, laid over one copy of the lab and graded.
async fn grade_the_fixtures(tier: Tier) {
    let with_browser = common::browser_on();
    // Another server on the machine's loopback, as an instructor's own would be: none may reach it.
    let _other_server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // A file of the machine's outside every folder a grade needs, as another course's would be: none may read it.
    let _canary =
        Canary::leave("/var/tmp/lab-grader-test-canary.txt", "lab-grader-canary: not for the submission");
    // Where a fixture's code tries to write outside every folder a grade gives it: it must never appear.
    let planted = Path::new("/var/tmp/lab-grader-test-planted");
    // The kit's own files (its sources, the fixtures): no grade may change them.
    let kit = common::kit();
    let mut kit_before = common::snapshot_but(&kit, &["target", ".git"]);
    let mut failures = Vec::new();
    let mut all = fixtures();
    all.retain(|(_, folder)| tier == Tier::Full || expected_of(folder).quick);
    if let Ok(only) = std::env::var("GRADER_FIXTURES") {
        all.retain(|(name, _)| only.split(',').any(|o| o.trim() == name));
    }
    // One after the other, the fixtures that build the same code as their start (they change only
    // what the server reads as it runs): cargo builds that start once for all of them, not once each.
    all.sort_by_cached_key(|(name, folder)| {
        (expected_of(folder).start, changes_the_build(folder), name.clone())
    });
    for (name, folder) in &all {
        let expected = expected_of(folder);
        assert!(!expected.about.is_empty(), "{name}: say what it is");
        let modes: &[bool] = if with_browser { &[true, false] } else { &[false] };
        let sandboxes = if expected.run.sandbox.is_empty() {
            vec!["auto".to_owned()]
        } else {
            expected.run.sandbox.clone()
        };
        // With the browser, the first sandbox mode; without it, every one (the containment is the same).
        let runs: Vec<Mode> = modes
            .iter()
            .flat_map(|&b| sandboxes.iter().take(if b { 1 } else { usize::MAX }).map(move |s| (b, s.clone())))
            .map(|(browser, sandbox)| Mode { browser, sandbox })
            .collect();
        // A plain fixture's grades run at once, over one layout: they share its build, and a grade
        // waits on its server and its browser more than on the CPU. A hostile one's (through the
        // binary, or as a lent user) take turns, each over a layout of its own, so that what one
        // grade's submission does cannot reach another's.
        let graded: Vec<(Mode, Option<Graded>)> = if expected.run.cli || expected.run.user.is_some() {
            let mut graded = Vec::new();
            for mode in runs {
                // Laid out again for every grade: a build may rewrite a given file (cargo prunes Cargo.lock).
                let root = common::overlay(folder, &expected.start, &expected.links);
                let done = grade_in_mode(name, &expected, &mode, &root).await;
                graded.push((mode, done));
            }
            graded
        } else {
            let root = common::overlay(folder, &expected.start, &expected.links);
            let grades = runs.iter().map(|mode| grade_in_mode(name, &expected, mode, &root));
            runs.iter().cloned().zip(futures::future::join_all(grades).await).collect()
        };
        for (mode, done) in graded {
            let Some(Graded { report, mut wrong, root }) = done else { continue };
            let browser = mode.browser;
            let kit_after = common::snapshot_but(&kit, &["target", ".git"]);
            let changed = common::changes(&kit_before, &kit_after);
            if !changed.is_empty() {
                wrong.push(format!("the grade changed the kit's own files: {}", changed.join(", ")));
                kit_before = kit_after;
            }
            if planted.symlink_metadata().is_ok() {
                wrong.push(format!("the grade let the submission write {}", planted.display()));
                let _ = std::fs::remove_file(planted);
            }
            let outcome = expected.expect.with(if browser {
                &expected.with_browser
            } else {
                &expected.without_browser
            });
            wrong.extend(mismatches(&report, &outcome, browser, folder, &root));
            let mode_name = format!(
                "{}, sandbox {}",
                if browser { "with a browser" } else { "without a browser" },
                mode.sandbox
            );
            eprintln!(
                "{name} ({mode_name}): {}",
                if wrong.is_empty() { "as expected" } else { "NOT as expected" }
            );
            if !wrong.is_empty() {
                // What the human report leaves out: how the build went (which workspace built last, what was forgotten).
                let build_log =
                    report.check(checks::setup::BUILDS.id).map(|c| c.log.join("\n    ")).unwrap_or_default();
                failures.push(format!(
                    "{name} ({mode_name}):\n  {}\n  the build's log:\n    {build_log}\n{}",
                    wrong.join("\n  "),
                    common::human(&report)
                ));
            }
            if browser && expected.snapshot {
                common::assert_report_snapshots(name, &report);
            }
            // The quick tier's pages open in a real browser: one of each family, failing ones included.
            if browser && expected.quick {
                assert_the_html_report_renders(name, &report).await;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} grades not as expected:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// A file the test leaves on the machine for the length of the table, removed after.
struct Canary(PathBuf);

impl Canary {
    fn leave(path: &str, text: &str) -> Canary {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot leave {path}: {e}"));
        Canary(PathBuf::from(path))
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What `report` says of the student's files that is not so, in the copy
/// that was graded (`root`): every `file:line` it names is a line of that
/// file; what it says such a line still holds (`still calls fetch("…")`,
/// `still sends an empty body, JSON.stringify({})`) is on that line; and
/// every line of code it quotes under rustc's `--> file:line:col` is that line.
fn untrue_quotes(report: &Report, root: &Path) -> Vec<String> {
    let mut wrong = Vec::new();
    let students = grader::kit::kit().student.all();
    for check in &report.checks {
        let text = [Some(&check.message), check.expected.as_ref(), check.hint.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        for student in &students {
            let file = student.file.as_str();
            // Never through a link: a fixture's student file may be one, to anything.
            let contents = grader::build_files::read_regular(&root.join(file)).unwrap_or_default();
            let lines: Vec<String> = String::from_utf8_lossy(&contents).lines().map(str::to_owned).collect();
            let at = |n: usize| lines.get(n.wrapping_sub(1)).map(String::as_str);
            for (start, _) in text.match_indices(&format!("{file}:")) {
                let after = &text[start + file.len() + 1..];
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                let Ok(n) = digits.parse::<usize>() else { continue };
                let Some(line) = at(n) else {
                    wrong.push(format!("{}: names {file}:{n}, which has {} lines", check.id, lines.len()));
                    continue;
                };
                let claim = &after[digits.len()..];
                let squeezed: String = line.chars().filter(|c| !c.is_whitespace()).collect();
                if let Some(url) =
                    claim.strip_prefix(" still calls fetch(\"").and_then(|r| r.split("\")").next())
                {
                    if !(line.contains("fetch(") && line.contains(url)) {
                        wrong.push(format!(
                            "{}: says {file}:{n} still calls fetch(\"{url}\"): {line:?}",
                            check.id
                        ));
                    }
                }
                if claim.starts_with(" still sends an empty body") && !squeezed.contains("JSON.stringify({})")
                {
                    wrong.push(format!(
                        "{}: says {file}:{n} still sends JSON.stringify({{}}): {line:?}",
                        check.id
                    ));
                }
                // rustc's `--> file:line:col`, then the numbered lines it quotes.
                if text[..start].ends_with("--> ") {
                    let block = text[start..].lines().skip(1).take(12);
                    // Up to where rustc points into another file (`--> `, or `::: ` for a definition).
                    let block = block.take_while(|l| !l.contains("--> ") && !l.contains("::: "));
                    for quoted in block {
                        let Some((number, code)) = quoted.split_once('|') else { continue };
                        let Ok(number) = number.trim().parse::<usize>() else { continue };
                        let code = code.strip_prefix(' ').unwrap_or(code);
                        if at(number).map(str::trim) != Some(code.trim()) && code.is_ascii() {
                            wrong.push(format!(
                                "{}: quotes {file}:{number} as {code:?}: {:?}",
                                check.id,
                                at(number)
                            ));
                        }
                    }
                }
            }
        }
    }
    wrong
}

/// Where the JUnit, Gradescope and GitHub renderings of `report` say
/// something else than the report: every check with its status and points,
/// every changed given file, and no workflow command but the grader's own.
fn formats_disagree(report: &Report) -> Vec<String> {
    let mut wrong = Vec::new();
    let xml = grader::render::junit(report);
    match roxmltree::Document::parse(&xml) {
        Err(e) => wrong.push(format!("the JUnit XML does not parse: {e}")),
        Ok(doc) => {
            let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
            if cases.len() != report.checks.len() {
                wrong.push(format!("JUnit has {} testcases for {} checks", cases.len(), report.checks.len()));
            }
            for (case, check) in cases.iter().zip(&report.checks) {
                let name = case.attribute("name").unwrap_or_default();
                let element = case.children().find(|n| n.is_element()).map(|n| n.tag_name().name());
                let want = match check.status {
                    Status::Pass => None,
                    Status::Fail => Some("failure"),
                    Status::Error => Some("error"),
                    Status::Skip => Some("skipped"),
                };
                if !name.starts_with(&format!("{}: ", check.id)) || element != want {
                    wrong
                        .push(format!("JUnit says {name:?} {element:?} for {} {:?}", check.id, check.status));
                }
            }
            for change in report.changed_given_files.iter().chain(&report.changed_build_files) {
                if !doc.descendants().any(|n| n.attribute("value") == Some(change.describe().as_str())) {
                    wrong.push(format!("JUnit does not name {}", change.path));
                }
            }
        }
    }
    let results: serde_json::Value =
        serde_json::from_str(&grader::render::gradescope(report)).expect("Gradescope's JSON parses");
    let tests = results["tests"].as_array().cloned().unwrap_or_default();
    let points: Vec<(u64, u64)> = tests
        .iter()
        .map(|t| (t["score"].as_u64().unwrap_or(99), t["max_score"].as_u64().unwrap_or(99)))
        .collect();
    let want: Vec<(u64, u64)> =
        report.checks.iter().map(|c| (c.points as u64, c.max_points as u64)).collect();
    if results["score"] != report.score || points != want {
        wrong.push(format!(
            "Gradescope scores {} with {points:?}, the report {} with {want:?}",
            results["score"], report.score
        ));
    }
    let named = results["extra_data"]["changed_given_files"].as_array().map_or(0, Vec::len);
    if named != report.changed_given_files.len() {
        wrong.push("Gradescope's results do not name the changed given files".into());
    }
    let named = results["extra_data"]["changed_build_files"].as_array().map_or(0, Vec::len);
    if named != report.changed_build_files.len() {
        wrong.push("Gradescope's results do not name the changed build files".into());
    }
    let page = grader::render::html(report);
    if page.matches("<li class=\"check ").count() != report.checks.len() {
        wrong.push("the HTML page does not show every check".into());
    }
    for change in report.changed_given_files.iter().chain(&report.changed_build_files) {
        if !page.contains(&change.path) {
            wrong.push(format!("the HTML page does not name {}", change.path));
        }
    }
    let commands = grader::render::github(report);
    let lines: Vec<&str> = commands.lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("::error ")).count();
    let expected_commands = report.count(Status::Fail)
        + report.count(Status::Error)
        + report.changed_given_files.len()
        + report.changed_build_files.len();
    if errors != report.count(Status::Fail)
        || lines.iter().filter(|l| l.starts_with("::")).count() != expected_commands
    {
        wrong.push(format!(
            "GitHub's workflow commands are not one per failed check and changed file:\n{commands}"
        ));
    }
    for change in report.changed_given_files.iter().chain(&report.changed_build_files) {
        if !commands.contains(&format!("::warning file={},", change.path)) {
            wrong.push(format!("GitHub does not name {}", change.path));
        }
    }
    if lines.last() != Some(&format!("Points {}/{}", report.score, report.max_score).as_str()) {
        wrong.push("GitHub's output does not end with the points line".into());
    }
    let who = common::classroom50_runner().0;
    let result = grader::render::classroom50::result(report, &who);
    for problem in grader::render::classroom50::problems(&result, &who) {
        wrong.push(format!("Classroom 50's runner would refuse the result: {problem}"));
    }
    if result["score"] != report.score || result["max-score"] != report.max_score {
        wrong.push(format!("Classroom 50's result scores {}/{}", result["score"], result["max-score"]));
    }
    for change in report.changed_given_files.iter().chain(&report.changed_build_files) {
        let named = [&result["changed_given_files"], &result["changed_build_files"]]
            .iter()
            .filter_map(|list| list.as_array())
            .flatten()
            .any(|c| c["path"] == change.path.as_str());
        if !named {
            wrong.push(format!("Classroom 50's result does not name {}", change.path));
        }
    }
    let body = grader::render::classroom50::release_body(report);
    if body.lines().any(|l| l.trim_start().starts_with("::")) || body.contains("##[") {
        wrong.push(format!("Classroom 50's release body holds a workflow command:\n{body}"));
    }
    wrong
}

/// The value of [`SECRET_NAME`].
const SECRET_VALUE: &str = "sk-fixture-a8f3e1c0d9b2";

/// Grades as `settings` says, through the grader's binary, with a secret in
/// its environment; returns the JSON report, read back and as written, and
/// the grader process's peak memory in bytes (its high-water mark, read from
/// /proc while it runs).
/// Grades through the grader's binary; `as_nobody`, as that user (the test is root).
async fn grade_with_the_binary(
    settings: &Settings,
    as_nobody: Option<&common::Unprivileged>,
) -> (Report, String, u64) {
    let grader::Target::Workspace { path, target_dir: Some(target_dir), .. } = &settings.target else {
        panic!("cli runs grade a workspace in the shared target folder")
    };
    let report_file = settings.artifacts_dir.join("report.json");
    let _ = std::fs::create_dir_all(&settings.artifacts_dir);
    let _ = std::fs::remove_file(&report_file);
    let seconds = |d: Duration| d.as_secs().max(1).to_string();
    let mut command = match as_nobody {
        None => tokio::process::Command::new(env!("CARGO_BIN_EXE_grader")),
        Some(lent) => {
            let mut command = tokio::process::Command::new("setpriv");
            let id = common::NOBODY.to_string();
            command
                .args(["--reuid", &id, "--regid", &id, "--clear-groups", "--"])
                .arg(env!("CARGO_BIN_EXE_grader"));
            command.env("HOME", &lent.home).envs(lent.toolchain.iter().map(|(name, path)| (*name, path)));
            command
        }
    };
    command
        .arg("check")
        .arg("--path")
        .arg(path)
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--format", "json", "--output"])
        .arg(&report_file)
        .arg("--artifacts")
        .arg(&settings.artifacts_dir)
        .args(["--build-timeout", &seconds(settings.build_timeout)])
        .args(["--boot-timeout", &seconds(settings.boot_timeout)])
        .args(["--request-timeout", &seconds(settings.request_timeout)])
        .args(["--browser-timeout", &seconds(settings.browser_timeout)])
        .arg("--sandbox")
        .arg(match settings.sandbox {
            SandboxMode::On => "on",
            SandboxMode::Off => "off",
            SandboxMode::Auto => "auto",
        })
        .env(SECRET_NAME, SECRET_VALUE)
        // As an installed grader runs from a shell: none of the toolchain variables cargo sets for its tests.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(deadline) = settings.deadline {
        command.args(["--deadline", &seconds(deadline)]);
    }
    if matches!(settings.browser, BrowserChoice::Off) {
        command.arg("--no-browser");
    }
    let mut child = command.spawn().expect("the grader's binary runs");
    let pid = child.id().expect("a running grader");
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = common::peak_memory_kib(pid) {
            peak = peak.max(kib * 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let json = std::fs::read_to_string(&report_file)
        .unwrap_or_else(|e| panic!("no report from the grader ({status}): {e}"));
    let report: Report = serde_json::from_str(&json).expect("the JSON report reads back");
    assert_eq!(status.code(), Some(report.exit_code() as i32), "the exit status is the report's");
    (report, json, peak)
}

/// Without a browser, a correct submission is never failed: the worst it gets
/// is "cannot be graded here" (exit 2), for a script only a browser can read.
#[test]
fn no_correct_fixture_expects_a_fail_without_a_browser() {
    for (name, folder) in fixtures() {
        let expected = expected_of(&folder);
        let with = expected.expect.with(&expected.with_browser);
        let without = expected.expect.with(&expected.without_browser);
        if with.exit == Some(0) {
            assert_ne!(without.exit, Some(1), "{name}: a correct submission must not fail without a browser");
        }
    }
}

/// `error` ("could not grade") is the grader's own trouble, or what only a
/// browser could tell: every fixture's submission gets a verdict, pass or
/// fail, with a browser, and a check it cannot grade without one is graded
/// with one.
#[test]
fn no_fixture_expects_an_error_a_browser_would_not_resolve() {
    for (name, folder) in fixtures() {
        let expected = expected_of(&folder);
        let with = expected.expect.with(&expected.with_browser);
        let without = expected.expect.with(&expected.without_browser);
        assert!(
            with.error.as_deref().unwrap_or_default().is_empty(),
            "{name}: expects an error with a browser"
        );
        assert_ne!(with.exit, Some(2), "{name}: expects exit 2 with a browser");
        if without.exit == Some(2) {
            assert!(
                !without.error.as_deref().unwrap_or_default().is_empty(),
                "{name}: exit 2 without a browser names no check it could not grade"
            );
        }
    }
}

#[tokio::test]
async fn the_solution_passes_every_check() {
    let report = grade(own_artifacts(settings(common::kit(), "solution"), "solution")).await;
    let shown = common::human(&report);
    assert_eq!(ids(&report, Status::Fail).len() + ids(&report, Status::Error).len(), 0, "{shown}");
    assert_eq!(ids(&report, Status::Pass), common::expected(CHECKS), "{shown}");
    assert_eq!(report.score, report.max_score);
    assert_eq!(report.max_score, if common::browser_on() { 100 } else { 80 });
    assert_eq!(report.exit_code(), 0);
    common::assert_report_snapshots("solution", &report);
    assert_the_html_report_renders("solution", &report).await;
}

/// `settings` saving artifacts in a folder of their own: two grades that run
/// at once would otherwise clear each other's stale screenshots (the
/// untouched lab keeps the default folder, which its snapshot shows).
fn own_artifacts(mut settings: Settings, name: &str) -> Settings {
    settings.artifacts_dir = common::shared_target().join("grader-fixtures").join("artifacts").join(name);
    settings
}

/// The HTML report opens in a real browser, shows the score, every check and
/// the story of the grade (an arrow for each request), with no console
/// error and no request outside the page (its content security policy
/// allows none); its screenshot is saved with the tests' artifacts
/// (`target/grader-fixtures/artifacts/html/`).
async fn assert_the_html_report_renders(name: &str, report: &Report) {
    use chromiumoxide::cdp::browser_protocol::log::{EnableParams as EnableLog, EventEntryAdded};
    use chromiumoxide::cdp::browser_protocol::network::EventRequestWillBeSent;
    use futures::StreamExt;
    if !common::browser_on() {
        return eprintln!("note: no browser, so the HTML report of `{name}` is not opened");
    }
    let browser = grader::browser::find(None).expect("a browser, as browser_on said");
    let dir = common::shared_target().join("grader-fixtures").join("artifacts").join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, grader::render::html(report)).unwrap();
    let profile = tempfile::tempdir().unwrap();
    // Once more on a busy machine (the exports' builds beside this test) before it counts as broken.
    let launch = || grader::browser::Driver::launch(&browser, profile.path(), Duration::from_secs(20));
    let mut driver = match launch().await {
        Ok(driver) => driver,
        Err(_) => launch().await.unwrap(),
    };
    let context = driver.new_context().await.unwrap();
    let tab = driver.new_tab(&context).await.unwrap();
    // Listening before the page loads: every request it makes, every line the browser logs about it.
    let mut requests = tab.page.event_listener::<EventRequestWillBeSent>().await.unwrap();
    let mut logged = tab.page.event_listener::<EventEntryAdded>().await.unwrap();
    tab.page.execute(EnableLog::default()).await.unwrap();
    let address = format!("file://{}", page.display());
    tab.goto(&address).await.unwrap();
    let score = tab.text_of(".score").await.unwrap_or_default();
    let shown = tab.eval("document.querySelectorAll('li.check').length").await;
    let images = tab.eval("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length").await;
    let arrows = tab.eval("document.querySelectorAll('svg.story .step').length").await;
    let drawn = tab
        .eval("Math.round(document.querySelector('svg.story')?.getBoundingClientRect().height ?? 0)")
        .await;
    tab.screenshot(&dir.join(format!("{name}.png"))).await.unwrap();
    let console = tab.console();
    drop(tab);
    driver.close().await;
    let mut outside = Vec::new();
    while let Some(Some(request)) = requests.next().now_or_never() {
        let url = &request.request.url;
        if url != &address && !url.starts_with("data:") {
            outside.push(url.clone());
        }
    }
    let mut complaints: Vec<String> = console;
    while let Some(Some(entry)) = logged.next().now_or_never() {
        let level = format!("{:?}", entry.entry.level).to_lowercase();
        if level == "error" || level == "warning" {
            complaints.push(format!("{level}: {}", entry.entry.text));
        }
    }
    assert!(score.contains(&format!("Score: {}/{}", report.score, report.max_score)), "{score}");
    assert_eq!(shown.as_u64(), Some(report.checks.len() as u64));
    let inlined = report.checks.iter().flat_map(|c| &c.artifacts).filter(|a| a.ends_with(".png")).count();
    assert_eq!(images.as_u64(), Some(inlined as u64), "every screenshot shows");
    let sent = report.checks.iter().map(|c| c.exchanges.len()).sum::<usize>();
    assert_eq!(arrows.as_u64(), Some(sent as u64), "{name}: an arrow for each request");
    if sent > 0 {
        assert!(drawn.as_u64().unwrap_or(0) > 100, "{name}: the story is drawn: {drawn}");
    } else {
        // A grade that never reached a server (a compile error) has no story to draw.
        assert_eq!(drawn.as_u64(), Some(0), "{name}: no diagram without a request");
    }
    assert!(outside.is_empty(), "the page asked for more than itself: {outside:?}");
    assert!(complaints.is_empty(), "the browser complained about the page: {complaints:?}");
}

/// Without a browser, the browser checks cannot be graded: an error that
/// says so, never a pass or a fail, and the HTTP checks still run.
#[tokio::test]
async fn a_missing_browser_is_reported_not_graded() {
    let mut settings = settings(common::kit(), "solution");
    settings.browser = BrowserChoice::Find(Some("/nonexistent/chromium".into()));
    let report = grade(settings).await;
    let browser_checks: Vec<&str> =
        CHECKS.iter().filter(|c| c.stage == Stage::Browser).map(|c| c.id).collect();
    assert_eq!(ids(&report, Status::Error), browser_checks, "{}", common::human(&report));
    assert_eq!(ids(&report, Status::Fail), Vec::<&str>::new());
    let told = said(&report, &checks::browser::LOGIN);
    assert!(told.contains("not gradable here: no browser at /nonexistent/chromium"), "{told}");
    assert_eq!(report.outcome, ReportOutcome::Incomplete);
    assert_eq!(report.exit_code(), 2);
}

/// In the kit the lab is untouched, and fails exactly the checks of its TODOs.
/// On a student's fork this same test grades the student's lab: untouched, it
/// says so plainly ("not graded yet"); touched, it passes only when every
/// check does. It is a self-check for the student: real grades come from the
/// instructor's own grader.
#[tokio::test]
async fn the_lab_of_this_workspace() {
    use std::io::Write;
    let report = grade(settings(common::kit(), "lab")).await;
    let shown = common::human(&report);
    if !common::lab_is_untouched() {
        assert_eq!(report.exit_code(), 0, "{shown}");
        return;
    }
    let untrue = untrue_quotes(&report, &common::kit());
    assert!(untrue.is_empty(), "{untrue:?}\n{shown}");
    // Past the test harness's capture: a student running `cargo test` sees this.
    let _ = writeln!(
        std::io::stderr(),
        "\nnote: the lab's TODOs are untouched, so the lab is not graded yet \
         (score {}/{}): `cargo run -p grader` says what to do first\n",
        report.score,
        report.max_score
    );
    use checks::{browser, script, session, setup};
    let passing =
        [&setup::BUILDS, &setup::BOOTS, &setup::SERVES_PAGES, &browser::LOGIN_FORM, &session::NO_TOKEN];
    assert_eq!(ids(&report, Status::Pass), common::expected(&passing), "{shown}");
    let failing = [&browser::LOGIN, &script::SCRIPT_FILLED, &session::CREATES_SESSION];
    assert_eq!(ids(&report, Status::Fail), common::expected(&failing), "{shown}");
    let said_js = said(&report, &script::SCRIPT_FILLED);
    assert!(
        said_js.contains("TODO 1 is not done yet") && said_js.contains("TODO 2 is not done yet"),
        "{said_js}"
    );
    let said_rs = said(&report, &session::CREATES_SESSION);
    assert!(said_rs.contains("answered 501"), "{said_rs}");
    assert!(said_rs.contains("not implemented yet: see lab/src/controllers.rs, TODO 1 (line"), "{said_rs}");
    if common::browser_on() {
        let page = said(&report, &browser::LOGIN);
        assert!(page.contains("shows: creating a session is not implemented yet"), "{page}");
        let saved = &report.check(browser::LOGIN.id).unwrap().artifacts;
        assert!(saved.iter().any(|a| a.ends_with("browser-login.png")), "{saved:?}");
        assert!(saved.iter().all(|a| Path::new(a).is_file()), "{saved:?}");
    }
    assert_eq!(report.outcome, ReportOutcome::Failed);
    assert_eq!(report.score, 5);
    common::assert_report_snapshots("untouched-lab", &report);
    assert_the_html_report_renders("untouched-lab", &report).await;
    if std::env::var_os("GRADER_DOCS_SCREENSHOT").is_some() {
        save_the_docs_screenshot(&report);
    }
}

/// Writes `docs/report-story.png`, the untouched lab's HTML report as
/// headless Chromium draws it (`--screenshot`), for the README; only when
/// `GRADER_DOCS_SCREENSHOT` is set (the README says the command). The
/// submission's path and the run's notes are left out: nothing of this
/// machine goes into a committed picture.
fn save_the_docs_screenshot(report: &Report) {
    let browser = grader::browser::find(None).expect("GRADER_DOCS_SCREENSHOT needs a browser");
    let mut shown = report.clone();
    shown.submission = "lab (package lab)".into();
    shown.run.notes.clear();
    let dir = common::shared_target().join("grader-fixtures").join("artifacts").join("html");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report-story.html");
    std::fs::write(&page, grader::render::html(&shown)).unwrap();
    let picture = common::kit().join("docs").join("report-story.png");
    std::fs::create_dir_all(picture.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&picture);
    let profile = tempfile::tempdir().unwrap();
    let mut chromium = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", picture.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the browser starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = chromium.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = chromium.kill();
            panic!("{} took over 60 s to take a screenshot", browser.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{} --screenshot failed: {status}", browser.display());
    let png = std::fs::read(&picture).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{} is not a PNG", picture.display());
}
