//! Whether `session.js` has its TODOs filled in: what the browser saw the
//! page send, or else what the reader (`crate::script`) finds in the script.

use super::{Check, Context, Findings, Stage, Verdict};
use crate::script::ScriptProblem;

pub static SCRIPT_FILLED: Check = Check {
    id: "script-filled",
    title: "session.js has its TODOs filled in",
    points: 5,
    needs: &[&super::setup::SERVES_PAGES],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(async move { script_filled(ctx, found) }),
};

fn script_filled(ctx: &mut Context, found: &mut Findings) -> Verdict {
    // A script this reader cannot follow is fine if the browser saw it send a real request.
    if let Some(request) = &ctx.facts.browser_request {
        if request.url != crate::script::url_placeholder() && !request.body.is_empty() {
            found.log.push("using the request the browser sent".into());
            return Verdict::Pass(format!(
                "the page sends {} {} with {} (seen in the browser)",
                request.method,
                request.url,
                request.body_for("<username>")
            ));
        }
    }
    let Some(parsed) = &ctx.facts.script else {
        return Verdict::error("session.js was not fetched");
    };
    let script = &ctx.files.script;
    if parsed.problems.is_empty() {
        let request = parsed.request.as_ref().expect("no problems: a request");
        return Verdict::Pass(format!(
            "session.js sends {} {} with {}",
            request.method,
            request.url,
            request.body_for("<username>")
        ));
    }
    let said: Vec<String> = parsed.problems.iter().map(|p| describe(p, &script.display)).collect();
    let todo = match parsed.problems[0] {
        ScriptProblem::BodyPlaceholder { .. } | ScriptProblem::UnreadableBody { .. } => "TODO 2",
        _ => "TODO 1",
    };
    Verdict::fail(
        said.join("\n"),
        "fetch(\"<your route's URL>\", { method: \"POST\", …, body: JSON.stringify({ <key>: username }) })",
        format!("see {}", script.at_todo(todo)),
    )
}

fn describe(problem: &ScriptProblem, file: &str) -> String {
    match problem {
        ScriptProblem::NoFetch => format!("{file} has no fetch(...) call any more"),
        ScriptProblem::UrlPlaceholder { line } => {
            format!(
                "TODO 1 is not done yet: {file}:{line} still calls fetch(\"{}\")",
                crate::script::url_placeholder()
            )
        }
        ScriptProblem::BodyPlaceholder { line } => {
            format!("TODO 2 is not done yet: {file}:{line} still sends an empty body, JSON.stringify({{}})")
        }
        ScriptProblem::UnreadableUrl { line } => {
            format!("{file}:{line}: the grader cannot read the URL; write it as a string, \"/api/...\"")
        }
        ScriptProblem::UnreadableBody { line } => {
            format!("{file}:{line}: the grader cannot read the body; write it as JSON.stringify({{ key: username }})")
        }
    }
}
