//! What to grade and how: the one place the grader's defaults live. The CLI's
//! flags, the tests and `Settings::new` all take them from here.

use std::path::PathBuf;
use std::time::Duration;

pub use crate::sandbox::SandboxMode;

/// The defaults, in seconds where a time.
pub mod defaults {
    /// A cold build of the lab takes minutes on a modest laptop.
    pub const BUILD_TIMEOUT: u64 = 900;
    pub const BOOT_TIMEOUT: u64 = 30;
    pub const REQUEST_TIMEOUT: u64 = 10;
    pub const BROWSER_TIMEOUT: u64 = 15;
    /// How long a stopping server gets after SIGTERM before SIGKILL.
    pub const STOP_GRACE: u64 = 5;
}

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
    pub stop_grace: Duration,
    pub browser: BrowserChoice,
    /// How long each step in the browser may take.
    pub browser_timeout: Duration,
    /// Where failed browser checks save a screenshot and the console.
    pub artifacts_dir: PathBuf,
    /// Save them for passed browser checks too.
    pub screenshots: bool,
    /// Whether the student's code runs in a bubblewrap sandbox.
    pub sandbox: SandboxMode,
    /// A bound on the whole grade; the checks it cuts short are `error`.
    pub deadline: Option<Duration>,
    /// What a changed given file does to the grade.
    pub given_files: GivenFilesMode,
    /// The clone the student files came from, when the workspace graded is
    /// the grader's own copy of the kit with them laid over (`grader batch`):
    /// the report names this clone, and compares its given files.
    pub laid_from: Option<PathBuf>,
    /// Told of each step of the grade as it happens (the progress display).
    pub progress: Option<crate::progress::Observer>,
}

impl Settings {
    pub fn new(target: Target) -> Settings {
        let artifacts_dir = match &target {
            Target::Workspace { path, .. } => path.join("target").join("grader"),
            Target::Url(_) => std::env::temp_dir().join("grader-artifacts"),
        };
        let seconds = Duration::from_secs;
        Settings {
            target,
            build_timeout: seconds(defaults::BUILD_TIMEOUT),
            boot_timeout: seconds(defaults::BOOT_TIMEOUT),
            request_timeout: seconds(defaults::REQUEST_TIMEOUT),
            stop_grace: seconds(defaults::STOP_GRACE),
            browser: BrowserChoice::Find(None),
            browser_timeout: seconds(defaults::BROWSER_TIMEOUT),
            artifacts_dir,
            screenshots: false,
            sandbox: SandboxMode::Auto,
            deadline: None,
            given_files: GivenFilesMode::Warn,
            laid_from: None,
            progress: None,
        }
    }
}

/// `--given-files`: what a changed given file does to a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GivenFilesMode {
    /// Named in the report, as a warning.
    #[default]
    Warn,
    /// Named, and the `given-files-untouched` check fails.
    Fail,
    /// Not looked at.
    Off,
}
