//! `grader export classroom50 DIR`: the `autograder.py` of a Classroom 50
//! assignment. Classroom 50's runner runs it with Python in the student's
//! checkout, with no token and no cache; it `cargo install`s this kit's
//! grader at one commit and grades the checkout with `--format classroom50`.

use std::path::Path;

use super::{fill, Bundle};
use crate::kit::Kit;

const AUTOGRADER: &str = include_str!("classroom50/autograder.py");

/// The kit's repository and the commit that grades, checked for a place in
/// a Python string and a `cargo install --rev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedKit {
    repository: String,
    commit: String,
}

impl PinnedKit {
    /// `OWNER/NAME` (as [`super::student::KitSource`] takes it) and `reference`
    /// resolved to a full commit id in the kit at `kit_root`: a tag can be
    /// moved, a commit cannot.
    pub fn resolve(kit_root: &Path, repository: &str, reference: &str) -> Result<PinnedKit, String> {
        let source = super::student::KitSource::parse(repository, reference)?;
        let commit = crate::tracked::resolve(kit_root, reference).ok_or_else(|| {
            format!(
                "--kit-ref {reference} is not a commit of the kit at {}: the autograder pins a commit, \
                 so export from a checkout that has it (fetch the tag first), or give the full commit id",
                kit_root.display()
            )
        })?;
        Ok(PinnedKit { repository: source.repository().to_owned(), commit })
    }

    /// The full commit id the autograder installs.
    pub fn commit(&self) -> &str {
        &self.commit
    }
}

/// The assignment's files: `autograder.py`.
pub fn bundle(kit: &Kit, pinned: &PinnedKit) -> Result<Bundle, String> {
    let values = [
        ("KIT_REPO", pinned.repository.as_str()),
        ("KIT_PIN", pinned.commit.as_str()),
        ("KIT_COMMIT", env!("GRADER_KIT_COMMIT")),
        ("LAB_TITLE", kit.lab.title.as_str()),
    ];
    let mut bundle = Bundle::default();
    bundle.add("autograder.py", fill(AUTOGRADER, &values)?, true);
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::kit;

    #[test]
    fn the_autograder_installs_the_pinned_commit() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let pinned = PinnedKit { repository: "my-course/sessions-kit".into(), commit: commit.into() };
        let bundle = bundle(kit(), &pinned).unwrap();
        let script = String::from_utf8_lossy(bundle.get("autograder.py").unwrap()).into_owned();
        assert!(script.contains(&format!("KIT_PIN = \"{commit}\"")), "{script}");
        assert!(script.contains("\"https://github.com/my-course/sessions-kit.git\""), "{script}");
        assert!(script.contains("\"--format\", \"classroom50\""), "{script}");
    }

    #[test]
    fn a_ref_that_is_no_commit_of_the_kit_is_refused() {
        let empty = tempfile::tempdir().unwrap();
        let refused = PinnedKit::resolve(empty.path(), "a/b", "v9.9").unwrap_err();
        assert!(refused.contains("is not a commit of the kit"), "{refused}");
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let outside_git = PinnedKit::resolve(empty.path(), "a/b", commit).unwrap();
        assert_eq!(outside_git.commit, commit);
        assert!(PinnedKit::resolve(empty.path(), "a/b\"", commit).is_err());
    }
}
