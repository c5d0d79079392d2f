//! The ticket itself: closing it, asking its opener to confirm a close, adding and removing
//! members, and its status label. Each goes through the lifecycle exactly as staff doing the
//! same would (the log, the transcript, the DM), with the user who acted, or the bot for a
//! background event, as the one who did it.

use serde_json::json;

use super::{EffectError, EffectScope};
use crate::plugins::contract as c;
use crate::store::FeedbackRecord;
use crate::tickets::members::MemberError;
use crate::tickets::Tickets;
use crate::ui::OutMessage;

impl Tickets {
    /// `close-ticket`: announced in the ticket and closed after the guild's delay.
    pub(super) async fn effect_close(
        &self,
        scope: &EffectScope<'_>,
        reason: String,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let channel = ticket.channel_id.ok_or(EffectError::NoChannel)?;
        let by = scope.actor(self.bot_user.get().copied());
        let reason = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
        let announcement = self
            .begin_close(scope.guild, ticket, by, reason)
            .await
            .map_err(EffectError::Refused)?;
        if let Err(error) = self
            .discord
            .send_message(channel, &OutMessage::text(announcement))
            .await
        {
            // The close goes on: the announcement is a courtesy.
            tracing::warn!(%error, channel, "could not announce a plugin's close");
        }
        if let Some(this) = self.shared() {
            this.schedule_close(ticket.id, scope.guild.close_delay);
        }
        Ok(())
    }

    /// `request-close`: the opener is asked to confirm, as when staff ask.
    pub(super) async fn effect_request_close(
        &self,
        scope: &EffectScope<'_>,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let by = scope.actor(self.bot_user.get().copied());
        self.post_close_request(scope.guild, ticket, by)
            .await
            .map_err(EffectError::Refused)
    }

    /// `add-member`: a member of the guild joins the ticket and is told by a ping.
    pub(super) async fn effect_add_member(
        &self,
        scope: &EffectScope<'_>,
        user: u64,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let channel = ticket.channel_id.ok_or(EffectError::NoChannel)?;
        let members = self.store.members(ticket.id).await?;
        if user == ticket.opener_id || members.contains(&user) {
            return Ok(());
        }
        let by = scope.actor(self.bot_user.get().copied());
        self.add_ticket_member(scope.guild, ticket, user, by, true)
            .await
            .map_err(|e| member_error(e, user))?;
        // The one added is told by a ping.
        self.membership_changed(scope, channel, user, true).await;
        Ok(())
    }

    /// Logs a plugin's member change and says it in the ticket.
    async fn membership_changed(
        &self,
        scope: &EffectScope<'_>,
        channel: u64,
        user: u64,
        added: bool,
    ) {
        let (kind, key) = if added {
            ("ticket.members_added", "members-added")
        } else {
            ("ticket.members_removed", "members-removed")
        };
        let by = scope.actor(self.bot_user.get().copied());
        self.log_event(
            scope.guild.id,
            scope.ticket.map(|t| t.id),
            Some(by),
            kind,
            json!({"users": [user.to_string()], "plugin": scope.plugin.id()}),
        )
        .await;
        let texts = self.texts(Some(scope.guild.id));
        let mut told = OutMessage::text(
            texts.get(key, &[("users", &crate::tickets::watch::mentions(&[user]))]),
        );
        if added {
            told = told.ping_users([user]);
        }
        if let Err(error) = self.discord.send_message(channel, &told).await {
            tracing::warn!(%error, channel, "could not say a member changed");
        }
    }

    /// `remove-member`: an added member leaves the ticket (never its opener or staff).
    pub(super) async fn effect_remove_member(
        &self,
        scope: &EffectScope<'_>,
        user: u64,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let channel = ticket.channel_id.ok_or(EffectError::NoChannel)?;
        self.remove_ticket_member(scope.guild, ticket, user)
            .await
            .map_err(|e| member_error(e, user))?;
        self.membership_changed(scope, channel, user, false).await;
        Ok(())
    }

    /// `set-status`: the ticket's label, shown on its welcome message and its transcript.
    pub(super) async fn effect_status(
        &self,
        scope: &EffectScope<'_>,
        label: String,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let label = Some(label.trim().to_owned()).filter(|l| !l.is_empty());
        self.store
            .set_status_label(ticket.id, label.clone())
            .await?;
        let mut updated = ticket.clone();
        updated.status_label = label.clone();
        if let (Some(channel), Some(welcome)) = (ticket.channel_id, ticket.welcome_message_id) {
            self.discord
                .edit_message(
                    channel,
                    welcome,
                    &self.welcome_message(scope.guild, &updated),
                )
                .await?;
        }
        self.log_event(
            scope.guild.id,
            Some(ticket.id),
            None,
            "ticket.status",
            json!({"label": label, "plugin": scope.plugin.id()}),
        )
        .await;
        Ok(())
    }
}

impl Tickets {
    /// `record-feedback`: the opener's rating (the first stars stay; a comment may follow),
    /// credited to the claimer, else the one who closed it.
    pub(super) async fn effect_feedback(
        &self,
        scope: &EffectScope<'_>,
        feedback: c::Feedback,
    ) -> Result<(), EffectError> {
        let ticket = scope.ticket()?;
        let by = scope.interaction.map(|i| i.user.id);
        if by != Some(ticket.opener_id) {
            return Err(EffectError::NotOpener);
        }
        let comment = feedback
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        self.store
            .record_feedback(FeedbackRecord {
                ticket_id: ticket.id,
                guild_id: ticket.guild_id,
                type_id: ticket.type_id.clone(),
                staff_id: ticket.claimed_by.or(ticket.closed_by),
                stars: feedback.stars,
                comment,
                at: chrono::Utc::now(),
            })
            .await?;
        self.log_event(
            scope.guild.id,
            Some(ticket.id),
            by,
            "ticket.feedback",
            json!({"stars": feedback.stars, "plugin": scope.plugin.id()}),
        )
        .await;
        Ok(())
    }
}

fn member_error(error: MemberError, user: u64) -> EffectError {
    match error {
        MemberError::NoChannel => EffectError::NoChannel,
        MemberError::NotInGuild => EffectError::NotGuildMember(user),
        MemberError::NotRemovable => EffectError::NotRemovable(user),
        MemberError::Discord(e) => EffectError::Discord(e),
        MemberError::Store(e) => EffectError::Store(e),
    }
}
