//! The batch's copies of the kit's lab: one per job in the shared target
//! folder, each with a package version of its own so Cargo keeps each
//! copy's build apart, each locked while a batch holds it, and each lent to
//! one grade at a time, which lays a clone's student files over it. The run
//! only takes and gives back copies; how they are made and kept is here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::kit::Kit;
use crate::workspace_files::{write_if_changed, Bundle};

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
