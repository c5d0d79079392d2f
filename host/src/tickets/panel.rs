//! The ticket panel: posted once per guild by staff, remembered across restarts, and its
//! *Open ticket* button.

use chrono::Utc;
use serde_json::json;

use super::router::CustomId;
use super::Tickets;
use crate::event::{Actor, ChatMessage, Interaction};
use crate::rest::DiscordError;
use crate::store::{EventRecord, PanelRecord, StoreError};
use crate::ui::{ButtonStyle, Component, Embed, OutMessage, Reply, SelectOption};

/// Brand colour of the bot's embeds.
pub const PANEL_COLOR: u32 = 0x5865F2;

/// What `!setup_tickets` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupOutcome {
    /// A new panel was posted.
    Posted {
        /// Channel.
        channel: u64,
        /// Message.
        message: u64,
    },
    /// The stored panel still exists; nothing was posted.
    AlreadyPosted {
        /// Channel.
        channel: u64,
        /// Message.
        message: u64,
    },
    /// The user is not staff.
    NotStaff,
    /// This guild is not in the config.
    NotConfigured,
}

/// Why a setup failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Discord refused or failed.
    #[error(transparent)]
    Discord(#[from] DiscordError),
}

/// The panel in a guild's texts.
fn panel_message(texts: &crate::locale::Texts) -> OutMessage {
    OutMessage::embed(
        Embed::new(
            texts.get("panel-title", &[]),
            texts.get("panel-description", &[]),
        )
        .color(PANEL_COLOR),
    )
    .row(vec![Component::Button {
        custom_id: CustomId::OpenPanel.to_string(),
        label: texts.get("panel-open-button", &[]),
        emoji: Some("🎫".into()),
        style: ButtonStyle::Primary,
        disabled: false,
    }])
}

impl Tickets {
    /// Edits the guild's posted panel to its current texts (when it is in the panel channel).
    pub(super) async fn refresh_panel(&self, guild_id: u64) {
        let Some(guild) = self.guild(guild_id) else {
            return;
        };
        let panel = match self.store.panel(guild_id).await {
            Ok(Some(panel)) if panel.channel_id == guild.panel_channel => panel,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, guild = guild_id, "reading the panel to refresh it");
                return;
            }
        };
        let message = panel_message(&self.texts(Some(guild_id)));
        if let Err(error) = self
            .discord
            .edit_message(panel.channel_id, panel.message_id, &message)
            .await
        {
            tracing::warn!(%error, guild = guild_id, "could not refresh the panel");
        }
    }

    /// Posts the guild's panel unless the stored one still exists.
    pub async fn setup_panel(
        &self,
        guild_id: u64,
        actor: &Actor,
    ) -> Result<SetupOutcome, SetupError> {
        let Some(guild) = self.guild(guild_id) else {
            return Ok(SetupOutcome::NotConfigured);
        };
        if !guild.is_staff(&actor.roles) {
            return Ok(SetupOutcome::NotStaff);
        }
        // A panel in another channel than the one configured now is left where it is (its
        // button keeps working) and a new one is posted.
        if let Some(existing) = self
            .store
            .panel(guild_id)
            .await?
            .filter(|p| p.channel_id == guild.panel_channel)
        {
            if self
                .discord
                .message_exists(existing.channel_id, existing.message_id)
                .await?
            {
                return Ok(SetupOutcome::AlreadyPosted {
                    channel: existing.channel_id,
                    message: existing.message_id,
                });
            }
            tracing::info!(guild = guild_id, "stored panel is gone; posting a new one");
        }
        let panel = panel_message(&self.texts(Some(guild_id)));
        let message = self
            .discord
            .send_message(guild.panel_channel, &panel)
            .await?;
        let record = PanelRecord {
            guild_id,
            channel_id: guild.panel_channel,
            message_id: message,
            posted_by: actor.id,
            posted_at: Utc::now(),
        };
        self.store.save_panel(record).await?;
        let event = EventRecord {
            at: Utc::now(),
            guild_id: Some(guild_id),
            ticket_id: None,
            actor_id: Some(actor.id),
            kind: "panel.posted".into(),
            data: json!({"channel": guild.panel_channel.to_string(), "message": message.to_string()}),
        };
        self.store.record_event(event).await?;
        tracing::info!(
            guild = guild_id,
            channel = guild.panel_channel,
            message,
            "panel posted"
        );
        Ok(SetupOutcome::Posted {
            channel: guild.panel_channel,
            message,
        })
    }

    fn describe_setup(&self, guild: u64, outcome: &Result<SetupOutcome, SetupError>) -> String {
        let texts = self.texts(Some(guild));
        match outcome {
            Ok(SetupOutcome::Posted { channel, .. }) => {
                texts.get("panel-posted", &[("channel", &format!("<#{channel}>"))])
            }
            Ok(SetupOutcome::AlreadyPosted { channel, message }) => {
                let link = format!("https://discord.com/channels/{guild}/{channel}/{message}");
                texts.get(
                    "panel-exists",
                    &[("channel", &format!("<#{channel}>")), ("link", &link)],
                )
            }
            Ok(SetupOutcome::NotStaff) => texts.get("setup-not-staff", &[]),
            Ok(SetupOutcome::NotConfigured) => texts.get("guild-not-configured", &[]),
            Err(error) => {
                tracing::error!(%error, guild, "panel setup failed");
                texts.get("discord-error", &[])
            }
        }
    }

    pub(super) async fn setup_from_message(&self, message: &ChatMessage) {
        let Some(guild) = message.guild_id else {
            return;
        };
        if self.guild(guild).is_none() {
            return;
        }
        let outcome = self.setup_panel(guild, &message.author).await;
        let text = self.describe_setup(guild, &outcome);
        if let Err(error) = self
            .discord
            .send_message(message.channel_id, &OutMessage::text(text))
            .await
        {
            tracing::warn!(%error, guild, "could not answer !setup_tickets");
        }
    }

    pub(super) async fn setup_from_command(&self, interaction: &Interaction) -> Reply {
        let Some(guild) = interaction.guild_id else {
            return Reply::private(self.texts(None).get("guild-not-configured", &[]));
        };
        let outcome = self.setup_panel(guild, &interaction.user).await;
        Reply::private(self.describe_setup(guild, &outcome))
    }

    /// *Open ticket*: an ephemeral select of the guild's ticket types.
    pub(super) async fn open_panel(&self, interaction: &Interaction) -> Reply {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Reply::private(texts.get("guild-not-configured", &[]));
        };
        if let Some(refusal) = self.blacklist_refusal(&guild, &interaction.user).await {
            return Reply::private(refusal);
        }
        let options = guild
            .ticket_types
            .iter()
            .map(|t| SelectOption {
                value: t.id.clone(),
                label: t.label.clone(),
                description: t.description.clone(),
                emoji: t.emoji.clone(),
            })
            .collect();
        let message =
            OutMessage::text(texts.get("choose-type-prompt", &[])).row(vec![Component::Select {
                custom_id: CustomId::ChooseType.to_string(),
                placeholder: texts.get("choose-type-placeholder", &[]),
                options,
            }]);
        Reply::Message {
            message,
            ephemeral: true,
        }
    }
}
