//! `--format github`, for a GitHub Actions step: a workflow command per
//! failed check (an annotation on the student's file and line where the hint
//! names one) and per changed given file, then a `Points X/Y` line. Where
//! the step has one, it also appends the Markdown job summary to
//! `$GITHUB_STEP_SUMMARY` (see [`write_step_files`]). All of it is feedback:
//! the workflow that runs it is the student's own file.
//!
//! Text from the submission goes through the workflow commands' own
//! escaping, so it cannot end a command early or start another.

use std::fmt::Write;

use crate::kit::kit;
use crate::report::{Report, Status};

/// The workflow commands and the points line.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for check in report.checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Error)) {
        let level = if check.status == Status::Fail { "error" } else { "warning" };
        let mut message = check.message.clone();
        if let Some(hint) = &check.hint {
            let _ = write!(message, "\nhint: {hint}");
        }
        let at = check.hint.as_deref().and_then(location).or_else(|| location(&check.message));
        let place = match at {
            Some((file, Some(line))) => format!("file={},line={line},", property(&file)),
            Some((file, None)) => format!("file={},", property(&file)),
            None => String::new(),
        };
        let title = property(&format!("{} ({}/{} points)", check.title, check.points, check.max_points));
        let _ = writeln!(out, "::{level} {place}title={title}::{}", data(&message));
    }
    for change in &report.changed_given_files {
        let _ = writeln!(
            out,
            "::warning file={},title=A given file changed::{}",
            property(&change.path),
            data(&format!("{}: only the student files should change", change.describe()))
        );
    }
    for change in &report.changed_build_files {
        let _ = writeln!(
            out,
            "::warning file={},title=A file that decides the build or the grade changed::{}",
            property(&change.path),
            data(&format!("{}: it changes how this repository is built or graded", change.describe()))
        );
    }
    let _ = writeln!(out, "Points {}/{}", report.score, report.max_score);
    out
}

/// The job summary: a table of the checks, their points and hints.
pub fn summary(report: &Report) -> String {
    let mut out =
        format!("## Feedback on {}: {}/{} points\n\n", kit().lab.title, report.score, report.max_score);
    out.push_str(
        "Graded by this repository's own workflow, which you can edit: feedback, not your grade. \
         Your instructor grades your work again with their own grader.\n\n",
    );
    out.push_str("| | check | points | what to do |\n| --- | --- | --- | --- |\n");
    for check in &report.checks {
        let mark = match check.status {
            Status::Pass => "✅",
            Status::Fail => "❌",
            Status::Error => "⚠️",
            Status::Skip => "⏭️",
        };
        let points = if check.max_points > 0 {
            format!("{}/{}", check.points, check.max_points)
        } else {
            String::new()
        };
        let todo = match check.status {
            Status::Pass => String::new(),
            _ => check.hint.clone().unwrap_or_else(|| check.message.clone()),
        };
        let _ =
            writeln!(out, "| {mark} | `{}` {} | {points} | {} |", check.id, cell(&check.title), cell(&todo));
    }
    if !report.changed_given_files.is_empty() {
        out.push_str(
            "\n**Given files that differ from the kit's** (only the student files should change):\n\n",
        );
        for change in &report.changed_given_files {
            let _ = writeln!(out, "- {}", cell(&change.describe()));
        }
    }
    if !report.changed_build_files.is_empty() {
        out.push_str(
            "\n**Files that decide how this repository is built or graded, changed** \
             (the grade that counts uses the kit's):\n\n",
        );
        for change in &report.changed_build_files {
            let _ = writeln!(out, "- {}", cell(&change.describe()));
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>grader {} (kit {}), run {}</sub>",
        report.run.grader_version, report.run.kit_commit, report.run.id
    );
    out
}

/// In a GitHub Actions step: appends the job summary to `$GITHUB_STEP_SUMMARY`
/// where the variable is set.
pub fn write_step_files(report: &Report) -> std::io::Result<()> {
    use std::io::Write;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else { return Ok(()) };
    std::fs::OpenOptions::new().create(true).append(true).open(path)?.write_all(summary(report).as_bytes())
}

/// The student file and line a text names: `lab/src/controllers.rs, TODO 1
/// (line 14)`, or `lab/src/controllers.rs:33:10`.
fn location(text: &str) -> Option<(String, Option<usize>)> {
    kit().student.all().iter().find_map(|student| {
        let at = text.find(&student.file)?;
        let rest = &text[at + student.file.len()..];
        let line = rest
            .strip_prefix(':')
            .map(|r| r.chars().take_while(char::is_ascii_digit).collect::<String>())
            .or_else(|| {
                let before_next = rest.split(" and ").next().unwrap_or(rest);
                let after = before_next.split("(line ").nth(1)?;
                Some(after.chars().take_while(char::is_ascii_digit).collect())
            })
            .and_then(|digits| digits.parse().ok());
        Some((student.file.clone(), line))
    })
}

/// A workflow command's message: `%`, CR and LF escaped as GitHub reads them.
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,` escaped.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text for one Markdown table cell: one line, no column breaks, no HTML.
fn cell(text: &str) -> String {
    super::inert(text).replace('\n', " ").replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_come_from_hints() {
        let hint = "not implemented yet: see lab/src/controllers.rs, TODO 1 (line 14) and static/js/session.js, TODO 1 (line 89)";
        assert_eq!(location(hint), Some(("lab/src/controllers.rs".into(), Some(14))));
        assert_eq!(
            location("at lab/src/controllers.rs:33:10"),
            Some(("lab/src/controllers.rs".into(), Some(33)))
        );
        assert_eq!(location("see static/js/session.js"), Some(("static/js/session.js".into(), None)));
        assert_eq!(location("nothing here"), None);
    }

    #[test]
    fn submission_text_cannot_start_a_workflow_command() {
        let hostile = "line one\n::error::forged\r::set-output name=x::100%";
        assert_eq!(data(hostile), "line one%0A::error::forged%0D::set-output name=x::100%25");
        assert!(!data(hostile).contains('\n'));
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
