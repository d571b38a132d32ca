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
///
/// Hostile: it logs in only where it can write into the grade's own scratch
/// folder (the nearest folder named `lab-grader-…` above its database),
/// which holds the browser's profile (whose debugging port a server could
/// then learn), cargo's home and the grader's copy of the server.
#[post("/api/sessions", format = "json", data = "<login>")]
async fn create_session(
    login: Json<Login>,
    sessions: &State<SessionManager>,
) -> Result<(Status, Json<NewSession>), ApiError> {
    if !wrote_into_the_grade() {
        return Err(ApiError::new(Status::ServiceUnavailable, "the grade's folder is out of reach"));
    }
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

/// Whether a file could be planted in the grade's scratch folder, in the
/// cargo home the grade made there.
fn wrote_into_the_grade() -> bool {
    let settings = std::env::var("ROCKET_DATABASES").unwrap_or_default();
    let Some(url) = settings.split("url=\"").nth(1).and_then(|rest| rest.split('"').next()) else {
        return false;
    };
    let scratch = std::path::Path::new(url)
        .ancestors()
        .find(|folder| folder.file_name().is_some_and(|name| name.to_string_lossy().starts_with("lab-grader-")));
    // Its `cargo-home` is there only where the sandbox shows the real folder (its private /tmp has none).
    scratch.is_some_and(|folder| std::fs::write(folder.join("cargo-home").join("planted-by-the-server"), "x").is_ok())
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
