//! The given files: what a submission changed of the code it was given.
//!
//! A student edits two files (the kit manifest's student files); everything
//! else under the manifest's `[given] paths` is the instructor's. The grader
//! carries its own kit's copies of those files (embedded at build time, see
//! `build.rs`), so a clone is compared with the instructor's kit, never with
//! itself. Line endings do not count: a checkout with CRLF endings is not a change.
//!
//! The build files (`build_files::decides_the_build`: the root manifest and
//! lock, `.cargo/`, the toolchain pin, every `build.rs`, `.github/`) are
//! compared the same way, with the kit's copies embedded the same way, but
//! named apart: they change how a clone is built or graded, not what it does.
//! A clone may be a fork of the kit or the template `grader export student`
//! made, and both are as given: it is compared with whichever of the two
//! it differs from least.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::build_files::{self, Found};
use crate::kit::kit;
use crate::report::GivenChange;

include!(concat!(env!("OUT_DIR"), "/given_files.rs"));
include!(concat!(env!("OUT_DIR"), "/build_files.rs"));

/// The student files of the workspace at `root` (as `package` places them)
/// that the grader will not read, let alone build: a symbolic link (never
/// followed: it could point at a secret, or at an endless device), a file
/// over the size cap, or something that is not a regular file.
pub fn unreadable_student_files(root: &Path, package: &str) -> Vec<GivenChange> {
    kit()
        .student
        .all()
        .iter()
        .map(|student| student.path_for(package))
        .filter(|path| root.join(path).symlink_metadata().is_ok())
        .filter_map(|path| match build_files::read_capped(&root.join(path)) {
            Found::File(_) => None,
            other => Some(unread_change(path, &other, "changed")),
        })
        .collect()
}

/// The given files of the workspace at `root` that differ from the kit's, in path order.
pub fn changed_given_files(root: &Path) -> Vec<GivenChange> {
    let student: Vec<&str> = kit().student.all().iter().map(|f| f.file.as_str()).collect();
    let given = GIVEN.iter().filter(|(path, _)| !student.contains(path));
    let mut changes = Vec::new();
    for (path, original) in given {
        let original = normalized(original);
        // Read without following a link, and at most so much: the clone's files are the student's.
        let found = match root.join(path).symlink_metadata() {
            Err(_) => None,
            Ok(_) => Some(build_files::read_capped(&root.join(path))),
        };
        let now = match found {
            Some(Found::File(bytes)) => Ok(bytes),
            Some(other) => {
                changes.push(unread_change(path, &other, "changed"));
                continue;
            }
            None => Err(()),
        };
        match now {
            Err(()) => changes.push(GivenChange {
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
            match build_files::read_capped(&root.join(&path)) {
                Found::File(bytes) => {
                    let count = normalized(&bytes).lines().count();
                    changes.push(GivenChange { path, change: "added".into(), summary: lines(count) });
                }
                other => changes.push(unread_change(&path, &other, "added")),
            }
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// A file that was not read: a link (named as one), too large, or not a file.
fn unread_change(path: &str, found: &Found, new_or_changed: &str) -> GivenChange {
    let (change, summary) = match found {
        Found::Link => ("link", "a symbolic link (not followed)".to_owned()),
        Found::TooLarge => {
            (new_or_changed, format!("larger than {} KiB (not read)", build_files::MAX_BYTES / 1024))
        }
        Found::NotAFile | Found::File(_) => (new_or_changed, "not a regular file".to_owned()),
    };
    GivenChange { path: path.to_owned(), change: change.into(), summary }
}

/// What a build file of the kit's is, in one of the two forms a clone may take.
#[derive(Debug, Clone)]
enum Given {
    /// These contents (line endings aside).
    Exact(String),
    /// A lock file: compared by its pins (see `workspace_files::lock`).
    Lock(String),
    /// What an export fills in from a template: its `@NAME@` placeholders
    /// may hold any value the export could have written.
    Filled(&'static str),
}

/// The build files of the two forms a clone may take, by path: a fork of
/// the kit (every build file of the kit), and the students' template
/// (`grader export student`: the lab's workspace and its workflow).
fn given_forms() -> [BTreeMap<String, Given>; 2] {
    let as_given = |path: &str, bytes: &[u8]| {
        let text = normalized(bytes);
        if path == "Cargo.lock" {
            Given::Lock(text)
        } else {
            Given::Exact(text)
        }
    };
    let fork: BTreeMap<String, Given> =
        BUILD_FILES.iter().map(|(path, bytes)| ((*path).to_owned(), as_given(path, bytes))).collect();
    // The template holds what lies under the given paths, a manifest of the lab alone, and its workflow.
    let given_paths = &kit().given.paths;
    let under_given =
        |path: &str| given_paths.iter().any(|given| path == given || path.starts_with(&format!("{given}/")));
    let mut template: BTreeMap<String, Given> =
        fork.iter().filter(|(path, _)| under_given(path)).map(|(p, g)| (p.clone(), g.clone())).collect();
    if let Some((_, manifest)) = BUILD_FILES.iter().find(|(path, _)| *path == "Cargo.toml") {
        let lab_alone =
            crate::workspace_files::workspace_manifest(&normalized(manifest), &[kit().lab.package.as_str()]);
        if let Ok(lab_alone) = lab_alone {
            template.insert("Cargo.toml".into(), Given::Exact(lab_alone));
        }
    }
    if let Some((_, lock)) = BUILD_FILES.iter().find(|(path, _)| *path == "Cargo.lock") {
        template.insert("Cargo.lock".into(), Given::Lock(normalized(lock)));
    }
    for (path, text) in crate::export::student::GITHUB_TEMPLATES {
        template.insert((*path).to_owned(), Given::Filled(text));
    }
    [fork, template]
}

/// The build files of the workspace at `root` that it added or changed
/// (compared with the form it is closest to), in path order. A symbolic link is
/// named as a link and never followed; a clone too large to walk whole is
/// named as such (`.`, `unread`).
pub fn changed_build_files(root: &Path) -> Vec<GivenChange> {
    let walk = build_files::walk(root);
    let mut closest: Option<Vec<GivenChange>> = None;
    for form in given_forms() {
        let changes = build_changes(&walk, &form);
        if closest.as_ref().is_none_or(|best| changes.len() < best.len()) {
            closest = Some(changes);
        }
    }
    closest.unwrap_or_default()
}

/// How the build files `walk` found differ from one form's.
fn build_changes(walk: &build_files::Walk, form: &BTreeMap<String, Given>) -> Vec<GivenChange> {
    let change = |path: &str, change: &str, summary: String| GivenChange {
        path: path.to_owned(),
        change: change.to_owned(),
        summary,
    };
    let mut changes = Vec::new();
    for (path, found) in &walk.files {
        let given = form.get(path);
        let new_or_changed = if given.is_some() { "changed" } else { "added" };
        match found {
            Found::Link | Found::TooLarge | Found::NotAFile => {
                changes.push(unread_change(path, found, new_or_changed))
            }
            Found::File(bytes) => {
                let now = normalized(bytes);
                match given {
                    None => changes.push(change(path, "added", lines(now.lines().count()))),
                    Some(given) if !is_as_given(given, &now) => {
                        let (added, removed) = match given {
                            Given::Exact(text) | Given::Lock(text) => line_changes(text, &now),
                            Given::Filled(template) => line_changes(template, &unfilled(template, &now)),
                        };
                        changes.push(change(path, "changed", format!("+{added} −{removed} lines")));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    // A build file the clone lacks is not named: a missing workflow or build script adds nothing
    // to a build or a grade (and a missing Cargo.lock is a given file's deletion).
    if walk.cut_short {
        changes.push(change(
            ".",
            "unread",
            format!(
                "more than {} files and folders, or folders deeper than {}: the rest was not looked at",
                build_files::MAX_ENTRIES,
                build_files::MAX_DEPTH
            ),
        ));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn is_as_given(given: &Given, now: &str) -> bool {
    match given {
        Given::Exact(text) => text == now,
        Given::Lock(text) => {
            text == now || crate::workspace_files::lock::pins_only_what_the_kit_pins(text, now)
        }
        Given::Filled(template) => filled_from(template, now),
    }
}

/// `text` with each line that fills in a line of the template put back as
/// that line, so that a summary counts the edits and not the filled-in values.
fn unfilled(template: &str, text: &str) -> String {
    let patterns: Vec<&str> = template.lines().filter(|line| line.contains('@')).collect();
    let lines =
        text.lines().map(|line| patterns.iter().copied().find(|p| filled_from(p, line)).unwrap_or(line));
    lines.collect::<Vec<_>>().join("\n")
}

/// One piece of a template: text as it is, or a placeholder's name.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// The pieces of a template: `@NAME@` (capitals and `_`) is a placeholder,
/// as the export's `fill` reads them; any other `@` is text.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut text_start = 0usize;
    let mut at = 0usize;
    while let Some(found) = rest[at..].find('@') {
        let open = at + found;
        let after = &rest[open + 1..];
        let name_len = after.find(|c: char| !(c.is_ascii_uppercase() || c == '_')).unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('@') {
            pieces.push(Piece::Text(&rest[text_start..open]));
            pieces.push(Piece::Placeholder(&after[..name_len]));
            rest = &after[name_len + 1..];
            text_start = 0;
            at = 0;
        } else {
            at = open + 1;
        }
    }
    pieces.push(Piece::Text(rest));
    pieces
}

/// Whether `text` is `template` with each placeholder filled in as an export
/// fills it: one value per name, wherever it stands, made of what the
/// export's values are made of (letters, digits, `-_./`: never a space,
/// a quote, a `$` or a line break). Anything else is an edit.
fn filled_from(template: &str, text: &str) -> bool {
    let pieces = pieces(template);
    let mut values: HashMap<&str, &str> = HashMap::new();
    // Backtracking is bounded by the placeholders a line holds; the budget bounds it anyway.
    let mut budget = 100_000usize;
    matches_from(&pieces, text, &mut values, &mut budget)
}

fn matches_from<'p, 't>(
    pieces: &[Piece<'p>],
    text: &'t str,
    values: &mut HashMap<&'p str, &'t str>,
    budget: &mut usize,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((first, rest)) = pieces.split_first() else { return text.is_empty() };
    match first {
        Piece::Text(literal) => {
            text.strip_prefix(literal).is_some_and(|after| matches_from(rest, after, values, budget))
        }
        Piece::Placeholder(name) => {
            let name: &'p str = name;
            if let Some(value) = values.get(name).copied() {
                return text
                    .strip_prefix(value)
                    .is_some_and(|after| matches_from(rest, after, values, budget));
            }
            let allowed = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
            let longest = text.find(|c: char| !allowed(c)).unwrap_or(text.len());
            for end in (1..=longest).rev() {
                values.insert(name, &text[..end]);
                if matches_from(rest, &text[end..], values, budget) {
                    return true;
                }
                values.remove(name);
            }
            false
        }
    }
}

/// A lock file that pins only what the kit's pins, as the kit pins it, is
/// no change: cargo prunes the packages of members a clone does not have.
fn same_pins(path: &str, original: &str, now: &str) -> bool {
    path.rsplit('/').next() == Some("Cargo.lock")
        && crate::workspace_files::lock::pins_only_what_the_kit_pins(original, now)
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

    /// A fork of the kit: every file of it git tracks (or that is on disk).
    fn fork_of_the_kit() -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        let root = crate::kit_root();
        let paths: Vec<String> = [".", ".cargo", ".github"].map(String::from).to_vec();
        for file in crate::workspace_files::kit_files::files(&root, &paths) {
            let file = file.trim_start_matches("./");
            let to = copy.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root.join(file), to).unwrap();
        }
        copy
    }

    /// The students' template, as `grader export student` writes it (a ref with a `-`, as tags have).
    fn template() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let source = crate::export::student::KitSource::parse("my-course/sessions-kit", "v1.0-rc.1").unwrap();
        let bundle = crate::export::student::bundle(&crate::kit_root(), kit(), &source).unwrap();
        bundle.write_dir(dir.path()).unwrap();
        dir
    }

    fn described(changes: &[GivenChange]) -> Vec<String> {
        changes.iter().map(GivenChange::describe).collect()
    }

    #[test]
    fn a_fork_of_the_kit_and_the_template_change_no_build_file() {
        assert!(BUILD_FILES.iter().any(|(path, _)| *path == "Cargo.toml"));
        assert!(BUILD_FILES.iter().any(|(path, _)| *path == "grader/build.rs"));
        assert_eq!(described(&changed_build_files(fork_of_the_kit().path())), Vec::<String>::new());
        let template = template();
        assert!(template.path().join(".github/workflows/grade.yml").is_file());
        assert_eq!(described(&changed_build_files(template.path())), Vec::<String>::new());
    }

    #[test]
    fn added_or_changed_build_files_are_named() {
        let fork = fork_of_the_kit();
        let root = fork.path();
        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        std::fs::write(root.join(".cargo/config.toml"), "[build]\nrustflags = [\"--cfg\", \"x\"]\n").unwrap();
        let build = root.join("grader/build.rs");
        let text = std::fs::read_to_string(&build).unwrap();
        std::fs::write(&build, format!("{text}\nfn planted() {{}}\n")).unwrap();
        std::fs::write(root.join("rust-toolchain.toml"), "[toolchain]\nchannel = \"nightly\"\n").unwrap();
        // A build file in a hidden folder, or deep down, is found all the same; one in target/ is not.
        std::fs::create_dir_all(root.join(".hidden/deep")).unwrap();
        std::fs::write(root.join(".hidden/deep/build.rs"), "fn main() {}\n").unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(root.join("target/debug/build.rs"), "fn main() {}\n").unwrap();
        assert_eq!(
            described(&changed_build_files(root)),
            [
                ".cargo/config.toml (added: 2 lines)",
                ".hidden/deep/build.rs (added: 1 line)",
                "grader/build.rs (changed: +2 −0 lines)",
                "rust-toolchain.toml (added: 2 lines)",
            ]
        );
    }

    #[test]
    fn an_edited_workflow_is_named_and_a_filled_in_one_is_not() {
        let template = template();
        let workflow = template.path().join(".github/workflows/grade.yml");
        let filled = std::fs::read_to_string(&workflow).unwrap();
        assert!(filled.contains("ref: v1.0-rc.1\n"), "{filled}");
        // Other values in the placeholders, as another export writes them: as given.
        let other = filled.replace("my-course/sessions-kit", "another/kit").replace("v1.0-rc.1", "v2");
        std::fs::write(&workflow, &other).unwrap();
        assert_eq!(described(&changed_build_files(template.path())), Vec::<String>::new());
        // A placeholder's value must be one an export writes, the same wherever it stands.
        for forged in [
            filled.replacen("ref: v1.0-rc.1\n", "ref: ${{ github.sha }}\n", 1),
            filled.replacen("ref: v1.0-rc.1\n", "ref: v9\n", 1),
            filled.replace(
                "      - name: Grade (feedback)\n",
                "      - name: Forged\n        run: echo 'result=full' >> \"$GITHUB_OUTPUT\"; echo Points 100/100\n      - name: Grade (feedback)\n",
            ),
        ] {
            assert_ne!(forged, filled);
            std::fs::write(&workflow, &forged).unwrap();
            let changes = described(&changed_build_files(template.path()));
            assert_eq!(changes.len(), 1, "{changes:?}");
            assert!(changes[0].starts_with(".github/workflows/grade.yml (changed: +"), "{changes:?}");
        }
        // The summary counts the edit, not the filled-in values.
        let one_line = filled.replacen("      - name: Grade (feedback)\n", "      - name: Forged\n", 1);
        std::fs::write(&workflow, one_line).unwrap();
        assert_eq!(
            described(&changed_build_files(template.path())),
            [".github/workflows/grade.yml (changed: +1 −1 lines)"]
        );
        // Another workflow is named; a missing one adds nothing to a build or a grade.
        std::fs::write(template.path().join(".github/workflows/more.yml"), "on: push\n").unwrap();
        std::fs::remove_file(&workflow).unwrap();
        assert_eq!(
            described(&changed_build_files(template.path())),
            [".github/workflows/more.yml (added: 1 line)"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_build_script_is_named_as_a_link_and_never_read() {
        let template = template();
        let secret = template.path().join("outside.txt");
        std::fs::write(&secret, "not to be read").unwrap();
        std::os::unix::fs::symlink(&secret, template.path().join("lab/build.rs")).unwrap();
        std::os::unix::fs::symlink("/", template.path().join(".cargo")).unwrap();
        assert_eq!(
            described(&changed_build_files(template.path())),
            [
                ".cargo (link: a symbolic link (not followed))",
                "lab/build.rs (link: a symbolic link (not followed))"
            ]
        );
        // A given file that is a link is named as one, never read (here, an endless device).
        let models = template.path().join("lab/src/models.rs");
        std::fs::remove_file(&models).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &models).unwrap();
        let given = described(&changed_given_files(template.path()));
        assert!(
            given.contains(&"lab/src/models.rs (link: a symbolic link (not followed))".to_owned()),
            "{given:?}"
        );
        assert!(
            given.contains(&"lab/build.rs (link: a symbolic link (not followed))".to_owned()),
            "{given:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn student_files_that_are_links_or_too_large_are_named_and_never_read() {
        let template = template();
        assert_eq!(described(&unreadable_student_files(template.path(), "lab")), Vec::<String>::new());
        let route = template.path().join(&kit().student.route.file);
        let script = template.path().join(&kit().student.script.file);
        std::fs::remove_file(&route).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &route).unwrap();
        std::fs::write(&script, vec![b'/'; build_files::MAX_BYTES as usize + 1]).unwrap();
        assert_eq!(
            described(&unreadable_student_files(template.path(), "lab")),
            [
                format!("{} (link: a symbolic link (not followed))", kit().student.route.file),
                format!("{} (changed: larger than 1024 KiB (not read))", kit().student.script.file),
            ]
        );
        std::fs::remove_file(&script).unwrap();
        std::fs::create_dir(&script).unwrap();
        assert!(
            described(&unreadable_student_files(template.path(), "lab"))[1].ends_with("not a regular file)")
        );
    }

    #[test]
    fn placeholders_match_single_values_of_the_exports_alphabet() {
        assert!(filled_from("a @X@ b @X@\n", "a v1.0 b v1.0\n"));
        assert!(!filled_from("a @X@ b @X@\n", "a v1.0 b v2\n"), "one value per name");
        assert!(!filled_from("a @X@\n", "a \n"), "never empty");
        assert!(!filled_from("a @X@\n", "a x y\n"), "no space");
        assert!(filled_from("user@host @X@-end", "user@host v-1-end"));
        assert!(!filled_from("k: @X@\n", "k: v\nextra: line\n"));
    }

    #[test]
    fn lines_are_counted_as_multisets() {
        assert_eq!(line_changes("a\nb\nc\n", "c\na\nd\nd\n"), (2, 1));
    }
}
