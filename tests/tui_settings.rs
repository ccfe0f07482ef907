//! Hot reload and problems, by feeding events to `update`: settings read again after a file
//! changed are compared with the ones in use, and problems are told once per change of their
//! file.

#[path = "support/tui.rs"]
mod tui;

use std::path::{Path, PathBuf};

use clap::Parser;
use claw_tui::agent::Op;
use claw_tui::app::event::Event;
use claw_tui::app::keymap::Keymap;
use claw_tui::app::settings::InterfaceSettings;
use claw_tui::app::state::State;
use claw_tui::app::update::update;
use claw_tui::config::trust::Trust;
use claw_tui::config::{self, Env, Layer, Problem};
use claw_tui::permission::PermissionMode;
use claw_tui::ui::theme::Theme;
use tui::*;

/// The settings of a workspace whose local config file says `local`, under `env`.
fn settings(dir: &Path, env: &Env, local: &str) -> InterfaceSettings {
    let files = vec![(Layer::Local, dir.join("config.local.toml"))];
    std::fs::write(&files[0].1, local).unwrap();
    let cli = claw_tui::cli::Cli::parse_from(["claw-tui"]);
    let effective = config::resolve(&cli, env, &config::load_files(&files), &files, Trust::Trusted);
    InterfaceSettings {
        effective,
        theme: Theme::dark(),
        theme_problems: Vec::new(),
        keymap: Keymap::default_keymap(),
        keymap_problems: Vec::new(),
    }
}

fn reload(s: &mut State, new: InterfaceSettings, changed: &[PathBuf]) -> Vec<Op> {
    ops(&update(s, Event::Reloaded { settings: Box::new(new), changed: changed.to_vec() }))
}

/// With CLAW_PERMISSION_MODE set, a config file's permission_mode never reaches the agent,
/// however often the file changes; without it, a change does.
#[test]
fn a_file_does_not_override_the_environment_on_reload() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("config.local.toml");
    let env = Env::default().with("CLAW_PERMISSION_MODE", "read-only");
    let mut s = State::from_setup(&settings(dir.path(), &env, "permission_mode = \"workspace-write\"\n"));
    assert_eq!(s.settings.permission_mode.value, PermissionMode::Review);
    let changed = settings(dir.path(), &env, "permission_mode = \"danger-full-access\"\nmodel = \"m2\"\n");
    assert_eq!(
        reload(&mut s, changed, std::slice::from_ref(&local)),
        [Op::SetModel { model: "m2".into() }],
        "the model changed; the permission mode did not, because the environment wins"
    );
    // Without the variable the file's mode applies, as long as it allows no more than the
    // mode in use.
    s.status.mode = PermissionMode::WorkspaceWrite;
    let unset = Env::default();
    let changed = settings(dir.path(), &unset, "permission_mode = \"workspace-write\"\nmodel = \"m2\"\n");
    assert_eq!(
        reload(&mut s, changed, std::slice::from_ref(&local)),
        [Op::SetPermissionMode { mode: PermissionMode::WorkspaceWrite }]
    );
    let same = settings(dir.path(), &unset, "permission_mode = \"workspace-write\"\nmodel = \"m2\"\n");
    assert!(reload(&mut s, same, std::slice::from_ref(&local)).is_empty(), "nothing changed, nothing sent");
}

/// The attack: the model writes `.claw/config.local.toml` with full access while claw-tui
/// runs. Even when the write went through (the person approved it), hot reload does not take
/// a mode that allows more than the one in use: it says so, and nothing reaches the agent.
#[test]
fn a_file_never_loosens_the_mode_while_claw_tui_runs() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("config.local.toml");
    let env = Env::default();
    let mut s = State::from_setup(&settings(dir.path(), &env, ""));
    s.status.mode = PermissionMode::WorkspaceWrite;
    let written = settings(dir.path(), &env, "permission_mode = \"danger-full-access\"\n");
    assert!(reload(&mut s, written, std::slice::from_ref(&local)).is_empty(), "no op goes to the agent");
    let told = notices(&s);
    assert!(
        told.last()
            .is_some_and(|n| n.contains("permission_mode = \"danger-full-access\"") && n.contains("was not applied")),
        "{told:?}"
    );
}

#[test]
fn each_problem_is_told_once_per_change_of_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("config.local.toml");
    let theme_file = dir.path().join("mine.toml");
    let env = Env::default();
    let broken = "modle = \"typo\"\n";
    let mut s = state("dark");
    let start = settings(dir.path(), &env, broken);
    update(&mut s, Event::Problems(start.effective.problems.clone()));
    update(&mut s, Event::Problems(start.effective.problems.clone()));
    assert_eq!(notices(&s).len(), 1, "{:?}", notices(&s));
    assert!(notices(&s)[0].starts_with(&format!("{}:1:1: `modle` is not a setting", local.display())));
    // Another file changed: the problem in the untouched file is not told again.
    reload(&mut s, settings(dir.path(), &env, broken), std::slice::from_ref(&theme_file));
    assert_eq!(notices(&s).len(), 1);
    // Its own file was saved and is still wrong: told again, once.
    reload(&mut s, settings(dir.path(), &env, broken), std::slice::from_ref(&local));
    assert_eq!(notices(&s).len(), 2);
    // A broken theme keeps the last good one and says so, once.
    let mut with_theme = settings(dir.path(), &env, broken);
    with_theme.theme = Theme::builtin("light").unwrap();
    with_theme.theme_problems = vec![Problem::at(3, 1, "ui.text: `#zzz` is not a hex colour").in_file(&theme_file)];
    reload(&mut s, with_theme.clone(), std::slice::from_ref(&theme_file));
    reload(&mut s, with_theme, &[]);
    let told = notices(&s);
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(told[2].ends_with("is not a hex colour (keeping the last good theme)"), "{told:?}");
    assert_eq!(s.theme, Theme::builtin("dark").unwrap(), "the broken theme was not applied");
}

/// The attack: a settings file rewritten while claw-tui runs names a model of another provider
/// (`openai/...`). Hot reload does not move the conversation there: it says so, and only
/// /model switches. A prefix naming the provider in use is just dropped.
#[test]
fn a_reloaded_model_never_switches_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("config.local.toml");
    let env = Env::default();
    let mut s = State::from_setup(&settings(dir.path(), &env, "model = \"claude-sonnet-4-5\"\n"));
    s.status.provider = "anthropic".into();
    let changed = settings(dir.path(), &env, "model = \"openai/gpt-4o\"\n");
    let fx = update(&mut s, Event::Reloaded { settings: Box::new(changed), changed: vec![local.clone()] });
    use claw_tui::app::{effect::Effect, state::CellKind};
    assert!(fx.iter().all(|f| !matches!(f, Effect::StartAgent { .. } | Effect::Agent(_))), "{fx:?}");
    let told = s.transcript.cells.iter().any(|c| {
        matches!(&c.kind, CellKind::Notice { text, .. } if text.contains("provider openai") && text.contains("/model openai/gpt-4o"))
    });
    assert!(told, "the person is told how to switch");
    let same_provider = settings(dir.path(), &env, "model = \"anthropic/claude-opus-4-5\"\n");
    assert_eq!(reload(&mut s, same_provider, &[local]), [Op::SetModel { model: "claude-opus-4-5".into() }]);
}
