//! Live updates: every posted message is pushed to the open chat pages of its
//! room over Server-Sent Events (`EventSource` in `static/js/chat.js`).
//!
//! A stream belongs to a session and lives no longer than it: it ends on
//! logout, when the session expires, and when the session is gone from the
//! database (a purge, `util sessions clear`). The number of open streams is
//! capped, per session and in all, since each holds a connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocket::http::Status;
use rocket::response::stream::{Event, EventStream};
use rocket::tokio::select;
use rocket::tokio::sync::broadcast::{self, error::RecvError};
use rocket::tokio::time::{self, Instant};
use rocket::{get, routes, Route, Shutdown, State};

use crate::auth::User;
use crate::domain::{Invalid, RoomName};
use crate::errors::ApiError;
use crate::models::{Message, SessionManager};

/// How often a stream asks the database whether its session still exists,
/// for sessions ended by another process (`util`).
const RECHECK_EVERY: Duration = Duration::from_secs(5);

/// What a client refused for a full server is told to wait, in seconds.
const RETRY_AFTER_FULL: u64 = 10;

/// A stream whose page is gone (reloaded, closed) holds its place until a
/// write to it fails. At a cap, the streams in the way are written to this
/// many times, this far apart, before the new one is refused.
const PROBES: u32 = 3;
const PROBE_EVERY: Duration = Duration::from_millis(100);

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

/// The open streams: how many each session has, and the notices their
/// streams listen for.
pub struct LiveStreams {
    max: usize,
    max_per_session: usize,
    open: Arc<Mutex<OpenStreams>>,
    notices: broadcast::Sender<Notice>,
}

#[derive(Clone)]
enum Notice {
    /// The session of this token ended early (logout).
    Ended(String),
    /// Streams of this token (of every token: `None`), write something now,
    /// so that those whose page is gone find out and give their place back.
    Probe(Option<String>),
}

#[derive(Default)]
struct OpenStreams {
    total: usize,
    by_token: HashMap<String, usize>,
}

/// One open stream's place in the count, given back when the stream is dropped.
struct StreamSlot {
    open: Arc<Mutex<OpenStreams>>,
    token: String,
}

impl LiveStreams {
    /// At most `max` streams in all, `max_per_session` for any one session.
    pub fn new(max: usize, max_per_session: usize) -> LiveStreams {
        LiveStreams {
            max,
            max_per_session,
            open: Arc::default(),
            notices: broadcast::channel(64).0,
        }
    }

    /// Ends every open stream of the session behind `token` (logout calls this).
    pub fn end_session(&self, token: &str) {
        let _ = self.notices.send(Notice::Ended(token.to_owned()));
    }

    /// How many streams are open now, in all.
    pub fn open_count(&self) -> usize {
        lock(&self.open).total
    }

    /// A place for one more stream of `token`'s session, if the caps allow
    /// once the streams of pages that are gone have given theirs back.
    async fn take_slot(&self, token: &str) -> Result<StreamSlot, ApiError> {
        let mut probes = 0;
        loop {
            match self.try_take_slot(token) {
                Err((_, in_the_way)) if probes < PROBES => {
                    let _ = self.notices.send(Notice::Probe(in_the_way));
                    probes += 1;
                    time::sleep(PROBE_EVERY).await;
                }
                result => return result.map_err(|(refusal, _)| refusal),
            }
        }
    }

    /// A place for one more stream, or the refusal and whose streams are in the way.
    fn try_take_slot(&self, token: &str) -> Result<StreamSlot, (ApiError, Option<String>)> {
        let mut open = lock(&self.open);
        let of_session = open.by_token.get(token).copied().unwrap_or(0);
        if of_session >= self.max_per_session {
            let refusal = ApiError::new(
                Status::TooManyRequests,
                format!(
                    "this session already has {of_session} live streams open \
                     (at most {}): close a tab",
                    self.max_per_session
                ),
            );
            return Err((refusal, Some(token.to_owned())));
        }
        if open.total >= self.max {
            let refusal = ApiError::new(
                Status::ServiceUnavailable,
                "the server has as many live streams open as it takes: try again later",
            );
            return Err((refusal.retry_after(RETRY_AFTER_FULL), None));
        }
        open.total += 1;
        *open.by_token.entry(token.to_owned()).or_default() += 1;
        Ok(StreamSlot {
            open: self.open.clone(),
            token: token.to_owned(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        open.total -= 1;
        if let Some(count) = open.by_token.get_mut(&self.token) {
            *count -= 1;
            if *count == 0 {
                open.by_token.remove(&self.token);
            }
        }
    }
}

/// The lock, even if a thread panicked while holding it (the counts stay right).
fn lock(open: &Mutex<OpenStreams>) -> std::sync::MutexGuard<'_, OpenStreams> {
    open.lock().unwrap_or_else(|e| e.into_inner())
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
    let mut notices = streams.notices.subscribe();
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
                notice = notices.recv() => match notice {
                    Ok(Notice::Ended(token)) if token == user.token => Next::End("logged out"),
                    Ok(Notice::Probe(None)) => Next::Probe,
                    Ok(Notice::Probe(Some(token))) if token == user.token => Next::Probe,
                    Ok(_) => Next::Nothing,
                    Err(RecvError::Lagged(_)) => Next::Recheck, // missed some: ask the database
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
