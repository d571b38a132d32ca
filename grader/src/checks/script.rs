//! Whether `session.js` has its TODOs filled in: what the browser saw the
//! page send, or else what the reader (`crate::script`) finds in the script.

use super::{Check, Checked, Context, Findings, Points, Stage, Verdict};
use crate::kit::{kit, Step};
use crate::script::ScriptProblem;

pub static SCRIPT_FILLED: Check = Check {
    id: "script-filled",
    title: "session.js has its TODOs filled in",
    points: Points::Worth(5),
    needs: &[&super::setup::SERVES_PAGES],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(async move { script_filled(ctx, found) }),
};

fn script_filled(ctx: &mut Context, found: &mut Findings) -> Checked {
    // A script this reader cannot follow is fine if the browser saw it send a real request.
    if let Some(request) = &ctx.facts.browser_request {
        if request.url != crate::script::url_placeholder() && !request.body.is_empty_object() {
            found.log.push("using the request the browser sent".into());
            if request.logs_in_by_get() {
                let said = format!(
                    "the page logs in with {} {} (seen in the browser)",
                    request.method,
                    request.url_shown()
                );
                return Ok(login_by_get(ctx, said));
            }
            return Ok(Verdict::Pass(format!(
                "the page sends {} {} with {} (seen in the browser)",
                request.method,
                request.url_shown(),
                request.body_for("<username>")
            )));
        }
    }
    let Some(parsed) = &ctx.facts.script else {
        return Ok(Verdict::error("session.js was not fetched"));
    };
    let script = &ctx.files.script;
    if parsed.problems.is_empty() {
        let request = parsed.request.as_ref().expect("no problems: a request");
        return Ok(Verdict::Pass(format!(
            "session.js sends {} {} with {}",
            request.method,
            request.url_shown(),
            request.body_for("<username>")
        )));
    }
    if let (Some(ScriptProblem::LoginByGet { line }), Some(request)) =
        (parsed.problems.first(), &parsed.request)
    {
        let said =
            format!("{}:{line} logs in with {} {}", script.display, request.method, request.url_shown());
        return Ok(login_by_get(ctx, said));
    }
    let said: Vec<String> = parsed.problems.iter().map(|p| describe(p, &script.display)).collect();
    // Only a browser can tell what a script computes at run time: not a mistake, and not gradable here.
    if parsed.problems.iter().all(ScriptProblem::needs_browser) {
        return Ok(Verdict::Error {
            message: format!("{}\nthe grader needs a browser to read this script", said.join("\n")),
            hint: Some(
                "install Chromium or Chrome (or point --browser at one) and grade again: the browser stage sees the real request"
                    .into(),
            ),
        });
    }
    let todo = match parsed.problems.iter().find(|p| !p.needs_browser()) {
        Some(ScriptProblem::BodyPlaceholder { .. } | ScriptProblem::NoBody { .. }) => {
            kit().student.body_todo()
        }
        _ => kit().student.url_todo(),
    };
    if let Some(ScriptProblem::Syntax { line, .. }) = parsed.problems.first() {
        return Ok(Verdict::fail(said.join("\n")).expected("a script that parses").hint(format!(
            "fix {}:{line} first: a browser stops reading the script there too, and the page does nothing",
            script.display
        )));
    }
    Ok(Verdict::fail(said.join("\n")).expected("fetch(\"<your route's URL>\", { method: \"POST\", …, body: JSON.stringify({ <key>: username }) })").hint(format!("see {}", script.at_todo(todo))))
}

/// A login that works, but by GET with the name in its URL: the lab asks for
/// a POST (LAB.md step 4a), and the other checks still run on what it sends.
fn login_by_get(ctx: &Context, said: String) -> Verdict {
    Verdict::fail(format!(
            "{said}: the name travels in the URL. A login changes the server's state, so it must be a POST \
             that carries the name in its body: a GET can be replayed by a link, a prefetch or a crawler, and \
             writes the name into every log on its way"
        )).expected("fetch(\"<your route's URL>\", { method: \"POST\", …, body: JSON.stringify({ <key>: username }) })").hint(format!(
            "make your route a `#[post(...)]` that reads the name from a JSON body ({}, {}), \
             and send it that way ({})",
            kit().steps(Step::NameTheApi, Step::ReadTheBody),
            ctx.files.route.display,
            ctx.files.script.at_todo(kit().student.body_todo())
        ))
}

fn describe(problem: &ScriptProblem, file: &str) -> String {
    match problem {
        ScriptProblem::Syntax { line, message } => {
            format!("{file}:{line} is not valid JavaScript: {message}")
        }
        ScriptProblem::NoFetch => format!("{file} has no fetch(...) call any more"),
        ScriptProblem::UrlPlaceholder { line } => {
            format!(
                "{} is not done yet: {file}:{line} still calls fetch(\"{}\")",
                kit().student.url_todo(),
                crate::script::url_placeholder()
            )
        }
        ScriptProblem::BodyPlaceholder { line } => {
            let todo = kit().student.body_todo();
            format!("{todo} is not done yet: {file}:{line} still sends an empty body, JSON.stringify({{}})")
        }
        ScriptProblem::NoBody { line, method } if method.eq_ignore_ascii_case("GET") => format!(
            "{file}:{line} logs in with a GET that sends no body: a login changes the server's state, so it must \
             be a POST that carries the name in its body (a GET can be replayed by a link, a prefetch or a \
             crawler, and puts the name in logs; {})",
            kit().step(Step::NameTheApi)
        ),
        ScriptProblem::NoBody { line, method } => {
            format!("{} is not done yet: {file}:{line} sends {method} with no body at all", kit().student.body_todo())
        }
        ScriptProblem::LoginByGet { line } => {
            format!(
                "{file}:{line} logs in with a GET that carries the name in its URL ({})",
                kit().step(Step::NameTheApi)
            )
        }
        ScriptProblem::UnreadableUrl { line } => {
            format!("{file}:{line}: the URL is computed when the page runs, so only a browser can tell what it is")
        }
        ScriptProblem::UnreadableBody { line } => {
            format!(
                "{file}:{line}: the body is built when the page runs, so only a browser can tell what it is"
            )
        }
    }
}
