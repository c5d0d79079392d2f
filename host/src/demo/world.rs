//! The demo community: a guild in the emulator with a staff role, a panel channel, ticket
//! categories, a log channel and the built-in plugins, and the config that serves it. The
//! end-to-end tests and the benches use the same world.

use std::net::SocketAddr;
use std::path::Path;

use ticketbot_emulator::Emulator;

use crate::config::Config;
use crate::discord::DiscordSettings;

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
    /// Allow native (unsandboxed) plugins.
    pub trust_native_plugins: bool,
}

/// The built-in plugins as the demo enables them (`{item_return_channel}` stands for the
/// world's channel of that name).
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
capabilities = ["post-messages", "storage", "notes"]
settings = { channel = "{item_return_channel}" }
"#,
    r#"[[guild.plugin]]
id = "voice-call"
builtin = "voice-call"
capabilities = ["voice-channels", "timers", "storage"]
settings = { empty_after = "5m" }
"#,
];

/// The optional built-in actions the demo can enable (`ticketbot demo --actions ...`).
pub const DEMO_ACTIONS: &[&str] = &[
    "auto-close",
    "questions",
    "feedback",
    "saved-replies",
    "fivem",
];

impl DemoWorld {
    /// Enables the optional built-in action `id` with settings that show it off; an error for
    /// an unknown id.
    pub fn enable_action(&mut self, id: &str) -> Result<(), String> {
        let block = match id {
            "auto-close" => {
                "capabilities = [\"timers\", \"storage\", \"read-messages\", \"close-tickets\"]\n\
                 settings = { warn_after = \"10m\", close_after = \"10m\" }\n"
                    .to_owned()
            }
            "questions" => {
                "[[guild.plugin.settings.questions]]\ntype = \"support\"\nid = \"game-id\"\n\
                 label = \"Seu ID no jogo\"\nmax = 10\npattern = \"[0-9]+\"\n\
                 pattern_error = \"só números, por exemplo 4711\"\nplaceholder = \"4711\"\n\
                 [[guild.plugin.settings.questions]]\ntype = \"support\"\nid = \"what\"\n\
                 label = \"O que aconteceu?\"\nparagraph = true\nmax = 500\n"
                    .to_owned()
            }
            "feedback" => "capabilities = [\"dm\", \"storage\", \"feedback\"]\n".to_owned(),
            "saved-replies" => "[[guild.plugin.settings.replies]]\nname = \"Boas-vindas\"\n\
                 text = \"Olá {opener}, já estamos vendo o seu caso.\"\n\
                 [[guild.plugin.settings.replies]]\nname = \"Devolução feita\"\n\
                 text = \"Os itens foram devolvidos; confira no jogo.\"\ncolor = 3066993\n"
                .to_owned(),
            // No game server runs beside the demo: the button shows the honest answer.
            "fivem" => "capabilities = [\"http\"]\nhttp_allow = [\"127.0.0.1:30120\"]\n\
                 settings = { server = \"http://127.0.0.1:30120\" }\n"
                .to_owned(),
            other => {
                return Err(format!(
                    "no action {other:?}; the demo's actions are {}",
                    DEMO_ACTIONS.join(", ")
                ))
            }
        };
        self.plugins.push(format!(
            "[[guild.plugin]]\nid = \"{id}\"\nbuiltin = \"{id}\"\n{block}"
        ));
        Ok(())
    }

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
                .map(|p| p.replace("{item_return_channel}", &item_return_channel.to_string()))
                .chain([format!(
                    "[[guild.plugin]]\nid = \"ticket-actions\"\nbuiltin = \"ticket-actions\"\n\
                     capabilities = [\"rename-channel\", \"move-channel\"]\n\
                     settings = {{ categories = [{{ id = \"{category}\", label = \"Tickets\" }}, \
                     {{ id = \"{overflow_category}\", label = \"Tickets 2\" }}] }}\n"
                )])
                .collect(),
            plugin_cache: None,
            trust_native_plugins: false,
        }
    }

    /// A config serving this guild, with the database at `database` and the web server on
    /// `listen`.
    pub fn config_toml(&self, database: &Path, listen: SocketAddr, locale: &str) -> String {
        let mut text = format!(
            r#"database = {database:?}
trust_native_plugins = {native}
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
            native = self.trust_native_plugins,
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
        shards: crate::discord::Shards::One,
    }
}
