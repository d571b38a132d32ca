//! The `util` binary, run as a student runs it, on a temporary database.

use std::path::Path;
use std::process::{Command, Output};

fn util(database: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_util"))
        .args(args)
        .env(
            "ROCKET_DATABASES",
            format!("{{chat={{url=\"{}\"}}}}", database.display()),
        )
        .output()
        .expect("util runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_lists_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&util(&dir.path().join("db"), &["--help"]));
    for command in ["seed", "clear-messages", "sessions", "where"] {
        assert!(help.contains(command), "{help}");
    }
    assert!(!dir.path().join("db").exists(), "--help opens no database");
}

#[test]
fn seed_and_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.sqlite3");
    assert_eq!(
        stdout(&util(&db, &["where"])).trim(),
        db.display().to_string()
    );
    assert!(stdout(&util(&db, &["seed", "5", "--room", "lab-6"]))
        .contains("added 5 messages to #lab-6"));
    assert!(stdout(&util(&db, &["seed"])).contains("added 20 messages to #general"));
    assert!(
        stdout(&util(&db, &["clear-messages", "--room", "lab-6"])).contains("deleted 5 messages")
    );
    assert!(stdout(&util(&db, &["clear-messages"])).contains("deleted 20 messages from every room"));
}

#[test]
fn bad_arguments_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.sqlite3");
    let output = util(&db, &["seed", "3", "--room", "Not A Room"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a room name"));
    let output = util(&db, &["seed", "-4"]);
    assert!(!output.status.success());
    assert!(!db.exists(), "nothing was created");
}

#[test]
fn sessions_are_listed_without_tokens_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.sqlite3");
    assert!(stdout(&util(&db, &["sessions", "list"])).contains("no sessions"));
    // Sessions are made by the server; put two in as it would, one expired.
    let now = lab::models::unix_now();
    let insert = format!(
        "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES \
         ('a', 'ada', 1, 2), ('b', 'grace', {now}, {})",
        now + 3600
    );
    rocket::async_test(async {
        let config = rocket_db_pools::Config {
            url: db.display().to_string(),
            max_connections: 1,
            connect_timeout: 5,
            ..Default::default()
        };
        let pool = lab::db::connect(&config).await.unwrap();
        sqlx::query(&insert).execute(&pool).await.unwrap();
        pool.close().await;
    });
    let list = stdout(&util(&db, &["sessions", "list"]));
    assert!(list.contains("ada") && list.contains("expired"), "{list}");
    assert!(
        list.contains("grace") && list.contains("expires in"),
        "{list}"
    );
    assert!(stdout(&util(&db, &["sessions", "purge"])).contains("deleted 1 expired sessions"));
    assert!(stdout(&util(&db, &["sessions", "purge", "--all"])).contains("deleted 1 sessions"));
    assert!(stdout(&util(&db, &["sessions", "list"])).contains("no sessions"));
}
