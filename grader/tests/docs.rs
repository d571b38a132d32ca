//! Every command README.md and LAB.md show in a `sh` block, run as written
//! (servers on a free port and a temporary database), so the docs cannot rot.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

#[test]
fn every_command_in_the_docs_works() {
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
                let mut cargo = Command::new(env!("CARGO"));
                cargo.current_dir(&kit).env("ROCKET_DATABASES", &database).envs(run.env.iter().cloned());
                cargo
            };
            match (run.program.as_str(), args.as_slice()) {
                // This very test run, and a clean that would pull the build away from under it.
                ("cargo", ["test", "--workspace"]) | ("cargo", ["clean", "-p", "lab"]) => continue,
                ("diff", [a, b]) => {
                    let status = Command::new("diff")
                        .args([a, b])
                        .current_dir(&kit)
                        .stdout(Stdio::null())
                        .status()
                        .unwrap();
                    assert_eq!(status.code(), Some(1), "{doc}: `{command}` should show the answer");
                }
                ("cargo", ["run", "-p", "lab", "--bin", "util", "--", ..]) => {
                    let output = cargo().args(["run", "-q"]).args(&args[1..]).output().unwrap();
                    assert!(
                        output.status.success(),
                        "{doc}: `{command}`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                ("cargo", ["test", "-p", "lab"]) => {
                    let output = cargo().args(["test", "-q", "-p", "lab"]).output().unwrap();
                    assert!(
                        output.status.success(),
                        "{doc}: `{command}`: {}",
                        String::from_utf8_lossy(&output.stdout)
                    );
                }
                // Quick and harmless: run for real.
                ("cargo", ["run", "-p", "grader", "--", "list" | "self-check"]) => {
                    let output = cargo().args(["run", "-q"]).args(&args[1..]).output().unwrap();
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
                    let output = help.output().unwrap();
                    assert!(
                        output.status.success(),
                        "{doc}: `{command} --help`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                // The installed grader of the template's handout: the flags parse.
                ("grader", rest) => {
                    let output = Command::new(env!("CARGO_BIN_EXE_grader"))
                        .args(rest)
                        .arg("--help")
                        .current_dir(&kit)
                        .output()
                        .unwrap();
                    assert!(
                        output.status.success(),
                        "{doc}: `{command} --help`: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                ("cargo", ["run", "-p", package @ ("lab" | "solution")]) => {
                    assert_server_starts(cargo().args(["run", "-q", "-p", package]), &command, doc);
                }
                _ => panic!("{doc}: `{command}` is a command this test does not know how to check"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} commands found: is the parser still right?");
}

/// Starts a server command on a free port and waits for its ready line.
fn assert_server_starts(command: &mut Command, shown: &str, doc: &str) {
    command.env("ROCKET_PORT", "0").stdout(Stdio::piped()).stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    let mut child = command.spawn().unwrap();
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
    let ready = rx.recv_timeout(Duration::from_secs(600)).is_ok();
    #[cfg(unix)]
    // SAFETY: kill(2) on the process group this test started.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGTERM);
    }
    #[cfg(not(unix))]
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "{doc}: `{shown}` did not say it was ready within {:?}", started.elapsed());
}
