//! Helpers for TUI tests: keys written as keymap strings, a state with fixed facts, rendering
//! to a test buffer, and a text form of a buffer that keeps colours.

#![allow(dead_code)]

use claw_tui::agent::{AgentEvent, Op};
use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::keymap::{Key, Keymap};
use claw_tui::app::state::State;
use claw_tui::app::update::update;
use claw_tui::permission::PermissionMode;
use claw_tui::ui::theme::Theme;
use crossterm::event::{KeyEvent, KeyEventKind, KeyEventState};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

pub const W: u16 = 100;
pub const H: u16 = 30;

/// A state as the runtime has it after start-up, with fixed facts for stable snapshots.
pub fn state(theme: &str) -> State {
    let mut s = State::new(Theme::builtin(theme).unwrap(), Keymap::default_keymap());
    s.size = (W, H);
    s.status.model = "claude-sonnet-4-5".into();
    s.status.cwd = "/work/project".into();
    s.status.branch = Some("main".into());
    s.status.mode = PermissionMode::WorkspaceWrite;
    s.status.session_id = "0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000".into();
    s
}

/// A key event from a keymap string ("ctrl+c", "shift+enter", "y").
pub fn key_event(spec: &str) -> KeyEvent {
    let k = Key::parse(spec).unwrap_or_else(|e| panic!("{e}"));
    let mut mods = k.mods;
    if let crossterm::event::KeyCode::Char(c) = k.code
        && c.is_ascii_uppercase()
    {
        mods |= crossterm::event::KeyModifiers::SHIFT;
    }
    KeyEvent { code: k.code, modifiers: mods, kind: KeyEventKind::Press, state: KeyEventState::NONE }
}

/// Feeds keys; returns every effect.
pub fn keys(s: &mut State, specs: &[&str]) -> Vec<Effect> {
    specs.iter().flat_map(|k| update(s, Event::Key(key_event(k)))).collect()
}

/// Types text into whatever has focus, one key per character.
pub fn type_text(s: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| {
            let spec = if c == ' ' { "space".to_string() } else { c.to_string() };
            update(s, Event::Key(key_event(&spec)))
        })
        .collect()
}

pub fn agent(s: &mut State, ev: AgentEvent) -> Vec<Effect> {
    update(s, Event::Agent(ev))
}

/// The texts of the notices in the transcript, in order.
pub fn notices(s: &State) -> Vec<String> {
    s.transcript
        .cells
        .iter()
        .filter_map(|c| match &c.kind {
            claw_tui::app::state::CellKind::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The ops among effects.
pub fn ops(effects: &[Effect]) -> Vec<Op> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Agent(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

pub fn render(s: &State) -> Buffer {
    render_at(s, s.size.0, s.size.1)
}

pub fn render_at(s: &State, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| claw_tui::ui::render(s, f)).unwrap();
    t.backend().buffer().clone()
}

/// The buffer as plain text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn color(c: Color) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Reset => "-".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The buffer with its styles: each row's text, then its runs of style as
/// `col..col fg/bg +modifiers`, so colour changes show up in snapshot diffs.
pub fn styled(buf: &Buffer) -> String {
    let area = buf.area;
    let plain = text(buf);
    let mut out = String::new();
    for (y, line) in plain.lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        let mut runs: Vec<String> = Vec::new();
        let mut start = 0u16;
        let style_at = |x: u16| {
            let c = &buf[(x, y as u16)];
            (c.fg, c.bg, c.modifier)
        };
        for x in 1..=area.width {
            if x == area.width || style_at(x) != style_at(start) {
                let (fg, bg, m) = style_at(start);
                let blank = (start..x).all(|i| buf[(i, y as u16)].symbol() == " ");
                if !(blank && bg == Color::Reset) {
                    let mut r = format!("{start}..{x} {}/{}", color(fg), color(bg));
                    if !m.is_empty() {
                        r.push_str(&format!(" {m:?}").replace("Modifier(", "").replace(')', ""));
                    }
                    runs.push(r);
                }
                start = x;
            }
        }
        if !runs.is_empty() {
            out.push_str(&format!("    [{}]\n", runs.join(", ")));
        }
    }
    let _ = Modifier::empty();
    out
}
