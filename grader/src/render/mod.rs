//! Renderers: the report as a person reads it in a terminal, or as JSON;
//! as a page (`html`); and for the platforms that grade (`junit`,
//! `gradescope`, `github`, `classroom50`), each from the same report.

use std::fmt::Write;

pub mod classroom50;
mod github;
mod gradescope;
mod html;
mod junit;
pub mod story;

pub use classroom50::classroom50;
pub use github::{github, write_step_files as write_github_step_files};
pub use gradescope::gradescope;
pub use html::html;
pub use junit::junit;

use crate::report::{CheckResult, Exchange, Report, Status};

/// How text is dressed: colour for a terminal, plain for files and pipes.
/// Each render call takes one, so a file and a terminal can get the same
/// report in their own style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };
    pub const COLOR: Style = Style { color: true };

    /// Colour (and UTF-8 bars) when the stream is a terminal, `NO_COLOR` is
    /// not set and `TERM` is not `dumb`; or when `CLICOLOR_FORCE` asks for it anyway.
    pub fn for_stream(is_terminal: bool) -> Style {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        Style::from_env(is_terminal, var("CLICOLOR_FORCE"), var("NO_COLOR"), var("TERM"))
    }

    /// [`Style::for_stream`], given the variables' values.
    fn from_env(
        is_terminal: bool,
        clicolor_force: Option<String>,
        no_color: Option<String>,
        term: Option<String>,
    ) -> Style {
        let forced = clicolor_force.is_some_and(|v| v != "0");
        let refused = no_color.is_some_and(|v| !v.is_empty()) || term.as_deref() == Some("dumb");
        Style { color: forced || (is_terminal && !refused) }
    }

    fn paint(self, text: &str, sgr: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint(text, "1")
    }

    fn dimmed(self, text: &str) -> String {
        self.paint(text, "2")
    }

    fn cyan(self, text: &str) -> String {
        self.paint(text, "36")
    }

    fn green_bold(self, text: &str) -> String {
        self.paint(text, "1;32")
    }

    fn red_bold(self, text: &str) -> String {
        self.paint(text, "1;31")
    }

    fn yellow_bold(self, text: &str) -> String {
        self.paint(text, "1;33")
    }
}

/// The report as JSON (the schema in the README).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report always serializes")
}

/// The report as a person reads it, in `style`.
pub fn human(report: &Report, verbose: bool, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}\n", style.bold("Grading"), report.submission);
    let id_width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for check in &report.checks {
        let points = if check.max_points > 0 {
            format!("{}/{}", check.points, check.max_points)
        } else {
            String::new()
        };
        let line = format!(
            " {} {:<id_width$}  {}  {}",
            badge(check.status, style),
            check.id,
            check.title,
            style.dimmed(&points)
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if check.status != Status::Pass || verbose {
            details(&mut out, check, verbose, style);
        }
    }
    let _ = writeln!(out, "\n{}", score_line(report, style, Some(points_bar(report, style))));
    if !report.changed_given_files.is_empty() {
        let count = report.changed_given_files.len();
        let heading = format!(
            "warning: {count} given file{} differ{} from the kit's (only the student files should change):",
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" }
        );
        let _ = writeln!(out, "{}", style.yellow_bold(&heading));
        for change in &report.changed_given_files {
            let _ = writeln!(out, "  {}", inert(&change.describe()));
        }
    }
    if !report.changed_build_files.is_empty() {
        let count = report.changed_build_files.len();
        let heading = format!(
            "warning: {count} file{} that decide{} how the clone is built or graded differ{} from the kit's \
             (manifest, lock, .cargo/, toolchain, build.rs, .github/):",
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" },
            if count == 1 { "s" } else { "" }
        );
        let _ = writeln!(out, "{}", style.yellow_bold(&heading));
        for change in &report.changed_build_files {
            let _ = writeln!(out, "  {}", inert(&change.describe()));
        }
    }
    for note in &report.run.notes {
        let _ = writeln!(out, "{} {}", style.yellow_bold("note:"), inert(note));
    }
    if !report.run.id.is_empty() {
        let run = &report.run;
        let footer = format!(
            "grader {} (kit {}) · run {} · sandbox: {}",
            run.grader_version, run.kit_commit, run.id, run.sandbox
        );
        let _ = writeln!(out, "{}", style.dimmed(&footer));
    }
    out
}

fn badge(status: Status, style: Style) -> String {
    match status {
        Status::Pass => style.green_bold("PASS "),
        Status::Fail => style.red_bold("FAIL "),
        Status::Error => style.yellow_bold("ERROR"),
        Status::Skip => style.dimmed("SKIP "),
    }
}

/// The indented lines under a check: message, exchange, expected, hint.
fn details(out: &mut String, check: &CheckResult, verbose: bool, style: Style) {
    let pad = "        ";
    let label = |name: &str| style.dimmed(&format!("{name:<9}"));
    for line in check.message.lines() {
        let _ = writeln!(out, "{pad}{}", inert(line));
    }
    let shown: Vec<&Exchange> = if verbose {
        check.exchanges.iter().collect()
    } else if matches!(check.status, Status::Fail | Status::Error) {
        check.exchanges.last().into_iter().collect()
    } else {
        Vec::new()
    };
    for exchange in shown {
        let body = exchange.request_body.as_deref().map(|b| format!("  {}", inert(b))).unwrap_or_default();
        let cookies =
            if exchange.cookies.is_empty() { "none".to_string() } else { exchange.cookies.join("; ") };
        let _ = writeln!(
            out,
            "{pad}{} {} {}{body}",
            label("sent"),
            inert(&exchange.method),
            inert(&exchange.url)
        );
        let _ = writeln!(out, "{pad}{} {}", label("cookies"), inert(&cookies));
        match (&exchange.status, &exchange.error) {
            (Some(status), _) => {
                let kind = exchange.content_type.as_deref().unwrap_or("no content type");
                let body = exchange.response_body.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "{pad}{} {status} ({})  {}",
                    label("got"),
                    inert(kind),
                    inert(&body.replace('\n', " "))
                );
            }
            (None, Some(error)) => {
                let _ = writeln!(out, "{pad}{} {}", label("got"), inert(error));
            }
            (None, None) => {}
        }
    }
    if let Some(expected) = &check.expected {
        if check.status == Status::Fail {
            let _ = writeln!(out, "{pad}{} {}", label("expected"), inert(expected));
        }
    }
    if let (Status::Fail | Status::Error, 0) = (check.status, check.max_points) {
        if let Some(why) = crate::checks::find(&check.id).and_then(|c| c.points.why_nothing()) {
            let _ = writeln!(out, "{pad}{} {why}", label("no points"));
        }
    }
    if let Some(hint) = &check.hint {
        let _ = writeln!(out, "{pad}{} {}", style.cyan(&label("hint")), style.cyan(&inert(hint)));
    }
    for artifact in &check.artifacts {
        let _ = writeln!(out, "{pad}{} {}", label("saved"), inert(artifact));
    }
    if verbose {
        for line in &check.log {
            let _ = writeln!(out, "{pad}{} {}", label("log"), inert(line));
        }
    }
}

/// Text that came from the submission, made inert for a terminal or a CI log:
/// control characters (escape sequences, carriage returns, bells) and the
/// format characters that reorder or hide text (bidi controls, byte-order
/// marks) are shown as escapes, and no line can start a CI workflow command
/// (`::error::`) nor hold GitHub's older form (`##[add-mask]`) anywhere.
pub fn inert(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => shown.push(c),
            c if c.is_control() || hides_or_reorders(c) => shown.push_str(&c.escape_default().to_string()),
            c => shown.push(c),
        }
    }
    // A zero-width space between the two `#`s keeps GitHub from reading a command.
    let shown = shown.replace("##[", "#\u{200B}#[");
    shown
        .split('\n')
        .map(|line| match line.trim_start().strip_prefix("::") {
            // A zero-width space keeps "::" from being read as a command.
            Some(rest) => format!("{}:\u{200B}:{rest}", &line[..line.len() - line.trim_start().len()]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Line and paragraph separators, bidi embeddings, overrides and isolates,
/// the marks that flip a line's direction, and the byte-order mark: shown as
/// they are, they make a text read otherwise than it is.
fn hides_or_reorders(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}')
}

/// Text for HTML and XML, as character data or an attribute value: markup
/// escaped, and characters XML 1.0 cannot hold (most control characters)
/// written out as `\u{1b}`.
pub fn markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\n' | '\t' => escaped.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                escaped.push_str(&c.escape_default().to_string())
            }
            c => escaped.push(c),
        }
    }
    escaped
}

/// How many cells the bar of points has.
const BAR_CELLS: u32 = 20;

/// The points as a bar of [`BAR_CELLS`] cells, filled in proportion to the
/// score: `█████░░░░░` in the outcome's colour, or `#####-----` in plain
/// style (a file, a pipe, `NO_COLOR`, `TERM=dumb`). A cell is filled for
/// any point at all, and the bar is full only with every point.
pub fn points_bar(report: &Report, style: Style) -> String {
    let filled = match (report.score, report.max_score) {
        (_, 0) | (0, _) => 0,
        (score, max) if score >= max => BAR_CELLS,
        (score, max) => (u64::from(score) * u64::from(BAR_CELLS) / u64::from(max))
            .clamp(1, u64::from(BAR_CELLS) - 1) as u32,
    } as usize;
    let empty = BAR_CELLS as usize - filled;
    if !style.color {
        return format!("{}{}", "#".repeat(filled), "-".repeat(empty));
    }
    let full = "█".repeat(filled);
    let full = match report.exit_code() {
        _ if filled == 0 => full,
        0 => style.paint(&full, "32"),
        1 => style.paint(&full, "31"),
        _ => style.paint(&full, "33"),
    };
    let rest = if empty == 0 { String::new() } else { style.dimmed(&"░".repeat(empty)) };
    format!("{full}{rest}")
}

/// "Score: 45/100 · 6 passed, 1 failed, 6 skipped", coloured by the outcome.
pub fn summary(report: &Report, style: Style) -> String {
    score_line(report, style, None)
}

/// The summary, with `bar` (if any) after the score: the human report's
/// closing line, "Score: 45/100 █████████░░░░░░░░░░░ · 6 passed, ...".
fn score_line(report: &Report, style: Style, bar: Option<String>) -> String {
    let mut counts = vec![format!("{} passed", report.count(Status::Pass))];
    for (status, word) in
        [(Status::Fail, "failed"), (Status::Error, "could not be graded"), (Status::Skip, "skipped")]
    {
        let n = report.count(status);
        if n > 0 {
            counts.push(format!("{n} {word}"));
        }
    }
    let score = format!("Score: {}/{}", report.score, report.max_score);
    let mut rest = format!("· {}", counts.join(", "));
    let paint = match report.exit_code() {
        0 => Style::green_bold,
        1 => Style::red_bold,
        _ => {
            rest.push_str(" (not a final grade: some checks could not run here)");
            Style::yellow_bold
        }
    };
    match bar {
        None => paint(style, &format!("{score} {rest}")),
        Some(bar) => format!("{} {bar} {}", paint(style, &score), paint(style, &rest)),
    }
}

/// The start of every page the grader writes, up to `<body>`: self-contained,
/// its content security policy allowing no script and nothing from outside
/// (images only as `data:`), `title` escaped here. Its empty elements are
/// closed (`<meta .../>`), so a page reads as XML too (the tests parse them).
pub fn page_head(title: &str, style: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{}</title>
<style>{style}</style>
</head>
<body>
"#,
        markup(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    #[test]
    fn submission_text_is_inert() {
        let hostile = "\x1b[31mred\x1b]0;title\x07 and \r::error::forged\n  ::set-output name=x::y";
        let shown = inert(hostile);
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert!(shown.contains("\\u{1b}[31mred"), "{shown}");
        assert!(shown.lines().all(|l| !l.trim_start().starts_with("::")), "{shown}");
        let older = inert("error: x ##[add-mask]secret ##[stop-commands]tok");
        assert!(!older.contains("##["), "{older}");
        let reordered = inert("user\u{202E}txt.exe\u{2066}a\u{200F}\u{FEFF}");
        assert_eq!(reordered, "user\\u{202e}txt.exe\\u{2066}a\\u{200f}\\u{feff}");
        let mut check = crate::report::CheckResult::new("x", "t", 1);
        check.status = Status::Fail;
        check.message = hostile.into();
        check.hint = Some(hostile.into());
        check.log.push(hostile.into());
        let report = Report::new("here".into(), vec![check]);
        let text = human(&report, true, Style::PLAIN);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        assert!(text.lines().all(|l| !l.trim_start().starts_with("::")), "{text}");
    }

    fn scored(score: u32, max: u32) -> Report {
        let mut check = crate::report::CheckResult::new("x", "t", max);
        check.status = if score == max { Status::Pass } else { Status::Fail };
        let mut report = Report::new("here".into(), vec![check]);
        report.score = score;
        report
    }

    #[test]
    fn the_bar_of_points_fills_in_proportion() {
        assert_eq!(points_bar(&scored(45, 100), Style::PLAIN), "#########-----------");
        assert_eq!(points_bar(&scored(0, 100), Style::PLAIN), "--------------------");
        assert_eq!(points_bar(&scored(1, 100), Style::PLAIN), "#-------------------", "a point shows");
        assert_eq!(points_bar(&scored(99, 100), Style::PLAIN), "###################-", "full only when all");
        assert_eq!(points_bar(&scored(100, 100), Style::PLAIN), "#".repeat(20));
        assert_eq!(points_bar(&Report::new("here".into(), Vec::new()), Style::PLAIN), "-".repeat(20));
        let coloured = points_bar(&scored(45, 100), Style::COLOR);
        assert_eq!(coloured, format!("\x1b[31m{}\x1b[0m\x1b[2m{}\x1b[0m", "█".repeat(9), "░".repeat(11)));
        let text = human(&scored(45, 100), false, Style::PLAIN);
        assert!(text.contains("\nScore: 45/100 #########----------- · 0 passed, 1 failed\n"), "{text}");
        assert_eq!(summary(&scored(45, 100), Style::PLAIN), "Score: 45/100 · 0 passed, 1 failed", "no bar");
        assert!(human(&scored(45, 100), false, Style::COLOR).contains("█████████"));
    }

    #[test]
    fn no_color_and_a_dumb_terminal_are_plain() {
        let term = |t: &str| Some(t.to_owned());
        assert_eq!(Style::from_env(true, None, None, term("xterm-256color")), Style::COLOR);
        assert_eq!(Style::from_env(true, None, None, term("dumb")), Style::PLAIN);
        assert_eq!(Style::from_env(true, None, Some("1".into()), term("xterm")), Style::PLAIN);
        assert_eq!(
            Style::from_env(true, None, Some(String::new()), term("xterm")),
            Style::COLOR,
            "NO_COLOR empty"
        );
        assert_eq!(Style::from_env(false, None, None, term("xterm")), Style::PLAIN, "not a terminal");
        assert_eq!(Style::from_env(false, Some("1".into()), None, term("dumb")), Style::COLOR, "forced");
    }

    #[test]
    fn plain_has_no_escapes_and_colour_has_them() {
        let report = Report::new("here".into(), Vec::new());
        assert!(!human(&report, false, Style::PLAIN).contains('\x1b'));
        assert!(human(&report, false, Style::COLOR).contains("\x1b[1;32mScore: 0/0"));
    }
}
