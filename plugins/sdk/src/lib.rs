//! The guest SDK for ticketbot action plugins.
//!
//! It generates the bindings of the `ticketbot:plugin` WIT world (`../../wit/plugin.wit`) and
//! adds small helpers: typed settings, message builders, two-language texts, and a panic hook
//! that reports the panic message to the host before the plugin traps.
//!
//! A plugin implements [`Guest`] and calls [`export!`]:
//!
//! ```ignore
//! use ticketbot_plugin_sdk::*;
//! struct Hello;
//! impl Guest for Hello {
//!     fn describe() -> Manifest { /* id, buttons, capabilities */ }
//!     fn check_settings(_: String) -> Vec<SettingProblem> { Vec::new() }
//!     fn handle(ctx: Context, event: Event) -> Result<Outcome, String> { /* ... */ }
//! }
//! export!(Hello);
//! ```

wit_bindgen::generate!({
    path: "../../wit",
    world: "action",
    pub_export_macro: true,
    default_bindings_module: "ticketbot_plugin_sdk",
});

pub use exports::ticketbot::plugin::plugin::Guest;
pub use ticketbot::plugin::host;
pub use ticketbot::plugin::types::*;

use serde::de::DeserializeOwned;

/// The WIT package version this SDK was built against.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Sends panic messages to the host's log (otherwise they are lost in the sandbox). Call it at
/// the start of `handle`; it installs the hook once.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            host::log(LogLevel::Error, &format!("plugin panicked: {info}"));
        }));
    });
}

/// Parses the guild's settings for this plugin (JSON) into `T`.
pub fn settings<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| describe(&e))
}

/// serde's message without the JSON position, which means nothing to someone editing TOML.
fn describe(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// Checks settings by parsing them into `T`; a parse error becomes one problem.
pub fn check_settings_as<T: DeserializeOwned>(json: &str) -> Vec<SettingProblem> {
    match serde_json::from_str::<T>(json) {
        Ok(_) => Vec::new(),
        Err(e) => vec![SettingProblem {
            key: String::new(),
            message: e.to_string(),
        }],
    }
}

/// Parses settings into `T` and runs `check` on them; a parse error becomes one problem.
pub fn check_settings_with<T: DeserializeOwned>(
    json: &str,
    check: impl FnOnce(&T) -> Vec<SettingProblem>,
) -> Vec<SettingProblem> {
    match serde_json::from_str::<T>(json) {
        Ok(settings) => check(&settings),
        Err(e) => vec![SettingProblem::new("", describe(&e))],
    }
}

impl SettingProblem {
    /// A problem with setting `key` (empty for the settings as a whole).
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        SettingProblem {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Chooses the text for the guild's language: Portuguese for `pt*`, English otherwise.
pub fn text(locale: &str, en: &str, pt_br: &str) -> String {
    if locale.starts_with("pt") { pt_br } else { en }.to_owned()
}

impl Message {
    /// A text-only message.
    pub fn text(content: impl Into<String>) -> Self {
        Message {
            content: Some(content.into()),
            embeds: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// A message with one embed.
    pub fn embed(embed: Embed) -> Self {
        Message {
            content: None,
            embeds: vec![embed],
            rows: Vec::new(),
        }
    }

    /// Adds a row of components.
    pub fn row(mut self, row: Vec<Component>) -> Self {
        self.rows.push(row);
        self
    }
}

impl Embed {
    /// An embed with a title and description.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Embed {
            title: Some(title.into()),
            description: Some(description.into()),
            color: None,
            fields: Vec::new(),
            footer: None,
        }
    }

    /// Sets the colour.
    pub fn color(mut self, color: u32) -> Self {
        self.color = Some(color);
        self
    }

    /// Adds a field.
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Self {
        self.fields.push(EmbedField {
            name: name.into(),
            value: value.into(),
            inline,
        });
        self
    }
}

impl Component {
    /// A button whose custom id suffix is `id`.
    pub fn button(id: impl Into<String>, label: impl Into<String>, style: ButtonStyle) -> Self {
        Component::Button(Button {
            custom_id: id.into(),
            label: label.into(),
            emoji: None,
            style,
            disabled: false,
        })
    }
}

impl Outcome {
    /// No answer and no effect.
    pub fn nothing() -> Self {
        Outcome {
            reply: None,
            effects: Vec::new(),
        }
    }

    /// An ephemeral text answer.
    pub fn private(text: impl Into<String>) -> Self {
        Outcome {
            reply: Some(Reply::Message((Message::text(text), true))),
            effects: Vec::new(),
        }
    }

    /// A text answer everyone sees.
    pub fn public(text: impl Into<String>) -> Self {
        Outcome {
            reply: Some(Reply::Message((Message::text(text), false))),
            effects: Vec::new(),
        }
    }

    /// Answers with `reply`.
    pub fn reply(reply: Reply) -> Self {
        Outcome {
            reply: Some(reply),
            effects: Vec::new(),
        }
    }

    /// Adds an effect.
    pub fn with(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }
}

/// A ticket button description.
pub fn ticket_button(
    id: &str,
    label: &str,
    emoji: Option<&str>,
    style: ButtonStyle,
    audience: Audience,
) -> TicketButton {
    TicketButton {
        id: id.to_owned(),
        label: label.to_owned(),
        emoji: emoji.map(str::to_owned),
        style,
        audience,
    }
}
