//! Cargo.lock, read as the set of packages it pins, and the kit's trimmed
//! to an export's members.
//!
//! A lock file is a given file, but not one compared line by line: cargo
//! rewrites it to fit the workspace it sits in, so a lab-only workspace (the
//! students' template, or a clone without the solution) holds fewer packages
//! than the kit's, and lists their dependencies differently. What matters is
//! that every package it pins is pinned as the kit pins it: the same
//! version, from the same source, with the same checksum.

use std::collections::BTreeSet;

use toml_edit::Item;

use super::{parse, set_string, Bundle};

/// One pinned package: name, version, source and checksum (the last two
/// empty for a workspace package).
type Pin = (String, String, String, String);

/// The packages a lock file pins, or why it cannot be read.
pub fn pins(text: &str) -> Result<BTreeSet<Pin>, String> {
    let lock: toml::Table = toml::from_str(text).map_err(|e| format!("not a lock file: {e}"))?;
    let packages = lock.get("package").and_then(|p| p.as_array()).ok_or("a lock file without packages")?;
    packages
        .iter()
        .map(|package| {
            let field = |key: &str| package.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            match (field("name"), field("version")) {
                (name, version) if !name.is_empty() && !version.is_empty() => {
                    Ok((name, version, field("source"), field("checksum")))
                }
                _ => Err("a package without a name or version".to_owned()),
            }
        })
        .collect()
}

/// Whether every package `clone` pins is pinned the same way in `kit` (see
/// the module documentation). An unreadable lock never is.
pub fn pins_only_what_the_kit_pins(kit: &str, clone: &str) -> bool {
    match (pins(kit), pins(clone)) {
        (Ok(kit), Ok(clone)) => clone.is_subset(&kit),
        _ => false,
    }
}

/// The lock cargo writes for the workspace under `prefix` in the bundle,
/// starting from the kit's: `cargo update --workspace --offline` resolves
/// again from the local index, keeps the kit's versions, and drops what no
/// member uses.
pub(super) fn trimmed(bundle: &Bundle, prefix: &str, kit_lock: &str) -> Result<String, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot make a scratch folder: {e}"))?;
    let mut workspace = Bundle::default();
    for (path, (contents, executable)) in &bundle.files {
        if let Some(inner) = path.strip_prefix(prefix) {
            workspace.add(inner, contents.clone(), *executable);
        }
    }
    workspace.add("Cargo.lock", kit_lock, false);
    workspace.write_dir(scratch.path())?;
    let output = std::process::Command::new(crate::sandbox::cargo_program())
        .args(["update", "--workspace", "--offline"])
        .current_dir(scratch.path())
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "cargo could not trim the kit's Cargo.lock to the export's workspace: {}",
            said.trim()
        ));
    }
    let lock = std::fs::read_to_string(scratch.path().join("Cargo.lock"))
        .map_err(|e| format!("cannot read the trimmed Cargo.lock: {e}"))?;
    // Offline, cargo keeps the versions it has; were one to change, the export would not be the kit.
    if !pins_only_what_the_kit_pins(kit_lock, &lock) {
        return Err("cargo changed a version of the kit's Cargo.lock while trimming it: run `cargo build` in the kit, then export again".into());
    }
    Ok(lock)
}

/// `lock` with the workspace's own package `package` at `version` pinned at
/// `new` instead (a batch's copy of the lab; see `own_version`), the rest as it was.
pub fn with_version(lock: &str, package: &str, version: &str, new: &str) -> Result<String, String> {
    let mut document = parse(lock, "the workspace's Cargo.lock")?;
    let packages = document.get_mut("package").and_then(Item::as_array_of_tables_mut);
    let pinned = packages.into_iter().flat_map(|p| p.iter_mut()).find(|pinned| {
        let field = |key: &str| pinned.get(key).and_then(Item::as_str);
        field("name") == Some(package) && field("version") == Some(version) && !pinned.contains_key("source")
    });
    let Some(pinned) = pinned else {
        return Err(format!("the workspace's Cargo.lock pins no {package} {version} of its own"));
    };
    set_string(&mut pinned["version"], new);
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kit_lock() -> String {
        std::fs::read_to_string(crate::kit_root().join("Cargo.lock")).unwrap()
    }

    /// The kit's lock less the entries of `names`.
    fn without(lock: &str, names: &[&str]) -> String {
        lock.split("\n[[package]]\n")
            .filter(|entry| !names.iter().any(|name| entry.starts_with(&format!("name = \"{name}\"\n"))))
            .collect::<Vec<_>>()
            .join("\n[[package]]\n")
    }

    #[test]
    fn the_kits_own_lock_and_one_with_fewer_packages_pin_only_the_kits() {
        let lock = kit_lock();
        assert!(pins(&lock).unwrap().iter().any(|(name, ..)| name == "rocket"));
        assert!(pins_only_what_the_kit_pins(&lock, &lock));
        let fewer = without(&lock, &["grader", "solution", "chromiumoxide"]);
        assert!(pins(&fewer).unwrap().len() < pins(&lock).unwrap().len());
        assert!(pins_only_what_the_kit_pins(&lock, &fewer));
        assert!(!pins_only_what_the_kit_pins(&fewer, &lock), "the kit's lock pins more");
    }

    #[test]
    fn another_version_checksum_or_an_unreadable_lock_is_not_the_kits() {
        let lock = kit_lock();
        let bumped =
            lock.replacen("name = \"rocket\"\nversion = \"0.5.", "name = \"rocket\"\nversion = \"0.6.", 1);
        assert_ne!(bumped, lock);
        assert!(!pins_only_what_the_kit_pins(&lock, &bumped));
        let checksum = lock.find("checksum = \"").unwrap() + "checksum = \"".len();
        let mut other = lock.clone();
        other.replace_range(checksum..checksum + 4, "zzzz");
        assert!(!pins_only_what_the_kit_pins(&lock, &other));
        assert!(!pins_only_what_the_kit_pins(&lock, "not [a lock"));
    }
}
