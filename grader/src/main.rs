//! `cargo run -p grader`: grade the lab. `--help` lists the options.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use grader::checks::context::BrowserChoice;
use grader::render;
use grader::{Settings, Target};

/// Grades Elite Lab 6: Sessions. Builds the chatroom, boots it on a free port
/// with a fresh database, checks its sessions from the outside, and prints
/// what passed, what failed and what to fix.
///
/// Exit status: 0 every check passed, 1 a check failed, 2 the submission
/// could not be (fully) graded.
#[derive(Parser)]
#[command(name = "grader", version)]
struct Cli {
    /// The Cargo workspace to grade, such as a student's clone [default: this kit]
    #[arg(long, value_name = "DIR", conflicts_with = "url")]
    path: Option<PathBuf>,
    /// The package whose server is graded (`solution` for the reference answer)
    #[arg(long, value_name = "NAME", default_value = "lab", conflicts_with = "url")]
    package: String,
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
    /// List the checks, their points and what they need, and exit
    #[arg(long)]
    list: bool,
    /// Where cargo puts the build [default: the workspace's target/]
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
    /// Time limit for the build, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    build_timeout: u64,
    /// Time limit for the server to say it is listening, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    boot_timeout: u64,
    /// Time limit for each HTTP request, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    request_timeout: u64,
    /// Skip the checks that drive a real browser
    #[arg(long, conflicts_with = "browser")]
    no_browser: bool,
    /// The Chromium or Chrome to drive [default: $GRADER_BROWSER, then the usual places]
    #[arg(long, value_name = "PATH")]
    browser: Option<PathBuf>,
    /// Time limit for each step in the browser, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    browser_timeout: u64,
    /// Where failed browser checks save a screenshot and the page's console
    /// [default: next to --output, else the workspace's target/grader]
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
    /// Save a screenshot and the console of every browser check, not only the failed ones
    #[arg(long)]
    screenshots: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn parse_points(raw: &str) -> Result<(String, u32), String> {
    let (id, points) = raw.split_once('=').ok_or("expected ID=N, such as bad-input=0")?;
    let points = points.parse().map_err(|_| format!("`{points}` is not a whole number of points"))?;
    Ok((id.to_owned(), points))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !std::io::stdout().is_terminal() && std::env::var_os("CLICOLOR_FORCE").is_none() {
        colored::control::set_override(false);
    }
    if cli.list {
        for check in grader::checks::CHECKS {
            let needs = if check.needs.is_empty() {
                String::new()
            } else {
                format!("  (needs {})", check.needs.join(", "))
            };
            println!("{:<18} {:>3} points  {}{needs}", check.id, check.points, check.title);
        }
        return ExitCode::SUCCESS;
    }
    let target = match &cli.url {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Target::Url(url.clone()),
        Some(url) => return trouble(&format!("--url takes an http:// URL, not `{url}`")),
        None => Target::Workspace {
            path: cli.path.clone().unwrap_or_else(grader::kit_root),
            package: cli.package.clone(),
            target_dir: cli.target_dir.clone(),
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
    let mut settings = Settings::new(target);
    settings.build_timeout = Duration::from_secs(cli.build_timeout);
    settings.boot_timeout = Duration::from_secs(cli.boot_timeout);
    settings.request_timeout = Duration::from_secs(cli.request_timeout);
    settings.browser_timeout = Duration::from_secs(cli.browser_timeout);
    settings.screenshots = cli.screenshots;
    settings.browser = match (cli.no_browser, &cli.browser) {
        (true, _) => BrowserChoice::Off,
        (false, path) => BrowserChoice::Find(path.clone()),
    };
    let next_to_output =
        cli.output.as_ref().map(|file| file.parent().unwrap_or(Path::new(".")).join("grader-artifacts"));
    if let Some(dir) = cli.artifacts.clone().or(next_to_output) {
        settings.artifacts_dir = dir;
    }
    let points: HashMap<String, u32> = cli.points.iter().cloned().collect();

    let report = tokio::select! {
        report = grader::grade(settings, &cli.only, &points) => report,
        // Dropping the grade stops the server it started.
        _ = tokio::signal::ctrl_c() => return trouble("interrupted; the server the grader started is stopped"),
    };
    let report = match report {
        Ok(report) => report,
        Err(why) => return trouble(&why),
    };
    let formatted = match cli.format {
        Format::Human => render::human(&report, cli.verbose),
        Format::Json => render::json(&report),
    };
    match &cli.output {
        Some(file) => {
            let plain = if cli.format == Format::Human {
                colored::control::set_override(false);
                let plain = render::human(&report, cli.verbose);
                colored::control::unset_override();
                plain
            } else {
                formatted
            };
            if let Err(e) = std::fs::write(file, plain) {
                return trouble(&format!("cannot write {}: {e}", file.display()));
            }
            print!("{}", render::human(&report, cli.verbose));
            println!("report written to {}", file.display());
        }
        None => print!("{formatted}"),
    }
    ExitCode::from(report.exit_code())
}

/// The grader's own trouble: said on stderr, exit status 2.
fn trouble(message: &str) -> ExitCode {
    eprintln!("grader: {message}");
    ExitCode::from(2)
}
