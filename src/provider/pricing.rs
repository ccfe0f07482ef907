//! What models cost and how much they can read.
//!
//! Prices are US dollars per million tokens, from Anthropic's published price list. Cache
//! writes are the 5-minute cache price (1.25× input), cache reads 0.1× input. A model is
//! matched by the longest known prefix of its id, so dated ids
//! (`claude-sonnet-4-5-20250929`) find their family. Unknown models cost nothing rather than a
//! guess, and the meter says the price is unknown.

use serde::{Deserialize, Serialize};

use super::Usage;

/// Prices per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_write: f64,
    pub cache_read: f64,
}

impl Price {
    const fn standard(input: f64, output: f64) -> Price {
        Price { input, output, cache_write: input * 1.25, cache_read: input * 0.1 }
    }

    /// The cost of `usage` in dollars.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (usage.input_tokens as f64 * self.input
            + usage.output_tokens as f64 * self.output
            + usage.cache_creation_input_tokens as f64 * self.cache_write
            + usage.cache_read_input_tokens as f64 * self.cache_read)
            / 1_000_000.0
    }
}

/// Facts about one model family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelInfo {
    pub prefix: &'static str,
    pub price: Price,
    pub context_window: u64,
}

/// Known models, most specific prefix first is not required: lookup takes the longest match.
pub const MODELS: &[ModelInfo] = &[
    ModelInfo { prefix: "claude-opus-4-5", price: Price::standard(5.0, 25.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-opus-4-1", price: Price::standard(15.0, 75.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-opus-4", price: Price::standard(15.0, 75.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-sonnet-4-5", price: Price::standard(3.0, 15.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-sonnet-4", price: Price::standard(3.0, 15.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-haiku-4-5", price: Price::standard(1.0, 5.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-3-7-sonnet", price: Price::standard(3.0, 15.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-3-5-sonnet", price: Price::standard(3.0, 15.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-3-5-haiku", price: Price::standard(0.8, 4.0), context_window: 200_000 },
    ModelInfo { prefix: "claude-3-opus", price: Price::standard(15.0, 75.0), context_window: 200_000 },
    ModelInfo {
        prefix: "claude-3-haiku",
        price: Price { input: 0.25, output: 1.25, cache_write: 0.30, cache_read: 0.03 },
        context_window: 200_000,
    },
];

/// The window assumed for a model this table does not know.
pub const DEFAULT_CONTEXT_WINDOW: u64 = 200_000;

/// The entry for `model`, by longest prefix.
pub fn lookup(model: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().filter(|m| model.starts_with(m.prefix)).max_by_key(|m| m.prefix.len())
}

/// The cost of `usage` on `model`, or `None` when the model's price is unknown.
pub fn cost(model: &str, usage: &Usage) -> Option<f64> {
    lookup(model).map(|m| m.price.cost(usage))
}

pub fn context_window(model: &str) -> u64 {
    lookup(model).map(|m| m.context_window).unwrap_or(DEFAULT_CONTEXT_WINDOW)
}

/// A user's price for models whose id starts with `prefix` (from `[prices]` in the config),
/// for models the table does not know or prices that differ (a gateway's, a discount).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceOverride {
    pub prefix: String,
    /// None: the price stays the table's (or unknown); only the window is given.
    pub price: Option<Price>,
    pub context_window: Option<u64>,
}

/// The built-in table with the user's overrides on top.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    pub overrides: Vec<PriceOverride>,
}

impl PriceTable {
    fn override_for(&self, model: &str) -> Option<&PriceOverride> {
        self.overrides.iter().filter(|o| model.starts_with(&o.prefix)).max_by_key(|o| o.prefix.len())
    }

    /// The cost of `usage` on `model`: an override when one matches, else the built-in
    /// price, else `None` (unknown).
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        match self.override_for(model).and_then(|o| o.price) {
            Some(price) => Some(price.cost(usage)),
            None => cost(model, usage),
        }
    }

    pub fn context_window(&self, model: &str) -> u64 {
        self.known_context_window(model).unwrap_or(DEFAULT_CONTEXT_WINDOW)
    }

    /// The window of `model` when an override or the table knows it.
    pub fn known_context_window(&self, model: &str) -> Option<u64> {
        self.override_for(model).and_then(|o| o.context_window).or_else(|| lookup(model).map(|m| m.context_window))
    }

    /// The price of `model`: an override's, else the table's; None when unknown.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.override_for(model).and_then(|o| o.price).or_else(|| lookup(model).map(|m| m.price))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        assert_eq!(lookup("claude-opus-4-5-20251101").unwrap().price.input, 5.0);
        assert_eq!(lookup("claude-opus-4-20250514").unwrap().price.input, 15.0);
        assert_eq!(lookup("claude-sonnet-4-5").unwrap().price.output, 15.0);
        assert!(lookup("gpt-4o").is_none());
    }

    #[test]
    fn overrides_win_and_price_unknown_models() {
        let t = PriceTable {
            overrides: vec![PriceOverride {
                prefix: "my-local".into(),
                price: Some(Price { input: 1.0, output: 2.0, cache_write: 0.0, cache_read: 0.0 }),
                context_window: Some(32_000),
            }],
        };
        let u = Usage { input_tokens: 1_000_000, output_tokens: 1_000_000, ..Default::default() };
        assert_eq!(t.cost("my-local-7b", &u), Some(3.0));
        assert_eq!(t.context_window("my-local-7b"), 32_000);
        assert_eq!(t.cost("claude-sonnet-4-5", &u), Some(18.0), "the table still answers");
        assert_eq!(t.cost("mystery", &u), None);
    }

    #[test]
    fn cost_counts_every_kind_of_token() {
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_creation_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
        };
        let c = cost("claude-sonnet-4-5", &u).unwrap();
        assert!((c - (3.0 + 15.0 + 3.75 + 0.3)).abs() < 1e-9, "{c}");
    }
}
