//! The given files: what a submission changed of the code it was given.
//!
//! A student edits two files (the kit manifest's student files); everything
//! else under the manifest's `[given] paths` is the instructor's. The grader
//! carries its own kit's copies of those files (embedded at build time, see
//! `build.rs`), so a clone is compared with the instructor's kit, never with
//! itself. Line endings do not count: a checkout with CRLF endings is not a change.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kit::kit;

include!(concat!(env!("OUT_DIR"), "/given_files.rs"));

/// `--given-files`: what a changed given file does to a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GivenFilesMode {
    /// Named in the report, as a warning.
    #[default]
    Warn,
    /// Named, and the `given-files-untouched` check fails.
    Fail,
    /// Not looked at.
    Off,
}

/// A given file the submission changed, added or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenChange {
    pub path: String,
    /// `changed`, `added` or `deleted`.
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

/// The given files of the workspace at `root` that differ from the kit's, in path order.
pub fn changed_given_files(root: &Path) -> Vec<GivenChange> {
    let student: Vec<&str> = kit().student.all().iter().map(|f| f.file.as_str()).collect();
    let given = GIVEN.iter().filter(|(path, _)| !student.contains(path));
    let mut changes = Vec::new();
    for (path, original) in given {
        let original = normalized(original);
        match std::fs::read(root.join(path)) {
            Err(_) => changes.push(GivenChange {
                path: (*path).to_owned(),
                change: "deleted".into(),
                summary: lines(original.lines().count()),
            }),
            Ok(now) if normalized(&now) != original && !same_pins(path, &original, &normalized(&now)) => {
                let now = normalized(&now);
                let (added, removed) = line_changes(&original, &now);
                changes.push(GivenChange {
                    path: (*path).to_owned(),
                    change: "changed".into(),
                    summary: format!("+{added} −{removed} lines"),
                })
            }
            Ok(_) => {}
        }
    }
    for path in kit().given_files(root) {
        if !GIVEN.iter().any(|(given, _)| *given == path) {
            let count = std::fs::read(root.join(&path)).map(|b| normalized(&b).lines().count()).unwrap_or(0);
            changes.push(GivenChange { path, change: "added".into(), summary: lines(count) });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// A lock file that pins only what the kit's pins, as the kit pins it, is
/// no change: cargo prunes the packages of members a clone does not have.
fn same_pins(path: &str, original: &str, now: &str) -> bool {
    path.rsplit('/').next() == Some("Cargo.lock")
        && crate::lockfile::pins_only_what_the_kit_pins(original, now)
}

fn lines(count: usize) -> String {
    format!("{count} line{}", if count == 1 { "" } else { "s" })
}

/// The text with CRLF line endings made LF (binary files compare as they are).
fn normalized(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

/// How many lines `now` has that `before` does not, and the other way round
/// (as multisets: a moved line counts as neither).
fn line_changes(before: &str, now: &str) -> (usize, usize) {
    let mut counts: std::collections::HashMap<&str, isize> = std::collections::HashMap::new();
    for line in before.lines() {
        *counts.entry(line).or_default() -= 1;
    }
    for line in now.lines() {
        *counts.entry(line).or_default() += 1;
    }
    let added = counts.values().filter(|c| **c > 0).map(|c| *c as usize).sum();
    let removed = counts.values().filter(|c| **c < 0).map(|c| c.unsigned_abs()).sum();
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the kit's lab workspace: its given files and its student files.
    fn copy_of_the_kit() -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        let root = crate::kit_root();
        let student = kit().student.all().map(|f| f.file.clone());
        for file in kit().given_files(&root).into_iter().chain(student) {
            let to = copy.path().join(&file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root.join(&file), to).unwrap();
        }
        copy
    }

    #[test]
    fn the_kit_itself_changed_nothing() {
        assert!(GIVEN.iter().any(|(path, _)| *path == "lab/src/models.rs"));
        assert_eq!(changed_given_files(copy_of_the_kit().path()), Vec::new());
    }

    #[test]
    fn changed_added_and_deleted_files_are_named_and_student_files_never() {
        let copy = copy_of_the_kit();
        let root = copy.path();
        let models = root.join("lab/src/models.rs");
        let text = std::fs::read_to_string(&models).unwrap();
        std::fs::write(&models, format!("// one more line\n{}", text.replacen('\n', "\nfn x() {}\n", 1)))
            .unwrap();
        std::fs::remove_file(root.join("Rocket.toml")).unwrap();
        std::fs::write(root.join("lab/src/extra.rs"), "fn a() {}\nfn b() {}\n").unwrap();
        std::fs::write(root.join(&kit().student.route.file), "// all new\n").unwrap();
        // A lock file without the grader's own entry pins nothing new: no change.
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let entries = lock.split("\n[[package]]\n").filter(|e| !e.starts_with("name = \"grader\"\n"));
        std::fs::write(root.join("Cargo.lock"), entries.collect::<Vec<_>>().join("\n[[package]]\n")).unwrap();
        // CRLF endings alone are no change.
        let page = root.join("templates/base.html.tera");
        let crlf = std::fs::read_to_string(&page).unwrap().replace('\n', "\r\n");
        std::fs::write(&page, crlf).unwrap();
        let described: Vec<String> = changed_given_files(root).iter().map(GivenChange::describe).collect();
        let rocket_toml = std::fs::read_to_string(crate::kit_root().join("Rocket.toml")).unwrap();
        let deleted = format!("Rocket.toml (deleted: {})", lines(rocket_toml.lines().count()));
        assert_eq!(
            described,
            [
                deleted.as_str(),
                "lab/src/extra.rs (added: 2 lines)",
                "lab/src/models.rs (changed: +2 −0 lines)"
            ]
        );
    }

    #[test]
    fn a_lock_file_that_pins_another_version_is_named() {
        let copy = copy_of_the_kit();
        let lock = std::fs::read_to_string(copy.path().join("Cargo.lock")).unwrap();
        let bumped =
            lock.replacen("name = \"rocket\"\nversion = \"0.5.", "name = \"rocket\"\nversion = \"0.6.", 1);
        std::fs::write(copy.path().join("Cargo.lock"), bumped).unwrap();
        let described: Vec<String> =
            changed_given_files(copy.path()).iter().map(GivenChange::describe).collect();
        assert_eq!(described, ["Cargo.lock (changed: +1 −1 lines)"]);
    }

    #[test]
    fn lines_are_counted_as_multisets() {
        assert_eq!(line_changes("a\nb\nc\n", "c\na\nd\nd\n"), (2, 1));
    }
}
