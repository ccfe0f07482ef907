//! The session browser: the list (title, age, messages, cost, branch), a search line, and a
//! preview of the end of the highlighted conversation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::composer::truncate;
use super::cost::{age, money};
use crate::app::keymap::Action;
use crate::app::state::{Browser, BrowserMode, State};

/// The browser's list and preview split at this width; narrower shows the list only.
const PREVIEW_MIN_WIDTH: u16 = 90;

pub fn render(state: &State, b: &Browser, frame: &mut Frame, area: Rect) {
    let theme = &state.theme;
    let width = area.width.saturating_sub(4).min(140);
    let height = area.height.saturating_sub(2);
    if width < 24 || height < 6 {
        return;
    }
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let muted = Style::default().fg(theme.ui.muted);
    let accent = Style::default().fg(theme.ui.accent);
    let k = |a: Action| state.keymap.hint(a);
    let scope = if b.all_projects { "all projects" } else { "this project" };
    let block =
        super::dialog_block(theme, format!(" Sessions · {scope} · by {} ", b.sort.label()), theme.ui.border_active)
            .title_bottom(Span::styled(
                format!(
                    " {} resume · {} rename · {} fork · {} export · {} delete · {} all projects · {} sort · {} close ",
                    k(Action::SessionResume),
                    k(Action::SessionRename),
                    k(Action::SessionFork),
                    k(Action::SessionExport),
                    k(Action::SessionDelete),
                    k(Action::SessionToggleAll),
                    k(Action::SessionSort),
                    k(Action::SessionClose)
                ),
                muted,
            ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    // The search (or rename, or confirm) line spans the whole width; list and preview below.
    let top = Rect { height: 1, ..inner };
    let inner = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let (list_area, preview_area) = if inner.width >= PREVIEW_MIN_WIDTH {
        let lw = inner.width * 55 / 100;
        (Rect { width: lw, ..inner }, Some(Rect { x: inner.x + lw + 1, width: inner.width - lw - 1, ..inner }))
    } else {
        (inner, None)
    };

    let mut lines: Vec<Line> = Vec::new();
    let prompt = match &b.mode {
        BrowserMode::Rename(title) => Line::from(vec![
            Span::styled("new title › ", accent),
            Span::styled(title.clone(), Style::default().fg(theme.ui.text)),
            Span::styled("▏", accent),
        ]),
        BrowserMode::ConfirmDelete => Line::from(Span::styled(
            format!(
                "Move \"{}\" to the trash? y to confirm, any other key to keep it",
                b.highlighted().map(|s| s.display_title()).unwrap_or_default()
            ),
            Style::default().fg(theme.ui.warning).add_modifier(Modifier::BOLD),
        )),
        BrowserMode::List => Line::from(vec![
            Span::styled("› ", accent),
            Span::styled(b.query.clone(), Style::default().fg(theme.ui.text)),
            Span::styled("▏", accent),
            Span::styled(format!("  {} of {}", b.filtered.len(), b.sessions.len()), muted),
        ]),
    };
    frame.render_widget(Paragraph::new(prompt), top);
    lines.push(Line::from(Span::styled("─".repeat(list_area.width as usize), Style::default().fg(theme.ui.border))));
    let rows = list_area.height.saturating_sub(1) as usize;
    if !b.loaded {
        lines.push(Line::from(Span::styled("  reading sessions…", muted)));
    } else if b.sessions.is_empty() {
        lines.push(Line::from(Span::styled(format!("  no saved sessions in {scope} yet"), muted)));
    } else if b.filtered.is_empty() {
        lines.push(Line::from(Span::styled("  nothing matches", muted)));
    }
    let now = chrono::Utc::now();
    let start = b.selected.saturating_sub(rows.saturating_sub(1));
    let w = list_area.width as usize;
    for (row, &i) in b.filtered.iter().enumerate().skip(start).take(rows) {
        let s = &b.sessions[i];
        let selected = row == b.selected;
        let base = if selected { Style::default().bg(theme.ui.selection) } else { Style::default() };
        let when = s.updated.map(|u| age(now - u)).unwrap_or_default();
        let cost = if s.cost_known { money(Some(s.cost_usd)) } else { "n/a".into() };
        let right = format!(
            " {when:>8} {:>4} msgs {cost:>8}{}",
            s.messages,
            s.branch.as_ref().map(|br| format!(" {}", truncate(br, 12))).unwrap_or_default()
        );
        let title_w = w.saturating_sub(right.chars().count() + 2);
        let title = truncate(&s.display_title(), title_w);
        let pad = title_w.saturating_sub(title.chars().count());
        let title_style = base.fg(if selected { theme.ui.accent } else { theme.ui.text });
        lines.push(Line::from(vec![
            Span::styled(if selected { "› " } else { "  " }, title_style),
            Span::styled(
                format!("{title}{}", " ".repeat(pad)),
                title_style.add_modifier(if selected { Modifier::BOLD } else { Modifier::empty() }),
            ),
            Span::styled(right, base.fg(theme.ui.muted)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), list_area);

    if let Some(area) = preview_area {
        let sep = Rect { x: area.x - 1, width: 1, ..area };
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled("│", Style::default().fg(theme.ui.border)));
                sep.height as usize
            ]),
            sep,
        );
        let mut plines: Vec<Line> = Vec::new();
        if let Some(s) = b.highlighted() {
            plines.push(Line::from(Span::styled(
                truncate(&format!("{} · {}", s.cwd.display(), s.id), area.width as usize),
                muted,
            )));
            plines.push(Line::default());
        }
        match &b.preview {
            Some((_, text)) => {
                let room = area.height.saturating_sub(plines.len() as u16) as usize;
                let skip = text.len().saturating_sub(room);
                for l in text.iter().skip(skip) {
                    let style = if l.starts_with("› ") {
                        Style::default().fg(theme.transcript.user_marker)
                    } else if l.starts_with("  ⎿") {
                        Style::default().fg(theme.transcript.tool)
                    } else {
                        Style::default().fg(theme.ui.text)
                    };
                    plines.push(Line::from(Span::styled(truncate(l, area.width as usize), style)));
                }
            }
            None if b.highlighted().is_some() => plines.push(Line::from(Span::styled("loading the preview…", muted))),
            None => {}
        }
        frame.render_widget(Paragraph::new(plines), area);
    }
}
