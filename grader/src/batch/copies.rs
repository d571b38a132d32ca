//! The batch's copies of the kit's lab: one per job in the shared target
//! folder, each with a package version of its own so Cargo keeps each
//! copy's build apart, each locked while a batch holds it, and each lent to
//! one grade at a time, which lays a clone's student files over it. The run
//! only takes and gives back copies; how they are made and kept is here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::export::{write_if_changed, Bundle};
use crate::kit::Kit;

/// A copy of the kit's lab, held by one grade; given back when dropped.
pub(super) struct Slot<'a> {
    pub(super) path: PathBuf,
    pool: &'a Mutex<Vec<PathBuf>>,
}

impl<'a> Slot<'a> {
    pub(super) fn take(pool: &'a Mutex<Vec<PathBuf>>) -> Result<Slot<'a>, String> {
        let path = pool.lock().unwrap_or_else(|e| e.into_inner()).pop().ok_or("no free copy of the lab")?;
        Ok(Slot { path, pool })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(std::mem::take(&mut self.path));
    }
}

/// The numbers of `count` copies of the lab in `target_dir` that no other
/// batch holds, each with its lock (`lab-N.lock`, held while the batch
/// runs): two batches on one target folder never lay files in one copy.
pub(super) fn free_copies(target_dir: &Path, count: usize) -> Result<Vec<(usize, std::fs::File)>, String> {
    let folder = target_dir.join("grader-batch");
    std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let mut free = Vec::new();
    for number in 1..=count + 64 {
        let path = folder.join(format!("lab-{number}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if crate::compile::try_lock(&file).map_err(|e| format!("cannot lock {}: {e}", path.display()))? {
            free.push((number, file));
            if free.len() == count {
                return Ok(free);
            }
        }
    }
    Err(format!("more than 64 other batches hold the copies of the lab in {}", folder.display()))
}

/// The copy of the lab for job `job`, its package given a version of its
/// own (`0.1.0-batch.2`). Cargo tells builds of a package apart by name and
/// version, not by folder: with a version each, the copies keep their own
/// builds in the one target folder, and each rebuilds only what changed
/// since its last clone, however the jobs take turns. The package is built
/// without debug information, which no grade reads: a third off each build.
pub(super) fn own_version(workspace: &Bundle, package: &str, job: usize) -> Result<Bundle, String> {
    let manifest = format!("{package}/Cargo.toml");
    let text = String::from_utf8_lossy(workspace.get(&manifest).unwrap_or_default()).into_owned();
    let line = text.lines().find(|l| l.trim_start().starts_with("version = \"")).ok_or_else(|| {
        format!("{manifest} has no `version = \"...\"` line: grade with --as-is, or --jobs 1")
    })?;
    let version = line.split('"').nth(1).unwrap_or_default();
    let own = format!("{version}-batch.{job}");
    let lock = String::from_utf8_lossy(workspace.get("Cargo.lock").unwrap_or_default()).replace(
        &format!("name = \"{package}\"\nversion = \"{version}\"\n"),
        &format!("name = \"{package}\"\nversion = \"{own}\"\n"),
    );
    let mut copy = workspace.clone();
    copy.add(manifest, text.replacen(line, &format!("version = \"{own}\""), 1), false);
    let root = String::from_utf8_lossy(workspace.get("Cargo.toml").unwrap_or_default()).into_owned();
    let table = format!("[profile.dev.package.{package}]");
    if !root.contains(&table) {
        copy.add("Cargo.toml", format!("{root}\n{table}\ndebug = 0\nstrip = \"debuginfo\"\n"), false);
    }
    copy.add("Cargo.lock", lock, false);
    Ok(copy)
}

/// Lays the clone's student files over the copy of the lab at `slot`; a
/// file the clone lacks is the starter's. Unchanged files are not rewritten.
pub(super) fn lay_student_files(
    kit: &Kit,
    clone: &Path,
    slot: &Path,
    workspace: &Bundle,
) -> Result<(), String> {
    for student in kit.student.all() {
        // Never through a link, nor more than the cap: the grade names such a file and fails at `builds`.
        let contents = match crate::build_files::read_regular(&clone.join(&student.file)) {
            Some(contents) => contents,
            None => workspace.get(&student.file).unwrap_or_default().to_vec(),
        };
        write_if_changed(slot, &student.file, &contents)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::lab_workspace;

    #[test]
    fn each_copy_of_the_lab_has_a_version_of_its_own() {
        let workspace = lab_workspace(&crate::kit_root(), crate::kit::kit()).unwrap();
        let copy = own_version(&workspace, "lab", 2).unwrap();
        let manifest = String::from_utf8_lossy(copy.get("lab/Cargo.toml").unwrap()).into_owned();
        assert!(manifest.contains("\nversion = \"0.1.0-batch.2\"\n"), "{manifest}");
        let lock = String::from_utf8_lossy(copy.get("Cargo.lock").unwrap()).into_owned();
        assert!(lock.contains("name = \"lab\"\nversion = \"0.1.0-batch.2\"\n"), "the lock follows");
        let root = String::from_utf8_lossy(copy.get("Cargo.toml").unwrap()).into_owned();
        assert!(root.ends_with("\n[profile.dev.package.lab]\ndebug = 0\nstrip = \"debuginfo\"\n"), "{root}");
        assert!(copy.get("lab/src/models.rs") == workspace.get("lab/src/models.rs"), "the rest is the lab's");
        let mut versionless = workspace.clone();
        versionless.add("lab/Cargo.toml", "[package]\nname = \"lab\"\nversion.workspace = true\n", false);
        assert!(own_version(&versionless, "lab", 1).unwrap_err().contains("--as-is"));
    }

    #[test]
    fn a_batch_takes_only_the_copies_no_other_batch_holds() {
        let target = tempfile::tempdir().unwrap();
        let first = free_copies(target.path(), 1).unwrap();
        let numbers = |copies: &[(usize, std::fs::File)]| copies.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(numbers(&first), [1]);
        let second = free_copies(target.path(), 2).unwrap();
        assert_eq!(numbers(&second), [2, 3], "copy 1 is held");
        drop(first);
        assert_eq!(numbers(&free_copies(target.path(), 1).unwrap()), [1], "copy 1 is free again");
    }
}
