//! The checks that build, boot and talk HTTP to the server: the student's
//! half of the lab, seen from the outside, with fresh cookie jars standing in
//! for browser windows.

use serde_json::Value;

use super::context::{Context, Login, Target};
use super::{Findings, Verdict};
use crate::client::{quote, Reply};
use crate::compile::{self, BuildFailure, BuildRequest};
use crate::script::{self, ScriptProblem};
use crate::server::{BootFailure, Server};

/// Runs the check `id`.
pub async fn run(id: &str, ctx: &mut Context, found: &mut Findings) -> Verdict {
    match id {
        "builds" => builds(ctx, found).await,
        "boots" => boots(ctx, found).await,
        "serves-pages" => serves_pages(ctx, found).await,
        "script-filled" => script_filled(ctx, found),
        "creates-session" => creates_session(ctx, found).await,
        "fresh-tokens" => fresh_tokens(ctx, found).await,
        "cookie-logs-in" => cookie_logs_in(ctx, found).await,
        "token-only" => token_only(ctx, found).await,
        "no-token" => no_token(ctx, found).await,
        "two-users" => two_users(ctx, found).await,
        "message-author" => message_author(ctx, found).await,
        "survives-restart" => survives_restart(ctx, found).await,
        "bad-input" => bad_input(ctx, found).await,
        other => Verdict::error(format!("the grader has no code for check `{other}`")),
    }
}

async fn builds(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Target::Workspace { path, package, target_dir } = &ctx.settings.target else {
        return Verdict::NotApplicable("grading a running server (--url): nothing to build".into());
    };
    let request = BuildRequest {
        workspace: path.clone(),
        package: package.clone(),
        target_dir: target_dir.clone(),
        timeout: ctx.settings.build_timeout,
    };
    match compile::build(&request, ctx.scratch.path(), &mut found.log).await {
        Ok(executable) => {
            found.log.push(format!("built {}", executable.display()));
            ctx.executable = Some(executable);
            Verdict::Pass(format!("`{package}` builds"))
        }
        Err(BuildFailure::Compile { errors, total }) => {
            let at = errors.first().and_then(|e| error_location(e));
            let mut message =
                format!("`{package}` does not compile: {total} error{}", if total == 1 { "" } else { "s" });
            for error in &errors {
                message.push_str("\n\n");
                message.push_str(&first_lines(error, 14));
            }
            if total > errors.len() {
                message.push_str(&format!("\n\n… and {} more", total - errors.len()));
            }
            let hint = match at {
                Some(at) => {
                    format!("fix the first error first, at {at}; `cargo build -p {package}` shows them all")
                }
                None => format!("`cargo build -p {package}` shows the errors"),
            };
            Verdict::fail(message, "the crate compiles", hint)
        }
        Err(BuildFailure::Cargo(why)) => Verdict::Error {
            message: why,
            hint: Some(
                "the grader needs cargo and the crates of Cargo.lock (run `cargo build` once online)".into(),
            ),
        },
        Err(BuildFailure::Timeout(limit)) => Verdict::Error {
            message: format!("the build did not finish within {} s", limit.as_secs()),
            hint: Some("a cold build takes a few minutes; raise the limit with --build-timeout".into()),
        },
    }
}

async fn boots(ctx: &mut Context, found: &mut Findings) -> Verdict {
    if let Some(spec) = ctx.server_spec() {
        found.log.push(format!("starting {} with a fresh database", spec.executable.display()));
        match Server::start(&spec).await {
            Ok(server) => {
                ctx.base_url = Some(server.base_url.clone());
                ctx.server = Some(server);
            }
            Err(BootFailure::Spawn(why)) => return Verdict::error(why),
            Err(BootFailure::Exited { status, log_tail }) => {
                let panic = log_tail.iter().find(|l| l.contains("panicked")).cloned();
                return Verdict::fail(
                    format!(
                        "the server stopped before it was ready ({status}); its last lines:\n{}",
                        log_tail.join("\n")
                    ),
                    format!("a line \"{}…\" on standard output", crate::server::READY_MARKER),
                    match panic {
                        Some(line) => format!("it panicked at start-up: {}", line.trim()),
                        None => "run it with `cargo run` and read its output".into(),
                    },
                );
            }
            Err(BootFailure::Timeout { limit, log_tail }) => {
                return Verdict::fail(
                    format!(
                        "the server did not say it was listening within {} s; its last lines:\n{}",
                        limit.as_secs(),
                        log_tail.join("\n")
                    ),
                    format!("a line \"{}PORT/\" once it listens", crate::server::READY_MARKER),
                    "does something block before Rocket launches? Run it with `cargo run` and watch",
                )
            }
        }
    }
    let client = ctx.http_client();
    match client.send("GET", &ctx.url("/"), None, &mut found.exchanges).await {
        Ok(reply) if reply.status < 500 => Verdict::Pass(format!("answers on {}", ctx.url("/"))),
        Ok(reply) => Verdict::fail(
            format!("GET / answered {}", reply.status),
            "the home page",
            "read the server's log for the error",
        ),
        Err(why) => Verdict::fail(why, "an answer to GET /", "is the server listening?"),
    }
}

async fn serves_pages(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let client = ctx.http_client();
    let page = client.send("GET", &ctx.url("/"), None, &mut found.exchanges).await;
    match page {
        Ok(reply) if reply.status == 200 && reply.body.contains("id=\"login-form\"") => {}
        Ok(reply) => {
            return Verdict::fail(
                format!("GET / without a cookie answered {} without the login form", reply.status),
                "200 and the page with id=\"login-form\"",
                "the templates/ folder is given code: compare it with the kit's",
            )
        }
        Err(why) => return Verdict::fail(why, "the login page", "is the server still running?"),
    }
    let script = client.send("GET", &ctx.url("/static/js/session.js"), None, &mut found.exchanges).await;
    match script {
        Ok(reply) if reply.status == 200 => {
            let parsed = script::parse(&reply.body);
            if !ctx.login_request_seen_by_browser {
                ctx.login_request = parsed.request.clone();
            }
            ctx.script = Some(parsed);
            Verdict::Pass("the login page and /static/js/session.js are served".into())
        }
        Ok(reply) => Verdict::fail(
            format!("GET /static/js/session.js answered {}", reply.status),
            "200 and the script",
            format!("is {} still there?", ctx.files.session_js.display),
        ),
        Err(why) => Verdict::fail(why, "the script", "is the server still running?"),
    }
}

fn script_filled(ctx: &mut Context, found: &mut Findings) -> Verdict {
    // A script this reader cannot follow is fine if the browser saw it send a real request.
    if let (true, Some(request)) = (ctx.login_request_seen_by_browser, &ctx.login_request) {
        if request.url != script::URL_PLACEHOLDER && !request.body.is_empty() {
            found.log.push("using the request the browser sent".into());
            return Verdict::Pass(format!(
                "the page sends {} {} with {} (seen in the browser)",
                request.method,
                request.url,
                request.body_for("<username>")
            ));
        }
    }
    let Some(parsed) = &ctx.script else {
        return Verdict::error("session.js was not fetched");
    };
    let file = &ctx.files.session_js.display;
    if parsed.problems.is_empty() {
        let request = parsed.request.as_ref().expect("no problems: a request");
        return Verdict::Pass(format!(
            "session.js sends {} {} with {}",
            request.method,
            request.url,
            request.body_for("<username>")
        ));
    }
    let said: Vec<String> = parsed.problems.iter().map(|p| describe_problem(p, file)).collect();
    let todo = match parsed.problems[0] {
        ScriptProblem::BodyPlaceholder { .. } | ScriptProblem::UnreadableBody { .. } => 2,
        _ => 1,
    };
    Verdict::fail(
        said.join("\n"),
        "fetch(\"<your route's URL>\", { method: \"POST\", …, body: JSON.stringify({ <key>: username }) })",
        format!("see {}", ctx.files.session_js.at_todo(todo)),
    )
}

fn describe_problem(problem: &ScriptProblem, file: &str) -> String {
    match problem {
        ScriptProblem::NoFetch => format!("{file} has no fetch(...) call any more"),
        ScriptProblem::UrlPlaceholder { line } => {
            format!(
                "TODO 1 is not done yet: {file}:{line} still calls fetch(\"{}\")",
                script::URL_PLACEHOLDER
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

/// Sends the login request as the page would, for `username`, from a fresh client.
async fn log_in(ctx: &Context, username: &str, found: &mut Findings) -> Result<Reply, String> {
    let request = ctx.login_request.as_ref().ok_or("the login request is not known")?;
    let body = request.body_for(username).to_string();
    ctx.http_client()
        .send(
            &request.method,
            &ctx.url(&request.url),
            Some((&request.content_type, body)),
            &mut found.exchanges,
        )
        .await
}

/// The token in a login answer, or a verdict that says what is wrong with it.
async fn token_of(ctx: &Context, reply: &Reply) -> Result<String, Verdict> {
    let controllers = &ctx.files.controllers;
    if !reply.is_success() {
        return Err(explain_refusal(ctx, reply).await);
    }
    let Some(json) = reply.json() else {
        return Err(Verdict::fail(
            format!("the login answered {} but its body is not JSON: `{}`", reply.status, quote(&reply.body)),
            "JSON like {\"token\": \"…\"}",
            format!("return `Json(...)` of a struct with a `token` field ({})", controllers.display),
        ));
    };
    match json.get("token") {
        Some(Value::String(token)) if !token.is_empty() => Ok(token.clone()),
        Some(other) => Err(Verdict::fail(
            format!("the login answered {json} and its \"token\" is not a string but {other}"),
            "JSON like {\"token\": \"…\"}, the token a string",
            format!("return the String that SessionManager::create gives you ({})", controllers.display),
        )),
        None => Err(Verdict::fail(
            format!("the login answered {json}: there is no \"token\" key"),
            "JSON like {\"token\": \"…\"}",
            format!("session.js reads `data.token`: name the field `token` ({})", controllers.display),
        )),
    }
}

/// Why a login got no 2xx, in terms of the two files.
async fn explain_refusal(ctx: &Context, reply: &Reply) -> Verdict {
    let request = ctx.login_request.as_ref();
    let sent = request.map_or(String::new(), |r| format!("{} {}", r.method, r.url));
    let server_said = reply
        .json()
        .and_then(|j| j.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| quote(&reply.body));
    let js = &ctx.files.session_js;
    let rs = &ctx.files.controllers;
    let message = format!("{sent} answered {}: {server_said}", reply.status);
    let expected = "2xx with JSON {\"token\": \"…\"}";
    let hint = match reply.status {
        501 => format!("not implemented yet: see {} and {}", rs.at_todo(1), js.at_todo(1)),
        404 => format!(
            "no route has this URL: the URL in {} must be the one in your route's attribute in {}",
            js.at_todo(1),
            rs.display
        ),
        405 => format!(
            "the URL exists for another method: make the method in {} and your route's attribute agree",
            js.display
        ),
        415 => format!(
            "your route takes JSON (`format = \"json\"`): keep the Content-Type header in {}",
            js.display
        ),
        422 => format!(
            "the route could not read the body {}: the key in {} must match your struct's field name in {}",
            request.map_or(String::new(), |r| r.body_for("…").to_string()),
            js.at_todo(2),
            rs.display
        ),
        400 => format!("the body is not the JSON the route expects: see {}", js.at_todo(2)),
        500..=599 => match panic_line(ctx).await {
            Some(line) => format!("your route failed; the server's log says: {line}"),
            None => format!("your route failed: read the server's log and {}", rs.display),
        },
        _ => format!("see {} and {}", rs.display, js.display),
    };
    Verdict::fail(message, expected, hint)
}

/// The panic message the server printed, if the last request made it panic.
async fn panic_line(ctx: &Context) -> Option<String> {
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

/// Logs `username` in as the page would and returns the token, or the verdict
/// that says what went wrong.
async fn log_in_for_token(ctx: &Context, username: &str, found: &mut Findings) -> Result<String, Verdict> {
    match log_in(ctx, username, found).await {
        Ok(reply) => token_of(ctx, &reply).await,
        Err(why) => Err(Verdict::fail(why, "an answer to the login", "read the server's log")),
    }
}

async fn creates_session(ctx: &mut Context, found: &mut Findings) -> Verdict {
    if ctx.login_request.is_none() {
        return Verdict::Skip(
            "the grader could not read the login request from session.js (see script-filled)".into(),
        );
    }
    let username = ctx.fresh_username();
    let reply = match log_in(ctx, &username, found).await {
        Ok(reply) => reply,
        Err(why) => {
            return Verdict::fail(
                why,
                "an answer to the login request",
                format!(
                    "does your route in {} wait for something that never comes?",
                    ctx.files.controllers.display
                ),
            )
        }
    };
    match token_of(ctx, &reply).await {
        Ok(token) => {
            let message = format!("logging in as {username} answered {} with a token", reply.status);
            ctx.first_login = Some(Login { username, token });
            Verdict::Pass(message)
        }
        Err(verdict) => verdict,
    }
}

async fn fresh_tokens(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(first) = ctx.first_login.clone() else {
        return Verdict::error("no first login");
    };
    let username = ctx.fresh_username();
    let second = match log_in_for_token(ctx, &username, found).await {
        Ok(token) => token,
        Err(verdict) => return verdict,
    };
    let rs = &ctx.files.controllers.display;
    if second == first.token {
        return Verdict::fail(
            format!("two different users got the same token `{second}`"),
            "a new random token for every login",
            format!("get each token from SessionManager::create ({rs}); never reuse one"),
        );
    }
    for (login, token) in [(&first.username, &first.token), (&username, &second)] {
        if token.to_lowercase().contains(&login.to_lowercase()) {
            return Verdict::fail(
                format!("the token `{token}` contains the username `{login}`"),
                "a token that says nothing about its user",
                format!("anyone could forge such a token: use SessionManager::create ({rs})"),
            );
        }
    }
    let bits = entropy_bits(&first.token).min(entropy_bits(&second));
    if bits < 122 {
        return Verdict::fail(
            format!("the tokens `{}` and `{second}` look like at most {bits} random bits", first.token),
            "at least 122 random bits, like a UUID v4",
            format!("a short or predictable token can be guessed: use SessionManager::create ({rs})"),
        );
    }
    Verdict::Pass(format!(
        "two logins got two different tokens of about {bits} bits, neither naming its user"
    ))
}

/// A generous upper bound on the randomness a token can hold, from its length
/// and alphabet (a UUID: 32 hex digits, 128 bits).
fn entropy_bits(token: &str) -> u32 {
    let symbols: Vec<char> = token.chars().filter(|c| *c != '-').collect();
    let per_symbol = if symbols.iter().all(|c| c.is_ascii_digit()) {
        3.32
    } else if symbols.iter().all(|c| c.is_ascii_hexdigit()) {
        4.0
    } else if symbols.iter().all(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c)) {
        6.0
    } else {
        7.0
    };
    (symbols.len() as f64 * per_symbol) as u32
}

/// `GET /api/me` with the session cookie, from a fresh client.
async fn whoami(ctx: &Context, token: Option<&str>, found: &mut Findings) -> Result<Reply, String> {
    let client = ctx.http_client();
    if let Some(token) = token {
        client.store_session_cookie(&ctx.url("/"), token);
    }
    client.send("GET", &ctx.url("/api/me"), None, &mut found.exchanges).await
}

fn username_in(reply: &Reply) -> Option<String> {
    reply.json()?.get("username")?.as_str().map(str::to_owned)
}

/// Not logged in as `login`: what the server said instead.
fn unknown_token(ctx: &Context, login: &Login, reply: &Reply, what: &str) -> Verdict {
    let rs = &ctx.files.controllers.display;
    match (reply.status, username_in(reply)) {
        (401, _) => Verdict::fail(
            format!("{what}: GET /api/me answered 401, the server does not know the token `{}`", login.token),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            format!("return the token SessionManager::create gives you, not one you make up ({rs})"),
        ),
        (200, Some(other)) => Verdict::fail(
            format!("{what}: the token of `{}` logs in as `{other}`", login.username),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            format!("create the session for the username in the request body ({rs})"),
        ),
        (status, _) => Verdict::fail(
            format!("{what}: GET /api/me answered {status}"),
            format!("200 {{\"username\": \"{}\"}}", login.username),
            "read the server's log",
        ),
    }
}

async fn cookie_logs_in(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(login) = ctx.first_login.clone() else {
        return Verdict::error("no first login");
    };
    let client = ctx.http_client();
    client.store_session_cookie(&ctx.url("/"), &login.token);
    let me = match client.send("GET", &ctx.url("/api/me"), None, &mut found.exchanges).await {
        Ok(reply) => reply,
        Err(why) => return Verdict::fail(why, "an answer to GET /api/me", "is the server still running?"),
    };
    if username_in(&me).as_deref() != Some(login.username.as_str()) {
        return unknown_token(ctx, &login, &me, "with the cookie session.js stores");
    }
    match client.send("GET", &ctx.url("/"), None, &mut found.exchanges).await {
        Ok(page) if page.body.contains("id=\"current-user\"") && page.body.contains(&login.username) => {
            Verdict::Pass(format!("the cookie makes /api/me and the chat page say {}", login.username))
        }
        Ok(page) => Verdict::fail(
            format!(
                "GET / with the cookie answered {} without the chatroom for {}",
                page.status, login.username
            ),
            "the chat page, showing the username",
            "the templates are given code: compare them with the kit's",
        ),
        Err(why) => Verdict::fail(why, "the chat page", "is the server still running?"),
    }
}

async fn token_only(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(login) = ctx.first_login.clone() else {
        return Verdict::error("no first login");
    };
    match whoami(ctx, Some(&login.token), found).await {
        Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {
            Verdict::Pass("a brand-new client carrying only the token is the same user".into())
        }
        Ok(reply) => unknown_token(ctx, &login, &reply, "from a new client with only the token"),
        Err(why) => Verdict::fail(why, "an answer to GET /api/me", "is the server still running?"),
    }
}

async fn no_token(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let made_up = uuid::Uuid::new_v4().to_string();
    for (token, who) in [
        (None, "a client with no cookie"),
        (Some(made_up.as_str()), "a made-up token"),
        (Some("admin"), "the token `admin`"),
    ] {
        match whoami(ctx, token, found).await {
            Ok(reply) if reply.status == 401 => {}
            Ok(reply) => {
                return Verdict::fail(
                    format!("{who}: GET /api/me answered {} {}", reply.status, quote(&reply.body)),
                    "401: not logged in",
                    "the guard in auth.rs is given code: compare it with the kit's",
                )
            }
            Err(why) => return Verdict::fail(why, "401", "is the server still running?"),
        }
    }
    let page = ctx.http_client().send("GET", &ctx.url("/"), None, &mut found.exchanges).await;
    match page {
        Ok(reply) if reply.body.contains("id=\"login-form\"") => {
            Verdict::Pass("no cookie or a made-up token is not logged in, and is shown the login form".into())
        }
        Ok(reply) => Verdict::fail(
            format!("GET / without a cookie answered {} without the login form", reply.status),
            "the login form",
            "the templates are given code: compare them with the kit's",
        ),
        Err(why) => Verdict::fail(why, "the login page", "is the server still running?"),
    }
}

async fn two_users(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let mut logins = Vec::new();
    for _ in 0..2 {
        let username = ctx.fresh_username();
        match log_in_for_token(ctx, &username, found).await {
            Ok(token) => logins.push(Login { username, token }),
            Err(verdict) => return verdict,
        }
    }
    // Ask in an order that catches a server remembering only the last login.
    for login in [&logins[0], &logins[1], &logins[0]] {
        match whoami(ctx, Some(&login.token), found).await {
            Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {}
            Ok(reply) => {
                let mut verdict = unknown_token(ctx, login, &reply, "with two users logged in");
                if let Verdict::Fail { hint, .. } = &mut verdict {
                    *hint = Some(format!(
                        "each session belongs to its own token: keep no \"current user\" in the server ({})",
                        ctx.files.controllers.display
                    ));
                }
                return verdict;
            }
            Err(why) => {
                return Verdict::fail(why, "an answer to GET /api/me", "is the server still running?")
            }
        }
    }
    Verdict::Pass(format!(
        "{} and {} stay themselves in two cookie jars",
        logins[0].username, logins[1].username
    ))
}

async fn message_author(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(login) = ctx.first_login.clone() else {
        return Verdict::error("no first login");
    };
    let room = format!("grader-{}", ctx.run_tag);
    let text = format!("hello from the grader, run {}", ctx.run_tag);
    let client = ctx.http_client();
    client.store_session_cookie(&ctx.url("/"), &login.token);
    let url = ctx.url(&format!("/api/rooms/{room}/messages"));
    let body = serde_json::json!({ "body": text }).to_string();
    match client.send("POST", &url, Some(("application/json", body)), &mut found.exchanges).await {
        Ok(reply) if reply.is_success() => {}
        Ok(reply) => {
            return Verdict::fail(
                format!("posting a message answered {} {}", reply.status, quote(&reply.body)),
                "201 and the stored message",
                "api.rs is given code: compare it with the kit's",
            )
        }
        Err(why) => return Verdict::fail(why, "an answer", "is the server still running?"),
    }
    let history = match client.send("GET", &url, None, &mut found.exchanges).await {
        Ok(reply) => reply.json(),
        Err(why) => return Verdict::fail(why, "the room's history", "is the server still running?"),
    };
    let stored = history.as_ref().and_then(|h| {
        h.get("messages")?.as_array()?.iter().rev().find(|m| m["body"] == text.as_str()).cloned()
    });
    match stored {
        Some(message) if message["author"] == login.username.as_str() => {
            Verdict::Pass(format!("the message is stored under {}", login.username))
        }
        Some(message) => Verdict::fail(
            format!("the message is stored under `{}`", message["author"]),
            format!("the author {}", login.username),
            format!("create the session for the username in the request ({})", ctx.files.controllers.display),
        ),
        None => Verdict::fail(
            "the message posted is not in the room's history",
            "the message in GET /api/rooms/<room>/messages",
            "api.rs and models.rs are given code: compare them with the kit's",
        ),
    }
}

async fn survives_restart(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(login) = ctx.first_login.clone() else {
        return Verdict::error("no first login");
    };
    let spec = ctx.server_spec();
    let (Some(server), Some(spec)) = (ctx.server.as_mut(), spec) else {
        return Verdict::NotApplicable(
            "the grader does not own the server (--url), so it cannot restart it".into(),
        );
    };
    let clean = server.stop().await;
    found.log.push(format!(
        "stopped the server ({})",
        if clean { "SIGTERM" } else { "SIGKILL after the grace period" }
    ));
    ctx.server = None;
    match Server::start(&spec).await {
        Ok(server) => {
            found.log.push(format!("started it again on the same database, at {}", server.base_url));
            ctx.base_url = Some(server.base_url.clone());
            ctx.server = Some(server);
        }
        Err(e) => return Verdict::error(format!("the server did not start again: {e:?}")),
    }
    match whoami(ctx, Some(&login.token), found).await {
        Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {
            Verdict::Pass("after a restart on the same database the token still logs the user in".into())
        }
        Ok(reply) if reply.status == 401 => Verdict::fail(
            "after a restart the token no longer works: the session was lost",
            format!("200 {{\"username\": \"{}\"}}", login.username),
            format!(
                "keep sessions in the database with SessionManager::create, not in the server's memory ({})",
                ctx.files.controllers.display
            ),
        ),
        Ok(reply) => unknown_token(ctx, &login, &reply, "after a restart"),
        Err(why) => Verdict::fail(why, "an answer after the restart", "read the server's log"),
    }
}

async fn bad_input(ctx: &mut Context, found: &mut Findings) -> Verdict {
    let Some(request) = ctx.login_request.clone() else {
        return Verdict::error("no login request");
    };
    let field = request
        .body
        .iter()
        .find(|(_, v)| *v == script::BodyValue::Username)
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| "username".into());
    let cases: Vec<(&str, String)> = vec![
        ("an empty username", serde_json::json!({ &field: "" }).to_string()),
        ("a username of spaces", serde_json::json!({ &field: "   " }).to_string()),
        ("a 200-character username", serde_json::json!({ &field: "x".repeat(200) }).to_string()),
        ("a username with a control character", serde_json::json!({ &field: "ada\u{7}" }).to_string()),
        ("no username at all", "{}".to_owned()),
        ("a body that is not JSON", format!("{field}=ada")),
    ];
    let url = ctx.url(&request.url);
    let client = ctx.http_client();
    let mut problems = Vec::new();
    for (what, body) in cases {
        match client
            .send(&request.method, &url, Some((&request.content_type, body)), &mut found.exchanges)
            .await
        {
            Ok(reply) if (400..500).contains(&reply.status) => {}
            Ok(reply) => problems.push(format!("{what} got {}", reply.status)),
            Err(why) => problems.push(format!("{what}: {why}")),
        }
    }
    let still_up = client.send("GET", &ctx.url("/api/me"), None, &mut found.exchanges).await;
    if let Err(why) = still_up {
        problems.push(format!("afterwards the server did not answer: {why}"));
    }
    if problems.is_empty() {
        return Verdict::Pass("every bad login got a 4xx, and the server kept answering".into());
    }
    Verdict::fail(
        problems.join("; "),
        "a 4xx JSON error for each, no session, and a server that keeps answering",
        format!(
            "check the username with Username::parse (domain.rs) before creating a session ({})",
            ctx.files.controllers.display
        ),
    )
}

/// `file:line:col` of a rendered rustc error (`--> lab/src/controllers.rs:3:5`).
fn error_location(rendered: &str) -> Option<String> {
    rendered.lines().find_map(|l| l.trim_start().strip_prefix("--> ")).map(|at| at.trim().to_owned())
}

fn first_lines(text: &str, n: usize) -> String {
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
    fn entropy_of_common_tokens() {
        assert!(entropy_bits("6f1c7f36-2a55-4b53-9d0b-6c1f0b3c8a11") >= 122);
        assert!(entropy_bits("12") < 122);
        assert!(entropy_bits("ada-session-1") < 122);
    }

    #[test]
    fn finds_the_error_location() {
        let error = "error[E0425]: cannot find value `x`\n  --> lab/src/controllers.rs:3:5\n   |";
        assert_eq!(error_location(error).as_deref(), Some("lab/src/controllers.rs:3:5"));
    }
}
