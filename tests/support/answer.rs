//! A long Markdown answer shaped like a real model's: sections, prose, lists, tables and
//! fenced code blocks of many languages and lengths (some sixty lines long). The paced
//! streaming benchmark sends it at a real model's pace; tests check that what is drawn while it
//! streams matches what is drawn once it is finished.

#![allow(dead_code)]

const LANGS: [&str; 8] = ["rust", "python", "typescript", "bash", "json", "toml", "go", "yaml"];
/// Lines of the code blocks, in turn: short ones and long ones, as answers have.
const BLOCK_LINES: [usize; 8] = [10, 18, 26, 44, 60, 14, 32, 22];

/// The answer: `blocks` fenced code blocks, a table after every third, prose between them,
/// ending with the line `END-OF-ANSWER`.
pub fn long_answer(blocks: usize) -> String {
    let mut out = String::from("# A survey of the parser, file by file\n\n");
    for b in 0..blocks {
        out.push_str(&format!("## Part {} — `src/part_{b}.rs`\n\n", b + 1));
        prose(&mut out, b);
        list(&mut out, b, if b.is_multiple_of(2) { 4 } else { 2 });
        let lang = LANGS[b % LANGS.len()];
        out.push_str(&format!("```{lang}\n"));
        code(&mut out, lang, BLOCK_LINES[b % BLOCK_LINES.len()], b);
        out.push_str("```\n\n");
        if b % 3 == 1 && b < 42 {
            table(&mut out, b);
        }
    }
    out.push_str("That is all.\nEND-OF-ANSWER\n");
    out
}

fn prose(out: &mut String, b: usize) {
    let sentences = [
        "The parser reads the input once and keeps a cursor into it",
        "errors carry the **line and column** where they were found",
        "the tokenizer is `no_std` and allocation-free on the hot path",
        "a [fuzz target](https://example.com/fuzz) exercises the recovery code",
        "the public API returns *borrowed* slices wherever it can",
    ];
    for i in 0..3 + b % 3 {
        let s = sentences[(b + i) % sentences.len()];
        out.push_str(&format!("{s}; step {i} of part {b} needs it.\n"));
    }
    out.push('\n');
}

fn list(out: &mut String, b: usize, items: usize) {
    for i in 0..items {
        out.push_str(&format!("- item {i}: check `case_{b}_{i}` and its **edge** cases\n"));
    }
    out.push('\n');
}

fn table(out: &mut String, b: usize) {
    out.push_str("| case | input | expected | status |\n|---|---|---:|:---:|\n");
    for i in 0..8 {
        let status = if (b + i).is_multiple_of(3) { "fails" } else { "passes" };
        out.push_str(&format!("| `case_{b}_{i}` | `\"{i}{b} + x\"` | {} | {status} |\n", i * b + 1));
    }
    out.push('\n');
}

fn code(out: &mut String, lang: &str, lines: usize, b: usize) {
    for i in 0..lines {
        let line = match lang {
            "rust" => match i % 6 {
                0 => format!("fn step_{i}(input: &str) -> Result<usize, Error> {{"),
                1 => format!("    let n = input.trim().parse::<usize>()?; // part {b}"),
                2 => "    for (k, ch) in input.char_indices() {".to_string(),
                3 => format!("        if ch == '\"' {{ return Ok(k + {i}); }}"),
                4 => "    }".to_string(),
                _ => "}".to_string(),
            },
            "python" => match i % 4 {
                0 => format!("def step_{i}(items: list[str]) -> int:"),
                1 => format!("    \"\"\"Counts the items of part {b}.\"\"\""),
                2 => "    total = sum(len(x) for x in items if x.strip())".to_string(),
                _ => format!("    return total * {i}  # scaled"),
            },
            "typescript" => match i % 4 {
                0 => format!("export async function step{i}(url: string): Promise<number> {{"),
                1 => "  const res = await fetch(url);".to_string(),
                2 => format!("  return res.ok ? {i} : -{b}; // `${{url}}`"),
                _ => "}".to_string(),
            },
            "bash" => match i % 3 {
                0 => format!("for f in src/*.rs; do echo \"part {b}: $f\"; done"),
                1 => format!("cargo test case_{i} 2>&1 | tail -n 20"),
                _ => "[ -f Cargo.lock ] && git diff --stat HEAD~1 || exit 1".to_string(),
            },
            "json" => {
                if i == 0 {
                    "{".to_string()
                } else if i + 1 == lines {
                    "}".to_string()
                } else if i + 2 == lines {
                    "  \"end\": true".to_string()
                } else {
                    format!("  \"key_{i}\": {{ \"part\": {b}, \"ok\": true }},")
                }
            }
            "toml" => match i % 3 {
                0 => format!("[section_{i}]"),
                1 => format!("name = \"part-{b}\"  # the crate"),
                _ => format!("values = [1, 2, {i}]"),
            },
            "go" => match i % 4 {
                0 => format!("func step{i}(in string) (int, error) {{"),
                1 => "\tn, err := strconv.Atoi(strings.TrimSpace(in))".to_string(),
                2 => format!("\treturn n + {b}, err // part {b}"),
                _ => "}".to_string(),
            },
            _ => match i % 3 {
                0 => format!("step_{i}:"),
                1 => format!("  run: cargo test case_{b}_{i}"),
                _ => "  if: ${{ matrix.os == 'linux' }}".to_string(),
            },
        };
        out.push_str(&line);
        out.push('\n');
    }
}
