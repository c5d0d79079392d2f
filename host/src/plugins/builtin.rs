//! The built-in plugins, compiled from `plugins/` by `host/build.rs` and embedded in the binary.
//! Which ones they are is said once, in `builtin_list.rs`.

#[path = "builtin_list.rs"]
mod list;

pub use list::BUILTIN_PLUGINS;

// `COMPONENTS: &[(&str, &[u8])]`: (plugin id, component bytes), written by `host/build.rs`.
include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The ids of the built-in plugins.
pub fn ids() -> impl Iterator<Item = &'static str> {
    BUILTIN_PLUGINS.iter().map(|(id, _)| *id)
}

/// The component of built-in plugin `id`.
pub fn bytes(id: &str) -> Option<&'static [u8]> {
    COMPONENTS
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, bytes)| *bytes)
}
