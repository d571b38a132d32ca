//! Simulated browser windows for the HTTP checks: each a reqwest client with its own
//! cookie jar, that records every exchange for the report and reads every answer
//! through a size limit.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, Url};

use crate::report::Exchange;

/// How much of a response body a report quotes.
const BODY_QUOTE_CHARS: usize = 300;

/// The largest answer the grader reads; the lab's answers are a few hundred bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// An HTTP client with a cookie jar of its own: one browser window, as far
/// as the server can tell, sharing nothing with the others.
pub struct HttpClient {
    client: reqwest::Client,
    jar: Arc<Jar>,
    timeout: Duration,
    /// How the report names this client (`jar 3`), so that its story can
    /// draw each cookie jar as a lane of its own.
    name: Option<String>,
}

/// An answer the server gave.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    /// Where a redirect pointed (`Location`), if it was one.
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Why a request got no usable answer. Each kind points somewhere else: a
/// handler that hangs is not a server that died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// The server took the request and said nothing within the limit.
    TimedOut { url: String, limit: Duration },
    /// Nothing listens at the address: the server is not running.
    Refused { url: String },
    /// The answer was larger than [`BODY_LIMIT`].
    TooLarge { url: String, limit: usize },
    /// Something answered, but not in HTTP, or the connection broke mid-answer.
    NotHttp { url: String, detail: String },
    /// The grader could not even send it (a malformed method or URL).
    Unsendable(String),
}

impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoAnswer::TimedOut { url, limit } => {
                write!(f, "no answer from {url} within {} s", limit.as_secs_f32())
            }
            NoAnswer::Refused { url } => write!(f, "could not connect to {url}: nothing listens there"),
            NoAnswer::TooLarge { url, limit } => {
                write!(
                    f,
                    "the answer from {url} is larger than {} KiB; the grader stopped reading",
                    limit / 1024
                )
            }
            NoAnswer::NotHttp { url, detail } => write!(f, "{url} did not answer in HTTP: {detail}"),
            NoAnswer::Unsendable(why) => write!(f, "{why}"),
        }
    }
}

impl NoAnswer {
    /// What a student should look at, given the file their route is in.
    pub fn hint(&self, route_file: &str) -> String {
        match self {
            NoAnswer::TimedOut { .. } => {
                format!("the server took the request but never answered: does your route in {route_file} wait for something that never comes?")
            }
            NoAnswer::Refused { .. } => {
                "the server is no longer running: its log (--verbose) says why it stopped".into()
            }
            NoAnswer::TooLarge { .. } => {
                format!("a route sent an answer of megabytes: answer with the small JSON the page expects ({route_file})")
            }
            NoAnswer::NotHttp { .. } => {
                "the server closed the connection without a whole answer: did it crash? Its log (--verbose) says".into()
            }
            NoAnswer::Unsendable(_) => "this is the grader's trouble, not yours".into(),
        }
    }
}

impl HttpClient {
    /// A fresh profile whose every request gives up after `timeout`.
    pub fn new(timeout: Duration) -> HttpClient {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .timeout(timeout)
            .no_proxy() // the server is on loopback; a proxy setting must not reroute it
            // A redirect is reported as it is: a JSON route that redirects is a finding.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain HTTP client builds");
        HttpClient { client, jar, timeout, name: None }
    }

    /// This client, named `name` in every exchange it records.
    pub fn named(self, name: String) -> HttpClient {
        HttpClient { name: Some(name), ..self }
    }

    /// Stores a cookie the way `session.js` does: `NAME=VALUE; Path=/`.
    pub fn store_cookie(&self, base_url: &str, name: &str, value: &str) {
        if let Ok(url) = Url::parse(base_url) {
            self.jar.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
        }
    }

    /// Sends a request and records it in `exchanges`.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<(&str, String)>,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        let mut exchange = Exchange {
            client: self.name.clone(),
            method: method.to_owned(),
            url: url.to_owned(),
            cookies: self.cookies_for(url),
            request_body: body.as_ref().map(|(_, b)| quote(b)),
            status: None,
            content_type: None,
            response_body: None,
            error: None,
        };
        let result = self.send_unrecorded(method, url, body).await;
        match &result {
            Ok(reply) => {
                exchange.status = Some(reply.status);
                exchange.content_type = reply.content_type.clone();
                exchange.response_body = Some(quote(&reply.body));
            }
            Err(e) => exchange.error = Some(e.to_string()),
        }
        exchanges.push(exchange);
        result
    }

    /// Sends a body with no `Content-Type` header at all, and records it.
    pub async fn send_untyped(
        &self,
        method: &str,
        url: &str,
        body: String,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, NoAnswer> {
        self.send(method, url, Some(("", body)), exchanges).await
    }

    async fn send_unrecorded(
        &self,
        method: &str,
        url: &str,
        body: Option<(&str, String)>,
    ) -> Result<Reply, NoAnswer> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| NoAnswer::Unsendable(format!("`{method}` is not an HTTP method")))?;
        let mut request = self.client.request(method, url);
        if let Some((content_type, body)) = body {
            // An empty content type sends none: what a bare `fetch` with a Blob body does.
            if !content_type.is_empty() {
                request = request.header("Content-Type", content_type);
            }
            request = request.body(body);
        }
        let classify = |e| classify(e, url, self.timeout);
        let mut response = request.send().await.map_err(classify)?;
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (status, content_type, location) =
            (response.status().as_u16(), header("content-type"), header("location"));
        // Read chunk by chunk, so an endless answer costs a megabyte, not the machine.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > BODY_LIMIT {
                return Err(NoAnswer::TooLarge { url: url.to_owned(), limit: BODY_LIMIT });
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Reply { status, content_type, location, body })
    }

    fn cookies_for(&self, url: &str) -> Vec<String> {
        let Ok(url) = Url::parse(url) else {
            return Vec::new();
        };
        self.jar
            .cookies(&url)
            .and_then(|header| header.to_str().ok().map(str::to_owned))
            .map(|header| header.split("; ").map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Which kind of no-answer a reqwest error is.
fn classify(error: reqwest::Error, url: &str, limit: Duration) -> NoAnswer {
    let url = url.to_owned();
    if error.is_timeout() {
        NoAnswer::TimedOut { url, limit }
    } else if error.is_connect() {
        NoAnswer::Refused { url }
    } else if error.is_builder() {
        NoAnswer::Unsendable(format!("cannot send to {url}: {error}"))
    } else {
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        NoAnswer::NotHttp { url, detail }
    }
}

/// The start of a body, on one line if short.
pub fn quote(body: &str) -> String {
    let mut quoted: String = body.chars().take(BODY_QUOTE_CHARS).collect();
    if body.chars().count() > BODY_QUOTE_CHARS {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-connection server on loopback that answers `answer` (raw bytes), or nothing.
    fn serve_once(answer: Option<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            match answer {
                Some(bytes) => {
                    let _ = stream.write_all(&bytes);
                }
                None => std::thread::sleep(Duration::from_secs(3)),
            }
        });
        url
    }

    async fn get(url: &str, timeout: Duration) -> Result<Reply, NoAnswer> {
        HttpClient::new(timeout).send("GET", url, None, &mut Vec::new()).await
    }

    #[tokio::test]
    async fn each_kind_of_no_answer_is_told_apart() {
        let silent = serve_once(None);
        let timed_out = get(&silent, Duration::from_millis(300)).await.unwrap_err();
        assert!(matches!(timed_out, NoAnswer::TimedOut { .. }), "{timed_out:?}");
        assert!(timed_out.hint("r.rs").contains("never comes"));

        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let refused = get(&format!("http://{closed}/"), Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(refused, NoAnswer::Refused { .. }), "{refused:?}");
        assert!(refused.hint("r.rs").contains("no longer running"));

        let garbage = serve_once(Some(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
        let not_http = get(&garbage, Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(not_http, NoAnswer::NotHttp { .. }), "{not_http:?}");
    }

    #[tokio::test]
    async fn an_answer_past_the_limit_is_cut_off() {
        let mut huge = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", BODY_LIMIT + 10).into_bytes();
        huge.extend(std::iter::repeat_n(b'x', BODY_LIMIT + 10));
        let url = serve_once(Some(huge));
        let too_large = get(&url, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(too_large, NoAnswer::TooLarge { .. }), "{too_large:?}");
    }

    #[tokio::test]
    async fn a_named_client_names_each_exchange_it_records() {
        let url = serve_once(Some(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n".to_vec()));
        let window = HttpClient::new(Duration::from_secs(2)).named("jar 7".into());
        window.store_cookie(&url, "session", "abc");
        let mut exchanges = Vec::new();
        window.send("GET", &url, None, &mut exchanges).await.unwrap();
        assert_eq!(exchanges[0].client.as_deref(), Some("jar 7"));
        assert_eq!(exchanges[0].cookies, ["session=abc"]);
        let mut unnamed = Vec::new();
        let _ = HttpClient::new(Duration::from_millis(200)).send("GET", &url, None, &mut unnamed).await;
        assert_eq!(unnamed[0].client, None);
    }

    #[tokio::test]
    async fn redirects_are_reported_not_followed() {
        let url =
            serve_once(Some(b"HTTP/1.1 302 Found\r\nlocation: /chat\r\ncontent-length: 0\r\n\r\n".to_vec()));
        let reply = get(&url, Duration::from_secs(2)).await.unwrap();
        assert!(reply.is_redirect());
        assert_eq!(reply.location.as_deref(), Some("/chat"));
    }
}
