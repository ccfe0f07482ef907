//! `WebSearch` {query, allowed_domains?, blocked_domains?}: searches the web through a
//! DuckDuckGo-HTML-compatible endpoint (`GET {base}/html/?q=...`; the public one unless
//! `CLAWD_WEB_SEARCH_BASE_URL` names another) and returns each result's title, address and
//! snippet. Result links that go through the engine's redirect (`//duckduckgo.com/l/?uddg=`)
//! are decoded to the real address; the domain filters apply to it.
//!
//! Where a Brave Search API key is set (`BRAVE_SEARCH_API_KEY`, or `BRAVE_API_KEY`), the
//! search goes to that API instead (`GET {base}/res/v1/web/search?q=`, base
//! `https://api.search.brave.com` unless `CLAW_BRAVE_SEARCH_BASE_URL` says otherwise), the key
//! in its `X-Subscription-Token` header: results come as JSON, not scraped from a page meant for
//! people. The key goes to that host only (a redirect elsewhere is not followed) and, like every
//! variable named like a key, never to a command's environment.

use scraper::{Html, Selector};
use serde::Deserialize;
use serde_json::{Value, json};

use super::web;
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

/// The search endpoint unless `CLAWD_WEB_SEARCH_BASE_URL` says otherwise.
const DEFAULT_BASE: &str = "https://html.duckduckgo.com";
/// Most results returned.
const MAX_RESULTS: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    query: String,
    #[serde(default)]
    allowed_domains: Vec<String>,
    #[serde(default)]
    blocked_domains: Vec<String>,
}

pub struct WebSearch;

/// The Brave Search API unless `CLAW_BRAVE_SEARCH_BASE_URL` says otherwise.
const BRAVE_BASE: &str = "https://api.search.brave.com";

/// Where a search goes: the DuckDuckGo-HTML page, or the Brave Search API with its key.
enum Engine {
    Page(reqwest::Url),
    Brave { url: reqwest::Url, key: String },
}

impl Engine {
    fn url(&self) -> &reqwest::Url {
        match self {
            Engine::Page(url) | Engine::Brave { url, .. } => url,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The engine for `query`: the search API where its key is set, the results page otherwise.
fn engine(query: &str) -> Result<Engine, String> {
    if let Some(key) = env("BRAVE_SEARCH_API_KEY").or_else(|| env("BRAVE_API_KEY")) {
        let base = env("CLAW_BRAVE_SEARCH_BASE_URL").unwrap_or_else(|| BRAVE_BASE.into());
        let mut url = web::parse_url("WebSearch", &format!("{}/res/v1/web/search", base.trim_end_matches('/')))?;
        url.query_pairs_mut().append_pair("q", query).append_pair("count", "20");
        return Ok(Engine::Brave { url, key: key.trim().to_string() });
    }
    let base = env("CLAWD_WEB_SEARCH_BASE_URL").unwrap_or_else(|| DEFAULT_BASE.into());
    let mut url = web::parse_url("WebSearch", &format!("{}/html/", base.trim_end_matches('/')))?;
    url.query_pairs_mut().append_pair("q", query);
    Ok(Engine::Page(url))
}

/// Runs the search: the results, or a message for the model.
async fn search(engine: &Engine) -> Result<Vec<Found>, String> {
    let client = web::client()?;
    let headers: Vec<(&str, &str)> = match engine {
        Engine::Page(_) => vec![("accept", "text/html")],
        Engine::Brave { key, .. } => vec![("accept", "application/json"), ("x-subscription-token", key.as_str())],
    };
    let page = web::get(&client, engine.url().clone(), &headers).await.map_err(|f| match f {
        web::Failure::Elsewhere { from, to, .. } => format!("WebSearch: {from} redirected to {to}; not followed"),
        web::Failure::Other(why) => format!("WebSearch: {why}"),
    })?;
    match (engine, page.status) {
        (Engine::Brave { .. }, 401 | 403) => Err(format!(
            "WebSearch: the Brave Search API refused the key (status {}); check BRAVE_SEARCH_API_KEY",
            page.status
        )),
        (Engine::Brave { .. }, 429) => {
            Err("WebSearch: the Brave Search API's rate limit was reached (429); try again later".into())
        }
        (_, status) if status >= 400 => Err(format!("WebSearch: the search engine answered {status}")),
        (Engine::Page(_), _) => Ok(results(&String::from_utf8_lossy(&page.body))),
        (Engine::Brave { .. }, _) => api_results(&page.body),
    }
}

impl Tool for WebSearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "WebSearch".into(),
            description: "Search the web. Returns up to 10 results, each with its title, URL and a snippet. \
allowed_domains keeps only results from those domains (and their subdomains); blocked_domains drops them. \
Use WebFetch to read a result."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What to search for"},
                    "allowed_domains": {"type": "array", "items": {"type": "string"}, "description": "Only results from these domains"},
                    "blocked_domains": {"type": "array", "items": {"type": "string"}, "description": "No results from these domains"}
                },
                "required": ["query"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("WebSearch", input)?;
        if input.query.trim().is_empty() {
            return Err("WebSearch: the query is empty".into());
        }
        let engine = engine(&input.query)?;
        let url = engine.url();
        Ok(CallPlan {
            access: Access::Execute,
            paths: vec![],
            summary: input.query.clone(),
            subject: web::subject(url),
            preview: Some(Preview::Arguments {
                call: format!("search {}", url.host_str().unwrap_or("")),
                json: input.query,
            }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("WebSearch", &input)?;
            let engine = engine(&input.query)?;
            let found = tokio::select! {
                found = search(&engine) => found?,
                _ = ctx.cancel.cancelled() => return Err("WebSearch: interrupted".into()),
            };
            let kept: Vec<Found> = found
                .into_iter()
                .filter(|r| wanted(&r.url, &input.allowed_domains, &input.blocked_domains))
                .take(MAX_RESULTS)
                .collect();
            Ok(ToolOutput::ok(render(&input.query, &kept)))
        })
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    title: String,
    url: String,
    snippet: String,
}

/// The results of a DuckDuckGo-HTML page.
fn results(html: &str) -> Vec<Found> {
    let doc = Html::parse_document(html);
    let (Ok(result), Ok(link), Ok(snippet)) =
        (Selector::parse(".result"), Selector::parse("a.result__a"), Selector::parse(".result__snippet"))
    else {
        return Vec::new();
    };
    let text = |e: scraper::ElementRef| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
    doc.select(&result)
        .filter_map(|r| {
            let a = r.select(&link).next()?;
            let url = real_url(a.value().attr("href")?)?;
            let snippet = r.select(&snippet).next().map(text).unwrap_or_default();
            Some(Found {
                title: crate::sanitize::visible_owned(text(a)),
                url,
                snippet: crate::sanitize::visible_owned(snippet),
            })
        })
        .collect()
}

/// The results of a Brave Search API answer (`web.results[]`: title, url, description, where
/// the API marks the words found with HTML).
fn api_results(body: &[u8]) -> Result<Vec<Found>, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        web: Option<Web>,
    }
    #[derive(Deserialize)]
    struct Web {
        #[serde(default)]
        results: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        title: String,
        url: String,
        #[serde(default)]
        description: String,
    }
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| format!("WebSearch: the Brave Search API's answer is not the JSON expected: {e}"))?;
    let plain = |html: &str| {
        let text: String = Html::parse_fragment(html).root_element().text().collect();
        crate::sanitize::visible_owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    Ok(answer
        .web
        .map(|w| w.results)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| reqwest::Url::parse(&r.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .map(|r| Found { title: plain(&r.title), url: r.url, snippet: plain(&r.description) })
        .collect())
}

/// The address a result link leads to: the `uddg` parameter of the engine's redirect, or the
/// link itself.
fn real_url(href: &str) -> Option<String> {
    let absolute = if href.starts_with("//") { format!("https:{href}") } else { href.to_string() };
    let url = reqwest::Url::parse(&absolute).ok()?;
    let target = url.query_pairs().find(|(k, _)| k == "uddg").map(|(_, v)| v.into_owned());
    let target = target.unwrap_or(absolute);
    matches!(reqwest::Url::parse(&target).ok()?.scheme(), "http" | "https").then_some(target)
}

/// Whether a result's host passes the filters (a domain covers its subdomains).
fn wanted(url: &str, allowed: &[String], blocked: &[String]) -> bool {
    let Some(host) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)) else {
        return false;
    };
    let covers = |d: &String| {
        let d = d.trim().trim_start_matches("*.").to_ascii_lowercase();
        !d.is_empty() && (host == d || host.ends_with(&format!(".{d}")))
    };
    (allowed.is_empty() || allowed.iter().any(covers)) && !blocked.iter().any(covers)
}

fn render(query: &str, found: &[Found]) -> String {
    if found.is_empty() {
        return format!("No results for \"{query}\".");
    }
    let mut out = format!("Results for \"{query}\":\n");
    for (i, r) in found.iter().enumerate() {
        out.push_str(&format!("\n{}. {}\n   {}\n", i + 1, r.title, r.url));
        if !r.snippet.is_empty() {
            out.push_str(&format!("   {}\n", r.snippet));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body>
<div class="result results_links web-result"><h2 class="result__title">
<a class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fdocs.rs%2Fserde%2Flatest%2Fserde%2F&amp;rut=abc">serde - <b>Rust</b></a></h2>
<a class="result__snippet" href="x">A generic <b>serialization</b> framework.</a></div>
<div class="result"><a class="result__a" href="https://blog.example.com/post">A blog post</a></div>
<div class="result"><a class="result__a" href="javascript:alert(1)">Bad link</a></div>
</body></html>"#;

    #[test]
    fn results_are_decoded_and_filtered() {
        let found = results(PAGE);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].url, "https://docs.rs/serde/latest/serde/");
        assert_eq!(found[0].title, "serde - Rust");
        assert_eq!(found[0].snippet, "A generic serialization framework.");
        assert!(wanted(&found[0].url, &["docs.rs".into()], &[]));
        assert!(!wanted(&found[1].url, &["docs.rs".into()], &[]));
        assert!(!wanted(&found[1].url, &[], &["example.com".into()]), "a domain covers its subdomains");
        assert!(
            render("serde", &found).contains("1. serde - Rust\n   https://docs.rs/serde/latest/serde/\n   A generic")
        );
    }

    #[test]
    fn api_answers_are_read_and_bad_ones_named() {
        let body = br#"{"type":"search","web":{"results":[
            {"title":"serde - <strong>Rust</strong>","url":"https://docs.rs/serde","description":"A <strong>generic</strong> framework &amp; more\u001b]0;x\u0007"},
            {"title":"bad","url":"javascript:alert(1)"}]}}"#;
        let found = api_results(body).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].title.as_str(), found[0].url.as_str()), ("serde - Rust", "https://docs.rs/serde"));
        assert!(found[0].snippet.starts_with("A generic framework & more") && !found[0].snippet.contains('\u{1b}'));
        assert!(api_results(br#"{"query":{}}"#).unwrap().is_empty(), "no web results is no results");
        assert!(api_results(b"<html>").unwrap_err().contains("not the JSON expected"));
    }
}
