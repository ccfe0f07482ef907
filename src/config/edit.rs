//! Changing a settings file the way a person would: one list in one table, the rest of the file
//! (comments, order, layout) kept as it was. "Always allow" rules and trust answers are saved
//! this way.

use std::path::Path;

/// What to do to a list of strings.
pub enum ListEdit<'a> {
    /// Add the value unless it is there.
    Add(&'a str),
    /// Take the value out wherever it is.
    Remove(&'a str),
}

/// Applies `edits` to lists in the TOML file at `path` (created with its directory if missing):
/// each edit names a table, a key in it, and what to do. Returns whether the file changed. A
/// file that is not valid TOML, or has something else under one of those names, is left alone
/// with an error saying so.
pub fn edit_lists(path: &Path, edits: &[(&str, &str, ListEdit)]) -> Result<bool, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut doc: toml_edit::DocumentMut =
        text.parse().map_err(|e| format!("{} is not valid TOML, so it was left alone: {e}", path.display()))?;
    let mut changed = false;
    for (table, key, edit) in edits {
        let t = doc
            .entry(table)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
            .as_table_like_mut()
            .ok_or_else(|| format!("{}: `{table}` is not a table", path.display()))?;
        let list = t
            .entry(key)
            .or_insert(toml_edit::Item::Value(toml_edit::Value::Array(toml_edit::Array::new())))
            .as_array_mut()
            .ok_or_else(|| format!("{}: `{table}.{key}` is not a list", path.display()))?;
        match edit {
            ListEdit::Add(value) if !list.iter().any(|v| v.as_str() == Some(value)) => {
                list.push(*value);
                changed = true;
            }
            ListEdit::Remove(value) => {
                let before = list.len();
                list.retain(|v| v.as_str() != Some(value));
                changed |= list.len() != before;
            }
            ListEdit::Add(_) => {}
        }
    }
    if changed {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        crate::files::write_atomic(path, doc.to_string().as_bytes(), crate::files::PRIVATE_FILE)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(changed)
}
