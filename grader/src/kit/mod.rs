//! The kit manifest (`kit.toml` at the workspace root): what makes this lab
//! *this* lab. The grader compiles in its own copy, so a student's clone can
//! edit its `kit.toml` without changing how it is graded; `self_check` reads
//! a workspace's own copy, for instructors adapting the lab.

pub mod self_check;

use std::path::Path;
use std::sync::LazyLock;

use serde::Deserialize;

/// The manifest this grader was built with.
const EMBEDDED: &str = include_str!("../../../kit.toml");

static KIT: LazyLock<Kit> = LazyLock::new(|| {
    // The tests parse the same text, so a broken manifest fails them first.
    Kit::parse(EMBEDDED).unwrap_or_else(|why| panic!("the grader's own kit.toml: {why}"))
});

/// The manifest the grader was built with: the one to grade by.
pub fn kit() -> &'static Kit {
    &KIT
}

/// The whole manifest. Every field is documented in `kit.toml` itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kit {
    pub lab: Lab,
    pub server: ServerFacts,
    pub student: StudentFiles,
    pub pages: Pages,
    pub given: Given,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    pub title: String,
    pub package: String,
    pub solution: String,
    pub handout: String,
}

/// What the grader relies on about the running server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFacts {
    pub ready_line: String,
    pub cookie: String,
    pub home: String,
    pub script: String,
    pub whoami: String,
    pub messages: String,
    pub sessions_table: String,
}

impl ServerFacts {
    /// The path of a room's messages.
    pub fn messages_of(&self, room: &str) -> String {
        self.messages.replace("{room}", room)
    }
}

/// The two files a student edits, by the part they play.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentFiles {
    /// The server side: the session route.
    pub route: StudentFile,
    /// The page side: the script that sends the login request.
    pub script: StudentFile,
}

impl StudentFiles {
    pub fn all(&self) -> [&StudentFile; 2] {
        [&self.route, &self.script]
    }

    /// The route file's marker: write the route (`TODO 1`).
    pub fn route_todo(&self) -> &str {
        self.route.todos.first().map_or("TODO", String::as_str)
    }

    /// The script's first marker: the URL (and method) it sends to (`TODO 1`).
    pub fn url_todo(&self) -> &str {
        self.script.todos.first().map_or("TODO", String::as_str)
    }

    /// The script's second marker: the body it sends (`TODO 2`).
    pub fn body_todo(&self) -> &str {
        self.script.todos.get(1).map_or("TODO", String::as_str)
    }
}

/// A lettered step of the handout's heading for the route (`steps` of the
/// route file), as hints name them. Every step a hint names is here, and
/// `self-check` checks that the handout has each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// a. The URL and the method.
    NameTheApi,
    /// b. The body, read as `Json<...>`.
    ReadTheBody,
    /// d. The `SessionManager`, asked for as `&State<...>`.
    StartTheSession,
    /// e. The answer, `Json(...)`.
    AnswerWithTheToken,
    /// f. `Result<..., ApiError>`.
    HandleErrors,
    /// g. `routes![...]`.
    ListTheRoute,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::NameTheApi,
        Step::ReadTheBody,
        Step::StartTheSession,
        Step::AnswerWithTheToken,
        Step::HandleErrors,
        Step::ListTheRoute,
    ];

    /// Its letter in the handout.
    pub fn letter(self) -> char {
        match self {
            Step::NameTheApi => 'a',
            Step::ReadTheBody => 'b',
            Step::StartTheSession => 'd',
            Step::AnswerWithTheToken => 'e',
            Step::HandleErrors => 'f',
            Step::ListTheRoute => 'g',
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentFile {
    pub file: String,
    pub answer: String,
    pub todos: Vec<String>,
    pub placeholder: String,
    pub region: Region,
    pub steps: Option<String>,
    pub url_placeholder: Option<String>,
}

impl StudentFile {
    /// Where this file is in a workspace that builds `package`: the answer's
    /// copy for the reference answer's package, the student's otherwise.
    pub fn path_for(&self, package: &str) -> &str {
        if package == kit().lab.solution {
            &self.answer
        } else {
            &self.file
        }
    }
}

/// Lines of a file: from the first holding `from` up to, not including, the
/// first after it holding `until`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub from: String,
    pub until: String,
}

impl Region {
    /// The region's line range in `text`, if both ends are there.
    pub fn lines_in(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.iter().position(|l| l.contains(&self.from))?;
        let end = start + 1 + lines[start + 1..].iter().position(|l| l.contains(&self.until))?;
        Some(start..end)
    }
}

/// CSS selectors of the page elements the browser stage uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pages {
    pub login_form: String,
    pub username: String,
    pub login_submit: String,
    pub login_error: String,
    pub current_user: String,
    pub chat: String,
    pub message_input: String,
    pub message_submit: String,
    pub message_bodies: String,
    pub messages: String,
    pub logout: String,
}

impl Pages {
    /// Every selector, named as in `kit.toml`.
    pub fn all(&self) -> [(&'static str, &str); 11] {
        [
            ("login_form", &self.login_form),
            ("username", &self.username),
            ("login_submit", &self.login_submit),
            ("login_error", &self.login_error),
            ("current_user", &self.current_user),
            ("chat", &self.chat),
            ("message_input", &self.message_input),
            ("message_submit", &self.message_submit),
            ("message_bodies", &self.message_bodies),
            ("messages", &self.messages),
            ("logout", &self.logout),
        ]
    }
}

/// `id="login-form"` for the selector `#login-form`: how the element shows
/// in the HTML the server sends, for checks that read pages without a browser.
pub fn id_attribute(selector: &str) -> String {
    let id = selector.trim_start_matches('#');
    let id = id.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).next().unwrap_or(id);
    format!("id=\"{id}\"")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    pub paths: Vec<String>,
}

impl Kit {
    /// Reads a manifest, saying what is wrong with a bad one.
    pub fn parse(text: &str) -> Result<Kit, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// `LAB.md step 4`: the handout's heading for the route, as a hint names it
    /// (its number, from `### 4. Write your route ...`).
    pub fn route_steps(&self) -> String {
        format!("{} step {}", self.lab.handout, self.route_step_number())
    }

    /// `LAB.md step 4b`: one lettered step of [`route_steps`](Kit::route_steps).
    pub fn step(&self, step: Step) -> String {
        format!("{}{}", self.route_steps(), step.letter())
    }

    /// `LAB.md step 4a and 4b`.
    pub fn steps(&self, first: Step, second: Step) -> String {
        format!("{} and {}{}", self.step(first), self.route_step_number(), second.letter())
    }

    fn route_step_number(&self) -> String {
        let heading = self.student.route.steps.as_deref().unwrap_or_default();
        heading.trim_start_matches('#').trim_start().chars().take_while(char::is_ascii_digit).collect()
    }

    /// The manifest of the workspace at `root`.
    pub fn load(root: &Path) -> Result<Kit, String> {
        let path = root.join("kit.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Kit::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every given file under `root`, relative to it with `/` separators,
    /// sorted; the student files are never among them.
    pub fn given_files(&self, root: &Path) -> Vec<String> {
        let student: Vec<&str> = self.student.all().iter().map(|f| f.file.as_str()).collect();
        let mut found = Vec::new();
        // A symbolic link is listed as itself and never followed (see `walk`).
        for given in &self.given.paths {
            found.extend(crate::walk::Walk::default().under(root, given).files_and_links());
        }
        found.retain(|f| !student.contains(&f.as_str()));
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_given_file_walk_lists_a_link_and_never_follows_it() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("lab/src")).unwrap();
        std::fs::write(root.path().join("lab/src/models.rs"), "").unwrap();
        std::os::unix::fs::symlink(".", root.path().join("lab/src/loop")).unwrap();
        std::os::unix::fs::symlink("/", root.path().join("lab/src/root")).unwrap();
        let mut kit = kit().clone();
        kit.given.paths = vec!["lab".into()];
        assert_eq!(kit.given_files(root.path()), ["lab/src/loop", "lab/src/models.rs", "lab/src/root"]);
    }

    #[test]
    fn the_embedded_manifest_parses() {
        let kit = Kit::parse(EMBEDDED).unwrap();
        assert_eq!(kit.lab.package, "lab");
        assert_eq!(kit.student.script.url_placeholder.as_deref(), Some("/api/TODO"));
    }

    #[test]
    fn a_misspelt_field_is_an_error() {
        let broken = EMBEDDED.replace("ready_line =", "ready_lines =");
        assert!(Kit::parse(&broken).unwrap_err().contains("ready_lines"));
    }

    #[test]
    fn regions_and_ids() {
        let region = Region { from: "B".into(), until: "}".into() };
        assert_eq!(region.lines_in("}\nA\nB\nC\n}\nD"), Some(2..4));
        assert_eq!(region.lines_in("A\nB"), None);
        assert_eq!(id_attribute("#login-form button[type=submit]"), "id=\"login-form\"");
    }

    #[test]
    fn given_files_leave_out_the_student_files() {
        let given = kit().given_files(&crate::kit_root());
        assert!(given.contains(&"lab/src/models.rs".to_owned()));
        assert!(given.contains(&"Cargo.lock".to_owned()));
        assert!(!given.contains(&kit().student.route.file));
        assert!(!given.contains(&kit().student.script.file));
    }
}
