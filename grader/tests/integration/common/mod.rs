//! Grading real submissions in tests: a copy of the kit's lab workspace with
//! a submission's files laid over it, built in the kit's own target folder so
//! that every copy shares the compiled dependencies.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::checks::{Check, Stage};
use grader::kit::kit as manifest;
use grader::render::Style;
use grader::settings::BrowserChoice;
use grader::{Report, Settings, Status, Target};

/// A change to one file of the lab: `from` (which must be there) becomes `to`.
pub struct Edit {
    pub file: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

/// A submission: the lab, possibly with the solution's two files, then edits.
pub struct Submission {
    pub name: &'static str,
    /// Start from the solution's `controllers.rs` and `session.js` (a correct lab).
    pub solved: bool,
    pub edits: Vec<Edit>,
}

pub fn kit() -> PathBuf {
    grader::kit_root()
}

/// `cargo`, as a person runs it from a shell: without the variables cargo
/// sets for this test process (its package's, and what the grader's build
/// script hands it). A nested cargo takes them for a change of environment:
/// ring's build script is rerun for `CARGO_MANIFEST_DIR`, the grader's for
/// `GRADER_KIT_COMMIT`, everything above them is rebuilt, and the next
/// `cargo test` rebuilds it all back.
pub fn cargo() -> std::process::Command {
    let mut cargo = std::process::Command::new(env!("CARGO"));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_for_the_tests) {
            cargo.env_remove(name);
        }
    }
    cargo
}

/// The grader's lock on the shared target folder (`target/.grader.lock`),
/// held while the value lives. A grade holds it from forgetting another
/// workspace's build of the lab to copying its own binary; a test that runs
/// a plain cargo build of the kit's lab there takes it, so that its build
/// never lands inside a grade's (the grade would find the kit's lab built,
/// and say so rather than grade it, three times over).
pub fn graders_turn() -> std::fs::File {
    use std::os::fd::AsRawFd;
    let path = shared_target().join(".grader.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    // SAFETY: flock(2) on a descriptor this function owns.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "cannot lock {}", path.display());
    file
}

/// Starts `command`, which runs in a group or session of its own, as this
/// test's own child: the grades of this same process (the fixture table
/// runs beside the other tests) sweep for orphans, and would take it for
/// one and end it. Keep the claim while the child runs.
pub fn spawn_claimed(
    command: &mut std::process::Command,
) -> std::io::Result<(std::process::Child, grader::process::Claim)> {
    grader::process::start_claimed(|| {
        let child = command.spawn()?;
        let pid = child.id();
        Ok((child, pid))
    })
}

/// The variables the grader's build script gives its crates and tests (`cargo:rustc-env`).
pub const FROM_THE_BUILD_SCRIPT: &[&str] =
    &["GRADER_KIT_COMMIT", "GRADER_TARGET", "GRADER_RUSTC_VERSION", "GRADER_RUSTUP_TOOLCHAIN"];

/// Whether cargo set `name` for this test process (and a shell would not have it).
pub fn set_for_the_tests(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    NAMES.contains(&name)
        || FROM_THE_BUILD_SCRIPT.contains(&name)
        || ["CARGO_PKG_", "CARGO_BIN_EXE_"].iter().any(|prefix| name.starts_with(prefix))
}

/// The target folder every grade in the tests builds in.
pub fn shared_target() -> PathBuf {
    kit().join("target")
}

/// Lays the submission out in `target/grader-fixtures/NAME` and returns its folder.
/// Files whose content did not change keep their time stamps, so cargo
/// rebuilds only what a submission changed.
pub fn lay_out(submission: &Submission) -> PathBuf {
    let root = shared_target().join("grader-fixtures").join(submission.name);
    for (file, text) in layout(submission) {
        write_if_changed(&root.join(file), &text);
    }
    root
}

/// The files of a submission's workspace, each with its contents: the given
/// files of the lab workspace (less the other crates), the student files
/// of the lab or of the solution, then the submission's edits.
fn layout(submission: &Submission) -> BTreeMap<String, String> {
    let kit = kit();
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    let mut files: BTreeMap<String, String> =
        manifest().given_files(&kit).into_iter().map(|file| (file.clone(), read(&kit.join(&file)))).collect();
    let workspace = read(&kit.join("Cargo.toml"));
    let members_start = workspace.find("members = [").expect("the kit's Cargo.toml lists members");
    let members_end = members_start + workspace[members_start..].find(']').unwrap() + 1;
    let lab_only = format!("{}members = [\"lab\"]{}", &workspace[..members_start], &workspace[members_end..]);
    files.insert("Cargo.toml".into(), lab_only);
    // The kit's lock trimmed to the lab, as every export has it: the grader builds `--locked`.
    files.insert("Cargo.lock".into(), lab_lock().to_owned());
    for student in manifest().student.all() {
        let from = if submission.solved { &student.answer } else { &student.file };
        files.insert(student.file.clone(), read(&kit.join(from)));
    }
    for edit in &submission.edits {
        let text = files.entry(edit.file.to_owned()).or_insert_with(|| read(&kit.join(edit.file)));
        assert!(text.contains(edit.from), "{}: `{}` is not in {}", submission.name, edit.from, edit.file);
        *text = text.replacen(edit.from, edit.to, 1);
    }
    files
}

/// What is under `root`, path by path, never through a link: a file's mode
/// and contents (hashed), a link's target, a folder's mode.
pub fn snapshot(root: &Path) -> BTreeMap<String, String> {
    snapshot_but(root, &[])
}

/// [`snapshot`], less the folders of `root` named in `skipped`.
pub fn snapshot_but(root: &Path, skipped: &[&str]) -> BTreeMap<String, String> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::PermissionsExt;
    let mut found = BTreeMap::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if folder == root && skipped.iter().any(|name| entry.file_name() == **name) {
                continue;
            }
            let Ok(meta) = path.symlink_metadata() else { continue };
            let mode = meta.permissions().mode();
            let seen = if meta.file_type().is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap_or_default().display())
            } else if meta.is_dir() {
                folders.push(path.clone());
                format!("folder {mode:o}")
            } else {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&path).unwrap_or_default().hash(&mut hasher);
                format!("file {mode:o} {} bytes {:x}", meta.len(), hasher.finish())
            };
            found.insert(path.strip_prefix(root).unwrap().display().to_string(), seen);
        }
    }
    found
}

/// The paths `after` created, changed or removed, against `before`.
pub fn changes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|path| match (before.get(path), after.get(path)) {
            (Some(was), Some(is)) if was == is => None,
            (Some(_), Some(_)) => Some(format!("{path} (changed)")),
            (None, _) => Some(format!("{path} (created)")),
            (_, None) => Some(format!("{path} (removed)")),
        })
        .collect()
}

/// The `Cargo.lock` of the lab as a workspace of its own (cargo trims the kit's), made once.
fn lab_lock() -> &'static str {
    static LOCK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| {
        let workspace =
            grader::export::lab_workspace(&kit(), grader::kit::kit()).expect("the lab as a workspace");
        String::from_utf8_lossy(workspace.get("Cargo.lock").expect("with its lock")).into_owned()
    })
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// The folder of the submission fixtures: `grader/tests/submissions/NAME/`.
pub fn fixtures_dir() -> PathBuf {
    kit().join("grader/tests/submissions")
}

/// Lays the files of the fixture folder `fixture` over one shared copy of the
/// lab workspace (`target/grader-fixtures/overlay`), on top of the lab or the
/// solved lab (`start`), and returns the copy's folder. Every fixture uses the
/// same folder, so cargo rebuilds only what a fixture changed, incrementally;
/// files an earlier overlay laid and this one does not are removed, changed
/// ones put back.
/// `links` are made last (path, target): a submission's symbolic links.
pub fn overlay(fixture: &Path, start: &str, links: &BTreeMap<String, String>) -> PathBuf {
    let root = overlay_root();
    // The whole file set first, then each file written only if its contents
    // change: a file put back and then overlaid again would get a new time,
    // and cargo would rebuild the lab for a grade that changes nothing.
    let mut files = layout(&Submission { name: "overlay", solved: start == "solution", edits: Vec::new() });
    for file in files_under(fixture, Path::new("")).into_iter().filter(|f| f != "expected.toml") {
        let text = std::fs::read_to_string(fixture.join(&file)).unwrap();
        files.insert(file, text);
    }
    let added_list = root.join(".fixture-files");
    if let Ok(added) = std::fs::read_to_string(&added_list) {
        for file in added.lines().filter(|f| !f.is_empty() && !files.contains_key(*f)) {
            let _ = std::fs::remove_file(root.join(file));
        }
    }
    for (file, text) in &files {
        // An earlier fixture's link is replaced, never written through.
        let path = root.join(file);
        if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::remove_file(&path).unwrap();
        }
        write_if_changed(&path, text);
    }
    for (file, target) in links {
        let path = root.join(file);
        let _ = std::fs::remove_file(&path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &path).unwrap();
    }
    // A fixture's executable files stay executable (a script cargo's configuration names, say).
    for file in files_under(fixture, Path::new("")) {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(fixture.join(&file)).unwrap().permissions().mode();
        if mode & 0o111 != 0 && file != "expected.toml" {
            std::fs::set_permissions(root.join(&file), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    // Every file laid, so that the next overlay removes what it does not lay
    // (a fixture's file, or one the kit itself no longer has).
    let laid: Vec<&str> = files.keys().chain(links.keys()).map(String::as_str).collect();
    std::fs::write(added_list, laid.join("\n")).unwrap();
    root
}

/// The files under `dir`, relative to it, `/`-separated.
pub fn files_under(root: &Path, relative: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join(relative)).unwrap().flatten() {
        let path = relative.join(entry.file_name());
        if entry.path().is_dir() {
            found.extend(files_under(root, &path));
        } else {
            found.push(
                path.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    found
}

/// Settings for grading `path`'s `package` in tests: the shared target
/// folder, and short limits where a fixture waits for something that never comes.
pub fn settings(path: PathBuf, package: &str) -> Settings {
    let mut settings = Settings::new(Target::Workspace {
        path,
        package: package.to_owned(),
        target_dir: Some(shared_target()),
    });
    settings.build_timeout = Duration::from_secs(1800); // builds queue for the shared folder
    settings.boot_timeout = Duration::from_secs(20);
    settings.request_timeout = Duration::from_secs(10);
    settings.stop_grace = Duration::from_secs(2);
    settings.browser = browser_choice();
    settings
}

/// The browser stage runs when a browser is installed. Without one the
/// browser checks are off, unless `GRADER_REQUIRE_BROWSER` is set (as CI
/// does), which makes a missing browser a test failure rather than a skip.
pub fn browser_choice() -> BrowserChoice {
    match grader::browser::find(None) {
        Ok(_) => BrowserChoice::Find(None),
        Err(why) if std::env::var_os("GRADER_REQUIRE_BROWSER").is_some() => {
            panic!("GRADER_REQUIRE_BROWSER is set, but {why}")
        }
        Err(why) => {
            eprintln!("warning: {why}: the browser checks are off in these tests");
            BrowserChoice::Off
        }
    }
}

/// Whether `--sandbox on` works here. Without bubblewrap the sandboxed runs
/// are left out, unless `GRADER_REQUIRE_SANDBOX` is set (as CI does), which
/// makes a missing sandbox a test failure.
pub fn sandbox_on() -> bool {
    match grader::sandbox::Containment::resolve(grader::sandbox::SandboxMode::On) {
        Ok(_) => true,
        Err(why) if std::env::var_os("GRADER_REQUIRE_SANDBOX").is_some() => {
            panic!("GRADER_REQUIRE_SANDBOX is set, but {why}")
        }
        Err(why) => {
            eprintln!("warning: {why}: the fixtures' sandboxed runs are left out");
            false
        }
    }
}

pub fn browser_on() -> bool {
    matches!(browser_choice(), BrowserChoice::Find(_))
}

/// The ids of `checks` a default grade runs: less the browser checks when
/// no browser runs, and less the gate of `--given-files fail`.
pub fn expected(checks: &[&Check]) -> Vec<&'static str> {
    let gate = grader::checks::setup::GIVEN_FILES_UNTOUCHED.id;
    checks
        .iter()
        .filter(|c| (browser_on() || c.stage != Stage::Browser) && c.id != gate)
        .map(|c| c.id)
        .collect()
}

pub async fn grade(settings: Settings) -> Report {
    grader::grade(settings, &[], &HashMap::new()).await.expect("the grade runs")
}

/// The ids of the checks that ended with `status`.
pub fn ids(report: &Report, status: Status) -> Vec<&str> {
    report.checks.iter().filter(|c| c.status == status).map(|c| c.id.as_str()).collect()
}

/// The message and hint of a check, for asserting on what a student reads.
pub fn said(report: &Report, check: &Check) -> String {
    let check = report.check(check.id).unwrap_or_else(|| panic!("no check {}", check.id));
    format!("{}\n{}", check.message, check.hint.as_deref().unwrap_or(""))
}

/// A running process, as /proc tells it.
struct Process {
    pid: u32,
    /// Its working folder; `None` where /proc does not say (another user's process).
    cwd: Option<PathBuf>,
    /// Its executable, a deleted one's path less " (deleted)"; `None` where /proc does not say.
    exe: Option<PathBuf>,
    /// Its command line, words joined by spaces.
    command: String,
}

/// The running processes, zombies left out (Linux; empty elsewhere): one
/// walk of /proc, which each question below filters its own way.
fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            if stat.rsplit_once(')')?.1.trim_start().starts_with(['Z', 'X']) {
                return None;
            }
            let command = std::fs::read(e.path().join("cmdline")).ok()?;
            let command = String::from_utf8_lossy(&command).replace('\0', " ").trim().to_owned();
            let cwd = std::fs::read_link(e.path().join("cwd")).ok();
            // A binary deleted while it runs shows as "<path> (deleted)".
            let exe = std::fs::read_link(e.path().join("exe"))
                .ok()
                .map(|exe| PathBuf::from(exe.to_string_lossy().trim_end_matches(" (deleted)")));
            Some(Process { pid, cwd, exe, command })
        })
        .collect()
}

/// The PIDs of running processes (not zombies) whose command line is `line`,
/// words joined by spaces (Linux; empty elsewhere).
pub fn processes_with_command_line(line: &str) -> Vec<u32> {
    processes().into_iter().filter(|p| p.command == line).map(|p| p.pid).collect()
}

/// The PIDs of running processes whose executable is `binary` (Linux; empty elsewhere).
pub fn processes_running(binary: &Path) -> Vec<u32> {
    processes().into_iter().filter(|p| p.exe.as_deref() == Some(binary)).map(|p| p.pid).collect()
}

/// The PIDs and command lines of running processes whose working folder is
/// in `dir` (Linux; empty elsewhere): what a grade of the copy in `dir` left.
pub fn processes_in(dir: &Path) -> Vec<(u32, String)> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    processes()
        .into_iter()
        .filter(|p| p.cwd.as_ref().is_some_and(|cwd| cwd.starts_with(&dir)))
        .map(|p| (p.pid, p.command))
        .collect()
}

/// The peak resident memory of process `pid` so far (its high-water mark), in KiB.
pub fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The folder every fixture is laid out in (see [`overlay`]).
pub fn overlay_root() -> PathBuf {
    shared_target().join("grader-fixtures").join("overlay")
}

/// Whether the kit's lab still has its placeholders as given (the kit itself, not a student's fork).
pub fn lab_is_untouched() -> bool {
    manifest().student.all().iter().all(|student| {
        std::fs::read_to_string(kit().join(&student.file))
            .is_ok_and(|text| text.contains(&student.placeholder))
    })
}

/// The report as a person reads it, without colour: for assertion messages.
pub fn human(report: &Report) -> String {
    grader::render::human(report, false, Style::PLAIN)
}

/// What changes from run to run, replaced so that reports can be compared.
fn redactions() -> Vec<(String, &'static str)> {
    vec![
        (regex_escape(&kit().display().to_string()), "[KIT]"),
        (r"/tmp/lab-grader-[A-Za-z0-9]+".into(), "[SCRATCH]"),
        (r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".into(), "[TOKEN]"),
        (r"\b(ada|grace|alan|barbara|edsger|margaret|linus|katherine)-[0-9a-f]{6}\d+".into(), "[USER]"),
        (r"\b(run |grader-|bold )[0-9a-f]{6}\b".into(), "$1[RUN]"),
        (r#""duration_ms": \d+"#.into(), r#""duration_ms": "[MS]""#),
        (r#"(created_at\\?"):\d+"#.into(), "$1:[TIME]"),
        // How the grade ran: this build, this run, this machine's sandbox.
        (
            r"\(kit ([0-9a-f]{12}|unknown)\) · run [0-9a-f]{32} · sandbox: .*".into(),
            "(kit [COMMIT]) · run [RUN] · sandbox: [SANDBOX]",
        ),
        (r"note: graded without a sandbox: .*\n".into(), ""),
    ]
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| if "\\.+*?()|[]{}^$".contains(c) { format!("\\{c}") } else { c.to_string() })
        .collect()
}

/// Compares the human and JSON reports with the saved snapshots `name`.
/// Only with the browser on: without it the report has other lines.
pub fn assert_report_snapshots(name: &str, report: &Report) {
    if !browser_on() {
        eprintln!("note: no browser, so the snapshots of `{name}` are not compared");
        return;
    }
    let filters = redactions();
    let filters: Vec<(&str, &str)> = filters.iter().map(|(from, to)| (from.as_str(), *to)).collect();
    insta::with_settings!({
        filters => filters,
        prepend_module_to_snapshot => false,
        snapshot_path => "../../snapshots",
    }, {
        insta::assert_snapshot!(format!("{name}.human"), human(report));
        insta::assert_json_snapshot!(format!("{name}.json"), report, {
            ".checks[].log" => "[log]",
            ".checks[].artifacts" => "[artifacts]",
            ".run.id" => "[run]",
            ".run.kit_commit" => "[commit]",
            ".run.sandbox" => "[sandbox]",
            ".run.notes" => "[notes]",
            ".run.commit" => "[commit]",
            ".run.student_files[].sha256" => "[sha256]",
        });
    });
}

/// The grader's binary with `args`, without colour, run to its end.
pub fn run_grader(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the grader runs")
}

/// Output bytes as text, for assertions and their messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The identity Classroom 50's runner gives a grade in the tests, and the
/// same as the runner's environment variables.
pub fn classroom50_runner() -> (grader::render::classroom50::Identity, Vec<(&'static str, String)>) {
    let who = grader::render::classroom50::Identity {
        classroom: "cs101".into(),
        assignment: "sessions".into(),
        submission: "submit/20261130T120000Z-abc1234".into(),
        commit: "https://example.invalid/commit".into(),
        release: "https://example.invalid/release".into(),
        review: "https://example.invalid/review".into(),
    };
    let env = vec![
        ("CLASSROOM", who.classroom.clone()),
        ("ASSIGNMENT", who.assignment.clone()),
        ("SUBMISSION_TAG", who.submission.clone()),
        ("COMMIT_URL", who.commit.clone()),
        ("RELEASE_URL", who.release.clone()),
        ("REVIEW_URL", who.review.clone()),
    ];
    (who, env)
}

/// `nobody`: the user a test that runs as root grades as where a fixture
/// asks for a grader that is not root (`user = "unprivileged"`).
pub const NOBODY: u32 = 65534;

pub fn running_as_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Tests that open the folders above the toolchain to another user, as
/// root, and close them again when done (a grade lent to [`NOBODY`], the
/// Gradescope scripts) take turns: one closing them must not pull them from
/// under another's grade.
static TOOLCHAIN_MODES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn with the toolchain folders' modes, until dropped.
pub fn toolchain_modes_turn() -> std::sync::MutexGuard<'static, ()> {
    TOOLCHAIN_MODES.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a grade run as [`NOBODY`] by a root test needs, as an instructor's
/// own account has it: a copy of the workspace and a target folder of its
/// own (cargo writes both), a home, and the folders above the toolchain
/// passable while the value lives (their modes are put back when dropped).
pub struct Unprivileged {
    /// The toolchain folders are this grade's to open and close until dropped.
    _turn: std::sync::MutexGuard<'static, ()>,
    pub workspace: PathBuf,
    pub target: PathBuf,
    pub home: PathBuf,
    pub artifacts: PathBuf,
    pub toolchain: Vec<(&'static str, PathBuf)>,
    modes: Vec<(PathBuf, u32)>,
}

impl Unprivileged {
    pub fn lend(workspace: &Path, name: &str) -> Unprivileged {
        use std::os::unix::fs::PermissionsExt;
        let turn = toolchain_modes_turn();
        let root = shared_target().join("grader-unprivileged");
        let copy = root.join("workspace");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(&root).unwrap();
        let copied = std::process::Command::new("cp").arg("-a").arg(workspace).arg(&copy).status().unwrap();
        assert!(copied.success(), "cannot copy {} for nobody", workspace.display());
        let chowned = std::process::Command::new("chown")
            .arg("-R")
            .arg(format!("{NOBODY}:{NOBODY}"))
            .arg(&copy)
            .status();
        assert!(chowned.unwrap().success(), "cannot lend {} to nobody", copy.display());
        let (target, home, artifacts) =
            (root.join("target"), root.join("home"), root.join("artifacts").join(name));
        for folder in [&root, &target, &home, &artifacts, &artifacts.parent().unwrap().to_path_buf()] {
            std::fs::create_dir_all(folder).unwrap();
            std::os::unix::fs::chown(folder, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let user_home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let toolchain: Vec<(&'static str, PathBuf)> = [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")]
            .into_iter()
            .filter_map(|(name, default)| {
                let path =
                    std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| user_home.join(default));
                path.is_dir().then_some((name, path))
            })
            .collect();
        // The toolchain's homes readable, every folder above them and the kit passable.
        let mut modes = Vec::new();
        let mut open = |folder: &Path, bits: u32| {
            if let Ok(metadata) = std::fs::metadata(folder) {
                let mode = metadata.permissions().mode() & 0o7777;
                if mode & bits != bits {
                    modes.push((folder.to_path_buf(), mode));
                    let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(mode | bits));
                }
            }
        };
        for (_, home) in &toolchain {
            open(home, 0o005);
            home.ancestors().skip(1).for_each(|folder| open(folder, 0o001));
        }
        root.ancestors().skip(1).for_each(|folder| open(folder, 0o001));
        Unprivileged { _turn: turn, workspace: copy, target, home, artifacts, toolchain, modes }
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        for (folder, mode) in self.modes.iter().rev() {
            let _ = std::fs::set_permissions(folder, std::fs::Permissions::from_mode(*mode));
        }
    }
}
