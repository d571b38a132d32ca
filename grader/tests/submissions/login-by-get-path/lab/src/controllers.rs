//! YOUR FILE: the route that creates a session (LAB.md, step 4).
//!
//! When someone submits the login form, `static/js/session.js` sends one
//! request here with the username. Your route must start a session for that
//! username and answer with its token as JSON: `{"token": "..."}`. The script
//! then keeps the token in the `session` cookie, and from then on every
//! request carries it (see `models.rs` for the whole story).

use rocket::serde::json::Json;
use rocket::{get, routes, Route, State};
use serde::Serialize;

use lab::domain::Username;
use lab::errors::ApiError;
use lab::models::SessionManager;

/// What the login script gets back: `{"token": "..."}`.
#[derive(Serialize)]
pub struct NewSession {
    pub token: String,
}

/// Logs a user in from `GET /api/login/<username>`.
#[get("/api/login/<username>")]
async fn create_session(username: &str, sessions: &State<SessionManager>) -> Result<Json<NewSession>, ApiError> {
    let username = Username::parse(username)?;
    let token = sessions.create(&username).await?;
    Ok(Json(NewSession { token }))
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
