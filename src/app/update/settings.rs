//! Hot reload and problems: settings read again are compared with the ones in use, and what
//! changed is applied; every problem in a settings file is told once per change of its file.

use super::*;
use crate::app::settings::InterfaceSettings;
use crate::config::Problem;

/// Settings read again after `changed` changed on disk. A theme or keymap that loads cleanly
/// replaces the one in use (a broken save keeps the last good one, and says so); a new model
/// or permission mode goes to the agent only when its effective value changed, so a file never
/// overrides the environment or a flag. A permission mode that allows more than the one in use
/// is never applied from a file: it is said, and the person switches if they mean it.
pub(super) fn reloaded(
    state: &mut State,
    new: InterfaceSettings,
    changed: &[std::path::PathBuf],
    fx: &mut Vec<Effect>,
) {
    let InterfaceSettings { effective, theme, theme_problems, keymap, keymap_problems } = new;
    if theme_problems.is_empty() && theme != state.theme {
        state.theme = theme;
        state.layout_epoch += 1;
    }
    if keymap_problems.is_empty() && keymap != state.keymap {
        state.keymap = keymap;
        state.pending_keys.clear();
    }
    if effective.model.value != state.settings.model.value {
        // On the provider in use only: a file (the model may have written it) does not pick
        // where the conversation goes; it is said, and /model switches.
        match super::commands::on_provider(state, &effective.model.value, &effective.providers) {
            Ok(model) => fx.push(Effect::Agent(Op::SetModel { model })),
            Err((provider, _)) => notice(
                state,
                NoticeLevel::Warning,
                format!(
                    "the settings now name the model {:?} of the provider {provider}; /model {} switches to it",
                    effective.model.value, effective.model.value
                ),
            ),
        }
    }
    let old = &state.settings;
    let mode = effective.permission_mode.value;
    if mode != old.permission_mode.value {
        if mode > state.status.mode {
            // A file that now allows more is not taken on its word while claw-tui runs: the
            // model may have written it. The person can switch themselves.
            notice(
                state,
                NoticeLevel::Warning,
                format!(
                    "{} now sets permission_mode = \"{mode}\", which allows more than the mode in use ({}); it was not applied. Switch with {} or /permissions if you meant it.",
                    effective.permission_mode.source,
                    state.status.mode,
                    state.keymap.hint(Action::CycleMode),
                ),
            );
        } else {
            fx.push(Effect::Agent(Op::SetPermissionMode { mode }));
        }
    }
    let problems = effective.problems.clone();
    state.settings = effective;
    forget(state, changed);
    report(state, problems, "");
    report(state, theme_problems, " (keeping the last good theme)");
    report(state, keymap_problems, " (keeping the last good keymap)");
}

/// Tells each problem not told before. A problem in one of the `changed` files is told again
/// (the file was saved and is still wrong); a problem that stays in an untouched file is not.
pub(super) fn report_problems(state: &mut State, problems: Vec<Problem>, changed: &[std::path::PathBuf]) {
    forget(state, changed);
    report(state, problems, "");
}

/// Forgets the problems told about files that changed since.
fn forget(state: &mut State, changed: &[std::path::PathBuf]) {
    state.reported.retain(|p| !p.path.as_ref().is_some_and(|path| changed.contains(path)));
}

/// Tells the problems not told yet, with `suffix` after each message (what was done about it).
fn report(state: &mut State, problems: Vec<Problem>, suffix: &str) {
    for p in problems {
        if !state.reported.contains(&p) {
            notice(state, NoticeLevel::Warning, format!("{p}{suffix}"));
            state.reported.insert(p);
        }
    }
}
