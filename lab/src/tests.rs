//! The app driven through Rocket's local client, each test on its own
//! temporary database.

use std::time::Duration;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::LocalResponse;
use rocket::serde::json::{json, Value};

use crate::auth::SESSION_COOKIE;
use crate::domain::Username;
use crate::live_streams::LiveStreams;
use crate::models::{hash_token, SessionManager};
use crate::testing::{error_of, TestApp};
use crate::StudentWork;

#[rocket::async_test]
async fn a_visitor_gets_the_login_form() {
    let app = TestApp::new().await;
    let response = app.client.get("/").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::HTML));
    let csp = response
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = response.into_string().await.unwrap();
    assert!(html.contains(r#"id="login-form""#));
    assert!(html.contains("/static/js/session.js"));
    assert!(!html.contains("id=\"current-user\""));
}

#[rocket::async_test]
async fn every_answer_carries_the_security_headers_and_only_a_page_may_load_anything() {
    use crate::headers::{NOT_A_PAGE_POLICY, PAGE_POLICY};
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let page = app.client.get("/").dispatch().await;
    let json = app
        .as_user(app.client.get("/api/me"), &token)
        .dispatch()
        .await;
    let refused = app.client.get("/api/me").dispatch().await;
    let script = app.client.get("/static/js/chat.js").dispatch().await;
    let missing = app.client.get("/no/such/page").dispatch().await;
    assert_eq!(refused.status(), Status::Unauthorized);
    for (what, response, policy) in [
        ("the login page", &page, PAGE_POLICY),
        ("GET /api/me", &json, NOT_A_PAGE_POLICY),
        ("a refused GET /api/me", &refused, NOT_A_PAGE_POLICY),
        ("a script", &script, NOT_A_PAGE_POLICY),
        ("the catcher's JSON 404", &missing, NOT_A_PAGE_POLICY),
    ] {
        let header = |name| response.headers().get_one(name);
        assert_eq!(header("Content-Security-Policy"), Some(policy), "{what}");
        assert_eq!(header("X-Content-Type-Options"), Some("nosniff"), "{what}");
        assert_eq!(header("Referrer-Policy"), Some("same-origin"), "{what}");
    }
    assert_eq!(script.headers().get_one("Cache-Control"), Some("no-cache"));
    assert_eq!(json.headers().get_one("Cache-Control"), None);
}

#[rocket::async_test]
async fn a_user_gets_the_chatroom_with_their_name_escaped() {
    let app = TestApp::new().await;
    let token = app.login("<b>ada</b>").await;
    let html = app.page_as("/", &token).await;
    assert!(
        html.contains("&lt;b&gt;ada&lt;&#x2F;b&gt;") || html.contains("&lt;b&gt;ada&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>ada</b>"));
    assert!(html.contains("/static/js/chat.js"));
    assert!(!html.contains(r#"id="login-form""#));
}

#[rocket::async_test]
async fn the_chat_page_opens_the_room_asked_for_and_refuses_bad_names() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let html = app.page_as("/?room=lab-6", &token).await;
    assert!(html.contains(r#"data-room="lab-6""#), "{html}");
    let response = app
        .as_user(app.client.get("/?room=Not%20A%20Room"), &token)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn the_guard_accepts_only_live_sessions() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let response = app
        .as_user(app.client.get("/api/me"), &token)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.into_json::<Value>().await.unwrap(),
        json!({"username": "ada"})
    );

    assert_eq!(
        app.me("6f1c7f36-2a55-4b53-9d0b-6c1f0b3c8a11").await,
        Status::Unauthorized,
        "unknown"
    );
    assert_eq!(
        app.me("not-a-uuid").await,
        Status::Unauthorized,
        "malformed"
    );
    assert_eq!(app.me("").await, Status::Unauthorized, "empty");
    let response = app.client.get("/api/me").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized, "no cookie");
    assert!(error_of(response).await.contains("not logged in"));
}

#[rocket::async_test]
async fn an_expired_session_is_not_logged_in() {
    let app = TestApp::new().await;
    let pool = app.pool().clone();
    let expired = SessionManager::new(pool, Duration::ZERO);
    let token = expired
        .create(&Username::parse("ada").unwrap())
        .await
        .unwrap();
    assert_eq!(app.me(&token).await, Status::Unauthorized);
    assert_eq!(expired.purge_expired().await.unwrap(), 1);
    assert_eq!(app.count("sessions").await, 0);
}

#[rocket::async_test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let pool = app.pool();
    let (stored,): (String,) = sqlx::query_as("SELECT token_hash FROM sessions")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(stored, hash_token(&token));
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64);
}

#[rocket::async_test]
async fn logout_ends_the_session_for_every_holder_of_the_token() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let other = app.login("grace").await;
    let response = app
        .as_user(app.client.delete("/api/session"), &token)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NoContent);
    let removal = response
        .cookies()
        .get(SESSION_COOKIE)
        .expect("asks the browser to drop the cookie");
    assert_eq!(removal.value(), "");
    assert_eq!(app.me(&token).await, Status::Unauthorized);
    assert_eq!(app.me(&other).await, Status::Ok, "other sessions live on");
    let response = app.client.delete("/api/session").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn messages_are_stored_under_the_session_user() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let response = app
        .post_message(
            &token,
            "general",
            json!({"body": " hello ", "author": "mallory"}),
        )
        .await;
    assert_eq!(response.status(), Status::Created);
    let stored: Value = response.into_json().await.unwrap();
    assert_eq!(stored["author"], "ada");
    assert_eq!(stored["body"], "hello");
    assert_eq!(stored["room"], "general");

    let history = app.history(&token, "").await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
    assert_eq!(history["messages"][0]["author"], "ada");

    let rooms: Value = app
        .client
        .get("/api/rooms")
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(rooms["rooms"], json!(["general", "random", "help"]));
    app.post_message(&token, "lab-6", json!({"body": "new room"}))
        .await;
    let rooms: Value = app
        .client
        .get("/api/rooms")
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(
        rooms["rooms"],
        json!(["general", "random", "help", "lab-6"])
    );
}

#[rocket::async_test]
async fn messages_need_a_session() {
    let app = TestApp::new().await;
    let response = app
        .client
        .post("/api/rooms/general/messages")
        .json(&json!({"body": "hi"}))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        app.client
            .get("/api/rooms/general/messages")
            .dispatch()
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(
        app.client
            .get("/api/rooms/general/events")
            .dispatch()
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(app.count("messages").await, 0);
}

#[rocket::async_test]
async fn history_comes_in_pages_oldest_first() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    for n in 1..=5 {
        app.post_message(&token, "general", json!({"body": format!("m{n}")}))
            .await;
    }
    let bodies = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest = app.history(&token, "?limit=2").await;
    assert_eq!(bodies(&newest), ["m4", "m5"]);
    let before = newest["messages"][0]["id"].as_i64().unwrap();
    let older = app
        .history(&token, &format!("?limit=2&before={before}"))
        .await;
    assert_eq!(bodies(&older), ["m2", "m3"]);
    assert_eq!(bodies(&app.history(&token, "").await).len(), 5);

    for bad in ["?limit=0", "?limit=201", "?limit=x", "?before=soon"] {
        let request = app.client.get(format!("/api/rooms/general/messages{bad}"));
        let response = app.as_user(request, &token).dispatch().await;
        assert_eq!(response.status(), Status::BadRequest, "{bad}");
        assert!(!error_of(response).await.is_empty());
    }
}

#[rocket::async_test]
async fn bad_messages_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let too_long = "x".repeat(2001);
    let cases = [
        (json!({"body": ""}), Status::UnprocessableEntity, "empty"),
        (
            json!({"body": "   \n"}),
            Status::UnprocessableEntity,
            "empty",
        ),
        (
            json!({"body": too_long}),
            Status::UnprocessableEntity,
            "too long",
        ),
        (
            json!({"body": "a\u{1b}[2J"}),
            Status::UnprocessableEntity,
            "control",
        ),
        (
            json!({"text": "hi"}),
            Status::UnprocessableEntity,
            "missing or misspelt key",
        ),
        (
            json!({"body": 42}),
            Status::UnprocessableEntity,
            "fields this route expects",
        ),
    ];
    for (body, status, words) in cases {
        let response = app.post_message(&token, "general", body.clone()).await;
        assert_eq!(response.status(), status, "{body}");
        let error = error_of(response).await;
        assert!(error.contains(words), "{body}: {error}");
    }
    let raw = |body: &'static str, content_type: ContentType| {
        let request = app
            .client
            .post("/api/rooms/general/messages")
            .header(content_type)
            .body(body);
        app.as_user(request, &token)
    };
    let response = raw("{not json", ContentType::JSON).dispatch().await;
    assert_eq!(response.status(), Status::BadRequest);
    assert!(error_of(response).await.contains("not valid JSON"));
    let response = raw("body=hi", ContentType::Form).dispatch().await;
    assert_eq!(response.status(), Status::UnsupportedMediaType);
    assert!(error_of(response).await.contains("application/json"));

    let huge = format!(r#"{{"body": "{}"}}"#, "x".repeat(20_000));
    let request = app
        .client
        .post("/api/rooms/general/messages")
        .header(ContentType::JSON)
        .body(huge);
    let response = app.as_user(request, &token).dispatch().await;
    assert_eq!(response.status(), Status::PayloadTooLarge);

    let response = app
        .post_message(&token, "Not-Valid!", json!({"body": "hi"}))
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    assert!(error_of(response).await.contains("not a room name"));
    assert_eq!(app.count("messages").await, 0);
}

#[rocket::async_test]
async fn live_updates_carry_new_messages_of_the_room() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    let events = app
        .as_user(app.client.get("/api/rooms/general/events"), &token)
        .dispatch()
        .await;
    assert_eq!(events.status(), Status::Ok);
    assert_eq!(events.content_type(), Some(ContentType::EventStream));
    app.post_message(&token, "random", json!({"body": "elsewhere"}))
        .await;
    app.post_message(&token, "general", json!({"body": "live!"}))
        .await;
    // Shutting down ends the stream, so the body can be read to its end.
    app.client.rocket().shutdown().notify();
    let stream = events.into_string().await.unwrap();
    assert!(stream.contains("event:message"), "{stream}");
    assert!(stream.contains(r#""body":"live!""#), "{stream}");
    assert!(stream.contains(r#""author":"ada""#), "{stream}");
    assert!(!stream.contains("elsewhere"), "{stream}");
}

#[rocket::async_test]
async fn unknown_routes_explain_themselves() {
    let app = TestApp::new().await;
    let response = app.client.post("/api/me").dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert!(error_of(response).await.contains("answers GET"));
    let response = app
        .client
        .post("/api/nowhere")
        .json(&json!({"username": "ada"}))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::NotFound);
    assert!(error_of(response)
        .await
        .contains("no route for POST /api/nowhere"));
}

#[rocket::async_test]
async fn the_login_script_can_be_swapped() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("session.js");
    std::fs::write(&script, "// the solution's script\n").unwrap();
    let student = StudentWork {
        routes: crate::controllers::routes(),
        session_js: script,
    };
    let app = TestApp::with_student(student, dir).await;
    let response = app.client.get("/static/js/session.js").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.headers().get_one("Cache-Control"),
        Some("no-cache")
    );
    assert_eq!(
        response.into_string().await.unwrap(),
        "// the solution's script\n"
    );
    assert_eq!(
        app.client
            .get("/static/js/chat.js")
            .dispatch()
            .await
            .status(),
        Status::Ok
    );
}

#[rocket::async_test]
async fn migrations_create_and_keep_the_database() {
    let app = TestApp::new().await;
    let token = app.login("ada").await;
    app.post_message(&token, "general", json!({"body": "kept"}))
        .await;
    let path = app.dir.path().join("chat.sqlite3");
    app.client.terminate().await;
    // Opening an existing, already migrated database changes nothing.
    let config = rocket_db_pools::Config {
        url: path.display().to_string(),
        max_connections: 1,
        connect_timeout: 5,
        ..Default::default()
    };
    let pool = crate::db::connect(&config).await.unwrap();
    let sessions = SessionManager::new(pool.clone(), Duration::from_secs(60));
    assert_eq!(
        sessions
            .find(&token)
            .await
            .unwrap()
            .unwrap()
            .username
            .as_str(),
        "ada"
    );
    let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sync, 1, "NORMAL");
}

/// `db::MIGRATIONS` is written by hand: it must say what `lab/migrations/` holds,
/// each file's version and description from its name, as `sqlx migrate` names them.
#[test]
fn the_compiled_in_migrations_are_the_files_of_the_migrations_folder() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut in_folder: Vec<(i64, String, String)> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let (version, description) = stem.split_once('_').unwrap();
            (
                version.parse().unwrap(),
                description.replace('_', " "),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    in_folder.sort();
    let listed: Vec<(i64, String, String)> = crate::db::MIGRATIONS
        .iter()
        .map(|&(version, description, sql)| (version, description.to_owned(), sql.to_owned()))
        .collect();
    assert_eq!(listed, in_folder);
}

/// Databases made by earlier builds, whose migrations `sqlx::migrate!` listed,
/// keep opening: sqlx refuses a database whose applied migration's checksum
/// differs from the binary's. The checksum below is what such a build stored.
/// (A shipped migration is never edited: a change is a new file.)
#[rocket::async_test]
async fn databases_migrated_by_earlier_builds_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = rocket_db_pools::Config {
        url: dir.path().join("chat.sqlite3").display().to_string(),
        max_connections: 1,
        connect_timeout: 5,
        ..Default::default()
    };
    let pool = crate::db::connect(&config).await.unwrap();
    let (checksum,): (String,) =
        sqlx::query_as("SELECT hex(checksum) FROM _sqlx_migrations WHERE version = 20260101000000")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        checksum,
        "CF86BE5141D72B749D0CDC6A899F21525587571C98646B681CAA7C27A4ACE10C\
         06D2A65721C7BA397CB47B6FF4F2679E"
    );
}

#[rocket::async_test]
async fn bad_requests_get_a_json_error_and_change_nothing() {
    let app = TestApp::new().await;
    let rows = crate::testing::bad_input::given_routes();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    crate::testing::bad_input::assert_refused(&app, &rows).await;
}

/// Opens `room`'s live stream as `token`'s user.
async fn open_stream<'c>(app: &'c TestApp, token: &str) -> LocalResponse<'c> {
    let request = app.client.get("/api/rooms/general/events");
    app.as_user(request, token).dispatch().await
}

/// What a stream sends up to and including `text`, within a few seconds.
async fn read_until(stream: &mut LocalResponse<'_>, text: &str) -> String {
    use rocket::tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buffer = [0; 1024];
    while !String::from_utf8_lossy(&seen).contains(text) {
        let read = rocket::tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer));
        let n = read.await.expect("the stream went on").unwrap();
        assert!(n > 0, "the stream ended before {text:?}");
        seen.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8(seen).unwrap()
}

/// The rest of a stream, which must end by itself within a few seconds.
async fn rest_of(stream: LocalResponse<'_>) -> String {
    let rest = rocket::tokio::time::timeout(Duration::from_secs(10), stream.into_string());
    rest.await
        .expect("the stream ended within 10 s")
        .unwrap_or_default()
}

#[rocket::async_test]
async fn logging_out_ends_the_sessions_live_streams() {
    let app = TestApp::new().await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let mut first = open_stream(&app, &ada).await;
    let mut second = open_stream(&app, &ada).await;
    let bobs = open_stream(&app, &bob).await;
    app.post_message(&bob, "general", json!({"body": "before"}))
        .await;
    // Both streams are live: they deliver what is posted.
    let mut seen = [
        read_until(&mut first, "before").await,
        read_until(&mut second, "before").await,
    ];
    let logout = app.client.delete("/api/session");
    assert_eq!(
        app.as_user(logout, &ada).dispatch().await.status(),
        Status::NoContent
    );
    app.post_message(&bob, "general", json!({"body": "after"}))
        .await;
    seen[0].push_str(&rest_of(first).await);
    seen[1].push_str(&rest_of(second).await);
    for stream in seen {
        assert!(stream.contains("event:end"), "{stream}");
        assert!(stream.contains("data:logged out"), "{stream}");
        assert!(!stream.contains("after"), "{stream}");
    }
    // Bob's stream goes on: it ends only when the server does.
    app.client.rocket().shutdown().notify();
    let stream = rest_of(bobs).await;
    assert!(stream.contains(r#""body":"after""#), "{stream}");
    assert!(!stream.contains("event:end"), "{stream}");
}

#[rocket::async_test]
async fn a_stream_ends_when_its_session_expires() {
    let app = TestApp::configured(|f| f.merge(("session_lifetime", 2))).await;
    let ada = app.login("ada").await;
    let stream = open_stream(&app, &ada).await;
    assert_eq!(stream.status(), Status::Ok);
    let stream = rest_of(stream).await;
    assert!(stream.contains("data:expired"), "{stream}");
    assert_eq!(app.me(&ada).await, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_stream_ends_when_its_session_is_deleted_by_another_process() {
    let app = TestApp::new().await;
    let ada = app.login("ada").await;
    let stream = open_stream(&app, &ada).await;
    // What `util sessions clear` does: this server is not told.
    let other = SessionManager::new(app.pool().clone(), Duration::from_secs(60));
    assert_eq!(other.delete_all().await.unwrap(), 1);
    let stream = rest_of(stream).await;
    assert!(stream.contains("data:ended"), "{stream}");
}

#[rocket::async_test]
async fn live_streams_are_capped_per_session_and_in_all() {
    let app = TestApp::configured(|f| {
        f.merge(("max_streams_per_session", 2))
            .merge(("max_streams", 3))
    })
    .await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let mut open = vec![open_stream(&app, &ada).await, open_stream(&app, &ada).await];
    let third = open_stream(&app, &ada).await;
    assert_eq!(third.status(), Status::TooManyRequests);
    assert!(error_of(third).await.contains("close a tab"));
    open.push(open_stream(&app, &bob).await);
    assert!(open.iter().all(|s| s.status() == Status::Ok));
    let full = open_stream(&app, &bob).await;
    assert_eq!(full.status(), Status::ServiceUnavailable);
    assert_eq!(full.headers().get_one("Retry-After"), Some("10"));
    assert!(error_of(full).await.contains("try again later"));
    // A closed stream gives its place back.
    let streams = app.client.rocket().state::<LiveStreams>().unwrap();
    assert_eq!(streams.open_count(), 3);
    drop(open.pop());
    assert_eq!(streams.open_count(), 2);
    assert_eq!(open_stream(&app, &bob).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn expired_sessions_are_purged_on_schedule() {
    let app = TestApp::configured(|f| {
        f.merge(("session_lifetime", 1))
            .merge(("session_purge_interval", 1))
    })
    .await;
    app.login("ada").await;
    app.login("bob").await;
    assert_eq!(app.count("sessions").await, 2);
    for _ in 0..50 {
        if app.count("sessions").await == 0 {
            return;
        }
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expired sessions were still stored 5 s later");
}

/// A stand-in for the student's login route, wherever they put it.
#[rocket::post("/any/url/a/student/picks")]
fn stand_in_login() -> Status {
    Status::Created
}

#[rocket::async_test]
async fn logins_are_rate_limited_per_address() {
    // Not the lab's own route: the stub is gone once a student writes theirs.
    let student = StudentWork {
        routes: rocket::routes![stand_in_login],
        ..StudentWork::lab()
    };
    let dir = tempfile::tempdir().unwrap();
    let figment = crate::testing::test_figment(&dir).merge(("login_limit", 3));
    let app = TestApp::launch(crate::build_with(figment, student), dir).await;
    let login = |address: &str| {
        app.client
            .post("/any/url/a/student/picks")
            .remote(address.parse().unwrap())
    };
    for _ in 0..3 {
        let response = login("192.0.2.1:5000").dispatch().await;
        assert_eq!(response.status(), Status::Created);
    }
    let refused = login("192.0.2.1:5001").dispatch().await;
    assert_eq!(refused.status(), Status::TooManyRequests);
    assert_eq!(refused.headers().get_one("Retry-After"), Some("20"));
    assert!(error_of(refused).await.contains("too many logins"));
    let elsewhere = login("192.0.2.2:5000").dispatch().await;
    assert_eq!(elsewhere.status(), Status::Created);
}
