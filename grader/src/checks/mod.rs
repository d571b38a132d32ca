//! The checks. Each is declared once, where its code is (check50's
//! `@check(dependency=...)` is the model): id, title, points, the checks it
//! needs (by reference, so a misspelt one does not compile), its stage, and
//! the function that runs it. [`CHECKS`] puts them in run order; the runner
//! (`grade.rs`), `grader list` and the tests all walk that one table.
//!
//! By concern: `setup` builds, boots and fetches the pages; `script` reads the
//! login request out of `session.js`; `session` checks the sessions over HTTP
//! through the lab's verbs in `driver` (`tokens` says when a token could be
//! guessed); `browser` goes through the lab in a real browser; `diagnosis`
//! turns what went wrong into a hint.

pub mod browser;
mod browser_stage;
pub mod context;
pub mod diagnosis;
pub mod driver;
pub mod facts;
pub mod script;
pub mod session;
pub mod setup;
pub mod tokens;

use futures::future::BoxFuture;

pub use browser_stage::launch_early;
pub use context::{Context, Findings};

/// One check of the grade.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Stable name, used by `--only`, `--points` and the JSON report.
    pub id: &'static str,
    pub title: &'static str,
    /// What a pass is worth (an instructor can change it with `--points ID=N`).
    pub points: Points,
    /// Checks that must pass first; if one did not, this one is skipped.
    pub needs: &'static [&'static Check],
    pub stage: Stage,
    pub run: Run,
}

/// What a check's pass is worth. A check worth nothing says why it is there
/// at all: a step on the way, a gate, or given code still working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Points {
    Worth(u32),
    Nothing(&'static str),
}

impl Points {
    pub fn value(self) -> u32 {
        match self {
            Points::Worth(points) => points,
            Points::Nothing(_) => 0,
        }
    }

    /// Why a check worth nothing is there; `None` for the others.
    pub fn why_nothing(self) -> Option<&'static str> {
        match self {
            Points::Worth(_) => None,
            Points::Nothing(why) => Some(why),
        }
    }
}

/// The code of a check: looks at the server, records what it did in the
/// findings, and says how it went.
pub type Run = for<'a> fn(&'a mut Context, &'a mut Findings) -> BoxFuture<'a, Checked>;

/// How a check's code ends: `Ok` with its verdict, or `Err` with the verdict
/// of something it needed and did not get, so that a body can say
/// `let login = first_login(ctx)?;` and read top to bottom. Either way the
/// verdict is the check's.
pub type Checked = Result<Verdict, Verdict>;

impl PartialEq for Check {
    fn eq(&self, other: &Check) -> bool {
        self.id == other.id
    }
}

impl Eq for Check {}

/// Who runs a check: plain HTTP clients, or the real browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Http,
    Browser,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Http => "http",
            Stage::Browser => "browser",
        }
    }
}

/// Every check, in the order they run. The browser logs in before the HTTP
/// checks so that they can send the very request the page sent; restarting
/// the server comes last, so that a server that forgets its sessions fails
/// only there.
pub static CHECKS: &[&Check] = &[
    &setup::GIVEN_FILES_UNTOUCHED,
    &setup::BUILDS,
    &setup::BOOTS,
    &setup::SERVES_PAGES,
    &browser::LOGIN_FORM,
    &browser::LOGIN,
    &script::SCRIPT_FILLED,
    &session::CREATES_SESSION,
    &session::FRESH_TOKENS,
    &session::COOKIE_LOGS_IN,
    &session::TOKEN_ONLY,
    &session::NO_TOKEN,
    &session::TWO_USERS,
    &session::MESSAGE_AUTHOR,
    &session::BAD_INPUT,
    &browser::RELOAD,
    &browser::SECOND_TAB,
    &browser::INCOGNITO,
    &browser::LIVE_MESSAGE,
    &browser::HTML_ESCAPED,
    &browser::LOGOUT,
    &session::SURVIVES_RESTART,
];

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
    /// A failure, by what was seen; then `.expected(...)` and `.hint(...)`.
    pub fn fail(message: impl Into<String>) -> Verdict {
        Verdict::Fail { message: message.into(), expected: None, hint: None }
    }

    /// What a pass would have shown: a failure's.
    pub fn expected(mut self, what: impl Into<String>) -> Verdict {
        if let Verdict::Fail { expected, .. } = &mut self {
            *expected = Some(what.into());
        }
        self
    }

    /// The change to make: a failure's, or what to do about an error.
    pub fn hint(mut self, change: impl Into<String>) -> Verdict {
        if let Verdict::Fail { hint, .. } | Verdict::Error { hint, .. } = &mut self {
            *hint = Some(change.into());
        }
        self
    }

    pub fn error(message: impl Into<String>) -> Verdict {
        Verdict::Error { message: message.into(), hint: None }
    }
}

/// The checks `only` asks for, with everything they need, in run order.
/// `Err` names an unknown id.
///
/// `given-files-untouched` runs only with `--given-files fail` (`gate_given_files`)
/// or when `only` names it.
pub fn plan(only: &[String], gate_given_files: bool) -> Result<Vec<&'static Check>, String> {
    if only.is_empty() {
        let gated = |c: &&Check| gate_given_files || c.id != setup::GIVEN_FILES_UNTOUCHED.id;
        return Ok(CHECKS.iter().copied().filter(gated).collect());
    }
    let mut wanted: Vec<&Check> = Vec::new();
    let mut stack: Vec<&Check> = Vec::new();
    for id in only {
        stack.push(find(id).ok_or_else(|| {
            let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
            format!("there is no check `{id}`; the checks are: {}", ids.join(", "))
        })?);
    }
    while let Some(check) = stack.pop() {
        if !wanted.contains(&check) {
            wanted.push(check);
            stack.extend(check.needs.iter().copied());
        }
    }
    Ok(CHECKS.iter().copied().filter(|c| wanted.contains(c)).collect())
}

/// The check named `id` (as typed on the command line).
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_whole_and_in_order() {
        for (i, check) in CHECKS.iter().enumerate() {
            assert_eq!(CHECKS.iter().filter(|c| c.id == check.id).count(), 1, "{} twice", check.id);
            for need in check.needs {
                let at = CHECKS.iter().position(|c| c == need);
                let at =
                    at.unwrap_or_else(|| panic!("{} needs {}, which is not in CHECKS", check.id, need.id));
                assert!(at < i, "{} needs {}, which runs later", check.id, need.id);
            }
        }
        assert_eq!(CHECKS.iter().map(|c| c.points.value()).sum::<u32>(), 100);
        for check in CHECKS {
            assert_ne!(
                check.points,
                Points::Worth(0),
                "{}: worth nothing, it says why as Points::Nothing",
                check.id
            );
            assert_ne!(check.points.why_nothing(), Some(""), "{}: say why it has no points", check.id);
        }
    }

    #[test]
    fn only_brings_its_dependencies() {
        let ids: Vec<&str> = plan(&["two-users".into()], false).unwrap().iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            ["builds", "boots", "serves-pages", "creates-session", "cookie-logs-in", "two-users"]
        );
        assert!(plan(&["nope".into()], false).unwrap_err().contains("builds, boots"));
    }
}
