//! Expired sessions stop working at once (the guard checks `expires_at`), but
//! their rows stay until someone deletes them. The server does, on a schedule
//! (`session_purge_interval`); `util sessions purge` does it by hand.

use rocket::fairing::AdHoc;
use rocket::tokio::{select, time};
use rocket::{info, warn};

use crate::config::AppConfig;
use crate::models::SessionManager;

/// Purges expired sessions every `session_purge_interval` seconds, until the
/// server shuts down.
pub fn on_schedule() -> AdHoc {
    AdHoc::on_liftoff("Purge expired sessions", |rocket| {
        Box::pin(async move {
            let interval = rocket
                .state::<AppConfig>()
                .and_then(AppConfig::session_purge_interval);
            let (Some(interval), Some(sessions)) = (interval, rocket.state::<SessionManager>())
            else {
                return;
            };
            let sessions = sessions.clone();
            let mut shutdown = rocket.shutdown();
            rocket::tokio::spawn(async move {
                let mut ticks = time::interval_at(time::Instant::now() + interval, interval);
                loop {
                    select! {
                        _ = ticks.tick() => match sessions.purge_expired().await {
                            Ok(0) => {}
                            Ok(purged) => info!("purged {purged} expired sessions"),
                            Err(e) => warn!("could not purge expired sessions: {e}"),
                        },
                        _ = &mut shutdown => break,
                    }
                }
            });
        })
    })
}
