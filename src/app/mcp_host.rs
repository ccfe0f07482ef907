//! The MCP hub of the interface: kept while the agent is replaced (/clear, /resume, /model
//! keep the servers connected when their settings did not change), its news forwarded onto
//! the bus as `Event::Mcp`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::event::Event;
use crate::mcp::{Hub, McpConfig};

#[derive(Default)]
pub struct McpHost {
    hub: Option<Arc<Hub>>,
    root: PathBuf,
    forwarder: Option<tokio::task::JoinHandle<()>>,
}

impl McpHost {
    /// The hub for an agent of the workspace at `root` with these settings: the one running
    /// when they are the same, else a new one (connecting in the background; the old one
    /// stops once the agent that used it is gone).
    pub fn hub_for(&mut self, config: &McpConfig, root: &Path, bus: &mpsc::UnboundedSender<Event>) -> Option<Arc<Hub>> {
        let same = self.root == root && self.hub.as_ref().map(|h| &h.config) == Some(config);
        if same || (self.hub.is_none() && config.servers.is_empty() && self.root == root) {
            return self.hub.clone();
        }
        if let Some(f) = self.forwarder.take() {
            f.abort();
        }
        self.root = root.to_path_buf();
        self.hub = (!config.servers.is_empty()).then(|| Hub::start(config, root));
        match &self.hub {
            Some(hub) => {
                let mut changes = hub.subscribe();
                let weak = Arc::downgrade(hub);
                let bus = bus.clone();
                self.forwarder = Some(tokio::spawn(async move {
                    loop {
                        let Some(hub) = weak.upgrade() else { return };
                        if bus.send(Event::Mcp(hub.views())).is_err() {
                            return;
                        }
                        drop(hub);
                        if changes.changed().await.is_err() {
                            return;
                        }
                    }
                }));
            }
            None => {
                let _ = bus.send(Event::Mcp(Vec::new()));
            }
        }
        self.hub.clone()
    }

    /// Connects to server `name` again.
    pub fn reconnect(&self, name: &str) {
        if let Some(hub) = &self.hub {
            hub.reconnect(name);
        }
    }
}
