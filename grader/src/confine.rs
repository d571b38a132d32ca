//! The containment a grader running as root has where bubblewrap cannot
//! make namespaces (a Gradescope container): the student's build and server
//! run as an unprivileged user of their own (`grader-student`, made by the
//! Gradescope `setup.sh`), with a process limit and no core dumps. That user
//! can write only the folders a step hands over to it (the work copy and the
//! target folder while cargo builds, the server's scratch folder, a home of
//! its own), and it cannot signal the grader, which runs as root.
//!
//! There is no namespace here: the network, the other processes' list and
//! what the machine lets any user read stay within reach (see `README.md`).

//! On other systems than Unix there is no such user: [`StudentUser::named`]
//! says so, and a grade runs as it would without it.

#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::process::Command;

/// The user the student's code runs as, unless `GRADER_STUDENT_USER` names another.
pub const DEFAULT_STUDENT_USER: &str = "grader-student";

/// How many processes (threads included: Linux counts tasks) the student's
/// user may have at once: room for cargo's compilers and Rocket's threads,
/// not for a fork bomb.
pub const MAX_PROCESSES: u64 = 512;

/// An unprivileged user of the machine, as the password database names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl StudentUser {
    /// The user named by `GRADER_STUDENT_USER`, else [`DEFAULT_STUDENT_USER`].
    pub fn configured() -> Result<StudentUser, String> {
        let name = std::env::var("GRADER_STUDENT_USER").unwrap_or_else(|_| DEFAULT_STUDENT_USER.to_owned());
        StudentUser::named(&name)
    }

    /// Looks `name` up; `Err` says why it cannot be used (missing, or privileged).
    #[cfg(not(unix))]
    pub fn named(name: &str) -> Result<StudentUser, String> {
        Err(format!("running the student's code as the user {name} needs Unix"))
    }

    /// Looks `name` up; `Err` says why it cannot be used (missing, or privileged).
    #[cfg(unix)]
    pub fn named(name: &str) -> Result<StudentUser, String> {
        let c_name =
            std::ffi::CString::new(name).map_err(|_| format!("the user name {name:?} holds a NUL byte"))?;
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut buffer = vec![0 as libc::c_char; 16 * 1024];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is to memory this frame owns, `buffer.len()` is its size.
        let error = unsafe {
            libc::getpwnam_r(c_name.as_ptr(), &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found)
        };
        if error != 0 {
            let why = std::io::Error::from_raw_os_error(error);
            return Err(format!("cannot look up the user {name}: {why}"));
        }
        if found.is_null() {
            return Err(format!(
                "there is no user {name} to run the student's code as (the Gradescope setup.sh makes one)"
            ));
        }
        if entry.pw_uid == 0 || entry.pw_gid == 0 {
            return Err(format!(
                "the user {name} is privileged (uid {}, gid {})",
                entry.pw_uid, entry.pw_gid
            ));
        }
        Ok(StudentUser { name: name.to_owned(), uid: entry.pw_uid, gid: entry.pw_gid })
    }
}

/// Whether this process runs as root (the only one that can switch users).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    #[cfg(unix)]
    return unsafe { libc::geteuid() == 0 };
    #[cfg(not(unix))]
    false
}

/// Makes `command` run as `user`: before it starts, it gets the process
/// limit and no core dumps, drops root's supplementary groups, then its group,
/// then its user (in that order: once the user is dropped, nothing else can
/// be), and checks that the drop holds, root not regainable. A drop that
/// failed makes the spawn fail: nothing runs as root by mistake.
#[cfg(unix)]
pub fn run_as(command: &mut Command, user: &StudentUser) {
    let (uid, gid) = (user.uid as libc::uid_t, user.gid as libc::gid_t);
    // SAFETY: only async-signal-safe system calls, no allocation, as pre_exec requires.
    unsafe {
        command.pre_exec(move || {
            let failed = || Err(std::io::Error::last_os_error());
            let limit = |resource, value: u64| {
                let limit = libc::rlimit { rlim_cur: value as libc::rlim_t, rlim_max: value as libc::rlim_t };
                libc::setrlimit(resource, &limit) == 0
            };
            if !limit(libc::RLIMIT_NPROC, MAX_PROCESSES) || !limit(libc::RLIMIT_CORE, 0) {
                return failed();
            }
            if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                return failed();
            }
            let dropped = libc::getuid() == uid
                && libc::geteuid() == uid
                && libc::getgid() == gid
                && libc::getegid() == gid
                && libc::getgroups(0, std::ptr::null_mut()) == 0
                && libc::setuid(0) != 0;
            if !dropped {
                return Err(std::io::Error::from_raw_os_error(libc::EPERM));
            }
            Ok(())
        });
    }
}

/// No [`StudentUser`] exists but on Unix: nothing to do.
#[cfg(not(unix))]
pub fn run_as(_command: &mut Command, _user: &StudentUser) {}

/// Folders handed over to the student's user; dropped, they go back to
/// their owners (when asked for: see [`hand_over`]).
#[derive(Debug, Default)]
pub struct HandedOver {
    /// Each folder and the owner (uid, gid) it had.
    back: Vec<(PathBuf, u32, u32)>,
}

impl Drop for HandedOver {
    fn drop(&mut self) {
        for (folder, uid, gid) in &self.back {
            let _ = chown_all(folder, *uid, *gid);
        }
    }
}

/// Gives `user` the folders of `writable` (made if missing), each with
/// everything in it; `give_back`: they return to their owners when the
/// result is dropped (a build's work copy and target folder, which the
/// server that runs next must not write). Each folder's parents must let
/// others through (`o+x`): `Err` names the first that does not.
#[cfg(unix)]
pub fn hand_over(user: &StudentUser, writable: &[PathBuf], give_back: bool) -> Result<HandedOver, String> {
    let mut handed = HandedOver::default();
    for folder in writable {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot make {}: {e}", folder.display()))?;
        if let Some(parent) = folder.parent() {
            reachable(user, parent)?;
        }
        let owner = std::fs::symlink_metadata(folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        chown_all(folder, user.uid, user.gid)
            .map_err(|e| format!("cannot hand {} to the user {}: {e}", folder.display(), user.name))?;
        if give_back && owner.uid() != user.uid {
            handed.back.push((folder.clone(), owner.uid(), owner.gid()));
        }
    }
    Ok(handed)
}

/// No [`StudentUser`] exists but on Unix.
#[cfg(not(unix))]
pub fn hand_over(user: &StudentUser, _: &[PathBuf], _: bool) -> Result<HandedOver, String> {
    StudentUser::named(&user.name).map(|_| HandedOver::default())
}

/// `Err` unless `folder` and every folder above it let `user` through.
#[cfg(not(unix))]
pub fn reachable(_: &StudentUser, _: &Path) -> Result<(), String> {
    Ok(())
}

/// `Err` unless `folder` and every folder above it let `user` through.
#[cfg(unix)]
pub fn reachable(user: &StudentUser, folder: &Path) -> Result<(), String> {
    for on_the_way in folder.ancestors() {
        let Ok(metadata) = std::fs::metadata(on_the_way) else { continue };
        let through = metadata.permissions().mode() & 0o001 != 0
            || (metadata.uid() == user.uid && metadata.permissions().mode() & 0o100 != 0)
            || (metadata.gid() == user.gid && metadata.permissions().mode() & 0o010 != 0);
        if !through {
            return Err(format!(
                "the user {} cannot reach {}: {} is closed to it (chmod o+x {} lets it through)",
                user.name,
                folder.display(),
                on_the_way.display(),
                on_the_way.display()
            ));
        }
    }
    Ok(())
}

/// `chown -R`, never following a symbolic link (a link itself changes owner).
#[cfg(not(unix))]
fn chown_all(_: &Path, _: u32, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// `chown -R`, never following a symbolic link (a link itself changes owner),
/// and never into a repository's `.git` folder: the student's code must not
/// write it (a `core.fsmonitor` or a hook there runs at the next `git status`).
#[cfg(unix)]
fn chown_all(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.uid() != uid || metadata.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    }
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_name() != ".git" {
                chown_all(&entry.path(), uid, gid)?;
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;

    /// Where the tests run as root, runs the test `name` of this binary again
    /// as `nobody` (the path of a grader that is not root) and asserts it
    /// passed; as any other user, or in that second run, does nothing.
    pub(crate) fn run_again_as_nobody(name: &str) {
        if !running_as_root() || std::env::var_os("GRADER_TEST_AS_NOBODY").is_some() {
            return;
        }
        use std::os::unix::fs::PermissionsExt;
        // A copy nobody can run, wherever the kit sits (root's home is closed to it).
        let copy = tempfile::tempdir().unwrap();
        std::fs::set_permissions(copy.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let test = copy.path().join("grader-test");
        std::fs::copy(std::env::current_exe().unwrap(), &test).unwrap();
        let again = std::process::Command::new("setpriv")
            .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--"])
            .arg(&test)
            .args(["--exact", name])
            .env("GRADER_TEST_AS_NOBODY", "1")
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .output()
            .expect("setpriv");
        let said = String::from_utf8_lossy(&again.stdout);
        assert!(again.status.success() && said.contains("1 passed"), "as nobody:\n{said}");
    }

    /// `nobody` is on every Debian and Ubuntu machine: no test user to make.
    fn nobody() -> Option<StudentUser> {
        if !running_as_root() {
            eprintln!("warning: not root: the privilege drop cannot be tested here");
            return None;
        }
        Some(StudentUser::named("nobody").expect("the user nobody exists"))
    }

    #[tokio::test]
    async fn a_child_run_as_the_student_is_not_root_and_cannot_write_roots_folders() {
        let Some(user) = nobody() else { return };
        let closed = tempfile::tempdir().unwrap();
        std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let script = format!(
            "id -u; id -g; id -G; ulimit -u; ulimit -c; touch {}/planted 2>/dev/null && echo wrote",
            closed.path().display()
        );
        let mut command = Command::new("bash");
        command.args(["-c", &script]).current_dir("/").stdout(std::process::Stdio::piped());
        run_as(&mut command, &user);
        let output = crate::process::spawn(&mut command).unwrap().wait_with_output().await.unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = said.lines().collect();
        assert_eq!(
            lines[..5],
            [
                user.uid.to_string(),
                user.gid.to_string(),
                user.gid.to_string(),
                MAX_PROCESSES.to_string(),
                "0".to_owned()
            ],
            "{said}"
        );
        assert!(!said.contains("wrote") && !closed.path().join("planted").exists(), "{said}");
    }

    #[tokio::test]
    async fn handed_over_folders_are_writable_and_come_back() {
        let Some(user) = nobody() else { return };
        let scratch = tempfile::tempdir().unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let work = scratch.path().join("work");
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::write(work.join("src/a.rs"), "").unwrap();
        std::fs::create_dir_all(work.join(".git")).unwrap();
        std::fs::write(work.join(".git/config"), "[core]\n").unwrap();
        let handed = hand_over(&user, std::slice::from_ref(&work), true).unwrap();
        // The repository's git folder stays its owner's: the student's user cannot plant a command there.
        assert_eq!(std::fs::metadata(work.join(".git/config")).unwrap().uid(), 0);
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                "echo '\tfsmonitor = true' >> .git/config 2>/dev/null; touch src/a.rs new && echo wrote",
            ])
            .current_dir(&work);
        command.stdout(std::process::Stdio::piped());
        run_as(&mut command, &user);
        let output = crate::process::spawn(&mut command).unwrap().wait_with_output().await.unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "wrote");
        assert_eq!(std::fs::read_to_string(work.join(".git/config")).unwrap(), "[core]\n");
        drop(handed);
        for file in ["", "src", "src/a.rs", "new"] {
            assert_eq!(std::fs::metadata(work.join(file)).unwrap().uid(), 0, "{file} was not given back");
        }
    }

    #[test]
    fn a_closed_parent_is_named() {
        let Some(user) = nobody() else { return };
        let closed = tempfile::tempdir().unwrap();
        std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let why = hand_over(&user, &[closed.path().join("work")], false).unwrap_err();
        assert!(why.contains(&format!("{} is closed to it", closed.path().display())), "{why}");
    }

    #[test]
    fn unknown_and_privileged_users_are_refused() {
        assert!(StudentUser::named("no-such-user-of-the-grader").unwrap_err().contains("there is no user"));
        assert!(StudentUser::named("root").unwrap_err().contains("is privileged"));
        assert!(StudentUser::named("a\0b").unwrap_err().contains("NUL"));
    }
}
