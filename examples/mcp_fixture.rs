//! The tests' MCP server on stdio (see tests/support/mcp_fixture.rs). Arguments:
//! `--legacy` (2025-11-25 only), `--many N` (N extra tools), `--fail-start` (a line on stderr,
//! then exit 1 before speaking), `--slow-start MS` (silent that long before speaking),
//! `--hostile` (escape sequences in a tool's name and a prompt's description).

#[path = "../tests/support/mcp_fixture.rs"]
mod fixture;

use rmcp::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--fail-start") {
        eprintln!("fixture: cannot open the database /nonexistent/db.sqlite");
        std::process::exit(1);
    }
    let mut server = fixture::Fixture::default();
    server.legacy = args.iter().any(|a| a == "--legacy");
    server.hostile = args.iter().any(|a| a == "--hostile");
    if let Some(i) = args.iter().position(|a| a == "--many") {
        server.many = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(0);
        server.description_len = 400;
    }
    if let Some(i) = args.iter().position(|a| a == "--slow-start") {
        let ms = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(5000);
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    eprintln!("fixture: ready");
    let Ok(running) = server.serve(rmcp::transport::stdio()).await else {
        std::process::exit(2);
    };
    let _ = running.waiting().await;
}
