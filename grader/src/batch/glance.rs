//! A class at a glance: the figures of a batch, computed once from its
//! rows ([`Glance`]), then told two ways: the summary a batch ends with
//! (`summary.txt`) and a page (`index.html`) with the spread of scores,
//! each check's pass rate, the slowest clones, those that could not be
//! graded, and every student with a link to their own page.
//!
//! The page is one self-contained file: no script, no external asset, its
//! bars pure HTML and CSS, and its content security policy allows nothing
//! but its own inline style. Everything a submission wrote (names, messages)
//! is made inert, then escaped.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use super::gradebook::{outcome_word, Row};
use crate::render::{inert, markup};
use crate::report::{Outcome, Report, Status};
use crate::repos::Checkout;

/// How many of the slowest clones the page names.
const SLOWEST: usize = 5;

/// The figures of a batch, from its rows.
pub struct Glance<'a> {
    /// Every row, in name order (the gradebook's).
    pub rows: Vec<&'a Row>,
    /// How many rows have a report.
    pub graded: usize,
    /// How many reports were taken from an earlier run.
    pub resumed: usize,
    pub elapsed: Duration,
    /// The graded clones by percent of the points: 0–9, 10–19, ... 90–99, then 100.
    pub bins: [usize; 11],
    /// Each check graded in at least one clone, in the kit's order.
    pub checks: Vec<CheckRate>,
    /// The checks failed (or not gradable) most often, with how many clones.
    pub failed: Vec<(String, usize)>,
    /// Milliseconds spent building, booting and checking, over every grade.
    pub time: (u64, u64, u64),
    /// The clones that took longest (reports taken from an earlier run left out).
    pub slowest: Vec<&'a Row>,
    /// The clones pushed to after the deadline: name (inert), the later push.
    pub late: Vec<(String, String)>,
    /// The clones that could not be (fully) graded: name and why (both inert).
    pub troubled: Vec<(String, String)>,
}

/// How a check fared across the class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRate {
    pub id: String,
    pub title: String,
    pub passed: usize,
    /// The clones in which it was graded (run, or worth points it did not get).
    pub graded: usize,
}

/// The summary a batch ends with (see [`Glance::summary`]).
pub fn summary(rows: &[Row], elapsed: Duration) -> String {
    Glance::of(rows, elapsed).summary()
}

impl<'a> Glance<'a> {
    pub fn of(rows: &'a [Row], elapsed: Duration) -> Glance<'a> {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let graded: Vec<&Report> = sorted.iter().filter_map(|r| r.report.as_ref().ok()).collect();
        let mut bins = [0usize; 11];
        for report in &graded {
            bins[bin_of(report)] += 1;
        }
        let mut ids: Vec<String> = crate::checks::CHECKS.iter().map(|c| c.id.to_owned()).collect();
        for check in graded.iter().flat_map(|r| &r.checks) {
            if !ids.contains(&check.id) {
                ids.push(check.id.clone());
            }
        }
        let checks = ids
            .iter()
            .filter_map(|id| {
                let results: Vec<_> = graded
                    .iter()
                    .filter_map(|r| r.checks.iter().find(|c| c.id == *id))
                    .filter(|c| c.status != Status::Skip || c.max_points > 0)
                    .collect();
                let title = results.first()?.title.clone();
                let passed = results.iter().filter(|c| c.status == Status::Pass).count();
                Some(CheckRate { id: id.clone(), title, passed, graded: results.len() })
            })
            .collect();
        let mut failed: HashMap<&str, usize> = HashMap::new();
        for report in &graded {
            for check in report.checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Error)) {
                *failed.entry(check.id.as_str()).or_default() += 1;
            }
        }
        let mut failed: Vec<(String, usize)> = failed.into_iter().map(|(id, n)| (id.to_owned(), n)).collect();
        failed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut time = (0, 0, 0);
        for check in graded.iter().flat_map(|r| &r.checks) {
            match check.id.as_str() {
                "builds" => time.0 += check.duration_ms,
                "boots" => time.1 += check.duration_ms,
                _ => time.2 += check.duration_ms,
            }
        }
        let mut slowest: Vec<&Row> = sorted.iter().copied().filter(|r| !r.resumed).collect();
        slowest.sort_by(|a, b| b.duration.cmp(&a.duration).then(a.name.cmp(&b.name)));
        slowest.truncate(SLOWEST);
        let late = sorted
            .iter()
            .filter_map(|row| {
                let later = row.checkout.as_ref().map(Checkout::later_push).filter(|l| !l.is_empty())?;
                Some((inert(&row.name), later))
            })
            .collect();
        let troubled = sorted
            .iter()
            .filter_map(|row| match &row.report {
                Err(why) => Some((inert(&row.name), inert(why))),
                Ok(report) if report.outcome == Outcome::Incomplete => {
                    let first = report.checks.iter().find(|c| c.status == Status::Error);
                    let why = first.map(|c| format!("{}: {}", c.id, c.message)).unwrap_or_default();
                    Some((inert(&row.name), format!("incomplete ({})", inert(&why))))
                }
                Ok(_) => None,
            })
            .collect();
        Glance {
            graded: graded.len(),
            resumed: sorted.iter().filter(|r| r.resumed).count(),
            rows: sorted,
            elapsed,
            bins,
            checks,
            failed,
            time,
            slowest,
            late,
            troubled,
        }
    }

    /// `Graded 2 of 3 clones in 61 s (1 from earlier reports).`
    fn headline(&self) -> String {
        let total = self.rows.len();
        let mut line = format!(
            "Graded {} of {total} clone{} in {:.0} s",
            self.graded,
            if total == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64()
        );
        if self.resumed > 0 {
            line.push_str(&format!(" ({} from earlier reports)", self.resumed));
        }
        line.push('.');
        line
    }

    /// `Time: building 20% (1.0 s), booting 0% (0.0 s), checking 80% (4.0 s)`
    fn time_shares(&self) -> String {
        let (building, booting, checking) = self.time;
        let total = (building + booting + checking).max(1) as f64;
        let share = |ms: u64| format!("{:.0}% ({:.1} s)", ms as f64 * 100.0 / total, ms as f64 / 1000.0);
        format!(
            "Time: building {}, booting {}, checking {}",
            share(building),
            share(booting),
            share(checking)
        )
    }

    /// The summary a batch ends with: how many were graded, the spread of
    /// scores, where the time went, the checks most often failed, the clones
    /// pushed to late, and those not graded and why.
    pub fn summary(&self) -> String {
        let mut out = format!("{}\n", self.headline());
        if self.graded > 0 {
            out.push_str("\nScores (percent of the points):\n");
            for (bin, count) in self.bins.iter().enumerate().filter(|(_, c)| **c > 0) {
                out.push_str(&format!("  {:>6}  {} {count}\n", bin_label(bin), "█".repeat(*count)));
            }
            out.push_str(&format!("\n{}\n", self.time_shares()));
            if !self.failed.is_empty() {
                out.push_str("\nMost failed checks:\n");
                for (id, count) in self.failed.iter().take(5) {
                    out.push_str(&format!(
                        "  {id:<22} {count} clone{}\n",
                        if *count == 1 { "" } else { "s" }
                    ));
                }
            }
        }
        if !self.late.is_empty() {
            out.push_str("\nPushed after the deadline (graded at the deadline's commit):\n");
            for (name, later) in &self.late {
                out.push_str(&format!("  {name}: {later}\n"));
            }
        }
        if !self.troubled.is_empty() {
            out.push_str("\nCould not be (fully) graded:\n");
            for (name, why) in &self.troubled {
                out.push_str(&format!("  {name}: {why}\n"));
            }
        }
        out
    }

    /// The page: `index.html` beside the reports, each student's row linking
    /// to their `NAME.html`.
    pub fn page(&self) -> String {
        let title = format!("{}: the class at a glance", crate::kit::kit().lab.title);
        let mut out = crate::render::page_head(&title, STYLE);
        let _ = write!(
            out,
            "<header>\n<h1>{}</h1>\n<p class=\"headline\">{}</p>\n</header>\n",
            markup(&title),
            markup(&self.headline()),
        );
        self.histogram(&mut out);
        self.pass_rates(&mut out);
        self.slowest_and_troubled(&mut out);
        self.students(&mut out);
        out.push_str("</body>\n</html>\n");
        out
    }

    fn histogram(&self, out: &mut String) {
        out.push_str("<section id=\"scores\">\n<h2>Scores (percent of the points)</h2>\n");
        if self.graded == 0 {
            out.push_str("<p class=\"empty\">No clone was graded.</p>\n</section>\n");
            return;
        }
        let top = self.bins.iter().copied().max().unwrap_or(0).max(1);
        out.push_str("<div class=\"histogram\">\n");
        for (bin, count) in self.bins.iter().enumerate() {
            let _ = writeln!(
                out,
                "<div class=\"bin\" data-count=\"{count}\" title=\"{label}: {count}\"><span class=\"count\">{count}</span>\
                 <span class=\"column\" style=\"height: {height}%\"></span><span class=\"label\">{label}</span></div>",
                label = bin_label(bin).trim(),
                height = count * 100 / top,
            );
        }
        out.push_str("</div>\n");
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", markup(&self.time_shares()));
        out.push_str("</section>\n");
    }

    fn pass_rates(&self, out: &mut String) {
        out.push_str("<section id=\"checks\">\n<h2>Each check's pass rate</h2>\n");
        if self.checks.is_empty() {
            out.push_str("<p class=\"empty\">No check was graded.</p>\n</section>\n");
            return;
        }
        out.push_str("<table class=\"rates\">\n<tr><th>Check</th><th>Passed</th><th></th></tr>\n");
        for check in &self.checks {
            let percent = (check.passed * 100).checked_div(check.graded).unwrap_or(0);
            let _ = writeln!(
                out,
                "<tr data-check=\"{id}\"><td><code>{id}</code> {title}</td><td class=\"rate\">{passed} of {graded}</td>\
                 <td class=\"track\">{bar}</td></tr>",
                id = markup(&inert(&check.id)),
                title = markup(&inert(&check.title)),
                passed = check.passed,
                graded = check.graded,
                bar = bar(percent, "pass"),
            );
        }
        out.push_str("</table>\n</section>\n");
    }

    fn slowest_and_troubled(&self, out: &mut String) {
        out.push_str("<section id=\"slowest\">\n<h2>The slowest clones</h2>\n");
        if self.slowest.is_empty() {
            out.push_str("<p class=\"empty\">None graded in this run.</p>\n");
        } else {
            let top = self.slowest[0].duration.as_millis().max(1);
            out.push_str("<table class=\"rates\">\n");
            for row in &self.slowest {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"rate\">{:.1} s</td><td class=\"track\">{}</td></tr>",
                    student_link(row),
                    row.duration.as_secs_f64(),
                    bar((row.duration.as_millis() * 100 / top) as usize, "time"),
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</section>\n<section id=\"troubled\">\n<h2>Could not be (fully) graded</h2>\n");
        if self.troubled.is_empty() {
            out.push_str("<p class=\"empty\">Every clone was graded.</p>\n");
        } else {
            out.push_str("<ul>\n");
            for (name, why) in &self.troubled {
                let _ = writeln!(out, "<li><strong>{}</strong>: {}</li>", markup(name), markup(why));
            }
            out.push_str("</ul>\n");
        }
        if !self.late.is_empty() {
            out.push_str(
                "<h2>Pushed after the deadline</h2>\n<p>Graded at the deadline's commit.</p>\n<ul>\n",
            );
            for (name, later) in &self.late {
                let _ =
                    writeln!(out, "<li><strong>{}</strong>: {}</li>", markup(name), markup(&inert(later)));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }

    /// The students, one table per order; a column's heading links to the
    /// table in that order, and the page's `:target` shows it. No script.
    fn students(&self, out: &mut String) {
        out.push_str("<section id=\"students\">\n<h2>Students</h2>\n");
        let by_score = |rows: &mut Vec<&Row>, high_first: bool| {
            rows.sort_by(|a, b| {
                let (a_score, b_score) = (percent_of(a), percent_of(b));
                let order = if high_first { b_score.cmp(&a_score) } else { a_score.cmp(&b_score) };
                order.then(a.name.cmp(&b.name))
            })
        };
        // The name order comes last: the others, when targeted, hide it.
        for order in [Order::ScoreHigh, Order::ScoreLow, Order::Time, Order::Name] {
            let mut rows = self.rows.clone();
            match order {
                Order::Name => {}
                Order::ScoreHigh => by_score(&mut rows, true),
                Order::ScoreLow => by_score(&mut rows, false),
                Order::Time => rows.sort_by(|a, b| b.duration.cmp(&a.duration).then(a.name.cmp(&b.name))),
            }
            let name = match order {
                Order::Name => format!("Student {}", Order::Name.arrow()),
                _ => format!("<a href=\"#{}\">Student</a>", Order::Name.id()),
            };
            let score = match order {
                Order::ScoreHigh => {
                    format!("<a href=\"#{}\">Score {}</a>", Order::ScoreLow.id(), order.arrow())
                }
                Order::ScoreLow => {
                    format!("<a href=\"#{}\">Score {}</a>", Order::ScoreHigh.id(), order.arrow())
                }
                _ => format!("<a href=\"#{}\">Score</a>", Order::ScoreHigh.id()),
            };
            let time = match order {
                Order::Time => format!("Time {}", order.arrow()),
                _ => format!("<a href=\"#{}\">Time</a>", Order::Time.id()),
            };
            let _ = writeln!(
                out,
                "<div class=\"order\" id=\"{}\">\n<p class=\"meta\">{}</p>\n<table class=\"students\">\n\
                 <tr><th>{name}</th><th>{score}</th><th>Of</th><th></th><th>Outcome</th><th>{time}</th></tr>",
                order.id(),
                order.caption(),
            );
            for row in rows {
                student_row(out, row);
            }
            out.push_str("</table>\n</div>\n");
        }
        out.push_str("</section>\n");
    }
}

/// The orders the students' table comes in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Name,
    ScoreHigh,
    ScoreLow,
    Time,
}

impl Order {
    fn id(self) -> &'static str {
        match self {
            Order::Name => "by-name",
            Order::ScoreHigh => "by-score",
            Order::ScoreLow => "by-score-low",
            Order::Time => "by-time",
        }
    }

    fn caption(self) -> &'static str {
        match self {
            Order::Name => "By name.",
            Order::ScoreHigh => "By score, highest first.",
            Order::ScoreLow => "By score, lowest first.",
            Order::Time => "By time, slowest first.",
        }
    }

    fn arrow(self) -> &'static str {
        match self {
            Order::Name | Order::ScoreLow => "▲",
            Order::ScoreHigh | Order::Time => "▼",
        }
    }
}

/// One student's row of the table: the cells agree with the gradebook's
/// `score`, `max_score` and `outcome` (`not graded` where those are empty).
fn student_row(out: &mut String, row: &Row) {
    let (score, max, bar_cell, outcome, class) = match &row.report {
        Ok(report) => (
            report.score.to_string(),
            report.max_score.to_string(),
            bar(
                (report.score * 100).checked_div(report.max_score).unwrap_or(0) as usize,
                outcome_word(report.outcome),
            ),
            outcome_word(report.outcome).to_owned(),
            outcome_word(report.outcome),
        ),
        Err(_) => (String::new(), String::new(), String::new(), "not graded".to_owned(), "not-graded"),
    };
    let why = match &row.report {
        Err(why) => format!("<div class=\"why\">{}</div>", markup(&inert(why))),
        Ok(_) => String::new(),
    };
    let _ = writeln!(
        out,
        "<tr class=\"{class}\"><td class=\"name\">{}{why}</td><td class=\"score\">{score}</td><td class=\"max\">{max}</td>\
         <td class=\"track\">{bar_cell}</td><td class=\"outcome\">{outcome}</td><td class=\"time\">{:.1} s</td></tr>",
        student_link(row),
        row.duration.as_secs_f64(),
    );
}

/// The student's name, linking to their report's page when there is one.
fn student_link(row: &Row) -> String {
    let name = markup(&inert(&row.name));
    match &row.report {
        Ok(_) => format!("<a href=\"{}\">{name}</a>", markup(&report_href(&row.name))),
        Err(_) => name,
    }
}

/// The relative link to `NAME.html`, percent-encoded but for the characters
/// a batch's names are made of.
pub fn report_href(name: &str) -> String {
    let mut href = String::new();
    for byte in format!("{name}.html").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => href.push(byte as char),
            _ => href.push_str(&format!("%{byte:02X}")),
        }
    }
    // Never read as a scheme or another folder: always the file beside the page.
    format!("./{href}")
}

/// A bar `percent` full (0 to 100), pure CSS.
fn bar(percent: usize, class: &str) -> String {
    format!(
        "<span class=\"bar {class}\" title=\"{percent}%\"><span style=\"width: {}%\"></span></span>",
        percent.min(100)
    )
}

/// A graded clone's bin: its percent of the points, by tens (100 alone).
fn bin_of(report: &Report) -> usize {
    let percent = (report.score * 100).checked_div(report.max_score).unwrap_or(0) as usize;
    (percent / 10).min(10)
}

fn bin_label(bin: usize) -> String {
    if bin == 10 {
        "100".to_owned()
    } else {
        format!("{:>2}–{}", bin * 10, bin * 10 + 9)
    }
}

/// A row's percent of the points, for sorting: not graded sorts lowest.
fn percent_of(row: &Row) -> i64 {
    match &row.report {
        Ok(report) => {
            (u64::from(report.score) * 10_000).checked_div(u64::from(report.max_score)).unwrap_or(0) as i64
        }
        Err(_) => -1,
    }
}

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d232a; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.5rem; }
.headline, .meta { color: #57606a; }
.empty { color: #57606a; font-style: italic; }
.histogram { display: flex; align-items: flex-end; gap: 0.4rem; height: 10rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; }
.bin { flex: 1; display: flex; flex-direction: column; justify-content: flex-end; align-items: center; height: 100%; position: relative; }
.bin .column { display: block; width: 100%; background: #4a7dd8; border-radius: 3px 3px 0 0; }
.bin .count { font-size: 0.8rem; color: #57606a; }
.bin .label { position: absolute; bottom: -1.4rem; font-size: 0.75rem; color: #57606a; white-space: nowrap; }
#scores .meta { margin-top: 1.8rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th a { color: inherit; }
td.rate, td.score, td.max, td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.track { width: 35%; }
.bar { display: inline-block; width: 100%; height: 0.8rem; background: #eaeef2; border-radius: 3px; overflow: hidden; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #4a7dd8; }
.bar.pass > span, .bar.passed > span { background: #1a7f37; }
.bar.failed > span { background: #cf222e; }
.bar.incomplete > span, .bar.time > span { background: #bf8700; }
tr.not-graded td { color: #9a6700; }
.why { font-size: 0.85rem; }
.order { display: none; }
.order:target, #by-name { display: block; }
.order:target ~ #by-name { display: none; }
";

#[cfg(test)]
mod tests {
    use super::super::tests::{report, row};
    use super::*;

    /// The fields of a CSV line (RFC 4180, as `csv_line` writes it).
    fn csv_fields(line: &str) -> Vec<String> {
        let (mut fields, mut field, mut quoted, mut chars) =
            (Vec::new(), String::new(), false, line.chars().peekable());
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (false, '"') => quoted = true,
                (false, ',') => fields.push(std::mem::take(&mut field)),
                (_, c) => field.push(c),
            }
        }
        fields.push(field);
        fields
    }

    /// The page as XML (it is well-formed), less its doctype.
    fn parse(page: &str) -> roxmltree::Document<'_> {
        let body = page.strip_prefix("<!doctype html>\n").expect("a doctype first");
        roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("{e}\n{body}"))
    }

    fn class_rows() -> Vec<Row> {
        let mut slow = row(
            "carol, \"the\" third",
            Ok(report(&[("builds", Status::Pass, 0, 0), ("creates-session", Status::Pass, 10, 10)])),
        );
        slow.duration = Duration::from_secs(30);
        let mut incomplete =
            row("dave", Ok(report(&[("builds", Status::Pass, 0, 0), ("two-users", Status::Error, 0, 10)])));
        if let Ok(report) = &mut incomplete.report {
            report.outcome = Outcome::Incomplete;
        }
        vec![
            row(
                "bob",
                Ok(report(&[
                    ("builds", Status::Pass, 0, 0),
                    ("creates-session", Status::Fail, 0, 10),
                    ("two-users", Status::Pass, 10, 10),
                ])),
            ),
            row("alice", Err("no Cargo.toml".into())),
            slow,
            incomplete,
            row(
                "erin",
                Ok(report(&[("builds", Status::Fail, 0, 0), ("creates-session", Status::Skip, 0, 10)])),
            ),
        ]
    }

    #[test]
    fn the_page_agrees_with_the_gradebook_on_every_row() {
        let rows = class_rows();
        let gradebook = super::super::csv(&rows);
        let page = Glance::of(&rows, Duration::from_secs(40)).page();
        let doc = parse(&page);
        let table = doc.descendants().find(|n| n.attribute("id") == Some("by-name")).expect("the name order");
        let cell = |tr: roxmltree::Node, class: &str| -> String {
            let td = tr.children().find(|c| c.attribute("class") == Some(class)).unwrap();
            // The cell's text, less the why of a clone not graded.
            td.descendants()
                .filter(|n| n.is_text() && !n.ancestors().any(|a| a.attribute("class") == Some("why")))
                .map(|n| n.text().unwrap())
                .collect::<String>()
        };
        let page_rows: Vec<[String; 4]> = table
            .descendants()
            .filter(|n| n.has_tag_name("tr") && n.children().any(|c| c.has_tag_name("td")))
            .map(|tr| [cell(tr, "name"), cell(tr, "score"), cell(tr, "max"), cell(tr, "outcome")])
            .collect();
        let mut lines = gradebook.lines();
        let header = csv_fields(lines.next().unwrap());
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let book_rows: Vec<[String; 4]> = lines
            .map(csv_fields)
            .map(|f| {
                let outcome = if f[column("outcome")].is_empty() {
                    "not graded".into()
                } else {
                    f[column("outcome")].clone()
                };
                [
                    f[column("name")].clone(),
                    f[column("score")].clone(),
                    f[column("max_score")].clone(),
                    outcome,
                ]
            })
            .collect();
        assert_eq!(book_rows.len(), rows.len());
        assert_eq!(page_rows, book_rows, "{page}");
        // Every other order holds the same rows, in its own order.
        for order in ["by-score", "by-score-low", "by-time"] {
            let table = doc.descendants().find(|n| n.attribute("id") == Some(order)).unwrap();
            let mut names: Vec<String> = table
                .descendants()
                .filter(|n| n.attribute("class") == Some("name"))
                .map(|td| cell(td.parent().unwrap(), "name"))
                .collect();
            if order == "by-score" {
                assert_eq!(names, ["carol, \"the\" third", "bob", "dave", "erin", "alice"], "{order}");
            }
            if order == "by-time" {
                assert_eq!(names[0], "carol, \"the\" third", "{order}");
            }
            names.sort();
            assert_eq!(names, book_rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), "{order}");
        }
        // Each graded student links to their own page; one not graded has none.
        let links: Vec<&str> = table
            .descendants()
            .filter_map(|n| n.attribute("href"))
            .filter(|h| h.ends_with(".html"))
            .collect();
        assert_eq!(
            links,
            ["./bob.html", "./carol%2C%20%22the%22%20third.html", "./dave.html", "./erin.html"]
        );
    }

    #[test]
    fn the_histogram_counts_every_graded_clone_once() {
        let rows = class_rows();
        let glance = Glance::of(&rows, Duration::ZERO);
        assert_eq!(glance.graded, 4);
        assert_eq!(glance.bins.iter().sum::<usize>(), glance.graded);
        assert_eq!(glance.bins[0], 2, "0 of 10 and 0 of 10");
        assert_eq!(glance.bins[5], 1, "10 of 20");
        assert_eq!(glance.bins[10], 1, "10 of 10");
        let page = glance.page();
        let doc = parse(&page);
        let counts: Vec<usize> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bin"))
            .map(|n| n.attribute("data-count").unwrap().parse().unwrap())
            .collect();
        assert_eq!(counts, glance.bins);
        let rate = |id: &str| {
            let tr = doc.descendants().find(|n| n.attribute("data-check") == Some(id)).unwrap();
            tr.descendants()
                .find(|n| n.attribute("class") == Some("rate"))
                .unwrap()
                .text()
                .unwrap()
                .to_owned()
        };
        assert_eq!(rate("builds"), "3 of 4");
        assert_eq!(rate("creates-session"), "1 of 3", "a skip worth points counts, as in the gradebook");
        assert_eq!(glance.slowest[0].name, "carol, \"the\" third");
        assert_eq!(
            glance.troubled,
            [
                ("alice".to_owned(), "no Cargo.toml".to_owned()),
                ("dave".into(), "incomplete (two-users: said)".into())
            ]
        );
    }

    #[test]
    fn hostile_names_and_messages_are_inert() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>\u{202E}gnp.exe";
        let rows = vec![
            row(hostile, Err(hostile.into())),
            row(&format!("{hostile}2"), Ok(report(&[("builds", Status::Error, 0, 0)]))),
        ];
        let mut rows = rows;
        if let Ok(report) = &mut rows[1].report {
            report.outcome = Outcome::Incomplete;
            report.checks[0].message = hostile.into();
        }
        let glance = Glance::of(&rows, Duration::ZERO);
        let page = glance.page();
        let doc = parse(&page);
        let tags: Vec<&str> =
            doc.descendants().filter(|n| n.is_element()).map(|n| n.tag_name().name()).collect();
        assert!(!tags.contains(&"script") && !tags.contains(&"img"), "{tags:?}");
        for node in doc.descendants() {
            for attribute in node.attributes() {
                assert!(!attribute.name().starts_with("on"), "{}", attribute.name());
                if attribute.name() == "href" {
                    assert!(
                        attribute.value().starts_with('#') || attribute.value().starts_with("./"),
                        "{}",
                        attribute.value()
                    );
                    assert!(!attribute.value().contains(['<', '"', '>', ' ']), "{}", attribute.value());
                }
            }
        }
        assert!(!page.contains('\u{202E}'), "the bidi override is shown as an escape");
        assert!(page.contains("\\u{202e}gnp.exe"));
        assert!(page
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
        let summary = glance.summary();
        assert!(!summary.contains('\u{202E}'), "{summary}");
    }

    #[test]
    fn an_empty_batch_has_a_page_and_a_summary() {
        let glance = Glance::of(&[], Duration::from_secs(1));
        assert_eq!(glance.bins.iter().sum::<usize>(), 0);
        let page = glance.page();
        let doc = parse(&page);
        assert!(doc.descendants().any(|n| n.text() == Some("No clone was graded.")), "{page}");
        assert_eq!(glance.summary(), "Graded 0 of 0 clones in 1 s.\n");
    }

    #[test]
    fn links_are_files_beside_the_page() {
        assert_eq!(report_href("alice-2"), "./alice-2.html");
        assert_eq!(report_href("jürgen"), "./j%C3%BCrgen.html");
        assert_eq!(report_href("a/../b?c#d"), "./a%2F..%2Fb%3Fc%23d.html");
    }

    #[test]
    fn the_summary_counts_scores_failures_and_trouble() {
        let rows = vec![
            row(
                "a",
                Ok(report(&[
                    ("builds", Status::Pass, 0, 0),
                    ("creates-session", Status::Fail, 0, 10),
                    ("two-users", Status::Pass, 10, 10),
                ])),
            ),
            row(
                "b",
                Ok(report(&[("creates-session", Status::Fail, 0, 10), ("two-users", Status::Error, 0, 10)])),
            ),
            row("c", Err("could not read it".into())),
        ];
        let mut rows = rows;
        rows[0].checkout = Some(Checkout {
            branch: "main".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            committed: "2026-12-01T20:00:00Z".into(),
            later_commits: 1,
            newest: Some("2026-12-02T09:00:00Z".into()),
        });
        let summary = summary(&rows, Duration::from_secs(61));
        assert!(
            summary.contains(
                "Pushed after the deadline (graded at the deadline's commit):\n  a: 1 later commit (the newest committed 2026-12-02T09:00:00Z)\n"
            ),
            "{summary}"
        );
        assert!(summary.starts_with("Graded 2 of 3 clones in 61 s.\n"), "{summary}");
        assert!(summary.contains("  50–59  █ 1\n") && summary.contains("   0–9  █ 1\n"), "{summary}");
        assert!(summary.contains("  creates-session        2 clones\n"), "{summary}");
        assert!(
            summary.contains("Time: building 20% (1.0 s), booting 0% (0.0 s), checking 80% (4.0 s)"),
            "{summary}"
        );
        assert!(
            summary.contains("  b: incomplete (two-users: said)")
                && summary.contains("  c: could not read it")
        );
    }
}
