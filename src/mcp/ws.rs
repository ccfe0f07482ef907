//! MCP over WebSocket (`"type": "ws"`, which the seed's runtime lists and rmcp does not ship):
//! one JSON-RPC message per text frame, the `mcp` subprotocol asked for, the configured
//! headers sent with the upgrade.

use std::sync::Arc;

use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use reqwest::header::HeaderMap;
use rmcp::service::{RoleClient, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct WsTransport {
    sink: Arc<tokio::sync::Mutex<SplitSink<Socket, Message>>>,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: tokio::task::JoinHandle<()>,
}

impl WsTransport {
    /// Opens the WebSocket at `url` with `headers`.
    pub async fn connect(url: &str, headers: HeaderMap) -> Result<WsTransport, String> {
        crate::install_crypto_provider();
        let shown = crate::sanitize::redact_url_credentials(url).into_owned();
        let mut request = url.into_client_request().map_err(|e| format!("`{shown}` is not a WebSocket URL: {e}"))?;
        request.headers_mut().extend(headers);
        request.headers_mut().insert("sec-websocket-protocol", reqwest::header::HeaderValue::from_static("mcp"));
        let (socket, _) =
            tokio_tungstenite::connect_async(request).await.map_err(|e| format!("cannot open {shown}: {e}"))?;
        let (sink, mut stream) = socket.split();
        let (tx, incoming) = mpsc::channel(64);
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let text = match frame {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                // A frame that is not JSON-RPC is skipped, as a stray line would be.
                if let Ok(message) = serde_json::from_str(&text)
                    && tx.send(message).await.is_err()
                {
                    return;
                }
            }
        });
        Ok(WsTransport { sink: Arc::new(tokio::sync::Mutex::new(sink)), incoming, reader })
    }
}

impl Transport<RoleClient> for WsTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let sink = self.sink.clone();
        async move {
            let text = serde_json::to_string(&item).map_err(std::io::Error::other)?;
            sink.lock().await.send(Message::text(text)).await.map_err(std::io::Error::other)
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.incoming.recv()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.reader.abort();
        let sink = self.sink.clone();
        async move {
            let _ = sink.lock().await.close().await;
            Ok(())
        }
    }
}

impl Drop for WsTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
