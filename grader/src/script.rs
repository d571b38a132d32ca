//! Reads the student's `session.js` without a browser, to learn the login
//! request the page sends: the `fetch` call's URL, method, headers and body.
//!
//! The script is parsed by oxc (a real JavaScript parser), so comments,
//! regex literals, template literals and any layout read as a browser reads
//! them. Expressions are then folded where they are constant: string
//! concatenation, `${...}` in template literals, constants declared with
//! `const`/`let`/`var`, objects built in steps (`body.name = ...`), options
//! held in a variable. Whatever is not constant (a parameter, `input.value`,
//! `name.trim()`) is taken to be what the user typed. A script this cannot
//! follow still runs in the browser stage, which sees the real request.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, AssignmentExpression, BinaryOperator, CallExpression, Expression,
    ObjectPropertyKind, VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use serde::Serialize;
use serde_json::{Map, Value};

/// Where the user's input goes in a body template. It never occurs in real
/// text: U+FFFF is a noncharacter.
const SLOT: &str = "\u{FFFF}username\u{FFFF}";

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
    pub body: Body,
}

impl LoginRequest {
    /// The request a browser sent when `typed` was typed in the form, with
    /// every place `typed` appears (in the URL, in the body) marked.
    pub fn sent(method: &str, url: &str, content_type: &str, body: &str, typed: &str) -> LoginRequest {
        LoginRequest {
            method: method.to_owned(),
            url: url.replace(&uri_component(typed), SLOT).replace(typed, SLOT),
            content_type: content_type.to_owned(),
            body: Body::from_sent(body, content_type, typed),
        }
    }

    /// The body with `username` at every place the user's input goes.
    pub fn body_for(&self, username: &str) -> String {
        self.body.render(username)
    }

    /// The URL with `username`, encoded as `encodeURIComponent` encodes it,
    /// at every place the user's input goes (a login that puts the name in
    /// its URL: `/api/sessions?username=...`, `/api/login/...`).
    pub fn url_for(&self, username: &str) -> String {
        self.url.replace(SLOT, &uri_component(username))
    }

    /// The URL as a report shows it: `<username>` where the input goes.
    pub fn url_shown(&self) -> String {
        self.url.replace(SLOT, "<username>")
    }

    /// The URL with the user's input left out: its `key=` pair dropped from
    /// the query, or an empty value in the path.
    pub fn url_without_username(&self) -> String {
        let Some((path, query)) = self.url.split_once('?') else { return self.url_for("") };
        let kept: Vec<&str> = query.split('&').filter(|pair| !pair.contains(SLOT)).collect();
        let url = if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) };
        url.replace(SLOT, "")
    }

    /// How many places the user's input goes in, in the URL and the body.
    pub fn places(&self) -> usize {
        count_slots(&self.url) + self.body.places()
    }

    /// Whether the typed name travels in the URL of a GET (or HEAD): a login
    /// that a link, a prefetch or a crawler can set off, and that writes the
    /// name into every log on the way.
    pub fn logs_in_by_get(&self) -> bool {
        is_safe_method(&self.method) && count_slots(&self.url) > 0
    }
}

/// GET and HEAD: the methods a browser sends for a link or a prefetch.
pub fn is_safe_method(method: &str) -> bool {
    method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")
}

/// How a body is written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyKind {
    /// JSON: the username goes in as a JSON string.
    Json,
    /// `application/x-www-form-urlencoded`: the username goes in percent-encoded.
    Form,
    /// Any other text: the username goes in as it is.
    Text,
}

/// A body with the places of the username marked: a JSON value whose strings
/// may hold the username (anywhere, nested or in arrays), or raw text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub kind: BodyKind,
    template: Value,
}

impl Body {
    /// A JSON body; strings equal to [`Body::username`] mark the user's input.
    pub fn json(template: Value) -> Body {
        Body { kind: BodyKind::Json, template }
    }

    /// What a template uses for the user's input, for building one by hand.
    pub fn username() -> Value {
        Value::String(SLOT.to_owned())
    }

    /// The body a browser sent, with every place `typed` appears (in a JSON
    /// string, or in the raw text) marked; none marked if it does not appear.
    pub fn from_sent(sent: &str, content_type: &str, typed: &str) -> Body {
        if let Ok(value) = serde_json::from_str::<Value>(sent) {
            return Body::json(map_strings(&value, &|s| s.replace(typed, SLOT)));
        }
        let kind = if content_type.starts_with("application/x-www-form-urlencoded") {
            BodyKind::Form
        } else {
            BodyKind::Text
        };
        Body { kind, template: Value::String(sent.replace(typed, SLOT)) }
    }

    /// How many places the user's input goes in.
    pub fn places(&self) -> usize {
        let mut count = 0;
        fn walk(value: &Value, count: &mut usize) {
            match value {
                Value::String(s) => *count += count_slots(s),
                Value::Array(items) => items.iter().for_each(|v| walk(v, count)),
                Value::Object(fields) => fields.values().for_each(|v| walk(v, count)),
                _ => {}
            }
        }
        walk(&self.template, &mut count);
        count
    }

    /// No body at all: what a `fetch` without one sends.
    pub fn is_empty(&self) -> bool {
        self.kind == BodyKind::Text && self.template == Value::String(String::new())
    }

    /// The starter's placeholder: an empty JSON object.
    pub fn is_empty_object(&self) -> bool {
        self.kind == BodyKind::Json && self.template == Value::Object(Map::new())
    }

    /// The body's text with `username` at every place.
    pub fn render(&self, username: &str) -> String {
        match (&self.kind, &self.template) {
            (BodyKind::Json, template) => map_strings(template, &|s| s.replace(SLOT, username)).to_string(),
            (BodyKind::Form, Value::String(text)) => text.replace(SLOT, &percent_encode(username)),
            (_, Value::String(text)) => text.replace(SLOT, username),
            (_, other) => other.to_string(),
        }
    }

    /// The key whose value is exactly the user's input, in a JSON object body.
    pub fn username_key(&self) -> Option<String> {
        let fields = self.template.as_object()?;
        fields.iter().find(|(_, v)| v.as_str() == Some(SLOT)).map(|(k, _)| k.clone())
    }

    /// The body with the user's input left out: its key removed from a JSON
    /// object, or an empty value elsewhere.
    pub fn render_without_username(&self) -> String {
        match (&self.kind, self.template.as_object(), self.username_key()) {
            (BodyKind::Json, Some(fields), Some(key)) => {
                let mut fields = fields.clone();
                fields.remove(&key);
                map_strings(&Value::Object(fields), &|s| s.replace(SLOT, "")).to_string()
            }
            _ => self.render(""),
        }
    }
}

fn count_slots(s: &str) -> usize {
    s.matches(SLOT).count()
}

/// `value` with every string (not keys) passed through `f`.
fn map_strings(value: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(f(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, f)).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), map_strings(v, f))).collect())
        }
        other => other.clone(),
    }
}

/// Percent-encoding as `encodeURIComponent` does.
fn uri_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `text` encoded piece by piece with `encode`, the slot kept whole.
fn encode_around_slots(text: &str, encode: fn(&str) -> String) -> String {
    text.split(SLOT).map(encode).collect::<Vec<_>>().join(SLOT)
}

/// The text `new URLSearchParams(fields)` stands for: `key=value&...`, form-encoded.
fn search_params_text(fields: &Map<String, Value>) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .map(|(key, value)| {
            format!("{}={}", percent_encode(key), encode_around_slots(&as_text(value), percent_encode))
        })
        .collect();
    pairs.join("&")
}

/// Percent-encoding as a browser does for form bodies.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// What keeps the grader from reading the request, with the line to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptProblem {
    /// The script does not parse: what the parser said, and where.
    Syntax { line: usize, message: String },
    /// No `fetch(` call at all.
    NoFetch,
    /// TODO 1 is still the placeholder URL.
    UrlPlaceholder { line: usize },
    /// TODO 2 is still the empty body `JSON.stringify({})`.
    BodyPlaceholder { line: usize },
    /// The fetch call sends no body at all (with this method).
    NoBody { line: usize, method: String },
    /// The login is a GET that carries the typed name in its URL: it works,
    /// but a login changes the server's state, which a GET must not.
    LoginByGet { line: usize },
    /// The URL is not constant: only a browser can tell what it is.
    UnreadableUrl { line: usize },
    /// The body is not a shape a reader can follow (`FormData`, a function's result...).
    UnreadableBody { line: usize },
}

impl ScriptProblem {
    /// Whether only a browser could tell; not the student's mistake.
    pub fn needs_browser(&self) -> bool {
        matches!(self, ScriptProblem::UnreadableUrl { .. } | ScriptProblem::UnreadableBody { .. })
    }
}

/// What the reader found: the request as written (placeholders and all, when
/// it could be read) and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedScript {
    pub request: Option<LoginRequest>,
    pub problems: Vec<ScriptProblem>,
    /// The line where the login request's body is written.
    pub body_line: Option<usize>,
}

/// Finds the login request in `session.js`.
pub fn parse(source: &str) -> ParsedScript {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::cjs()).parse();
    let line_of = |offset: u32| source[..(offset as usize).min(source.len())].matches('\n').count() + 1;
    if let Some(error) = parsed.errors.first() {
        let offset = error.labels.as_ref().and_then(|l| l.first()).map_or(0, |l| l.offset() as u32);
        let problem = ScriptProblem::Syntax { line: line_of(offset), message: error.message.to_string() };
        return ParsedScript { request: None, problems: vec![problem], body_line: None };
    }
    let found = Declarations::collect(&parsed.program);
    let folder = Folder { declared: &found };
    // The login is the fetch that sends a body with the user's input in it,
    // else the first that sends a body, else the first.
    let mut calls: Vec<(&CallExpression, Request)> =
        found.fetches.iter().map(|call| (*call, folder.request(call))).collect();
    let sends_input = |r: &Request| {
        r.body.as_ref().and_then(|b| b.as_ref().ok()).is_some_and(|b| b.places() > 0)
            || r.url.as_deref().is_some_and(name_in_url)
    };
    let chosen = calls
        .iter()
        .position(|(_, r)| sends_input(r))
        .or_else(|| calls.iter().position(|(_, r)| r.body.is_some()))
        .or(if calls.is_empty() { None } else { Some(0) });
    let Some(chosen) = chosen else {
        return ParsedScript { request: None, problems: vec![ScriptProblem::NoFetch], body_line: None };
    };
    let (call, request) = calls.swap_remove(chosen);
    let url_line = line_of(call.arguments.first().map_or(call.span.start, |a| a.span().start));
    let body_line = line_of(request.body_at.unwrap_or(call.span.start));
    let body = match request.body.clone() {
        None => Some(Body { kind: BodyKind::Text, template: Value::String(String::new()) }),
        Some(Ok(body)) => Some(body),
        Some(Err(())) => None,
    };
    // The typed name may travel in the URL, when the body does not carry it:
    // otherwise a computed part of the URL is something only a browser knows.
    let body_carries_name = body.as_ref().is_none_or(|b| b.places() > 0);
    let url = request.url.filter(|url| !url.contains(SLOT) || (name_in_url(url) && !body_carries_name));
    let mut problems = Vec::new();
    match &url {
        Some(url) if url == url_placeholder() => {
            problems.push(ScriptProblem::UrlPlaceholder { line: url_line })
        }
        Some(url) if url.contains(SLOT) && is_safe_method(&request.method) => {
            problems.push(ScriptProblem::LoginByGet { line: url_line })
        }
        Some(_) => {}
        None => problems.push(ScriptProblem::UnreadableUrl { line: url_line }),
    }
    let name_travels_in_url = url.as_deref().is_some_and(|u| u.contains(SLOT));
    match &body {
        Some(body) if body.is_empty_object() => {
            problems.push(ScriptProblem::BodyPlaceholder { line: body_line })
        }
        Some(body) if body.places() == 0 && request.body.is_none() && !name_travels_in_url => {
            problems.push(ScriptProblem::NoBody { line: body_line, method: request.method.clone() })
        }
        Some(_) => {}
        None => problems.push(ScriptProblem::UnreadableBody { line: body_line }),
    }
    let request = match (url, body) {
        (Some(url), Some(body)) => {
            Some(LoginRequest { method: request.method, url, content_type: request.content_type, body })
        }
        _ => None,
    };
    ParsedScript { request, problems, body_line: Some(body_line) }
}

/// Whether a URL read from the script carries the typed name in a place a
/// server reads it from (`/api/sessions?username=…`, `/api/login/…`): after
/// a constant path, never where the URL itself starts (`base + "/api/…"`).
fn name_in_url(url: &str) -> bool {
    let Some((before, _)) = url.split_once(SLOT) else { return false };
    let path = before
        .strip_prefix("https://")
        .or_else(|| before.strip_prefix("http://"))
        .map_or(before, |rest| rest.find('/').map_or("", |at| &rest[at..]));
    path.starts_with('/') && path.len() > 1
}

/// What the whole script declares: every `fetch(...)` call, each name's
/// initialisers, and assignments to a name's properties, in source order.
#[derive(Default)]
struct Declarations<'s, 'a> {
    fetches: Vec<&'s CallExpression<'a>>,
    names: Vec<(&'a str, &'s Expression<'a>)>,
    properties: Vec<(&'a str, String, &'s Expression<'a>, u32)>,
}

impl<'s, 'a> Declarations<'s, 'a> {
    fn collect(program: &'s oxc_ast::ast::Program<'a>) -> Declarations<'s, 'a> {
        let mut found = Declarations::default();
        found.visit_program(program);
        found
    }
}

impl<'s, 'a> Visit<'a> for Declarations<'s, 'a> {
    fn visit_call_expression(&mut self, call: &CallExpression<'a>) {
        let callee = call.callee.without_parentheses();
        if callee.is_specific_id("fetch") || callee.is_specific_member_access("window", "fetch") {
            self.fetches.push(extend(call));
        }
        walk::walk_call_expression(self, call);
    }

    fn visit_variable_declarator(&mut self, declarator: &VariableDeclarator<'a>) {
        if let (Some(name), Some(init)) = (declarator.id.get_identifier_name(), &declarator.init) {
            self.names.push((name.as_str(), extend(init)));
        }
        walk::walk_variable_declarator(self, declarator);
    }

    fn visit_assignment_expression(&mut self, assignment: &AssignmentExpression<'a>) {
        if let Some(member) = assignment.left.as_member_expression() {
            if let (Some(property), Expression::Identifier(object)) =
                (member.static_property_name(), member.object())
            {
                let at = assignment.span.start;
                self.properties.push((
                    object.name.as_str(),
                    property.to_owned(),
                    extend(&assignment.right),
                    at,
                ));
            }
        }
        walk::walk_assignment_expression(self, assignment);
    }
}

/// Widens a node reference handed to the visitor to the borrow of the whole
/// program (`'s`). oxc's `Visit` gives each node with a lifetime of its own
/// call, but every node it hands out is a part of the program that
/// `Declarations::collect` borrows for `'s`, and the program is neither moved
/// nor changed while that borrow lasts.
fn extend<'s, T>(node: &T) -> &'s T {
    // SAFETY: `node` points into the program borrowed for `'s` (see above).
    unsafe { &*(node as *const T) }
}

/// What a `fetch` call says about its request.
struct Request {
    url: Option<String>,
    method: String,
    content_type: String,
    /// `None` when the call sends no body; `Err` when it cannot be followed.
    body: Option<Result<Body, ()>>,
    body_at: Option<u32>,
}

/// Folds expressions to values, looking names up in what the script declares.
struct Folder<'d, 's, 'a> {
    declared: &'d Declarations<'s, 'a>,
}

/// How deep a chain of names may go before the folder gives up (a cycle).
const MAX_DEPTH: usize = 24;

impl<'a> Folder<'_, '_, 'a> {
    fn request(&self, call: &CallExpression<'a>) -> Request {
        let argument = |i: usize| call.arguments.get(i).and_then(Argument::as_expression);
        let url = argument(0).map(|e| self.fold(e, 0)).and_then(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        });
        let mut request = Request {
            url,
            method: "GET".into(),
            content_type: "text/plain;charset=UTF-8".into(),
            body: None,
            body_at: None,
        };
        let Some(options) = argument(1).and_then(|e| self.object_of(e, 0)) else {
            return request;
        };
        if let Some(Value::String(method)) = options.field("method").map(|e| self.fold(e, 0)) {
            request.method = method.to_uppercase();
        }
        let mut content_type = None;
        if let Some(headers) = options.field("headers") {
            let headers = match headers.without_parentheses() {
                Expression::NewExpression(new) if new.callee.is_specific_id("Headers") => {
                    new.arguments.first().and_then(Argument::as_expression).map(|e| self.fold(e, 0))
                }
                other => Some(self.fold(other, 0)),
            };
            content_type = headers.as_ref().and_then(Value::as_object).and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .and_then(|(_, v)| v.as_str().map(str::to_owned))
            });
        }
        if let Some((at, body)) = options.field_at("body") {
            request.body_at = Some(at);
            let (body, default_type) = self.body(body);
            request.body = Some(body);
            request.content_type = content_type.unwrap_or_else(|| default_type.into());
        } else if let Some(content_type) = content_type {
            request.content_type = content_type;
        }
        request
    }

    /// A body expression, and the content type a browser gives it by default.
    fn body(&self, expression: &Expression<'a>) -> (Result<Body, ()>, &'static str) {
        let expression = self.resolve(expression, 0);
        match expression.without_parentheses() {
            Expression::CallExpression(call)
                if call.callee.is_specific_member_access("JSON", "stringify") =>
            {
                match call.arguments.first().and_then(Argument::as_expression) {
                    Some(value) => (Ok(Body::json(self.fold(value, 0))), "text/plain;charset=UTF-8"),
                    None => (Err(()), "text/plain;charset=UTF-8"),
                }
            }
            Expression::NewExpression(new) if new.callee.is_specific_id("URLSearchParams") => {
                let pairs = new.arguments.first().and_then(Argument::as_expression).map(|e| self.fold(e, 0));
                match pairs {
                    Some(Value::Object(fields)) => {
                        let body = Body {
                            kind: BodyKind::Form,
                            template: Value::String(search_params_text(&fields)),
                        };
                        (Ok(body), "application/x-www-form-urlencoded;charset=UTF-8")
                    }
                    _ => (Err(()), "application/x-www-form-urlencoded;charset=UTF-8"),
                }
            }
            // `params.toString()`, `JSON.stringify(x).toString()`: the same text, sent as a string.
            Expression::CallExpression(call) if call.arguments.is_empty() => {
                match call.callee.without_parentheses() {
                    Expression::StaticMemberExpression(member) if member.property.name == "toString" => {
                        (self.body(&member.object).0, "text/plain;charset=UTF-8")
                    }
                    _ => (Err(()), "text/plain;charset=UTF-8"),
                }
            }
            // A value built by code the reader cannot run: `new FormData(form)`, `makeBody()`, or an object
            // that is not turned into text first.
            Expression::NewExpression(_)
            | Expression::CallExpression(_)
            | Expression::ObjectExpression(_)
            | Expression::ArrayExpression(_) => (Err(()), "text/plain;charset=UTF-8"),
            other => match self.fold(other, 0) {
                Value::String(text) => (
                    Ok(Body { kind: BodyKind::Text, template: Value::String(text) }),
                    "text/plain;charset=UTF-8",
                ),
                _ => (Err(()), "text/plain;charset=UTF-8"),
            },
        }
    }

    /// A name's initialiser, followed through names (up to a depth).
    fn resolve<'e>(&'e self, expression: &'e Expression<'a>, depth: usize) -> &'e Expression<'a> {
        match expression.without_parentheses() {
            Expression::Identifier(name) if depth < MAX_DEPTH => match self.initialiser(name.name.as_str()) {
                Some(init) => self.resolve(init, depth + 1),
                None => expression,
            },
            other => other,
        }
    }

    fn initialiser(&self, name: &str) -> Option<&Expression<'a>> {
        self.declared.names.iter().rev().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    /// An object literal, directly or through names.
    fn object_of<'e>(&'e self, expression: &'e Expression<'a>, depth: usize) -> Option<Options<'e, 'a>> {
        // Properties assigned after the declaration (`options.body = ...`) count too.
        let name = match expression.without_parentheses() {
            Expression::Identifier(name) => Some(name.name.as_str()),
            _ => None,
        };
        let assigned = self.declared.properties.iter().filter(move |(object, ..)| Some(*object) == name);
        let mut options = self.literal_object(expression, depth)?;
        options.fields.extend(assigned.map(|(_, key, value, at)| (key.clone(), *value, *at)));
        Some(options)
    }

    fn literal_object<'e>(&'e self, expression: &'e Expression<'a>, depth: usize) -> Option<Options<'e, 'a>> {
        match self.resolve(expression, depth) {
            Expression::ObjectExpression(object) => {
                let mut fields = Vec::new();
                for property in &object.properties {
                    if let ObjectPropertyKind::ObjectProperty(p) = property {
                        if let Some(key) = p.key.static_name() {
                            fields.push((key.into_owned(), &p.value, p.span.start));
                        }
                    }
                }
                Some(Options { fields })
            }
            _ => None,
        }
    }

    /// The value of an expression: constants folded, the user's input (any
    /// value the script computes at run time) as the slot.
    fn fold(&self, expression: &Expression<'a>, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Body::username();
        }
        match expression.without_parentheses() {
            Expression::StringLiteral(s) => Value::String(s.value.to_string()),
            Expression::NumericLiteral(n) => {
                serde_json::Number::from_f64(n.value).map_or(Value::Null, Value::Number)
            }
            Expression::BooleanLiteral(b) => Value::Bool(b.value),
            Expression::NullLiteral(_) => Value::Null,
            Expression::TemplateLiteral(template) => {
                let mut text = String::new();
                for (i, quasi) in template.quasis.iter().enumerate() {
                    text.push_str(
                        quasi.value.cooked.as_ref().map_or(quasi.value.raw.as_str(), |c| c.as_str()),
                    );
                    if let Some(inner) = template.expressions.get(i) {
                        text.push_str(&as_text(&self.fold(inner, depth + 1)));
                    }
                }
                Value::String(text)
            }
            Expression::BinaryExpression(binary) if binary.operator == BinaryOperator::Addition => {
                match (self.fold(&binary.left, depth + 1), self.fold(&binary.right, depth + 1)) {
                    (Value::Number(a), Value::Number(b)) => serde_json::Number::from_f64(
                        a.as_f64().unwrap_or_default() + b.as_f64().unwrap_or_default(),
                    )
                    .map_or(Value::Null, Value::Number),
                    (a, b) => Value::String(as_text(&a) + &as_text(&b)),
                }
            }
            Expression::ObjectExpression(object) => {
                let mut fields = Map::new();
                for property in &object.properties {
                    match property {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            let Some(key) = p.key.static_name() else { continue };
                            fields.insert(key.into_owned(), self.fold(&p.value, depth + 1));
                        }
                        ObjectPropertyKind::SpreadProperty(spread) => {
                            if let Value::Object(spread) = self.fold(&spread.argument, depth + 1) {
                                fields.extend(spread);
                            }
                        }
                    }
                }
                Value::Object(fields)
            }
            Expression::ArrayExpression(array) => Value::Array(
                array
                    .elements
                    .iter()
                    .filter_map(ArrayExpressionElement::as_expression)
                    .map(|e| self.fold(e, depth + 1))
                    .collect(),
            ),
            Expression::Identifier(name) => {
                let name = name.name.as_str();
                if name == "undefined" {
                    return Value::Null;
                }
                match self.initialiser(name) {
                    Some(init) => {
                        let mut value = self.fold(init, depth + 1);
                        // An object built in steps: `body.name = ...` after its declaration.
                        if let Value::Object(fields) = &mut value {
                            for (object, key, assigned, _) in &self.declared.properties {
                                if *object == name {
                                    fields.insert(key.clone(), self.fold(assigned, depth + 1));
                                }
                            }
                        }
                        value
                    }
                    None => Body::username(), // a parameter, or a global: what the user typed
                }
            }
            Expression::CallExpression(call)
                if call.callee.is_specific_member_access("JSON", "stringify") =>
            {
                match call.arguments.first().and_then(Argument::as_expression) {
                    Some(value) => Value::String(self.fold(value, depth + 1).to_string()),
                    None => Value::Null,
                }
            }
            // `new URLSearchParams({ username })` where text is wanted: `username=...`.
            Expression::NewExpression(new) if new.callee.is_specific_id("URLSearchParams") => {
                match new.arguments.first().and_then(Argument::as_expression).map(|e| self.fold(e, depth + 1))
                {
                    Some(Value::Object(fields)) => Value::String(search_params_text(&fields)),
                    _ => Body::username(),
                }
            }
            Expression::CallExpression(call) => {
                let argument = call.arguments.first().and_then(Argument::as_expression);
                match (call.callee.without_parentheses(), argument) {
                    // `value.toString()`, `String(value)`: the value as text.
                    (Expression::StaticMemberExpression(member), None)
                        if member.property.name == "toString" =>
                    {
                        Value::String(as_text(&self.fold(&member.object, depth + 1)))
                    }
                    (callee, Some(value)) if callee.is_specific_id("String") => {
                        Value::String(as_text(&self.fold(value, depth + 1)))
                    }
                    // The typed name stays the typed name; constant text is encoded now.
                    (callee, Some(value)) if callee.is_specific_id("encodeURIComponent") => Value::String(
                        encode_around_slots(&as_text(&self.fold(value, depth + 1)), uri_component),
                    ),
                    // Anything else computed at run time: `name.trim()`, `makeName()`, ...
                    _ => Body::username(),
                }
            }
            // Anything computed at run time: `input.value`, `names[i]`, ...
            _ => Body::username(),
        }
    }
}

/// A value as `+` and `${}` turn it into text.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The fields of an options object literal.
struct Options<'e, 'a> {
    fields: Vec<(String, &'e Expression<'a>, u32)>,
}

impl<'e, 'a> Options<'e, 'a> {
    fn field(&self, name: &str) -> Option<&'e Expression<'a>> {
        self.field_at(name).map(|(_, e)| e)
    }

    fn field_at(&self, name: &str) -> Option<(u32, &'e Expression<'a>)> {
        self.fields.iter().rev().find(|(k, _, _)| k == name).map(|(_, e, at)| (*at, *e))
    }
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

    fn read(script: &str) -> LoginRequest {
        let parsed = parse(script);
        assert_eq!(parsed.problems, vec![], "{script}");
        parsed.request.unwrap()
    }

    fn body(script: &str) -> Value {
        serde_json::from_str(&read(script).body_for("ada")).unwrap()
    }

    #[test]
    fn a_string_of_search_params_is_read_as_form_text() {
        for script in [
            r#"const f = (username) => fetch("/s", { method: "POST", headers: { "Content-Type": "application/json" }, body: new URLSearchParams({ username }).toString() });"#,
            r#"function f(name) { const params = new URLSearchParams({ username: name }); return fetch("/s", { method: "POST", headers: { "Content-Type": "application/json" }, body: params.toString() }); }"#,
        ] {
            let request = read(script);
            assert_eq!(request.body.kind, BodyKind::Form, "{script}");
            assert_eq!(request.body_for("ada b"), "username=ada+b", "{script}");
            assert_eq!(request.content_type, "application/json", "{script}");
        }
        let untyped = read(
            r#"const f = (u) => fetch("/s", { method: "POST", body: new URLSearchParams({ u }).toString() });"#,
        );
        assert_eq!(untyped.content_type, "text/plain;charset=UTF-8");
    }

    #[test]
    fn a_fetch_without_a_body_is_said_to_send_none() {
        let parsed = parse("const f = (name) => fetch(\"/api/sessions\");");
        assert_eq!(parsed.problems, vec![ScriptProblem::NoBody { line: 1, method: "GET".into() }]);
        let parsed = parse("const f = (name) => fetch(\"/api/sessions\", { method: \"PUT\" });");
        assert_eq!(parsed.problems, vec![ScriptProblem::NoBody { line: 1, method: "PUT".into() }]);
    }

    #[test]
    fn a_login_by_get_with_the_name_in_its_url_is_read_and_named() {
        for (script, url) in [
            (
                r#"const f = (username) => fetch("/api/sessions?username=" + encodeURIComponent(username));"#,
                "/api/sessions?username=a%20b%26c",
            ),
            ("const f = (name) => fetch(`/api/login/${name}`, { method: \"get\" });", "/api/login/a%20b%26c"),
            (
                r#"function f(name) { const q = new URLSearchParams({ username: name }); return fetch(`/api/sessions?${q}`); }"#,
                "/api/sessions?username=a%20b%26c",
            ),
            (
                r#"const f = (u) => window.fetch("http://127.0.0.1:8000/api/in?user=" + u.trim() + "&remember=1");"#,
                "http://127.0.0.1:8000/api/in?user=a%20b%26c&remember=1",
            ),
        ] {
            let parsed = parse(script);
            assert_eq!(parsed.problems, vec![ScriptProblem::LoginByGet { line: 1 }], "{script}");
            let request = parsed.request.expect(script);
            assert!(request.logs_in_by_get(), "{script}");
            assert_eq!((request.url_for("a b&c"), request.places()), (url.to_owned(), 1), "{script}");
            assert!(request.body.is_empty(), "{script}");
        }
        let query = read(
            r#"const f = (username) => fetch("/api/sessions?" + new URLSearchParams({ username }).toString(), { method: "POST" });"#,
        );
        assert_eq!(query.url_for("ada"), "/api/sessions?username=ada");
        assert_eq!(query.url_shown(), "/api/sessions?username=<username>");
        assert_eq!(query.url_without_username(), "/api/sessions");
        assert!(!query.logs_in_by_get(), "a POST with the name in its query changes state the right way");
    }

    #[test]
    fn a_computed_url_is_not_taken_for_the_name() {
        for script in [
            r#"const f = (u) => fetch(base + "/api/sessions", { method: "POST", body: JSON.stringify({ username: u }) });"#,
            r#"const f = (u) => fetch(`/api/users/${id}`, { method: "POST", body: JSON.stringify({ username: u }) });"#,
            r#"const f = (u) => fetch(`${location.origin}/api/sessions?username=${u}`);"#,
            r#"const f = (u) => fetch("/" + u);"#,
        ] {
            assert!(parse(script).problems.contains(&ScriptProblem::UnreadableUrl { line: 1 }), "{script}");
        }
    }

    #[test]
    fn the_starter_has_both_placeholders() {
        let parsed = parse(&format!("{STARTER}}});"));
        assert_eq!(
            parsed.problems,
            vec![ScriptProblem::UrlPlaceholder { line: 5 }, ScriptProblem::BodyPlaceholder { line: 8 }]
        );
        let request = parsed.request.expect("placeholders are still a request");
        assert_eq!((request.url.as_str(), request.body_for("x")), (url_placeholder(), "{}".to_owned()));
    }

    #[test]
    fn a_filled_in_script() {
        let script = format!("{STARTER}}});")
            .replace("\"/api/TODO\"", "'/api/sessions'")
            .replace("({})", "({ username: username })");
        let request = read(&script);
        assert_eq!((request.method.as_str(), request.url.as_str()), ("POST", "/api/sessions"));
        assert_eq!(request.content_type, "application/json");
        assert_eq!(request.body.username_key().as_deref(), Some("username"));
        assert_eq!(
            serde_json::from_str::<Value>(&request.body_for("ada")).unwrap(),
            json!({"username": "ada"})
        );
    }

    #[test]
    fn constants_concatenation_and_template_literals() {
        let script = r#"
const API = "/api"; /* fetch("/decoy") */
const BASE = `${API}/v1`;
// fetch("/also-a-decoy")
const isName = /fetch\("\/regex"\)/;
async function go(name) {
  const url = BASE + "/sessions";
  return fetch(url, { method: 'post', body: JSON.stringify({ "name": name.trim(), remember: true, kind: 'chat' }) });
}"#;
        let request = read(script);
        assert_eq!((request.url.as_str(), request.method.as_str()), ("/api/v1/sessions", "POST"));
        assert_eq!(request.content_type, "text/plain;charset=UTF-8");
        assert_eq!(body(script), json!({"name": "ada", "remember": true, "kind": "chat"}));
        assert_eq!(request.url, "/api/v1/sessions");
        let login = read(
            r#"const B = "/api"; fetch(`${B}/login`, {method: "POST", body: JSON.stringify({username})})"#,
        );
        assert_eq!(login.url, "/api/login");
    }

    #[test]
    fn options_in_a_variable_and_a_body_built_in_steps() {
        let script = r#"
async function login(username) {
  const payload = {};
  payload.user = { name: username, tags: [username] };
  payload["client"] = "web";
  const options = { method: "POST", headers: new Headers({ "content-type": "application/json" }) };
  options.body = JSON.stringify(payload);
  await fetch("/api/me");
  return await fetch("/api/sessions", options);
}"#;
        let request = read(script);
        assert_eq!(request.url, "/api/sessions");
        assert_eq!(request.content_type, "application/json");
        assert_eq!(body(script), json!({"user": {"name": "ada", "tags": ["ada"]}, "client": "web"}));
        assert_eq!(request.body.places(), 2);
    }

    #[test]
    fn form_and_text_bodies() {
        let form =
            read(r#"fetch("/s", {method: "POST", body: new URLSearchParams({ user: u, mode: "a b" })})"#);
        assert_eq!(form.body.kind, BodyKind::Form);
        assert_eq!(form.content_type, "application/x-www-form-urlencoded;charset=UTF-8");
        assert_eq!(form.body_for("ada lovelace"), "user=ada+lovelace&mode=a+b");
        let text = read(r#"fetch("/s", {method: "POST", body: "name=" + input.value})"#);
        assert_eq!((text.body.kind, text.body_for("ada")), (BodyKind::Text, "name=ada".to_owned()));
    }

    #[test]
    fn what_only_a_browser_can_read() {
        assert_eq!(parse("console.log(1)").problems, vec![ScriptProblem::NoFetch]);
        let parsed = parse("fetch(routes[kind], {\n method: 'POST', body: new FormData(form) })");
        assert_eq!(
            parsed.problems,
            vec![ScriptProblem::UnreadableUrl { line: 1 }, ScriptProblem::UnreadableBody { line: 2 }]
        );
        assert!(parsed.problems.iter().all(ScriptProblem::needs_browser));
        assert_eq!(parsed.request, None);
    }

    #[test]
    fn a_syntax_error_is_the_students_with_its_line() {
        let parsed = parse("const a = 1;\nfetch('/x', { body: JSON.stringify({ a: }) });");
        match &parsed.problems[..] {
            [ScriptProblem::Syntax { line: 2, message }] => assert!(!message.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_login_by_get_the_browser_sent() {
        let sent = LoginRequest::sent("GET", "/api/sessions?username=ada-x1&x=1", "text/plain", "", "ada-x1");
        assert!(sent.logs_in_by_get() && sent.body.is_empty());
        assert_eq!(sent.url_for("b ob"), "/api/sessions?username=b%20ob&x=1");
        assert_eq!(sent.url_without_username(), "/api/sessions?x=1");
        let path = LoginRequest::sent("GET", "/api/login/ada%20x1", "text/plain", "", "ada x1");
        assert_eq!((path.url_shown(), path.places()), ("/api/login/<username>".to_owned(), 1));
        let post =
            LoginRequest::sent("POST", "/api/sessions", "application/json", r#"{"u":"ada-x1"}"#, "ada-x1");
        assert!(!post.logs_in_by_get());
        assert_eq!(
            (post.url_for("bob"), post.body_for("bob")),
            ("/api/sessions".to_owned(), r#"{"u":"bob"}"#.to_owned())
        );
    }

    #[test]
    fn bodies_the_browser_sent() {
        let nested = Body::from_sent(
            r#"{"user":{"name":"ada-x1"},"also":["ada-x1"],"n":1}"#,
            "application/json",
            "ada-x1",
        );
        assert_eq!(nested.places(), 2);
        assert_eq!(nested.render("bob"), r#"{"user":{"name":"bob"},"also":["bob"],"n":1}"#);
        assert_eq!(nested.username_key(), None);
        let form = Body::from_sent("username=ada-x1&x=1", "application/x-www-form-urlencoded", "ada-x1");
        assert_eq!(form.render("a b"), "username=a+b&x=1");
        assert_eq!(Body::from_sent(r#"{"name":"someone"}"#, "application/json", "ada-x1").places(), 0);
        let flat = Body::from_sent(r#"{"username":"ada-x1"}"#, "application/json", "ada-x1");
        assert_eq!(flat.render_without_username(), "{}");
        assert_eq!(flat.render("\u{7}"), r#"{"username":"\u0007"}"#);
    }
}
