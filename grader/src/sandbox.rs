//! What the student's code may see and touch while the grader builds and
//! runs it. Two layers:
//!
//! - **The environment** is always an allowlist: what a program needs to run
//!   (`PATH`, locale), a private `HOME`, and for cargo the toolchain's own
//!   variables. Tokens, SSH agents and stray `ROCKET_*` never get through.
//! - **The sandbox** ([bubblewrap](https://github.com/containers/bubblewrap),
//!   `--sandbox on`, or `auto` where it works): the file system read-only but
//!   for the folders a step must write, a private `/tmp` and `/run`, the
//!   user's home hidden (cargo's and rustup's folders shown read-only, their
//!   credentials not at all), a network of its own with only loopback, and a
//!   PID namespace that dies with the grader, daemons included.
//! - **The student's user** (see [`crate::confine`]), where bubblewrap cannot
//!   run and the grader is root (a Gradescope container): the build and the
//!   server run as an unprivileged user of their own, which can write only
//!   the folders handed over to it, with a process limit.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tokio::process::Command;

use crate::confine::{self, HandedOver, StudentUser};

/// `--sandbox`: whether the student's code runs inside bubblewrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SandboxMode {
    /// Where bubblewrap is installed and can make namespaces; else, for a
    /// grader that runs as root, as the student's user ([`crate::confine`]);
    /// else none. The report says which, and why.
    #[default]
    Auto,
    /// Always bubblewrap: a grade that cannot have it does not run (the
    /// student's user alone does not do: it hides no file and no network).
    On,
    Off,
}

/// How this grade contains what it runs.
#[derive(Debug, Clone)]
pub struct Containment {
    /// The bubblewrap to run every student process in; `None`: no sandbox.
    bwrap: Option<PathBuf>,
    /// Without bubblewrap, the unprivileged user every student process runs as.
    user: Option<StudentUser>,
    /// Why there is no sandbox, for the report.
    pub without_why: Option<String>,
}

/// What one contained process may use.
#[derive(Debug, Clone, Default)]
pub struct Jail {
    /// Folders it may write (and read).
    pub writable: Vec<PathBuf>,
    /// Folders it must read that the sandbox would hide (those under the home folder).
    pub readable: Vec<PathBuf>,
    /// Its `HOME`: a private folder, which it may write.
    pub home: PathBuf,
    /// The folder it starts in.
    pub cwd: PathBuf,
    /// Cargo and rustc: the toolchain's variables and folders.
    pub toolchain: bool,
    /// The machine's network, rather than one of its own with only loopback.
    pub network: bool,
}

impl Containment {
    /// No sandbox, with the reason the report gives.
    pub fn off(why: &str) -> Containment {
        Containment { bwrap: None, user: None, without_why: Some(why.to_owned()) }
    }

    /// No sandbox: every student process runs as `user` (see [`crate::confine`]).
    pub fn as_user(user: StudentUser, why: &str) -> Containment {
        Containment { bwrap: None, user: Some(user), without_why: Some(why.to_owned()) }
    }

    /// What `mode` means on this machine; `Err` when `on` cannot be had.
    pub fn resolve(mode: SandboxMode) -> Result<Containment, String> {
        match (mode, bubblewrap()) {
            (SandboxMode::Off, _) => Ok(Containment::off("--sandbox off")),
            (_, Ok(bwrap)) => Ok(Containment { bwrap: Some(bwrap.clone()), user: None, without_why: None }),
            (SandboxMode::On, Err(why)) => Err(format!("--sandbox on, but {why}")),
            (SandboxMode::Auto, Err(why)) if confine::running_as_root() => match StudentUser::configured() {
                Ok(user) => Ok(Containment::as_user(user, why)),
                Err(no_user) => Ok(Containment::off(&format!("{why}; {no_user}"))),
            },
            (SandboxMode::Auto, Err(why)) => Ok(Containment::off(why)),
        }
    }

    pub fn is_sandboxed(&self) -> bool {
        self.bwrap.is_some()
    }

    /// Whether the student's code runs contained (bubblewrap, or its own
    /// user): then the build runs offline, its dependencies fetched first.
    pub fn is_contained(&self) -> bool {
        self.bwrap.is_some() || self.user.is_some()
    }

    /// The unprivileged user the student's code runs as, without bubblewrap.
    pub fn student_user(&self) -> Option<&StudentUser> {
        self.user.as_ref()
    }

    /// The note a report gives when the grade ran without bubblewrap.
    pub fn without_note(&self) -> Option<String> {
        let why = self.without_why.as_ref()?;
        Some(match &self.user {
            Some(user) => {
                format!("graded without a sandbox ({why}): as the unprivileged user {} instead", user.name)
            }
            None => format!("graded without a sandbox: {why}"),
        })
    }

    /// Makes the folders `jail` may write writable by the student's user,
    /// when there is one (nothing to do otherwise): `give_back`, they return
    /// to their owners when the result is dropped. `Err` says why they cannot be.
    pub fn hand_over(&self, jail: &Jail, give_back: bool) -> Result<HandedOver, String> {
        let Some(user) = &self.user else { return Ok(HandedOver::default()) };
        let absolute = |path: &PathBuf| std::path::absolute(path).unwrap_or_else(|_| path.clone());
        let mut folders: Vec<PathBuf> = jail.writable.iter().map(absolute).collect();
        folders.push(absolute(&jail.home));
        let handed = confine::hand_over(user, &folders, give_back)?;
        confine::reachable(user, &absolute(&jail.cwd))?;
        Ok(handed)
    }

    /// One line for the report: how the student's code ran.
    pub fn describe(&self) -> String {
        match (&self.bwrap, &self.without_why) {
            (Some(_), _) => {
                let network = if crate::forward::can_enter_namespaces() {
                    "loopback-only network"
                } else {
                    "no network for the build; the server shares the machine's network: a network of \
                     its own is Linux's"
                };
                let processes = match prlimit() {
                    Some(_) if process_limit_holds() => {
                        format!("process limit {}, no core dumps", confine::MAX_PROCESSES)
                    }
                    Some(_) => "no core dumps; no process limit: the kernel exempts root's processes, in the \
                                sandbox too (grade as a user that is not root to have one)"
                        .into(),
                    None => "no process limit (no prlimit)".into(),
                };
                format!("bubblewrap (read-only files, {network}, own PID namespace, {processes})")
            }
            (None, Some(why)) => match &self.user {
                Some(user) => format!(
                    "an unprivileged user ({}, uid {}), process limit {}, no core dumps; no bubblewrap ({why}): \
                     no namespace, so the network and the machine's readable files stay in reach",
                    user.name,
                    user.uid,
                    confine::MAX_PROCESSES
                ),
                None => format!("off ({why}): processes contained by group only"),
            },
            (None, None) => "off".into(),
        }
    }

    /// `program args...` as a command that runs in `jail`: in the sandbox if
    /// there is one, else as the student's user if there is one (whose
    /// writable folders [`Containment::hand_over`] prepares), and with the
    /// allowlisted environment either way.
    pub fn command(&self, program: &OsStr, args: &[&OsStr], jail: &Jail) -> Command {
        // bubblewrap binds absolute paths only; inside and out, they mean the same.
        let absolute = |path: &PathBuf| std::path::absolute(path).unwrap_or_else(|_| path.clone());
        let jail = &Jail {
            writable: jail.writable.iter().map(absolute).collect(),
            readable: jail.readable.iter().map(absolute).collect(),
            home: absolute(&jail.home),
            cwd: absolute(&jail.cwd),
            ..jail.clone()
        };
        let mut command = match &self.bwrap {
            Some(bwrap) => {
                let mut command = Command::new(bwrap);
                command.args(bubblewrap_args(jail)).arg("--");
                // Set inside the sandbox's user namespace, the limit counts the sandbox's own tasks;
                // set on bubblewrap, it would count every process of the grader's user.
                if let Some(prlimit) = prlimit() {
                    command.arg(prlimit).arg(format!("--nproc={}", confine::MAX_PROCESSES));
                    command.args(["--core=0", "--"]);
                }
                command.arg(program);
                command
            }
            None => Command::new(program),
        };
        if let Some(user) = &self.user {
            confine::run_as(&mut command, user);
        }
        command.args(args).current_dir(&jail.cwd).env_clear();
        for (name, value) in environment(jail.toolchain) {
            command.env(name, value);
        }
        command.env("HOME", &jail.home);
        if self.bwrap.is_some() {
            command.env("TMPDIR", "/tmp"); // the private one: the machine's may be hidden
        }
        if self.user.is_some() {
            command.env("TMPDIR", &jail.home); // the grader's may be closed to the student's user
        }
        command
    }
}

/// The variables every contained process gets from the grader's environment.
const PASSED: &[&str] = &["PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR"];

/// The toolchain's variables cargo and rustc get too: which toolchain, its
/// flags and C compilers (build scripts read them; a different value would
/// rebuild every dependency). `CARGO_HOME` and `RUSTUP_HOME` are added,
/// resolved, since `HOME` changes.
const TOOLCHAIN: &[&str] = &[
    "CARGO",
    "RUSTUP_TOOLCHAIN",
    "RUSTC",
    "RUSTDOC",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_INCREMENTAL",
    "CARGO_NET_OFFLINE",
    "CC",
    "CXX",
    "AR",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "PKG_CONFIG_PATH",
    "SDKROOT",
    "MACOSX_DEPLOYMENT_TARGET",
];
const TOOLCHAIN_PREFIXES: &[&str] =
    &["CARGO_BUILD_", "CARGO_PROFILE_", "CARGO_TARGET_", "CC_", "CXX_", "AR_", "CFLAGS_", "CXXFLAGS_"];

/// Never passed, whatever the lists say.
fn secret(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    ["TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "_KEY"].iter().any(|word| name.contains(word))
}

/// The allowlisted environment, from the grader's own.
fn environment(toolchain: bool) -> Vec<(OsString, OsString)> {
    allowlisted(std::env::vars_os(), toolchain)
}

/// What of `variables` a contained process gets.
fn allowlisted(
    variables: impl Iterator<Item = (OsString, OsString)>,
    toolchain: bool,
) -> Vec<(OsString, OsString)> {
    let allowed = |name: &str| {
        PASSED.contains(&name)
            || (toolchain
                && (TOOLCHAIN.contains(&name) || TOOLCHAIN_PREFIXES.iter().any(|p| name.starts_with(p))))
    };
    let mut passed: Vec<(OsString, OsString)> = variables
        .filter(|(name, _)| name.to_str().is_some_and(|name| allowed(name) && !secret(name)))
        .collect();
    if toolchain {
        passed.extend(toolchain_homes().into_iter().map(|(name, path)| (name.into(), path.into_os_string())));
        if !passed.iter().any(|(name, _)| name == "RUSTUP_TOOLCHAIN") {
            passed.extend(pinned_toolchain().map(|name| ("RUSTUP_TOOLCHAIN".into(), name.into())));
        }
        // Rustup installs nothing a clone asks for (a toolchain, a component).
        passed.push(("RUSTUP_AUTO_INSTALL".into(), "0".into()));
    }
    passed
}

/// The toolchain the grader was built with, by rustup's name for it: rustup
/// obeys `RUSTUP_TOOLCHAIN` before a clone's `rust-toolchain.toml`, which
/// could otherwise switch the toolchain (or have rustup download one). The
/// grader's own `RUSTUP_TOOLCHAIN`, where it has one, wins.
fn pinned_toolchain() -> Option<&'static str> {
    Some(env!("GRADER_RUSTUP_TOOLCHAIN")).filter(|name| !name.is_empty())
}

/// `CARGO_HOME` and `RUSTUP_HOME`, resolved as cargo and rustup would.
fn toolchain_homes() -> Vec<(&'static str, PathBuf)> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    ["CARGO_HOME", "RUSTUP_HOME"]
        .into_iter()
        .zip([".cargo", ".rustup"])
        .filter_map(|(name, default)| {
            let path = std::env::var_os(name)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))?;
            path.is_dir().then(|| (name, std::path::absolute(&path).unwrap_or(path)))
        })
        .collect()
}

/// The cargo every build runs: the grader's own (`CARGO`, as under `cargo run`), else the one
/// on `PATH`.
pub(crate) fn cargo_program() -> OsString {
    cargo_program_of(std::env::var_os("CARGO"))
}

fn cargo_program_of(cargo: Option<OsString>) -> OsString {
    cargo.unwrap_or_else(|| "cargo".into())
}

/// The folder of [`cargo_program`], found once: `None` when there is none, or it is in a
/// system folder.
fn cargo_folder() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND.get_or_init(|| cargo_folder_of(std::env::var_os("CARGO"), std::env::var_os("PATH"))).as_deref()
}

/// [`cargo_folder`] with `CARGO` and `PATH` given.
fn cargo_folder_of(cargo: Option<OsString>, path: Option<OsString>) -> Option<PathBuf> {
    let program = PathBuf::from(cargo_program_of(cargo));
    // A bare name is looked for on `PATH`, as the build's spawn will.
    let program = match program.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => program,
        _ => std::env::split_paths(&path?).map(|folder| folder.join(&program)).find(|c| c.is_file())?,
    };
    let folder = std::path::absolute(program.parent()?).ok()?;
    let system = SYSTEM_FOLDERS.iter().any(|system| folder.starts_with(system));
    (!system && folder.is_dir()).then_some(folder)
}

/// bubblewrap's arguments for `jail`.
fn bubblewrap_args(jail: &Jail) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut arg = |words: &[&OsStr]| args.extend(words.iter().map(|w| w.to_os_string()));
    arg(&["--die-with-parent".as_ref(), "--unshare-all".as_ref()]);
    if jail.network {
        arg(&["--share-net".as_ref()]);
    }
    // An allowlist, not the machine: the system's programs and libraries, the
    // few files of /etc that names, users, time and TLS need, and then only
    // the folders the step needs (below). Not /var, /srv, /opt, /home, other
    // clones, reports, nor the kit's own builds.
    for system in SYSTEM_FOLDERS.iter().map(Path::new) {
        match std::fs::read_link(system) {
            // Merged /usr: /bin is a link to usr/bin, and stays one.
            Ok(target) => arg(&["--symlink".as_ref(), target.as_os_str(), system.as_os_str()]),
            Err(_) if system.is_dir() => arg(&["--ro-bind".as_ref(), system.as_os_str(), system.as_os_str()]),
            Err(_) => {}
        }
    }
    for file in SYSTEM_FILES.iter().map(Path::new).filter(|f| f.exists()) {
        arg(&["--ro-bind".as_ref(), file.as_os_str(), file.as_os_str()]);
    }
    arg(&["--dev".as_ref(), "/dev".as_ref(), "--proc".as_ref(), "/proc".as_ref()]);
    // Private, and bounded where this bubblewrap can (0.7 and later): a step that fills its /tmp
    // fills its own share of memory, no more.
    let (tmp, run) = (PRIVATE_TMP_BYTES.to_string(), PRIVATE_RUN_BYTES.to_string());
    if bounds_tmpfs() {
        arg(&["--size".as_ref(), tmp.as_ref()]);
    }
    arg(&["--tmpfs".as_ref(), "/tmp".as_ref()]);
    if bounds_tmpfs() {
        arg(&["--size".as_ref(), run.as_ref()]);
    }
    arg(&["--tmpfs".as_ref(), "/run".as_ref()]);
    let mut readable = jail.readable.clone();
    let mut hidden = Vec::new();
    let mut emptied = Vec::new();
    if jail.toolchain {
        for (name, folder) in toolchain_homes() {
            hidden.extend(
                ["credentials", "credentials.toml"]
                    .map(|f| folder.join(f))
                    .into_iter()
                    .filter(|f| f.exists()),
            );
            if name == "CARGO_HOME" {
                // Other projects' git checkouts: not this build's to read (the kit has no git dependency).
                emptied.extend([folder.join("git")].into_iter().filter(|f| f.is_dir()));
            }
            readable.push(folder);
        }
        // Where the cargo the grader runs lives, when no home above holds it: a `CARGO_HOME` set
        // elsewhere (a CI cache, say) leaves rustup's `cargo` in `~/.cargo/bin`. Its folder only.
        if let Some(folder) = cargo_folder().filter(|f| !readable.iter().any(|r| f.starts_with(r))) {
            readable.push(folder.to_owned());
        }
    }
    // Parents before children, so that a writable folder inside a read-only one stays writable.
    let mut binds: Vec<(&Path, bool)> = readable.iter().map(|p| (p.as_path(), false)).collect();
    binds.extend(jail.writable.iter().map(|p| (p.as_path(), true)));
    binds.extend(std::iter::once((jail.home.as_path(), true)));
    binds.sort_by_key(|(path, _)| path.components().count());
    for (path, writable) in binds {
        let how: &OsStr = if writable { "--bind".as_ref() } else { "--ro-bind".as_ref() };
        arg(&[how, path.as_os_str(), path.as_os_str()]);
    }
    for file in &hidden {
        arg(&["--ro-bind".as_ref(), "/dev/null".as_ref(), file.as_os_str()]);
    }
    for folder in &emptied {
        arg(&["--tmpfs".as_ref(), folder.as_os_str()]);
    }
    // Cargo's configuration, less the registry tokens it may hold.
    if jail.toolchain {
        for (config, sanitized) in configs_without_tokens(&jail.home) {
            arg(&["--ro-bind".as_ref(), sanitized.as_os_str(), config.as_os_str()]);
        }
    }
    // A repository's git folder is never the build's to write: a `core.fsmonitor`
    // or a hook planted there would run at the next `git status`, yours or the grader's.
    for git in jail.writable.iter().map(|w| w.join(".git")) {
        if git.symlink_metadata().is_ok_and(|m| !m.file_type().is_symlink()) {
            arg(&["--ro-bind".as_ref(), git.as_os_str(), git.as_os_str()]);
        }
    }
    arg(&["--chdir".as_ref(), jail.cwd.as_os_str()]);
    args
}

/// The size of the sandbox's private `/tmp` (256 MiB) and `/run` (16 MiB).
pub const PRIVATE_TMP_BYTES: u64 = 256 << 20;
pub const PRIVATE_RUN_BYTES: u64 = 16 << 20;

/// The system's folders of programs and libraries a sandboxed step sees, read-only.
const SYSTEM_FOLDERS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// The files and folders of /etc a program needs to run: the dynamic
/// loader's cache, users and groups by name, name resolution, the time zone,
/// TLS roots, Debian's `cc` alternatives. Nothing else of /etc.
const SYSTEM_FILES: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/resolv.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/pki",
    "/etc/alternatives",
];

/// For each cargo configuration file of `CARGO_HOME` that holds a registry
/// token, a copy without it written in `home` (the step's private folder),
/// to be shown in its place.
fn configs_without_tokens(home: &Path) -> Vec<(PathBuf, PathBuf)> {
    let Some((_, cargo_home)) = toolchain_homes().into_iter().find(|(name, _)| *name == "CARGO_HOME") else {
        return Vec::new();
    };
    let mut shown = Vec::new();
    for name in ["config.toml", "config"] {
        let config = cargo_home.join(name);
        let Some(text) = crate::build_files::read_regular(&config) else { continue };
        let Ok(mut table) = toml::from_str::<toml::Table>(&String::from_utf8_lossy(&text)) else { continue };
        if !strip_tokens(&mut table) {
            continue;
        }
        let sanitized = home.join(format!(".cargo-{name}-without-tokens"));
        if std::fs::write(&sanitized, toml::to_string(&table).unwrap_or_default()).is_ok() {
            shown.push((config, sanitized));
        }
    }
    shown
}

/// Removes every `token` (and `secret-key`) key at any depth; whether one was there.
fn strip_tokens(table: &mut toml::Table) -> bool {
    let mut found = false;
    for key in ["token", "secret-key", "secret-key-subject"] {
        found |= table.remove(key).is_some();
    }
    for (_, value) in table.iter_mut() {
        if let toml::Value::Table(inner) = value {
            found |= strip_tokens(inner);
        }
    }
    found
}

/// Whether this machine's bubblewrap can bound a tmpfs (`--size`, from 0.7;
/// Ubuntu 22.04 ships 0.6): tried once per process.
fn bounds_tmpfs() -> bool {
    static BOUNDS: OnceLock<bool> = OnceLock::new();
    *BOUNDS.get_or_init(|| {
        let Ok(bwrap) = bubblewrap() else { return false };
        probe(bwrap)
            .args(["--die-with-parent", "--unshare-all", "--ro-bind", "/", "/", "--size", "1048576"])
            .args(["--tmpfs", "/tmp", "true"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// A trial run of bubblewrap, in a process group of its own: what it leaves
/// for a moment (its inner process) is never in the grader's own group.
fn probe(bwrap: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(bwrap);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
}

/// util-linux's `prlimit`, which sets the sandbox's process limit and no core
/// dumps from inside it; looked for in the system's folders only, once.
fn prlimit() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            ["/usr/bin/prlimit", "/bin/prlimit"].map(PathBuf::from).into_iter().find(|p| p.is_file())
        })
        .as_deref()
}

/// Whether the sandbox's process limit holds: the kernel never applies
/// `RLIMIT_NPROC` to root's processes, and the sandbox's user namespace maps
/// its user to the grader's, root included.
fn process_limit_holds() -> bool {
    prlimit().is_some() && !confine::running_as_root()
}

/// The bubblewrap of this machine, if it can make the namespaces a sandbox
/// needs (tried once per process): `Err` says why not.
fn bubblewrap() -> Result<&'static PathBuf, &'static str> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return Err("bubblewrap sandboxes run on Linux only".into());
        }
        // For tests of what a grade does where bubblewrap cannot run (a Gradescope container).
        if std::env::var_os("GRADER_NO_BUBBLEWRAP").is_some_and(|v| v == "1") {
            return Err("bubblewrap is turned off (GRADER_NO_BUBBLEWRAP=1, a setting for tests)".into());
        }
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|dir| dir.join("bwrap")).find(|f| f.is_file()))
            .unwrap_or_default()
            .ok_or(
                "bubblewrap (`bwrap`) is not installed; on Debian or Ubuntu: apt-get install bubblewrap",
            )?;
        let tried = probe(&path)
            .args(["--die-with-parent", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "true"])
            .stdin(std::process::Stdio::null())
            .output();
        match tried {
            Ok(output) if output.status.success() => Ok(path),
            Ok(output) => Err(format!(
                "bubblewrap cannot make namespaces here ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(e) => Err(format!("bubblewrap does not run: {e}")),
        }
    });
    found.as_ref().map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_pass_the_allowlist() {
        let names = |toolchain| {
            let given = [
                "PATH",
                "SSH_AUTH_SOCK",
                "GITHUB_TOKEN",
                "ROCKET_PORT",
                "CARGO_REGISTRY_TOKEN",
                "CARGO_PROFILE_DEV_OPT_LEVEL",
                "CARGO_PROFILE_DEV_SECRET_TOKEN",
                "RUSTFLAGS",
            ]
            .map(|name| (OsString::from(name), OsString::from("x")));
            let passed = allowlisted(given.into_iter(), toolchain);
            passed.into_iter().map(|(n, _)| n.to_string_lossy().into_owned()).collect::<Vec<_>>()
        };
        let cargo = names(true);
        assert_eq!(cargo[..3], ["PATH", "CARGO_PROFILE_DEV_OPT_LEVEL", "RUSTFLAGS"], "{cargo:?}");
        let pins = ["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "RUSTUP_AUTO_INSTALL"];
        assert!(cargo[3..].iter().all(|n| pins.contains(&n.as_str())), "{cargo:?}");
        assert_eq!(names(false), ["PATH"]);
    }

    #[test]
    fn cargo_is_pinned_to_the_graders_toolchain() {
        let passed = allowlisted([(OsString::from("PATH"), OsString::from("/bin"))].into_iter(), true);
        let value = |name: &str| {
            passed.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_string_lossy().into_owned())
        };
        // A rustup-built grader (as every build under cargo's rustup proxy is) names its toolchain.
        assert_eq!(value("RUSTUP_TOOLCHAIN").as_deref(), pinned_toolchain());
        assert_eq!(value("RUSTUP_AUTO_INSTALL").as_deref(), Some("0"));
        let own = [(OsString::from("RUSTUP_TOOLCHAIN"), OsString::from("mine"))];
        let passed = allowlisted(own.into_iter(), true);
        assert_eq!(passed.iter().filter(|(n, _)| n == "RUSTUP_TOOLCHAIN").count(), 1);
        assert!(passed.iter().any(|(n, v)| n == "RUSTUP_TOOLCHAIN" && v == "mine"));
    }

    #[test]
    fn the_folder_of_the_cargo_a_build_runs_is_found_outside_the_system_folders() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("cargo"), "").unwrap();
        let path =
            std::env::join_paths([dir.path().join("none"), dir.path().to_owned(), bin.clone()]).unwrap();
        assert_eq!(cargo_folder_of(None, Some(path.clone())), Some(bin.clone()));
        // `CARGO`, as under `cargo run`, wins over `PATH`.
        let toolchain = dir.path().join("toolchain/bin");
        std::fs::create_dir_all(&toolchain).unwrap();
        assert_eq!(cargo_folder_of(Some(toolchain.join("cargo").into()), Some(path)), Some(toolchain));
        // Nothing to add: a system folder is shown already, and no cargo is no folder.
        assert_eq!(cargo_folder_of(Some("/usr/bin/cargo".into()), None), None);
        assert_eq!(cargo_folder_of(None, Some(dir.path().join("none").into())), None);
    }

    #[test]
    fn the_sandbox_shows_an_allowlist_not_the_machine() {
        let jail = Jail { home: "/tmp/g/home".into(), cwd: "/k".into(), toolchain: true, ..Jail::default() };
        let args: Vec<String> =
            bubblewrap_args(&jail).iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(!args.windows(3).any(|w| w == ["--ro-bind", "/", "/"]), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--ro-bind", "/usr"]), "{args:?}");
        let tmp = PRIVATE_TMP_BYTES.to_string();
        let bounded = args.windows(4).any(|w| w == ["--size", tmp.as_str(), "--tmpfs", "/tmp"]);
        assert_eq!(bounded, bounds_tmpfs(), "a bounded /tmp where bubblewrap can: {args:?}");
        // CI's bubblewrap (Debian's 0.8) bounds it.
        if std::env::var_os("GRADER_REQUIRE_SANDBOX").is_some() {
            assert!(bounded, "{args:?}");
        }
        for never in ["/var", "/srv", "/opt", "/home", "/etc/shadow", "/etc"] {
            assert!(!args.windows(2).any(|w| w[0].ends_with("bind") && w[1] == never), "{never}: {args:?}");
        }
        // The cargo the build runs is shown, wherever it is.
        if let Some(cargo) = cargo_folder() {
            let shown = |w: &[String]| w[0] == "--ro-bind" && cargo.starts_with(&w[1]);
            assert!(args.windows(2).any(shown), "{}: {args:?}", cargo.display());
        }
        // Cargo's home is shown, but not other projects' git checkouts.
        if let Some((_, cargo)) = toolchain_homes().into_iter().find(|(n, _)| *n == "CARGO_HOME") {
            assert!(args.windows(2).any(|w| w == ["--ro-bind", cargo.to_str().unwrap()]), "{args:?}");
            if cargo.join("git").is_dir() {
                assert!(args.windows(2).any(|w| w == ["--tmpfs", cargo.join("git").to_str().unwrap()]));
            }
        }
    }

    #[test]
    fn registry_tokens_are_taken_out_of_cargos_configuration() {
        let mut config: toml::Table = toml::from_str(
            "[net]\noffline = true\n[registry]\ntoken = \"t1\"\n[registries.corp]\nindex = \"sparse+https://x\"\ntoken = \"t2\"\n",
        )
        .unwrap();
        assert!(strip_tokens(&mut config));
        let shown = toml::to_string(&config).unwrap();
        assert!(!shown.contains("t1") && !shown.contains("t2"), "{shown}");
        assert!(shown.contains("offline = true") && shown.contains("sparse+https://x"), "{shown}");
        assert!(!strip_tokens(&mut config), "nothing left to take out");
    }

    #[test]
    fn a_writable_clones_git_folder_stays_read_only() {
        let clone = tempfile::tempdir().unwrap();
        std::fs::create_dir(clone.path().join(".git")).unwrap();
        std::fs::write(clone.path().join(".git/config"), "[core]\n").unwrap();
        let jail = Jail {
            writable: vec![clone.path().to_owned()],
            home: clone.path().join("home"),
            cwd: clone.path().to_owned(),
            ..Jail::default()
        };
        let args: Vec<String> =
            bubblewrap_args(&jail).iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let git = clone.path().join(".git").to_string_lossy().into_owned();
        let writable = args.windows(2).position(|w| w == ["--bind", clone.path().to_str().unwrap()]).unwrap();
        let read_only = args
            .windows(2)
            .position(|w| w == ["--ro-bind", git.as_str()])
            .expect("the .git folder bound read-only");
        assert!(read_only > writable, "after the clone's writable bind: {args:?}");
        // And for real, where bubblewrap runs: the build cannot add a line to .git/config.
        if let Ok(bwrap) = bubblewrap() {
            let status = std::process::Command::new(bwrap)
                .args(bubblewrap_args(&jail))
                .args(["--", "/bin/sh", "-c", "echo '\tfsmonitor = true' >> .git/config"])
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(!status.success());
            assert_eq!(std::fs::read_to_string(clone.path().join(".git/config")).unwrap(), "[core]\n");
        }
    }

    #[test]
    fn writable_folders_inside_read_only_ones_stay_writable() {
        let jail = Jail {
            writable: vec!["/k/target/overlay".into()],
            readable: vec!["/k/target".into()],
            home: "/tmp/g/home".into(),
            cwd: "/k".into(),
            ..Jail::default()
        };
        let args: Vec<String> =
            bubblewrap_args(&jail).iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let at = |words: &[&str]| args.windows(words.len()).position(|w| w == words).unwrap_or(usize::MAX);
        assert!(
            at(&["--ro-bind", "/k/target", "/k/target"])
                < at(&["--bind", "/k/target/overlay", "/k/target/overlay"])
        );
        assert!(at(&["--tmpfs", "/tmp"]) < at(&["--bind", "/tmp/g/home", "/tmp/g/home"]));
        assert!(args.contains(&"--unshare-all".to_owned()) && !args.contains(&"--share-net".to_owned()));
    }

    /// The limit holds inside the sandbox, whatever the user: it is the
    /// sandbox's own (a fork bomb's threads fail there), not the grader's.
    #[tokio::test]
    async fn a_sandboxed_process_has_the_process_limit_and_no_core_dumps() {
        crate::confine::tests::run_again_as_nobody(
            "sandbox::tests::a_sandboxed_process_has_the_process_limit_and_no_core_dumps",
        );
        let Ok(containment) = Containment::resolve(SandboxMode::On) else {
            return eprintln!("no bubblewrap: not tested here");
        };
        let home = tempfile::tempdir().unwrap();
        let jail = Jail { home: home.path().to_owned(), cwd: "/".into(), ..Jail::default() };
        let args = ["/proc/self/limits"].map(OsStr::new);
        let output = containment.command(OsStr::new("/bin/cat"), &args, &jail).output().await.unwrap();
        let limits = String::from_utf8_lossy(&output.stdout);
        let limit = |name: &str| {
            let row = limits.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{limits}"));
            row[name.len()..].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        };
        if prlimit().is_none() {
            // CI's Debian has util-linux's.
            assert!(std::env::var_os("GRADER_REQUIRE_SANDBOX").is_none(), "no prlimit");
            return eprintln!("no prlimit: no process limit here");
        }
        let most = confine::MAX_PROCESSES.to_string();
        assert_eq!(limit("Max processes"), format!("{most} {most}"), "{limits}");
        assert_eq!(limit("Max core file size"), "0 0", "{limits}");
        // And it holds: of 600 threads (a task each), no more than the limit start.
        let threads = "import threading, time\nn = 0\nfor _ in range(600):\n    try:\n        \
                       threading.Thread(target=time.sleep, args=(2,), daemon=True).start(); n += 1\n    \
                       except RuntimeError:\n        break\nprint(n)";
        let args = ["-c", threads].map(OsStr::new);
        let output =
            containment.command(OsStr::new("/usr/bin/python3"), &args, &jail).output().await.unwrap();
        let started: usize = String::from_utf8_lossy(&output.stdout).trim().parse().expect("a count");
        if process_limit_holds() {
            assert!(started < 512, "{started} threads started under the limit");
            assert!(containment.describe().contains(&format!("process limit {most}")));
        } else {
            // Root: the kernel exempts it, and the report says so.
            assert_eq!(started, 600);
            assert!(containment.describe().contains("no process limit"), "{}", containment.describe());
        }
    }
}
