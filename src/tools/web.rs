//! What WebFetch and WebSearch share: the HTTP client (no redirects followed by itself, a
//! timeout, a size cap), the URL check, and how a page's bytes become text for the model.
//!
//! The permission policy decides where the model may go (it asks per domain); these tools
//! only refuse what is not a web address. Loopback and private addresses are fetched like any
//! other: the policy, not the tool, is the boundary.

use std::time::Duration;

/// Longest a request may take, headers and body.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of a page read; the rest is left unread and the model told.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Redirects followed on the same host.
pub const MAX_REDIRECTS: usize = 5;

/// A web address the tools accept: http or https, with a host.
pub fn parse_url(tool: &str, raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("{tool}: `{raw}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{tool}: only http and https URLs can be fetched, not `{}:`", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{tool}: `{raw}` names no host"));
    }
    Ok(url)
}

/// The permission subject of a call to `url`: its domain, which rules name
/// (`WebFetch(domain:example.com)`).
pub fn subject(url: &reqwest::Url) -> String {
    format!("domain:{}", url.host_str().unwrap_or_default().to_ascii_lowercase())
}

/// The client every web call uses, built once (its TLS roots are loaded then): a clone
/// shares its connection pool.
pub fn client() -> Result<reqwest::Client, String> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::install_crypto_provider();
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("claw-tui/", env!("CARGO_PKG_VERSION"), " (+https://github.com/claw-tui)"))
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        })
        .clone()
}

/// A page as fetched: where it ended up, its type, its bytes (at most [`MAX_BYTES`]) and
/// whether more was left unread.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: reqwest::Url,
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub cut: bool,
}

/// How a fetch ended without a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Redirected to another host: not followed, the model is told where.
    Elsewhere {
        from: String,
        to: String,
        status: u16,
    },
    Other(String),
}

/// GETs `url`, following redirects on the same host (http may become https), stopping at
/// one to another host (so `headers`, which may carry a key, only go to the host named).
pub async fn get(client: &reqwest::Client, url: reqwest::Url, headers: &[(&str, &str)]) -> Result<Page, Failure> {
    let mut url = url;
    for _ in 0..=MAX_REDIRECTS {
        let mut request = client.get(url.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.map_err(|e| Failure::Other(describe(&url, &e)))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
            let next = url
                .join(location)
                .map_err(|e| Failure::Other(format!("{url} redirected to a bad address `{location}`: {e}")))?;
            let same_host = next.host_str() == url.host_str();
            let upgrade = url.scheme() == "http" && next.scheme() == "https";
            let same_port = next.port_or_known_default() == url.port_or_known_default();
            let downgrade = url.scheme() == "https" && next.scheme() == "http";
            if !same_host || (!same_port && !upgrade) || downgrade {
                return Err(Failure::Elsewhere {
                    from: url.to_string(),
                    to: next.to_string(),
                    status: status.as_u16(),
                });
            }
            url = next;
            continue;
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_ascii_lowercase();
        let (body, cut) =
            read_capped(response).await.map_err(|e| Failure::Other(format!("{url}: the body broke off: {e}")))?;
        return Ok(Page { url, status: status.as_u16(), content_type, body, cut });
    }
    Err(Failure::Other(format!("{url}: more than {MAX_REDIRECTS} redirects")))
}

async fn read_capped(mut response: reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// A failed request said plainly: nothing listening, a TLS problem, a timeout.
fn describe(url: &reqwest::Url, e: &reqwest::Error) -> String {
    let why = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        let mut text = String::new();
        while let Some(s) = source {
            text = s.to_string();
            source = s.source();
        }
        format!("cannot connect ({text})")
    } else {
        e.to_string()
    };
    format!("{url}: {why}")
}

/// What a page's bytes are for the model: HTML as Markdown, text and JSON as they are;
/// anything else refused, naming its type.
pub fn as_text(page: &Page) -> Result<String, String> {
    let kind = page.content_type.split(';').next().unwrap_or("").trim();
    let text = || String::from_utf8_lossy(&page.body).into_owned();
    if kind == "text/html" || kind == "application/xhtml+xml" {
        return htmd::convert(&text()).map_err(|e| format!("{}: the HTML could not be converted: {e}", page.url));
    }
    let readable = kind.starts_with("text/")
        || kind == "application/json"
        || kind.ends_with("+json")
        || kind == "application/xml"
        || kind.ends_with("+xml")
        || kind == "application/javascript";
    if readable && !super::text::looks_binary(&page.body) {
        return Ok(text());
    }
    Err(format!("{}: {} content is not text; it was not read", page.url, if kind.is_empty() { "binary" } else { kind }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(kind: &str, body: &[u8]) -> Page {
        Page {
            url: "http://x.test/".parse().unwrap(),
            status: 200,
            content_type: kind.into(),
            body: body.to_vec(),
            cut: false,
        }
    }

    #[test]
    fn urls_and_content_types() {
        assert!(parse_url("WebFetch", "ftp://x.test/f").unwrap_err().contains("only http and https"));
        assert!(parse_url("WebFetch", "not a url").unwrap_err().contains("is not a URL"));
        assert_eq!(subject(&parse_url("WebFetch", "https://Docs.Example.com/a?b").unwrap()), "domain:docs.example.com");
        let md = as_text(&page("text/html; charset=utf-8", b"<h1>Title</h1><p>Some <b>bold</b> text</p>")).unwrap();
        assert!(md.contains("# Title") && md.contains("**bold**"), "{md}");
        assert_eq!(as_text(&page("application/json", b"{\"a\":1}")).unwrap(), "{\"a\":1}");
        assert!(as_text(&page("image/png", b"\x89PNG\r\n")).unwrap_err().contains("image/png content is not text"));
    }
}
