//! The files that decide how a workspace is built or graded, besides its
//! code: the root `Cargo.toml` and `Cargo.lock`, cargo's configuration
//! (`.cargo/`), the toolchain pin (`rust-toolchain`, `rust-toolchain.toml`),
//! every `build.rs`, and the CI configuration (`.github/`). Which paths those
//! are, and a walk that finds them in a clone without trusting it.
//!
//! Which paths those are ([`decides_the_build`]) is shared with `build.rs`,
//! which includes this file and embeds the kit's copies; `integrity.rs`
//! compares a clone's with them.

use std::io::Read;
use std::path::Path;

use crate::walk::Kind;

/// Whether the `/`-separated path (relative to a workspace's root) is one
/// that decides how the workspace is built or graded: the root manifest and
/// lock, cargo's configuration, the toolchain pin, any build script, the CI
/// configuration. `build.rs` embeds the kit's; [`walk`] finds a clone's.
pub fn decides_the_build(path: &str) -> bool {
    matches!(path, "Cargo.toml" | "Cargo.lock" | "rust-toolchain" | "rust-toolchain.toml" | "build.rs")
        || path.starts_with(".cargo/")
        || path.starts_with(".github/")
        || path.ends_with("/build.rs")
}

/// The walk stops after this many files and folders: a clone cannot make it endless.
pub const MAX_ENTRIES: usize = 20_000;
/// Nor endlessly deep.
pub const MAX_DEPTH: usize = 32;
/// A build file larger than this is not read (and never the kit's).
pub const MAX_BYTES: u64 = 1 << 20;

/// What the walk found at a build file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A regular file and its contents.
    File(Vec<u8>),
    /// A symbolic link: never followed.
    Link,
    /// A regular file larger than [`MAX_BYTES`]: not read.
    TooLarge,
    /// Something else (a pipe, a socket, a device): not read.
    NotAFile,
}

/// The build files of a clone, and whether the walk was cut short.
#[derive(Debug, Default)]
pub struct Walk {
    /// `/`-separated paths, sorted.
    pub files: Vec<(String, Found)>,
    /// The clone holds more than [`MAX_ENTRIES`] entries, or deeper folders
    /// than [`MAX_DEPTH`]: what lies beyond was not looked at.
    pub cut_short: bool,
}

/// The build files under `root`, found without following a symbolic link,
/// outside `target/` and `.git/` folders, within the bounds above (see [`crate::walk`]).
pub fn walk(root: &Path) -> Walk {
    let skip = |name: &str, folder: bool| folder && (name == ".git" || name == "target");
    let walker = crate::walk::Walk { skip: &skip, max_entries: MAX_ENTRIES, max_depth: MAX_DEPTH };
    let listing = walker.under(root, "");
    let mut walk = Walk { files: Vec::new(), cut_short: listing.cut_short };
    for (path, kind) in listing.found {
        let found = match kind {
            // A link where cargo or CI would look (`.cargo` itself included) is named.
            Kind::Link if decides_the_build(&path) || path == ".cargo" || path == ".github" => Found::Link,
            Kind::File if decides_the_build(&path) => read_capped(&root.join(&path)),
            Kind::Other if decides_the_build(&path) => Found::NotAFile,
            Kind::Link | Kind::File | Kind::Other => continue,
        };
        walk.files.push((path, found));
    }
    walk.files.sort_by(|a, b| a.0.cmp(&b.0));
    walk
}

/// A regular file's contents, or `None` for a link, a file over
/// [`MAX_BYTES`], anything but a regular file, or nothing there: how the
/// grader reads a file of the submission, whose every byte is hostile.
pub fn read_regular(file: &Path) -> Option<Vec<u8>> {
    match read_capped(file) {
        Found::File(contents) => Some(contents),
        Found::Link | Found::TooLarge | Found::NotAFile => None,
    }
}

/// The file's contents, read without following a link that replaced it
/// since the walk looked (`O_NOFOLLOW`), at most [`MAX_BYTES`].
pub fn read_capped(file: &Path) -> Found {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let Ok(opened) = options.open(file) else {
        let link = file.symlink_metadata().is_ok_and(|meta| meta.file_type().is_symlink());
        return if link { Found::Link } else { Found::NotAFile };
    };
    match opened.metadata() {
        Ok(meta) if !meta.is_file() => return Found::NotAFile,
        Ok(meta) if meta.len() > MAX_BYTES => return Found::TooLarge,
        Err(_) => return Found::NotAFile,
        Ok(_) => {}
    }
    let mut contents = Vec::new();
    match opened.take(MAX_BYTES + 1).read_to_end(&mut contents) {
        Ok(_) if contents.len() as u64 > MAX_BYTES => Found::TooLarge,
        Ok(_) => Found::File(contents),
        Err(_) => Found::NotAFile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk reads the build files, names a link where cargo looks, passes
    /// over `.git/` and `target/`, and stops at its depth.
    #[cfg(unix)]
    #[test]
    fn the_walk_names_links_reads_build_files_and_stops_at_its_bounds() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path();
        std::fs::create_dir_all(path.join("lab/target/debug/build")).unwrap();
        std::fs::create_dir_all(path.join(".git")).unwrap();
        std::fs::write(path.join("Cargo.toml"), "[workspace]\n").unwrap();
        std::fs::write(path.join("lab/build.rs"), "fn main() {}\n").unwrap();
        std::fs::write(path.join("lab/target/debug/build/build.rs"), "").unwrap();
        std::fs::write(path.join(".git/build.rs"), "").unwrap();
        std::fs::write(path.join("lab/notes.txt"), "").unwrap();
        std::os::unix::fs::symlink("/", path.join(".cargo")).unwrap();
        let found = walk(path);
        assert!(!found.cut_short);
        let file = |path: &str, text: &str| (path.to_owned(), Found::File(text.as_bytes().to_vec()));
        assert_eq!(
            found.files,
            [
                (".cargo".to_owned(), Found::Link),
                file("Cargo.toml", "[workspace]\n"),
                file("lab/build.rs", "fn main() {}\n")
            ]
        );
        let deep: std::path::PathBuf = (0..=MAX_DEPTH).map(|n| n.to_string()).collect();
        std::fs::create_dir_all(path.join(deep)).unwrap();
        assert!(walk(path).cut_short, "deeper than {MAX_DEPTH} folders");
    }
}
