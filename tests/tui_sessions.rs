//! The session browser, by feeding events to `update`, and its snapshots.

#[path = "support/tui.rs"]
mod tui;

#[path = "support/scenes.rs"]
mod scenes;

use std::path::PathBuf;

use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::slot::Start;
use claw_tui::app::state::{BrowserMode, Overlay, State};
use claw_tui::app::update::update;
use scenes::*;
use tui::*;

fn open(s: &mut State) -> Vec<Effect> {
    type_text(s, "/resume");
    let mut fx = keys(s, &["enter"]);
    fx.extend(update(s, Event::Sessions { list: sessions(), all: false }));
    fx
}

fn browser(s: &State) -> &claw_tui::app::state::Browser {
    match s.overlays.last() {
        Some(Overlay::Sessions(b)) => b,
        _ => panic!("the browser is not open"),
    }
}

fn preview(s: &mut State) {
    let path = browser(s).highlighted().unwrap().path.clone();
    update(s, Event::Preview { path, lines: preview_lines() });
}

#[test]
fn opening_asks_for_the_list_and_the_first_preview() {
    let mut s = state("dark");
    let fx = open(&mut s);
    assert!(fx.contains(&Effect::ListSessions { all: false }));
    assert!(fx.contains(&Effect::LoadPreview(PathBuf::from("/sessions/-work-project/0199-aaaa.jsonl"))));
    assert_eq!(browser(&s).filtered.len(), 4);
}

#[test]
fn typing_filters_fuzzily_over_titles_and_prompts() {
    let mut s = state("dark");
    open(&mut s);
    type_text(&mut s, "release");
    assert_eq!(browser(&s).highlighted().unwrap().id, "0199-bbbb");
    keys(&mut s, &["backspace"; 7]);
    type_text(&mut s, "macos");
    assert_eq!(browser(&s).highlighted().unwrap().id, "0199-cccc", "matched in the first prompt");
    type_text(&mut s, "zzz");
    assert!(browser(&s).filtered.is_empty());
}

#[test]
fn sort_resume_fork_export_toggle() {
    let mut s = state("dark");
    open(&mut s);
    keys(&mut s, &["ctrl+s", "ctrl+s"]);
    assert_eq!(browser(&s).highlighted().unwrap().id, "0199-cccc", "sorted by cost");
    let fx = keys(&mut s, &["ctrl+e"]);
    assert_eq!(fx, [Effect::ExportFile(PathBuf::from("/sessions/-work-project/0199-cccc.jsonl"))]);
    let fx = keys(&mut s, &["ctrl+a"]);
    assert_eq!(fx, [Effect::ListSessions { all: true }]);
    let fx = keys(&mut s, &["down", "enter"]);
    let resumed = Start::Resume(PathBuf::from("/sessions/-work-project/0199-aaaa.jsonl"));
    assert!(fx.iter().any(|e| matches!(e, Effect::StartAgent { start, .. } if *start == resumed)));
    assert!(s.overlays.is_empty());
    open(&mut s);
    let fx = keys(&mut s, &["ctrl+f"]);
    assert_eq!(fx, [Effect::Fork(PathBuf::from("/sessions/-work-project/0199-aaaa.jsonl"))]);
}

#[test]
fn rename_and_delete_with_confirmation() {
    let mut s = state("dark");
    open(&mut s);
    keys(&mut s, &["ctrl+r"]);
    assert!(matches!(&browser(&s).mode, BrowserMode::Rename(t) if t == "fix the flaky parser test in CI"));
    keys(&mut s, &["backspace"; 5]);
    type_text(&mut s, "tests");
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(
        fx,
        [Effect::RenameSession {
            path: PathBuf::from("/sessions/-work-project/0199-aaaa.jsonl"),
            title: "fix the flaky parser test tests".into()
        }]
    );
    keys(&mut s, &["ctrl+d"]);
    assert_eq!(browser(&s).mode, BrowserMode::ConfirmDelete);
    assert!(keys(&mut s, &["n"]).is_empty(), "anything but y keeps it");
    keys(&mut s, &["ctrl+d"]);
    let fx = keys(&mut s, &["y"]);
    assert_eq!(fx, [Effect::DeleteSession(PathBuf::from("/sessions/-work-project/0199-aaaa.jsonl"))]);
}

#[test]
fn snapshot_list_with_preview() {
    let mut s = state("dark");
    s.size = (120, 30);
    open(&mut s);
    preview(&mut s);
    insta::assert_snapshot!(text(&render_at(&s, 120, 30)));
}

#[test]
fn snapshot_filtered() {
    let mut s = state("dark");
    s.size = (120, 30);
    open(&mut s);
    type_text(&mut s, "flag");
    insta::assert_snapshot!(text(&render_at(&s, 120, 30)));
}

#[test]
fn snapshot_confirm_delete() {
    let mut s = state("dark");
    open(&mut s);
    preview(&mut s);
    keys(&mut s, &["ctrl+d"]);
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn snapshot_empty() {
    let mut s = state("dark");
    type_text(&mut s, "/resume");
    keys(&mut s, &["enter"]);
    update(&mut s, Event::Sessions { list: vec![], all: false });
    insta::assert_snapshot!(text(&render(&s)));
}

#[test]
fn the_browser_survives_any_size() {
    let mut s = state("dark");
    open(&mut s);
    preview(&mut s);
    for (w, h) in [(1, 1), (20, 5), (30, 8), (89, 20), (90, 20), (91, 12), (200, 60)] {
        s.size = (w, h);
        render_at(&s, w, h);
    }
    keys(&mut s, &["ctrl+r"]);
    render_at(&s, 40, 10);
    keys(&mut s, &["esc", "ctrl+d"]);
    render_at(&s, 40, 10);
}
