//! Keymaps in `update`: vim's modes and motions, emacs chords, the key tester.

#[path = "support/tui.rs"]
mod tui;

use claw_tui::agent::{AgentEvent, Op, TurnOutcome};
use claw_tui::app::effect::Effect;
use claw_tui::app::keymap::Keymap;
use claw_tui::app::state::{Overlay, State};
use tui::*;

fn with(name: &str) -> State {
    let mut s = state("dark");
    s.keymap = Keymap::builtin(name).unwrap();
    s
}

fn cursor(s: &State) -> (usize, usize) {
    let c = s.composer.textarea.cursor();
    (c.0, c.1)
}

#[test]
fn vim_insert_normal_and_motions_with_counts() {
    let mut s = with("vim");
    type_text(&mut s, "one two three four");
    assert!(!s.composer.vim_normal, "starts in insert mode");
    keys(&mut s, &["esc"]);
    assert!(s.composer.vim_normal);
    keys(&mut s, &["0"]);
    assert_eq!(cursor(&s), (0, 0));
    keys(&mut s, &["2", "w"]);
    assert_eq!(cursor(&s), (0, 8), "2w lands on `three`");
    keys(&mut s, &["b"]);
    assert_eq!(cursor(&s), (0, 4));
    keys(&mut s, &["3", "x"]);
    assert_eq!(s.composer.text(), "one  three four");
    keys(&mut s, &["$"]);
    keys(&mut s, &["A"]);
    assert!(!s.composer.vim_normal);
    type_text(&mut s, "!");
    assert_eq!(s.composer.text(), "one  three four!");
    keys(&mut s, &["esc", "I"]);
    type_text(&mut s, "> ");
    assert_eq!(s.composer.text(), "> one  three four!");
    keys(&mut s, &["esc", "o"]);
    type_text(&mut s, "second");
    keys(&mut s, &["esc", "g", "g"]);
    assert_eq!(cursor(&s).0, 0);
    keys(&mut s, &["d", "d"]);
    assert_eq!(s.composer.text(), "second");
    keys(&mut s, &["h", "h", "l"]);
    // enter in normal mode sends
    let fx = keys(&mut s, &["enter"]);
    assert_eq!(ops(&fx), [Op::UserTurn { text: "second".into(), attachments: vec![] }]);
}

#[test]
fn vim_k_on_the_first_line_walks_history_and_ctrl_c_still_interrupts() {
    let mut s = with("vim");
    type_text(&mut s, "earlier");
    keys(&mut s, &["enter"]);
    agent(&mut s, AgentEvent::TurnStarted { turn_id: 1 });
    assert_eq!(ops(&keys(&mut s, &["ctrl+c"])), [Op::Interrupt]);
    agent(&mut s, AgentEvent::TurnFinished { turn_id: 1, outcome: TurnOutcome::Interrupted });
    keys(&mut s, &["esc", "k"]);
    assert_eq!(s.composer.text(), "earlier");
    assert!(keys(&mut s, &["esc"]).is_empty(), "esc in normal mode does not interrupt");
}

#[test]
fn emacs_chords_resolve_in_update() {
    let mut s = with("emacs");
    type_text(&mut s, "draft");
    assert!(keys(&mut s, &["ctrl+x"]).is_empty(), "the first key of a chord waits");
    assert_eq!(s.pending_keys.len(), 1);
    assert_eq!(keys(&mut s, &["ctrl+e"]), [Effect::OpenEditor("draft".into())]);
    assert!(s.pending_keys.is_empty());
    keys(&mut s, &["ctrl+x", "z"]);
    assert_eq!(s.composer.text(), "draft", "an unfinished chord is dropped, not typed");
    keys(&mut s, &["alt+x"]);
    assert!(matches!(s.overlays.last(), Some(Overlay::Picker(_))), "alt+x is the palette");
}

#[test]
fn the_key_tester_says_what_keys_do() {
    let mut s = with("emacs");
    type_text(&mut s, "/keymap test");
    keys(&mut s, &["enter"]);
    let last = |s: &State| match s.overlays.last() {
        Some(Overlay::KeyTester { last }) => last.clone(),
        _ => panic!("the tester is closed"),
    };
    keys(&mut s, &["ctrl+x"]);
    assert!(last(&s).unwrap().contains("start of a chord"));
    keys(&mut s, &["ctrl+e"]);
    assert_eq!(last(&s).unwrap(), "ctrl+x ctrl+e → open_editor (composer): Edit the prompt in $EDITOR");
    keys(&mut s, &["q"]);
    assert!(last(&s).unwrap().contains("not bound"));
    assert!(s.composer.is_empty(), "nothing typed while testing");
    keys(&mut s, &["esc"]);
    assert!(s.overlays.is_empty());
    insta::assert_snapshot!({
        type_text(&mut s, "/keymap test");
        keys(&mut s, &["enter", "alt+x"]);
        text(&render(&s))
    });
}

#[test]
fn vim_gg_and_g_in_the_transcript() {
    let mut s = with("vim");
    for i in 0..5 {
        agent(&mut s, AgentEvent::Warning { message: format!("note {i}") });
    }
    keys(&mut s, &["tab"]);
    assert_eq!(s.transcript.selected, Some(4));
    keys(&mut s, &["g"]);
    assert_eq!(s.transcript.selected, Some(4), "one g waits for the second");
    keys(&mut s, &["g"]);
    assert_eq!(s.transcript.selected, Some(0));
    keys(&mut s, &["G"]);
    assert_eq!(s.transcript.selected, Some(4));
    keys(&mut s, &["k", "k"]);
    assert_eq!(s.transcript.selected, Some(2));
}
