//! The real server binary under load and killed mid-work: many clients
//! logging in at once, and `kill -9` while logins are being answered.
//! Each test starts the binary on port 0 with a database of its own.

#[path = "support/http.rs"]
mod http;

use http::Connection;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocket::serde::json::json;
use rocket::tokio::{self, sync::mpsc};

/// The solution's binary, running on a database in a test's folder.
struct Server {
    child: Child,
    address: SocketAddr,
    /// Every line it printed, stdout and stderr.
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary on the database in `dir`, logins unlimited, and
    /// waits (at most 60 s) for the line that names its port.
    fn start(dir: &Path) -> Server {
        let database = dir.join("chat.sqlite3");
        let mut child = Command::new(env!("CARGO_BIN_EXE_solution"))
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", "0")
            .env(
                "ROCKET_DATABASES",
                format!("{{chat={{url=\"{}\"}}}}", database.display()),
            )
            .env("ROCKET_LOGIN_LIMIT", "0")
            .env("ROCKET_LOG_LEVEL", "normal")
            .env("ROCKET_CLI_COLORS", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the solution's binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (ready, port) = std::sync::mpsc::channel();
        keep_lines(child.stdout.take().unwrap(), output.clone(), Some(ready));
        keep_lines(child.stderr.take().unwrap(), output.clone(), None);
        let Ok(address) = port.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("no ready line in 60 s: {:?}", output.lock().unwrap());
        };
        Server {
            child,
            address,
            output,
        }
    }

    /// Ends it the hard way, as a crash or `kill -9` does.
    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    fn printed(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `stream` line by line into `output`, sending the address of the
/// ready line to `ready`.
fn keep_lines(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<Vec<String>>>,
    ready: Option<std::sync::mpsc::Sender<SocketAddr>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let announced = line
                .strip_prefix("Chatroom ready at http://")
                .and_then(|rest| rest.trim_end_matches('/').parse().ok());
            if let (Some(address), Some(ready)) = (announced, &ready) {
                let _ = ready.send(address);
            }
            output.lock().unwrap().push(line);
        }
    });
}

/// Logs `username` in on `connection`: the token, or the status and body.
async fn log_in(connection: &mut Connection, username: &str) -> Result<String, String> {
    let body = json!({ "username": username });
    let response = connection
        .post_json("/api/sessions", &body)
        .await
        .map_err(|e| e.to_string())?;
    match response.json()["token"].as_str() {
        Some(token) if response.status == 201 => Ok(token.to_owned()),
        _ => Err(format!("{} {}", response.status, response.text())),
    }
}

/// The username `GET /api/me` reports for `token`, or what went wrong.
async fn whoami(connection: &mut Connection, token: &str) -> Result<String, String> {
    let response = connection
        .get_as("/api/me", token)
        .await
        .map_err(|e| e.to_string())?;
    match response.json()["username"].as_str() {
        Some(name) if response.status == 200 => Ok(name.to_owned()),
        _ => Err(format!("{} {}", response.status, response.text())),
    }
}

#[rocket::async_test]
async fn two_hundred_clients_log_in_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let address = server.address;
    let logins: Vec<_> = (0..200)
        .map(|n| {
            tokio::spawn(async move {
                // A connection of its own: a separate client.
                let mut connection = Connection::open(address).await.map_err(|e| e.to_string())?;
                let username = format!("user{n}");
                log_in(&mut connection, &username)
                    .await
                    .map(|token| (username, token))
            })
        })
        .collect();
    let mut tokens = HashMap::new();
    let mut failed = Vec::new();
    for login in logins {
        match login.await.unwrap() {
            Ok((username, token)) => {
                tokens.insert(token, username);
            }
            Err(why) => failed.push(why),
        }
    }
    assert!(
        failed.is_empty(),
        "{} logins failed: {failed:?}",
        failed.len()
    );
    assert_eq!(tokens.len(), 200, "tokens came twice");
    let mut connection = Connection::open(address).await.unwrap();
    for (token, username) in &tokens {
        assert_eq!(whoami(&mut connection, token).await.as_ref(), Ok(username));
    }
    let printed = server.printed();
    assert!(!printed.contains("database is locked"), "{printed}");
    assert!(!printed.contains("500 Internal"), "{printed}");
}

#[rocket::async_test]
async fn every_acknowledged_login_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let address = server.address;
    let (acknowledged, mut received) = mpsc::unbounded_channel();
    // Eight clients log in as fast as they are answered, until the server dies.
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                let Ok(mut connection) = Connection::open(address).await else {
                    return;
                };
                for n in 0..10_000 {
                    let username = format!("c{client}n{n}");
                    match log_in(&mut connection, &username).await {
                        Ok(token) => {
                            let _ = acknowledged.send((token, username));
                        }
                        Err(_) => return, // killed mid-request
                    }
                }
            })
        })
        .collect();
    drop(acknowledged);
    let mut sessions = Vec::new();
    let started = Instant::now();
    while sessions.len() < 300 && started.elapsed() < Duration::from_secs(30) {
        match tokio::time::timeout(Duration::from_secs(5), received.recv()).await {
            Ok(Some(session)) => sessions.push(session),
            _ => break,
        }
    }
    server.kill(); // while the clients are still logging in
    for client in clients {
        client.await.unwrap();
    }
    // What was answered before the kill, but not yet read here, counts too.
    while let Ok(session) = received.try_recv() {
        sessions.push(session);
    }
    assert!(
        sessions.len() >= 300,
        "only {} logins before the kill",
        sessions.len()
    );

    let server = Server::start(dir.path());
    let mut connection = Connection::open(server.address).await.unwrap();
    let mut lost = Vec::new();
    for (token, username) in &sessions {
        if whoami(&mut connection, token).await.as_ref() != Ok(username) {
            lost.push(username);
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} sessions lost: {lost:?}",
        lost.len(),
        sessions.len()
    );
    let distinct: HashSet<_> = sessions.iter().map(|(token, _)| token).collect();
    assert_eq!(distinct.len(), sessions.len());
}

#[rocket::async_test]
async fn the_streams_of_closed_pages_give_their_place_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut connection = Connection::open(server.address).await.unwrap();
    let token = log_in(&mut connection, "ada").await.unwrap();
    let events = "/api/rooms/general/events";
    let open_stream = || async {
        let mut stream = Connection::open(server.address).await.unwrap();
        let head = stream.open_stream_as(events, &token).await.unwrap();
        (head.status, stream)
    };
    // The default cap: five streams a session.
    let mut pages = Vec::new();
    for _ in 0..5 {
        let (status, stream) = open_stream().await;
        assert_eq!(status, 200);
        pages.push(stream);
    }
    let (status, _) = open_stream().await;
    assert_eq!(status, 429, "a sixth stream while five pages are open");
    // Five reloads: the old pages' connections close without a word.
    drop(pages);
    let mut reloaded = Vec::new();
    for _ in 0..5 {
        let (status, stream) = open_stream().await;
        assert_eq!(
            status, 200,
            "a stream after the pages that held the places closed"
        );
        reloaded.push(stream);
    }
}
