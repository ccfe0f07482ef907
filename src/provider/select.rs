//! Which provider a run talks to: the built-in names, and `NAME/model` in a model name.
//!
//! `anthropic` is the default. `openai` reads `OPENAI_API_KEY` and `OPENAI_BASE_URL` (which
//! includes `/v1`); `openrouter` reads `OPENROUTER_API_KEY`. The local presets (`ollama`,
//! `llamacpp`, `lmstudio`, `vllm`) need no key and send no `Authorization` header unless one is
//! configured; when nothing listens at their address the error says which server to start.
//! `[providers.NAME]` in a config file adds providers of the user's own (a `kind`, a
//! `base_url`, the variable holding the key, headers, what is known of its models) or moves a
//! built-in one.

use std::collections::BTreeMap;

use crate::config::settings::{ModelDef, ProviderDef};

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
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The provider a run talks to: a built-in one, one of the user's own (`[providers.NAME]`), or
/// a built-in one the user moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub name: String,
    pub kind: Kind,
    /// The address from `[providers.NAME] base_url`, or None for the built-in one's.
    pub base_url: Option<String>,
    pub preset: Option<&'static Preset>,
    /// The variable holding the key, if the provider needs one.
    pub key_env: Option<String>,
    pub headers: Vec<(String, String)>,
    /// What the user told of the provider's models.
    pub models: BTreeMap<String, ModelDef>,
}

impl Chosen {
    /// What to say when nothing listens at the address.
    pub fn connect_hint(&self) -> Option<String> {
        self.preset.and_then(|p| p.connect_hint).map(str::to_string)
    }
}

/// Every provider name: the built-in ones, then the user's own.
pub fn names(defs: &BTreeMap<String, ProviderDef>) -> Vec<String> {
    let mut names: Vec<String> = PRESETS.iter().map(|p| p.name.to_string()).collect();
    names.extend(defs.keys().filter(|n| preset(n).is_none()).cloned());
    names
}

/// The provider called `name`.
pub fn find(name: &str, defs: &BTreeMap<String, ProviderDef>) -> Result<Chosen, String> {
    let preset = preset(name);
    let def = defs.get(name);
    if preset.is_none() && def.is_none() {
        return Err(format!("unknown provider {name:?}; known providers: {}", names(defs).join(", ")));
    }
    let kind = match def.and_then(|d| d.kind.as_deref()) {
        Some("openai") => Kind::OpenAi,
        Some("anthropic") => Kind::Anthropic,
        Some(other) => {
            return Err(format!("providers.{name}: kind {other:?} is not one of \"openai\", \"anthropic\""));
        }
        None => match preset {
            Some(p) => p.kind,
            None => return Err(format!("providers.{name} needs kind = \"openai\" or \"anthropic\"")),
        },
    };
    let base_url = def.and_then(|d| d.base_url.clone());
    if preset.is_none() && base_url.is_none() {
        return Err(format!("providers.{name} needs a base_url"));
    }
    let key_env =
        def.and_then(|d| d.api_key_env.clone()).or_else(|| preset.and_then(|p| p.key_env).map(str::to_string));
    Ok(Chosen {
        name: name.to_string(),
        kind,
        base_url,
        preset,
        key_env,
        headers: def.map(|d| d.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
        models: def.map(|d| d.models.clone()).unwrap_or_default(),
    })
}

/// The provider and the model name to send, from the provider asked for (`--provider`, the
/// config's `[provider] name`; None for the default) and the model as given. A model written
/// `NAME/model` with a known NAME selects that provider and is sent without the prefix, unless
/// another provider was asked for (OpenRouter's models are named `vendor/model`).
pub fn choose(
    asked: Option<&str>,
    model: &str,
    defs: &BTreeMap<String, ProviderDef>,
) -> Result<(Chosen, String), String> {
    let asked = asked.map(str::trim).filter(|n| !n.is_empty());
    match (asked, prefix(model, defs)) {
        (None, Some((name, rest))) => Ok((find(name, defs)?, rest.to_string())),
        (Some(name), Some((p, rest))) if p == name => Ok((find(name, defs)?, rest.to_string())),
        (Some(name), _) => Ok((find(name, defs)?, model.to_string())),
        (None, None) => Ok((find("anthropic", defs)?, model.to_string())),
    }
}

/// The provider a `NAME/model` name selects, and the model without the prefix.
pub fn prefix<'a>(model: &'a str, defs: &BTreeMap<String, ProviderDef>) -> Option<(&'a str, &'a str)> {
    model.split_once('/').filter(|(name, _)| preset(name).is_some() || defs.contains_key(*name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> BTreeMap<String, ProviderDef> {
        BTreeMap::new()
    }

    fn pick(asked: Option<&str>, model: &str, defs: &BTreeMap<String, ProviderDef>) -> (String, String) {
        let (c, m) = choose(asked, model, defs).unwrap();
        (c.name, m)
    }

    #[test]
    fn a_known_prefix_selects_its_provider_and_is_not_sent() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(pick(None, "openai/gpt-4o-mini", &none()), s("openai", "gpt-4o-mini"));
        assert_eq!(pick(Some("ollama"), "ollama/qwen3:8b", &none()), s("ollama", "qwen3:8b"));
        assert_eq!(pick(None, "claude-sonnet-4-5", &none()), s("anthropic", "claude-sonnet-4-5"));
    }

    #[test]
    fn another_provider_keeps_the_model_whole() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            pick(Some("openrouter"), "anthropic/claude-sonnet-4.5", &none()),
            s("openrouter", "anthropic/claude-sonnet-4.5")
        );
        assert_eq!(pick(None, "meta-llama/llama-3.3", &none()), s("anthropic", "meta-llama/llama-3.3"));
    }

    #[test]
    fn an_unknown_provider_names_the_known_ones() {
        let e = choose(Some("olama"), "x", &none()).unwrap_err();
        assert!(e.contains("unknown provider \"olama\"") && e.contains("ollama, llamacpp"), "{e}");
    }

    #[test]
    fn the_users_own_providers_and_a_moved_preset() {
        let mut defs = BTreeMap::new();
        defs.insert(
            "gpu".to_string(),
            ProviderDef {
                kind: Some("openai".into()),
                base_url: Some("http://gpu:8000/v1".into()),
                api_key_env: Some("GPU_KEY".into()),
                ..Default::default()
            },
        );
        defs.insert(
            "ollama".to_string(),
            ProviderDef { base_url: Some("http://box:11434/v1".into()), ..Default::default() },
        );
        let (c, m) = choose(None, "gpu/qwen", &defs).unwrap();
        assert_eq!((c.name.as_str(), c.kind, m.as_str()), ("gpu", Kind::OpenAi, "qwen"));
        assert_eq!((c.base_url.as_deref(), c.key_env.as_deref()), (Some("http://gpu:8000/v1"), Some("GPU_KEY")));
        let (c, _) = choose(Some("ollama"), "qwen", &defs).unwrap();
        assert_eq!((c.base_url.as_deref(), c.connect_hint().is_some()), (Some("http://box:11434/v1"), true));
        assert!(names(&defs).ends_with(&["gpu".to_string()]));
        defs.insert("bad".to_string(), ProviderDef { base_url: Some("http://x".into()), ..Default::default() });
        assert!(choose(Some("bad"), "m", &defs).unwrap_err().contains("providers.bad needs kind"));
    }
}
