//! The app's vocabulary: text that has been checked once, at the edge.
//!
//! "Parse, don't validate": a handler turns raw input into one of these types
//! with `parse`, and from then on the type itself says the text is valid. A
//! function that takes a `&Username` cannot be handed an empty or 500-character
//! name by mistake.

use std::fmt;

use rocket::request::FromParam;
use serde::Serialize;

/// A chat user's name: 1 to 32 characters after trimming, something visible
/// in it, and no control characters (bidirectional controls included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

/// A message's text: 1 to 2000 characters after trimming; tabs and newlines are fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageBody(String);

/// A room's name: 1 to 32 lowercase letters, digits or dashes, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoomName(String);

/// Why some input was refused, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl Username {
    pub const MAX_CHARS: usize = 32;

    /// Checks a username typed by a user; surrounding spaces are dropped.
    pub fn parse(raw: &str) -> Result<Username, Invalid> {
        let name = raw.trim();
        check_length("username", name, Self::MAX_CHARS)?;
        // A name of zero-width characters only looks empty, so it is.
        if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err(Invalid("username must not be empty".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid(
                "username must not contain control characters".into(),
            ));
        }
        // These reorder the text around them: "ada\u{202E}nimda" shows as "adaadmin".
        if name.chars().any(is_bidi_control) {
            return Err(Invalid(
                "username must not contain bidirectional control characters".into(),
            ));
        }
        Ok(Username(name.to_owned()))
    }

    /// A name read back from our own database, where only parsed names are stored.
    pub(crate) fn from_database(name: String) -> Username {
        Username(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl MessageBody {
    pub const MAX_CHARS: usize = 2000;

    /// Checks a message typed by a user; surrounding whitespace is dropped.
    pub fn parse(raw: &str) -> Result<MessageBody, Invalid> {
        let body = raw.trim();
        check_length("message", body, Self::MAX_CHARS)?;
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Invalid(
                "message must not contain control characters".into(),
            ));
        }
        Ok(MessageBody(body.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RoomName {
    pub const MAX_CHARS: usize = 32;

    /// Checks a room name as it appears in a URL.
    pub fn parse(raw: &str) -> Result<RoomName, Invalid> {
        let valid = (1..=Self::MAX_CHARS).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-');
        if !valid {
            return Err(Invalid(format!(
                "`{}` is not a room name: use 1 to {} lowercase letters, digits or dashes",
                raw.chars().take(40).collect::<String>(),
                Self::MAX_CHARS
            )));
        }
        Ok(RoomName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lets a route take a checked room straight from its URL: `/api/rooms/<room>/...`.
impl<'a> FromParam<'a> for RoomName {
    type Error = Invalid;

    fn from_param(param: &'a str) -> Result<Self, Self::Error> {
        RoomName::parse(param)
    }
}

/// Characters that take no space on screen (zero-width spaces and joiners,
/// the byte-order mark, the soft hyphen, Hangul fillers).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Unicode's bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn check_length(what: &str, text: &str, max: usize) -> Result<(), Invalid> {
    match text.chars().count() {
        0 => Err(Invalid(format!("{what} must not be empty"))),
        n if n > max => Err(Invalid(format!(
            "{what} is too long: {n} characters, at most {max}"
        ))),
        _ => Ok(()),
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

display_as_str!(Username, MessageBody, RoomName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_bounded() {
        assert_eq!(Username::parse("  ada ").unwrap().as_str(), "ada");
        assert_eq!(
            Username::parse(&"é".repeat(32))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            32
        );
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("   ").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("ada\u{7}").is_err());
        assert!(Username::parse("a\nb").is_err());
    }

    #[test]
    fn invisible_and_bidirectional_names_are_refused() {
        let empty = Username::parse("\u{200B}\u{2060} \u{FEFF}").unwrap_err();
        assert_eq!(empty.0, "username must not be empty");
        let bidi = Username::parse("ada\u{202E}nimda").unwrap_err();
        assert!(bidi.0.contains("bidirectional"), "{bidi}");
        assert!(Username::parse("\u{2066}ada").is_err());
        // Visible text with a joiner inside is a real name (emoji sequences use them).
        assert!(Username::parse("ada\u{200D}lovelace").is_ok());
    }

    #[test]
    fn messages_keep_newlines_but_not_other_controls() {
        assert_eq!(
            MessageBody::parse(" hi\nthere ").unwrap().as_str(),
            "hi\nthere"
        );
        assert!(MessageBody::parse("a\u{0}b").is_err());
        assert!(MessageBody::parse(&"x".repeat(2001)).is_err());
        assert!(MessageBody::parse(&"x".repeat(2000)).is_ok());
        assert!(MessageBody::parse("\n\t ").is_err());
    }

    #[test]
    fn room_names_are_url_slugs() {
        assert!(RoomName::parse("general").is_ok());
        assert!(RoomName::parse("room-2").is_ok());
        for bad in ["", "-x", "General", "a b", "a/b", "ü", &"a".repeat(33)] {
            assert!(RoomName::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
