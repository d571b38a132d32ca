//! The lab's verbs over HTTP, for the session checks: log in, who am I, load
//! the page, post a message, read a room. Each window is a fresh cookie jar,
//! as a new browser window is to the server.

use crate::client::{HttpClient, NoAnswer, Reply};
use crate::kit::kit;
use crate::report::Exchange;
use crate::script::LoginRequest;

use super::Context;

/// What the report calls one of the grader's fresh cookie jars (`jar 3`).
pub const JAR: &str = "jar";

/// The server under grade, as a user's browser windows see it.
pub struct Lab<'a> {
    ctx: &'a Context,
}

impl Context {
    /// The lab's verbs, against the server being graded.
    pub fn lab(&self) -> Lab<'_> {
        Lab { ctx: self }
    }
}

impl Lab<'_> {
    /// A new window with no cookie, named by its place among this grade's
    /// cookie jars (`jar 1`, `jar 2`...), as the report's story draws it.
    pub fn window(&self) -> HttpClient {
        let number = self.ctx.jars_opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        HttpClient::new(self.ctx.settings.request_timeout).named(format!("{JAR} {number}"))
    }

    /// A new window whose session cookie holds `token`, as `session.js` stores it.
    pub fn window_with(&self, token: &str) -> HttpClient {
        let window = self.window();
        window.store_cookie(&self.ctx.url("/"), &kit().server.cookie, token);
        window
    }

    /// Sends the page's login request for `username`, from a new window.
    pub async fn log_in(
        &self,
        request: &LoginRequest,
        username: &str,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        self.log_in_at(&self.ctx.url(""), request, username, exchanges).await
    }

    /// Sends the page's login request for `username`, from a new window, to
    /// the server at `base` (another launch of the student's server).
    pub async fn log_in_at(
        &self,
        base: &str,
        request: &LoginRequest,
        username: &str,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        let url = request.url_for(username);
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url
        } else {
            format!("{}/{}", base.trim_end_matches('/'), url.trim_start_matches('/'))
        };
        // A fetch without a body sends none: a GET with a body is not what the page sends.
        let body =
            (!request.body.is_empty()).then(|| (request.content_type.as_str(), request.body_for(username)));
        self.window().send(&request.method, &url, body, exchanges).await
    }

    /// `GET /api/me` (who am I?) from `window`.
    pub async fn whoami(
        &self,
        window: &HttpClient,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        window.send("GET", &self.ctx.url(&kit().server.whoami), None, exchanges).await
    }

    /// Who a new window carrying `token` (or no cookie) is.
    pub async fn whoami_with(
        &self,
        token: Option<&str>,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        let window = match token {
            Some(token) => self.window_with(token),
            None => self.window(),
        };
        self.whoami(&window, exchanges).await
    }

    /// The home page: the login form, or the chatroom for a session.
    pub async fn home(&self, window: &HttpClient, exchanges: &mut Vec<Exchange>) -> Result<Reply, NoAnswer> {
        window.send("GET", &self.ctx.url(&kit().server.home), None, exchanges).await
    }

    /// Posts `text` to `room` from `window`.
    pub async fn post_message(
        &self,
        window: &HttpClient,
        room: &str,
        text: &str,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        let body = serde_json::json!({ "body": text }).to_string();
        let url = self.ctx.url(&kit().server.messages_of(room));
        window.send("POST", &url, Some(("application/json", body)), exchanges).await
    }

    /// How many rows the sessions table holds now, read through a read-only
    /// connection to the database the grader gave the server, in at most two
    /// seconds: `Ok(None)` when the grader does not own the database (`--url`).
    pub async fn session_rows(&self) -> Result<Option<i64>, String> {
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::{ConnectOptions, Connection};
        let Some(spec) = self.ctx.server_spec() else { return Ok(None) };
        let table = &kit().server.sessions_table;
        let count = async {
            let options = SqliteConnectOptions::new().filename(&spec.database).read_only(true);
            let mut connection =
                options.connect().await.map_err(|e| format!("cannot open the database: {e}"))?;
            let count = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM \"{table}\""))
                .fetch_one(&mut connection)
                .await
                .map_err(|e| format!("cannot count the rows of `{table}`: {e}"));
            let _ = connection.close().await;
            count
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), count)
            .await
            .map_err(|_| format!("counting the rows of `{table}` took over 2 s"))?
            .map(Some)
    }

    /// The session row the database holds for `token`, read through a
    /// read-only connection to the database the grader gave the server, in
    /// at most two seconds: `Ok(None)` when no row has it. The lab's schema
    /// (its migrations): a token is stored as its SHA-256 in hex.
    pub async fn stored_session(&self, token: &str) -> Result<Option<StoredSession>, String> {
        use sha2::{Digest, Sha256};
        use sqlx::sqlite::SqliteConnectOptions;
        use sqlx::{ConnectOptions, Connection};
        let spec = self.ctx.server_spec().ok_or("the grader does not own this server's database (--url)")?;
        let hash: String = Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let table = &kit().server.sessions_table;
        let read = async {
            let options = SqliteConnectOptions::new().filename(&spec.database).read_only(true);
            let mut connection =
                options.connect().await.map_err(|e| format!("cannot open the database: {e}"))?;
            let row = sqlx::query_as::<_, (String, i64, i64)>(&format!(
                "SELECT username, created_at, expires_at FROM \"{table}\" WHERE token_hash = ?"
            ))
            .bind(hash)
            .fetch_optional(&mut connection)
            .await
            .map_err(|e| format!("cannot read `{table}`: {e}"));
            let _ = connection.close().await;
            row
        };
        let row = tokio::time::timeout(std::time::Duration::from_secs(2), read)
            .await
            .map_err(|_| format!("reading `{table}` took over 2 s"))??;
        Ok(row.map(|(username, created_at, expires_at)| StoredSession { username, created_at, expires_at }))
    }

    /// The messages of `room`, as `window` reads them.
    pub async fn history(
        &self,
        window: &HttpClient,
        room: &str,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        window.send("GET", &self.ctx.url(&kit().server.messages_of(room)), None, exchanges).await
    }
}

/// A session as the database stores it (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub username: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The username a "who am I" answer names, if any.
pub fn username_in(reply: &Reply) -> Option<String> {
    reply.json()?.get("username")?.as_str().map(str::to_owned)
}

/// Whether a page is the login form, or the chatroom for `username`.
pub fn shows_login_form(page: &Reply) -> bool {
    page.body.contains(&crate::kit::id_attribute(&kit().pages.login_form))
}

pub fn shows_chatroom_for(page: &Reply, username: &str) -> bool {
    page.body.contains(&crate::kit::id_attribute(&kit().pages.current_user)) && page.body.contains(username)
}
