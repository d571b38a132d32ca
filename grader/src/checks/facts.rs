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
    /// What the reader made of `session.js`, as served (`serves-pages`).
    pub script: Option<ParsedScript>,
    /// The request the browser sent when the form was submitted (`browser-login`).
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
        if let Some(request) = &self.browser_request {
            return Ok(Sourced { value: request, source: Source::Browser });
        }
        match self.script.as_ref().map(|s| s.request.as_ref()) {
            Some(Some(request)) => Ok(Sourced { value: request, source: Source::Script }),
            Some(None) => Err(Missing(
                "the grader could not read the login request from session.js (see script-filled), \
                 and no browser sent one"
                    .into(),
            )),
            None => Err(Missing("session.js was not fetched (see serves-pages)".into())),
        }
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
    use crate::script::BodyValue;

    fn request(url: &str) -> LoginRequest {
        LoginRequest {
            method: "POST".into(),
            url: url.into(),
            content_type: "application/json".into(),
            body: vec![("username".into(), BodyValue::Username)],
        }
    }

    #[test]
    fn the_browser_request_wins_and_says_so() {
        let mut facts = Facts::default();
        assert!(facts.login_request().unwrap_err().0.contains("serves-pages"));
        facts.script = Some(ParsedScript { request: None, problems: Vec::new() });
        assert!(facts.login_request().unwrap_err().0.contains("script-filled"));
        facts.script = Some(ParsedScript { request: Some(request("/from-script")), problems: Vec::new() });
        let sent = facts.login_request().unwrap();
        assert_eq!((sent.value.url.as_str(), sent.source), ("/from-script", Source::Script));
        facts.browser_request = Some(request("/from-browser"));
        let sent = facts.login_request().unwrap();
        assert_eq!((sent.value.url.as_str(), sent.source), ("/from-browser", Source::Browser));
        assert_eq!(sent.source.to_string(), "as the browser sent it");
    }
}
