//! File changes as proposals: computed when a call is planned, written when it is approved.
//!
//! `write_file` and `edit_file` plan a [`FileChange`]: the file's text now and the text they
//! want. The agent shows it for review where the policy asks, then calls [`commit`] with the
//! hunks the person accepted (all of them when nobody was asked). `commit` refuses when the
//! file changed on disk after the proposal, saves a checkpoint before the turn's first change
//! to the file, writes only the accepted hunks, and tells the model exactly what was applied
//! and what was rejected.

use super::hunks::{self, Hunk};
use super::text::unified_diff;
use super::write_file::{current_text, write_text};
use super::{Access, CallPlan, Preview, ReadStamp, ResolvedPath, ToolEffect, ToolEnv, ToolOutput};

/// Largest text (either side, in bytes) offered for hunk-by-hunk review. Larger changes are
/// summarized and accepted or rejected whole: diffing them could take seconds.
pub const MAX_REVIEW_BYTES: usize = 4 << 20;
/// Largest number of lines (either side) offered for hunk-by-hunk review.
pub const MAX_REVIEW_LINES: usize = 50_000;

/// A proposed change to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: ResolvedPath,
    /// The path as shown to people and the model.
    pub shown: String,
    /// The content now; `None` when the file does not exist.
    pub old: Option<String>,
    pub new: String,
    /// What the model is told when the whole change is written ("Edited x: 1 replacement").
    pub done: String,
    /// When what is reviewed is one part of the file (a notebook cell's source): how it goes
    /// back into the file. `old` and `new` are then that part's texts.
    pub embed: Option<Embed>,
}

/// A change to one part of a file: the whole file now, and how the reviewed text goes into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The file's text now.
    pub file: String,
    /// What the reviewer sees as the part's name ("analysis.ipynb › cell 3f2a").
    pub label: String,
    pub edit: super::notebook::CellEdit,
}

impl Embed {
    /// The file with the part's text `text`.
    fn file_text(&self, text: &str) -> Result<String, String> {
        let nb = super::notebook::Notebook::parse(&self.file)?;
        Ok(nb.apply(&self.edit, text))
    }
}

impl FileChange {
    /// Whether the change is small enough to review hunk by hunk.
    pub fn reviewable(&self) -> bool {
        let old = self.old.as_deref().unwrap_or("");
        let fits = |s: &str| s.len() <= MAX_REVIEW_BYTES && s.lines().count() <= MAX_REVIEW_LINES;
        fits(old) && fits(&self.new)
    }

    /// What a reviewer sees: the two texts, or a summary when too large.
    pub fn preview(&self) -> Preview {
        let path = self.embed.as_ref().map_or(&self.shown, |e| &e.label).clone();
        if self.reviewable() {
            Preview::Edit { path, old: self.old.clone(), new: self.new.clone() }
        } else {
            Preview::Large { path, old_bytes: self.old.as_ref().map(|o| o.len()), new_bytes: self.new.len() }
        }
    }
}

/// The plan of a file change: write access, the proposal, and what a reviewer sees.
pub(crate) fn change_plan(
    path: ResolvedPath,
    shown: String,
    old: Option<String>,
    new: String,
    done: String,
) -> CallPlan {
    let change = FileChange { path: path.clone(), shown: shown.clone(), old, new, done, embed: None };
    CallPlan {
        access: Access::Write,
        summary: shown.clone(),
        subject: shown,
        paths: vec![path],
        preview: Some(change.preview()),
        change: Some(change),
    }
}

/// Which hunks a person accepted, and what they said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    /// Indexes into [`hunks::hunks`] of the change; `None`: all of them.
    pub accepted: Option<Vec<usize>>,
    pub note: Option<String>,
}

/// Writes the accepted part of `change` (as `tool`), and says what happened.
pub async fn commit(env: &ToolEnv, tool: &str, change: &FileChange, review: &Review) -> ToolOutput {
    let shown = &change.shown;
    let now = match current_text(&change.path.path, shown, tool) {
        Ok(now) => now,
        Err(e) => return ToolOutput::error(e),
    };
    let on_disk = change.embed.as_ref().map_or(change.old.as_deref(), |e| Some(e.file.as_str()));
    if now.as_deref() != on_disk {
        return ToolOutput::error(format!(
            "{tool}: {shown} changed on disk after this change was proposed (someone else edited it); \
nothing was written. Read the file again and redo the change."
        ));
    }
    let old = change.old.as_deref().unwrap_or("");
    let reviewed = review.accepted.as_ref().filter(|_| change.reviewable());
    let (text, all, accepted) = match reviewed {
        None => (change.new.clone(), Vec::new(), None),
        Some(accepted) => {
            let all = hunks::hunks(old, &change.new);
            let mut accepted: Vec<usize> = accepted.iter().copied().filter(|&i| i < all.len()).collect();
            accepted.sort_unstable();
            accepted.dedup();
            (hunks::apply(old, &change.new, &accepted), all, Some(accepted))
        }
    };
    let note = review.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    // A change without hunks (an empty new file, the same text again) has nothing to reject.
    if let Some(accepted) = &accepted
        && accepted.is_empty()
        && !all.is_empty()
    {
        let mut message = format!(
            "The user rejected the whole change to {shown} ({}); nothing was written.",
            plural(all.len(), "hunk")
        );
        match note {
            Some(note) => message.push_str(&format!(" Their note: {note}")),
            None => message.push_str(" Do not make the same change again; ask the user or take another approach."),
        }
        return ToolOutput::error(message);
    }
    let file_text = match &change.embed {
        None => text.clone(),
        Some(embed) => match embed.file_text(&text) {
            Ok(file) => file,
            Err(e) => return ToolOutput::error(format!("{tool}: {shown}: nothing was written: {e}")),
        },
    };
    let checkpoint = match env.checkpoints.lock().expect("checkpoints lock").record_change(
        &change.path.path,
        on_disk,
        Some(&file_text),
    ) {
        Ok(r) => r,
        Err(e) => return ToolOutput::error(format!("{tool}: {shown}: nothing was written: {e}")),
    };
    if let Err(e) = write_text(&change.path.canonical, shown, tool, &file_text).await {
        return ToolOutput::error(e);
    }
    let complete = accepted.as_ref().is_none_or(|a| a.len() == all.len());
    if complete {
        // The model knows what it just wrote: its picture of the file is fresh. After a partial
        // apply it is not, and the stale-read check makes it read the file again.
        stamp_read(env, &change.path.canonical);
    } else {
        env.mark_stale(&change.path.canonical);
    }
    let message = match &accepted {
        Some(accepted) if !complete => partial_message(shown, &all, accepted, note),
        _ => {
            let mut m = change.done.clone();
            if let Some(note) = note {
                m.push_str(&format!(" The user's note: {note}"));
            }
            m
        }
    };
    let diff = if change.reviewable() {
        let label = change.embed.as_ref().map_or(shown, |e| &e.label);
        unified_diff(label, old, &text)
    } else {
        format!("@@ large file: {} → {} bytes, not shown @@\n", old.len(), text.len())
    };
    ToolOutput::ok(message)
        .with_effect(ToolEffect::FileChanged { path: change.path.path.clone(), diff })
        .with_effect(ToolEffect::Checkpoint(checkpoint))
}

fn stamp_read(env: &ToolEnv, canonical: &std::path::Path) {
    if let Ok(meta) = std::fs::metadata(canonical) {
        env.reads
            .lock()
            .expect("reads lock")
            .insert(canonical.to_path_buf(), ReadStamp { modified: meta.modified().ok(), len: meta.len() });
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// Where a hunk's change is in the old file, 1-based, for the model.
fn hunk_place(h: &Hunk) -> String {
    match h.removed.len() {
        0 => format!("after line {}", h.change_start),
        1 => format!("line {}", h.change_start + 1),
        n => format!("lines {}-{}", h.change_start + 1, h.change_start + n),
    }
}

/// What the model is told after a partial apply: which hunks went in, and each rejected hunk
/// in full so it knows what the file still says.
fn partial_message(shown: &str, all: &[Hunk], accepted: &[usize], note: Option<&str>) -> String {
    let list = |idx: &[usize]| idx.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(", ");
    let rejected: Vec<usize> = (0..all.len()).filter(|i| !accepted.contains(i)).collect();
    let mut m = format!(
        "The user reviewed the change to {shown} hunk by hunk: applied {} of {} (hunk {}); rejected hunk {}, which \
stays as it was. The file now differs from what you proposed; read it again before editing it.\n",
        accepted.len(),
        all.len(),
        list(accepted),
        list(&rejected)
    );
    for &i in &rejected {
        let h = &all[i];
        m.push_str(&format!("\nRejected hunk {} (old {}):\n", i + 1, hunk_place(h)));
        for l in &h.removed {
            m.push_str(&format!("- {}\n", l.trim_end_matches(['\n', '\r'])));
        }
        for l in &h.added {
            m.push_str(&format!("+ {}\n", l.trim_end_matches(['\n', '\r'])));
        }
    }
    if let Some(note) = note {
        m.push_str(&format!("\nThe user's note: {note}"));
    }
    m.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{Tool, Workspace, edit_file::EditFile};

    /// After a partial apply the model must read the file again, and claw-tui's own write is
    /// not reported as a change from outside.
    #[tokio::test]
    async fn a_partial_apply_needs_a_fresh_read() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path(), dir.path()).unwrap();
        let path = ws.resolve("f.txt").unwrap();
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        std::fs::write(&path.path, &old).unwrap();
        let new = old.replace("2\n", "two\n").replace("19\n", "nineteen\n");
        let env = ToolEnv::new(ws);
        let plan = change_plan(path.clone(), "f.txt".into(), Some(old.clone()), new.clone(), "done".into());
        let change = plan.change.unwrap();
        let review = Review { accepted: Some(vec![1]), note: None };
        let out = commit(&env, "write_file", &change, &review).await;
        assert!(!out.is_error, "{}", out.content);
        assert_eq!(std::fs::read_to_string(&path.path).unwrap(), hunks::apply(&old, &new, &[1]));
        assert!(env.external_changes(std::slice::from_ref(&path.path)).is_empty());
        let input = serde_json::json!({"path": "f.txt", "old_string": "1\n", "new_string": "one\n"});
        let err = EditFile.plan(&input, &env).unwrap_err();
        assert!(err.contains("read it again"), "{err}");
    }

    /// An empty new file has no hunks: applying the review creates it.
    #[tokio::test]
    async fn an_empty_new_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path(), dir.path()).unwrap();
        let path = ws.resolve("empty.txt").unwrap();
        let env = ToolEnv::new(ws);
        let change =
            change_plan(path.clone(), "empty.txt".into(), None, String::new(), "Created".into()).change.unwrap();
        let out = commit(&env, "write_file", &change, &Review { accepted: Some(vec![]), note: None }).await;
        assert!(!out.is_error, "{}", out.content);
        assert_eq!(std::fs::read_to_string(&path.path).unwrap(), "");
    }
}
