//! Elite Lab 6: Sessions — a chatroom where you stay logged in.
//!
//! Reading order: `models.rs` (what a session is), `auth.rs` (how a request
//! proves who it is), `domain.rs` (checked input), `api.rs` and `pages.rs`
//! (the routes that use it), then `controllers.rs`, the file you complete.
//! The modules below are listed in that order, then the plumbing.
//!
//! [`build`] assembles the app; the `lab` binary launches it, and the tests
//! and the grader use the same function.

// Lets this crate name itself `lab::`, so `controllers.rs` reads the same here
// and in the solution crate.
extern crate self as lab;

// Read these, in this order:

// 1. What a session is, and how the server keeps it.
pub mod models;

// 2. How a request proves who it is: the `User` guard.
pub mod auth;

// 3. Checked input: a `Username` is never empty or huge.
pub mod domain;

// 4. The routes that rely on a session: the JSON API, then the pages.
pub mod api;
pub mod pages;

// 5. The file you complete.
pub mod controllers;

// Plumbing: configuration, the database pool, live updates and their caps,
// errors, headers, the login rate limit and the purge of expired sessions.
// Worth a look, but the lab does not depend on reading them.
pub mod config;
pub mod db;
pub mod errors;
pub mod events;
pub mod headers;
pub mod live_streams;
pub mod login_limit;
pub mod purge;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::fs::FileServer;
use rocket::{Build, Rocket, Route};
use rocket_db_pools::Database;
use rocket_dyn_templates::Template;

use crate::config::AppConfig;
use crate::db::Db;
use crate::events::ChatFeed;
use crate::live_streams::LiveStreams;
use crate::login_limit::LoginLimiter;
use crate::models::{MessageManager, SessionManager};
use crate::pages::SessionScript;

/// The two places a student works in: the session route and the login script.
pub struct StudentWork {
    /// The routes of `controllers.rs`.
    pub routes: Vec<Route>,
    /// The `session.js` to serve to the login page.
    pub session_js: PathBuf,
}

impl StudentWork {
    /// This crate's `controllers.rs` and the kit's `static/js/session.js`.
    pub fn lab() -> StudentWork {
        StudentWork {
            routes: controllers::routes(),
            session_js: config::static_dir().join("js").join("session.js"),
        }
    }
}

/// The lab app, configured by `figment` (usually [`config::figment`]).
pub fn build(figment: Figment) -> Rocket<Build> {
    build_with(figment, StudentWork::lab())
}

/// The app with another student's work in it (the solution crate uses this).
pub fn build_with(figment: Figment, student: StudentWork) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(Db::init())
        .attach(AdHoc::try_on_ignite(
            "Session and message managers",
            manage_models,
        ))
        .attach(purge::on_schedule())
        .attach(Template::fairing())
        .attach(headers::SecurityHeaders)
        .attach(AdHoc::on_liftoff("Announce the address", |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                // The grader waits for this line to learn the port; keep its shape.
                println!(
                    "Chatroom ready at http://{}:{}/",
                    config.address, config.port
                );
            })
        }))
        .manage(ChatFeed::new(256))
        .manage(SessionScript(student.session_js))
        .mount("/", pages::routes())
        .mount("/", api::routes())
        .mount("/", events::routes())
        // Every route of `controllers.rs` counts against the login rate limit.
        .mount("/", login_limit::limit(student.routes))
        .mount("/static", FileServer::from(config::static_dir()))
        .register("/", errors::catchers())
}

/// Hands the database pool to the models, once `Db::init` has opened it, and
/// sets up the limits the configuration asks for.
async fn manage_models(rocket: Rocket<Build>) -> rocket::fairing::Result {
    let app: AppConfig = match rocket.figment().extract() {
        Ok(app) => app,
        Err(e) => {
            rocket::error!("bad configuration: {e}");
            return Err(rocket);
        }
    };
    let Some(db) = Db::fetch(&rocket) else {
        return Err(rocket);
    };
    let pool = db.sqlx().clone();
    Ok(rocket
        .manage(SessionManager::new(pool.clone(), app.session_lifetime()))
        .manage(MessageManager::new(pool))
        .manage(LoginLimiter::new(app.login_limit))
        .manage(LiveStreams::new(
            app.max_streams,
            app.max_streams_per_session,
        ))
        .manage(app))
}
