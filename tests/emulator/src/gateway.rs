//! The gateway: Discord's websocket protocol (v10, JSON text frames, no compression).
//!
//! [`Gateway`] keeps the session and a backlog of dispatched events, so a client that lost its
//! connection can RESUME and receive what it missed, as on Discord. [`serve`] runs one
//! connection: HELLO, IDENTIFY or RESUME, heartbeats, dispatches.

use std::collections::{HashMap, VecDeque};
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

/// One shard's session: what a RESUME continues.
#[derive(Debug, Default)]
struct Session {
    id: String,
    seq: u64,
    backlog: VecDeque<(u64, String)>,
    /// The intents it identified with.
    intents: u64,
}

/// An open websocket, and the shard it serves once it identified or resumed.
#[derive(Debug)]
struct Connection {
    tx: mpsc::UnboundedSender<Outgoing>,
    shard: Option<u32>,
}

#[derive(Debug)]
struct State {
    /// The shard count `GET /gateway/bot` recommends.
    recommended: u32,
    /// The shard count the bot identified with (every shard must use the same).
    total: u32,
    /// Sessions by shard id.
    sessions: HashMap<u32, Session>,
    connections: HashMap<u64, Connection>,
    next_connection: u64,
    identifies: u64,
    resumes: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            recommended: 1,
            total: 1,
            sessions: HashMap::new(),
            connections: HashMap::new(),
            next_connection: 0,
            identifies: 0,
            resumes: 0,
        }
    }
}

impl State {
    fn connection_of(&self, shard: u32) -> Option<&Connection> {
        self.connections.values().find(|c| c.shard == Some(shard))
    }
}

/// The shard of `guild` among `total`, by Discord's formula.
pub fn shard_of(guild: u64, total: u32) -> u32 {
    ((guild >> 22) % u64::from(total.max(1))) as u32
}

/// The guild an event is about (none: a DM, which goes to shard 0 as on Discord).
fn guild_of(event: &str, data: &Value) -> Option<u64> {
    let id = match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => &data["id"],
        _ => &data["guild_id"],
    };
    id.as_str().and_then(|s| s.parse().ok())
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayStats {
    /// IDENTIFYs accepted (new sessions).
    pub identifies: u64,
    /// RESUMEs accepted.
    pub resumes: u64,
    /// Whether a client is connected now (any shard).
    pub connected: bool,
    /// The intents shard 0's session identified with.
    pub intents: u64,
    /// The shards with a connected session, in order.
    pub shards: Vec<u32>,
    /// The shard count the bot identified with.
    pub total: u32,
}

impl Gateway {
    /// Sends a dispatch event (op 0) to the shard that owns it (its guild's, or shard 0 for a
    /// DM), or keeps it for a RESUME if that shard is away. Events for a shard without a
    /// session go nowhere, as on Discord.
    pub fn dispatch(&self, event: &str, data: Value) {
        let mut state = self.state.lock().expect("gateway lock");
        let shard = guild_of(event, &data).map_or(0, |g| shard_of(g, state.total));
        self.dispatch_to(&mut state, shard, event, data);
    }

    /// Sends a dispatch event to shard `shard` whatever it is about.
    pub(crate) fn dispatch_shard(&self, shard: u32, event: &str, data: Value) {
        let mut state = self.state.lock().expect("gateway lock");
        self.dispatch_to(&mut state, shard, event, data);
    }

    fn dispatch_to(&self, state: &mut State, shard: u32, event: &str, data: Value) {
        let Some(session) = state.sessions.get_mut(&shard) else {
            return;
        };
        if intent_of(event).is_some_and(|needed| session.intents & needed == 0) {
            return;
        }
        session.seq += 1;
        let seq = session.seq;
        let frame = json!({"op": 0, "t": event, "s": seq, "d": data}).to_string();
        if session.backlog.len() == BACKLOG {
            session.backlog.pop_front();
        }
        session.backlog.push_back((seq, frame.clone()));
        if let Some(connection) = state.connection_of(shard) {
            let _ = connection.tx.send(Outgoing::Frame(frame));
        }
    }

    /// The shard count `GET /gateway/bot` recommends from now on.
    pub fn recommend_shards(&self, count: u32) {
        self.state.lock().expect("gateway lock").recommended = count.max(1);
    }

    /// The recommended shard count.
    pub fn recommended_shards(&self) -> u32 {
        self.state.lock().expect("gateway lock").recommended
    }

    /// Cuts every connection without a close frame; the client should RESUME.
    pub fn drop_connection(&self) {
        let state = self.state.lock().expect("gateway lock");
        for connection in state.connections.values() {
            let _ = connection.tx.send(Outgoing::Drop);
        }
    }

    /// Closes every connection with `code` (e.g. 4000 unknown error, resumable).
    pub fn close_connection(&self, code: u16) {
        let state = self.state.lock().expect("gateway lock");
        for connection in state.connections.values() {
            let _ = connection
                .tx
                .send(Outgoing::Close(code, "closed by the emulator"));
        }
    }

    /// Counters of sessions and resumes.
    pub fn stats(&self) -> GatewayStats {
        let state = self.state.lock().expect("gateway lock");
        let mut shards: Vec<u32> = state.connections.values().filter_map(|c| c.shard).collect();
        shards.sort_unstable();
        GatewayStats {
            identifies: state.identifies,
            resumes: state.resumes,
            connected: !shards.is_empty(),
            intents: state.sessions.get(&0).map_or(0, |s| s.intents),
            shards,
            total: state.total,
        }
    }
}

/// Runs one websocket connection until the client leaves or the emulator drops it.
pub(crate) async fn serve(inner: Arc<Inner>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let connection_id = {
        let mut state = inner.gateway.state.lock().expect("gateway lock");
        state.next_connection += 1;
        let id = state.next_connection;
        state.connections.insert(
            id,
            Connection {
                tx: tx.clone(),
                shard: None,
            },
        );
        id
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
                handle_frame(&inner, connection_id, &tx, &payload);
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
    state.connections.remove(&connection_id);
}

fn handle_frame(
    inner: &Arc<Inner>,
    connection: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    payload: &Value,
) {
    match payload["op"].as_u64() {
        Some(1) => {
            let _ = tx.send(Outgoing::Frame(json!({"op": 11}).to_string()));
        }
        Some(2) => identify(inner, connection, tx, &payload["d"]),
        Some(6) => resume(inner, connection, tx, &payload["d"]),
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

/// Gives `connection` to `shard`: an older connection of that shard is closed (4000), as a
/// new session of the same shard replaces the old one on Discord.
fn take_shard(state: &mut State, connection: u64, shard: u32) {
    for (id, other) in state.connections.iter_mut() {
        if *id != connection && other.shard == Some(shard) {
            let _ = other
                .tx
                .send(Outgoing::Close(4000, "replaced by a new connection"));
            other.shard = None;
        }
    }
    if let Some(mine) = state.connections.get_mut(&connection) {
        mine.shard = Some(shard);
    }
}

fn identify(
    inner: &Arc<Inner>,
    connection: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    data: &Value,
) {
    if !token_matches(inner, data["token"].as_str().unwrap_or_default()) {
        let _ = tx.send(Outgoing::Close(4004, "authentication failed"));
        return;
    }
    // `shard: [id, count]`, or none for one shard.
    let (shard, total) = match data["shard"].as_array().map(|a| a.as_slice()) {
        None => (0, 1),
        Some([id, count]) => match (id.as_u64(), count.as_u64()) {
            (Some(id), Some(count)) if id < count && count <= 1024 => (id as u32, count as u32),
            _ => {
                let _ = tx.send(Outgoing::Close(4010, "invalid shard"));
                return;
            }
        },
        Some(_) => {
            let _ = tx.send(Outgoing::Close(4010, "invalid shard"));
            return;
        }
    };
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
        let mine: Vec<&crate::world::Guild> = world
            .guilds
            .values()
            .filter(|g| shard_of(g.id, total) == shard)
            .collect();
        let unavailable: Vec<Value> = mine
            .iter()
            .map(|g| json!({"id": g.id.to_string(), "unavailable": true}))
            .collect();
        let session_id = format!("session-{}", rand::random::<u64>());
        let ready = json!({
            "v": 10,
            "user": user,
            "guilds": unavailable,
            "session_id": session_id,
            "resume_gateway_url": inner.gateway_url(),
            "shard": [shard, total],
            "application": {"id": world.application_id.to_string(), "flags": 0},
            "private_channels": [],
            "presences": [],
            "relationships": [],
        });
        let guilds: Vec<Value> = mine
            .iter()
            .map(|g| crate::world::guild_create_json(&world, g))
            .collect();
        (ready, guilds)
    };
    {
        let mut state = inner.gateway.state.lock().expect("gateway lock");
        if state.total != total {
            // A new shard count: the old sessions (of another layout) end.
            state.sessions.clear();
            state.total = total;
        }
        take_shard(&mut state, connection, shard);
        state.sessions.insert(
            shard,
            Session {
                id: ready["session_id"].as_str().unwrap_or_default().to_owned(),
                seq: 0,
                backlog: VecDeque::new(),
                intents: data["intents"].as_u64().unwrap_or(0),
            },
        );
        state.identifies += 1;
    }
    inner.dispatch_to_shard(shard, "READY", ready);
    for guild in guilds {
        inner.dispatch_to_shard(shard, "GUILD_CREATE", guild);
    }
    inner.changed();
}

fn resume(inner: &Arc<Inner>, connection: u64, tx: &mpsc::UnboundedSender<Outgoing>, data: &Value) {
    if !token_matches(inner, data["token"].as_str().unwrap_or_default()) {
        let _ = tx.send(Outgoing::Close(4004, "authentication failed"));
        return;
    }
    let mut state = inner.gateway.state.lock().expect("gateway lock");
    let after = data["seq"].as_u64().unwrap_or(0);
    let shard = state
        .sessions
        .iter()
        .find(|(_, s)| Some(s.id.as_str()) == data["session_id"].as_str())
        .map(|(shard, _)| *shard);
    let resumable = shard.and_then(|shard| {
        let session = &state.sessions[&shard];
        let oldest = session.backlog.front().map_or(session.seq + 1, |(s, _)| *s);
        (after + 1 >= oldest).then_some(shard)
    });
    let Some(shard) = resumable else {
        // Discord answers an unresumable session with INVALID_SESSION (d: false).
        let _ = tx.send(Outgoing::Frame(json!({"op": 9, "d": false}).to_string()));
        return;
    };
    take_shard(&mut state, connection, shard);
    state.resumes += 1;
    let session = state.sessions.get_mut(&shard).expect("found above");
    for (_, frame) in session.backlog.iter().filter(|(s, _)| *s > after) {
        let _ = tx.send(Outgoing::Frame(frame.clone()));
    }
    session.seq += 1;
    let seq = session.seq;
    let frame = json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}).to_string();
    session.backlog.push_back((seq, frame.clone()));
    let _ = tx.send(Outgoing::Frame(frame));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(gateway: &Gateway, shard: u32) -> Vec<String> {
        let state = gateway.state.lock().unwrap();
        state.sessions[&shard]
            .backlog
            .iter()
            .map(|(_, frame)| {
                let frame: Value = serde_json::from_str(frame).unwrap();
                frame["t"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn events_go_to_their_guilds_shard_and_dms_to_shard_zero() {
        let gateway = Gateway::default();
        {
            let mut state = gateway.state.lock().unwrap();
            state.total = 2;
            for shard in [0, 1] {
                state.sessions.insert(shard, Session::default());
            }
        }
        let (even, odd) = (4 << 22, 5 << 22);
        assert_eq!((shard_of(even, 2), shard_of(odd, 2)), (0, 1));
        gateway.dispatch("MESSAGE_CREATE", json!({"guild_id": odd.to_string()}));
        gateway.dispatch("GUILD_UPDATE", json!({"id": odd.to_string()}));
        gateway.dispatch("CHANNEL_CREATE", json!({"guild_id": even.to_string()}));
        // A DM: no guild.
        gateway.dispatch("INTERACTION_CREATE", json!({"channel_id": "1"}));
        assert_eq!(events_of(&gateway, 1), ["MESSAGE_CREATE", "GUILD_UPDATE"]);
        assert_eq!(
            events_of(&gateway, 0),
            ["CHANNEL_CREATE", "INTERACTION_CREATE"]
        );
    }
}
