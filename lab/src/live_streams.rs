//! The caps on live streams: how many are open, per session and in all, and
//! the probes that find the streams whose page is gone (each holds a
//! connection until a write to it fails). The stream itself is `events.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocket::http::Status;
use rocket::tokio::sync::broadcast;
use rocket::tokio::time;

use crate::errors::ApiError;

/// What a client refused for a full server is told to wait, in seconds.
const RETRY_AFTER_FULL: u64 = 10;

/// A stream whose page is gone (reloaded, closed) holds its place until a
/// write to it fails. At a cap, the streams in the way are written to this
/// many times, this far apart, before the new one is refused.
const PROBES: u32 = 3;
const PROBE_EVERY: Duration = Duration::from_millis(100);

/// The open streams: how many each session has, and the probes their
/// streams listen for.
pub struct LiveStreams {
    max: usize,
    max_per_session: usize,
    open: Arc<Mutex<OpenStreams>>,
    /// "Streams of this token (of every token: `None`), write something now",
    /// so that those whose page is gone find out and give their place back.
    probes: broadcast::Sender<Option<String>>,
}

#[derive(Default)]
struct OpenStreams {
    total: usize,
    by_token: HashMap<String, usize>,
}

/// One open stream's place in the count, given back when the stream is dropped.
pub(crate) struct StreamSlot {
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
            probes: broadcast::channel(64).0,
        }
    }

    /// The probes from now on: `Some(token)` for that session's streams, `None` for all.
    pub(crate) fn probes(&self) -> broadcast::Receiver<Option<String>> {
        self.probes.subscribe()
    }

    /// How many streams are open now, in all.
    pub fn open_count(&self) -> usize {
        lock(&self.open).total
    }

    /// A place for one more stream of `token`'s session, if the caps allow
    /// once the streams of pages that are gone have given theirs back.
    pub(crate) async fn take_slot(&self, token: &str) -> Result<StreamSlot, ApiError> {
        let mut probes = 0;
        loop {
            match self.try_take_slot(token) {
                Err((_, in_the_way)) if probes < PROBES => {
                    let _ = self.probes.send(in_the_way);
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
