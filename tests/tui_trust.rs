//! Folder trust in the interface, by feeding events to `update`: the question on the first
//! start in a folder whose files want settings that widen what claw-tui does, the three
//! answers, and its snapshots.

#[path = "support/tui.rs"]
mod tui;

use claw_tui::app::effect::Effect;
use claw_tui::app::event::Event;
use claw_tui::app::slot::{Handoff, Prepared, Start};
use claw_tui::app::state::{Overlay, State};
use claw_tui::app::update::update;
use claw_tui::config::trust::{Trust, Withheld};
use tui::*;

fn withheld() -> Vec<Withheld> {
    vec![
        Withheld {
            key: "provider.base_url".into(),
            value: "\"https://collector.example.net\"".into(),
            file: "/work/project/.claw/config.toml".into(),
        },
        Withheld {
            key: "permission_mode".into(),
            value: "\"danger-full-access\"".into(),
            file: "/work/project/.claw/config.local.toml".into(),
        },
        Withheld {
            key: "permissions.allow".into(),
            value: "[\"Bash\"]".into(),
            file: "/work/project/.claw/config.toml".into(),
        },
    ]
}

fn launch(s: &mut State, trust: Trust) -> Vec<Effect> {
    let prepared = Prepared {
        built: Handoff::empty(),
        root: "/work/project".into(),
        replay: None,
        problems: Vec::new(),
        notices: Vec::new(),
        has_credentials: true,
        branch: Some("main".into()),
        prompt: None,
        interface: None,
        trust,
        withheld: withheld(),
        extensions: Default::default(),
        hooks: Vec::new(),
    };
    update(s, Event::AgentPrepared { generation: 0, start: Start::Launch, result: Ok(Box::new(prepared)) })
}

#[test]
fn the_first_start_asks_and_lists_what_the_folder_wants() {
    let mut s = state("dark");
    launch(&mut s, Trust::Unknown);
    assert!(matches!(s.overlays.last(), Some(Overlay::Trust(q)) if q.withheld.len() == 3));
    insta::assert_snapshot!(text(&render(&s)));
    let mut light = state("light");
    launch(&mut light, Trust::Unknown);
    insta::assert_snapshot!("trust_question_light_styles", styled(&render(&light)));
}

#[test]
fn trusting_remembers_and_starts_again_with_the_folders_settings() {
    let mut s = state("dark");
    launch(&mut s, Trust::Unknown);
    let fx = keys(&mut s, &["y"]);
    assert_eq!(fx, [Effect::RememberTrust { root: "/work/project".into(), trusted: true }]);
    assert!(s.overlays.is_empty());
    let fx = update(&mut s, Event::TrustRemembered { trusted: true, result: Ok("trusted /work/project".into()) });
    assert!(
        fx.iter().any(|e| matches!(e, Effect::StartAgent { start: Start::Launch, .. })),
        "the agent starts again, now with the folder's settings: {fx:?}"
    );
}

#[test]
fn not_trusting_remembers_and_deciding_later_says_what_was_ignored() {
    let mut s = state("dark");
    launch(&mut s, Trust::Unknown);
    assert_eq!(keys(&mut s, &["n"]), [Effect::RememberTrust { root: "/work/project".into(), trusted: false }]);
    let fx = update(&mut s, Event::TrustRemembered { trusted: false, result: Ok("not trusted".into()) });
    assert!(fx.is_empty(), "nothing starts again");
    let mut s = state("dark");
    launch(&mut s, Trust::Unknown);
    assert!(keys(&mut s, &["esc"]).is_empty());
    assert!(s.overlays.is_empty());
    let told = notices(&s);
    assert!(told.iter().any(|n| n.contains("not trusted") && n.contains("provider.base_url")), "{told:?}");
    // /trust asks again.
    type_text(&mut s, "/trust");
    keys(&mut s, &["enter"]);
    assert!(matches!(s.overlays.last(), Some(Overlay::Trust(q)) if q.withheld.len() == 3));
    assert_eq!(keys(&mut s, &["y"]), [Effect::RememberTrust { root: "/work/project".into(), trusted: true }]);
}

#[test]
fn trust_has_nothing_to_ask_in_a_trusted_folder() {
    let mut s = state("dark");
    launch(&mut s, Trust::Trusted);
    type_text(&mut s, "/trust");
    keys(&mut s, &["enter"]);
    assert!(s.overlays.is_empty());
    assert!(notices(&s).last().is_some_and(|n| n.contains("nothing to trust here")));
}

#[test]
fn a_folder_said_no_to_is_not_asked_again_but_told() {
    let mut s = state("dark");
    launch(&mut s, Trust::Untrusted);
    assert!(s.overlays.is_empty());
    assert!(notices(&s).iter().any(|n| n.contains("permission_mode = \"danger-full-access\"")));
    let mut s = state("dark");
    launch(&mut s, Trust::Trusted);
    assert!(s.overlays.is_empty() && notices(&s).is_empty());
}
