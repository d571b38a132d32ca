//! From symptom to cause: what a failed request, a refused login or an
//! unknown token says about the student's two files, as a verdict whose hint
//! names the change to make and where.

use serde_json::Value;

use super::facts::Login;
use super::{Context, Verdict};
use crate::client::{quote, NoAnswer, Reply};

/// No answer at all: the kind of silence says where to look.
pub async fn no_answer(ctx: &Context, error: &NoAnswer, expected: &str) -> Verdict {
    let mut hint = error.hint(&ctx.files.route.display);
    if let NoAnswer::Refused { .. } | NoAnswer::NotHttp { .. } = error {
        if let Some(line) = panic_line(ctx).await {
            hint = format!("the server crashed; its log says: {line}");
        }
    }
    Verdict::fail(error.to_string(), expected, hint)
}

/// The token in a login answer, or a verdict that says what is wrong with it.
pub async fn token_of(ctx: &Context, request_line: &str, reply: &Reply) -> Result<String, Verdict> {
    let route = &ctx.files.route.display;
    let answer_json = format!("answer `Json(...)` of a struct with a `token` field ({route})");
    if reply.is_redirect() {
        return Err(Verdict::fail(
            format!(
                "{request_line} answered {} with a redirect to {}",
                reply.status,
                reply.location.as_deref().unwrap_or("nowhere")
            ),
            "2xx with JSON {\"token\": \"…\"}",
            format!("session.js reads the answer as JSON, it does not follow a page: {answer_json}, not a Redirect"),
        ));
    }
    if !reply.is_success() {
        return Err(explain_refusal(ctx, request_line, reply).await);
    }
    let Some(json) = reply.json() else {
        return Err(Verdict::fail(
            format!("the login answered {} but its body is not JSON: `{}`", reply.status, quote(&reply.body)),
            "JSON like {\"token\": \"…\"}",
            format!("return `Json(...)` of a struct with a `token` field ({route})"),
        ));
    };
    match json.get("token") {
        Some(Value::String(token)) if !token.is_empty() => Ok(token.clone()),
        Some(other) => Err(Verdict::fail(
            format!("the login answered {json} and its \"token\" is not a string but {other}"),
            "JSON like {\"token\": \"…\"}, the token a string",
            format!("return the String that SessionManager::create gives you ({route})"),
        )),
        None => {
            let keys: Vec<String> =
                json.as_object().map(|o| o.keys().map(|k| format!("\"{k}\"")).collect()).unwrap_or_default();
            let used =
                if keys.is_empty() { String::new() } else { format!(" (it used {})", keys.join(", ")) };
            Err(Verdict::fail(
                format!("the login answered {json}: there is no \"token\" key{used}"),
                "JSON like {\"token\": \"…\"}",
                format!("session.js reads `data.token`: name the field `token` ({route})"),
            ))
        }
    }
}

/// Why a login got no 2xx, in terms of the two files.
pub async fn explain_refusal(ctx: &Context, request_line: &str, reply: &Reply) -> Verdict {
    let server_said = reply
        .json()
        .and_then(|j| j.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| quote(&reply.body));
    let (js, rs) = (&ctx.files.script, &ctx.files.route);
    let message = format!("{request_line} answered {}: {server_said}", reply.status);
    let expected = "2xx with JSON {\"token\": \"…\"}";
    let body_sent = ctx.facts.login_request().map(|r| r.value.body_for("…").to_string()).unwrap_or_default();
    let hint = match reply.status {
        501 => format!("not implemented yet: see {} and {}", rs.at_todo("TODO 1"), js.at_todo("TODO 1")),
        404 => format!(
            "no route has this URL: the URL in {} must be the one in your route's attribute in {}",
            js.at_todo("TODO 1"),
            rs.display
        ),
        405 => format!(
            "the URL exists for another method: make the method in {} and your route's attribute agree",
            js.display
        ),
        415 => {
            format!("your route takes JSON (`format = \"json\"`): keep the Content-Type header in {}", js.display)
        }
        422 => format!(
            "the route could not read the body {body_sent}: the key in {} must match your struct's field name in {}",
            js.at_todo("TODO 2"),
            rs.display
        ),
        400 => format!("the body is not the JSON the route expects: see {}", js.at_todo("TODO 2")),
        500..=599 => match panic_line(ctx).await {
            Some(line) => format!("your route failed; the server's log says: {line}"),
            None => format!("your route failed: read the server's log and {}", rs.display),
        },
        _ => format!("see {} and {}", rs.display, js.display),
    };
    Verdict::fail(message, expected, hint)
}

/// The panic message the server printed, if a request made it panic.
pub async fn panic_line(ctx: &Context) -> Option<String> {
    // The server prints the panic before it answers, but its output is read
    // on another task: give the line a moment to arrive.
    let log = ctx.server.as_ref()?.log();
    for _ in 0..10 {
        let lines = log.since(0);
        if let Some(at) = lines.iter().rposition(|l| l.contains("panicked at")) {
            let message = lines.get(at + 1).map(|m| format!(" {}", m.trim())).unwrap_or_default();
            return Some(format!("{}{message}", lines[at].trim()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// A token that should log `login` in did not: what the server said instead.
pub fn unknown_token(ctx: &Context, login: &Login, reply: &Reply, what: &str) -> Verdict {
    let rs = &ctx.files.route.display;
    let whoami = &crate::kit::kit().server.whoami;
    match (reply.status, super::driver::username_in(reply)) {
        (401, _) => Verdict::fail(
            format!(
                "{what}: GET {whoami} answered 401, the server does not know the token `{}`",
                login.token
            ),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            format!("return the token SessionManager::create gives you, not one you make up ({rs})"),
        ),
        (200, Some(other)) => Verdict::fail(
            format!("{what}: the token of `{}` logs in as `{other}`", login.username),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            format!("create the session for the username in the request body ({rs})"),
        ),
        (status, _) => Verdict::fail(
            format!("{what}: GET {whoami} answered {status}"),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            "read the server's log",
        ),
    }
}

/// `file:line:col` of a rendered rustc error (`--> lab/src/controllers.rs:3:5`).
pub fn error_location(rendered: &str) -> Option<String> {
    rendered.lines().find_map(|l| l.trim_start().strip_prefix("--> ")).map(|at| at.trim().to_owned())
}

/// The first `n` lines of `text`, with an ellipsis if there were more.
pub fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = lines[..lines.len().min(n)].join("\n");
    if lines.len() > n {
        shown.push_str("\n  …");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_error_location() {
        let error = "error[E0425]: cannot find value `x`\n  --> lab/src/controllers.rs:3:5\n   |";
        assert_eq!(error_location(error).as_deref(), Some("lab/src/controllers.rs:3:5"));
        assert_eq!(first_lines("a\nb\nc", 2), "a\nb\n  …");
    }
}
