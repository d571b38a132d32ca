//! The files of a kit: those git tracks, where the kit is a checkout, else
//! those on disk. Shared by `build.rs` (the given files it embeds) and the
//! exports (what they copy), so both read a kit the same way.

use std::path::Path;

/// Whether the `/`-separated path (relative to a workspace's root) is one
/// that decides how the workspace is built or graded: the root manifest and
/// lock, cargo's configuration, the toolchain pin, any build script, the CI
/// configuration. `build.rs` embeds the kit's; `build_files` finds a clone's.
pub fn decides_the_build(path: &str) -> bool {
    matches!(path, "Cargo.toml" | "Cargo.lock" | "rust-toolchain" | "rust-toolchain.toml" | "build.rs")
        || path.starts_with(".cargo/")
        || path.starts_with(".github/")
        || path.ends_with("/build.rs")
}

/// What `git -C dir ARGS PATHS` prints, where it succeeds (see [`crate::git`]).
fn git(dir: &Path, args: &[&str], paths: &[String]) -> Option<Vec<u8>> {
    let mut all = args.to_vec();
    all.extend(paths.iter().map(String::as_str));
    crate::git::Git::default().in_dir(dir, &all).ok()
}

/// The kit's files under `paths` (files or folders, `/`-separated), sorted.
pub fn files(kit: &Path, paths: &[String]) -> Vec<String> {
    let tracked = git(kit, &["ls-files", "-z", "--"], paths).filter(|listed| !listed.is_empty());
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

/// The files under `paths` that differ from the checked-out commit: changed,
/// added or untracked, as `git status --short` says them (empty outside a
/// checkout). An export copies what is on disk, so these are what it would
/// hold that the commit does not.
pub fn uncommitted(kit: &Path, paths: &[String]) -> Vec<String> {
    let status = git(kit, &["status", "--porcelain", "--untracked-files=all", "--"], paths);
    status.map(|said| String::from_utf8_lossy(&said).lines().map(str::to_owned).collect()).unwrap_or_default()
}

/// The commit checked out in the git checkout `dir`, `-dirty` when it has
/// changes no commit holds; `None` outside git.
pub fn commit(dir: &Path) -> Option<String> {
    let git =
        |args: &[&str]| git(dir, args, &[]).map(|said| String::from_utf8_lossy(&said).trim().to_owned());
    // Only a checkout of its own: a clone inside another repository is not that repository's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    let head = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// The full id of the commit `reference` (a tag, a branch, `HEAD`, a commit)
/// names in the git checkout `dir`; a full commit id stands for itself
/// outside git. `None` when neither holds.
pub fn resolve(dir: &Path, reference: &str) -> Option<String> {
    let is_commit_id = |text: &str| text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit());
    // `--end-of-options`: a reference that starts with `-` is no option of git's.
    let named = format!("{reference}^{{commit}}");
    let resolved = git(dir, &["rev-parse", "--verify", "--quiet", "--end-of-options", &named], &[])
        .map(|said| String::from_utf8_lossy(&said).trim().to_owned())
        .filter(|id| is_commit_id(id));
    resolved.or_else(|| is_commit_id(reference).then(|| reference.to_ascii_lowercase()))
}

/// The files under `relative` in `root`, without build output or hidden folders.
///
/// A symbolic link is listed as itself, never followed: a link to a folder
/// outside would list (and, for a caller that removes what it lists, lose)
/// another tree's files.
pub fn walk(root: &Path, relative: &str) -> Vec<String> {
    let full = root.join(relative);
    let Ok(found) = full.symlink_metadata() else { return Vec::new() };
    if found.is_file() || found.file_type().is_symlink() {
        return vec![relative.to_owned()];
    }
    let Ok(entries) = std::fs::read_dir(&full) else { return Vec::new() };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name != "target"
        })
        .flat_map(|e| walk(root, &format!("{relative}/{}", e.file_name().to_string_lossy())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    }

    /// A student's repository may name programs in its config (fsmonitor) and
    /// hooks: reading its commit runs neither.
    #[cfg(unix)]
    #[test]
    fn reading_a_commit_runs_no_program_of_the_repository() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("clone");
        std::fs::create_dir_all(&root).unwrap();
        git(&root, &["init", "-q"]);
        std::fs::write(root.join("a.txt"), "a").unwrap();
        git(&root, &["add", "a.txt"]);
        git(&root, &["commit", "-qm", "one"]);
        let marker = dir.path().join("ran");
        let program = dir.path().join("program.sh");
        std::fs::write(&program, format!("#!/bin/sh\necho \"$0\" >> {}\n", marker.display())).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        git(&root, &["config", "core.fsmonitor", program.to_str().unwrap()]);
        for hook in ["post-index-change", "post-checkout", "pre-commit"] {
            std::fs::copy(&program, root.join(".git/hooks").join(hook)).unwrap();
        }
        // Touched, so that `git status` refreshes the index.
        std::fs::write(root.join("a.txt"), "a").unwrap();
        assert!(commit(&root).is_some());
        assert!(!marker.exists(), "ran: {}", std::fs::read_to_string(&marker).unwrap_or_default());
    }

    #[test]
    fn tracked_files_are_listed_and_uncommitted_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("lab/src")).unwrap();
        std::fs::write(root.join("lab/src/a.rs"), "a").unwrap();
        std::fs::write(root.join("other.txt"), "o").unwrap();
        // Outside a checkout: what is on disk.
        assert_eq!(files(root, &["lab".into()]), ["lab/src/a.rs"]);
        assert_eq!(uncommitted(root, &["lab".into()]), Vec::<String>::new());
        assert_eq!(commit(root), None);
        git(root, &["init", "-q"]);
        git(root, &["add", "lab/src/a.rs"]);
        git(root, &["commit", "-qm", "one"]);
        let head = commit(root).unwrap();
        assert!(head.len() == 12 && head.chars().all(|c| c.is_ascii_hexdigit()), "{head}");
        assert_eq!(commit(&root.join("lab")), None, "a folder inside a checkout is not a clone");
        std::fs::write(root.join("lab/src/b.rs"), "b").unwrap();
        std::fs::write(root.join("lab/src/a.rs"), "changed").unwrap();
        assert_eq!(files(root, &["lab".into()]), ["lab/src/a.rs"], "an untracked file is not the kit's");
        assert_eq!(uncommitted(root, &["lab".into()]), [" M lab/src/a.rs", "?? lab/src/b.rs"]);
        assert_eq!(commit(root), Some(format!("{head}-dirty")));
    }
}
