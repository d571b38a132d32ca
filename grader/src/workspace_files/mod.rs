//! The workspace files the grader writes and edits, and the kit's files it
//! reads to write them: one place for each.
//!
//! - [`Bundle`]: a set of files (an export, or a workspace of the lab), and
//!   how it is written: into a new folder, over a folder it keeps in sync
//!   ([`write_if_changed`]: never through a link), or as a zip (`zip`).
//! - [`lab_workspace`]: the kit's lab as a workspace of its own, which the
//!   students' template starts from and `grader batch` copies; [`own_version`]
//!   gives each of a batch's copies of it a version of its own (`manifests`).
//! - `manifests`: the edits of a workspace's `Cargo.toml` files (its members,
//!   a package's version, a package's profile), made with `toml_edit`, so
//!   what an edit does not change stays as it was, comments included.
//! - [`lock`]: `Cargo.lock`, read as the packages it pins, the kit's
//!   trimmed to an export's members, and a batch copy's version pinned.
//! - [`kit_files`]: the kit's files as the grader reads them (git-tracked,
//!   else on disk) and the given paths of `kit.toml`: shared with `build.rs`,
//!   which includes that file, so the build embeds what the exports copy.

pub mod kit_files;
pub mod lock;
mod manifests;
mod zip;

use std::collections::BTreeMap;
use std::path::Path;

use crate::kit::Kit;

pub use manifests::{own_version, workspace_manifest};

/// `text` parsed for editing (`what` names it in the error).
fn parse(text: &str, what: &str) -> Result<toml_edit::DocumentMut, String> {
    text.parse().map_err(|e| format!("cannot read {what}: {e}"))
}

/// Sets `item` to the string `text`, keeping the spaces and comment around
/// the value it replaces.
fn set_string(item: &mut toml_edit::Item, text: &str) {
    let decor = item.as_value().map(|value| value.decor().clone());
    *item = toml_edit::value(text);
    if let (Some(decor), Some(value)) = (decor, item.as_value_mut()) {
        *value.decor_mut() = decor;
    }
}

/// The files an export writes: `/`-separated paths, contents, and whether each is executable.
#[derive(Debug, Default, Clone)]
pub struct Bundle {
    files: BTreeMap<String, (Vec<u8>, bool)>,
}

impl Bundle {
    pub fn add(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>, executable: bool) {
        self.files.insert(path.into(), (contents.into(), executable));
    }

    /// Adds the kit's file `path` (relative to `kit`) under `prefix`, keeping its executable bit.
    pub(crate) fn copy(&mut self, kit: &Path, path: &str, prefix: &str) -> Result<(), String> {
        let full = kit.join(path);
        let contents = std::fs::read(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))?;
        #[cfg(unix)]
        let executable = {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(&full).map(|m| m.permissions().mode() & 0o111 != 0).unwrap_or(false)
        };
        #[cfg(not(unix))]
        let executable = false;
        self.add(format!("{prefix}{path}"), contents, executable);
        Ok(())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|(contents, _)| contents.as_slice())
    }

    /// Writes the files into `dir`, which must not exist yet or be empty:
    /// an export never mixes with what is already there.
    pub fn write_dir(&self, dir: &Path) -> Result<(), String> {
        if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(format!("{} is not empty: export into a new folder", dir.display()));
        }
        for (path, (contents, executable)) in &self.files {
            let to = dir.join(path);
            write_if_changed(dir, path, contents)?;
            #[cfg(unix)]
            if *executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| format!("cannot make {} executable: {e}", to.display()))?;
            }
        }
        Ok(())
    }

    /// Makes `dir` hold exactly these files: writes those that differ (the
    /// others keep their times, so cargo's builds there stay fresh) and
    /// removes those the bundle does not have.
    pub fn sync_dir(&self, dir: &Path) -> Result<(), String> {
        for stale in kit_files::walk(dir, "") {
            if !self.files.contains_key(&stale) {
                std::fs::remove_file(dir.join(&stale)).map_err(|e| format!("cannot remove {stale}: {e}"))?;
            }
        }
        for (path, (contents, _)) in &self.files {
            write_if_changed(dir, path, contents)?;
        }
        Ok(())
    }

    /// Writes the files as a zip archive at `file` (replacing it), through a
    /// temporary file beside it, so a failed export leaves no half archive.
    pub fn write_zip(&self, file: &Path) -> Result<(), String> {
        let entries: Vec<(String, Vec<u8>, bool)> =
            self.files.iter().map(|(path, (contents, x))| (path.clone(), contents.clone(), *x)).collect();
        let archive = zip::zip(&entries)?;
        let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temporary = tempfile::NamedTempFile::new_in(folder)
            .map_err(|e| format!("cannot write in {}: {e}", folder.display()))?;
        std::fs::write(temporary.path(), archive)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        temporary.persist(file).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        Ok(())
    }
}

/// Writes `contents` to `file` unless it holds them already (its time then
/// stays, and cargo sees nothing new), making its folder if need be.
/// (`relative`, inside `root`).
///
/// Never through a symbolic link below `root`: a folder a build or a server
/// may have written (a copy of the lab) can hold links to the instructor's
/// files. A link where a folder or the file should be is removed and replaced.
pub fn write_if_changed(root: &Path, relative: &str, contents: &[u8]) -> Result<(), String> {
    let file = &root.join(relative);
    let is_link = |path: &Path| path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
    if !is_link(file) && crate::build_files::read_regular(file).is_some_and(|now| now == contents) {
        return Ok(());
    }
    std::fs::create_dir_all(root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    let below: Vec<&Path> =
        Path::new(relative).ancestors().skip(1).filter(|p| !p.as_os_str().is_empty()).collect();
    for folder in below.into_iter().rev().map(|p| root.join(p)) {
        let folder = folder.as_path();
        if is_link(folder) {
            std::fs::remove_file(folder)
                .map_err(|e| format!("cannot remove the link {}: {e}", folder.display()))?;
        }
        if !folder.exists() {
            std::fs::create_dir(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        }
    }
    if is_link(file) {
        std::fs::remove_file(file).map_err(|e| format!("cannot remove the link {}: {e}", file.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let write = |mut opened: std::fs::File| std::io::Write::write_all(&mut opened, contents);
    options.open(file).and_then(write).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// The kit's lab as a workspace of its own: the given files, the student
/// files as the starter has them, the manifest, a `Cargo.toml` of the lab
/// alone and its trimmed lock. The students' template starts from it, and
/// `grader batch` lays each clone's student files over a copy of it.
pub fn lab_workspace(kit_root: &Path, kit: &Kit) -> Result<Bundle, String> {
    let mut bundle = Bundle::default();
    add_the_lab(&mut bundle, kit_root, kit, "")?;
    add_the_workspace(&mut bundle, kit_root, &[kit.lab.package.as_str()], "")?;
    Ok(bundle)
}

/// Adds what every export carries: the kit manifest, the given files and the
/// student files as the starter has them, under `prefix`.
pub(crate) fn add_the_lab(
    bundle: &mut Bundle,
    kit_root: &Path,
    kit: &Kit,
    prefix: &str,
) -> Result<(), String> {
    let mut paths = kit.given.paths.clone();
    paths.extend(kit.student.all().iter().map(|f| f.file.clone()));
    paths.push("kit.toml".into());
    for file in kit_files::files(kit_root, &paths) {
        if file != "Cargo.lock" {
            bundle.copy(kit_root, &file, prefix)?;
        }
    }
    Ok(())
}

/// The kit's workspace, trimmed to `members`: its `Cargo.toml` with only
/// those members, and the `Cargo.lock` cargo makes of the kit's for them
/// (the kit's versions, fewer packages), so `--locked` builds work in the
/// export. Call it last: cargo reads the members' files from the bundle.
pub(crate) fn add_the_workspace(
    bundle: &mut Bundle,
    kit_root: &Path,
    members: &[&str],
    prefix: &str,
) -> Result<(), String> {
    let read = |file: &str| {
        std::fs::read_to_string(kit_root.join(file)).map_err(|e| format!("cannot read the kit's {file}: {e}"))
    };
    let manifest = read("Cargo.toml")?;
    bundle.add(format!("{prefix}Cargo.toml"), workspace_manifest(&manifest, members)?, false);
    let kit_lock = read("Cargo.lock")?;
    let lock = lock::trimmed(bundle, prefix, &kit_lock)?;
    bundle.add(format!("{prefix}Cargo.lock"), lock, false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the lab a build or a server wrote may hold links to the
    /// instructor's files (a folder, a file): syncing it replaces each link,
    /// and never writes, truncates or removes what a link points at.
    #[cfg(unix)]
    #[test]
    fn syncing_a_folder_never_goes_through_a_link_planted_in_it() {
        let copy = tempfile::tempdir().unwrap();
        let instructor = tempfile::tempdir().unwrap();
        let (file, other) = (instructor.path().join("notes.txt"), instructor.path().join("src.rs"));
        std::fs::write(&file, "mine").unwrap();
        std::fs::write(&other, "mine too").unwrap();
        std::fs::create_dir_all(copy.path().join("lab")).unwrap();
        std::os::unix::fs::symlink(&file, copy.path().join("lab/Cargo.toml")).unwrap();
        std::os::unix::fs::symlink(instructor.path(), copy.path().join("lab/src")).unwrap();
        let mut bundle = Bundle::default();
        bundle.add("lab/Cargo.toml", "[package]\n", false);
        bundle.add("lab/src/lib.rs", "//! lab\n", false);
        bundle.sync_dir(copy.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "mine too");
        assert!(!instructor.path().join("lib.rs").exists());
        assert_eq!(std::fs::read_to_string(copy.path().join("lab/Cargo.toml")).unwrap(), "[package]\n");
        assert!(copy.path().join("lab/src").symlink_metadata().unwrap().is_dir());
        assert_eq!(std::fs::read_to_string(copy.path().join("lab/src/lib.rs")).unwrap(), "//! lab\n");
    }

    /// Syncing removes what the bundle does not hold, but not the hidden
    /// files nor the build output the walk passes over.
    #[test]
    fn syncing_a_folder_removes_the_files_the_bundle_lacks() {
        let copy = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(copy.path().join("lab/src")).unwrap();
        std::fs::create_dir_all(copy.path().join("target")).unwrap();
        for stale in ["lab/src/old.rs", ".hidden", "target/kept"] {
            std::fs::write(copy.path().join(stale), "x").unwrap();
        }
        let mut bundle = Bundle::default();
        bundle.add("lab/src/lib.rs", "//! lab\n", false);
        bundle.sync_dir(copy.path()).unwrap();
        assert!(!copy.path().join("lab/src/old.rs").exists());
        assert!(copy.path().join(".hidden").exists() && copy.path().join("target/kept").exists());
        assert_eq!(kit_files::walk(copy.path(), ""), ["lab/src/lib.rs"]);
    }
}
