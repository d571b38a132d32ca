//! What the checks share while a grade runs: the settings, the student's
//! files, the server and the browser the grader owns, and the facts earlier
//! checks found.

use std::path::Path;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use tempfile::TempDir;

use super::facts::Facts;
use crate::browser::{Driver, Tab};
use crate::kit::{kit, StudentFile};
use crate::report::Exchange;
use crate::sandbox::Containment;
use crate::server::{Server, ServerSpec};
use crate::settings::{Settings, Target};

/// The browser stage, started before the first browser check.
pub enum BrowserState {
    NotStarted,
    /// Starting while the server is built (see `browser_stage::launch_early`).
    Starting(Launching),
    Off,
    /// No browser could be found or started: why.
    Unavailable(String),
    Ready(Box<BrowserSession>),
}

/// A browser being started in a task of its own: the state it ends in.
/// Dropped unfinished (a grade stopped halfway), the launch is stopped,
/// and the browser with it.
pub struct Launching {
    pub executable: std::path::PathBuf,
    pub task: tokio::task::JoinHandle<BrowserState>,
}

impl Launching {
    /// Waits for the launch to end: the browser ready, or why it is not.
    pub async fn finish(mut self) -> BrowserState {
        match (&mut self.task).await {
            Ok(state) => state,
            Err(why) => {
                BrowserState::Unavailable(format!("{} did not start: {why}", self.executable.display()))
            }
        }
    }
}

impl Drop for Launching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The browser, the student's profile (one cookie jar) and its tabs.
pub struct BrowserSession {
    pub driver: Driver,
    pub profile: BrowserContextId,
    pub tab: Tab,
    pub second: Option<Tab>,
}

/// A student file as a report names it, with its TODO markers' live lines.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    /// Relative to the workspace: `lab/src/controllers.rs`.
    pub display: String,
    /// Each TODO marker of the kit manifest, and the line it is on now.
    pub todos: Vec<(String, Option<usize>)>,
}

impl SourceFile {
    fn read(workspace: Option<&Path>, relative: &str, student: &StudentFile) -> SourceFile {
        let text = workspace
            .and_then(|w| crate::build_files::read_regular(&w.join(relative)))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        let todos = student
            .todos
            .iter()
            .map(|marker| {
                (marker.clone(), text.lines().position(|l| l.contains(marker.as_str())).map(|i| i + 1))
            })
            .collect();
        SourceFile { display: relative.to_owned(), todos }
    }

    /// "lab/src/controllers.rs, TODO 1 (line 14)", or just the file once the TODO is gone.
    pub fn at_todo(&self, marker: &str) -> String {
        match self.todos.iter().find(|(m, _)| m == marker).and_then(|(_, line)| *line) {
            Some(line) => format!("{}, {marker} (line {line})", self.display),
            None => self.display.clone(),
        }
    }
}

/// The two files a student edits, as this grade finds them.
#[derive(Debug, Clone)]
pub struct StudentSources {
    /// The session route (`controllers.rs`).
    pub route: SourceFile,
    /// The login script (`session.js`).
    pub script: SourceFile,
}

impl StudentSources {
    /// In a workspace, for `package` (the answer's copies for the reference
    /// answer); for a server at a URL, the usual names with no line numbers.
    pub fn find(workspace: Option<&Path>, package: &str) -> StudentSources {
        let student = &kit().student;
        StudentSources {
            route: SourceFile::read(workspace, student.route.path_for(package), &student.route),
            script: SourceFile::read(workspace, student.script.path_for(package), &student.script),
        }
    }
}

/// What one check did, for the report.
#[derive(Debug, Default)]
pub struct Findings {
    /// The check these are the findings of.
    pub check: &'static str,
    pub exchanges: Vec<Exchange>,
    pub log: Vec<String>,
    pub artifacts: Vec<String>,
}

/// The state a grade carries from check to check.
pub struct Context {
    pub settings: Settings,
    /// How the student's code is contained (the sandbox, or why there is none).
    pub containment: Containment,
    /// The given files the workspace changed, found once before the build.
    pub changed_given_files: Vec<crate::report::GivenChange>,
    /// The student files the grader will not read: links, files over the
    /// size cap, anything but a regular file (see `integrity::unreadable_student_files`).
    pub unreadable_student_files: Vec<crate::report::GivenChange>,
    /// The build files the clone changed (see `integrity::changed_build_files`).
    pub changed_build_files: Vec<crate::report::GivenChange>,
    pub files: StudentSources,
    /// Holds the server's database and anything else the grade writes.
    pub scratch: TempDir,
    pub server: Option<Server>,
    /// `http://127.0.0.1:PORT` of the server being graded.
    pub base_url: Option<String>,
    pub browser: BrowserState,
    pub facts: Facts,
    /// This grade's random id (see `report::RunInfo`).
    pub run_id: String,
    /// A random word that makes this run's usernames and messages its own.
    pub run_tag: String,
    names_used: usize,
    /// How many fresh cookie jars the grade opened so far (see `Lab::window`).
    pub(super) jars_opened: std::sync::atomic::AtomicU32,
}

impl Context {
    pub fn new(settings: Settings) -> Result<Context, String> {
        let containment = Containment::resolve(settings.sandbox)?;
        let (files, base_url) = match &settings.target {
            Target::Workspace { path, package, .. } => (StudentSources::find(Some(path), package), None),
            Target::Url(url) => {
                (StudentSources::find(None, &kit().lab.package), Some(url.trim_end_matches('/').to_owned()))
            }
        };
        let scratch = tempfile::Builder::new()
            .prefix("lab-grader-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        #[cfg(unix)]
        if containment.student_user().is_some() {
            // The student's user passes through to the folders handed to it, and sees nothing else here.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o711)).map_err(
                |e| format!("cannot open {} to the student's user: {e}", scratch.path().display()),
            )?;
        }
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        Ok(Context {
            run_tag: run_id[..6].to_owned(),
            run_id,
            settings,
            containment,
            changed_given_files: Vec::new(),
            unreadable_student_files: Vec::new(),
            changed_build_files: Vec::new(),
            files,
            scratch,
            server: None,
            base_url,
            browser: BrowserState::NotStarted,
            facts: Facts::default(),
            names_used: 0,
            jars_opened: Default::default(),
        })
    }

    /// How to start the server, once it is built.
    pub fn server_spec(&self) -> Option<ServerSpec> {
        let Target::Workspace { path, .. } = &self.settings.target else {
            return None;
        };
        // The server writes the database's folder whole: a folder of its own,
        // never the scratch folder, which holds its private binary, cargo's
        // home and the browser's profile (whose debugging port it must not learn).
        let database = self.scratch.path().join("server").join("grader.sqlite3");
        Some(ServerSpec {
            executable: self.facts.executable.clone()?,
            database,
            working_dir: path.clone(),
            boot_timeout: self.settings.boot_timeout,
            stop_grace: self.settings.stop_grace,
            containment: self.containment.clone(),
        })
    }

    /// `base_url` + `path`; the base is known once `boots` passed.
    pub fn url(&self, path: &str) -> String {
        let base = self.base_url.as_deref().unwrap_or("http://127.0.0.1:0");
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if path.starts_with('/') {
            format!("{base}{path}")
        } else {
            format!("{base}/{path}")
        }
    }

    /// A new username for this run: realistic, different every time.
    pub fn fresh_username(&mut self) -> String {
        const NAMES: [&str; 8] =
            ["ada", "grace", "alan", "barbara", "edsger", "margaret", "linus", "katherine"];
        let name = NAMES[self.names_used % NAMES.len()];
        self.names_used += 1;
        format!("{name}-{}{}", self.run_tag, self.names_used)
    }

    /// Closes the browser and stops the server, politely, if the grader started them.
    pub async fn shutdown(&mut self) {
        let browser = match std::mem::replace(&mut self.browser, BrowserState::NotStarted) {
            BrowserState::Starting(launching) => launching.finish().await,
            other => other,
        };
        if let BrowserState::Ready(session) = browser {
            let BrowserSession { driver, tab, second, .. } = *session;
            drop((tab, second));
            driver.close().await;
        }
        if let Some(mut server) = self.server.take() {
            server.stop().await;
        }
    }

    /// Ends what was left running outside its process groups (a daemon in a
    /// session of its own), and says what the student's code left. The
    /// browser's own helpers (Chromium's crash handler detaches itself) are
    /// ended too, but they are the grader's, not the submission's.
    /// `others_in_flight`: the grades running beside this one in the same
    /// grader (`grader batch --jobs N`), whose orphans this sweep may find.
    pub fn end_orphans(&self, others_in_flight: usize) -> Vec<String> {
        crate::process::end_orphans()
            .into_iter()
            .filter(|o| !is_browser_helper(&o.command))
            .map(|o| orphan_note(&o, others_in_flight))
            .collect()
    }
}

/// What a report says of a process its grade's sweep ended. Without a PID
/// namespace (no sandbox) an orphan carries no mark of the grade that left
/// it: beside other grades in flight, the note says so rather than name the
/// wrong submission.
fn orphan_note(orphan: &crate::process::Orphan, others_in_flight: usize) -> String {
    let (pid, command) = (orphan.pid, &orphan.command);
    match others_in_flight {
        0 => format!("ended process {pid} that the submission left running: `{command}`"),
        others => format!(
            "ended process {pid} that this submission, or one of the {others} graded beside it, left running: \
             `{command}` (without a sandbox the grader cannot tell which; grade with the sandbox, or \
             --jobs 1, to know)"
        ),
    }
}

/// Whether a command line runs one of the browser's own programs
/// (`/usr/lib/chromium/chrome_crashpad_handler ...`).
fn is_browser_helper(command: &str) -> bool {
    let program = command.split_whitespace().next().unwrap_or_default();
    let name = std::path::Path::new(program).file_name().map(|n| n.to_string_lossy().to_lowercase());
    name.is_some_and(|name| ["chrome", "chromium", "msedge"].iter().any(|browser| name.contains(browser)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_leftover_is_named_the_submissions_only_when_no_other_grade_runs_beside_it() {
        let orphan = crate::process::Orphan { pid: 42, command: "sleep 86401".into() };
        let alone = super::orphan_note(&orphan, 0);
        assert_eq!(alone, "ended process 42 that the submission left running: `sleep 86401`");
        let beside = super::orphan_note(&orphan, 3);
        assert!(beside.contains("this submission, or one of the 3 graded beside it"), "{beside}");
        assert!(beside.contains("cannot tell which"), "{beside}");
    }

    #[test]
    fn the_browsers_crash_handler_is_not_the_submissions() {
        let crashpad =
            "/usr/lib/chromium/chrome_crashpad_handler --no-periodic-tasks --database=/x/Crash Reports";
        assert!(super::is_browser_helper(crashpad));
        assert!(!super::is_browser_helper("sleep 86401"));
        assert!(!super::is_browser_helper("/tmp/lab-grader-x/lab"));
    }
}
