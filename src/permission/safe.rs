//! Commands that only read: `ls`, `cat`, `rg`, `git status`... They may run wherever reading
//! is allowed (every mode, inside the workspace) without asking, like `read_file` does.
//!
//! A command is read-only when every simple command in it is one of the programs below used
//! without an option that writes or runs something else, nothing is wrapped (`sudo cat` is
//! not `cat`), nothing is redirected into a file, nothing is substituted, and nothing runs in
//! the background. Lists and pipelines of such commands are read-only too (`ls | wc -l`).
//! [`read_only`] also returns the arguments that name files, so the caller checks they are in
//! the workspace: `cat ~/.ssh/id_rsa` reads, but outside.

use super::shell::Shell;

/// How a read-only program's arguments are read.
#[derive(Clone, Copy)]
enum Args {
    /// Every argument that is not an option names a file (`cat a b`).
    Files,
    /// The first argument that is not an option is a pattern or an expression; the rest name
    /// files (`grep PAT file`, `jq FILTER file`).
    PatternThenFiles,
    /// Arguments are text, not files (`echo`, `basename`).
    Text,
    /// `git`: only the subcommands that read (see [`GIT_READS`]).
    Git,
    /// `find`: the paths before the first expression; no action that writes or runs.
    Find,
}

/// Programs that only read, how their arguments are read, and the options that would make
/// them write or run something (`sort -o`, `rg --pre`), refused by prefix.
const PROGRAMS: &[(&str, Args, &[&str])] = &[
    ("ls", Args::Files, &[]),
    ("cat", Args::Files, &[]),
    ("head", Args::Files, &[]),
    ("tail", Args::Files, &[]),
    ("wc", Args::Files, &["--files0-from"]),
    ("nl", Args::Files, &[]),
    ("file", Args::Files, &["-C", "--compile", "-m", "--magic-file"]),
    ("stat", Args::Files, &[]),
    ("du", Args::Files, &["--files0-from"]),
    ("tree", Args::Files, &["-o", "-R"]),
    ("realpath", Args::Files, &[]),
    ("readlink", Args::Files, &[]),
    ("md5sum", Args::Files, &[]),
    ("sha1sum", Args::Files, &[]),
    ("sha256sum", Args::Files, &[]),
    ("cksum", Args::Files, &[]),
    ("od", Args::Files, &[]),
    ("strings", Args::Files, &[]),
    ("diff", Args::Files, &["--to-file", "--from-file"]),
    ("cmp", Args::Files, &[]),
    ("comm", Args::Files, &[]),
    ("sort", Args::Files, &["-o", "--output", "--compress-program", "-T", "--temporary-directory"]),
    ("uniq", Args::Files, &[]),
    ("cut", Args::Files, &[]),
    ("grep", Args::PatternThenFiles, &[]),
    ("egrep", Args::PatternThenFiles, &[]),
    ("fgrep", Args::PatternThenFiles, &[]),
    ("rg", Args::PatternThenFiles, &["--pre", "--hostname-bin", "-z", "--search-zip"]),
    ("jq", Args::PatternThenFiles, &[]),
    ("echo", Args::Text, &[]),
    ("printf", Args::Text, &["-v"]),
    ("pwd", Args::Text, &[]),
    ("basename", Args::Text, &[]),
    ("dirname", Args::Text, &[]),
    ("which", Args::Text, &[]),
    ("whoami", Args::Text, &[]),
    ("uname", Args::Text, &[]),
    ("true", Args::Text, &[]),
    ("false", Args::Text, &[]),
    ("tr", Args::Text, &[]),
    ("date", Args::Text, &["-s", "--set", "-f", "--file"]),
    ("git", Args::Git, &[]),
    ("find", Args::Find, &[]),
];

/// git subcommands that read, and options of theirs that would write or run something.
const GIT_READS: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "rev-parse",
    "ls-files",
    "blame",
    "describe",
    "shortlog",
    "cat-file",
    "ls-tree",
    "grep",
    "branch",
    "tag",
    "remote",
];
const GIT_REFUSED: &[&str] =
    &["--output", "--no-index", "--ext-diff", "--textconv", "--exec", "-o", "--open-files-in-pager", "-O"];
/// `git branch`/`tag`/`remote` only list with these (or no) options.
const GIT_LISTING: &[&str] =
    &["-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "-l", "--list", "--show-current", "--contains", "-n"];

/// find's expressions that write, delete or run something.
const FIND_ACTIONS: &[&str] =
    &["-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"];

/// When every command in `shell` only reads: the arguments that name files (to be checked to
/// be in the workspace). `None` when anything could write or run something else.
pub fn read_only(shell: &Shell) -> Option<Vec<String>> {
    if !shell.parsed || shell.substitution || shell.opaque || shell.side_effects || shell.wrapped {
        return None;
    }
    if !shell.writes.is_empty() || shell.commands.is_empty() {
        return None;
    }
    let mut files = Vec::new();
    for words in &shell.commands {
        let (program, args) = words.split_first()?;
        let (_, kind, refused) = PROGRAMS.iter().find(|(p, _, _)| p == program)?;
        if args.iter().any(|a| refused.iter().any(|r| a == r || a.starts_with(&format!("{r}=")))) {
            return None;
        }
        files.extend(file_args(*kind, args)?);
    }
    Some(files)
}

/// The arguments that name files, for a program read as `kind`; `None` when the arguments
/// make it more than a read.
fn file_args(kind: Args, args: &[String]) -> Option<Vec<String>> {
    let operands = || args.iter().filter(|a| !a.starts_with('-') || a.as_str() == "-");
    match kind {
        Args::Text => Some(Vec::new()),
        Args::Files => Some(operands().filter(|a| a.as_str() != "-").cloned().collect()),
        Args::PatternThenFiles => {
            // With -e/-f the pattern comes from an option and every operand is a file.
            let pattern_given = args.iter().any(|a| a == "-e" || a == "-f" || a.starts_with("--regexp"));
            Some(operands().skip(usize::from(!pattern_given)).cloned().collect())
        }
        Args::Find => {
            if args.iter().any(|a| FIND_ACTIONS.contains(&a.as_str())) {
                return None;
            }
            Some(args.iter().take_while(|a| !a.starts_with('-') && !a.starts_with('(') && *a != "!").cloned().collect())
        }
        Args::Git => git_args(args),
    }
}

/// `git [--no-pager] SUBCOMMAND args` when the subcommand reads; its path operands.
fn git_args(args: &[String]) -> Option<Vec<String>> {
    let mut rest = args.iter().skip_while(|a| *a == "--no-pager" || *a == "-P");
    let sub = rest.next()?;
    if !GIT_READS.contains(&sub.as_str()) {
        return None;
    }
    let rest: Vec<&String> = rest.collect();
    if rest.iter().any(|a| GIT_REFUSED.iter().any(|r| *a == r || a.starts_with(&format!("{r}=")))) {
        return None;
    }
    // `git branch x` creates a branch; only the listing forms read.
    if matches!(sub.as_str(), "branch" | "tag" | "remote")
        && !rest.iter().all(|a| GIT_LISTING.contains(&a.as_str()) || (sub == "remote" && *a == "show"))
    {
        return None;
    }
    // Operands that look like paths (after `--`, or written as one) are checked; revisions
    // and patterns are not files.
    let after_dashes = rest.iter().skip_while(|a| **a != "--").skip(1);
    let pathlike =
        rest.iter().filter(|a| a.starts_with('/') || a.starts_with("~") || a.starts_with("..") || a.contains("/../"));
    Some(after_dashes.chain(pathlike).map(|a| (*a).clone()).collect())
}
