//! `--format junit`: JUnit XML, as CI test viewers read it. One `testcase`
//! per check (its class the stage, its time in seconds): `failure` for a
//! fail, `error` for an error, `skipped` for a skip; the message, what was
//! expected and the hint inside.

use std::fmt::Write;

use super::markup;
use crate::checks;
use crate::report::{Report, Status};

pub fn junit(report: &Report) -> String {
    let count = |status| report.count(status);
    let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let total_ms: u64 = report.checks.iter().map(|c| c.duration_ms).sum();
    let totals = format!(
        r#"tests="{}" failures="{}" errors="{}" skipped="{}" time="{}""#,
        report.checks.len(),
        count(Status::Fail),
        count(Status::Error),
        count(Status::Skip),
        seconds(total_ms)
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="grader" {totals}>"#);
    let _ = writeln!(out, r#"  <testsuite name="{}" {totals}>"#, markup(&report.submission));
    out.push_str("    <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(out, r#"      <property name="{name}" value="{}"/>"#, markup(value));
    };
    property("score", &report.score.to_string());
    property("max_score", &report.max_score.to_string());
    property("run_id", &report.run.id);
    property("grader_version", &report.run.grader_version);
    property("kit_commit", &report.run.kit_commit);
    property("sandbox", &report.run.sandbox);
    for change in &report.changed_given_files {
        property("changed_given_file", &change.describe());
    }
    for change in &report.changed_build_files {
        property("changed_build_file", &change.describe());
    }
    out.push_str("    </properties>\n");
    for check in &report.checks {
        let stage = checks::find(&check.id).map_or("http", |c| c.stage.name());
        let _ = write!(
            out,
            r#"    <testcase classname="{stage}" name="{}: {}" time="{}""#,
            markup(&check.id),
            markup(&check.title),
            seconds(check.duration_ms)
        );
        let mut body = check.message.clone();
        if let Some(expected) = &check.expected {
            let _ = write!(body, "\nexpected: {expected}");
        }
        if let Some(hint) = &check.hint {
            let _ = write!(body, "\nhint: {hint}");
        }
        let first_line = check.message.lines().next().unwrap_or_default();
        let element = match check.status {
            Status::Pass => None,
            Status::Fail => Some("failure"),
            Status::Error => Some("error"),
            Status::Skip => Some("skipped"),
        };
        match element {
            None => out.push_str("/>\n"),
            Some("skipped") => {
                let _ =
                    writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", markup(first_line));
            }
            Some(element) => {
                let _ = writeln!(
                    out,
                    ">\n      <{element} message=\"{}\" type=\"{element}\">{}</{element}>\n    </testcase>",
                    markup(first_line),
                    markup(&body)
                );
            }
        }
    }
    // One `system-err` at most, as JUnit's schema has it.
    let mut warnings = Vec::new();
    if !report.changed_given_files.is_empty() {
        let named: Vec<String> = report.changed_given_files.iter().map(|c| c.describe()).collect();
        warnings.push(format!("warning: given files differ from the kit's: {}", named.join(", ")));
    }
    if !report.changed_build_files.is_empty() {
        let named: Vec<String> = report.changed_build_files.iter().map(|c| c.describe()).collect();
        warnings.push(format!(
            "warning: files that decide how the clone is built or graded differ from the kit's: {}",
            named.join(", ")
        ));
    }
    if !warnings.is_empty() {
        let _ = writeln!(out, "    <system-err>{}</system-err>", markup(&warnings.join("\n")));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
