//! Getting a server to grade: build it, boot it on a fresh database, and
//! fetch the pages every later check relies on.

use super::diagnosis::{error_location, first_lines, no_answer};
use super::{Check, Checked, Context, Findings, Points, Stage, Verdict};
use crate::compile::{self, BuildFailure, BuildRequest};
use crate::kit::{kit, Step};
use crate::report::GivenChange;
use crate::server::{BootFailure, Server};
use crate::settings::Target;

/// Runs with `--given-files fail` only (see [`super::plan`]); otherwise
/// changed given files are a warning in the report.
pub static GIVEN_FILES_UNTOUCHED: Check = Check {
    id: "given-files-untouched",
    title: "The given files are as the kit gave them",
    points: Points::Nothing("a gate, with --given-files fail: a changed given file fails the grade"),
    needs: &[],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(given_files_untouched(ctx, found)),
};

pub static BUILDS: Check = Check {
    id: "builds",
    title: "The crate builds",
    points: Points::Nothing("a step on the way: every other check needs it"),
    needs: &[],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(builds(ctx, found)),
};

pub static BOOTS: Check = Check {
    id: "boots",
    title: "The server starts and answers",
    points: Points::Nothing("a step on the way: every other check needs it"),
    needs: &[&BUILDS],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(boots(ctx, found)),
};

pub static SERVES_PAGES: Check = Check {
    id: "serves-pages",
    title: "The login page and session.js are served",
    points: Points::Nothing("a step on the way: the checks of your two files need it"),
    needs: &[&BOOTS],
    stage: Stage::Http,
    run: |ctx, found| Box::pin(serves_pages(ctx, found)),
};

async fn builds(ctx: &mut Context, found: &mut Findings) -> Checked {
    let Target::Workspace { path, package, target_dir } = &ctx.settings.target else {
        return Ok(Verdict::NotApplicable("grading a running server (--url): nothing to build".into()));
    };
    // Read by nobody, built by nobody: a link could show a secret in a compile error, or never end.
    if !ctx.unreadable_student_files.is_empty() {
        let named: Vec<String> = ctx.unreadable_student_files.iter().map(GivenChange::describe).collect();
        return Ok(Verdict::fail(format!(
            "the grader reads student files only as regular files, so it did not build: {}",
            named.join(", ")
        ))
        .expected(format!(
            "each student file a regular file of at most {} KiB",
            crate::build_files::MAX_BYTES / 1024
        ))
        .hint(
            "put the file itself where the link is (git keeps a symbolic link as a link: commit the file's \
             contents instead), and grade again",
        ));
    }
    let request = BuildRequest {
        workspace: path.clone(),
        package: package.clone(),
        target_dir: target_dir.clone(),
        timeout: ctx.settings.build_timeout,
        containment: ctx.containment.clone(),
        home: ctx.scratch.path().join("cargo-home"),
        progress: ctx.settings.progress.clone(),
        own_copy: ctx.settings.laid_from.is_some(),
    };
    let _ = std::fs::create_dir_all(&request.home);
    // The server's private copy, in a folder of its own: the sandbox shows the server that folder, read-only.
    let binaries = ctx.scratch.path().join("bin");
    let _ = std::fs::create_dir_all(&binaries);
    Ok(match compile::build(&request, &binaries, &mut found.log).await {
        Ok(built) => {
            found.log.push(format!("built {}", built.executable.display()));
            ctx.facts.executable = Some(built.executable);
            ctx.facts.unused_functions = built.unused_functions;
            Verdict::Pass(format!("`{package}` builds"))
        }
        Err(BuildFailure::Compile { errors, total }) => {
            let at = errors.first().and_then(|e| error_location(e));
            let mut message =
                format!("`{package}` does not compile: {total} error{}", if total == 1 { "" } else { "s" });
            for error in &errors {
                message.push_str("\n\n");
                message.push_str(&first_lines(error, 14));
            }
            if total > errors.len() {
                message.push_str(&format!("\n\n… and {} more", total - errors.len()));
            }
            let mut hint = match at {
                Some(at) => {
                    format!("fix the first error first, at {at}; `cargo build -p {package}` shows them all")
                }
                None => format!("`cargo build -p {package}` shows the errors"),
            };
            // The usual errors of a first Rocket route come with their one-line fix.
            if let Some(fix) = errors.first().and_then(|e| super::diagnosis::route_fix(e)) {
                hint = format!("{fix}; {hint}");
            }
            Verdict::fail(message).expected("the crate compiles").hint(hint)
        }
        Err(BuildFailure::Cargo(why)) => Verdict::Error {
            message: why,
            hint: Some(
                "the grader needs cargo and the crates of Cargo.lock (run `cargo build` once online)".into(),
            ),
        },
        Err(BuildFailure::Project(said)) => Verdict::fail(format!("cargo cannot build `{package}`:\n{said}")).expected("a project cargo can build").hint("a Cargo.toml or build.rs is broken: run `cargo build` and fix what it says first (these files are given: \
             compare them with the kit's)"),
        Err(BuildFailure::Timeout(limit)) => Verdict::fail(format!("the build did not finish within {} s, and was stopped", limit.as_secs())).expected("a build that ends").hint("does a build script (build.rs) or a `const` loop forever? Run `cargo build` and watch; if this is only \
             a slow first build, raise the limit with --build-timeout"),
    })
}

async fn boots(ctx: &mut Context, found: &mut Findings) -> Checked {
    if let Some(spec) = ctx.server_spec() {
        found.log.push(format!("starting {} with a fresh database", spec.executable.display()));
        match Server::start(&spec).await {
            Ok(server) => {
                ctx.base_url = Some(server.base_url.clone());
                ctx.server = Some(server);
            }
            Err(failure) => return Ok(did_not_boot(failure)),
        }
    }
    let home = ctx.url(&kit().server.home);
    Ok(match ctx.lab().home(&ctx.lab().window(), &mut found.exchanges).await {
        Ok(reply) if reply.status < 500 => Verdict::Pass(format!("answers on {home}")),
        Ok(reply) => Verdict::fail(format!("GET {} answered {}", kit().server.home, reply.status))
            .expected("the home page")
            .hint("read the server's log for the error"),
        Err(why) => no_answer(ctx, &why, "an answer to GET /").await,
    })
}

/// Why the server is not up, as the student's finding or the grader's trouble.
pub fn did_not_boot(failure: BootFailure) -> Verdict {
    let ready = &kit().server.ready_line;
    match failure {
        BootFailure::Spawn(why) => Verdict::error(why),
        BootFailure::Exited { status, log_tail } => {
            let panic = log_tail.iter().find(|l| l.contains("panicked")).cloned();
            // Rocket refuses to launch a handler that asks for state nobody manages.
            let sentinels = log_tail.iter().any(|l| l.contains("sentinel"));
            let unmanaged = log_tail.iter().find(|l| sentinels && l.contains("State<")).cloned();
            if let Some(state) = unmanaged {
                return Verdict::fail(format!("the server refused to launch ({status}); its last lines:\n{}", log_tail.join("\n"))).expected(format!("a line \"{ready}…\" on standard output")).hint(format!(
                        "{}: a handler asks for state the app never manages; the app manages `SessionManager` and \
                         `MessageManager`: ask for `sessions: &State<SessionManager>` ({})",
                        state.trim().trim_start_matches(">> "),
                        kit().step(Step::StartTheSession)
                    ));
            }
            Verdict::fail(format!(
                    "the server stopped before it was ready ({status}); its last lines:\n{}",
                    log_tail.join("\n")
                )).expected(format!("a line \"{ready}…\" on standard output")).hint(match panic {
                    Some(line) => format!("it panicked at start-up: {}", line.trim()),
                    None => "run it with `cargo run` and read its output".into(),
                })
        }
        BootFailure::NotItsPort { announced, log_tail } => Verdict::fail(format!(
                "the server said it was ready at {announced}, which is not a port it listens on, on this machine's \
                 loopback; its last lines:\n{}",
                log_tail.join("\n")
            )).expected(format!("a line \"{ready}…\" that names the server's own address")).hint("the ready line is printed by the given code in lab/src/lib.rs: print nothing that looks like it"),
        BootFailure::Timeout { limit, log_tail } => Verdict::fail(format!(
                "the server did not say it was listening within {} s; its last lines:\n{}",
                limit.as_secs(),
                log_tail.join("\n")
            )).expected(format!("a line \"{ready}PORT/\" once it listens")).hint("does something block before Rocket launches? Run it with `cargo run` and watch"),
    }
}

async fn serves_pages(ctx: &mut Context, found: &mut Findings) -> Checked {
    let lab = ctx.lab();
    let window = lab.window();
    match lab.home(&window, &mut found.exchanges).await {
        Ok(reply) if reply.status == 200 && super::driver::shows_login_form(&reply) => {}
        Ok(reply) => {
            return Ok(Verdict::fail(format!(
                "GET / without a cookie answered {} without the login form",
                reply.status
            ))
            .expected(format!("200 and the page with {}", crate::kit::id_attribute(&kit().pages.login_form)))
            .hint("the templates/ folder is given code: compare it with the kit's"))
        }
        Err(why) => return Ok(no_answer(ctx, &why, "the login page").await),
    }
    let script_path = &kit().server.script;
    Ok(match window.send("GET", &ctx.url(script_path), None, &mut found.exchanges).await {
        Ok(reply) if reply.status == 200 => {
            ctx.facts.script = Some(crate::script::parse(&reply.body));
            Verdict::Pass(format!("the login page and {script_path} are served"))
        }
        Ok(reply) => Verdict::fail(format!("GET {script_path} answered {}", reply.status))
            .expected("200 and the script")
            .hint(format!("is {} still there?", ctx.files.script.display)),
        Err(why) => no_answer(ctx, &why, "the script").await,
    })
}

/// Compares the workspace's given files with the kit's.
async fn given_files_untouched(ctx: &mut Context, found: &mut Findings) -> Checked {
    let Target::Workspace { .. } = &ctx.settings.target else {
        return Ok(Verdict::NotApplicable("grading a running server (--url): no files to compare".into()));
    };
    // Found by the runner before the build (see `grade`).
    let changes = &ctx.changed_given_files;
    let build = &ctx.changed_build_files;
    found.log.extend(changes.iter().chain(build).map(GivenChange::describe));
    if changes.is_empty() && build.is_empty() {
        return Ok(Verdict::Pass("every given file and build file is as the kit gave it".into()));
    }
    let student: Vec<&str> = kit().student.all().iter().map(|f| f.file.as_str()).collect();
    let count = |n: usize, what: &str| {
        format!("{n} {what}{} differ{}", if n == 1 { "" } else { "s" }, if n == 1 { "s" } else { "" })
    };
    let mut said = Vec::new();
    if !changes.is_empty() {
        let named: Vec<String> = changes.iter().map(GivenChange::describe).collect();
        said.push(format!("{} from the kit's: {}", count(changes.len(), "given file"), named.join(", ")));
    }
    if !build.is_empty() {
        let named: Vec<String> = build.iter().map(GivenChange::describe).collect();
        said.push(format!(
            "{} from the kit's (they change how the clone is built or graded): {}",
            count(build.len(), "build file"),
            named.join(", ")
        ));
    }
    Ok(Verdict::Fail {
        message: said.join("; "),
        expected: Some(format!("changes only in the student files: {}", student.join(" and "))),
        hint: Some(
            "put the given files and build files back as the kit has them (`git checkout` them from the commit you started from), \
             and make your changes in the student files"
                .into(),
        ),
    })
}
