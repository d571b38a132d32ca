//! The gradebook: a clone's row (its grade, or why there is none), the
//! reports and the line it is written as when it finishes, and `grades.csv`,
//! a row per clone. It leans on no other part of the batch: the run fills
//! rows and the glance counts them, both through this module, never the
//! other way, so the parts form no circle.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::render::{self, Style};
use crate::report::{Outcome, Report, Status};
use crate::repos::Checkout;

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

/// Writes the clone's JSON, human and HTML reports into the batch's folder, `out`
/// (the class's page links to the HTML one).
pub(super) fn write_reports(out: &Path, row: &Row) -> Result<(), String> {
    let Ok(report) = &row.report else { return Ok(()) };
    let write = |extension: &str, text: String| {
        let file = out.join(format!("{}.{extension}", row.name));
        std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
    };
    write("json", render::json(report))?;
    write("txt", render::human(report, true, Style::PLAIN))?;
    write("html", render::html(report))
}

/// `alice: 65/100 failed (12.3 s)`, the line a finished clone gets.
pub(super) fn row_line(row: &Row, trouble: Option<String>) -> String {
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

pub(super) fn outcome_word(outcome: Outcome) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{report, row};
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        let line =
            csv_line(&["a,b".into(), "say \"hi\"".into(), "=SUM(A1)".into(), "-3".into(), "plain".into()]);
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-3,plain\n");
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
}
