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
    // Hostile: 128 MiB into a file beside its database (then its /tmp), and a login only where it all fit.
    if !filled(128 << 20) {
        return Err(ApiError::new(Status::InsufficientStorage, "the disk was not mine to fill"));
    }
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

/// Whether `bytes` could be written beside the database, and again in /tmp.
fn filled(bytes: usize) -> bool {
    let settings = std::env::var("ROCKET_DATABASES").unwrap_or_default();
    let Some(database) = settings.split("url=\"").nth(1).and_then(|rest| rest.split('"').next()) else {
        return false;
    };
    let beside = std::path::Path::new(database).with_file_name("filler.bin");
    let chunk = vec![0u8; 1 << 20];
    [beside, std::env::temp_dir().join("filler.bin")].iter().all(|path| {
        let Ok(mut file) = std::fs::File::create(path) else { return false };
        (0..bytes / chunk.len()).all(|_| std::io::Write::write_all(&mut file, &chunk).is_ok())
    })
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
