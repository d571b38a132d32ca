//! Errors as the API reports them: a status and `{"error": "what is wrong"}`.
//!
//! Handlers return [`ApiError`]; everything Rocket refuses before a handler
//! runs (no such route, a body that is not JSON, a missing cookie...) goes to
//! the catcher here, so every error the app sends has the same JSON shape.

use rocket::http::{ContentType, Header, Method, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::{json, Json};
use rocket::{catch, catchers, error, Catcher, Request, Route};

use crate::domain::Invalid;

/// An error a handler returns: an HTTP status and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: Status,
    pub message: String,
    /// Seconds after which asking again may work (`429` and `503` say it).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: Status, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, with a `Retry-After` header of `seconds`.
    pub fn retry_after(self, seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// `400 Bad Request`: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(Status::BadRequest, message)
    }

    /// `401 Unauthorized`: the route needs a session and the request has none.
    pub fn not_logged_in() -> ApiError {
        ApiError::new(
            Status::Unauthorized,
            "not logged in: this needs a valid `session` cookie",
        )
    }
}

/// Input that failed a `parse` is the client's mistake: `422 Unprocessable Entity`.
impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> ApiError {
        ApiError::new(Status::UnprocessableEntity, invalid.0)
    }
}

/// A database failure is ours, not the client's: log it, say little.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        error!("database error: {e}");
        ApiError::new(
            Status::InternalServerError,
            "database error: see the server's log",
        )
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response =
            (self.status, Json(json!({ "error": self.message }))).respond_to(request)?;
        if let Some(seconds) = self.retry_after {
            response.set_header(Header::new("Retry-After", seconds.to_string()));
        }
        Ok(response)
    }
}

/// Turns Rocket's own refusals into JSON errors that say what to change.
#[catch(default)]
fn json_error(status: Status, request: &Request<'_>) -> ApiError {
    let method = request.method();
    let path = request.uri().path();
    let routes: Vec<&Route> = request.rocket().routes().collect();
    match status.code {
        404 => explain_not_found(method, path.as_str(), request.content_type(), &routes),
        400 => ApiError::new(status, "the request body is not valid JSON"),
        401 => ApiError::not_logged_in(),
        413 => ApiError::new(status, "the request body is too large"),
        422 => ApiError::new(
            status,
            "the JSON body does not have the fields this route expects (a missing or misspelt key?)",
        ),
        _ => ApiError::new(status, status.reason().unwrap_or("error").to_lowercase()),
    }
}

/// A 404 means no route matched. Say why when we can: the path exists for
/// another method (405), or for another content type (415).
fn explain_not_found(
    method: Method,
    path: &str,
    content_type: Option<&ContentType>,
    routes: &[&Route],
) -> ApiError {
    let same_path: Vec<&&Route> = routes
        .iter()
        .filter(|r| path_matches(r.uri.path(), path))
        .collect();
    if let Some(route) = same_path.iter().find(|r| r.method == method) {
        if let Some(format) = &route.format {
            let sent = content_type.map_or("no Content-Type".to_string(), |ct| ct.to_string());
            return ApiError::new(
                Status::UnsupportedMediaType,
                format!(
                    "{method} {path} takes a body of type {format}, but the request sent {sent}"
                ),
            );
        }
    }
    let mut allowed: Vec<String> = same_path.iter().map(|r| r.method.to_string()).collect();
    allowed.sort();
    allowed.dedup();
    if !allowed.is_empty() && !allowed.contains(&method.to_string()) {
        return ApiError::new(
            Status::MethodNotAllowed,
            format!(
                "{path} does not answer {method}; it answers {}",
                allowed.join(", ")
            ),
        );
    }
    ApiError::new(
        Status::NotFound,
        format!("there is no route for {method} {path}"),
    )
}

/// Whether a route's path pattern (`/api/rooms/<room>/messages`) matches a path.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut wanted = pattern
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty());
    let mut given = path.trim_matches('/').split('/').filter(|s| !s.is_empty());
    loop {
        match (wanted.next(), given.next()) {
            (Some(w), _) if w.starts_with('<') && w.ends_with("..>") => return true,
            (Some(w), Some(_)) if w.starts_with('<') => continue,
            (Some(w), Some(g)) if w == g => continue,
            (None, None) => return true,
            _ => return false,
        }
    }
}

pub fn catchers() -> Vec<Catcher> {
    catchers![json_error]
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn path_patterns_match_like_rocket() {
        assert!(path_matches(
            "/api/rooms/<room>/messages",
            "/api/rooms/general/messages"
        ));
        assert!(path_matches("/static/<path..>", "/static/js/chat.js"));
        assert!(path_matches("/", "/"));
        assert!(!path_matches("/api/me", "/api/me/too"));
        assert!(!path_matches(
            "/api/rooms/<room>/messages",
            "/api/rooms/general"
        ));
    }
}
