//! Pickers: the command palette, /model, /permissions.

use super::*;

/// Added to the score of a picker entry whose name matches, so names outrank descriptions.
const LABEL_BONUS: u32 = 1 << 20;

pub(super) fn open_palette(state: &mut State) {
    let mut items: Vec<PickerItem> = COMMANDS
        .iter()
        .map(|c| PickerItem {
            label: c.name.to_string(),
            detail: c.description.to_string(),
            key: String::new(),
            action: PickerAction::Command(c.name.to_string()),
        })
        .collect();
    for c in &state.extensions.commands {
        let line = format!("/{}", c.name);
        items.push(PickerItem {
            label: line.clone(),
            detail: format!("{} ({})", c.description, c.scope.name()),
            key: String::new(),
            action: if c.takes_arguments() {
                PickerAction::Compose(format!("{line} "))
            } else {
                PickerAction::Command(line)
            },
        });
    }
    for info in ACTIONS.iter().filter(|a| a.context == Context::Global) {
        items.push(PickerItem {
            label: info.name.replace('_', " "),
            detail: info.description.to_string(),
            key: state.keymap.hint(info.action),
            action: PickerAction::Action(info.action),
        });
    }
    open_picker(state, "Commands", items);
}

pub(super) fn open_picker(state: &mut State, title: &str, items: Vec<PickerItem>) {
    let mut p = Picker {
        title: title.into(),
        query: String::new(),
        filtered: Vec::new(),
        items,
        selected: 0,
        themes: Vec::new(),
        restore_theme: None,
    };
    refilter(&mut p);
    state.overlays.push(Overlay::Picker(Box::new(p)));
}

/// Filters a picker's items by its query with nucleo's fuzzy matcher, best score first.
pub fn refilter(p: &mut Picker) {
    use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    p.selected = 0;
    if p.query.trim().is_empty() {
        p.filtered = (0..p.items.len()).collect();
        return;
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(&p.query, CaseMatching::Smart, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = p
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            // A match in the name ranks above any match in the description.
            if let Some(s) = pattern.score(Utf32Str::new(&item.label, &mut buf), &mut matcher) {
                return Some((s + LABEL_BONUS, i));
            }
            pattern.score(Utf32Str::new(&item.detail, &mut buf), &mut matcher).map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    p.filtered = scored.into_iter().map(|(_, i)| i).collect();
}

/// Opens the theme picker on the themes the runtime loaded, with the current one highlighted.
pub(super) fn open_theme_picker(state: &mut State, themes: Vec<(String, crate::ui::theme::Theme, bool)>) {
    let current = state.theme.name.clone();
    let items = themes
        .iter()
        .enumerate()
        .map(|(i, (name, _, builtin))| PickerItem {
            label: name.clone(),
            detail: if *builtin { "built-in".into() } else { "your theme file".into() },
            key: if *name == current { "current".into() } else { String::new() },
            action: PickerAction::SetTheme(i),
        })
        .collect();
    open_picker(state, "Theme (previewed as you move; esc puts the old one back)", items);
    if let Some(Overlay::Picker(p)) = state.overlays.last_mut() {
        p.themes = themes.into_iter().map(|(_, t, _)| t).collect();
        p.restore_theme = Some(state.theme.clone());
        if let Some(pos) = p.filtered.iter().position(|&i| p.items[i].label == current) {
            p.selected = pos;
        }
    }
}

/// In the theme picker, shows the highlighted theme.
pub(super) fn preview_theme(state: &mut State) {
    let Some(Overlay::Picker(p)) = state.overlays.last() else { return };
    let chosen = p.filtered.get(p.selected).and_then(|&i| match p.items[i].action {
        PickerAction::SetTheme(t) => p.themes.get(t).cloned(),
        _ => None,
    });
    if let Some(theme) = chosen
        && theme != state.theme
    {
        state.theme = theme;
        state.layout_epoch += 1;
    }
}

pub(super) fn picker_type(p: &mut Picker, key: KeyEvent) {
    use crossterm::event::{KeyCode, KeyModifiers};
    match key.code {
        KeyCode::Char(c) if !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
            p.query.push(c);
            refilter(p);
        }
        KeyCode::Backspace => {
            p.query.pop();
            refilter(p);
        }
        _ => {}
    }
}

pub(super) fn picker_action(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Picker(p)) = state.overlays.last_mut() else { return };
    let n = p.filtered.len();
    match action {
        Action::PaletteUp if n > 0 => {
            p.selected = (p.selected + n - 1) % n;
            preview_theme(state);
        }
        Action::PaletteDown if n > 0 => {
            p.selected = (p.selected + 1) % n;
            preview_theme(state);
        }
        Action::PaletteClose => {
            if let Some(Overlay::Picker(p)) = state.overlays.pop()
                && let Some(old) = p.restore_theme
            {
                state.theme = old;
                state.layout_epoch += 1;
            }
        }
        Action::PaletteRun => {
            let chosen = p.filtered.get(p.selected).map(|&i| p.items[i].action.clone());
            state.overlays.pop();
            match chosen {
                Some(PickerAction::Command(line)) => run_command(state, &line, fx),
                Some(PickerAction::Compose(text)) => set_composer(state, &text),
                Some(PickerAction::Memory(scope)) => fx.push(Effect::EditMemory(scope)),
                Some(PickerAction::Action(a)) => {
                    let key = KeyEvent::new(crossterm::event::KeyCode::Null, crossterm::event::KeyModifiers::NONE);
                    on_action(state, a, key, fx);
                }
                Some(PickerAction::SetModel(m)) => super::commands::use_model(state, &m, fx),
                Some(PickerAction::Rewind { turn, files, conversation }) => {
                    super::review::rewind_what(state, turn, files, conversation)
                }
                Some(PickerAction::RewindTo { turn, files, conversation }) => {
                    fx.push(Effect::Agent(Op::PlanRestore { turn: Some(turn), files, conversation }))
                }
                Some(PickerAction::SetMode(m)) => set_mode(state, m, fx),
                Some(PickerAction::SetTheme(_)) => {
                    // Already shown by the preview; say how to keep it.
                    let name = state.theme.name.clone();
                    flash(state, format!("theme {name} · add theme = \"{name}\" to your config to keep it"));
                }
                None => {}
            }
        }
        _ => {}
    }
}
