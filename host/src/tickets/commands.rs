//! The slash commands: what is registered in each guild (`/setup-tickets`, `/transcript`,
//! `/stats`, `/blacklist`, `/ticket`, `/plugins`, described in every language), and the staff
//! commands' answers.

use serde_json::json;

use super::Tickets;
use crate::config::GuildConfig;
use crate::event::Interaction;
use crate::rest::{CommandSpec, OptionKind, OptionSpec};
use crate::store::{BlockEntry, BlockTarget};
use crate::ui::Reply;

/// The text command of the original bot.
pub const SETUP_TEXT_COMMAND: &str = "!setup_tickets";
/// The slash command doing the same.
pub const SETUP_SLASH_COMMAND: &str = "setup-tickets";
/// The staff command that finds past tickets' transcripts.
pub const TRANSCRIPT_COMMAND: &str = "transcript";
/// The staff command that shows the guild's statistics.
pub const STATS_COMMAND: &str = "stats";
/// The staff command that blocks users and roles from opening tickets.
pub const BLACKLIST_COMMAND: &str = "blacklist";
/// The staff command that opens a ticket for a player (`/ticket open`).
pub const TICKET_COMMAND: &str = "ticket";

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
            self.blacklist_spec(guild),
            self.ticket_spec(guild),
            self.plugins_spec(guild),
            // Right-click a member → Apps → "Open ticket".
            CommandSpec {
                name: self.open_for_menu(guild.id),
                on_user: true,
                description: String::new(),
                localized_descriptions: Vec::new(),
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

    /// The name of the member context-menu command that opens a ticket for them, in the guild's
    /// language.
    pub(super) fn open_for_menu(&self, guild: u64) -> String {
        self.texts(Some(guild)).get("open-for-menu", &[])
    }

    /// `/ticket open user: type:`.
    fn ticket_spec(&self, guild: &GuildConfig) -> CommandSpec {
        let texts = self.texts(Some(guild.id));
        let mut kind = OptionSpec::new(
            "type",
            texts.get("open-for-option-type", &[]),
            OptionKind::Text,
            false,
        );
        kind.choices = guild
            .ticket_types
            .iter()
            .map(|t| (t.id.clone(), t.label.clone()))
            .collect();
        let open = OptionSpec {
            options: vec![
                OptionSpec::new(
                    "user",
                    texts.get("open-for-option-user", &[]),
                    OptionKind::User,
                    true,
                ),
                kind,
            ],
            ..OptionSpec::new(
                "open",
                texts.get("open-for-description", &[]),
                OptionKind::SubCommand,
                false,
            )
        };
        CommandSpec {
            name: TICKET_COMMAND.into(),
            on_user: false,
            description: texts.get("ticket-command-description", &[]),
            localized_descriptions: localized_for_key("ticket-command-description"),
            options: vec![open],
        }
    }

    /// `/blacklist add|remove|list`.
    fn blacklist_spec(&self, guild: &GuildConfig) -> CommandSpec {
        let texts = self.texts(Some(guild.id));
        let target_options = |with_reason: bool| {
            let mut options = vec![
                OptionSpec::new(
                    "user",
                    texts.get("blacklist-option-user", &[]),
                    OptionKind::User,
                    false,
                ),
                OptionSpec::new(
                    "role",
                    texts.get("blacklist-option-role", &[]),
                    OptionKind::Role,
                    false,
                ),
            ];
            if with_reason {
                options.push(OptionSpec::new(
                    "reason",
                    texts.get("blacklist-option-reason", &[]),
                    OptionKind::Text,
                    false,
                ));
            }
            options
        };
        let sub = |name: &str, key: &str, options| subcommand(&texts, name, key, options);
        CommandSpec {
            name: BLACKLIST_COMMAND.into(),
            on_user: false,
            description: texts.get("blacklist-command-description", &[]),
            localized_descriptions: localized_for_key("blacklist-command-description"),
            options: vec![
                sub("add", "blacklist-add-description", target_options(true)),
                sub(
                    "remove",
                    "blacklist-remove-description",
                    target_options(false),
                ),
                sub("list", "blacklist-list-description", Vec::new()),
            ],
        }
    }

    /// `/blacklist`: staff block or unblock a user or a role, or list the blocks.
    pub(super) async fn blacklist_command(
        &self,
        interaction: &Interaction,
        subcommand: Option<&str>,
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
        let id = |name: &str| option(name).and_then(|v| v.parse::<u64>().ok());
        let target = match (id("user"), id("role")) {
            (Some(user), None) => Some(BlockTarget::User(user)),
            (None, Some(role)) => Some(BlockTarget::Role(role)),
            _ => None,
        };
        let mention = |target: BlockTarget| match target {
            BlockTarget::User(id) => format!("<@{id}>"),
            BlockTarget::Role(id) => format!("<@&{id}>"),
        };
        let by = interaction.user.id;
        match (subcommand, target) {
            (Some("list"), _) => match self.store.blocks(guild.id).await {
                Ok(entries) if entries.is_empty() => {
                    Reply::private(texts.get("blacklist-empty", &[]))
                }
                Ok(entries) => {
                    let lines: Vec<String> = entries
                        .iter()
                        .map(|e: &BlockEntry| {
                            texts.get(
                                "blacklist-line",
                                &[
                                    ("target", &mention(e.target)),
                                    ("reason", e.reason.as_deref().unwrap_or("—")),
                                    ("by", &format!("<@{}>", e.by)),
                                    ("when", &format!("<t:{}:d>", e.at.timestamp())),
                                ],
                            )
                        })
                        .collect();
                    Reply::private(lines.join("\n"))
                }
                Err(error) => {
                    tracing::error!(%error, "reading the blacklist failed");
                    Reply::private(texts.get("discord-error", &[]))
                }
            },
            (Some("add"), Some(target)) => {
                let reason = option("reason")
                    .map(|r| r.trim().chars().take(300).collect::<String>())
                    .filter(|r| !r.is_empty());
                match self.store.block(guild.id, target, reason.clone(), by).await {
                    Ok(_) => {
                        self.log_event(
                            guild.id,
                            None,
                            Some(by),
                            "blacklist.added",
                            json!({"target": mention(target), "reason": reason}),
                        )
                        .await;
                        Reply::private(
                            texts.get("blacklist-added", &[("target", &mention(target))]),
                        )
                    }
                    Err(error) => {
                        tracing::error!(%error, "blocking failed");
                        Reply::private(texts.get("discord-error", &[]))
                    }
                }
            }
            (Some("remove"), Some(target)) => match self.store.unblock(guild.id, target).await {
                Ok(true) => {
                    self.log_event(
                        guild.id,
                        None,
                        Some(by),
                        "blacklist.removed",
                        json!({"target": mention(target)}),
                    )
                    .await;
                    Reply::private(texts.get("blacklist-removed", &[("target", &mention(target))]))
                }
                Ok(false) => Reply::private(
                    texts.get("blacklist-not-found", &[("target", &mention(target))]),
                ),
                Err(error) => {
                    tracing::error!(%error, "unblocking failed");
                    Reply::private(texts.get("discord-error", &[]))
                }
            },
            _ => Reply::private(texts.get("blacklist-one-target", &[])),
        }
    }

    /// The refusal for a user the guild blocked from opening tickets, if they are.
    pub(super) async fn blacklist_refusal(
        &self,
        guild: &GuildConfig,
        user: &crate::event::Actor,
    ) -> Option<String> {
        match self.store.blocked(guild.id, user.id, &user.roles).await {
            Ok(Some(entry)) => {
                let texts = self.texts(Some(guild.id));
                Some(match entry.reason {
                    Some(reason) => texts.get("blacklisted-reason", &[("reason", &reason)]),
                    None => texts.get("blacklisted", &[]),
                })
            }
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "reading the blacklist failed");
                None
            }
        }
    }
}

/// A text key's description in every locale, by Discord's locale names.
/// A subcommand described by text `key`, with `options`.
pub(super) fn subcommand(
    texts: &crate::locale::Texts,
    name: &str,
    key: &str,
    options: Vec<OptionSpec>,
) -> OptionSpec {
    OptionSpec {
        options,
        ..OptionSpec::new(name, texts.get(key, &[]), OptionKind::SubCommand, false)
    }
}

pub(super) fn localized_for_key(key: &str) -> Vec<(String, String)> {
    crate::locale::Locale::ALL
        .into_iter()
        .map(|locale| {
            let catalogue = crate::locale::Catalogue::builtin(locale);
            (discord_locale(locale).to_owned(), catalogue.get(key, &[]))
        })
        .collect()
}

/// Discord's name for a locale (Discord says `en-US`, not `en`).
fn discord_locale(locale: crate::locale::Locale) -> &'static str {
    match locale {
        crate::locale::Locale::PtBr => "pt-BR",
        crate::locale::Locale::En => "en-US",
    }
}
