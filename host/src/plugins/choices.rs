//! A guild's own choices for a plugin (on or off, grants, settings), checked against the
//! operator's ceiling in `config.toml` (the plugin's `[[guild.plugin]]` entry: whether it is
//! available at all, and the most it may be granted) and then exactly as the file is checked
//! (the same schema, the same messages).

use std::sync::Arc;

use crate::capability::Capability;
use crate::config::PluginConfig;
use crate::store::StoredChoice;

use super::{enable, GuildPlugin, PluginInstance};

/// What a guild chose for one plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The plugin's id.
    pub plugin: String,
    /// On or off.
    pub enabled: bool,
    /// What the guild grants it.
    pub capabilities: Vec<Capability>,
    /// Its settings, as `[guild.plugin.settings]`.
    pub settings: toml::Table,
}

impl Choice {
    /// The config file's choice for `entry` (its default).
    pub fn default_of(entry: &PluginConfig) -> Self {
        Self {
            plugin: entry.id.clone(),
            enabled: entry.enabled,
            capabilities: entry.capabilities.clone(),
            settings: entry.settings.clone(),
        }
    }

    /// A stored choice, or what is wrong with it.
    pub fn from_stored(stored: &StoredChoice) -> Result<Self, String> {
        let mut capabilities = Vec::new();
        for name in &stored.capabilities {
            capabilities.push(
                Capability::parse(name).ok_or_else(|| format!("unknown capability {name:?}"))?,
            );
        }
        let settings = stored
            .settings
            .parse::<toml::Table>()
            .map_err(|e| format!("its settings are not TOML: {e}"))?;
        Ok(Self {
            plugin: stored.plugin.clone(),
            enabled: stored.enabled,
            capabilities,
            settings,
        })
    }

    /// As stored.
    pub fn to_stored(&self) -> StoredChoice {
        StoredChoice {
            plugin: self.plugin.clone(),
            enabled: self.enabled,
            capabilities: self
                .capabilities
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            settings: toml::to_string(&self.settings).unwrap_or_default(),
        }
    }
}

/// Checks `choice` against `entry` (the ceiling) and the plugin's schema; the plugin as the
/// guild will run it when it is on (`None` when it is off), or every problem, in the words
/// `ticketbot check` uses.
pub fn check(
    entry: &PluginConfig,
    instance: Arc<PluginInstance>,
    choice: &Choice,
    locale: &str,
) -> Result<Option<GuildPlugin>, Vec<String>> {
    let mut problems: Vec<String> = choice
        .capabilities
        .iter()
        .filter(|c| !entry.capabilities.contains(c))
        .map(|c| {
            format!(
                "capability {:?} is beyond what the operator allows this plugin here (at most: {})",
                c.name(),
                if entry.capabilities.is_empty() {
                    "nothing".to_owned()
                } else {
                    entry
                        .capabilities
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        })
        .collect();
    let config = PluginConfig {
        capabilities: choice.capabilities.clone(),
        settings: choice.settings.clone(),
        enabled: true,
        ..entry.clone()
    };
    match enable(instance, &config, locale) {
        Ok((plugin, _warnings)) if problems.is_empty() => Ok(choice.enabled.then_some(plugin)),
        Ok(_) => Err(problems),
        Err(found) => {
            problems.extend(found.into_iter().map(|p| p.message));
            Err(problems)
        }
    }
}

/// What a capability allows, in one line, for the people who grant it.
pub fn explain(capability: Capability) -> &'static str {
    match capability {
        Capability::Dm => "send direct messages to the ticket's opener and members",
        Capability::PostMessages => {
            "post in the log channel and the channels its settings name, and edit its own posts"
        }
        Capability::RenameChannel => "rename the ticket's channel",
        Capability::MoveChannel => "move the ticket's channel to another ticket category",
        Capability::VoiceChannels => "create and delete a voice channel for the ticket",
        Capability::Notes => "add staff notes to tickets",
        Capability::Timers => "schedule timers that survive restarts",
        Capability::Storage => "keep its own data (per guild)",
        Capability::ReadMembers => "read members' roles",
        Capability::ReadMessages => "read the messages posted in tickets",
        Capability::CloseTickets => "close tickets, or ask their openers to confirm a close",
        Capability::ManageMembers => "add and remove ticket members",
        Capability::TicketStatus => "set the ticket's status label",
        Capability::MentionUsers => "ping users other than the ticket's own people",
        Capability::Http => "call the web hosts on the guild's allow-list",
        Capability::Feedback => "record the opener's rating of their ticket",
    }
}
