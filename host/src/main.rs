//! The `ticketbot` command line: run, serve, check, stats, plugins, plugin new/try, demo,
//! transcript render.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use ticketbot::app::{self, Mode};
use ticketbot::config::{Config, DashboardSettings, Secret, METRICS_TOKEN_VAR};
use ticketbot::discord::{DiscordSettings, Shards, TOKEN_VAR};

/// Discord ticket-support bot for FiveM communities.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The config file.
    #[arg(long, global = true, default_value = "config.toml")]
    config: PathBuf,
    /// How log lines (stderr) are written: `text` for people, `json` (one object per line) for
    /// log collectors.
    #[arg(
        long,
        global = true,
        env = "TICKETBOT_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The log line format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs the bot and the transcript web server (needs DISCORD_TOKEN).
    Run {
        /// How many gateway shards there are: a number, or `auto` for Discord's recommendation
        /// (needed from 2,500 guilds). Without it, one.
        #[arg(long, env = "TICKETBOT_SHARD_TOTAL")]
        shard_total: Option<String>,
        /// Which of them this process runs (`0-3`, or `2`); all of them when left out.
        #[arg(long, env = "TICKETBOT_SHARDS")]
        shards: Option<String>,
    },
    /// Runs only the transcript web server.
    Serve,
    /// Checks the config file and prints every problem with file, line and key.
    Check {
        /// The file to check (defaults to --config).
        path: Option<PathBuf>,
    },
    /// Prints ticket statistics per guild, type and staff member (with the bot stopped: DuckDB
    /// lets one process open the file), optionally exported as CSV.
    Stats {
        /// Only this guild (default: every configured guild).
        #[arg(long)]
        guild: Option<u64>,
        /// Also write the figures as CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Imports the original bot's transcripts (its DuckDB file) and panel message (its JSON
    /// file) for one guild, so old links and the old panel keep working. Run it with the bot
    /// stopped; running it again imports nothing twice.
    ImportLegacy {
        /// The original bot's DuckDB file (`tickets.duckdb`); read only, never changed.
        #[arg(long)]
        duckdb: PathBuf,
        /// The original bot's JSON file holding its panel message id.
        #[arg(long)]
        panel_json: Option<PathBuf>,
        /// The guild (as configured) the transcripts and panel belong to.
        #[arg(long)]
        guild: u64,
    },
    /// Describes plugins from their manifests (buttons, capabilities, events, settings) as
    /// Markdown: the built-in ones, and each component given.
    Plugins {
        /// More plugin components (.wasm) to describe.
        paths: Vec<PathBuf>,
        /// The language of the description: pt-BR or en.
        #[arg(long, default_value = "en")]
        locale: String,
    },
    /// Writes and tries plugins of your own.
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Checks the config file and asks the running bot (`ticketbot run` with the same config) to
    /// put it in force without a restart (SIGHUP); a file with problems is not sent.
    Reload,
    /// Works with the database itself.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Works with transcripts outside the bot.
    Transcript {
        #[command(subcommand)]
        action: TranscriptAction,
    },
    /// Runs the bot against the built-in Discord emulator: no token, no Discord account.
    #[cfg(feature = "demo")]
    Demo {
        /// Language of the demo guild: pt-BR or en.
        #[arg(long, default_value = "pt-BR")]
        locale: String,
        /// Keep the demo database in this folder (default: a temporary folder).
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// Also enable this plugin component (.wasm), grant what it asks for, and press its
        /// buttons. Repeatable.
        #[arg(long = "plugin", value_name = "WASM")]
        plugins: Vec<PathBuf>,
        /// Settings for the --plugin components, as the inside of a TOML inline table:
        /// comma-separated `key = value` pairs, e.g. 'sides = 20, cooldown = "1m"'. (To try
        /// presses by several users, timers and grants, use `plugin try`.)
        #[arg(long, value_name = "TOML")]
        plugin_settings: Option<String>,
        /// Also enable these optional built-in actions, comma-separated: auto-close,
        /// questions, feedback, saved-replies, fivem.
        #[arg(long, value_delimiter = ',', value_name = "ACTIONS")]
        actions: Vec<String>,
        /// Stop after the walk-through instead of serving the transcript until Ctrl-C.
        #[arg(long)]
        exit: bool,
    },
}

#[derive(Subcommand, Debug)]
enum StoreAction {
    /// Copies everything (tickets, messages, files, transcripts, plugin data and timers,
    /// panels, events, the guilds' own settings) from one database to another, then compares
    /// each table's rows and checksum. Safe to run again (into an empty database or an earlier
    /// copy). Stop the bots using either first. A database is a DuckDB file or a
    /// postgres://user@host:port/db URL (the password from TICKETBOT_DATABASE_PASSWORD).
    Copy {
        /// The database to copy.
        #[arg(long)]
        from: String,
        /// The database to copy into.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
enum PluginAction {
    /// Writes a new plugin crate (a Dice button to start from) in its own folder, outside any
    /// workspace, with the SDK, a README, tests and a script for `plugin try`.
    New {
        /// The plugin's id and crate name: 1-32 of a-z, 0-9 and '-'.
        name: String,
        /// The folder to create (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Loads a plugin component as the bot does and runs a script of presses, forms, timers,
    /// voice and ticket events as a cast of users, printing each answer, effect and storage
    /// change; exits non-zero when a step fails or does not meet its expectations.
    Try {
        /// The plugin component (.wasm).
        wasm: PathBuf,
        /// The script (JSON; see the README of a crate from `plugin new`).
        #[arg(long)]
        script: PathBuf,
        /// The guild's language (pt-BR or en), over the script's.
        #[arg(long)]
        locale: Option<String>,
        /// Capabilities granted, comma-separated (e.g. storage,timers), over the script's.
        #[arg(long, value_delimiter = ',')]
        grant: Option<Vec<String>>,
        /// The plugin's settings as a TOML file (as in `[guild.plugin.settings]`), over the
        /// script's.
        #[arg(long)]
        settings: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum TranscriptAction {
    /// Renders a page from a JSON array of Discord API message objects (as
    /// GET /channels/{id}/messages returns them, any order).
    Render {
        /// The messages (JSON).
        #[arg(long)]
        input: PathBuf,
        /// Where to write the page.
        #[arg(long)]
        output: PathBuf,
        /// Names for mentions: {"users": {"id": "name"}, "roles": {...}, "channels": {...}}.
        #[arg(long)]
        context: Option<PathBuf>,
        /// The page's title.
        #[arg(long, default_value = "Transcript")]
        title: String,
        /// The page's language: pt-BR or en.
        #[arg(long, default_value = "en")]
        locale: String,
    },
}

fn render_transcript(action: TranscriptAction) -> anyhow::Result<()> {
    let TranscriptAction::Render {
        input,
        output,
        context,
        title,
        locale,
    } = action;
    let read_json = |path: &Path| -> anyhow::Result<serde_json::Value> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
    };
    let messages = read_json(&input)?;
    let names = match &context {
        Some(path) => ticketbot::transcript::model::Names::from_json(&read_json(path)?),
        None => Default::default(),
    };
    let locale: ticketbot::locale::Locale = locale
        .parse()
        .map_err(|()| anyhow::anyhow!("unknown locale {locale:?}; use pt-BR or en"))?;
    let texts = ticketbot::locale::texts_for(locale, &Default::default());
    let page =
        ticketbot::transcript::render_offline(&messages, &names, &title, &texts, locale.tag())
            .with_context(|| format!("rendering {}", input.display()))?;
    std::fs::write(&output, page).with_context(|| format!("writing {}", output.display()))?;
    println!("{} written", output.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Everything this process creates (the database, its log, the plugin cache, the key file,
    // CSV exports) is private to its user: it holds tickets' messages.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    // The demo narrates every step itself; its log shows only what went wrong.
    let default_filter = match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo { .. } => "warn",
        // `plugin try` prints its own report; the log shows only what went wrong.
        Command::Plugin { .. } => "warn",
        _ => "info,serenity=warn,tracing::span=warn",
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Check { path } => check(path.as_deref().unwrap_or(&cli.config)),
        Command::Plugins { paths, locale } => match describe_plugins(&paths, &locale) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Reload => reload_command(&cli.config),
        Command::Plugin { action } => match plugin_command(action) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Transcript { action } => match render_transcript(action) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        command => match runtime().and_then(|rt| rt.block_on(async_main(&cli.config, command))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// `ticketbot store copy`: opens both databases (bringing each schema up to date), copies,
/// and prints what each table holds.
async fn copy_store(from: &str, to: &str) -> anyhow::Result<()> {
    use ticketbot::store::{copy, Database, Store};
    let open = |text: &str, role: &str| -> anyhow::Result<Database> {
        // Not echoed: a URL given with its password must not reach the terminal's history twice.
        Database::parse(text).map_err(|why| anyhow::anyhow!("--{role}: {why}"))
    };
    let (from_db, to_db) = (open(from, "from")?, open(to, "to")?);
    if from_db == to_db {
        anyhow::bail!("--from and --to are the same database");
    }
    if let Database::File(file) = &from_db {
        if !file.exists() {
            anyhow::bail!("--from {}: no such file", file.display());
        }
    }
    let source = Store::connect(&from_db)
        .await
        .with_context(|| format!("opening {from_db} (is a bot using it? stop it first)"))?;
    let target = Store::connect(&to_db)
        .await
        .with_context(|| format!("opening {to_db} (is a bot using it? stop it first)"))?;
    let copied = copy::copy(&source, &target).await;
    source.close().await;
    target.close().await;
    let copied = copied.context("copying")?;
    let rows: u64 = copied.iter().map(|t| t.rows).sum();
    for table in &copied {
        println!(
            "{:<22} {:>9} rows  checksum {}",
            table.table,
            table.rows,
            &table.checksum[..16]
        );
    }
    println!(
        "{from_db} -> {to_db}: {rows} rows in {} tables copied and verified",
        copied.len()
    );
    Ok(())
}

/// `ticketbot reload`: the file checked as `check` does, then SIGHUP to the running bot.
fn reload_command(path: &Path) -> ExitCode {
    let report = ticketbot::check::check(path);
    if !report.ok() {
        for problem in &report.problems {
            eprintln!("{problem}");
        }
        eprintln!(
            "{} problem(s) in {}; the running bot keeps its configuration",
            report.problems.len(),
            path.display()
        );
        return ExitCode::FAILURE;
    }
    let Ok(config) = Config::load(path) else {
        return ExitCode::FAILURE;
    };
    let pid_file = config.state_file("pid");
    let pids: Vec<i32> = pid_files(&pid_file)
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .filter_map(|p| p.trim().parse::<i32>().ok())
        .collect();
    if pids.is_empty() {
        eprintln!(
            "no running bot for {} ({} is missing): start it with `ticketbot run`",
            path.display(),
            pid_file.display()
        );
        return ExitCode::FAILURE;
    }
    #[cfg(unix)]
    {
        for pid in &pids {
            // SAFETY: kill only sends a signal to a process a bot's pid file names.
            if unsafe { libc::kill(*pid, libc::SIGHUP) } != 0 {
                eprintln!(
                    "cannot signal the bot (pid {pid}): {}",
                    std::io::Error::last_os_error()
                );
                return ExitCode::FAILURE;
            }
        }
        let pids: Vec<String> = pids.iter().map(i32::to_string).collect();
        println!(
            "{}: ok; asked the running bot (pid {}) to reload it",
            path.display(),
            pids.join(", ")
        );
        ExitCode::SUCCESS
    }
    #[cfg(not(unix))]
    {
        eprintln!("reload needs a Unix signal; restart the bot instead (pid {pids:?})");
        ExitCode::FAILURE
    }
}

/// The pid file of a bot running every shard (`ticketbot.pid`), and those of processes
/// running some of them beside it (`ticketbot.shards-0-1.pid`), that exist.
fn pid_files(main: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = main.exists().then(|| main.to_owned()).into_iter().collect();
    let (Some(dir), Some(stem)) = (main.parent(), main.file_stem().and_then(|s| s.to_str())) else {
        return files;
    };
    let prefix = format!("{stem}.shards-");
    if let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.ends_with(".pid") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// `ticketbot plugin new` and `ticketbot plugin try`.
fn plugin_command(action: PluginAction) -> anyhow::Result<ExitCode> {
    match action {
        PluginAction::New { name, dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            ticketbot::scaffold::create(&name, &dir)?;
            let lib = name.replace('-', "_");
            println!("created the plugin crate {name} in {}", dir.display());
            println!(
                "build it:  cd {} && cargo build --release --target wasm32-wasip2",
                dir.display()
            );
            println!("try it:    ticketbot plugin try target/wasm32-wasip2/release/{lib}.wasm --script try.json");
            println!("then read its README.md for enabling it in config.toml");
            Ok(ExitCode::SUCCESS)
        }
        PluginAction::Try {
            wasm,
            script,
            locale,
            grant,
            settings,
        } => {
            let script = ticketbot::trial::script::load(&script)?;
            let settings = match settings {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    Some(
                        text.parse::<toml::Table>()
                            .with_context(|| format!("{} is not TOML", path.display()))?,
                    )
                }
                None => None,
            };
            let trial = ticketbot::trial::Trial {
                wasm,
                script,
                locale,
                grant,
                settings,
            };
            let summary = ticketbot::trial::run(&trial, &mut std::io::stdout().lock())?;
            Ok(if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The built-in plugins and the components at `paths`, described from their manifests.
fn describe_plugins(paths: &[PathBuf], locale: &str) -> anyhow::Result<String> {
    use ticketbot::config::{PluginConfig, PluginSource};
    use ticketbot::plugins::{describe, load_one, ComponentCache, PluginError};
    let engine = ticketbot::plugins::engine::build()?;
    let cache = ComponentCache::new(None);
    let sources = ticketbot::plugins::builtin::ids()
        .map(|id| (id.to_owned(), PluginSource::Builtin(id.to_owned())))
        .chain(
            paths
                .iter()
                .map(|p| (String::new(), PluginSource::Path(p.clone()))),
        );
    let mut out = String::new();
    for (id, source) in sources {
        let config = |id: String| PluginConfig {
            id,
            source: source.clone(),
            enabled: true,
            capabilities: Vec::new(),
            http_allow: Vec::new(),
            settings: Default::default(),
        };
        // A component names its own id; the first attempt learns it.
        let loaded = match load_one(&engine, &cache, &config(id)) {
            Err(PluginError::WrongId { found, .. }) => load_one(&engine, &cache, &config(found)),
            other => other,
        };
        let (instance, _) = loaded?;
        out.push_str(&describe::markdown(
            instance.manifest(),
            instance.version(),
            locale,
        ));
    }
    Ok(out)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn check(path: &Path) -> ExitCode {
    let report = ticketbot::check::check(path);
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if report.ok() {
        let warned = match report.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning(s)"),
        };
        println!("{}: ok ({}{warned})", path.display(), report.summary);
        for note in &report.notes {
            println!("{note}");
        }
        return ExitCode::SUCCESS;
    }
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    eprintln!("{} problem(s) in {}", report.problems.len(), path.display());
    ExitCode::FAILURE
}

fn load(path: &Path) -> anyhow::Result<Arc<Config>> {
    let mut config = Config::load(path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\n(run `ticketbot check {}` for details)",
            path.display()
        )
    })?;
    config.web.metrics_token = Secret::from_env(METRICS_TOKEN_VAR);
    config.web.dashboard = DashboardSettings::from_env().ok();
    Ok(Arc::new(config))
}

async fn async_main(config_path: &Path, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run {
            shard_total,
            shards,
        } => {
            let layout = Shards::parse(shard_total.as_deref(), shards.as_deref())?;
            let config = load(config_path)?;
            if !layout.all_here() && !config.database.is_shared() {
                anyhow::bail!(
                    "this process would run only some of the shards ({layout:?}); the others \
                     need the same database, and a DuckDB file opens in one process only: run \
                     every shard in this process (leave out --shards), or put the bot on \
                     PostgreSQL (database = \"postgres://…\" in {})",
                    config_path.display()
                );
            }
            let Some(mut settings) = DiscordSettings::from_env() else {
                anyhow::bail!(
                    "no bot token: set the environment variable {TOKEN_VAR} to your bot's token \
                     (see README.md, \"Running it for your community\"), \
                     or try `ticketbot demo`, which needs no token"
                );
            };
            settings.shards = layout;
            serve_until_stopped(config_path, config, Mode::Full(settings)).await
        }
        Command::Serve => serve_until_stopped(config_path, load(config_path)?, Mode::WebOnly).await,
        Command::Store {
            action: StoreAction::Copy { from, to },
        } => copy_store(&from, &to).await,
        Command::ImportLegacy {
            duckdb,
            panel_json,
            guild,
        } => {
            let config = load(config_path)?;
            let guild = config.guild(guild).ok_or_else(|| {
                anyhow::anyhow!(
                    "guild {guild} is not in {}; add it first",
                    config_path.display()
                )
            })?;
            let store = ticketbot::store::Store::connect(&config.database)
                .await
                .context("opening the database (is the bot running? stop it first)")?;
            let job = ticketbot::legacy::LegacyImport {
                duckdb: &duckdb,
                panel_json: panel_json.as_deref(),
                guild,
            };
            let result = ticketbot::legacy::import(&store, &job).await;
            store.close().await;
            let report = result?;
            println!(
                "{} transcript(s) in {}: {} imported, {} already here",
                report.found,
                duckdb.display(),
                report.imported,
                report.already
            );
            if let Some(panel) = report.panel {
                println!(
                    "the panel message {panel} now opens tickets for guild {}",
                    guild.id
                );
            }
            Ok(())
        }
        Command::Stats { guild, csv } => {
            let config = load(config_path)?;
            let store = ticketbot::store::Store::connect(&config.database)
                .await
                .context(
                    "opening the database (is the bot running? stop it, or use /stats in Discord)",
                )?;
            let guilds: Vec<u64> = match guild {
                Some(id) => vec![id],
                None => config.guilds.iter().map(|g| g.id).collect(),
            };
            let mut reports = Vec::new();
            for id in guilds {
                let name = config.guild(id).and_then(|g| g.name.clone());
                let report = ticketbot::stats::report(&store, id, name).await?;
                println!("{}\n", ticketbot::stats::to_text(&report));
                reports.push(report);
            }
            store.close().await;
            if let Some(path) = csv {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                ticketbot::stats::write_csv(&reports, file)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{} written", path.display());
            }
            Ok(())
        }
        #[cfg(feature = "demo")]
        Command::Demo {
            locale,
            workdir,
            plugins,
            plugin_settings,
            actions,
            exit,
        } => {
            let temp;
            let dir = match workdir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                    dir
                }
                None => {
                    temp = tempfile::tempdir().context("creating a temporary folder")?;
                    temp.path().to_owned()
                }
            };
            let options = ticketbot::demo::DemoOptions {
                locale,
                plugins,
                plugin_settings,
                actions,
                stay: !exit,
            };
            ticketbot::demo::run(&dir, &options).await
        }
        Command::Check { .. }
        | Command::Reload
        | Command::Transcript { .. }
        | Command::Plugins { .. }
        | Command::Plugin { .. } => {
            unreachable!("handled without a runtime")
        }
    }
}

async fn serve_until_stopped(
    config_path: &Path,
    config: Arc<Config>,
    mode: Mode,
) -> anyhow::Result<()> {
    let stop = app::StopSignal::listen();
    // SIGHUP reloads the config (`ticketbot reload`, `systemctl reload`); listened for before
    // anything starts, so an early one is never the default action (an abrupt end).
    #[cfg(unix)]
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("listening for SIGHUP")?;
    let bot = matches!(mode, Mode::Full(_));
    // A process running some of the shards has a pid file of its own beside the others'.
    let pid_file = match &mode {
        Mode::Full(settings) => match settings.shards {
            Shards::Range { first, last, .. } if !settings.shards.all_here() => {
                config.state_file(&format!("shards-{first}-{last}.pid"))
            }
            _ => config.state_file("pid"),
        },
        Mode::WebOnly => config.state_file("pid"),
    };
    let running = app::start(config, mode).await?;
    if bot {
        if let Err(error) = std::fs::write(&pid_file, std::process::id().to_string()) {
            tracing::warn!(%error, path = %pid_file.display(), "cannot write the pid file `ticketbot reload` reads");
        }
    }
    tracing::info!(web = %running.web_addr(), "running; press Ctrl-C to stop");
    let stopped = stop.wait();
    tokio::pin!(stopped);
    loop {
        #[cfg(unix)]
        let hangup = hangups.recv();
        #[cfg(not(unix))]
        let hangup = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = &mut stopped => break,
            Some(()) = hangup => reload(&running, config_path).await,
        }
    }
    tracing::info!("stopping");
    running.stop().await;
    if bot {
        let _ = std::fs::remove_file(&pid_file);
    }
    Ok(())
}

/// Reads the config file again and puts it in force; a file with problems is refused (each
/// problem logged with its file and line) and the running configuration stays.
async fn reload(running: &app::Running, path: &Path) {
    match Config::load(path) {
        Err(error) => {
            for problem in &error.problems {
                tracing::error!(%problem, "the config file has a problem; the running configuration stays");
            }
        }
        Ok(config) => {
            for note in running.reload(config).await {
                tracing::warn!(%note, "reload");
            }
            tracing::info!(path = %path.display(), "config reloaded");
        }
    }
}
