//! Opening a ticket: the type choice, the limit, the category, the channel, the welcome.

use std::sync::Arc;

use rand::Rng;
use serde_json::json;

use super::router::CustomId;
use super::{After, GuildRef, Handled, Tickets};
use crate::config::GuildConfig;
use crate::event::{Interaction, InteractionKind};
use crate::plugins::contract::pick;
use crate::rest::DiscordError;
use crate::store::{Answer, NewTicket, Reservation, StoreError, TicketRecord};
use crate::ui::{permissions, Component, OutMessage, Overwrite, OverwriteTarget, Reply, TextInput};

/// One question of the opening form: which plugin asked it, and how it is shown.
struct OpeningQuestion {
    /// The form field's id: `<plugin>/<question>`.
    field: String,
    plugin: String,
    question: String,
    label: String,
    paragraph: bool,
    required: bool,
    min_length: u16,
    max_length: u16,
    placeholder: Option<String>,
    /// The pattern the whole answer must match, and what to say when it does not.
    pattern: Option<(String, String)>,
}

/// Discord's limit of channels in one category.
pub const CATEGORY_LIMIT: usize = 50;
const CODE_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Why a ticket could not be opened after it was reserved.
#[derive(Debug, thiserror::Error)]
enum OpenError {
    #[error("every ticket category is full")]
    CategoriesFull,
    #[error(transparent)]
    Discord(#[from] DiscordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A random code of `n` letters and digits.
pub fn random_code(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// A channel name from the guild's pattern.
fn channel_name(pattern: &str, number: i32, type_id: &str) -> String {
    pattern
        .replace("{code}", &random_code(6))
        .replace("{number}", &format!("{number:04}"))
        .replace("{type}", type_id)
}

/// Adds `allow` for `target` to `overwrites`, merging with an existing overwrite.
fn grant(overwrites: &mut Vec<Overwrite>, target: OverwriteTarget, allow: u64) {
    match overwrites.iter_mut().find(|o| o.target == target) {
        Some(existing) => {
            existing.allow |= allow;
            existing.deny &= !allow;
        }
        None => overwrites.push(Overwrite {
            target,
            allow,
            deny: 0,
        }),
    }
}

/// A link to a channel.
pub fn channel_link(guild: u64, channel: u64) -> String {
    format!("https://discord.com/channels/{guild}/{channel}")
}

/// Removes the (guild, user) pair from the in-flight set when dropped.
struct InFlight {
    tickets: Arc<Tickets>,
    key: (u64, u64),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.tickets
            .opening
            .lock()
            .expect("opening lock")
            .remove(&self.key);
    }
}

impl Tickets {
    /// The user chose a ticket type: checks, then defers and creates the channel afterwards.
    pub(super) async fn choose_type(self: &Arc<Self>, interaction: &Interaction) -> Handled {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Handled::Reply(Reply::private(texts.get("guild-not-configured", &[])));
        };
        let chosen = match &interaction.kind {
            InteractionKind::Select { values, .. } => values.first().cloned(),
            _ => None,
        };
        let Some(type_id) = chosen.filter(|id| guild.ticket_type(id).is_some()) else {
            return Handled::Reply(Reply::private(texts.get("ticket-type-unknown", &[])));
        };
        // Checked again here: the menu may have been shown before the block.
        if let Some(refusal) = self.blacklist_refusal(&guild, &interaction.user).await {
            return Handled::Reply(Reply::private(refusal));
        }
        // Plugins' questions for this type come first, in a form; the channel after it.
        if let Some(form) = self.questions_form(&guild, &type_id) {
            return Handled::Reply(form);
        }
        self.begin_open(interaction, &guild, type_id, Vec::new())
    }

    /// The form of the opening questions of `type_id`, if its plugins ask any.
    fn questions_form(&self, guild: &GuildConfig, type_id: &str) -> Option<Reply> {
        let questions = self.opening_questions(guild, type_id);
        if questions.is_empty() {
            return None;
        }
        let texts = self.texts(Some(guild.id));
        let title = guild
            .ticket_type(type_id)
            .map_or(type_id, |t| t.label.as_str());
        Some(Reply::Modal {
            custom_id: CustomId::Questions {
                type_id: type_id.to_owned(),
            }
            .to_string(),
            title: texts.get("opening-form-title", &[("type", title)]),
            inputs: questions
                .into_iter()
                .map(|q| TextInput {
                    custom_id: q.field,
                    label: q.label,
                    paragraph: q.paragraph,
                    required: q.required,
                    min_length: q.min_length,
                    max_length: q.max_length,
                    placeholder: q.placeholder,
                })
                .collect(),
        })
    }

    /// The guild of `interaction` if the user may open a ticket of `type_id` there; otherwise
    /// the refusal's text (a guild not served, an unknown type, a blocked user).
    async fn may_open(&self, interaction: &Interaction, type_id: &str) -> Result<GuildRef, String> {
        let texts = self.texts(interaction.guild_id);
        let refuse = Err;
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return refuse(texts.get("guild-not-configured", &[]));
        };
        if guild.ticket_type(type_id).is_none() {
            return refuse(texts.get("ticket-type-unknown", &[]));
        }
        if let Some(refusal) = self.blacklist_refusal(&guild, &interaction.user).await {
            return refuse(refusal);
        }
        Ok(guild)
    }

    /// *Answer again* after answers that did not fit: the form once more.
    pub(super) async fn ask_again(&self, interaction: &Interaction, type_id: &str) -> Handled {
        let texts = self.texts(interaction.guild_id);
        let guild = match self.may_open(interaction, type_id).await {
            Ok(guild) => guild,
            Err(refusal) => return Handled::Reply(Reply::private(refusal)),
        };
        Handled::Reply(
            self.questions_form(&guild, type_id)
                .unwrap_or_else(|| Reply::private(texts.get("unknown-action", &[]))),
        )
    }

    /// The opening questions of `type_id` were answered: the ticket opens with the answers.
    pub(super) async fn questions_answered(
        self: &Arc<Self>,
        interaction: &Interaction,
        type_id: &str,
    ) -> Handled {
        let texts = self.texts(interaction.guild_id);
        let guild = match self.may_open(interaction, type_id).await {
            Ok(guild) => guild,
            Err(refusal) => return Handled::Reply(Reply::private(refusal)),
        };
        let InteractionKind::Modal { fields, .. } = &interaction.kind else {
            return Handled::Reply(Reply::private(texts.get("unknown-action", &[])));
        };
        // Only the questions asked now are kept, whatever else the form carried; each answer
        // is checked (Discord's form checks lengths, but a client may send anything).
        let mut answers = Vec::new();
        let mut wrong = Vec::new();
        for q in self.opening_questions(&guild, type_id) {
            let value = fields
                .iter()
                .find(|(id, _)| *id == q.field)
                .map_or("", |(_, v)| v.trim());
            let length = value.chars().count();
            let fits = if value.is_empty() {
                !q.required
            } else {
                length >= usize::from(q.min_length)
                    && length <= usize::from(q.max_length)
                    && q.pattern.as_ref().is_none_or(|(pattern, _)| {
                        crate::plugins::manifest::answer_pattern(pattern)
                            .is_ok_and(|re| re.is_match(value))
                    })
            };
            if !fits {
                let why = match &q.pattern {
                    Some((_, error)) if !error.is_empty() && !value.is_empty() => error.clone(),
                    _ => texts.get(
                        "question-length",
                        &[
                            ("min", &q.min_length.max(u16::from(q.required)).to_string()),
                            ("max", &q.max_length.to_string()),
                        ],
                    ),
                };
                wrong.push(format!("• **{}**: {why}", q.label));
            }
            if !value.is_empty() {
                answers.push(Answer {
                    plugin: q.plugin,
                    question: q.question,
                    label: q.label,
                    value: value.to_owned(),
                });
            }
        }
        if !wrong.is_empty() {
            // Nothing was created; the player sees what to fix, what they typed, and a button
            // that opens the form again.
            let typed: Vec<String> = answers
                .iter()
                .map(|a| format!("> **{}**: {}", a.label, a.value.replace('\n', " ")))
                .collect();
            let mut text = texts.get("questions-invalid", &[("problems", &wrong.join("\n"))]);
            if !typed.is_empty() {
                text.push_str("\n\n");
                text.push_str(&texts.get("questions-typed", &[]));
                text.push('\n');
                text.push_str(&typed.join("\n"));
            }
            let again = Component::button(
                CustomId::Questions {
                    type_id: type_id.to_owned(),
                }
                .to_string(),
                texts.get("questions-again", &[]),
                crate::ui::ButtonStyle::Primary,
            );
            return Handled::Reply(Reply::Message {
                message: OutMessage::text(text).row(vec![again]),
                ephemeral: true,
            });
        }
        self.begin_open(interaction, &guild, type_id.to_owned(), answers)
    }

    /// Starts opening a ticket of `type_id` for the user of `interaction`: answers at once,
    /// and reserves and creates the channel afterwards.
    fn begin_open(
        self: &Arc<Self>,
        interaction: &Interaction,
        guild: &GuildConfig,
        type_id: String,
        answers: Vec<Answer>,
    ) -> Handled {
        let texts = self.texts(Some(guild.id));
        let key = (guild.id, interaction.user.id);
        if !self.opening.lock().expect("opening lock").insert(key) {
            return Handled::Reply(Reply::private(texts.get("ticket-already-opening", &[])));
        }
        let guard = InFlight {
            tickets: self.clone(),
            key,
        };
        let cooldown = guild.ticket_type(&type_id).and_then(|t| t.cooldown);
        let new = NewTicket {
            guild_id: guild.id,
            type_id,
            opener_id: interaction.user.id,
            // Derived from the id and the link key when needed; never stored.
            transcript_token: String::new(),
            limit: guild.max_open_per_user,
            guild_limit: guild.max_open_tickets,
            cooldown,
            answers,
        };
        // Answer at once (Discord allows 3 seconds) and do the database and Discord work after:
        // under load the reservation queue alone could take longer than that.
        let after = self.reserve_and_open(new, interaction.handle.clone(), guard, None);
        Handled::Then(Reply::Defer { ephemeral: true }, after)
    }

    /// The questions the guild's plugins ask when a ticket of `type_id` opens, in plugin order
    /// (at most five: checked when the plugins load).
    fn opening_questions(&self, guild: &GuildConfig, type_id: &str) -> Vec<OpeningQuestion> {
        let mut out = Vec::new();
        let locale = guild.locale.tag();
        for plugin in self.plugins.enabled(guild.id) {
            for form in plugin.questions.iter() {
                if !form.ticket_types.is_empty() && !form.ticket_types.iter().any(|t| t == type_id)
                {
                    continue;
                }
                for q in &form.questions {
                    out.push(OpeningQuestion {
                        field: format!("{}/{}", plugin.id(), q.id),
                        plugin: plugin.id().to_owned(),
                        question: q.id.clone(),
                        label: pick(&q.label, locale).chars().take(45).collect(),
                        paragraph: q.paragraph,
                        required: q.required,
                        min_length: q.min_length.min(q.max_length.clamp(1, 4000)),
                        max_length: q.max_length.clamp(1, 4000),
                        placeholder: Some(pick(&q.placeholder, locale).to_owned())
                            .filter(|p| !p.trim().is_empty()),
                        pattern: q
                            .pattern
                            .clone()
                            .map(|p| (p, pick(&q.pattern_error, locale).to_owned())),
                    });
                }
            }
        }
        out.truncate(crate::plugins::manifest::MAX_QUESTIONS);
        out
    }

    /// Reserves `new` and creates its channel, then edits the deferred answer `handle` with the
    /// link (or why not). `for_staff` is the staff member who opened it for the player.
    fn reserve_and_open(
        self: &Arc<Self>,
        new: NewTicket,
        handle: crate::event::InteractionRef,
        guard: InFlight,
        for_staff: Option<u64>,
    ) -> After {
        let this = self.clone();
        let opener = new.opener_id;
        let guild_id = new.guild_id;
        Box::pin(async move {
            let _guard = guard;
            let Some(guild) = this.guild(guild_id) else {
                return;
            };
            let texts = this.texts(Some(guild_id));
            let ticket = match this.store.reserve_ticket(new).await {
                Ok(Reservation::Reserved(ticket)) => *ticket,
                Ok(Reservation::AtLimit(open)) => {
                    let channels: Vec<String> = open
                        .iter()
                        .map(|t| {
                            t.channel_id
                                .map_or_else(|| format!("#{}", t.number), |c| format!("<#{c}>"))
                        })
                        .collect();
                    let mut message = OutMessage::text(
                        texts.get("ticket-limit", &[("channels", &channels.join(", "))]),
                    );
                    if let Some(channel) = open.iter().find_map(|t| t.channel_id) {
                        message = message.row(vec![Component::link(
                            texts.get("ticket-go-button", &[]),
                            channel_link(guild_id, channel),
                        )]);
                    }
                    if let Err(error) = this.discord.edit_reply(&handle, &message).await {
                        tracing::warn!(%error, "could not tell the opener about the limit");
                    }
                    return;
                }
                Ok(Reservation::GuildFull) => {
                    let message = OutMessage::text(texts.get("ticket-guild-full", &[]));
                    if let Err(error) = this.discord.edit_reply(&handle, &message).await {
                        tracing::warn!(%error, "could not tell the opener about the guild's cap");
                    }
                    return;
                }
                Ok(Reservation::CoolingDown(until)) => {
                    let when = format!("<t:{}:R>", until.timestamp());
                    let message =
                        OutMessage::text(texts.get("ticket-cooldown", &[("when", &when)]));
                    if let Err(error) = this.discord.edit_reply(&handle, &message).await {
                        tracing::warn!(%error, "could not tell the opener about the cooldown");
                    }
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "reserving a ticket failed");
                    let message = OutMessage::text(texts.get("discord-error", &[]));
                    if let Err(error) = this.discord.edit_reply(&handle, &message).await {
                        tracing::warn!(%error, "could not tell the opener about the failure");
                    }
                    return;
                }
            };
            let mut opened = false;
            let answer = match this.create_ticket_channel(&guild, &ticket).await {
                Ok(channel) => {
                    opened = true;
                    this.log_event(guild.id, Some(ticket.id), Some(for_staff.unwrap_or(opener)), "ticket.opened", json!({"channel": channel.to_string(), "number": ticket.number, "type": ticket.type_id, "opened_for": for_staff.map(|_| opener.to_string())})).await;
                    let text = match for_staff {
                        None => {
                            texts.get("ticket-created", &[("channel", &format!("<#{channel}>"))])
                        }
                        Some(_) => texts.get(
                            "ticket-opened-for",
                            &[
                                ("channel", &format!("<#{channel}>")),
                                ("player", &format!("<@{opener}>")),
                            ],
                        ),
                    };
                    OutMessage::text(text).row(vec![Component::link(
                        texts.get("ticket-go-button", &[]),
                        channel_link(guild.id, channel),
                    )])
                }
                Err(error) => {
                    tracing::error!(%error, guild = guild.id, "opening a ticket failed");
                    if let Err(error) = this.store.release_ticket(ticket.id).await {
                        tracing::error!(%error, "releasing a failed ticket");
                    }
                    if matches!(error, OpenError::CategoriesFull) {
                        let staff = OutMessage::text(texts.get(
                            "staff-categories-full",
                            &[("limit", &CATEGORY_LIMIT.to_string())],
                        ));
                        if let Err(error) =
                            this.discord.send_message(guild.log_channel, &staff).await
                        {
                            tracing::error!(%error, "could not tell staff that the categories are full");
                        }
                        OutMessage::text(texts.get("ticket-categories-full", &[]))
                    } else {
                        OutMessage::text(texts.get("discord-error", &[]))
                    }
                }
            };
            if let Err(error) = this.discord.edit_reply(&handle, &answer).await {
                tracing::warn!(%error, "could not tell the opener about their ticket");
            }
            if opened {
                // Plugins hear of it once the opener has their link.
                if let Ok(Some(ticket)) = this.store.ticket(ticket.id).await {
                    this.plugins_after_open(&guild, &ticket).await;
                }
            }
        })
    }

    /// Staff open a ticket for `player` (from `/ticket open` or the member's context menu), of
    /// `type_id` or the guild's first type: the player's own limit and cooldown do not apply
    /// (the guild's cap does), and the welcome pings the player.
    pub(super) async fn open_for_player(
        self: &Arc<Self>,
        interaction: &Interaction,
        player: u64,
        type_id: Option<&str>,
    ) -> Handled {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Handled::Reply(Reply::private(texts.get("guild-not-configured", &[])));
        };
        if !guild.is_staff(&interaction.user.roles) {
            return Handled::Reply(Reply::private(texts.get("not-staff", &[])));
        }
        let kind = match type_id {
            Some(id) => guild.ticket_type(id),
            None => guild.ticket_types.first(),
        };
        let Some(kind) = kind else {
            return Handled::Reply(Reply::private(texts.get("ticket-type-unknown", &[])));
        };
        match self.discord.member_roles(guild.id, player).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Handled::Reply(Reply::private(texts.get(
                    "open-for-not-member",
                    &[("player", &format!("<@{player}>"))],
                )))
            }
            Err(error) => {
                tracing::warn!(%error, "checking a member failed");
                return Handled::Reply(Reply::private(texts.get("discord-error", &[])));
            }
        }
        let key = (guild.id, player);
        if !self.opening.lock().expect("opening lock").insert(key) {
            return Handled::Reply(Reply::private(texts.get("ticket-already-opening", &[])));
        }
        let guard = InFlight {
            tickets: self.clone(),
            key,
        };
        self.saw_staff(guild.id, interaction.user.id).await;
        let new = NewTicket {
            guild_id: guild.id,
            type_id: kind.id.clone(),
            opener_id: player,
            transcript_token: String::new(),
            limit: u32::MAX,
            guild_limit: guild.max_open_tickets,
            cooldown: None,
            answers: Vec::new(),
        };
        let after = self.reserve_and_open(
            new,
            interaction.handle.clone(),
            guard,
            Some(interaction.user.id),
        );
        Handled::Then(Reply::Defer { ephemeral: true }, after)
    }

    /// Creates the channel of a reserved ticket, posts its welcome and marks it open.
    async fn create_ticket_channel(
        &self,
        guild: &GuildConfig,
        ticket: &TicketRecord,
    ) -> Result<u64, OpenError> {
        let kind = guild.ticket_type(&ticket.type_id);
        let first = kind
            .and_then(|t| t.category)
            .unwrap_or(guild.ticket_category);
        let mut candidates = vec![first];
        candidates.extend(
            guild
                .overflow_categories
                .iter()
                .copied()
                .filter(|c| *c != first),
        );
        let channels = self.discord.guild_channels(guild.id).await?;
        let category = candidates
            .into_iter()
            .find(|c| channels.iter().filter(|ch| ch.parent == Some(*c)).count() < CATEGORY_LIMIT)
            .ok_or(OpenError::CategoriesFull)?;
        let mut name = channel_name(&guild.channel_name, ticket.number, &ticket.type_id);
        while channels.iter().any(|c| c.name == name) {
            name = channel_name(&guild.channel_name, ticket.number, &ticket.type_id);
            if !guild.channel_name.contains("{code}") {
                name = format!("{name}-{}", random_code(3));
            }
        }

        let overwrites = self
            .ticket_overwrites(
                guild,
                &ticket.type_id,
                ticket.opener_id,
                &[],
                category,
                None,
            )
            .await?;
        let topic = channel_topic(ticket);
        let channel = self
            .discord
            .create_text_channel(guild.id, &name, category, &topic, &overwrites)
            .await?;
        let welcome = self.welcome_message(guild, ticket);
        let welcome_id = match self.discord.send_message(channel, &welcome).await {
            Ok(id) => Some(id),
            Err(error) => {
                tracing::error!(%error, channel, "could not post the welcome message");
                None
            }
        };
        self.store
            .ticket_opened(ticket.id, channel, welcome_id)
            .await?;
        crate::metrics::METRICS.ticket_opened();
        Ok(channel)
    }
    /// A ticket channel's overwrites in `category`: the category's, with @everyone denied, the
    /// opener and `members` as participants, the staff roles (of the guild and the ticket's
    /// type) as the claim mode says for `claimed_by`, and the bot. Used at open and when a
    /// ticket moves to another category.
    pub(super) async fn ticket_overwrites(
        &self,
        guild: &GuildConfig,
        type_id: &str,
        opener: u64,
        members: &[u64],
        category: u64,
        claimed_by: Option<u64>,
    ) -> Result<Vec<Overwrite>, DiscordError> {
        let mut overwrites = self.discord.overwrites(category).await?;
        // Private whatever the category says: @everyone (the role with the guild's id) is denied.
        match overwrites
            .iter_mut()
            .find(|o| o.target == OverwriteTarget::Role(guild.id))
        {
            Some(everyone) => {
                everyone.deny |= permissions::VIEW_CHANNEL;
                everyone.allow &= !permissions::VIEW_CHANNEL;
            }
            None => overwrites.push(Overwrite {
                target: OverwriteTarget::Role(guild.id),
                allow: 0,
                deny: permissions::VIEW_CHANNEL,
            }),
        }
        for user in std::iter::once(&opener).chain(members) {
            grant(
                &mut overwrites,
                OverwriteTarget::Member(*user),
                permissions::PARTICIPANT,
            );
        }
        for claim in claim_overwrites(guild, type_id, claimed_by) {
            match overwrites.iter_mut().find(|o| o.target == claim.target) {
                Some(existing) => {
                    existing.allow = (existing.allow & !claim.deny) | claim.allow;
                    existing.deny = (existing.deny & !claim.allow) | claim.deny;
                }
                None => overwrites.push(claim),
            }
        }
        if let Some(bot) = self.bot_user.get().copied() {
            grant(
                &mut overwrites,
                OverwriteTarget::Member(bot),
                permissions::PARTICIPANT | permissions::EMBED_LINKS,
            );
        }
        Ok(overwrites)
    }
}

/// The overwrites of a ticket's staff roles and claimer for the guild's claim mode: staff
/// participate while it is unclaimed (and always in the `label` mode); once claimed, in the
/// `exclusive` mode other staff read without writing, in the `hidden` mode they do not see it,
/// and the claimer participates through an overwrite of their own.
pub(super) fn claim_overwrites(
    guild: &GuildConfig,
    type_id: &str,
    claimed_by: Option<u64>,
) -> Vec<Overwrite> {
    use crate::config::ClaimMode;
    let mode = guild.claim_mode_for(type_id);
    let (allow, deny) = match (mode, claimed_by) {
        (ClaimMode::Exclusive, Some(_)) => (
            permissions::VIEW_CHANNEL | permissions::READ_MESSAGE_HISTORY,
            permissions::SEND_MESSAGES | permissions::ATTACH_FILES,
        ),
        (ClaimMode::Hidden, Some(_)) => (0, permissions::VIEW_CHANNEL),
        _ => (permissions::PARTICIPANT, 0),
    };
    let mut overwrites: Vec<Overwrite> = guild
        .staff_roles_for(type_id)
        .into_iter()
        .map(|role| Overwrite {
            target: OverwriteTarget::Role(role),
            allow,
            deny,
        })
        .collect();
    if let (Some(claimer), false) = (claimed_by, mode == ClaimMode::Label) {
        overwrites.push(Overwrite {
            target: OverwriteTarget::Member(claimer),
            allow: permissions::PARTICIPANT,
            deny: 0,
        });
    }
    overwrites
}

/// The topic of `ticket`'s channel: it names the ticket, so a channel whose opening never
/// finished can be found again after a restart.
pub(super) fn channel_topic(ticket: &TicketRecord) -> String {
    format!(
        "#{} · {} · <@{}>",
        ticket.number, ticket.type_id, ticket.opener_id
    )
}
