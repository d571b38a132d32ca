//! Reads the student's `session.js` to learn the login request the page
//! sends: the `fetch` call's URL, method, headers and JSON body. This is a
//! small reader for the shapes the handout leads to, not a JavaScript engine;
//! the browser stage sees the real request.

use serde::Serialize;
use serde_json::Value;

/// The URL the starter's `fetch` call has until TODO 1 is done (from the kit manifest).
pub fn url_placeholder() -> &'static str {
    crate::kit::kit()
        .student
        .script
        .url_placeholder
        .as_deref()
        .expect("kit.toml gives student.script.url_placeholder")
}

/// The request `session.js` sends to create a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoginRequest {
    pub method: String,
    /// As written in the script: usually a path like `/api/sessions`.
    pub url: String,
    /// The `Content-Type` the browser sends with this body.
    pub content_type: String,
    /// The JSON object's fields, in order.
    pub body: Vec<(String, BodyValue)>,
}

/// A field of the JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum BodyValue {
    /// An expression: taken to be what the user typed.
    Username,
    /// A fixed value written in the script.
    Literal(Value),
}

impl LoginRequest {
    /// The body with `username` where the user's input goes.
    pub fn body_for(&self, username: &str) -> Value {
        let fields = self.body.iter().map(|(key, value)| {
            let value = match value {
                BodyValue::Username => Value::String(username.to_owned()),
                BodyValue::Literal(v) => v.clone(),
            };
            (key.clone(), value)
        });
        Value::Object(fields.collect())
    }
}

/// What keeps the grader from reading the request, with the line to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptProblem {
    /// No `fetch(` call at all.
    NoFetch,
    /// TODO 1 is still the placeholder URL.
    UrlPlaceholder { line: usize },
    /// TODO 2 is still the empty body `JSON.stringify({})`.
    BodyPlaceholder { line: usize },
    /// The URL is not a string the grader can read.
    UnreadableUrl { line: usize },
    /// The body is not `JSON.stringify({...})` the grader can read.
    UnreadableBody { line: usize },
}

/// What the reader found: the request as written (placeholders and all, when
/// it could be read) and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedScript {
    pub request: Option<LoginRequest>,
    pub problems: Vec<ScriptProblem>,
}

/// Finds the login request in `session.js`.
pub fn parse(source: &str) -> ParsedScript {
    let code = blank_comments(source);
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let Some(fetch_at) = code.find("fetch(") else {
        return ParsedScript { request: None, problems: vec![ScriptProblem::NoFetch] };
    };
    let args_start = fetch_at + "fetch(".len();
    let args_end = matching_close(&code, args_start - 1).unwrap_or(code.len());
    let args = split_top_level(&code[args_start..args_end], ',');
    let mut problems = Vec::new();

    let url_arg = args.first().map(|a| a.trim()).unwrap_or_default();
    let url_line = line_of(args_start);
    let url = resolve(&code, url_arg).and_then(|expr| string_literal(expr.trim()));
    match &url {
        Some(u) if u == url_placeholder() => problems.push(ScriptProblem::UrlPlaceholder { line: url_line }),
        Some(_) => {}
        None => problems.push(ScriptProblem::UnreadableUrl { line: url_line }),
    }

    let options = args.get(1).map(|o| o.trim()).unwrap_or("{}");
    let options = resolve(&code, options).unwrap_or(options);
    let fields = object_fields(options).unwrap_or_default();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let method = field("method").and_then(string_literal).unwrap_or_else(|| "GET".into());
    let content_type = field("headers")
        .and_then(|h| object_fields(resolve(&code, h).unwrap_or(h)))
        .and_then(|headers| {
            headers
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .and_then(|(_, v)| string_literal(v.trim()))
        })
        // What a browser sends with a string body when the script sets none.
        .unwrap_or_else(|| "text/plain;charset=UTF-8".into());

    let body_at = code[args_start..args_end].find("body").map_or(url_line, |i| line_of(args_start + i));
    let body = field("body").and_then(|b| stringified_object(&code, b));
    match &body {
        Some(fields) if fields.is_empty() => problems.push(ScriptProblem::BodyPlaceholder { line: body_at }),
        Some(_) => {}
        None => problems.push(ScriptProblem::UnreadableBody { line: body_at }),
    }
    let request = match (url, body) {
        (Some(url), Some(body)) => {
            Some(LoginRequest { method: method.to_uppercase(), url, content_type, body })
        }
        _ => None,
    };
    ParsedScript { request, problems }
}

/// `JSON.stringify({ username: name })`, or of a variable holding such an object.
fn stringified_object(code: &str, expr: &str) -> Option<Vec<(String, BodyValue)>> {
    let inner = expr.trim().strip_prefix("JSON.stringify(")?.strip_suffix(')')?;
    let object = resolve(code, inner.trim())?;
    let fields = object_fields(object)?;
    Some(
        fields
            .into_iter()
            .map(|(key, value)| {
                let value = resolve(code, value.trim()).unwrap_or(value.trim());
                let literal = string_literal(value).map(Value::String).or_else(|| {
                    serde_json::from_str::<Value>(value).ok().filter(|v| !v.is_object() && !v.is_array())
                });
                (key, literal.map_or(BodyValue::Username, BodyValue::Literal))
            })
            .collect(),
    )
}

/// An expression as written, or, for a plain identifier whose `const`/`let`
/// holds a literal (string or object), that literal.
fn resolve<'a>(code: &'a str, expr: &'a str) -> Option<&'a str> {
    let is_identifier = !expr.is_empty()
        && expr.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !expr.starts_with(|c: char| c.is_ascii_digit());
    if !is_identifier || ["true", "false", "null"].contains(&expr) {
        return Some(expr);
    }
    for keyword in ["const ", "let ", "var "] {
        let declaration = format!("{keyword}{expr}");
        let mut from = 0;
        while let Some(found) = code[from..].find(&declaration) {
            let after = from + found + declaration.len();
            let rest = code[after..].trim_start();
            if let Some(value) = rest.strip_prefix('=') {
                let value = value.trim_start();
                let start = code.len() - value.len();
                if value.starts_with('{') {
                    let end = matching_close(code, start)?;
                    return Some(&code[start..=end]);
                }
                if let Some(quote) = value.chars().next().filter(|c| "\"'`".contains(*c)) {
                    let end = value[1..].find(quote)? + 2;
                    return Some(&value[..end]);
                }
            }
            from = after;
        }
    }
    Some(expr) // an expression we take at its word
}

/// The `key: value` pairs of an object literal `{ ... }` (shorthand `{ key }` too).
fn object_fields(object: &str) -> Option<Vec<(String, String)>> {
    let inner = object.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut fields = Vec::new();
    for entry in split_top_level(inner, ',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let parts = split_top_level(entry, ':');
        let key = parts[0].trim();
        let key = string_literal(key).unwrap_or_else(|| key.to_owned());
        let value = if parts.len() > 1 { parts[1..].join(":") } else { key.clone() };
        fields.push((key, value.trim().to_owned()));
    }
    Some(fields)
}

/// The text of a `"..."`, `'...'` or plain `` `...` `` string literal.
fn string_literal(expr: &str) -> Option<String> {
    let quote = expr.chars().next().filter(|c| "\"'`".contains(*c))?;
    let inner = expr.strip_prefix(quote)?.strip_suffix(quote)?;
    if inner.contains(quote) || (quote == '`' && inner.contains("${")) {
        return None;
    }
    Some(inner.replace("\\/", "/"))
}

/// Splits at `separator` where it is not inside brackets or strings.
fn split_top_level(text: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for (_, c, in_code) in scan(text) {
        if in_code {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                c if c == separator && depth == 0 => {
                    parts.push(String::new());
                    continue;
                }
                _ => {}
            }
        }
        parts.last_mut().expect("never empty").push(c);
    }
    parts
}

/// The index of the bracket closing the one at `open`, skipping strings.
fn matching_close(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c, in_code) in scan(&code[open..]) {
        match c {
            '(' | '[' | '{' if in_code => depth += 1,
            ')' | ']' | '}' if in_code => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Each character with its index, and whether it is code rather than the
/// inside of a string literal ('…', "…" or `…`, escapes honoured).
fn scan(text: &str) -> impl Iterator<Item = (usize, char, bool)> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    text.char_indices().map(move |(i, c)| match quote {
        Some(q) => {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            (i, c, false)
        }
        None => {
            if "\"'`".contains(c) {
                quote = Some(c);
            }
            (i, c, true)
        }
    })
}

/// The source with comments replaced by spaces (newlines kept, so line numbers hold).
fn blank_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(n) = next {
                    out.push(n);
                    i += 1;
                }
            } else if c == q {
                quote = None;
            }
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        } else if c == '/' && next == Some('*') {
            out.push_str("  ");
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push(if chars[i] == '\n' { '\n' } else { ' ' });
                i += 1;
            }
            out.push_str("  ");
            i += 2;
            continue;
        } else {
            if "\"'`".contains(c) {
                quote = Some(c);
            }
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STARTER: &str = r#"
  form.addEventListener("submit", async (event) => {
    // TODO 1: the URL of your session route.
    // TODO 2: the JSON body your route reads, with the username in it.
    const response = await fetch("/api/TODO", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({}),
    });
"#;

    #[test]
    fn the_starter_has_both_placeholders() {
        let parsed = parse(STARTER);
        assert_eq!(
            parsed.problems,
            vec![ScriptProblem::UrlPlaceholder { line: 5 }, ScriptProblem::BodyPlaceholder { line: 8 }]
        );
        let request = parsed.request.expect("placeholders are still a request");
        assert_eq!((request.url.as_str(), request.body_for("x")), (url_placeholder(), json!({})));
    }

    #[test]
    fn a_filled_in_script() {
        let script =
            STARTER.replace("\"/api/TODO\"", "'/api/sessions'").replace("({})", "({ username: username })");
        let parsed = parse(&script);
        assert!(parsed.problems.is_empty());
        let request = parsed.request.unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "/api/sessions");
        assert_eq!(request.content_type, "application/json");
        assert_eq!(request.body_for("ada"), json!({"username": "ada"}));
    }

    #[test]
    fn shorthand_quoted_keys_literals_and_constants() {
        let script = r#"
const URL = "/login"; /* fetch("/decoy") */
const payload = { "name": username.trim(), remember: true, kind: 'chat' };
fetch(URL, { method: 'post', body: JSON.stringify(payload) });
"#;
        let request = parse(script).request.unwrap();
        assert_eq!(request.url, "/login");
        assert_eq!(request.method, "POST");
        assert_eq!(request.content_type, "text/plain;charset=UTF-8");
        assert_eq!(request.body_for("ada"), json!({"name": "ada", "remember": true, "kind": "chat"}));
        let shorthand =
            parse(r#"fetch("/s", {method: "POST", body: JSON.stringify({username})})"#).request.unwrap();
        assert_eq!(shorthand.body_for("x"), json!({"username": "x"}));
    }

    #[test]
    fn unreadable_shapes_are_reported_with_lines() {
        assert_eq!(parse("console.log(1)").problems, vec![ScriptProblem::NoFetch]);
        let script = "fetch(`/api/${kind}`, {\n body: new FormData(form) })";
        let parsed = parse(script);
        assert_eq!(
            parsed.problems,
            vec![ScriptProblem::UnreadableUrl { line: 1 }, ScriptProblem::UnreadableBody { line: 2 }]
        );
        assert_eq!(parsed.request, None);
    }
}
