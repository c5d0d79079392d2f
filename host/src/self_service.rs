//! A guild's own choices for its plugins, shared by the dashboard and `/plugins`: what each
//! available plugin is now (the stored choice, or the file's default), and a change checked,
//! applied live and recorded, or refused with every problem and nothing changed.

use std::collections::HashMap;

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
