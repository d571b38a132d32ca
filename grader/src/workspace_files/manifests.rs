//! The edits of a workspace's manifests: the members of the kit's workspace
//! an export keeps, and the version and profile of each of a batch's copies
//! of the lab. Each is an edit of the parsed document (`toml_edit`): what it
//! does not change, comments and layout included, stays as it was.

use toml_edit::{DocumentMut, Item, Table};

use super::{lock, parse, set_string, Bundle};

/// The kit's root `Cargo.toml` with only `members` in its workspace (each
/// as the kit lists it, in the kit's order): what an export writes, and what
/// `integrity` takes as given in a template's clone.
pub fn workspace_manifest(kit_manifest: &str, members: &[&str]) -> Result<String, String> {
    let mut manifest = parse(kit_manifest, "the kit's Cargo.toml")?;
    let listed = manifest
        .get_mut("workspace")
        .and_then(|workspace| workspace.get_mut("members"))
        .and_then(Item::as_array_mut)
        .ok_or("the kit's Cargo.toml has no `members = [...]` in its `[workspace]`")?;
    let has = |member: &str| listed.iter().any(|m| m.as_str() == Some(member));
    if let Some(missing) = members.iter().find(|member| !has(member)) {
        return Err(format!("the kit's workspace has no member `{missing}`"));
    }
    // The first kept keeps the place of the first listed: `["lab", ...]`, not `[ "lab", ...]`.
    let first = listed.get(0).map(|m| m.decor().clone());
    listed.retain(|member| member.as_str().is_some_and(|m| members.contains(&m)));
    if let (Some(first), Some(kept)) = (first, listed.get_mut(0)) {
        if let Some(prefix) = first.prefix() {
            kept.decor_mut().set_prefix(prefix.clone());
        }
    }
    Ok(manifest.to_string())
}

/// The copy of the lab for job `job`, its package given a version of its
/// own (`0.1.0-batch.2`). Cargo tells builds of a package apart by name and
/// version, not by folder: with a version each, the copies keep their own
/// builds in the one target folder, and each rebuilds only what changed
/// since its last clone, however the jobs take turns. The package is built
/// without debug information, which no grade reads: a third off each build.
pub fn own_version(workspace: &Bundle, package: &str, job: usize) -> Result<Bundle, String> {
    let text = |path: &str| String::from_utf8_lossy(workspace.get(path).unwrap_or_default()).into_owned();
    let path = format!("{package}/Cargo.toml");
    let mut manifest = parse(&text(&path), &path)?;
    let version = manifest.get_mut("package").and_then(|p| p.get_mut("version")).filter(|v| v.is_str());
    let Some(version) = version else {
        return Err(format!("{path} has no `version = \"...\"` of its own: grade with --as-is, or --jobs 1"));
    };
    let was = version.as_str().unwrap_or_default().to_owned();
    let own = format!("{was}-batch.{job}");
    set_string(version, &own);
    let mut copy = workspace.clone();
    copy.add(path, manifest.to_string(), false);
    copy.add("Cargo.lock", lock::with_version(&text("Cargo.lock"), package, &was, &own)?, false);
    copy.add("Cargo.toml", without_debug_info(&text("Cargo.toml"), package)?, false);
    Ok(copy)
}

/// The workspace's root manifest with `[profile.dev.package.PACKAGE]`
/// building `package` without debug information, unless it has that table.
fn without_debug_info(root: &str, package: &str) -> Result<String, String> {
    let mut manifest = parse(root, "the workspace's Cargo.toml")?;
    let packages = table_at(&mut manifest, &["profile", "dev", "package"])?;
    if !packages.contains_key(package) {
        let mut profile = Table::new();
        profile.insert("debug", toml_edit::value(0));
        profile.insert("strip", toml_edit::value("debuginfo"));
        packages.insert(package, Item::Table(profile));
    }
    Ok(manifest.to_string())
}

/// The table at `path` in `document`, made (as `[a.b]` headers make them) where missing.
fn table_at<'a>(document: &'a mut DocumentMut, path: &[&str]) -> Result<&'a mut Table, String> {
    let mut table = document.as_table_mut();
    for key in path {
        let item = table.entry(key).or_insert_with(|| {
            let mut implicit = Table::new();
            implicit.set_implicit(true);
            Item::Table(implicit)
        });
        table = item.as_table_mut().ok_or_else(|| format!("`{}` is not a table", path.join(".")))?;
    }
    Ok(table)
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

    /// The edits change what they are for and nothing else: comments, blank
    /// lines and the other tables stay, a version in `[dependencies]` is not
    /// the package's.
    #[test]
    fn the_edits_keep_comments_and_layout() {
        let mut workspace = Bundle::default();
        let lab = "# The lab.\n[package]\nname = \"lab\"\nversion = \"0.3.1\" # bumped by hand\n\n[dependencies]\nserde = { version = \"1\" }\n";
        workspace.add("lab/Cargo.toml", lab, false);
        let root =
            "[workspace]\n# who builds\nmembers = [\"lab\"]\n\n[profile.dev]\nopt-level = 1 # faster tests\n";
        workspace.add("Cargo.toml", root, false);
        let lock = "# generated\nversion = 4\n\n[[package]]\nname = \"lab\"\nversion = \"0.3.1\"\ndependencies = [\n \"serde\",\n]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\n";
        workspace.add("Cargo.lock", lock, false);
        let copy = own_version(&workspace, "lab", 3).unwrap();
        let text = |path: &str| String::from_utf8_lossy(copy.get(path).unwrap()).into_owned();
        assert_eq!(text("lab/Cargo.toml"), lab.replace("0.3.1", "0.3.1-batch.3"));
        assert_eq!(text("Cargo.lock"), lock.replacen("0.3.1", "0.3.1-batch.3", 1));
        assert_eq!(
            text("Cargo.toml"),
            format!("{root}\n[profile.dev.package.lab]\ndebug = 0\nstrip = \"debuginfo\"\n")
        );
        // A copy of a copy: its profile is there already, its version is bumped again.
        let again = own_version(&copy, "lab", 4).unwrap();
        assert_eq!(again.get("Cargo.toml"), copy.get("Cargo.toml"));
        assert!(
            String::from_utf8_lossy(again.get("Cargo.lock").unwrap()).contains("\"0.3.1-batch.3-batch.4\"")
        );
        // A lock that does not pin the package is not followed blindly.
        workspace.add("Cargo.lock", "version = 4\n", false);
        assert!(own_version(&workspace, "lab", 1).unwrap_err().contains("lab 0.3.1"));
    }

    #[test]
    fn the_workspace_keeps_the_members_asked_for_and_its_comments() {
        let kit = "[workspace]\nresolver = \"1\" # on purpose\nmembers = [\"lab\", \"solution\", \"grader\"]\n\n[workspace.package]\nedition = \"2021\"\n";
        let lab = workspace_manifest(kit, &["lab"]).unwrap();
        assert_eq!(lab, kit.replace("[\"lab\", \"solution\", \"grader\"]", "[\"lab\"]"));
        let two = workspace_manifest(kit, &["grader", "lab"]).unwrap();
        assert!(two.contains("members = [\"lab\", \"grader\"]\n"), "{two}");
        let without_lab = workspace_manifest(kit, &["grader"]).unwrap();
        assert!(without_lab.contains("members = [\"grader\"]\n"), "{without_lab}");
        let multiline = "[workspace]\nmembers = [\n    # the lab\n    \"lab\",\n    \"solution\",\n]\n";
        assert_eq!(
            workspace_manifest(multiline, &["lab"]).unwrap(),
            "[workspace]\nmembers = [\n    # the lab\n    \"lab\",\n]\n"
        );
        assert_eq!(
            workspace_manifest(kit, &["other"]).unwrap_err(),
            "the kit's workspace has no member `other`"
        );
        assert!(workspace_manifest("[package]\nname = \"x\"\n", &["lab"]).is_err());
    }
}
