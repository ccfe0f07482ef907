//! PowerShell through the binary (headless) against the mock model, with a stand-in `pwsh` on
//! PATH (a script that runs `-Command`'s text with sh and records its arguments): offered only
//! where `pwsh` is, run like bash, and held to rules that do not pretend to parse it.

mod support;

use serde_json::json;
use support::*;

/// A folder holding a `pwsh` that records its arguments in `args.txt` beside it and runs the
/// command with sh.
fn fake_pwsh() -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}/args.txt\nwhile [ $# -gt 1 ]; do\n  if [ \"$1\" = -Command ]; then exec /bin/sh -c \"$2\"; fi\n  shift\ndone\nexit 64\n",
        bin.path().display()
    );
    let path = bin.path().join("pwsh");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    bin
}

fn path_with(bin: &std::path::Path) -> String {
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

fn ps(command: &str) -> (&'static str, serde_json::Value) {
    ("PowerShell", json!({"command": command}))
}

#[test]
fn offered_only_where_pwsh_is_and_run_like_bash() {
    let d = dirs();
    let bin = fake_pwsh();
    let server = model_calling(&[ps("echo from pwsh; exit 3")]);
    let out = claw(&server, &d)
        .env("PATH", path_with(bin.path()))
        .args(["-p", "go", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let tools: Vec<String> = server.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(tools.contains(&"PowerShell".to_string()), "{tools:?}");
    assert_eq!(server.tool_results()[0], ("from pwsh\n\nExit code: 3".to_string(), true));
    let args = std::fs::read_to_string(bin.path().join("args.txt")).unwrap();
    assert_eq!(args, "-NoLogo\n-NoProfile\n-NonInteractive\n-Command\necho from pwsh; exit 3\n");

    // Without pwsh it is not offered, and a call of it is an unknown tool.
    let empty = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/bin/sh", empty.path().join("sh")).unwrap();
    let server = model_calling(&[ps("echo x")]);
    let out = claw(&server, &d)
        .env("PATH", empty.path())
        .args(["-p", "go", "--permission-mode", "danger-full-access"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let body = &server.requests()[0].body;
    assert!(!body["tools"].as_array().unwrap().iter().any(|t| t["name"] == "PowerShell"));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("unknown tool `PowerShell`"), "{:?}", r[0]);
}

/// A rule allows exactly the command it spells out: a prefix rule does not carry a second
/// command along. Deny rules match the command's text in any case, and while any is set every
/// other call asks (headless: refused), since aliases are not resolved.
#[test]
fn rules_are_exact_because_powershell_is_not_parsed() {
    let d = dirs();
    let bin = fake_pwsh();
    std::fs::write(d.work.path().join("keep.txt"), "mine").unwrap();
    let run = |calls: &[(&str, serde_json::Value)], args: &[&str]| {
        let server = model_calling(calls);
        let out = claw(&server, &d).env("PATH", path_with(bin.path())).args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        server.tool_results()
    };
    let r = run(
        &[ps("echo Get-Date"), ps("echo Get-Date; rm keep.txt")],
        &["-p", "go", "--allowedTools", "PowerShell(echo Get-Date*)"],
    );
    assert!(
        r[0].1 && r[0].0.contains("running a command needs danger-full-access"),
        "a prefix is not enough: {:?}",
        r[0]
    );
    assert!(r[1].1, "{:?}", r[1]);
    let r = run(&[ps("echo Get-Date")], &["-p", "go", "--allowedTools", "PowerShell(echo Get-Date)"]);
    assert_eq!(r[0], ("Get-Date".to_string(), false));

    let r = run(
        &[ps("REMOVE-ITEM keep.txt"), ps("echo fine")],
        &["-p", "go", "--permission-mode", "danger-full-access", "--disallowedTools", "PowerShell(Remove-Item:*)"],
    );
    assert!(r[0].1 && r[0].0.contains("denied by the rule `PowerShell(Remove-Item:*)`"), "{:?}", r[0]);
    assert!(r[1].1 && r[1].0.contains("PowerShell commands are not parsed"), "{:?}", r[1]);
    let r = run(
        &[ps("ri keep.txt")],
        &["-p", "go", "--permission-mode", "danger-full-access", "--disallowedTools", "Bash(rm:*)"],
    );
    assert!(r[0].1 && r[0].0.contains("the deny rules cannot be checked"), "{:?}", r[0]);
    assert_eq!(std::fs::read_to_string(d.work.path().join("keep.txt")).unwrap(), "mine");
}
