//! `grader batch`: a whole class in one command.
//!
//! Each clone is graded with this grader, its reports written outside the
//! clones, into one folder, with a gradebook (`grades.csv`) and a summary.
//! By default a clone is graded by laying its student files over a copy of
//! the kit's lab that the grader owns (one per job), so each further build
//! recompiles only what the student changed; `--as-is` builds the clone
//! itself. Builds take turns on the shared target folder (its lock); the
//! checks of built clones run side by side, up to `--jobs`. A clone that
//! cannot be built or graded costs its own row and its own time limits.
//!
//! A repository (a URL, or a path with `--before`) is first cloned into
//! `OUT/repos/NAME` and checked out at the deadline (see `repos`); one that
//! cannot be is a row with why, and the batch goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::kit::Kit;
use crate::render::{self, Style};
use crate::report::{Outcome, Report, Status};
use crate::repos::{Checkout, Submission};
use crate::settings::{Settings, Target};
use crate::terminal::Display;
use crate::workspace_files::{lab_workspace, own_version, write_if_changed, Bundle};

mod glance;
pub use glance::{report_href, CheckRate, Glance};

/// A batch to grade.
pub struct Batch {
    pub submissions: Vec<Submission>,
    /// The deadline, in seconds since the epoch: each repository is graded
    /// at its last commit at or before it.
    pub before: Option<i64>,
    /// Where the reports go.
    pub out: PathBuf,
    /// The gradebook.
    pub csv: PathBuf,
    pub jobs: usize,
    /// Skip the clones graded already at the same commit.
    pub resume: bool,
    /// Build each clone as it is, not its student files over the kit's lab.
    pub as_is: bool,
    /// The instructor's kit, whose lab the student files are laid over.
    pub kit_root: PathBuf,
    pub kit: Kit,
    pub package: String,
    /// The settings of every grade; the target's path is each clone's.
    pub settings: Settings,
    pub only: Vec<String>,
    pub points: HashMap<String, u32>,
}

/// One clone's line of the gradebook.
#[derive(Debug, Clone)]
pub struct Row {
    /// The clone's folder name (made unique within the batch).
    pub name: String,
    pub path: PathBuf,
    /// The grade, or why there is none.
    pub report: Result<Report, String>,
    pub duration: Duration,
    /// Taken from an earlier run's report (`--resume`).
    pub resumed: bool,
    /// The repository it was cloned from, if it was.
    pub repository: Option<String>,
    /// What was checked out of that repository.
    pub checkout: Option<Checkout>,
}

/// The rows finished so far, shared with the caller so an interrupted
/// batch still writes what it has.
pub type Rows = Arc<Mutex<Vec<Row>>>;

/// Each clone with a name of its own: its folder's name, `-2`, `-3`... on a clash.
pub fn named(clones: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let submissions: Vec<Submission> = clones.iter().cloned().map(Submission::Folder).collect();
    named_submissions(&submissions)
        .into_iter()
        .zip(clones)
        .map(|((name, _), clone)| (name, clone.clone()))
        .collect()
}

/// Each submission with a name of its own: its folder's or repository's
/// name, made safe for a file name, `-2`, `-3`... on a clash.
pub fn named_submissions(submissions: &[Submission]) -> Vec<(String, Submission)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    submissions
        .iter()
        .map(|submission| {
            let mut base: String = submission
                .base_name()
                .chars()
                .map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' })
                .collect();
            // Never `.`, `..` or a hidden name: the name is a file name in OUT.
            if base.is_empty() || base.starts_with('.') {
                base = format!("clone{base}");
            }
            let count = seen.entry(base.clone()).or_default();
            *count += 1;
            let name = if *count == 1 { base } else { format!("{base}-{count}") };
            (name, submission.clone())
        })
        .collect()
}

/// Grades every clone, writing each one's reports as it finishes; the rows
/// land in `rows` in the order they finish.
pub async fn run(batch: &Batch, rows: &Rows, display: Option<&Display>, quiet: bool) -> Result<(), String> {
    std::fs::create_dir_all(&batch.out).map_err(|e| format!("cannot create {}: {e}", batch.out.display()))?;
    let target_dir = match &batch.settings.target {
        Target::Workspace { target_dir: Some(dir), .. } => dir.clone(),
        _ => return Err("a batch needs a target folder".into()),
    };
    // One copy of the kit's lab per job: a grade holds its copy from laying the files to the end.
    let slots: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let workspace = if batch.as_is { None } else { Some(lab_workspace(&batch.kit_root, &batch.kit)?) };
    // The copies' locks, held until the batch ends.
    let mut locks = Vec::new();
    if let Some(workspace) = &workspace {
        for (number, lock) in free_copies(&target_dir, batch.jobs)? {
            let slot = target_dir.join("grader-batch").join(format!("lab-{number}"));
            own_version(workspace, &batch.package, number)?.sync_dir(&slot)?;
            slots.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
            locks.push(lock);
        }
    }
    let named = named_submissions(&batch.submissions);
    let total = named.len();
    let done = Arc::new(Mutex::new(0usize));
    let grades = futures::stream::iter(named).map(|(name, submission)| {
        let slots = slots.clone();
        let workspace = workspace.as_ref();
        let done = done.clone();
        async move {
            let started = Instant::now();
            let (clone, repository, checkout) = match submission {
                Submission::Folder(folder) => (folder, None, Ok(None)),
                Submission::Repository(source) => {
                    let dest = batch.out.join("repos").join(&name);
                    let checkout = check_out(&source, &dest, batch.before).await.map(Some);
                    (dest, Some(source), checkout)
                }
            };
            let row = |report, resumed, checkout| Row {
                name: name.clone(),
                path: clone.clone(),
                report,
                duration: started.elapsed(),
                resumed,
                repository: repository.clone(),
                checkout,
            };
            let row = match checkout {
                Err(why) => row(Err(why), false, None),
                Ok(checkout) => match batch.resume.then(|| earlier_grade(batch, &name, &clone)).flatten() {
                    Some(report) => row(Ok(report), true, checkout),
                    None => {
                        let label = format!("{name}: ");
                        let report =
                            grade_one(batch, &name, &clone, &slots, workspace, display, &label).await;
                        let report = report.map(|mut report| {
                            if let Some(checkout) = &checkout {
                                report.run.notes.push(checkout.note(batch.before));
                            }
                            report
                        });
                        row(report, false, checkout)
                    }
                },
            };
            let written = write_reports(batch, &row);
            let mut count = done.lock().unwrap_or_else(|e| e.into_inner());
            *count += 1;
            let line = format!("[{}/{total}] {}", *count, row_line(&row, written.err()));
            match display {
                Some(display) => {
                    display.line(&line);
                    display.step();
                }
                None if !quiet => eprintln!("{line}"),
                None => {}
            }
            row
        }
    });
    let mut grades = grades.buffer_unordered(batch.jobs.max(1));
    while let Some(row) = grades.next().await {
        rows.lock().unwrap_or_else(|e| e.into_inner()).push(row);
    }
    Ok(())
}

/// Clones `source` into `dest` at the deadline, off the async threads (git
/// runs under its own time limits; see `repos`). Dropped (Ctrl-C), it stops
/// the git command running, so the batch ends without waiting for the clone.
async fn check_out(source: &str, dest: &Path, before: Option<i64>) -> Result<Checkout, String> {
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = StopOnDrop(Arc::default());
    let (source, dest, flag) = (source.to_owned(), dest.to_path_buf(), stop.0.clone());
    tokio::task::spawn_blocking(move || crate::repos::clone_at(&source, &dest, before, &flag))
        .await
        .unwrap_or_else(|e| Err(format!("the clone stopped: {e}")))
}

/// The report of an earlier run for this clone, if it graded the same
/// commit (a clone with uncommitted changes, or outside git, is graded again).
fn earlier_grade(batch: &Batch, name: &str, clone: &Path) -> Option<Report> {
    let commit = crate::tracked::commit(clone).filter(|c| !c.ends_with("-dirty"))?;
    let text = std::fs::read_to_string(batch.out.join(format!("{name}.json"))).ok()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    (report.run.commit.as_deref() == Some(commit.as_str())).then_some(report)
}

/// Grades one clone: its student files over a copy of the kit's lab (a
/// slot), or the clone as it is.
async fn grade_one(
    batch: &Batch,
    name: &str,
    clone: &Path,
    slots: &Mutex<Vec<PathBuf>>,
    workspace: Option<&Bundle>,
    display: Option<&Display>,
    label: &str,
) -> Result<Report, String> {
    if !clone.is_dir() {
        return Err(format!("{} is not a folder", clone.display()));
    }
    if batch.as_is && !clone.join("Cargo.toml").is_file() {
        return Err(format!("{} has no Cargo.toml: --as-is builds Cargo workspaces", clone.display()));
    }
    let mut settings = batch.settings.clone();
    settings.artifacts_dir = batch.out.join("artifacts").join(name);
    settings.progress = display.map(|d| d.observer_of(label));
    let Target::Workspace { target_dir, .. } = &batch.settings.target else {
        return Err("a batch grades workspaces".into());
    };
    let slot = match workspace {
        None => {
            settings.target = Target::Workspace {
                path: clone.to_path_buf(),
                package: batch.package.clone(),
                target_dir: target_dir.clone(),
            };
            None
        }
        Some(workspace) => {
            let slot = Slot::take(slots)?;
            lay_student_files(&batch.kit, clone, &slot.path, workspace)?;
            settings.target = Target::Workspace {
                path: slot.path.clone(),
                package: batch.package.clone(),
                target_dir: target_dir.clone(),
            };
            settings.laid_from = Some(clone.to_path_buf());
            Some(slot)
        }
    };
    let report = if grades_apart(batch) {
        crate::apart::grade(&settings, &batch.only, &batch.points).await
    } else {
        crate::grade(settings, &batch.only, &batch.points).await
    };
    drop(slot);
    report
}

/// Whether each grade runs in a grader process of its own (see `apart`): with
/// more than one job and no sandbox, whose PID namespaces would keep each
/// grade's processes apart. Such a grade shows no progress of its checks.
fn grades_apart(batch: &Batch) -> bool {
    let sandboxed =
        crate::sandbox::Containment::resolve(batch.settings.sandbox).is_ok_and(|c| c.is_sandboxed());
    batch.jobs > 1 && !sandboxed
}

/// A copy of the kit's lab, held by one grade; given back when dropped.
struct Slot<'a> {
    path: PathBuf,
    pool: &'a Mutex<Vec<PathBuf>>,
}

impl<'a> Slot<'a> {
    fn take(pool: &'a Mutex<Vec<PathBuf>>) -> Result<Slot<'a>, String> {
        let path = pool.lock().unwrap_or_else(|e| e.into_inner()).pop().ok_or("no free copy of the lab")?;
        Ok(Slot { path, pool })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(std::mem::take(&mut self.path));
    }
}

/// The numbers of `count` copies of the lab in `target_dir` that no other
/// batch holds, each with its lock (`lab-N.lock`, held while the batch
/// runs): two batches on one target folder never lay files in one copy.
fn free_copies(target_dir: &Path, count: usize) -> Result<Vec<(usize, std::fs::File)>, String> {
    let folder = target_dir.join("grader-batch");
    std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let mut free = Vec::new();
    for number in 1..=count + 64 {
        let path = folder.join(format!("lab-{number}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if crate::compile::try_lock(&file).map_err(|e| format!("cannot lock {}: {e}", path.display()))? {
            free.push((number, file));
            if free.len() == count {
                return Ok(free);
            }
        }
    }
    Err(format!("more than 64 other batches hold the copies of the lab in {}", folder.display()))
}

/// Lays the clone's student files over the copy of the lab at `slot`; a
/// file the clone lacks is the starter's. Unchanged files are not rewritten.
fn lay_student_files(kit: &Kit, clone: &Path, slot: &Path, workspace: &Bundle) -> Result<(), String> {
    for student in kit.student.all() {
        // Never through a link, nor more than the cap: the grade names such a file and fails at `builds`.
        let contents = match crate::build_files::read_regular(&clone.join(&student.file)) {
            Some(contents) => contents,
            None => workspace.get(&student.file).unwrap_or_default().to_vec(),
        };
        write_if_changed(slot, &student.file, &contents)?;
    }
    Ok(())
}

/// Writes the clone's JSON, human and HTML reports into the batch's folder
/// (the class's page links to the HTML one).
fn write_reports(batch: &Batch, row: &Row) -> Result<(), String> {
    let Ok(report) = &row.report else { return Ok(()) };
    let write = |extension: &str, text: String| {
        let file = batch.out.join(format!("{}.{extension}", row.name));
        std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
    };
    write("json", render::json(report))?;
    write("txt", render::human(report, true, Style::PLAIN))?;
    write("html", render::html(report))
}

/// `alice: 65/100 failed (12.3 s)`, the line a finished clone gets.
fn row_line(row: &Row, trouble: Option<String>) -> String {
    let seconds = row.duration.as_secs_f64();
    let mut line = match &row.report {
        Ok(report) if row.resumed => {
            format!("{}: {}/{} (from the earlier report)", row.name, report.score, report.max_score)
        }
        Ok(report) => format!(
            "{}: {}/{} {} ({seconds:.1} s)",
            row.name,
            report.score,
            report.max_score,
            outcome_word(report.outcome)
        ),
        Err(why) => format!("{}: not graded: {}", row.name, render::inert(why)),
    };
    if let Some(later) = row.checkout.as_ref().map(Checkout::later_push).filter(|l| !l.is_empty()) {
        line.push_str(&format!(" (graded at the deadline; pushed after it: {later})"));
    }
    if let Some(trouble) = trouble {
        line.push_str(&format!(" (reports not written: {trouble})"));
    }
    line
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Incomplete => "incomplete",
    }
}

/// The gradebook: a header, then one row per clone in name order.
pub fn csv(rows: &[Row]) -> String {
    let checks: Vec<&str> = crate::checks::CHECKS.iter().map(|c| c.id).collect();
    let mut header: Vec<String> =
        ["name", "path", "score", "max_score", "outcome", "mode"].into_iter().map(String::from).collect();
    header.extend(checks.iter().map(|id| id.to_string()));
    header.extend(["duration_s", "changed_given_files", "commit", "error"].into_iter().map(String::from));
    // Added after the first columns, so that a sheet reading those by position still reads them.
    header.extend(
        ["changed_build_files", "repository", "commit_date", "later_push"].into_iter().map(String::from),
    );
    let mut out = csv_line(&header);
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for row in sorted {
        let mut fields = vec![row.name.clone(), row.path.display().to_string()];
        match &row.report {
            Ok(report) => {
                fields.extend([
                    report.score.to_string(),
                    report.max_score.to_string(),
                    outcome_word(report.outcome).into(),
                    report.run.mode.clone(),
                ]);
                for id in &checks {
                    // Empty for a check not graded (not run, or a browser check without a browser).
                    let graded = report
                        .checks
                        .iter()
                        .find(|c| c.id == *id && (c.status != Status::Skip || c.max_points > 0));
                    fields.push(graded.map(|c| c.points.to_string()).unwrap_or_default());
                }
                fields.push(format!("{:.1}", row.duration.as_secs_f64()));
                let changed: Vec<String> = report.changed_given_files.iter().map(|c| c.describe()).collect();
                fields.push(changed.join("; "));
                fields.push(report.run.commit.clone().unwrap_or_default());
                fields.push(String::new());
                let changed: Vec<String> = report.changed_build_files.iter().map(|c| c.describe()).collect();
                fields.push(changed.join("; "));
            }
            Err(why) => {
                fields.extend(std::iter::repeat_n(String::new(), 4 + checks.len()));
                fields.push(format!("{:.1}", row.duration.as_secs_f64()));
                // A repository that could not be cloned has no commit to tell.
                let commit = match &row.repository {
                    None => crate::tracked::commit(&row.path).unwrap_or_default(),
                    Some(_) => String::new(),
                };
                fields.extend([String::new(), commit, why.clone(), String::new()]);
            }
        }
        let checkout = row.checkout.as_ref();
        fields.extend([
            row.repository.clone().unwrap_or_default(),
            checkout.map(|c| c.committed.clone()).unwrap_or_default(),
            checkout.map(Checkout::later_push).unwrap_or_default(),
        ]);
        out.push_str(&csv_line(&fields));
    }
    out
}

/// One CSV line (RFC 4180). A field a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first) is prefixed with `'`: clone names and paths
/// come from students.
fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            let field = if field.starts_with(['=', '+', '-', '@']) && field.parse::<f64>().is_err() {
                format!("'{field}")
            } else {
                field.clone()
            };
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect();
    quoted.join(",") + "\n"
}

/// The summary a batch ends with (see [`Glance::summary`]).
pub fn summary(rows: &[Row], elapsed: Duration) -> String {
    Glance::of(rows, elapsed).summary()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_get_names_of_their_own() {
        let clones: Vec<PathBuf> =
            ["a/alice", "b/alice", "c/bob smith", "d/=evil"].iter().map(PathBuf::from).collect();
        let names: Vec<String> = named(&clones).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alice", "alice-2", "bob_smith", "_evil"]);
        let submissions = [
            Submission::Repository("https://github.com/org/alice.git".into()),
            Submission::Folder(PathBuf::from("c/alice")),
            Submission::Repository("file:///class/..".into()),
            Submission::Repository("file:///".into()),
        ];
        let names: Vec<String> = named_submissions(&submissions).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alice", "alice-2", "clone..", "clone"]);
    }

    #[test]
    fn a_batch_takes_only_the_copies_no_other_batch_holds() {
        let target = tempfile::tempdir().unwrap();
        let first = free_copies(target.path(), 1).unwrap();
        let numbers = |copies: &[(usize, std::fs::File)]| copies.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(numbers(&first), [1]);
        let second = free_copies(target.path(), 2).unwrap();
        assert_eq!(numbers(&second), [2, 3], "copy 1 is held");
        drop(first);
        assert_eq!(numbers(&free_copies(target.path(), 1).unwrap()), [1], "copy 1 is free again");
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        let line =
            csv_line(&["a,b".into(), "say \"hi\"".into(), "=SUM(A1)".into(), "-3".into(), "plain".into()]);
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-3,plain\n");
    }

    pub(super) fn row(name: &str, report: Result<Report, String>) -> Row {
        Row {
            name: name.into(),
            path: PathBuf::from(name),
            report,
            duration: Duration::from_secs(2),
            resumed: false,
            repository: None,
            checkout: None,
        }
    }

    pub(super) fn report(points: &[(&str, Status, u32, u32)]) -> Report {
        let checks = points
            .iter()
            .map(|(id, status, points, max)| {
                let mut check = crate::report::CheckResult::new(id, "", *max);
                (check.status, check.points, check.message, check.duration_ms) =
                    (*status, *points, "said".into(), 1000);
                check
            })
            .collect();
        let mut report = Report::new("x".into(), checks);
        report.run.mode = "overlay".into();
        report
    }

    #[test]
    fn the_gradebook_has_a_row_per_clone_and_a_column_per_check() {
        let mut carol = row("carol", Ok(report(&[("builds", Status::Pass, 0, 0)])));
        carol.repository = Some("file:///class/carol.git".into());
        carol.checkout = Some(Checkout {
            branch: "main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            committed: "2026-12-01T20:00:00Z".into(),
            later_commits: 2,
            newest: Some("2026-12-02T09:00:00Z".into()),
        });
        let mut dave = row("dave", Err("cannot clone it: fatal: repository not found".into()));
        dave.repository = Some("https://example.com/dave".into());
        let rows = vec![
            row("bob", Err("no Cargo.toml".into())),
            row(
                "alice",
                Ok(report(&[("builds", Status::Pass, 0, 0), ("creates-session", Status::Fail, 0, 10)])),
            ),
            carol,
            dave,
        ];
        let text = csv(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("name,path,score,max_score,outcome,mode,"), "{}", lines[0]);
        assert!(lines[0].ends_with(
            ",duration_s,changed_given_files,commit,error,changed_build_files,repository,commit_date,later_push"
        ));
        let columns = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == columns), "{text}");
        assert!(lines[1].starts_with("alice,alice,0,10,failed,overlay,,0,"), "{}", lines[1]);
        assert!(
            lines[2].starts_with("bob,bob,,,,,") && lines[2].ends_with(",no Cargo.toml,,,,"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].ends_with(
                ",,file:///class/carol.git,2026-12-01T20:00:00Z,2 later commits (the newest committed 2026-12-02T09:00:00Z)"
            ),
            "{}",
            lines[3]
        );
        assert!(
            lines[4].ends_with(",cannot clone it: fatal: repository not found,,https://example.com/dave,,"),
            "{}",
            lines[4]
        );
    }

    #[test]
    fn the_summary_counts_scores_failures_and_trouble() {
        let rows = vec![
            row(
                "a",
                Ok(report(&[
                    ("builds", Status::Pass, 0, 0),
                    ("creates-session", Status::Fail, 0, 10),
                    ("two-users", Status::Pass, 10, 10),
                ])),
            ),
            row(
                "b",
                Ok(report(&[("creates-session", Status::Fail, 0, 10), ("two-users", Status::Error, 0, 10)])),
            ),
            row("c", Err("could not read it".into())),
        ];
        let mut rows = rows;
        rows[0].checkout = Some(Checkout {
            branch: "main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            committed: "2026-12-01T20:00:00Z".into(),
            later_commits: 1,
            newest: Some("2026-12-02T09:00:00Z".into()),
        });
        let summary = summary(&rows, Duration::from_secs(61));
        assert!(
            summary.contains(
                "Pushed after the deadline (graded at the deadline's commit):\n  a: 1 later commit (the newest committed 2026-12-02T09:00:00Z)\n"
            ),
            "{summary}"
        );
        assert!(summary.starts_with("Graded 2 of 3 clones in 61 s.\n"), "{summary}");
        assert!(summary.contains("  50–59  █ 1\n") && summary.contains("   0–9  █ 1\n"), "{summary}");
        assert!(summary.contains("  creates-session        2 clones\n"), "{summary}");
        assert!(
            summary.contains("Time: building 20% (1.0 s), booting 0% (0.0 s), checking 80% (4.0 s)"),
            "{summary}"
        );
        assert!(
            summary.contains("  b: incomplete (two-users: said)")
                && summary.contains("  c: could not read it")
        );
    }
}
