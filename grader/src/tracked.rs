//! What git says of a checkout, the kit's or a student's clone: its commit,
//! what a reference names in it, what differs from its commit (see
//! `workspace_files::kit_files` for the kit's files as git tracks them).

use std::path::Path;

/// What `git -C dir ARGS PATHS` prints, where it succeeds (see [`crate::git`]).
fn git(dir: &Path, args: &[&str], paths: &[String]) -> Option<Vec<u8>> {
    let mut all = args.to_vec();
    all.extend(paths.iter().map(String::as_str));
    crate::git::Git::default().in_dir(dir, &all).ok()
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
        assert_eq!(crate::workspace_files::kit_files::files(root, &["lab".into()]), ["lab/src/a.rs"]);
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
        assert_eq!(
            crate::workspace_files::kit_files::files(root, &["lab".into()]),
            ["lab/src/a.rs"],
            "an untracked file is not the kit's"
        );
        assert_eq!(uncommitted(root, &["lab".into()]), [" M lab/src/a.rs", "?? lab/src/b.rs"]);
        assert_eq!(commit(root), Some(format!("{head}-dirty")));
    }
}
