//! Test support shared by the lab's and the solution's tests (feature
//! `test-support`): the app on a temporary database, driven by Rocket's
//! local client, with helpers for the requests the tests make again and again.

pub mod bad_input;

use rocket::figment::Figment;
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::{Client, LocalRequest, LocalResponse};
use rocket::serde::json::Value;
use rocket::{Build, Rocket};
use sqlx::SqlitePool;
use tempfile::TempDir;

use crate::auth::SESSION_COOKIE;
use crate::domain::Username;
use crate::models::SessionManager;
use crate::StudentWork;

/// A running app and the folder its database lives in.
pub struct TestApp {
    pub client: Client,
    pub dir: TempDir,
}

impl TestApp {
    /// The lab as students get it, on a fresh database.
    pub async fn new() -> TestApp {
        TestApp::with_student(StudentWork::lab(), tempfile::tempdir().unwrap()).await
    }

    /// The lab on a fresh database, with `settings` over the test configuration:
    /// `TestApp::configured(|f| f.merge(("login_limit", 3)))`.
    pub async fn configured(settings: impl FnOnce(Figment) -> Figment) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let figment = settings(test_figment(&dir));
        TestApp::launch(crate::build_with(figment, StudentWork::lab()), dir).await
    }

    /// The app with `student`'s work, on the database in `dir`.
    pub async fn with_student(student: StudentWork, dir: TempDir) -> TestApp {
        TestApp::launch(crate::build_with(test_figment(&dir), student), dir).await
    }

    /// Starts any app built on [`test_figment`]`(&dir)`.
    pub async fn launch(rocket: Rocket<Build>, dir: TempDir) -> TestApp {
        let client = Client::tracked(rocket).await.expect("the app starts");
        TestApp { client, dir }
    }

    /// Stops the app and starts `rebuild`'s on the same database, as a restart does.
    pub async fn restart(self, rebuild: impl FnOnce(Figment) -> Rocket<Build>) -> TestApp {
        let TestApp { client, dir } = self;
        client.terminate().await;
        TestApp::launch(rebuild(test_figment(&dir)), dir).await
    }

    pub fn sessions(&self) -> &SessionManager {
        self.client
            .rocket()
            .state::<SessionManager>()
            .expect("managed")
    }

    pub fn pool(&self) -> &SqlitePool {
        self.client
            .rocket()
            .state::<crate::db::Db>()
            .expect("attached")
            .sqlx()
    }

    /// Logs `name` in without the student's route: a session straight from the manager.
    pub async fn login(&self, name: &str) -> String {
        self.sessions()
            .create(&Username::parse(name).unwrap())
            .await
            .unwrap()
    }

    /// `request` as sent by a browser whose `session` cookie holds `token`.
    pub fn as_user<'c>(&self, request: LocalRequest<'c>, token: &str) -> LocalRequest<'c> {
        request.cookie(Cookie::new(SESSION_COOKIE, token.to_owned()))
    }

    /// The body of `GET path` as `token`'s user: a page, as their browser gets it.
    pub async fn page_as(&self, path: &str, token: &str) -> String {
        self.as_user(self.client.get(path.to_owned()), token)
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap_or_default()
    }

    /// The status of `GET /api/me` with `token`.
    pub async fn me(&self, token: &str) -> Status {
        self.as_user(self.client.get("/api/me"), token)
            .dispatch()
            .await
            .status()
    }

    /// The username `GET /api/me` reports for `token`, if logged in.
    pub async fn whoami(&self, token: &str) -> Option<String> {
        let response = self
            .as_user(self.client.get("/api/me"), token)
            .dispatch()
            .await;
        if response.status() != Status::Ok {
            return None;
        }
        let me: Value = response.into_json().await?;
        me["username"].as_str().map(str::to_owned)
    }

    pub async fn post_message(&self, token: &str, room: &str, body: Value) -> LocalResponse<'_> {
        let request = self
            .client
            .post(format!("/api/rooms/{room}/messages"))
            .json(&body);
        self.as_user(request, token).dispatch().await
    }

    /// `GET /api/rooms/general/messages{query}` as `token`'s user.
    pub async fn history(&self, token: &str, query: &str) -> Value {
        let request = self
            .client
            .get(format!("/api/rooms/general/messages{query}"));
        let response = self.as_user(request, token).dispatch().await;
        assert_eq!(response.status(), Status::Ok);
        response.into_json().await.unwrap()
    }

    /// How many rows each table has (migrations' own table included), by name.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(self.pool())
        .await
        .unwrap();
        let mut counts = Vec::new();
        for (table,) in tables {
            let rows = self.count(&format!("\"{table}\"")).await;
            counts.push((table, rows));
        }
        counts
    }

    /// How many rows `table` has.
    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.pool())
            .await
            .unwrap();
        n
    }
}

/// The kit's configuration with the database in `dir` and logging off.
pub fn test_figment(dir: &TempDir) -> Figment {
    let url = dir.path().join("chat.sqlite3").display().to_string();
    crate::config::figment()
        .merge(("databases.chat.url", url))
        .merge(("log_level", "off"))
}

/// The `error` message of a JSON error response.
pub async fn error_of(response: LocalResponse<'_>) -> String {
    let body: Value = response.into_json().await.expect("errors are JSON");
    body["error"]
        .as_str()
        .expect("an `error` string")
        .to_owned()
}
