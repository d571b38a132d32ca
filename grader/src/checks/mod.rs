//! The checks, declared as data: what each one is called, what it is worth,
//! and which checks it needs. The runner (`grade.rs`) walks this list in
//! order; each check's code lives in the module of its stage.

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
}

/// Every check, in the order they run.
pub const CHECKS: &[Check] = &[
    Check {
        id: "builds",
        title: "The crate builds",
        points: 0,
        needs: &[],
    },
    Check {
        id: "boots",
        title: "The server starts and answers",
        points: 0,
        needs: &["builds"],
    },
    Check {
        id: "serves-pages",
        title: "The login page and session.js are served",
        points: 0,
        needs: &["boots"],
    },
    Check {
        id: "script-filled",
        title: "session.js has its TODOs filled in",
        points: 10,
        needs: &["serves-pages"],
    },
    // Not `script-filled`: the page's request, placeholders and all, shows what the server says to it.
    Check {
        id: "creates-session",
        title: "The login request creates a session",
        points: 20,
        needs: &["serves-pages"],
    },
    Check {
        id: "fresh-tokens",
        title: "Tokens are fresh and unguessable",
        points: 10,
        needs: &["creates-session"],
    },
    Check {
        id: "cookie-logs-in",
        title: "The session cookie logs the user in",
        points: 15,
        needs: &["creates-session"],
    },
    Check {
        id: "token-only",
        title: "A new client with only the token is the same user",
        points: 10,
        needs: &["cookie-logs-in"],
    },
    Check {
        id: "no-token",
        title: "A client without a valid token is not logged in",
        points: 5,
        needs: &["boots"],
    },
    Check {
        id: "two-users",
        title: "Two users in two browsers stay themselves",
        points: 10,
        needs: &["cookie-logs-in"],
    },
    Check {
        id: "message-author",
        title: "Messages carry the session's username",
        points: 5,
        needs: &["cookie-logs-in"],
    },
    Check {
        id: "survives-restart",
        title: "Sessions survive a server restart",
        points: 10,
        needs: &["cookie-logs-in"],
    },
    Check {
        id: "bad-input",
        title: "Bad usernames get a 4xx and the server keeps answering",
        points: 5,
        needs: &["creates-session"],
    },
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
    pub fn fail(
        message: impl Into<String>,
        expected: impl Into<String>,
        hint: impl Into<String>,
    ) -> Verdict {
        Verdict::Fail {
            message: message.into(),
            expected: Some(expected.into()),
            hint: Some(hint.into()),
        }
    }

    pub fn error(message: impl Into<String>) -> Verdict {
        Verdict::Error {
            message: message.into(),
            hint: None,
        }
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
            format!(
                "there is no check `{id}`; the checks are: {}",
                ids.join(", ")
            )
        })?;
        stack.push(check.id);
    }
    while let Some(id) = stack.pop() {
        if !wanted.contains(&id) {
            wanted.push(id);
            stack.extend(find(id).map_or(&[][..], |c| c.needs));
        }
    }
    Ok(CHECKS
        .iter()
        .filter(|c| wanted.contains(&c.id))
        .copied()
        .collect())
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
                let at = CHECKS
                    .iter()
                    .position(|c| c.id == *need)
                    .expect("a known check");
                assert!(at < i, "{} needs {need}, which runs later", check.id);
            }
        }
        assert_eq!(CHECKS.iter().map(|c| c.points).sum::<u32>(), 100);
    }

    #[test]
    fn only_brings_its_dependencies() {
        let ids: Vec<&str> = plan(&["two-users".into()])
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(
            ids,
            [
                "builds",
                "boots",
                "serves-pages",
                "creates-session",
                "cookie-logs-in",
                "two-users"
            ]
        );
        assert!(plan(&["nope".into()])
            .unwrap_err()
            .contains("builds, boots"));
    }
}
