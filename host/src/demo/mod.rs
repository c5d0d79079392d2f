//! `ticketbot demo`: the real bot against the built-in Discord emulator, no token needed.
//!
//! `world` builds a small FiveM community in the emulator and the config that serves it
//! ([`DemoWorld`]); `walk` walks through what staff and players do and prints each step; [`run`]
//! (here) starts both for the CLI.

mod walk;
mod world;

use walk::{say, STEP};
pub use world::{settings, DemoWorld, DEMO_ACTIONS, DEMO_PLUGINS};

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ticketbot_emulator::Emulator;

use crate::app::{self, Mode};
use crate::config::Config;

/// What the demo runs besides the built-ins, and whether it waits for Ctrl-C at the end.
#[derive(Clone, Debug, Default)]
pub struct DemoOptions {
    /// The guild's language: `pt-BR` or `en`.
    pub locale: String,
    /// Extra plugin components to enable (granted what they ask for) and try.
    pub plugins: Vec<std::path::PathBuf>,
    /// Settings for the extra plugins, as the inside of a TOML table.
    pub plugin_settings: Option<String>,
    /// Optional built-in actions to enable (see [`DEMO_ACTIONS`]).
    pub actions: Vec<String>,
    /// Keep the transcript server running until Ctrl-C after the walk-through.
    pub stay: bool,
}

/// Describes the component at `path` (its manifest), for enabling it in the demo.
fn describe_plugin(path: &Path) -> anyhow::Result<crate::plugins::Manifest> {
    let engine = crate::plugins::engine::build()?;
    let config = crate::config::PluginConfig {
        id: String::new(),
        source: crate::config::PluginSource::Path(path.to_owned()),
        enabled: true,
        capabilities: Vec::new(),
        http_allow: Vec::new(),
        settings: toml::Table::new(),
    };
    match crate::plugins::load_one(&engine, &crate::plugins::ComponentCache::new(None), &config) {
        Ok((instance, _)) => Ok(instance.manifest().clone()),
        Err(crate::plugins::PluginError::WrongId { found, .. }) => {
            // Loading under the empty id fails after describing: that is the manifest we want.
            let config = crate::config::PluginConfig {
                id: found,
                ..config
            };
            let (instance, _) = crate::plugins::load_one(
                &engine,
                &crate::plugins::ComponentCache::new(None),
                &config,
            )?;
            Ok(instance.manifest().clone())
        }
        Err(error) => Err(error.into()),
    }
}

/// The manifest of built-in plugin `id`.
fn builtin_manifest(id: &str) -> anyhow::Result<crate::plugins::Manifest> {
    let engine = crate::plugins::engine::build()?;
    let config = crate::config::PluginConfig {
        id: id.to_owned(),
        source: crate::config::PluginSource::Builtin(id.to_owned()),
        enabled: true,
        capabilities: Vec::new(),
        http_allow: Vec::new(),
        settings: toml::Table::new(),
    };
    let (instance, _) =
        crate::plugins::load_one(&engine, &crate::plugins::ComponentCache::new(None), &config)?;
    Ok(instance.manifest().clone())
}

/// Runs the walk-through with a database in `workdir`: a whole ticket from the panel to the
/// transcript, printing each step as it happens.
pub async fn run(workdir: &Path, options: &DemoOptions) -> anyhow::Result<()> {
    let emulator = Emulator::start().await?;
    say(&format!(
        "Discord emulator listening at {}",
        emulator.api_base()
    ));
    let mut world = DemoWorld::create(&emulator);
    world.close_delay_seconds = 3;
    let mut extra = Vec::new();
    for path in &options.plugins {
        let path =
            std::fs::canonicalize(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let manifest = describe_plugin(&path)?;
        let grants = manifest
            .capabilities
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        world.plugins.push(format!(
            "[[guild.plugin]]\nid = {:?}\npath = {:?}\ncapabilities = [{grants}]\nsettings = {{ {} }}\n",
            manifest.id,
            path.display().to_string(),
            options.plugin_settings.as_deref().unwrap_or("")
        ));
        say(&format!(
            "enabling plugin {} ({}) from {}, granted: {}",
            manifest.id,
            crate::plugins::contract::pick(&manifest.name, "en"),
            path.display(),
            if grants.is_empty() {
                "nothing".into()
            } else {
                grants
            }
        ));
        extra.push(manifest);
    }
    let mut actions = Vec::new();
    for id in &options.actions {
        world.enable_action(id).map_err(anyhow::Error::msg)?;
        actions.push(builtin_manifest(id)?);
        say(&format!("enabling the built-in action {id}"));
    }
    let database = workdir.join("ticketbot-demo.duckdb");
    // A fixed free port rather than `:0`, so the links in the DM and the log (built from the
    // config's `public_url`) point at the server that really runs.
    let listen: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let text = world.config_toml(&database, listen, &options.locale);
    let mut config = Config::parse(&database.with_file_name("demo-config.toml"), text)
        .map_err(|e| anyhow::anyhow!("the demo config is invalid:\n{e}"))?;
    // The dashboard signs in through the emulator's OAuth2, as it would through Discord's.
    let secret = format!("{:032x}", rand::random::<u128>());
    let client = emulator.oauth_client(
        &secret,
        &format!("{}/dashboard/callback", config.web.public_url),
    );
    config.web.dashboard = Some(crate::config::DashboardSettings {
        client_id: client.to_string(),
        client_secret: crate::config::Secret::new(secret),
    });
    // An author's plugin the guild cannot enable (settings its schema refuses) stops the demo
    // here, saying why, rather than after a walk without its button.
    if !extra.is_empty() {
        let cache = crate::plugins::ComponentCache::new(None);
        let (_, problems) = crate::plugins::PluginHost::load(&config, &cache)
            .map_err(|e| anyhow::anyhow!("the plugin engine did not start: {e}"))?;
        let ours: Vec<String> = problems
            .iter()
            .filter(|p| extra.iter().any(|m| m.id == p.plugin))
            .map(|p| format!("plugin {}: {}", p.plugin, p.message))
            .collect();
        if !ours.is_empty() {
            anyhow::bail!(
                "the demo cannot enable the plugin as given:\n  {}",
                ours.join("\n  ")
            );
        }
    }
    let stop = app::StopSignal::listen();
    let running = app::start(Arc::new(config), Mode::Full(settings(&emulator))).await?;
    let base = format!("http://{}", running.web_addr());
    say(&format!(
        "database {}, transcript server at {base}",
        database.display()
    ));
    let ready = tokio::time::timeout(STEP, running.ready())
        .await?
        .unwrap_or_else(|| unreachable!("bot mode"));
    say(&format!(
        "bot connected (READY), in {} guild(s)",
        ready.guilds.len()
    ));

    // The actions' buttons are pressed like those of the plugins under test.
    extra.extend(actions);
    let walked = walk::walk(&emulator, &world, &extra, &options.actions, &base).await;
    let problems = emulator.model_errors();
    if let Ok(link) = &walked {
        say(&format!("the transcript: {link}"));
        let name = |id: u64| {
            emulator.world(|w| w.users.get(&id).map(|u| u.name.clone()).unwrap_or_default())
        };
        say(&format!(
            "the dashboard: {base}/dashboard (sign in on the emulator's page as {} to see the guild's tickets and statistics as staff, or as {} to see a player's own tickets)",
            name(world.staff),
            name(world.player)
        ));
        if options.stay {
            say("open it in a browser; the server keeps running until Ctrl-C");
            stop.wait().await;
        }
    }
    running.stop().await;
    walked?;
    if !problems.is_empty() {
        anyhow::bail!(
            "the emulator saw payloads Discord would refuse:\n{}",
            problems.join("\n")
        );
    }
    say("demo finished: the bot stopped cleanly");
    Ok(())
}
