//! A small, fast model answering one question with no tools: what WebFetch gives a page and
//! its prompt to ([`crate::tools::Ask`]). The provider's own small model (Claude Haiku on the
//! Anthropic API), `small_model` in the config, or the session's model where the provider has
//! no small one.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::provider::{BoxFuture, Message, ModelRequest, Provider};
use crate::tools::{Ask, Reply};

/// What the small model is told.
const SYSTEM: &str = "You read one web page for a coding agent and answer its question about the page, \
briefly and exactly. Use only what the page says.";

/// Most tokens of its answer.
const MAX_TOKENS: u32 = 2048;

pub(crate) struct SmallModel {
    pub provider: Arc<dyn Provider>,
    pub model: String,
}

impl Ask for SmallModel {
    fn ask(&self, question: String, cancel: CancellationToken) -> BoxFuture<'_, Result<Reply, String>> {
        Box::pin(async move {
            let request = ModelRequest {
                model: self.model.clone(),
                system: vec![SYSTEM.to_string()],
                messages: vec![Message::user_text(question)],
                tools: Vec::new(),
                max_tokens: MAX_TOKENS,
                thinking: None,
            };
            // Its deltas are not shown: only the answer counts.
            let (tx, _rx) = mpsc::unbounded_channel();
            let call = self.provider.stream(&request, tx);
            let completion = tokio::select! {
                done = call => done.map_err(|e| e.to_string())?,
                _ = cancel.cancelled() => return Err("interrupted".to_string()),
            };
            let text = completion.message.text();
            if text.trim().is_empty() {
                return Err(format!("{} gave an empty answer", self.model));
            }
            Ok(Reply { text, usage: completion.usage, model: self.model.clone() })
        })
    }
}

/// The small model of a provider: its own fast model where it has one, else `session`.
pub fn default_small_model(provider: &str, session: &str) -> String {
    match provider {
        "anthropic" => "claude-haiku-4-5".to_string(),
        _ => session.to_string(),
    }
}
