//! The gateway: Discord's websocket protocol (v10, JSON text frames, no compression).
//!
//! [`Gateway`] keeps the session and a backlog of dispatched events, so a client that lost its
//! connection can RESUME and receive what it missed, as on Discord. [`serve`] runs one
//! connection: HELLO, IDENTIFY or RESUME, heartbeats, dispatches.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::Inner;

/// How many dispatched events are kept for RESUME.
const BACKLOG: usize = 10_000;
/// The heartbeat interval announced in HELLO, in milliseconds.
const HEARTBEAT_MS: u64 = 41_250;

/// What the connection task should do next.
#[derive(Debug)]
enum Outgoing {
    Frame(String),
    /// Close with a code, as Discord does for protocol errors.
    Close(u16, &'static str),
    /// Vanish without a close frame, like a network failure.
    Drop,
}

#[derive(Debug, Default)]
struct State {
    session_id: Option<String>,
    seq: u64,
    backlog: VecDeque<(u64, String)>,
    connection: Option<(u64, mpsc::UnboundedSender<Outgoing>)>,
    next_connection: u64,
    identifies: u64,
    resumes: u64,
    /// The intents of the current session (IDENTIFY's `intents`).
    intents: u64,
}

/// GUILD_MEMBERS (privileged): member add, update and remove events.
const GUILD_MEMBERS: u64 = 1 << 1;

/// The intent an event needs beyond those every session of the bot has, as Discord decides
/// which events a session receives.
fn intent_of(event: &str) -> Option<u64> {
    match event {
        "GUILD_MEMBER_ADD" | "GUILD_MEMBER_UPDATE" | "GUILD_MEMBER_REMOVE" => Some(GUILD_MEMBERS),
        _ => None,
    }
}

/// The gateway hub shared by REST handlers (which dispatch events) and connections.
#[derive(Debug, Default)]
pub struct Gateway {
    state: Mutex<State>,
}

/// Counters for tests of reconnect behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatewayStats {
    /// IDENTIFYs accepted (new sessions).
    pub identifies: u64,
    /// RESUMEs accepted.
    pub resumes: u64,
    /// Whether a client is connected now.
    pub connected: bool,
    /// The intents the current session identified with.
    pub intents: u64,
}

impl Gateway {
    /// Sends a dispatch event (op 0) to the bot, or keeps it for a RESUME if the bot is away.
    /// Events before the first IDENTIFY go nowhere, as on Discord.
    pub fn dispatch(&self, event: &str, data: Value) {
        let mut state = self.state.lock().expect("gateway lock");
        if state.session_id.is_none() {
            return;
        }
        if intent_of(event).is_some_and(|needed| state.intents & needed == 0) {
            return;
        }
        state.seq += 1;
        let seq = state.seq;
        let frame = json!({"op": 0, "t": event, "s": seq, "d": data}).to_string();
        if state.backlog.len() == BACKLOG {
            state.backlog.pop_front();
        }
        state.backlog.push_back((seq, frame.clone()));
        if let Some((_, tx)) = &state.connection {
            let _ = tx.send(Outgoing::Frame(frame));
        }
    }

    /// Cuts the current connection without a close frame; the client should RESUME.
    pub fn drop_connection(&self) {
        let state = self.state.lock().expect("gateway lock");
        if let Some((_, tx)) = &state.connection {
            let _ = tx.send(Outgoing::Drop);
        }
    }

    /// Closes the current connection with `code` (e.g. 4000 unknown error, resumable).
    pub fn close_connection(&self, code: u16) {
        let state = self.state.lock().expect("gateway lock");
        if let Some((_, tx)) = &state.connection {
            let _ = tx.send(Outgoing::Close(code, "closed by the emulator"));
        }
    }

    /// Counters of sessions and resumes.
    pub fn stats(&self) -> GatewayStats {
        let state = self.state.lock().expect("gateway lock");
        GatewayStats {
            identifies: state.identifies,
            resumes: state.resumes,
            connected: state.connection.is_some(),
            intents: state.intents,
        }
    }
}

/// Runs one websocket connection until the client leaves or the emulator drops it.
pub(crate) async fn serve(inner: Arc<Inner>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let connection_id = {
        let mut state = inner.gateway.state.lock().expect("gateway lock");
        state.next_connection += 1;
        // A second client replaces the first, like a new shard session would.
        if let Some((_, old)) = state.connection.take() {
            let _ = old.send(Outgoing::Close(4000, "replaced by a new connection"));
        }
        state.connection = Some((state.next_connection, tx.clone()));
        state.next_connection
    };
    let hello = json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}}).to_string();
    if socket.send(WsMessage::Text(hello.into())).await.is_err() {
        forget(&inner, connection_id);
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(frame)) = incoming else { break };
                let text = match frame {
                    WsMessage::Text(text) => text.to_string(),
                    WsMessage::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    WsMessage::Close(_) => {
                        // Keep reading until the client ends the socket (serenity waits for it).
                        continue;
                    }
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                    let _ = tx.send(Outgoing::Close(4002, "decode error"));
                    continue;
                };
                handle_frame(&inner, &tx, &payload);
            }
            outgoing = rx.recv() => {
                match outgoing {
                    Some(Outgoing::Frame(text)) => {
                        if socket.send(WsMessage::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Outgoing::Close(code, reason)) => {
                        let frame = CloseFrame { code, reason: reason.into() };
                        let _ = socket.send(WsMessage::Close(Some(frame))).await;
                        break;
                    }
                    Some(Outgoing::Drop) | None => break,
                }
            }
        }
    }
    forget(&inner, connection_id);
}

fn forget(inner: &Inner, connection_id: u64) {
    let mut state = inner.gateway.state.lock().expect("gateway lock");
    if state
        .connection
        .as_ref()
        .is_some_and(|(id, _)| *id == connection_id)
    {
        state.connection = None;
    }
}

fn handle_frame(inner: &Arc<Inner>, tx: &mpsc::UnboundedSender<Outgoing>, payload: &Value) {
    match payload["op"].as_u64() {
        Some(1) => {
            let _ = tx.send(Outgoing::Frame(json!({"op": 11}).to_string()));
        }
        Some(2) => identify(inner, tx, &payload["d"]),
        Some(6) => resume(inner, tx, &payload["d"]),
        // Presence and voice-state updates from the bot need no answer here.
        Some(3 | 4 | 8) => {}
        _ => {
            let _ = tx.send(Outgoing::Close(4001, "unknown opcode"));
        }
    }
}

fn token_matches(inner: &Inner, given: &str) -> bool {
    given.strip_prefix("Bot ").unwrap_or(given) == inner.token
}

fn identify(inner: &Arc<Inner>, tx: &mpsc::UnboundedSender<Outgoing>, data: &Value) {
    if !token_matches(inner, data["token"].as_str().unwrap_or_default()) {
        let _ = tx.send(Outgoing::Close(4004, "authentication failed"));
        return;
    }
    let (ready, guilds) = {
        let world = inner.world.lock().expect("world lock");
        let bot = world.users.get(&world.bot_id).cloned();
        let mut user = bot
            .as_ref()
            .map(crate::world::user_json)
            .unwrap_or_default();
        user["verified"] = json!(true);
        user["mfa_enabled"] = json!(false);
        user["flags"] = json!(0);
        let unavailable: Vec<Value> = world
            .guilds
            .keys()
            .map(|id| json!({"id": id.to_string(), "unavailable": true}))
            .collect();
        let session_id = format!("session-{}", rand::random::<u64>());
        let ready = json!({
            "v": 10,
            "user": user,
            "guilds": unavailable,
            "session_id": session_id,
            "resume_gateway_url": inner.gateway_url(),
            "shard": [0, 1],
            "application": {"id": world.application_id.to_string(), "flags": 0},
            "private_channels": [],
            "presences": [],
            "relationships": [],
        });
        let guilds: Vec<Value> = world
            .guilds
            .values()
            .map(|g| crate::world::guild_create_json(&world, g))
            .collect();
        (ready, guilds)
    };
    {
        let mut state = inner.gateway.state.lock().expect("gateway lock");
        state.session_id = ready["session_id"].as_str().map(str::to_owned);
        state.intents = data["intents"].as_u64().unwrap_or(0);
        state.seq = 0;
        state.backlog.clear();
        state.identifies += 1;
    }
    inner.dispatch("READY", ready);
    for guild in guilds {
        inner.dispatch("GUILD_CREATE", guild);
    }
    inner.changed();
}

fn resume(inner: &Arc<Inner>, tx: &mpsc::UnboundedSender<Outgoing>, data: &Value) {
    if !token_matches(inner, data["token"].as_str().unwrap_or_default()) {
        let _ = tx.send(Outgoing::Close(4004, "authentication failed"));
        return;
    }
    let mut state = inner.gateway.state.lock().expect("gateway lock");
    let after = data["seq"].as_u64().unwrap_or(0);
    let known = state.session_id.as_deref() == data["session_id"].as_str();
    let oldest = state.backlog.front().map_or(state.seq + 1, |(s, _)| *s);
    if !known || after + 1 < oldest {
        // Discord answers an unresumable session with INVALID_SESSION (d: false).
        let _ = tx.send(Outgoing::Frame(json!({"op": 9, "d": false}).to_string()));
        return;
    }
    for (_, frame) in state.backlog.iter().filter(|(s, _)| *s > after) {
        let _ = tx.send(Outgoing::Frame(frame.clone()));
    }
    state.resumes += 1;
    state.seq += 1;
    let seq = state.seq;
    let frame = json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}).to_string();
    state.backlog.push_back((seq, frame.clone()));
    let _ = tx.send(Outgoing::Frame(frame));
}
