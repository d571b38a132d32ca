//! YOUR FILE: the route that creates a session (LAB.md, step 4).
//!
//! When someone submits the login form, `static/js/session.js` sends one
//! request here with the username. Your route must start a session for that
//! username and answer with its token as JSON: `{"token": "..."}`. The script
//! then keeps the token in the `session` cookie, and from then on every
//! request carries it (see `models.rs` for the whole story).

use rocket::http::Status;
use rocket::{post, routes, Route};

use lab::errors::ApiError;

// TODO 1: Replace this stub with your session-creation route. These are the
// steps of LAB.md, step 4:
//
//   a. Name your API: pick the URL and the method. Creating something is a
//      POST; starting API URLs with `/api/` keeps them apart from pages. Use
//      the same URL in `static/js/session.js` (TODO 1 there). Any URL the app
//      does not already use is fine: nothing else depends on your choice.
//   b. Read the body: declare a struct that derives `serde::Deserialize`,
//      with a field named like the key your script sends (TODO 2 in
//      session.js), and take it as `Json<YourStruct>` (add `format = "json"`
//      and `data = "<...>"` to the attribute).
//   c. Check the name: `Username::parse(...)` (in `domain.rs`) refuses empty,
//      too long and control-character names.
//   d. Start the session: ask Rocket for the `SessionManager` with an argument
//      `sessions: &State<SessionManager>` and call its `create` (models.rs).
//   e. Answer with the token as JSON, `{"token": "..."}`: a struct that
//      derives `serde::Serialize`, wrapped in `Json(...)`.
//   f. Handle errors: return `Result<..., ApiError>`, so that `?` works on
//      both c. (a bad name: 422) and d. (database trouble: 500).
//   g. Keep `routes()` below listing your handler, or it is never mounted.

/// Stub: until TODO 1 is done, answers every login with `501 Not
/// Implemented`, and the login page shows this message.
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
