//! `cargo run -p grader`: grade the lab. `--help` lists the subcommands and options.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    grader::cli::run(grader::cli::Cli::parse()).await
}
