//! Saving "always allow" rules to the project config, keeping the file's comments and layout.

use std::path::Path;

/// Adds `rule` to `[permissions] allow` in `<root>/.claw/config.toml` (created if missing).
/// Returns a message for the user.
pub fn persist_allow_rule(root: &Path, rule: &str) -> Result<String, String> {
    use crate::config::edit::{ListEdit, edit_lists};
    let path = super::project_config_path(root);
    if edit_lists(&path, &[("permissions", "allow", ListEdit::Add(rule))])? {
        Ok(format!("saved: `{rule}` is always allowed here ({})", path.display()))
    } else {
        Ok(format!("`{rule}` was already allowed in {}", path.display()))
    }
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
