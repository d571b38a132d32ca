//! `--format classroom50`, for Classroom 50's runner (`runner.py`), which
//! runs the assignment's `autograder.py` in the student's checkout and reads
//! back what it leaves there:
//!
//! - `result.json` ([`result`]): schema `classroom50/result/v1`, its identity
//!   fields from the runner's environment, integer points, a test per check;
//! - `release-body.md` ([`release_body`]): the Release notes and the run's
//!   Summary page, Markdown, the submission's text fenced so it can neither
//!   close its fence nor start a workflow command;
//! - `status=` and `summary=` lines in `$GITHUB_OUTPUT` ([`step_outputs`]):
//!   the commit status and its one-line description.
//!
//! [`problems`] is the runner's validation, written out, so the tests can
//! hold every result the grader writes to it.

use std::fmt::Write;

use serde_json::{json, Value};

use super::inert;
use crate::kit::kit;
use crate::report::{Report, Status};

/// The schema Classroom 50's runner accepts.
pub const SCHEMA: &str = "classroom50/result/v1";

/// The longest commit-status description GitHub takes.
pub const SUMMARY_LIMIT: usize = 140;

/// Who and what a result is about, as the runner's environment says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub classroom: String,
    pub assignment: String,
    pub submission: String,
    pub commit: String,
    pub release: String,
    pub review: String,
}

impl Identity {
    /// From `CLASSROOM`, `ASSIGNMENT`, `SUBMISSION_TAG`, `COMMIT_URL`,
    /// `RELEASE_URL` and `REVIEW_URL`; empty where one is not set (outside
    /// the runner, where nobody validates the result).
    pub fn from_env() -> Identity {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        Identity {
            classroom: var("CLASSROOM"),
            assignment: var("ASSIGNMENT"),
            submission: var("SUBMISSION_TAG"),
            commit: var("COMMIT_URL"),
            release: var("RELEASE_URL"),
            review: var("REVIEW_URL"),
        }
    }
}

/// The checks that count in Classroom 50: all but those skipped at no cost
/// (they do not apply here, such as the browser checks with `--no-browser`),
/// which would read as failed tests.
fn counted(report: &Report) -> impl Iterator<Item = &crate::report::CheckResult> {
    report.checks.iter().filter(|c| !(c.status == Status::Skip && c.max_points == 0))
}

/// `result.json`, from the runner's environment.
pub fn classroom50(report: &Report) -> String {
    serde_json::to_string_pretty(&result(report, &Identity::from_env())).unwrap_or_default() + "\n"
}

/// `result.json` as a value. Each test keeps the check's id, status, message
/// and hint as extra fields, which the runner keeps verbatim.
pub fn result(report: &Report, who: &Identity) -> Value {
    let tests: Vec<Value> = counted(report)
        .map(|check| {
            let mut test = json!({
                "test-name": format!("{}: {}", check.id, check.title),
                "passed": check.status == Status::Pass,
                "score": check.points,
                "max-score": check.max_points,
                "id": check.id,
                "status": check.status,
            });
            if check.status != Status::Pass {
                test["message"] = check.message.clone().into();
                if let Some(hint) = &check.hint {
                    test["hint"] = hint.clone().into();
                }
            }
            test
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "classroom": who.classroom,
        "assignment": who.assignment,
        "submission": who.submission,
        "commit": who.commit,
        "release": who.release,
        "review": who.review,
        "score": report.score,
        "max-score": report.max_score,
        "tests": tests,
        "outcome": report.outcome,
        "run": report.run,
        "changed_given_files": report.changed_given_files,
        "changed_build_files": report.changed_build_files,
    })
}

/// What the runner would refuse in `result`, given the environment it runs
/// in: its own rules, one message each (empty: it takes the result).
pub fn problems(result: &Value, who: &Identity) -> Vec<String> {
    let mut wrong = Vec::new();
    let text = |key: &str| result.get(key).and_then(Value::as_str);
    // Booleans and floats are not integers to the runner; serde_json agrees.
    let count = |value: Option<&Value>| value.and_then(Value::as_u64);
    if text("schema") != Some(SCHEMA) {
        wrong.push(format!("`schema` is not \"{SCHEMA}\""));
    }
    if text("classroom") != Some(who.classroom.as_str()) {
        wrong.push("`classroom` is not the runner's $CLASSROOM".into());
    }
    if text("assignment") != Some(who.assignment.as_str()) {
        wrong.push("`assignment` is not the runner's $ASSIGNMENT".into());
    }
    if !text("submission").is_some_and(|s| s.starts_with("submit/")) {
        wrong.push("`submission` does not start with `submit/`".into());
    }
    for key in ["commit", "release", "review"] {
        if text(key).is_none_or(str::is_empty) {
            wrong.push(format!("`{key}` is not a non-empty string"));
        }
    }
    let (score, max) = (count(result.get("score")), count(result.get("max-score")));
    match (score, max) {
        (Some(score), Some(max)) if score > max => {
            wrong.push(format!("`score` {score} is over `max-score` {max}"))
        }
        (Some(_), Some(_)) => {}
        _ => wrong.push("`score` and `max-score` are not both non-negative integers".into()),
    }
    let Some(tests) = result.get("tests").and_then(Value::as_array) else {
        wrong.push("`tests` is not a list".into());
        return wrong;
    };
    for (number, test) in tests.iter().enumerate() {
        let name = test.get("test-name").and_then(Value::as_str).unwrap_or_default();
        let label = format!("test {} ({name:?})", number + 1);
        if name.is_empty() {
            wrong.push(format!("{label} has no `test-name`"));
        }
        if !test.get("passed").is_some_and(Value::is_boolean) {
            wrong.push(format!("{label}: `passed` is not a boolean"));
        }
        match (count(test.get("score")), count(test.get("max-score"))) {
            (Some(score), Some(max)) if score > max => {
                wrong.push(format!("{label}: `score` is over `max-score`"))
            }
            (Some(_), Some(_)) => {}
            _ => wrong.push(format!("{label}: `score` and `max-score` are not both integers")),
        }
    }
    // Not the runner's rule, but the wiki's promise: the score is the tests' sum.
    let sums = |key: &str| tests.iter().filter_map(|t| count(t.get(key))).sum::<u64>();
    if score.is_some_and(|s| s != sums("score")) || max.is_some_and(|m| m != sums("max-score")) {
        wrong.push("`score` or `max-score` is not the sum of the tests'".into());
    }
    wrong
}

/// `status=` (`success`, `failure` or `error`) and `summary=` (at most
/// [`SUMMARY_LIMIT`] characters, the grader's own words only), each a line
/// of `$GITHUB_OUTPUT`.
pub fn step_outputs(report: &Report) -> String {
    let status = match report.exit_code() {
        0 => "success",
        1 => "failure",
        _ => "error",
    };
    format!("status={status}\nsummary={}\n", summary_line(report))
}

/// "Feedback: 65/100 points, 3 checks failed": the commit status's description.
fn summary_line(report: &Report) -> String {
    let (failed, errors) = (report.count(Status::Fail), report.count(Status::Error));
    let mut line = format!("Feedback: {}/{} points", report.score, report.max_score);
    if failed > 0 {
        let _ = write!(line, ", {failed} check{} failed", if failed == 1 { "" } else { "s" });
    }
    if errors > 0 {
        let _ = write!(line, ", {errors} could not be graded");
    }
    line.chars().take(SUMMARY_LIMIT).collect()
}

/// The Release notes: the score, a table of the checks (the grader's own
/// words), and what to fix, the submission's text in fences it cannot close.
pub fn release_body(report: &Report) -> String {
    let mut out = format!("## {}: {}/{} points\n\n", kit().lab.title, report.score, report.max_score);
    out.push_str(
        "Feedback from the grade run on your repository's own push. The grade that counts is \
         your instructor's: they grade your work again at the deadline, with their own grader.\n\n",
    );
    out.push_str("| | check | points |\n| --- | --- | --- |\n");
    for check in counted(report) {
        let _ = writeln!(
            out,
            "| {} | `{}` {} | {}/{} |",
            mark(check.status),
            check.id,
            check.title,
            check.points,
            check.max_points
        );
    }
    let to_fix: Vec<_> =
        counted(report).filter(|c| matches!(c.status, Status::Fail | Status::Error)).collect();
    if !to_fix.is_empty() {
        out.push_str("\n### What to fix\n");
    }
    for check in to_fix {
        let mut said = check.message.clone();
        if let Some(expected) = check.expected.as_ref().filter(|_| check.status == Status::Fail) {
            let _ = write!(said, "\nexpected: {expected}");
        }
        if let Some(hint) = &check.hint {
            let _ = write!(said, "\nhint: {hint}");
        }
        let _ = write!(out, "\n{} `{}` {}\n\n{}", mark(check.status), check.id, check.title, fenced(&said));
    }
    if !report.changed_given_files.is_empty() {
        out.push_str(
            "\n### Given files that differ from the kit's\n\nOnly the student files should change.\n\n",
        );
        let list: Vec<String> = report.changed_given_files.iter().map(|c| c.describe()).collect();
        out.push_str(&fenced(&list.join("\n")));
    }
    if !report.changed_build_files.is_empty() {
        out.push_str("\n### Files that decide how this repository is built or graded, changed\n\n");
        let list: Vec<String> = report.changed_build_files.iter().map(|c| c.describe()).collect();
        out.push_str(&fenced(&list.join("\n")));
    }
    let _ = writeln!(
        out,
        "\n<sub>grader {} (kit {}), run {}, sandbox: {}</sub>",
        report.run.grader_version,
        report.run.kit_commit,
        report.run.id,
        inert(&report.run.sandbox).replace('<', "&lt;")
    );
    out
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Fail => "❌",
        Status::Error => "⚠️",
        Status::Skip => "⏭️",
    }
}

/// `text` in a code fence longer than any run of backticks in it (so it
/// cannot close the fence), its lines made inert (no escape sequences, and
/// no workflow command where the body is echoed into a log).
fn fenced(text: &str) -> String {
    let shown = inert(text);
    let longest = shown.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}text\n{shown}\n{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckResult;

    fn who() -> Identity {
        Identity {
            classroom: "cs101".into(),
            assignment: "sessions".into(),
            submission: "submit/20261130T120000Z-abc1234".into(),
            commit: "https://example.invalid/commit".into(),
            release: "https://example.invalid/release".into(),
            review: "https://example.invalid/review".into(),
        }
    }

    fn report() -> Report {
        let mut pass = CheckResult::new("builds", "The crate builds", 5);
        pass.status = Status::Pass;
        pass.points = 5;
        let mut fail = CheckResult::new("creates-session", "The login request creates a session", 20);
        fail.status = Status::Fail;
        fail.message = "```\n::error::forged\n##[add-mask]x\n\x1b[31m".into();
        fail.hint = Some("see lab/src/controllers.rs".into());
        let not_here = CheckResult::new("browser-login", "In a browser", 0);
        Report::new("here".into(), vec![pass, fail, not_here])
    }

    #[test]
    fn a_result_passes_the_runners_rules() {
        let result = result(&report(), &who());
        assert_eq!(problems(&result, &who()), Vec::<String>::new());
        assert_eq!(result["score"], 5);
        assert_eq!(result["max-score"], 25);
        let tests = result["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 2, "a check skipped at no cost is no test: {tests:?}");
        assert_eq!(tests[1]["passed"], false);
        assert_eq!(tests[1]["hint"], "see lab/src/controllers.rs");
    }

    #[test]
    fn each_rule_of_the_runner_is_checked() {
        let good = result(&report(), &who());
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut result = good.clone();
            edit(&mut result);
            problems(&result, &who())
        };
        type Break = fn(&mut Value);
        let cases: Vec<(&str, Break)> = vec![
            ("schema", |r| r["schema"] = "classroom50/result/v2".into()),
            ("classroom", |r| r["classroom"] = "other".into()),
            ("assignment", |r| r["assignment"] = "other".into()),
            ("submission", |r| r["submission"] = "v1".into()),
            ("commit", |r| r["commit"] = "".into()),
            ("release", |r| r["release"] = Value::Null),
            ("review", |r| r["review"] = 3.into()),
            ("over", |r| r["score"] = 26.into()),
            ("negative", |r| r["score"] = (-1).into()),
            ("float", |r| r["max-score"] = 25.5.into()),
            ("boolean", |r| r["score"] = true.into()),
            ("tests", |r| r["tests"] = "none".into()),
            ("name", |r| r["tests"][0]["test-name"] = "".into()),
            ("passed", |r| r["tests"][0]["passed"] = "yes".into()),
            ("test score", |r| r["tests"][0]["score"] = 6.into()),
            ("test float", |r| r["tests"][0]["max-score"] = 5.0.into()),
            ("sum", |r| r["tests"][0]["score"] = 4.into()),
        ];
        for (what, edit) in cases {
            assert!(!broken(&edit).is_empty(), "a result with a bad {what} was taken");
        }
    }

    #[test]
    fn the_release_body_keeps_submission_text_in_its_fence() {
        let body = release_body(&report());
        assert!(body.contains("````text\n"), "a fence longer than the text's backticks: {body}");
        assert!(!body.lines().any(|l| l.trim_start().starts_with("::")), "{body}");
        assert!(!body.contains("##[add-mask]"), "{body}");
        assert!(!body.contains('\x1b'), "{body}");
        assert!(body.contains("Feedback"), "{body}");
    }

    #[test]
    fn the_step_outputs_are_two_short_lines() {
        let outputs = step_outputs(&report());
        assert_eq!(outputs, "status=failure\nsummary=Feedback: 5/25 points, 1 check failed\n");
        assert!(outputs.lines().all(|l| l.len() <= SUMMARY_LIMIT + 8));
    }
}
