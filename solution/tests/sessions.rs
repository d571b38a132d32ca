//! The lab's mission, as tests of the solution: log in once, stay logged in
//! in every window that shares the cookie, and only there.

use std::collections::HashSet;

use lab::models::hash_token;
use lab::testing::{error_of, TestApp};
use rocket::http::{ContentType, Status};
use rocket::serde::json::{json, Value};

async fn solution() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    TestApp::launch(solution::build(lab::testing::test_figment(&dir)), dir).await
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
    let app = solution().await;
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

#[rocket::async_test]
async fn bad_logins_get_a_4xx_and_no_session() {
    let app = solution().await;
    let cases: Vec<(ContentType, String, Status)> = vec![
        (
            ContentType::JSON,
            json!({}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"username": ""}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"username": "   "}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"username": "x".repeat(33)}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"username": "ada\u{0}"}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"username": 7}).to_string(),
            Status::UnprocessableEntity,
        ),
        (
            ContentType::JSON,
            json!({"name": "ada"}).to_string(),
            Status::UnprocessableEntity,
        ),
        (ContentType::JSON, "username=ada".into(), Status::BadRequest),
        (
            ContentType::Form,
            "username=ada".into(),
            Status::UnsupportedMediaType,
        ),
        (
            ContentType::JSON,
            format!(r#"{{"username": "{}"}}"#, "x".repeat(20_000)),
            Status::PayloadTooLarge,
        ),
    ];
    for (content_type, body, status) in cases {
        let response = app
            .client
            .post("/api/sessions")
            .header(content_type)
            .body(&body)
            .dispatch()
            .await;
        assert_eq!(response.status(), status, "{}", &body[..body.len().min(60)]);
        assert!(!error_of(response).await.is_empty());
    }
    assert_eq!(app.count("sessions").await, 0);
    let response = app.client.get("/api/sessions").dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
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
