//! Child processes the grader starts (cargo, the student's server, the
//! browser): each in a session and process group of its own, so that
//! stopping it stops everything it started, Ctrl-C in the terminal reaches
//! only the grader (which then cleans up), and no child can read from or hold
//! the terminal. On Linux each child also dies with the grader, however the
//! grader ends, and the grader adopts the orphans of its descendants: a
//! daemon that left its group for a session of its own is still found, and
//! ended, when the grade ends (see [`end_orphans`]).
//!
//! The group's id is the child's pid, recorded at spawn: the group can be
//! signalled even after its leader has exited and been reaped, when the
//! leader's pid is no longer known to the `Child`.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, MutexGuard};
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

/// Starts `command`, [`isolate`]d, as a child the grader knows it started.
pub fn spawn(command: &mut Command) -> std::io::Result<Child> {
    adopt_orphans();
    // Held across the spawn, so that no sweep sees the child before it is known.
    let mut started = started();
    let child = isolate(command).spawn()?;
    if let Some(pid) = child.id() {
        started.running.insert(pid);
        started.ever.insert(pid);
    }
    Ok(child)
}

/// Starts, with `start`, a child a program that uses this library manages
/// itself, in a group of its own but not through [`spawn`] (a test runner's
/// command with a time limit, say), and keeps every sweep of this process
/// off it and its group until the returned [`Claim`] is dropped. Without
/// it, a grade's sweep in the same process takes the child for an orphan
/// (its parent is this process, its group not this process's) and ends it.
/// `start` returns the child and its pid.
pub fn start_claimed<C>(start: impl FnOnce() -> std::io::Result<(C, u32)>) -> std::io::Result<(C, Claim)> {
    // Held across the start, so that no sweep sees the child before it is claimed.
    let mut started = started();
    let (child, pid) = start()?;
    started.running.insert(pid);
    Ok((child, Claim { pid }))
}

/// A child of the program's own, off the sweeps while this lives (see [`start_claimed`]).
#[derive(Debug)]
#[must_use = "the child is spared only while this lives"]
pub struct Claim {
    pid: u32,
}

impl Drop for Claim {
    fn drop(&mut self) {
        forget(self.pid);
    }
}

/// The children this process started itself, each the leader of its own
/// group, so a pid here is also a group id (see [`end_orphans`]).
#[derive(Debug, Default, Clone)]
struct Started {
    /// Not yet stopped: their groups are still theirs to manage.
    running: HashSet<u32>,
    /// Every one, stopped or not: a process left in one of these groups is
    /// a leftover of a group the grader killed itself, not a daemon.
    ever: HashSet<u32>,
}

static STARTED: LazyLock<Mutex<Started>> = LazyLock::new(Mutex::default);

fn started() -> MutexGuard<'static, Started> {
    STARTED.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget(pid: u32) {
    started().running.remove(&pid);
}

/// Makes this process the reaper of its descendants' orphans (Linux): a
/// process whose parent dies is re-parented to the grader, not to init, so a
/// daemon that detached into a session of its own is still the grader's to
/// find. Idempotent.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: prctl(2) with integer arguments has no memory effects.
        ONCE.call_once(|| unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong);
        });
    }
}

/// A process the grader ended because it outlived what started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub pid: u32,
    /// Its command line, as /proc shows it.
    pub command: String,
}

/// Ends every process the grader adopted (children it did not start itself:
/// daemons and leftovers of the processes it started, whose parents died),
/// with their process groups, reaps them, and says which were daemons: those
/// that left the groups the grader started. (A process still in such a
/// group, say the inner half of a sandbox the grader just stopped, was
/// killed with its group and is only being reaped.) The adopted processes'
/// own children are adopted in turn as their parents die, so this repeats
/// until none is left (a few rounds at most).
pub fn end_orphans() -> Vec<Orphan> {
    let mut ended: Vec<Orphan> = Vec::new();
    for _ in 0..20 {
        let orphans = adopted();
        if orphans.is_empty() {
            break;
        }
        for orphan in &orphans {
            #[cfg(unix)]
            // SAFETY: kill(2) has no memory effects; a negative pid names the group.
            unsafe {
                libc::kill(-(orphan.pid as libc::pid_t), libc::SIGKILL);
                libc::kill(orphan.pid as libc::pid_t, libc::SIGKILL);
            }
            let daemon = !orphan.command.is_empty() && !orphan.in_a_started_group;
            if daemon && !ended.iter().any(|o| o.pid == orphan.pid) {
                ended.push(Orphan { pid: orphan.pid, command: orphan.command.clone() });
            }
        }
        for orphan in &orphans {
            reap(orphan.pid);
        }
    }
    ended
}

/// [`end_orphans`] once a grade was dropped halfway (Ctrl-C, SIGTERM): its
/// groups were killed a moment ago, and what their processes started in
/// sessions of their own (a daemon) becomes this process's orphan only once
/// its parent has ended, every thread of it. So it first waits, `limit` at
/// most, until every child this process started has ended.
pub fn end_orphans_after_a_stop(limit: Duration) -> Vec<Orphan> {
    let deadline = std::time::Instant::now() + limit;
    let mut waiting: Vec<u32> = started().running.iter().copied().collect();
    while !waiting.is_empty() && std::time::Instant::now() < deadline {
        waiting.retain(|pid| !has_ended(*pid));
        std::thread::sleep(Duration::from_millis(10));
    }
    end_orphans()
}

/// Whether this process's child `pid` has ended, all its threads (or is no
/// child of this process). A multi-threaded child shows as a zombie in /proc
/// as soon as its first thread exits, while the others, which may be the
/// parents of its children, still run; wait(2) reports it only once all have.
/// The child is left for its owner to reap.
fn has_ended(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: waitid(2) with WNOWAIT fills the zeroed siginfo and reaps nothing.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
            if libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) != 0 {
                return true; // not (or no longer) a child of this process
            }
            info.si_pid() != 0
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Waits (a second at most) for a killed child of this process to end, and reaps it.
fn reap(pid: u32) {
    #[cfg(unix)]
    for _ in 0..100 {
        // SAFETY: waitpid(2) on one child, without blocking.
        let reaped = unsafe { libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) };
        if reaped != 0 {
            return; // reaped, or not (or no longer) this process's child
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A process as it was seen: its pid and its start time (in clock ticks
/// since boot), so that a pid used again by another process is never taken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pid: u32,
    started: u64,
}

/// `pid` and every process below it, now (Linux; empty elsewhere).
pub fn family_of(pid: u32) -> Vec<Seen> {
    let stats = proc_stats();
    let mut family: Vec<Seen> = stats.iter().filter(|s| s.pid == pid).map(ProcStat::seen).collect();
    let mut next = 0;
    while let Some(parent) = family.get(next).map(|s| s.pid) {
        next += 1;
        family.extend(stats.iter().filter(|s| s.parent == parent).map(ProcStat::seen));
    }
    family
}

/// Kills each process of `family` that still runs, and waits (at most
/// `limit`) until none does, reaping those that are, or become, this
/// process's children: what was started without [`spawn`] (the browser and
/// its helpers) ends before the grader does.
pub fn end_family(family: &[Seen], limit: Duration) {
    let me = std::process::id();
    let deadline = std::time::Instant::now() + limit;
    loop {
        let left: Vec<ProcStat> = proc_stats()
            .into_iter()
            .filter(|stat| family.contains(&stat.seen()))
            .filter(|stat| !stat.zombie || stat.parent == me)
            .collect();
        if left.is_empty() || std::time::Instant::now() >= deadline {
            return;
        }
        for stat in &left {
            #[cfg(unix)]
            // SAFETY: kill(2) and waitpid(2) on a process seen to be this one (pid and start time).
            unsafe {
                if !stat.zombie {
                    libc::kill(stat.pid as libc::pid_t, libc::SIGKILL);
                }
                if stat.parent == me {
                    libc::waitpid(stat.pid as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A helper that one of the grader's own programs starts in a session of
/// its own, left running while that program needs it. Chromium's crash
/// handler detaches itself as Chromium starts (a new session, its parent
/// gone), so the grader adopts it; a sweep for another grade in the same
/// process (the tests, `grader batch --jobs N`) would kill it while that
/// Chromium is still starting, and the Chromium then waits for it and never
/// answers. A helper is known by its executable (`/proc/PID/exe`, not the
/// name it gives itself) and by an argument only its program's launch gives
/// it (a folder made fresh for that launch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    /// The file name of the helper's executable ends with this.
    pub executable_suffix: &'static str,
    /// One of its arguments starts with this.
    pub argument_prefix: String,
}

impl Helper {
    fn is(&self, executable: &std::path::Path, words: &[String]) -> bool {
        let name = executable.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        name.ends_with(self.executable_suffix) && words.iter().any(|w| w.starts_with(&self.argument_prefix))
    }
}

/// The helpers no sweep ends while their guard lives (see [`spare`]).
static SPARED: LazyLock<Mutex<Vec<(u64, Helper)>>> = LazyLock::new(Mutex::default);

/// Spares the processes `helper` describes from every sweep until the
/// guard is dropped; the next sweep after that ends them as it ends any
/// orphan. Take it before starting the program whose helper it is.
pub fn spare(helper: Helper) -> Spared {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    SPARED.lock().unwrap_or_else(|e| e.into_inner()).push((id, helper));
    Spared { id }
}

/// While it lives, the helpers of one [`spare`] are left running.
#[derive(Debug)]
#[must_use = "the helpers are spared only while this lives"]
pub struct Spared {
    id: u64,
}

impl Drop for Spared {
    fn drop(&mut self) {
        SPARED.lock().unwrap_or_else(|e| e.into_inner()).retain(|(id, _)| *id != self.id);
    }
}

/// Whether the process `pid`, running `words`, is a helper spared now.
fn is_spared(pid: u32, words: &[String]) -> bool {
    let spared = SPARED.lock().unwrap_or_else(|e| e.into_inner());
    if spared.is_empty() {
        return false;
    }
    let Ok(executable) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    spared.iter().any(|(_, helper)| helper.is(&executable, words))
}

/// A child of this process that it did not start itself.
struct Adopted {
    pid: u32,
    /// Its command line; empty for a zombie.
    command: String,
    /// It is in a group the grader started and has since stopped.
    in_a_started_group: bool,
}

/// The children of this process that it did not start (Linux; empty
/// elsewhere): re-parented to it, and in a process group not its own (what
/// it starts without [`spawn`], such as the browser, stays in its group)
/// nor one of a child still running (which is that child's to manage).
/// Zombies are included (with no command line), so that they get reaped.
fn adopted() -> Vec<Adopted> {
    let me = std::process::id();
    // SAFETY: getpgrp(2) has no preconditions.
    #[cfg(unix)]
    let my_group = unsafe { libc::getpgrp() } as u32;
    #[cfg(not(unix))]
    let my_group = 0;
    let started = started().clone();
    proc_stats()
        .into_iter()
        .filter(|stat| stat.parent == me && stat.group != my_group)
        // The grader's own children are reaped by whoever waits for them.
        .filter(|stat| !started.running.contains(&stat.pid))
        // An orphan that ended is always reaped, whatever its group (a sandbox's inner process once the
        // build is over): left, it would stay a zombie for the whole session of `grader watch`.
        .filter(|stat| stat.zombie || !started.running.contains(&stat.group))
        .filter_map(|stat| {
            let raw = std::fs::read(format!("/proc/{}/cmdline", stat.pid)).unwrap_or_default();
            let words: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into())
                .collect();
            if !stat.zombie && is_spared(stat.pid, &words) {
                return None;
            }
            let command = if stat.zombie { String::new() } else { words.join(" ") };
            Some(Adopted { pid: stat.pid, command, in_a_started_group: started.ever.contains(&stat.group) })
        })
        .collect()
}

/// What /proc/PID/stat says of a process.
struct ProcStat {
    pid: u32,
    parent: u32,
    group: u32,
    /// Ended, not yet reaped.
    zombie: bool,
    /// When it started, in clock ticks since boot.
    started: u64,
}

impl ProcStat {
    fn seen(&self) -> Seen {
        Seen { pid: self.pid, started: self.started }
    }
}

/// Every process of the machine as /proc shows it (Linux; empty elsewhere).
fn proc_stats() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // After the command's name in parentheses: state, parent, process group.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let state = fields.first()?;
            let parent = fields.get(1)?.parse().ok()?;
            let group = fields.get(2)?.parse().ok()?;
            // Field 22 of stat, the 20th after the name.
            let started = fields.get(19)?.parse().ok()?;
            Some(ProcStat { pid, parent, group, zombie: *state == "Z" || *state == "X", started })
        })
        .collect()
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
        proc_stats()
            .into_iter()
            .filter(|stat| stat.group == self.0 && !stat.zombie)
            .map(|stat| stat.pid)
            .collect()
    }

    /// Kills the group when dropped: for a grade dropped halfway (Ctrl-C, a
    /// deadline), the build's compilers and the server's helpers go too.
    pub fn guard(self) -> GroupGuard {
        GroupGuard(self)
    }
}

/// Kills its group when dropped (see [`Group::guard`]).
#[derive(Debug)]
pub struct GroupGuard(Group);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.0.kill();
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
    if let Some(Group(pid)) = group {
        forget(pid);
    }
    clean
}

#[cfg(all(test, target_os = "linux"))]
pub(crate) mod tests {
    use super::*;

    /// A build's sandbox leaves its inner process behind when its leader
    /// exits: re-parented to the grader, it ends, and must be reaped by the
    /// next sweep even though its leader was waited for, not stopped.
    #[tokio::test]
    async fn an_orphan_that_ended_is_reaped_though_its_leader_was_only_waited_for() {
        let _turn = SWEEPS.lock().await;
        adopt_orphans();
        let mut command = Command::new("sh");
        command.args(["-c", "sh -c 'sleep 0.2' & echo $!"]).stdout(std::process::Stdio::piped());
        let child = spawn(&mut command).unwrap();
        let output = child.wait_with_output().await.unwrap();
        let orphan: u32 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await; // it has ended: a zombie of the grader's
        let zombie =
            || std::fs::read_to_string(format!("/proc/{orphan}/stat")).is_ok_and(|s| s.contains(") Z "));
        assert!(zombie(), "the orphan should be the grader's zombie by now");
        end_orphans();
        assert!(!zombie(), "the ended orphan was left unreaped");
    }

    /// A leader that exits at once, leaving a child of its own behind in its group.
    #[tokio::test]
    async fn the_group_is_killed_after_its_leader_is_reaped() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & echo started"]).stdout(std::process::Stdio::piped());
        let mut child = spawn(&mut command).unwrap();
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
        let output = spawn(&mut command).unwrap().wait_with_output().await.unwrap();
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(said.contains("/dev/null"), "{said}");
        assert!(said.lines().last().is_some_and(|tty| tty.trim() == "0"), "{said}");
    }

    /// The tests that sweep for orphans take turns: a sweep ends every
    /// orphan of this process, another test's included (under `cargo test`,
    /// the tests are threads of one process).
    pub(crate) static SWEEPS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// `setsid` takes the daemon out of the group; its parent then exits.
    #[tokio::test]
    async fn a_daemon_in_a_session_of_its_own_is_found_and_ended() {
        let _turn = SWEEPS.lock().await;
        let mut command = Command::new("sh");
        command
            .args(["-c", "setsid sleep 312 >/dev/null 2>&1 & echo $!"])
            .stdout(std::process::Stdio::piped());
        let output = spawn(&mut command).unwrap().wait_with_output().await.unwrap();
        let daemon: u32 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stat = std::fs::read_to_string(format!("/proc/{daemon}/stat")).unwrap();
        assert!(stat.contains("(sleep)"), "{stat}");
        let ended = end_orphans();
        assert!(ended.iter().any(|o| o.pid == daemon && o.command == "sleep 312"), "{ended:?}");
        assert!(std::fs::metadata(format!("/proc/{daemon}")).is_err(), "the daemon still runs");
    }

    /// A detached helper of the grader's own program (as Chromium's crash
    /// handler is) outlives every sweep while it is spared, and no longer;
    /// a process with the same executable but not the launch's argument is
    /// not spared.
    #[tokio::test]
    async fn a_spared_helper_outlives_the_sweeps_until_its_guard_is_dropped() {
        let _turn = SWEEPS.lock().await;
        let folder = tempfile::tempdir().unwrap();
        // A shell named as the helper: `sleep; :` keeps it from exec'ing into `sleep`.
        let helper = folder.path().join("chrome_crashpad_handler");
        std::fs::copy("/bin/sh", &helper).unwrap();
        let detach = |argument: &str| {
            let line = format!(
                "setsid '{}' -c 'sleep 314; :' '{argument}' >/dev/null 2>&1 & echo $!",
                helper.display()
            );
            let mut command = Command::new("sh");
            command.args(["-c", &line]).stdout(std::process::Stdio::piped());
            async move {
                let output = spawn(&mut command).unwrap().wait_with_output().await.unwrap();
                String::from_utf8_lossy(&output.stdout).trim().parse::<u32>().unwrap()
            }
        };
        let launch = format!("--database={}/launch/", folder.path().display());
        let spared =
            spare(Helper { executable_suffix: "_crashpad_handler", argument_prefix: launch.clone() });
        let ours = detach(&format!("{launch}Crash Reports")).await;
        let other = detach("--database=/elsewhere/Crash Reports").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let running = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
        };
        assert!(running(ours) && running(other));
        let ended = end_orphans();
        assert!(running(ours), "the spared helper was ended: {ended:?}");
        assert!(!running(other), "a look-alike without the launch's argument was spared: {ended:?}");
        drop(spared);
        let ended = end_orphans();
        assert!(ended.iter().any(|o| o.pid == ours), "{ended:?}");
        assert!(!running(ours), "the helper outlived its guard");
    }

    /// A child the program started itself in a group of its own is ended by
    /// a sweep as an orphan would be, unless it is claimed: then not while
    /// the claim lives.
    #[tokio::test]
    async fn a_claimed_child_of_the_programs_own_outlives_the_sweeps_while_claimed() {
        let _turn = SWEEPS.lock().await;
        adopt_orphans();
        let own = || {
            let mut command = std::process::Command::new("sleep");
            command.arg("316");
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let child = command.spawn()?;
            let pid = child.id();
            Ok((child, pid))
        };
        let running = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
        };
        let (mut unclaimed, pid) = own().unwrap();
        end_orphans();
        assert!(!running(pid), "an unclaimed child in a group of its own is taken for an orphan");
        let _ = unclaimed.wait();
        let (mut child, claim) = start_claimed(own).unwrap();
        let pid = child.id();
        let ended = end_orphans();
        assert!(running(pid), "a sweep ended a claimed child: {ended:?}");
        drop(claim);
        end_orphans();
        assert!(!running(pid), "the child outlived its claim's sweep");
        let _ = child.wait();
    }

    /// What a sandbox leaves for a moment once stopped: a process of the
    /// stopped child's group, re-parented to the grader. It is ended, not
    /// named; while its group's leader is still running it is not touched.
    #[tokio::test]
    async fn a_leftover_of_a_started_group_is_ended_but_not_named() {
        let _turn = SWEEPS.lock().await;
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 313 >/dev/null 2>&1 & echo $!"]).stdout(std::process::Stdio::piped());
        let mut child = spawn(&mut command).unwrap();
        let group = Group::of(&child).unwrap();
        let mut said = String::new();
        tokio::io::AsyncReadExt::read_to_string(child.stdout.as_mut().unwrap(), &mut said).await.unwrap();
        let leftover: u32 = said.trim().parse().unwrap();
        let _ = child.wait().await; // the leader is reaped; the sleep is adopted
        let ended = end_orphans();
        assert!(!ended.iter().any(|o| o.pid == leftover), "{ended:?}");
        assert!(
            std::fs::metadata(format!("/proc/{leftover}")).is_ok(),
            "a running child's group was touched"
        );
        forget(group.0); // as `stop` does, without killing the group
        let ended = end_orphans();
        assert!(!ended.iter().any(|o| o.pid == leftover), "named as a daemon: {ended:?}");
        assert!(std::fs::metadata(format!("/proc/{leftover}")).is_err(), "the leftover still runs");
    }
}
