//! Every command README.md and LAB.md show in a `sh` block, run as written
//! (servers on a free port and a temporary database), so the docs cannot rot.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;

/// How long one command of the docs may take: a cargo command may build.
const COMMAND_LIMIT: Duration = Duration::from_secs(600);

/// The lines of the ```sh blocks of a document.
fn shell_commands(document: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in document.lines() {
        match line.trim() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            command if in_block && !command.is_empty() && !command.starts_with('#') => {
                commands.push(command.to_owned())
            }
            _ => {}
        }
    }
    commands
}

/// Splits a command line into words, honouring '…' and "…".
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

struct Run {
    env: Vec<(String, String)>,
    program: String,
    args: Vec<String>,
}

fn parse(command: &str) -> Run {
    let mut words = words(command).into_iter().peekable();
    let mut env = Vec::new();
    while let Some((name, value)) = words
        .peek()
        .and_then(|w| w.split_once('='))
        .filter(|(n, _)| n.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    {
        env.push((name.to_owned(), value.to_owned()));
        words.next();
    }
    let program = words.next().expect("a program");
    Run { env, program, args: words.collect() }
}

/// The commands that answer at once (help, lists, diffs, the database
/// utility): the fast tier.
/// The docs' cargo commands run as from a shell: without what cargo set for
/// this test (see `common::cargo`), every variable the grader's build script
/// hands its tests included.
#[test]
fn the_docs_cargo_runs_without_the_variables_cargo_set_for_the_tests() {
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some(), "cargo sets it for a test");
    let build_script = std::fs::read_to_string(grader::kit_root().join("grader/build.rs")).unwrap();
    for line in build_script.split("cargo:rustc-env=").skip(1) {
        let name = line.split('=').next().unwrap();
        assert!(common::FROM_THE_BUILD_SCRIPT.contains(&name), "build.rs sets {name}: list it");
    }
    let cargo = common::cargo();
    let removed: Vec<_> =
        cargo.get_envs().filter(|(_, value)| value.is_none()).map(|(name, _)| name).collect();
    for (name, _) in std::env::vars_os() {
        let set_by_cargo = name.to_str().is_some_and(common::set_for_the_tests);
        assert_eq!(removed.contains(&name.as_os_str()), set_by_cargo, "{name:?}");
    }
    assert!(removed.iter().any(|name| *name == "CARGO_MANIFEST_DIR"));
    assert!(removed.iter().any(|name| *name == "GRADER_KIT_COMMIT"));
}

#[test]
fn every_quick_command_in_the_docs_works() {
    let checked = run_the_docs_commands(Tier::Quick);
    assert!(checked >= 15, "only {checked} commands found: is the parser still right?");
}

/// The servers the docs start and the lab's own tests they run: the full tier.
#[test]
#[ignore = "full tier: cargo test --workspace -- --include-ignored"]
fn the_docs_servers_start_and_the_labs_tests_pass() {
    let checked = run_the_docs_commands(Tier::Full);
    assert!(checked >= 5, "only {checked} server commands found: is the parser still right?");
}

#[derive(Clone, Copy, PartialEq)]
enum Tier {
    Quick,
    Full,
}

/// Runs every command of the docs that belongs to `tier` and says how many
/// it ran; a command of neither tier fails the test.
fn run_the_docs_commands(tier: Tier) -> usize {
    let kit = grader::kit_root();
    let scratch = tempfile::tempdir().unwrap();
    let database = format!("{{chat={{url=\"{}\"}}}}", scratch.path().join("docs.sqlite3").display());
    let mut checked = 0;
    for doc in ["README.md", "LAB.md"] {
        let text = std::fs::read_to_string(kit.join(doc)).unwrap();
        for command in shell_commands(&text) {
            let run = parse(&command);
            let args: Vec<&str> = run.args.iter().map(String::as_str).collect();
            let cargo = || {
                let mut cargo = common::cargo();
                cargo.current_dir(&kit).env("ROCKET_DATABASES", &database).envs(run.env.iter().cloned());
                cargo
            };
            let slow = matches!(
                (run.program.as_str(), args.as_slice()),
                ("cargo", ["test", "-p", "lab"] | ["run", "-p", "lab" | "solution"])
            );
            if slow != (tier == Tier::Full) {
                continue;
            }
            // Cargo builds the kit's lab in the target folder the grades beside this test share.
            let _builds = (run.program == "cargo").then(common::graders_turn);
            match (run.program.as_str(), args.as_slice()) {
                // This very test run (either tier), and a clean that would pull the build away from under it.
                ("cargo", ["test", "--workspace", ..]) | ("cargo", ["clean", "-p", "lab"]) => continue,
                ("diff", [a, b]) => {
                    let output = finished(Command::new("diff").args([a, b]).current_dir(&kit), &command);
                    assert_eq!(output.status.code(), Some(1), "{doc}: `{command}` should show the answer");
                }
                ("cargo", ["run", "-p", "lab", "--bin", "util", "--", ..]) => {
                    let output = finished(cargo().args(["run", "-q"]).args(&args[1..]), &command);
                    assert!(
                        output.status.success(),
                        "{doc}: `{command}`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                ("cargo", ["test", "-p", "lab"]) => {
                    let output = finished(cargo().args(["test", "-q", "-p", "lab"]), &command);
                    assert!(
                        output.status.success(),
                        "{doc}: `{command}`: {}",
                        String::from_utf8_lossy(&output.stdout)
                    );
                }
                // Quick and harmless: run for real.
                ("cargo", ["run", "-p", "grader", "--", "list" | "self-check"]) => {
                    let output = finished(cargo().args(["run", "-q"]).args(&args[1..]), &command);
                    assert!(
                        output.status.success(),
                        "{doc}: `{command}`: {}",
                        String::from_utf8_lossy(&output.stdout)
                    );
                }
                ("cargo", ["run", "-p", "grader", rest @ ..]) => {
                    // The help form: the flags parse, without grading anything.
                    let mut help = cargo();
                    help.args(["run", "-q", "-p", "grader", "--"])
                        .args(rest.iter().filter(|a| **a != "--"))
                        .arg("--help");
                    let output = finished(&mut help, &command);
                    assert!(
                        output.status.success(),
                        "{doc}: `{command} --help`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                // The installed grader of the template's handout: the flags parse.
                ("grader", rest) => {
                    let output = finished(
                        Command::new(env!("CARGO_BIN_EXE_grader")).args(rest).arg("--help").current_dir(&kit),
                        &command,
                    );
                    assert!(
                        output.status.success(),
                        "{doc}: `{command} --help`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                ("cargo", ["run", "-p", package @ ("lab" | "solution")]) => {
                    assert_server_starts(cargo().args(["run", "-q", "-p", package]), &command, doc);
                }
                // A test of the full tier the docs name (to make a screenshot again): it is there.
                ("cargo", ["test", "-p", "grader", "--test", file, "--", "--ignored", name]) => {
                    let output = finished(
                        cargo().args([
                            "test",
                            "-q",
                            "-p",
                            "grader",
                            "--test",
                            file,
                            "--",
                            "--list",
                            "--ignored",
                        ]),
                        &command,
                    );
                    let listed = String::from_utf8_lossy(&output.stdout);
                    assert!(
                        listed.lines().any(|l| l == format!("{name}: test")),
                        "{doc}: `{command}`: no ignored test {name} in {file}:\n{listed}"
                    );
                }
                _ => panic!("{doc}: `{command}` is a command this test does not know how to check"),
            }
            checked += 1;
        }
    }
    checked
}

/// Runs `command` to its end, in a process group of its own and
/// `COMMAND_LIMIT` at most: past it the group is killed and the test fails
/// with what the command printed so far (cargo says there what it waits for,
/// a lock held by another build, say), never hangs the whole test run.
fn finished(command: &mut Command, shown: &str) -> Output {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(command, 0);
    let (mut child, _claim) =
        common::spawn_claimed(command).unwrap_or_else(|e| panic!("`{shown}` cannot start: {e}"));
    // Read on threads of their own: a grandchild may hold a pipe past the limit.
    let collect = |mut pipe: Box<dyn Read + Send>| {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&bytes);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(read @ 1..) = pipe.read(&mut chunk) {
                into.lock().unwrap().extend_from_slice(&chunk[..read]);
            }
        });
        bytes
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > COMMAND_LIMIT {
            // SAFETY: kill(2) on the process group this test started.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            let printed =
                |bytes: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&bytes.lock().unwrap()).into_owned();
            panic!(
                "`{shown}` did not finish within {COMMAND_LIMIT:?}, so it was killed; it printed:\n{}\n{}",
                printed(&stdout),
                printed(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The group's leader ended: give its pipes a moment to drain, no more.
    let drained = Instant::now();
    while Arc::strong_count(&stdout) + Arc::strong_count(&stderr) > 2
        && drained.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let take = |bytes: Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *bytes.lock().unwrap());
    Output { status, stdout: take(stdout), stderr: take(stderr) }
}

/// Starts a server command on a free port and waits for its ready line.
fn assert_server_starts(command: &mut Command, shown: &str, doc: &str) {
    command.env("ROCKET_PORT", "0").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(command, 0);
    let (mut child, _claim) = common::spawn_claimed(command).unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&format!("{}127.0.0.1:", grader::kit::kit().server.ready_line)) {
                let _ = tx.send(());
            }
        }
    });
    let started = Instant::now();
    let ready = rx.recv_timeout(COMMAND_LIMIT).is_ok();
    // Asked to stop as Ctrl-C would, then made to if it has not within Rocket's grace and mercy.
    // SAFETY: kill(2) on the process group this test started.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGTERM);
    }
    let asked = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if asked.elapsed() > Duration::from_secs(15) {
            // SAFETY: as above.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            panic!("{doc}: `{shown}` did not stop within 15 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "{doc}: `{shown}` did not say it was ready within {:?}", started.elapsed());
}
