// The built-in plugins: (plugin id, guest package in `plugins/`), in the order the README
// lists them. The one list: `host/build.rs` builds these packages, `plugins::builtin` embeds
// them, the config accepts these ids for `builtin = "..."`.

/// (plugin id, guest package) of every built-in plugin.
pub const BUILTIN_PLUGINS: &[(&str, &str)] = &[
    ("poke", "poke"),
    ("item-return", "item-return"),
    ("voice-call", "voice-call"),
    ("ticket-actions", "ticket-actions"),
    ("auto-close", "auto-close"),
    ("questions", "questions"),
    ("feedback", "feedback"),
    ("saved-replies", "saved-replies"),
    ("fivem", "fivem"),
];
