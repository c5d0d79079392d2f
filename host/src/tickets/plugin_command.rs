//! `/plugins list|enable|disable`: quick self-service in Discord for members who manage the
//! server (as the bot sees them), answered privately, with the dashboard's checks and history.

use super::commands::{localized_for_key, subcommand};
use super::Tickets;
use crate::config::GuildConfig;
use crate::event::Interaction;
use crate::rest::{CommandSpec, OptionKind, OptionSpec};
use crate::ui::Reply;

/// The command's name.
pub const PLUGINS_COMMAND: &str = "plugins";

impl Tickets {
    /// `/plugins list|enable|disable plugin:<id>`, the plugin chosen among those available.
    pub(super) fn plugins_spec(&self, guild: &GuildConfig) -> CommandSpec {
        let texts = self.texts(Some(guild.id));
        let mut plugin = OptionSpec::new(
            "plugin",
            texts.get("plugins-option-plugin", &[]),
            OptionKind::Text,
            true,
        );
        plugin.choices = self
            .plugins
            .entries(guild.id)
            .iter()
            .take(25)
            .map(|(entry, instance)| {
                (
                    entry.id.clone(),
                    crate::plugins::contract::pick(&instance.manifest().name, guild.locale.tag())
                        .to_owned(),
                )
            })
            .collect();
        let sub = |name: &str, key: &str, options| subcommand(&texts, name, key, options);
        CommandSpec {
            name: PLUGINS_COMMAND.into(),
            on_user: false,
            description: texts.get("plugins-command-description", &[]),
            localized_descriptions: localized_for_key("plugins-command-description"),
            options: vec![
                sub("list", "plugins-list-description", Vec::new()),
                sub("enable", "plugins-enable-description", vec![plugin.clone()]),
                sub("disable", "plugins-disable-description", vec![plugin]),
            ],
        }
    }

    /// Answers `/plugins`.
    pub(super) async fn plugins_command(
        &self,
        interaction: &Interaction,
        subcommand: Option<&str>,
        options: &[(String, String)],
    ) -> Reply {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Reply::private(texts.get("guild-not-configured", &[]));
        };
        let user = interaction.user.id;
        match self.discord.member_manages_guild(guild.id, user).await {
            Ok(true) => {}
            Ok(false) => return Reply::private(texts.get("plugins-not-manager", &[])),
            Err(error) => {
                tracing::warn!(%error, "reading whether a member manages the guild");
                return Reply::private(texts.get("discord-error", &[]));
            }
        }
        let mut current = crate::self_service::current(&self.store, &self.plugins, guild.id).await;
        let locale = guild.locale.tag();
        let name_of = |id: &str| {
            self.plugins
                .entries(guild.id)
                .iter()
                .find(|(e, _)| e.id == id)
                .map(|(_, i)| crate::plugins::contract::pick(&i.manifest().name, locale).to_owned())
                .unwrap_or_else(|| id.to_owned())
        };
        let on = |enabled: bool| {
            texts.get(
                if enabled {
                    "plugins-state-on"
                } else {
                    "plugins-state-off"
                },
                &[],
            )
        };
        let enable = match subcommand {
            Some("enable") => true,
            Some("disable") => false,
            _ => {
                let mut lines: Vec<String> = self
                    .plugins
                    .entries(guild.id)
                    .iter()
                    .filter_map(|(entry, _)| {
                        let choice = current.get(&entry.id)?;
                        let granted: Vec<&str> =
                            choice.capabilities.iter().map(|c| c.name()).collect();
                        Some(format!(
                            "• {} (`{}`): {}{}",
                            name_of(&entry.id),
                            entry.id,
                            on(choice.enabled),
                            if granted.is_empty() {
                                String::new()
                            } else {
                                format!(" — {}", granted.join(", "))
                            }
                        ))
                    })
                    .collect();
                if lines.is_empty() {
                    lines.push(texts.get("plugins-none", &[]));
                }
                return Reply::private(lines.join("\n"));
            }
        };
        let id = options
            .iter()
            .find(|(n, _)| n == "plugin")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let Some(mut choice) = current.remove(&id) else {
            return Reply::private(texts.get("plugins-unknown", &[("plugin", &id)]));
        };
        choice.enabled = enable;
        match crate::self_service::change(&self.store, &self.plugins, guild.id, user, &choice).await
        {
            Ok(()) => Reply::private(texts.get(
                "plugins-changed",
                &[("plugin", &name_of(&id)), ("state", &on(enable))],
            )),
            Err(problems) => {
                Reply::private(texts.get("plugins-refused", &[("problems", &problems.join("\n"))]))
            }
        }
    }
}
