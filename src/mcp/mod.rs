//! MCP: the Model Context Protocol servers a user configures, their tools offered to the model.
//!
//! - [`config`]: which servers (`.mcp.json`, `[mcp.servers.NAME]`), folder trust, `${VAR}`.
//! - [`connect`]: reaching one server over rmcp (a child process on stdio, streamable HTTP),
//!   the protocol version negotiated (2026-07-28, falling back to 2025-11-25's `initialize`),
//!   notifications (tools changed, progress).
//! - [`context`]: `/mcp__server__prompt` run as the prompt's text, `@server:uri` attached.
//! - [`hub`]: every server of a workspace connecting in the background, their status and
//!   tools, calls with a timeout and interruption, reconnecting, stopping them.
//! - [`manage`]: `claw-tui mcp list|get|add|remove|login|logout`; [`auth`]: OAuth for remote
//!   servers (rmcp's client, claw-tui's browser answer and 0600 token store).
//! - [`sse`]: the older HTTP+SSE transport (an event stream, messages posted to its endpoint).
//! - [`ws`]: MCP over WebSocket, one message per text frame.
//! - [`tool`]: a server's tool as a [`crate::tools::Tool`] named `mcp__<server>__<tool>`:
//!   planned as a call that asks (rules `mcp__<server>` and `mcp__<server>__<tool>` allow
//!   it), its result rendered as text for the model.
//!
//! The registry ([`crate::tools::registry`]) asks the hub for the tools at each request, so a
//! server that connects late or changes its list is seen at the next request.

pub mod auth;
pub mod config;
pub mod connect;
pub mod context;
pub mod hub;
pub mod manage;
pub mod sse;
pub mod tool;
pub mod ws;

pub use config::{McpConfig, ServerConfig, Transport};
pub use hub::{Hub, ServerView, Status};

/// The prefix of every MCP tool's name.
pub const PREFIX: &str = "mcp__";

/// The name a server's tool has for the model and in permission rules: `mcp__<server>__<tool>`,
/// names kept as they are but for characters outside `[A-Za-z0-9_-]`, which become `_`.
pub fn tool_name(server: &str, tool: &str) -> String {
    format!("{PREFIX}{}__{}", clean(server), clean(tool))
}

/// The permission rule name that covers every tool of `server`: `mcp__<server>`.
pub fn server_rule(server: &str) -> String {
    format!("{PREFIX}{}", clean(server))
}

fn clean(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_hyphens_and_replace_the_rest() {
        assert_eq!(tool_name("git-hub", "create_issue"), "mcp__git-hub__create_issue");
        assert_eq!(tool_name("my server", "a.b/c"), "mcp__my_server__a_b_c");
        assert_eq!(server_rule("time"), "mcp__time");
    }
}
