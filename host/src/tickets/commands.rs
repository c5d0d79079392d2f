//! The slash commands: what is registered in each guild (`/setup-tickets`, `/transcript`,
//! `/stats`, described in every language), and the staff commands' answers.

use super::Tickets;
use crate::config::GuildConfig;
use crate::event::Interaction;
use crate::rest::{CommandSpec, OptionKind, OptionSpec};
use crate::ui::Reply;

/// The text command of the original bot.
pub const SETUP_TEXT_COMMAND: &str = "!setup_tickets";
/// The slash command doing the same.
pub const SETUP_SLASH_COMMAND: &str = "setup-tickets";
/// The staff command that finds past tickets' transcripts.
pub const TRANSCRIPT_COMMAND: &str = "transcript";
/// The staff command that shows the guild's statistics.
pub const STATS_COMMAND: &str = "stats";

impl Tickets {
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
        let localized_for = |key: &str| -> Vec<(String, String)> {
            crate::locale::Locale::ALL
                .into_iter()
                .map(|locale| {
                    let catalogue = crate::locale::Catalogue::builtin(locale);
                    (discord_locale(locale).to_owned(), catalogue.get(key, &[]))
                })
                .collect()
        };
        let transcript_localized = localized_for("transcript-command-description");
        vec![
            CommandSpec {
                name: SETUP_SLASH_COMMAND.into(),
                on_user: false,
                description: texts.get("setup-command-description", &[]),
                localized_descriptions: localized,
                options: Vec::new(),
            },
            CommandSpec {
                name: TRANSCRIPT_COMMAND.into(),
                on_user: false,
                description: texts.get("transcript-command-description", &[]),
                localized_descriptions: transcript_localized,
                options: vec![
                    OptionSpec::new(
                        "number",
                        texts.get("transcript-option-number", &[]),
                        OptionKind::Integer,
                        false,
                    ),
                    OptionSpec::new(
                        "user",
                        texts.get("transcript-option-user", &[]),
                        OptionKind::User,
                        false,
                    ),
                ],
            },
            CommandSpec {
                name: STATS_COMMAND.into(),
                on_user: false,
                description: texts.get("stats-command-description", &[]),
                localized_descriptions: localized_for("stats-command-description"),
                options: Vec::new(),
            },
        ]
    }

    /// `/stats`: the guild's figures, for staff.
    pub(super) async fn show_stats(&self, interaction: &Interaction) -> Reply {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Reply::private(texts.get("guild-not-configured", &[]));
        };
        if !guild.is_staff(&interaction.user.roles) {
            return Reply::private(texts.get("not-staff", &[]));
        }
        let name = match &guild.name {
            Some(name) => Some(name.clone()),
            None => self.discord.guild_name(guild.id).await.ok(),
        };
        match crate::stats::report(&self.store, guild.id, name).await {
            Ok(report) => {
                let text: String = crate::stats::to_text(&report).chars().take(1990).collect();
                Reply::private(text)
            }
            Err(error) => {
                tracing::error!(%error, "computing statistics failed");
                Reply::private(texts.get("discord-error", &[]))
            }
        }
    }

    /// `/transcript`: staff find past tickets' transcripts by number or by opener.
    pub(super) async fn find_transcripts(
        &self,
        interaction: &Interaction,
        options: &[(String, String)],
    ) -> Reply {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Reply::private(texts.get("guild-not-configured", &[]));
        };
        if !guild.is_staff(&interaction.user.roles) {
            return Reply::private(texts.get("not-staff", &[]));
        }
        let option = |name: &str| {
            options
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let number = option("number").and_then(|n| n.parse::<i32>().ok());
        let user = option("user").and_then(|u| u.parse::<u64>().ok());
        let found = match self.store.past_tickets(guild.id, number, user, 10).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "looking up past tickets failed");
                return Reply::private(texts.get("discord-error", &[]));
            }
        };
        if found.is_empty() {
            return Reply::private(texts.get("transcript-lookup-none", &[]));
        }
        let lines: Vec<String> = found
            .iter()
            .map(|t| {
                let label = guild
                    .ticket_type(&t.type_id)
                    .map_or(t.type_id.as_str(), |k| k.label.as_str());
                texts.get(
                    "transcript-lookup-line",
                    &[
                        ("number", &t.number.to_string()),
                        ("type", label),
                        ("opener", &format!("<@{}>", t.opener_id)),
                        (
                            "closed",
                            &t.closed_at
                                .map_or_else(|| "?".into(), |c| format!("<t:{}:d>", c.timestamp())),
                        ),
                        ("link", &self.transcript_url(&self.transcript_token(t))),
                    ],
                )
            })
            .collect();
        Reply::private(lines.join("\n"))
    }
}

/// Discord's name for a locale (Discord says `en-US`, not `en`).
fn discord_locale(locale: crate::locale::Locale) -> &'static str {
    match locale {
        crate::locale::Locale::PtBr => "pt-BR",
        crate::locale::Locale::En => "en-US",
    }
}
