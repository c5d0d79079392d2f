//! Performing a plugin's checked effects, one function per effect, each returning a typed
//! error. Effects run in order; one that fails is logged and the rest still run (each was
//! already checked against the grants and bounds, so a failure here is Discord's or the
//! database's, or a rule only the moment can tell, such as a member who left).

mod channels;
mod messages;
mod state;
mod tickets;

use crate::config::GuildConfig;
use crate::event::Interaction;
use crate::plugins::contract as c;
use crate::plugins::GuildPlugin;
use crate::rest::DiscordError;
use crate::store::{StoreError, TicketRecord};
use crate::tickets::Tickets;

use crate::plugins::checks::effect_name;

/// The channel under which a plugin's direct messages are remembered (a DM has no guild
/// channel; message ids are unique across Discord).
pub const DM_CHANNEL: u64 = 0;

/// Where effects run: the plugin, the guild, the ticket and the interaction, if any.
pub struct EffectScope<'a> {
    pub guild: &'a GuildConfig,
    pub plugin: &'a GuildPlugin,
    pub ticket: Option<&'a TicketRecord>,
    pub interaction: Option<&'a Interaction>,
    /// The user's answer waits for the effects: a DM that fails gives its `on_failure` text
    /// as the answer instead of a second message.
    pub answer_after: bool,
}

impl EffectScope<'_> {
    /// The ticket, or the error that it needs one.
    fn ticket(&self) -> Result<&TicketRecord, EffectError> {
        self.ticket.ok_or(EffectError::NoTicket)
    }

    /// Who the effect is done for: the user who acted, or the bot itself.
    fn actor(&self, bot: Option<u64>) -> u64 {
        self.interaction
            .map(|i| i.user.id)
            .or(bot)
            .unwrap_or_default()
    }
}

/// Why an effect was not done.
#[derive(Debug, thiserror::Error)]
pub enum EffectError {
    /// It needs a ticket and the event has none.
    #[error("it needs a ticket")]
    NoTicket,
    /// The ticket's channel is gone or the ticket ended.
    #[error("the ticket has no open channel")]
    NoChannel,
    /// The message broke a rule of Discord's.
    #[error("{0}")]
    Message(String),
    /// A setting named as a channel holds none.
    #[error("its setting {0:?} names no channel")]
    NoSuchChannel(String),
    /// A setting named a channel of another guild.
    #[error("channel {0} is not a channel of this server")]
    NotGuildChannel(u64),
    /// Edits only of its own posts.
    #[error("it may only edit messages it posted")]
    NotItsMessage,
    /// DMs only to the ticket's people.
    #[error("it may only DM the ticket's opener and members")]
    NotTicketPerson,
    /// A typed channel name without a letter or digit.
    #[error("a channel name needs a letter or digit")]
    BadChannelName,
    /// Moves only among the guild's ticket categories.
    #[error("{0} is not one of this guild's ticket categories")]
    NotTicketCategory(u64),
    /// Deletes only of its own voice channels.
    #[error("it may only delete voice channels it created")]
    NotItsVoice,
    /// The user is not a member of the guild.
    #[error("{0} is not a member of this server")]
    NotGuildMember(u64),
    /// The opener, staff and non-members cannot be removed.
    #[error("{0} cannot be removed from the ticket (the opener, staff, or not a member)")]
    NotRemovable(u64),
    /// Feedback only from the ticket's opener, pressing it themselves.
    #[error("only the ticket's opener rates it")]
    NotOpener,
    /// The lifecycle refused (e.g. the ticket is already closing); the text key says why.
    #[error("the ticket refused: {0}")]
    Refused(&'static str),
    /// Discord refused or failed.
    #[error(transparent)]
    Discord(#[from] DiscordError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tickets {
    /// Performs checked effects in order; one that fails is logged and the rest still run.
    /// Returns the `on_failure` text of a DM that failed when the answer waits for the effects.
    pub(super) async fn perform(
        &self,
        scope: &EffectScope<'_>,
        effects: Vec<c::Effect>,
    ) -> Option<String> {
        let mut notice = None;
        for effect in effects {
            let what = effect_name(&effect);
            let done = match effect {
                c::Effect::Post(post) => self.effect_post(scope, post).await,
                c::Effect::Edit((channel, message, content)) => {
                    self.effect_edit(scope, channel, message, content).await
                }
                c::Effect::SendDm(dm) => self.effect_dm(scope, dm, &mut notice).await,
                c::Effect::Rename(name) => self.effect_rename(scope, &name).await,
                c::Effect::MoveTo(category) => self.effect_move(scope, category).await,
                c::Effect::CreateVoice((name, key)) => {
                    self.effect_create_voice(scope, &name, &key).await
                }
                c::Effect::DeleteVoice(channel) => self.effect_delete_voice(scope, channel).await,
                c::Effect::AddNote(text) => self.effect_note(scope, text).await,
                c::Effect::Schedule(timer) => self.effect_schedule(scope, timer).await,
                c::Effect::CancelTimer(key) => self.effect_cancel_timer(scope, &key).await,
                c::Effect::Store((key, value)) => self.effect_store(scope, &key, &value).await,
                c::Effect::Forget(key) => self.effect_forget(scope, &key).await,
                c::Effect::CloseTicket(reason) => self.effect_close(scope, reason).await,
                c::Effect::RequestClose => self.effect_request_close(scope).await,
                c::Effect::AddMember(user) => self.effect_add_member(scope, user).await,
                c::Effect::RemoveMember(user) => self.effect_remove_member(scope, user).await,
                c::Effect::SetStatus(label) => self.effect_status(scope, label).await,
                c::Effect::RecordFeedback(feedback) => self.effect_feedback(scope, feedback).await,
            };
            let (guild, plugin) = (scope.guild.id, scope.plugin.id());
            match done {
                Ok(()) => tracing::debug!(guild, plugin, effect = what, "plugin effect performed"),
                Err(error) => {
                    tracing::warn!(guild, plugin, effect = what, %error, "a plugin effect failed")
                }
            }
        }
        notice
    }
}
