//! Requests the app must refuse, as a table: each row says what is wrong with
//! a request and the status it must get. [`assert_refused`] sends every row
//! and checks that each gets its status and a JSON `{"error": ...}` body,
//! that no table gained or lost a row, and that the app still answers.
//!
//! [`given_routes`] covers the routes the lab gives (session, messages,
//! history, live stream); the solution's tests add rows for its login route.

use rocket::http::{Cookie, Header, Method, Status};
use rocket::serde::json::Value;

use super::TestApp;
use crate::auth::SESSION_COOKIE;

/// The `session` cookie a row sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCookie {
    Absent,
    /// The token of a live session.
    Live,
    /// A well-formed token no session ever had.
    MadeUp,
    /// The token of a session that logged out.
    LoggedOut,
    /// A live session's token in capitals: tokens are compared exactly.
    UpperCased,
    /// 4 KiB of letters.
    Huge,
}

/// One bad request and the status it must get.
#[derive(Debug, Clone)]
pub struct BadRequest {
    pub what: String,
    pub method: Method,
    pub path: String,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    pub cookie: SessionCookie,
    pub status: Status,
}

/// A row: `what` is wrong with `method path`, sent with a live session and
/// no body until the builder methods say otherwise.
pub fn bad(what: impl Into<String>, method: Method, path: impl Into<String>) -> BadRequest {
    BadRequest {
        what: what.into(),
        method,
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        cookie: SessionCookie::Live,
        status: Status::BadRequest,
    }
}

impl BadRequest {
    /// A body sent as `application/json` (valid JSON or not).
    pub fn json(self, body: impl Into<Vec<u8>>) -> BadRequest {
        self.body(Some("application/json"), body)
    }

    /// A body with any `Content-Type`, or none.
    pub fn body(
        mut self,
        content_type: Option<&'static str>,
        body: impl Into<Vec<u8>>,
    ) -> BadRequest {
        self.content_type = content_type;
        self.body = body.into();
        self
    }

    pub fn cookie(mut self, cookie: SessionCookie) -> BadRequest {
        self.cookie = cookie;
        self
    }

    /// The status the app must answer with.
    pub fn gets(mut self, status: Status) -> BadRequest {
        self.status = status;
        self
    }
}

/// `{"key": [[[...]]]}`, `depth` arrays deep: refused as the wrong type,
/// without the reader ever going deep (a stack overflow would end the server).
pub fn nested(key: &str, depth: usize) -> String {
    format!(
        r#"{{"{key}": {}"x"{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// The given routes' bad requests: session, messages, history, live stream.
pub fn given_routes() -> Vec<BadRequest> {
    use Method::{Delete, Get, Post, Put};
    use SessionCookie::*;
    let post = "/api/rooms/general/messages";
    let history = "/api/rooms/general/messages";
    let events = "/api/rooms/general/events";
    let unprocessable = Status::UnprocessableEntity;
    vec![
        // Who am I, and logout: the cookie is all they read.
        bad("no cookie", Get, "/api/me")
            .cookie(Absent)
            .gets(Status::Unauthorized),
        bad("a made-up token", Get, "/api/me")
            .cookie(MadeUp)
            .gets(Status::Unauthorized),
        bad("a logged-out token", Get, "/api/me")
            .cookie(LoggedOut)
            .gets(Status::Unauthorized),
        bad("an upper-cased token", Get, "/api/me")
            .cookie(UpperCased)
            .gets(Status::Unauthorized),
        bad("a 4 KiB cookie", Get, "/api/me")
            .cookie(Huge)
            .gets(Status::Unauthorized),
        bad("POST to a GET route", Post, "/api/me").gets(Status::MethodNotAllowed),
        bad("logout without a cookie", Delete, "/api/session")
            .cookie(Absent)
            .gets(Status::Unauthorized),
        bad("logout twice", Delete, "/api/session")
            .cookie(LoggedOut)
            .gets(Status::Unauthorized),
        bad("logout with a made-up token", Delete, "/api/session")
            .cookie(MadeUp)
            .gets(Status::Unauthorized),
        bad("PUT to the logout route", Put, "/api/session").gets(Status::MethodNotAllowed),
        // Posting a message: the body.
        bad("an empty body", Post, post).json(""),
        bad("an empty message", Post, post)
            .json(r#"{"body": ""}"#)
            .gets(unprocessable),
        bad("a blank message", Post, post)
            .json(r#"{"body": " \n\t "}"#)
            .gets(unprocessable),
        bad("a message of 2001 characters", Post, post)
            .json(format!(r#"{{"body": "{}"}}"#, "x".repeat(2001)))
            .gets(unprocessable),
        bad("a control character", Post, post)
            .json(r#"{"body": "a\u001b[2Jb"}"#)
            .gets(unprocessable),
        bad("a number for the message", Post, post)
            .json(r#"{"body": 42}"#)
            .gets(unprocessable),
        bad("null for the message", Post, post)
            .json(r#"{"body": null}"#)
            .gets(unprocessable),
        bad("an object for the message", Post, post)
            .json(r#"{"body": {"text": "hi"}}"#)
            .gets(unprocessable),
        bad("a missing key", Post, post)
            .json(r#"{"text": "hi"}"#)
            .gets(unprocessable),
        bad("duplicate keys", Post, post)
            .json(r#"{"body": "a", "body": "b"}"#)
            .gets(unprocessable),
        bad("a string, not an object", Post, post)
            .json(r#""hi""#)
            .gets(unprocessable),
        bad("malformed JSON", Post, post).json("{body: 'hi'}"),
        bad("truncated JSON", Post, post).json(r#"{"body": "hi"#),
        bad("invalid UTF-8", Post, post).json(b"{\"body\": \"\xff\xfe\"}".to_vec()),
        bad("JSON nested 1,000 deep", Post, post)
            .json(nested("body", 1_000))
            .gets(unprocessable),
        bad("a body past the 16 KiB limit", Post, post)
            .json(format!(r#"{{"body": "{}"}}"#, "x".repeat(20_000)))
            .gets(Status::PayloadTooLarge),
        // The content types another site's page can send without asking.
        bad("text/plain", Post, post)
            .body(Some("text/plain"), r#"{"body": "hi"}"#)
            .gets(Status::UnsupportedMediaType),
        bad("a form", Post, post)
            .body(Some("application/x-www-form-urlencoded"), "body=hi")
            .gets(Status::UnsupportedMediaType),
        bad("multipart", Post, post)
            .body(
                Some("multipart/form-data; boundary=x"),
                "--x\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhi\r\n--x--\r\n",
            )
            .gets(Status::UnsupportedMediaType),
        bad("no Content-Type", Post, post)
            .body(None, r#"{"body": "hi"}"#)
            .gets(Status::UnsupportedMediaType),
        // Posting a message: the room, the method, the session.
        bad(
            "a room name with capitals",
            Post,
            "/api/rooms/General/messages",
        )
        .json(r#"{"body": "hi"}"#),
        bad(
            "a room name of 33 characters",
            Post,
            format!("/api/rooms/{}/messages", "a".repeat(33)),
        )
        .json(r#"{"body": "hi"}"#),
        bad(
            "a room name with an encoded slash",
            Post,
            "/api/rooms/a%2Fb/messages",
        )
        .json(r#"{"body": "hi"}"#),
        bad("PUT to the messages route", Put, post)
            .json(r#"{"body": "hi"}"#)
            .gets(Status::MethodNotAllowed),
        bad("a message without a cookie", Post, post)
            .json(r#"{"body": "hi"}"#)
            .cookie(Absent)
            .gets(Status::Unauthorized),
        bad("a message with a logged-out token", Post, post)
            .json(r#"{"body": "hi"}"#)
            .cookie(LoggedOut)
            .gets(Status::Unauthorized),
        // History: paging parameters and the room.
        bad("limit=0", Get, format!("{history}?limit=0")),
        bad("limit past 200", Get, format!("{history}?limit=201")),
        bad("a negative limit", Get, format!("{history}?limit=-1")),
        bad("limit not a number", Get, format!("{history}?limit=ten")),
        bad(
            "before not a number",
            Get,
            format!("{history}?before=yesterday"),
        ),
        bad(
            "before past i64",
            Get,
            format!("{history}?before=99999999999999999999"),
        ),
        bad(
            "history of a bad room",
            Get,
            "/api/rooms/no%20spaces/messages",
        ),
        bad("history without a cookie", Get, history)
            .cookie(Absent)
            .gets(Status::Unauthorized),
        // The live stream.
        bad("a stream without a cookie", Get, events)
            .cookie(Absent)
            .gets(Status::Unauthorized),
        bad("a stream with a made-up token", Get, events)
            .cookie(MadeUp)
            .gets(Status::Unauthorized),
        bad("a stream with a logged-out token", Get, events)
            .cookie(LoggedOut)
            .gets(Status::Unauthorized),
        bad("a stream of a bad room", Get, "/api/rooms/-x/events"),
        bad("POST to the stream", Post, events)
            .json("{}")
            .gets(Status::MethodNotAllowed),
    ]
}

/// Sends every row to `app` and panics with a list of the rows that were not
/// refused as they should be.
pub async fn assert_refused(app: &TestApp, rows: &[BadRequest]) {
    let live = app.login("table").await;
    let logged_out = app.login("gone").await;
    assert!(app.sessions().delete(&logged_out).await.unwrap());
    let mut wrong = Vec::new();
    for row in rows {
        let before = app.row_counts().await;
        let mut request = app.client.req(row.method, row.path.clone());
        if let Some(content_type) = row.content_type {
            request = request.header(Header::new("Content-Type", content_type));
        }
        if !row.body.is_empty() {
            request = request.body(&row.body);
        }
        let token = match row.cookie {
            SessionCookie::Absent => None,
            SessionCookie::Live => Some(live.clone()),
            SessionCookie::MadeUp => Some(uuid::Uuid::new_v4().to_string()),
            SessionCookie::LoggedOut => Some(logged_out.clone()),
            SessionCookie::UpperCased => Some(live.to_uppercase()),
            SessionCookie::Huge => Some("a".repeat(4096)),
        };
        if let Some(token) = token {
            request = request.cookie(Cookie::new(SESSION_COOKIE, token));
        }
        let response = request.dispatch().await;
        let status = response.status();
        let body = response.into_string().await.unwrap_or_default();
        let error = rocket::serde::json::from_str::<Value>(&body)
            .ok()
            .and_then(|json| json["error"].as_str().map(str::to_owned));
        let mut problems = Vec::new();
        if status != row.status {
            problems.push(format!("status {status}, not {}", row.status));
        }
        match error {
            Some(error) if !error.trim().is_empty() => {}
            _ => problems.push(format!("no JSON error: {body:.200}")),
        }
        let after = app.row_counts().await;
        if after != before {
            problems.push(format!("rows changed: {before:?} -> {after:?}"));
        }
        let rooms = app.client.get("/api/rooms").dispatch().await.status();
        if rooms != Status::Ok {
            problems.push(format!("then GET /api/rooms answered {rooms}"));
        }
        if !problems.is_empty() {
            wrong.push(format!(
                "{} ({} {}): {}",
                row.what,
                row.method,
                row.path.chars().take(60).collect::<String>(),
                problems.join("; ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} bad requests were not refused as they should be:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
    assert_eq!(app.whoami(&live).await.as_deref(), Some("table"));
}
