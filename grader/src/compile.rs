//! Stage 1: build the submission with cargo, and find the server binary.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;

use crate::process;
use crate::sandbox::{Containment, Jail};

/// How many compiler errors a report shows; the rest are counted.
const ERRORS_SHOWN: usize = 3;

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The Cargo workspace (the student's clone).
    pub workspace: PathBuf,
    /// The package whose binary is the server (`lab`, or `solution`).
    pub package: String,
    /// Where cargo puts its output; `None` for the workspace's own `target/`.
    pub target_dir: Option<PathBuf>,
    pub timeout: Duration,
    /// How cargo, and the build scripts and compilers it runs, are contained.
    pub containment: Containment,
    /// A private, writable home folder for cargo.
    pub home: PathBuf,
    /// Told of each crate compiled (the progress display).
    pub progress: Option<crate::progress::Observer>,
    /// The workspace is the grader's own copy of the lab, whose package has
    /// a version no other workspace uses (`grader batch`): no other build
    /// can pass for its own, so there is nothing to forget.
    pub own_copy: bool,
}

/// Why there is no binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFailure {
    /// The student's code does not compile: the first errors, rendered by rustc.
    Compile { errors: Vec<String>, total: usize },
    /// Cargo could not build for a reason that is not a compiler error
    /// (missing crates offline, a bad `--package`...): the grader cannot grade.
    Cargo(String),
    /// The student's project cannot be built for a reason that is not a
    /// compiler error (a broken `Cargo.toml`, a build script that fails):
    /// cargo's own first lines.
    Project(String),
    /// The build took longer than the limit.
    Timeout(Duration),
}

/// Builds the package's binaries and returns a private copy of the server
/// binary (the one named like the package, or its only binary) in `into`.
///
/// Cargo writes every workspace's `lab` binary to the same `target/debug/lab`,
/// so two grades sharing a target folder would run each other's servers. The
/// build and the copy therefore happen under a lock on the target folder.
pub async fn build(
    request: &BuildRequest,
    into: &Path,
    log: &mut Vec<String>,
) -> Result<Built, BuildFailure> {
    let target_dir = request
        .target_dir
        .clone()
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| request.workspace.join("target"));
    // Cargo runs in the workspace: a relative folder must mean the same to both.
    let target_dir = std::path::absolute(&target_dir).unwrap_or(target_dir);
    let workspace = request.workspace.canonicalize().unwrap_or_else(|_| request.workspace.clone());
    let request = &BuildRequest {
        target_dir: Some(target_dir.clone()),
        workspace: workspace.clone(),
        ..request.clone()
    };
    let _lock = TargetLock::acquire(&target_dir, request.timeout, log).await.map_err(BuildFailure::Cargo)?;
    // The package and the workspace's own packages it uses (`solution` uses `lab`):
    // each must be built from this workspace's sources, not another's.
    let packages = local_packages(request).await;
    let marker = |package: &str| target_dir.join(".grader").join(format!("{package}.workspace"));
    let mut attempts = 0;
    let (Built { executable: built, unused_functions, up_to_date }, _cargos) = loop {
        attempts += 1;
        let mut forgotten = Vec::new();
        for package in packages.iter().filter(|_| !request.own_copy) {
            if attempts > 1 || !last_built_here(&marker(package), &workspace, &target_dir, package) {
                let count = forget_builds(&target_dir, package, request.timeout)
                    .await
                    .map_err(BuildFailure::Cargo)?;
                log.push(format!("another workspace built `{package}` here last: forgot {count} builds"));
                forgotten.push(package.clone());
            }
        }
        let built = build_locked(request, log).await?;
        let finished = std::time::SystemTime::now();
        // Another cargo (a `cargo run` of yours in this target folder) may build the same package from
        // its own workspace while this build is not running: its binary, at the same place, is not this
        // workspace's. Between the forgetting and this build, it makes cargo report the package `fresh`
        // here; between this build's end and the copy, it changes the fingerprints. Cargo's lock, held
        // from here to the copy, keeps it out after that.
        let cargos = cargos_locks(&target_dir, request.timeout).await.map_err(BuildFailure::Cargo)?;
        let shared = if request.own_copy { &[][..] } else { &packages[..] };
        // Forgotten, a package cargo then found built was built by another cargo in between.
        let found_built =
            forgotten.iter().find(|package| built.up_to_date.iter().any(|id| belongs_to(id, package)));
        match found_built.or(rebuilt_since(&target_dir, shared, finished)) {
            None => break (built, cargos),
            Some(package) if attempts < 3 => {
                let found = built.up_to_date.join(", ");
                log.push(format!("another cargo built `{package}` here beside this build (found built: {found}): building again"));
            }
            Some(package) => {
                return Err(BuildFailure::Cargo(format!(
                    "another cargo built `{package}` in {} each time this grade built it: grade again once it is \
                     done, or give the grade a target folder of its own (--target-dir)",
                    target_dir.display()
                )));
            }
        }
    };
    let _ = state_folder(&target_dir.join(".grader"));
    // An own copy's builds are its version's alone: the marker stays with the version others build.
    for package in packages.iter().filter(|_| !request.own_copy) {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        if let Ok(mut file) = open_state(&marker(package), &mut options) {
            let _ = std::io::Write::write_all(&mut file, workspace.to_string_lossy().as_bytes());
        }
    }
    // A copy, never a hard link: a later build in this target folder must not rewrite what is graded.
    // And only a regular file: a link the build planted is not cargo's binary.
    if !std::fs::symlink_metadata(&built).is_ok_and(|meta| meta.file_type().is_file()) {
        return Err(BuildFailure::Cargo(format!("{} is not a regular file cargo built", built.display())));
    }
    let private = into.join(built.file_name().unwrap_or_default());
    std::fs::copy(&built, &private)
        .map_err(|e| BuildFailure::Cargo(format!("cannot copy {}: {e}", built.display())))?;
    log.push(format!("copied {} to {}", built.display(), private.display()));
    Ok(Built { executable: private, unused_functions, up_to_date })
}

/// `package` and the packages of the same workspace it depends on by path,
/// from `cargo metadata` (just `package` if that cannot be read: the build
/// will then say why). Cargo reads the clone's manifests and configuration,
/// and asks rustc about the target, so it runs contained as the build does:
/// the sandbox or the student's user, the pinned toolchain, no network, and
/// the build's time limit.
async fn local_packages(request: &BuildRequest) -> Vec<String> {
    let package = &request.package;
    let jail = Jail {
        readable: vec![request.workspace.clone()],
        home: request.home.clone(),
        cwd: request.workspace.clone(),
        toolchain: true,
        ..Jail::default()
    };
    let args: [&std::ffi::OsStr; 5] =
        ["metadata", "--no-deps", "--offline", "--format-version", "1"].map(AsRef::as_ref);
    let metadata = async {
        let _handed = request.containment.hand_over(&jail, true).ok()?;
        let mut command = request.containment.command(&crate::sandbox::cargo_program(), &args, &jail);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
        let child = process::spawn(&mut command).ok()?;
        let _guard = process::Group::of(&child).map(process::Group::guard);
        let output = tokio::time::timeout(request.timeout, child.wait_with_output()).await.ok()?.ok()?;
        output.status.success().then_some(output.stdout)
    };
    let metadata: Option<serde_json::Value> =
        metadata.await.and_then(|stdout| serde_json::from_slice(&stdout).ok());
    let members: Vec<&serde_json::Value> = metadata
        .as_ref()
        .and_then(|m| m["packages"].as_array())
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    let mut found = vec![package.to_owned()];
    let mut next = 0;
    while let Some(name) = found.get(next).cloned() {
        next += 1;
        let Some(member) = members.iter().find(|m| m["name"] == name.as_str()) else { continue };
        for dependency in member["dependencies"].as_array().into_iter().flatten() {
            let is_path = dependency.get("path").is_some_and(|p| p.is_string());
            if let (true, Some(dep)) = (is_path, dependency["name"].as_str()) {
                if !found.iter().any(|f| f == dep) {
                    found.push(dep.to_owned());
                }
            }
        }
    }
    found
}

/// Whether the last build of `package` in this target folder was the grader's
/// build of this workspace: the marker names it, and no fingerprint of the
/// package changed after the marker was written.
fn last_built_here(marker: &Path, workspace: &Path, target_dir: &Path, package: &str) -> bool {
    let Some(named) = crate::build_files::read_regular(marker) else {
        return false;
    };
    let Ok(marked_at) = std::fs::symlink_metadata(marker).and_then(|m| m.modified()) else {
        return false;
    };
    named == workspace.to_string_lossy().as_bytes()
        && fingerprints(target_dir, package)
            .iter()
            .all(|dir| newest_change(dir).is_none_or(|t| t <= marked_at))
}

/// The first of `packages` a cargo built in `target_dir` after `when`.
fn rebuilt_since<'a>(
    target_dir: &Path,
    packages: &'a [String],
    when: std::time::SystemTime,
) -> Option<&'a String> {
    let changed_after = |dir: &PathBuf| newest_change(dir).is_some_and(|t| t > when);
    packages.iter().find(|package| fingerprints(target_dir, package).iter().any(changed_after))
}

/// When anything in `dir` last changed.
fn newest_change(dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::read_dir(dir).ok()?.flatten().filter_map(|entry| entry.metadata().ok()?.modified().ok()).max()
}

/// The fingerprint folders cargo keeps for `package` (`lab-<16 hex digits>`).
fn fingerprints(target_dir: &Path, package: &str) -> Vec<PathBuf> {
    let prefixes = [format!("{}-", package.replace('-', "_")), format!("{package}-")];
    let mut found = Vec::new();
    for profile in ["debug", "release"] {
        let Ok(entries) = std::fs::read_dir(target_dir.join(profile).join(".fingerprint")) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let hash = prefixes.iter().find_map(|p| name.strip_prefix(p.as_str()));
            if hash.is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
                found.push(entry.path());
            }
        }
    }
    found
}

/// Makes cargo rebuild `package` from this workspace's sources.
///
/// Cargo names a path package's build by its path *inside* the workspace, so
/// every student's `lab` shares one build in a shared target folder, and cargo
/// takes it as up to date whenever the sources are older than the last build,
/// whoever's it was. Forgetting the package's fingerprints forces a rebuild
/// (of that package only: the dependencies stay shared). It waits, `limit`
/// at most, for any cargo building in the target folder (a student's `cargo
/// run` sharing it) to finish: that cargo would fail to write the
/// fingerprints taken from under it.
async fn forget_builds(target_dir: &Path, package: &str, limit: Duration) -> Result<usize, String> {
    let _cargos = cargos_locks(target_dir, limit).await?;
    Ok(fingerprints(target_dir, package).iter().filter(|dir| std::fs::remove_dir_all(dir).is_ok()).count())
}

/// Cargo's locks on the target folder's profiles, once no cargo builds there (`limit` at most).
async fn cargos_locks(target_dir: &Path, limit: Duration) -> Result<Vec<CargosLock>, String> {
    let mut locks = Vec::new();
    for profile in ["debug", "release"] {
        locks.extend(CargosLock::acquire(&target_dir.join(profile), limit).await?);
    }
    Ok(locks)
}

/// Cargo's own lock on a profile's folder of a target folder
/// (`debug/.cargo-lock`), which every cargo holds while it builds there;
/// held while this lives (Unix).
struct CargosLock {
    _file: std::fs::File,
}

impl CargosLock {
    /// Waits, `limit` at most, until no cargo builds in `profile_dir`.
    /// `None` where no cargo ever built there (no lock file).
    async fn acquire(profile_dir: &Path, limit: Duration) -> Result<Option<CargosLock>, String> {
        let path = profile_dir.join(".cargo-lock");
        if path.symlink_metadata().is_err() {
            return Ok(None);
        }
        let cannot = |e: std::io::Error| format!("cannot lock {}: {e}", path.display());
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true);
        let file = open_state(&path, &mut options).map_err(cannot)?;
        let deadline = tokio::time::Instant::now() + limit;
        while !try_lock(&file).map_err(cannot)? {
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "a cargo has been building in {} for more than {} s: wait for it to finish, or grade with a \
                     target folder of its own (--target-dir)",
                    profile_dir.display(),
                    limit.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Some(CargosLock { _file: file }))
    }
}

/// An exclusive lock on `<target>/.grader.lock`, held while it lives (Unix;
/// elsewhere grades sharing a target folder must not run at once). The file
/// holds the pid of the grade that has it.
pub struct TargetLock {
    _file: std::fs::File,
}

impl TargetLock {
    /// Takes the lock, waiting at most `limit` for another grade to let it
    /// go; the wait can be cancelled (Ctrl-C drops it). `Err` says why, and
    /// which process holds it.
    pub async fn acquire(
        target_dir: &Path,
        limit: Duration,
        log: &mut Vec<String>,
    ) -> Result<TargetLock, String> {
        let path = target_dir.join(".grader.lock");
        let cannot = |e: std::io::Error| format!("cannot lock {}: {e}", path.display());
        std::fs::create_dir_all(target_dir).map_err(cannot)?;
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        let mut file = open_state(&path, &mut options).map_err(cannot)?;
        let deadline = tokio::time::Instant::now() + limit;
        let mut said = false;
        loop {
            match try_lock(&file) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(cannot(e)),
            }
            let holder = crate::build_files::read_regular(&path)
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .filter(|p| !p.trim().is_empty());
            let holder =
                holder.map_or_else(|| "another process".to_owned(), |pid| format!("process {}", pid.trim()));
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{holder} has held {} for more than {} s: is another grade stuck? Stop it, or wait and try again",
                    path.display(),
                    limit.as_secs()
                ));
            }
            if !said {
                log.push(format!("waiting for {holder}, which is building in {}", target_dir.display()));
                said = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        use std::io::{Seek, Write};
        let _ =
            file.set_len(0).and_then(|_| file.rewind()).and_then(|_| write!(file, "{}", std::process::id()));
        Ok(TargetLock { _file: file })
    }
}

/// Opens a file of the grader's own in a target folder, which builds write:
/// never through a symbolic link a build planted there (`O_NOFOLLOW`; such a
/// link is removed, and the file made anew), lest the grader overwrite or
/// truncate whatever the link points at.
fn open_state(path: &Path, options: &mut std::fs::OpenOptions) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    match options.open(path) {
        Err(_) if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => {
            std::fs::remove_file(path)?;
            options.open(path)
        }
        opened => opened,
    }
}

/// The grader's folder in a target folder: a real folder (a link a build put
/// in its place is removed).
fn state_folder(path: &Path) -> std::io::Result<()> {
    if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(path)?;
    }
    std::fs::create_dir_all(path)
}

/// Takes the lock without waiting: `Ok(false)` when another process has it.
pub(crate) fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock(2) on a descriptor the caller owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::WouldBlock {
            return Ok(false);
        }
        Err(error)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(true)
    }
}

/// Fetches the dependencies the build will need, outside the sandbox (which
/// has no network), so that the build can run offline. A failure is only
/// logged: the offline build then says what is missing.
///
/// With the kit's own manifests and lock, in the kit's own folder: never
/// the clone's. Cargo obeys the folder's `.cargo/config.toml`, and a
/// `rustc-wrapper` there would run at this step, outside the sandbox and with
/// the network. A clone that needs crates the kit does not pin has them
/// missing from the offline build.
async fn fetch(request: &BuildRequest, log: &mut Vec<String>) {
    let cargo = crate::sandbox::cargo_program();
    let kit = crate::kit_root();
    let manifest = kit.join("Cargo.toml");
    if !manifest.is_file() {
        return log
            .push(format!("no kit at {} to fetch the dependencies with: building offline", kit.display()));
    }
    let jail =
        Jail { home: request.home.clone(), cwd: kit, toolchain: true, network: true, ..Jail::default() };
    let args: [&std::ffi::OsStr; 6] = [
        "fetch".as_ref(),
        "--locked".as_ref(),
        "--manifest-path".as_ref(),
        manifest.as_os_str(),
        "--target".as_ref(),
        env!("GRADER_TARGET").as_ref(),
    ];
    let mut command = Containment::off("fetching").command(&cargo, &args, &jail);
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let Ok(child) = process::spawn(&mut command) else {
        return log.push("could not run `cargo fetch`".into());
    };
    let _guard = process::Group::of(&child).map(process::Group::guard);
    match tokio::time::timeout(request.timeout, child.wait_with_output()).await {
        Ok(Ok(output)) if output.status.success() => {
            log.push("fetched the dependencies of the kit's lock (`cargo fetch --locked`)".into())
        }
        Ok(Ok(output)) => {
            let said = String::from_utf8_lossy(&output.stderr);
            let first = said.lines().find(|l| l.starts_with("error")).unwrap_or("no reason given");
            log.push(format!("`cargo fetch` failed ({first}): building offline with what is there"));
        }
        _ => log.push("`cargo fetch` did not finish: building offline with what is there".into()),
    }
}

async fn build_locked(request: &BuildRequest, log: &mut Vec<String>) -> Result<Built, BuildFailure> {
    let cargo = crate::sandbox::cargo_program();
    let sandboxed = request.containment.is_sandboxed();
    let contained = request.containment.is_contained();
    if contained {
        fetch(request, log).await;
    }
    // Where the build writes: the target folder given, else the clone's own `target/`, which
    // must then be a folder (a link there would have the build write where it points).
    let target_dir = request.target_dir.clone().unwrap_or_else(|| request.workspace.join("target"));
    if request.target_dir.is_none() {
        if target_dir.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            let said =
                format!("{} is not a folder (a symbolic link?): cargo builds there", target_dir.display());
            return Err(BuildFailure::Project(said));
        }
        let _ = std::fs::create_dir_all(&target_dir);
    }
    // `--locked`: the lock as committed is what is built, everywhere, and cargo writes nothing
    // into the clone. Offline where the student's code is contained: the sandbox has no
    // network, and the student's user could not write cargo's caches.
    let mut args: Vec<&std::ffi::OsStr> =
        ["build", "--bins", "--locked", "--message-format=json", "--package"].map(AsRef::as_ref).to_vec();
    args.push(request.package.as_ref());
    if contained {
        args.push("--offline".as_ref());
    }
    args.extend(["--target-dir".as_ref(), target_dir.as_os_str()]);
    // In the sandbox the build reads the clone and writes only the target folder: nothing it runs
    // changes the sources, the manifests, the lock or `.git` for whatever reads them afterwards,
    // the grader included. The student's user (no bubblewrap) is handed the clone, the grader's
    // work copy, to read it whatever its files' modes; it is given back after the build.
    let (writable, readable) = match request.containment.student_user() {
        Some(_) => (vec![request.workspace.clone(), target_dir.clone()], Vec::new()),
        None => (vec![target_dir.clone()], vec![request.workspace.clone()]),
    };
    let jail = Jail {
        writable,
        readable,
        home: request.home.clone(),
        cwd: request.workspace.clone(),
        toolchain: true,
        ..Jail::default()
    };
    // Given back once the build is over (dropped after the build's group is
    // killed): the server, which runs as the same user, must not write them.
    let _handed = request.containment.hand_over(&jail, true).map_err(BuildFailure::Cargo)?;
    let mut command = request.containment.command(&cargo, &args, &jail);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let how = match request.containment.student_user() {
        _ if sandboxed => ", offline, in the sandbox".to_owned(),
        Some(user) => format!(", offline, as the user {}", user.name),
        None => String::new(),
    };
    log.push(format!(
        "running `cargo build --bins --package {}` in {}{how}",
        request.package,
        request.workspace.display(),
    ));
    let mut child = process::spawn(&mut command).map_err(|e| {
        BuildFailure::Cargo(format!("cannot run cargo ({}): {e}", Path::new(&cargo).display()))
    })?;
    let group = process::Group::of(&child);
    // A build dropped halfway (Ctrl-C, --deadline) takes its compilers and build scripts with it.
    let _guard = group.map(process::Group::guard);
    // Cargo's output is read as it comes, and only what a report needs is kept.
    let mut reader =
        MessageReader::new(&request.package, &target_dir.join("debug"), request.progress.clone());
    let mut stderr_lines: Vec<String> = Vec::new();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let finished = async {
        let read_stdout = async {
            if let Some(stdout) = stdout {
                crate::server::for_each_line_up_to(stdout, MAX_MESSAGE_BYTES, |line| reader.line(&line))
                    .await;
            }
        };
        let read_stderr = async {
            if let Some(stderr) = stderr {
                crate::server::for_each_line(stderr, |line| {
                    if stderr_lines.len() < MAX_STDERR_LINES {
                        stderr_lines.push(line);
                    }
                })
                .await;
            }
        };
        let (_, _, status) = tokio::join!(read_stdout, read_stderr, child.wait());
        status
    };
    let status = match tokio::time::timeout(request.timeout, finished).await {
        Ok(status) => status.map_err(|e| BuildFailure::Cargo(format!("cargo failed to run: {e}")))?,
        Err(_) => {
            // Cargo's build scripts and compilers are in its group: they go too.
            if let Some(group) = group {
                group.kill();
            }
            return Err(BuildFailure::Timeout(request.timeout));
        }
    };
    let messages = reader.finish();
    if status.success() {
        let executable = messages.executable.ok_or_else(|| {
            BuildFailure::Cargo(format!("package `{}` built, but it has no binary to run", request.package))
        })?;
        return Ok(Built { executable, unused_functions: messages.unused, up_to_date: messages.up_to_date });
    }
    if messages.error_count > 0 {
        let errors = messages.errors.into_iter().take(ERRORS_SHOWN).collect();
        return Err(BuildFailure::Compile { errors, total: messages.error_count });
    }
    let stderr = stderr_lines.join("\n");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    // From cargo's first error on: what the student would see running cargo themselves.
    let first_error = lines.iter().position(|l| l.starts_with("error")).unwrap_or(0);
    let said = lines[first_error..].iter().take(14).copied().collect::<Vec<_>>().join("\n");
    if stderr.contains(STALE_LOCK) {
        let why = "Cargo.lock does not match the manifests, and the grader builds the lock as committed \
                   (`cargo build --locked`): run `cargo build`, then commit Cargo.lock";
        return Err(BuildFailure::Project(format!("{why}\n{said}")));
    }
    if PROJECT_MISTAKES.iter().any(|m| stderr.contains(m)) {
        return Err(BuildFailure::Project(said));
    }
    Err(BuildFailure::Cargo(format!("cargo build failed without a compiler error:\n{said}")))
}

/// What cargo says when `--locked` finds the lock out of date with the manifests ("cannot
/// update the lock file ... because --locked was passed", older: "needs to be updated but
/// --locked was passed").
const STALE_LOCK: &str = "--locked was passed";

/// What cargo says when the project itself is broken, not the machine.
const PROJECT_MISTAKES: &[&str] = &[
    "failed to parse manifest",
    "failed to load manifest",
    "failed to run custom build command",
    "could not parse input as TOML",
    "error: invalid table header",
    "error: unused manifest key",
    "current package believes it's in a workspace when it's not",
];

#[derive(Debug, Default)]
struct Messages {
    errors: Vec<String>,
    /// All the errors, the ones not kept included.
    error_count: usize,
    executable: Option<PathBuf>,
    /// Functions rustc warned are never used, as `name (file:line:col)`.
    unused: Vec<String>,
    /// The package ids of the artifacts cargo found already built.
    up_to_date: Vec<String>,
}

/// What a successful build made.
#[derive(Debug, Clone)]
pub struct Built {
    /// A private copy of the server binary.
    pub executable: PathBuf,
    /// Functions the compiler says are never used: `create_session (lab/src/controllers.rs:33:10)`;
    /// a handler among them is missing from `routes![...]`.
    pub unused_functions: Vec<String>,
    /// The package ids of what cargo found already built (`"fresh"`), not built anew.
    pub up_to_date: Vec<String>,
}

#[derive(Deserialize)]
struct Line {
    reason: String,
    message: Option<Diagnostic>,
    target: Option<Target>,
    executable: Option<PathBuf>,
    package_id: Option<String>,
    #[serde(default)]
    fresh: bool,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// Reads cargo's JSON messages: rustc's errors, and the package's binaries.
/// Reads cargo's JSON messages one by one: rustc's errors (the first few
/// kept, all counted), the functions it says are never used, and the
/// package's binaries.
struct MessageReader {
    package: String,
    /// Where cargo puts the binaries of this build (`<target>/debug`): a
    /// binary named anywhere else was not built here. Cargo's standard output
    /// is a pipe a build script can write into, so a line naming another
    /// executable (the reference solution's, say) is a forgery.
    binaries_dir: PathBuf,
    messages: Messages,
    binaries: Vec<(String, PathBuf)>,
    /// Crates compiled so far, and who hears of each.
    compiled: usize,
    progress: Option<crate::progress::Observer>,
}

impl MessageReader {
    fn new(package: &str, binaries_dir: &Path, progress: Option<crate::progress::Observer>) -> MessageReader {
        MessageReader {
            package: package.to_owned(),
            binaries_dir: binaries_dir.to_owned(),
            messages: Messages::default(),
            binaries: Vec::new(),
            compiled: 0,
            progress,
        }
    }

    fn line(&mut self, line: &str) {
        let Ok(line) = serde_json::from_str::<Line>(line) else { return };
        match line.reason.as_str() {
            "compiler-message" => {
                if let Some(Diagnostic { level, rendered: Some(text) }) = line.message {
                    if let (Some(name), true) = (unused_function(&text), self.messages.unused.len() < KEPT) {
                        self.messages.unused.push(name);
                    }
                    if level == "error"
                        && !text.starts_with("error: aborting")
                        && !text.starts_with("error: could not compile")
                    {
                        self.messages.error_count += 1;
                        if self.messages.errors.len() < KEPT {
                            self.messages.errors.push(text.trim_end().to_owned());
                        }
                    }
                }
            }
            "compiler-artifact" => {
                self.compiled += 1;
                if let Some(target) = &line.target {
                    let event = crate::progress::Event::Compiled { count: self.compiled, name: &target.name };
                    crate::progress::tell(&self.progress, event);
                }
                // The workspace's own packages (by path): what a grade must build from its sources.
                if let (true, Some(id)) =
                    (line.fresh, line.package_id.as_ref().filter(|id| id.starts_with("path+")))
                {
                    if !self.messages.up_to_date.contains(id) {
                        self.messages.up_to_date.push(id.clone());
                    }
                }
                let ours = line.package_id.as_deref().is_some_and(|id| belongs_to(id, &self.package));
                if let (true, Some(target), Some(executable)) = (ours, line.target, line.executable) {
                    let in_place = executable == self.binaries_dir.join(&target.name);
                    if target.kind.iter().any(|k| k == "bin") && in_place {
                        self.binaries.push((target.name, executable));
                    }
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Messages {
        let named = self.binaries.iter().position(|(name, _)| *name == self.package);
        self.messages.executable = match (named, self.binaries.len()) {
            (Some(i), _) => Some(self.binaries.swap_remove(i).1),
            (None, 1) => self.binaries.pop().map(|(_, path)| path),
            _ => None,
        };
        self.messages
    }
}

/// How many errors and unused functions a build keeps; the longest message
/// line read whole, and how many of cargo's own lines are kept.
const KEPT: usize = 20;
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
const MAX_STDERR_LINES: usize = 400;

#[cfg(test)]
fn parse_messages(stdout: &str, package: &str) -> Messages {
    let mut reader = MessageReader::new(package, Path::new("/t"), None);
    stdout.lines().for_each(|line| reader.line(line));
    reader.finish()
}

/// `create_session (lab/src/controllers.rs:33:10)` from rustc's "function
/// `create_session` is never used" warning.
fn unused_function(rendered: &str) -> Option<String> {
    let name = rendered.strip_prefix("warning: function `")?.split('`').next()?;
    rendered.lines().next()?.ends_with("is never used").then_some(())?;
    let at = rendered.lines().find_map(|l| l.trim_start().strip_prefix("--> ")).unwrap_or_default();
    Some(format!("{name} ({})", at.trim()))
}

/// Whether a cargo package id (`path+file:///x/lab#0.1.0` or the older
/// `lab 0.1.0 (path+file:///x/lab)`) is the package `name`.
fn belongs_to(package_id: &str, name: &str) -> bool {
    package_id.starts_with(&format!("{name} "))
        || package_id.contains(&format!("#{name}@"))
        || package_id.rsplit_once('#').is_some_and(|(url, _)| url.ends_with(&format!("/{name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_binary_and_the_errors() {
        let stdout = r#"{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"warning","rendered":"warning: unused"}}
{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"error","rendered":"error[E0425]: cannot find value `x`\n --> lab/src/controllers.rs:3:5\n"}}
{"reason":"compiler-message","package_id":"path+file:///w/lab#0.1.0","message":{"level":"error","rendered":"error: aborting due to 1 previous error"}}
{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"util","kind":["bin"]},"executable":"/t/util"}
{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"lab","kind":["bin"]},"executable":"/t/lab"}
{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#rocket@0.5.2","target":{"name":"rocket","kind":["lib"]},"executable":null}
not json"#;
        let messages = parse_messages(stdout, "lab");
        assert_eq!(messages.executable, Some(PathBuf::from("/t/lab")));
        assert_eq!(messages.up_to_date, Vec::<String>::new());
        // What cargo found already built, of the workspace's own packages: after a forgetting, another cargo's.
        let fresh = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"lab","kind":["lib"]},"fresh":true}
{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#rocket@0.5.2","target":{"name":"rocket","kind":["lib"]},"fresh":true}"#;
        let messages = parse_messages(&format!("{fresh}\n{stdout}"), "lab");
        assert_eq!(messages.up_to_date, ["path+file:///w/lab#0.1.0"]);
        // A line a build script wrote into cargo's pipe, naming a binary cargo did not build here.
        let forged = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"lab","kind":["bin"]},"executable":"/t/solution"}"#;
        let elsewhere = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/lab#0.1.0","target":{"name":"lab","kind":["bin"]},"executable":"/elsewhere/lab"}"#;
        let messages = parse_messages(&format!("{forged}\n{elsewhere}\n{stdout}"), "lab");
        assert_eq!(messages.executable, Some(PathBuf::from("/t/lab")));
        assert_eq!(messages.errors.len(), 1);
        assert!(messages.errors[0].contains("controllers.rs:3:5"));
        let unused = "warning: function `create_session` is never used\n  --> lab/src/controllers.rs:33:10\n";
        assert_eq!(unused_function(unused).as_deref(), Some("create_session (lab/src/controllers.rs:33:10)"));
    }

    /// A cargo building in the shared target folder (a student's `cargo run`)
    /// holds its lock there: the builds are forgotten only once it is done,
    /// never from under it, and a cargo that never finishes is said.
    #[cfg(unix)]
    #[tokio::test]
    async fn builds_are_forgotten_only_when_no_cargo_builds_there() {
        let target = tempfile::tempdir().unwrap();
        let fingerprint = target.path().join("debug/.fingerprint/lab-0123456789abcdef");
        std::fs::create_dir_all(&fingerprint).unwrap();
        let lock = target.path().join("debug/.cargo-lock");
        std::fs::write(&lock, "").unwrap();
        let cargo = std::fs::File::open(&lock).unwrap();
        assert!(try_lock(&cargo).unwrap(), "the lock, as a building cargo holds it");
        let waited = forget_builds(target.path(), "lab", Duration::from_millis(300)).await;
        assert!(waited.unwrap_err().contains("a cargo has been building in"));
        assert!(fingerprint.is_dir(), "forgotten from under a building cargo");
        drop(cargo);
        assert_eq!(forget_builds(target.path(), "lab", Duration::from_millis(300)).await, Ok(1));
        assert!(!fingerprint.exists());
    }

    /// What tells the grade that another cargo built the package between its
    /// build's end and the copy of the binary: a fingerprint of the package
    /// changed after the build ended (and only of that package).
    #[test]
    fn a_package_rebuilt_after_the_build_ended_is_found() {
        let target = tempfile::tempdir().unwrap();
        let fingerprint = target.path().join("debug/.fingerprint/lab-0123456789abcdef");
        std::fs::create_dir_all(&fingerprint).unwrap();
        std::fs::write(fingerprint.join("lib-lab"), "ours").unwrap();
        let packages = ["lab".to_owned(), "solution".to_owned()];
        std::thread::sleep(Duration::from_millis(20));
        let ended = std::time::SystemTime::now();
        assert_eq!(rebuilt_since(target.path(), &packages, ended), None);
        std::thread::sleep(Duration::from_millis(20));
        let other = target.path().join("debug/.fingerprint/other-0123456789abcdef");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("lib-other"), "theirs").unwrap();
        assert_eq!(rebuilt_since(target.path(), &packages, ended), None, "another package is not this one");
        std::fs::write(fingerprint.join("lib-lab"), "another cargo's").unwrap();
        assert_eq!(rebuilt_since(target.path(), &packages, ended).map(String::as_str), Some("lab"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_graders_files_in_a_target_folder_are_never_written_through_a_link() {
        let target = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let (kept, truncated) = (outside.path().join("keep.txt"), outside.path().join("truncate.txt"));
        std::fs::write(&kept, "the instructor's").unwrap();
        std::fs::write(&truncated, "the instructor's").unwrap();
        // What a build could plant: the lock, and the grader's folder, as links to files outside.
        std::os::unix::fs::symlink(&truncated, target.path().join(".grader.lock")).unwrap();
        std::os::unix::fs::symlink(outside.path(), target.path().join(".grader")).unwrap();
        let mut log = Vec::new();
        let lock = TargetLock::acquire(target.path(), Duration::from_secs(1), &mut log).await.unwrap();
        state_folder(&target.path().join(".grader")).unwrap();
        let marker = target.path().join(".grader/lab.workspace");
        std::os::unix::fs::symlink(&kept, &marker).unwrap();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        std::io::Write::write_all(&mut open_state(&marker, &mut options).unwrap(), b"/w").unwrap();
        drop(lock);
        for file in [&kept, &truncated] {
            assert_eq!(std::fs::read_to_string(file).unwrap(), "the instructor's", "{}", file.display());
        }
        assert!(!target.path().join(".grader").symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "/w");
    }

    #[tokio::test]
    async fn a_held_lock_names_its_holder_and_times_out() {
        let target = tempfile::tempdir().unwrap();
        let mut log = Vec::new();
        let held = TargetLock::acquire(target.path(), Duration::from_secs(1), &mut log).await.unwrap();
        let pid = std::process::id().to_string();
        // flock locks belong to the open file, so a second open in this process waits like another process.
        let waited = TargetLock::acquire(target.path(), Duration::from_millis(500), &mut log).await;
        let why = waited.err().expect("the lock is held");
        assert!(why.contains(&format!("process {pid} has held")), "{why}");
        assert!(log.iter().any(|l| l.contains(&format!("waiting for process {pid}"))), "{log:?}");
        drop(held);
        assert!(TargetLock::acquire(target.path(), Duration::from_millis(500), &mut log).await.is_ok());
    }

    #[tokio::test]
    async fn the_solution_builds_with_the_lab_of_its_workspace() {
        let home = tempfile::tempdir().unwrap();
        let request = |workspace: &Path, package: &str, containment: &Containment| BuildRequest {
            workspace: workspace.to_owned(),
            package: package.into(),
            target_dir: None,
            timeout: Duration::from_secs(60),
            containment: containment.clone(),
            home: home.path().to_owned(),
            progress: None,
            own_copy: false,
        };
        // Unconfined, and in the sandbox where bubblewrap runs (which must show cargo the clone).
        let mut containments = vec![Containment::off("a test")];
        containments.extend(Containment::resolve(crate::sandbox::SandboxMode::On).ok());
        for contained in &containments {
            let solution = request(&crate::kit_root(), "solution", contained);
            assert_eq!(local_packages(&solution).await, ["solution", "lab"], "{}", contained.describe());
            let nowhere = request(Path::new("/nonexistent"), "lab", contained);
            assert_eq!(local_packages(&nowhere).await, ["lab"]);
        }
    }

    #[test]
    fn package_ids_old_and_new() {
        assert!(belongs_to("path+file:///w/lab#0.1.0", "lab"));
        assert!(belongs_to("path+file:///w/x#lab@0.1.0", "lab"));
        assert!(belongs_to("lab 0.1.0 (path+file:///w/lab)", "lab"));
        assert!(!belongs_to("path+file:///w/solution#0.1.0", "lab"));
        assert!(!belongs_to("registry+https://x#rocket@0.5.2", "lab"));
    }
}
