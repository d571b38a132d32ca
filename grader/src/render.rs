//! Renderers: the report as a person reads it in a terminal, or as JSON.

use std::fmt::Write;

use colored::{ColoredString, Colorize};

use crate::report::{CheckResult, Exchange, Report, Status};

/// The report as JSON (the schema in the README).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serializes")
}

/// The report for a terminal. Colour follows the `colored` crate's global
/// switch, which the binary turns off for pipes and `NO_COLOR`.
pub fn human(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}\n", "Grading".bold(), report.submission);
    let id_width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for check in &report.checks {
        let points = if check.max_points > 0 {
            format!("{}/{}", check.points, check.max_points)
        } else {
            String::new()
        };
        let line =
            format!(" {} {:<id_width$}  {}  {}", badge(check.status), check.id, check.title, points.dimmed());
        let _ = writeln!(out, "{}", line.trim_end());
        if check.status != Status::Pass || verbose {
            details(&mut out, check, verbose);
        }
    }
    let _ = writeln!(out, "\n{}", summary(report));
    out
}

fn badge(status: Status) -> ColoredString {
    match status {
        Status::Pass => "PASS ".green().bold(),
        Status::Fail => "FAIL ".red().bold(),
        Status::Error => "ERROR".yellow().bold(),
        Status::Skip => "SKIP ".dimmed(),
    }
}

/// The indented lines under a check: message, exchange, expected, hint.
fn details(out: &mut String, check: &CheckResult, verbose: bool) {
    let pad = "        ";
    let label = |name: &str| format!("{name:<9}").dimmed();
    for line in check.message.lines() {
        let _ = writeln!(out, "{pad}{line}");
    }
    let shown: Vec<&Exchange> = if verbose {
        check.exchanges.iter().collect()
    } else if matches!(check.status, Status::Fail | Status::Error) {
        check.exchanges.last().into_iter().collect()
    } else {
        Vec::new()
    };
    for exchange in shown {
        let body = exchange.request_body.as_deref().map(|b| format!("  {b}")).unwrap_or_default();
        let cookies =
            if exchange.cookies.is_empty() { "none".to_string() } else { exchange.cookies.join("; ") };
        let _ = writeln!(out, "{pad}{} {} {}{body}", label("sent"), exchange.method, exchange.url);
        let _ = writeln!(out, "{pad}{} {cookies}", label("cookies"));
        match (&exchange.status, &exchange.error) {
            (Some(status), _) => {
                let kind = exchange.content_type.as_deref().unwrap_or("no content type");
                let body = exchange.response_body.as_deref().unwrap_or("");
                let _ = writeln!(out, "{pad}{} {status} ({kind})  {}", label("got"), body.replace('\n', " "));
            }
            (None, Some(error)) => {
                let _ = writeln!(out, "{pad}{} {error}", label("got"));
            }
            (None, None) => {}
        }
    }
    if let Some(expected) = &check.expected {
        if check.status == Status::Fail {
            let _ = writeln!(out, "{pad}{} {expected}", label("expected"));
        }
    }
    if let Some(hint) = &check.hint {
        let _ = writeln!(out, "{pad}{} {}", label("hint").cyan(), hint.cyan());
    }
    for artifact in &check.artifacts {
        let _ = writeln!(out, "{pad}{} {artifact}", label("saved"));
    }
    if verbose {
        for line in &check.log {
            let _ = writeln!(out, "{pad}{} {line}", label("log"));
        }
    }
}

/// "Score: 45/100 · 6 passed, 1 failed, 6 skipped", coloured by the outcome.
pub fn summary(report: &Report) -> String {
    let mut counts = vec![format!("{} passed", report.count(Status::Pass))];
    for (status, word) in
        [(Status::Fail, "failed"), (Status::Error, "could not be graded"), (Status::Skip, "skipped")]
    {
        let n = report.count(status);
        if n > 0 {
            counts.push(format!("{n} {word}"));
        }
    }
    let line = format!("Score: {}/{} · {}", report.score, report.max_score, counts.join(", "));
    match report.exit_code() {
        0 => line.green().bold().to_string(),
        1 => line.red().bold().to_string(),
        _ => format!("{} (not a final grade: some checks could not run here)", line)
            .yellow()
            .bold()
            .to_string(),
    }
}
