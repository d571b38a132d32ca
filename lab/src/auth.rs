//! Who is asking? The request guard that turns a `session` cookie into a user.
//!
//! A handler that takes a [`User`] argument only runs for a logged-in request:
//! Rocket calls [`User::from_request`] first, and if there is no valid session
//! it answers `401 Unauthorized` without running the handler. A handler that
//! takes `Option<User>` runs either way and gets `None` for a visitor.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::warn;

use crate::domain::Username;
use crate::models::SessionManager;

/// The cookie that carries the session token. `static/js/session.js` sets it.
pub const SESSION_COOKIE: &str = "session";

/// A logged-in user: the request carried the token of a live session.
#[derive(Debug, Clone)]
pub struct User {
    pub username: Username,
    /// The token this request presented (logout needs it).
    pub token: String,
    /// When the session stops working, in Unix seconds (a live stream ends then).
    pub expires_at: i64,
}

/// Why a request is not logged in (Rocket logs it; the client just gets 401).
#[derive(Debug)]
pub enum NotLoggedIn {
    /// No `session` cookie at all: a new visitor, or an incognito window.
    NoCookie,
    /// A cookie whose token no live session has: made up, logged out or expired.
    UnknownToken,
    /// The database could not be asked.
    DatabaseError,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = NotLoggedIn;

    async fn from_request(request: &'r Request<'_>) -> Outcome<User, NotLoggedIn> {
        // 1. The browser sends the cookie `session.js` stored, if there is one.
        let Some(cookie) = request.cookies().get(SESSION_COOKIE) else {
            return Outcome::Error((Status::Unauthorized, NotLoggedIn::NoCookie));
        };
        let token = cookie.value();

        // 2. The server, not the browser, decides what the token is worth.
        let Some(sessions) = request.rocket().state::<SessionManager>() else {
            return Outcome::Error((Status::InternalServerError, NotLoggedIn::DatabaseError));
        };
        match sessions.find(token).await {
            Ok(Some(session)) => Outcome::Success(User {
                username: session.username,
                token: token.to_owned(),
                expires_at: session.expires_at,
            }),
            Ok(None) => Outcome::Error((Status::Unauthorized, NotLoggedIn::UnknownToken)),
            Err(e) => {
                warn!("could not look a session up: {e}");
                Outcome::Error((Status::InternalServerError, NotLoggedIn::DatabaseError))
            }
        }
    }
}
