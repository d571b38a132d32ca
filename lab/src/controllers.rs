//! YOUR FILE: the route that creates a session (LAB.md, step 4).
//!
//! When someone submits the login form, `static/js/session.js` sends one
//! request here with the username. Your route must start a session for that
//! username and answer with its token as JSON: `{"token": "..."}`. The script
//! then keeps the token in the `session` cookie, and from then on every
//! request carries it (see `models.rs` for the whole story).
//!
//! Until you write it, the stub below answers every login with
//! `501 Not Implemented`, and the login page shows that message.

use rocket::http::Status;
use rocket::{post, routes, Route};

use lab::errors::ApiError;

// TODO 1: Replace this stub with your session-creation route.
//
//   a. Pick the URL and the method. Creating something is a POST; starting API
//      URLs with `/api/` keeps them apart from pages. Use the same URL in
//      `static/js/session.js` (TODO 1 there). Any URL the app does not already
//      use is fine: nothing else depends on your choice.
//   b. Read the username from the JSON body: declare a struct that derives
//      `serde::Deserialize`, with a field named like the key your script
//      sends (TODO 2 in session.js), and take it as `Json<YourStruct>`
//      (add `format = "json"` and `data = "<...>"` to the attribute).
//   c. Check it: `Username::parse(...)` (in `domain.rs`) refuses empty, too
//      long and control-character names; `?` turns its error into a 422.
//   d. Start the session: ask Rocket for the `SessionManager` with an argument
//      `sessions: &State<SessionManager>` and call its `create` (models.rs).
//   e. Answer with the token as JSON, `{"token": "..."}`: a struct that derives
//      `serde::Serialize`, wrapped in `Json(...)`. Return
//      `Result<..., ApiError>` so that `?` works for c. and d.
//   f. Keep `routes()` below listing your handler.

/// Stub: answers `501 Not Implemented` until TODO 1 is done.
#[post("/api/TODO")]
fn create_session() -> ApiError {
    ApiError::new(
        Status::NotImplemented,
        "creating a session is not implemented yet: write the route in \
         lab/src/controllers.rs (TODO 1) and set its URL and body in \
         static/js/session.js (TODO 1 and TODO 2); see LAB.md, step 4",
    )
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}
