//! A minimal socket.io v5 client over a WebSocket (Engine.IO v4), enough to
//! authenticate, call events with acks and observe server events and
//! disconnects. The JS end-to-end suite uses the official client; this one
//! keeps the Rust tests self-contained.

use std::{collections::VecDeque, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// One connected socket of namespace `/`.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ack: u64,
    events: VecDeque<(String, Value)>,
}

/// What a frame meant.
enum Frame {
    Event(String, Value),
    Ack(u64, Value),
    Disconnect,
    Other,
}

impl Socket {
    /// Opens a socket with this handshake `auth`; `Err` carries the
    /// `connect_error` message.
    pub async fn connect(gateway_port: u16, auth: Value) -> Result<Socket, String> {
        let url = format!("ws://127.0.0.1:{gateway_port}/socket.io/?EIO=4&transport=websocket");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let open = next_text(&mut ws).await.expect("engine.io open packet");
        assert!(open.starts_with('0'), "{open}");
        ws.send(Message::text(format!("40{auth}"))).await.unwrap();
        loop {
            let text = next_text(&mut ws).await.expect("socket.io connect answer");
            if let Some(ok) = text.strip_prefix("40") {
                assert!(ok.contains("\"sid\""), "{text}");
                return Ok(Socket {
                    ws,
                    next_ack: 0,
                    events: VecDeque::new(),
                });
            }
            if let Some(err) = text.strip_prefix("44") {
                let body: Value = serde_json::from_str(err).unwrap();
                return Err(body["message"].as_str().unwrap_or_default().to_owned());
            }
        }
    }

    /// Emits `event` with `data` and waits for its ack (10 s at most).
    pub async fn call(&mut self, event: &str, data: Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        let packet = serde_json::json!([event, data]);
        self.ws
            .send(Message::text(format!("42{id}{packet}")))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match self.read().await {
                    Some(Frame::Ack(ack, value)) if ack == id => return value,
                    Some(Frame::Event(name, value)) => self.events.push_back((name, value)),
                    Some(_) => {}
                    None => panic!("socket closed while waiting for the ack of {event}"),
                }
            }
        })
        .await
        .expect("ack within 10 s")
    }

    /// Whether the server disconnects this socket within `limit`.
    pub async fn disconnected_within(&mut self, limit: Duration) -> bool {
        tokio::time::timeout(limit, async {
            loop {
                match self.read().await {
                    None | Some(Frame::Disconnect) => return,
                    Some(Frame::Event(name, value)) => self.events.push_back((name, value)),
                    Some(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    async fn read(&mut self) -> Option<Frame> {
        let text = next_text(&mut self.ws).await?;
        if text == "2" {
            let _ = self.ws.send(Message::text("3")).await;
            return Some(Frame::Other);
        }
        if text.starts_with("41") || text == "1" {
            return Some(Frame::Disconnect);
        }
        if let Some(rest) = text.strip_prefix("43") {
            let split = rest.find('[').unwrap_or(rest.len());
            let id = rest[..split].parse().unwrap_or(u64::MAX);
            let args: Value = serde_json::from_str(&rest[split..]).unwrap_or(Value::Null);
            return Some(Frame::Ack(id, args.get(0).cloned().unwrap_or(Value::Null)));
        }
        if let Some(rest) = text.strip_prefix("42") {
            let split = rest.find('[').unwrap_or(rest.len());
            let args: Value = serde_json::from_str(&rest[split..]).unwrap_or(Value::Null);
            let name = args
                .get(0)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            return Some(Frame::Event(
                name,
                args.get(1).cloned().unwrap_or(Value::Null),
            ));
        }
        Some(Frame::Other)
    }
}

async fn next_text(ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Option<String> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => return Some(text.to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}
