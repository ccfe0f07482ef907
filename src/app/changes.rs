//! The /diff viewer's model and its loaders.
//!
//! Two scopes: every change in the working tree against git HEAD (when the workspace is in a
//! git repository), and the changes made in this session (each file against its first
//! checkpoint). The list comes from two `git` commands (name-status and numstat, renames
//! found), untracked files from `git ls-files`; a file's diff is computed when it is selected,
//! in the background. The loaders do I/O and run off the event loop; the rest is pure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use tui_tree_widget::{TreeItem, TreeState};

use super::review::{DiffFile, DiffView, Placeholder};
use crate::session::checkpoint::Checkpoints;
use crate::tools::text::{line_counts, looks_binary};

/// Which changes /diff shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The working tree against git HEAD.
    WorkingTree,
    /// Files this session changed, against their state before its first change.
    Session,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::WorkingTree => "all changes in the working tree",
            Scope::Session => "changes made in this session",
        }
    }
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// One changed file in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Relative to the working directory, `/`-separated.
    pub path: String,
    pub renamed_from: Option<String>,
    pub status: Status,
    /// Lines added and removed; `None` for binary files.
    pub counts: Option<(usize, usize)>,
}

/// The /diff viewer.
pub struct DiffViewer {
    pub scope: Scope,
    /// Whether the workspace is in a git repository (else only the session scope exists).
    pub git: Option<bool>,
    pub files: Vec<ChangedFile>,
    pub loaded: bool,
    pub error: Option<String>,
    /// Tree selection and folding.
    pub tree: TreeState<String>,
    /// The tree's structure (built once per list of files): what folds and flattens.
    items: Vec<TreeItem<'static, String>>,
    /// Lines added and removed under each folder.
    folder_counts: BTreeMap<String, (usize, usize)>,
    /// The first tree row shown; kept by `update` so the selection stays in view.
    pub tree_offset: usize,
    /// The file whose diff is shown, and the diff once computed.
    pub selected: Option<String>,
    pub diff: Option<DiffFile>,
    /// Keys go to the tree (true) or the diff.
    pub tree_focus: bool,
    pub view: DiffView,
    pub scroll: usize,
}

impl DiffViewer {
    pub fn new(scope: Scope, view: DiffView) -> Self {
        DiffViewer {
            scope,
            git: None,
            files: Vec::new(),
            loaded: false,
            error: None,
            tree: Default::default(),
            items: Vec::new(),
            folder_counts: BTreeMap::new(),
            tree_offset: 0,
            selected: None,
            diff: None,
            tree_focus: true,
            view,
            scroll: 0,
        }
    }

    /// Takes a new list: folders open, the selection kept when the file is still there.
    pub fn set_files(&mut self, mut files: Vec<ChangedFile>) {
        files.sort_by_cached_key(|f| tree_key(&f.path));
        self.items = tree_items(&files);
        self.folder_counts = folder_counts(&files);
        self.files = files;
        self.loaded = true;
        let tree = &mut self.tree;
        for f in &self.files {
            let ids = ids_of(&f.path);
            for k in 1..ids.len() {
                tree.open(ids[..k].to_vec());
            }
        }
        let keep = self.selected.as_ref().is_some_and(|s| self.files.iter().any(|f| &f.path == s));
        if !keep {
            self.selected = self.files.first().map(|f| f.path.clone());
            self.diff = None;
            self.scroll = 0;
        }
        if let Some(sel) = &self.selected {
            tree.select(ids_of(sel));
        }
    }

    /// The changed file shown.
    pub fn current(&self) -> Option<&ChangedFile> {
        let sel = self.selected.as_ref()?;
        self.files.iter().find(|f| &f.path == sel)
    }

    /// Forgets the list (a scope switch): the tree is empty until the next one arrives.
    pub fn clear_files(&mut self) {
        self.files.clear();
        self.items.clear();
        self.folder_counts.clear();
        self.tree_offset = 0;
    }

    /// The tree's rows as shown: open folders' children included, in order.
    pub fn rows(&self) -> Vec<TreeRow> {
        let opened = self.tree.opened();
        let selected = self.tree.selected();
        self.tree
            .flatten(&self.items)
            .into_iter()
            .map(|f| {
                // Folders are the items with children; every folder has some.
                let folder = !f.item.children().is_empty();
                TreeRow {
                    depth: f.depth(),
                    open: folder && opened.contains(&f.identifier),
                    folder,
                    selected: f.identifier == selected,
                    id: f.identifier,
                }
            })
            .collect()
    }

    /// A row's text: a folder's name and the lines changed under it, or a file's status, name
    /// and lines changed.
    pub fn row_line(&self, row: &TreeRow, theme: &crate::ui::theme::Theme) -> Line<'static> {
        let id = row.id.last().map(String::as_str).unwrap_or_default();
        let name = crate::sanitize::visible(id.rsplit('/').next().unwrap_or(id)).into_owned();
        let add = Style::default().fg(theme.diff.added);
        let del = Style::default().fg(theme.diff.removed);
        if row.folder {
            let (a, r) = self.folder_counts.get(id).copied().unwrap_or_default();
            return Line::from(vec![
                Span::styled(format!("{name}/"), Style::default().fg(theme.ui.info)),
                Span::styled(format!(" +{a}"), add),
                Span::styled(format!(" -{r}"), del),
            ]);
        }
        let Some(f) = self.files.iter().find(|f| f.path == id) else { return Line::from(name) };
        let (mark, mark_style) = match f.status {
            Status::Added => ("A ", add),
            Status::Deleted => ("D ", del),
            Status::Renamed => ("R ", Style::default().fg(theme.ui.info)),
            Status::Modified => ("M ", Style::default().fg(theme.ui.warning)),
        };
        let mut spans = vec![Span::styled(mark, mark_style), Span::styled(name, Style::default().fg(theme.ui.text))];
        match f.counts {
            Some((a, r)) => {
                spans.push(Span::styled(format!(" +{a}"), add));
                spans.push(Span::styled(format!(" -{r}"), del));
            }
            None => spans.push(Span::styled(" binary", Style::default().fg(theme.ui.muted))),
        }
        Line::from(spans)
    }

    /// Scrolls the tree so the selected row is in a pane of `height` rows: the first row
    /// shown moves only as far as it must.
    pub fn settle_tree(&mut self, height: usize) {
        let rows = self.rows();
        let mut start = self.tree_offset.min(rows.len().saturating_sub(1));
        if let Some(at) = rows.iter().position(|r| r.selected) {
            start = start.min(at);
            if height > 0 && at >= start + height {
                start = at + 1 - height;
            }
        }
        self.tree_offset = start;
    }
}

/// One row of /diff's tree as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeRow {
    /// Its path and its ancestors' (`["src", "src/app", "src/app/mod.rs"]`).
    pub id: Vec<String>,
    pub depth: usize,
    pub folder: bool,
    pub open: bool,
    pub selected: bool,
}

/// Orders paths as the tree shows them: in each folder, subfolders first, then files, by name.
fn tree_key(path: &str) -> Vec<(bool, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    parts.iter().enumerate().map(|(i, p)| (i + 1 == parts.len(), p.to_string())).collect()
}

/// Tree identifiers of a path: each ancestor's path, then the path ("a", "a/b", "a/b/c.rs").
pub fn ids_of(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (1..=parts.len()).map(|k| parts[..k].join("/")).collect()
}

/// Added and removed lines of every file under each folder.
fn folder_counts(files: &[ChangedFile]) -> BTreeMap<String, (usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for f in files {
        let (a, r) = f.counts.unwrap_or((0, 0));
        let ids = ids_of(&f.path);
        for dir in &ids[..ids.len() - 1] {
            let e = m.entry(dir.clone()).or_default();
            e.0 += a;
            e.1 += r;
        }
    }
    m
}

/// The file tree's structure, folders first: what the tree state folds and flattens. The
/// rows' text is made when they are drawn ([`DiffViewer::row_line`]).
pub fn tree_items(files: &[ChangedFile]) -> Vec<TreeItem<'static, String>> {
    #[derive(Default)]
    struct Node {
        dirs: BTreeMap<String, Node>,
        files: Vec<usize>,
    }
    let mut root = Node::default();
    for (i, f) in files.iter().enumerate() {
        let parts: Vec<&str> = f.path.split('/').collect();
        let mut node = &mut root;
        for p in &parts[..parts.len() - 1] {
            node = node.dirs.entry((*p).to_string()).or_default();
        }
        node.files.push(i);
    }
    fn build(node: &Node, prefix: &str, files: &[ChangedFile]) -> Vec<TreeItem<'static, String>> {
        let mut out = Vec::new();
        for (name, child) in &node.dirs {
            let id = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            let children = build(child, &id, files);
            if let Ok(item) = TreeItem::new(id, name.clone(), children) {
                out.push(item);
            }
        }
        for &i in &node.files {
            out.push(TreeItem::new_leaf(files[i].path.clone(), files[i].path.clone()));
        }
        out
    }
    build(&root, "", files)
}

// ---- loaders (I/O; run in the background) ----

fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = crate::child::git(cwd).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(out.stdout)
}

/// Whether `cwd` is inside a git work tree.
pub fn in_git(cwd: &Path) -> bool {
    git(cwd, &["rev-parse", "--is-inside-work-tree"]).is_ok_and(|o| o.starts_with(b"true"))
}

/// What to compare the working tree with: HEAD, or the empty tree before the first commit.
fn base(cwd: &Path) -> &'static str {
    if git(cwd, &["rev-parse", "--verify", "-q", "HEAD"]).is_ok() {
        "HEAD"
    } else {
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    }
}

/// Every file changed in the working tree under `cwd` against HEAD, with line counts.
pub fn working_tree_changes(cwd: &Path) -> Result<Vec<ChangedFile>, String> {
    let base = base(cwd);
    let status =
        git(cwd, &["diff", "--no-ext-diff", "--no-textconv", base, "--relative", "-M", "--name-status", "-z"])?;
    let numstat = git(cwd, &["diff", "--no-ext-diff", "--no-textconv", base, "--relative", "-M", "--numstat", "-z"])?;
    let untracked = git(cwd, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    let mut counts: BTreeMap<String, Option<(usize, usize)>> = BTreeMap::new();
    let fields: Vec<&[u8]> = numstat.split(|b| *b == 0).collect();
    let mut i = 0;
    while i < fields.len() {
        let head = String::from_utf8_lossy(fields[i]).to_string();
        i += 1;
        let mut parts = head.splitn(3, '\t');
        let (a, r, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let path = if path.is_empty() && !a.is_empty() {
            // A rename: the old and new paths follow.
            i += 2;
            fields.get(i - 1).map(|p| String::from_utf8_lossy(p).to_string()).unwrap_or_default()
        } else {
            path.to_string()
        };
        if path.is_empty() {
            continue;
        }
        let c = match (a.parse(), r.parse()) {
            (Ok(a), Ok(r)) => Some((a, r)),
            _ => None,
        };
        counts.insert(path, c);
    }
    let mut files = Vec::new();
    let fields: Vec<String> = status.split(|b| *b == 0).map(|f| String::from_utf8_lossy(f).to_string()).collect();
    let mut i = 0;
    while i < fields.len() {
        let code = fields[i].clone();
        i += 1;
        if code.is_empty() {
            continue;
        }
        let (status, from) = match code.chars().next() {
            Some('R') | Some('C') => {
                let from = fields.get(i).cloned();
                i += 1;
                (Status::Renamed, from)
            }
            Some('A') => (Status::Added, None),
            Some('D') => (Status::Deleted, None),
            _ => (Status::Modified, None),
        };
        let Some(path) = fields.get(i).cloned() else { break };
        i += 1;
        let counts = counts.get(&path).copied().flatten();
        files.push(ChangedFile { path, renamed_from: from, status, counts });
    }
    for path in untracked.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path).to_string();
        let counts = match std::fs::read(cwd.join(&path)) {
            Ok(bytes) if !looks_binary(&bytes) => Some((String::from_utf8_lossy(&bytes).lines().count(), 0)),
            _ => None,
        };
        files.push(ChangedFile { path, renamed_from: None, status: Status::Added, counts });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The diff of one file of the working tree against HEAD.
pub fn working_tree_diff(cwd: &Path, file: &ChangedFile) -> DiffFile {
    let from = file.renamed_from.as_deref().unwrap_or(&file.path);
    let old =
        if file.status == Status::Added { None } else { git(cwd, &["show", &format!("{}:./{from}", base(cwd))]).ok() };
    let new = std::fs::read(cwd.join(&file.path)).ok();
    let mut diff = diff_of(&file.path, old, new);
    diff.renamed_from = file.renamed_from.clone();
    diff
}

/// The diff of bytes, with binary and non-UTF-8 content as placeholders.
pub fn diff_of(path: &str, old: Option<Vec<u8>>, new: Option<Vec<u8>>) -> DiffFile {
    let binary = |b: &Option<Vec<u8>>| b.as_ref().is_some_and(|b| looks_binary(b) || std::str::from_utf8(b).is_err());
    if binary(&old) || binary(&new) {
        let mut f = DiffFile::placeholder(path, Placeholder::Binary);
        f.created = old.is_none();
        f.deleted = new.is_none();
        return f;
    }
    let old = old.map(|b| String::from_utf8(b).unwrap_or_default());
    let new = new.map(|b| String::from_utf8(b).unwrap_or_default());
    DiffFile::new(path, old.as_deref(), new.as_deref())
}

/// Files this session changed, against their first checkpoint.
pub fn session_changes(cwd: &Path, checkpoints: &Checkpoints) -> Result<Vec<ChangedFile>, String> {
    let mut files = Vec::new();
    for (path, before) in checkpoints.first_states()? {
        let now = std::fs::read(&path).ok();
        let rel = relative(cwd, &path);
        let status = match (&before, &now) {
            (None, Some(_)) => Status::Added,
            (Some(_), None) => Status::Deleted,
            _ => Status::Modified,
        };
        let counts = match (&before, &now) {
            (_, Some(b)) if looks_binary(b) => None,
            _ => {
                let now = now.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                Some(line_counts(before.as_deref().unwrap_or(""), &now))
            }
        };
        if before.as_deref().map(str::as_bytes) == now.as_deref() {
            continue;
        }
        files.push(ChangedFile { path: rel, renamed_from: None, status, counts });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The diff of one file against its first checkpoint in this session.
pub fn session_diff(cwd: &Path, checkpoints: &Checkpoints, path: &str) -> DiffFile {
    let abs = cwd.join(path);
    let before =
        checkpoints.first_states().ok().and_then(|v| v.into_iter().find(|(p, _)| *p == abs)).and_then(|(_, b)| b);
    diff_of(path, before.map(String::into_bytes), std::fs::read(&abs).ok())
}

fn relative(cwd: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf());
    rel.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, a: usize, r: usize) -> ChangedFile {
        ChangedFile { path: path.into(), renamed_from: None, status: Status::Modified, counts: Some((a, r)) }
    }

    #[test]
    fn folders_sum_their_files() {
        let files = [file("src/a.rs", 1, 2), file("src/ui/b.rs", 3, 0), file("README.md", 5, 5)];
        let c = folder_counts(&files);
        assert_eq!(c["src"], (4, 2));
        assert_eq!(c["src/ui"], (3, 0));
        assert_eq!(ids_of("src/ui/b.rs"), ["src", "src/ui", "src/ui/b.rs"]);
    }
}
