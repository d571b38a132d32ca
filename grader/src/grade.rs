//! The runner: walks the declared checks in order, skips those whose needs
//! did not pass, and turns what each found into the report.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::checks::context::BrowserState;
use crate::checks::{self, Context, Findings, Stage, Verdict};
use crate::kit::kit;
use crate::report::{CheckResult, FileDigest, Report, RunInfo, Status};
use crate::settings::{GivenFilesMode, Settings, Target};

/// Grades what `settings` names. `only` limits the checks (plus what they
/// need); `points` overrides the points of some checks by id.
pub async fn grade(
    settings: Settings,
    only: &[String],
    points: &HashMap<String, u32>,
) -> Result<Report, String> {
    let in_flight = InFlight::enter();
    let gate = settings.given_files == GivenFilesMode::Fail;
    let plan = checks::plan(only, gate)?;
    if let Some(id) = points.keys().find(|id| checks::find(id).is_none()) {
        return Err(format!("--points names `{id}`, which is not a check"));
    }
    // The clone graded: the workspace itself, or the one its student files came from.
    let clone = match &settings.target {
        Target::Workspace { path, .. } => Some(settings.laid_from.clone().unwrap_or_else(|| path.clone())),
        Target::Url(_) => None,
    };
    let submission = match (&settings.target, &settings.laid_from) {
        (Target::Workspace { package, .. }, Some(from)) => {
            format!("{} (its student files over the kit's {package})", from.display())
        }
        (Target::Workspace { path, package, .. }, None) => format!("{} (package {package})", path.display()),
        (Target::Url(url), _) => url.clone(),
    };
    // Once, before the build (cargo itself may rewrite Cargo.lock): for the
    // report, and for the gate when the plan has it.
    let report_them = settings.given_files != GivenFilesMode::Off;
    let gated = plan.iter().any(|c| c.id == checks::setup::GIVEN_FILES_UNTOUCHED.id);
    let (changed_given_files, changed_build_files) = match &clone {
        Some(clone) if report_them || gated => {
            (crate::integrity::changed_given_files(clone), crate::integrity::changed_build_files(clone))
        }
        _ => (Vec::new(), Vec::new()),
    };
    let commit = clone.as_deref().and_then(crate::tracked::commit);
    let progress = settings.progress.clone();
    let mut ctx = Context::new(settings)?;
    ctx.changed_given_files = changed_given_files.clone();
    ctx.changed_build_files = changed_build_files.clone();
    if let (Some(clone), Target::Workspace { package, .. }) = (&clone, &ctx.settings.target) {
        // In overlay mode the clone keeps the kit's layout: its student files are the lab's.
        let package =
            if ctx.settings.laid_from.is_some() { kit().lab.package.clone() } else { package.clone() };
        ctx.unreadable_student_files = crate::integrity::unreadable_student_files(clone, &package);
    }
    if plan.iter().any(|check| check.stage == Stage::Browser) {
        checks::launch_early(&mut ctx);
    }
    let mut satisfied: HashSet<&str> = HashSet::new();
    let mut results = Vec::new();
    let deadline = ctx.settings.deadline.map(|limit| (tokio::time::Instant::now() + limit, limit.as_secs()));
    let mut out_of_time = false;
    for check in plan {
        let max_points = points.get(check.id).copied().unwrap_or(check.points.value());
        let mut result = CheckResult::new(check.id, check.title, max_points);
        if out_of_time {
            result.message = "not run: the grade's deadline had passed".into();
            results.push(result);
            continue;
        }
        // Without a browser every browser check says so, rather than being skipped.
        let no_browser = check.stage == Stage::Browser && matches!(ctx.browser, BrowserState::Unavailable(_));
        let missing = check.needs.iter().find(|need| !satisfied.contains(need.id));
        if let (Some(missing), false) = (missing, no_browser) {
            result.message = format!("skipped: it needs `{}`, which did not pass", missing.id);
            results.push(result);
            continue;
        }
        let started = Instant::now();
        crate::progress::tell(
            &progress,
            crate::progress::Event::Started { id: check.id, title: check.title },
        );
        let mut found = Findings { check: check.id, ..Findings::default() };
        let verdict = match deadline {
            // Dropping a check halfway stops what it started (its build, its server).
            Some((at, seconds)) => match tokio::time::timeout_at(at, (check.run)(&mut ctx, &mut found)).await
            {
                Ok(checked) => checked.unwrap_or_else(|early| early),
                Err(_) => {
                    out_of_time = true;
                    Verdict::Error {
                        message: format!("stopped: the grade's deadline (--deadline {seconds}) passed during this check"),
                        hint: Some(
                            "the submission may hang, or this machine is busy: grade it again with a later --deadline"
                                .into(),
                        ),
                    }
                }
            },
            None => (check.run)(&mut ctx, &mut found).await.unwrap_or_else(|early| early),
        };
        result.duration_ms = started.elapsed().as_millis() as u64;
        result.exchanges = found.exchanges;
        result.log = found.log;
        result.artifacts = found.artifacts;
        match verdict {
            Verdict::Pass(message) => {
                satisfied.insert(check.id);
                result.status = Status::Pass;
                result.points = max_points;
                result.message = message;
            }
            Verdict::NotApplicable(message) => {
                // Not graded here: it neither earns nor loses points.
                satisfied.insert(check.id);
                result.max_points = 0;
                result.message = format!("skipped: {message}");
            }
            Verdict::Skip(message) => result.message = format!("skipped: {message}"),
            Verdict::Fail { message, expected, hint } => {
                result.status = Status::Fail;
                result.message = message;
                result.expected = expected;
                result.hint = hint;
            }
            Verdict::Error { message, hint } => {
                result.status = Status::Error;
                result.message = message;
                result.hint = hint;
            }
        }
        crate::progress::tell(&progress, crate::progress::Event::Finished(&result));
        results.push(result);
    }
    ctx.shutdown().await;
    let mut report = Report::new(submission, results);
    // `auto` says why it graded without a sandbox; `off` was asked for.
    let mut notes: Vec<String> = match ctx.settings.sandbox {
        crate::settings::SandboxMode::Auto => ctx.containment.without_note().into_iter().collect(),
        _ => Vec::new(),
    };
    notes.extend(ctx.end_orphans(in_flight.others()));
    if let Some(from) = &ctx.settings.laid_from {
        let files: Vec<&str> = kit().student.all().iter().map(|f| f.file.as_str()).collect();
        notes.push(format!(
            "graded {} of {} over the kit's lab: its other files were not built (`--as-is` builds the clone as it is)",
            files.join(" and "),
            from.display()
        ));
        if !changed_build_files.is_empty() {
            notes.push(
                "the clone's build files were not used: its student files were built with the kit's own"
                    .into(),
            );
        }
    }
    let mode = match (&ctx.settings.target, &ctx.settings.laid_from) {
        (Target::Url(_), _) => "url",
        (_, Some(_)) => "overlay",
        (_, None) => "as-is",
    };
    report.run = RunInfo {
        id: ctx.run_id.clone(),
        grader_version: env!("CARGO_PKG_VERSION").into(),
        kit_commit: env!("GRADER_KIT_COMMIT").into(),
        sandbox: ctx.containment.describe(),
        student_files: student_files(&ctx.settings.target),
        notes,
        mode: mode.into(),
        commit,
    };
    if report_them {
        report.changed_given_files = changed_given_files;
        report.changed_build_files = changed_build_files;
    }
    Ok(report)
}

/// The grades this process runs at once (`grader batch --jobs N`).
static GRADES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// One grade, counted in [`GRADES_IN_FLIGHT`] for as long as it lives.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        GRADES_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }

    /// How many other grades run now.
    fn others(&self) -> usize {
        GRADES_IN_FLIGHT.load(Ordering::SeqCst).saturating_sub(1)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        GRADES_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// SHA-256 of each student file, as graded (none for a server at a URL).
fn student_files(target: &Target) -> Vec<FileDigest> {
    use sha2::{Digest, Sha256};
    let Target::Workspace { path, package, .. } = target else {
        return Vec::new();
    };
    kit()
        .student
        .all()
        .iter()
        .map(|student| {
            let relative = student.path_for(package);
            let sha256 = crate::build_files::read_regular(&path.join(relative))
                .map(|bytes| Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect());
            FileDigest { path: relative.to_owned(), sha256 }
        })
        .collect()
}
