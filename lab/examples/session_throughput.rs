//! How many logins a second the session store takes, with the kit's SQLite
//! settings (WAL journal, `synchronous = NORMAL`) and with SQLite's defaults
//! (rollback journal, `synchronous = FULL`):
//!
//! ```text
//! cargo run --release -p lab --example session_throughput -- 2000
//! ```
//!
//! Each login is one `SessionManager::create`: a random token, its hash, one
//! INSERT in its own transaction, as the server does it.

use std::str::FromStr;
use std::time::{Duration, Instant};

use lab::domain::Username;
use lab::models::SessionManager;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let logins: u32 = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let dir = tempfile::tempdir()?;
    let username = Username::parse("bench")?;

    let kit = rocket_db_pools::Config {
        url: dir.path().join("kit.sqlite3").display().to_string(),
        max_connections: 8,
        connect_timeout: 5,
        ..Default::default()
    };
    let kit_pool = lab::db::connect(&kit).await?;

    let defaults_url = format!("sqlite://{}", dir.path().join("defaults.sqlite3").display());
    let defaults = SqliteConnectOptions::from_str(&defaults_url)?
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Delete)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let defaults_pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(defaults)
        .await?;
    lab::db::migrate(&defaults_pool).await?;

    for (name, pool) in [
        ("kit: WAL, synchronous=NORMAL", kit_pool),
        ("SQLite defaults: rollback journal, FULL", defaults_pool),
    ] {
        let sessions = SessionManager::new(pool, Duration::from_secs(3600));
        let started = Instant::now();
        for _ in 0..logins {
            sessions.create(&username).await?;
        }
        let elapsed = started.elapsed();
        println!(
            "{name:<42} {logins} logins in {:>7.1} ms: {:>8.0} logins/s",
            elapsed.as_secs_f64() * 1000.0,
            f64::from(logins) / elapsed.as_secs_f64()
        );
    }
    Ok(())
}
