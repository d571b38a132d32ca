//! `grader export`: what an instructor uploads or pushes so that students are
//! graded by the instructor's grader, never by a copy they can edit.
//!
//! - [`gradescope`]: an autograder zip for Gradescope.
//! - [`classroom50`]: the `autograder.py` of a Classroom 50 assignment, which
//!   installs the instructor's grader at a pinned commit.
//! - [`student`]: the students' template repository, whose workflow gives
//!   feedback with the instructor's grader at a pinned commit, and whose
//!   README installs that grader on the student's machine.
//!
//! Both are read from the kit on disk (its git-tracked files where it is a
//! checkout), through the kit manifest: nothing here names a file of this lab.
//! The files they write are a [`Bundle`] (see `workspace_files`).

pub mod classroom50;
pub mod gradescope;
pub mod student;

pub use crate::workspace_files::{lab_workspace, Bundle};

/// A template's `@NAME@` placeholders filled in; one left unfilled is an error.
fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("@{name}@"), value);
    }
    // Any word of capitals between two `@`s (`"$@"` in a script is none).
    let pieces: Vec<&str> = text.split('@').collect();
    let inner = pieces.get(1..pieces.len().saturating_sub(1)).unwrap_or_default();
    let placeholder = inner
        .iter()
        .find(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    match placeholder {
        Some(name) => Err(format!("the export's template has no value for @{name}@")),
        None => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_a_missing_one_is_an_error() {
        let filled = fill("echo \"$@\" @NAME@ user@host", &[("NAME", "x")]).unwrap();
        assert_eq!(filled, "echo \"$@\" x user@host");
        assert!(fill("$@ @NAME@", &[]).is_err());
        assert_eq!(fill("a @OTHER@ b", &[]).unwrap_err(), "the export's template has no value for @OTHER@");
    }
}
