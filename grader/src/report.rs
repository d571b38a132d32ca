//! The grade as data: what each check found. Renderers (`render.rs`) turn it
//! into text; the JSON form is a stable interface (see the README's schema).

use serde::{Deserialize, Serialize};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The submission does what the check asks.
    Pass,
    /// The submission does not: the student has something to fix.
    Fail,
    /// The grader could not tell (its own trouble or the machine's, never the student's).
    Error,
    /// Not run: a check it depends on did not pass, or it cannot run in this mode.
    Skip,
}

/// One HTTP request the grader made and what came back, for the student to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// Which client sent it, as the report's story names it: `jar N` (the
    /// grader's Nth fresh cookie jar of this grade), `browser` (the real
    /// browser's window), `browser tab 2` (its second tab), `incognito` (a
    /// window with a profile of its own). `None` in older reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    pub method: String,
    pub url: String,
    /// Cookies sent, as `name=value`.
    pub cookies: Vec<String>,
    pub request_body: Option<String>,
    /// `None` when no answer came (see `error`).
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// The first few hundred characters of the answer.
    pub response_body: Option<String>,
    /// Why no answer came: timeout, connection refused...
    pub error: Option<String>,
}

/// What one check found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub points: u32,
    pub max_points: u32,
    /// What happened, in one or two sentences.
    pub message: String,
    /// What to look at next, naming files and TODOs; `None` on a pass.
    pub hint: Option<String>,
    /// What the check expected, when it failed.
    pub expected: Option<String>,
    pub exchanges: Vec<Exchange>,
    /// Files saved for the student to look at (screenshots, console logs).
    pub artifacts: Vec<String>,
    /// Everything the check did, for `--verbose`.
    pub log: Vec<String>,
    pub duration_ms: u64,
}

impl CheckResult {
    /// A check not run yet: skipped, no points, nothing said.
    pub fn new(id: &str, title: &str, max_points: u32) -> CheckResult {
        CheckResult {
            id: id.to_owned(),
            title: title.to_owned(),
            status: Status::Skip,
            points: 0,
            max_points,
            message: String::new(),
            hint: None,
            expected: None,
            exchanges: Vec::new(),
            artifacts: Vec::new(),
            log: Vec::new(),
            duration_ms: 0,
        }
    }
}

/// The whole grade.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Version of this JSON shape; bumped only on incompatible changes.
    pub schema: u32,
    /// What was graded: a path and package, or a URL.
    pub submission: String,
    pub checks: Vec<CheckResult>,
    pub score: u32,
    pub max_score: u32,
    /// `graded` (every check ran), or `incomplete` (some check could not be graded).
    pub outcome: Outcome,
    /// How the grade ran.
    pub run: RunInfo,
    /// The given files the submission changed, added or deleted (a warning;
    /// a failed `given-files-untouched` check with `--given-files fail`).
    pub changed_given_files: Vec<GivenChange>,
    /// The files that decide how the clone is built or graded (root
    /// manifest and lock, `.cargo/`, toolchain pin, `build.rs`, `.github/`)
    /// it changed or added, or holds as a symbolic link (`link`).
    #[serde(default)]
    pub changed_build_files: Vec<GivenChange>,
}

/// How a grade ran: enough to tell two grades apart, and to know what graded what.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// A random id of this grade (its first six digits tag its usernames and messages).
    pub id: String,
    pub grader_version: String,
    /// The commit of the kit the grader was built from (`unknown` outside git).
    pub kit_commit: String,
    /// How the student's code was contained: the sandbox, or why there was none.
    pub sandbox: String,
    /// The student's files as graded.
    pub student_files: Vec<FileDigest>,
    /// What the grader noticed outside the checks (processes it had to end...).
    pub notes: Vec<String>,
    /// What was built: `as-is` (the workspace as it is), `overlay` (the
    /// student files of a clone over the kit's lab) or `url` (nothing).
    #[serde(default)]
    pub mode: String,
    /// The git commit of the graded clone, `-dirty` when it had changes no
    /// commit holds (none outside git).
    #[serde(default)]
    pub commit: Option<String>,
}

/// A graded file and its SHA-256 (`None`: the file is not there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Incomplete,
}

impl Report {
    pub const SCHEMA: u32 = 1;

    pub fn new(submission: String, checks: Vec<CheckResult>) -> Report {
        let score = checks.iter().map(|c| c.points).sum();
        let max_score = checks.iter().map(|c| c.max_points).sum();
        let outcome = if checks.iter().any(|c| c.status == Status::Error) {
            Outcome::Incomplete
        } else if checks.iter().any(|c| c.status == Status::Fail) {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        Report {
            schema: Report::SCHEMA,
            submission,
            checks,
            score,
            max_score,
            outcome,
            run: RunInfo::default(),
            changed_given_files: Vec::new(),
            changed_build_files: Vec::new(),
        }
    }

    /// The process exit status: 0 passed, 1 a check failed, 2 could not be graded.
    pub fn exit_code(&self) -> u8 {
        match self.outcome {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::Incomplete => 2,
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// A given file the submission changed, added or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenChange {
    pub path: String,
    /// `changed`, `added` or `deleted`; for a build file also `link` (never followed) or `unread`.
    pub change: String,
    /// `+3 −1 lines`, or how many lines an added or deleted file has.
    pub summary: String,
}

impl GivenChange {
    /// `lab/src/models.rs (changed: +3 −1 lines)`.
    pub fn describe(&self) -> String {
        format!("{} ({}: {})", self.path, self.change, self.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Schema 1 only ever gains fields: a report without `client` still
    /// reads, and an exchange that names no client writes none.
    #[test]
    fn the_client_of_an_exchange_is_optional_both_ways() {
        let older = r#"{"method": "GET", "url": "http://127.0.0.1:1/", "cookies": [], "request_body": null,
            "status": 200, "content_type": null, "response_body": null, "error": null}"#;
        let mut exchange: Exchange = serde_json::from_str(older).unwrap();
        assert_eq!(exchange.client, None);
        assert!(!serde_json::to_string(&exchange).unwrap().contains("client"));
        exchange.client = Some("jar 1".into());
        assert!(serde_json::to_string(&exchange).unwrap().contains(r#""client":"jar 1""#));
    }
}
