//! The grader for Elite Lab 6: Sessions.
//!
//! A grade flows one way: `compile` builds the submission, `server` boots it,
//! the `checks` (each declared once, in run order in `checks::CHECKS`) talk
//! to it through `client` (one cookie jar per simulated browser) and
//! `browser` (a real one), `grade` collects what they found into a
//! `report::Report`, and `render` turns that into text. What makes this lab
//! this lab comes from the kit manifest, `kit.toml` (see `kit`); `cli` is
//! the command line over all of it.

pub mod apart;
pub mod batch;
pub mod browser;
pub mod build_files;
pub mod checks;
pub mod cli;
pub mod client;
pub mod compile;
pub mod confine;
pub mod export;
pub mod forward;
pub mod git;
pub mod grade;
pub mod integrity;
pub mod kit;
pub mod process;
pub mod progress;
pub mod render;
pub mod report;
pub mod repos;
pub mod sandbox;
pub mod script;
pub mod server;
pub mod settings;
pub mod terminal;
pub mod tracked;
pub mod walk;
pub mod watch;
pub mod workspace_files;

#[cfg(test)]
mod module_graph;

pub use grade::grade;
pub use report::{Report, Status};
pub use settings::{Settings, Target};

/// The kit this grader was built in (for a grader `cargo install`ed from
/// git, cargo's checkout of it): where the lab's given files come from.
pub fn kit_root() -> std::path::PathBuf {
    let grader = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    grader.parent().unwrap_or(grader).to_path_buf()
}

/// The workspace a grade takes when none is named: the nearest folder, from
/// the current one up, that holds a `kit.toml` (a student's repository, or
/// this kit), else the kit this grader was built in. So an installed grader
/// grades the repository it is run in, as `cargo run -p grader` does in the kit.
pub fn default_workspace() -> std::path::PathBuf {
    let here = std::env::current_dir().ok();
    here.iter()
        .flat_map(|dir| dir.ancestors())
        .find(|dir| dir.join("kit.toml").is_file() && dir.join("Cargo.toml").is_file())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(kit_root)
}
