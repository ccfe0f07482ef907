//! NotebookEdit and read_file on notebooks, through the agent loop against the mock model, on
//! nbformat's own example notebooks (tests/fixtures/notebooks, BSD-3-Clause, from
//! jupyter/nbformat's tests): cells read with ids, edits that leave every other byte as it was,
//! the cell's source reviewed hunk by hunk, and what is refused.

mod support;

use std::time::Duration;

use claw_tui::agent::{AgentEvent, Decision, Op};
use claw_tui::permission::PermissionMode;
use claw_tui::tools::Preview;
use serde_json::{Value, json};
use support::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/notebooks/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn cells(text: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(text).unwrap()["cells"].as_array().unwrap().clone()
}

fn source(cell: &Value) -> String {
    cell["source"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect()
}

/// The text of each cell as the file has it (nbformat's layout: a cell starts with two spaces
/// and `{` on a line of its own).
fn cell_texts(text: &str) -> Vec<String> {
    let body = text.split("\n \"cells\": [\n").nth(1).unwrap();
    let body = &body[..body.find("\n ],\n").unwrap()];
    body.split("\n  },\n").map(|c| c.trim_end_matches("\n  }").to_string()).collect()
}

#[test]
fn cells_are_read_and_edited_leaving_every_other_byte_as_it_was() {
    let d = dirs();
    let original = fixture("test4.5.ipynb");
    std::fs::write(d.work.path().join("nb.ipynb"), &original).unwrap();
    let server = model_calling(&[
        ("read_file", json!({"path": "nb.ipynb"})),
        ("NotebookEdit", json!({"notebook_path": "nb.ipynb", "cell_id": "38f37a24", "new_source": "print(\"bye\")\n"})),
        (
            "NotebookEdit",
            json!({"notebook_path": "nb.ipynb", "cell_id": "38f37a24", "new_source": "## Said", "cell_type": "markdown", "edit_mode": "insert"}),
        ),
        (
            "NotebookEdit",
            json!({"notebook_path": "nb.ipynb", "cell_id": "2fcdfa53", "new_source": "", "edit_mode": "delete"}),
        ),
    ]);
    let out = claw(&server, &d).args(["-p", "edit the notebook"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let results = server.tool_results();
    assert!(results.iter().all(|r| !r.1), "{results:?}");
    let read = &results[0].0;
    assert!(read.starts_with("[nb.ipynb: a Jupyter notebook, 9 cells; edit them with NotebookEdit]"), "{read}");
    assert!(
        read.contains("\t<cell id=\"38f37a24\" type=\"code\" execution_count=\"1\" language=\"python\">"),
        "{read}"
    );
    assert!(read.contains("\t<output type=\"stream\" name=\"stdout\">\n"), "{read}");
    assert!(read.contains("[image/png output,"), "{read}");
    assert!(
        results[1].0.contains("Replaced the source of cell 38f37a24; its outputs were cleared."),
        "{:?}",
        results[1]
    );
    assert!(results[2].0.contains("Inserted a markdown cell"), "{:?}", results[2]);
    assert!(results[3].0.contains("Deleted cell 2fcdfa53."), "{:?}", results[3]);

    let after = std::fs::read_to_string(d.work.path().join("nb.ipynb")).unwrap();
    let (old_cells, new_cells) = (cells(&original), cells(&after));
    assert_eq!(new_cells.len(), old_cells.len());
    assert_eq!(new_cells[2]["id"], "38f37a24");
    assert_eq!((source(&new_cells[2]), &new_cells[2]["outputs"]), ("print(\"bye\")\n".into(), &json!([])));
    assert_eq!((source(&new_cells[3]), new_cells[3]["cell_type"].as_str()), ("## Said".into(), Some("markdown")));
    assert_eq!(new_cells[3]["id"].as_str().map(str::len), Some(8), "a new cell gets an id in nbformat 4.5");
    // Every other cell, and everything after the cells, byte for byte.
    let (old_texts, new_texts) = (cell_texts(&original), cell_texts(&after));
    assert_eq!(new_texts[0..2], old_texts[1..3]);
    assert_eq!(new_texts[4..], old_texts[4..]);
    assert_eq!(after[after.find("\n ],\n").unwrap()..], original[original.find("\n ],\n").unwrap()..]);
}

#[test]
fn broken_or_wrong_notebooks_are_refused_and_nothing_is_written() {
    let d = dirs();
    let w = d.work.path();
    let torn = &fixture("test4.5.ipynb")[..5000];
    std::fs::write(w.join("torn.ipynb"), torn).unwrap();
    std::fs::write(w.join("old.ipynb"), fixture("test3.ipynb")).unwrap();
    std::fs::write(w.join("nb.ipynb"), fixture("test4.ipynb")).unwrap();
    let edit = |path: &str, id: &str| json!({"notebook_path": path, "cell_id": id, "new_source": "x"});
    let server = model_calling(&[
        ("NotebookEdit", edit("torn.ipynb", "cell-0")),
        ("NotebookEdit", edit("old.ipynb", "cell-0")),
        ("NotebookEdit", edit("nb.ipynb", "38f37a24")),
        ("NotebookEdit", json!({"notebook_path": "nb.ipynb", "new_source": "x", "edit_mode": "insert"})),
        (
            "NotebookEdit",
            json!({"notebook_path": "nb.ipynb", "cell_id": "cell-1", "new_source": "x", "cell_type": "sql"}),
        ),
        ("NotebookEdit", edit("missing.ipynb", "cell-0")),
        ("edit_file", json!({"path": "nb.ipynb", "old_string": "nbconvert", "new_string": "x"})),
        ("read_file", json!({"path": "torn.ipynb", "limit": 2})),
    ]);
    let out = claw(&server, &d).args(["-p", "edit"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    let expect = [
        "torn.ipynb is not a notebook I can edit: not valid JSON (line",
        "old.ipynb is not a notebook I can edit: an nbformat 3 notebook",
        "no cell has the id `38f37a24`; the cells are: cell-0, cell-1",
        "insert needs cell_type (code, markdown, raw)",
        "cell_type is one of code, markdown, raw, not `sql`",
        "missing.ipynb does not exist",
        "nb.ipynb is a Jupyter notebook: edit its cells with NotebookEdit",
    ];
    for (i, want) in expect.iter().enumerate() {
        assert!(r[i].1 && r[i].0.contains(want), "call {i}: {:?}", r[i]);
    }
    assert!(!r[7].1 && r[7].0.starts_with("[note: torn.ipynb is not a notebook NotebookEdit can edit"), "{:?}", r[7]);
    assert_eq!(std::fs::read_to_string(w.join("torn.ipynb")).unwrap(), torn);
    assert_eq!(std::fs::read_to_string(w.join("nb.ipynb")).unwrap(), fixture("test4.ipynb"));
}

/// A notebook linked to one outside the workspace, and an `Edit` deny rule: both refused,
/// with the reason, and the files stay as they were.
#[test]
fn a_notebook_outside_the_workspace_and_a_deny_rule_are_refused() {
    let d = dirs();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("private.ipynb");
    std::fs::write(&target, fixture("test4.5.ipynb")).unwrap();
    std::os::unix::fs::symlink(&target, d.work.path().join("linked.ipynb")).unwrap();
    std::fs::write(d.work.path().join("nb.ipynb"), fixture("test4.5.ipynb")).unwrap();
    let server = model_calling(&[
        ("NotebookEdit", json!({"notebook_path": "linked.ipynb", "cell_id": "38f37a24", "new_source": "import os"})),
        ("NotebookEdit", json!({"notebook_path": "nb.ipynb", "cell_id": "38f37a24", "new_source": "import os"})),
    ]);
    let out = claw(&server, &d).args(["-p", "edit", "--disallowedTools", "Edit(nb.ipynb)"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = server.tool_results();
    assert!(r[0].1 && r[0].0.contains("outside the workspace"), "{:?}", r[0]);
    assert!(r[1].1 && r[1].0.contains("denied by the rule `edit_file(nb.ipynb)`"), "{:?}", r[1]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), fixture("test4.5.ipynb"));
    assert_eq!(std::fs::read_to_string(d.work.path().join("nb.ipynb")).unwrap(), fixture("test4.5.ipynb"));
}

/// The reviewer sees the cell's source, not the file's JSON, and what they accept of it is
/// what the cell gets.
#[tokio::test]
async fn the_cell_source_is_reviewed_hunk_by_hunk() {
    let dir = tempfile::tempdir().unwrap();
    let old: String = (1..=14).map(|i| format!("x{i} = {i}\n")).collect();
    let nb = json!({"cells": [{"cell_type": "code", "execution_count": 7, "id": "c1", "metadata": {}, "outputs": [],
        "source": old.split_inclusive('\n').collect::<Vec<_>>()}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5});
    let text = serde_json::to_string_pretty(&nb).unwrap() + "\n";
    std::fs::write(dir.path().join("a.ipynb"), &text).unwrap();
    let new = old.replace("x2 = 2\n", "x2 = 20\n").replace("x13 = 13\n", "x13 = 130\n");
    let server =
        model_calling(&[("NotebookEdit", json!({"notebook_path": "a.ipynb", "cell_id": "c1", "new_source": new}))]);
    let mut agent = spawn_agent(
        &server.url,
        dir.path(),
        AgentOptions { interactive: true, mode: PermissionMode::Review, ..Default::default() },
    );
    agent.send(Op::UserTurn { text: "edit".into(), attachments: vec![] });
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), agent.next_event()).await.unwrap().unwrap();
        match ev {
            AgentEvent::ApprovalRequested { call_id, preview, .. } => {
                let Some(Preview::Edit { path, old: before, new: after }) = preview else { panic!("{preview:?}") };
                assert_eq!(path, "a.ipynb › cell c1");
                assert_eq!((before.as_deref(), after.as_str()), (Some(old.as_str()), new.as_str()));
                let decision = Decision::ApplyHunks { accepted: vec![1], note: None };
                agent.send(Op::Approval { call_id, decision });
            }
            AgentEvent::TurnFinished { .. } => break,
            _ => {}
        }
    }
    let r = server.tool_results();
    assert!(!r[0].1 && r[0].0.contains("applied 1 of 2 (hunk 2)"), "{:?}", r[0]);
    let written = std::fs::read_to_string(dir.path().join("a.ipynb")).unwrap();
    let cell = &cells(&written)[0];
    assert_eq!(source(cell), old.replace("x13 = 13\n", "x13 = 130\n"));
    assert_eq!(cell["execution_count"], Value::Null);
}
