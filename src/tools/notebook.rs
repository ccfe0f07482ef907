//! Jupyter notebooks (`.ipynb`, nbformat 4): shown as cells, edited one cell at a time in place.
//!
//! An edit rewrites the bytes of one cell and nothing else: the file is parsed with serde_json
//! to check it, then scanned once more for where each cell of the `cells` list starts and ends,
//! and only that span is replaced (or removed, or a new one put beside it). The cell written is
//! laid out the way nbformat writes (keys sorted, the file's own indent, `source` as a list of
//! lines), so the other cells, the metadata and every other output stay byte for byte as they
//! were.

use serde_json::{Map, Value};

/// A cell's kind.
pub const CELL_TYPES: &[&str] = &["code", "markdown", "raw"];

/// Where a value is in the text: its first byte, and one past its last.
type Span = (usize, usize);

/// A parsed notebook and where its cells are in the text.
#[derive(Debug, Clone)]
pub struct Notebook {
    text: String,
    cells: Vec<Value>,
    /// Byte spans of the cells, in order.
    spans: Vec<Span>,
    /// Byte span of the `cells` list, brackets included.
    list: Span,
    /// One level of the file's indent ("" when written without newlines).
    unit: Option<String>,
    /// nbformat_minor: cells carry ids from 4.5 on.
    minor: u64,
    /// The kernel's language (`metadata.language_info.name`), for the code cells.
    language: Option<String>,
}

/// What to do to a notebook's cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellEdit {
    /// The cell at `index` gets a new source (and, when given, a new type).
    Replace { index: usize, cell_type: Option<String> },
    /// A new cell of `cell_type` after the cell at `after` (`None`: first), with id `id` (when
    /// the notebook's version has ids).
    Insert { after: Option<usize>, cell_type: String, id: Option<String> },
    /// The cell at `index` goes (or, if a reviewer kept part of its text, keeps that text).
    Delete { index: usize },
}

impl Notebook {
    /// Parses `text` as an nbformat 4 notebook, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Notebook, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("not valid JSON (line {}, column {}: {e})", e.line(), e.column()))?;
        let Value::Object(mut top) = value else {
            return Err("not a notebook: the file is not a JSON object".into());
        };
        let major = top.get("nbformat").and_then(Value::as_u64);
        if top.contains_key("worksheets") || major.is_some_and(|m| m < 4) {
            return Err(format!(
                "an nbformat {} notebook (cells in worksheets); only nbformat 4 is supported: convert it with \
`jupyter nbconvert --to notebook --inplace`",
                major.unwrap_or(3)
            ));
        }
        let Some(Value::Array(cells)) = top.remove("cells") else {
            return Err("not a notebook: there is no `cells` list".into());
        };
        if let Some(i) = cells.iter().position(|c| !c.is_object()) {
            return Err(format!("not a notebook: cell {i} is not an object"));
        }
        let (list, spans) = scan(text.as_bytes()).ok_or("not a notebook: the `cells` list could not be located")?;
        if spans.len() != cells.len() {
            return Err("not a notebook: the `cells` list could not be located".into());
        }
        let unit = indent_unit(text, list, &spans);
        let minor = top.get("nbformat_minor").and_then(Value::as_u64).unwrap_or(0);
        let language = top.get("metadata").and_then(|m| {
            m.pointer("/language_info/name").or_else(|| m.pointer("/kernelspec/language"))?.as_str().map(str::to_string)
        });
        Ok(Notebook { text: text.to_string(), cells, spans, list, unit, minor, language })
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Whether cells of this notebook carry ids (nbformat 4.5 and later).
    pub fn has_ids(&self) -> bool {
        self.minor >= 5
    }

    pub fn cell(&self, index: usize) -> &Value {
        &self.cells[index]
    }

    /// A cell's id as the model names it: its `id`, or `cell-N` (0-based) where it has none.
    pub fn cell_id(&self, index: usize) -> String {
        self.cells[index].get("id").and_then(Value::as_str).map_or_else(|| format!("cell-{index}"), str::to_string)
    }

    pub fn cell_type(&self, index: usize) -> &str {
        self.cells[index].get("cell_type").and_then(Value::as_str).unwrap_or("code")
    }

    /// A cell's source as one text.
    pub fn source(&self, index: usize) -> String {
        joined(self.cells[index].get("source"))
    }

    /// The cell a model names by id (or `cell-N`).
    pub fn find(&self, id: &str) -> Result<usize, String> {
        if let Some(i) = (0..self.len()).find(|&i| self.cells[i].get("id").and_then(Value::as_str) == Some(id)) {
            return Ok(i);
        }
        let index = id.strip_prefix("cell-").and_then(|n| n.parse::<usize>().ok());
        match index {
            Some(i) if i < self.len() => Ok(i),
            _ => {
                let ids: Vec<String> = (0..self.len().min(12)).map(|i| self.cell_id(i)).collect();
                let more = if self.len() > 12 { ", …" } else { "" };
                Err(format!("no cell has the id `{id}`; the cells are: {}{more}", ids.join(", ")))
            }
        }
    }

    /// An id no cell has, for a new cell: 8 hex digits, as Jupyter makes them.
    pub fn new_id(&self, seed: u64) -> String {
        let mut x = seed | 1;
        loop {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = format!("{:08x}", x as u32);
            if (0..self.len()).all(|i| self.cells[i].get("id").and_then(Value::as_str) != Some(id.as_str())) {
                return id;
            }
        }
    }

    /// The notebook's text with `edit` made, the cell's source being `source`. Everything
    /// outside the cell's span is kept as it is.
    pub fn apply(&self, edit: &CellEdit, source: &str) -> String {
        match edit {
            CellEdit::Replace { index, cell_type } => self.replace(*index, source, cell_type.as_deref()),
            CellEdit::Delete { index } if source.is_empty() => self.delete(*index),
            CellEdit::Delete { index } => self.replace(*index, source, None),
            CellEdit::Insert { after, cell_type, id } => self.insert(*after, cell_type, id.as_deref(), source),
        }
    }

    fn replace(&self, index: usize, source: &str, cell_type: Option<&str>) -> String {
        let mut cell = self.cells[index].as_object().cloned().unwrap_or_default();
        let keep_string = cell.get("source").is_some_and(Value::is_string);
        cell.insert("source".into(), lines(source, keep_string));
        let kind = cell_type.unwrap_or(self.cell_type(index)).to_string();
        cell.insert("cell_type".into(), Value::String(kind.clone()));
        shape(&mut cell, &kind);
        let (start, end) = self.spans[index];
        format!("{}{}{}", &self.text[..start], self.layout(&cell), &self.text[end..])
    }

    fn delete(&self, index: usize) -> String {
        let (start, end) = self.spans[index];
        // The cell goes with the separator before it (or, for the first, after it).
        let (from, to) = if index > 0 {
            (self.spans[index - 1].1, end)
        } else if self.spans.len() > 1 {
            (start, self.spans[1].0)
        } else {
            (self.list.0 + 1, self.list.1 - 1)
        };
        format!("{}{}", &self.text[..from], &self.text[to..])
    }

    fn insert(&self, after: Option<usize>, cell_type: &str, id: Option<&str>, source: &str) -> String {
        let mut cell = Map::new();
        cell.insert("cell_type".into(), Value::String(cell_type.into()));
        if let Some(id) = id {
            cell.insert("id".into(), Value::String(id.into()));
        }
        cell.insert("metadata".into(), Value::Object(Map::new()));
        cell.insert("source".into(), lines(source, false));
        shape(&mut cell, cell_type);
        let laid = self.layout(&cell);
        let gap = match &self.unit {
            Some(unit) => format!(",\n{}", unit.repeat(2)),
            None => ",".into(),
        };
        let t = &self.text;
        if self.spans.is_empty() {
            let (open, close) = match &self.unit {
                Some(unit) => (format!("\n{}", unit.repeat(2)), format!("\n{unit}")),
                None => (String::new(), String::new()),
            };
            return format!("{}[{open}{laid}{close}]{}", &t[..self.list.0], &t[self.list.1..]);
        }
        match after {
            Some(i) => {
                let end = self.spans[i].1;
                format!("{}{gap}{laid}{}", &t[..end], &t[end..])
            }
            None => {
                let start = self.spans[0].0;
                format!("{}{laid}{gap}{}", &t[..start], &t[start..])
            }
        }
    }

    /// A cell laid out as nbformat writes it, at the depth of the file's cells.
    fn layout(&self, cell: &Map<String, Value>) -> String {
        let Some(unit) = &self.unit else {
            return serde_json::to_string(cell).expect("a JSON map serializes");
        };
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde::Serialize::serialize(cell, &mut ser).expect("a JSON map serializes");
        let text = String::from_utf8(out).expect("serde_json writes UTF-8");
        // JSON strings hold no raw newline, so every line break is layout: indent it two levels.
        text.replace('\n', &format!("\n{}", unit.repeat(2)))
    }
}

/// A code cell has outputs and an execution count (cleared: they were of the old source);
/// other cells have neither.
fn shape(cell: &mut Map<String, Value>, kind: &str) {
    if kind == "code" {
        cell.insert("outputs".into(), Value::Array(Vec::new()));
        cell.insert("execution_count".into(), Value::Null);
    } else {
        cell.remove("outputs");
        cell.remove("execution_count");
    }
}

/// A text as nbformat stores it: a list of lines, each with its newline (or one string).
fn lines(source: &str, as_string: bool) -> Value {
    if as_string {
        return Value::String(source.into());
    }
    Value::Array(source.split_inclusive('\n').map(|l| Value::String(l.into())).collect())
}

/// A multiline string field (`source`, an output's `text`): a list of strings or one string.
pub fn joined(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// The indent of one level: what comes before the first cell after its line break, halved
/// (cells sit two levels deep). `None` when the list is written without line breaks.
fn indent_unit(text: &str, list: Span, spans: &[Span]) -> Option<String> {
    let before = match spans.first() {
        Some(&(start, _)) => &text[list.0 + 1..start],
        // An empty list: the indent of the line the list closes on, or the top's default.
        None => return text[..list.0].contains('\n').then(|| " ".to_string()),
    };
    let indent = before.rsplit('\n').next().filter(|_| before.contains('\n'))?;
    let unit = &indent[..indent.len() / 2];
    Some(if unit.is_empty() { " ".to_string() } else { unit.to_string() })
}

/// Where the top object's `cells` list is (its brackets) and where each of its elements is.
/// The text is valid JSON already (serde_json read it); `None` if it is not as expected.
fn scan(b: &[u8]) -> Option<(Span, Vec<Span>)> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut found = None;
    while b.get(i) == Some(&b'"') {
        let key_end = end_of(b, i)?;
        let key: String = serde_json::from_slice(&b[i..key_end]).ok()?;
        i = ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = ws(b, i + 1);
        let end = end_of(b, start)?;
        if key == "cells" && b.get(start) == Some(&b'[') {
            // A later `cells` key wins, as it does for serde_json.
            found = Some(((start, end), elements(b, start)?));
        }
        i = ws(b, end);
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        }
    }
    found
}

/// The spans of the elements of the list starting at `open`.
fn elements(b: &[u8], open: usize) -> Option<Vec<Span>> {
    let mut out = Vec::new();
    let mut i = ws(b, open + 1);
    while b.get(i)? != &b']' {
        let end = end_of(b, i)?;
        out.push((i, end));
        i = ws(b, end);
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        }
    }
    Some(out)
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// One past the end of the JSON value starting at `i`.
fn end_of(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => {
            let mut j = i + 1;
            loop {
                match b.get(j)? {
                    b'\\' => j += 2,
                    b'"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = end_of(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while b.get(j).is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')) {
                j += 1;
            }
            Some(j)
        }
    }
}

/// A notebook as the model reads it: each cell with its id and type, its source, and its
/// outputs as text (images and other data named with their size).
pub fn render(nb: &Notebook) -> String {
    let mut out = String::new();
    let language = nb.language.clone();
    for i in 0..nb.len() {
        let kind = nb.cell_type(i);
        let count = nb.cell(i).get("execution_count").and_then(Value::as_u64);
        let count = count.map(|c| format!(" execution_count=\"{c}\"")).unwrap_or_default();
        let lang = if kind == "code" { language.as_deref().map(|l| format!(" language=\"{l}\"")) } else { None };
        out.push_str(&format!("<cell id=\"{}\" type=\"{kind}\"{count}{}>\n", nb.cell_id(i), lang.unwrap_or_default()));
        push_block(&mut out, &nb.source(i));
        out.push_str("</cell>\n");
        for output in nb.cell(i).get("outputs").and_then(Value::as_array).into_iter().flatten() {
            render_output(&mut out, output);
        }
    }
    if nb.is_empty() {
        out.push_str("(the notebook has no cells)\n");
    }
    out
}

fn push_block(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

fn render_output(out: &mut String, output: &Value) {
    let kind = output.get("output_type").and_then(Value::as_str).unwrap_or("unknown");
    match kind {
        "stream" => {
            let name = output.get("name").and_then(Value::as_str).unwrap_or("stdout");
            out.push_str(&format!("<output type=\"stream\" name=\"{name}\">\n"));
            push_block(out, &joined(output.get("text")));
        }
        "error" => {
            let name = output.get("ename").and_then(Value::as_str).unwrap_or("Error");
            let value = output.get("evalue").and_then(Value::as_str).unwrap_or("");
            out.push_str("<output type=\"error\">\n");
            push_block(out, &format!("{name}: {value}"));
            let trace: Vec<String> = output
                .get("traceback")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(strip_ansi)
                .collect();
            if !trace.is_empty() {
                push_block(out, &trace.join("\n"));
            }
        }
        _ => {
            out.push_str(&format!("<output type=\"{kind}\">\n"));
            let data = output.get("data").and_then(Value::as_object);
            for (mime, value) in data.into_iter().flatten() {
                let text = joined(Some(value));
                if mime.starts_with("text/plain") || mime == "text/markdown" || mime == "application/json" {
                    let text = if mime == "application/json" { value.to_string() } else { text };
                    push_block(out, &text);
                } else {
                    out.push_str(&format!("[{mime} output, {} bytes, not shown]\n", text.len()));
                }
            }
        }
    }
    out.push_str("</output>\n");
}

/// A traceback without its colours (IPython writes them with ANSI escapes).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/notebooks/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    /// Laying out an unchanged cell gives back nbformat's own bytes: that is what keeps an edit
    /// to one cell from touching the others.
    #[test]
    fn cells_are_laid_out_as_nbformat_writes_them() {
        for name in ["test4.5.ipynb", "test4.ipynb"] {
            let text = fixture(name);
            let nb = Notebook::parse(&text).unwrap();
            assert_eq!(nb.unit.as_deref(), Some(" "));
            for i in 0..nb.len() {
                let (start, end) = nb.spans[i];
                let laid = nb.layout(nb.cells[i].as_object().unwrap());
                assert_eq!(laid, &text[start..end], "{name} cell {i}");
            }
        }
    }

    #[test]
    fn an_edit_changes_only_its_cell() {
        let text = fixture("test4.5.ipynb");
        let nb = Notebook::parse(&text).unwrap();
        let i = nb.find("38f37a24").unwrap();
        let new = nb.apply(&CellEdit::Replace { index: i, cell_type: None }, "print(\"bye\")\n");
        let after = Notebook::parse(&new).unwrap();
        assert_eq!(after.source(i), "print(\"bye\")\n");
        assert_eq!(after.cell(i)["outputs"], serde_json::json!([]));
        assert_eq!(&new[..nb.spans[i].0], &text[..nb.spans[i].0]);
        let tail = text.len() - nb.spans[i].1;
        assert_eq!(&new[new.len() - tail..], &text[nb.spans[i].1..]);
    }

    #[test]
    fn insert_and_delete_keep_the_rest() {
        let text = fixture("test4.5.ipynb");
        let nb = Notebook::parse(&text).unwrap();
        let id = nb.new_id(42);
        let first =
            nb.apply(&CellEdit::Insert { after: None, cell_type: "markdown".into(), id: Some(id.clone()) }, "# Hi");
        let n1 = Notebook::parse(&first).unwrap();
        assert_eq!((n1.len(), n1.cell_id(0), n1.source(0)), (nb.len() + 1, id.clone(), "# Hi".into()));
        assert!(n1.cell(0).get("outputs").is_none());
        // Deleting what was inserted gives the file back byte for byte.
        assert_eq!(n1.apply(&CellEdit::Delete { index: 0 }, ""), text);
        let last = nb.len() - 1;
        let end = nb.apply(&CellEdit::Insert { after: Some(last), cell_type: "code".into(), id: None }, "x = 1\n");
        let n2 = Notebook::parse(&end).unwrap();
        assert_eq!(n2.source(last + 1), "x = 1\n");
        assert_eq!(n2.apply(&CellEdit::Delete { index: last + 1 }, ""), text);
        let middle = nb.apply(&CellEdit::Insert { after: Some(2), cell_type: "raw".into(), id: None }, "r");
        assert_eq!(Notebook::parse(&middle).unwrap().apply(&CellEdit::Delete { index: 3 }, ""), text);
    }

    #[test]
    fn the_only_cell_and_an_empty_list() {
        let text = "{\n \"cells\": [\n  {\n   \"cell_type\": \"raw\",\n   \"metadata\": {},\n   \"source\": []\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 2\n}\n";
        let nb = Notebook::parse(text).unwrap();
        let empty = nb.apply(&CellEdit::Delete { index: 0 }, "");
        assert!(empty.contains("\"cells\": [],"), "{empty}");
        let nb = Notebook::parse(&empty).unwrap();
        let again = nb.apply(&CellEdit::Insert { after: None, cell_type: "raw".into(), id: None }, "");
        assert_eq!(again, text);
        let compact = r#"{"cells":[{"cell_type":"code","source":"a\nb","metadata":{},"outputs":[],"execution_count":3}],"nbformat":4,"nbformat_minor":4,"metadata":{}}"#;
        let nb = Notebook::parse(compact).unwrap();
        let new = nb.apply(&CellEdit::Replace { index: 0, cell_type: None }, "c");
        assert!(new.starts_with(r#"{"cells":[{"cell_type":"code","execution_count":null,"#), "{new}");
        assert!(new.contains(r#""source":"c""#), "{new}");
    }

    #[test]
    fn what_is_not_a_notebook() {
        let e = Notebook::parse("{\"cells\": [").unwrap_err();
        assert!(e.contains("not valid JSON (line 1"), "{e}");
        assert!(Notebook::parse(&fixture("test3.ipynb")).unwrap_err().contains("nbformat 3"));
        assert!(Notebook::parse("[1]").unwrap_err().contains("not a JSON object"));
        assert!(Notebook::parse("{\"nbformat\": 4}").unwrap_err().contains("no `cells` list"));
        assert!(Notebook::parse("{\"cells\": [1]}").unwrap_err().contains("cell 0 is not an object"));
    }

    #[test]
    fn ids_and_rendering() {
        let nb = Notebook::parse(&fixture("test4.ipynb")).unwrap();
        assert_eq!(nb.find("cell-3"), Ok(3));
        assert!(nb.find("cell-99").unwrap_err().contains("cell-0, cell-1"));
        let shown = render(&nb);
        assert!(shown.contains("<cell id=\"cell-0\" type=\"markdown\">\n# nbconvert latex test\n</cell>"), "{shown}");
        assert!(shown.contains("<output type=\"stream\" name=\"stdout\">\nhello\n</output>"), "{shown}");
        assert!(shown.contains("[image/png output,"), "{shown}");
    }
}
