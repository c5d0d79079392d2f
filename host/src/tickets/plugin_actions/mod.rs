//! Plugin actions in the lifecycle, one job per file:
//!
//! - `interaction`: a click or form on a plugin's component, routed to its plugin with the
//!   ticket's context after the audience is checked; the answer, or an acknowledgement first
//!   for plugins that may wait on HTTP.
//! - `events`: events nobody clicked (voice, a ticket opened, closed, claimed, a message, a
//!   member who left, timers) delivered to the plugins subscribed to them.
//! - `context`: what a plugin is told about the guild, ticket and user.
//! - `effects`: performing checked effects, one function each.
//! - `convert`: a plugin's reply and messages as the core's UI types.
//! - `services`: the host's answers to a plugin's calls (storage, roles, HTTP).
//! - `failures`: reporting and counting a plugin's failures.
//! - `renames`: Discord's rename limit, answered before asking.

mod context;
mod convert;
mod effects;
mod events;
mod failures;
mod interaction;
mod renames;
mod services;

use std::sync::Arc;

use super::plugin_ids::{PluginCustomId, PluginIdKind};
use super::Tickets;
use crate::plugins::{GuildPlugin, HostServices};
use crate::ui::Component;

pub(super) use renames::RenameLog;

/// Who is in which voice channel, per (guild, user) (the gateway tells only changes).
pub(super) type VoiceMap = std::sync::Mutex<std::collections::HashMap<(u64, u64), u64>>;

impl Tickets {
    /// The host's answers to `plugin`'s calls during one event.
    fn services(&self, plugin: &GuildPlugin) -> Arc<dyn HostServices> {
        Arc::new(services::Services {
            store: self.store.clone(),
            discord: self.discord.clone(),
            runtime: tokio::runtime::Handle::current(),
            http_allow: plugin.http_allow.clone(),
        })
    }

    /// The buttons the guild's plugins add to a ticket's welcome message, labelled in the
    /// guild's language (or as the guild renamed them).
    pub(super) fn plugin_buttons(&self, guild: u64, ticket: i64) -> Vec<Component> {
        let mut buttons = Vec::new();
        for plugin in self.plugins.enabled(guild) {
            for button in &plugin.instance.manifest().buttons {
                let id = PluginCustomId {
                    plugin: plugin.id().to_owned(),
                    ticket,
                    kind: PluginIdKind::TicketButton,
                    suffix: button.id.clone(),
                };
                let Ok(custom_id) = id.render() else { continue };
                buttons.push(Component::Button {
                    custom_id,
                    label: plugin.label(button).chars().take(80).collect(),
                    emoji: button.emoji.clone(),
                    style: convert::style(button.style),
                    disabled: false,
                });
            }
        }
        buttons
    }
}
