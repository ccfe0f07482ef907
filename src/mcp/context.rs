//! What a prompt asks of the MCP servers before it reaches the model: `/mcp__<server>__<prompt>
//! args` runs the server's prompt and sends its text instead, and every `@<server>:<uri>` in it
//! attaches that resource's contents. Both the interface and `-p` get this from the agent.

use serde_json::Value;

use super::hub::{Hub, PromptInfo, ServerView, Status};

/// Most characters of one attached resource.
const MAX_RESOURCE_CHARS: usize = 100_000;

/// The slash command that runs `prompt` of `server`.
pub fn prompt_command(server: &str, prompt: &str) -> String {
    format!("/{}", super::tool_name(server, prompt))
}

/// The server and prompt a `/mcp__...` command names, among connected servers.
pub fn find_prompt<'a>(views: &'a [ServerView], command: &str) -> Option<(&'a ServerView, &'a PromptInfo)> {
    views
        .iter()
        .filter(|v| v.status == Status::Connected)
        .find_map(|v| v.prompts.iter().find(|p| prompt_command(&v.name, &p.name) == command).map(|p| (v, p)))
}

/// Arguments as typed after the command: `key=value` words by name, other words in the order
/// the prompt declares its arguments (the last one takes the rest of the line).
pub fn prompt_arguments(prompt: &PromptInfo, rest: &str) -> Result<serde_json::Map<String, Value>, String> {
    let mut out = serde_json::Map::new();
    let mut positional: Vec<&str> = Vec::new();
    for word in rest.split_whitespace() {
        match word.split_once('=') {
            Some((key, value)) if prompt.arguments.iter().any(|(n, _)| n == key) => {
                out.insert(key.to_string(), Value::from(value));
            }
            _ => positional.push(word),
        }
    }
    let free: Vec<&(String, bool)> = prompt.arguments.iter().filter(|(n, _)| !out.contains_key(n)).collect();
    for (i, (name, _)) in free.iter().enumerate() {
        if i >= positional.len() {
            break;
        }
        let value = if i + 1 == free.len() { positional[i..].join(" ") } else { positional[i].to_string() };
        out.insert(name.clone(), Value::from(value));
    }
    if positional.len() > free.len() && free.is_empty() {
        return Err(format!("the prompt `{}` takes no more arguments than {}", prompt.name, out.len()));
    }
    let missing: Vec<&str> = prompt
        .arguments
        .iter()
        .filter(|(n, required)| *required && !out.contains_key(n))
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        let usage: Vec<String> = prompt
            .arguments
            .iter()
            .map(|(n, r)| if *r { n.to_uppercase() } else { format!("[{}]", n.to_uppercase()) })
            .collect();
        return Err(format!("missing {}; usage: {}", missing.join(", "), usage.join(" ")));
    }
    Ok(out)
}

/// Runs the prompt a `/mcp__...` line names: `None` when it names none (it goes to the model
/// as typed), else the prompt's text or why it could not run.
pub async fn expand_prompt(hub: &Hub, text: &str) -> Option<Result<String, String>> {
    let line = text.trim();
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if !command.starts_with(&format!("/{}", super::PREFIX)) {
        return None;
    }
    let views = hub.views();
    let Some((server, prompt)) = find_prompt(&views, command) else {
        return Some(Err(format!("{command} is not a prompt of a connected MCP server (/mcp lists them)")));
    };
    let outcome = match prompt_arguments(prompt, rest) {
        Ok(args) => hub.get_prompt(&server.name, &prompt.name, args).await,
        Err(e) => Err(e),
    };
    Some(outcome.map_err(|e| format!("{command}: {e}")))
}

/// The `@server:uri` mentions of connected servers in `text`, in order, each once.
pub fn mentions(views: &[ServerView], text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for word in text.split_whitespace() {
        let Some(word) = word.strip_prefix('@') else { continue };
        let word = word.trim_end_matches([',', '.', ';', ')', '!', '?', '"', '\'']);
        let Some((server, uri)) = word.split_once(':') else { continue };
        let known = views.iter().any(|v| v.name == server && v.status == Status::Connected);
        if known && !uri.is_empty() && !out.iter().any(|(s, u)| s == server && u == uri) {
            out.push((server.to_string(), uri.to_string()));
        }
    }
    out
}

/// The contents of every resource `text` mentions, as blocks to add to the message; a
/// resource that cannot be read is a block saying why (the model and the person both see it).
pub async fn attach_resources(hub: &Hub, text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    for (server, uri) in mentions(&hub.views(), text) {
        let block = match hub.read_resource(&server, &uri).await {
            Ok(contents) => crate::tools::text::attached(
                "resource",
                &format!("server=\"{server}\" uri=\"{uri}\""),
                &contents,
                MAX_RESOURCE_CHARS,
            ),
            Err(e) => format!("[resource @{server}:{uri} could not be read: {e}]"),
        };
        blocks.push(block);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review() -> PromptInfo {
        PromptInfo {
            name: "review".into(),
            description: String::new(),
            arguments: vec![("file".into(), true), ("focus".into(), false)],
        }
    }

    #[test]
    fn arguments_by_position_and_by_name() {
        let args = prompt_arguments(&review(), "src/main.rs error handling and logs").unwrap();
        assert_eq!(args["file"], "src/main.rs");
        assert_eq!(args["focus"], "error handling and logs");
        let args = prompt_arguments(&review(), "focus=tests src/lib.rs").unwrap();
        assert_eq!((args["file"].as_str(), args["focus"].as_str()), (Some("src/lib.rs"), Some("tests")));
        assert_eq!(prompt_arguments(&review(), "").unwrap_err(), "missing file; usage: FILE [FOCUS]");
    }

    #[test]
    fn mentions_name_connected_servers_only() {
        let view = |name: &str, status: Status| ServerView {
            name: name.into(),
            transport: "stdio",
            target: String::new(),
            status,
            tools: vec![],
            prompts: vec![],
            resources: vec![],
            protocol: String::new(),
            log: None,
            file: Default::default(),
        };
        let views = vec![view("notes", Status::Connected), view("down", Status::Connecting)];
        let text = "compare @notes:mem://a.txt, @notes:mem://a.txt and @down:x with @src/main.rs and mail@host:1";
        assert_eq!(mentions(&views, text), vec![("notes".to_string(), "mem://a.txt".to_string())]);
    }
}
