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
/// outside `target/` and `.git/` folders, within the bounds above.
pub fn walk(root: &Path) -> Walk {
    let mut walk = Walk::default();
    let mut folders: Vec<(String, usize)> = vec![(String::new(), 0)];
    let mut seen = 0usize;
    while let Some((folder, depth)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&folder)) else { continue };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                walk.cut_short = true;
                folders.clear();
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if folder.is_empty() { name.clone() } else { format!("{folder}/{name}") };
            // The entry's own type: a link is a link, whatever it points at.
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                if name == ".git" || name == "target" {
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    walk.cut_short = true;
                    continue;
                }
                folders.push((path, depth + 1));
            } else if kind.is_symlink() {
                // A link where cargo or CI would look (`.cargo` itself included) is named.
                if decides_the_build(&path) || path == ".cargo" || path == ".github" {
                    walk.files.push((path, Found::Link));
                }
            } else if decides_the_build(&path) {
                let found = if kind.is_file() { read_capped(&root.join(&path)) } else { Found::NotAFile };
                walk.files.push((path, found));
            }
        }
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
