//! A guild's own choices for its plugins, shared by the dashboard and `/plugins`: what each
//! available plugin is now (the stored choice, or the file's default), and a change checked,
//! applied live and recorded, or refused with every problem and nothing changed.

use std::collections::HashMap;

use crate::config::Config;
use crate::plugins::choices::Choice;
use crate::plugins::PluginHost;
use crate::store::Store;

/// `guild`'s current choice for each plugin the file makes available there.
pub async fn current(store: &Store, plugins: &PluginHost, guild: u64) -> HashMap<String, Choice> {
    let mut out: HashMap<String, Choice> = plugins
        .entries(guild)
        .iter()
        .map(|(entry, _)| (entry.id.clone(), Choice::default_of(entry)))
        .collect();
    let stored = match store.guild_choices(guild).await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::warn!(%error, guild, "reading the guild's plugin choices");
            Vec::new()
        }
    };
    for choice in stored.iter().filter_map(|s| Choice::from_stored(s).ok()) {
        if out.contains_key(&choice.plugin) {
            out.insert(choice.plugin.clone(), choice);
        }
    }
    out
}

/// Applies `choice` in `guild` live and records it as `actor`'s change; every problem when it
/// is refused (then nothing changed).
pub async fn change(
    store: &Store,
    plugins: &PluginHost,
    guild: u64,
    actor: u64,
    choice: &Choice,
) -> Result<(), Vec<String>> {
    let before = current(store, plugins, guild).await.remove(&choice.plugin);
    plugins.apply(guild, choice)?;
    if let Err(error) = store.record_choice(guild, actor, choice.to_stored()).await {
        tracing::error!(%error, guild, "recording a guild's plugin choice");
        // Not kept, so not applied either: back to what it was.
        if let Some(before) = before {
            let _ = plugins.apply(guild, &before);
        }
        return Err(vec!["the change could not be saved; nothing changed".into()]);
    }
    tracing::info!(guild, actor, plugin = %choice.plugin, enabled = choice.enabled, "a guild changed a plugin");
    Ok(())
}

/// Adds every guild's uploaded plugins and applies its stored choices (made from the
/// dashboard or `/plugins`) over the file's defaults; a choice the file no longer allows is
/// logged and the file's default stays.
pub async fn apply_stored(config: &Config, store: &Store, plugins: &PluginHost) {
    let cache = crate::plugins::ComponentCache::new(Some(config.plugin_cache.clone()));
    for guild in &config.guilds {
        // The guild's own uploads first, so its choices can name them.
        if let Some(ceiling) = &guild.uploads {
            for upload in store.guild_uploads(guild.id).await.unwrap_or_else(|error| {
                tracing::error!(%error, guild = guild.id, "reading the guild's uploaded plugins");
                Vec::new()
            }) {
                if let Err(problems) = plugins.add_upload(guild.id, &upload.bytes, &cache, ceiling)
                {
                    tracing::warn!(guild = guild.id, plugin = %upload.plugin, problems = %problems.join("; "), "an uploaded plugin no longer loads");
                }
            }
        }
        let stored = match store.guild_choices(guild.id).await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(%error, guild = guild.id, "reading the guild's plugin choices");
                continue;
            }
        };
        for stored in stored {
            let applied = crate::plugins::choices::Choice::from_stored(&stored)
                .map_err(|e| vec![e])
                .and_then(|choice| plugins.apply(guild.id, &choice));
            if let Err(problems) = applied {
                tracing::warn!(guild = guild.id, plugin = %stored.plugin, problems = %problems.join("; "), "a guild's plugin choice no longer fits the config; the file's default applies");
            }
        }
    }
}
