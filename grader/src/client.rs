//! Simulated browser windows for the HTTP checks: each a reqwest client with its own
//! cookie jar, that records every exchange for the report.

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, Url};

use crate::report::Exchange;

/// How much of a response body a report quotes.
const BODY_QUOTE_CHARS: usize = 300;

/// An HTTP client with a cookie jar of its own: one browser window, as far
/// as the server can tell, sharing nothing with the others.
pub struct HttpClient {
    client: reqwest::Client,
    jar: Arc<Jar>,
    timeout: Duration,
}

/// An answer the server gave.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
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
            .build()
            .expect("a plain HTTP client builds");
        HttpClient { client, jar, timeout }
    }

    /// Stores the token the way `session.js` does: `session=<token>; Path=/`.
    pub fn store_session_cookie(&self, base_url: &str, token: &str) {
        if let Ok(url) = Url::parse(base_url) {
            self.jar.add_cookie_str(&format!("session={token}; Path=/"), &url);
        }
    }

    /// Sends a request and records it in `exchanges`. `Err` holds why no answer came.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<(&str, String)>,
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Reply, String> {
        let mut exchange = Exchange {
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
            Err(e) => exchange.error = Some(e.clone()),
        }
        exchanges.push(exchange);
        result
    }

    async fn send_unrecorded(
        &self,
        method: &str,
        url: &str,
        body: Option<(&str, String)>,
    ) -> Result<Reply, String> {
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|_| format!("`{method}` is not an HTTP method"))?;
        let mut request = self.client.request(method, url);
        if let Some((content_type, body)) = body {
            request = request.header("Content-Type", content_type).body(body);
        }
        let describe = |e| describe(e, self.timeout);
        let response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.text().await.map_err(describe)?;
        Ok(Reply { status, content_type, body })
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

/// Why a request got no answer, in words that name the limit hit.
fn describe(error: reqwest::Error, limit: Duration) -> String {
    let url = error.url().map(|u| u.to_string()).unwrap_or_default();
    if error.is_timeout() {
        format!("no answer from {url} within {} s", limit.as_secs_f32())
    } else if error.is_connect() {
        format!("could not connect to {url}: is the server still running?")
    } else {
        format!("the request to {url} failed: {error}")
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
