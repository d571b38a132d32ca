//! Live updates: every posted message is pushed to the open chat pages of its
//! room over Server-Sent Events (`EventSource` in `static/js/chat.js`).
//!
//! A stream belongs to a session and lives no longer than it: it ends on
//! logout (`SessionManager::ended` tells it), when the session expires, and
//! when the session is gone from the database (a purge, `util sessions
//! clear`). The number of open streams is capped, per session and in all,
//! since each holds a connection: `live_streams.rs` keeps that count.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocket::response::stream::{Event, EventStream};
use rocket::tokio::select;
use rocket::tokio::sync::broadcast::{self, error::RecvError};
use rocket::tokio::time::{self, Instant};
use rocket::{get, routes, Route, Shutdown, State};

use crate::auth::User;
use crate::domain::{Invalid, RoomName};
use crate::errors::ApiError;
use crate::live_streams::LiveStreams;
use crate::models::{Message, SessionManager};

/// How often a stream asks the database whether its session still exists,
/// for sessions ended by another process (`util`).
const RECHECK_EVERY: Duration = Duration::from_secs(5);

/// The channel new messages travel on, from `post_message` to every stream.
pub struct ChatFeed(broadcast::Sender<Message>);

impl ChatFeed {
    /// A feed that buffers up to `capacity` messages for a slow listener.
    pub fn new(capacity: usize) -> ChatFeed {
        ChatFeed(broadcast::channel(capacity).0)
    }

    /// Sends a stored message to every listener (nobody listening is fine).
    pub fn publish(&self, message: Message) {
        let _ = self.0.send(message);
    }
}

/// What wakes a stream up.
enum Next {
    Deliver(Message),
    /// The session is over: say why, then end.
    End(&'static str),
    /// Write something, to find out whether the page is still there.
    Probe,
    /// Time to ask the database about the session.
    Recheck,
    Nothing,
    Stop,
}

/// A stream of a room's new messages, as `message` events carrying JSON. When
/// the session ends, an `end` event says why and the stream ends. A comment
/// every 15 s keeps proxies and browsers from closing an idle connection.
#[get("/api/rooms/<room>/events")]
async fn room_events(
    user: User,
    room: Result<RoomName, Invalid>,
    feed: &State<ChatFeed>,
    streams: &State<LiveStreams>,
    sessions: &State<SessionManager>,
    mut shutdown: Shutdown,
) -> Result<EventStream![Event + 'static], ApiError> {
    let room = room.map_err(|e| ApiError::bad_request(e.0))?;
    let slot = streams.take_slot(&user.token).await?;
    let mut messages = feed.0.subscribe();
    let mut ended = sessions.ended();
    let mut probes = streams.probes();
    let sessions = sessions.inner().clone();
    // To the instant the guard starts refusing the token, not to a whole second near it.
    let expires = UNIX_EPOCH + Duration::from_secs(user.expires_at.max(0) as u64);
    let left = expires
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let expiry = time::sleep(left);
    let mut recheck = time::interval_at(Instant::now() + RECHECK_EVERY, RECHECK_EVERY);
    Ok(EventStream! {
        let _slot = slot; // counted as open until the stream is dropped
        rocket::tokio::pin!(expiry);
        loop {
            let next = select! {
                // Endings first: nothing posted after the session ended goes out.
                biased;
                _ = &mut expiry => Next::End("expired"),
                token = ended.recv() => match token {
                    Ok(token) if token == user.token => Next::End("logged out"),
                    Ok(_) => Next::Nothing,
                    Err(RecvError::Lagged(_)) => Next::Recheck, // missed some: ask the database
                    Err(RecvError::Closed) => Next::Stop,
                },
                probe = probes.recv() => match probe {
                    Ok(None) => Next::Probe,
                    Ok(Some(token)) if token == user.token => Next::Probe,
                    Ok(_) | Err(RecvError::Lagged(_)) => Next::Nothing,
                    Err(RecvError::Closed) => Next::Stop,
                },
                _ = recheck.tick() => Next::Recheck,
                received = messages.recv() => match received {
                    Ok(message) if message.room == room.as_str() => Next::Deliver(message),
                    Ok(_) => Next::Nothing,
                    // Too slow to keep up: end the stream; the page reconnects and reloads the room.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => Next::Stop,
                },
                _ = &mut shutdown => Next::Stop,
            };
            match next {
                Next::Deliver(message) => yield Event::json(&message).event("message"),
                Next::End(why) => {
                    yield Event::data(why).event("end");
                    break;
                }
                Next::Recheck => {
                    // A database error is not the session's end: ask again later.
                    if let Ok(None) = sessions.find(&user.token).await {
                        yield Event::data("ended").event("end");
                        break;
                    }
                }
                Next::Probe => yield Event::comment("still there?"),
                Next::Nothing => {}
                Next::Stop => break,
            }
        }
    }
    .heartbeat(Duration::from_secs(15)))
}

pub fn routes() -> Vec<Route> {
    routes![room_events]
}
