//! The interface's settings: the effective values, the theme and keymap they name, and every
//! problem found reading them. Read at start-up and again, off the loop thread, whenever a
//! watched file changes (hot reload); `update` compares the new with the old and applies the
//! difference.

use std::path::{Path, PathBuf};

use crate::cli::Cli;
use crate::config::{self, Effective, Problem};
use crate::ui::theme::{ColorDepth, Theme};

use super::keymap::Keymap;

/// Everything the interface takes from settings files.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceSettings {
    pub effective: Effective,
    /// The theme the settings name, adapted to the terminal's colours.
    pub theme: Theme,
    /// Problems in the theme file (a theme with problems is not applied by a reload).
    pub theme_problems: Vec<Problem>,
    pub keymap: Keymap,
    pub keymap_problems: Vec<Problem>,
}

impl InterfaceSettings {
    /// Every problem: the config layers', the theme's and the keymap's.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.effective.problems.iter().chain(&self.theme_problems).chain(&self.keymap_problems)
    }
}

/// Reads the settings of the workspace at `root` (blocking: it reads files).
pub fn load(cli: &Cli, root: &Path, depth: ColorDepth) -> InterfaceSettings {
    let effective = config::effective(cli, root);
    let (theme, theme_problems) = config::theme::resolve(&effective.theme.value, &config::theme::theme_dirs(root));
    let (keymap, keymap_problems, _) =
        config::keymap::resolve(&effective.keymap.value, &config::keymap::keymap_dirs(root, effective.trusted()));
    InterfaceSettings { effective, theme: theme.adapted(depth), theme_problems, keymap, keymap_problems }
}

/// The files hot reload watches: the config layers and the files the theme and keymap in use
/// could come from (which may not exist yet).
pub fn watched_files(root: &Path, effective: &Effective) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config::config_files(root).into_iter().map(|(_, p)| p).collect();
    files.extend(config::theme::candidate_files(&effective.theme.value, &config::theme::theme_dirs(root)));
    files.extend(config::keymap::candidate_files(
        &effective.keymap.value,
        &config::keymap::keymap_dirs(root, effective.trusted()),
    ));
    files
}
