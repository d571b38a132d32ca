//! What checks learn and hand on to later checks, each a named value that
//! says where it came from. A check asks for the fact it needs; when it is not
//! there, the answer says which check should have found it, and why it may not have.

use std::fmt;
use std::path::PathBuf;

use crate::script::{LoginRequest, ParsedScript};

/// A session the grader (or the browser) started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub token: String,
}

/// Where the login request the HTTP checks send came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A real browser sent it when the login form was submitted (`browser-login`).
    Browser,
    /// The grader read it out of `session.js` as the server serves it (`serves-pages`).
    Script,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Browser => "as the browser sent it",
            Source::Script => "as read from session.js",
        })
    }
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// Everything the checks found that later checks use.
#[derive(Debug, Default)]
pub struct Facts {
    /// The server binary `builds` made (a private copy).
    pub executable: Option<PathBuf>,
    /// Functions the compiler said are never used (`builds`): a handler
    /// missing from `routes![...]` is one.
    pub unused_functions: Vec<String>,
    /// Whether the first session's token worked right after its login
    /// (`creates-session`), so that a later 401 means it was ended since.
    pub first_login_worked: bool,
    /// What the reader made of `session.js`, as served (`serves-pages`).
    pub script: Option<ParsedScript>,
    /// The login request the browser sent when the form was submitted (`browser-login`).
    pub browser_request: Option<LoginRequest>,
    /// Who the browser logged in as, with the token its cookie holds (`browser-login`).
    pub browser_login: Option<Login>,
    /// The first session the HTTP checks started (`creates-session`).
    pub first_login: Option<Login>,
}

/// A fact a check needed and did not have: why, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub String);

impl Facts {
    /// The login request to send for a simulated user: the one a browser
    /// sent, if the browser stage ran; else the one read from `session.js`.
    /// A full run and a run with `--only` send the same request whenever the
    /// reader and the browser agree, and the source is always said.
    pub fn login_request(&self) -> Result<Sourced<&LoginRequest>, Missing> {
        let read = self.script.as_ref().and_then(|s| s.request.as_ref());
        match (&self.browser_request, read) {
            // The browser's body holds the name in a form the grader cannot
            // find (say, upper-cased); the script's reading of the very same
            // request can.
            (Some(sent), Some(read))
                if sent.places() == 0
                    && read.places() > 0
                    && (&sent.method, &sent.url) == (&read.method, &read.url) =>
            {
                Ok(Sourced { value: read, source: Source::Script })
            }
            (Some(sent), _) => Ok(Sourced { value: sent, source: Source::Browser }),
            (None, Some(read)) => Ok(Sourced { value: read, source: Source::Script }),
            (None, None) if self.script.is_some() => Err(Missing(
                "the grader could not read the login request from session.js (see script-filled), \
                 and no browser sent one"
                    .into(),
            )),
            (None, None) => Err(Missing("session.js was not fetched (see serves-pages)".into())),
        }
    }

    /// Whether the login's body provably carries no typed name: the script's
    /// reading folded the whole body to a constant without one, and the
    /// request a browser sent (if any) has none either. (A page that only
    /// changes the name, say to capitals, is read as sending it.)
    pub fn name_is_constant(&self) -> bool {
        let read = self.script.as_ref().and_then(|s| s.request.as_ref());
        let sent_none = self.browser_request.as_ref().is_none_or(|sent| sent.places() == 0);
        read.is_some_and(|read| read.places() == 0) && sent_none
    }

    /// The session `creates-session` started.
    pub fn first_login(&self) -> Result<&Login, Missing> {
        self.first_login.as_ref().ok_or_else(|| Missing("creates-session recorded no session".into()))
    }

    /// Who the browser logged in as.
    pub fn browser_login(&self) -> Result<&Login, Missing> {
        self.browser_login.as_ref().ok_or_else(|| Missing("browser-login recorded no session".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Body;

    fn request(url: &str) -> LoginRequest {
        LoginRequest {
            method: "POST".into(),
            url: url.into(),
            content_type: "application/json".into(),
            body: Body::json(serde_json::json!({ "username": Body::username() })),
        }
    }

    #[test]
    fn the_browser_request_wins_and_says_so() {
        let mut facts = Facts::default();
        assert!(facts.login_request().unwrap_err().0.contains("serves-pages"));
        facts.script = Some(ParsedScript { request: None, problems: Vec::new(), body_line: None });
        assert!(facts.login_request().unwrap_err().0.contains("script-filled"));
        facts.script = Some(ParsedScript {
            request: Some(request("/from-script")),
            problems: Vec::new(),
            body_line: None,
        });
        let sent = facts.login_request().unwrap();
        assert_eq!((sent.value.url.as_str(), sent.source), ("/from-script", Source::Script));
        facts.browser_request = Some(request("/from-browser"));
        let sent = facts.login_request().unwrap();
        assert_eq!((sent.value.url.as_str(), sent.source), ("/from-browser", Source::Browser));
        assert_eq!(sent.source.to_string(), "as the browser sent it");
        // The browser's body has no name the grader can find: the script's reading of the same request can.
        let mut unplaced = request("/from-script");
        unplaced.body = Body::json(serde_json::json!({ "username": "ADA" }));
        facts.browser_request = Some(unplaced);
        assert_eq!(facts.login_request().unwrap().source, Source::Script);
    }
}
