//! The browser stage's lifecycle and what it leaves behind: the browser is
//! started once for every browser check (or found missing, or turned off),
//! the student's profile and first tab opened, each step run inside that,
//! and what a tab showed (its screenshot and console) saved next to the
//! report. The steps themselves are `browser.rs`.

use futures::future::BoxFuture;

use super::context::{BrowserSession, BrowserState, Launching};
use super::{Context, Findings, Verdict};
use crate::browser::{self, Driver, Tab};
use crate::settings::BrowserChoice;

/// What a student reads when the stage cannot run on this machine.
const NO_BROWSER_HINT: &str = "install Chromium or Chrome, or point --browser (or $GRADER_BROWSER) at one; \
     --no-browser skips these checks";

/// One step of the browser's story, as a check runs it.
pub(super) type Step = for<'a> fn(&'a mut Context, &'a mut Findings) -> BoxFuture<'a, Outcome>;

/// Runs `step` with the browser started, then saves what the page showed:
/// on a failure, or for every step with `--screenshots` (from `shown_in`).
pub(super) async fn in_browser(
    ctx: &mut Context,
    found: &mut Findings,
    shown_in: Which,
    step: Step,
) -> Verdict {
    if let Err(verdict) = start(ctx, found).await {
        return verdict;
    }
    // What an earlier run saved for this check is not about this run.
    for stale in [format!("{}.png", found.check), format!("{}.console.txt", found.check)] {
        let _ = std::fs::remove_file(ctx.settings.artifacts_dir.join(stale));
    }
    match step(ctx, found).await {
        Ok(message) => {
            if ctx.settings.screenshots {
                save_what_the_page_showed(ctx, Some(shown_in), found).await;
            }
            Verdict::Pass(message)
        }
        Err(Stopped { verdict, shown_in }) => {
            save_what_the_page_showed(ctx, shown_in, found).await;
            verdict
        }
    }
}

/// Which tab a failure happened in, so its screenshot and console get saved.
#[derive(Clone, Copy)]
pub(super) enum Which {
    Main,
    Second,
}

/// How a step ends: passed, with what it saw, or stopped.
pub(super) type Outcome = Result<String, Stopped>;

/// A step that did not pass: its verdict, and the tab that shows why (its
/// screenshot and console are saved), if one does.
pub(super) struct Stopped {
    pub(super) verdict: Verdict,
    pub(super) shown_in: Option<Which>,
}

impl From<Verdict> for Stopped {
    fn from(verdict: Verdict) -> Stopped {
        Stopped { verdict, shown_in: None }
    }
}

impl Verdict {
    /// This verdict, stopping a step, shown in `tab`.
    pub(super) fn in_tab(self, tab: Which) -> Stopped {
        Stopped { verdict: self, shown_in: Some(tab) }
    }
}

/// Starts the browser in a task of its own, so that it starts while the
/// server is built (a grade's browser checks wait a few seconds less); the
/// first browser check takes it. Where no browser is found, nothing starts:
/// the first browser check says why, as it does without this.
pub fn launch_early(ctx: &mut Context) {
    let (BrowserState::NotStarted, BrowserChoice::Find(explicit)) = (&ctx.browser, &ctx.settings.browser)
    else {
        return;
    };
    let Ok(executable) = browser::find(explicit.as_deref()) else {
        return;
    };
    let profile = ctx.scratch.path().join("browser-profile");
    let timeout = ctx.settings.browser_timeout;
    let launched = executable.clone();
    let task = tokio::spawn(async move {
        match Driver::launch(&launched, &profile, timeout).await {
            Ok(driver) => open_session(driver).await,
            Err(why) => BrowserState::Unavailable(why),
        }
    });
    ctx.browser = BrowserState::Starting(Launching { executable, task });
}

/// Starts the browser once, for all browser checks (or takes the one
/// [`launch_early`] started).
async fn start(ctx: &mut Context, found: &mut Findings) -> Result<(), Verdict> {
    ctx.browser = match std::mem::replace(&mut ctx.browser, BrowserState::NotStarted) {
        BrowserState::Starting(launching) => {
            found.log.push(format!("starting {}", launching.executable.display()));
            match launching.finish().await {
                // Started beside the build, on a busy machine it may not have come up in time:
                // it starts again below, now that the build is done, as it would have without the head start.
                BrowserState::Unavailable(why) => {
                    found.log.push(format!(
                        "the browser started beside the build did not come up ({why}): starting it again"
                    ));
                    BrowserState::NotStarted
                }
                state => state,
            }
        }
        state => state,
    };
    if let BrowserState::NotStarted = ctx.browser {
        ctx.browser = match &ctx.settings.browser {
            BrowserChoice::Off => BrowserState::Off,
            BrowserChoice::Find(explicit) => match browser::find(explicit.as_deref()) {
                Err(why) => BrowserState::Unavailable(why),
                Ok(executable) => {
                    found.log.push(format!("starting {}", executable.display()));
                    let profile = ctx.scratch.path().join("browser-profile");
                    match Driver::launch(&executable, &profile, ctx.settings.browser_timeout).await {
                        Ok(driver) => open_session(driver).await,
                        Err(why) => BrowserState::Unavailable(why),
                    }
                }
            },
        };
    }
    match &ctx.browser {
        BrowserState::Off => Err(Verdict::NotApplicable("the browser stage is off (--no-browser)".into())),
        BrowserState::Unavailable(why) => Err(Verdict::Error {
            message: format!("not gradable here: {why}"),
            hint: Some(NO_BROWSER_HINT.into()),
        }),
        _ => Ok(()),
    }
}

/// The student's browser profile: one cookie jar and a first tab.
async fn open_session(mut driver: Driver) -> BrowserState {
    let opened = async {
        let profile = driver.new_context().await?;
        let tab = driver.new_tab(&profile).await?;
        Ok::<_, String>((profile, tab))
    }
    .await;
    match opened {
        Ok((profile, tab)) => {
            BrowserState::Ready(Box::new(BrowserSession { driver, profile, tab, second: None }))
        }
        Err(why) => {
            driver.close().await;
            BrowserState::Unavailable(why)
        }
    }
}

pub(super) fn session(ctx: &mut Context) -> Result<&mut BrowserSession, Stopped> {
    match &mut ctx.browser {
        BrowserState::Ready(session) => Ok(session),
        _ => Err(Verdict::error("the browser is not running").into()),
    }
}

/// Saves the tab's screenshot and console next to the report (on a failure,
/// or always with `--screenshots`).
async fn save_what_the_page_showed(ctx: &mut Context, which: Option<Which>, found: &mut Findings) {
    let Some(which) = which else { return };
    let id = found.check;
    let folder = ctx.settings.artifacts_dir.clone();
    let BrowserState::Ready(session) = &ctx.browser else {
        return;
    };
    let tab: Option<&Tab> = match which {
        Which::Main => Some(&session.tab),
        Which::Second => session.second.as_ref(),
    };
    let Some(tab) = tab else { return };
    if std::fs::create_dir_all(&folder).is_err() {
        return;
    }
    let picture = folder.join(format!("{id}.png"));
    match tab.screenshot(&picture).await {
        Ok(()) => found.artifacts.push(picture.display().to_string()),
        Err(why) => found.log.push(why),
    }
    let console = folder.join(format!("{id}.console.txt"));
    let mut lines = tab.console();
    if lines.is_empty() {
        lines.push("(the page printed nothing to its console)".into());
    }
    if std::fs::write(&console, lines.join("\n") + "\n").is_ok() {
        found.artifacts.push(console.display().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{SandboxMode, Settings, Target};

    fn context(browser: BrowserChoice) -> Context {
        let mut settings = Settings::new(Target::Url("http://127.0.0.1:9".into()));
        settings.browser = browser;
        settings.sandbox = SandboxMode::Off;
        Context::new(settings).unwrap()
    }

    /// The processes whose command line names `folder` (the browser's, by its profile).
    fn running_in(folder: &std::path::Path) -> Vec<u32> {
        let pids = std::fs::read_dir("/proc").unwrap().flatten();
        let pids = pids.filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok());
        let needle = folder.to_string_lossy().into_owned();
        pids.filter(|pid| {
            let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&line).contains(&needle)
        })
        .collect()
    }

    /// Nothing starts early without a browser to start (the first browser
    /// check then says why, as it always did); with one, it is starting
    /// before any check runs, and the first browser check takes it.
    #[tokio::test]
    async fn the_browser_starts_before_the_checks_only_where_one_is_found_and_wanted() {
        let mut off = context(BrowserChoice::Off);
        launch_early(&mut off);
        assert!(matches!(off.browser, BrowserState::NotStarted));
        let mut missing = context(BrowserChoice::Find(Some("/nonexistent/chromium".into())));
        launch_early(&mut missing);
        assert!(matches!(missing.browser, BrowserState::NotStarted));
        if browser::find(None).is_err() {
            assert!(std::env::var_os("GRADER_REQUIRE_BROWSER").is_none(), "no browser");
            return;
        }
        let mut ctx = context(BrowserChoice::Find(None));
        launch_early(&mut ctx);
        assert!(matches!(ctx.browser, BrowserState::Starting(_)));
        let mut found = Findings::default();
        assert!(start(&mut ctx, &mut found).await.is_ok());
        assert!(matches!(ctx.browser, BrowserState::Ready(_)));
        assert!(found.log.first().is_some_and(|line| line.starts_with("starting ")), "{:?}", found.log);
        ctx.shutdown().await;
    }

    /// A browser started beside the build that did not come up is started
    /// again at the first browser check, as it would have been without the
    /// head start; one that fails again is reported as it always was.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_browser_that_did_not_come_up_beside_the_build_is_started_again() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let starts = folder.path().join("starts");
        let fake = folder.path().join("chromium");
        std::fs::write(&fake, format!("#!/bin/sh\necho started >> '{}'\nexit 1\n", starts.display()))
            .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut ctx = context(BrowserChoice::Find(Some(fake.clone())));
        launch_early(&mut ctx);
        assert!(matches!(ctx.browser, BrowserState::Starting(_)));
        let mut found = Findings::default();
        let verdict = start(&mut ctx, &mut found).await.unwrap_err();
        assert!(matches!(verdict, Verdict::Error { .. }), "{verdict:?}");
        assert!(found.log.iter().any(|line| line.contains("starting it again")), "{:?}", found.log);
        assert_eq!(std::fs::read_to_string(&starts).unwrap().lines().count(), 2, "started twice");
    }

    /// A grade that ends before its browser checks (the build failed) closes
    /// the browser that was starting: none of its processes is left.
    #[tokio::test]
    async fn a_grade_ended_before_the_browser_checks_leaves_no_browser_running() {
        if browser::find(None).is_err() {
            assert!(std::env::var_os("GRADER_REQUIRE_BROWSER").is_none(), "no browser");
            return;
        }
        let mut ctx = context(BrowserChoice::Find(None));
        let profile = ctx.scratch.path().join("browser-profile");
        launch_early(&mut ctx);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await; // mid-launch, most likely
        ctx.shutdown().await;
        assert_eq!(running_in(&profile), Vec::<u32>::new(), "the early browser outlived the grade");
    }
}
