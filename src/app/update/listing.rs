//! `/hooks` and `/skills`: what the user's and the project's files add, and where each comes
//! from, as text for a notice.

use crate::app::state::TrustQuestion;
use crate::extend::Extensions;
use crate::extend::hooks::Hook;

/// The hooks in force, by event, each with its matcher, command, timeout and file; then those
/// an untrusted folder's files wanted.
pub(super) fn hooks(hooks: &[Hook], untrusted: Option<&TrustQuestion>) -> String {
    let withheld: Vec<String> = untrusted
        .map(|q| q.withheld.iter().filter(|w| w.key.starts_with("hooks.")).map(|w| format!("  {w}")).collect())
        .unwrap_or_default();
    let mut out = match hooks.len() {
        0 => "no hooks are in force (Claude Code's settings.json files and [hooks] in claw-tui's config; see docs/hooks.md)".to_string(),
        1 => "1 hook is in force:".to_string(),
        n => format!("{n} hooks are in force:"),
    };
    for event in crate::extend::hooks::Event::ALL {
        for hook in hooks.iter().filter(|h| h.event == event) {
            let matcher = if hook.matcher.is_empty() { String::new() } else { format!(" [{}]", hook.matcher) };
            out.push_str(&format!(
                "\n  {}{matcher}: {} (timeout {} s; {} {})",
                event.name(),
                hook.command.lines().next().unwrap_or(""),
                hook.timeout_secs,
                hook.scope.name(),
                hook.file.display()
            ));
        }
    }
    if !withheld.is_empty() {
        out.push_str("\nnot run, because this folder is not trusted (/trust to let them):\n");
        out.push_str(&withheld.join("\n"));
    }
    out
}

/// The skills offered to the model, then the custom commands, each with where it comes from.
pub(super) fn skills_and_commands(ext: &Extensions) -> String {
    let mut out = match ext.skills.len() {
        0 => "no skills (folders with a SKILL.md in .claw/skills, .claude/skills, ~/.claw/skills or ~/.claude/skills)"
            .to_string(),
        n => format!("{n} skill{} offered to the model (tool Skill):", if n == 1 { "" } else { "s" }),
    };
    for s in &ext.skills {
        out.push_str(&format!("\n  {}: {} ({} {})", s.name, s.description, s.scope.name(), s.dir.display()));
    }
    match ext.commands.len() {
        0 => out.push_str("\nno custom commands (.md files in .claw/commands, .claude/commands, ~/.claw/commands or ~/.claude/commands)"),
        n => out.push_str(&format!("\n{n} custom command{}:", if n == 1 { "" } else { "s" })),
    }
    for c in &ext.commands {
        out.push_str(&format!("\n  {}: {} ({} {})", c.usage(), c.description, c.scope.name(), c.path.display()));
    }
    out
}
