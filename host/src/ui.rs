//! What the bot shows, in its own types: messages, embeds, buttons, selects, modals, replies.
//!
//! The lifecycle and plugins build these; only the Discord edge (`discord::convert`) turns them
//! into serenity builders, so nothing outside that edge depends on serenity. `limits` cuts
//! a message to Discord's limits before it is sent.

pub mod limits;

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
    /// Files attached to the message.
    pub files: Vec<OutFile>,
    /// Whom the message may notify. Nobody unless set: a mention of anyone else (in user
    /// text, a close reason, a plugin's text) shows as a mention and notifies no one.
    pub pings: Pings,
}

/// Users and roles a message may notify when its content mentions them. Never `@everyone`
/// or `@here`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pings {
    /// Users.
    pub users: Vec<u64>,
    /// Roles.
    pub roles: Vec<u64>,
}

/// A file attached to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    /// File name shown in Discord.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A field of a modal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextInput {
    /// Sent back with the value.
    pub custom_id: String,
    /// Label above the field.
    pub label: String,
    /// Several lines rather than one.
    pub paragraph: bool,
    /// Must be filled in.
    pub required: bool,
    /// Shortest value accepted (0: any).
    pub min_length: u16,
    /// Longest value accepted.
    pub max_length: u16,
    /// A hint shown while the field is empty.
    pub placeholder: Option<String>,
}

/// Who a permission overwrite applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OverwriteTarget {
    /// A role.
    Role(u64),
    /// A member.
    Member(u64),
}

/// A channel permission overwrite: bits allowed and denied for a role or member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwrite {
    /// Role or member.
    pub target: OverwriteTarget,
    /// Allowed permission bits.
    pub allow: u64,
    /// Denied permission bits.
    pub deny: u64,
}

/// Discord permission bits the bot uses.
pub mod permissions {
    /// See the channel.
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    /// Post messages.
    pub const SEND_MESSAGES: u64 = 1 << 11;
    /// Embed links.
    pub const EMBED_LINKS: u64 = 1 << 14;
    /// Upload files.
    pub const ATTACH_FILES: u64 = 1 << 15;
    /// Read earlier messages.
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    /// Manage the channel (rename, delete).
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    /// What a participant of a ticket gets.
    pub const PARTICIPANT: u64 = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ATTACH_FILES;
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

    /// Attaches a file.
    pub fn file(mut self, name: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.files.push(OutFile {
            name: name.into(),
            bytes,
        });
        self
    }

    /// Adds a row of components.
    pub fn row(mut self, row: Vec<Component>) -> Self {
        self.rows.push(row);
        self
    }

    /// Lets the message notify `users` (where its content mentions them).
    pub fn ping_users(mut self, users: impl IntoIterator<Item = u64>) -> Self {
        self.pings.users.extend(users);
        self
    }

    /// Lets the message notify `roles` (where its content mentions them).
    pub fn ping_roles(mut self, roles: impl IntoIterator<Item = u64>) -> Self {
        self.pings.roles.extend(roles);
        self
    }

    /// The message cut to Discord's limits (lengths, counts, the 6,000 characters of all
    /// embeds together), so a long text becomes a shorter message rather than a refusal.
    pub fn fitted(&self) -> OutMessage {
        limits::fit(self)
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
    /// A form; its submission arrives as a modal interaction.
    Modal {
        /// Sent back on submit.
        custom_id: String,
        /// Title of the form.
        title: String,
        /// Its fields (1-5).
        inputs: Vec<TextInput>,
    },
    /// Acknowledge now and answer later (shows "thinking").
    Defer {
        /// The later answer is visible only to the user.
        ephemeral: bool,
    },
    /// Acknowledge a component or a form from one without showing anything; the answer comes
    /// later as a follow-up, or as an edit of the component's message.
    Acknowledge,
}

impl Component {
    /// A button.
    pub fn button(
        custom_id: impl Into<String>,
        label: impl Into<String>,
        style: ButtonStyle,
    ) -> Self {
        Component::Button {
            custom_id: custom_id.into(),
            label: label.into(),
            emoji: None,
            style,
            disabled: false,
        }
    }

    /// A link button.
    pub fn link(label: impl Into<String>, url: impl Into<String>) -> Self {
        Component::Link {
            label: label.into(),
            url: url.into(),
        }
    }
}

impl Reply {
    /// A text reply everyone in the channel sees.
    pub fn public(text: impl Into<String>) -> Self {
        Reply::Message {
            message: OutMessage::text(text),
            ephemeral: false,
        }
    }

    /// An ephemeral text reply.
    pub fn private(text: impl Into<String>) -> Self {
        Reply::Message {
            message: OutMessage::text(text),
            ephemeral: true,
        }
    }
}
