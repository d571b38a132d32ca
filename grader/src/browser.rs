//! A real headless Chromium (or Chrome), driven over the DevTools protocol:
//! find it, start it with a fresh profile and the flags a closed network
//! needs, open tabs in separate cookie jars, and watch what pages do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::fetch::{self, EventRequestPaused, RequestPattern, RequestStage};
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::cdp::browser_protocol::network::{
    GetCookiesParams, GetRequestPostDataParams, ResourceType,
};
use chromiumoxide::cdp::browser_protocol::page::{CaptureScreenshotFormat, EventFrameNavigated};
use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
use chromiumoxide::cdp::js_protocol::runtime::{EventConsoleApiCalled, EventExceptionThrown, RemoteObject};
use chromiumoxide::error::CdpError;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::{FutureExt, StreamExt};
use serde_json::Value;
use tokio::task::JoinHandle;

/// The variable that can name the browser, as `--browser` does.
pub const BROWSER_VARIABLE: &str = "GRADER_BROWSER";

/// Finds a Chromium or Chrome: `explicit` (from `--browser`), then
/// `$GRADER_BROWSER`, then the usual names on PATH and install locations.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return executable(path).ok_or_else(|| format!("no browser at {} (from --browser)", path.display()));
    }
    if let Some(path) = std::env::var_os(BROWSER_VARIABLE).map(PathBuf::from) {
        return executable(&path)
            .ok_or_else(|| format!("no browser at {} (from ${BROWSER_VARIABLE})", path.display()));
    }
    candidates()
        .iter()
        .find_map(|path| executable(path))
        .ok_or_else(|| "no Chromium or Chrome found".to_owned())
}

/// Where browsers usually are, best first.
fn candidates() -> Vec<PathBuf> {
    // Debian's /usr/bin/chromium is a shell script that adds flags of its
    // own; the real binary next to it takes exactly ours.
    let mut found: Vec<PathBuf> =
        ["/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .collect();
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
        "chrome.exe",
        "msedge",
    ];
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            found.extend(names.iter().map(|name| dir.join(name)));
        }
    }
    found.extend(
        [
            "/opt/google/chrome/chrome",
            "/snap/bin/chromium",
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Chromium.app/Contents/MacOS/Chromium",
        ]
        .iter()
        .map(PathBuf::from),
    );
    for root in ["ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"] {
        if let Some(root) = std::env::var_os(root) {
            found.push(PathBuf::from(root).join(r"Google\Chrome\Application\chrome.exe"));
        }
    }
    found
}

fn executable(path: &Path) -> Option<PathBuf> {
    path.is_file().then(|| path.to_path_buf())
}

/// A running browser. Close it with [`Driver::close`]; dropping it kills it.
pub struct Driver {
    browser: Browser,
    handler: JoinHandle<()>,
    /// The browser's crash handlers, which detach themselves, left running
    /// by other grades' sweeps until this browser has closed.
    _helpers: crate::process::Spared,
    /// How long each wait may take.
    pub timeout: Duration,
}

impl Driver {
    /// Starts `executable` headless, with a fresh profile in `profile`.
    pub async fn launch(executable: &Path, profile: &Path, timeout: Duration) -> Result<Driver, String> {
        let mut args = vec![
            "headless",
            "disable-gpu",
            "no-first-run",
            "no-default-browser-check",
            // Nothing but the graded server: no updates, sync or other calls home.
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
            "disable-extensions",
        ];
        #[cfg(unix)]
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            args.push("no-sandbox"); // Chromium refuses to run as root with its sandbox
        }
        // The crash handlers' database, and with it their command line, in this launch's own folder
        // (not the user's ~/.config): what tells them from any other process while they are spared.
        let config_home = std::path::absolute(profile.join("xdg-config"))
            .map_err(|e| format!("cannot place the browser's profile: {e}"))?;
        let helpers = crate::process::spare(crate::process::Helper {
            executable_suffix: "_crashpad_handler",
            argument_prefix: format!("--database={}/", config_home.display()),
        });
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .env("XDG_CONFIG_HOME", config_home.to_string_lossy())
            .disable_default_args()
            .with_head() // the crate would add headless flags of its own; `headless` above says it
            .args(args)
            .user_data_dir(profile)
            .window_size(1280, 900)
            .viewport(None)
            .request_timeout(timeout)
            // A busy machine (a build beside it, a class graded at once) can keep Chromium from
            // answering for many seconds; waiting costs nothing when it starts at once.
            .launch_timeout(timeout.max(Duration::from_secs(45)))
            .build()
            .map_err(|e| format!("bad browser configuration: {e}"))?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| format!("{} did not start: {e}", executable.display()))?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                // Newer browsers send messages this crate cannot parse; they are
                // dropped one by one. Only a dead connection ends the loop.
                if let Err(CdpError::Ws(_)) = event {
                    break;
                }
            }
        });
        Ok(Driver { browser, handler, _helpers: helpers, timeout })
    }

    /// A new, empty cookie jar: what an incognito window is.
    pub async fn new_context(&mut self) -> Result<BrowserContextId, String> {
        self.browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .map_err(|e| format!("cannot open a browser context: {e}"))
    }

    /// A new tab in `context`, showing `about:blank`, with its console recorded.
    pub async fn new_tab(&self, context: &BrowserContextId) -> Result<Tab, String> {
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| format!("bad tab parameters: {e}"))?;
        let page = self.browser.new_page(params).await.map_err(|e| format!("cannot open a tab: {e}"))?;
        Tab::watch(page, self.timeout).await
    }

    /// Closes the browser and reaps it (SIGKILL if it does not close in
    /// time), then ends its helpers (renderers, the zygote), which share the
    /// grader's process group: none outlives the grader. Its crash handlers,
    /// which left the group, are no longer spared: the grade's sweep ends them.
    pub async fn close(mut self) {
        let main = self.browser.get_mut_child().and_then(|child| child.as_mut_inner().id());
        let family = main.map(crate::process::family_of).unwrap_or_default();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        if tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await.is_err() {
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
        let _ =
            tokio::task::spawn_blocking(move || crate::process::end_family(&family, Duration::from_secs(3)))
                .await;
    }
}

/// One browser tab, with what its page printed to the console.
pub struct Tab {
    pub page: Page,
    console: Arc<Mutex<Vec<String>>>,
    watcher: JoinHandle<()>,
    timeout: Duration,
}

/// A request a page sent, and the answer it got.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub method: String,
    pub url: String,
    pub content_type: Option<String>,
    pub body: Option<String>,
    pub status: Option<u16>,
    pub response_content_type: Option<String>,
    pub response_body: Option<String>,
}

impl Drop for Tab {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Tab {
    async fn watch(page: Page, timeout: Duration) -> Result<Tab, String> {
        let cdp = |e: CdpError| format!("the browser did not answer: {e}");
        // Every console call reaches the grader whole: a page that logs a huge
        // answer would cost the grader as much memory. Cut long strings in the page.
        page.evaluate_on_new_document(SHORT_CONSOLE).await.map_err(cdp)?;
        let mut console_calls = page.event_listener::<EventConsoleApiCalled>().await.map_err(cdp)?;
        let mut exceptions = page.event_listener::<EventExceptionThrown>().await.map_err(cdp)?;
        let console = Arc::new(Mutex::new(Vec::new()));
        let lines = console.clone();
        let watcher = tokio::spawn(async move {
            loop {
                let line = tokio::select! {
                    Some(call) = console_calls.next() => {
                        let args: Vec<String> = call.args.iter().map(describe).collect();
                        format!("console.{}: {}", format!("{:?}", call.r#type).to_lowercase(), args.join(" "))
                    }
                    Some(thrown) = exceptions.next() => {
                        let details = &thrown.exception_details;
                        let what = details.exception.as_ref().and_then(|e| e.description.clone()).unwrap_or_default();
                        format!("uncaught exception: {} {what}", details.text)
                    }
                    else => break,
                };
                let mut lines = lines.lock().unwrap_or_else(|e| e.into_inner());
                // A page that prints without end costs a bounded amount: the first lines, each cut short.
                match lines.len() {
                    n if n < CONSOLE_LINES => lines.push(cut(line, CONSOLE_LINE_CHARS)),
                    CONSOLE_LINES => lines.push("[… the page printed more; not kept …]".into()),
                    _ => {}
                }
            }
        });
        Ok(Tab { page, console, watcher, timeout })
    }

    /// Everything the page printed to its console so far.
    pub fn console(&self) -> Vec<String> {
        self.console.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub async fn goto(&self, url: &str) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, self.page.goto(url)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("could not open {url}: {e}")),
            Err(_) => Err(format!("{url} did not load within {} s", self.timeout.as_secs())),
        }
    }

    pub async fn reload(&self) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, self.page.reload()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("could not reload: {e}")),
            Err(_) => Err(format!("the page did not reload within {} s", self.timeout.as_secs())),
        }
    }

    /// The value of a JavaScript expression, as JSON (`null` when the page is
    /// between two documents).
    pub async fn eval(&self, expression: &str) -> serde_json::Value {
        let evaluated = tokio::time::timeout(self.timeout, self.page.evaluate(expression)).await;
        match evaluated {
            Ok(Ok(result)) => result.value().cloned().unwrap_or(serde_json::Value::Null),
            _ => serde_json::Value::Null,
        }
    }

    /// The text of the first element matching `selector`, if there is one.
    pub async fn text_of(&self, selector: &str) -> Option<String> {
        let expression = format!("document.querySelector({})?.textContent ?? null", js_string(selector));
        self.eval(&expression).await.as_str().map(|s| s.trim().to_owned())
    }

    /// Waits until `expression` is true, up to the time limit. Evaluating a
    /// page while it navigates fails; that counts as "not yet".
    pub async fn wait_until(&self, expression: &str) -> bool {
        let deadline = tokio::time::Instant::now() + self.timeout;
        while tokio::time::Instant::now() < deadline {
            if self.eval(expression).await == serde_json::Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Puts `text` into the field `selector` as if typed.
    pub async fn type_into(&self, selector: &str, text: &str) -> Result<(), String> {
        let focus = format!("(() => {{ const e = document.querySelector({}); if (!e) return false; e.focus(); e.value = ''; return true; }})()", js_string(selector));
        if self.eval(&focus).await != Value::Bool(true) {
            return Err(format!("the page has no {selector}"));
        }
        self.page
            .execute(InsertTextParams::new(text))
            .await
            .map(|_| ())
            .map_err(|e| format!("could not type into {selector}: {e}"))
    }

    /// Clicks the element `selector`, as the page's own scripts see a click.
    /// (A DOM click, not a mouse event: those wait on a tab being in front.)
    pub async fn click(&self, selector: &str) -> Result<(), String> {
        let click = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()",
            js_string(selector)
        );
        match self.eval(&click).await {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("the page has no {selector}")),
        }
    }

    /// Runs `action`, then returns every `fetch` (or XHR) request the page
    /// sends, with its answer, until the page navigates away or has sent
    /// nothing for a second (empty if it sends none within the time limit).
    ///
    /// Each answer is read while the browser holds it back from the page
    /// (DevTools' Fetch domain): read afterwards, it may already be gone with
    /// the page that asked for it, when the page reloads at once.
    pub async fn capture_requests<F, Fut>(&self, action: F) -> Result<Vec<Captured>, String>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let cdp = |e: CdpError| format!("the browser did not answer: {e}");
        let patterns = [ResourceType::Fetch, ResourceType::Xhr].map(|kind| {
            RequestPattern::builder().resource_type(kind).request_stage(RequestStage::Response).build()
        });
        self.page.execute(fetch::EnableParams::builder().patterns(patterns).build()).await.map_err(cdp)?;
        let mut paused = self.page.event_listener::<EventRequestPaused>().await.map_err(cdp)?;
        let mut navigated = self.page.event_listener::<EventFrameNavigated>().await.map_err(cdp)?;
        let acted = action().await;
        let mut captured = Vec::new();
        if acted.is_ok() {
            let deadline = tokio::time::Instant::now() + self.timeout;
            loop {
                // After the first request, a quiet second means the page is done sending.
                let quiet = if captured.is_empty() { self.timeout } else { Duration::from_secs(1) };
                let wait_until = deadline.min(tokio::time::Instant::now() + quiet);
                tokio::select! {
                    held = paused.next() => match held {
                        Some(held) if captured.len() < CAPTURED_REQUESTS => captured.push(self.read_held(&held).await),
                        Some(held) => {
                            let _ = self.page.execute(fetch::ContinueRequestParams::new(held.request_id.clone())).await;
                        }
                        None => break,
                    },
                    _ = navigated.next() => break,
                    _ = tokio::time::sleep_until(wait_until) => break,
                }
            }
        }
        let _ = self.page.execute(fetch::DisableParams::default()).await;
        // Whatever was held back after the wait ended goes on its way too.
        while let Some(Some(held)) = paused.next().now_or_never() {
            let _ = self.page.execute(fetch::ContinueRequestParams::new(held.request_id.clone())).await;
        }
        acted?;
        Ok(captured)
    }

    /// What a held request and its answer were; then lets the answer through.
    async fn read_held(&self, held: &EventRequestPaused) -> Captured {
        let header = |name: &str, headers: &[(String, String)]| {
            headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
        };
        let request_headers: Vec<(String, String)> = serde_json::to_value(&held.request.headers)
            .ok()
            .and_then(|h| h.as_object().cloned())
            .map(|h| h.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        let response_headers: Vec<(String, String)> =
            held.response_headers.iter().flatten().map(|h| (h.name.clone(), h.value.clone())).collect();
        let mut captured = Captured {
            method: held.request.method.clone(),
            url: held.request.url.clone(),
            content_type: header("content-type", &request_headers),
            status: held.response_status_code.and_then(|s| u16::try_from(s).ok()),
            response_content_type: header("content-type", &response_headers),
            ..Captured::default()
        };
        if let (Some(true), Some(id)) = (held.request.has_post_data, &held.network_id) {
            let posted = self.page.execute(GetRequestPostDataParams::new(id.clone())).await;
            captured.body = posted.ok().map(|p| p.result.post_data.clone());
        }
        // An answer that says it is huge is not read: the grader's memory stays bounded.
        let length = header("content-length", &response_headers).and_then(|l| l.trim().parse::<usize>().ok());
        captured.response_body = match length {
            Some(length) if length > CAPTURED_BODY_BYTES => Some(format!(
                "(an answer of {length} bytes, larger than {} KiB: not read)",
                CAPTURED_BODY_BYTES / 1024
            )),
            _ => {
                let body =
                    self.page.execute(fetch::GetResponseBodyParams::new(held.request_id.clone())).await;
                body.ok().map(|b| {
                    if !b.result.base64_encoded {
                        return cut(b.result.body.clone(), CAPTURED_BODY_BYTES);
                    }
                    match BASE64.decode(&b.result.body) {
                        Ok(bytes) => cut(String::from_utf8_lossy(&bytes).into_owned(), CAPTURED_BODY_BYTES),
                        Err(_) => "(a body the browser could not hand over)".to_owned(),
                    }
                })
            }
        };
        captured.body = captured.body.map(|body| cut(body, CAPTURED_BODY_BYTES));
        let _ = self.page.execute(fetch::ContinueRequestParams::new(held.request_id.clone())).await;
        captured
    }

    /// The value of this page's cookie `name`, HttpOnly ones included.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let cookies = tokio::time::timeout(self.timeout, self.page.get_cookies()).await.ok()?.ok()?;
        cookies.into_iter().find(|c| c.name == name).map(|c| c.value).filter(|v| !v.is_empty())
    }

    /// The cookies this tab's profile would send to `url`, as `name=value`:
    /// what a page load of `url` carries.
    pub async fn cookies_for(&self, url: &str) -> Vec<String> {
        let asked = self.page.execute(GetCookiesParams::builder().url(url).build());
        match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(answer)) => {
                answer.result.cookies.iter().map(|c| format!("{}={}", c.name, c.value)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The HTTP status and content type of the document the tab shows, as
    /// the page's navigation timing records them (`None` if it does not say).
    pub async fn document_answer(&self) -> (Option<u16>, Option<String>) {
        let status = self.eval("performance.getEntriesByType('navigation')[0]?.responseStatus ?? null").await;
        let kind = self.eval("document.contentType").await;
        let status = status.as_u64().and_then(|s| u16::try_from(s).ok()).filter(|s| *s > 0);
        (status, kind.as_str().map(str::to_owned))
    }

    /// Saves a screenshot of the page as a PNG.
    pub async fn screenshot(&self, path: &Path) -> Result<(), String> {
        let params = ScreenshotParams::builder().format(CaptureScreenshotFormat::Png).full_page(true).build();
        match tokio::time::timeout(self.timeout, self.page.save_screenshot(params, path)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("no screenshot: {e}")),
            Err(_) => Err("no screenshot: the browser did not answer in time".into()),
        }
    }
}

/// Runs before every page's own scripts: the console's methods cut a string
/// argument at `CONSOLE_LINE_CHARS` characters (as the grader's copy would).
const SHORT_CONSOLE: &str = r#"(() => {
  const max = 2000;
  const cut = (value) => typeof value === "string" && value.length > max
    ? value.slice(0, max) + "[… " + (value.length - max) + " more characters]"
    : value;
  for (const name of ["log", "info", "warn", "error", "debug", "trace", "dir"]) {
    const original = console[name];
    console[name] = function (...args) { return original.apply(console, args.map(cut)); };
  }
})();"#;

/// How many console lines a tab keeps, and how long each may be.
const CONSOLE_LINES: usize = 500;
const CONSOLE_LINE_CHARS: usize = 2000;

/// How many requests a capture keeps, and the largest answer it reads.
const CAPTURED_REQUESTS: usize = 50;
const CAPTURED_BODY_BYTES: usize = 1024 * 1024;

/// `text` cut at `max` characters, saying so.
fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}[… {} more bytes]", &text[..at], text.len() - at),
        None => text,
    }
}

/// A console argument as text.
fn describe(object: &RemoteObject) -> String {
    match (&object.value, &object.description) {
        (Some(serde_json::Value::String(s)), _) => s.clone(),
        (Some(value), _) => value.to_string(),
        (None, Some(description)) => description.clone(),
        _ => format!("{:?}", object.r#type).to_lowercase(),
    }
}

/// `text` as a JavaScript string literal.
pub fn js_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_path_must_be_a_browser() {
        let missing = find(Some(Path::new("/nonexistent/chromium"))).unwrap_err();
        assert_eq!(missing, "no browser at /nonexistent/chromium (from --browser)");
        let file = tempfile::NamedTempFile::new().unwrap();
        assert_eq!(find(Some(file.path())).unwrap(), file.path());
    }

    #[test]
    fn the_usual_places_include_every_platform() {
        let places: Vec<String> = candidates().iter().map(|p| p.display().to_string()).collect();
        assert!(places.iter().any(|p| p.ends_with("/usr/lib/chromium/chromium")));
        assert!(places.iter().any(|p| p.contains("Google Chrome.app")));
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        assert_eq!(cut("abcdef".into(), 3), "abc[… 3 more bytes]");
        assert_eq!(cut("ab".into(), 3), "ab");
    }

    /// Chromium's crash handlers detach themselves as it starts. While the
    /// browser runs, no sweep of this process ends them (another grade's
    /// included); once it has closed, the next sweep does.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_browsers_crash_handlers_outlive_every_sweep_while_it_runs() {
        let Ok(executable) = find(None) else {
            assert!(std::env::var_os("GRADER_REQUIRE_BROWSER").is_none(), "no browser");
            return;
        };
        let _turn = crate::process::tests::SWEEPS.lock().await;
        crate::process::adopt_orphans();
        let profile = tempfile::tempdir().unwrap();
        let driver = Driver::launch(&executable, profile.path(), Duration::from_secs(30)).await.unwrap();
        let database = format!("--database={}/xdg-config/", profile.path().display());
        let handlers = || -> Vec<u32> {
            let pids = std::fs::read_dir("/proc").unwrap().flatten();
            let pids = pids.filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok());
            pids.filter(|pid| {
                let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
                let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                exe.to_string_lossy().ends_with("_crashpad_handler")
                    && line.split(|b| *b == 0).any(|word| word.starts_with(database.as_bytes()))
            })
            .collect()
        };
        let mut running = handlers();
        for _ in 0..50 {
            if !running.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            running = handlers();
        }
        assert!(
            !running.is_empty(),
            "{} started no crash handler with its own database",
            executable.display()
        );
        let ended = crate::process::end_orphans();
        assert!(ended.iter().all(|o| !running.contains(&o.pid)), "{ended:?}");
        assert_eq!(handlers(), running, "a sweep ended the running browser's crash handlers");
        driver.close().await;
        crate::process::end_orphans();
        assert_eq!(handlers(), Vec::<u32>::new(), "the crash handlers outlived their browser's close");
    }

    #[test]
    fn text_becomes_a_javascript_string() {
        assert_eq!(js_string("a'b\"c</script>"), r#""a'b\"c</script>""#);
    }
}
