//! Claiming: a staff member takes a ticket, releases it, or hands it to another; the welcome
//! message always shows who has it.

use serde_json::json;

use super::Tickets;
use crate::config::GuildConfig;
use crate::store::TicketRecord;
use crate::ui::{OutMessage, OverwriteTarget, Reply};

impl Tickets {
    /// Claims the ticket for `staff`; the welcome message is updated in the answer itself.
    pub(super) async fn claim(
        &self,
        guild: &GuildConfig,
        mut ticket: TicketRecord,
        staff: u64,
    ) -> Reply {
        let texts = self.texts(Some(guild.id));
        if let Some(current) = ticket.claimed_by {
            return Reply::private(
                texts.get("claim-already", &[("staff", &format!("<@{current}>"))]),
            );
        }
        if let Err(error) = self.store.set_claim(ticket.id, Some(staff)).await {
            tracing::error!(%error, "saving a claim failed");
            return Reply::private(texts.get("discord-error", &[]));
        }
        ticket.claimed_by = Some(staff);
        self.apply_claim(guild, &ticket, None).await;
        self.tell_plugins_of_claim(guild, &ticket, None, staff);
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(staff),
            "ticket.claimed",
            json!({}),
        )
        .await;
        self.announce(
            guild,
            &ticket,
            texts.get("claim-announced", &[("staff", &format!("<@{staff}>"))]),
        );
        Reply::Update(self.welcome_message(guild, &ticket))
    }

    /// Releases the claim.
    pub(super) async fn unclaim(
        &self,
        guild: &GuildConfig,
        mut ticket: TicketRecord,
        staff: u64,
    ) -> Reply {
        let texts = self.texts(Some(guild.id));
        if ticket.claimed_by.is_none() {
            return Reply::private(texts.get("claim-not-claimed", &[]));
        }
        if let Err(error) = self.store.set_claim(ticket.id, None).await {
            tracing::error!(%error, "saving an unclaim failed");
            return Reply::private(texts.get("discord-error", &[]));
        }
        let before = ticket.claimed_by.take();
        self.apply_claim(guild, &ticket, before).await;
        self.tell_plugins_of_claim(guild, &ticket, before, staff);
        self.log_event(
            guild.id,
            Some(ticket.id),
            Some(staff),
            "ticket.unclaimed",
            json!({}),
        )
        .await;
        self.announce(
            guild,
            &ticket,
            texts.get("unclaim-announced", &[("staff", &format!("<@{staff}>"))]),
        );
        Reply::Update(self.welcome_message(guild, &ticket))
    }

    /// Sets the claimer outside an interaction answer (a handover by `by`) and edits the
    /// welcome.
    pub(super) async fn set_claim(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        staff: Option<u64>,
        by: u64,
    ) -> Result<(), ()> {
        self.store
            .set_claim(ticket.id, staff)
            .await
            .map_err(|error| tracing::error!(%error, "saving a claim failed"))?;
        let mut updated = ticket.clone();
        updated.claimed_by = staff;
        self.apply_claim(guild, &updated, ticket.claimed_by).await;
        self.tell_plugins_of_claim(guild, &updated, ticket.claimed_by, by);
        self.log_event(
            guild.id,
            Some(ticket.id),
            staff,
            "ticket.handed_over",
            json!({}),
        )
        .await;
        if let (Some(channel), Some(welcome)) = (ticket.channel_id, ticket.welcome_message_id) {
            if let Err(error) = self
                .discord
                .edit_message(channel, welcome, &self.welcome_message(guild, &updated))
                .await
            {
                tracing::warn!(%error, "could not update the welcome message");
            }
        }
        Ok(())
    }

    /// Brings the channel's permissions in line with the claim of `ticket` (its claimer now;
    /// `before`, the one it had): staff roles as the claim mode says, the claimer's own
    /// overwrite, and the former claimer's removed unless they are one of the ticket's people.
    async fn apply_claim(&self, guild: &GuildConfig, ticket: &TicketRecord, before: Option<u64>) {
        let Some(channel) = ticket.channel_id else {
            return;
        };
        if guild.claim_mode_for(&ticket.type_id) == crate::config::ClaimMode::Label {
            return;
        }
        for overwrite in super::open::claim_overwrites(guild, &ticket.type_id, ticket.claimed_by) {
            if let Err(error) = self.discord.set_overwrite(channel, overwrite).await {
                tracing::warn!(%error, channel, "could not apply a claim's permissions");
            }
        }
        if let Some(former) = before.filter(|b| Some(*b) != ticket.claimed_by) {
            let members = self.store.members(ticket.id).await.unwrap_or_default();
            if former != ticket.opener_id && !members.contains(&former) {
                if let Err(error) = self
                    .discord
                    .remove_overwrite(channel, OverwriteTarget::Member(former))
                    .await
                {
                    tracing::warn!(%error, channel, "could not remove a former claimer's permissions");
                }
            }
        }
    }

    /// Tells subscribed plugins that `ticket`'s claimer changed from `before` (by `by`), after
    /// the answer: a plugin never delays the claim itself.
    fn tell_plugins_of_claim(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
        before: Option<u64>,
        by: u64,
    ) {
        let Some(this) = self.shared() else {
            return;
        };
        let (guild, ticket) = (guild.id, ticket.clone());
        self.spawn_tracked(async move {
            if let Some(guild) = this.guild(guild) {
                this.plugins_after_claim(&guild, &ticket, before, by).await;
            }
        });
    }

    /// Posts `text` in the ticket's channel without waiting for it.
    fn announce(&self, guild: &GuildConfig, ticket: &TicketRecord, text: String) {
        let Some(channel) = ticket.channel_id else {
            return;
        };
        let discord = self.discord.clone();
        let guild = guild.id;
        self.spawn_tracked(async move {
            if let Err(error) = discord.send_message(channel, &OutMessage::text(text)).await {
                tracing::warn!(%error, guild, channel, "could not post an announcement");
            }
        });
    }
}
