//! The terminal: setup and teardown, and the effects that write to it or hand it over (the
//! bell, the clipboard's OSC 52 fallback, the external editor).
//!
//! [`Tui::enter`] switches to the alternate screen in raw mode with bracketed paste, focus
//! events, mouse reporting and (where the terminal supports it) the kitty keyboard protocol, so
//! Shift+Enter is told apart from Enter. The terminal is restored when the `Tui` is dropped, on
//! a panic (a hook restores it before the panic message prints), and around suspensions.

use std::io::{self, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste, EnableFocusChange,
    EnableMouseCapture, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;

use super::screen::Screen;
use super::state::State;

/// Whether the keyboard protocol was pushed (so restoring pops it).
static KITTY: AtomicBool = AtomicBool::new(false);
/// Whether the terminal is in our mode (so restoring twice does nothing).
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub struct Tui {
    terminal: Terminal<Screen<io::Stdout>>,
}

fn setup() -> io::Result<()> {
    enable_raw_mode()?;
    let mut out = stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste, EnableFocusChange, EnableMouseCapture, cursor::Hide)?;
    if crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        execute!(out, PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES))?;
        KITTY.store(true, Ordering::SeqCst);
    }
    ACTIVE.store(true, Ordering::SeqCst);
    Ok(())
}

/// Puts the terminal back as it was. Safe to call more than once and from a panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if KITTY.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableMouseCapture,
        DisableFocusChange,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

impl Tui {
    pub fn enter() -> io::Result<Tui> {
        install_panic_hook();
        setup()?;
        let terminal = match Terminal::new(Screen::new(stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Tui { terminal })
    }

    pub fn size(&self) -> io::Result<ratatui::layout::Size> {
        self.terminal.size()
    }

    /// Draws one frame (the backend writes it inside a synchronized update).
    pub fn draw(&mut self, state: &State) -> io::Result<()> {
        super::screen::draw(&mut self.terminal, |f| crate::ui::render(state, f))
    }

    /// Gives the terminal back for `f` (an editor, a suspension), then takes it again and
    /// redraws everything.
    pub fn suspended<T>(&mut self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        restore();
        let result = f();
        setup().map_err(|e| format!("cannot set the terminal up again: {e}"))?;
        let _ = self.terminal.clear();
        result
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
    }
}

/// Copies with the OSC 52 escape sequence, which terminals (and tmux with set-clipboard on)
/// turn into a clipboard write, also over SSH.
pub fn osc52_copy(text: &str) -> io::Result<()> {
    let mut out = stdout();
    write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()))?;
    out.flush()
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Rings the terminal's bell.
pub fn bell() {
    let mut out = stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
}

/// Copies to the system clipboard, or with OSC 52 where there is none (SSH, tmux, no display).
/// The clipboard is kept between copies: on X11 it serves the text only while it lives.
pub fn copy(clipboard: &mut Option<arboard::Clipboard>, text: &str) -> Result<String, String> {
    if clipboard.is_none() {
        *clipboard = arboard::Clipboard::new().ok();
    }
    if let Some(cb) = clipboard.as_mut()
        && cb.set_text(text.to_string()).is_ok()
    {
        return Ok(format!("{} characters to the clipboard", text.chars().count()));
    }
    osc52_copy(text).map_err(|e| e.to_string())?;
    Ok(format!("{} characters via the terminal (OSC 52)", text.chars().count()))
}

/// Opens `$VISUAL` / `$EDITOR` (else `vi`) on the text; returns the edited text.
pub fn edit_in_editor(text: &str) -> Result<String, String> {
    let file = tempfile::Builder::new().prefix("claw-prompt-").suffix(".md").tempfile().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), text).map_err(|e| e.to_string())?;
    edit_file(file.path())?;
    std::fs::read_to_string(file.path()).map_err(|e| e.to_string())
}

/// Opens `$VISUAL` / `$EDITOR` (else `vi`) on a file (which it may create).
pub fn edit_file(path: &std::path::Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    }
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot start `{editor}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{editor}` exited with {status}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64("héllo".as_bytes()), "aMOpbGxv");
    }
}
