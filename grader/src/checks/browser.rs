//! The browser stage: a real headless Chromium goes through the lab as a
//! student would, and each step of the story is a check.

use serde_json::Value;

use super::browser_stage::{in_browser, session, Outcome, Stopped, Which};
use super::facts::Login;
use super::setup::SERVES_PAGES;
use super::{Check, Context, Findings, Points, Stage, Verdict};
use crate::browser::{js_string, Captured, Tab};
use crate::kit::kit;
use crate::report::Exchange;
use crate::script::LoginRequest;

/// A browser check's run: the step in `$tab`, inside the stage's set-up and clean-up.
macro_rules! step {
    ($tab:expr, $step:ident) => {
        |ctx, found| {
            Box::pin(async move {
                Ok(in_browser(ctx, found, $tab, |ctx, found| Box::pin($step(ctx, found))).await)
            })
        }
    };
}

pub static LOGIN_FORM: Check = Check {
    id: "browser-login-form",
    title: "A fresh browser is shown the login form",
    points: Points::Nothing("a step on the way: browser-login counts the login"),
    needs: &[&SERVES_PAGES],
    stage: Stage::Browser,
    run: step!(Which::Main, login_form),
};

pub static LOGIN: Check = Check {
    id: "browser-login",
    title: "Typing a username and submitting enters the chatroom",
    points: Points::Worth(10),
    needs: &[&LOGIN_FORM],
    stage: Stage::Browser,
    run: step!(Which::Main, login),
};

pub static RELOAD: Check = Check {
    id: "browser-reload",
    title: "Reloading keeps the user logged in",
    points: Points::Nothing(
        "counted by browser-second-tab: the cookie that logs a second tab in logs a reload in too",
    ),
    needs: &[&LOGIN],
    stage: Stage::Browser,
    run: step!(Which::Main, reload),
};

pub static SECOND_TAB: Check = Check {
    id: "browser-second-tab",
    title: "A second tab is logged in as the same user",
    points: Points::Worth(5),
    needs: &[&LOGIN],
    stage: Stage::Browser,
    run: step!(Which::Second, second_tab),
};

pub static INCOGNITO: Check = Check {
    id: "browser-incognito",
    title: "An incognito window is asked for a username",
    points: Points::Worth(5),
    needs: &[&LOGIN],
    stage: Stage::Browser,
    run: step!(Which::Main, incognito),
};

pub static LIVE_MESSAGE: Check = Check {
    id: "browser-live-message",
    title: "A message sent in one tab appears in the other",
    points: Points::Nothing("given code (chat.js, events.rs): it shows the whole lab still works"),
    needs: &[&SECOND_TAB],
    stage: Stage::Browser,
    run: step!(Which::Second, live_message),
};

pub static HTML_ESCAPED: Check = Check {
    id: "browser-html-escaped",
    title: "A message with HTML shows as text and runs nothing",
    points: Points::Nothing("given code (chat.js): it shows messages still show as text"),
    needs: &[&LIVE_MESSAGE],
    stage: Stage::Browser,
    run: step!(Which::Second, html_escaped),
};

pub static LOGOUT: Check = Check {
    id: "browser-logout",
    title: "Log out returns to the login form and ends the token",
    points: Points::Nothing("given code (the logout route): it shows logging out still ends the session"),
    needs: &[&LOGIN],
    stage: Stage::Browser,
    run: step!(Which::Main, logout),
};

/// `document.querySelector(...)` of a selector of the kit manifest.
fn query(selector: &str) -> String {
    format!("document.querySelector({})", js_string(selector))
}

/// JavaScript that is true when the page shows the chatroom for `username`.
fn shows_chatroom_for(username: &str) -> String {
    format!("{}?.textContent.trim() === {}", query(&kit().pages.current_user), js_string(username))
}

/// JavaScript that is true when the page shows the login form.
fn shows_login_form() -> String {
    format!("!!{} && !{}", query(&kit().pages.login_form), query(&kit().pages.current_user))
}

async fn login_form(ctx: &mut Context, _: &mut Findings) -> Outcome {
    let url = ctx.url(&kit().server.home);
    let tab = &session(ctx)?.tab;
    tab.goto(&url).await.map_err(|why| {
        Verdict::fail(why).expected("the login page").hint("is the server still running?").in_tab(Which::Main)
    })?;
    if tab.wait_until(&shows_login_form()).await {
        return Ok("a fresh browser profile is shown the login form".into());
    }
    Err(Verdict::fail("a fresh browser profile is not shown the login form")
        .expected(format!("the page with {}", kit().pages.login_form))
        .hint("templates/login.html.tera is given code: compare it with the kit's")
        .in_tab(Which::Main))
}

async fn login(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let username = ctx.fresh_username();
    let base = ctx.url("");
    let js_file = ctx.files.script.clone();
    let rs_file = ctx.files.route.clone();
    let pages = &kit().pages;
    let session = session(ctx)?;
    let tab = &session.tab;
    let typed = tab.type_into(&pages.username, &username).await;
    typed.map_err(|why| {
        Verdict::fail(why)
            .expected("the login form")
            .hint("templates/login.html.tera is given code")
            .in_tab(Which::Main)
    })?;
    let all = tab
        .capture_requests(|| tab.click(&pages.login_submit))
        .await
        .map_err(|why| Verdict::error(why).in_tab(Which::Main))?;
    for request in &all {
        found.log.push(format!(
            "the page sent {} {} {} and got {}",
            request.method,
            request.url,
            request.body.clone().unwrap_or_default(),
            request.status.map_or("no answer".into(), |s| s.to_string())
        ));
    }
    let Some(captured) = the_login(&all, &username).cloned() else {
        let others: Vec<String> = all
            .iter()
            .map(|r| format!("{} {}", r.method, path_of(&r.url, base.trim_end_matches('/'))))
            .collect();
        let sent =
            if others.is_empty() { "no request".to_owned() } else { format!("only {}", others.join(", ")) };
        return Err(Verdict::fail(format!(
            "submitting the form as {username} sent {sent} within {} s: no request to log in",
            session.driver.timeout.as_secs()
        ))
        .expected("a fetch request to your route")
        .hint(format!(
            "session.js must call fetch when the form is submitted ({}); the console may say why",
            js_file.at_todo(kit().student.url_todo())
        ))
        .in_tab(Which::Main));
    };
    found.exchanges.extend(all.iter().map(exchange_of));
    let request = login_request_from(&captured, &username, base.trim_end_matches('/'));
    // Done when the chatroom shows, or when the login page shows an error.
    let settled = format!(
        "({}) || !!{}?.textContent.trim()",
        shows_chatroom_for(&username),
        query(&format!("{}:not([hidden])", pages.login_error))
    );
    tab.wait_until(&settled).await;
    let arrived = tab.eval(&shows_chatroom_for(&username)).await == Value::Bool(true);
    let page_error = tab.text_of(&pages.login_error).await.filter(|t| !t.is_empty());
    let token = tab.cookie(&kit().server.cookie).await;
    let sent = format!("{} {}", captured.method, path_of(&captured.url, base.trim_end_matches('/')));
    let answer = captured.status.map_or("no answer".to_string(), |s| s.to_string());
    if let (true, Some(token)) = (arrived, &token) {
        ctx.facts.browser_login = Some(Login { username: username.clone(), token: token.clone() });
    }
    // Even a failed login shows what the page sends: the HTTP checks use it.
    ctx.facts.browser_request = Some(request);
    if arrived && token.is_some() {
        return Ok(format!(
            "typing {username} and submitting sent {sent} ({answer}) and entered the chatroom"
        ));
    }
    let message = match (&page_error, captured.status) {
        (Some(said), _) => format!("the page sent {sent}, got {answer}, and shows: {said}"),
        (None, Some(200..=299)) if token.is_none() => {
            format!("the page sent {sent} and got {answer}, but no `session` cookie was stored")
        }
        _ => format!("the page sent {sent}, got {answer}, and did not show the chatroom for {username}"),
    };
    let answer_has_token = captured
        .response_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .is_some_and(|json| json.get("token").and_then(Value::as_str).is_some_and(|t| !t.is_empty()));
    let hint = match captured.status {
        Some(501) => {
            format!(
                "not implemented yet: see {} and {}",
                rs_file.at_todo(kit().student.route_todo()),
                js_file.at_todo(kit().student.url_todo())
            )
        }
        // The page had nothing to store: the route's answer is the thing to change.
        Some(200..=299) if !answer_has_token => format!(
            "the page needs JSON like {{\"token\": \"…\"}}: answer `Json(...)` of a struct with a `token` field ({})",
            rs_file.display
        ),
        Some(200..=299) if token.is_none() => {
            format!(
                "session.js must keep the token in the `{}` cookie before it reloads ({})",
                kit().server.cookie,
                js_file.display
            )
        }
        // The page sent a name of its own: the script is the thing to change.
        Some(200..=299)
            if !captured.body.as_deref().unwrap_or_default().contains(username.as_str())
                && !captured.url.contains(username.as_str()) =>
        {
            format!(
            "the name typed in the form, {username}, is nowhere in the body the page sent: send what the user \
             typed ({})",
            js_file.at_todo(kit().student.body_todo())
            )
        }
        // The page stored a token and still shows no chatroom: what the database holds of it says why.
        Some(200..=299) => {
            let login = Login { username: username.clone(), token: token.clone().unwrap_or_default() };
            let (finding, hint) = super::diagnosis::why_the_token_is_dead(ctx, &login).await;
            format!("the chat page did not show your username; the token its cookie holds: {finding}. {hint}")
        }
        _ => format!("the URL and body in {} must match your route in {}", js_file.display, rs_file.display),
    };
    Err(Verdict::fail(message)
        .expected(format!("the chatroom, showing {username}"))
        .hint(hint)
        .in_tab(Which::Main))
}

/// Which of the requests the page sent is the login: the last one whose body
/// carries the typed name (a page may ask `/api/me` first, or fetch anything
/// else), else the last whose URL does (a login by GET), else the last POST.
fn the_login<'c>(all: &'c [Captured], typed: &str) -> Option<&'c Captured> {
    let in_body = |c: &&Captured| c.body.as_deref().is_some_and(|b| b.contains(typed));
    all.iter()
        .rev()
        .find(in_body)
        .or_else(|| all.iter().rev().find(|c| c.url.contains(typed)))
        .or_else(|| all.iter().rev().find(|c| c.method.eq_ignore_ascii_case("POST")))
}

/// The login request as the browser sent it, with the typed name marked
/// wherever it appears, for the HTTP checks to send for other users.
fn login_request_from(captured: &Captured, typed: &str, base: &str) -> LoginRequest {
    let content_type = captured.content_type.as_deref().unwrap_or("text/plain;charset=UTF-8");
    let body = captured.body.as_deref().unwrap_or_default();
    LoginRequest::sent(&captured.method, &path_of(&captured.url, base), content_type, body, typed)
}

fn path_of(url: &str, base: &str) -> String {
    url.strip_prefix(base).map_or_else(|| url.to_owned(), str::to_owned)
}

/// What the report calls the real browser's window (the student's profile),
/// its second tab, and the incognito window (a profile of its own).
pub const BROWSER_WINDOW: &str = "browser";
pub const SECOND_TAB_CLIENT: &str = "browser tab 2";
pub const INCOGNITO_WINDOW: &str = "incognito";

/// How a visit loads its page: opening the URL, or reloading the page the
/// tab shows (at that URL).
enum Load {
    Open,
    Reload,
}

/// Loads `url` in `tab` as `load` says and records the page load as one of
/// `client`'s exchanges (the cookie the tab sent, the status it got), so that
/// the report shows which cookie each window carried.
async fn visit(tab: &Tab, load: Load, url: &str, client: &str, found: &mut Findings) -> Result<(), String> {
    let cookies = tab.cookies_for(url).await;
    let loaded = match load {
        Load::Open => tab.goto(url).await,
        Load::Reload => tab.reload().await,
    };
    found.exchanges.push(page_load(tab, url, client, cookies, &loaded).await);
    loaded
}

/// A page load as an exchange: what the tab shows once `loaded` ended.
async fn page_load(
    tab: &Tab,
    url: &str,
    client: &str,
    cookies: Vec<String>,
    loaded: &Result<(), String>,
) -> Exchange {
    let (status, content_type) = match loaded {
        Ok(()) => tab.document_answer().await,
        Err(_) => (None, None),
    };
    let error = match loaded {
        Err(why) => Some(why.clone()),
        Ok(()) if status.is_none() => Some("the browser did not say what the server answered".into()),
        Ok(()) => None,
    };
    Exchange {
        client: Some(client.to_owned()),
        method: "GET".into(),
        url: url.to_owned(),
        cookies,
        request_body: None,
        status,
        content_type,
        response_body: None,
        error,
    }
}

fn exchange_of(captured: &Captured) -> Exchange {
    Exchange {
        client: Some(BROWSER_WINDOW.to_owned()),
        method: captured.method.clone(),
        url: captured.url.clone(),
        cookies: Vec::new(),
        request_body: captured.body.as_deref().map(crate::client::quote),
        status: captured.status,
        content_type: captured.response_content_type.clone(),
        response_body: captured.response_body.as_deref().map(crate::client::quote),
        error: captured.status.is_none().then(|| "the page got no answer".to_owned()),
    }
}

fn logged_in_user(ctx: &Context) -> Result<Login, Stopped> {
    ctx.facts.browser_login().cloned().map_err(|missing| Verdict::error(missing.0).into())
}

async fn reload(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let login = logged_in_user(ctx)?;
    let url = ctx.url(&kit().server.home);
    let tab = &session(ctx)?.tab;
    let no_page = |why: String| {
        Verdict::fail(why).expected("the chat page").hint("is the server running?").in_tab(Which::Main)
    };
    // The server may have restarted on another port: cookies go by host, not port.
    visit(tab, Load::Open, &url, BROWSER_WINDOW, found).await.map_err(no_page)?;
    visit(tab, Load::Reload, &url, BROWSER_WINDOW, found).await.map_err(no_page)?;
    if tab.wait_until(&shows_chatroom_for(&login.username)).await {
        return Ok(format!("after a reload the page still shows the chatroom for {}", login.username));
    }
    Err(Verdict::fail(format!("after a reload the page no longer shows the chatroom for {}", login.username))
        .expected("the chatroom again")
        .hint("the `session` cookie must outlive the page: Path=/ and a Max-Age (session.js)")
        .in_tab(Which::Main))
}

async fn second_tab(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let login = logged_in_user(ctx)?;
    let url = ctx.url(&kit().server.home);
    let session = session(ctx)?;
    let tab = session.driver.new_tab(&session.profile).await.map_err(Verdict::error)?;
    session.second = Some(tab);
    let tab = session.second.as_ref().expect("just opened");
    visit(tab, Load::Open, &url, SECOND_TAB_CLIENT, found).await.map_err(|why| {
        Verdict::fail(why).expected("the chat page").hint("is the server running?").in_tab(Which::Second)
    })?;
    if tab.wait_until(&shows_chatroom_for(&login.username)).await {
        return Ok(format!("a second tab of the same browser is logged in as {}", login.username));
    }
    Err(Verdict::fail("a second tab of the same browser is not logged in")
        .expected(format!("the chatroom for {}", login.username))
        .hint("the cookie must be sent with every page of the site: Path=/ (session.js)")
        .in_tab(Which::Second))
}

async fn incognito(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let url = ctx.url(&kit().server.home);
    let session = session(ctx)?;
    let context = session.driver.new_context().await.map_err(Verdict::error)?;
    let tab = session.driver.new_tab(&context).await.map_err(Verdict::error)?;
    visit(&tab, Load::Open, &url, INCOGNITO_WINDOW, found)
        .await
        .map_err(|why| Verdict::fail(why).expected("the login page").hint("is the server running?"))?;
    if tab.wait_until(&shows_login_form()).await {
        return Ok("a new incognito window is asked for a username".into());
    }
    let user = tab.text_of(&kit().pages.current_user).await.unwrap_or_default();
    Err(Verdict::fail(format!("a new incognito window, with no cookie, is shown the chatroom for `{user}`"))
        .expected("the login form")
        .hint("the server must decide who you are from the request's cookie alone")
        .into())
}

/// Sends `text` from the main tab and waits for it to show in the second.
async fn send_and_watch(ctx: &mut Context, text: &str) -> Result<(), Stopped> {
    let url = ctx.url(&kit().server.home);
    let pages = &kit().pages;
    let session = session(ctx)?;
    let (Some(second), main) = (session.second.as_ref(), &session.tab) else {
        return Err(Verdict::error("no second tab").into());
    };
    for (tab, which) in [(main, Which::Main), (second, Which::Second)] {
        tab.goto(&url).await.map_err(|why| {
            Verdict::fail(why).expected("the chat page").hint("is the server running?").in_tab(which)
        })?;
        // Wait for the live connection, or the message could come before it does.
        if !tab.wait_until(&format!("{}?.dataset.live === 'connected'", query(&pages.chat))).await {
            return Err(Verdict::fail("the chat page's live updates did not connect")
                .expected("an open EventSource on /api/rooms/<room>/events")
                .hint("static/js/chat.js and events.rs are given code: compare them with the kit's")
                .in_tab(which));
        }
    }
    let given = "templates/chat.html.tera is given code: compare it with the kit's";
    main.type_into(&pages.message_input, text)
        .await
        .map_err(|why| Verdict::fail(why).expected("the message box").hint(given).in_tab(Which::Main))?;
    let sent = main.click(&pages.message_submit).await;
    sent.map_err(|why| Verdict::fail(why).expected("the Send button").hint(given).in_tab(Which::Main))?;
    let arrived = format!(
        "[...document.querySelectorAll({})].some(b => b.textContent === {})",
        js_string(&pages.message_bodies),
        js_string(text)
    );
    if second.wait_until(&arrived).await {
        return Ok(());
    }
    let mine = main.wait_until(&arrived).await;
    Err(Verdict::fail(format!(
        "the message sent in one tab did not appear in the other within {} s{}",
        session.driver.timeout.as_secs(),
        if mine { " (it did appear in the tab that sent it)" } else { "" }
    ))
    .expected("the message in both tabs, without a reload")
    .hint("static/js/chat.js and events.rs are given code: compare them with the kit's")
    .in_tab(Which::Second))
}

async fn live_message(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let text = format!("live from the grader, run {}", ctx.run_tag);
    found.log.push(format!("sending {text:?}"));
    send_and_watch(ctx, &text).await?;
    Ok("a message sent in one tab appeared in the other without a reload".into())
}

async fn html_escaped(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let text = format!(
        "<img src=x onerror=\"window.__graderRan=1\"><script>window.__graderRan=1</script><b>bold {}</b>",
        ctx.run_tag
    );
    found.log.push(format!("sending {text:?}"));
    send_and_watch(ctx, &text).await?;
    let session = session(ctx)?;
    let tabs = [(&session.tab, Which::Main), (session.second.as_ref().expect("sent"), Which::Second)];
    for (tab, which) in tabs {
        let ran = tab.eval("window.__graderRan === 1").await == Value::Bool(true);
        let elements = tab
            .eval(&format!(
                "document.querySelectorAll({}).length",
                js_string(
                    &["img", "script", "b"].map(|tag| format!("{} {tag}", kit().pages.messages)).join(", ")
                )
            ))
            .await;
        if ran || elements.as_u64().unwrap_or(0) > 0 {
            return Err(Verdict::fail(
                "a message with HTML in it became HTML in the page".to_string()
                    + if ran { ", and its script ran" } else { "" },
            )
            .expected("the message shown as plain text")
            .hint("show user text with textContent, never innerHTML (static/js/chat.js)")
            .in_tab(which));
        }
    }
    Ok("a message with HTML and a script shows as plain text and runs nothing".into())
}

async fn logout(ctx: &mut Context, found: &mut Findings) -> Outcome {
    let login = logged_in_user(ctx)?;
    let url = ctx.url(&kit().server.home);
    let tab = &session(ctx)?.tab;
    tab.goto(&url).await.map_err(|why| {
        Verdict::fail(why).expected("the chat page").hint("is the server running?").in_tab(Which::Main)
    })?;
    let clicked = tab.click(&kit().pages.logout).await;
    clicked.map_err(|why| {
        Verdict::fail(why)
            .expected("a Log out button")
            .hint("templates/chat.html.tera is given code")
            .in_tab(Which::Main)
    })?;
    if !tab.wait_until(&shows_login_form()).await {
        return Err(Verdict::fail("after Log out the page does not show the login form")
            .expected("the login form")
            .hint("static/js/chat.js and DELETE /api/session are given code: compare them with the kit's")
            .in_tab(Which::Main));
    }
    match ctx.lab().whoami_with(Some(&login.token), &mut found.exchanges).await {
        Ok(reply) if reply.status == 401 => {
            Ok("Log out returns to the login form, and the old token no longer works".into())
        }
        Ok(reply) => Err(Verdict::fail(format!(
            "after Log out, the old token still answers {} on /api/me",
            reply.status
        ))
        .expected("401: the session is over")
        .hint("logout must delete the session on the server (SessionManager::delete)")
        .into()),
        Err(why) => Err(super::diagnosis::no_answer(ctx, &why, "401").await.into()),
    }
}
