//! The diff review, /undo and /rewind, and /diff: snapshots of each view and their behaviour,
//! by feeding events to `update`.

#[path = "support/tui.rs"]
mod tui;

#[path = "support/scenes.rs"]
mod scenes;

use claw_tui::agent::{AgentEvent, Decision, Op, RestoreFile, RestorePlan, TurnInfo};
use claw_tui::app::changes::{ChangedFile, Scope, Status};
use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::review::DiffFile;
use claw_tui::app::state::{CellKind, Overlay, State};
use claw_tui::app::update::update;
use claw_tui::tools::Preview;
use scenes::*;
use tui::*;

fn decision(effects: &[Effect]) -> Option<Decision> {
    ops(effects).into_iter().find_map(|op| match op {
        Op::Approval { decision, .. } => Some(decision),
        _ => None,
    })
}

#[test]
fn review_unified_with_word_highlights() {
    let s = review_scene("dark");
    assert!(matches!(s.overlays.last(), Some(Overlay::Review(_))), "an edit opens the review, not a yes/no");
    insta::assert_snapshot!(text(&render(&s)));
    insta::assert_snapshot!("review_unified_styles", styled(&render(&s)));
}

#[test]
fn the_wheel_scrolls_the_review() {
    let mut s = review_scene("dark");
    s.size = (100, 20);
    let wheel = |kind| {
        Event::Mouse(crossterm::event::MouseEvent {
            kind,
            column: 10,
            row: 10,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })
    };
    update(&mut s, wheel(crossterm::event::MouseEventKind::ScrollDown));
    let Some(Overlay::Review(r)) = s.overlays.last() else { panic!() };
    assert_eq!(r.scroll, 3);
    update(&mut s, wheel(crossterm::event::MouseEventKind::ScrollUp));
    let Some(Overlay::Review(r)) = s.overlays.last() else { panic!() };
    assert_eq!(r.scroll, 0);
}

#[test]
fn review_hunk_selected_and_rejected() {
    let mut s = review_scene("dark");
    keys(&mut s, &["n", "space"]);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn review_side_by_side_and_fallback() {
    let mut s = review_scene("light");
    s.size = (140, 30);
    keys(&mut s, &["s"]);
    insta::assert_snapshot!(text(&render(&s)));
    // Narrow terminals get the unified view even with side by side on.
    s.size = (90, 30);
    let narrow = text(&render(&s));
    assert!(narrow.contains("side by side") && narrow.contains("   3     3   fn parse"), "{narrow}");
}

#[test]
fn review_without_wrapping_scrolls_sideways() {
    let mut s = review_scene("dark");
    s.size = (60, 30);
    keys(&mut s, &["w", "n", "l"]);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn applying_sends_the_accepted_hunks_and_the_note() {
    let mut s = review_scene("dark");
    // Reject the second hunk, write a note, apply.
    keys(&mut s, &["n", "space", "e"]);
    type_text(&mut s, "keep the old count");
    keys(&mut s, &["enter"]);
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(
        decision(&fx),
        Some(Decision::ApplyHunks { accepted: vec![0, 2], note: Some("keep the old count".into()) })
    );
    assert!(s.overlays.is_empty());
}

#[test]
fn accept_all_reject_all_and_closing() {
    let mut s = review_scene("dark");
    keys(&mut s, &["r"]);
    let fx = keys(&mut s, &["y"]);
    assert_eq!(decision(&fx), Some(Decision::ApplyHunks { accepted: vec![], note: None }));

    let mut s = review_scene("dark");
    keys(&mut s, &["r", "a"]);
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(decision(&fx), Some(Decision::ApplyHunks { accepted: vec![0, 1, 2], note: None }));

    // A: all of it, and no more asking for this tool in the session (only with every hunk in).
    let mut s = review_scene("dark");
    keys(&mut s, &["space"]);
    assert!(decision(&keys(&mut s, &["A"])).is_none(), "a rejected hunk blocks it");
    keys(&mut s, &["a"]);
    assert_eq!(decision(&keys(&mut s, &["A"])), Some(Decision::AllowSession));

    // Esc rejects the edit; a paste never answers.
    let mut s = review_scene("dark");
    assert!(decision(&update(&mut s, Event::Paste("y\n".into()))).is_none());
    let fx = keys(&mut s, &["esc"]);
    assert_eq!(decision(&fx), Some(Decision::Deny { feedback: None }));
}

#[test]
fn whitespace_only_hunks_can_be_hidden() {
    let mut s = state("dark");
    let old = "a\n  b\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
    let new = "a\n    b\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\n";
    let f = DiffFile::new("x.txt", Some(old), Some(new));
    assert_eq!(f.hunks.len(), 2);
    assert!(f.hunks[0].whitespace_only && !f.hunks[1].whitespace_only);
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "w".into(),
            tool: "write_file".into(),
            summary: "x.txt".into(),
            reason: "asks".into(),
            preview: Some(Preview::Edit { path: "x.txt".into(), old: Some(old.into()), new: new.into() }),
            session_rule: "write_file".into(),
        },
    );
    keys(&mut s, &["W"]);
    let screen = text(&render(&s));
    assert!(screen.contains("hunk 1/1") && screen.contains("+ L") && !screen.contains("+     b"), "{screen}");
    // Hidden hunks keep their state: applying sends both.
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(decision(&fx), Some(Decision::ApplyHunks { accepted: vec![0, 1], note: None }));
}

#[test]
fn binary_large_and_new_files() {
    let f = DiffFile::new("a.bin", Some("x\0y"), Some("x\0z"));
    assert!(matches!(f.placeholder, Some(claw_tui::app::review::Placeholder::Binary)));
    let f = DiffFile::new("new.rs", None, Some("fn main() {}\n"));
    assert!(f.created && f.hunks.len() == 1 && f.added == 1);
    let f = DiffFile::new("crlf.txt", Some("a\r\nb\r\n"), Some("a\r\nB\r\n"));
    assert_eq!(f.hunks[0].rows[1].text, "b", "line endings are not shown as text");
    let f = DiffFile::new("esc.txt", Some("plain\n"), Some("\x1b[31mred\tx\n"));
    assert_eq!(f.hunks[0].rows[1].text, "␛[31mred    x", "escapes shown, never obeyed; tabs expanded");

    let mut s = state("dark");
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "big".into(),
            tool: "write_file".into(),
            summary: "dump.sql".into(),
            reason: "asks".into(),
            preview: Some(Preview::Large { path: "dump.sql".into(), old_bytes: Some(9 << 20), new_bytes: 10 << 20 }),
            session_rule: "write_file".into(),
        },
    );
    let screen = text(&render(&s));
    assert!(screen.contains("too large to show here (9.0 MB → 10.0 MB)"), "{screen}");
    let fx = keys(&mut s, &["enter"]);
    assert!(matches!(decision(&fx), Some(Decision::ApplyHunks { .. })));
}

#[test]
fn a_second_approval_waits_behind_the_review() {
    let mut s = review_scene("dark");
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "b1".into(),
            tool: "bash".into(),
            summary: "ls".into(),
            reason: "asks".into(),
            preview: Some(Preview::Command { command: "ls".into() }),
            session_rule: "bash(ls)".into(),
        },
    );
    assert_eq!(s.approval_queue.len(), 1);
    keys(&mut s, &["enter"]);
    assert!(matches!(s.overlays.last(), Some(Overlay::Approval(_))), "the queued approval shows next");
}

fn restore_plan(conflict: bool, conversation: bool) -> RestorePlan {
    RestorePlan {
        turn: 3,
        prompt: "rename the parser".into(),
        files: true,
        conversation,
        changes: vec![
            RestoreFile {
                path: "src/parse.rs".into(),
                current: Some("fn parse_input() {}\n".into()),
                target: Some("fn parse() {}\n".into()),
                binary: false,
                conflict,
            },
            RestoreFile {
                path: "src/new.rs".into(),
                current: Some("pub mod x;\n".into()),
                target: None,
                binary: false,
                conflict: false,
            },
        ],
    }
}

#[test]
fn undo_shows_what_will_be_restored_and_confirms_conflicts_twice() {
    let mut s = state("dark");
    let fx = update(&mut s, Event::Command("/undo".into()));
    assert_eq!(ops(&fx), [Op::PlanRestore { turn: None, files: true, conversation: false }]);
    agent(&mut s, AgentEvent::RestorePlan { plan: restore_plan(true, false) });
    insta::assert_snapshot!(text(&render(&s)));
    // The first confirm only arms; the second restores, overwriting.
    let fx = keys(&mut s, &["enter"]);
    assert!(ops(&fx).is_empty());
    assert!(text(&render(&s)).contains("again overwrites them"));
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(ops(&fx), [Op::Restore { turn: 3, files: true, conversation: false, force: true }]);

    // Without conflicts one confirm does it; esc restores nothing.
    let mut s = state("dark");
    agent(&mut s, AgentEvent::RestorePlan { plan: restore_plan(false, false) });
    assert!(ops(&keys(&mut s, &["esc"])).is_empty());
    agent(&mut s, AgentEvent::RestorePlan { plan: restore_plan(false, false) });
    let fx = keys(&mut s, &["}", "enter"]);
    assert_eq!(ops(&fx), [Op::Restore { turn: 3, files: true, conversation: false, force: false }]);
}

#[test]
fn rewind_picks_a_turn_and_what_to_restore_then_cuts_the_transcript() {
    let mut s = state("dark");
    for (turn, prompt) in [(1, "first"), (2, "second")] {
        update(&mut s, Event::SubmitPrompt(prompt.into()));
        agent(&mut s, AgentEvent::TurnStarted { turn_id: turn });
        agent(&mut s, AgentEvent::TextDelta { turn_id: turn, text: format!("answer {turn}") });
        agent(&mut s, AgentEvent::TurnFinished { turn_id: turn, outcome: claw_tui::agent::TurnOutcome::EndTurn });
    }
    let fx = update(&mut s, Event::Command("/rewind".into()));
    assert_eq!(ops(&fx), [Op::ListTurns]);
    agent(
        &mut s,
        AgentEvent::Turns {
            turns: vec![
                TurnInfo { turn: 1, prompt: "first".into(), files: vec![], conversation: true },
                TurnInfo { turn: 2, prompt: "second".into(), files: vec!["src/a.rs".into()], conversation: true },
            ],
        },
    );
    insta::assert_snapshot!(text(&render(&s)));
    // Newest first: turn 2; then "files and conversation".
    keys(&mut s, &["enter"]);
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(ops(&fx), [Op::PlanRestore { turn: Some(2), files: true, conversation: true }]);
    agent(&mut s, AgentEvent::RestorePlan { plan: RestorePlan { turn: 2, ..restore_plan(false, true) } });
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(ops(&fx), [Op::Restore { turn: 2, files: true, conversation: true, force: false }]);
    agent(
        &mut s,
        AgentEvent::Restored { turn: 2, files: true, conversation: true, report: vec!["src/a.rs: restored".into()] },
    );
    let users: Vec<&str> = s
        .transcript
        .cells
        .iter()
        .filter_map(|c| match &c.kind {
            CellKind::User { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(users, ["first"], "the rewound turn left the transcript");
    assert_eq!(s.composer.text(), "second", "its prompt is back in the composer to edit");
    let screen = text(&render(&s));
    assert!(screen.contains("Rewound the files and the conversation to before turn 2"), "{screen}");
}

fn changed(path: &str, status: Status, a: usize, r: usize) -> ChangedFile {
    ChangedFile { path: path.into(), renamed_from: None, status, counts: Some((a, r)) }
}

#[test]
fn diff_viewer_with_its_tree() {
    let mut s = state("dark");
    s.size = (120, 30);
    let fx = update(&mut s, Event::Command("/diff".into()));
    assert!(fx.contains(&Effect::LoadChanges { scope: Scope::WorkingTree }));
    insta::assert_snapshot!("diff_viewer_loading", text(&render(&s)));
    let files = vec![
        changed("README.md", Status::Modified, 2, 1),
        changed("src/app/mod.rs", Status::Modified, 10, 4),
        changed("src/app/review.rs", Status::Added, 120, 0),
        changed("src/parse.rs", Status::Modified, 3, 2),
        ChangedFile { path: "assets/logo.png".into(), renamed_from: None, status: Status::Modified, counts: None },
    ];
    let fx = update(&mut s, Event::Changes { scope: Scope::WorkingTree, git: true, result: Ok(files) });
    // The first file in tree order is selected and its diff asked for.
    assert!(matches!(&fx[..], [Effect::LoadFileDiff { file, .. }] if file.path == "assets/logo.png"));
    update(
        &mut s,
        Event::FileDiff {
            scope: Scope::WorkingTree,
            path: "assets/logo.png".into(),
            file: Box::new(claw_tui::app::changes::diff_of("assets/logo.png", Some(vec![0, 1]), Some(vec![0, 2]))),
        },
    );
    assert!(text(&render(&s)).contains("binary file changed"));
    // Down moves through folders and files; landing on a file loads its diff.
    let fx = keys(&mut s, &["down"]);
    assert!(fx.is_empty(), "src/ is a folder");
    let fx = keys(&mut s, &["down", "down"]);
    assert!(matches!(&fx[..], [Effect::LoadFileDiff { file, .. }] if file.path == "src/app/mod.rs"), "{fx:?}");
    let (old, new) = texts();
    update(
        &mut s,
        Event::FileDiff {
            scope: Scope::WorkingTree,
            path: "src/app/mod.rs".into(),
            file: Box::new(DiffFile::new("src/app/mod.rs", Some(&old), Some(&new))),
        },
    );
    insta::assert_snapshot!(text(&render(&s)));
    // Next file skips folders.
    let fx = keys(&mut s, &["}"]);
    assert!(matches!(&fx[..], [Effect::LoadFileDiff { file, .. }] if file.path == "src/app/review.rs"), "{fx:?}");
    // Left goes up to the folder, then folds it (also when lines do not wrap); right opens it.
    keys(&mut s, &["w", "left", "left"]);
    let screen = text(&render(&s));
    assert!(screen.contains("▸ app/") && !screen.contains("review.rs +120"), "{screen}");
    keys(&mut s, &["right"]);
    assert!(text(&render(&s)).contains("review.rs +120"));
    // The scope switch lists this session's changes.
    let fx = keys(&mut s, &["t"]);
    assert!(fx.contains(&Effect::LoadChanges { scope: Scope::Session }));
    // A change on disk lists them again (and tells the agent).
    let fx = update(&mut s, Event::WorkspaceChanged(vec!["/work/project/README.md".into()]));
    assert!(fx.contains(&Effect::LoadChanges { scope: Scope::Session }));
    assert!(ops(&fx).iter().any(|op| matches!(op, Op::ExternalChanges { .. })));
    keys(&mut s, &["esc"]);
    assert!(s.overlays.is_empty());
}

#[test]
fn a_large_proposal_is_diffed_in_the_background() {
    let mut s = state("dark");
    let old: String = (0..30_000).map(|i| format!("line {i}\n")).collect();
    let new = old.replace("line 15000\n", "LINE 15000\n");
    let fx = agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "huge".into(),
            tool: "write_file".into(),
            summary: "data.txt".into(),
            reason: "asks".into(),
            preview: Some(Preview::Edit { path: "data.txt".into(), old: Some(old.clone()), new: new.clone() }),
            session_rule: "write_file".into(),
        },
    );
    let Some(Effect::ComputeDiff { id, path, old: o, new: n }) = fx.into_iter().next() else {
        panic!("a background diff")
    };
    assert!(text(&render(&s)).contains("computing the diff…"));
    assert!(decision(&keys(&mut s, &["enter"])).is_none(), "no answer before the diff is there");
    let file = DiffFile::new(&path, o.as_deref(), Some(&n));
    update(&mut s, Event::DiffReady { id, file: Box::new(file) });
    let screen = text(&render(&s));
    assert!(screen.contains("+ LINE 15000") && screen.contains("hunk 1/1"), "{screen}");
    assert_eq!(decision(&keys(&mut s, &["enter"])), Some(Decision::ApplyHunks { accepted: vec![0], note: None }));
}

#[test]
fn outside_git_diff_shows_the_sessions_changes() {
    let mut s = state("dark");
    s.size = (120, 30);
    update(&mut s, Event::Command("/diff".into()));
    let fx = update(
        &mut s,
        Event::Changes {
            scope: Scope::Session,
            git: false,
            result: Ok(vec![changed("greet.sh", Status::Modified, 10, 1)]),
        },
    );
    assert!(matches!(&fx[..], [Effect::LoadFileDiff { scope: Scope::Session, .. }]), "{fx:?}");
    let screen = text(&render(&s));
    assert!(screen.contains("Changes: changes made in this session"), "{screen}");
    assert!(screen.contains("not a git repository"), "{screen}");
    // The scope key says why it does nothing.
    assert!(keys(&mut s, &["t"]).is_empty());
}

/// A tree longer than its pane scrolls with the selection, only as far as it must, and
/// drawing it changes nothing (two renders are the same).
#[test]
fn a_long_tree_keeps_its_selection_in_view() {
    let mut s = state("dark");
    s.size = (120, 20);
    update(&mut s, Event::Command("/diff".into()));
    let files: Vec<ChangedFile> =
        (0..40).map(|i| changed(&format!("src/f{i:02}.rs"), Status::Modified, 1, 1)).collect();
    update(&mut s, Event::Changes { scope: Scope::WorkingTree, git: true, result: Ok(files) });
    let shown = |s: &State| text(&render(s));
    assert!(shown(&s).contains("f00.rs") && !shown(&s).contains("f39.rs"));
    keys(&mut s, &["end"]);
    let screen = shown(&s);
    assert!(screen.contains("f39.rs") && !screen.contains("f00.rs"), "{screen}");
    assert_eq!(screen, shown(&s), "drawing does not scroll");
    // Going up inside the pane does not move it; past its top does, by one row.
    keys(&mut s, &["up", "up"]);
    assert_eq!(text(&render(&s)).lines().filter(|l| l.contains("f39.rs")).count(), 1, "still shown");
    keys(&mut s, &["home"]);
    assert!(shown(&s).contains("f00.rs") && shown(&s).contains("src/"));
}
