//! The kit's files as the grader reads them: those git tracks, where the kit
//! is a checkout, else those on disk, and the given paths `kit.toml` names.
//! Shared with `build.rs` (which includes this file, with `git.rs` and
//! `walk.rs`): the given files it embeds are those the exports copy.

use std::path::Path;

use crate::git::Git;
use crate::walk::Walk;

/// The kit's files under `paths` (files or folders, `/`-separated), sorted.
pub fn files(kit: &Path, paths: &[String]) -> Vec<String> {
    let mut args = vec!["ls-files", "-z", "--"];
    args.extend(paths.iter().map(String::as_str));
    let tracked = Git::default().in_dir(kit, &args).ok().filter(|listed| !listed.is_empty());
    let mut files: Vec<String> = match tracked {
        Some(listed) => listed
            .split(|b| *b == 0)
            .filter(|f| !f.is_empty())
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
        None => paths.iter().flat_map(|p| walk(kit, p)).collect(),
    };
    files.retain(|f| kit.join(f).is_file());
    files.sort();
    files.dedup();
    files
}

/// The files under `relative` in `root`, without build output or hidden
/// files and folders (see [`crate::walk`]).
///
/// A symbolic link is listed as itself, never followed: a link to a folder
/// outside would list (and, for a caller that removes what it lists, lose)
/// another tree's files.
pub fn walk(root: &Path, relative: &str) -> Vec<String> {
    let skip = |name: &str, _folder: bool| name.starts_with('.') || name == "target";
    Walk { skip: &skip, ..Walk::default() }.under(root, relative).files_and_links()
}

/// The strings of `paths = [...]` in the `[given]` table of kit.toml, read
/// from its text: `build.rs` reads them so, without `toml_edit` or serde,
/// which it would build a second time (build scripts' dependencies are built
/// apart). A test holds the reading to what `kit::Kit` reads.
pub fn given_paths(manifest: &str) -> Vec<String> {
    let table = manifest.split("\n[given]").nth(1).expect("kit.toml has a [given] table");
    let line = table.lines().find(|l| l.trim_start().starts_with("paths")).expect("[given] has paths");
    let list = line.split_once('[').and_then(|(_, rest)| rest.rsplit_once(']')).expect("paths = [...]").0;
    list.split(',').map(|p| p.trim().trim_matches('"').to_owned()).filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `build.rs` embeds as given is what the grader's kit manifest says is.
    #[test]
    fn the_given_paths_are_read_as_the_kit_reads_them() {
        let kit = std::fs::read_to_string(crate::kit_root().join("kit.toml")).unwrap();
        assert_eq!(given_paths(&kit), crate::kit::kit().given.paths);
    }
}
