//! Stage 2: boot the built server on a free port and a fresh database, and
//! stop it again. The grader owns the process: it can restart it on the same
//! database, and it leaves nothing running behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Child;
use tokio::sync::mpsc;

use crate::forward::{self, Forwarder};
use crate::process;
use crate::sandbox::{Containment, Jail};

/// How to start the server.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub executable: PathBuf,
    /// The SQLite file the server uses; kept across restarts.
    pub database: PathBuf,
    /// The folder the server runs in.
    pub working_dir: PathBuf,
    pub boot_timeout: Duration,
    /// How long a stopping server gets after SIGTERM before SIGKILL.
    pub stop_grace: Duration,
    pub containment: Containment,
}

/// A running server.
pub struct Server {
    child: Child,
    group: Option<process::Group>,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    log: ServerLog,
    stop_grace: Duration,
    /// The way in from the machine's loopback, for a server in a network of its own.
    _forwarder: Option<Forwarder>,
}

/// Everything the server printed, shared with the tasks that read its pipes,
/// and whether its output has ended (it has stopped). A flood of output costs
/// a bounded amount: the first lines (the launch and its route table) and the
/// last ones are kept, each cut to a few KiB, and the rest only counted.
#[derive(Clone, Default)]
pub struct ServerLog(Arc<Mutex<Lines>>, Arc<std::sync::atomic::AtomicBool>);

/// How many of the first and of the last lines a log keeps, and how long a line may be.
const KEEP_FIRST: usize = 500;
const KEEP_LAST: usize = 2000;
pub const MAX_LINE_BYTES: usize = 4096;

#[derive(Default)]
struct Lines {
    first: Vec<String>,
    /// The last lines, each with its number among all lines printed.
    last: std::collections::VecDeque<(usize, String)>,
    total: usize,
}

impl ServerLog {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let number = lines.total;
        lines.total += 1;
        if lines.first.len() < KEEP_FIRST {
            lines.first.push(line);
            return;
        }
        if lines.last.len() == KEEP_LAST {
            lines.last.pop_front();
        }
        lines.last.push_back((number, line));
    }

    /// Whether the server's standard output has ended: the process is gone.
    pub fn ended(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many lines were printed so far: a mark for [`ServerLog::since`].
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines printed after `mark` that the log kept (a line in place of
    /// those it dropped says how many).
    pub fn since(&self, mark: usize) -> Vec<String> {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut kept: Vec<String> = lines.first.iter().skip(mark).cloned().collect();
        let dropped_before = lines.last.front().map_or(lines.total, |(n, _)| *n);
        let gap = dropped_before.saturating_sub(mark.max(lines.first.len()));
        if gap > 0 {
            kept.push(format!("[… {gap} lines of output not kept …]"));
        }
        kept.extend(lines.last.iter().filter(|(n, _)| *n >= mark).map(|(_, l)| l.clone()));
        kept
    }

    /// The routes the server mounted, as Rocket lists them at launch
    /// (`>> (create_session) POST /api/sessions application/json`).
    pub fn routes(&self) -> Vec<Route> {
        let lines = self.since(0);
        let Some(start) = lines.iter().position(|l| l.trim_end() == "Routes:") else {
            return Vec::new();
        };
        lines[start + 1..]
            .iter()
            .map_while(|l| l.trim_start().strip_prefix(">> "))
            .filter_map(Route::parse)
            .collect()
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let all = self.since(self.len().saturating_sub(n));
        all[all.len().saturating_sub(n)..].to_vec()
    }
}

/// A route the server mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The handler's name: `create_session`.
    pub handler: String,
    pub method: String,
    /// The path without its query: `/api/rooms/<room>/messages`.
    pub path: String,
}

impl Route {
    /// From Rocket's `(handler) METHOD /path?<query> format` (file servers and the like are left out).
    fn parse(line: &str) -> Option<Route> {
        let rest = line.strip_prefix('(')?;
        let (handler, rest) = rest.split_once(") ")?;
        let mut words = rest.split_whitespace();
        let (method, path) = (words.next()?, words.next()?);
        if !path.starts_with('/') || !method.chars().all(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let path = path.split('?').next().unwrap_or(path).to_owned();
        Some(Route { handler: handler.to_owned(), method: method.to_owned(), path })
    }
}

/// Why the server is not up.
#[derive(Debug, Clone)]
pub enum BootFailure {
    /// The process could not be started at all (the grader's or the machine's trouble).
    Spawn(String),
    /// It exited before it was ready: usually a panic at start-up.
    Exited { status: String, log_tail: Vec<String> },
    /// It did not say it was listening within the limit.
    Timeout { limit: Duration, log_tail: Vec<String> },
    /// It announced an address it does not listen on (perhaps another server's).
    NotItsPort { announced: String, log_tail: Vec<String> },
}

impl Server {
    /// Starts the server and waits for its "ready" line.
    pub async fn start(spec: &ServerSpec) -> Result<Server, BootFailure> {
        let database = spec.database.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
        // The server sees none of the grader's environment (no tokens, no stray
        // ROCKET_* that would change the grade), and has a home of its own.
        let home = spec.database.with_file_name("server-home");
        let _ = std::fs::create_dir_all(&home);
        // The database's folder, which the server may write (bubblewrap binds only what is there).
        if let Some(folder) = spec.database.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        // In the sandbox, a network of its own when the grader can reach into it.
        let own_network = spec.containment.is_sandboxed() && forward::can_enter_namespaces();
        let jail = Jail {
            writable: spec.database.parent().map(Path::to_path_buf).into_iter().collect(),
            readable: spec
                .executable
                .parent()
                .map(Path::to_path_buf)
                .into_iter()
                .chain([spec.working_dir.clone()])
                .collect(),
            home,
            cwd: spec.working_dir.clone(),
            toolchain: false,
            network: !own_network,
        };
        // The server's folders stay its user's: the grader only reads them, and removes them.
        spec.containment.hand_over(&jail, false).map_err(BootFailure::Spawn)?;
        let mut command = spec.containment.command(spec.executable.as_os_str(), &[], &jail);
        command
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", "0") // the system picks a free port: no races, no collisions
            .env("ROCKET_DATABASES", format!("{{chat={{url=\"{database}\"}}}}"))
            .env("ROCKET_CLI_COLORS", "false")
            .env("ROCKET_LOG_LEVEL", "normal")
            .env("ROCKET_SHUTDOWN", "{grace=1,mercy=1}")
            .env("RUST_BACKTRACE", "0") // a report quotes the panic message, not 70 frames
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        limit_file_size(&mut command, MAX_FILE_BYTES);
        let mut child = process::spawn(&mut command)
            .map_err(|e| BootFailure::Spawn(format!("cannot start {}: {e}", spec.executable.display())))?;
        let group = process::Group::of(&child);
        let log = ServerLog::default();
        let (ready_tx, mut ready_rx) = mpsc::channel::<String>(1);
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(read_lines(stdout, log.clone(), Some(ready_tx)));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(read_lines(stderr, log.clone(), None));
        }
        let waited = tokio::time::timeout(spec.boot_timeout, async {
            tokio::select! {
                Some(base_url) = ready_rx.recv() => Ok(base_url),
                status = child.wait() => Err(status),
            }
        })
        .await;
        match waited {
            Ok(Ok(base_url)) => {
                // The grader talks only to this machine's loopback, and only to a port this server listens on.
                if !names_loopback(&base_url) {
                    process::stop(&mut child, group, spec.stop_grace).await;
                    return Err(BootFailure::NotItsPort { announced: base_url, log_tail: log.tail(15) });
                }
                let port = base_url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                if let (Some(group), Some(port)) = (group, port) {
                    if listens_on(group, port) == Some(false) {
                        process::stop(&mut child, Some(group), spec.stop_grace).await;
                        return Err(BootFailure::NotItsPort { announced: base_url, log_tail: log.tail(15) });
                    }
                }
                let mut server =
                    Server { child, group, base_url, log, stop_grace: spec.stop_grace, _forwarder: None };
                if own_network {
                    let inside =
                        group.into_iter().flat_map(process::Group::members).find_map(forward::namespace_of);
                    let forwarded = match (inside, port) {
                        (Some(namespace), Some(port)) => {
                            Forwarder::start(&namespace, port).await.map_err(|e| e.to_string())
                        }
                        _ => Err("its network namespace is gone".into()),
                    };
                    match forwarded {
                        Ok(forwarder) => {
                            server.base_url = forwarder.base_url.clone();
                            server._forwarder = Some(forwarder);
                        }
                        Err(why) => {
                            server.stop().await;
                            return Err(BootFailure::Spawn(format!(
                                "cannot reach the sandboxed server: {why}"
                            )));
                        }
                    }
                }
                Ok(server)
            }
            Ok(Err(status)) => {
                // Let the readers drain the pipes so the panic message is in the log.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                // Whatever it started before it exited does not outlive it.
                if let Some(group) = group {
                    group.kill();
                }
                Err(BootFailure::Exited { status, log_tail: log.tail(15) })
            }
            Err(_) => {
                process::stop(&mut child, group, spec.stop_grace).await;
                Err(BootFailure::Timeout { limit: spec.boot_timeout, log_tail: log.tail(15) })
            }
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after the grace period) and reaps it.
    pub async fn stop(&mut self) -> bool {
        process::stop(&mut self.child, self.group, self.stop_grace).await
    }

    pub fn log(&self) -> &ServerLog {
        &self.log
    }

    /// `base_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(group) = self.group {
            group.kill();
        }
        let _ = self.child.start_kill();
    }
}

/// Whether a process of `group` has a listening TCP socket on `port` (Linux,
/// from /proc; `None` where that cannot be known).
fn listens_on(group: process::Group, port: u16) -> Option<bool> {
    let members = group.members();
    let mut listening = Vec::new();
    // Each member's own view: in the sandbox the server has a network of its own.
    let tables = members.iter().flat_map(|pid| ["tcp", "tcp6"].map(|t| format!("/proc/{pid}/net/{t}")));
    for table in tables {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for row in text.lines().skip(1) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let row_port = local.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if *state == "0A" && row_port == Some(port) {
                listening.push(format!("socket:[{inode}]"));
            }
        }
    }
    if members.is_empty() {
        return None;
    }
    let owns = members.iter().any(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd")).into_iter().flatten().flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| listening.iter().any(|s| target.as_os_str() == s.as_str()))
        })
    });
    Some(owns)
}

/// Copies a pipe into the log, and reports the server's address from the ready line.
async fn read_lines(pipe: impl AsyncRead + Unpin, log: ServerLog, ready: Option<mpsc::Sender<String>>) {
    for_each_line(pipe, |line| {
        if let (Some(ready), Some(address)) = (&ready, ready_address(&line)) {
            let _ = ready.try_send(address);
        }
        log.push(line);
    })
    .await;
    // The reader of standard output (the one that looks for the ready line) marks its end.
    if ready.is_some() {
        log.1.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Calls `f` with each line of `pipe` (without its line ending), each cut at
/// [`MAX_LINE_BYTES`] with the number of bytes cut said: a line of
/// megabytes costs no more memory than a short one.
pub async fn for_each_line(pipe: impl AsyncRead + Unpin, mut f: impl FnMut(String)) {
    for_each_line_up_to(pipe, MAX_LINE_BYTES, &mut f).await
}

/// [`for_each_line`], with lines cut at `max_line` bytes.
pub async fn for_each_line_up_to(pipe: impl AsyncRead + Unpin, max_line: usize, mut f: impl FnMut(String)) {
    let mut reader = BufReader::new(pipe);
    let mut line: Vec<u8> = Vec::new();
    let mut cut = 0usize;
    let mut emit = |line: &mut Vec<u8>, cut: &mut usize| {
        let mut text = String::from_utf8_lossy(line).trim_end_matches('\r').to_owned();
        if *cut > 0 {
            text.push_str(&format!(" [… {cut} more bytes]"));
        }
        f(text);
        line.clear();
        *cut = 0;
    };
    loop {
        let chunk = match reader.fill_buf().await {
            Ok(chunk) if !chunk.is_empty() => chunk,
            _ => break,
        };
        let newline = chunk.iter().position(|b| *b == b'\n');
        let taken = newline.unwrap_or(chunk.len());
        let room = max_line.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..taken.min(room)]);
        cut += taken.saturating_sub(room);
        reader.consume(taken + usize::from(newline.is_some()));
        if newline.is_some() {
            emit(&mut line, &mut cut);
        }
    }
    if !line.is_empty() || cut > 0 {
        emit(&mut line, &mut cut);
    }
}

/// The largest file the server may write (its database is a few KiB): past
/// it, the write fails (and `SIGXFSZ` ends a server that does not expect it),
/// so a server cannot fill the disk of the machine that grades it.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Sets `RLIMIT_FSIZE` for `command` and all it starts.
fn limit_file_size(command: &mut tokio::process::Command, bytes: u64) {
    #[cfg(unix)]
    // SAFETY: setrlimit(2) only, as pre_exec requires.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `http://127.0.0.1:PORT` from "Chatroom ready at http://127.0.0.1:PORT/".
fn ready_address(line: &str) -> Option<String> {
    // The kit manifest's ready line, such as "Chatroom ready at http://".
    let ready = &crate::kit::kit().server.ready_line;
    let rest = &line[line.find(ready.as_str())? + ready.len()..];
    let host_port = rest.split(['/', ' ']).next()?;
    let (_, port) = host_port.rsplit_once(':')?;
    port.parse::<u16>().ok().filter(|p| *p != 0)?;
    Some(format!("http://{host_port}"))
}

/// Whether `http://HOST:PORT` names this machine's loopback: `127.x.x.x`,
/// `[::1]` or `localhost`. Any other host is another machine, or this one
/// through an address the sandbox's network does not have.
fn names_loopback(base_url: &str) -> bool {
    let Some(host_port) = base_url.strip_prefix("http://") else { return false };
    let Some((host, _)) = host_port.rsplit_once(':') else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::{names_loopback, ready_address};

    #[test]
    fn only_a_loopback_host_is_taken_from_the_ready_line() {
        for good in
            ["http://127.0.0.1:8000", "http://127.8.0.1:1", "http://[::1]:8000", "http://localhost:80"]
        {
            assert!(names_loopback(good), "{good}");
        }
        for bad in [
            "http://0.0.0.0:8000",
            "http://10.0.0.5:8000",
            "http://example.org:80",
            "http://[::]:80",
            "127.0.0.1:80",
        ] {
            assert!(!names_loopback(bad), "{bad}");
        }
    }

    /// A stand-in server: a script that writes down its environment and says it is ready.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_server_sees_no_secrets_and_no_stray_settings() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().unwrap();
        let script = scratch.path().join("server.sh");
        let seen = scratch.path().join("env.txt");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nenv > '{}'\necho 'Chatroom ready at http://127.0.0.1:4242/'\nexec sleep 30\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::env::set_var("GRADER_TEST_SECRET_TOKEN", "hunter2");
        std::env::set_var("ROCKET_SESSION_LIFETIME", "1");
        let spec = super::ServerSpec {
            executable: script,
            database: scratch.path().join("db.sqlite3"),
            working_dir: scratch.path().to_path_buf(),
            boot_timeout: std::time::Duration::from_secs(10),
            stop_grace: std::time::Duration::from_secs(1),
            containment: crate::sandbox::Containment::off("a test"),
        };
        // The stand-in listens nowhere, so it is refused once it announces
        // itself; it wrote its environment down first.
        if let Ok(mut server) = super::Server::start(&spec).await {
            server.stop().await;
        }
        let env = std::fs::read_to_string(&seen).unwrap();
        assert!(!env.contains("hunter2") && !env.contains("ROCKET_SESSION_LIFETIME"), "{env}");
        assert!(env.contains("ROCKET_PORT=0") && env.contains("PATH="), "{env}");
        assert!(env.contains(&format!("HOME={}", scratch.path().join("server-home").display())), "{env}");
    }

    /// A server that announces another process's port is not graded there.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_server_announcing_a_port_it_does_not_own_does_not_boot() {
        use std::os::unix::fs::PermissionsExt;
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // someone else's server
        let port = other.local_addr().unwrap().port();
        let scratch = tempfile::tempdir().unwrap();
        let script = scratch.path().join("server.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho 'Chatroom ready at http://127.0.0.1:{port}/'\nexec sleep 30\n"),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let spec = super::ServerSpec {
            executable: script,
            database: scratch.path().join("db.sqlite3"),
            working_dir: scratch.path().to_path_buf(),
            boot_timeout: std::time::Duration::from_secs(10),
            stop_grace: std::time::Duration::from_secs(1),
            containment: crate::sandbox::Containment::off("a test"),
        };
        match super::Server::start(&spec).await {
            Err(super::BootFailure::NotItsPort { announced, .. }) => {
                assert!(announced.ends_with(&port.to_string()))
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("graded a port the server does not own"),
        }
    }

    /// A flood of output, and a line of megabytes, cost a bounded log.
    #[tokio::test]
    async fn a_flood_of_output_is_bounded() {
        let mut flood = Vec::new();
        for i in 0..10_000 {
            flood.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        flood.extend(std::iter::repeat_n(b'x', 8 * 1024 * 1024));
        flood.extend_from_slice(b"\nChatroom ready at http://127.0.0.1:4242/\n");
        let log = super::ServerLog::default();
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        super::read_lines(&flood[..], log.clone(), Some(tx)).await;
        assert_eq!(rx.recv().await.as_deref(), Some("http://127.0.0.1:4242"));
        assert_eq!(log.len(), 10_002);
        assert!(log.ended());
        let kept = log.since(0);
        assert!(kept.len() <= super::KEEP_FIRST + super::KEEP_LAST + 1, "{}", kept.len());
        assert_eq!(kept[0], "line 0");
        assert!(kept.iter().any(|l| l.starts_with("[… ") && l.contains("lines of output not kept")));
        let long = kept.iter().find(|l| l.starts_with("xxx")).unwrap();
        assert!(long.len() < super::MAX_LINE_BYTES + 100 && long.ends_with("more bytes]"), "{}", long.len());
        assert_eq!(log.tail(1), ["Chatroom ready at http://127.0.0.1:4242/"]);
        assert_eq!(log.since(10_001), ["Chatroom ready at http://127.0.0.1:4242/"]);
    }

    #[test]
    fn reads_the_route_table() {
        let log = super::ServerLog::default();
        for line in [
            "Routes:",
            "   >> (index) GET /?<room>",
            "   >> (create_session) POST /api/sessions application/json",
            "   >> (FileServer: static) GET /static/<path..> [10]",
            "Catchers:",
            "   >> (json_error) default",
        ] {
            log.push(line.to_owned());
        }
        let routes = log.routes();
        assert_eq!(routes.len(), 3);
        assert_eq!((routes[1].handler.as_str(), routes[1].method.as_str()), ("create_session", "POST"));
        assert_eq!(routes[0].path, "/");
    }

    #[test]
    fn reads_the_address_from_the_ready_line() {
        assert_eq!(
            ready_address("Chatroom ready at http://127.0.0.1:41234/").as_deref(),
            Some("http://127.0.0.1:41234")
        );
        assert_eq!(ready_address("Rocket has launched from http://127.0.0.1:8000"), None);
        assert_eq!(ready_address("Chatroom ready at http://127.0.0.1:0/"), None);
    }
}
