//! A grade's progress on a terminal's stderr: a spinner line with the check
//! that runs, its time and the crate cargo compiles, then a verdict line per
//! check as soon as it is known. It shows the [`Event`]s a grade tells its
//! [`Observer`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{Event, Observer};
use crate::report::{CheckResult, Status};

/// The progress of a grade on a terminal's stderr.
#[derive(Clone)]
pub struct Display {
    bar: ProgressBar,
    /// The check that runs, to put back on the spinner after each crate.
    current: Arc<Mutex<String>>,
}

impl Display {
    /// A display on stderr when stderr is a terminal, else `None`.
    pub fn on_terminal() -> Option<Display> {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal().then(|| Display::new(ProgressDrawTarget::stderr()))
    }

    /// A display drawing to `target` (the tests draw to nothing and read the lines).
    pub fn new(target: ProgressDrawTarget) -> Display {
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Display { bar, current: Arc::default() }
    }

    /// Makes the spinner a bar of `total` steps with an ETA (a batch's clones).
    pub fn count_to(&self, total: u64) {
        let style =
            ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} clones, ETA {eta} · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        self.bar.set_length(total);
        self.bar.set_style(style);
    }

    /// One more step of the bar done.
    pub fn step(&self) {
        self.bar.inc(1);
    }

    /// The spinner's line: what the grade (or a batch) does now.
    pub fn say(&self, what: &str) {
        self.bar.set_message(what.to_owned());
    }

    /// A line above the spinner, kept.
    pub fn line(&self, text: &str) {
        self.bar.println(text);
    }

    /// An observer that shows a grade's events on this display: what runs
    /// on the spinner, and a verdict line per check.
    pub fn observer(&self) -> Observer {
        let display = self.clone();
        Observer::new(move |event| display.show("", event, true))
    }

    /// An observer for one clone of a batch: what runs on the spinner,
    /// `label` first; the verdicts are left to the clone's own line.
    pub fn observer_of(&self, label: &str) -> Observer {
        let display = self.clone();
        let label = label.to_owned();
        Observer::new(move |event| display.show(&label, event, false))
    }

    fn show(&self, label: &str, event: &Event<'_>, verdicts: bool) {
        match event {
            Event::Started { id, title } => {
                let now = format!("{label}{id}: {title}");
                self.say(&now);
                *self.current.lock().unwrap_or_else(|e| e.into_inner()) = now;
            }
            Event::Compiled { count, name } => {
                let now = self.current.lock().unwrap_or_else(|e| e.into_inner()).clone();
                self.say(&format!("{now} (compiling: {count} crates, last {name})"));
            }
            Event::Finished(result) if verdicts => self.line(&verdict_line(label, result)),
            Event::Finished(_) => {}
        }
    }

    /// Takes the spinner off the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `PASS  builds  The crate builds (12.3 s)`, as the progress shows a verdict.
pub fn verdict_line(label: &str, result: &CheckResult) -> String {
    let status = match result.status {
        Status::Pass => "PASS ",
        Status::Fail => "FAIL ",
        Status::Error => "ERROR",
        Status::Skip => "SKIP ",
    };
    let seconds = result.duration_ms as f64 / 1000.0;
    format!("{status} {label}{}  {} ({seconds:.1} s)", result.id, crate::render::inert(&result.title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_line_reads_well() {
        let mut result = CheckResult::new("builds", "The crate builds", 0);
        (result.status, result.duration_ms) = (Status::Pass, 12_345);
        assert_eq!(verdict_line("alice: ", &result), "PASS  alice: builds  The crate builds (12.3 s)");
    }
}
