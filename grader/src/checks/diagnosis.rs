//! From symptom to cause: what a failed request, a refused login or an
//! unknown token says about the student's two files, as a verdict whose hint
//! names the change to make and where.

use serde_json::Value;

use super::facts::Login;
use super::{Context, Verdict};
use crate::client::{quote, NoAnswer, Reply};
use crate::kit::{kit, Step};
use crate::server::Route;

/// No answer at all: the kind of silence says where to look.
pub async fn no_answer(ctx: &Context, error: &NoAnswer, expected: &str) -> Verdict {
    let mut hint = error.hint(&ctx.files.route.display);
    if let NoAnswer::Refused { .. } | NoAnswer::NotHttp { .. } = error {
        if let Some(line) = panic_line(ctx).await {
            hint = format!("the server crashed; its log says: {line}");
        } else if let Some(log) = ctx.server.as_ref().map(|s| s.log()) {
            if stopped(log).await {
                let last = log.tail(1).join("");
                hint = format!(
                    "the server stopped while it answered: it is no longer running (its last line: {}); does your \
                     route end the process ({})?",
                    if last.is_empty() { "none" } else { last.trim() },
                    ctx.files.route.display
                );
            }
        }
    }
    Verdict::fail(error.to_string()).expected(expected).hint(hint)
}

/// Whether the server's output has ended, after a moment for the pipe to close.
async fn stopped(log: &crate::server::ServerLog) -> bool {
    for _ in 0..10 {
        if log.ended() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    false
}

/// The token in a login answer, or a verdict that says what is wrong with it.
pub async fn token_of(ctx: &Context, request_line: &str, reply: &Reply) -> Result<String, Verdict> {
    let route = &ctx.files.route.display;
    let answer_json = format!("answer `Json(...)` of a struct with a `token` field ({route})");
    if reply.is_redirect() {
        return Err(Verdict::fail(format!(
            "{request_line} answered {} with a redirect to {}",
            reply.status,
            reply.location.as_deref().unwrap_or("nowhere")
        ))
        .expected("2xx with JSON {\"token\": \"…\"}")
        .hint(format!(
            "session.js reads the answer as JSON, it does not follow a page: {answer_json}, not a Redirect"
        )));
    }
    if !reply.is_success() {
        return Err(explain_refusal(ctx, request_line, reply).await);
    }
    let Some(json) = reply.json() else {
        return Err(Verdict::fail(format!(
            "the login answered {} but its body is not JSON: `{}`",
            reply.status,
            quote(&reply.body)
        ))
        .expected("JSON like {\"token\": \"…\"}")
        .hint(format!("return `Json(...)` of a struct with a `token` field ({route})")));
    };
    match json.get("token") {
        Some(Value::String(token)) if !token.is_empty() => Ok(token.clone()),
        Some(other) => Err(Verdict::fail(format!(
            "the login answered {json} and its \"token\" is not a string but {other}"
        ))
        .expected("JSON like {\"token\": \"…\"}, the token a string")
        .hint(format!("return the String that SessionManager::create gives you ({route})"))),
        None => {
            let keys: Vec<String> =
                json.as_object().map(|o| o.keys().map(|k| format!("\"{k}\"")).collect()).unwrap_or_default();
            let used =
                if keys.is_empty() { String::new() } else { format!(" (it used {})", keys.join(", ")) };
            Err(Verdict::fail(format!("the login answered {json}: there is no \"token\" key{used}"))
                .expected("JSON like {\"token\": \"…\"}")
                .hint(format!("session.js reads `data.token`: name the field `token` ({route})")))
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
    let routes = ctx.server.as_ref().map(|s| s.log().routes()).unwrap_or_default();
    let nearest =
        request_line.split_once(' ').and_then(|(method, path)| nearest_route(method, path, &routes));
    let route_file = rs.display.as_str();
    let unused = ctx.facts.unused_functions.iter().find(|f| f.contains(route_file));
    let hint = match (reply.status, nearest) {
        (404 | 405, _) if unused.is_some() => format!(
            "the compiler says `{}` is never used: list your handler in `routes![...]` at the end of {} ({})",
            unused.map(String::as_str).unwrap_or_default(),
            rs.display,
            kit().step(Step::ListTheRoute)
        ),
        (404 | 405, Some(route)) if route.path_matches(request_line) => format!(
            "the page sent {request_line}; your route is {} {}: make the method in {} and in your route's attribute ({}) the same",
            route.method, route.path, js.display, rs.display
        ),
        (404 | 405, Some(route)) => format!(
            "the page sent {request_line}; your route is {} {}: use the same URL in {} and in your route's attribute ({})",
            route.method,
            route.path,
            js.at_todo(kit().student.url_todo()),
            rs.display
        ),
        (status, _) => refusal_hint(ctx, status, &body_sent).await,
    };
    Verdict::fail(message).expected(expected).hint(hint)
}

/// The hint for a refused login when no route table says more.
async fn refusal_hint(ctx: &Context, status: u16, body_sent: &str) -> String {
    let (js, rs) = (&ctx.files.script, &ctx.files.route);
    match status {
        501 => format!(
            "not implemented yet: see {} and {}",
            rs.at_todo(kit().student.route_todo()),
            js.at_todo(kit().student.url_todo())
        ),
        404 => format!(
            "no route has this URL: the URL in {} must be the one in your route's attribute in {}",
            js.at_todo(kit().student.url_todo()),
            rs.display
        ),
        405 => format!(
            "the URL exists for another method: make the method in {} and your route's attribute agree",
            js.display
        ),
        415 => {
            format!(
                "your route takes JSON (`format = \"json\"`): keep the Content-Type header in {}",
                js.display
            )
        }
        422 => {
            let body_at = body_line(ctx).unwrap_or_else(|| js.at_todo(kit().student.body_todo()));
            match wanted_by_route(ctx) {
                Some(wanted) => format!(
                    "the route could not read the body {body_sent}: it {wanted}; make the key the page sends ({body_at}) \
                     and your struct's field name in {} the same",
                    rs.display
                ),
                None => format!(
                    "the route could not read the body {body_sent}: the key in {body_at} must match your struct's field name in {}",
                    rs.display
                ),
            }
        }
        400 => format!(
            "the body is not the JSON the route expects: see {}",
            js.at_todo(kit().student.body_todo())
        ),
        500..=599 => match panic_line(ctx).await {
            Some(line) => format!("your route failed; the server's log says: {line}"),
            None => format!("your route failed: read the server's log and {}", rs.display),
        },
        _ => format!("see {} and {}", rs.display, js.display),
    }
}

/// The route nearest to what the page sent: a route of the same method one
/// or two characters away (a typo), else the same path under another method,
/// else the closest path, the same method first.
fn nearest_route<'r>(method: &str, path: &str, routes: &'r [Route]) -> Option<&'r Route> {
    let path = path.split('?').next().unwrap_or(path);
    let distance = |r: &&Route| edit_distance(&r.path, path);
    let others = || routes.iter().filter(|r| r.path != path || r.method != method);
    let typo = others().filter(|r| r.method == method && distance(r) <= 2).min_by_key(distance);
    let same_path = || others().find(|r| r.path == path);
    let close = |r: &&Route| distance(r) <= path.len().max(4) / 3;
    let closest = || {
        others()
            .filter(|r| r.method == method)
            .filter(close)
            .min_by_key(distance)
            .or_else(|| others().filter(close).min_by_key(distance))
    };
    typo.or_else(same_path).or_else(closest)
}

impl Route {
    /// Whether `request_line` ("POST /x") names this route's path.
    fn path_matches(&self, request_line: &str) -> bool {
        request_line.split_once(' ').is_some_and(|(_, p)| p.split('?').next() == Some(self.path.as_str()))
    }
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// What the route's JSON guard wanted, from Rocket's log of the last refused
/// body: "wanted the key `username`", or serde's own words.
fn wanted_by_route(ctx: &Context) -> Option<String> {
    let lines = ctx.server.as_ref()?.log().since(0);
    let line = lines.iter().rev().find(|l| l.contains("Data guard") && l.contains("failed"))?;
    if let Some(key) = line.split("missing field `").nth(1).and_then(|r| r.split('`').next()) {
        return Some(format!("wanted the key `{key}`"));
    }
    let said = line.split("Error(\"").nth(1)?.split("\", line").next()?;
    Some(format!("said: {said}"))
}

/// "static/js/session.js:93", where the script builds the login body.
fn body_line(ctx: &Context) -> Option<String> {
    let line = ctx.facts.script.as_ref()?.body_line?;
    Some(format!("{}:{line}", ctx.files.script.display))
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
pub async fn unknown_token(ctx: &Context, login: &Login, reply: &Reply, what: &str) -> Verdict {
    let rs = &ctx.files.route.display;
    let whoami = &crate::kit::kit().server.whoami;
    match (reply.status, super::driver::username_in(reply)) {
        // It worked at its login: something since ended it.
        (401, _) if ctx.facts.first_login_worked && ctx.facts.first_login.as_ref() == Some(login) => {
            Verdict::fail(format!(
                "{what}: GET {whoami} answered 401: the token `{}` worked right after its login, and stopped \
                 working once other users logged in",
                login.token
            ))
            .expected(format!("200 {{\"username\": \"{}\"}}", login.username))
            .hint(format!("a login must not end other users' sessions: only create one ({rs})"))
        }
        (401, _) => dead_token(ctx, login, what).await,
        (200, Some(other)) => {
            Verdict::fail(format!("{what}: the token of `{}` logs in as `{other}`", login.username))
                .expected(format!("200 {{\"username\": \"{}\"}}", login.username))
                .hint(format!("create the session for the username in the request body ({rs})"))
        }
        (status, _) => Verdict::fail(format!("{what}: GET {whoami} answered {status}"))
            .expected(format!("200 {{\"username\": \"{}\"}}", login.username))
            .hint("read the server's log"),
    }
}

/// A token the server just issued does not log its user in (401): what its
/// row in the database says is why. The grader owns the database.
async fn dead_token(ctx: &Context, login: &Login, what: &str) -> Verdict {
    let whoami = &crate::kit::kit().server.whoami;
    let said = format!("{what}: GET {whoami} answered 401 to the token `{}`", login.token);
    let (finding, hint) = why_the_token_is_dead(ctx, login).await;
    Verdict::fail(format!("{said}: {finding}"))
        .expected(format!("200 {{\"username\": \"{}\"}}", login.username))
        .hint(hint)
}

/// Why `login.token`, just issued for `login.username`, does not log in, as
/// the token's session row in the database tells it (read-only, bounded in
/// time): no row, a row stored already expired or since expired (by how
/// much), a row of another user, or a row that is fine (then the cookie or
/// the script is the cause). A finding and a hint.
pub async fn why_the_token_is_dead(ctx: &Context, login: &Login) -> (String, String) {
    let rs = &ctx.files.route.display;
    let made_up = format!("return the token SessionManager::create gives you, not one you make up ({rs})");
    let lifetime = "a session's expiry is its creation time plus the lifetime, both in seconds (a lifetime \
                    subtracted, or counted in other units, stores it already expired): see \
                    SessionManager::create and its lifetime"
        .to_owned();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    match ctx.lab().stored_session(&login.token).await {
        Ok(None) => ("no session in the database has that token".into(), made_up),
        Ok(Some(row)) if row.expires_at <= row.created_at => (
            format!(
                "its session is in the database, but it expires at {} (Unix seconds), {} it was created ({}), \
                 {} s in the past: it was stored already expired",
                row.expires_at,
                if row.expires_at == row.created_at { "the very second" } else { "before" },
                row.created_at,
                now - row.expires_at
            ),
            lifetime,
        ),
        Ok(Some(row)) if row.expires_at <= now => (
            format!(
                "its session is in the database, but its expiry is {} s in the past (expires_at {}, created_at {})",
                now - row.expires_at,
                row.expires_at,
                row.created_at
            ),
            lifetime,
        ),
        Ok(Some(row)) if row.username != login.username => (
            format!("its session is in the database for `{}`, not for `{}`", row.username, login.username),
            format!("create the session for the username in the request body ({rs})"),
        ),
        Ok(Some(row)) => (
            format!(
                "its session is in the database for `{}` and has not expired, yet the server did not find it \
                 from the cookie",
                row.username
            ),
            format!(
                "the token must travel in the `{}` cookie, exactly as the login answered it: look at the cookie \
                 session.js stores (its name and path), and at the server's log",
                crate::kit::kit().server.cookie
            ),
        ),
        Err(why) => (format!("the server does not know the token (the grader could not read its database: {why})"), made_up),
    }
}

/// The usual compiler errors of a first Rocket route, each with the one-line
/// fix and the handout's step it comes from: (what the error says, the fix, the step).
const ROUTE_FIXES: &[(&[&str], &str, Step)] = &[
    (
        &["Json<", "FromRequest"],
        "a `Json<...>` argument is the request's body: add `data = \"<name>\"` to the route's attribute, naming that argument",
        Step::ReadTheBody,
    ),
    (
        &["Deserialize<"],
        "the struct the body is read into needs `#[derive(Deserialize)]` (`use serde::Deserialize;`)",
        Step::ReadTheBody,
    ),
    (
        &["Serialize"],
        "the struct you answer with needs `#[derive(Serialize)]` (`use serde::Serialize;`)",
        Step::AnswerWithTheToken,
    ),
    (
        &["Responder"],
        "a route answers with something Rocket can send: `Json(...)`, or a `(Status, Json(...))` pair",
        Step::AnswerWithTheToken,
    ),
    (
        &["`?` operator"],
        "`?` needs the handler to return a `Result`: return `Result<..., ApiError>`",
        Step::HandleErrors,
    ),
];

/// Names a first route uses, and the `use` that brings each in.
const IMPORTS: &[(&str, &str)] = &[
    ("State", "use rocket::State;"),
    ("SessionManager", "use lab::models::SessionManager;"),
    ("Username", "use lab::domain::Username;"),
    ("Json", "use rocket::serde::json::Json;"),
    ("Status", "use rocket::http::Status;"),
];

/// The one-line fix for a compiler error a first route often meets.
pub fn route_fix(rendered: &str) -> Option<String> {
    let first = rendered.lines().next().unwrap_or_default();
    // Only "cannot find" / "undeclared" errors are about a missing `use`.
    let missing = |name: &str| {
        (first.contains("cannot find") || first.contains("undeclared"))
            && first.contains(&format!("`{name}`"))
    };
    if let Some((_, import)) = IMPORTS.iter().find(|(name, _)| missing(name)) {
        return Some(format!("bring it in: `{import}` (the tips under {})", kit().route_steps()));
    }
    ROUTE_FIXES
        .iter()
        .find(|(says, _, _)| says.iter().all(|s| rendered.contains(s)))
        .map(|(_, fix, step)| format!("{fix} ({})", kit().step(*step)))
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

    fn route(method: &str, path: &str) -> Route {
        Route { handler: "h".into(), method: method.into(), path: path.into() }
    }

    #[test]
    fn compiler_errors_of_a_first_route() {
        let no_data = "error[E0277]: the trait bound `Json<Login>: FromRequest<'_>` is not satisfied";
        assert!(route_fix(no_data).unwrap().contains("data = \"<name>\""));
        let no_derive = "error[E0277]: the trait bound `NewSession: Serialize` is not satisfied";
        assert!(route_fix(no_derive).unwrap().contains("#[derive(Serialize)]"));
        let mismatch = "error[E0308]: mismatched types\n  expected `&Username`, found `Username`";
        assert_eq!(route_fix(mismatch), None);
        let undeclared = "error[E0433]: failed to resolve: use of undeclared type `Username`";
        assert!(route_fix(undeclared).unwrap().contains("use lab::domain::Username;"));
    }

    #[test]
    fn the_nearest_route() {
        let routes =
            [route("DELETE", "/api/session"), route("POST", "/api/sessions"), route("GET", "/api/me")];
        assert_eq!(nearest_route("POST", "/api/session", &routes), Some(&routes[1]));
        assert_eq!(nearest_route("PUT", "/api/sessions", &routes), Some(&routes[1]));
        assert_eq!(nearest_route("POST", "/login", &routes), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn finds_the_error_location() {
        let error = "error[E0425]: cannot find value `x`\n  --> lab/src/controllers.rs:3:5\n   |";
        assert_eq!(error_location(error).as_deref(), Some("lab/src/controllers.rs:3:5"));
        assert_eq!(first_lines("a\nb\nc", 2), "a\nb\n  …");
    }
}
