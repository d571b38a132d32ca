//! `grader export student DIR`: the repository an instructor pushes as the
//! students' template. It holds the lab as a student starts it (a workspace
//! of the lab alone, its lock file trimmed to match), the handout in its
//! template form, the kit manifest, a student README whose one command
//! installs the instructor's grader at a pinned commit or tag, and a
//! Feedback workflow that grades each push with that grader. No solution,
//! and no grader source: what a student's own workflow reports is feedback,
//! the instructor's regrade is the grade.

use std::path::Path;

use super::{fill, Bundle};
use crate::kit::Kit;

const WORKFLOW: &str = include_str!("student/grade.yml");

/// The files the template has under `.github/`, as templates: each
/// `@NAME@` is filled in by the export (see `integrity`, which takes any
/// such filling as given).
pub const GITHUB_TEMPLATES: &[(&str, &str)] = &[(".github/workflows/grade.yml", WORKFLOW)];
const README: &str = include_str!("student/README.md");
const GITIGNORE: &str = "target/\nlab-target/\n/data/\n*.sqlite3\n*.sqlite3-*\n";

/// Where the template's workflow gets the grader: a GitHub repository and a
/// git ref (a tag or commit; a branch would move under the students).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitSource {
    repository: String,
    reference: String,
}

impl KitSource {
    /// `OWNER/NAME` and a ref, as a workflow can use them: no spaces, no
    /// quotes, nothing a YAML file or an expression would read otherwise.
    pub fn parse(repository: &str, reference: &str) -> Result<KitSource, String> {
        let safe = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        let parts: Vec<&str> = repository.split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty() || !p.chars().all(safe)) {
            return Err(format!(
                "--kit-repo takes OWNER/NAME, such as my-course/sessions-kit, not `{repository}`"
            ));
        }
        let ref_ok = !reference.is_empty()
            && !reference.starts_with(['-', '/', '.'])
            && !reference.contains("..")
            && reference.chars().all(|c| safe(c) || c == '/');
        if !ref_ok {
            return Err(format!("--kit-ref takes a tag or commit, such as v1.0, not `{reference}`"));
        }
        Ok(KitSource { repository: repository.to_owned(), reference: reference.to_owned() })
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// How `cargo install` names this version of the kit: `--rev COMMIT`
    /// where the kit at `kit_root` knows the ref's commit, else `--tag REF`.
    fn install_pin(&self, kit_root: &Path) -> String {
        match crate::tracked::resolve(kit_root, &self.reference) {
            Some(commit) => format!("--rev {commit}"),
            None => format!("--tag {}", self.reference),
        }
    }
}

/// The template's files, read from the kit at `kit_root`.
pub fn bundle(kit_root: &Path, kit: &Kit, source: &KitSource) -> Result<Bundle, String> {
    let mut bundle = super::lab_workspace(kit_root, kit)?;
    let handout = std::fs::read_to_string(kit_root.join(&kit.lab.handout))
        .map_err(|e| format!("cannot read the handout {}: {e}", kit.lab.handout))?;
    bundle.add(kit.lab.handout.clone(), template_handout(&handout)?, false);
    let student_files: Vec<String> =
        kit.student.all().iter().map(|f| format!("- `{}` ({})", f.file, f.todos.join(", "))).collect();
    let install_pin = source.install_pin(kit_root);
    let values = [
        ("KIT_REPO", source.repository.as_str()),
        ("KIT_REF", source.reference.as_str()),
        ("KIT_INSTALL_PIN", install_pin.as_str()),
        ("KIT_COMMIT", env!("GRADER_KIT_COMMIT")),
        ("LAB_TITLE", kit.lab.title.as_str()),
        ("STUDENT_FILES", &student_files.join("\n")),
    ];
    bundle.add("README.md", fill(README, &values)?, false);
    for (path, template) in GITHUB_TEMPLATES {
        bundle.add(*path, fill(template, &values)?, false);
    }
    bundle.add(".gitignore", GITIGNORE, false);
    Ok(bundle)
}

/// The handout as the template's students read it: what only the kit has
/// (`<!-- kit-only -->` … `<!-- /kit-only -->`) left out, and what only the
/// template has (`<!-- template-only` … `-->`) shown.
pub fn template_handout(handout: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut lines = handout.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let closing = match line.trim() {
            "<!-- kit-only -->" => "<!-- /kit-only -->",
            "<!-- template-only" => "-->",
            "<!-- /kit-only -->" | "-->" => {
                return Err(format!("line {}: `{line}` closes nothing", number + 1))
            }
            _ => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        let shown = line.trim() == "<!-- template-only";
        loop {
            let Some((_, inner)) = lines.next() else {
                return Err(format!("line {}: `{}` is never closed by `{closing}`", number + 1, line.trim()));
            };
            if inner.trim() == closing {
                break;
            }
            if inner.trim().starts_with("<!-- kit-only") || inner.trim() == "<!-- template-only" {
                return Err(format!("line {}: a block opens inside another", number + 1));
            }
            if shown {
                out.push_str(inner);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::kit;

    fn source() -> KitSource {
        KitSource::parse("my-course/sessions-kit", "v1.0").unwrap()
    }

    #[test]
    fn the_template_has_the_lab_and_a_pinned_workflow_but_no_solution_or_grader() {
        let bundle = bundle(&crate::kit_root(), kit(), &source()).unwrap();
        let paths: Vec<&str> = bundle.paths().collect();
        for wanted in
            ["Cargo.toml", "Cargo.lock", "kit.toml", "LAB.md", "README.md", ".github/workflows/grade.yml"]
        {
            assert!(paths.contains(&wanted), "{wanted} missing");
        }
        assert!(!paths.iter().any(|p| p.starts_with("solution/") || p.starts_with("grader/")), "{paths:?}");
        let workflow =
            String::from_utf8_lossy(bundle.get(".github/workflows/grade.yml").unwrap()).into_owned();
        assert!(workflow.contains("repository: my-course/sessions-kit\n          ref: v1.0\n"), "{workflow}");
        assert!(workflow.contains("--path submission"), "{workflow}");
        let handout = String::from_utf8_lossy(bundle.get("LAB.md").unwrap()).into_owned();
        assert!(!handout.contains("cargo run -p grader\n") && !handout.contains("cargo test --workspace"));
        assert!(handout.contains("### 7. Grade your work"), "{handout}");
        let readme = String::from_utf8_lossy(bundle.get("README.md").unwrap()).into_owned();
        assert!(
            readme.contains("cargo install --locked --debug --git https://github.com/my-course/sessions-kit.git --tag v1.0 grader"),
            "{readme}"
        );
        assert!(
            !readme.contains("can change how it is graded") && readme.contains("not your grade"),
            "{readme}"
        );
        assert!(!workflow.contains("autograding-grading-reporter"), "{workflow}");
        assert!(!handout.contains("kit-only") && !handout.contains("template-only"));
    }

    #[test]
    fn unbalanced_markers_are_errors() {
        assert!(template_handout("a\n<!-- kit-only -->\nb\n").unwrap_err().contains("never closed"));
        assert!(template_handout("a\n-->\n").unwrap_err().contains("closes nothing"));
        assert_eq!(template_handout("a\n<!-- kit-only -->\nb\n<!-- /kit-only -->\nc\n").unwrap(), "a\nc\n");
        assert_eq!(template_handout("<!-- template-only\nb\n-->\n").unwrap(), "b\n");
    }

    #[test]
    fn kit_sources_that_a_workflow_would_misread_are_refused() {
        for (repository, reference) in [
            ("noslash", "v1"),
            ("a/b/c", "v1"),
            ("a/b", "v1 ${{ secrets.X }}"),
            ("a/b\"", "v1"),
            ("a/b", "-rf"),
            ("a/b", ""),
            ("a/b", "x..y"),
        ] {
            assert!(KitSource::parse(repository, reference).is_err(), "{repository} {reference}");
        }
        assert!(KitSource::parse("a-b/c.d", "refs/tags/v1.2").is_ok());
        assert!(KitSource::parse("a/b", "0123456789abcdef0123456789abcdef01234567").is_ok());
    }
}
