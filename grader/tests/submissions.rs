//! The grader against real submissions: the reference solution, the
//! untouched lab, and realistic wrong answers, each built and booted for real.
//! Every wrong answer must fail exactly the checks its mistake breaks.

mod common;

use common::{grade, ids, lay_out, said, settings, Edit, Submission};
use grader::checks::{browser, script, session, setup, Check, Stage, CHECKS};
use grader::report::Outcome;
use grader::Status;

/// Lays out and grades a correct lab with `edits`, and checks which checks fail.
async fn grade_broken(name: &'static str, edits: Vec<Edit>, failing: &[&Check]) -> grader::Report {
    let root = lay_out(&Submission { name, solved: true, edits });
    let report = grade(settings(root, "lab")).await;
    let shown = common::human(&report);
    assert_eq!(ids(&report, Status::Fail), common::expected(failing), "{name}:\n{shown}");
    assert_eq!(ids(&report, Status::Error), Vec::<&str>::new(), "{name}:\n{shown}");
    assert_eq!(report.exit_code(), 1);
    report
}

fn js(from: &'static str, to: &'static str) -> Edit {
    Edit { file: "static/js/session.js", from, to }
}

fn rs(from: &'static str, to: &'static str) -> Edit {
    Edit { file: "lab/src/controllers.rs", from, to }
}

const CREATE: &str = "let token = sessions.create(&username).await?;";
const ANSWER: &str = "Ok((Status::Created, Json(NewSession { token })))";

#[tokio::test]
async fn the_solution_passes_every_check() {
    let report = grade(settings(common::kit(), "solution")).await;
    let shown = common::human(&report);
    assert_eq!(ids(&report, Status::Fail).len() + ids(&report, Status::Error).len(), 0, "{shown}");
    assert_eq!(ids(&report, Status::Pass), common::expected(CHECKS), "{shown}");
    assert_eq!(report.score, report.max_score);
    assert_eq!(report.max_score, if common::browser_on() { 100 } else { 80 });
    assert_eq!(report.exit_code(), 0);
    common::assert_report_snapshots("solution", &report);
}

/// Without a browser, the browser checks cannot be graded: an error that
/// says so, never a pass or a fail, and the HTTP checks still run.
#[tokio::test]
async fn a_missing_browser_is_reported_not_graded() {
    let mut settings = settings(common::kit(), "solution");
    settings.browser = grader::settings::BrowserChoice::Find(Some("/nonexistent/chromium".into()));
    let report = grade(settings).await;
    let browser_checks: Vec<&str> =
        CHECKS.iter().filter(|c| c.stage == Stage::Browser).map(|c| c.id).collect();
    assert_eq!(ids(&report, Status::Error), browser_checks, "{}", common::human(&report));
    assert_eq!(ids(&report, Status::Fail), Vec::<&str>::new());
    assert!(said(&report, &browser::LOGIN).contains("not gradable here: no browser at /nonexistent/chromium"));
    assert_eq!(report.outcome, Outcome::Incomplete);
    assert_eq!(report.exit_code(), 2);
}

/// In the kit the lab is untouched, and fails exactly the checks of its TODOs.
/// On a student's fork, where the TODOs are done, this same test grades the
/// student's lab, so `cargo test --workspace` in CI is the autograder.
#[tokio::test]
async fn the_lab_of_this_workspace() {
    let report = grade(settings(common::kit(), "lab")).await;
    let shown = common::human(&report);
    if !common::lab_is_untouched() {
        assert_eq!(report.exit_code(), 0, "{shown}");
        return;
    }
    let passing: &[&Check] =
        &[&setup::BUILDS, &setup::BOOTS, &setup::SERVES_PAGES, &browser::LOGIN_FORM, &session::NO_TOKEN];
    assert_eq!(ids(&report, Status::Pass), common::expected(passing), "{shown}");
    let failing: &[&Check] = &[&browser::LOGIN, &script::SCRIPT_FILLED, &session::CREATES_SESSION];
    assert_eq!(ids(&report, Status::Fail), common::expected(failing), "{shown}");
    let said_js = said(&report, &script::SCRIPT_FILLED);
    assert!(
        said_js.contains("TODO 1 is not done yet") && said_js.contains("TODO 2 is not done yet"),
        "{said_js}"
    );
    let said_rs = said(&report, &session::CREATES_SESSION);
    assert!(said_rs.contains("answered 501"), "{said_rs}");
    assert!(said_rs.contains("not implemented yet: see lab/src/controllers.rs, TODO 1 (line"), "{said_rs}");
    if common::browser_on() {
        let page = said(&report, &browser::LOGIN);
        assert!(page.contains("shows: creating a session is not implemented yet"), "{page}");
        let saved = &report.check(browser::LOGIN.id).unwrap().artifacts;
        assert!(saved.iter().any(|a| a.ends_with("browser-login.png")), "{saved:?}");
        assert!(saved.iter().all(|a| std::path::Path::new(a).is_file()), "{saved:?}");
    }
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.score, 5);
    common::assert_report_snapshots("untouched-lab", &report);
}

#[tokio::test]
async fn a_script_that_forgets_the_cookie() {
    let store = "document.cookie = \"session=\" + token + \"; Path=/; SameSite=Lax; Max-Age=\" + maxAge;";
    let report =
        grade_broken("no-cookie", vec![js(store, "// (the token is not stored)")], &[&browser::LOGIN]).await;
    if common::browser_on() {
        assert!(said(&report, &browser::LOGIN).contains("no `session` cookie was stored"));
    }
}

#[tokio::test]
async fn a_url_the_server_does_not_serve() {
    let report = grade_broken(
        "wrong-url",
        vec![js("fetch(\"/api/sessions\"", "fetch(\"/api/login\"")],
        &[&browser::LOGIN, &session::CREATES_SESSION],
    )
    .await;
    assert!(said(&report, &session::CREATES_SESSION).contains("no route has this URL"));
    if common::browser_on() {
        let page = said(&report, &browser::LOGIN);
        assert!(
            page.contains("the page sent POST /api/login, got 404, and shows: there is no route"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_wrong_http_method() {
    let edits = vec![
        rs("use rocket::{post, routes, Route, State};", "use rocket::{put, routes, Route, State};"),
        rs("#[post(\"/api/sessions\"", "#[put(\"/api/sessions\""),
    ];
    let report = grade_broken("wrong-method", edits, &[&browser::LOGIN, &session::CREATES_SESSION]).await;
    let said = said(&report, &session::CREATES_SESSION);
    assert!(said.contains("answered 405") && said.contains("another method"), "{said}");
}

#[tokio::test]
async fn a_body_key_the_route_does_not_read() {
    let report = grade_broken(
        "wrong-body-key",
        vec![js("{ username: username }", "{ name: username }")],
        &[&browser::LOGIN, &session::CREATES_SESSION],
    )
    .await;
    let told = said(&report, &session::CREATES_SESSION);
    assert!(told.contains("answered 422") && told.contains("must match your struct's field name"), "{told}");
    if common::browser_on() {
        let page = said(&report, &browser::LOGIN);
        assert!(page.contains("got 422, and shows: the JSON body does not have the fields"), "{page}");
    }
    common::assert_report_snapshots("wrong-body-key", &report);
}

#[tokio::test]
async fn a_token_sent_as_plain_text() {
    let edits = vec![
        rs(") -> Result<(Status, Json<NewSession>), ApiError> {", ") -> Result<String, ApiError> {"),
        rs(ANSWER, "Ok(token)"),
    ];
    let report = grade_broken("plain-text-token", edits, &[&browser::LOGIN, &session::CREATES_SESSION]).await;
    assert!(said(&report, &session::CREATES_SESSION).contains("is not JSON"));
}

#[tokio::test]
async fn the_username_as_the_token() {
    let edits = vec![rs(ANSWER, "Ok((Status::Created, Json(NewSession { token: username.to_string() })))")];
    let report = grade_broken(
        "username-as-token",
        edits,
        &[&browser::LOGIN, &session::FRESH_TOKENS, &session::COOKIE_LOGS_IN],
    )
    .await;
    assert!(said(&report, &session::FRESH_TOKENS).contains("contains the username"));
}

#[tokio::test]
async fn the_same_token_for_everyone() {
    let same = "static FIRST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if FIRST.get().is_none() {
        let _ = FIRST.set(sessions.create(&username).await?);
    }
    let token = FIRST.get().cloned().unwrap_or_default();";
    // The browser's login comes first: with it on, the grader's own first
    // login already gets the browser user's token.
    let with_browser: &[&Check] = &[&session::FRESH_TOKENS, &session::COOKIE_LOGS_IN];
    let without: &[&Check] = &[&session::FRESH_TOKENS, &session::TWO_USERS];
    let failing = if common::browser_on() { with_browser } else { without };
    let report = grade_broken("same-token", vec![rs(CREATE, same)], failing).await;
    assert!(said(&report, &session::FRESH_TOKENS).contains("got the same token"));
}

#[tokio::test]
async fn sessions_kept_in_memory() {
    // The guard reads sessions through SessionManager, so keeping them in
    // memory means changing models.rs: the mistake of rewriting the manager.
    let models = "lab/src/models.rs";
    let edits = vec![
        Edit {
            file: models,
            from: "impl SessionManager {",
            to: "static MEMORY: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Username>>> =
    std::sync::LazyLock::new(Default::default);

impl SessionManager {",
        },
        Edit {
            file: models,
            from: "pub async fn create(&self, username: &Username) -> Result<String, sqlx::Error> {",
            to: "pub async fn create(&self, username: &Username) -> Result<String, sqlx::Error> {
        if true {
            let token = Uuid::new_v4().to_string();
            MEMORY.lock().unwrap().insert(token.clone(), username.clone());
            return Ok(token);
        }",
        },
        Edit {
            file: models,
            from: "pub async fn find(&self, token: &str) -> Result<Option<Session>, sqlx::Error> {",
            to: "pub async fn find(&self, token: &str) -> Result<Option<Session>, sqlx::Error> {
        if true {
            let found = MEMORY.lock().unwrap().get(token).cloned();
            return Ok(found.map(|username| Session { username, expires_at: i64::MAX }));
        }",
        },
        Edit {
            file: models,
            from: "pub async fn delete(&self, token: &str) -> Result<bool, sqlx::Error> {",
            to: "pub async fn delete(&self, token: &str) -> Result<bool, sqlx::Error> {
        if true {
            return Ok(MEMORY.lock().unwrap().remove(token).is_some());
        }",
        },
    ];
    let report = grade_broken("in-memory-sessions", edits, &[&session::SURVIVES_RESTART]).await;
    assert!(said(&report, &session::SURVIVES_RESTART).contains("in the database"));
}

#[tokio::test]
async fn a_global_current_user() {
    let global = "static CURRENT_USER: std::sync::Mutex<Option<Username>> = std::sync::Mutex::new(None);
    let typed = Username::parse(&login.username)?;
    let username = CURRENT_USER.lock().unwrap().get_or_insert(typed).clone();";
    let edits = vec![rs("let username = Username::parse(&login.username)?;", global)];
    // The browser's login comes first: with it on, the grader's own first
    // login is already the second user, and is given the first one's name.
    let (with_browser, without): (&[&Check], &[&Check]) =
        (&[&session::COOKIE_LOGS_IN], &[&session::TWO_USERS]);
    let failing = if common::browser_on() { with_browser } else { without };
    let report = grade_broken("global-current-user", edits, failing).await;
    let failed = if common::browser_on() { &session::COOKIE_LOGS_IN } else { &session::TWO_USERS };
    assert!(said(&report, failed).contains("logs in as"), "{}", said(&report, failed));
}

#[tokio::test]
async fn a_token_made_up_without_the_session_manager() {
    let invented = "let _ = (&username, sessions);
    let token = uuid::Uuid::new_v4().to_string();";
    let report = grade_broken(
        "invents-token",
        vec![rs(CREATE, invented)],
        &[&browser::LOGIN, &session::COOKIE_LOGS_IN],
    )
    .await;
    let said = said(&report, &session::COOKIE_LOGS_IN);
    assert!(said.contains("answered 401") && said.contains("SessionManager::create"), "{said}");
}

#[tokio::test]
async fn a_compile_error() {
    let edits = vec![rs(CREATE, "let token = sessions.create(username).await?;")];
    let report = grade_broken("compile-error", edits, &[&setup::BUILDS]).await;
    let said = said(&report, &setup::BUILDS);
    assert!(said.contains("does not compile: 1 error"), "{said}");
    assert!(said.contains("fix the first error first, at lab/src/controllers.rs:39"), "{said}");
    assert_eq!(ids(&report, Status::Skip).len(), report.checks.len() - 1);
    common::assert_report_snapshots("compile-error", &report);
}

#[tokio::test]
async fn a_handler_that_panics() {
    let edits =
        vec![rs(CREATE, "let token: String = todo!(\"call SessionManager::create for {username}\");")];
    let report = grade_broken("handler-panics", edits, &[&browser::LOGIN, &session::CREATES_SESSION]).await;
    let said = said(&report, &session::CREATES_SESSION);
    assert!(said.contains("answered 500") && said.contains("call SessionManager::create"), "{said}");
}

#[tokio::test]
async fn a_handler_that_hangs() {
    let edits = vec![rs(
        CREATE,
        "std::future::pending::<()>().await;\n    let token = sessions.create(&username).await?;",
    )];
    let report = grade_broken("handler-hangs", edits, &[&browser::LOGIN, &session::CREATES_SESSION]).await;
    let said = said(&report, &session::CREATES_SESSION);
    assert!(said.contains("within 10 s") && said.contains("never comes"), "{said}");
}

#[tokio::test]
async fn a_server_that_never_listens() {
    let edits = vec![rs(
        "pub fn routes() -> Vec<Route> {",
        "pub fn routes() -> Vec<Route> {\n    std::thread::sleep(std::time::Duration::from_secs(3600));",
    )];
    let root = lay_out(&Submission { name: "never-listens", solved: true, edits });
    let mut settings = settings(root, "lab");
    settings.boot_timeout = std::time::Duration::from_secs(3);
    let report = grade(settings).await;
    assert_eq!(ids(&report, Status::Fail), ["boots"]);
    assert!(said(&report, &setup::BOOTS).contains("did not say it was listening within 3 s"));
    let built = report
        .check(setup::BUILDS.id)
        .unwrap()
        .log
        .iter()
        .find_map(|l| l.split(" to ").nth(1))
        .unwrap()
        .to_owned();
    assert!(
        common::processes_running(std::path::Path::new(&built)).is_empty(),
        "the grader left {built} running"
    );
}
