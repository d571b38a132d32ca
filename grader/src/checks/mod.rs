//! The checks, declared as data: what each one is called, what it is worth,
//! and which checks it needs. The runner (`grade.rs`) walks this list in
//! order; each check's code lives in the module of its stage.

pub mod browser;
pub mod context;
pub mod http;

pub use context::{Context, Findings};

/// One check of the grade.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable name, used by `--only`, `--points` and the JSON report.
    pub id: &'static str,
    pub title: &'static str,
    /// Points for a pass (an instructor can change them with `--points ID=N`).
    pub points: u32,
    /// Checks that must pass first; if one did not, this one is skipped.
    pub needs: &'static [&'static str],
    pub stage: Stage,
}

/// Who runs a check: plain HTTP clients, or the real browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Http,
    Browser,
}

const fn check(
    stage: Stage,
    id: &'static str,
    title: &'static str,
    points: u32,
    needs: &'static [&'static str],
) -> Check {
    Check { id, title, points, needs, stage }
}

use Stage::{Browser, Http};

/// Every check, in the order they run. The browser logs in before the HTTP
/// checks so that they can send the very request the page sent.
#[rustfmt::skip]
pub const CHECKS: &[Check] = &[
    check(Http,    "builds",               "The crate builds",                                         0, &[]),
    check(Http,    "boots",                "The server starts and answers",                            0, &["builds"]),
    check(Http,    "serves-pages",         "The login page and session.js are served",                 0, &["boots"]),
    check(Browser, "browser-login-form",   "A fresh browser is shown the login form",                  0, &["serves-pages"]),
    check(Browser, "browser-login",        "Typing a username and submitting enters the chatroom",    10, &["browser-login-form"]),
    check(Http,    "script-filled",        "session.js has its TODOs filled in",                       5, &["serves-pages"]),
    // Not `script-filled`: the page's request, placeholders and all, shows what the server says to it.
    check(Http,    "creates-session",      "The login request creates a session",                     15, &["serves-pages"]),
    check(Http,    "fresh-tokens",         "Tokens are fresh and unguessable",                        10, &["creates-session"]),
    check(Http,    "cookie-logs-in",       "The session cookie logs the user in",                     10, &["creates-session"]),
    check(Http,    "token-only",           "A new client with only the token is the same user",        5, &["cookie-logs-in"]),
    check(Http,    "no-token",             "A client without a valid token is not logged in",          5, &["boots"]),
    check(Http,    "two-users",            "Two users in two browsers stay themselves",               10, &["cookie-logs-in"]),
    check(Http,    "message-author",       "Messages carry the session's username",                    5, &["cookie-logs-in"]),
    check(Http,    "bad-input",            "Bad usernames get a 4xx and the server keeps answering",   5, &["creates-session"]),
    check(Browser, "browser-reload",       "Reloading keeps the user logged in",                       0, &["browser-login"]),
    check(Browser, "browser-second-tab",   "A second tab is logged in as the same user",               5, &["browser-login"]),
    check(Browser, "browser-incognito",    "An incognito window is asked for a username",              5, &["browser-login"]),
    check(Browser, "browser-live-message", "A message sent in one tab appears in the other",           0, &["browser-second-tab"]),
    check(Browser, "browser-html-escaped", "A message with HTML shows as text and runs nothing",       0, &["browser-live-message"]),
    check(Browser, "browser-logout",       "Log out returns to the login form and ends the token",     0, &["browser-login"]),
    // Last, so that a server that forgets its sessions fails only here.
    check(Http,    "survives-restart",     "Sessions survive a server restart",                       10, &["cookie-logs-in"]),
];

/// Runs one check in its stage.
pub async fn run(check: &Check, ctx: &mut Context, found: &mut Findings) -> Verdict {
    match check.stage {
        Stage::Http => http::run(check.id, ctx, found).await,
        Stage::Browser => browser::run(check.id, ctx, found).await,
    }
}

/// How a check ended, before it becomes a [`crate::report::CheckResult`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass(String),
    Fail {
        message: String,
        expected: Option<String>,
        hint: Option<String>,
    },
    /// The grader could not tell; never the student's fault.
    Error {
        message: String,
        hint: Option<String>,
    },
    /// Does not apply in this mode (say, restarting a server the grader does
    /// not own). Reported as a skip; checks that need it still run.
    NotApplicable(String),
    /// Could not run for a reason an earlier check already reported.
    Skip(String),
}

impl Verdict {
    pub fn fail(message: impl Into<String>, expected: impl Into<String>, hint: impl Into<String>) -> Verdict {
        Verdict::Fail { message: message.into(), expected: Some(expected.into()), hint: Some(hint.into()) }
    }

    pub fn error(message: impl Into<String>) -> Verdict {
        Verdict::Error { message: message.into(), hint: None }
    }
}

/// The checks `only` asks for, with everything they need, in run order.
/// `Err` names an unknown id.
pub fn plan(only: &[String]) -> Result<Vec<Check>, String> {
    if only.is_empty() {
        return Ok(CHECKS.to_vec());
    }
    let mut wanted: Vec<&str> = Vec::new();
    let mut stack: Vec<&str> = Vec::new();
    for id in only {
        let check = find(id).ok_or_else(|| {
            let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
            format!("there is no check `{id}`; the checks are: {}", ids.join(", "))
        })?;
        stack.push(check.id);
    }
    while let Some(id) = stack.pop() {
        if !wanted.contains(&id) {
            wanted.push(id);
            stack.extend(find(id).map_or(&[][..], |c| c.needs));
        }
    }
    Ok(CHECKS.iter().filter(|c| wanted.contains(&c.id)).copied().collect())
}

pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dependency_is_declared_earlier() {
        for (i, check) in CHECKS.iter().enumerate() {
            for need in check.needs {
                let at = CHECKS.iter().position(|c| c.id == *need).expect("a known check");
                assert!(at < i, "{} needs {need}, which runs later", check.id);
            }
        }
        assert_eq!(CHECKS.iter().map(|c| c.points).sum::<u32>(), 100);
    }

    #[test]
    fn only_brings_its_dependencies() {
        let ids: Vec<&str> = plan(&["two-users".into()]).unwrap().iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            ["builds", "boots", "serves-pages", "creates-session", "cookie-logs-in", "two-users"]
        );
        assert!(plan(&["nope".into()]).unwrap_err().contains("builds, boots"));
    }
}
