//! `claw-tui models`: the models a provider offers, with what claw-tui knows of them.
//!
//! Anthropic's models come from the built-in table (`pricing::MODELS`); a provider of the
//! user's own lists the models its definition names; an OpenAI-compatible server is asked
//! (`GET {base_url}/models`), and Ollama also for each model's context length (`POST
//! /api/show`). A price or a window nobody knows is shown as n/a, never guessed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::pricing::{self, PriceTable};
use super::select::{Chosen, Kind};

/// One model of one provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub provider: String,
    pub model: String,
    /// Tokens; None when unknown.
    pub context_window: Option<u64>,
    /// Dollars per million tokens; None when unknown.
    pub input_price: Option<f64>,
    pub output_price: Option<f64>,
}

/// What the server must be asked, and how.
pub struct Server {
    pub base_url: String,
    pub api_key: Option<String>,
    pub headers: Vec<(String, String)>,
    pub connect_hint: Option<String>,
}

/// The models claw-tui knows of `chosen` without asking anyone: the built-in table for
/// Anthropic, and what the user's definition names.
pub fn known(chosen: &Chosen, prices: &PriceTable) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    if chosen.kind == Kind::Anthropic && chosen.base_url.is_none() {
        out.extend(pricing::MODELS.iter().map(|m| entry(&chosen.name, m.prefix, prices, Some(m.context_window))));
    }
    for (model, def) in &chosen.models {
        out.retain(|e| &e.model != model);
        let mut e = entry(&chosen.name, model, prices, def.context_window);
        if let (Some(i), Some(o)) = (def.input, def.output) {
            (e.input_price, e.output_price) = (Some(i), Some(o));
        }
        out.push(e);
    }
    out
}

fn entry(provider: &str, model: &str, prices: &PriceTable, window: Option<u64>) -> Entry {
    let price = prices.price(model);
    Entry {
        provider: provider.to_string(),
        model: model.to_string(),
        context_window: window.or_else(|| prices.known_context_window(model)),
        input_price: price.map(|p| p.input),
        output_price: price.map(|p| p.output),
    }
}

/// Asks an OpenAI-compatible server for its models (and Ollama for their windows).
pub async fn ask(chosen: &Chosen, server: &Server, prices: &PriceTable) -> Result<Vec<Entry>, String> {
    crate::install_crypto_provider();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let base = server.base_url.trim_end_matches('/');
    let mut req = client.get(format!("{base}/models"));
    for (n, v) in &server.headers {
        req = req.header(n, v);
    }
    if let Some(key) = &server.api_key {
        req = req.bearer_auth(key);
    }
    let response = req.send().await.map_err(|e| unreachable(e, base, server))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = body.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
        return Err(format!("{base}/models answered {status} {message}"));
    }
    let ids: Vec<String> = body["data"]
        .as_array()
        .ok_or_else(|| format!("{base}/models answered without a list of models"))?
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect();
    let windows = match chosen.preset.map(|p| p.name) {
        Some("ollama") => ollama_windows(&client, base, &ids).await,
        _ => BTreeMap::new(),
    };
    Ok(ids.iter().map(|id| entry(&chosen.name, id, prices, windows.get(id).copied())).collect())
}

/// The error for a server that could not be reached: the preset's hint where it has one.
fn unreachable(e: reqwest::Error, base: &str, server: &Server) -> String {
    match &server.connect_hint {
        Some(hint) if e.is_connect() => super::http::nothing_listening(base, hint),
        _ => format!("cannot reach {base}/models: {e}"),
    }
}

/// Each model's context length, from Ollama's own API (the `…context_length` of its model
/// info); models it does not answer for are left out.
async fn ollama_windows(client: &reqwest::Client, base: &str, ids: &[String]) -> BTreeMap<String, u64> {
    let root = base.trim_end_matches("/v1");
    let mut out = BTreeMap::new();
    for id in ids {
        let Ok(response) = client.post(format!("{root}/api/show")).json(&serde_json::json!({"model": id})).send().await
        else {
            continue;
        };
        let Ok(v) = response.json::<Value>().await else { continue };
        let window = v["model_info"]
            .as_object()
            .and_then(|info| info.iter().find(|(k, _)| k.ends_with(".context_length")).and_then(|(_, n)| n.as_u64()));
        if let Some(n) = window {
            out.insert(id.clone(), n);
        }
    }
    out
}

/// The entries as a table for people.
pub fn table(entries: &[Entry]) -> String {
    let width = entries.iter().map(|e| e.model.chars().count()).max().unwrap_or(5).max(5);
    let pw = entries.iter().map(|e| e.provider.len()).max().unwrap_or(8).max(8);
    let mut out =
        format!("{:pw$}  {:width$}  {:>8}  {:>9}  {:>10}\n", "PROVIDER", "MODEL", "CONTEXT", "INPUT $/M", "OUTPUT $/M");
    for e in entries {
        let window = e.context_window.map_or("n/a".to_string(), |n| {
            if n >= 1000 && n % 1000 == 0 { format!("{}k", n / 1000) } else { n.to_string() }
        });
        let price = |p: Option<f64>| p.map_or("n/a".to_string(), |p| format!("{p:.2}"));
        out.push_str(&format!(
            "{:pw$}  {:width$}  {:>8}  {:>9}  {:>10}\n",
            e.provider,
            e.model,
            window,
            price(e.input_price),
            price(e.output_price)
        ));
    }
    out
}
