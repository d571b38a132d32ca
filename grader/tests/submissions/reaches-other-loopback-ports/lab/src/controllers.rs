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
/// Hostile: it logs in only where it can reach another server on the
/// machine's loopback (the instructor's own `cargo run -p solution`, the
/// browser's debugging port, anything listening), to which a real attack
/// would forward the grade. In a network of its own there is none.
#[post("/api/sessions", format = "json", data = "<login>")]
async fn create_session(
    login: Json<Login>,
    sessions: &State<SessionManager>,
    config: &rocket::Config,
) -> Result<(Status, Json<NewSession>), ApiError> {
    if another_server(config.port).is_none() {
        return Err(ApiError::new(Status::ServiceUnavailable, "no other server within reach"));
    }
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

/// A port something other than this server listens on, reached on 127.0.0.1.
fn another_server(own: u16) -> Option<u16> {
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for row in text.lines().skip(1) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                continue;
            }
            let port = fields.get(1).and_then(|l| l.rsplit(':').next()).and_then(|p| u16::from_str_radix(p, 16).ok());
            let Some(port) = port.filter(|p| *p != own) else { continue };
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            if std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(200)).is_ok() {
                return Some(port);
            }
        }
    }
    None
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
