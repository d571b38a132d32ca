//! Stage 2: boot the built server on a free port and a fresh database, and
//! stop it again. The grader owns the process: it can restart it on the same
//! database, and it leaves nothing running behind.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::process;

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
}

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    log: ServerLog,
    stop_grace: Duration,
}

/// Everything the server printed, shared with the tasks that read its pipes.
#[derive(Clone, Default)]
pub struct ServerLog(Arc<Mutex<Vec<String>>>);

impl ServerLog {
    fn push(&self, line: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    /// How many lines there are so far: a mark for [`ServerLog::since`].
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines printed after `mark`.
    pub fn since(&self, mark: usize) -> Vec<String> {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.get(mark..).unwrap_or_default().to_vec()
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let len = self.len();
        self.since(len.saturating_sub(n))
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
}

impl Server {
    /// Starts the server and waits for its "ready" line.
    pub async fn start(spec: &ServerSpec) -> Result<Server, BootFailure> {
        let database = spec.database.display().to_string().replace('\\', "\\\\").replace('"', "\\\"");
        let mut command = Command::new(&spec.executable);
        command
            .current_dir(&spec.working_dir)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", "0") // the system picks a free port: no races, no collisions
            .env("ROCKET_DATABASES", format!("{{chat={{url=\"{database}\"}}}}"))
            .env("ROCKET_CLI_COLORS", "false")
            .env("ROCKET_LOG_LEVEL", "normal")
            .env("ROCKET_SHUTDOWN", "{grace=1,mercy=1}")
            .env("RUST_BACKTRACE", "0") // a report quotes the panic message, not 70 frames
            .env_remove("ROCKET_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = process::isolate(&mut command)
            .spawn()
            .map_err(|e| BootFailure::Spawn(format!("cannot start {}: {e}", spec.executable.display())))?;
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
            Ok(Ok(base_url)) => Ok(Server { child, base_url, log, stop_grace: spec.stop_grace }),
            Ok(Err(status)) => {
                // Let the readers drain the pipes so the panic message is in the log.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                Err(BootFailure::Exited { status, log_tail: log.tail(15) })
            }
            Err(_) => {
                process::stop(&mut child, spec.stop_grace).await;
                Err(BootFailure::Timeout { limit: spec.boot_timeout, log_tail: log.tail(15) })
            }
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after the grace period) and reaps it.
    pub async fn stop(&mut self) -> bool {
        process::stop(&mut self.child, self.stop_grace).await
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
        process::kill_now(&mut self.child);
    }
}

/// Copies a pipe into the log, and reports the server's address from the ready line.
async fn read_lines(pipe: impl AsyncRead + Unpin, log: ServerLog, ready: Option<mpsc::Sender<String>>) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let (Some(ready), Some(address)) = (&ready, ready_address(&line)) {
            let _ = ready.try_send(address);
        }
        log.push(line);
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

#[cfg(test)]
mod tests {
    use super::ready_address;

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
