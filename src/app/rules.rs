//! Saving "always allow" rules to the project config, keeping the file's comments and layout.

use std::path::Path;

/// Adds `rule` to `[permissions] allow` in `<root>/.claw/config.toml` (created if missing).
/// Returns a message for the user.
pub fn persist_allow_rule(root: &Path, rule: &str) -> Result<String, String> {
    let path = super::project_config_path(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut doc: toml_edit::DocumentMut =
        text.parse().map_err(|e| format!("{} is not valid TOML, so it was left alone: {e}", path.display()))?;
    let permissions = doc
        .entry("permissions")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| format!("{}: `permissions` is not a table", path.display()))?;
    let allow = permissions
        .entry("allow")
        .or_insert(toml_edit::Item::Value(toml_edit::Value::Array(toml_edit::Array::new())))
        .as_array_mut()
        .ok_or_else(|| format!("{}: `permissions.allow` is not a list", path.display()))?;
    if allow.iter().any(|v| v.as_str() == Some(rule)) {
        return Ok(format!("`{rule}` was already allowed in {}", path.display()));
    }
    allow.push(rule);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, doc.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!("saved: `{rule}` is always allowed here ({})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_rules_keeping_comments_and_skipping_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".claw")).unwrap();
        std::fs::write(dir.path().join(".claw/config.toml"), "# my settings\nmodel = \"x\"\n").unwrap();
        persist_allow_rule(dir.path(), "bash(cargo test)").unwrap();
        let msg = persist_allow_rule(dir.path(), "bash(cargo test)").unwrap();
        assert!(msg.contains("already allowed"));
        let text = std::fs::read_to_string(dir.path().join(".claw/config.toml")).unwrap();
        assert!(text.starts_with("# my settings\nmodel = \"x\"\n"), "{text}");
        let loaded =
            crate::config::load_files(&[(crate::config::Layer::Project, dir.path().join(".claw/config.toml"))]);
        assert_eq!(loaded.settings.permissions.allow, ["bash(cargo test)"]);
        let fresh = tempfile::tempdir().unwrap();
        persist_allow_rule(fresh.path(), "read_file").unwrap();
        assert!(fresh.path().join(".claw/config.toml").exists());
    }
}
