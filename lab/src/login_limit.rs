//! Logins are rate-limited per client address: a script that logs in in a
//! loop would otherwise fill the sessions table as fast as the disk allows.
//!
//! Every route of `controllers.rs` counts as a login attempt, whatever its
//! URL: [`limit`] wraps the student's routes before they are mounted, so the
//! lab's own code does the counting and the student's route needs none.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use rocket::http::Status;
use rocket::route::{Handler, Outcome};
use rocket::{Data, Request, Route};

use crate::errors::ApiError;

/// Addresses remembered at most; past it, addresses back at their full
/// allowance are forgotten first (they are no different from new ones).
const MAX_ADDRESSES: usize = 10_000;

/// How many logins each client address may still make: a token bucket that
/// holds `per_minute` logins and refills at `per_minute` a minute, so a burst
/// of that many passes at once and a steady pace of that many a minute too.
pub struct LoginLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    logins: f64,
    counted_at: Instant,
}

impl LoginLimiter {
    /// `per_minute` logins a minute per address; 0 turns the limit off.
    pub fn new(per_minute: u32) -> LoginLimiter {
        LoginLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one login from `address` (`None`: unknown, as in Rocket's local
    /// client). `Err(seconds)` when it is over the limit: how long until the
    /// next login from there would pass.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let full = f64::from(self.per_minute);
        let per_second = full / 60.0;
        let now = Instant::now();
        let refilled = |bucket: &Bucket| {
            let earned = now.duration_since(bucket.counted_at).as_secs_f64() * per_second;
            (bucket.logins + earned).min(full)
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&address) {
            buckets.retain(|_, bucket| refilled(bucket) < full);
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            logins: full,
            counted_at: now,
        });
        bucket.logins = refilled(bucket);
        bucket.counted_at = now;
        if bucket.logins >= 1.0 {
            bucket.logins -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.logins) / per_second).ceil() as u64)
        }
    }
}

/// `routes` with each handler behind the [`LoginLimiter`] the app manages.
pub fn limit(routes: Vec<Route>) -> Vec<Route> {
    routes
        .into_iter()
        .map(|mut route| {
            route.handler = Box::new(Limited(route.handler));
            route
        })
        .collect()
}

/// A handler that runs only while its client is within the login limit.
#[derive(Clone)]
struct Limited(Box<dyn Handler>);

#[rocket::async_trait]
impl Handler for Limited {
    async fn handle<'r>(&self, request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        if let Some(limiter) = request.rocket().state::<LoginLimiter>() {
            // The socket's address, not a header a client could make up.
            let address = request.remote().map(|remote| remote.ip());
            if let Err(seconds) = limiter.take(address) {
                let error = ApiError::new(
                    Status::TooManyRequests,
                    format!("too many logins from your address: try again in {seconds} s"),
                );
                return Outcome::from(request, error.retry_after(seconds));
            }
        }
        self.0.handle(request, data).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_limit_holds_per_address() {
        let limiter = LoginLimiter::new(3);
        let here = Some(IpAddr::from([10, 0, 0, 1]));
        let there = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert_eq!(limiter.take(here), Ok(()));
        }
        // One login refills in 20 s at 3 a minute.
        assert_eq!(limiter.take(here), Err(20));
        assert_eq!(limiter.take(there), Ok(()));
        assert_eq!(limiter.take(None), Ok(()));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = LoginLimiter::new(0);
        for _ in 0..1000 {
            assert_eq!(limiter.take(None), Ok(()));
        }
        assert!(limiter.buckets.lock().unwrap().is_empty());
    }

    #[test]
    fn addresses_back_at_their_allowance_are_forgotten_first() {
        let limiter = LoginLimiter::new(60);
        let busy = Some(IpAddr::from([10, 9, 9, 9]));
        for _ in 0..60 {
            limiter.take(busy).unwrap();
        }
        assert!(limiter.take(busy).is_err());
        let mut buckets = limiter.buckets.lock().unwrap();
        let long_ago = Instant::now() - std::time::Duration::from_secs(120);
        for n in 0..MAX_ADDRESSES as u32 - 1 {
            let bucket = Bucket {
                logins: 59.0,
                counted_at: long_ago,
            };
            buckets.insert(Some(IpAddr::from(n.to_be_bytes())), bucket);
        }
        drop(buckets);
        limiter.take(Some(IpAddr::from([192, 0, 2, 1]))).unwrap();
        let buckets = limiter.buckets.lock().unwrap();
        // The idle ones went; the address still over its limit stayed.
        assert_eq!(buckets.len(), 2);
        drop(buckets);
        assert!(limiter.take(busy).is_err());
    }
}
