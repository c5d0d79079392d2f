//! The guest SDK for ticketbot action plugins, on contract `ticketbot:plugin@0.2.0`.
//!
//! It generates the bindings of the WIT world (`../../wit/0.2.0/plugin.wit`, where every item
//! is documented) and adds what makes a plugin short: the [`Plugin`] trait, whose methods all
//! have defaults so a plugin writes only the events it uses; [`plugin!`] to export it;
//! builders for texts in several languages, settings schemas, messages and outcomes; typed
//! settings; and a panic hook that reports a panic's message to the host before the trap.
//!
//! ```ignore
//! use ticketbot_plugin_sdk::*;
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn manifest() -> Manifest {
//!         manifest("hello", tr("Hello", "Olá"))
//!             .button(ticket_button("hi", tr("Say hi", "Dizer oi"), ButtonStyle::Primary, Audience::Staff))
//!     }
//!
//!     fn on_button(ctx: &Context, _button: &str) -> Result<Outcome, String> {
//!         Ok(Outcome::public(text(&ctx.locale, "Hi!", "Oi!")))
//!     }
//! }
//!
//! plugin!(Hello);
//! ```

wit_bindgen::generate!({
    path: "../../wit/0.2.0",
    world: "action",
    pub_export_macro: true,
    default_bindings_module: "ticketbot_plugin_sdk",
});

pub use exports::ticketbot::plugin::plugin::Guest;
pub use ticketbot::plugin::host;
pub use ticketbot::plugin::types::*;

use serde::de::DeserializeOwned;

/// A plugin: its manifest, and a method per event it may receive, each doing nothing by
/// default. The host sends only the events the manifest subscribes to (and buttons, forms,
/// components and timers of the plugin's own).
pub trait Plugin {
    /// What the plugin is: id, names, buttons, capabilities, subscriptions, settings schema,
    /// opening questions.
    fn manifest() -> Manifest;

    /// Rules across settings that the schema cannot say; `settings` (JSON) already matches the
    /// schema, defaults filled.
    fn check_settings(_settings: &str) -> Vec<SettingProblem> {
        Vec::new()
    }

    /// Questions asked when tickets open in a guild with `settings` (JSON, checked), besides
    /// the manifest's; asked once when the guild enables the plugin.
    fn guild_questions(_settings: &str) -> Vec<OpeningQuestions> {
        Vec::new()
    }

    /// One of the plugin's ticket buttons was pressed.
    fn on_button(_ctx: &Context, _button: &str) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A component the plugin posted (in a channel or a DM) was used.
    fn on_component(_ctx: &Context, _used: &ComponentUse) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A form the plugin opened was submitted.
    fn on_modal(_ctx: &Context, _submit: &ModalSubmit) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A timer the plugin scheduled fired.
    fn on_timer(_ctx: &Context, _timer: &TimerFired) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// Someone joined or left a voice channel the plugin created.
    fn on_voice(_ctx: &Context, _change: &VoiceChange) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A ticket opened, with the answers to the plugin's opening questions.
    fn on_ticket_opened(_ctx: &Context, _answers: &[Field]) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A ticket was closed or cancelled.
    fn on_ticket_closed(_ctx: &Context) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A message was posted in a ticket.
    fn on_message(_ctx: &Context, _message: &PostedMessage) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A ticket's claimer changed.
    fn on_claim(_ctx: &Context, _change: &ClaimChange) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }

    /// A ticket's opener or member left the guild.
    fn on_member_left(_ctx: &Context, _user: u64) -> Result<Outcome, String> {
        Ok(Outcome::nothing())
    }
}

/// Calls the method of `P` for `event` (what [`plugin!`] exports as `handle`).
pub fn dispatch<P: Plugin>(ctx: Context, event: Event) -> Result<Outcome, String> {
    install_panic_hook();
    match &event {
        Event::Button(id) => P::on_button(&ctx, id),
        Event::Component(used) => P::on_component(&ctx, used),
        Event::Modal(submit) => P::on_modal(&ctx, submit),
        Event::Timer(timer) => P::on_timer(&ctx, timer),
        Event::Voice(change) => P::on_voice(&ctx, change),
        Event::TicketClosed => P::on_ticket_closed(&ctx),
        Event::TicketOpened(answers) => P::on_ticket_opened(&ctx, answers),
        Event::MessagePosted(message) => P::on_message(&ctx, message),
        Event::ClaimChanged(change) => P::on_claim(&ctx, change),
        Event::MemberLeft(user) => P::on_member_left(&ctx, *user),
    }
}

/// Exports a [`Plugin`] as the component's `plugin` interface.
#[macro_export]
macro_rules! plugin {
    ($plugin:ty) => {
        struct __TicketbotGuest;

        impl $crate::Guest for __TicketbotGuest {
            fn describe() -> $crate::Manifest {
                <$plugin as $crate::Plugin>::manifest()
            }

            fn check_settings(settings: String) -> Vec<$crate::SettingProblem> {
                <$plugin as $crate::Plugin>::check_settings(&settings)
            }

            fn guild_questions(settings: String) -> Vec<$crate::OpeningQuestions> {
                <$plugin as $crate::Plugin>::guild_questions(&settings)
            }

            fn handle(
                context: $crate::Context,
                event: $crate::Event,
            ) -> Result<$crate::Outcome, String> {
                $crate::dispatch::<$plugin>(context, event)
            }
        }

        // Only a WebAssembly build exports the plugin; elsewhere (`cargo test`) the crate is
        // plain Rust, so its tests run natively.
        #[cfg(target_arch = "wasm32")]
        $crate::export!(__TicketbotGuest);
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            let _ = <__TicketbotGuest as $crate::Guest>::handle;
            let _ = <__TicketbotGuest as $crate::Guest>::describe;
        };
    };
}

/// Sends panic messages to the host's log (otherwise they are lost in the sandbox); [`dispatch`]
/// installs it.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            host::log(LogLevel::Error, &format!("plugin panicked: {info}"));
        }));
    });
}

/// An English and a Brazilian Portuguese text.
pub fn tr(en: &str, pt_br: &str) -> Localized {
    vec![("en".into(), en.into()), ("pt-BR".into(), pt_br.into())]
}

/// Chooses the text for the guild's language: Portuguese for `pt*`, English otherwise.
pub fn text(locale: &str, en: &str, pt_br: &str) -> String {
    if locale.starts_with("pt") { pt_br } else { en }.to_owned()
}

/// A manifest with an id and a name; add the rest with its builder methods.
pub fn manifest(id: &str, name: Localized) -> Manifest {
    Manifest {
        id: id.to_owned(),
        name,
        version: String::new(),
        buttons: Vec::new(),
        capabilities: Vec::new(),
        subscriptions: Vec::new(),
        settings: Vec::new(),
        questions: Vec::new(),
    }
}

impl Manifest {
    /// Sets the version (use `env!("CARGO_PKG_VERSION")`).
    pub fn version(mut self, version: &str) -> Self {
        self.version = version.to_owned();
        self
    }

    /// Adds a ticket button.
    pub fn button(mut self, button: TicketButton) -> Self {
        self.buttons.push(button);
        self
    }

    /// Asks for capabilities (a guild must also grant them).
    pub fn capabilities(mut self, names: &[&str]) -> Self {
        self.capabilities
            .extend(names.iter().map(|n| (*n).to_owned()));
        self
    }

    /// Subscribes to events.
    pub fn subscribe(mut self, to: &[Subscription]) -> Self {
        self.subscriptions.extend_from_slice(to);
        self
    }

    /// Declares a setting.
    pub fn setting(mut self, setting: Setting) -> Self {
        self.settings.push(setting);
        self
    }

    /// Adds opening questions for `ticket_types` (empty: every type).
    pub fn questions(mut self, ticket_types: &[&str], questions: Vec<Question>) -> Self {
        self.questions.push(OpeningQuestions {
            ticket_types: ticket_types.iter().map(|t| (*t).to_owned()).collect(),
            questions,
        });
        self
    }
}

/// A ticket button description.
pub fn ticket_button(
    id: &str,
    label: Localized,
    style: ButtonStyle,
    audience: Audience,
) -> TicketButton {
    TicketButton {
        id: id.to_owned(),
        label,
        emoji: None,
        style,
        audience,
    }
}

impl TicketButton {
    /// Sets the emoji.
    pub fn emoji(mut self, emoji: &str) -> Self {
        self.emoji = Some(emoji.to_owned());
        self
    }
}

/// A setting of `kind`, with a label and help text; required until given a default.
pub fn setting(key: &str, kind: SettingKind, label: Localized, help: Localized) -> Setting {
    Setting {
        key: key.to_owned(),
        label,
        help,
        kind,
        default: Vec::new(),
    }
}

impl Setting {
    /// The default, as JSON, for every language.
    pub fn default_json(mut self, json: &str) -> Self {
        self.default = vec![("en".into(), json.into())];
        self
    }

    /// The default, as JSON, per language.
    pub fn default_localized(mut self, json: Localized) -> Self {
        self.default = json;
        self
    }
}

/// One integer from `min` to `max`.
pub fn integer(min: i64, max: i64) -> SettingKind {
    SettingKind::Single(ValueKind::Integer(IntegerBounds { min, max }))
}

/// One duration, in seconds from `min` to `max` (written as `300` or `"5m"`).
pub fn duration(min: i64, max: i64) -> SettingKind {
    SettingKind::Single(ValueKind::Duration(IntegerBounds { min, max }))
}

/// One text of `min` to `max` characters.
pub fn text_setting(min: u32, max: u32) -> SettingKind {
    SettingKind::Single(ValueKind::Text(TextBounds {
        min_length: min,
        max_length: max,
    }))
}

/// One channel of the guild.
pub fn channel() -> SettingKind {
    SettingKind::Single(ValueKind::Channel)
}

/// True or false.
pub fn boolean() -> SettingKind {
    SettingKind::Single(ValueKind::Boolean)
}

/// Up to `max_rows` rows of `columns` (a TOML array of tables).
pub fn table(columns: Vec<Column>, max_rows: u32) -> SettingKind {
    SettingKind::Table((columns, max_rows))
}

/// A column of a table setting, required in every row until given a default.
pub fn column(key: &str, label: Localized, kind: ValueKind) -> Column {
    Column {
        key: key.to_owned(),
        label,
        kind,
        default: None,
    }
}

impl Column {
    /// The value when a row leaves the column out, as JSON.
    pub fn default_json(mut self, json: &str) -> Self {
        self.default = Some(json.to_owned());
        self
    }
}

/// A text value of `min` to `max` characters (for a column or a list).
pub fn text_value(min: u32, max: u32) -> ValueKind {
    ValueKind::Text(TextBounds {
        min_length: min,
        max_length: max,
    })
}

/// A duration value, in seconds from `min` to `max` (for a column or a list).
pub fn duration_value(min: i64, max: i64) -> ValueKind {
    ValueKind::Duration(IntegerBounds { min, max })
}

/// A question of the opening form (required; any text up to `max_length` characters).
pub fn question(id: &str, label: Localized, paragraph: bool, max_length: u16) -> Question {
    Question {
        id: id.to_owned(),
        label,
        placeholder: Vec::new(),
        paragraph,
        required: true,
        min_length: 0,
        max_length,
        pattern: None,
        pattern_error: Vec::new(),
    }
}

impl Question {
    /// May be left empty.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// A hint shown in the empty field.
    pub fn placeholder(mut self, placeholder: Localized) -> Self {
        self.placeholder = placeholder;
        self
    }

    /// At least `min` characters.
    pub fn min_length(mut self, min: u16) -> Self {
        self.min_length = min;
        self
    }

    /// The whole answer must match the regular expression `pattern`; `error` tells the player
    /// what is expected.
    pub fn pattern(mut self, pattern: &str, error: Localized) -> Self {
        self.pattern = Some(pattern.to_owned());
        self.pattern_error = error;
        self
    }
}

/// Parses the guild's settings for this plugin (JSON, checked against the schema) into `T`.
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

impl Post {
    /// `message` in the ticket's channel.
    pub fn in_ticket(message: Message) -> Self {
        Post {
            channel: Channel::Ticket,
            message,
            mention: Vec::new(),
        }
    }

    /// `message` in the channel the setting `key` names.
    pub fn in_setting(key: &str, message: Message) -> Self {
        Post {
            channel: Channel::Setting(key.to_owned()),
            message,
            mention: Vec::new(),
        }
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
        Outcome::reply(Reply::Message((Message::text(text), true)))
    }

    /// A text answer everyone sees.
    pub fn public(text: impl Into<String>) -> Self {
        Outcome::reply(Reply::Message((Message::text(text), false)))
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

/// A key of the plugin's storage (`storage`), with the host's error as a sentence.
pub fn stored(key: &str) -> Result<Option<String>, String> {
    host::get(key).map_err(|e| match e {
        HostError::NotGranted(c) => format!("the capability {c:?} is not granted"),
        HostError::Failed(m) => m,
    })
}
