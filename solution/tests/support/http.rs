//! A bare HTTP/1.1 client over one keep-alive connection, for the tests that
//! run the real server binary and for the speed benchmark. It does only what
//! those need (a request, a response with `Content-Length` or chunked body),
//! so it costs the server's measurements next to nothing. Not the students'
//! to read: it lives with the solution's tests, and the benchmark takes it by
//! path.

#![allow(dead_code)] // each user takes its part

use std::io;
use std::net::SocketAddr;

use rocket::serde::json::Value;
use rocket::tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use rocket::tokio::net::TcpStream;

/// One connection to a server, reused for request after request.
pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, or `Value::Null` if it is not JSON.
    pub fn json(&self) -> Value {
        rocket::serde::json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Connection {
    pub async fn open(address: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: BufReader::new(stream),
            host: address.to_string(),
        })
    }

    /// Sends one request and reads its whole response. `headers` are sent as
    /// given; `Host` and, with a body, `Content-Length` are added.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.write_request(method, path, headers, body).await?;
        let mut response = self.read_head().await?;
        self.read_body(&mut response).await?;
        Ok(response)
    }

    /// `GET path` as `token`'s user, reading only the status and headers: for
    /// a stream, whose body goes on until the connection is dropped.
    pub async fn open_stream_as(&mut self, path: &str, token: &str) -> io::Result<Response> {
        let cookie = format!("{}={token}", lab::auth::SESSION_COOKIE);
        self.write_request("GET", path, &[("Cookie", &cookie)], b"")
            .await?;
        self.read_head().await
    }

    async fn write_request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<()> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.stream.get_mut().write_all(&request).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&mut self, path: &str, body: &Value) -> io::Result<Response> {
        let body = body.to_string();
        let headers = [("Content-Type", "application/json")];
        self.send("POST", path, &headers, body.as_bytes()).await
    }

    /// `GET path` with the `session` cookie set to `token`.
    pub async fn get_as(&mut self, path: &str, token: &str) -> io::Result<Response> {
        let cookie = format!("{}={token}", lab::auth::SESSION_COOKIE);
        self.send("GET", path, &[("Cookie", &cookie)], b"").await
    }

    async fn read_head(&mut self) -> io::Result<Response> {
        let status_line = self.line().await?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| bad(format!("not an HTTP status line: {status_line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                break;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| bad(format!("not a header: {line:?}")))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        Ok(Response {
            status,
            headers,
            body: Vec::new(),
        })
    }

    async fn read_body(&mut self, response: &mut Response) -> io::Result<()> {
        if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().map_err(|_| bad("bad Content-Length"))?;
            response.body.resize(length, 0);
            self.stream.read_exact(&mut response.body).await?;
        } else if response.header("transfer-encoding") == Some("chunked") {
            loop {
                let size = self.line().await?;
                let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                let start = response.body.len();
                response.body.resize(start + size, 0);
                self.stream.read_exact(&mut response.body[start..]).await?;
                self.line().await?; // the CRLF after each chunk
                if size == 0 {
                    break;
                }
            }
        }
        Ok(())
    }

    /// One line without its CRLF; the connection closing mid-response is an error.
    async fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn bad(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}
