//! What the checks share while a grade runs: the settings, the server, and
//! what earlier checks learned (the script's request, the first login).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use tempfile::TempDir;

use crate::browser::{Driver, Tab};

use crate::report::Exchange;
use crate::script::{self, LoginRequest};
use crate::server::{Server, ServerSpec};

/// What to grade.
#[derive(Debug, Clone)]
pub enum Target {
    /// Build and boot a package of a Cargo workspace.
    Workspace { path: PathBuf, package: String, target_dir: Option<PathBuf> },
    /// Check a server that is already running at this base URL.
    Url(String),
}

/// Whether and where to find a browser for the browser stage.
#[derive(Debug, Clone)]
pub enum BrowserChoice {
    /// `--no-browser`: the browser checks are skipped on purpose.
    Off,
    /// Look for one, at this path if given (`--browser`).
    Find(Option<PathBuf>),
}

/// How a grade runs; `Settings::new` gives what the CLI uses without flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target: Target,
    pub build_timeout: Duration,
    pub boot_timeout: Duration,
    pub request_timeout: Duration,
    /// How long a stopping server gets before SIGKILL.
    pub stop_grace: Duration,
    pub browser: BrowserChoice,
    /// How long each step in the browser may take.
    pub browser_timeout: Duration,
    /// Where failed browser checks save a screenshot and the console.
    pub artifacts_dir: PathBuf,
    /// Save them for passed browser checks too.
    pub screenshots: bool,
}

impl Settings {
    pub fn new(target: Target) -> Settings {
        let artifacts_dir = match &target {
            Target::Workspace { path, .. } => path.join("target").join("grader"),
            Target::Url(_) => std::env::temp_dir().join("grader-artifacts"),
        };
        Settings {
            target,
            build_timeout: Duration::from_secs(900),
            boot_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            stop_grace: Duration::from_secs(5),
            browser: BrowserChoice::Find(None),
            browser_timeout: Duration::from_secs(15),
            artifacts_dir,
            screenshots: false,
        }
    }
}

/// The browser stage, started by the first browser check.
pub enum BrowserState {
    NotStarted,
    Off,
    /// No browser could be found or started: why.
    Unavailable(String),
    Ready(Box<BrowserSession>),
}

/// The browser, the student's profile (one cookie jar) and its tabs.
pub struct BrowserSession {
    pub driver: Driver,
    pub profile: BrowserContextId,
    pub tab: Tab,
    pub second: Option<Tab>,
    /// Who the browser logged in as, and the token its cookie holds.
    pub login: Option<Login>,
}

/// A student file, as a report names it.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    /// Relative to the workspace: `lab/src/controllers.rs`.
    pub display: String,
    pub todo1_line: Option<usize>,
    pub todo2_line: Option<usize>,
}

impl SourceFile {
    fn read(workspace: &Path, relative: &str) -> Option<SourceFile> {
        let text = std::fs::read_to_string(workspace.join(relative)).ok()?;
        Some(SourceFile {
            display: relative.to_owned(),
            todo1_line: script::todo_lines(&text, "TODO 1"),
            todo2_line: script::todo_lines(&text, "TODO 2"),
        })
    }

    /// "lab/src/controllers.rs, TODO 1 (line 23)", or just the file once the TODO is gone.
    pub fn at_todo(&self, which: u8) -> String {
        let line = if which == 1 { self.todo1_line } else { self.todo2_line };
        match line {
            Some(line) => format!("{}, TODO {which} (line {line})", self.display),
            None => self.display.clone(),
        }
    }
}

/// The two files a student edits.
#[derive(Debug, Clone)]
pub struct StudentFiles {
    pub controllers: SourceFile,
    pub session_js: SourceFile,
}

impl StudentFiles {
    /// Finds them in the workspace: the package's own `src/controllers.rs`,
    /// and its own `static/js/session.js` or else the kit's.
    pub fn find(workspace: &Path, package: &str) -> StudentFiles {
        let controllers = format!("{package}/src/controllers.rs");
        let own_script = format!("{package}/static/js/session.js");
        let session_js = SourceFile::read(workspace, &own_script)
            .or_else(|| SourceFile::read(workspace, "static/js/session.js"));
        StudentFiles {
            controllers: SourceFile::read(workspace, &controllers)
                .unwrap_or(SourceFile { display: controllers, ..Default::default() }),
            session_js: session_js
                .unwrap_or(SourceFile { display: "static/js/session.js".into(), ..Default::default() }),
        }
    }

    /// For a server at a URL: the usual names, no line numbers.
    pub fn unknown() -> StudentFiles {
        StudentFiles {
            controllers: SourceFile { display: "lab/src/controllers.rs".into(), ..Default::default() },
            session_js: SourceFile { display: "static/js/session.js".into(), ..Default::default() },
        }
    }
}

/// A session the grader created.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub token: String,
}

/// What one check did, for the report.
#[derive(Debug, Default)]
pub struct Findings {
    pub exchanges: Vec<Exchange>,
    pub log: Vec<String>,
    pub artifacts: Vec<String>,
}

/// The state a grade carries from check to check.
pub struct Context {
    pub settings: Settings,
    pub files: StudentFiles,
    /// Holds the server's database and anything else the grade writes.
    pub scratch: TempDir,
    pub executable: Option<PathBuf>,
    pub server: Option<Server>,
    /// `http://127.0.0.1:PORT` of the server being graded.
    pub base_url: Option<String>,
    /// What `session.js`, as the server serves it, says about the login request.
    pub script: Option<script::ParsedScript>,
    /// The login request, from the script or (better) from the browser.
    pub login_request: Option<LoginRequest>,
    /// Whether `login_request` is what a real browser sent.
    pub login_request_seen_by_browser: bool,
    pub first_login: Option<Login>,
    pub browser: BrowserState,
    /// A random word that makes this run's usernames and messages its own.
    pub run_tag: String,
    names_used: usize,
}

impl Context {
    pub fn new(settings: Settings) -> std::io::Result<Context> {
        let files = match &settings.target {
            Target::Workspace { path, package, .. } => StudentFiles::find(path, package),
            Target::Url(_) => StudentFiles::unknown(),
        };
        let base_url = match &settings.target {
            Target::Url(url) => Some(url.trim_end_matches('/').to_owned()),
            Target::Workspace { .. } => None,
        };
        Ok(Context {
            settings,
            files,
            scratch: tempfile::Builder::new().prefix("lab-grader-").tempdir()?,
            executable: None,
            server: None,
            base_url,
            script: None,
            login_request: None,
            login_request_seen_by_browser: false,
            first_login: None,
            browser: BrowserState::NotStarted,
            run_tag: uuid::Uuid::new_v4().simple().to_string()[..6].to_owned(),
            names_used: 0,
        })
    }

    /// How to start the server, once it is built.
    pub fn server_spec(&self) -> Option<ServerSpec> {
        let Target::Workspace { path, .. } = &self.settings.target else {
            return None;
        };
        Some(ServerSpec {
            executable: self.executable.clone()?,
            database: self.scratch.path().join("grader.sqlite3"),
            working_dir: path.clone(),
            boot_timeout: self.settings.boot_timeout,
            stop_grace: self.settings.stop_grace,
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

    /// A fresh HTTP client with its own cookie jar: a new browser window, as the HTTP checks see one.
    pub fn http_client(&self) -> crate::client::HttpClient {
        crate::client::HttpClient::new(self.settings.request_timeout)
    }

    /// Closes the browser and stops the server, politely, if the grader started them.
    pub async fn shutdown(&mut self) {
        if let BrowserState::Ready(session) = std::mem::replace(&mut self.browser, BrowserState::NotStarted) {
            let BrowserSession { driver, tab, second, .. } = *session;
            drop((tab, second));
            driver.close().await;
        }
        if let Some(mut server) = self.server.take() {
            server.stop().await;
        }
    }
}
