//! Which provider a run talks to: the built-in names, and `NAME/model` in a model name.
//!
//! `anthropic` is the default. `openai` reads `OPENAI_API_KEY` and `OPENAI_BASE_URL` (which
//! includes `/v1`); `openrouter` reads `OPENROUTER_API_KEY`. The local presets (`ollama`,
//! `llamacpp`, `lmstudio`, `vllm`) need no key and send no `Authorization` header unless one is
//! configured; when nothing listens at their address the error says which server to start.

/// The wire a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Anthropic,
    OpenAi,
}

/// A built-in provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub kind: Kind,
    /// The address when nothing overrides it (for OpenAI-compatible servers, up to `/v1`).
    pub base_url: &'static str,
    /// The variable that overrides the address.
    pub base_url_env: Option<&'static str>,
    /// The variable holding the key; a provider without one needs none.
    pub key_env: Option<&'static str>,
    /// What to say when nothing listens at the address.
    pub connect_hint: Option<&'static str>,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "anthropic",
        kind: Kind::Anthropic,
        base_url: super::anthropic::DEFAULT_BASE_URL,
        base_url_env: Some("ANTHROPIC_BASE_URL"),
        key_env: Some("ANTHROPIC_API_KEY"),
        connect_hint: None,
    },
    Preset {
        name: "openai",
        kind: Kind::OpenAi,
        base_url: "https://api.openai.com/v1",
        base_url_env: Some("OPENAI_BASE_URL"),
        key_env: Some("OPENAI_API_KEY"),
        connect_hint: None,
    },
    Preset {
        name: "openrouter",
        kind: Kind::OpenAi,
        base_url: "https://openrouter.ai/api/v1",
        base_url_env: None,
        key_env: Some("OPENROUTER_API_KEY"),
        connect_hint: None,
    },
    Preset {
        name: "ollama",
        kind: Kind::OpenAi,
        base_url: "http://127.0.0.1:11434/v1",
        base_url_env: None,
        key_env: None,
        connect_hint: Some("is Ollama running? (`ollama serve`)"),
    },
    Preset {
        name: "llamacpp",
        kind: Kind::OpenAi,
        base_url: "http://127.0.0.1:8080/v1",
        base_url_env: None,
        key_env: None,
        connect_hint: Some("is llama.cpp's server running? (`llama-server -m MODEL.gguf --jinja`)"),
    },
    Preset {
        name: "lmstudio",
        kind: Kind::OpenAi,
        base_url: "http://127.0.0.1:1234/v1",
        base_url_env: None,
        key_env: None,
        connect_hint: Some("is LM Studio's server running? (Developer tab, or `lms server start`)"),
    },
    Preset {
        name: "vllm",
        kind: Kind::OpenAi,
        base_url: "http://127.0.0.1:8000/v1",
        base_url_env: None,
        key_env: None,
        connect_hint: Some("is vLLM running? (`vllm serve MODEL --enable-auto-tool-choice`)"),
    },
];

/// The built-in provider called `name`.
pub fn preset(name: &str) -> Result<&'static Preset, String> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        format!("unknown provider {name:?}; known providers: {}", known.join(", "))
    })
}

/// The provider and the model name to send, from the provider asked for (`--provider`, the
/// config's `[provider] name`; None for the default) and the model as given. A model written
/// `NAME/model` with a known NAME selects that provider and is sent without the prefix, unless
/// another provider was asked for (OpenRouter's models are named `vendor/model`).
pub fn choose(asked: Option<&str>, model: &str) -> Result<(&'static Preset, String), String> {
    let asked = asked.map(str::trim).filter(|n| !n.is_empty());
    let prefixed = prefix(model);
    match (asked, prefixed) {
        (None, Some((p, rest))) => Ok((p, rest.to_string())),
        (Some(name), Some((p, rest))) if p.name == name => Ok((p, rest.to_string())),
        (Some(name), _) => Ok((preset(name)?, model.to_string())),
        (None, None) => Ok((&PRESETS[0], model.to_string())),
    }
}

/// The provider a `NAME/model` name selects, and the model without the prefix.
pub fn prefix(model: &str) -> Option<(&'static Preset, &str)> {
    model.split_once('/').and_then(|(name, rest)| preset(name).ok().map(|p| (p, rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_prefix_selects_its_provider_and_is_not_sent() {
        let (p, m) = choose(None, "openai/gpt-4o-mini").unwrap();
        assert_eq!((p.name, m.as_str()), ("openai", "gpt-4o-mini"));
        let (p, m) = choose(Some("ollama"), "ollama/qwen3:8b").unwrap();
        assert_eq!((p.name, m.as_str()), ("ollama", "qwen3:8b"));
        let (p, m) = choose(None, "claude-sonnet-4-5").unwrap();
        assert_eq!((p.name, m.as_str()), ("anthropic", "claude-sonnet-4-5"));
    }

    #[test]
    fn another_provider_keeps_the_model_whole() {
        let (p, m) = choose(Some("openrouter"), "anthropic/claude-sonnet-4.5").unwrap();
        assert_eq!((p.name, m.as_str()), ("openrouter", "anthropic/claude-sonnet-4.5"));
        let (p, m) = choose(None, "meta-llama/llama-3.3").unwrap();
        assert_eq!((p.name, m.as_str()), ("anthropic", "meta-llama/llama-3.3"), "an unknown prefix is a model name");
    }

    #[test]
    fn an_unknown_provider_names_the_known_ones() {
        let e = choose(Some("olama"), "x").unwrap_err();
        assert!(e.contains("unknown provider \"olama\"") && e.contains("ollama, llamacpp"), "{e}");
    }
}
