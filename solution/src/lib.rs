//! The reference answer: the lab app with the solution's `controllers.rs` and
//! `static/js/session.js` in place of the student's. Everything else is the
//! `lab` crate itself, so comparing the two files with the lab's shows the
//! whole answer:
//!
//! ```text
//! diff lab/src/controllers.rs solution/src/controllers.rs
//! diff static/js/session.js solution/static/js/session.js
//! ```

pub mod controllers;

use std::path::PathBuf;

use rocket::figment::Figment;
use rocket::{Build, Rocket};

/// The finished app, configured like the lab (see `lab::config::figment`).
pub fn build(figment: Figment) -> Rocket<Build> {
    lab::build_with(
        figment,
        lab::StudentWork {
            routes: controllers::routes(),
            session_js: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static/js/session.js"),
        },
    )
}
