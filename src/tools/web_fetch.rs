//! `WebFetch` {url, prompt}: fetches a page and answers `prompt` about it. The page (HTML as
//! Markdown, text and JSON as they are) goes to a small, fast model with the prompt, in one
//! call with no tools, and its answer is the result; without such a model (or when the call
//! fails) the page itself is, cut to the result budget. Pages are kept 15 minutes, so asking
//! again about the same page fetches nothing.
//!
//! A redirect to another host is not followed: the model is told where it leads and may
//! fetch that (which the policy asks about, by its domain).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::web::{self, Failure};
use super::{Access, CallPlan, Preview, Tool, ToolContext, ToolEffect, ToolEnv, ToolOutput, parse_input};
use crate::provider::{BoxFuture, ToolSpec};

/// How long a fetched page is kept.
const CACHE_FOR: Duration = Duration::from_secs(15 * 60);
/// Most characters of a page given to the small model.
const MAX_PAGE_CHARS: usize = 100_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    url: String,
    prompt: String,
}

/// A page kept: when it was fetched, its final URL and its text.
type Cached = (Instant, (String, String));

#[derive(Default)]
pub struct WebFetch {
    /// Pages by URL: when fetched, where they ended up, and their text.
    cache: Mutex<HashMap<String, Cached>>,
}

impl Tool for WebFetch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "WebFetch".into(),
            description: "Fetch a web page (http or https) and answer a question about it. HTML is converted to \
Markdown; text and JSON are read as they are; other content is refused. The page and the prompt go to a small, \
fast model, whose answer is the result. A redirect to another host is reported, not followed: fetch the new URL \
if you want it. Pages are cached for 15 minutes."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "url": {"type": "string", "description": "The page's full URL"},
                    "prompt": {"type": "string", "description": "What to find out from the page"}
                },
                "required": ["url", "prompt"],
                "additionalProperties": false
            }),
        }
    }

    fn plan(&self, input: &Value, _env: &ToolEnv) -> Result<CallPlan, String> {
        let input: Input = parse_input("WebFetch", input)?;
        let url = web::parse_url("WebFetch", &input.url)?;
        Ok(CallPlan {
            access: Access::Execute,
            paths: vec![],
            summary: url.to_string(),
            subject: web::subject(&url),
            preview: Some(Preview::Arguments { call: format!("GET {url}"), json: input.prompt.clone() }),
            change: None,
        })
    }

    fn run<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(async move {
            let input: Input = parse_input("WebFetch", &input)?;
            let url = web::parse_url("WebFetch", &input.url)?;
            let fetched = tokio::select! {
                page = self.page(url.clone()) => page,
                _ = ctx.cancel.cancelled() => return Err("WebFetch: interrupted".into()),
            };
            let (final_url, text) = match fetched {
                Ok(page) => page,
                Err(Failure::Elsewhere { from, to, status }) => {
                    return Ok(ToolOutput::ok(format!(
                        "{from} redirects ({status}) to another host: {to}\nIt was not followed. To read it, call WebFetch with that URL."
                    )));
                }
                Err(Failure::Other(why)) => return Err(format!("WebFetch: {why}")),
            };
            Ok(answer(ctx, &final_url, &text, &input.prompt).await)
        })
    }
}

impl WebFetch {
    /// The page's URL (after same-host redirects) and text, from the cache or the network.
    async fn page(&self, url: reqwest::Url) -> Result<(String, String), Failure> {
        let key = url.to_string();
        if let Some((at, page)) = self.cache.lock().expect("cache lock").get(&key)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(page.clone());
        }
        let client = web::client().map_err(Failure::Other)?;
        let result =
            match web::get(&client, url, &[("accept", "text/html, text/*;q=0.9, application/json;q=0.8, */*;q=0.5")])
                .await
            {
                Ok(page) if page.status >= 400 => {
                    let excerpt: String = String::from_utf8_lossy(&page.body).chars().take(300).collect();
                    Err(Failure::Other(format!("{} answered {} ({})", page.url, page.status, excerpt.trim())))
                }
                Ok(page) => web::as_text(&page).map_err(Failure::Other).map(|text| {
                    let note = if page.cut {
                        format!("\n\n[the page is longer than {} MiB; the rest was not read]", web::MAX_BYTES >> 20)
                    } else {
                        String::new()
                    };
                    (page.url.to_string(), format!("{text}{note}"))
                }),
                Err(failure) => Err(failure),
            };
        // A page that failed to arrive is tried again next time.
        if let Ok(page) = &result {
            let mut cache = self.cache.lock().expect("cache lock");
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            cache.insert(key, (Instant::now(), page.clone()));
        }
        result
    }
}

/// The small model's answer to `prompt` over the page, or the page itself.
async fn answer(ctx: &ToolContext, url: &str, text: &str, prompt: &str) -> ToolOutput {
    let budget = ctx.env.max_result_chars();
    let page = || super::text::truncate_middle(text, budget);
    let Some(ask) = ctx.ask.clone() else {
        return ToolOutput::ok(format!("Content of {url}:\n\n{}", page()));
    };
    let shown = super::text::truncate_middle(text, MAX_PAGE_CHARS);
    let question = format!(
        "Web page content from {url}:\n<page>\n{shown}\n</page>\n\n{prompt}\n\nAnswer from the page alone, concisely. \
Quote exactly where the wording matters (code, commands, numbers). If the page does not say, say so."
    );
    match ask.ask(question, ctx.cancel.clone()).await {
        Ok(reply) => {
            let effect = ToolEffect::Usage { usage: reply.usage, model: reply.model.clone() };
            ToolOutput::ok(format!("{} (from {url}, read by {})", reply.text.trim(), reply.model)).with_effect(effect)
        }
        Err(why) => ToolOutput::ok(format!(
            "The page could not be summarized ({why}); here it is.\nContent of {url}:\n\n{}",
            page()
        )),
    }
}
