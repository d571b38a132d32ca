//! `grader watch`: grade, then grade again each time the student saves one
//! of their files, with what to fix next on top (rustlings' `watch` is the
//! model). The two student files are polled, by content, four times a
//! second: it sees an editor's save-by-rename like any other, and needs no
//! watcher of the file system for two files.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::kit::kit;
use crate::render::{self, Style};
use crate::report::{Report, Status};
use crate::settings::Settings;

/// How often the student files are looked at, and how long they must stay
/// the same after a change before the grade starts (an editor may write twice).
const POLL: Duration = Duration::from_millis(250);
const SETTLE: Duration = Duration::from_millis(400);

/// What a watch is told to do.
pub struct Watch {
    pub settings: Settings,
    pub only: Vec<String>,
    pub points: HashMap<String, u32>,
    pub verbose: bool,
    /// The workspace whose student files are watched.
    pub workspace: PathBuf,
    /// Show the progress of each grade (a terminal, without `--quiet`).
    pub progress: bool,
}

/// Why the watch ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// `q` (then Enter) on standard input.
    Quit,
    /// The grade could not start at all (bad `--only`, say).
    Trouble(String),
}

/// Grades, shows the report, and waits for a save or `q`; again and again.
pub async fn run(watch: Watch) -> Ended {
    let files: Vec<PathBuf> = kit().student.all().iter().map(|f| watch.workspace.join(&f.file)).collect();
    let mut quit = quit_on_q();
    let terminal = std::io::stdout().is_terminal();
    let mut round = 0;
    // The score and the most points of the last grade, to show how the score moved.
    let mut last: Option<(u32, u32)> = None;
    loop {
        round += 1;
        let seen = contents(&files);
        let mut settings = watch.settings.clone();
        let display = watch.progress.then(crate::terminal::Display::on_terminal).flatten();
        settings.progress = display.as_ref().map(|d| d.observer());
        let graded = tokio::select! {
            report = crate::grade(settings, &watch.only, &watch.points) => Some(report),
            _ = quit.recv() => None,
        };
        if let Some(display) = &display {
            display.finish();
        }
        let report = match graded {
            None => return Ended::Quit,
            Some(Err(why)) => return Ended::Trouble(why),
            Some(Ok(report)) => report,
        };
        let style = Style::for_stream(terminal);
        let mut screen = String::new();
        if terminal {
            screen.push_str("\x1b[2J\x1b[H"); // clear the screen, cursor home
        } else {
            screen.push_str(&format!("=== grade {round} ===\n"));
        }
        screen.push_str(&next_step(&report));
        if let Some(moved) = score_change(last, &report) {
            screen.push_str(&moved);
        }
        last = Some((report.score, report.max_score));
        screen.push('\n');
        screen.push_str(&render::human(&report, watch.verbose, style));
        let names: Vec<&str> = kit().student.all().iter().map(|f| f.file.as_str()).collect();
        screen.push_str(&format!(
            "\nWatching {}: save one to grade again; q then Enter quits.\n",
            names.join(" and ")
        ));
        print_flushed(&screen);
        tokio::select! {
            () = changed(&files, seen) => {}
            _ = quit.recv() => return Ended::Quit,
        }
    }
}

/// The line on top: the first check to fix and its hint, or that all pass.
pub fn next_step(report: &Report) -> String {
    let first = report.checks.iter().find(|c| matches!(c.status, Status::Fail | Status::Error));
    match first {
        None => format!("All checks pass: {}/{}.\n", report.score, report.max_score),
        Some(check) => {
            let advice = check.hint.as_deref().unwrap_or(&check.message);
            let advice: Vec<String> = advice.lines().map(render::inert).collect();
            format!("Next: {} ({})\n  {}\n", check.id, render::inert(&check.title), advice.join("\n  "))
        }
    }
}

/// How the score moved since the last grade of the watch (`previous`: its
/// score and most points): `Since the last grade: 65 → 80 (of 100)`, or
/// `Since the last grade: 80 (unchanged)`; nothing for the first grade.
pub fn score_change(previous: Option<(u32, u32)>, report: &Report) -> Option<String> {
    let (before, before_max) = previous?;
    let (now, max) = (report.score, report.max_score);
    Some(if before_max != max {
        format!("Since the last grade: {before}/{before_max} → {now}/{max}\n")
    } else if before == now {
        format!("Since the last grade: {now} (unchanged)\n")
    } else {
        format!("Since the last grade: {before} → {now} (of {max})\n")
    })
}

/// The files' contents now (`None` for one that is not there).
fn contents(files: &[PathBuf]) -> Vec<Option<Vec<u8>>> {
    files.iter().map(|f| crate::build_files::read_regular(f)).collect()
}

/// Returns once the files differ from `seen` and have stayed the same for [`SETTLE`].
async fn changed(files: &[PathBuf], seen: Vec<Option<Vec<u8>>>) {
    loop {
        tokio::time::sleep(POLL).await;
        let now = contents(files);
        if now == seen {
            continue;
        }
        tokio::time::sleep(SETTLE).await;
        if contents(files) == now {
            return;
        }
    }
}

/// A channel that hears `q` typed on standard input (a line starting with q).
/// An input that ends (a closed stdin) is not a request to quit.
fn quit_on_q() -> mpsc::UnboundedReceiver<()> {
    let (send, receive) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|read| read > 0) {
            if line.trim().eq_ignore_ascii_case("q") && send.send(()).is_err() {
                return;
            }
            line.clear();
        }
        // End of input: keep the sender, so the watch goes on without a keyboard.
        std::mem::forget(send);
    });
    receive
}

fn print_flushed(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Whether `path` has a Cargo workspace with the kit's student files.
pub fn watchable(path: &Path) -> Result<(), String> {
    if !path.join("Cargo.toml").is_file() {
        return Err(format!(
            "{} has no Cargo.toml: --path takes the folder of a Cargo workspace",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_is_seen_once_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.js");
        std::fs::write(&file, "one").unwrap();
        let files = vec![file.clone()];
        let seen = contents(&files);
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            std::fs::write(&file, "two").unwrap();
        });
        tokio::time::timeout(Duration::from_secs(10), changed(&files, seen))
            .await
            .expect("the change is seen");
        writer.await.unwrap();
        assert_eq!(contents(&files), [Some(b"two".to_vec())]);
    }

    #[test]
    fn the_score_change_says_how_the_score_moved() {
        let graded = |score: u32, max: u32| {
            let mut report = Report::new("x".into(), vec![crate::report::CheckResult::new("c", "t", max)]);
            report.score = score;
            report
        };
        assert_eq!(score_change(None, &graded(65, 100)), None, "the first grade has nothing to compare");
        assert_eq!(
            score_change(Some((65, 100)), &graded(80, 100)).as_deref(),
            Some("Since the last grade: 65 → 80 (of 100)\n")
        );
        assert_eq!(
            score_change(Some((80, 100)), &graded(65, 100)).as_deref(),
            Some("Since the last grade: 80 → 65 (of 100)\n")
        );
        assert_eq!(
            score_change(Some((80, 100)), &graded(80, 100)).as_deref(),
            Some("Since the last grade: 80 (unchanged)\n")
        );
        assert_eq!(
            score_change(Some((5, 10)), &graded(5, 20)).as_deref(),
            Some("Since the last grade: 5/10 → 5/20\n"),
            "other checks graded: both totals"
        );
    }

    #[test]
    fn the_next_step_is_the_first_failing_checks_hint() {
        let check = |id: &str, status, hint: Option<&str>| {
            let mut check = crate::report::CheckResult::new(id, &format!("{id} title"), 5);
            (check.status, check.message, check.hint) =
                (status, format!("{id} message"), hint.map(String::from));
            check
        };
        let report = Report::new(
            "x".into(),
            vec![
                check("builds", Status::Pass, None),
                check("creates-session", Status::Fail, Some("answer {\"token\": ...}\nwith JSON")),
                check("two-users", Status::Fail, None),
            ],
        );
        assert_eq!(
            next_step(&report),
            "Next: creates-session (creates-session title)\n  answer {\"token\": ...}\n  with JSON\n"
        );
        let passing = Report::new("x".into(), vec![check("builds", Status::Pass, None)]);
        assert_eq!(next_step(&passing), "All checks pass: 0/5.\n");
    }
}
