//! Live updates: every posted message is pushed to the open chat pages of its
//! room over Server-Sent Events (`EventSource` in `static/js/chat.js`).

use std::time::Duration;

use rocket::response::stream::{Event, EventStream};
use rocket::tokio::select;
use rocket::tokio::sync::broadcast::{self, error::RecvError};
use rocket::{get, routes, Route, Shutdown, State};

use crate::auth::User;
use crate::domain::{Invalid, RoomName};
use crate::errors::ApiError;
use crate::models::Message;

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

/// A stream of a room's new messages, as `message` events carrying JSON.
/// It ends when the server shuts down; a comment every 15 s keeps proxies
/// and browsers from closing an idle connection.
#[get("/api/rooms/<room>/events")]
fn room_events(
    _user: User,
    room: Result<RoomName, Invalid>,
    feed: &State<ChatFeed>,
    mut shutdown: Shutdown,
) -> Result<EventStream![Event + 'static], ApiError> {
    let room = room.map_err(|e| ApiError::bad_request(e.0))?;
    let mut messages = feed.0.subscribe();
    Ok(EventStream! {
        loop {
            let message = select! {
                biased; // deliver what is already queued before ending
                received = messages.recv() => match received {
                    Ok(message) => message,
                    Err(RecvError::Closed) => break,
                    // Too slow to keep up: end the stream; the page reconnects and reloads the room.
                    Err(RecvError::Lagged(_)) => break,
                },
                _ = &mut shutdown => break,
            };
            if message.room == room.as_str() {
                yield Event::json(&message).event("message");
            }
        }
    }
    .heartbeat(Duration::from_secs(15)))
}

pub fn routes() -> Vec<Route> {
    routes![room_events]
}
