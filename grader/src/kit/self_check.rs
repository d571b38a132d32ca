//! The kit's self-check (rustlings' `dev check` is the model): the manifest
//! and the kit agree, the lab and the answer differ only where a student
//! works, and the handout and the TODO comments tell the same steps.
//! `grader self-check` runs it; so does `cargo test --workspace`.

use std::path::Path;

use super::{Kit, Step, StudentFile};

/// Everything wrong with the kit at `root` as `kit` describes it; empty when
/// all is well.
pub fn self_check(root: &Path, kit: &Kit) -> Vec<String> {
    let mut problems = Vec::new();
    let read = |relative: &str, problems: &mut Vec<String>| match std::fs::read_to_string(root.join(relative))
    {
        Ok(text) => Some(text),
        Err(e) => {
            problems.push(format!("{relative}: cannot read it: {e}"));
            None
        }
    };
    for given in &kit.given.paths {
        if !root.join(given).exists() {
            problems.push(format!("kit.toml names the given path `{given}`, which is not there"));
        }
    }
    let handout = read(&kit.lab.handout, &mut problems);
    for student in kit.student.all() {
        let (Some(starter), Some(answer)) =
            (read(&student.file, &mut problems), read(&student.answer, &mut problems))
        else {
            continue;
        };
        check_markers(student, &starter, &answer, &mut problems);
        check_region(student, &starter, &answer, &mut problems);
        if let (Some(heading), Some(handout)) = (&student.steps, &handout) {
            check_steps(student, heading, &starter, &kit.lab.handout, handout, &mut problems);
        }
    }
    if let Some(handout) = &handout {
        check_hint_steps(kit, handout, &mut problems);
    }
    check_server_facts(root, kit, &mut problems);
    check_selectors(root, kit, &mut problems);
    problems
}

/// What the grader's hints name is there: each lettered step of the route's
/// heading (`LAB.md step 4b`), and the markers hints point at (the route's
/// one, the script's two: its URL and its body).
fn check_hint_steps(kit: &Kit, handout: &str, problems: &mut Vec<String>) {
    if kit.student.route.todos.is_empty() {
        problems.push(format!("kit.toml: {} needs a TODO marker: hints point at it", kit.student.route.file));
    }
    if kit.student.script.todos.len() < 2 {
        problems.push(format!(
            "kit.toml: {} needs two TODO markers, its URL's and its body's: hints point at each",
            kit.student.script.file
        ));
    }
    let Some(heading) = &kit.student.route.steps else {
        return problems
            .push("kit.toml: the route file names no `steps` heading, which hints point at".into());
    };
    let letters = lettered_steps(handout, heading);
    for step in Step::ALL {
        if !letters.contains(&step.letter()) {
            problems.push(format!(
                "the grader's hints name {}, but {} `{heading}` has no step {}",
                kit.step(step),
                kit.lab.handout,
                step.letter()
            ));
        }
    }
}

/// The letters of the lettered steps (`**a. ...`) under `heading` in `handout`.
fn lettered_steps(handout: &str, heading: &str) -> Vec<char> {
    let Some(start) = handout.lines().position(|l| l.trim() == heading) else {
        return Vec::new();
    };
    let section =
        handout.lines().skip(start + 1).take_while(|l| !l.starts_with("## ") && !l.starts_with("### "));
    section.filter_map(|l| step_letter(l.trim_start().strip_prefix("**")?)).collect()
}

/// The TODO markers are in the starter, in order; the placeholder is in the
/// starter and not in the answer.
fn check_markers(student: &StudentFile, starter: &str, answer: &str, problems: &mut Vec<String>) {
    let file = &student.file;
    let mut from = 0;
    for marker in &student.todos {
        match starter[from..].find(marker.as_str()) {
            Some(at) => from += at + marker.len(),
            None if starter.contains(marker.as_str()) => {
                problems.push(format!("{file}: `{marker}` comes before the marker listed ahead of it"))
            }
            None => problems.push(format!("{file}: the TODO marker `{marker}` is missing")),
        }
    }
    if !starter.contains(&student.placeholder) {
        problems.push(format!("{file}: the placeholder `{}` is missing", student.placeholder));
    }
    if answer.contains(&student.placeholder) {
        problems.push(format!(
            "{}: the answer still holds the placeholder `{}`",
            student.answer, student.placeholder
        ));
    }
    if let Some(url) = &student.url_placeholder {
        if !student.placeholder.contains(url.as_str()) {
            problems.push(format!("{file}: the url_placeholder `{url}` is not part of the placeholder"));
        }
    }
}

/// Outside the region, the answer is the starter, line for line.
fn check_region(student: &StudentFile, starter: &str, answer: &str, problems: &mut Vec<String>) {
    let Some(region) = student.region.lines_in(starter) else {
        problems.push(format!(
            "{}: no region from a line with `{}` to a later line with `{}`",
            student.file, student.region.from, student.region.until
        ));
        return;
    };
    let starter: Vec<&str> = starter.lines().collect();
    let answer: Vec<&str> = answer.lines().collect();
    let (before, after) = (&starter[..region.start], &starter[region.end..]);
    let first_difference = before.iter().zip(&answer).position(|(a, b)| a != b);
    if answer.len() < before.len() + after.len() || first_difference.is_some() {
        let line = first_difference.unwrap_or(answer.len().min(before.len())) + 1;
        problems.push(format!(
            "{} differs from {} before its region (line {line}): only the lines from `{}` to `{}` may differ",
            student.answer, student.file, student.region.from, student.region.until
        ));
    } else if &answer[answer.len() - after.len()..] != after {
        problems.push(format!(
            "{} differs from {} after its region (from the line with `{}` on)",
            student.answer, student.file, student.region.until
        ));
    }
}

/// The lettered steps under the handout's heading are those of the TODO comment.
fn check_steps(
    student: &StudentFile,
    heading: &str,
    starter: &str,
    handout_name: &str,
    handout: &str,
    problems: &mut Vec<String>,
) {
    if !handout.lines().any(|l| l.trim() == heading) {
        problems.push(format!("{handout_name} has no heading `{heading}`"));
        return;
    }
    let in_handout = lettered_steps(handout, heading);
    let in_file: Vec<char> = starter
        .lines()
        .filter_map(|l| step_letter(l.trim_start().strip_prefix("//")?.trim_start()))
        .collect();
    if in_handout.is_empty() || in_handout != in_file {
        problems.push(format!(
            "the steps of {handout_name} `{heading}` are {} but the TODO comment in {} has {}",
            letters(&in_handout),
            student.file,
            letters(&in_file)
        ));
    }
}

/// `a` for a line that starts `a. ` (a lettered step).
fn step_letter(line: &str) -> Option<char> {
    let mut chars = line.chars();
    let letter = chars.next().filter(|c| c.is_ascii_lowercase())?;
    (chars.next() == Some('.') && chars.next() == Some(' ')).then_some(letter)
}

fn letters(found: &[char]) -> String {
    match (found.first(), found.last()) {
        (Some(first), Some(last)) => format!("{first}–{last} ({} steps)", found.len()),
        _ => "none".into(),
    }
}

/// The ready line is printed by the given code, and the script stores the cookie.
fn check_server_facts(root: &Path, kit: &Kit, problems: &mut Vec<String>) {
    let given = kit.given_files(root);
    let in_given = |needle: &str, ending: &str| {
        given
            .iter()
            .filter(|f| f.ends_with(ending))
            .any(|f| std::fs::read_to_string(root.join(f)).is_ok_and(|t| t.contains(needle)))
    };
    if !in_given(&kit.server.ready_line, ".rs") {
        problems.push(format!("no given Rust file prints the ready line `{}`", kit.server.ready_line));
    }
    let cookie = format!("\"{}=", kit.server.cookie);
    let script = std::fs::read_to_string(root.join(&kit.student.script.answer)).unwrap_or_default();
    if !script.contains(&cookie) {
        problems
            .push(format!("{} never stores the cookie `{}`", kit.student.script.answer, kit.server.cookie));
    }
}

/// Every `#id` a selector names is an element of a given template.
fn check_selectors(root: &Path, kit: &Kit, problems: &mut Vec<String>) {
    let templates: String = kit
        .given_files(root)
        .iter()
        .filter(|f| f.ends_with(".tera") || f.ends_with(".html"))
        .filter_map(|f| std::fs::read_to_string(root.join(f)).ok())
        .collect();
    for (name, selector) in kit.pages.all() {
        for id in selector.split_whitespace().filter(|part| part.starts_with('#')) {
            let attribute = super::id_attribute(id);
            if !templates.contains(&attribute) {
                problems.push(format!("pages.{name} = `{selector}`: no given template has {attribute}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the kit's files the self-check reads, to break on purpose.
    fn copy_of_the_kit() -> tempfile::TempDir {
        let kit = crate::kit::kit();
        let root = crate::kit_root();
        let copy = tempfile::tempdir().unwrap();
        let mut files = kit.given_files(&root);
        files.push(kit.lab.handout.clone());
        for student in kit.student.all() {
            files.push(student.file.clone());
            files.push(student.answer.clone());
        }
        for file in files {
            let to = copy.path().join(&file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root.join(&file), to).unwrap();
        }
        copy
    }

    fn edit(root: &Path, file: &str, from: &str, to: &str) {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from} is not in {file}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    #[test]
    fn the_kit_passes_its_own_self_check() {
        let problems = self_check(&crate::kit_root(), crate::kit::kit());
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn each_disagreement_is_found() {
        let kit = crate::kit::kit();
        let route = &kit.student.route;
        let cases: [(&str, &str, &str, &str); 7] = [
            (&route.file, "TODO 1", "TO DO 1", "the TODO marker `TODO 1` is missing"),
            (&kit.lab.handout, "**g. Keep", "**Keep", "the grader's hints name LAB.md step 4g, but LAB.md"),
            (&route.answer, "//! YOUR FILE", "//! THE FILE", "before its region (line 1)"),
            (&route.answer, "pub fn routes()", "pub fn all_routes()", "after its region"),
            (&kit.lab.handout, "**g. Keep", "**Keep", "are a–f (6 steps)"),
            ("templates/login.html.tera", "id=\"login-form\"", "id=\"login\"", "pages.login_form"),
            (&kit.student.script.answer, "\"session=", "\"sid=", "never stores the cookie"),
        ];
        for (file, from, to, said) in cases {
            let copy = copy_of_the_kit();
            edit(copy.path(), file, from, to);
            let problems = self_check(copy.path(), kit);
            assert!(problems.iter().any(|p| p.contains(said)), "{file}: {from} → {to}: {problems:?}");
        }
    }
}
