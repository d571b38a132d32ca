//! `cargo run -p lab --bin util -- <command>`: look after the chat database.
//!
//! It opens the same database as the server (Rocket.toml and `ROCKET_*`
//! variables), so run it while the server is stopped or running alike.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lab::domain::{MessageBody, RoomName, Username};
use lab::models::{unix_now, MessageManager, SessionManager};

/// Helpers for the chatroom's database: seed messages, delete them, and show
/// or purge sessions. Uses the same database settings as the server.
#[derive(Parser)]
#[command(name = "util", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add N numbered test messages to a room, written by a test user.
    Seed {
        /// How many messages to add.
        #[arg(default_value_t = 20)]
        count: u32,
        /// The room to add them to.
        #[arg(long, default_value = "general")]
        room: String,
        /// The author of the messages.
        #[arg(long, default_value = "testbot")]
        author: String,
    },
    /// Delete all messages, or only one room's.
    ClearMessages {
        /// Only this room.
        #[arg(long)]
        room: Option<String>,
    },
    /// Show or purge the stored sessions.
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Print where the database file is.
    Where,
}

#[derive(Subcommand)]
enum SessionsAction {
    /// List every stored session (the tokens themselves are not stored).
    List,
    /// Delete expired sessions, or with --all every session (logs everybody out).
    Purge {
        #[arg(long)]
        all: bool,
    },
}

#[rocket::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("util: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let figment = lab::config::figment();
    let open = || lab::db::connect_from(&figment);
    // The lifetime only matters when creating sessions, which util never does.
    let sessions = |pool| SessionManager::new(pool, Duration::ZERO);
    let db = |e: sqlx::Error| format!("database error: {e}");
    match command {
        Command::Where => println!("{}", lab::db::database_file(&figment)?.display()),
        Command::Seed {
            count,
            room,
            author,
        } => {
            let room = RoomName::parse(&room).map_err(|e| e.0)?;
            let author = Username::parse(&author).map_err(|e| e.0)?;
            let messages = MessageManager::new(open().await?);
            for n in 1..=count {
                let body =
                    MessageBody::parse(&format!("Test message {n} of {count}")).map_err(|e| e.0)?;
                messages.add(&room, &author, &body).await.map_err(db)?;
            }
            println!("added {count} messages to #{room} as {author}");
        }
        Command::ClearMessages { room } => {
            let room = room
                .map(|r| RoomName::parse(&r))
                .transpose()
                .map_err(|e| e.0)?;
            let messages = MessageManager::new(open().await?);
            let deleted = messages.delete_all(room.as_ref()).await.map_err(db)?;
            match room {
                Some(room) => println!("deleted {deleted} messages from #{room}"),
                None => println!("deleted {deleted} messages from every room"),
            }
        }
        Command::Sessions {
            action: SessionsAction::List,
        } => {
            let now = unix_now();
            let list = sessions(open().await?).list().await.map_err(db)?;
            if list.is_empty() {
                println!("no sessions");
            }
            for s in list {
                let state = if s.expires_at > now {
                    format!("expires in {}", human_duration(s.expires_at - now))
                } else {
                    "expired".to_string()
                };
                println!(
                    "#{:<5} {:<32} created {} ago, {state}",
                    s.id,
                    s.username,
                    human_duration(now - s.created_at)
                );
            }
        }
        Command::Sessions {
            action: SessionsAction::Purge { all },
        } => {
            let sessions = sessions(open().await?);
            let deleted = if all {
                sessions.delete_all().await
            } else {
                sessions.purge_expired().await
            }
            .map_err(db)?;
            println!(
                "deleted {deleted} {}sessions",
                if all { "" } else { "expired " }
            );
        }
    }
    Ok(())
}

/// "3d 4h", "5m 2s": a rough duration for people.
fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}
