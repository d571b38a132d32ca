//! The grader for Elite Lab 6: Sessions.
//!
//! A grade flows one way: `compile` builds the submission, `server` boots it,
//! the `checks` (each declared once, in run order in `checks::CHECKS`) talk
//! to it through `client` (one cookie jar per simulated browser) and
//! `browser` (a real one), `grade` collects what they found into a
//! `report::Report`, and `render` turns that into text. What makes this lab
//! this lab comes from the kit manifest, `kit.toml` (see `kit`); `cli` is
//! the command line over all of it.

pub mod batch;
pub mod browser;
pub mod checks;
pub mod cli;
pub mod client;
pub mod compile;
pub mod confine;
pub mod export;
pub mod forward;
pub mod grade;
pub mod integrity;
pub mod kit;
pub mod lockfile;
pub mod process;
pub mod progress;
pub mod render;
pub mod report;
pub mod sandbox;
pub mod script;
pub mod server;
pub mod settings;
pub mod tracked;
pub mod watch;

pub use grade::grade;
pub use report::{Report, Status};
pub use settings::{Settings, Target};

/// The kit this grader was built in: the default workspace to grade.
pub fn kit_root() -> std::path::PathBuf {
    let grader = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    grader.parent().unwrap_or(grader).to_path_buf()
}
