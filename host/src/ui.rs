//! What the bot shows, in its own types: messages, embeds, buttons, selects, modals, replies.
//!
//! The lifecycle and plugins build these; only the Discord edge (`discord::convert`) turns them
//! into serenity builders, so nothing outside that edge depends on serenity.

/// An embed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Embed {
    /// Title line.
    pub title: Option<String>,
    /// Body (Discord markdown).
    pub description: Option<String>,
    /// Side colour, 0xRRGGBB.
    pub color: Option<u32>,
    /// Fields: (name, value, inline).
    pub fields: Vec<(String, String, bool)>,
    /// Footer text.
    pub footer: Option<String>,
}

impl Embed {
    /// An embed with a title and a description.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            title: Some(title.into()),
            description: Some(description.into()),
            ..Self::default()
        }
    }

    /// Sets the side colour.
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
        self.fields.push((name.into(), value.into(), inline));
        self
    }
}

/// A button's look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonStyle {
    /// Blurple.
    Primary,
    /// Grey.
    Secondary,
    /// Green.
    Success,
    /// Red.
    Danger,
}

/// A component in an action row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    /// A button that sends an interaction with `custom_id`.
    Button {
        /// Routed by `tickets::router`.
        custom_id: String,
        /// Text.
        label: String,
        /// Unicode emoji or `<:name:id>`.
        emoji: Option<String>,
        /// Look.
        style: ButtonStyle,
        /// Greyed out.
        disabled: bool,
    },
    /// A button that opens a URL.
    Link {
        /// Text.
        label: String,
        /// Target.
        url: String,
    },
    /// A string select menu.
    Select {
        /// Routed by `tickets::router`.
        custom_id: String,
        /// Text shown before a choice.
        placeholder: String,
        /// The choices.
        options: Vec<SelectOption>,
    },
}

/// One choice of a select menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectOption {
    /// Value sent back when chosen.
    pub value: String,
    /// Text.
    pub label: String,
    /// Help text.
    pub description: Option<String>,
    /// Emoji.
    pub emoji: Option<String>,
}

/// A message: text, embeds and rows of components.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutMessage {
    /// Text content.
    pub content: Option<String>,
    /// Embeds.
    pub embeds: Vec<Embed>,
    /// Action rows (at most 5, each at most 5 buttons or one select).
    pub rows: Vec<Vec<Component>>,
}

impl OutMessage {
    /// A text-only message.
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: Some(content.into()),
            ..Self::default()
        }
    }

    /// A message with one embed.
    pub fn embed(embed: Embed) -> Self {
        Self {
            embeds: vec![embed],
            ..Self::default()
        }
    }

    /// Adds a row of components.
    pub fn row(mut self, row: Vec<Component>) -> Self {
        self.rows.push(row);
        self
    }
}

/// The answer to an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A new message; `ephemeral` ones only the user sees.
    Message {
        /// The message.
        message: OutMessage,
        /// Only the user sees it.
        ephemeral: bool,
    },
    /// Replace the message the component is on.
    Update(OutMessage),
    /// Acknowledge now and answer later (shows "thinking").
    Defer {
        /// The later answer is visible only to the user.
        ephemeral: bool,
    },
}

impl Reply {
    /// An ephemeral text reply.
    pub fn private(text: impl Into<String>) -> Self {
        Reply::Message {
            message: OutMessage::text(text),
            ephemeral: true,
        }
    }
}
