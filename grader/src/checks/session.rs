//! The student's half of the lab, seen from the outside: sessions created by
//! the page's own login request, and kept apart across fresh cookie jars
//! standing in for browser windows.

use super::diagnosis::{no_answer, token_of, unknown_token};
use super::driver::{shows_chatroom_for, shows_login_form, username_in};
use super::facts::Login;
use super::setup::{did_not_boot, SERVES_PAGES};
use super::tokens::{entropy_bits, predictable, Issued};
use super::{Check, Checked, Context, Findings, Points, Stage, Verdict};
use crate::client::quote;
use crate::kit::kit;
use crate::script::{BodyKind, LoginRequest};
use crate::server::{Server, ServerSpec};

pub static CREATES_SESSION: Check = Check {
    id: "creates-session",
    title: "The login request creates a session",
    points: Points::Worth(15),
    // Not `script-filled`: the page's request, placeholders and all, shows what the server says to it.
    needs: &[&SERVES_PAGES],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(creates_session(ctx, found)),
};

pub static FRESH_TOKENS: Check = Check {
    id: "fresh-tokens",
    title: "Tokens are fresh and unguessable",
    points: Points::Worth(10),
    needs: &[&CREATES_SESSION],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(fresh_tokens(ctx, found)),
};

pub static COOKIE_LOGS_IN: Check = Check {
    id: "cookie-logs-in",
    title: "The session cookie logs the user in",
    points: Points::Worth(10),
    needs: &[&CREATES_SESSION],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(cookie_logs_in(ctx, found)),
};

pub static TOKEN_ONLY: Check = Check {
    id: "token-only",
    title: "A new client with only the token is the same user",
    points: Points::Worth(5),
    needs: &[&COOKIE_LOGS_IN],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(token_only(ctx, found)),
};

pub static NO_TOKEN: Check = Check {
    id: "no-token",
    title: "A client without a valid token is not logged in",
    points: Points::Worth(5),
    needs: &[&super::setup::BOOTS],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(no_token(ctx, found)),
};

pub static TWO_USERS: Check = Check {
    id: "two-users",
    title: "Two users in two browsers stay themselves",
    points: Points::Worth(10),
    needs: &[&COOKIE_LOGS_IN],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(two_users(ctx, found)),
};

pub static MESSAGE_AUTHOR: Check = Check {
    id: "message-author",
    title: "Messages carry the session's username",
    points: Points::Worth(5),
    needs: &[&COOKIE_LOGS_IN],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(message_author(ctx, found)),
};

pub static BAD_INPUT: Check = Check {
    id: "bad-input",
    title: "Bad usernames get a 4xx and the server keeps answering",
    points: Points::Worth(5),
    needs: &[&CREATES_SESSION],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(bad_input(ctx, found)),
};

pub static SURVIVES_RESTART: Check = Check {
    id: "survives-restart",
    title: "Sessions survive a server restart",
    points: Points::Worth(10),
    needs: &[&COOKIE_LOGS_IN],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(survives_restart(ctx, found)),
};

/// "POST /api/sessions": how a report names a request.
fn request_line(request: &LoginRequest) -> String {
    format!("{} {}", request.method, request.url_shown())
}

/// The login request to send, or the verdict of a check that cannot do without it.
fn login_request(ctx: &Context) -> Result<LoginRequest, Verdict> {
    ctx.facts.login_request().map(|r| r.value.clone()).map_err(|missing| Verdict::error(missing.0))
}

/// The session `creates-session` started, for the checks that build on it.
fn first_login(ctx: &Context) -> Result<Login, Verdict> {
    ctx.facts.first_login().cloned().map_err(|missing| Verdict::error(missing.0))
}

/// Logs `username` in as the page would and returns the token, or the
/// verdict that says what went wrong.
async fn log_in_for_token(ctx: &Context, username: &str, found: &mut Findings) -> Result<String, Verdict> {
    let request = login_request(ctx)?;
    match ctx.lab().log_in(&request, username, &mut found.exchanges).await {
        Ok(reply) => token_of(ctx, &request_line(&request), &reply).await,
        Err(why) => Err(no_answer(ctx, &why, "an answer to the login").await),
    }
}

async fn creates_session(ctx: &mut Context, found: &mut Findings) -> Checked {
    let (request, source) = match ctx.facts.login_request() {
        Ok(sourced) => (sourced.value.clone(), sourced.source),
        // The script could not be read and no browser sent the request: not gradable here.
        Err(missing) => return Ok(Verdict::error(missing.0)),
    };
    found.log.push(format!(
        "the login request, {source}: {} with {}",
        request_line(&request),
        request.body_for("…")
    ));
    let username = ctx.fresh_username();
    let reply = match ctx.lab().log_in(&request, &username, &mut found.exchanges).await {
        Ok(reply) => reply,
        Err(why) => return Ok(no_answer(ctx, &why, "an answer to the login request").await),
    };
    Ok(match token_of(ctx, &request_line(&request), &reply).await {
        // The page sends a name of its own, whatever is typed: the student's to fix.
        Ok(_) if request.places() == 0 && ctx.facts.name_is_constant() => Verdict::fail(format!(
                "{} with the body {} logged a user in, but the typed name is nowhere in that body: session.js \
                 sends the same name whatever the user types",
                request_line(&request),
                quote(&request.body_for(&username))
            )).expected("a body that carries the name typed in the form").hint(format!("send the name the user typed, not a name of your own ({})", ctx.files.script.at_todo(kit().student.body_todo()))),
        // It worked, but for one name only: other users cannot be simulated with it.
        Ok(_) if request.places() == 0 => Verdict::Error {
            message: format!(
                "{} with the body {} logged {username} in, but the typed name is nowhere in that body: the grader \
                 cannot log other users in the same way",
                request_line(&request),
                quote(&request.body_for(&username))
            ),
            hint: Some("does session.js change the name before it sends it? Send it as typed".into()),
        },
        Ok(token) => {
            // Does the token work at once? Then a later 401 means something ended it.
            let check = ctx.lab().whoami_with(Some(&token), &mut found.exchanges).await;
            ctx.facts.first_login_worked =
                check.as_ref().is_ok_and(|reply| username_in(reply).as_deref() == Some(username.as_str()));
            let message = format!(
                "logging in as {username} ({}, {source}) answered {} with a token",
                request_line(&request),
                reply.status
            );
            ctx.facts.first_login = Some(Login { username, token });
            Verdict::Pass(message)
        }
        Err(verdict) => verdict,
    })
}

async fn fresh_tokens(ctx: &mut Context, found: &mut Findings) -> Checked {
    let first = first_login(ctx)?;
    let predictable_tokens = |why: String, ctx: &Context| {
        Verdict::fail(why).expected("a new random token for every login, like a version-4 UUID").hint(
            format!(
                "anyone who can guess a token is logged in as its user: get each token from \
                 SessionManager::create ({}); never make one up or reuse one",
                ctx.files.route.display
            ),
        )
    };
    // Another user: are the two tokens derived from their users, or from each other?
    let other = ctx.fresh_username();
    let other_token = log_in_for_token(ctx, &other, found).await?;
    let two = [
        Issued { username: &first.username, token: &first.token },
        Issued { username: &other, token: &other_token },
    ];
    if let Some(why) = predictable(None, &two) {
        return Ok(predictable_tokens(why, ctx));
    }
    // The first user again: a token must be new every time.
    let mark = ctx.server.as_ref().map_or(0, |s| s.log().len());
    let again = match log_in_for_token(ctx, &first.username, found).await {
        Ok(token) => token,
        Err(verdict) => {
            let said = ctx.server.as_ref().map(|s| s.log().since(mark)).unwrap_or_default();
            // The database refuses a second session with the same token.
            if said.iter().any(|line| line.contains("UNIQUE constraint failed")) {
                let why = format!(
                    "logging `{}` in a second time failed: the database refused a second session with the same \
                     token (UNIQUE constraint failed), so the token is the same at every login of a user",
                    first.username
                );
                return Ok(predictable_tokens(why, ctx));
            }
            return Ok(verdict);
        }
    };
    let all = [two[0].clone(), two[1].clone(), Issued { username: &first.username, token: &again }];
    Ok(match predictable(Some((&all[0], &all[2])), &all) {
        None => Verdict::Pass(format!(
            "three logins (one user twice) got three different tokens of about {} random bits, none derived from its user",
            all.iter().map(|t| entropy_bits(t.token)).min().unwrap_or(0)
        )),
        Some(why) => predictable_tokens(why, ctx),
    })
}

async fn cookie_logs_in(ctx: &mut Context, found: &mut Findings) -> Checked {
    let login = first_login(ctx)?;
    let lab = ctx.lab();
    let window = lab.window_with(&login.token);
    let me = match lab.whoami(&window, &mut found.exchanges).await {
        Ok(reply) => reply,
        Err(why) => return Ok(no_answer(ctx, &why, "an answer to GET /api/me").await),
    };
    if username_in(&me).as_deref() != Some(login.username.as_str()) {
        return Ok(unknown_token(ctx, &login, &me, "with the cookie session.js stores").await);
    }
    Ok(match lab.home(&window, &mut found.exchanges).await {
        Ok(page) if shows_chatroom_for(&page, &login.username) => {
            Verdict::Pass(format!("the cookie makes /api/me and the chat page say {}", login.username))
        }
        Ok(page) => Verdict::fail(format!(
            "GET / with the cookie answered {} without the chatroom for {}",
            page.status, login.username
        ))
        .expected("the chat page, showing the username")
        .hint("the templates are given code: compare them with the kit's"),
        Err(why) => no_answer(ctx, &why, "the chat page").await,
    })
}

async fn token_only(ctx: &mut Context, found: &mut Findings) -> Checked {
    let login = first_login(ctx)?;
    Ok(match ctx.lab().whoami_with(Some(&login.token), &mut found.exchanges).await {
        Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {
            Verdict::Pass("a brand-new client carrying only the token is the same user".into())
        }
        Ok(reply) => unknown_token(ctx, &login, &reply, "from a new client with only the token").await,
        Err(why) => no_answer(ctx, &why, "an answer to GET /api/me").await,
    })
}

async fn no_token(ctx: &mut Context, found: &mut Findings) -> Checked {
    let made_up = uuid::Uuid::new_v4().to_string();
    let lab = ctx.lab();
    for (token, who) in [
        (None, "a client with no cookie"),
        (Some(made_up.as_str()), "a made-up token"),
        (Some("admin"), "the token `admin`"),
    ] {
        match lab.whoami_with(token, &mut found.exchanges).await {
            Ok(reply) if reply.status == 401 => {}
            Ok(reply) => {
                return Ok(Verdict::fail(format!(
                    "{who}: GET /api/me answered {} {}",
                    reply.status,
                    quote(&reply.body)
                ))
                .expected("401: not logged in")
                .hint("the guard in auth.rs is given code: compare it with the kit's"))
            }
            Err(why) => return Ok(no_answer(ctx, &why, "401").await),
        }
    }
    Ok(match lab.home(&lab.window(), &mut found.exchanges).await {
        Ok(reply) if shows_login_form(&reply) => {
            Verdict::Pass("no cookie or a made-up token is not logged in, and is shown the login form".into())
        }
        Ok(reply) => {
            Verdict::fail(format!("GET / without a cookie answered {} without the login form", reply.status))
                .expected("the login form")
                .hint("the templates are given code: compare them with the kit's")
        }
        Err(why) => no_answer(ctx, &why, "the login page").await,
    })
}

async fn two_users(ctx: &mut Context, found: &mut Findings) -> Checked {
    let mut logins = Vec::new();
    for _ in 0..2 {
        let username = ctx.fresh_username();
        match log_in_for_token(ctx, &username, found).await {
            Ok(token) => logins.push(Login { username, token }),
            Err(verdict) => return Ok(verdict),
        }
    }
    // Ask in an order that catches a server remembering only the last login.
    for login in [&logins[0], &logins[1], &logins[0]] {
        match ctx.lab().whoami_with(Some(&login.token), &mut found.exchanges).await {
            Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {}
            Ok(reply) => {
                let mut verdict = unknown_token(ctx, login, &reply, "with two users logged in").await;
                let ended = reply.status == 401;
                if let Verdict::Fail { hint, message, .. } = &mut verdict {
                    *hint = Some(if ended {
                        *message = format!(
                            "{message}: logging {} in ended the session of {}",
                            logins[1].username, logins[0].username
                        );
                        format!(
                            "a login must not end other users' sessions: only create one ({})",
                            ctx.files.route.display
                        )
                    } else {
                        format!(
                            "each session belongs to its own token: keep no \"current user\" in the server ({})",
                            ctx.files.route.display
                        )
                    });
                }
                return Ok(verdict);
            }
            Err(why) => return Ok(no_answer(ctx, &why, "an answer to GET /api/me").await),
        }
    }
    Ok(Verdict::Pass(format!(
        "{} and {} stay themselves in two cookie jars",
        logins[0].username, logins[1].username
    )))
}

async fn message_author(ctx: &mut Context, found: &mut Findings) -> Checked {
    let login = first_login(ctx)?;
    let room = format!("grader-{}", ctx.run_tag);
    let text = format!("hello from the grader, run {}", ctx.run_tag);
    let lab = ctx.lab();
    let window = lab.window_with(&login.token);
    match lab.post_message(&window, &room, &text, &mut found.exchanges).await {
        Ok(reply) if reply.is_success() => {}
        Ok(reply) => {
            return Ok(Verdict::fail(format!(
                "posting a message answered {} {}",
                reply.status,
                quote(&reply.body)
            ))
            .expected("201 and the stored message")
            .hint("api.rs is given code: compare it with the kit's"))
        }
        Err(why) => return Ok(no_answer(ctx, &why, "an answer").await),
    }
    let history = match lab.history(&window, &room, &mut found.exchanges).await {
        Ok(reply) => reply.json(),
        Err(why) => return Ok(no_answer(ctx, &why, "the room's history").await),
    };
    let stored = history.as_ref().and_then(|h| {
        h.get("messages")?.as_array()?.iter().rev().find(|m| m["body"] == text.as_str()).cloned()
    });
    Ok(match stored {
        Some(message) if message["author"] == login.username.as_str() => {
            Verdict::Pass(format!("the message is stored under {}", login.username))
        }
        Some(message) => Verdict::fail(format!("the message is stored under `{}`", message["author"]))
            .expected(format!("the author {}", login.username))
            .hint(format!(
                "create the session for the username in the request ({})",
                ctx.files.route.display
            )),
        None => Verdict::fail("the message posted is not in the room's history")
            .expected(format!("the message in GET {}", kit().server.messages))
            .hint("api.rs and models.rs are given code: compare them with the kit's"),
    })
}

async fn survives_restart(ctx: &mut Context, found: &mut Findings) -> Checked {
    let login = first_login(ctx)?;
    let spec = ctx.server_spec();
    let (Some(server), Some(spec)) = (ctx.server.as_mut(), spec) else {
        return Ok(Verdict::NotApplicable(
            "the grader does not own the server (--url), so it cannot restart it".into(),
        ));
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
        Err(failure) => {
            // It booted once on this database: failing now is the submission's doing.
            return Ok(match did_not_boot(failure) {
                Verdict::Fail { message, expected, hint } => Verdict::Fail {
                    message: format!("after a restart on the same database: {message}"),
                    expected,
                    hint,
                },
                other => other,
            });
        }
    }
    Ok(match ctx.lab().whoami_with(Some(&login.token), &mut found.exchanges).await {
        Ok(reply) if username_in(&reply).as_deref() == Some(login.username.as_str()) => {
            tokens_after_a_restart(ctx, &spec, &login, found).await.unwrap_or_else(|verdict| verdict)
        }
        Ok(reply) if reply.status == 401 => {
            Verdict::fail("after a restart the token no longer works: the session was lost")
                .expected(format!("200 {{\"username\": \"{}\"}}", login.username))
                .hint(format!(
                "keep sessions in the database with SessionManager::create, not in the server's memory ({})",
                ctx.files.route.display
            ))
        }
        Ok(reply) => unknown_token(ctx, &login, &reply, "after a restart").await,
        Err(why) => no_answer(ctx, &why, "an answer after the restart").await,
    })
}

/// After the restart the old token works; are the new ones new? A token
/// generator seeded the same way at every launch (a fixed seed, a counter
/// kept in memory, the clock to the second) hands out, after a restart, the
/// very tokens it gave before: a new login collides with a stored session,
/// or takes over an old user's cookie once that session has ended. Two
/// checks: a new user logs in after the restart (its token must be none
/// seen before, and must log in that user while the old one still logs in
/// its own); then two fresh launches of the server, started in the same
/// second on databases of their own, log one user in each (their tokens
/// must differ).
async fn tokens_after_a_restart(
    ctx: &mut Context,
    spec: &ServerSpec,
    before: &Login,
    found: &mut Findings,
) -> Result<Verdict, Verdict> {
    let mut seen = vec![before.clone()];
    seen.extend(ctx.facts.browser_login.clone());
    let newcomer = ctx.fresh_username();
    let mark = ctx.server.as_ref().map_or(0, |s| s.log().len());
    let token = match log_in_for_token(ctx, &newcomer, found).await {
        Ok(token) => token,
        Err(verdict) => {
            let said = ctx.server.as_ref().map(|s| s.log().since(mark)).unwrap_or_default();
            if said.iter().any(|line| line.contains("UNIQUE constraint failed")) {
                return Err(starts_over(
                    ctx,
                    format!(
                        "after the restart, logging `{newcomer}` in failed: the database refused the new session \
                         because a stored one has the same token (UNIQUE constraint failed)"
                    ),
                ));
            }
            return Err(verdict);
        }
    };
    if let Some(earlier) = seen.iter().find(|login| login.token == token) {
        return Err(starts_over(
            ctx,
            format!(
                "after the restart, `{newcomer}` got the token `{token}`, which `{}` was given before it",
                earlier.username
            ),
        ));
    }
    for (who, token) in [(&newcomer, &token), (&before.username, &before.token)] {
        match ctx.lab().whoami_with(Some(token), &mut found.exchanges).await {
            Ok(reply) if username_in(&reply).as_deref() == Some(who.as_str()) => {}
            Ok(reply) => {
                return Err(unknown_token(
                    ctx,
                    &Login { username: who.clone(), token: token.clone() },
                    &reply,
                    "after a restart and a new login",
                )
                .await)
            }
            Err(why) => return Err(no_answer(ctx, &why, "an answer after the restart").await),
        }
    }
    found.log.push(format!(
        "after the restart `{newcomer}` got a token of its own, and `{}` kept theirs",
        before.username
    ));
    let twins = same_second_launches(ctx, spec, found).await?;
    Ok(Verdict::Pass(format!(
        "after a restart on the same database the token still logs the user in, and new logins get new tokens \
         ({twins})"
    )))
}

/// Two fresh launches of the server, started in the same second on
/// databases of their own, log one user in each: the tokens must differ.
/// Returns what was seen, for the pass message.
async fn same_second_launches(
    ctx: &mut Context,
    spec: &ServerSpec,
    found: &mut Findings,
) -> Result<String, Verdict> {
    let request = login_request(ctx)?;
    // Beside the grade's own database: the server's folder, which holds its binary too.
    let twin = |name: &str| ServerSpec { database: spec.database.with_file_name(name), ..spec.clone() };
    let (a, b) = (twin("launch-a.sqlite3"), twin("launch-b.sqlite3"));
    // Just past a second's turn, so both launches read the same second on the clock.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    tokio::time::sleep(std::time::Duration::from_millis(1_020 - u64::from(now.subsec_millis()).min(1_000)))
        .await;
    let (first, second) = tokio::join!(Server::start(&a), Server::start(&b));
    let (mut first, mut second) = match (first, second) {
        (Ok(first), Ok(second)) => (first, second),
        (first, second) => {
            for failure in [first.err(), second.err()].into_iter().flatten() {
                found.log.push(format!("a launch on a database of its own did not boot: {failure:?}"));
            }
            return Err(Verdict::error(
                "two launches of the server at once, each on a database of its own, did not both boot, so the \
                 grader could not compare their tokens (see the log)",
            ));
        }
    };
    let mut tokens = Vec::new();
    for (server, username) in [(&first, ctx.fresh_username()), (&second, ctx.fresh_username())] {
        let reply = ctx.lab().log_in_at(&server.base_url, &request, &username, &mut found.exchanges).await;
        let token = match reply {
            Ok(reply) => token_of(ctx, &request_line(&request), &reply).await,
            Err(why) => Err(no_answer(ctx, &why, "an answer to the login").await),
        };
        tokens.push((username, token));
    }
    first.stop().await;
    second.stop().await;
    match (&tokens[0], &tokens[1]) {
        ((a, Ok(token_a)), (b, Ok(token_b))) if token_a == token_b => Err(starts_over(
            ctx,
            format!(
                "two launches of your server, started in the same second on databases of their own, gave their \
                 first logins (`{a}` and `{b}`) the same token `{token_a}`"
            ),
        )),
        ((_, Ok(_)), (_, Ok(_))) => Ok("two launches in the same second gave different tokens".into()),
        ((_, Err(verdict)), _) | (_, (_, Err(verdict))) => Err(verdict.clone()),
    }
}

/// The verdict for tokens that start over at each launch, with what showed it.
fn starts_over(ctx: &Context, shown: String) -> Verdict {
    Verdict::fail(format!(
            "your tokens start over at each launch: {shown}. A generator seeded the same way at every launch (a \
             fixed seed, a counter kept in memory, the clock to the second) hands out the same tokens again after \
             a restart: a new login then collides with a stored session, or logs a new user in under an old \
             user's token"
        )).expected("a new random token at every login, whatever the launch").hint(format!(
            "take each token from the operating system's randomness, as SessionManager::create does with \
             Uuid::new_v4 (lab/src/models.rs); never from a generator of your own ({})",
            ctx.files.route.display
        ))
}

/// What the sessions table's row counts, before and after the refused
/// logins, say they stored.
#[derive(Debug, PartialEq, Eq)]
enum RowsStored {
    /// Nothing: the table kept this many rows.
    None(i64),
    /// This many rows more.
    More(i64),
    /// The grader does not own the server's database (`--url`): nothing to count.
    NotOurs,
    /// A count could not be made, and why: no evidence either way.
    Uncounted(String),
}

impl RowsStored {
    fn between(before: Result<Option<i64>, String>, after: Result<Option<i64>, String>) -> RowsStored {
        match (before, after) {
            (Err(why), _) | (_, Err(why)) => RowsStored::Uncounted(why),
            (Ok(Some(before)), Ok(Some(after))) if after > before => RowsStored::More(after - before),
            (Ok(Some(before)), Ok(Some(_))) => RowsStored::None(before),
            (Ok(None), Ok(None)) => RowsStored::NotOurs,
            (Ok(_), Ok(_)) => RowsStored::Uncounted("the database was there for one count only".into()),
        }
    }
}

/// One login the server must refuse, as `bad-input` sends it.
struct BadLogin {
    what: &'static str,
    /// Empty: no `Content-Type` header at all.
    content_type: String,
    url: String,
    body: String,
}

async fn bad_input(ctx: &mut Context, found: &mut Findings) -> Checked {
    let request = login_request(ctx)?;
    let valid = ctx.fresh_username();
    // Each bad name goes where the page puts the typed one: the body, or the URL.
    let typed = |what: &'static str, name: &str| BadLogin {
        what,
        content_type: request.content_type.clone(),
        url: request.url_for(name),
        body: request.body_for(name),
    };
    let mut cases = vec![
        typed("an empty username", ""),
        typed("a username of spaces", "   "),
        typed("a 200-character username", &"x".repeat(200)),
        typed("a username with a control character", "ada\u{7}"),
        typed("a username of invisible characters", "\u{200B}\u{2060}\u{FEFF}"),
        typed("a username with a bidirectional control", "ada\u{202E}nimda"),
        BadLogin {
            what: "no username at all",
            content_type: request.content_type.clone(),
            url: request.url_without_username(),
            body: request.body.render_without_username(),
        },
    ];
    if request.body.kind == BodyKind::Json {
        cases.push(BadLogin { body: "username=ada".to_owned(), ..typed("a body that is not JSON", &valid) });
    }
    // What a page on another site can make a browser send without asking: a
    // route that reads JSON only as JSON refuses it. Only when the page itself
    // sends JSON as JSON, or the student's own page would be refused too.
    if request.content_type.starts_with("application/json") {
        for (what, content_type) in [
            ("a JSON body sent as text/plain (from another site)", "text/plain;charset=UTF-8"),
            ("a form post (from another site)", "application/x-www-form-urlencoded"),
            ("a body with no Content-Type", ""),
        ] {
            cases.push(BadLogin { content_type: content_type.to_owned(), ..typed(what, &valid) });
        }
    }
    let lab = ctx.lab();
    let window = lab.window();
    let rows_before = lab.session_rows().await;
    let mut problems = Vec::new();
    for case in cases {
        let url = ctx.url(&case.url);
        let sent = if case.content_type.is_empty() {
            window.send_untyped(&request.method, &url, case.body, &mut found.exchanges).await
        } else if request.body.is_empty() {
            window.send(&request.method, &url, None, &mut found.exchanges).await
        } else {
            window
                .send(&request.method, &url, Some((&case.content_type, case.body)), &mut found.exchanges)
                .await
        };
        match sent {
            Ok(reply) if (400..500).contains(&reply.status) => {}
            Ok(reply) => problems.push(format!("{} got {}", case.what, reply.status)),
            Err(why) => problems.push(format!("{}: {why}", case.what)),
        }
    }
    if let Err(why) = lab.whoami(&window, &mut found.exchanges).await {
        problems.push(format!("afterwards the server did not answer: {why}"));
    }
    // The grader owns the database: a refused login must have stored nothing.
    let table = &kit().server.sessions_table;
    let mut uncounted = None;
    match RowsStored::between(rows_before, lab.session_rows().await) {
        RowsStored::More(more) => problems
            .push(format!("the `{table}` table has {more} more row(s) than before these refused logins")),
        RowsStored::None(kept) => found.log.push(format!("the `{table}` table kept its {kept} row(s)")),
        RowsStored::NotOurs => {
            found.log.push("rows not counted: the grader does not own this server's database".into())
        }
        RowsStored::Uncounted(why) => uncounted = Some(why),
    }
    // A count that could not be made is no evidence that nothing was stored.
    if let (true, Some(why)) = (problems.is_empty(), uncounted) {
        return Ok(Verdict::error(format!(
            "every bad login got a 4xx, but the grader could not count the `{table}` table's rows to see that \
             none stored a session: {why}"
        )));
    }
    if problems.is_empty() {
        return Ok(Verdict::Pass(
            "every bad login got a 4xx and stored no session, and the server kept answering".into(),
        ));
    }
    Ok(Verdict::fail(problems.join("; "))
        .expected("a 4xx JSON error for each, no session stored, and a server that keeps answering")
        .hint(format!(
            "check the username with Username::parse (domain.rs) before creating a session, and keep \
             `format = \"json\"` on the route ({})",
            ctx.files.route.display
        )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_that_could_not_be_made_is_no_evidence() {
        assert_eq!(RowsStored::between(Ok(Some(2)), Ok(Some(2))), RowsStored::None(2));
        assert_eq!(RowsStored::between(Ok(Some(2)), Ok(Some(5))), RowsStored::More(3));
        assert_eq!(RowsStored::between(Ok(None), Ok(None)), RowsStored::NotOurs);
        let late = || Err("counting the rows of `sessions` took over 2 s".to_owned());
        assert!(
            matches!(RowsStored::between(Ok(Some(2)), late()), RowsStored::Uncounted(why) if why.contains("2 s"))
        );
        assert!(matches!(RowsStored::between(late(), Ok(Some(2))), RowsStored::Uncounted(_)));
        assert!(matches!(RowsStored::between(Ok(Some(2)), Ok(None)), RowsStored::Uncounted(_)));
    }
}
