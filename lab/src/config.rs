//! Where the kit's files are and how the app is configured.
//!
//! Settings come from, in increasing priority: built-in defaults, the kit's
//! `Rocket.toml`, and `ROCKET_*` environment variables. Paths are anchored at
//! the kit's top folder, so the app works from any working directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Profile};
use serde::{Deserialize, Serialize};

/// Name of the database in `[default.databases.<name>]`.
pub const DATABASE_NAME: &str = "chat";

/// The kit's top folder (the Cargo workspace), fixed when the crate is compiled.
pub fn kit_root() -> PathBuf {
    let lab_crate = Path::new(env!("CARGO_MANIFEST_DIR"));
    lab_crate.parent().unwrap_or(lab_crate).to_path_buf()
}

/// The folder served under `/static`.
pub fn static_dir() -> PathBuf {
    kit_root().join("static")
}

/// The folder of Tera templates.
pub fn templates_dir() -> PathBuf {
    kit_root().join("templates")
}

/// The app's own settings, read from the same places as Rocket's.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AppConfig {
    /// Seconds a session stays valid after it is created.
    pub session_lifetime: u64,
    /// Seconds between two purges of expired sessions by the server; 0: never.
    pub session_purge_interval: u64,
    /// Logins a minute one client address may make (the first come at once); 0: no limit.
    pub login_limit: u32,
    /// Live message streams open at once, over all sessions.
    pub max_streams: usize,
    /// Live message streams one session may have open at once (tabs of one browser).
    pub max_streams_per_session: usize,
}

impl AppConfig {
    pub fn session_lifetime(&self) -> Duration {
        Duration::from_secs(self.session_lifetime)
    }

    /// `None` when the server should not purge by itself.
    pub fn session_purge_interval(&self) -> Option<Duration> {
        (self.session_purge_interval > 0).then(|| Duration::from_secs(self.session_purge_interval))
    }
}

/// Defaults for everything the kit needs, before `Rocket.toml` and the environment.
#[derive(Serialize)]
struct Defaults {
    template_dir: PathBuf,
    #[serde(flatten)]
    app: AppConfig,
    databases: Databases,
}

#[derive(Serialize)]
struct Databases {
    chat: DatabaseDefaults,
}

#[derive(Serialize)]
struct DatabaseDefaults {
    url: String,
    max_connections: usize,
    connect_timeout: u64,
}

/// The full configuration: defaults, then `Rocket.toml` (or `$ROCKET_CONFIG`), then `ROCKET_*`.
pub fn figment() -> Figment {
    let defaults = Defaults {
        template_dir: templates_dir(),
        app: AppConfig {
            session_lifetime: 30 * 24 * 60 * 60,
            session_purge_interval: 60 * 60,
            login_limit: 60,
            max_streams: 1000,
            max_streams_per_session: 5,
        },
        databases: Databases {
            chat: DatabaseDefaults {
                url: "data/chat.sqlite3".into(),
                max_connections: 8,
                connect_timeout: 5,
            },
        },
    };
    let toml = Env::var("ROCKET_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| kit_root().join("Rocket.toml"));
    Figment::from(rocket::Config::default())
        .merge(Serialized::defaults(defaults))
        .merge(Toml::file(toml).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(Profile::from_env_or(
            "ROCKET_PROFILE",
            rocket::Config::DEFAULT_PROFILE,
        ))
}
