//! The grader's integration tests, as one binary: the grader is linked once,
//! and the tests of every module run side by side. The fixture table comes
//! last (libtest starts the tests in the order of their names): beside the
//! exports' cold builds, the machine was too busy for the browsers it starts.
//!
//! By concern: `submissions` grades the fixtures (`../submissions/NAME/`)
//! as their `expected.toml` says, the kit's lab and the solution; `cli` the
//! `grader` command's flags, exit status and files; `class` `grader batch`
//! and `grader watch` end to end; `export` the platforms' exports, run as
//! the platforms run them; `docs` every command README.md and LAB.md show.
//! `common` lays out the submissions and holds what they share.
//!
//! What the modules share on the machine, they take turns with: the
//! toolchain folders' modes (`common::toolchain_modes_turn`), changed as root
//! for another user, and the fixture table's check of the kit's own files,
//! which no other test writes.

mod class;
mod cli;
mod common;
mod docs;
mod export;
mod submissions;
