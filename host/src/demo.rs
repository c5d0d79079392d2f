//! `ticketbot demo`: the real bot against the built-in Discord emulator, no token needed.
//!
//! [`DemoWorld`] builds a small FiveM community in the emulator (a staff role, a panel channel,
//! a ticket category, a log channel) and the config that serves it; [`run`] walks through what
//! staff and players do and prints each step. The end-to-end tests use the same world.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ticketbot_emulator::Emulator;

use crate::app::{self, Mode};
use crate::config::Config;
use crate::discord::DiscordSettings;
use crate::tickets::router::CustomId;
use crate::tickets::SETUP_TEXT_COMMAND;

/// Permission bits used for the demo roles.
const VIEW_AND_SEND: u64 = (1 << 10) | (1 << 11) | (1 << 16);

/// A guild in the emulator with everything the config names.
#[derive(Clone, Debug)]
pub struct DemoWorld {
    /// The guild.
    pub guild: u64,
    /// The staff role.
    pub staff_role: u64,
    /// A staff member.
    pub staff: u64,
    /// A player.
    pub player: u64,
    /// Where the panel goes.
    pub panel_channel: u64,
    /// Where closed tickets are logged.
    pub log_channel: u64,
    /// The ticket category.
    pub category: u64,
    /// Where item-return requests go.
    pub item_return_channel: u64,
    /// Used when the ticket category is full.
    pub overflow_category: u64,
    /// Extra staff for "report" tickets only.
    pub moderator_role: u64,
    /// A member with only the moderator role.
    pub moderator: u64,
    /// Seconds between the close announcement and the channel's deletion.
    pub close_delay_seconds: u32,
    /// Text overrides for `[guild.texts]`.
    pub text_overrides: Vec<(String, String)>,
    /// The role that decides item returns.
    pub approver_role: u64,
    /// A staff member who also approves item returns.
    pub approver: u64,
    /// `[[guild.plugin]]` blocks (TOML): by default the built-in plugins, [`DEMO_PLUGINS`] then
    /// ticket-actions (whose settings name this world's categories).
    pub plugins: Vec<String>,
    /// Where compiled plugins are cached, if not beside the database (tests share one).
    pub plugin_cache: Option<std::path::PathBuf>,
}

/// The built-in plugins as the demo enables them.
pub const DEMO_PLUGINS: &[&str] = &[
    r#"[[guild.plugin]]
id = "poke"
builtin = "poke"
capabilities = ["dm", "storage"]
settings = { cooldown_seconds = 60 }
"#,
    r#"[[guild.plugin]]
id = "item-return"
builtin = "item-return"
capabilities = ["post-messages", "storage"]
"#,
    r#"[[guild.plugin]]
id = "voice-call"
builtin = "voice-call"
capabilities = ["voice-channels", "timers", "storage"]
settings = { empty_minutes = 5 }
"#,
];

impl DemoWorld {
    /// Creates the community in `emulator`.
    pub fn create(emulator: &Emulator) -> Self {
        let owner = emulator.create_user("dono");
        let guild = emulator.create_guild("Los Santos Roleplay", owner);
        let staff_role = emulator.create_role(guild, "Staff", VIEW_AND_SEND);
        let staff = emulator.create_user("officer_rodrigues");
        let player = emulator.create_user("vinewood_vic");
        emulator.add_member(guild, owner, &[]);
        emulator.add_member(guild, staff, &[staff_role]);
        emulator.add_member(guild, player, &[]);
        emulator.add_member(guild, emulator.bot_id(), &[]);
        let panel_channel = emulator.create_text_channel(guild, "abrir-ticket", None);
        let log_channel = emulator.create_text_channel(guild, "ticket-logs", None);
        let category = emulator.create_category(guild, "Tickets");
        let item_return_channel = emulator.create_text_channel(guild, "devolucao-itens", None);
        let overflow_category = emulator.create_category(guild, "Tickets 2");
        let moderator_role = emulator.create_role(guild, "Moderação", VIEW_AND_SEND);
        let moderator = emulator.create_user("mod_lucia");
        emulator.add_member(guild, moderator, &[moderator_role]);
        let approver_role = emulator.create_role(guild, "Administração", VIEW_AND_SEND);
        let approver = emulator.create_user("admin_sofia");
        emulator.add_member(guild, approver, &[staff_role, approver_role]);
        Self {
            guild,
            staff_role,
            staff,
            player,
            panel_channel,
            log_channel,
            category,
            item_return_channel,
            overflow_category,
            moderator_role,
            moderator,
            close_delay_seconds: 10,
            text_overrides: Vec::new(),
            approver_role,
            approver,
            plugins: DEMO_PLUGINS
                .iter()
                .map(|p| (*p).to_owned())
                .chain([format!(
                    "[[guild.plugin]]\nid = \"ticket-actions\"\nbuiltin = \"ticket-actions\"\n\
                     capabilities = [\"rename-channel\", \"move-channel\"]\n\
                     settings = {{ categories = [{{ id = \"{category}\", label = \"Tickets\" }}, \
                     {{ id = \"{overflow_category}\", label = \"Tickets 2\" }}] }}\n"
                )])
                .collect(),
            plugin_cache: None,
        }
    }

    /// A config serving this guild, with the database at `database` and the web server on
    /// `listen`.
    pub fn config_toml(&self, database: &Path, listen: SocketAddr, locale: &str) -> String {
        let mut text = format!(
            r#"database = {database:?}
{cache}locale = "{locale}"

[web]
listen = "{listen}"
public_url = "http://{listen}"

[[guild]]
id = {guild}
name = "Los Santos Roleplay"
panel_channel = {panel}
log_channel = {log}
ticket_category = {category}
overflow_categories = [{overflow}]
staff_roles = [{staff_role}]
item_return_channel = {items}
approver_roles = [{approvers}]
close_delay_seconds = {delay}

[[guild.ticket_type]]
id = "support"
label = "Suporte"
emoji = "🛠️"
description = "Dúvidas e problemas no servidor"

[[guild.ticket_type]]
id = "report"
label = "Denúncia"
emoji = "🚨"
description = "Denunciar um jogador"
staff_roles = [{moderators}]
"#,
            database = database.display().to_string(),
            cache = self
                .plugin_cache
                .as_ref()
                .map(|dir| format!("plugin_cache = {:?}\n", dir.display().to_string()))
                .unwrap_or_default(),
            guild = self.guild,
            panel = self.panel_channel,
            log = self.log_channel,
            category = self.category,
            staff_role = self.staff_role,
            items = self.item_return_channel,
            overflow = self.overflow_category,
            delay = self.close_delay_seconds,
            moderators = self.moderator_role,
            approvers = self.approver_role,
        );
        for plugin in &self.plugins {
            text.push('\n');
            text.push_str(plugin);
        }
        if !self.text_overrides.is_empty() {
            text.push_str("\n[guild.texts]\n");
            for (key, value) in &self.text_overrides {
                text.push_str(&format!("{key} = {value:?}\n"));
            }
        }
        text
    }

    /// The parsed config (checked like any file).
    pub fn config(&self, database: &Path, listen: SocketAddr, locale: &str) -> Config {
        let text = self.config_toml(database, listen, locale);
        let path = database.with_file_name("demo-config.toml");
        match Config::parse(&path, text) {
            Ok(config) => config,
            Err(error) => panic!("the demo config is invalid (a bug):\n{error}"),
        }
    }
}

/// The bot's settings for `emulator`.
pub fn settings(emulator: &Emulator) -> DiscordSettings {
    DiscordSettings {
        token: emulator.token().to_owned(),
        api_base: Some(emulator.api_base()),
    }
}

const STEP: Duration = Duration::from_secs(10);

fn say(step: &str) {
    println!("▶ {step}");
}

fn describe(message: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(content) = message["content"].as_str().filter(|c| !c.is_empty()) {
        parts.push(format!("\"{content}\""));
    }
    for embed in message["embeds"].as_array().into_iter().flatten() {
        parts.push(format!(
            "[embed: {}]",
            embed["title"].as_str().unwrap_or("")
        ));
    }
    for row in message["components"].as_array().into_iter().flatten() {
        for item in row["components"].as_array().into_iter().flatten() {
            let label = item["label"]
                .as_str()
                .or(item["placeholder"].as_str())
                .unwrap_or("?");
            parts.push(format!("[{}]", label));
        }
    }
    parts.join(" ")
}

/// Runs the walk-through with a database in `workdir`, in `locale` (`pt-BR` or `en`).
pub async fn run(workdir: &Path, locale: &str) -> anyhow::Result<()> {
    let emulator = Emulator::start().await?;
    say(&format!(
        "Discord emulator listening at {}",
        emulator.api_base()
    ));
    let world = DemoWorld::create(&emulator);
    let database = workdir.join("ticketbot-demo.duckdb");
    let config = world.config(&database, "127.0.0.1:0".parse()?, locale);
    let running = app::start(Arc::new(config), Mode::Full(settings(&emulator))).await?;
    say(&format!(
        "database {}, transcript server at http://{}",
        database.display(),
        running.web_addr()
    ));
    let ready = tokio::time::timeout(STEP, running.ready())
        .await?
        .unwrap_or_else(|| unreachable!("bot mode"));
    say(&format!(
        "bot connected (READY), in {} guild(s)",
        ready.guilds.len()
    ));

    let staff = emulator.user(world.staff);
    let position = emulator.log_position();
    staff.say(world.panel_channel, SETUP_TEXT_COMMAND)?;
    say(&format!(
        "officer_rodrigues (Staff) types {SETUP_TEXT_COMMAND} in #abrir-ticket"
    ));
    let posted = emulator
        .wait_for_after(position, STEP, "the panel", |r| {
            r.is("POST", "/channels/*/messages")
                && !r.response["embeds"].as_array().is_none_or(Vec::is_empty)
        })
        .await?;
    say(&format!(
        "bot posts the panel: {}",
        describe(&posted.response)
    ));
    let panel_id: u64 = posted.response["id"].as_str().unwrap_or_default().parse()?;

    let player = emulator.user(world.player);
    let click = player.click(panel_id, &CustomId::OpenPanel.to_string())?;
    say("vinewood_vic clicks the panel's button");
    let answer = click.message(STEP).await?;
    say(&format!(
        "bot answers only vinewood_vic (ephemeral): {}",
        describe(&answer)
    ));

    let problems = emulator.model_errors();
    running.stop().await;
    if !problems.is_empty() {
        anyhow::bail!(
            "the emulator saw payloads Discord would refuse:\n{}",
            problems.join("\n")
        );
    }
    say("demo finished: the bot stopped cleanly");
    Ok(())
}
