//! The runner: walks the declared checks in order, skips those whose needs
//! did not pass, and turns what each found into the report.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::checks::context::BrowserState;
use crate::checks::{self, Context, Findings, Stage, Verdict};
use crate::report::{CheckResult, Report, Status};
use crate::settings::{Settings, Target};

/// Grades what `settings` names. `only` limits the checks (plus what they
/// need); `points` overrides the points of some checks by id.
pub async fn grade(
    settings: Settings,
    only: &[String],
    points: &HashMap<String, u32>,
) -> Result<Report, String> {
    let plan = checks::plan(only)?;
    if let Some(id) = points.keys().find(|id| checks::find(id).is_none()) {
        return Err(format!("--points names `{id}`, which is not a check"));
    }
    let submission = match &settings.target {
        Target::Workspace { path, package, .. } => {
            format!("{} (package {package})", path.display())
        }
        Target::Url(url) => url.clone(),
    };
    let mut ctx = Context::new(settings).map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let mut satisfied: HashSet<&str> = HashSet::new();
    let mut results = Vec::new();
    for check in plan {
        let max_points = points.get(check.id).copied().unwrap_or(check.points);
        let mut result = CheckResult {
            id: check.id.to_owned(),
            title: check.title.to_owned(),
            status: Status::Skip,
            points: 0,
            max_points,
            message: String::new(),
            hint: None,
            expected: None,
            exchanges: Vec::new(),
            artifacts: Vec::new(),
            log: Vec::new(),
            duration_ms: 0,
        };
        // Without a browser every browser check says so, rather than being skipped.
        let no_browser = check.stage == Stage::Browser && matches!(ctx.browser, BrowserState::Unavailable(_));
        let missing = check.needs.iter().find(|need| !satisfied.contains(need.id));
        if let (Some(missing), false) = (missing, no_browser) {
            result.message = format!("skipped: it needs `{}`, which did not pass", missing.id);
            results.push(result);
            continue;
        }
        let started = Instant::now();
        let mut found = Findings { check: check.id, ..Findings::default() };
        let verdict = (check.run)(&mut ctx, &mut found).await;
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
        results.push(result);
    }
    ctx.shutdown().await;
    Ok(Report::new(submission, results))
}
