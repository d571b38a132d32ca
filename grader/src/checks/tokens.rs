//! Could someone guess a session token? The rules `fresh-tokens` applies to
//! the tokens of real logins, each a reason a token is predictable.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A token and whose it is.
#[derive(Clone)]
pub struct Issued<'a> {
    pub username: &'a str,
    pub token: &'a str,
}

/// Why a set of tokens is predictable, in a sentence that names the rule
/// (the most specific rule first: a hash of the name is also the same token twice).
/// `same_user` are two logins of one username; `all` every token seen.
pub fn predictable(same_user: Option<(&Issued, &Issued)>, all: &[Issued]) -> Option<String> {
    for issued in all {
        if issued.token.to_lowercase().contains(&issued.username.to_lowercase()) {
            return Some(format!("the token `{}` contains the username `{}`", issued.token, issued.username));
        }
        if let Some(hash) = hash_of_name(issued) {
            return Some(format!(
                "the token `{}` is the {hash} of the username `{}`: anyone can compute it",
                issued.token, issued.username
            ));
        }
        if let Some(version) = uuid_version(issued.token).filter(|v| *v != 4) {
            return Some(format!(
                "the token `{}` is a version-{version} UUID, which is built from a time or a name, not from \
                 random bits: use a version-4 UUID",
                issued.token
            ));
        }
    }
    if let Some((a, _)) = same_user.filter(|(a, b)| a.token == b.token) {
        return Some(format!(
            "logging `{}` in twice gave the same token `{}` both times: a token must be new at every login",
            a.username, a.token
        ));
    }
    for (i, x) in all.iter().enumerate() {
        for y in &all[i + 1..] {
            if x.token == y.token {
                return Some(format!(
                    "`{}` and `{}` got the same token `{}`",
                    x.username, y.username, x.token
                ));
            }
        }
    }
    for (i, x) in all.iter().enumerate() {
        for y in &all[i + 1..] {
            if let Some(why) = related(x.token, y.token) {
                return Some(format!("the tokens `{}` and `{}` {why}", x.token, y.token));
            }
        }
    }
    let bits = all.iter().map(|t| entropy_bits(t.token)).min().unwrap_or(0);
    if bits < 122 {
        let shown: Vec<String> = all.iter().map(|t| format!("`{}`", t.token)).collect();
        return Some(format!("the tokens {} hold at most {bits} random bits", shown.join(", ")));
    }
    None
}

/// Which well-known hash of the username the token is, written in hex or base64.
fn hash_of_name(issued: &Issued) -> Option<&'static str> {
    let name = issued.username.as_bytes();
    let digests: [(&str, Vec<u8>); 3] = [
        ("SHA-256", Sha256::digest(name).to_vec()),
        ("SHA-1", Sha1::digest(name).to_vec()),
        ("MD5", Md5::digest(name).to_vec()),
    ];
    let token = issued.token.trim();
    // A hash cut to fit a UUID's 32 hex digits is still the hash.
    let hex_digits: String = token.chars().filter(|c| *c != '-').collect::<String>().to_lowercase();
    let is_hex = hex_digits.len() >= 16 && hex_digits.bytes().all(|b| b.is_ascii_hexdigit());
    digests.into_iter().find_map(|(hash, digest)| {
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let encodings = [
            hex,
            STANDARD.encode(&digest),
            STANDARD_NO_PAD.encode(&digest),
            URL_SAFE.encode(&digest),
            URL_SAFE_NO_PAD.encode(&digest),
        ];
        let cut = is_hex && encodings[0].starts_with(&hex_digits);
        let whole = encodings
            .iter()
            .any(|e| token.eq_ignore_ascii_case(e) || (e.len() > 20 && token.contains(e.as_str())));
        (cut || whole).then_some(hash)
    })
}

/// The version of a token written as a UUID (`8-4-4-4-12` hex digits), if it is one.
fn uuid_version(token: &str) -> Option<u32> {
    let parts: Vec<&str> = token.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    let hex = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
    if lengths != [8, 4, 4, 4, 12] || !hex {
        return None;
    }
    parts[2].chars().next()?.to_digit(16)
}

/// How two tokens betray each other: a long shared prefix, or a counter.
fn related(x: &str, y: &str) -> Option<String> {
    let prefix = x.chars().zip(y.chars()).take_while(|(a, b)| a == b).count();
    let suffix = x.chars().rev().zip(y.chars().rev()).take_while(|(a, b)| a == b).count();
    let shorter = x.chars().count().min(y.chars().count());
    let (mid_x, mid_y) = (middle(x, prefix, suffix), middle(y, prefix, suffix));
    if let (Ok(a), Ok(b)) = (mid_x.parse::<i128>(), mid_y.parse::<i128>()) {
        if (a - b).abs() < 1_000_000 {
            return Some(format!("differ only by a number ({a} and {b}): the next one is easy to guess"));
        }
    }
    if prefix >= 8 && prefix * 2 >= shorter {
        return Some(format!("share their first {prefix} characters: most of a token is known in advance"));
    }
    None
}

/// What is left of `token` between a shared prefix and suffix (never overlapping).
fn middle(token: &str, prefix: usize, suffix: usize) -> String {
    let chars: Vec<char> = token.chars().collect();
    let end = chars.len().saturating_sub(suffix).max(prefix.min(chars.len()));
    chars[prefix.min(chars.len())..end].iter().collect()
}

/// A generous upper bound on the randomness a token can hold, from its length
/// and alphabet (a UUID: 32 hex digits, 128 bits).
pub fn entropy_bits(token: &str) -> u32 {
    let symbols: Vec<char> = token.chars().filter(|c| *c != '-').collect();
    let per_symbol = if symbols.iter().all(|c| c.is_ascii_digit()) {
        3.32
    } else if symbols.iter().all(|c| c.is_ascii_hexdigit()) {
        4.0
    } else if symbols.iter().all(|c| c.is_ascii_alphanumeric() || "_+/=".contains(*c)) {
        6.0
    } else {
        7.0
    };
    (symbols.len() as f64 * per_symbol) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: [&str; 3] = [
        "6f1c7f36-2a55-4b53-9d0b-6c1f0b3c8a11",
        "0b6e0a4c-95a1-4f4e-8c55-1f6d2d8e2b90",
        "d3a7e1f2-7c44-4e2b-a1a0-5b9c8e7f6a21",
    ];

    fn verdict(tokens: [&str; 3]) -> Option<String> {
        let all = [
            Issued { username: "ada-1", token: tokens[0] },
            Issued { username: "grace-2", token: tokens[1] },
            Issued { username: "ada-1", token: tokens[2] },
        ];
        predictable(Some((&all[0], &all[2])), &all)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The first 16 bytes of `digest`, written as a UUID.
    fn uuid_of(digest: &[u8]) -> String {
        let h = hex(&digest[..16]);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }

    #[test]
    fn random_uuids_pass() {
        assert_eq!(verdict(V4), None);
        assert!(entropy_bits(V4[0]) >= 122);
    }

    #[test]
    fn each_rule_says_its_name() {
        let cases: [([String; 3], &str); 9] = [
            ([V4[0].into(), V4[1].into(), V4[0].into()], "gave the same token"),
            ([V4[0].into(), V4[0].into(), V4[2].into()], "got the same token"),
            (["ada-1-session".into(), V4[1].into(), V4[2].into()], "contains the username"),
            ([hex(&Sha256::digest(b"ada-1")), V4[1].into(), V4[2].into()], "SHA-256 of the username"),
            ([uuid_of(&Sha256::digest(b"ada-1")), V4[1].into(), V4[2].into()], "SHA-256 of the username"),
            ([V4[0].into(), STANDARD.encode(Md5::digest(b"grace-2")), V4[2].into()], "MD5 of the username"),
            (["c232ab00-9414-11ec-b3c8-9f6bdeced846".into(), V4[1].into(), V4[2].into()], "version-1 UUID"),
            (["tok-1000017".into(), "tok-1000018".into(), "tok-1000019".into()], "differ only by a number"),
            (
                [format!("{}0a", "f".repeat(30)), format!("{}1b", "f".repeat(30)), V4[2].into()],
                "share their first 30",
            ),
        ];
        for (tokens, said) in cases {
            let tokens = [tokens[0].as_str(), tokens[1].as_str(), tokens[2].as_str()];
            let found = verdict(tokens);
            assert!(found.as_deref().is_some_and(|f| f.contains(said)), "{tokens:?}: {found:?}");
        }
        let short = verdict(["a1b2c3", "d4e5f6", "a9b8c7"]).unwrap();
        assert!(short.contains("random bits"), "{short}");
    }
}
