//! A plugin's failure: logged, reported in the guild's log channel and counted, so a plugin
//! that keeps failing is switched off in that guild. The host's own failures (a slow database
//! or Discord) are logged but never counted against the plugin.

use serde_json::json;

use crate::plugins::{GuildPlugin, PluginError, FAILURES_TO_DISABLE};
use crate::tickets::Tickets;
use crate::ui::{self, OutMessage};

impl Tickets {
    /// Reports a plugin failure in the guild's log channel and counts it.
    pub(super) async fn plugin_failed(
        &self,
        guild: u64,
        plugin: &GuildPlugin,
        error: &PluginError,
    ) {
        let id = plugin.id();
        tracing::warn!(guild, plugin = id, %error, "plugin event failed");
        if error.is_host_failure() {
            self.log_event(
                guild,
                None,
                None,
                "plugin.host_failed",
                json!({"plugin": id, "error": error.to_string()}),
            )
            .await;
            return;
        }
        let disabled = self.plugins.record(guild, id, true);
        let Some(config) = self.guild(guild) else {
            return;
        };
        let texts = self.texts(Some(guild));
        let name = format!("{} ({id})", plugin.name());
        let mut text = texts.get(
            "plugin-failed-log",
            &[("plugin", &name), ("error", &error.reason())],
        );
        if disabled {
            text.push('\n');
            text.push_str(&texts.get(
                "plugin-disabled-log",
                &[
                    ("plugin", &name),
                    ("count", &FAILURES_TO_DISABLE.to_string()),
                ],
            ));
        }
        let message = OutMessage::embed(
            ui::Embed::new(texts.get("plugin-failed-title", &[]), text).color(0xE03131),
        );
        if let Err(error) = self
            .discord
            .send_message(config.log_channel, &message)
            .await
        {
            tracing::warn!(%error, guild, "could not report a plugin failure in the log channel");
        }
        self.log_event(
            guild,
            None,
            None,
            "plugin.failed",
            json!({"plugin": id, "error": error.to_string(), "disabled": disabled}),
        )
        .await;
    }
}
