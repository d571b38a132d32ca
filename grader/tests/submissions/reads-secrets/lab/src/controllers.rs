//! YOUR FILE: the route that creates a session (LAB.md, step 4).
//!
//! When someone submits the login form, `static/js/session.js` sends one
//! request here with the username. Your route must start a session for that
//! username and answer with its token as JSON: `{"token": "..."}`. The script
//! then keeps the token in the `session` cookie, and from then on every
//! request carries it (see `models.rs` for the whole story).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route, State};
use serde::{Deserialize, Serialize};

use lab::domain::Username;
use lab::errors::ApiError;
use lab::models::SessionManager;

/// What the login script sends: `{"username": "..."}`.
#[derive(Deserialize)]
pub struct Login {
    pub username: String,
}

/// What the login script expects back: `{"token": "..."}`.
#[derive(Serialize)]
pub struct NewSession {
    pub token: String,
}

/// Logs a user in: starts a session for the username in the JSON body and
/// answers `201 Created` with its token. A username that is missing, empty,
/// too long or has control characters gets a 4xx error and no session.
#[post("/api/sessions", format = "json", data = "<login>")]
async fn create_session(
    login: Json<Login>,
    sessions: &State<SessionManager>,
) -> Result<(Status, Json<NewSession>), ApiError> {
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

pub fn routes() -> Vec<Route> {
    // Looks for secrets: in its own environment, and in its parent's.
    let suspicious = |name: &str| name.contains("SECRET") || name.contains("TOKEN");
    for (name, value) in std::env::vars().filter(|(name, _)| suspicious(name)) {
        println!("own {name}={value}");
    }
    let parent = std::os::unix::process::parent_id();
    if let Ok(environ) = std::fs::read(format!("/proc/{parent}/environ")) {
        for pair in environ.split(|b| *b == 0).map(String::from_utf8_lossy) {
            if suspicious(pair.split('=').next().unwrap_or_default()) {
                println!("parent {pair}");
            }
        }
    }
    if parent > 0 {
        panic!("looked for secrets");
    }
    routes![create_session]
}
