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

/// Paths of plugins built for tests and as examples (not embedded): `example-greeter` and
/// `faulty`. Only meaningful on the machine that built this binary.
pub fn built_path(file_stem: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("OUT_DIR")).join(format!("{file_stem}.wasm"))
}
