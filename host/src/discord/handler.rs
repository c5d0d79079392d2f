//! serenity's event handler: converts gateway events and hands them to the lifecycle.

use std::sync::{Arc, OnceLock};

use serenity::all::{
    ChannelId, Context, EventHandler, GuildChannel, GuildId, Interaction as SInteraction, Message,
    MessageId, MessageUpdateEvent, Reaction, Ready, VoiceState,
};
use serenity::async_trait;
use tokio::sync::watch;

use super::convert;
use crate::event::{Inbound, Lifecycle};

/// Converts gateway events and hands them to the [`Lifecycle`]. The lifecycle is set once the
/// client is built, before the gateway connects, because it needs the client's HTTP handle.
pub struct Handler {
    pub(super) lifecycle: Arc<OnceLock<Arc<dyn Lifecycle>>>,
    pub(super) ready: watch::Sender<Option<ReadyInfo>>,
    /// How many shards this process runs (none: as many as the first READY's total).
    pub(super) expected: Option<u32>,
    /// Each shard's guilds at its last READY.
    pub(super) seen: std::sync::Mutex<std::collections::BTreeMap<u32, Vec<u64>>>,
}

/// What the bot learnt at READY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyInfo {
    /// The bot's user id.
    pub bot_id: u64,
    /// Guilds the bot is in (on this process's shards).
    pub guilds: Vec<u64>,
}

impl Handler {
    /// Hands `event` to the lifecycle, if it is set.
    async fn pass(&self, event: Inbound) {
        if let Some(lifecycle) = self.lifecycle.get() {
            lifecycle.clone().handle(event).await;
        }
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let guilds: Vec<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
        let (shard, total) = ready.shard.map_or((0, 1), |s| (s.id.0, s.total));
        tracing::info!(bot = %ready.user.name, guilds = guilds.len(), shard, total, "connected to Discord");
        self.pass(Inbound::Ready {
            bot_user: ready.user.id.get(),
            guilds: guilds.clone(),
            shard: (shard, total),
        })
        .await;
        // Ready once every shard of this process is.
        let all = {
            let mut seen = self.seen.lock().expect("seen lock");
            seen.insert(shard, guilds);
            let expected = self.expected.unwrap_or(total) as usize;
            (seen.len() >= expected).then(|| seen.values().flatten().copied().collect())
        };
        if let Some(guilds) = all {
            self.ready.send_replace(Some(ReadyInfo {
                bot_id: ready.user.id.get(),
                guilds,
            }));
        }
    }

    async fn message(&self, _ctx: Context, message: Message) {
        self.pass(Inbound::Message(convert::chat_message(&message)))
            .await;
    }

    async fn message_update(
        &self,
        _ctx: Context,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        let edited_at = event
            .edited_timestamp
            .and_then(|t| chrono::DateTime::from_timestamp(t.unix_timestamp(), 0))
            .unwrap_or_else(chrono::Utc::now);
        let embeds = event
            .embeds
            .as_ref()
            .map(|e| serde_json::to_value(e).unwrap_or_default());
        self.pass(Inbound::MessageEdited {
            channel: event.channel_id.get(),
            message: event.id.get(),
            content: event.content.clone(),
            embeds,
            edited_at,
        })
        .await;
    }

    async fn reaction_add(&self, _ctx: Context, reaction: Reaction) {
        self.pass(Inbound::Reaction {
            channel: reaction.channel_id.get(),
            message: reaction.message_id.get(),
        })
        .await;
    }

    async fn reaction_remove(&self, _ctx: Context, reaction: Reaction) {
        self.pass(Inbound::Reaction {
            channel: reaction.channel_id.get(),
            message: reaction.message_id.get(),
        })
        .await;
    }

    async fn message_delete(
        &self,
        _ctx: Context,
        channel: ChannelId,
        message: MessageId,
        _guild: Option<GuildId>,
    ) {
        self.pass(Inbound::MessageDeleted {
            channel: channel.get(),
            message: message.get(),
        })
        .await;
    }

    async fn channel_delete(
        &self,
        _ctx: Context,
        channel: GuildChannel,
        _messages: Option<Vec<Message>>,
    ) {
        self.pass(Inbound::ChannelDeleted(channel.id.get())).await;
    }

    async fn voice_state_update(&self, _ctx: Context, _old: Option<VoiceState>, new: VoiceState) {
        let Some(guild) = new.guild_id else {
            return;
        };
        self.pass(Inbound::VoiceState {
            guild: guild.get(),
            user: new.user_id.get(),
            channel: new.channel_id.map(|c| c.get()),
        })
        .await;
    }

    async fn guild_member_removal(
        &self,
        _ctx: Context,
        guild: serenity::model::id::GuildId,
        user: serenity::model::user::User,
        _member: Option<serenity::model::guild::Member>,
    ) {
        self.pass(Inbound::MemberLeft {
            guild: guild.get(),
            user: user.id.get(),
        })
        .await;
    }

    async fn interaction_create(&self, _ctx: Context, interaction: SInteraction) {
        if let Some(interaction) = convert::interaction(&interaction) {
            self.pass(Inbound::Interaction(interaction)).await;
        }
    }
}
