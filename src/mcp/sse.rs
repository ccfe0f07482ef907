//! The older HTTP+SSE transport (the 2024-11-05 revision), which servers written before
//! streamable HTTP still speak and rmcp no longer ships: a GET opens an event stream whose first
//! event (`endpoint`) names where to POST messages; answers and notifications come back as
//! `message` events on that stream.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;

use crate::provider::sse::SseDecoder;

/// The longest wait for the stream's `endpoint` event.
const ENDPOINT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SseTransport {
    client: reqwest::Client,
    /// Where messages are posted (the `endpoint` event, resolved against the stream's URL).
    endpoint: Arc<str>,
    headers: HeaderMap,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: tokio::task::JoinHandle<()>,
}

impl SseTransport {
    /// Opens the event stream at `url` and waits for the endpoint to post to.
    pub async fn connect(client: &reqwest::Client, url: &str, headers: HeaderMap) -> Result<SseTransport, String> {
        let base = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let response = client
            .get(base.clone())
            .headers(headers.clone())
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", crate::sanitize::redact_url_credentials(url)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the event stream answered HTTP {status}"));
        }
        let (endpoint_tx, endpoint_rx) = tokio::sync::oneshot::channel();
        let (tx, incoming) = mpsc::channel(64);
        let reader = tokio::spawn(read_stream(response, endpoint_tx, tx));
        let endpoint = match tokio::time::timeout(ENDPOINT_TIMEOUT, endpoint_rx).await {
            Ok(Ok(path)) => base.join(&path).map_err(|e| format!("the endpoint `{path}` is not a URL: {e}"))?,
            Ok(Err(_)) => return Err("the event stream ended before naming its endpoint".into()),
            Err(_) => return Err(format!("no `endpoint` event within {} s", ENDPOINT_TIMEOUT.as_secs())),
        };
        if endpoint.origin() != base.origin() {
            reader.abort();
            return Err(format!(
                "the server named an endpoint on another origin ({}); refused",
                endpoint.origin().ascii_serialization()
            ));
        }
        Ok(SseTransport { client: client.clone(), endpoint: endpoint.as_str().into(), headers, incoming, reader })
    }
}

/// Reads the stream: the first `endpoint` event, then every `message` as a JSON-RPC message.
async fn read_stream(
    mut response: reqwest::Response,
    endpoint: tokio::sync::oneshot::Sender<String>,
    messages: mpsc::Sender<RxJsonRpcMessage<RoleClient>>,
) {
    let mut decoder = SseDecoder::new();
    let mut endpoint = Some(endpoint);
    while let Ok(Some(chunk)) = response.chunk().await {
        for event in decoder.feed(&chunk) {
            match event.event.as_deref() {
                Some("endpoint") => {
                    if let Some(tx) = endpoint.take() {
                        let _ = tx.send(event.data.trim().to_string());
                    }
                }
                None | Some("message") => {
                    // A message that is not JSON-RPC is skipped, as a stray line would be.
                    if let Ok(message) = serde_json::from_str(&event.data)
                        && messages.send(message).await.is_err()
                    {
                        return;
                    }
                }
                Some(_) => {}
            }
        }
        if decoder.overflowed() {
            return;
        }
    }
}

impl Transport<RoleClient> for SseTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let (client, endpoint, headers) = (self.client.clone(), self.endpoint.clone(), self.headers.clone());
        async move {
            let response =
                client.post(&*endpoint).headers(headers).json(&item).send().await.map_err(std::io::Error::other)?;
            match response.status() {
                s if s.is_success() => Ok(()),
                s => Err(std::io::Error::other(format!("posting a message answered HTTP {s}"))),
            }
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.incoming.recv()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.reader.abort();
        std::future::ready(Ok(()))
    }
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
