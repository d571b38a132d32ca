//! Running a batch: each submission cloned at the deadline if it is a
//! repository, skipped if an earlier run graded the same commit, else graded
//! in a copy of the kit's lab (a slot, see `copies`) or as it is, in this
//! process or in one of its own (`apart`); each row written and told as it
//! finishes. It leans on the gradebook and on the copies; neither leans
//! back on it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;

use super::copies::{free_copies, lay_student_files, Slot};
use super::gradebook::{row_line, write_reports, Row};
use super::{named_submissions, Batch};
use crate::report::Report;
use crate::repos::{Checkout, Submission};
use crate::settings::Target;
use crate::terminal::Display;
use crate::workspace_files::{lab_workspace, own_version, Bundle};

/// The rows finished so far, shared with the caller so an interrupted
/// batch still writes what it has.
pub type Rows = Arc<Mutex<Vec<Row>>>;

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
            let written = write_reports(&batch.out, &row);
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
