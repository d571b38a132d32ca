//! `grader export gradescope FILE.zip`: an autograder for Gradescope.
//!
//! The zip holds `setup.sh` and `run_autograder` (Gradescope's two entry
//! points, in `gradescope/`) and, in `kit/`, the instructor's kit trimmed to
//! the lab and the grader: the grader's source (built by `setup.sh` on the
//! image, so it runs on whatever Linux the image has), the given files, the
//! starter's student files and a `Cargo.lock` for those two packages. The
//! solution and the grader's tests stay out.

use std::path::Path;

use super::fill;
use crate::kit::Kit;
use crate::workspace_files::{add_the_lab, add_the_workspace, Bundle};

const SETUP: &str = include_str!("gradescope/setup.sh");
const RUN_AUTOGRADER: &str = include_str!("gradescope/run_autograder");

/// The autograder's files, read from the kit at `kit_root`.
pub fn bundle(kit_root: &Path, kit: &Kit) -> Result<Bundle, String> {
    let grader_source =
        ["grader/Cargo.toml".to_owned(), "grader/build.rs".to_owned(), "grader/src".to_owned()];
    let grader_files = crate::workspace_files::kit_files::files(kit_root, &grader_source);
    if !grader_files.iter().any(|f| f == "grader/src/main.rs") {
        return Err(format!(
            "{} has no grader/src/main.rs: export from the instructor's kit",
            kit_root.display()
        ));
    }
    let mut bundle = Bundle::default();
    add_the_lab(&mut bundle, kit_root, kit, "kit/")?;
    for file in grader_files {
        bundle.copy(kit_root, &file, "kit/")?;
    }
    add_the_workspace(&mut bundle, kit_root, &[kit.lab.package.as_str(), "grader"], "kit/")?;
    let student_files: Vec<String> = kit.student.all().iter().map(|f| shell_word(&f.file)).collect();
    let values = [
        ("KIT_COMMIT", env!("GRADER_KIT_COMMIT")),
        ("RUST_TOOLCHAIN", env!("GRADER_RUSTC_VERSION")),
        ("STUDENT_FILES", &student_files.join(" ")),
    ];
    bundle.add("setup.sh", fill(SETUP, &values)?, true);
    bundle.add("run_autograder", fill(RUN_AUTOGRADER, &values)?, true);
    Ok(bundle)
}

/// `path` as one word of a bash command line.
fn shell_word(path: &str) -> String {
    format!("'{}'", path.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::kit;

    #[test]
    fn the_zip_holds_the_lab_and_the_grader_but_not_the_solution_or_the_tests() {
        let bundle = bundle(&crate::kit_root(), kit()).unwrap();
        let paths: Vec<&str> = bundle.paths().collect();
        for wanted in
            ["setup.sh", "run_autograder", "kit/kit.toml", "kit/Cargo.lock", "kit/grader/src/main.rs"]
        {
            assert!(paths.contains(&wanted), "{wanted} missing from {paths:?}");
        }
        for student in kit().student.all() {
            assert!(paths.contains(&format!("kit/{}", student.file).as_str()), "{}", student.file);
        }
        assert!(!paths.iter().any(|p| p.starts_with("kit/solution/") || p.starts_with("kit/grader/tests/")));
        let run = String::from_utf8_lossy(bundle.get("run_autograder").unwrap()).into_owned();
        assert!(run.contains("STUDENT_FILES=('lab/src/controllers.rs' 'static/js/session.js')"), "{run}");
        let setup = String::from_utf8_lossy(bundle.get("setup.sh").unwrap()).into_owned();
        assert!(setup.contains(&format!("RUST_TOOLCHAIN=\"{}\"", env!("GRADER_RUSTC_VERSION"))), "{setup}");
        let manifest = String::from_utf8_lossy(bundle.get("kit/Cargo.toml").unwrap()).into_owned();
        assert!(manifest.contains("members = [\"lab\", \"grader\"]"), "{manifest}");
    }

    #[test]
    fn a_folder_without_a_grader_is_refused() {
        let empty = tempfile::tempdir().unwrap();
        std::fs::write(empty.path().join("Cargo.toml"), "[workspace]\nmembers = [\"lab\"]\n").unwrap();
        assert!(bundle(empty.path(), kit()).unwrap_err().contains("has no grader/src/main.rs"));
    }

    #[test]
    fn shell_words_survive_quotes() {
        assert_eq!(shell_word("it's/a.rs"), r"'it'\''s/a.rs'");
    }
}
