//! A guild's own choices for its plugins, shared by the dashboard and `/plugins`: what each
//! available plugin is now (the stored choice, or the file's default), and a change checked,
//! applied live and recorded, or refused with every problem and nothing changed.

use std::collections::HashMap;
use std::sync::Arc;

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
    plugins: &Arc<PluginHost>,
    guild: u64,
    actor: u64,
    choice: &Choice,
) -> Result<(), Vec<String>> {
    let _one_at_a_time = plugins.choosing().await;
    let before = current(store, plugins, guild).await.remove(&choice.plugin);
    apply(plugins, guild, choice.clone(), true).await?;
    if let Err(error) = store.record_choice(guild, actor, choice.to_stored()).await {
        tracing::error!(%error, guild, "recording a guild's plugin choice");
        // Not kept, so not applied either: back to what it was.
        if let Some(before) = before {
            let _ = apply(plugins, guild, before, true).await;
        }
        return Err(vec!["the change could not be saved; nothing changed".into()]);
    }
    tracing::info!(guild, actor, plugin = %choice.plugin, enabled = choice.enabled, "a guild changed a plugin");
    Ok(())
}

/// Adds every guild's uploaded plugins and applies its stored choices (made from the
/// dashboard or `/plugins`) over the file's defaults; a choice the file no longer allows is
/// logged and the file's default stays.
pub async fn apply_stored(config: &Config, store: &Store, plugins: &Arc<PluginHost>) {
    for guild in &config.guilds {
        apply_stored_guild(config, store, plugins, guild.id, true).await;
    }
}

/// [`apply_stored`] for one guild. `refresh`: whether open tickets' buttons follow; not when
/// another process on the same database recorded the change (it refreshed them).
pub async fn apply_stored_guild(
    config: &Config,
    store: &Store,
    plugins: &Arc<PluginHost>,
    guild: u64,
    refresh: bool,
) {
    let _one_at_a_time = plugins.choosing().await;
    let cache = Arc::new(crate::plugins::ComponentCache::new(Some(
        config.plugin_cache.clone(),
    )));
    if let Some(guild) = config.guild(guild) {
        // The guild's own uploads first, so its choices can name them.
        if let Some(ceiling) = &guild.uploads {
            for upload in store.guild_uploads(guild.id).await.unwrap_or_else(|error| {
                tracing::error!(%error, guild = guild.id, "reading the guild's uploaded plugins");
                Vec::new()
            }) {
                if plugins.has_upload(guild.id, &upload.plugin, &upload.hash) {
                    // Loaded already: adding it again would turn it off until its choice is
                    // applied again.
                    continue;
                }
                let plugin = upload.plugin.clone();
                let (host, cache, ceiling, id) =
                    (plugins.clone(), cache.clone(), ceiling.clone(), guild.id);
                // Compiling takes a while: off the async workers.
                let added = tokio::task::spawn_blocking(move || {
                    host.add_upload(id, &upload.bytes, &cache, &ceiling)
                })
                .await
                .unwrap_or_else(|e| Err(vec![format!("checking the component failed: {e}")]));
                if let Err(problems) = added {
                    tracing::warn!(guild = guild.id, plugin = %plugin, problems = %problems.join("; "), "an uploaded plugin no longer loads");
                }
            }
        }
        let stored = match store.guild_choices(guild.id).await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(%error, guild = guild.id, "reading the guild's plugin choices");
                return;
            }
        };
        for stored in stored {
            let applied = match Choice::from_stored(&stored) {
                Ok(choice) => apply(plugins, guild.id, choice, refresh).await,
                Err(e) => Err(vec![e]),
            };
            if let Err(problems) = applied {
                tracing::warn!(guild = guild.id, plugin = %stored.plugin, problems = %problems.join("; "), "a guild's plugin choice no longer fits the config; the file's default applies");
            }
        }
    }
}

/// `PluginHost::apply` (`refresh`) or `adopt` (another process recorded it and refreshed
/// what Discord shows), off the async workers (it asks the plugin to check its settings).
async fn apply(
    plugins: &Arc<PluginHost>,
    guild: u64,
    choice: Choice,
    refresh: bool,
) -> Result<(), Vec<String>> {
    let plugins = plugins.clone();
    tokio::task::spawn_blocking(move || match refresh {
        true => plugins.apply(guild, &choice),
        false => plugins.adopt(guild, &choice),
    })
    .await
    .unwrap_or_else(|e| Err(vec![format!("checking the choice failed: {e}")]))
}
