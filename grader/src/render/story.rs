//! The session story as a picture: a sequence diagram of what the grade
//! actually did, for the HTML report. One lane per client the checks used
//! (each of the grader's fresh cookie jars, the real browser's window), then
//! the server and its database; one arrow per request, with the cookie it
//! carried and the status that came back, in the order they were sent.
//!
//! Inline SVG made here, with no script and nothing fetched (the page's
//! content security policy allows neither), readable in print and by a
//! screen reader: a title and description, and the same steps as a list.
//! Every word that came from the submission goes through [`text`] or
//! [`attribute`], never into the markup as it is.

use std::fmt::Write;

use super::{inert, markup};
use crate::checks::driver::JAR;
use crate::checks::session::SURVIVES_RESTART;
use crate::report::{CheckResult, Exchange, Report, Status};

/// The id of a check's section in the page, which the story links to.
pub fn check_anchor(check_id: &str) -> String {
    format!("check-{check_id}")
}

/// The id of the first screenshot a check saved, which the story links to.
pub fn screenshot_anchor(check_id: &str) -> String {
    format!("shot-{check_id}")
}

/// The first screenshot a check saved, if any.
pub fn screenshot_of(check: &CheckResult) -> Option<&str> {
    check.artifacts.iter().map(String::as_str).find(|a| a.ends_with(".png"))
}

/// The story of `report` as a `<section>`: the diagram and its steps as a
/// list; a short note instead when the grade sent no request at all.
pub fn story(report: &Report) -> String {
    let rows = rows_of(report);
    if !rows.iter().any(|row| matches!(row, Row::Step(_))) {
        return "<section class=\"story\" id=\"story\"><h2>The session story</h2>\n<p class=\"note\">No \
                request was sent in this grade (no check got as far as the server), so there is no story \
                to draw.</p></section>\n"
            .to_owned();
    }
    let lanes = Lanes::of(&rows);
    let mut out = String::new();
    out.push_str("<section class=\"story\" id=\"story\"><h2>The session story</h2>\n");
    out.push_str(
        "<p class=\"note\">Every request this grade sent, top to bottom. Each lane on the left is one \
         client: a fresh cookie jar of the grader (a new browser window, as far as the server can tell) or \
         the real browser. An arrow says which cookie it carried and what the server answered; a red arrow \
         belongs to a failed check and links to it; a zigzag on the server's lane is its restart.</p>\n",
    );
    out.push_str(&Diagram::new(&rows, &lanes).svg(report));
    out.push_str(&steps_as_list(&rows, &lanes));
    out.push_str("</section>\n");
    out
}

/// One line of the story: a check beginning, or one of its requests.
enum Row<'r> {
    Check(CheckRow<'r>),
    Step(Step<'r>),
}

struct CheckRow<'r> {
    check: &'r CheckResult,
    /// The server was stopped and started again on its database here.
    restarted: bool,
}

struct Step<'r> {
    check: &'r CheckResult,
    exchange: &'r Exchange,
    /// Sent to another launch of the server than the one graded (the
    /// restart check's launches on databases of their own).
    other_launch: bool,
}

impl Step<'_> {
    fn failed(&self) -> bool {
        self.check.status == Status::Fail
    }

    fn client(&self) -> &str {
        self.exchange.client.as_deref().unwrap_or("a client")
    }
}

/// The checks that sent requests (or restarted the server, or saved a
/// screenshot), each followed by its requests, in the order they ran.
fn rows_of(report: &Report) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    let mut graded_origin: Option<&str> = None;
    for check in &report.checks {
        let restarted = check.id == SURVIVES_RESTART.id && check.status != Status::Skip;
        if check.exchanges.is_empty() && !restarted && screenshot_of(check).is_none() {
            continue;
        }
        if restarted {
            // The restarted server may listen on another port: its first answer says where.
            graded_origin = None;
        }
        rows.push(Row::Check(CheckRow { check, restarted }));
        for exchange in &check.exchanges {
            let origin = origin_of(&exchange.url);
            let graded = *graded_origin.get_or_insert(origin);
            rows.push(Row::Step(Step { check, exchange, other_launch: origin != graded }));
        }
    }
    rows
}

/// `http://127.0.0.1:8000` of `http://127.0.0.1:8000/api/me`.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// `/api/me?x=1` of `http://127.0.0.1:8000/api/me?x=1`.
fn path_of(url: &str) -> &str {
    match &url[origin_of(url).len()..] {
        "" => "/",
        path => path,
    }
}

/// `session=4f3a9b2c…`: a cookie with its value cut to its first eight
/// characters, enough to tell tokens apart without printing them whole.
fn short_cookie(cookie: &str) -> String {
    let (name, value) = cookie.split_once('=').unwrap_or(("", cookie));
    let cut: String = value.chars().take(8).collect();
    let more = if value.chars().count() > 8 { "…" } else { "" };
    if name.is_empty() {
        format!("{cut}{more}")
    } else {
        format!("{name}={cut}{more}")
    }
}

/// What a request carried: `no cookie`, or its cookies, shortened.
fn cookies_carried(exchange: &Exchange) -> String {
    if exchange.cookies.is_empty() {
        return "no cookie".to_owned();
    }
    let cookies: Vec<String> = exchange.cookies.iter().map(|c| short_cookie(c)).collect();
    format!("cookie {}", cookies.join("; "))
}

/// `GET /api/me`, with the path cut short enough for one line.
fn request_line(exchange: &Exchange) -> String {
    cut(&format!("{} {}", exchange.method, path_of(&exchange.url)), 48)
}

/// What came back: the status, or why nothing did.
fn answer(exchange: &Exchange) -> String {
    match (exchange.status, &exchange.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(why)) => cut(&format!("no answer: {why}"), 48),
        (None, None) => "no answer".to_owned(),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut shown: String = text.chars().take(max - 1).collect();
    shown.push('…');
    shown
}

/// Submission text as SVG or HTML character data: control and bidi
/// characters shown as escapes (they would reorder or hide what is drawn),
/// then markup escaped.
fn text(words: &str) -> String {
    markup(&inert(words))
}

/// Submission text as the value of a double-quoted attribute: the same
/// escapes, since `markup` escapes both quotes too; named apart so that
/// each use says where its text goes.
fn attribute(words: &str) -> String {
    text(words)
}

/// The lanes of the clients: where each is drawn, and from which row to
/// which its lifeline runs.
struct Lanes {
    lanes: Vec<Lane>,
    columns: usize,
}

struct Lane {
    name: String,
    /// The column it is drawn in: a cookie jar used for a few requests
    /// gives its column to a later one, so that dozens of jars fit.
    column: usize,
    first_row: usize,
    last_row: usize,
    /// A jar lives for a few requests; the browser for the whole grade.
    is_jar: bool,
}

impl Lanes {
    fn of(rows: &[Row]) -> Lanes {
        let mut lanes: Vec<Lane> = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let Row::Step(step) = row else { continue };
            match lanes.iter_mut().find(|lane| lane.name == step.client()) {
                Some(lane) => lane.last_row = index,
                None => lanes.push(Lane {
                    name: step.client().to_owned(),
                    column: 0,
                    first_row: index,
                    last_row: index,
                    is_jar: step.client().starts_with(&format!("{JAR} ")),
                }),
            }
        }
        // The browser's lanes first, a column each; then the jars, packed.
        let mut columns = 0;
        for lane in lanes.iter_mut().filter(|lane| !lane.is_jar) {
            lane.column = columns;
            columns += 1;
        }
        let first_jar_column = columns;
        let mut free_after: Vec<usize> = Vec::new(); // per jar column, the last row it is busy
        for lane in lanes.iter_mut().filter(|lane| lane.is_jar) {
            let column = match free_after.iter().position(|&busy| busy < lane.first_row) {
                Some(column) => column,
                None => {
                    free_after.push(0);
                    free_after.len() - 1
                }
            };
            free_after[column] = lane.last_row;
            lane.column = first_jar_column + column;
        }
        Lanes { lanes, columns: first_jar_column + free_after.len() }
    }

    fn of_client(&self, client: &str) -> &Lane {
        self.lanes.iter().find(|lane| lane.name == client).expect("every client of a step has a lane")
    }

    fn jars(&self) -> usize {
        self.lanes.iter().filter(|lane| lane.is_jar).count()
    }
}

/// Sizes of the drawing, in SVG units (CSS pixels at full size).
const MARGIN: u32 = 12;
const COLUMN: u32 = 112;
/// Between the last client and the server: room for an arrow's words.
const ARROW_ROOM: u32 = 380;
const TO_DATABASE: u32 = 170;
const HEADER: u32 = 58;
const CHECK_ROW: u32 = 30;
const STEP_ROW: u32 = 42;
/// A jar's box where its lifeline starts.
const JAR_BOX: u32 = 24;
const FAILED: &str = "#cf222e";
const PLAIN: &str = "#1d1d1f";
const QUIET: &str = "#57606a";

/// The diagram, laid out: each row's top, and each lane's x.
struct Diagram<'d, 'r> {
    rows: &'d [Row<'r>],
    lanes: &'d Lanes,
    tops: Vec<u32>,
    height: u32,
}

impl<'d, 'r> Diagram<'d, 'r> {
    fn new(rows: &'d [Row<'r>], lanes: &'d Lanes) -> Diagram<'d, 'r> {
        let mut tops = Vec::with_capacity(rows.len());
        let mut y = HEADER + 8;
        for (index, row) in rows.iter().enumerate() {
            tops.push(y);
            y += match row {
                Row::Check(_) => CHECK_ROW,
                Row::Step(step) if Self::opens_jar(lanes, step, index) => JAR_BOX + STEP_ROW,
                Row::Step(_) => STEP_ROW,
            };
        }
        Diagram { rows, lanes, tops, height: y + MARGIN }
    }

    /// Whether this step is the first of a jar's: its box is drawn above it.
    fn opens_jar(lanes: &Lanes, step: &Step, index: usize) -> bool {
        let lane = lanes.of_client(step.client());
        lane.is_jar && lane.first_row == index
    }

    fn column_x(column: usize) -> u32 {
        MARGIN + COLUMN / 2 + column as u32 * COLUMN
    }

    fn server_x(&self) -> u32 {
        Self::column_x(self.lanes.columns.max(1) - 1) + ARROW_ROOM
    }

    fn database_x(&self) -> u32 {
        self.server_x() + TO_DATABASE
    }

    fn width(&self) -> u32 {
        self.database_x() + COLUMN / 2 + MARGIN + 40
    }

    fn svg(&self, report: &Report) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"story\" role=\"img\" \
             aria-labelledby=\"story-title story-desc\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             font-family=\"system-ui, sans-serif\" font-size=\"12\">",
            w = self.width(),
            h = self.height
        );
        let _ = writeln!(out, "<title id=\"story-title\">{}</title>", text(&self.title(report)));
        let _ = writeln!(out, "<desc id=\"story-desc\">{}</desc>", text(&self.description()));
        out.push_str(MARKERS);
        self.headers(&mut out);
        self.lifelines(&mut out);
        for (index, row) in self.rows.iter().enumerate() {
            match row {
                Row::Check(check) => self.check_row(&mut out, check, self.tops[index]),
                Row::Step(step) => self.step_row(&mut out, step, index),
            }
        }
        out.push_str("</svg>\n");
        out
    }

    fn steps(&self) -> impl Iterator<Item = &Step<'r>> {
        self.rows.iter().filter_map(|row| match row {
            Row::Step(step) => Some(step),
            Row::Check(_) => None,
        })
    }

    fn title(&self, report: &Report) -> String {
        format!("The session story of this grade ({}/{})", report.score, report.max_score)
    }

    /// The whole picture in a few sentences, for a screen reader.
    fn description(&self) -> String {
        let steps = self.steps().count();
        let failed = self.steps().filter(|step| step.failed()).count();
        let browsers = self.lanes.lanes.len() - self.lanes.jars();
        let mut said = format!(
            "A sequence diagram of {steps} request{} to the server, sent by {} fresh cookie jar{} of the \
             grader and {browsers} tab{} or window{} of the real browser, in the order they were sent.",
            plural(steps),
            self.lanes.jars(),
            plural(self.lanes.jars()),
            plural(browsers),
            plural(browsers)
        );
        if self.rows.iter().any(|row| matches!(row, Row::Check(c) if c.restarted)) {
            said.push_str(" The server is stopped and started again on the same database partway through.");
        }
        if failed > 0 {
            let _ =
                write!(said, " {failed} request{} belong to failed checks, drawn in red.", plural(failed));
        }
        said.push_str(" The list below the picture tells the same steps.");
        said
    }

    /// A box at the top of each lane that lives the whole grade, and one
    /// heading over the cookie jars' columns.
    fn headers(&self, out: &mut String) {
        for lane in self.lanes.lanes.iter().filter(|lane| !lane.is_jar) {
            let name = if lane.name == crate::checks::browser::BROWSER_WINDOW {
                "browser window".to_owned()
            } else {
                lane.name.clone()
            };
            client_box(out, Self::column_x(lane.column), 14, &name);
        }
        let jar_columns: Vec<usize> =
            self.lanes.lanes.iter().filter(|lane| lane.is_jar).map(|lane| lane.column).collect();
        // Over the jars' columns, running right into the room the arrows' words have.
        if let Some(first) = jar_columns.iter().min() {
            let left = Self::column_x(*first) - COLUMN / 2 + 4;
            let _ = writeln!(
                out,
                "<text x=\"{left}\" y=\"24\" font-weight=\"600\">fresh cookie jars of the grader</text>\
                 <text x=\"{left}\" y=\"40\" fill=\"{QUIET}\">each a new window: no cookie but the one it is \
                 given</text>"
            );
        }
        lane_box(out, self.server_x(), 14, "server", COLUMN - 8);
        lane_box(out, self.database_x(), 14, "database (SQLite)", COLUMN - 8);
    }

    /// The vertical lines: the browser's and the database's whole; each
    /// jar's from its box to its last request; the server's broken where it
    /// restarted.
    fn lifelines(&self, out: &mut String) {
        let bottom = self.height - MARGIN;
        for lane in &self.lanes.lanes {
            let x = Self::column_x(lane.column);
            let (top, end) = if lane.is_jar {
                (self.tops[lane.first_row] + JAR_BOX, self.tops[lane.last_row] + STEP_ROW - 6)
            } else {
                (HEADER - 10, bottom)
            };
            lifeline(out, x, top, end);
        }
        lifeline(out, self.database_x(), HEADER - 10, bottom);
        let server = self.server_x();
        let mut top = HEADER - 10;
        for (index, row) in self.rows.iter().enumerate() {
            if let Row::Check(CheckRow { restarted: true, .. }) = row {
                let gap = self.tops[index] + 4;
                lifeline(out, server, top, gap);
                top = gap + CHECK_ROW - 6;
            }
        }
        lifeline(out, server, top, bottom);
    }

    /// A check beginning: its id and verdict across the diagram, linked to
    /// its details; its screenshot linked; the server's restart drawn.
    fn check_row(&self, out: &mut String, row: &CheckRow, top: u32) {
        let check = row.check;
        let (word, colour) = match check.status {
            Status::Pass => ("PASS", "#1a7f37"),
            Status::Fail => ("FAIL", FAILED),
            Status::Error => ("ERROR", "#9a6700"),
            Status::Skip => ("SKIP", QUIET),
        };
        let y = top + 18;
        let _ = writeln!(
            out,
            "<line x1=\"{MARGIN}\" y1=\"{top}\" x2=\"{}\" y2=\"{top}\" stroke=\"#d0d7de\"/>",
            self.width() - MARGIN
        );
        let _ = writeln!(
            out,
            "<a href=\"#{}\"><text x=\"{MARGIN}\" y=\"{y}\" class=\"check-label\" font-weight=\"600\" \
             fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{word} {}</text></a>",
            attribute(&check_anchor(&check.id)),
            text(&check.id)
        );
        if screenshot_of(check).is_some() {
            let x = self.server_x() - 90;
            let _ = writeln!(
                out,
                "<a href=\"#{}\"><text x=\"{x}\" y=\"{y}\" fill=\"#0969da\" text-decoration=\"underline\">\
                 screenshot</text></a>",
                attribute(&screenshot_anchor(&check.id))
            );
        }
        if row.restarted {
            self.restart_mark(out, top);
        }
    }

    /// The break in the server's lane: a zigzag, and what happened.
    fn restart_mark(&self, out: &mut String, top: u32) {
        let x = self.server_x();
        let (a, b) = (top + 4, top + CHECK_ROW - 6);
        let mid = (a + b) / 2;
        let _ = writeln!(
            out,
            "<path class=\"restart\" d=\"M{l} {a} L{r} {q} L{l} {mid} L{r} {t} L{l} {b}\" fill=\"none\" \
             stroke=\"{FAILED}\" stroke-width=\"2\"/>",
            l = x - 6,
            r = x + 6,
            q = (a + mid) / 2,
            t = (mid + b) / 2
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-style=\"italic\">restarted on the same database</text>",
            x + 12,
            top + 18
        );
    }

    /// One request and its answer: an arrow from the client to the server
    /// with the request and the cookie it carried, a dashed one back with
    /// the status. A failed check's arrows are red and link to it.
    fn step_row(&self, out: &mut String, step: &Step, index: usize) {
        let lane = self.lanes.of_client(step.client());
        let client_x = Self::column_x(lane.column);
        let mut top = self.tops[index];
        if Self::opens_jar(self.lanes, step, index) {
            client_box(out, client_x, top, &lane.name);
            top += JAR_BOX;
        }
        let server_x = self.server_x();
        let (colour, class) = if step.failed() { (FAILED, "step failed") } else { (PLAIN, "step") };
        let there = top + 16;
        let back = top + 30;
        let launch = if step.other_launch { " · to another launch" } else { "" };
        let _ =
            write!(out, "<a href=\"#{}\"><g class=\"{class}\">", attribute(&check_anchor(&step.check.id)));
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">\
             <tspan font-weight=\"600\">{}</tspan> · {}{}</text>",
            client_x + 6,
            there - 4,
            text(&request_line(step.exchange)),
            text(&cookies_carried(step.exchange)),
            launch
        );
        let _ = write!(
            out,
            "<line x1=\"{client_x}\" y1=\"{there}\" x2=\"{}\" y2=\"{there}\" stroke=\"{colour}\" \
             stroke-width=\"1.5\" marker-end=\"url(#{})\"/>",
            server_x - 2,
            if step.failed() { "head-failed" } else { "head" }
        );
        let _ = write!(
            out,
            "<line x1=\"{server_x}\" y1=\"{back}\" x2=\"{}\" y2=\"{back}\" stroke=\"{colour}\" \
             stroke-dasharray=\"4 3\" marker-end=\"url(#{})\"/>",
            client_x + 2,
            if step.failed() { "head-failed" } else { "head" }
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"3\" \
             paint-order=\"stroke\">{}</text></g></a>",
            server_x - 8,
            back - 3,
            text(&answer(step.exchange))
        );
    }
}

/// Arrowheads, in the plain and the failed colour.
const MARKERS: &str = "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
     markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"#1d1d1f\"/></marker>\
     <marker id=\"head-failed\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
     orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" fill=\"#cf222e\"/></marker></defs>\n";

/// A client's name in a box that fits its column, centred on `x`.
fn client_box(out: &mut String, x: u32, top: u32, name: &str) {
    lane_box(out, x, top, &cut(name, 14), COLUMN - 8);
}

/// A lane's name in a box `width` wide (at least), centred on `x`, its top at `top`.
fn lane_box(out: &mut String, x: u32, top: u32, name: &str, width: u32) {
    let width = width.max(name.chars().count() as u32 * 7 + 14);
    let _ = writeln!(
        out,
        "<rect x=\"{}\" y=\"{top}\" width=\"{width}\" height=\"20\" rx=\"4\" fill=\"#f6f8fa\" stroke=\"#57606a\"/>\
         <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        x - width / 2,
        top + 14,
        text(name)
    );
}

fn lifeline(out: &mut String, x: u32, top: u32, bottom: u32) {
    if bottom > top {
        let _ = writeln!(
            out,
            "<line class=\"lifeline\" x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#8c959f\" \
             stroke-dasharray=\"2 3\"/>"
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The same story as an ordered list: one item per check, its requests in
/// order under it. For screen readers, and for anyone who prefers words.
fn steps_as_list(rows: &[Row], lanes: &Lanes) -> String {
    let mut out = String::from(
        "<details class=\"story-steps\"><summary>The same story, step by step</summary>\n<ol>\n",
    );
    let mut open = false;
    for row in rows {
        match row {
            Row::Check(row) => {
                if open {
                    out.push_str("</ol></li>\n");
                }
                out.push_str(&check_item(row));
                out.push_str("<ol>\n");
                open = true;
            }
            Row::Step(step) => {
                let lane = lanes.of_client(step.client());
                let _ = writeln!(
                    out,
                    "<li{}>{} → server{}: {}, {}; answered {}</li>",
                    if step.failed() { " class=\"failed\"" } else { "" },
                    text(&lane.name),
                    if step.other_launch { " (another launch)" } else { "" },
                    text(&request_line(step.exchange)),
                    text(&cookies_carried(step.exchange)),
                    text(&answer(step.exchange))
                );
            }
        }
    }
    if open {
        out.push_str("</ol></li>\n");
    }
    out.push_str("</ol></details>\n");
    out
}

/// A check's item of the list: its verdict, linked to its details; the
/// restart; its screenshot.
fn check_item(row: &CheckRow) -> String {
    let check = row.check;
    let word = match check.status {
        Status::Pass => "passed",
        Status::Fail => "failed",
        Status::Error => "could not be graded",
        Status::Skip => "skipped",
    };
    let mut item = format!(
        "<li><a href=\"#{}\"><code>{}</code></a> ({word})",
        attribute(&check_anchor(&check.id)),
        text(&check.id)
    );
    if row.restarted {
        item.push_str(": the server was stopped and started again on the same database");
    }
    if screenshot_of(check).is_some() {
        let _ =
            write!(item, " · <a href=\"#{}\">its screenshot</a>", attribute(&screenshot_anchor(&check.id)));
    }
    item.push('\n');
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckResult;

    const TOKEN: &str = "4f3a9b2c-1111-4222-8333-944455556666";

    fn exchange(
        client: &str,
        method: &str,
        url: &str,
        cookie: Option<&str>,
        status: Option<u16>,
    ) -> Exchange {
        Exchange {
            client: Some(client.to_owned()),
            method: method.to_owned(),
            url: url.to_owned(),
            cookies: cookie.map(|c| vec![c.to_owned()]).unwrap_or_default(),
            request_body: None,
            status,
            content_type: None,
            response_body: None,
            error: status.is_none().then(|| "no answer within 10 s".to_owned()),
        }
    }

    fn check(id: &str, status: Status, exchanges: Vec<Exchange>) -> CheckResult {
        let mut check = CheckResult::new(id, "a check", 5);
        check.status = status;
        check.exchanges = exchanges;
        check
    }

    /// A grade told by hand: a boot, a failed browser login, a session, a
    /// second tab with its screenshot, and a failed restart with a request
    /// to another launch of the server.
    fn told() -> Report {
        let (before, after, other) =
            ("http://127.0.0.1:4000", "http://127.0.0.1:4001", "http://127.0.0.1:4002");
        let cookie = format!("session={TOKEN}");
        let mut second_tab = check(
            "browser-second-tab",
            Status::Pass,
            vec![exchange("browser tab 2", "GET", &format!("{before}/"), Some(&cookie), Some(200))],
        );
        second_tab.artifacts = vec!["target/grader/browser-second-tab.png".into()];
        Report::new(
            "here".into(),
            vec![
                check(
                    "boots",
                    Status::Pass,
                    vec![exchange("jar 1", "GET", &format!("{before}/"), None, Some(200))],
                ),
                check(
                    "browser-login",
                    Status::Fail,
                    vec![exchange("browser", "POST", &format!("{before}/api/TODO"), None, Some(501))],
                ),
                check("script-filled", Status::Fail, Vec::new()),
                check(
                    "creates-session",
                    Status::Pass,
                    vec![
                        exchange("jar 2", "POST", &format!("{before}/api/sessions"), None, Some(200)),
                        exchange("jar 3", "GET", &format!("{before}/api/me"), Some(&cookie), Some(200)),
                    ],
                ),
                second_tab,
                check(
                    SURVIVES_RESTART.id,
                    Status::Fail,
                    vec![
                        exchange("jar 4", "GET", &format!("{after}/api/me"), Some(&cookie), Some(401)),
                        exchange("jar 5", "POST", &format!("{other}/api/sessions"), None, None),
                    ],
                ),
            ],
        )
    }

    /// The `<svg>` of a story, parsed as XML (it must be well-formed).
    fn svg_of(story: &str) -> roxmltree::Document<'_> {
        let start = story.find("<svg").expect("a diagram");
        let end = story.find("</svg>").expect("a whole diagram") + "</svg>".len();
        roxmltree::Document::parse(&story[start..end]).unwrap_or_else(|e| panic!("{e}\n{story}"))
    }

    fn words_of(node: roxmltree::Node) -> String {
        node.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap_or_default()).collect()
    }

    fn has_class(node: &roxmltree::Node, class: &str) -> bool {
        node.attribute("class").is_some_and(|c| c.split(' ').any(|word| word == class))
    }

    #[test]
    fn each_request_is_an_arrow_in_the_order_sent() {
        let story = story(&told());
        let svg = svg_of(&story);
        let steps: Vec<roxmltree::Node> = svg.descendants().filter(|n| has_class(n, "step")).collect();
        let said: Vec<String> = steps.iter().map(|step| words_of(*step)).collect();
        assert_eq!(
            said,
            [
                "GET / · no cookie200",
                "POST /api/TODO · no cookie501",
                "POST /api/sessions · no cookie200",
                "GET /api/me · cookie session=4f3a9b2c…200",
                "GET / · cookie session=4f3a9b2c…200",
                "GET /api/me · cookie session=4f3a9b2c…401",
                "POST /api/sessions · no cookie · to another launchno answer: no answer within 10 s",
            ]
        );
        assert!(!story.contains(TOKEN), "a token is shown whole:\n{story}");
        // Arrows go down the page, each below the one before.
        let heights: Vec<f64> = steps
            .iter()
            .map(|step| step.descendants().find(|n| n.has_tag_name("line")).unwrap())
            .map(|line| line.attribute("y1").unwrap().parse().unwrap())
            .collect();
        assert!(heights.windows(2).all(|pair| pair[0] < pair[1]), "{heights:?}");
    }

    #[test]
    fn a_failed_checks_arrows_are_red_and_link_to_it() {
        let story = story(&told());
        let svg = svg_of(&story);
        for step in svg.descendants().filter(|n| has_class(n, "step")) {
            let link = step.parent().unwrap().attribute("href").unwrap();
            let failed = has_class(&step, "failed");
            assert_eq!(failed, ["#check-browser-login", "#check-survives-restart"].contains(&link), "{link}");
            let colours: Vec<&str> = step.descendants().filter_map(|n| n.attribute("stroke")).collect();
            assert_eq!(colours.contains(&FAILED), failed, "{link}: {colours:?}");
        }
        let list_failed = story.matches("<li class=\"failed\">").count();
        assert_eq!(list_failed, 3, "{story}");
        // A check that sent nothing (script-filled) is not in the story.
        assert!(!story.contains("script-filled"), "{story}");
    }

    #[test]
    fn each_client_has_a_lane_and_used_jars_give_theirs_to_new_ones() {
        let story = story(&told());
        let svg = svg_of(&story);
        let boxes: Vec<(String, String)> = svg
            .descendants()
            .filter(|n| n.has_tag_name("rect"))
            .map(|rect| {
                let label = rect.next_sibling_element().unwrap();
                (words_of(label), label.attribute("x").unwrap().to_owned())
            })
            .collect();
        let names: Vec<&str> = boxes.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "browser window",
                "browser tab 2",
                "server",
                "database (SQLite)",
                "jar 1",
                "jar 2",
                "jar 3",
                "jar 4",
                "jar 5"
            ]
        );
        // Each jar is used once, one after the other: all fit in one column.
        let jar_columns: std::collections::BTreeSet<&str> =
            boxes.iter().filter(|(name, _)| name.starts_with("jar")).map(|(_, x)| x.as_str()).collect();
        assert_eq!(jar_columns.len(), 1, "{boxes:?}");
        let browser_x = &boxes[0].1;
        assert!(!jar_columns.contains(browser_x.as_str()));
        assert!(words_of(svg.root_element()).contains("fresh cookie jars of the grader"));
    }

    #[test]
    fn the_restart_breaks_the_servers_lane() {
        let report = told();
        let story = story(&report);
        let svg = svg_of(&story);
        let restart = svg.descendants().find(|n| has_class(n, "restart")).expect("a restart mark");
        let path = restart.attribute("d").unwrap();
        let mark_y: f64 =
            path.split([' ', 'M', 'L']).filter(|w| !w.is_empty()).nth(1).unwrap().parse().unwrap();
        let step_y = |text: &str| -> f64 {
            let step =
                svg.descendants().find(|n| has_class(n, "step") && words_of(*n).starts_with(text)).unwrap();
            let line = step.descendants().find(|n| n.has_tag_name("line")).unwrap();
            line.attribute("y1").unwrap().parse().unwrap()
        };
        assert!(
            step_y("GET / · cookie") < mark_y && mark_y < step_y("GET /api/me · cookie session=4f3a9b2c…401")
        );
        let server_x =
            restart.attribute("d").unwrap().split(' ').next().unwrap()[1..].parse::<u32>().unwrap() + 6;
        let server_segments = svg
            .descendants()
            .filter(|n| has_class(n, "lifeline") && n.attribute("x1") == Some(server_x.to_string().as_str()))
            .count();
        assert_eq!(server_segments, 2, "the server's lane is broken in two");
        assert!(story.contains("the server was stopped and started again on the same database"));
        assert!(words_of(svg.root_element()).contains("restarted on the same database"));
        // Skipped, the restart did not happen: no break.
        let mut skipped = report.clone();
        skipped.checks.last_mut().unwrap().status = Status::Skip;
        skipped.checks.last_mut().unwrap().exchanges.clear();
        assert!(!super::story(&skipped).contains("class=\"restart\""));
    }

    #[test]
    fn a_screenshot_is_linked_from_its_step() {
        let story = story(&told());
        let svg = svg_of(&story);
        let links: Vec<&str> = svg.descendants().filter_map(|n| n.attribute("href")).collect();
        assert!(links.contains(&"#shot-browser-second-tab"), "{links:?}");
        assert!(story.contains("<a href=\"#shot-browser-second-tab\">its screenshot</a>"), "{story}");
    }

    #[test]
    fn the_picture_can_be_read_without_seeing_it() {
        let story = story(&told());
        let svg = svg_of(&story);
        let root = svg.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("aria-labelledby"), Some("story-title story-desc"));
        let title = root.children().find(|n| n.has_tag_name("title")).unwrap();
        let desc = root.children().find(|n| n.has_tag_name("desc")).unwrap();
        assert_eq!(title.attribute("id"), Some("story-title"));
        assert_eq!(desc.attribute("id"), Some("story-desc"));
        let described = words_of(desc);
        assert!(described.contains("7 requests") && described.contains("5 fresh cookie jars"), "{described}");
        assert!(described.contains("2 tabs or windows of the real browser"), "{described}");
        assert!(described.contains("3 requests belong to failed checks"), "{described}");
        assert!(described.contains("started again on the same database"), "{described}");
        // The list tells every step, in order.
        let list = &story[story.find("<details").unwrap()..];
        let steps: Vec<&str> = list.lines().filter(|l| l.contains(" → server")).collect();
        assert_eq!(steps.len(), 7, "{list}");
        assert!(
            steps[3].contains("jar 3 → server: GET /api/me, cookie session=4f3a9b2c…; answered 200"),
            "{list}"
        );
        assert!(steps[6].contains("jar 5 → server (another launch): POST /api/sessions"), "{list}");
    }

    #[test]
    fn no_request_no_picture() {
        let mut quiet = check("builds", Status::Fail, Vec::new());
        quiet.artifacts = vec!["build.log".into()];
        for report in [Report::new("here".into(), Vec::new()), Report::new("here".into(), vec![quiet])] {
            let story = story(&report);
            assert!(!story.contains("<svg"), "{story}");
            assert!(story.contains("No request was sent in this grade"), "{story}");
        }
        // A restart with nothing sent after it (it did not boot) is still no story to draw.
        let restarted =
            Report::new("here".into(), vec![check(SURVIVES_RESTART.id, Status::Fail, Vec::new())]);
        assert!(!story(&restarted).contains("<svg"));
    }

    #[test]
    fn hostile_text_stays_text() {
        let hostile = "</text><script>alert(1)</script>\"><foreignObject onload=\"alert(2)\">]]>\u{202E}evil\u{1b}[31m\u{7}";
        let mut sent =
            exchange(hostile, hostile, &format!("http://127.0.0.1:4000/{hostile}"), Some(hostile), None);
        sent.error = Some(hostile.to_owned());
        sent.cookies.push(format!("session={hostile}"));
        let mut failed = check(hostile, Status::Fail, vec![sent.clone()]);
        failed.artifacts = vec![format!("{hostile}.png")];
        let passed = check("boots", Status::Pass, vec![sent]);
        let story = story(&Report::new(hostile.into(), vec![passed, failed]));
        let svg = svg_of(&story);
        let made =
            ["svg", "title", "desc", "defs", "marker", "path", "rect", "text", "tspan", "line", "a", "g"];
        let attributes = [
            "xmlns",
            "class",
            "role",
            "aria-labelledby",
            "viewBox",
            "width",
            "height",
            "font-family",
            "font-size",
            "font-weight",
            "font-style",
            "id",
            "refX",
            "refY",
            "markerWidth",
            "markerHeight",
            "orient",
            "d",
            "fill",
            "x",
            "y",
            "rx",
            "stroke",
            "stroke-width",
            "stroke-dasharray",
            "paint-order",
            "text-anchor",
            "href",
            "x1",
            "y1",
            "x2",
            "y2",
            "marker-end",
            "text-decoration",
        ];
        for node in svg.descendants().filter(|n| n.is_element()) {
            let name = node.tag_name().name();
            assert!(made.contains(&name), "an element the story did not make: <{name}>\n{story}");
            for attribute in node.attributes() {
                assert!(
                    attributes.contains(&attribute.name()),
                    "an attribute it did not make: {attribute:?}"
                );
                if attribute.name() == "href" {
                    assert!(attribute.value().starts_with('#'), "a link out of the page: {attribute:?}");
                }
            }
        }
        // The hostile words are there, as words.
        let words = words_of(svg.root_element());
        assert!(words.contains("</text><script>alert(1)</script>"), "{words}");
        assert!(words.contains("\\u{202e}evil\\u{1b}[31m\\u{7}"), "{words}");
        // And nowhere, the list included, as markup or as raw control characters.
        let lowered = story.to_lowercase();
        for made_up in ["<script", "<foreignobject", " onload=\"", "]]>"] {
            assert!(!lowered.contains(made_up), "`{made_up}` in\n{story}");
        }
        assert!(!story.chars().any(|c| c == '\u{202E}' || (c.is_control() && c != '\n')), "{story:?}");
    }

    #[test]
    fn tokens_and_paths_are_cut_for_the_picture() {
        assert_eq!(short_cookie(&format!("session={TOKEN}")), "session=4f3a9b2c…");
        assert_eq!(short_cookie("session=admin"), "session=admin");
        assert_eq!(short_cookie("bare"), "bare");
        assert_eq!(path_of("http://127.0.0.1:4000/api/me?x=1"), "/api/me?x=1");
        assert_eq!(path_of("http://127.0.0.1:4000"), "/");
        assert_eq!(origin_of("http://127.0.0.1:4000/api/me"), "http://127.0.0.1:4000");
        let long = exchange("jar 1", "GET", &format!("http://h/{}", "a".repeat(100)), None, Some(200));
        assert_eq!(request_line(&long).chars().count(), 48);
        assert!(request_line(&long).ends_with('…'));
    }
}
