//! The command line: `grader check` (also what `grader` alone does, so every
//! older command keeps working), `grader list` and `grader self-check`. Each
//! subcommand is a function here; the grading itself is the library's.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::kit::{kit, Kit};

/// `println!` that survives a closed standard output (see [`say_raw`]).
macro_rules! say {
    ($($arg:tt)*) => {
        say_raw(&format!("{}\n", format_args!($($arg)*)))
    };
}
use crate::render::{self, Style};
use crate::settings::{defaults, BrowserChoice, GivenFilesMode, SandboxMode, Settings, Target};

/// Grades Elite Lab 6: Sessions. Builds the chatroom, boots it on a free port
/// with a fresh database, checks its sessions from the outside, and prints
/// what passed, what failed and what to fix.
///
/// Exit status: 0 every check passed, 1 a check failed, 2 the submission
/// could not be (fully) graded.
#[derive(Parser)]
#[command(name = "grader", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand, `grader` takes the options of `grader check`.
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// Build, boot and grade a submission (what `grader` alone does)
    Check(Box<CheckArgs>),
    /// List the checks, their points and what they need
    List,
    /// Check that the kit agrees with its manifest: the TODO markers, the
    /// lab against the solution, the handout's steps, the page selectors
    SelfCheck {
        /// The kit to check, with its own kit.toml [default: this kit]
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
}

/// The options of a grade.
#[derive(Args)]
pub struct CheckArgs {
    /// The Cargo workspace to grade, such as a student's clone [default: this kit]
    #[arg(long, value_name = "DIR", conflicts_with = "url")]
    path: Option<PathBuf>,
    /// The package whose server is graded (`solution` for the reference answer) [default: lab]
    #[arg(long, value_name = "NAME", conflicts_with = "url")]
    package: Option<String>,
    /// Check a server that is already running instead of building one
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// How to print the report
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report (in --format) to FILE; the terminal still gets the human view
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run only these checks, and those they need (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    only: Vec<String>,
    /// Give a check another number of points, such as `--points bad-input=0`
    #[arg(long, value_name = "ID=N", value_parser = parse_points)]
    points: Vec<(String, u32)>,
    /// Show every check's requests, answers and log
    #[arg(long, short)]
    verbose: bool,
    /// The same as `grader list`
    #[arg(long, hide = true)]
    list: bool,
    /// Where cargo puts the build [default: the workspace's target/]
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Time limit for the build, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::BUILD_TIMEOUT)]
    build_timeout: u64,
    /// Time limit for the server to say it is listening, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::BOOT_TIMEOUT)]
    boot_timeout: u64,
    /// Time limit for each HTTP request, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::REQUEST_TIMEOUT)]
    request_timeout: u64,
    /// Skip the checks that drive a real browser
    #[arg(long, conflicts_with = "browser")]
    no_browser: bool,
    /// The Chromium or Chrome to drive [default: $GRADER_BROWSER, then the usual places]
    #[arg(long, value_name = "PATH")]
    browser: Option<PathBuf>,
    /// Time limit for each step in the browser, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::BROWSER_TIMEOUT)]
    browser_timeout: u64,
    /// Where failed browser checks save a screenshot and the page's console
    /// [default: next to --output, else the workspace's target/grader]
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
    /// Save a screenshot and the console of every browser check, not only the failed ones
    #[arg(long)]
    screenshots: bool,
    /// Run the student's build and server in a bubblewrap sandbox (auto: where it works)
    #[arg(long, value_enum, default_value_t = Sandbox::Auto)]
    sandbox: Sandbox,
    /// A bound on the whole grade, in seconds: the checks it cuts short cannot be graded
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
    /// What a changed given file (one the student is not meant to edit) does:
    /// a warning, a failed `given-files-untouched` check, or nothing
    #[arg(long, value_enum, default_value_t = GivenFiles::Warn)]
    given_files: GivenFiles,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GivenFiles {
    Warn,
    Fail,
    Off,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sandbox {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    /// JUnit XML, one testcase per check
    Junit,
    /// Gradescope's results.json
    Gradescope,
    /// One self-contained page, screenshots inline (best with --output)
    Html,
    /// For GitHub Actions: the report, an annotation per failed check and the
    /// `Points X/Y` line; the job summary and Classroom's result where the step has them
    Github,
}

fn parse_points(raw: &str) -> Result<(String, u32), String> {
    let (id, points) = raw.split_once('=').ok_or("expected ID=N, such as bad-input=0")?;
    let points = points.parse().map_err(|_| format!("`{points}` is not a whole number of points"))?;
    Ok((id.to_owned(), points))
}

/// Runs what the command line asks for; the exit status says how it went.
pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Check(args)) => check(*args).await,
        Some(Command::List) => list(),
        Some(Command::SelfCheck { path }) => self_check(&path.unwrap_or_else(crate::kit_root)),
        None if cli.check.list => list(),
        None => check(cli.check).await,
    }
}

/// `grader list`: every check, its points and what it needs.
fn list() -> ExitCode {
    for check in crate::checks::CHECKS {
        let needs: Vec<&str> = check.needs.iter().map(|c| c.id).collect();
        let needs = if needs.is_empty() { String::new() } else { format!("  (needs {})", needs.join(", ")) };
        say!(
            "{:<20} {:>3} points  {:<7}  {}{needs}",
            check.id,
            check.points,
            check.stage.name(),
            check.title
        );
    }
    ExitCode::SUCCESS
}

/// `grader self-check`: the kit at `root` against its own manifest.
fn self_check(root: &Path) -> ExitCode {
    let manifest = match Kit::load(root) {
        Ok(manifest) => manifest,
        Err(why) => return trouble(&why),
    };
    let problems = crate::kit::self_check::self_check(root, &manifest);
    if problems.is_empty() {
        say!("the kit at {} agrees with its kit.toml", root.display());
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        say!("- {problem}");
    }
    say!(
        "{} problem{} in the kit at {}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        root.display()
    );
    ExitCode::from(1)
}

/// `grader check`: grade one submission and print the report.
async fn check(args: CheckArgs) -> ExitCode {
    let target = match &args.url {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Target::Url(url.clone()),
        Some(url) => return trouble(&format!("--url takes an http:// URL, not `{url}`")),
        // Resolved here, so that every path means the same to the grader, cargo and the sandbox.
        None => Target::Workspace {
            path: absolute(args.path.clone().unwrap_or_else(crate::kit_root)),
            package: args.package.clone().unwrap_or_else(|| kit().lab.package.clone()),
            target_dir: args.target_dir.clone().map(absolute),
        },
    };
    if let Target::Workspace { path, .. } = &target {
        if !path.join("Cargo.toml").is_file() {
            return trouble(&format!(
                "{} has no Cargo.toml: --path takes the folder of a Cargo workspace",
                path.display()
            ));
        }
    }
    // Checked before the grade, so a bad --output costs nothing.
    if let Some(file) =
        args.output.as_ref().filter(|f| f.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()))
    {
        return trouble(&format!(
            "--output {} is a symbolic link: the grader does not write through one",
            file.display()
        ));
    }
    let settings = settings_of(&args, target);
    let points: HashMap<String, u32> = args.points.iter().cloned().collect();

    let report = tokio::select! {
        report = crate::grade(settings, &args.only, &points) => report,
        // Dropping the grade stops the server and the build it started.
        signal = stop_signal() => return trouble(&format!("{signal}: stopped; the server the grader started is stopped too")),
    };
    let report = match report {
        Ok(report) => report,
        Err(why) => return trouble(&why),
    };
    let terminal = Style::for_stream(std::io::stdout().is_terminal());
    let in_format = |style| match args.format {
        Format::Human => render::human(&report, args.verbose, style),
        Format::Json => render::json(&report),
        Format::Junit => render::junit(&report),
        Format::Gradescope => render::gradescope(&report),
        Format::Html => render::html(&report),
        Format::Github => {
            render::human(&report, args.verbose, Style::PLAIN) + "\n" + &render::github(&report)
        }
    };
    if args.format == Format::Github {
        if let Err(e) = render::write_github_step_files(&report) {
            eprintln!("grader: cannot write the GitHub step's summary or output: {e}");
        }
    }
    match &args.output {
        Some(file) => {
            if let Err(e) = write_report(file, &in_format(Style::PLAIN)) {
                return trouble(&format!("cannot write {}: {e}", file.display()));
            }
            say_raw(&render::human(&report, args.verbose, terminal));
            say!("report written to {}", file.display());
        }
        None => say_raw(&in_format(terminal)),
    }
    ExitCode::from(report.exit_code())
}

fn settings_of(args: &CheckArgs, target: Target) -> Settings {
    let mut settings = Settings::new(target);
    settings.build_timeout = Duration::from_secs(args.build_timeout);
    settings.boot_timeout = Duration::from_secs(args.boot_timeout);
    settings.request_timeout = Duration::from_secs(args.request_timeout);
    settings.browser_timeout = Duration::from_secs(args.browser_timeout);
    settings.screenshots = args.screenshots;
    settings.sandbox = match args.sandbox {
        Sandbox::Auto => SandboxMode::Auto,
        Sandbox::On => SandboxMode::On,
        Sandbox::Off => SandboxMode::Off,
    };
    settings.deadline = args.deadline.map(Duration::from_secs);
    settings.given_files = match args.given_files {
        GivenFiles::Warn => GivenFilesMode::Warn,
        GivenFiles::Fail => GivenFilesMode::Fail,
        GivenFiles::Off => GivenFilesMode::Off,
    };
    settings.browser = match (args.no_browser, &args.browser) {
        (true, _) => BrowserChoice::Off,
        (false, path) => BrowserChoice::Find(path.clone()),
    };
    let next_to_output =
        args.output.as_ref().map(|file| file.parent().unwrap_or(Path::new(".")).join("grader-artifacts"));
    if let Some(dir) = args.artifacts.clone().or(next_to_output) {
        settings.artifacts_dir = dir;
    }
    settings
}

/// `path` made absolute (against the current folder), without following links.
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// Waits for Ctrl-C, SIGTERM or SIGHUP (a closed terminal, a CI job cancelled),
/// and names it.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hangup)) = (signal(SignalKind::terminate()), signal(SignalKind::hangup()))
        else {
            let _ = tokio::signal::ctrl_c().await;
            return "interrupted";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupted",
            _ = term.recv() => "terminated (SIGTERM)",
            _ = hangup.recv() => "hung up (SIGHUP)",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted"
    }
}

/// Writes a report file, never through a symbolic link (one made while the
/// grade ran included: the file is opened with `O_NOFOLLOW`).
fn write_report(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(file)?.write_all(text.as_bytes())
}

/// Writes `text` to standard output. A reader that went away (`grader list |
/// head`) is not the grader's trouble: the rest is dropped, no panic.
fn say_raw(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The grader's own trouble: said on stderr, exit status 2.
fn trouble(message: &str) -> ExitCode {
    eprintln!("grader: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[cfg(unix)]
    #[test]
    fn a_report_is_never_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_report(&link, "{}").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        write_report(&dir.path().join("plain.json"), "{}").unwrap();
    }

    #[test]
    fn no_subcommand_means_check() {
        let cli = Cli::try_parse_from(["grader", "--no-browser", "--only", "builds"]).unwrap();
        assert!(cli.command.is_none() && cli.check.no_browser && cli.check.only == ["builds"]);
        let cli = Cli::try_parse_from(["grader", "check", "--no-browser"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Check(args)) if args.no_browser));
        assert!(Cli::try_parse_from(["grader", "--no-browser", "list"]).is_err());
    }
}
