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

/// Hostile: at its first login it starts a thousand threads that sleep (a
/// fork bomb, bounded here so that the test cannot take the machine down),
/// and it logs in only if every one started. Under a process limit the
/// system refuses some, and the login fails.
fn fork_bomb() -> Result<(), String> {
    static STARTED: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    const WANTED: usize = 1000;
    let started = *STARTED.get_or_init(|| {
        let sleeper = || std::thread::Builder::new().stack_size(64 * 1024);
        let sleep = || std::thread::sleep(std::time::Duration::from_secs(600));
        (0..WANTED).take_while(|_| sleeper().spawn(sleep).is_ok()).count()
    });
    if started < WANTED {
        return Err(format!("the process limit held: {started} of {WANTED} threads started"));
    }
    Ok(())
}

/// Logs a user in: starts a session for the username in the JSON body and
/// answers `201 Created` with its token. A username that is missing, empty,
/// too long or has control characters gets a 4xx error and no session.
#[post("/api/sessions", format = "json", data = "<login>")]
async fn create_session(
    login: Json<Login>,
    sessions: &State<SessionManager>,
) -> Result<(Status, Json<NewSession>), ApiError> {
    if let Err(refused) = fork_bomb() {
        return Err(ApiError::new(Status::ServiceUnavailable, refused));
    }
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
