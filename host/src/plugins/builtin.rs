//! The built-in plugins, compiled from `plugins/` by `host/build.rs` and embedded in the binary.

/// (id, component bytes) of every built-in plugin.
const BUILTIN: &[(&str, &[u8])] = &[
    (
        "poke",
        include_bytes!(concat!(env!("OUT_DIR"), "/poke.wasm")),
    ),
    (
        "item-return",
        include_bytes!(concat!(env!("OUT_DIR"), "/item_return.wasm")),
    ),
    (
        "voice-call",
        include_bytes!(concat!(env!("OUT_DIR"), "/voice_call.wasm")),
    ),
    (
        "ticket-actions",
        include_bytes!(concat!(env!("OUT_DIR"), "/ticket_actions.wasm")),
    ),
];

/// The component of built-in plugin `id`.
pub fn bytes(id: &str) -> Option<&'static [u8]> {
    BUILTIN
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, bytes)| *bytes)
}
