//! Child processes the grader starts (cargo, the student's server, the
//! browser): each in its own process group, so that stopping it stops
//! everything it started, and so that Ctrl-C in the terminal reaches the
//! grader, which then cleans up, rather than killing children half-way.

use std::time::Duration;

use tokio::process::{Child, Command};

/// Makes `command` start a new process group (on Unix) and be killed if the
/// grader drops it without stopping it.
pub fn isolate(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    command.process_group(0);
    command.kill_on_drop(true)
}

/// Sends `signal` to the child's whole process group.
#[cfg(unix)]
fn signal_group(child: &Child, signal: libc::c_int) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) has no memory effects; a negative pid names the group.
        unsafe {
            libc::kill(-(pid as libc::pid_t), signal);
        }
    }
}

/// Stops the child's process group: SIGTERM, then SIGKILL after `grace`, and
/// reaps the child. Returns whether it stopped on SIGTERM.
pub async fn stop(child: &mut Child, grace: Duration) -> bool {
    if child.try_wait().ok().flatten().is_some() {
        kill_now(child);
        return true;
    }
    #[cfg(unix)]
    {
        signal_group(child, libc::SIGTERM);
        if tokio::time::timeout(grace, child.wait()).await.is_ok() {
            kill_now(child); // anything the child left behind in its group
            return true;
        }
    }
    #[cfg(not(unix))]
    let _ = grace;
    kill_now(child);
    let _ = child.wait().await;
    false
}

/// SIGKILL to the whole group, at once, without waiting (usable from `Drop`).
pub fn kill_now(child: &mut Child) {
    #[cfg(unix)]
    signal_group(child, libc::SIGKILL);
    let _ = child.start_kill();
}
