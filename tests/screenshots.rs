//! The README's screenshots, drawn from the real panes: each scene is built by feeding events
//! to `update`, rendered to a test buffer and written as SVG under docs/screenshots/, in the
//! dark and the light theme.
//!
//! The test fails when a committed picture no longer matches what the interface draws, so
//! they never go stale. Regenerate them all with one command:
//!
//! ```sh
//! CLAW_UPDATE_SCREENSHOTS=1 cargo test --test screenshots
//! ```

#[path = "support/tui.rs"]
mod tui;

#[path = "support/scenes.rs"]
mod scenes;

#[path = "support/svg.rs"]
mod svg;

use std::path::PathBuf;

use claw_tui::agent::{AgentEvent, TurnOutcome};
use claw_tui::app::event::Event;
use claw_tui::app::state::State;
use claw_tui::app::update::update;
use claw_tui::tools::Preview;
use scenes::*;
use tui::*;

const W: u16 = 120;
const H: u16 = 40;

/// A session mid-work: an answer, tool cells with a diff and test output, the todo list and
/// the cost meter beside them.
fn transcript(theme: &str) -> State {
    let mut s = tools_scene(theme);
    s.size = (W, H);
    agent(
        &mut s,
        AgentEvent::TextDelta {
            turn_id: 1,
            text: "The guard is fixed and the tests pass. Clippy still flags an unused variable in \
`src/lib.rs:9`; I'll remove it next."
                .into(),
        },
    );
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::EndTurn });
    s
}

/// A command waiting for approval, with the reason and the choices.
fn approval(theme: &str) -> State {
    let mut s = transcript(theme);
    let cmd = "cargo test --workspace -- --include-ignored";
    tool(&mut s, "a1", "bash", cmd);
    agent(
        &mut s,
        AgentEvent::ApprovalRequested {
            call_id: "a1".into(),
            tool: "bash".into(),
            summary: cmd.into(),
            reason: "running a command needs danger-full-access; the mode is workspace-write".into(),
            preview: Some(Preview::Command { command: cmd.into() }),
            session_rule: format!("bash({cmd})"),
        },
    );
    s
}

/// An edit reviewed hunk by hunk: the second hunk rejected, the third selected.
fn review(theme: &str) -> State {
    let mut s = review_scene(theme);
    s.size = (W, H);
    keys(&mut s, &["n", "space", "n"]);
    s
}

/// The session browser with its preview.
fn sessions_browser(theme: &str) -> State {
    let mut s = state(theme);
    s.size = (W, H);
    type_text(&mut s, "/resume");
    keys(&mut s, &["enter"]);
    update(&mut s, Event::Sessions { list: sessions(), all: false });
    let path = sessions()[0].path.clone();
    update(&mut s, Event::Preview { path, lines: preview_lines() });
    s
}

/// The terminal's own colours for a theme whose background is the terminal's.
fn terminal_colours(theme: &str) -> (&'static str, &'static str) {
    if theme == "light" { ("#1f2328", "#ffffff") } else { ("#d8dee9", "#16181d") }
}

/// Builds a scene in a theme.
type Scene = fn(&str) -> State;

#[test]
fn the_readme_screenshots_match_the_interface() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    let update_them = std::env::var_os("CLAW_UPDATE_SCREENSHOTS").is_some();
    let scenes: [(&str, &str, Scene); 4] = [
        ("transcript", "claw-tui — a session at work", transcript),
        ("approval", "claw-tui — approving a command", approval),
        ("review", "claw-tui — reviewing an edit hunk by hunk", review),
        ("sessions", "claw-tui — the session browser", sessions_browser),
    ];
    let mut stale = Vec::new();
    for theme in ["dark", "light"] {
        let (fg, bg) = terminal_colours(theme);
        for (name, title, scene) in scenes {
            let state = scene(theme);
            let picture = svg::svg(&render_at(&state, W, H), title, fg, bg);
            let path = dir.join(format!("{name}-{theme}.svg"));
            if update_them {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &picture).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(picture.as_str()) {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these screenshots no longer match the interface: {stale:?}\nregenerate them with: CLAW_UPDATE_SCREENSHOTS=1 cargo test --test screenshots"
    );
}
