//! `grader batch`: a whole class in one command.
//!
//! Each clone is graded with this grader, its reports written outside the
//! clones, into one folder, with a gradebook (`grades.csv`) and a summary.
//! By default a clone is graded by laying its student files over a copy of
//! the kit's lab that the grader owns (one per job), so each further build
//! recompiles only what the student changed; `--as-is` builds the clone
//! itself. Builds take turns on the shared target folder (its lock); the
//! checks of built clones run side by side, up to `--jobs`. A clone that
//! cannot be built or graded costs its own row and its own time limits.
//!
//! A repository (a URL, or a path with `--before`) is first cloned into
//! `OUT/repos/NAME` and checked out at the deadline (see `repos`); one that
//! cannot be is a row with why, and the batch goes on.
//!
//! This module holds what a batch is ([`Batch`]) and the name each clone
//! goes by; the rest is split by concern, each part leaning only on those
//! listed after it:
//!
//! - `run`: running the batch, each clone cloned, graded (in a copy of the
//!   lab or as it is, in this process or apart) and written as it finishes;
//! - `glance`: the class's figures, told as the summary and as `index.html`;
//! - `gradebook`: a clone's row, its reports and line, and `grades.csv`;
//! - `copies`: the batch's copies of the kit's lab, one per job, and how a
//!   clone's student files are laid over one.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::kit::Kit;
use crate::repos::Submission;
use crate::settings::Settings;

mod copies;
mod glance;
mod gradebook;
mod run;

pub use glance::{report_href, summary, CheckRate, Glance};
pub use gradebook::{csv, Row};
pub use run::{run, Rows};

/// A batch to grade.
pub struct Batch {
    pub submissions: Vec<Submission>,
    /// The deadline, in seconds since the epoch: each repository is graded
    /// at its last commit at or before it.
    pub before: Option<i64>,
    /// Where the reports go.
    pub out: PathBuf,
    /// The gradebook.
    pub csv: PathBuf,
    pub jobs: usize,
    /// Skip the clones graded already at the same commit.
    pub resume: bool,
    /// Build each clone as it is, not its student files over the kit's lab.
    pub as_is: bool,
    /// The instructor's kit, whose lab the student files are laid over.
    pub kit_root: PathBuf,
    pub kit: Kit,
    pub package: String,
    /// The settings of every grade; the target's path is each clone's.
    pub settings: Settings,
    pub only: Vec<String>,
    pub points: HashMap<String, u32>,
}

/// Each clone with a name of its own: its folder's name, `-2`, `-3`... on a clash.
pub fn named(clones: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let submissions: Vec<Submission> = clones.iter().cloned().map(Submission::Folder).collect();
    named_submissions(&submissions)
        .into_iter()
        .zip(clones)
        .map(|((name, _), clone)| (name, clone.clone()))
        .collect()
}

/// Each submission with a name of its own: its folder's or repository's
/// name, made safe for a file name, `-2`, `-3`... on a clash.
pub fn named_submissions(submissions: &[Submission]) -> Vec<(String, Submission)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    submissions
        .iter()
        .map(|submission| {
            let mut base: String = submission
                .base_name()
                .chars()
                .map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' })
                .collect();
            // Never `.`, `..` or a hidden name: the name is a file name in OUT.
            if base.is_empty() || base.starts_with('.') {
                base = format!("clone{base}");
            }
            let count = seen.entry(base.clone()).or_default();
            *count += 1;
            let name = if *count == 1 { base } else { format!("{base}-{count}") };
            (name, submission.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, Status};
    use std::time::Duration;

    #[test]
    fn clones_get_names_of_their_own() {
        let clones: Vec<PathBuf> =
            ["a/alice", "b/alice", "c/bob smith", "d/=evil"].iter().map(PathBuf::from).collect();
        let names: Vec<String> = named(&clones).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alice", "alice-2", "bob_smith", "_evil"]);
        let submissions = [
            Submission::Repository("https://github.com/org/alice.git".into()),
            Submission::Folder(PathBuf::from("c/alice")),
            Submission::Repository("file:///class/..".into()),
            Submission::Repository("file:///".into()),
        ];
        let names: Vec<String> = named_submissions(&submissions).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["alice", "alice-2", "clone..", "clone"]);
    }

    // Rows and reports for the tests of the gradebook and of the glance.

    pub(super) fn row(name: &str, report: Result<Report, String>) -> Row {
        Row {
            name: name.into(),
            path: PathBuf::from(name),
            report,
            duration: Duration::from_secs(2),
            resumed: false,
            repository: None,
            checkout: None,
        }
    }

    pub(super) fn report(points: &[(&str, Status, u32, u32)]) -> Report {
        let checks = points
            .iter()
            .map(|(id, status, points, max)| {
                let mut check = crate::report::CheckResult::new(id, "", *max);
                (check.status, check.points, check.message, check.duration_ms) =
                    (*status, *points, "said".into(), 1000);
                check
            })
            .collect();
        let mut report = Report::new("x".into(), checks);
        report.run.mode = "overlay".into();
        report
    }
}
