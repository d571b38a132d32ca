//! The command line: `grader check` (also what `grader` alone does, so every
//! older command keeps working), `grader list`, `grader self-check` and `grader export`. Each
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
    /// Grade a whole class: every clone, a report per student, a gradebook
    /// (grades.csv) and a summary
    Batch(Box<BatchArgs>),
    /// Grade, then grade again each time a student file is saved
    Watch(Box<WatchArgs>),
    /// Write what a platform grades with: a Gradescope autograder, a Classroom
    /// 50 autograder, or the students' template repository
    #[command(subcommand)]
    Export(Export),
}

#[derive(Subcommand)]
pub enum Export {
    /// An autograder zip for Gradescope: setup.sh, run_autograder, and the kit
    /// (lab and grader, no solution) that setup.sh builds on the image
    Gradescope {
        /// The zip to write (replaced if it exists)
        #[arg(value_name = "FILE.zip")]
        file: PathBuf,
        /// The kit to export [default: this kit]
        #[arg(long, value_name = "DIR")]
        kit: Option<PathBuf>,
    },
    /// The `autograder.py` of a Classroom 50 assignment: it installs this
    /// kit's grader at a pinned commit and grades the student's checkout
    Classroom50 {
        /// The folder to write: a new or empty one
        dir: PathBuf,
        /// The GitHub repository of this kit, from which the autograder installs the grader
        #[arg(long, value_name = "OWNER/NAME")]
        kit_repo: String,
        /// The tag or commit of the kit that grades, pinned as its commit
        /// [default: the kit's current commit]
        #[arg(long, value_name = "REF")]
        kit_ref: Option<String>,
        /// The kit to export [default: this kit]
        #[arg(long, value_name = "DIR")]
        kit: Option<PathBuf>,
    },
    /// The students' template repository (no solution, no grader), with a
    /// Feedback workflow and a README that install this kit's grader at a
    /// pinned tag or commit
    Student {
        /// The folder to write: a new or empty one
        dir: PathBuf,
        /// The GitHub repository of this kit, as the workflow checks it out
        #[arg(long, value_name = "OWNER/NAME")]
        kit_repo: String,
        /// The tag or commit of the kit that grades [default: the kit's current commit]
        #[arg(long, value_name = "REF")]
        kit_ref: Option<String>,
        /// The kit to export [default: this kit]
        #[arg(long, value_name = "DIR")]
        kit: Option<PathBuf>,
    },
}

/// The options of `grader batch`.
#[derive(Args)]
pub struct BatchArgs {
    /// What to grade: folders (students' clones, graded as they are), or git
    /// repositories by URL (`https://`, `file://`, `git@host:path`), cloned into OUT/repos
    #[arg(value_name = "CLONE|URL")]
    clones: Vec<PathBuf>,
    /// Grade every folder inside DIR too
    #[arg(long, value_name = "DIR")]
    from: Option<PathBuf>,
    /// Clone and grade the repositories listed in FILE too: URLs or paths
    /// of repositories, one a line (blank lines and `#` comments skipped)
    #[arg(long, value_name = "FILE")]
    repos: Option<PathBuf>,
    /// The deadline, in RFC 3339 (2026-12-01T23:59:00Z, or with an offset):
    /// each repository is graded at the last commit of its default branch
    /// committed at or before it; a folder named on the command line or in
    /// --from is then cloned too, as a repository
    #[arg(long, value_name = "TIMESTAMP")]
    before: Option<String>,
    /// Where the reports, the gradebook and the summary go
    #[arg(long, value_name = "DIR", default_value = "grades")]
    out: PathBuf,
    /// The gradebook [default: OUT/grades.csv]
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// How many grades run at once (their builds take turns)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=32))]
    jobs: u16,
    /// Skip each clone whose report in OUT is of the same commit
    #[arg(long)]
    resume: bool,
    /// Build each clone as it is, instead of its student files over the kit's lab (never in the kit's own target/)
    #[arg(long)]
    as_is: bool,
    /// The package whose server is graded [default: lab]
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    #[command(flatten)]
    options: GradeOptions,
}

/// The options of `grader watch`.
#[derive(Args)]
pub struct WatchArgs {
    /// The Cargo workspace to watch and grade [default: as for `check`]
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// The package whose server is graded [default: lab]
    #[arg(long, value_name = "NAME")]
    package: Option<String>,
    /// Show every check's requests, answers and log
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    options: GradeOptions,
}

/// The options of a grade.
#[derive(Args)]
pub struct CheckArgs {
    /// The Cargo workspace to grade, such as a student's clone [default: the
    /// one around the current folder that holds a kit.toml, else this kit]
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
    /// Show every check's requests, answers and log
    #[arg(long, short)]
    verbose: bool,
    /// The same as `grader list`
    #[arg(long, hide = true)]
    list: bool,
    /// The clone whose student files --path holds, laid over the kit's lab
    /// (`grader batch` grading each clone in a process of its own)
    #[arg(long, value_name = "DIR", hide = true, requires = "path")]
    laid_from: Option<PathBuf>,
    #[command(flatten)]
    options: GradeOptions,
}

/// How each grade runs: the options `check`, `batch` and `watch` share.
#[derive(Args)]
pub struct GradeOptions {
    /// Run only these checks, and those they need (comma-separated or repeated)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    only: Vec<String>,
    /// Give a check another number of points, such as `--points bad-input=0`
    #[arg(long, value_name = "ID=N", value_parser = parse_points)]
    points: Vec<(String, u32)>,
    /// Where cargo puts the build [default: the workspace's target/; for `batch`, the kit's, or OUT/target with --as-is]
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
    /// Run the student's build and server in a bubblewrap sandbox (auto: where it works, else as
    /// root as the unprivileged user grader-student; on: bubblewrap or no grade)
    #[arg(long, value_enum, default_value_t = Sandbox::Auto)]
    sandbox: Sandbox,
    /// A bound on the whole grade, in seconds: the checks it cuts short cannot be graded
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
    /// What a changed given file (one the student is not meant to edit) or
    /// build file (manifest, lock, .cargo/, toolchain, build.rs, .github/)
    /// does: a warning, a failed `given-files-untouched` check, or nothing
    #[arg(long, value_enum, default_value_t = GivenFiles::Warn)]
    given_files: GivenFiles,
    /// No progress on stderr (it shows only on a terminal anyway)
    #[arg(long, short)]
    quiet: bool,
}

impl GradeOptions {
    fn points(&self) -> HashMap<String, u32> {
        self.points.iter().cloned().collect()
    }
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
    /// `Points X/Y` line; the job summary where the step has one
    Github,
    /// Classroom 50's result.json; with --output, release-body.md beside it,
    /// and `status` and `summary` in $GITHUB_OUTPUT where the step has one
    Classroom50,
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
        Some(Command::Export(what)) => export(what),
        Some(Command::Batch(args)) => batch(*args).await,
        Some(Command::Watch(args)) => watch(*args).await,
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
            check.points.value(),
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

/// `grader batch`: every clone, its reports, the gradebook and the summary.
async fn batch(args: BatchArgs) -> ExitCode {
    use crate::repos::{is_url, Submission};
    // Refused before anything is cloned.
    let before = match args.before.as_deref().map(crate::repos::parse_deadline).transpose() {
        Ok(before) => before,
        Err(why) => return trouble(&why),
    };
    // A folder is graded as it is; with a deadline, it is a repository to check out at the deadline.
    let folder = |path: PathBuf| match before {
        Some(_) => Submission::Repository(absolute(path).to_string_lossy().into_owned()),
        None => Submission::Folder(absolute(path)),
    };
    let mut submissions: Vec<Submission> = args
        .clones
        .iter()
        .map(|clone| match clone.to_str().filter(|text| is_url(text)) {
            Some(url) => Submission::Repository(url.to_owned()),
            None => folder(clone.clone()),
        })
        .collect();
    if let Some(from) = &args.from {
        let Ok(entries) = std::fs::read_dir(from) else {
            return trouble(&format!("--from {}: not a folder the grader can read", from.display()));
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        found.sort();
        submissions.extend(found.into_iter().map(folder));
    }
    if let Some(list) = &args.repos {
        let listed = match crate::repos::read_list(list) {
            Ok(listed) => listed,
            Err(why) => return trouble(&why),
        };
        // A path in the list is read from where the list is, as a relative path in a file usually is.
        let base = list.parent().map(Path::to_path_buf).unwrap_or_default();
        submissions.extend(listed.into_iter().map(|line| match is_url(&line) {
            true => Submission::Repository(line),
            false => Submission::Repository(absolute(base.join(line)).to_string_lossy().into_owned()),
        }));
    }
    if submissions.is_empty() {
        return trouble("no clones to grade: name them, or a folder of them with --from DIR, or repositories with --repos FILE");
    }
    let kit_root = crate::kit_root();
    let manifest = match Kit::load(&kit_root) {
        Ok(manifest) => manifest,
        Err(why) => return trouble(&why),
    };
    let out = absolute(args.out.clone());
    let package = args.package.clone().unwrap_or_else(|| kit().lab.package.clone());
    // The kit's own target folder by default: its dependencies are most likely built there already.
    // Not with --as-is: the clones' own build scripts and manifests build there, and could plant files
    // in the kit's own builds; such a batch builds in a folder of its own (OUT/target by default).
    let kits_target = absolute(kit_root.join("target"));
    let target_dir = match &args.options.target_dir {
        Some(dir) => absolute(dir.clone()),
        None if args.as_is => out.join("target"),
        None => kits_target.clone(),
    };
    let same =
        |a: &Path, b: &Path| a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b);
    if args.as_is && (target_dir == kits_target || same(&target_dir, &kits_target)) {
        return trouble(&format!(
            "--as-is builds each clone with its own build files: give it a target folder apart from the kit's \
             {} (by default, OUT/target)",
            kits_target.display()
        ));
    }
    let target =
        Target::Workspace { path: kit_root.clone(), package: package.clone(), target_dir: Some(target_dir) };
    let batch = crate::batch::Batch {
        submissions,
        before,
        csv: args.csv.clone().map(absolute).unwrap_or_else(|| out.join("grades.csv")),
        out,
        jobs: usize::from(args.jobs),
        resume: args.resume,
        as_is: args.as_is,
        kit_root,
        kit: manifest,
        package,
        settings: settings_of(&args.options, target, None),
        only: args.options.only.clone(),
        points: args.options.points(),
    };
    let display = progress_display(&args.options);
    if let Some(display) = &display {
        display.count_to(batch.submissions.len() as u64);
        display.say("starting");
    }
    let rows: crate::batch::Rows = Default::default();
    let started = std::time::Instant::now();
    let stopped = tokio::select! {
        finished = crate::batch::run(&batch, &rows, display.as_ref(), args.options.quiet) => match finished {
            Ok(()) => None,
            Err(why) => return trouble(&why),
        },
        // The grades in flight are dropped, which stops their builds and servers.
        signal = stop_signal() => Some(signal),
    };
    if let Some(display) = &display {
        display.finish();
    }
    let rows = rows.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // The summary and the class's page tell the same figures.
    let glance = crate::batch::Glance::of(&rows, started.elapsed());
    let summary = glance.summary();
    let written = write_report(&batch.csv, &crate::batch::csv(&rows))
        .and_then(|()| write_report(&batch.out.join("summary.txt"), &summary))
        .and_then(|()| write_report(&batch.out.join("index.html"), &glance.page()));
    if let Err(e) = written {
        return trouble(&format!("cannot write the gradebook in {}: {e}", batch.out.display()));
    }
    say_raw(&summary);
    say!(
        "gradebook: {}  reports: {}  the class at a glance: {}",
        batch.csv.display(),
        batch.out.display(),
        batch.out.join("index.html").display()
    );
    if let Some(signal) = stopped {
        return self::stopped(signal, "the reports of the clones graded so far are written");
    }
    let all_graded =
        rows.iter().all(|r| r.report.as_ref().is_ok_and(|r| r.outcome != crate::report::Outcome::Incomplete));
    if all_graded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// `grader watch`: grade on every save of a student file, until `q` or Ctrl-C.
async fn watch(args: WatchArgs) -> ExitCode {
    let workspace = absolute(args.path.clone().unwrap_or_else(crate::default_workspace));
    if let Err(why) = crate::watch::watchable(&workspace) {
        return trouble(&why);
    }
    let target = Target::Workspace {
        path: workspace.clone(),
        package: args.package.clone().unwrap_or_else(|| kit().lab.package.clone()),
        target_dir: args.options.target_dir.clone().map(absolute),
    };
    let watch = crate::watch::Watch {
        settings: settings_of(&args.options, target, None),
        only: args.options.only.clone(),
        points: args.options.points(),
        verbose: args.verbose,
        workspace,
        progress: !args.options.quiet,
    };
    tokio::select! {
        ended = crate::watch::run(watch) => match ended {
            crate::watch::Ended::Quit => ExitCode::SUCCESS,
            crate::watch::Ended::Trouble(why) => trouble(&why),
        },
        // A grade in flight is dropped, which stops its build and server.
        _ = stop_signal() => {
            for orphan in crate::process::end_orphans_after_a_stop(STOP_GRACE) {
                eprintln!("grader: ended process {} ({})", orphan.pid, render::inert(&orphan.command));
            }
            ExitCode::SUCCESS
        }
    }
}

/// `grader export`: the Gradescope zip or the students' template.
fn export(what: Export) -> ExitCode {
    use crate::export::{classroom50, gradescope, student};
    let kit_root = |kit: Option<PathBuf>| {
        let root = kit.map(absolute).unwrap_or_else(crate::kit_root);
        // The export holds the files as they are on disk, which a pinned commit may not.
        let changes = crate::tracked::uncommitted(&root, &[".".to_owned()]);
        if !changes.is_empty() {
            eprintln!(
                "warning: the kit has changes no commit holds (untracked files are left out of the export):\n  {}",
                changes.join("\n  ")
            );
        }
        root
    };
    let written = match what {
        Export::Gradescope { file, kit } => {
            let root = kit_root(kit);
            Kit::load(&root)
                .and_then(|manifest| gradescope::bundle(&root, &manifest))
                .and_then(|bundle| bundle.write_zip(&file))
                .map(|()| {
                    format!(
                        "wrote {}: upload it as the autograder of a Gradescope programming assignment \
                         (setup.sh installs Rust and Chrome and builds the grader on the image)",
                        file.display()
                    )
                })
        }
        Export::Classroom50 { dir, kit_repo, kit_ref, kit } => {
            let root = kit_root(kit);
            let reference = kit_ref.unwrap_or_else(|| "HEAD".into());
            classroom50::PinnedKit::resolve(&root, &kit_repo, &reference)
                .and_then(|pinned| Ok((pinned.clone(), classroom50::bundle(&Kit::load(&root)?, &pinned)?)))
                .and_then(|(pinned, bundle)| bundle.write_dir(&dir).map(|()| pinned))
                .map(|pinned| {
                    format!(
                        "wrote {}: make it the assignment's autograder \
                         (gh teacher autograder set-default ORG CLASSROOM --from {0}, or commit it as \
                         autograders/SLUG/autograder.py in your classroom50 repository), with the runtime \
                         {{\"rust\": \"stable\", \"apt\": [\"bubblewrap\"]}}. It installs the grader of {kit_repo} \
                         at {}: push that commit to {kit_repo} first.",
                        dir.join("autograder.py").display(),
                        pinned.commit(),
                    )
                })
        }
        Export::Student { dir, kit_repo, kit_ref, kit } => {
            let root = kit_root(kit);
            let reference = match kit_ref.or_else(|| crate::tracked::resolve(&root, "HEAD")) {
                Some(reference) => reference,
                None => {
                    return trouble(
                        "the kit is not a git checkout: say which tag or commit grades with --kit-ref",
                    )
                }
            };
            student::KitSource::parse(&kit_repo, &reference)
                .and_then(|source| Ok((source, Kit::load(&root)?)))
                .and_then(|(source, manifest)| student::bundle(&root, &manifest, &source))
                .and_then(|bundle| bundle.write_dir(&dir))
                .map(|()| {
                    format!(
                        "wrote the template to {}: push it to a repository of its own and make that the \
                         assignment's template. Its Feedback workflow and its README's install command use the grader of {kit_repo} at {reference}: \
                         push that ref to {kit_repo} first.",
                        dir.display()
                    )
                })
        }
    };
    match written {
        Ok(message) => {
            say!("{message}");
            ExitCode::SUCCESS
        }
        Err(why) => trouble(&why),
    }
}

/// `grader check`: grade one submission and print the report.
async fn check(args: CheckArgs) -> ExitCode {
    let mut settings = match settings_of_check(&args) {
        Ok(settings) => settings,
        Err(why) => return trouble(&why),
    };
    let display = progress_display(&args.options);
    settings.progress = display.as_ref().map(|d| d.observer());
    let points = args.options.points();

    let report = tokio::select! {
        report = crate::grade(settings, &args.options.only, &points) => report,
        // Dropping the grade stops the server and the build it started.
        signal = stop_signal() => return stopped(signal, "the server the grader started is stopped too"),
    };
    if let Some(display) = &display {
        display.finish();
    }
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
        Format::Classroom50 => render::classroom50(&report),
    };
    let step_files = match args.format {
        Format::Github => render::write_github_step_files(&report),
        Format::Classroom50 => write_classroom50_files(&report, args.output.as_deref()),
        _ => Ok(()),
    };
    if let Err(e) = step_files {
        eprintln!("grader: cannot write the GitHub step's files: {e}");
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

/// Beside Classroom 50's `result.json` (`output`), its `release-body.md`;
/// and `status` and `summary` in `$GITHUB_OUTPUT` where the step has one.
fn write_classroom50_files(report: &crate::Report, output: Option<&Path>) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(file) = output {
        let body = file.parent().unwrap_or(Path::new(".")).join("release-body.md");
        write_report(&body, &render::classroom50::release_body(report))?;
    }
    let Some(outputs) = std::env::var_os("GITHUB_OUTPUT") else { return Ok(()) };
    let lines = render::classroom50::step_outputs(report);
    std::fs::OpenOptions::new().create(true).append(true).open(outputs)?.write_all(lines.as_bytes())
}

/// The progress display, where stderr is a terminal and `--quiet` is not given.
fn progress_display(options: &GradeOptions) -> Option<crate::terminal::Display> {
    if options.quiet {
        return None;
    }
    crate::terminal::Display::on_terminal()
}

/// The settings of a grade of `target` by these options; `output`, where
/// the report is written, is where the artifacts go by default.
fn settings_of(args: &GradeOptions, target: Target, output: Option<&Path>) -> Settings {
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
    let next_to_output = output.map(|file| file.parent().unwrap_or(Path::new(".")).join("grader-artifacts"));
    if let Some(dir) = args.artifacts.clone().or(next_to_output) {
        settings.artifacts_dir = dir;
    }
    settings
}

/// What `grader check` grades, and how; `Err` says why its arguments cannot be graded.
fn settings_of_check(args: &CheckArgs) -> Result<Settings, String> {
    let target = match &args.url {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Target::Url(url.clone()),
        Some(url) => return Err(format!("--url takes an http:// URL, not `{url}`")),
        // Resolved here, so that every path means the same to the grader, cargo and the sandbox.
        None => Target::Workspace {
            path: absolute(args.path.clone().unwrap_or_else(crate::default_workspace)),
            package: args.package.clone().unwrap_or_else(|| kit().lab.package.clone()),
            target_dir: args.options.target_dir.clone().map(absolute),
        },
    };
    if let Target::Workspace { path, .. } = &target {
        if !path.join("Cargo.toml").is_file() {
            return Err(format!(
                "{} has no Cargo.toml: --path takes the folder of a Cargo workspace",
                path.display()
            ));
        }
    }
    // Checked before the grade, so a bad --output costs nothing.
    if let Some(file) =
        args.output.as_ref().filter(|f| f.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()))
    {
        return Err(format!(
            "--output {} is a symbolic link: the grader does not write through one",
            file.display()
        ));
    }
    let mut settings = settings_of(&args.options, target, args.output.as_deref());
    settings.laid_from = args.laid_from.clone().map(absolute);
    Ok(settings)
}

/// What a `grader check` command line grades, and how.
#[cfg(test)]
pub(crate) struct ParsedCheck {
    pub settings: Settings,
    pub only: Vec<String>,
    pub points: HashMap<String, u32>,
    pub output: Option<PathBuf>,
}

/// `grader check`'s settings, checks, points and report file, for the tests
/// of what runs it (`apart`).
#[cfg(test)]
pub(crate) fn check_settings(cli: Cli) -> Result<ParsedCheck, String> {
    let Some(Command::Check(args)) = cli.command else { return Err("not `grader check`".into()) };
    Ok(ParsedCheck {
        settings: settings_of_check(&args)?,
        only: args.options.only.clone(),
        points: args.options.points(),
        output: args.output.clone(),
    })
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
/// How long the processes of a grade stopped halfway get to end before the grader sweeps their orphans.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Exits after `signal` stopped a grade (whose dropped future stopped its build, server and
/// browser): first the processes the grader adopted are ended, a daemon that left the groups it
/// started included, which would otherwise outlive the grader.
fn stopped(signal: &str, what: &str) -> ExitCode {
    let mut said = format!("{signal}: stopped; {what}");
    for orphan in crate::process::end_orphans_after_a_stop(STOP_GRACE) {
        said.push_str(&format!("; ended process {} ({})", orphan.pid, render::inert(&orphan.command)));
    }
    trouble(&said)
}

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
        assert!(
            cli.command.is_none() && cli.check.options.no_browser && cli.check.options.only == ["builds"]
        );
        let cli = Cli::try_parse_from(["grader", "check", "--no-browser"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Check(args)) if args.options.no_browser));
        assert!(Cli::try_parse_from(["grader", "--no-browser", "list"]).is_err());
    }
}
