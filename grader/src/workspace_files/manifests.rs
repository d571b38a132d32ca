//! The edits of a workspace's manifests: the members of the kit's workspace
//! an export keeps, and the version and profile of each of a batch's copies
//! of the lab.

use super::Bundle;

/// The kit's root `Cargo.toml` with only `members` in its workspace: what
/// an export writes, and what `integrity` takes as given in a template's clone.
pub fn workspace_manifest(kit_manifest: &str, members: &[&str]) -> Result<String, String> {
    let line = kit_manifest
        .lines()
        .find(|l| l.trim_start().starts_with("members"))
        .ok_or("the kit's Cargo.toml has no `members = [...]` line")?;
    let listed = members.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ");
    Ok(kit_manifest.replacen(line, &format!("members = [{listed}]"), 1))
}

/// The copy of the lab for job `job`, its package given a version of its
/// own (`0.1.0-batch.2`). Cargo tells builds of a package apart by name and
/// version, not by folder: with a version each, the copies keep their own
/// builds in the one target folder, and each rebuilds only what changed
/// since its last clone, however the jobs take turns. The package is built
/// without debug information, which no grade reads: a third off each build.
pub fn own_version(workspace: &Bundle, package: &str, job: usize) -> Result<Bundle, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace_files::lab_workspace;

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
}
