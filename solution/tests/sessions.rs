//! The lab's mission, as tests of the solution: log in once, stay logged in
//! in every window that shares the cookie, and only there.

use std::collections::HashSet;

use lab::models::hash_token;
use lab::testing::bad_input::{self, bad, BadRequest};
use lab::testing::{error_of, TestApp};
use rocket::figment::Figment;
use rocket::http::{Method, Status};
use rocket::serde::json::{json, Value};

async fn solution() -> TestApp {
    solution_with(|figment| figment).await
}

/// The solution with `settings` over the test configuration.
async fn solution_with(settings: impl FnOnce(Figment) -> Figment) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let figment = settings(lab::testing::test_figment(&dir));
    TestApp::launch(solution::build(figment), dir).await
}

/// Logs in through the solution's route, as `session.js` does, and returns the token.
async fn log_in(app: &TestApp, username: &str) -> String {
    let response = app
        .client
        .post("/api/sessions")
        .json(&json!({ "username": username }))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Created);
    let body: Value = response.into_json().await.unwrap();
    body["token"].as_str().expect("a token string").to_owned()
}

#[rocket::async_test]
async fn a_user_stays_logged_in_wherever_the_token_goes() {
    let app = solution().await;
    let token = log_in(&app, "ada").await;
    // The same browser in another window: same cookie, same user.
    let page = app.page_as("/", &token).await;
    assert!(
        page.contains("ada") && page.contains(r#"id="current-user""#),
        "{page}"
    );
    // A brand-new client that only knows the token: still the same user.
    let fresh = rocket::local::asynchronous::Client::untracked(solution::build(
        lab::testing::test_figment(&app.dir),
    ))
    .await
    .unwrap();
    let me = fresh
        .get("/api/me")
        .cookie(rocket::http::Cookie::new("session", token.clone()))
        .dispatch()
        .await;
    assert_eq!(me.into_json::<Value>().await.unwrap()["username"], "ada");
    // An incognito window: no cookie, asked for a username.
    let page = app
        .client
        .get("/")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(page.contains(r#"id="login-form""#));
    assert_eq!(
        app.client.get("/api/me").dispatch().await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn sessions_survive_a_restart() {
    let app = solution().await;
    let token = log_in(&app, "ada").await;
    let app = app.restart(solution::build).await;
    assert_eq!(app.whoami(&token).await.as_deref(), Some("ada"));
}

#[rocket::async_test]
async fn two_users_stay_themselves() {
    let app = solution().await;
    let ada = log_in(&app, "ada").await;
    let grace = log_in(&app, "grace").await;
    assert_eq!(app.whoami(&ada).await.as_deref(), Some("ada"));
    assert_eq!(app.whoami(&grace).await.as_deref(), Some("grace"));
    app.post_message(&ada, "general", json!({"body": "from ada"}))
        .await;
    app.post_message(&grace, "general", json!({"body": "from grace"}))
        .await;
    let history = app.history(&ada, "").await;
    let authors: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["ada", "grace"]);
}

#[rocket::async_test]
async fn logout_ends_the_session_for_every_client() {
    let app = solution().await;
    let token = log_in(&app, "ada").await;
    let response = app
        .as_user(app.client.delete("/api/session"), &token)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NoContent);
    assert_eq!(app.me(&token).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn tokens_are_unique_unguessable_and_hashed_at_rest() {
    // 200 logins from one address: past the login limit, so without it.
    let app = solution_with(|f| f.merge(("login_limit", 0))).await;
    let mut tokens = HashSet::new();
    for n in 0..200 {
        let name = format!("user{n}");
        let token = log_in(&app, &name).await;
        assert!(!token.contains(&name), "{token} names its user");
        assert!(token.len() >= 32, "{token} is short");
        assert!(tokens.insert(token), "a token came twice");
    }
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT token_hash, username FROM sessions")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 200);
    for (hash, _) in &stored {
        assert!(!tokens.contains(hash), "a token is stored in plain text");
    }
    let hashes: HashSet<&String> = stored.iter().map(|(hash, _)| hash).collect();
    assert!(tokens.iter().all(|t| hashes.contains(&hash_token(t))));
}

/// Bad logins, as rows of the lab's bad-input table.
fn bad_logins() -> Vec<BadRequest> {
    use Method::{Get, Post, Put};
    let login = "/api/sessions";
    let name = |username: &str| json!({ "username": username }).to_string();
    let unprocessable = Status::UnprocessableEntity;
    vec![
        bad("an empty name", Post, login)
            .json(name(""))
            .gets(unprocessable),
        bad("a blank name", Post, login)
            .json(name(" \t "))
            .gets(unprocessable),
        bad("invisible characters only", Post, login)
            .json(name("\u{200B}\u{2060}\u{FEFF}"))
            .gets(unprocessable),
        bad("a right-to-left override", Post, login)
            .json(name("ada\u{202E}nimda"))
            .gets(unprocessable),
        bad("a name of 33 characters", Post, login)
            .json(name(&"x".repeat(33)))
            .gets(unprocessable),
        bad("a NUL in the name", Post, login)
            .json(name("ada\0"))
            .gets(unprocessable),
        bad("a number for the name", Post, login)
            .json(r#"{"username": 7}"#)
            .gets(unprocessable),
        bad("a missing key", Post, login)
            .json(r#"{"name": "ada"}"#)
            .gets(unprocessable),
        bad("duplicate keys", Post, login)
            .json(r#"{"username": "ada", "username": "bob"}"#)
            .gets(unprocessable),
        bad("an empty body", Post, login).json(""),
        bad("form data sent as JSON", Post, login).json("username=ada"),
        bad("truncated JSON", Post, login).json(r#"{"username": "ad"#),
        bad("invalid UTF-8", Post, login).json(b"{\"username\": \"\xc3\"}".to_vec()),
        bad("JSON nested 1,000 deep", Post, login)
            .json(bad_input::nested("username", 1_000))
            .gets(unprocessable),
        bad("a body past the 16 KiB limit", Post, login)
            .json(name(&"x".repeat(20_000)))
            .gets(Status::PayloadTooLarge),
        bad("text/plain", Post, login)
            .body(Some("text/plain"), name("ada"))
            .gets(Status::UnsupportedMediaType),
        bad("a form", Post, login)
            .body(Some("application/x-www-form-urlencoded"), "username=ada")
            .gets(Status::UnsupportedMediaType),
        bad("multipart", Post, login)
            .body(Some("multipart/form-data; boundary=x"), "--x--\r\n")
            .gets(Status::UnsupportedMediaType),
        bad("no Content-Type", Post, login)
            .body(None, name("ada"))
            .gets(Status::UnsupportedMediaType),
        bad("GET of the login route", Get, login).gets(Status::MethodNotAllowed),
        bad("PUT of the login route", Put, login)
            .json(name("ada"))
            .gets(Status::MethodNotAllowed),
    ]
}

#[rocket::async_test]
async fn bad_requests_get_a_json_error_and_change_nothing() {
    let app = solution().await;
    let mut rows = bad_input::given_routes();
    rows.extend(bad_logins());
    bad_input::assert_refused(&app, &rows).await;
}

#[rocket::async_test]
async fn logins_past_the_limit_get_429_and_no_session() {
    let app = solution_with(|f| f.merge(("login_limit", 2))).await;
    let login = |address: &str| {
        app.client
            .post("/api/sessions")
            .remote(address.parse().unwrap())
            .json(&json!({ "username": "ada" }))
    };
    for _ in 0..2 {
        assert_eq!(
            login("192.0.2.7:1").dispatch().await.status(),
            Status::Created
        );
    }
    let refused = login("192.0.2.7:2").dispatch().await;
    assert_eq!(refused.status(), Status::TooManyRequests);
    assert_eq!(refused.headers().get_one("Retry-After"), Some("30"));
    assert!(error_of(refused).await.contains("try again in 30 s"));
    assert_eq!(app.count("sessions").await, 2);
    assert_eq!(
        login("198.51.100.1:1").dispatch().await.status(),
        Status::Created
    );
}

#[rocket::async_test]
async fn the_solution_serves_its_own_login_script() {
    let app = solution().await;
    let script = app
        .client
        .get("/static/js/session.js")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        !script.contains("\"/api/TODO\""),
        "still the starter's script"
    );
    assert!(script.contains("/api/sessions"));
}
