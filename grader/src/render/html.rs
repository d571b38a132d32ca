//! `--format html`: one self-contained page a student opens after a grade.
//! Each check with its verdict and hint; the requests the grader sent and
//! the answers it got, beside what it expected; the browser stage's
//! screenshots inline and its console. No external assets, no script (its
//! content security policy allows none), and all submission text escaped.

use std::fmt::Write;

use base64::Engine;

use super::story::{self, check_anchor, screenshot_anchor, screenshot_of};
use super::summary;
use super::{markup, Style};
use crate::kit::kit;
use crate::report::{CheckResult, Report, Status};

/// The largest screenshot the page inlines.
const MAX_INLINE_IMAGE: u64 = 8 * 1024 * 1024;

pub fn html(report: &Report) -> String {
    let title = format!("{}: {}/{}", kit().lab.title, report.score, report.max_score);
    let mut out = super::page_head(&title, STYLE);
    let _ = write!(
        out,
        r#"<header>
<h1>{}</h1>
<p class="score {}">{}</p>
<p class="meta">{}</p>
</header>
"#,
        markup(&kit().lab.title),
        outcome_class(report),
        markup(&summary(report, Style::PLAIN)),
        markup(&format!(
            "{} · grader {} (kit {}) · run {} · sandbox: {}",
            report.submission,
            report.run.grader_version,
            report.run.kit_commit,
            report.run.id,
            report.run.sandbox
        )),
    );
    if !report.changed_given_files.is_empty() {
        out.push_str("<section class=\"warning\"><h2>Given files that differ from the kit's</h2>\n");
        out.push_str("<p>Only the student files should change.</p><ul>\n");
        for change in &report.changed_given_files {
            let _ = writeln!(out, "<li><code>{}</code></li>", markup(&change.describe()));
        }
        out.push_str("</ul></section>\n");
    }
    if !report.changed_build_files.is_empty() {
        out.push_str(
            "<section class=\"warning\"><h2>Files that decide how the clone is built or graded</h2>\n",
        );
        out.push_str(
            "<p>These differ from the kit's: they change how the clone is built or graded.</p><ul>\n",
        );
        for change in &report.changed_build_files {
            let _ = writeln!(out, "<li><code>{}</code></li>", markup(&change.describe()));
        }
        out.push_str("</ul></section>\n");
    }
    for note in &report.run.notes {
        let _ = writeln!(out, "<p class=\"note\">note: {}</p>", markup(note));
    }
    out.push_str(&story::story(report));
    out.push_str("<ol class=\"checks\">\n");
    for check in &report.checks {
        check_item(&mut out, check);
    }
    out.push_str("</ol>\n</body>\n</html>\n");
    out
}

fn check_item(out: &mut String, check: &CheckResult) {
    let (class, badge) = match check.status {
        Status::Pass => ("pass", "PASS"),
        Status::Fail => ("fail", "FAIL"),
        Status::Error => ("error", "ERROR"),
        Status::Skip => ("skip", "SKIP"),
    };
    let points =
        if check.max_points > 0 { format!("{}/{}", check.points, check.max_points) } else { String::new() };
    let open = if matches!(check.status, Status::Fail | Status::Error) { " open" } else { "" };
    let _ = writeln!(
        out,
        "<li class=\"check {class}\" id=\"{}\"><details{open}><summary><span class=\"badge\">{badge}</span> \
         <code>{}</code> {} <span class=\"points\">{points}</span></summary>",
        markup(&check_anchor(&check.id)),
        markup(&check.id),
        markup(&check.title)
    );
    let _ = writeln!(out, "<p class=\"message\">{}</p>", markup(&check.message));
    if let Some(hint) = &check.hint {
        let _ = writeln!(out, "<p class=\"hint\"><strong>What to do:</strong> {}</p>", markup(hint));
    }
    if !check.exchanges.is_empty() {
        out.push_str("<table class=\"exchanges\"><tr><th>the grader sent</th><th>the server answered</th>");
        out.push_str("<th>expected</th></tr>\n");
        for (i, exchange) in check.exchanges.iter().enumerate() {
            let mut sent = format!("{} {}", exchange.method, exchange.url);
            if !exchange.cookies.is_empty() {
                let _ = write!(sent, "\ncookies: {}", exchange.cookies.join("; "));
            }
            if let Some(body) = &exchange.request_body {
                let _ = write!(sent, "\n\n{body}");
            }
            let got = match (&exchange.status, &exchange.error) {
                (Some(status), _) => format!(
                    "{status} ({})\n\n{}",
                    exchange.content_type.as_deref().unwrap_or("no content type"),
                    exchange.response_body.as_deref().unwrap_or("")
                ),
                (None, Some(error)) => error.clone(),
                (None, None) => String::new(),
            };
            // What was expected belongs to the last exchange: the one that failed.
            let last = i + 1 == check.exchanges.len() && check.status == Status::Fail;
            let expected = if last { check.expected.as_deref().unwrap_or("") } else { "" };
            let _ = writeln!(
                out,
                "<tr><td><pre>{}</pre></td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                markup(&sent),
                markup(&got),
                markup(expected)
            );
        }
        out.push_str("</table>\n");
    } else if let (Some(expected), Status::Fail) = (&check.expected, check.status) {
        let _ = writeln!(out, "<p class=\"expected\"><strong>Expected:</strong> {}</p>", markup(expected));
    }
    for artifact in &check.artifacts {
        // The story links to the first screenshot, shown inline or named.
        let anchor = if screenshot_of(check) == Some(artifact.as_str()) {
            format!(" id=\"{}\"", markup(&screenshot_anchor(&check.id)))
        } else {
            String::new()
        };
        let path = std::path::Path::new(artifact);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_INLINE_IMAGE);
        if artifact.ends_with(".png") && small {
            if let Ok(bytes) = std::fs::read(path) {
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                let _ = writeln!(
                    out,
                    "<figure{anchor}><img alt=\"{}\" src=\"data:image/png;base64,{data}\"><figcaption>{}</figcaption></figure>",
                    markup(&format!("the page, as the grader saw it ({name})")),
                    markup(&name)
                );
                continue;
            }
        }
        if artifact.ends_with(".txt") {
            if let Ok(text) = std::fs::read_to_string(path) {
                let _ = writeln!(
                    out,
                    "<p class=\"artifact\">{}:</p><pre class=\"console\">{}</pre>",
                    markup(&name),
                    markup(&text)
                );
                continue;
            }
        }
        let _ = writeln!(out, "<p class=\"artifact\"{anchor}>saved: <code>{}</code></p>", markup(artifact));
    }
    out.push_str("</details></li>\n");
}

fn outcome_class(report: &Report) -> &'static str {
    match report.exit_code() {
        0 => "passed",
        1 => "failed",
        _ => "incomplete",
    }
}

const STYLE: &str = "
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d1d1f; }
header h1 { margin-bottom: 0.2rem; }
.score { font-size: 1.3rem; font-weight: 600; }
.score.passed { color: #1a7f37; } .score.failed { color: #cf222e; } .score.incomplete { color: #9a6700; }
.meta, .note { color: #57606a; font-size: 0.85rem; }
.warning { border-left: 4px solid #9a6700; background: #fff8c5; padding: 0.2rem 1rem; margin: 1rem 0; }
ol.checks { list-style: none; padding: 0; }
.check { border: 1px solid #d0d7de; border-radius: 6px; margin: 0.5rem 0; padding: 0.4rem 0.8rem; }
.check summary { cursor: pointer; }
.badge { display: inline-block; min-width: 3.5rem; font-weight: 700; font-family: ui-monospace, monospace; }
.pass .badge { color: #1a7f37; } .fail .badge { color: #cf222e; } .error .badge { color: #9a6700; } .skip .badge { color: #57606a; }
.fail { border-color: #cf222e; } .error { border-color: #9a6700; }
.points { float: right; color: #57606a; }
.hint { background: #ddf4ff; padding: 0.4rem 0.6rem; border-radius: 4px; }
table.exchanges { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.exchanges th, table.exchanges td { border: 1px solid #d0d7de; padding: 0.3rem; vertical-align: top; text-align: left; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; font-size: 0.85rem; }
pre.console { background: #f6f8fa; padding: 0.5rem; max-height: 20rem; overflow: auto; }
img { max-width: 100%; border: 1px solid #d0d7de; }
.story svg { max-width: 100%; height: auto; display: block; margin: 0.5rem 0; }
.story svg a:focus text, .story svg a:hover text { text-decoration: underline; }
.story-steps li.failed { color: #cf222e; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_text_is_escaped() {
        assert_eq!(
            markup("<script>alert('x')</script> & \u{1b}[31m"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; \\u{1b}[31m"
        );
        let mut report = Report::new("here".into(), Vec::new());
        report.submission = "<img src=x onerror=alert(1)>".into();
        let page = html(&report);
        assert!(!page.contains("<img src=x"), "{page}");
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn the_page_tells_the_story_and_every_link_of_it_lands() {
        use crate::report::Exchange;
        let mut check = CheckResult::new("creates-session", "t", 15);
        check.status = Status::Fail;
        check.exchanges.push(Exchange {
            client: Some("jar 1".into()),
            method: "POST".into(),
            url: "http://127.0.0.1:4000/api/TODO".into(),
            cookies: Vec::new(),
            request_body: None,
            status: Some(501),
            content_type: None,
            response_body: None,
            error: None,
        });
        // Not on disk: the page names it instead of showing it, and the story's link still lands.
        check.artifacts.push("no/such/creates-session.png".into());
        let page = html(&Report::new("here".into(), vec![check]));
        assert!(page.contains("<section class=\"story\" id=\"story\">"), "{page}");
        assert!(page.find("class=\"story\"") < page.find("<ol class=\"checks\">"), "the story comes first");
        let links: Vec<&str> =
            page.split("href=\"#").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect();
        assert!(
            links.contains(&"check-creates-session") && links.contains(&"shot-creates-session"),
            "{links:?}"
        );
        for link in links {
            assert_eq!(page.matches(&format!("id=\"{link}\"")).count(), 1, "#{link} lands nowhere, or twice");
        }
        assert!(page.contains("default-src 'none'; img-src data:; style-src 'unsafe-inline'"));
        assert!(!page.to_lowercase().contains("<script"), "no script in the page");
    }
}
