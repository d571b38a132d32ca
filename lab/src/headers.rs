//! Headers added to every response: a strict Content-Security-Policy (on a
//! page, no inline script and nothing from other sites; on anything else,
//! nothing at all), and no caching of `/static`, so an edited `session.js` is
//! what the browser runs on the next reload.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

pub struct SecurityHeaders;

/// For a page (HTML): scripts, styles and connections only from this server;
/// no plugins, no framing.
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// For everything that is not a page (the API's JSON, scripts, styles, an
/// error without a body): nothing to load and no framing. Were such a
/// response ever shown as a document, nothing in it could run. It is also
/// the shorter header, on the routes that answer most often.
pub const NOT_A_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        // The header as written, not parsed: this runs on every response.
        let is_page = response
            .headers()
            .get_one("Content-Type")
            .is_some_and(|kind| kind.starts_with("text/html"));
        let policy = if is_page {
            PAGE_POLICY
        } else {
            NOT_A_PAGE_POLICY
        };
        response.set_header(Header::new("Content-Security-Policy", policy));
        response.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        response.set_header(Header::new("Referrer-Policy", "same-origin"));
        if request.uri().path().starts_with("/static/") {
            response.set_header(Header::new("Cache-Control", "no-cache"));
        }
    }
}
