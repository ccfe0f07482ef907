//! Shell commands as the permission policy sees them: parsed with tree-sitter-bash, never
//! matched as text.
//!
//! - An **allow** rule (`Bash(npm test:*)`) may only match a command that is one simple command
//!   ([`Shell::simple`]): no list (`&&`, `;`, a second line), pipeline, substitution (`$(..)`,
//!   backticks, `<(..)`), subshell, background job or variable assignment. So
//!   `echo hi && touch x` is not "`echo hi` with arguments".
//! - A **deny** rule (`Bash(git push:*)`) is checked against every simple command anywhere in
//!   the tree ([`Shell::commands`]), inside substitutions, control flow and `sh -c` strings too,
//!   after the words are unquoted (`"git"`, `g\it`), wrappers are taken off (`env`, `command`,
//!   `sudo`, `nice`, `timeout`, `xargs`, `find -exec` ...) and the program's directory is dropped
//!   (`/usr/bin/git` is `git`).
//! - A command whose program claw-tui cannot tell (`$CMD push`, `eval "$x"`) is
//!   [`Shell::opaque`]: no rule can vouch for it.
//! - Redirections that write files ([`Shell::writes`]) are visible to the policy, so writing a
//!   protected file with `>` asks like writing it with a tool.
//!
//! An input that does not parse cleanly matches no allow rule.

use tree_sitter::{Node, Parser};

/// What the policy needs to know about a shell command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shell {
    /// Whether the whole input parsed without errors.
    pub parsed: bool,
    /// The words of the command when the input is exactly one simple command (see the module
    /// docs); `None` otherwise.
    pub simple: Option<Vec<String>>,
    /// Every simple command in the input, unquoted, unwrapped, program without its directory.
    /// A word whose value depends on expansions is kept as written.
    pub commands: Vec<Vec<String>>,
    /// Files written by redirections (`>`, `>>`, `&>`, `2>`), as written, except `/dev/null`.
    pub writes: Vec<String>,
    /// Whether the input holds a command or process substitution.
    pub substitution: bool,
    /// Whether some command's program cannot be known before it runs.
    pub opaque: bool,
    /// Whether some command runs in the background (`&`) or assigns variables for itself
    /// (`FOO=1 cmd`), or the input defines functions: things no rule vouches for.
    pub side_effects: bool,
    /// Whether some command runs under a wrapper (`sudo`, `env`, `nice`...): its words in
    /// [`Shell::commands`] are the wrapped command's, but it does not run as plainly.
    pub wrapped: bool,
}

/// Parses `command`.
pub fn parse(command: &str) -> Shell {
    let mut shell = Shell::default();
    let Some(tree) = parse_tree(command) else { return shell };
    let root = tree.root_node();
    shell.parsed = !root.has_error();
    let src = command.as_bytes();
    let mut walk = Walk { src, shell: &mut shell, depth: 0 };
    walk.node(root);
    if shell.parsed {
        shell.simple = simple(root, src);
    }
    shell
}

fn parse_tree(command: &str) -> Option<tree_sitter::Tree> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_bash::LANGUAGE.into()).ok()?;
    parser.parse(command, None)
}

/// Node kinds that contain statements to look into.
const CONTAINERS: &[&str] = &[
    "program",
    "list",
    "pipeline",
    "subshell",
    "compound_statement",
    "if_statement",
    "elif_clause",
    "else_clause",
    "while_statement",
    "for_statement",
    "c_style_for_statement",
    "case_statement",
    "case_item",
    "do_group",
    "negated_command",
    "redirected_statement",
    "test_command",
    "declaration_command",
    "unset_command",
    "variable_assignment",
    "variable_assignments",
    "concatenation",
    "string",
    "expansion",
    "arithmetic_expansion",
    "binary_expression",
    "unary_expression",
    "parenthesized_expression",
    "ternary_expression",
    "array",
    "file_redirect",
    "herestring_redirect",
    "heredoc_redirect",
    "heredoc_body",
];

/// Most nesting of `sh -c` strings looked into.
const MAX_NESTED_SHELLS: usize = 4;

struct Walk<'a> {
    src: &'a [u8],
    shell: &'a mut Shell,
    /// How many `sh -c` strings deep this walk is.
    depth: usize,
}

impl Walk<'_> {
    fn node(&mut self, node: Node) {
        match node.kind() {
            "command" => self.command(node),
            "command_substitution" | "process_substitution" => {
                self.shell.substitution = true;
                self.children(node);
            }
            "function_definition" => {
                self.shell.side_effects = true;
                self.children(node);
            }
            "file_redirect" => {
                self.redirect(node);
                self.children(node);
            }
            "&" => self.shell.side_effects = true,
            kind if CONTAINERS.contains(&kind) => self.children(node),
            _ => {}
        }
    }

    fn children(&mut self, node: Node) {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            self.node(child);
        }
    }

    /// A redirection: `> file`, `>> file`, `&> file` and `2> file` write the file.
    fn redirect(&mut self, node: Node) {
        let mut cursor = node.walk();
        let writes = node.children(&mut cursor).any(|c| !c.is_named() && c.kind().contains('>'));
        if !writes {
            return;
        }
        if let Some(dest) = node.child_by_field_name("destination") {
            // A target known only when it runs (`> $F`): no rule can vouch for it.
            let target = word_value(dest, self.src).unwrap_or_else(|| {
                self.shell.side_effects = true;
                text(dest, self.src).to_string()
            });
            if target != "/dev/null" && !target.chars().all(|c| c.is_ascii_digit() || c == '-') {
                self.shell.writes.push(target);
            }
        }
    }

    /// A simple command: its words, unwrapped; nested shells parsed; what it contains walked.
    fn command(&mut self, node: Node) {
        // Each word's static value (if it has one) and its text as written.
        let mut words: Vec<(Option<String>, String)> = Vec::new();
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            match child.kind() {
                "variable_assignment" => {
                    self.shell.side_effects = true;
                    self.node(child);
                }
                "command_name" => {
                    let inner = child.named_child(0).unwrap_or(child);
                    words.push((word_value(inner, self.src), text(inner, self.src).to_string()));
                    self.node(inner);
                }
                "file_redirect" | "herestring_redirect" => self.node(child),
                _ if child.is_named() => {
                    words.push((word_value(child, self.src), text(child, self.src).to_string()));
                    self.node(child);
                }
                _ => {}
            }
        }
        let before = words.len();
        let words = unwrap_wrappers(words);
        if words.len() != before {
            self.shell.wrapped = true;
        }
        if words.first().is_some_and(|(value, _)| value.is_none()) {
            self.shell.opaque = true;
        }
        let mut shown: Vec<String> = words.iter().map(|(value, raw)| value.clone().unwrap_or(raw.clone())).collect();
        if let Some(first) = shown.first_mut() {
            *first = program_name(first);
        }
        let values: Vec<Option<String>> = words.into_iter().map(|(value, _)| value).collect();
        self.nested(&shown, &values);
        if !shown.is_empty() {
            self.shell.commands.push(shown);
        }
    }

    /// `sh -c STRING`, `eval STRING`, `find -exec CMD ;`: the command inside is a command too.
    fn nested(&mut self, shown: &[String], words: &[Option<String>]) {
        let program = shown.first().map(String::as_str).unwrap_or_default();
        let script = match program {
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" => {
                words.iter().position(|w| w.as_deref() == Some("-c")).and_then(|i| words.get(i + 1))
            }
            "eval" => words.get(1),
            _ => None,
        };
        match script {
            Some(Some(script)) if self.depth < MAX_NESTED_SHELLS => {
                let inner = script.clone();
                if let Some(tree) = parse_tree(&inner) {
                    let mut walk = Walk { src: inner.as_bytes(), shell: self.shell, depth: self.depth + 1 };
                    walk.node(tree.root_node());
                }
            }
            // A script claw-tui cannot read before it runs.
            Some(_) => self.shell.opaque = true,
            None => {}
        }
        if matches!(program, "find" | "fd") {
            let mut rest = shown.iter().skip(1);
            while let Some(w) = rest.next().map(String::as_str) {
                if matches!(w, "-exec" | "-execdir" | "-ok" | "-okdir" | "-x" | "--exec" | "-X" | "--exec-batch") {
                    let cmd: Vec<String> =
                        rest.by_ref().take_while(|w| *w != ";" && *w != "+" && *w != "\\;").cloned().collect();
                    if !cmd.is_empty() {
                        self.shell.commands.push(unwrap_known(cmd));
                    }
                }
            }
        }
    }
}

fn text<'a>(node: Node, src: &'a [u8]) -> &'a str {
    node.utf8_text(src).unwrap_or_default()
}

/// The value a word has after the shell removes quotes and backslashes, when that does not
/// depend on anything that happens at run time; `None` when it does (an expansion, a
/// substitution, a glob).
pub(crate) fn word_value(node: Node, src: &[u8]) -> Option<String> {
    let raw = text(node, src);
    match node.kind() {
        "word" | "number" => {
            if raw.contains(['*', '?', '[']) && node.kind() == "word" && !raw.contains('\\') {
                // A glob's value is the files it matches; the word itself still names a
                // pattern, which is what rules compare.
                return Some(raw.to_string());
            }
            Some(unescape(raw))
        }
        "raw_string" => raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')).map(str::to_string),
        "string" => {
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                match child.kind() {
                    "string_content" => out.push_str(&unescape_double(text(child, src))),
                    _ => return None,
                }
            }
            Some(out)
        }
        "concatenation" => {
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                out.push_str(&word_value(child, src)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// Removes backslash escapes from an unquoted word (`g\it` is `git`).
fn unescape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && next != '\n'
                {
                    out.push(next);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Removes the backslash escapes a double-quoted string honours (`\"`, `\\`, `\$`, `` \` ``).
fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| matches!(n, '"' | '\\' | '$' | '`' | '\n')) {
            if let Some(n) = chars.next().filter(|n| *n != '\n') {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Programs that run the command in their arguments, and how many arguments each of their
/// options takes (options not listed take none).
const WRAPPERS: &[(&str, &[&str])] = &[
    ("env", &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"]),
    ("command", &[]),
    ("builtin", &[]),
    ("exec", &["-a"]),
    ("sudo", &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group"]),
    ("doas", &["-u", "-C"]),
    ("nice", &["-n", "--adjustment"]),
    ("nohup", &[]),
    ("time", &["-f", "-o", "--format", "--output"]),
    ("setsid", &[]),
    ("stdbuf", &["-i", "-o", "-e"]),
    ("timeout", &["-s", "-k", "--signal", "--kill-after"]),
    ("ionice", &["-c", "-n", "-p"]),
    ("unbuffer", &[]),
    ("xargs", &["-I", "-n", "-P", "-d", "-a", "-E", "-L", "-s", "--max-args", "--max-procs", "--delimiter"]),
    ("watch", &["-n", "-d", "--interval"]),
    ("caffeinate", &["-t", "-w"]),
];

/// The program a command word names: its file name without the directory (`/usr/bin/git` is
/// `git`).
fn program_name(word: &str) -> String {
    word.rsplit('/').next().filter(|b| !b.is_empty()).unwrap_or(word).to_string()
}

/// Takes wrappers off the front of a command: `env FOO=1 nice -n 5 git push` is `git push`.
/// Each word is its static value (if any) and its text.
fn unwrap_wrappers(mut words: Vec<(Option<String>, String)>) -> Vec<(Option<String>, String)> {
    for _ in 0..8 {
        let Some((Some(first), _)) = words.first() else { return words };
        let program = program_name(first);
        let Some((_, with_arg)) = WRAPPERS.iter().find(|(w, _)| *w == program) else { return words };
        let mut i = 1;
        while let Some((value, _)) = words.get(i) {
            let Some(w) = value.as_deref() else { break };
            if w == "--" {
                i += 1;
                break;
            }
            if w.starts_with('-') && w.len() > 1 {
                // `nice -n 5`, `timeout -s KILL`: options that take the next word.
                i += if with_arg.contains(&w) { 2 } else { 1 };
                continue;
            }
            if program == "env" && w.contains('=') {
                i += 1;
                continue;
            }
            // timeout's duration.
            if program == "timeout" && w.starts_with(|c: char| c.is_ascii_digit()) {
                i += 1;
            }
            break;
        }
        if i >= words.len() {
            return words;
        }
        words.drain(..i);
    }
    words
}

/// [`unwrap_wrappers`] for words known to be static (a `find -exec` command).
fn unwrap_known(words: Vec<String>) -> Vec<String> {
    let pairs = words.into_iter().map(|w| (Some(w.clone()), w)).collect();
    let mut out: Vec<String> = unwrap_wrappers(pairs).into_iter().map(|(_, raw)| raw).collect();
    if let Some(first) = out.first_mut() {
        *first = program_name(first);
    }
    out
}

/// The words of `root` when it is exactly one simple command an allow rule may match.
fn simple(root: Node, src: &[u8]) -> Option<Vec<String>> {
    let mut cursor = root.walk();
    let children: Vec<Node> = root.children(&mut cursor).collect();
    // A trailing `;` ends the command; `&` sends it to the background, which no rule vouches for.
    if children.iter().any(|n| n.kind() == "&") {
        return None;
    }
    let statements: Vec<Node> = children.into_iter().filter(|n| n.is_named() && n.kind() != "comment").collect();
    let [statement] = statements[..] else { return None };
    let command = match statement.kind() {
        "command" => statement,
        "redirected_statement" => {
            let body = statement.child_by_field_name("body")?;
            let mut c = statement.walk();
            let plain = statement.children(&mut c).all(|r| {
                r.id() == body.id()
                    || matches!(r.kind(), "file_redirect" | "heredoc_redirect" | "herestring_redirect")
                    || !r.is_named()
            });
            if body.kind() != "command" || !plain {
                return None;
            }
            body
        }
        _ => return None,
    };
    if has_kind(statement, &["command_substitution", "process_substitution", "variable_assignment"]) {
        return None;
    }
    let mut words = Vec::new();
    let mut c = command.walk();
    for child in command.children(&mut c) {
        match child.kind() {
            "command_name" => words.push(word_value(child.named_child(0).unwrap_or(child), src)?),
            "file_redirect" | "herestring_redirect" => {}
            _ if child.is_named() => words.push(word_value(child, src).unwrap_or_else(|| text(child, src).to_string())),
            _ => {}
        }
    }
    if let Some(first) = words.first_mut() {
        *first = program_name(first);
    }
    (!words.is_empty()).then_some(words)
}

/// Whether `node` or anything under it is of one of `kinds`.
fn has_kind(node: Node, kinds: &[&str]) -> bool {
    if kinds.contains(&node.kind()) {
        return true;
    }
    let mut cursor = node.walk();
    node.children(&mut cursor).any(|c| has_kind(c, kinds))
}

/// Splits a rule's pattern into words the way the shell would (quotes removed), for comparing
/// with a parsed command's words.
pub fn pattern_words(pattern: &str) -> Vec<String> {
    match parse(pattern).simple {
        Some(words) => words,
        None => pattern.split_whitespace().map(str::to_string).collect(),
    }
}
