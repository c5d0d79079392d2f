//! serenity's event handler: converts gateway events and hands them to the lifecycle.

use std::sync::{Arc, OnceLock};

use serenity::all::{
    ChannelId, Context, EventHandler, GuildChannel, GuildId, Interaction as SInteraction, Message,
    MessageId, MessageUpdateEvent, Reaction, Ready, VoiceState,
};
use serenity::async_trait;
use tokio::sync::watch;

use super::convert;
use crate::tickets::Tickets;

/// Routes gateway events to [`Tickets`]. The lifecycle is set once the client is built, before
/// the gateway connects, because it needs the client's HTTP handle.
pub struct Handler {
    pub(super) tickets: Arc<OnceLock<Arc<Tickets>>>,
    pub(super) ready: watch::Sender<Option<ReadyInfo>>,
}

/// What the bot learnt at READY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyInfo {
    /// The bot's user id.
    pub bot_id: u64,
    /// Guilds the bot is in.
    pub guilds: Vec<u64>,
}

impl Handler {
    fn tickets(&self) -> Option<&Arc<Tickets>> {
        self.tickets.get()
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let guilds: Vec<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
        tracing::info!(bot = %ready.user.name, guilds = guilds.len(), "connected to Discord");
        if let Some(tickets) = self.tickets() {
            tickets.on_ready(ready.user.id.get(), &guilds).await;
        }
        self.ready.send_replace(Some(ReadyInfo {
            bot_id: ready.user.id.get(),
            guilds,
        }));
    }

    async fn message(&self, _ctx: Context, message: Message) {
        if let Some(tickets) = self.tickets() {
            tickets.on_message(convert::chat_message(&message)).await;
        }
    }

    async fn message_update(
        &self,
        _ctx: Context,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        let Some(tickets) = self.tickets() else {
            return;
        };
        let edited_at = event
            .edited_timestamp
            .and_then(|t| chrono::DateTime::from_timestamp(t.unix_timestamp(), 0))
            .unwrap_or_else(chrono::Utc::now);
        let embeds = event
            .embeds
            .as_ref()
            .map(|e| serde_json::to_value(e).unwrap_or_default());
        tickets
            .on_message_edited(
                event.channel_id.get(),
                event.id.get(),
                event.content.clone(),
                embeds,
                edited_at,
            )
            .await;
    }

    async fn reaction_add(&self, _ctx: Context, reaction: Reaction) {
        if let Some(tickets) = self.tickets() {
            tickets
                .on_reaction(reaction.channel_id.get(), reaction.message_id.get())
                .await;
        }
    }

    async fn reaction_remove(&self, _ctx: Context, reaction: Reaction) {
        if let Some(tickets) = self.tickets() {
            tickets
                .on_reaction(reaction.channel_id.get(), reaction.message_id.get())
                .await;
        }
    }

    async fn message_delete(
        &self,
        _ctx: Context,
        channel: ChannelId,
        message: MessageId,
        _guild: Option<GuildId>,
    ) {
        if let Some(tickets) = self.tickets() {
            tickets
                .on_message_deleted(channel.get(), message.get())
                .await;
        }
    }

    async fn channel_delete(
        &self,
        _ctx: Context,
        channel: GuildChannel,
        _messages: Option<Vec<Message>>,
    ) {
        if let Some(tickets) = self.tickets() {
            tickets.on_channel_deleted(channel.id.get()).await;
        }
    }

    async fn voice_state_update(&self, _ctx: Context, _old: Option<VoiceState>, new: VoiceState) {
        let (Some(tickets), Some(guild)) = (self.tickets(), new.guild_id) else {
            return;
        };
        tickets
            .on_voice_state(
                guild.get(),
                new.user_id.get(),
                new.channel_id.map(|c| c.get()),
            )
            .await;
    }

    async fn interaction_create(&self, _ctx: Context, interaction: SInteraction) {
        let (Some(tickets), Some(interaction)) =
            (self.tickets(), convert::interaction(&interaction))
        else {
            return;
        };
        tickets.on_interaction(interaction).await;
    }
}
