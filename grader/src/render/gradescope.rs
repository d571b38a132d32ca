//! `--format gradescope`: Gradescope's `results.json` (its autograder
//! specification): the score, each check as a test with its points, status
//! and output, and the human report as the overall output.

use serde_json::{json, Value};

use super::{human, Style};
use crate::report::{Report, Status};

pub fn gradescope(report: &Report) -> String {
    let tests: Vec<Value> = report
        .checks
        .iter()
        .enumerate()
        .map(|(number, check)| {
            let mut output = check.message.clone();
            if let Some(expected) = &check.expected {
                output.push_str(&format!("\nExpected: {expected}"));
            }
            if let Some(hint) = &check.hint {
                output.push_str(&format!("\nHint: {hint}"));
            }
            let mut test = json!({
                "name": format!("{}: {}", check.id, check.title),
                "number": (number + 1).to_string(),
                "score": check.points,
                "max_score": check.max_points,
                "output": output,
                "visibility": "visible",
            });
            // Gradescope knows passed and failed; a skip that costs nothing has neither.
            let status = match check.status {
                Status::Pass => Some("passed"),
                Status::Fail | Status::Error => Some("failed"),
                Status::Skip if check.max_points > 0 => Some("failed"),
                Status::Skip => None,
            };
            if let Some(status) = status {
                test["status"] = status.into();
            }
            test
        })
        .collect();
    let total_ms: u64 = report.checks.iter().map(|c| c.duration_ms).sum();
    let results = json!({
        "score": report.score,
        "execution_time": total_ms.div_ceil(1000),
        "output": human(report, false, Style::PLAIN),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "max_score": report.max_score,
            "outcome": report.outcome,
            "run": report.run,
            "changed_given_files": report.changed_given_files,
            "changed_build_files": report.changed_build_files,
        },
    });
    serde_json::to_string_pretty(&results).unwrap_or_default() + "\n"
}
