//! Themes: the same screen in every built-in theme (styled snapshots), and the /theme picker.

#[path = "support/tui.rs"]
mod tui;

use claw_tui::agent::AgentEvent;
use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::keymap::Keymap;
use claw_tui::app::state::{Overlay, State};
use claw_tui::app::update::update;
use claw_tui::config::theme::BUILTIN;
use claw_tui::ui::theme::Theme;
use serde_json::json;
use tui::*;

const DIFF: &str = "--- a/x.rs\n+++ b/x.rs\n@@ -1,2 +1,2 @@\n fn main() {\n-    old();\n+    new();\n";

fn scene(theme: &str) -> State {
    let mut s = State::new(Theme::builtin(theme).unwrap(), Keymap::default_keymap());
    s.size = (64, 16);
    s.status.model = "claude-sonnet-4-5".into();
    update(&mut s, Event::SubmitPrompt("fix it".into()));
    agent(
        &mut s,
        AgentEvent::TextDelta { turn_id: 1, text: "## Plan\n\nUse `new()`:\n\n```rust\nlet x = new();\n```".into() },
    );
    agent(
        &mut s,
        AgentEvent::ToolCallStarted {
            call_id: "e".into(),
            tool: "edit_file".into(),
            input: json!({}),
            summary: "x.rs".into(),
        },
    );
    agent(&mut s, AgentEvent::FileChanged { path: "x.rs".into(), diff: DIFF.into() });
    agent(
        &mut s,
        AgentEvent::ToolCallFinished {
            call_id: "e".into(),
            tool: "edit_file".into(),
            result: "ok".into(),
            is_error: false,
            elapsed_ms: 3,
        },
    );
    s
}

#[test]
fn every_builtin_theme_renders_the_same_screen() {
    for (name, _) in BUILTIN {
        let s = scene(name);
        insta::assert_snapshot!(format!("theme_{name}"), styled(&render(&s)));
    }
}

#[test]
fn the_theme_picker_previews_and_esc_restores() {
    let mut s = state("dark");
    type_text(&mut s, "/theme");
    assert_eq!(keys(&mut s, &["enter"]), [Effect::ListThemes]);
    let themes: Vec<(String, Theme, bool)> =
        ["dark", "nord", "light"].iter().map(|n| (n.to_string(), Theme::builtin(n).unwrap(), true)).collect();
    update(&mut s, Event::Themes(themes));
    assert!(matches!(s.overlays.last(), Some(Overlay::Picker(_))));
    assert_eq!(s.theme.name, "dark");
    keys(&mut s, &["down"]);
    assert_eq!(s.theme.name, "nord", "moving previews");
    type_text(&mut s, "lig");
    assert_eq!(s.theme.name, "light", "filtering previews the first match");
    keys(&mut s, &["esc"]);
    assert_eq!(s.theme.name, "dark", "esc puts the old theme back");

    type_text(&mut s, "/theme");
    keys(&mut s, &["enter"]);
    let themes: Vec<(String, Theme, bool)> =
        ["dark", "nord"].iter().map(|n| (n.to_string(), Theme::builtin(n).unwrap(), true)).collect();
    update(&mut s, Event::Themes(themes));
    keys(&mut s, &["down", "enter"]);
    assert!(s.overlays.is_empty());
    assert_eq!(s.theme.name, "nord", "enter keeps it");
}
