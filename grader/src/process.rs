//! Child processes the grader starts (cargo, the student's server): each in
//! a session and process group of its own, so that stopping it stops
//! everything it started, Ctrl-C in the terminal reaches only the grader
//! (which then cleans up), and no child can read from or hold the terminal.
//! On Linux each child also dies with the grader, however the grader ends.
//!
//! The group's id is the child's pid, recorded at spawn: the group can be
//! signalled even after its leader has exited and been reaped, when the
//! leader's pid is no longer known to the `Child`.

use std::time::Duration;

use tokio::process::{Child, Command};

/// Makes `command` start in a new session (so a new process group, with no
/// controlling terminal), die with the grader on Linux, and be killed if the
/// grader drops it without stopping it.
pub fn isolate(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    // SAFETY: setsid(2) and prctl(2) are async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            Ok(())
        });
    }
    command.stdin(std::process::Stdio::null()).kill_on_drop(true)
}

/// A child's process group: what the child started, for as long as any of it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group(u32);

impl Group {
    /// The group a child started by [`isolate`] leads (its id is the child's pid).
    pub fn of(child: &Child) -> Option<Group> {
        child.id().map(Group)
    }

    /// Sends `signal` to every process left in the group.
    #[cfg(unix)]
    fn signal(self, signal: libc::c_int) {
        // SAFETY: kill(2) has no memory effects; a negative pid names the group.
        unsafe {
            libc::kill(-(self.0 as libc::pid_t), signal);
        }
    }

    /// SIGKILL to the whole group, at once, without waiting (usable from `Drop`).
    pub fn kill(self) {
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
    }

    /// The processes of the group still running (zombies, which have ended,
    /// left out): Linux reads /proc; elsewhere nothing is known.
    pub fn members(self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                // After the command's name in parentheses: state, parent, process group.
                let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
                let state = fields.next()?;
                let group: u32 = fields.nth(1)?.parse().ok()?;
                (group == self.0 && state != "Z" && state != "X").then_some(pid)
            })
            .collect()
    }
}

/// Stops the child's process group: SIGTERM, then SIGKILL after `grace`;
/// reaps the child and kills whatever is left of its group, even once the
/// child itself is gone. Returns whether the child stopped on SIGTERM.
pub async fn stop(child: &mut Child, group: Option<Group>, grace: Duration) -> bool {
    let exited_already = child.try_wait().ok().flatten().is_some();
    #[cfg(unix)]
    if let (false, Some(group)) = (exited_already, group) {
        group.signal(libc::SIGTERM);
    }
    #[cfg(not(unix))]
    let _ = grace;
    let clean = exited_already || tokio::time::timeout(grace, child.wait()).await.is_ok();
    // Anything the child started and left behind in its group goes too.
    if let Some(group) = group {
        group.kill();
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    clean
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A leader that exits at once, leaving a child of its own behind in its group.
    #[tokio::test]
    async fn the_group_is_killed_after_its_leader_is_reaped() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & echo started"]).stdout(std::process::Stdio::piped());
        let mut child = isolate(&mut command).spawn().unwrap();
        let group = Group::of(&child);
        let _ = child.wait().await; // the leader is gone, and reaped
        assert!(!group.unwrap().members().is_empty(), "the sleep should still be running in the group");
        stop(&mut child, group, Duration::from_millis(100)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(group.unwrap().members(), Vec::<u32>::new(), "the group outlived stop()");
    }

    #[tokio::test]
    async fn children_have_no_terminal_and_read_nothing() {
        let mut command = Command::new("sh");
        // `ps -o tty=` says `?` with no controlling terminal; stdin is /dev/null.
        // Field 7 of /proc/PID/stat is the controlling terminal: 0 for none.
        command
            .args(["-c", "cat; readlink /proc/self/fd/0; cut -d' ' -f7 /proc/self/stat"])
            .stdout(std::process::Stdio::piped());
        let output = isolate(&mut command).spawn().unwrap().wait_with_output().await.unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(said.contains("/dev/null"), "{said}");
        assert!(said.lines().last().is_some_and(|tty| tty.trim() == "0"), "{said}");
    }
}
