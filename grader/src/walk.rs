//! The one walk of a folder tree the grader makes: the kit's files outside
//! git (`workspace_files::kit_files`, and `build.rs`, which includes this
//! file), the given files of a kit (`kit`), a copy of the lab it syncs, and a
//! clone's build files (`build_files`, on a tree that is the student's).
//!
//! A symbolic link is listed as itself and never followed, wherever it
//! points (`.`, `/`, another tree): the walk ends, and lists nothing outside
//! the tree. Its bounds, where asked for, hold against a tree made to be
//! endless: so many entries, so deep.

use std::path::Path;

/// What the walk found at a path (folders are walked into, not listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    /// A symbolic link, whatever it points at: never followed.
    Link,
    /// Anything else (a pipe, a socket, a device).
    Other,
}

/// What a walk found: `/`-separated paths relative to the root, in no
/// particular order, and whether the walk stopped at a bound.
#[derive(Debug, Default)]
pub struct Listing {
    pub found: Vec<(String, Kind)>,
    /// A bound was reached: what lies beyond it was not looked at.
    pub cut_short: bool,
}

impl Listing {
    /// The paths of the files and links found.
    pub fn files_and_links(self) -> Vec<String> {
        self.found.into_iter().filter(|(_, kind)| *kind != Kind::Other).map(|(path, _)| path).collect()
    }
}

/// How to walk: what to pass over, and the bounds.
#[derive(Clone, Copy)]
pub struct Walk<'a> {
    /// Whether the entry `name` (a folder when the second argument is true)
    /// is passed over: neither listed nor walked into.
    pub skip: &'a dyn Fn(&str, bool) -> bool,
    /// The walk stops after looking at this many entries (passed over or not).
    pub max_entries: usize,
    /// Nor goes deeper than this many folders below where it starts.
    pub max_depth: usize,
}

impl Default for Walk<'_> {
    /// Everything, without bounds: for trees that are no student's.
    fn default() -> Self {
        Walk { skip: &|_, _| false, max_entries: usize::MAX, max_depth: usize::MAX }
    }
}

impl Walk<'_> {
    /// What lies under `relative` (`/`-separated; `""` or `.` for `root`
    /// itself) in `root`. A `relative` that is a file or a link is found as
    /// itself; `root` itself is the caller's, and a link there is followed.
    pub fn under(&self, root: &Path, relative: &str) -> Listing {
        let relative = match relative.trim_start_matches("./") {
            "." => "",
            inner => inner,
        };
        let mut listing = Listing::default();
        let start =
            if relative.is_empty() { root.metadata() } else { root.join(relative).symlink_metadata() };
        let Ok(start) = start else { return listing };
        if !start.is_dir() {
            if !relative.is_empty() {
                listing.found.push((relative.to_owned(), kind_of(start.file_type())));
            }
            return listing;
        }
        let mut folders: Vec<(String, usize)> = vec![(relative.to_owned(), 0)];
        let mut seen = 0usize;
        while let Some((folder, depth)) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(root.join(&folder)) else { continue };
            for entry in entries.flatten() {
                seen += 1;
                if seen > self.max_entries {
                    listing.cut_short = true;
                    folders.clear();
                    break;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                // The entry's own type: a link is a link, whatever it points at.
                let Ok(kind) = entry.file_type() else { continue };
                if (self.skip)(&name, kind.is_dir()) {
                    continue;
                }
                let path = if folder.is_empty() { name } else { format!("{folder}/{name}") };
                if !kind.is_dir() {
                    listing.found.push((path, kind_of(kind)));
                } else if depth + 1 > self.max_depth {
                    listing.cut_short = true;
                } else {
                    folders.push((path, depth + 1));
                }
            }
        }
        listing
    }
}

fn kind_of(kind: std::fs::FileType) -> Kind {
    if kind.is_symlink() {
        Kind::Link
    } else if kind.is_file() {
        Kind::File
    } else {
        Kind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut found: Vec<(String, Kind)>) -> Vec<(String, Kind)> {
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    #[cfg(unix)]
    #[test]
    fn links_are_listed_never_followed_and_skipped_names_passed_over() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path();
        std::fs::create_dir_all(path.join("lab/src")).unwrap();
        std::fs::create_dir_all(path.join("lab/target/debug")).unwrap();
        std::fs::write(path.join("lab/src/main.rs"), "").unwrap();
        std::fs::write(path.join("lab/target/debug/lab"), "").unwrap();
        std::fs::write(path.join("lab/.hidden"), "").unwrap();
        std::os::unix::fs::symlink(".", path.join("lab/src/loop")).unwrap();
        std::os::unix::fs::symlink("/", path.join("lab/root")).unwrap();
        let all = Walk::default().under(path, "lab");
        assert!(!all.cut_short);
        let file = |p: &str| (p.to_owned(), Kind::File);
        let link = |p: &str| (p.to_owned(), Kind::Link);
        assert_eq!(
            sorted(all.found),
            [
                file("lab/.hidden"),
                link("lab/root"),
                link("lab/src/loop"),
                file("lab/src/main.rs"),
                file("lab/target/debug/lab"),
            ]
        );
        let plain = Walk { skip: &|name, _| name.starts_with('.') || name == "target", ..Walk::default() };
        assert_eq!(
            sorted(plain.under(path, ".").found),
            [link("lab/root"), link("lab/src/loop"), file("lab/src/main.rs")]
        );
        // Where it starts is found as itself when it is no folder.
        assert_eq!(plain.under(path, "lab/root").found, [link("lab/root")]);
        assert_eq!(plain.under(path, "lab/src/main.rs").found, [file("lab/src/main.rs")]);
        assert!(plain.under(path, "none").found.is_empty());
    }

    #[test]
    fn the_bounds_cut_the_walk_short() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("f"), "").unwrap();
        let shallow = Walk { max_depth: 2, ..Walk::default() }.under(root.path(), "");
        assert!(shallow.cut_short && shallow.found.is_empty());
        let enough = Walk { max_depth: 3, ..Walk::default() }.under(root.path(), "");
        assert!(!enough.cut_short);
        assert_eq!(enough.found, [("a/b/c/f".to_owned(), Kind::File)]);
        for number in 0..10 {
            std::fs::write(root.path().join(format!("{number}")), "").unwrap();
        }
        let few = Walk { max_entries: 5, ..Walk::default() }.under(root.path(), "");
        assert!(few.cut_short && few.found.len() <= 5, "{few:?}");
    }
}
