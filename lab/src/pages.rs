//! The HTML pages: the login form for visitors, the chatroom for users.
//! Their scripts are `static/js/session.js` and `static/js/chat.js`.

use std::path::PathBuf;

use rocket::fs::NamedFile;
use rocket::response::Redirect;
use rocket::{get, routes, Responder, Route, State};
use rocket_dyn_templates::{context, Template};

use crate::auth::User;
use crate::domain::RoomName;
use crate::errors::ApiError;
use crate::models::{MessageManager, SessionManager, DEFAULT_ROOMS};

/// Where the login page's script is read from: the lab's own
/// `static/js/session.js`, or the solution's.
pub struct SessionScript(pub PathBuf);

#[derive(Responder)]
pub enum Page {
    Html(Template),
    Redirect(Redirect),
}

/// The home page. A visitor gets the login form; a user gets the chatroom,
/// in the room `?room=` names (`general` by default).
#[get("/?<room>")]
async fn index(
    user: Option<User>,
    room: Option<&str>,
    sessions: &State<SessionManager>,
    messages: &State<MessageManager>,
) -> Result<Page, ApiError> {
    // The login script stores the cookie for as long as the server keeps the session.
    let session_max_age = sessions.lifetime().as_secs();
    let Some(user) = user else {
        return Ok(Page::Html(Template::render(
            "login",
            context! { session_max_age },
        )));
    };
    let room = match room.map(RoomName::parse) {
        None => RoomName::parse(DEFAULT_ROOMS[0])?,
        Some(Ok(room)) => room,
        Some(Err(_)) => return Ok(Page::Redirect(Redirect::to("/"))),
    };
    let rooms = messages.rooms().await?;
    Ok(Page::Html(Template::render(
        "chat",
        context! { username: user.username, room, rooms, session_max_age },
    )))
}

/// The login page's script, served from [`SessionScript`] rather than from
/// `static/`, so that the solution can serve its own.
#[get("/static/js/session.js")]
async fn session_js(script: &State<SessionScript>) -> Option<NamedFile> {
    NamedFile::open(&script.0).await.ok()
}

pub fn routes() -> Vec<Route> {
    routes![index, session_js]
}
