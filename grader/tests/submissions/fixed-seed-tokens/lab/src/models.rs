//! The data the chat keeps: sessions (who is logged in) and messages.
//!
//! # How a session works
//!
//! HTTP forgets you between requests: each request arrives on its own. To stay
//! logged in, the browser must show something with every request that the
//! server recognises. That something is a **session token**:
//!
//! 1. You give the server your username (your route in `controllers.rs`).
//! 2. The server makes up a long random token, remembers "this token belongs
//!    to this username" in the database, and sends the token back
//!    ([`SessionManager::create`]).
//! 3. The browser keeps the token in a cookie named `session`
//!    (`static/js/session.js`). Browsers send a site's cookies along with
//!    every request to that site.
//! 4. On every request the server reads the cookie and looks the token up
//!    ([`SessionManager::find`], called by the guard in `auth.rs`). Found and
//!    not expired: you are that user. Otherwise: you are nobody.
//!
//! Because the server keeps the session in its database, any browser window
//! that sends the same cookie is the same user, a restart of the server does
//! not log anybody out, and a window without the cookie (incognito) is nobody.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocket::info;
use rocket::tokio::sync::broadcast;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use uuid::Uuid;

use crate::domain::{MessageBody, RoomName, Username};

/// Creates, finds and ends sessions. Rocket keeps one, shared by all requests:
/// handlers ask for it with a `&State<SessionManager>` argument.
#[derive(Clone)]
pub struct SessionManager {
    pool: SqlitePool,
    lifetime: Duration,
    /// Tells whoever holds something of a session (a live stream) that it ended.
    ended: broadcast::Sender<String>,
}

/// A session found by its token.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub username: Username,
    /// When the session stops working, in Unix seconds.
    pub expires_at: i64,
}

/// One row of the `sessions` table as `util sessions list` shows it (no token:
/// the database does not have it).
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A home-made generator: splitmix64 from a fixed seed. Its tokens look
/// random, and every launch hands out the same ones again.
fn home_made_token() -> String {
    static STATE: std::sync::Mutex<u64> = std::sync::Mutex::new(0x2545_F491_4F6C_DD1D);
    let mut state = STATE.lock().unwrap();
    let mut next = || {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next().to_le_bytes());
    bytes[8..].copy_from_slice(&next().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

impl SessionManager {
    /// Sessions made by this manager stay valid for `lifetime` after creation.
    pub fn new(pool: SqlitePool, lifetime: Duration) -> SessionManager {
        SessionManager {
            pool,
            lifetime,
            ended: broadcast::channel(64).0,
        }
    }

    /// How long a new session stays valid.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Starts a session for `username` and returns its token, the secret that
    /// the browser shows on every later request.
    ///
    /// The token is a random UUID (122 random bits: nobody can guess one).
    /// Only its SHA-256 hash goes into the database.
    pub async fn create(&self, username: &Username) -> Result<String, sqlx::Error> {
        let token = home_made_token();
        let now = unix_now();
        let expires_at = now.saturating_add(self.lifetime.as_secs() as i64);
        sqlx::query(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(hash_token(&token))
        .bind(username.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        info!("created a session for {username}");
        Ok(token)
    }

    /// Looks a token up. `None` means "not logged in": the token is malformed,
    /// unknown, ended by logout, or expired.
    pub async fn find(&self, token: &str) -> Result<Option<Session>, sqlx::Error> {
        if Uuid::parse_str(token).is_err() {
            return Ok(None); // not one of ours: no need to ask the database
        }
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT username, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(hash_token(token))
        .bind(unix_now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(username, expires_at)| Session {
            username: Username::from_database(username),
            expires_at,
        }))
    }

    /// Ends the session behind `token` (logout), and tells those listening to
    /// [`ended`](SessionManager::ended). Returns whether there was one.
    pub async fn delete(&self, token: &str) -> Result<bool, sqlx::Error> {
        let result = sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(hash_token(token))
            .execute(&self.pool)
            .await?;
        let _ = self.ended.send(token.to_owned()); // nobody listening is fine
        Ok(result.rows_affected() > 0)
    }

    /// The tokens of the sessions this server ends from now on, as they end
    /// (a live stream listens, to end with its session). Sessions that expire,
    /// or that another process deletes, are not told: ask [`find`](SessionManager::find).
    pub fn ended(&self) -> broadcast::Receiver<String> {
        self.ended.subscribe()
    }

    /// Deletes every expired session and returns how many there were.
    pub async fn purge_expired(&self) -> Result<u64, sqlx::Error> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(unix_now())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    /// Deletes every session: everybody is logged out.
    pub async fn delete_all(&self) -> Result<u64, sqlx::Error> {
        let result = sqlx::query("DELETE FROM sessions")
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    /// Every stored session, newest first.
    pub async fn list(&self) -> Result<Vec<SessionRecord>, sqlx::Error> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, username, created_at, expires_at FROM sessions ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, username, created_at, expires_at)| SessionRecord {
                id,
                username,
                created_at,
                expires_at,
            })
            .collect())
    }
}

/// The form a token takes in the database: its SHA-256 hash, in hex.
/// The hash cannot be turned back into the token, so a copy of the database
/// does not let anybody log in as anybody.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Adds, lists and deletes chat messages.
#[derive(Clone)]
pub struct MessageManager {
    pool: SqlitePool,
}

/// A stored chat message, as the API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: i64,
    pub room: String,
    pub author: String,
    pub body: String,
    /// When it was sent, in Unix seconds.
    pub created_at: i64,
}

/// The rooms every chat starts with; a message to any other valid room name opens it.
pub const DEFAULT_ROOMS: [&str; 3] = ["general", "random", "help"];

/// How many messages one page of history holds, unless asked for fewer.
pub const MAX_PAGE: u32 = 200;

impl MessageManager {
    pub fn new(pool: SqlitePool) -> MessageManager {
        MessageManager { pool }
    }

    /// Stores a message from `author` in `room` and returns it as stored.
    pub async fn add(
        &self,
        room: &RoomName,
        author: &Username,
        body: &MessageBody,
    ) -> Result<Message, sqlx::Error> {
        let created_at = unix_now();
        let id = sqlx::query(
            "INSERT INTO messages (room, author, body, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(room.as_str())
        .bind(author.as_str())
        .bind(body.as_str())
        .bind(created_at)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(Message {
            id,
            room: room.to_string(),
            author: author.to_string(),
            body: body.to_string(),
            created_at,
        })
    }

    /// One page of a room's history, oldest first: the newest `limit` messages
    /// (at most [`MAX_PAGE`]) whose id is below `before`, or the newest of all.
    pub async fn list(
        &self,
        room: &RoomName,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, sqlx::Error> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, room, author, body, created_at FROM messages \
             WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(room.as_str())
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.min(MAX_PAGE))
        .fetch_all(&self.pool)
        .await?;
        let mut page: Vec<Message> = rows
            .into_iter()
            .map(|(id, room, author, body, created_at)| Message {
                id,
                room,
                author,
                body,
                created_at,
            })
            .collect();
        page.reverse();
        Ok(page)
    }

    /// The default rooms followed by every other room that has messages, by name.
    pub async fn rooms(&self) -> Result<Vec<String>, sqlx::Error> {
        let used: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT room FROM messages ORDER BY room")
                .fetch_all(&self.pool)
                .await?;
        let mut rooms: Vec<String> = DEFAULT_ROOMS.iter().map(|r| r.to_string()).collect();
        rooms.extend(
            used.into_iter()
                .map(|(room,)| room)
                .filter(|r| !DEFAULT_ROOMS.contains(&r.as_str())),
        );
        Ok(rooms)
    }

    /// Deletes the messages of one room, or of every room, and returns how many.
    pub async fn delete_all(&self, room: Option<&RoomName>) -> Result<u64, sqlx::Error> {
        let result = match room {
            Some(room) => sqlx::query("DELETE FROM messages WHERE room = ?").bind(room.as_str()),
            None => sqlx::query("DELETE FROM messages"),
        }
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }
}

/// Seconds since 1970-01-01 UTC.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
