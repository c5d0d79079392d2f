//! A guild's managers changed its own settings (ticket types, texts, staff roles, channels):
//! the next click uses them, and what is already on Discord follows: the posted panel's texts,
//! open tickets' welcome messages, which staff roles see open tickets, the slash commands.

use std::collections::HashSet;
use std::sync::Arc;

use super::open::claim_overwrites;
use super::{guild_texts, Tickets};
use crate::config::{Config, GuildConfig};
use crate::store::TicketStatus;
use crate::ui::OverwriteTarget;

impl Tickets {
    /// Puts `config` in force after a change of `guild`'s own settings, and brings what the
    /// bot already posted there up to date.
    pub async fn apply_guild_change(&self, config: Arc<Config>, guild: u64) {
        let before = self.guild(guild);
        *self.texts.write().expect("texts lock") = guild_texts(&config);
        *self.config.write().expect("config lock") = config;
        let Some(after) = self.guild(guild) else {
            return;
        };
        if self.joined.lock().expect("joined lock").contains(&guild) {
            self.register_commands(&after).await;
        }
        if let Some(before) = before {
            self.follow_guild(&before, &after).await;
        }
        tracing::info!(guild, "a guild's own settings are in force");
    }

    /// Puts `config` in force after another process recorded changes to `guilds`' settings
    /// (it already brought what is posted on Discord up to date); the slash commands of those
    /// guilds this process serves are registered again.
    pub async fn adopt_config(&self, config: Arc<Config>, guilds: &[u64]) {
        *self.texts.write().expect("texts lock") = guild_texts(&config);
        *self.config.write().expect("config lock") = config;
        for guild in guilds {
            if let Some(after) = self.guild(*guild).filter(|_| self.serves_guild(*guild)) {
                self.register_commands(&after).await;
            }
        }
    }

    /// Brings what the bot posted in a guild up to date after its settings went from
    /// `before` to `after`: the panel when its texts changed, open tickets' welcome messages
    /// when texts or ticket types changed, open tickets' staff access.
    pub(super) async fn follow_guild(&self, before: &GuildConfig, after: &GuildConfig) {
        let texts_changed = before.texts != after.texts || before.locale != after.locale;
        let shown = |g: &GuildConfig| -> Vec<(String, String, Option<String>)> {
            g.ticket_types
                .iter()
                .map(|t| (t.id.clone(), t.label.clone(), t.emoji.clone()))
                .collect()
        };
        if texts_changed || before.panel_channel != after.panel_channel {
            self.refresh_panel(after.id).await;
        }
        if texts_changed || shown(before) != shown(after) {
            self.refresh_welcomes(after.id).await;
        }
        self.restaff(before, after).await;
    }

    /// Gives open tickets the staff roles of `after` (the guild's and their type's) with the
    /// access their claim allows, and takes it from roles `before` had that are staff no more.
    async fn restaff(&self, before: &GuildConfig, after: &GuildConfig) {
        let tickets = match self.store.active_tickets().await {
            Ok(tickets) => tickets,
            Err(error) => {
                tracing::warn!(%error, guild = after.id, "listing open tickets to update their staff");
                return;
            }
        };
        for ticket in tickets
            .iter()
            .filter(|t| t.guild_id == after.id && t.status == TicketStatus::Open)
        {
            let Some(channel) = ticket.channel_id else {
                continue;
            };
            let old = claim_overwrites(before, &ticket.type_id, ticket.claimed_by);
            let new = claim_overwrites(after, &ticket.type_id, ticket.claimed_by);
            if old == new {
                continue;
            }
            let kept: HashSet<OverwriteTarget> = new.iter().map(|o| o.target).collect();
            for overwrite in new.iter().copied().filter(|o| !old.contains(o)) {
                if let Err(error) = self.discord.set_overwrite(channel, overwrite).await {
                    tracing::warn!(%error, guild = after.id, ticket = ticket.id, "could not give a staff role access to a ticket");
                }
            }
            // Only roles: a claimer's own overwrite stays theirs.
            for gone in old.iter().filter(|o| {
                !kept.contains(&o.target) && matches!(o.target, OverwriteTarget::Role(_))
            }) {
                if let Err(error) = self.discord.remove_overwrite(channel, gone.target).await {
                    tracing::warn!(%error, guild = after.id, ticket = ticket.id, "could not take a former staff role's access to a ticket");
                }
            }
        }
    }
}
