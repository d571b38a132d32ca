//! The grader's modules form no circle: data flows one way (build → boot →
//! checks → report → renderer), and a module that reached back up would
//! tie a low layer to a high one. Read from the sources' `crate::` paths,
//! tests and comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and the top-level modules its code names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_owned)
        .collect();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut names = BTreeSet::new();
        let file = src.join(format!("{module}.rs"));
        let folder = src.join(module);
        let mut files = vec![file];
        files.extend(rust_files(&folder));
        for file in files.iter().filter(|f| f.is_file()) {
            for name in crate_paths(&std::fs::read_to_string(file).unwrap()) {
                if modules.contains(&name) && &name != module {
                    names.insert(name);
                }
            }
        }
        graph.insert(module.clone(), names);
    }
    graph
}

fn rust_files(folder: &Path) -> Vec<std::path::PathBuf> {
    let found = crate::walk::Walk::default().under(folder, "").files_and_links();
    found.into_iter().filter(|path| path.ends_with(".rs")).map(|path| folder.join(path)).collect()
}

/// The modules `code` names as `crate::NAME`, outside comments and its tests.
fn crate_paths(code: &str) -> Vec<String> {
    paths_after(code, "crate::")
}

/// The names `code` writes right after `prefix` (`crate::`, `super::`),
/// outside comments and its tests.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let code = code.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    let mut names = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        for (at, _) in line.match_indices(prefix) {
            let rest = &line[at + prefix.len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            names.push(name);
        }
    }
    names
}

/// A circle of `graph`, as the path that closes it, if there is one.
fn a_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_graders_modules_form_no_circle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() >= 20, "only {} modules found: is lib.rs still read right?", graph.len());
    assert!(graph["grade"].contains("checks"), "the graph misses an edge it should have: {graph:?}");
    if let Some(circle) = a_circle(&graph) {
        panic!("the grader's modules form a circle: {}", circle.join(" → "));
    }
}

/// The batch's parts (`src/batch/`) form no circle either: the run leans on
/// the gradebook and the copies, the glance on the gradebook, and none of
/// them back (read from their `super::` paths; `mod.rs`, the parent, left out).
#[test]
fn the_batchs_parts_form_no_circle() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("batch");
    let parts: BTreeSet<String> = rust_files(&folder)
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_owned))
        .filter(|part| part != "mod")
        .collect();
    let mut graph = BTreeMap::new();
    for part in &parts {
        let code = std::fs::read_to_string(folder.join(format!("{part}.rs"))).unwrap();
        let names = paths_after(&code, "super::").into_iter().chain(paths_after(&code, "crate::batch::"));
        graph.insert(part.clone(), names.filter(|n| parts.contains(n) && n != part).collect::<BTreeSet<_>>());
    }
    assert!(graph["run"].contains("gradebook"), "the graph misses an edge it should have: {graph:?}");
    if let Some(circle) = a_circle(&graph) {
        panic!("the batch's parts form a circle: {}", circle.join(" → "));
    }
}

#[test]
fn a_circle_is_found_and_comments_and_tests_are_not_read() {
    let code =
        "use crate::report::X;\n// crate::grade in a comment\nlet a = crate::kit::kit(); // crate::cli\n\
                #[cfg(test)]\nmod tests {\n    use crate::batch;\n}\n";
    assert_eq!(crate_paths(code), ["report", "kit"]);
    let edge = |a: &str, b: &[&str]| (a.to_owned(), b.iter().map(|s| s.to_string()).collect());
    let graph: BTreeMap<String, BTreeSet<String>> =
        [edge("a", &["b"]), edge("b", &["c"]), edge("c", &["a"]), edge("d", &["a"])].into();
    assert_eq!(a_circle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let line: BTreeMap<String, BTreeSet<String>> =
        [edge("a", &["b"]), edge("b", &["c"]), edge("d", &["a"])].into();
    assert_eq!(a_circle(&line), None);
}
