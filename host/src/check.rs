//! `ticketbot check`: a config file and every plugin it enables, checked as the bot would load
//! them (the component, its imports, the guild's settings and grants), each finding placed at
//! the file, line and key it is about.

use std::path::Path;

use crate::config::{Config, DashboardSettings};
use crate::plugins::{ComponentCache, LoadProblem, PluginHost};

/// What a check found.
#[derive(Debug)]
pub struct CheckReport {
    /// What keeps the bot (or a plugin in a guild) from running as configured.
    pub problems: Vec<String>,
    /// What runs, but probably not as meant (a capability asked for and not granted).
    pub warnings: Vec<String>,
    /// What was checked, for the line a clean check prints.
    pub summary: String,
    /// What is on or off and why (the dashboard), printed after the findings.
    pub notes: Vec<String>,
}

impl CheckReport {
    /// Whether the file may be used as it is (warnings allowed).
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the config file at `path` and the plugins it enables. Writes nothing (no plugin
/// cache).
pub fn check(path: &Path) -> CheckReport {
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(error) => {
            return CheckReport {
                problems: error.problems.iter().map(|p| p.to_string()).collect(),
                warnings: Vec::new(),
                summary: path.display().to_string(),
                notes: Vec::new(),
            }
        }
    };
    let locate = |p: &LoadProblem| {
        (p.guild != 0)
            .then(|| {
                config.locate_plugin_problem(
                    path,
                    p.guild,
                    &p.plugin,
                    p.setting.as_deref(),
                    format!("plugin {}: {}", p.plugin, p.message),
                )
            })
            .flatten()
            .map_or_else(|| format!("{}: {p}", path.display()), |l| l.to_string())
    };
    let cache = ComponentCache::new(None);
    let mut layers = Vec::new();
    let (problems, mut warnings): (Vec<String>, Vec<String>) =
        match PluginHost::load(&config, &cache) {
            Ok((host, problems)) => {
                let warnings = host.warnings().iter().map(locate).collect();
                layers = guild_layers(&config, &host, &cache);
                (problems.iter().map(locate).collect(), warnings)
            }
            Err(error) => (
                vec![format!(
                    "{}: the plugin engine did not start: {error:#}",
                    path.display()
                )],
                Vec::new(),
            ),
        };
    let plugins: usize = config.guilds.iter().map(|g| g.plugins.len()).sum();
    let redirect = format!("{}/dashboard/callback", config.web.public_url);
    let notes = vec![match DashboardSettings::from_env() {
        Ok(_) => format!(
            "dashboard: on with `ticketbot run`, at {}/dashboard; the Discord application must list {redirect} as an OAuth2 redirect",
            config.web.public_url
        ),
        Err(missing) => format!(
            "dashboard: off ({missing}); to turn it on, set both from the Discord application's OAuth2 page and add {redirect} as its redirect"
        ),
    }];
    let mut notes = notes;
    for layer in layers {
        match layer {
            Layer::Note(note) => notes.push(note),
            Layer::Warning(warning) => warnings.push(warning),
        }
    }
    CheckReport {
        notes,
        problems,
        warnings,
        summary: format!(
            "{} guild(s), {plugins} plugin(s) enabled",
            config.guilds.len()
        ),
    }
}

/// A line of the second layer's report.
enum Layer {
    /// What runs and where it comes from.
    Note(String),
    /// A guild's own choice that no longer fits the file.
    Warning(String),
}

/// The guilds' own choices and uploads (the database's layer) over the file's: each plugin's
/// state and where it comes from, and the choices the file no longer allows. Reads a DuckDB
/// file only when it exists and no bot holds it (one process opens it); a PostgreSQL server
/// whenever it answers.
fn guild_layers(config: &Config, host: &PluginHost, cache: &ComponentCache) -> Vec<Layer> {
    use crate::plugins::choices::Choice;
    if matches!(&config.database, crate::store::Database::File(file) if !file.exists()) {
        return vec![Layer::Note(
            "guilds' own choices: none yet (no database); every plugin as config.toml says".into(),
        )];
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    runtime.block_on(async {
        let store = match crate::store::Store::connect(&config.database).await {
            Ok(store) => store,
            Err(error) if config.database.is_shared() => {
                return vec![Layer::Note(format!(
                    "guilds' own choices: not read ({error}); they are checked when the bot starts or reloads"
                ))]
            }
            Err(_) => {
                return vec![Layer::Note(
                    "guilds' own choices: the database is in use (the bot runs?); they are checked when it starts or reloads".into(),
                )]
            }
        };
        let mut out = server_layers(config, &store).await;
        for guild in &config.guilds {
            if let Some(ceiling) = &guild.uploads {
                let uploads = match store.guild_uploads(guild.id).await {
                    Ok(uploads) => uploads,
                    Err(error) => {
                        out.push(Layer::Warning(format!(
                            "guild {}: its uploaded plugins cannot be read: {error}",
                            guild.id
                        )));
                        Vec::new()
                    }
                };
                for upload in uploads {
                    if let Err(problems) = host.add_upload(guild.id, &upload.bytes, cache, ceiling) {
                        out.push(Layer::Warning(format!(
                            "guild {} uploaded plugin {}: no longer loads: {}",
                            guild.id,
                            upload.plugin,
                            problems.join("; ")
                        )));
                    }
                }
            }
            let stored = match store.guild_choices(guild.id).await {
                Ok(stored) => stored,
                Err(error) => {
                    out.push(Layer::Warning(format!(
                        "guild {}: its own choices cannot be read: {error}",
                        guild.id
                    )));
                    Vec::new()
                }
            };
            let mut chosen = std::collections::HashSet::new();
            for stored in &stored {
                let applied = Choice::from_stored(stored)
                    .map_err(|e| vec![e])
                    .and_then(|choice| host.apply(guild.id, &choice));
                match applied {
                    Ok(()) => {
                        chosen.insert(stored.plugin.clone());
                    }
                    Err(problems) => out.push(Layer::Warning(format!(
                        "guild {} plugin {}: the guild's own choice no longer fits config.toml ({}); the file's default applies",
                        guild.id,
                        stored.plugin,
                        problems.join("; ")
                    ))),
                }
            }
            for (entry, _) in host.entries(guild.id) {
                let on = host.enabled(guild.id).iter().any(|p| p.id() == entry.id);
                let granted = host
                    .configured(guild.id, &entry.id)
                    .map(|p| p.granted.iter().map(|c| c.name()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                let source = if chosen.contains(&entry.id) {
                    "the guild's own choice"
                } else if matches!(entry.source, crate::config::PluginSource::Uploaded(_)) {
                    "uploaded by the guild, never turned on"
                } else {
                    "config.toml"
                };
                out.push(Layer::Note(format!(
                    "guild {} plugin {}: {}{} ({source})",
                    guild.id,
                    entry.id,
                    if on { "on" } else { "off" },
                    if on && !granted.is_empty() {
                        format!(", granted {granted}")
                    } else {
                        String::new()
                    }
                )));
            }
        }
        store.close().await;
        out
    })
}

/// The guilds' own server settings (ticket types, texts, staff roles, channels) over the
/// file's: which keys each guild set itself, and the settings the file no longer admits.
async fn server_layers(config: &Config, store: &crate::store::Store) -> Vec<Layer> {
    let layers = match crate::guild_settings::stored_layers(store).await {
        Ok(layers) => layers,
        Err(error) => {
            return vec![Layer::Warning(format!(
                "the guilds' own server settings cannot be read: {error}"
            ))]
        }
    };
    let (_, refused) = config.with_layers_that_fit(&layers);
    let mut out = Vec::new();
    for guild in &config.guilds {
        match (layers.get(&guild.id), refused.by_guild.get(&guild.id)) {
            (Some(_), Some(problems)) => out.push(Layer::Warning(format!(
                "guild {}: its own server settings no longer fit config.toml ({}); the file's values apply there",
                guild.id,
                problems.join("; ")
            ))),
            (Some(layer), None) => out.push(Layer::Note(format!(
                "guild {} settings: {} (the guild's own, from the dashboard); everything else from config.toml",
                guild.id,
                layer.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
            (None, _) => out.push(Layer::Note(format!(
                "guild {} settings: all from config.toml",
                guild.id
            ))),
        }
    }
    out.extend(refused.other.into_iter().map(Layer::Warning));
    out
}
