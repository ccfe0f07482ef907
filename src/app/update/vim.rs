//! Modal editing in the composer, for keymaps with `vim = true`.
//!
//! Insert mode types as usual; esc enters normal mode, where h j k l w b e 0 $ move (with a
//! count: `3w`), x deletes, dd deletes lines, i a I A o go back to inserting, gg and G jump,
//! and enter sends. k on the first line and j on the last walk the prompt history, like up and
//! down. Keys with ctrl or alt are left to the keymap, so ctrl+c still interrupts.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::CursorMove;

use super::*;

/// Handles a key for vim's modes; returns whether it was used.
pub(super) fn vim_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let c = &mut state.composer;
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return false;
    }
    if !c.vim_normal {
        if key.code == KeyCode::Esc {
            c.vim_normal = true;
            c.vim_count = 0;
            c.vim_pending = None;
            c.textarea.move_cursor(CursorMove::Back);
            return true;
        }
        return false;
    }
    let ch = match key.code {
        KeyCode::Char(ch) => ch,
        KeyCode::Enter => {
            c.vim_count = 0;
            super::submit(state, fx);
            return true;
        }
        KeyCode::Esc => {
            c.vim_count = 0;
            c.vim_pending = None;
            return true;
        }
        // Arrows and the like keep working in normal mode.
        _ => return false,
    };
    if let Some(first) = c.vim_pending.take() {
        let n = c.vim_count.max(1);
        c.vim_count = 0;
        match (first, ch) {
            ('d', 'd') => delete_lines(state, n),
            ('g', 'g') => c.textarea.move_cursor(CursorMove::Top),
            _ => {}
        }
        return true;
    }
    if ch.is_ascii_digit() && (ch != '0' || c.vim_count > 0) {
        c.vim_count = (c.vim_count * 10 + ch.to_digit(10).unwrap_or(0) as usize).min(9999);
        return true;
    }
    let n = c.vim_count.max(1);
    c.vim_count = 0;
    normal_key(state, ch, n);
    true
}

/// A normal-mode command `ch`, repeated `n` times where that means something.
fn normal_key(state: &mut State, ch: char, n: usize) {
    let c = &mut state.composer;
    let repeat = |c: &mut Composer, m: CursorMove| {
        for _ in 0..n {
            c.textarea.move_cursor(m);
        }
    };
    let insert_at = |c: &mut Composer, m: Option<CursorMove>| {
        if let Some(m) = m {
            c.textarea.move_cursor(m);
        }
        c.vim_normal = false;
    };
    match ch {
        'h' => repeat(c, CursorMove::Back),
        'l' => repeat(c, CursorMove::Forward),
        'w' => repeat(c, CursorMove::WordForward),
        'b' => repeat(c, CursorMove::WordBack),
        'e' => repeat(c, CursorMove::WordEnd),
        '0' => c.textarea.move_cursor(CursorMove::Head),
        '$' => c.textarea.move_cursor(CursorMove::End),
        'G' => c.textarea.move_cursor(CursorMove::Bottom),
        'j' | 'k' => {
            for _ in 0..n {
                let row = state.composer.textarea.cursor().0;
                let last = state.composer.textarea.lines().len().saturating_sub(1);
                match ch {
                    'k' if row == 0 => super::history_walk(state, -1),
                    'j' if row >= last => super::history_walk(state, 1),
                    'k' => state.composer.textarea.move_cursor(CursorMove::Up),
                    _ => state.composer.textarea.move_cursor(CursorMove::Down),
                }
            }
        }
        'x' => {
            for _ in 0..n {
                c.textarea.delete_next_char();
            }
        }
        'd' | 'g' => c.vim_pending = Some(ch),
        'i' => insert_at(c, None),
        'a' => insert_at(c, Some(CursorMove::Forward)),
        'I' => insert_at(c, Some(CursorMove::Head)),
        'A' => insert_at(c, Some(CursorMove::End)),
        'o' => {
            c.textarea.move_cursor(CursorMove::End);
            c.textarea.insert_newline();
            c.vim_normal = false;
        }
        _ => {}
    }
}

/// `dd` with a count: removes `n` lines from the cursor's.
fn delete_lines(state: &mut State, n: usize) {
    let row = state.composer.textarea.cursor().0;
    let mut lines: Vec<String> = state.composer.textarea.lines().to_vec();
    let end = (row + n).min(lines.len());
    lines.drain(row..end);
    let keep_row = row.min(lines.len().saturating_sub(1));
    super::set_composer(state, &lines.join("\n"));
    let c = &mut state.composer;
    c.textarea.move_cursor(CursorMove::Top);
    for _ in 0..keep_row {
        c.textarea.move_cursor(CursorMove::Down);
    }
    c.textarea.move_cursor(CursorMove::Head);
    c.vim_normal = true;
}
