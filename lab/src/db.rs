//! The SQLite database: connection settings, the pool Rocket manages, and migrations.
//!
//! There is no separate "migrate" step: the migrations in `lab/migrations/` are
//! compiled into the binary and run every time a pool is opened, so a fresh
//! clone creates its database on first launch and an old database is upgraded.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;
use rocket_db_pools::{Config, Database, Pool};
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use crate::config::kit_root;

/// The chat database, configured under `[default.databases.chat]`.
#[derive(Database)]
#[database("chat")]
pub struct Db(ChatPool);

/// A pool of SQLite connections, each set up by [`connect`].
///
/// Rocket's ready-made `SqlitePool` keeps SQLite's defaults (a rollback journal
/// and `synchronous = FULL`), which make every login wait for a disk flush.
pub struct ChatPool(SqlitePool);

impl ChatPool {
    /// The underlying sqlx pool (cheap to clone: it is reference counted).
    pub fn sqlx(&self) -> &SqlitePool {
        &self.0
    }
}

#[rocket::async_trait]
impl Pool for ChatPool {
    type Connection = sqlx::pool::PoolConnection<Sqlite>;
    type Error = rocket_db_pools::Error<sqlx::Error>;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: Config = figment.extract()?;
        connect(&config)
            .await
            .map(ChatPool)
            .map_err(rocket_db_pools::Error::Init)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        self.0.acquire().await.map_err(rocket_db_pools::Error::Get)
    }

    async fn close(&self) {
        self.0.close().await;
    }
}

/// Opens a pool on the database that `config` names, creating the file (and
/// its folder) if needed, and brings its tables up to date.
///
/// A relative path in `config.url` is taken from the kit's top folder.
pub async fn connect(config: &Config) -> Result<SqlitePool, sqlx::Error> {
    let mut options = SqliteConnectOptions::from_str(&config.url)?
        .create_if_missing(true)
        // WAL lets readers and a writer work at once; NORMAL is safe with WAL
        // and skips a disk flush per transaction (about 70x more logins a second).
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(config.connect_timeout.max(1)))
        .foreign_keys(true);
    if let Some(path) = file_of(&config.url, &options) {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        options = options.filename(path);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(config.max_connections.max(1) as u32)
        .acquire_timeout(Duration::from_secs(config.connect_timeout.max(1)))
        .connect_with(options)
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Brings the tables of the database behind `pool` up to date: runs the
/// [`MIGRATIONS`] it has not run yet, and checks that those it ran are unchanged.
pub async fn migrate(pool: &SqlitePool) -> Result<(), MigrateError> {
    Migrator::new(Migrations).await?.run(pool).await
}

/// The files of `lab/migrations/`, compiled into the binary: version,
/// description, SQL. A new migration is a new file there and a line here
/// (a test checks that the two agree).
///
/// `sqlx::migrate!("./migrations")` would list them itself, but its macro
/// crate compiles a second copy of sqlx and of SQLite (for the compiler, with
/// other features), which every first build of the lab waited for.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(
    20260101000000,
    "create sessions and messages",
    include_str!("../migrations/20260101000000_create_sessions_and_messages.sql"),
)];

/// [`MIGRATIONS`] as sqlx's migrator takes them.
#[derive(Debug)]
struct Migrations;

impl MigrationSource<'static> for Migrations {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        description.into(),
                        MigrationType::Simple,
                        sql.into(),
                    )
                })
                .collect())
        })
    }
}

/// The database file a URL names, relative paths taken from the kit's top
/// folder; `None` for an in-memory database.
fn file_of(url: &str, options: &SqliteConnectOptions) -> Option<PathBuf> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let path = options.clone().get_filename().into_owned();
    Some(if path.is_relative() {
        kit_root().join(path)
    } else {
        path
    })
}

/// The database configuration of `[default.databases.chat]`.
fn database_config(figment: &Figment) -> Result<Config, String> {
    let key = format!("databases.{}", crate::config::DATABASE_NAME);
    figment
        .extract_inner(&key)
        .map_err(|e| format!("bad database configuration `{key}`: {e}"))
}

/// Where the configured database lives on disk.
pub fn database_file(figment: &Figment) -> Result<PathBuf, String> {
    let config = database_config(figment)?;
    let options = SqliteConnectOptions::from_str(&config.url).map_err(|e| e.to_string())?;
    file_of(&config.url, &options)
        .ok_or_else(|| format!("`{}` is an in-memory database", config.url))
}

/// Opens the database the way the server would, from the same configuration.
pub async fn connect_from(figment: &Figment) -> Result<SqlitePool, String> {
    let config = database_config(figment)?;
    connect(&config)
        .await
        .map_err(|e| format!("cannot open the database at `{}`: {e}", config.url))
}
