//! How fast is the kit's server, next to the least Rocket server that does the
//! same work?
//!
//! Two routes are measured:
//!
//! - `POST /api/sessions` with `{"username": ...}`: parse the JSON, make a
//!   random (v4) UUID token, hash it with SHA-256, one `INSERT`, answer
//!   `201 {"token": ...}`;
//! - `GET /api/me` with the `session` cookie: one indexed `SELECT` by the
//!   token's hash, answer `200 {"username": ...}`.
//!
//! Each is served by two servers, each in a process of its own on a fresh
//! database, both started before the measuring begins:
//!
//! - **kit**: `solution::build` (the lab with its login route done), with the
//!   kit's own configuration and log level, its login rate limit counting
//!   every login but set too high to refuse one;
//! - **minimal**: a Rocket server written below with only those two routes:
//!   no templates, no fairings of its own, no catchers, no logging of its own.
//!   It shares the kit's Rocket configuration, log level and SQLite settings
//!   (`lab::db::connect_from`), so what differs is only what the kit adds
//!   around the same work.
//!
//! The load comes from this process: keep-alive connections (the bare client
//! of `solution/tests/support/http.rs`), each sending its next request as soon
//! as the last one is answered. A round loads one route on one server, then
//! on the other, back to back, each warmed up and then measured for a fixed
//! time; the rounds alternate which server goes first. The table shows each
//! figure's median over the rounds, and the ratio of the two servers round by
//! round: its median, and its lowest and highest round (the spread a shared
//! machine gives). Any answer that is not 2xx makes the benchmark fail.
//!
//! ```sh
//! cargo run --release -p solution --example server_speed
//! cargo run --release -p solution --example server_speed -- --seconds 5 --connections 32
//! ```
//!
//! Options: `--seconds` (measured, per route, default 5), `--warmup` (default
//! 1), `--connections` (default 32), `--rounds` (default 5), `--sessions`
//! (tokens `GET /api/me` cycles through, default 1000), `--pin` (the load
//! generator on the first CPU and both servers on the others, through
//! `taskset`: the load's own work then never takes a server's CPU, which
//! makes rounds steadier on a machine with few cores), `--route create` or
//! `--route me` (one route only; default both). The report goes to
//! stdout as a Markdown table; progress goes to stderr.

#[path = "../tests/support/http.rs"]
mod http;

use http::{Connection, Response};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::config::LogLevel;
use rocket::figment::Figment;
use rocket::serde::json::json;
use tempfile::TempDir;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        // The child process: `serve kit|minimal <database file>`.
        Some("serve") => match (args.get(1), args.get(2)) {
            (Some(server), Some(database)) => serve(Server::named(server), Path::new(database)),
            _ => usage("serve needs a server (kit or minimal) and a database file"),
        },
        _ => benchmark(&Options::parse(&args)),
    }
}

/// The benchmark's settings, from the command line.
struct Options {
    seconds: f64,
    warmup: f64,
    connections: usize,
    rounds: usize,
    sessions: usize,
    /// The load generator on the first CPU, the servers on the others.
    pin: bool,
    /// The routes to measure (`--route`, default both).
    routes: Vec<Route>,
    /// Both servers loaded at the same time, each from half the connections.
    together: bool,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut options = Options {
            seconds: 5.0,
            warmup: 1.0,
            connections: 32,
            rounds: 5,
            sessions: 1000,
            pin: false,
            together: false,
            routes: Route::ALL.to_vec(),
        };
        let mut routes = Vec::new();
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--pin" => {
                    options.pin = true;
                    continue;
                }
                "--together" => {
                    options.together = true;
                    continue;
                }
                _ => {}
            }
            let Some(value) = args.next() else {
                usage(&format!("{flag} needs a value"));
            };
            match flag.as_str() {
                "--seconds" => options.seconds = number(flag, value),
                "--warmup" => options.warmup = number(flag, value),
                "--connections" => options.connections = number(flag, value),
                "--rounds" => options.rounds = number(flag, value),
                "--sessions" => options.sessions = number(flag, value),
                "--route" => routes.push(Route::named(value)),
                _ => usage(&format!("unknown option {flag}")),
            }
        }
        if options.seconds <= 0.0 || options.connections == 0 || options.rounds == 0 {
            usage("--seconds, --connections and --rounds must be above 0");
        }
        options.sessions = options.sessions.max(1);
        if !routes.is_empty() {
            options.routes = routes;
        }
        options
    }
}

impl Options {
    /// Together, the servers share the connections; in turn, each has them all.
    fn connections_per_server(&self) -> usize {
        if self.together {
            (self.connections / 2).max(1)
        } else {
            self.connections
        }
    }
}

fn number<T: FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| usage(&format!("{flag} takes a number, not {value:?}")))
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "server_speed: {problem}\n\
         usage: server_speed [--seconds S] [--warmup S] [--connections N] [--rounds N] [--sessions N] [--pin] [--together] [--route create|me]..."
    );
    std::process::exit(2)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Kit,
    Minimal,
}

impl Server {
    fn named(name: &str) -> Server {
        match name {
            "kit" => Server::Kit,
            "minimal" => Server::Minimal,
            _ => usage(&format!("no server called {name:?} (kit or minimal)")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Server::Kit => "kit",
            Server::Minimal => "minimal",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    CreateSession,
    Me,
}

impl Route {
    const ALL: [Route; 2] = [Route::CreateSession, Route::Me];

    fn named(name: &str) -> Route {
        match name {
            "create" => Route::CreateSession,
            "me" => Route::Me,
            _ => usage(&format!("no route called {name:?} (create or me)")),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Route::CreateSession => "`POST /api/sessions`",
            Route::Me => "`GET /api/me`",
        }
    }
}

// ---------------------------------------------------------------------------
// The child process: one server.
// ---------------------------------------------------------------------------

/// The configuration both servers run with: the kit's own (`Rocket.toml`,
/// `ROCKET_*`, the kit's default log level), on `database`, a free port of
/// the loopback, and a login rate limit too high to refuse any of the load:
/// the limiter still counts every login, so its cost is in the figures.
fn server_figment(database: &Path) -> Figment {
    lab::config::figment()
        .merge(("databases.chat.url", database.display().to_string()))
        .merge(("address", "127.0.0.1"))
        .merge(("port", 0))
        .merge(("login_limit", u32::MAX))
}

/// The log level both servers use: the kit's default, as this build sees it.
fn log_level() -> LogLevel {
    lab::config::figment()
        .extract_inner("log_level")
        .expect("the kit's configuration has a log level")
}

/// Runs one server until it is killed. Like `#[rocket::launch]`, on Rocket's
/// own runtime, so both servers get the kit's number of worker threads.
fn serve(server: Server, database: &Path) {
    let figment = server_figment(database);
    let launched = match server {
        Server::Kit => rocket::execute(solution::build(figment).launch()).map(drop),
        Server::Minimal => rocket::execute(minimal::launch(figment)),
    };
    if let Err(e) = launched {
        eprintln!("the {} server failed: {e}", server.name());
        std::process::exit(1);
    }
}

/// The least Rocket server that does the same work as the kit's two routes.
mod minimal {
    use rocket::fairing::AdHoc;
    use rocket::figment::Figment;
    use rocket::http::Status;
    use rocket::request::{FromRequest, Outcome, Request};
    use rocket::serde::json::Json;
    use rocket::{get, post, routes, State};
    use serde::{Deserialize, Serialize};
    use sqlx::SqlitePool;

    use lab::domain::Username;
    use lab::models::{hash_token, unix_now};

    struct Sessions {
        pool: SqlitePool,
        lifetime: i64,
    }

    #[derive(Deserialize)]
    struct Login {
        username: String,
    }

    #[derive(Serialize)]
    struct NewSession {
        token: String,
    }

    #[derive(Serialize)]
    struct Me {
        username: String,
    }

    /// The kit's `create_session` and `SessionManager::create`, minus its log line.
    #[post("/api/sessions", format = "json", data = "<login>")]
    async fn create_session(
        login: Json<Login>,
        sessions: &State<Sessions>,
    ) -> Result<(Status, Json<NewSession>), Status> {
        let username = Username::parse(&login.username).map_err(|_| Status::UnprocessableEntity)?;
        let token = uuid::Uuid::new_v4().to_string();
        let now = unix_now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(hash_token(&token))
        .bind(username.as_str())
        .bind(now)
        .bind(now.saturating_add(sessions.lifetime))
        .execute(&sessions.pool)
        .await
        .map_err(|_| Status::InternalServerError)?;
        Ok((Status::Created, Json(NewSession { token })))
    }

    /// The kit's `User` guard and `me` route in one: the same query.
    #[get("/api/me")]
    async fn me(token: SessionToken<'_>, sessions: &State<Sessions>) -> Result<Json<Me>, Status> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT username, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(hash_token(token.0))
        .bind(unix_now())
        .fetch_optional(&sessions.pool)
        .await
        .map_err(|_| Status::InternalServerError)?;
        let (username, _expires_at) = row.ok_or(Status::Unauthorized)?;
        Ok(Json(Me { username }))
    }

    /// The `session` cookie's value, read from the `Cookie` headers by hand.
    struct SessionToken<'r>(&'r str);

    #[rocket::async_trait]
    impl<'r> FromRequest<'r> for SessionToken<'r> {
        type Error = ();

        async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
            let token = request
                .headers()
                .get("Cookie")
                .flat_map(|header| header.split(';'))
                .find_map(|pair| pair.trim().strip_prefix("session="));
            match token {
                Some(token) => Outcome::Success(SessionToken(token)),
                None => Outcome::Error((Status::Unauthorized, ())),
            }
        }
    }

    /// Opens the database as the kit does (same pool, pragmas, migrations)
    /// and serves the two routes until the process is killed.
    pub async fn launch(figment: Figment) -> Result<(), rocket::Error> {
        let pool = lab::db::connect_from(&figment)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let lifetime: u64 = figment
            .extract_inner("session_lifetime")
            .expect("a session lifetime");
        rocket::custom(figment)
            .manage(Sessions {
                pool,
                lifetime: lifetime as i64,
            })
            .mount("/", routes![create_session, me])
            .attach(AdHoc::on_liftoff("Announce the address", |rocket| {
                Box::pin(async move {
                    let config = rocket.config();
                    println!(
                        "Minimal server ready at http://{}:{}/",
                        config.address, config.port
                    );
                })
            }))
            .launch()
            .await
            .map(drop)
    }
}

// ---------------------------------------------------------------------------
// The parent process: the load and the report.
// ---------------------------------------------------------------------------

/// One server process, killed and waited for when dropped (also on a panic).
struct ServerProcess {
    child: Child,
    address: SocketAddr,
    // Dropped after the child is gone: the database lives here.
    _dir: TempDir,
}

impl ServerProcess {
    /// Starts `server` on a fresh database and waits for its ready line.
    fn start(server: Server, cpus: Option<&str>) -> ServerProcess {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let database = dir.path().join("chat.sqlite3");
        let program = std::env::current_exe().expect("this program's path");
        let mut command = match cpus {
            // `taskset` executes the server in its own place: the PID is the server's.
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.arg("--cpu-list").arg(cpus).arg(program);
                command
            }
            None => Command::new(program),
        };
        let mut child = command
            .arg("serve")
            .arg(server.name())
            .arg(&database)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server process starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let address = loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.kill();
                panic!("the {} server exited before it was ready", server.name());
            }
            if let Some(address) = ready_address(&line) {
                break address;
            }
        };
        // Whatever the server prints later goes to our stderr, so that a full
        // pipe never blocks it and its errors are seen.
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                eprintln!("  [{}] {line}", server.name());
            }
        });
        ServerProcess {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in `... ready at http://127.0.0.1:PORT/`, the line both servers print.
fn ready_address(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("ready at http://")?;
    rest.trim().trim_end_matches('/').parse().ok()
}

/// What one route did on one server in one round.
#[derive(Clone, Default)]
struct Stats {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// The server process's CPU time (all its threads, user and system) over
    /// the measured seconds, per request answered in them, in microseconds.
    cpu_us_per_request: f64,
    errors: usize,
    /// The first non-2xx answer, to show when the benchmark fails.
    first_error: Option<String>,
}

/// Every round's figures of one server and route.
struct Series {
    server: Server,
    route: Route,
    rounds: Vec<Stats>,
}

fn benchmark(options: &Options) {
    // Both servers are up for the whole run, so that each round measures them
    // back to back, seconds apart, on the same machine load.
    let server_cpus = options.pin.then(pin_the_load);
    let servers = [Server::Kit, Server::Minimal].map(|server| {
        let process = ServerProcess::start(server, server_cpus.as_deref());
        let tokens = block_on(make_sessions(process.address, options.sessions));
        (server, process, Arc::new(tokens))
    });
    let mut series: Vec<Series> = Vec::new();
    for &route in &options.routes {
        for (server, _, _) in &servers {
            series.push(Series {
                server: *server,
                route,
                rounds: Vec::new(),
            });
        }
        for round in 0..options.rounds {
            let load = |index: usize| {
                let (_, process, tokens) = &servers[index];
                run_load(
                    process.address,
                    process.child.id(),
                    route,
                    Arc::clone(tokens),
                    options,
                )
            };
            let measured: Vec<(usize, Stats)> = if options.together {
                // Both at once, each from half the connections: the same
                // seconds of the same machine for both.
                let (kit, minimal) = block_on(async { rocket::tokio::join!(load(0), load(1)) });
                vec![(0, kit), (1, minimal)]
            } else {
                // Alternate who goes first, so that neither always gets the cooler machine.
                let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                order.map(|index| (index, block_on(load(index)))).to_vec()
            };
            for (index, stats) in measured {
                let server = &servers[index].0;
                eprintln!(
                    "round {}/{}  {:<7}  {:<22}  {:>8.0} req/s  {:>6.1} µs CPU/req  p50 {:.2} ms  p99 {:.2} ms  errors {}",
                    round + 1,
                    options.rounds,
                    server.name(),
                    route.label(),
                    stats.requests_per_second,
                    stats.cpu_us_per_request,
                    stats.p50_ms,
                    stats.p99_ms,
                    stats.errors
                );
                let slot = series
                    .iter_mut()
                    .find(|s| s.server == *server && s.route == route)
                    .expect("every server and route has a series");
                slot.rounds.push(stats);
            }
        }
    }
    println!("{}", report(&series, options, server_cpus.as_deref()));
    fail_on_errors(&series);
}

/// Pins this process (the load generator) to the first CPU and returns the
/// list of the others, for the servers.
fn pin_the_load() -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus < 2 {
        usage("--pin needs at least 2 CPUs");
    }
    let status = Command::new("taskset")
        .args(["--cpu-list", "--pid", "0"])
        .arg(std::process::id().to_string())
        .stdout(Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        usage("--pin needs `taskset` (util-linux), and it failed");
    }
    format!("1-{}", cpus - 1)
}

/// Runs the load on one thread: it leaves the most CPU to the servers.
fn block_on<F: std::future::Future>(load: F) -> F::Output {
    rocket::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the load")
        .block_on(load)
}

/// `count` sessions made through the server, checked to work.
async fn make_sessions(address: SocketAddr, count: usize) -> Vec<String> {
    let mut connection = Connection::open(address).await.expect("a connection");
    let mut tokens = Vec::with_capacity(count);
    for n in 0..count {
        let response = request(&mut connection, Route::CreateSession, &[], n).await;
        assert_eq!(response.status, 201, "a login failed: {}", response.text());
        let token = response.json()["token"].as_str().map(str::to_owned);
        tokens.push(token.expect("a login answers with a token"));
    }
    let response = request(&mut connection, Route::Me, &tokens, 0).await;
    assert_eq!(
        response.json()["username"],
        json!(username(0)),
        "GET /api/me does not know the session just made: {}",
        response.text()
    );
    tokens
}

/// The username of the `n`th login.
fn username(n: usize) -> String {
    format!("user{}", n % 1000)
}

/// One request of `route`; the `n`th of its connection's series.
async fn request(
    connection: &mut Connection,
    route: Route,
    tokens: &[String],
    n: usize,
) -> Response {
    let response = match route {
        Route::CreateSession => {
            let body = json!({ "username": username(n) });
            connection.post_json("/api/sessions", &body).await
        }
        Route::Me => {
            connection
                .get_as("/api/me", &tokens[n % tokens.len()])
                .await
        }
    };
    response.unwrap_or_else(|e| panic!("{} failed: {e}", route.label()))
}

/// Requests sent by one connection, and the latency of each.
#[derive(Default)]
struct Sample {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

/// Loads `route` from every connection at once: a warm-up, then the measure.
async fn run_load(
    address: SocketAddr,
    server_pid: u32,
    route: Route,
    tokens: Arc<Vec<String>>,
    options: &Options,
) -> Stats {
    let measured = Duration::from_secs_f64(options.seconds);
    let start = Instant::now() + Duration::from_secs_f64(options.warmup);
    let end = start + measured;
    let connections = options.connections_per_server();
    let tasks: Vec<_> = (0..connections)
        .map(|id| {
            let tokens = Arc::clone(&tokens);
            let stride = connections;
            rocket::tokio::spawn(async move {
                drive(address, route, &tokens, id, stride, start, end).await
            })
        })
        .collect();
    // The server's CPU time over the measured seconds, read at their start and end.
    let cpu = rocket::tokio::spawn(async move {
        rocket::tokio::time::sleep_until(start.into()).await;
        let before = cpu_seconds(server_pid);
        rocket::tokio::time::sleep_until(end.into()).await;
        cpu_seconds(server_pid) - before
    });
    let mut total = Sample::default();
    for task in tasks {
        let sample = task.await.expect("a load task finishes");
        total.latencies.extend(sample.latencies);
        total.errors += sample.errors;
        total.first_error = total.first_error.or(sample.first_error);
    }
    let cpu = cpu.await.expect("the CPU reading finishes");
    summarize(total, measured, cpu)
}

/// The CPU time a process has used so far, all its threads, user and system,
/// in seconds (`/proc/PID/stat`, in clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("cannot read the server's CPU time: {e}"));
    // The fields after the command's closing parenthesis start at the third,
    // the state; utime and stime are the 14th and 15th.
    let after_name = &stat[stat.rfind(')').expect("a stat line names its command") + 1..];
    let ticks: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|field| field.parse().expect("utime and stime are numbers"))
        .collect();
    (ticks[0] + ticks[1]) as f64 / CLOCK_TICKS_PER_SECOND
}

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux of the last two decades.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// One connection's requests, back to back until `end`; those sent from
/// `start` on and answered by `end` are recorded.
async fn drive(
    address: SocketAddr,
    route: Route,
    tokens: &[String],
    id: usize,
    stride: usize,
    start: Instant,
    end: Instant,
) -> Sample {
    let mut connection = Connection::open(address).await.expect("a connection");
    let mut sample = Sample::default();
    // Connections take turns through the numbers, so they use different tokens.
    let mut n = id;
    loop {
        let sent = Instant::now();
        let response = request(&mut connection, route, tokens, n).await;
        let answered = Instant::now();
        if answered > end {
            return sample;
        }
        if sent >= start {
            sample.latencies.push(answered - sent);
            if !(200..300).contains(&response.status) {
                sample.errors += 1;
                sample
                    .first_error
                    .get_or_insert_with(|| format!("{} {}", response.status, response.text()));
            }
        }
        n += stride;
    }
}

fn summarize(mut sample: Sample, measured: Duration, server_cpu_seconds: f64) -> Stats {
    sample.latencies.sort_unstable();
    let answered = sample.latencies.len().max(1) as f64;
    Stats {
        requests_per_second: sample.latencies.len() as f64 / measured.as_secs_f64(),
        cpu_us_per_request: server_cpu_seconds * 1e6 / answered,
        p50_ms: percentile_ms(&sample.latencies, 50.0),
        p99_ms: percentile_ms(&sample.latencies, 99.0),
        errors: sample.errors,
        first_error: sample.first_error,
    }
}

/// The nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], percent: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (percent / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// The median figures of one server and route.
struct Medians {
    requests_per_second: f64,
    cpu_us_per_request: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Series {
    fn medians(&self) -> Medians {
        let of = |figure: fn(&Stats) -> f64| median(self.rounds.iter().map(figure).collect());
        Medians {
            requests_per_second: of(|s| s.requests_per_second),
            cpu_us_per_request: of(|s| s.cpu_us_per_request),
            p50_ms: of(|s| s.p50_ms),
            p99_ms: of(|s| s.p99_ms),
        }
    }
}

/// The Markdown report: the settings in a sentence, then one row per route.
/// The ratio is taken round by round (the two servers measured back to back, or together)
/// and shown as its median, with the lowest and highest round beside it.
fn report(series: &[Series], options: &Options, server_cpus: Option<&str>) -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = format!(
        "{} keep-alive connections per server, {} s warm-up then {} s measured per route, server and round, \
         median of {} round(s) ({}); \
         both servers at Rocket log level `{}` (the kit's default); the kit's login limit counting \
         but too high to refuse; \
         {}.\n\n",
        options.connections_per_server(),
        options.warmup,
        options.seconds,
        options.rounds,
        if options.together {
            "in each, both servers loaded at the same time"
        } else {
            "in each, both servers back to back, in turn first"
        },
        log_level(),
        match server_cpus {
            Some(list) => format!("load generator pinned to CPU 0, servers to CPUs {list}"),
            None => format!("servers and load generator share {cpus} CPUs"),
        },
    );
    out.push_str(
        "| Route | Kit req/s | Minimal req/s | Kit / minimal (lowest–highest round) \
         | Kit / minimal, server CPU per request (lowest–highest round) \
         | Kit p50 / p99 (ms) | Minimal p50 / p99 (ms) |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for &route in &options.routes {
        let of = |server: Server| {
            series
                .iter()
                .find(|s| s.server == server && s.route == route)
                .expect("every server and route has a series")
        };
        let (kit, minimal) = (of(Server::Kit), of(Server::Minimal));
        let speed = RoundRatios::of(kit, minimal, |s| s.requests_per_second);
        let cpu = RoundRatios::of(kit, minimal, |s| s.cpu_us_per_request);
        let (kit, minimal) = (kit.medians(), minimal.medians());
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {speed} | {cpu} ({:.1} / {:.1} µs) | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            route.label(),
            kit.requests_per_second,
            minimal.requests_per_second,
            kit.cpu_us_per_request,
            minimal.cpu_us_per_request,
            kit.p50_ms,
            kit.p99_ms,
            minimal.p50_ms,
            minimal.p99_ms,
        ));
    }
    out
}

/// A figure of the kit over the same figure of the minimal server, round by
/// round (the two measured back to back): shown as the median, with the
/// lowest and the highest round.
struct RoundRatios(Vec<f64>);

impl RoundRatios {
    fn of(kit: &Series, minimal: &Series, figure: fn(&Stats) -> f64) -> RoundRatios {
        let mut ratios: Vec<f64> = kit
            .rounds
            .iter()
            .zip(&minimal.rounds)
            .map(|(k, m)| figure(k) / figure(m))
            .collect();
        ratios.sort_by(f64::total_cmp);
        RoundRatios(ratios)
    }
}

impl std::fmt::Display for RoundRatios {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ratios = &self.0;
        write!(
            f,
            "{:.2} ({:.2}–{:.2})",
            median(ratios.clone()),
            ratios[0],
            ratios[ratios.len() - 1]
        )
    }
}

/// Ends the program with an error if any answer was not 2xx.
fn fail_on_errors(series: &[Series]) {
    let mut failed = false;
    for s in series {
        let errors: usize = s.rounds.iter().map(|r| r.errors).sum();
        if errors > 0 {
            failed = true;
            let first = s.rounds.iter().find_map(|r| r.first_error.as_deref());
            eprintln!(
                "FAILED: {} answered {} {errors} time(s) with a non-2xx status; first: {}",
                s.server.name(),
                s.route.label(),
                first.unwrap_or("?")
            );
        }
    }
    if failed {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Options {
        Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn by_default_both_routes_are_loaded_in_turn_from_every_connection() {
        let options = options(&[]);
        assert!(!options.together && !options.pin);
        assert!(options.routes == Route::ALL.to_vec());
        assert_eq!(options.connections_per_server(), 32);
    }

    #[test]
    fn together_the_servers_share_the_connections() {
        let options = options(&["--together", "--route", "me", "--rounds", "3", "--pin"]);
        assert!(options.together && options.pin);
        assert!(options.routes == vec![Route::Me]);
        assert_eq!(options.rounds, 3);
        assert_eq!(options.connections_per_server(), 16);
    }

    fn series(server: Server, figures: &[f64]) -> Series {
        Series {
            server,
            route: Route::Me,
            rounds: figures
                .iter()
                .map(|&figure| Stats {
                    requests_per_second: figure,
                    cpu_us_per_request: 100.0 / figure,
                    ..Stats::default()
                })
                .collect(),
        }
    }

    #[test]
    fn the_ratio_is_taken_round_by_round_and_shown_with_its_spread() {
        let kit = series(Server::Kit, &[90.0, 100.0, 300.0]);
        let minimal = series(Server::Minimal, &[100.0, 100.0, 100.0]);
        let speed = RoundRatios::of(&kit, &minimal, |s| s.requests_per_second);
        assert_eq!(speed.to_string(), "1.00 (0.90–3.00)");
        let cpu = RoundRatios::of(&kit, &minimal, |s| s.cpu_us_per_request);
        assert_eq!(cpu.to_string(), "1.00 (0.33–1.11)");
    }

    #[test]
    fn a_process_cpu_time_is_read_from_proc_and_grows_with_work() {
        let before = cpu_seconds(std::process::id());
        let started = Instant::now();
        let mut spin = 0u64;
        while cpu_seconds(std::process::id()) <= before {
            spin = spin.wrapping_add(std::hint::black_box(1));
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the CPU time never grew"
            );
        }
        assert!(spin > 0);
    }
}
