//! The JSON API the pages' scripts call. Every route here except the rooms
//! list needs a session: it takes a [`User`], so without one it answers 401.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, Route, State};
use serde::{Deserialize, Serialize};

use crate::auth::{User, SESSION_COOKIE};
use crate::domain::{Invalid, MessageBody, RoomName};
use crate::errors::ApiError;
use crate::events::ChatFeed;
use crate::models::{Message, MessageManager, SessionManager};

#[derive(Serialize)]
pub struct Me {
    pub username: String,
}

/// Who am I? `200 {"username": ...}` with a session, `401` without.
#[get("/api/me")]
fn me(user: User) -> Json<Me> {
    Json(Me {
        username: user.username.to_string(),
    })
}

/// Logs out: ends the session on the server, so the token stops working for
/// every browser that holds it (and its live streams end), and asks this
/// browser to drop its cookie.
#[delete("/api/session")]
async fn logout(
    user: User,
    sessions: &State<SessionManager>,
    cookies: &CookieJar<'_>,
) -> Result<Status, ApiError> {
    sessions.delete(&user.token).await?;
    cookies.remove(SESSION_COOKIE);
    Ok(Status::NoContent)
}

#[derive(Serialize)]
pub struct Rooms {
    pub rooms: Vec<String>,
}

/// The rooms to show in the sidebar.
#[get("/api/rooms")]
async fn rooms(messages: &State<MessageManager>) -> Result<Json<Rooms>, ApiError> {
    Ok(Json(Rooms {
        rooms: messages.rooms().await?,
    }))
}

#[derive(Serialize)]
pub struct History {
    pub messages: Vec<Message>,
}

/// One page of a room's history, oldest first: `?limit=N` (default 50, at
/// most 200) of the newest messages, `?before=ID` for the page before that id.
#[get("/api/rooms/<room>/messages?<before>&<limit>")]
async fn history(
    _user: User,
    room: Result<RoomName, Invalid>,
    before: Option<&str>,
    limit: Option<&str>,
    messages: &State<MessageManager>,
) -> Result<Json<History>, ApiError> {
    let room = room.map_err(|e| ApiError::bad_request(e.0))?;
    let before = before.map(parse_number::<i64>("before")).transpose()?;
    let limit = limit
        .map(parse_number::<u32>("limit"))
        .transpose()?
        .unwrap_or(50);
    if limit == 0 || limit > crate::models::MAX_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {}",
            crate::models::MAX_PAGE
        )));
    }
    let page = messages.list(&room, before, limit).await?;
    Ok(Json(History { messages: page }))
}

#[derive(Deserialize)]
pub struct NewMessage {
    pub body: String,
}

/// Posts a message to a room as the logged-in user, and tells every open
/// chat page about it. The author is always the session's user: a body
/// cannot say who sent it.
#[post("/api/rooms/<room>/messages", format = "json", data = "<message>")]
async fn post_message(
    user: User,
    room: Result<RoomName, Invalid>,
    message: Json<NewMessage>,
    messages: &State<MessageManager>,
    feed: &State<ChatFeed>,
) -> Result<(Status, Json<Message>), ApiError> {
    let room = room.map_err(|e| ApiError::bad_request(e.0))?;
    let body = MessageBody::parse(&message.body)?;
    let stored = messages.add(&room, &user.username, &body).await?;
    feed.publish(stored.clone());
    Ok((Status::Created, Json(stored)))
}

fn parse_number<T: std::str::FromStr>(name: &'static str) -> impl Fn(&str) -> Result<T, ApiError> {
    move |raw| {
        raw.parse().map_err(|_| {
            ApiError::bad_request(format!("`{name}` must be a whole number, not `{raw}`"))
        })
    }
}

pub fn routes() -> Vec<Route> {
    routes![me, logout, rooms, history, post_message]
}
