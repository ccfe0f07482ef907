//! Command-line arguments.

use clap::{Parser, ValueEnum};

use crate::permission::PermissionMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// The final answer as plain text.
    #[default]
    Text,
    /// One JSON object with the answer, usage and cost.
    Json,
    /// One JSON object per line, as things happen.
    StreamJson,
}

fn parse_sandbox(s: &str) -> Result<crate::sandbox::SandboxMode, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<PermissionMode, String> {
    s.parse()
}

/// A terminal coding agent.
#[derive(Debug, Clone, Parser)]
#[command(name = "claw-tui", version, about, long_about = None)]
pub struct Cli {
    /// The prompt. With -p it runs headless; the prompt may also come on stdin.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// Run headless: answer the prompt, print the result and exit.
    #[arg(short = 'p', long = "print")]
    pub print: bool,

    /// What -p prints.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,

    /// In -p text mode, also show the streamed answer and tool calls on stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// With -p: the answer must match this JSON Schema (a file, or the JSON itself); the model
    /// gives it through the StructuredOutput tool, and it is the run's result.
    #[arg(long, value_name = "FILE_OR_JSON")]
    pub json_schema: Option<String>,

    /// The model to use (default: $ANTHROPIC_MODEL, the config, or claude-sonnet-4-5).
    #[arg(long)]
    pub model: Option<String>,

    /// The provider: anthropic (default), openai, openrouter, or a local server: ollama,
    /// llamacpp, lmstudio, vllm. `--model NAME/model` selects one too.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// The interface's theme: a built-in name or a file in .claw/themes or ~/.claw/themes.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// The keymap: default, vim, emacs, or a file in .claw/keymaps or ~/.claw/keymaps.
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,

    /// review (every edit reviewed first; read-only names it too), workspace-write (default) or
    /// danger-full-access.
    #[arg(long, value_parser = parse_mode)]
    pub permission_mode: Option<PermissionMode>,

    /// What commands may do once they run: off, workspace (writes only in the workspace, temp
    /// and build caches; the default where the system can) or strict (that, and no network).
    #[arg(long, value_name = "MODE", value_parser = parse_sandbox)]
    pub sandbox: Option<crate::sandbox::SandboxMode>,

    /// Tools allowed without asking: "Bash(git status)", "Bash(cargo test:*)", "Edit". One
    /// value per flag (several rules inside it separated by commas or spaces); repeat the flag
    /// for more.
    #[arg(long = "allowedTools", visible_alias = "allowed-tools", value_name = "RULES")]
    pub allowed_tools: Vec<String>,

    /// Tools never allowed, in the same form.
    #[arg(long = "disallowedTools", visible_alias = "disallowed-tools", value_name = "RULES")]
    pub disallowed_tools: Vec<String>,

    /// Trust this folder for this run: its own settings (provider address, permission mode and
    /// rules, keymap) apply. `claw-tui trust` remembers it.
    #[arg(long, global = true)]
    pub trust: bool,

    /// Most model calls in one turn (default 16).
    #[arg(long, value_name = "N")]
    pub max_turns: Option<usize>,

    /// Play the built-in offline demo (no API key needed) in a temporary directory.
    #[arg(long)]
    pub demo: bool,

    /// Do not save this session to disk.
    #[arg(long)]
    pub no_session_persistence: bool,

    /// Resume a session by id (or a unique prefix of it); without an id, pick one.
    #[arg(short, long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,

    /// Continue the latest session of this project.
    #[arg(short = 'c', long = "continue")]
    pub continue_latest: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Print the effective settings and where each value comes from.
    Config,
    /// Trust a folder (default: this one): its own settings apply from now on.
    Trust {
        /// The folder; its workspace (the git repository around it) is what is trusted.
        dir: Option<std::path::PathBuf>,
        /// Stop trusting it instead (its settings are ignored again, without asking).
        #[arg(long)]
        revoke: bool,
    },
    /// The models of the providers: context window and prices, and what a local or
    /// OpenAI-compatible server says it has.
    Models {
        /// Only this provider's models (its server is asked for its list).
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
        /// A JSON array of {provider, model, context_window, input_price, output_price}.
        #[arg(long)]
        json: bool,
    },
    /// Log in to Anthropic with your account (OAuth); used when no API key is set.
    Login {
        /// Print the address instead of opening a browser (over SSH, paste the answer back).
        #[arg(long)]
        no_browser: bool,
    },
    /// Forget the login (the stored tokens).
    Logout,
    /// List, show and export saved sessions.
    Sessions {
        #[command(subcommand)]
        action: SessionsCommand,
    },
    /// MCP servers: list them (connecting to each), show one, add or remove one.
    Mcp {
        #[command(subcommand)]
        action: McpCommand,
    },
}

/// Which file `claw-tui mcp add` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum McpScope {
    /// This project, for you alone: `.claw/config.local.toml`.
    Local,
    /// This project, shared with everyone who clones it (and other agents): `.mcp.json`.
    Project,
    /// Every project of yours: your `config.toml`.
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum McpTransportArg {
    Stdio,
    Http,
    Sse,
    Ws,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum McpCommand {
    /// Connect to every configured server and print its transport, status and tool count.
    List {
        /// A JSON array of {name, transport, status, error, tools}.
        #[arg(long)]
        json: bool,
    },
    /// One server: where it is defined, what it runs or reaches, its status and tools.
    Get { name: String },
    /// Add a server: `mcp add NAME -- COMMAND ARGS...`, or `mcp add -t http NAME URL`.
    Add {
        name: String,
        /// The command and its arguments (stdio), or the URL.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        target: Vec<String>,
        #[arg(short, long, value_enum, default_value_t = McpScope::Local)]
        scope: McpScope,
        #[arg(short, long, value_enum, default_value_t = McpTransportArg::Stdio)]
        transport: McpTransportArg,
        /// An environment variable for a stdio server: KEY=VALUE (`${VAR}` is expanded when it
        /// starts). Repeatable.
        #[arg(short, long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// A header for a remote server: "Name: value". Repeatable.
        #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
        header: Vec<String>,
    },
    /// Authorize claw-tui with a remote server that requires OAuth (tokens kept 0600 in the
    /// config home and refreshed).
    Login {
        name: String,
        /// Print the address instead of opening a browser (over SSH, paste the answer back).
        #[arg(long)]
        no_browser: bool,
    },
    /// Forget a server's stored login.
    Logout { name: String },
    /// Remove a server from the file that defines it (with --scope, from that file only).
    Remove {
        name: String,
        #[arg(short, long, value_enum)]
        scope: Option<McpScope>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum SessionsCommand {
    /// The sessions of this project (newest first).
    List {
        /// Sessions of every project.
        #[arg(long)]
        all: bool,
        /// One JSON object per session, one per line.
        #[arg(long)]
        json: bool,
    },
    /// The conversation of a session, as Markdown.
    Show { id: String },
    /// A session as Markdown or JSON, on stdout.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
    },
}
