//! The ticket lifecycle: the core of the bot, in its own types.
//!
//! [`Tickets`] receives [`Interaction`]s and [`ChatMessage`]s from the Discord edge, routes
//! components by [`router::CustomId`], keeps state in the [`Store`] and acts on Discord through
//! [`DiscordClient`]. The parts: `panel` (the panel and `!setup_tickets`), `router` (custom_ids).

mod panel;
pub mod router;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Config, GuildConfig};
use crate::discord::client::{CommandSpec, DiscordClient};
use crate::event::{ChatMessage, Interaction, InteractionKind};
use crate::locale::{texts_for, Texts};
use crate::store::Store;
use crate::ui::Reply;

pub use panel::SetupOutcome;
use router::CustomId;

/// The text command of the original bot.
pub const SETUP_TEXT_COMMAND: &str = "!setup_tickets";
/// The slash command doing the same.
pub const SETUP_SLASH_COMMAND: &str = "setup-tickets";

/// The lifecycle's state: config, texts per guild, the store and the way to Discord.
pub struct Tickets {
    config: Arc<Config>,
    store: Store,
    discord: DiscordClient,
    texts: HashMap<u64, Texts>,
    fallback_texts: Texts,
}

impl Tickets {
    /// Builds the lifecycle for `config`.
    pub fn new(config: Arc<Config>, store: Store, discord: DiscordClient) -> Self {
        let texts = config
            .guilds
            .iter()
            .map(|g| (g.id, texts_for(g.locale, &g.texts)))
            .collect();
        let fallback_texts = texts_for(config.locale, &Default::default());
        Self {
            config,
            store,
            discord,
            texts,
            fallback_texts,
        }
    }

    /// The guild's settings, if configured.
    pub fn guild(&self, id: u64) -> Option<&GuildConfig> {
        self.config.guild(id)
    }

    /// The texts to use in `guild` (the host's default language elsewhere).
    pub fn texts(&self, guild: Option<u64>) -> &Texts {
        guild
            .and_then(|g| self.texts.get(&g))
            .unwrap_or(&self.fallback_texts)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The slash commands to register in a configured guild.
    pub fn commands(&self, guild: &GuildConfig) -> Vec<CommandSpec> {
        let texts = self.texts(Some(guild.id));
        let mut localized = Vec::new();
        for locale in crate::locale::Locale::ALL {
            let catalogue = crate::locale::Catalogue::builtin(locale);
            localized.push((
                discord_locale(locale).to_owned(),
                catalogue.get("setup-command-description", &[]),
            ));
        }
        vec![CommandSpec {
            name: SETUP_SLASH_COMMAND.into(),
            description: texts.get("setup-command-description", &[]),
            localized_descriptions: localized,
        }]
    }

    /// At READY: registers the slash commands in every configured guild the bot is in, and warns
    /// about configured guilds it is not in (a wrong id, or the bot was never invited).
    pub async fn on_ready(&self, guilds: &[u64]) {
        for guild in &self.config.guilds {
            if !guilds.contains(&guild.id) {
                tracing::warn!(guild = guild.id, name = ?guild.name, "configured guild not joined: invite the bot or fix the id");
                continue;
            }
            if let Err(error) = self
                .discord
                .set_guild_commands(guild.id, &self.commands(guild))
                .await
            {
                tracing::error!(%error, guild = guild.id, "could not register slash commands");
            }
        }
        for guild in guilds {
            if self.guild(*guild).is_none() {
                tracing::info!(
                    guild,
                    "the bot is in a guild that is not configured; ignoring it"
                );
            }
        }
    }

    /// Handles a message posted where the bot can see it.
    pub async fn on_message(&self, message: ChatMessage) {
        if message.content.trim() == SETUP_TEXT_COMMAND {
            self.setup_from_message(&message).await;
        }
    }

    /// Handles an interaction; every one gets an answer, never Discord's "interaction failed".
    pub async fn on_interaction(&self, interaction: Interaction) {
        let reply = match &interaction.kind {
            InteractionKind::Command { name, .. } if name == SETUP_SLASH_COMMAND => {
                self.setup_from_command(&interaction).await
            }
            InteractionKind::Button { custom_id }
            | InteractionKind::Select { custom_id, .. }
            | InteractionKind::Modal { custom_id, .. } => match CustomId::parse(custom_id) {
                Ok(CustomId::OpenPanel) => self.open_panel(&interaction),
                Ok(CustomId::ChooseType) => Reply::private(
                    self.texts(interaction.guild_id)
                        .get("action-not-available", &[]),
                ),
                Err(unknown) => {
                    tracing::info!(custom_id = %unknown.0, "unknown component");
                    Reply::private(self.texts(interaction.guild_id).get("unknown-action", &[]))
                }
            },
            InteractionKind::Command { name, .. } => {
                tracing::info!(command = %name, "unknown command");
                Reply::private(self.texts(interaction.guild_id).get("unknown-action", &[]))
            }
        };
        if let Err(error) = self.discord.reply(&interaction.handle, reply).await {
            tracing::warn!(%error, interaction = interaction.handle.id, "could not answer an interaction");
        }
    }
}

/// Discord's name for a locale (Discord says `en-US`, not `en`).
fn discord_locale(locale: crate::locale::Locale) -> &'static str {
    match locale {
        crate::locale::Locale::PtBr => "pt-BR",
        crate::locale::Locale::En => "en-US",
    }
}
