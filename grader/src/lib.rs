//! The grader for Elite Lab 6: Sessions.
//!
//! A grade flows one way: `compile` builds the submission, `server` boots it,
//! the `checks` (declared as data in `checks/mod.rs`) talk to it through
//! `client` (one cookie jar per simulated browser), `grade` collects what
//! they found into a `report::Report`, and `render` turns that into text.

pub mod browser;
pub mod checks;
pub mod client;
pub mod compile;
pub mod grade;
pub mod process;
pub mod render;
pub mod report;
pub mod script;
pub mod server;

pub use checks::context::{Settings, Target};
pub use grade::grade;
pub use report::{Report, Status};

/// The kit this grader was built in: the default workspace to grade.
pub fn kit_root() -> std::path::PathBuf {
    let grader = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    grader.parent().unwrap_or(grader).to_path_buf()
}
