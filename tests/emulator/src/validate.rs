//! Checks that payloads fit serenity's models before they are sent.
//!
//! serenity drops a gateway event it cannot parse with only a WARN log, so a test would time out
//! without saying why. Every payload the emulator sends goes through here first; a misfit is
//! reported by [`crate::Emulator::model_errors`] and by the failing call.

use serde_json::{json, Value};
use serenity::model::application::Interaction;
use serenity::model::event::GatewayEvent;

/// Checks a dispatch event (`t`, `d`) against serenity's gateway model.
pub fn gateway_event(event: &str, data: &Value) -> Result<(), String> {
    let frame = json!({"op": 0, "s": 1, "t": event, "d": data});
    serde_json::from_value::<GatewayEvent>(frame)
        .map(drop)
        .map_err(|e| format!("{event} does not fit serenity's model: {e}\npayload: {data}"))
}

/// Checks an interaction payload.
pub fn interaction(data: &Value) -> Result<(), String> {
    serde_json::from_value::<Interaction>(data.clone())
        .map(drop)
        .map_err(|e| format!("interaction does not fit serenity's model: {e}\npayload: {data}"))
}
