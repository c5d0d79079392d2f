//! The ticket lifecycle: the core of the bot, in its own types.
//!
//! [`Tickets`] receives [`Interaction`]s and [`ChatMessage`]s from the Discord edge, routes
//! components by [`router::CustomId`], keeps state in the [`Store`] and acts on Discord through
//! a [`DiscordApi`]. It is reached through [`Lifecycle`] (events in its own types) and reaches
//! Discord through [`DiscordApi`]; it names nothing of the Discord edge. The parts: `panel` (the
//! panel and `!setup_tickets`), `router` (custom_ids).

mod capture;
mod close;
mod close_request;
mod commands;
mod farewell;
mod guild_change;
mod members;
mod notes;
mod open;
mod panel;
mod plugin_actions;
mod plugin_command;
pub mod plugin_ids;
mod recovery;
pub mod router;
mod staff;
mod watch;
mod welcome;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch as signal;
use tracing::Instrument;

use crate::config::{Config, GuildConfig};
use crate::event::{ChatMessage, Inbound, Interaction, InteractionKind, Lifecycle};
use crate::locale::{texts_for, Texts};
use crate::plugins::PluginHost;
use crate::rest::DiscordApi;
use crate::store::{EventRecord, Store, TicketRecord, TicketStatus};
use crate::transcript::token::LinkKey;
use crate::ui::Reply;

pub use commands::{
    BLACKLIST_COMMAND, SETUP_SLASH_COMMAND, SETUP_TEXT_COMMAND, STATS_COMMAND, TICKET_COMMAND,
    TRANSCRIPT_COMMAND,
};
pub use panel::SetupOutcome;
use router::{CustomId, Route, TicketAction};
use watch::WatchKind;

/// The lifecycle's state: config, texts per guild, the store, the way to Discord, and what is
/// in flight (opens, message watches, close timers).
pub struct Tickets {
    /// The configuration in force; a reload swaps it (handlers keep the one they started with).
    config: std::sync::RwLock<Arc<Config>>,
    store: Store,
    discord: Arc<dyn DiscordApi>,
    texts: std::sync::RwLock<HashMap<u64, Arc<Texts>>>,
    fallback_texts: Arc<Texts>,
    /// (guild, user) pairs whose ticket is being created: a double click opens one ticket.
    opening: Mutex<HashSet<(u64, u64)>>,
    /// Held (shared) by a plugin's post or DM from its sending until it is recorded as the
    /// plugin's; a click that finds no record takes it exclusively, so it looks again once the
    /// messages in flight are recorded (a button can be pressed the moment its message arrives).
    recording_messages: tokio::sync::RwLock<()>,
    /// Tickets whose close timer runs in this process.
    closing: Mutex<HashSet<i64>>,
    watches: watch::Watches,
    /// The bot's own user id, known from READY.
    bot_user: std::sync::OnceLock<u64>,
    /// Becomes true at shutdown; timers stop waiting.
    stopping: signal::Sender<bool>,
    /// The plugins each guild enabled.
    plugins: Arc<PluginHost>,
    /// Who is in which voice channel, from the gateway's updates.
    voice: plugin_actions::VoiceMap,
    /// Wakes the plugin timer loop when a timer is scheduled.
    timers_changed: tokio::sync::Notify,
    /// Whether the plugin timer loop runs.
    timers_started: std::sync::atomic::AtomicBool,
    /// Recent renames of ticket channels (Discord allows two per ten minutes).
    renames: plugin_actions::RenameLog,
    /// The secret transcript tokens are derived from.
    link_key: LinkKey,
    /// Messages whose reactions are about to be read back.
    reaction_refresh: Arc<Mutex<HashSet<u64>>>,
    /// When this lifecycle started: a reservation older than it was left by an earlier run.
    started_at: chrono::DateTime<Utc>,
    /// Failures tests make happen on purpose; nothing sets them in a normal run.
    faults: Faults,
    /// Each ticket's file downloads, one at a time.
    file_turns: Arc<capture::FileTurns>,
    /// Work in flight (events being handled, their effects, file downloads), which a stop
    /// lets finish; waits (close delays, timers, watches) are not in it and end at once.
    in_flight: tokio_util::task::TaskTracker,
    /// Whether open tickets already follow the guilds' plugin changes.
    following_changes: std::sync::atomic::AtomicBool,
    /// The configured guilds the bot is in (from READY), whose commands a reload registers.
    joined: Mutex<Vec<u64>>,
    /// (guild, user) pairs already recorded as staff in this run.
    staff_seen: Mutex<HashSet<(u64, u64)>>,
    /// Guilds whose file budget ran out (said once per run in the log).
    file_budget_warned: Arc<Mutex<HashSet<u64>>>,
    /// This lifecycle itself, for work that outlives the call that starts it (a close a
    /// plugin asks for, plugins told after an answer).
    me: std::sync::Weak<Tickets>,
}

/// Failures a test can ask for, to prove that a fallback works through the real lifecycle.
#[derive(Default)]
struct Faults {
    /// How many of the next transcript renders panic.
    render_panics: std::sync::atomic::AtomicU32,
}

impl Faults {
    /// Whether this render should panic (and one fewer will).
    fn take_render_panic(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.render_panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl Lifecycle for Tickets {
    fn handle(self: Arc<Self>, event: Inbound) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async move {
            match event {
                Inbound::Ready {
                    bot_user,
                    guilds,
                    shard,
                } => self.on_ready(bot_user, &guilds, shard).await,
                Inbound::Message(message) => self.on_message(message).await,
                Inbound::MessageEdited {
                    channel,
                    message,
                    content,
                    embeds,
                    edited_at,
                } => {
                    self.on_message_edited(channel, message, content, embeds, edited_at)
                        .await
                }
                Inbound::MessageDeleted { channel, message } => {
                    self.on_message_deleted(channel, message).await
                }
                Inbound::Reaction { channel, message } => self.on_reaction(channel, message).await,
                Inbound::ChannelDeleted(channel) => self.on_channel_deleted(channel).await,
                Inbound::VoiceState {
                    guild,
                    user,
                    channel,
                } => self.on_voice_state(guild, user, channel).await,
                Inbound::MemberLeft { guild, user } => self.on_member_left(guild, user).await,
                Inbound::Interaction(interaction) => self.on_interaction(interaction).await,
            }
        })
    }
}

/// One guild's settings in the configuration in force when they were asked for: a reload
/// swaps the configuration, and what a handler holds stays whole.
#[derive(Clone)]
pub struct GuildRef {
    config: Arc<Config>,
    index: usize,
}

impl std::ops::Deref for GuildRef {
    type Target = GuildConfig;

    fn deref(&self) -> &GuildConfig {
        &self.config.guilds[self.index]
    }
}

/// Each guild's texts: its language with its overrides.
fn guild_texts(config: &Config) -> HashMap<u64, Arc<Texts>> {
    config
        .guilds
        .iter()
        .map(|g| (g.id, Arc::new(texts_for(g.locale, &g.texts))))
        .collect()
}

/// The shard of `guild` among `total`, by Discord's formula.
pub fn shard_of(guild: u64, total: u32) -> u32 {
    ((guild >> 22) % u64::from(total.max(1))) as u32
}

impl Tickets {
    /// Builds the lifecycle for `config`.
    pub fn new(
        config: Arc<Config>,
        store: Store,
        discord: Arc<dyn DiscordApi>,
        plugins: Arc<PluginHost>,
        link_key: LinkKey,
    ) -> Arc<Self> {
        let texts = guild_texts(&config);
        let fallback_texts = Arc::new(texts_for(config.locale, &Default::default()));
        Arc::new_cyclic(|me| Self {
            config: std::sync::RwLock::new(config),
            store,
            discord,
            texts: std::sync::RwLock::new(texts),
            fallback_texts,
            opening: Mutex::default(),
            recording_messages: tokio::sync::RwLock::default(),
            closing: Mutex::default(),
            watches: watch::Watches::default(),
            bot_user: std::sync::OnceLock::new(),
            stopping: signal::Sender::new(false),
            plugins,
            voice: Default::default(),
            timers_changed: tokio::sync::Notify::new(),
            timers_started: Default::default(),
            renames: Default::default(),
            link_key,
            reaction_refresh: Arc::default(),
            started_at: Utc::now(),
            faults: Faults::default(),
            file_turns: Arc::default(),
            in_flight: tokio_util::task::TaskTracker::new(),
            following_changes: std::sync::atomic::AtomicBool::new(false),
            joined: Mutex::default(),
            file_budget_warned: Arc::default(),
            staff_seen: Mutex::default(),
            me: me.clone(),
        })
    }

    /// This lifecycle as shared (none only while it is being dropped).
    fn shared(&self) -> Option<Arc<Self>> {
        self.me.upgrade()
    }

    /// Makes the next `count` transcript renders panic, so a test can prove that a close
    /// still completes with the plain page. Not for use outside tests.
    #[doc(hidden)]
    pub fn inject_render_panics(&self, count: u32) {
        self.faults
            .render_panics
            .store(count, std::sync::atomic::Ordering::SeqCst);
    }

    /// Ends every watch and timer; a close in progress resumes at the next start. Work in
    /// flight goes on: wait for it with [`Tickets::drain`].
    pub fn shutdown(&self) {
        self.stopping.send_replace(true);
        self.watches.clear();
    }

    /// Waits, at most `within`, for the work in flight (events being handled and what they
    /// started: effects, downloads) to finish; false if some was still running.
    pub async fn drain(&self, within: Duration) -> bool {
        self.in_flight.close();
        let done = tokio::time::timeout(within, self.in_flight.wait())
            .await
            .is_ok();
        if !done {
            tracing::warn!(
                running = self.in_flight.len(),
                "work still in flight after {within:?}; stopping anyway"
            );
        }
        done
    }

    /// How many events, effects and downloads are being handled now (a test waits for 0 to
    /// know that everything it caused has been handled).
    pub fn work_in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Runs `work` as work in flight: a stop waits for it.
    async fn tracked<T>(&self, work: impl Future<Output = T>) -> T {
        self.in_flight.track_future(work).await
    }

    /// Runs `work` in the background as work in flight: a stop waits for it rather than
    /// cutting it off (a download, a plugin's effects).
    fn spawn_tracked(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.in_flight.spawn(work.in_current_span());
    }

    /// Refreshes open tickets' buttons whenever a guild turns a plugin on or off (once per
    /// process: READY can come again after a reconnect).
    fn follow_plugin_changes(self: &Arc<Self>) {
        if self
            .following_changes
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let mut changes = self.plugins.changes();
        let tickets = Arc::downgrade(self);
        self.spawn_until_shutdown(async move {
            loop {
                match changes.recv().await {
                    Ok(guild) => {
                        let Some(tickets) = tickets.upgrade() else {
                            return;
                        };
                        tickets.refresh_welcomes(guild).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Runs `work` in the background unless the lifecycle is shutting down first.
    fn spawn_until_shutdown(&self, work: impl Future<Output = ()> + Send + 'static) {
        let mut stopping = self.stopping.subscribe();
        if *stopping.borrow() {
            return;
        }
        // The work keeps the span (guild, ticket) it was started in.
        let work = work.in_current_span();
        tokio::spawn(async move {
            tokio::select! {
                _ = stopping.wait_for(|stop| *stop) => {}
                _ = work => {}
            }
        });
    }

    /// Sleeps for `delay`, or returns false early at shutdown.
    async fn sleep_unless_stopping(&self, delay: Duration) -> bool {
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }

    /// Records that `user` acted as staff in `guild` (once per run is enough: statistics count
    /// whoever was ever seen so).
    async fn saw_staff(&self, guild: u64, user: u64) {
        // A poisoned lock only means a panic while inserting a pair: the set is intact.
        let new = self
            .staff_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((guild, user));
        if new {
            if let Err(error) = self.store.saw_staff(guild, user).await {
                tracing::warn!(%error, guild, user, "could not record a staff member");
            }
        }
    }

    /// Appends to the event log; a failure is logged, never fatal.
    async fn log_event(
        &self,
        guild: u64,
        ticket: Option<i64>,
        actor: Option<u64>,
        kind: &str,
        data: serde_json::Value,
    ) {
        tracing::info!(guild, ticket, actor, event = kind, "ticket event");
        let event = EventRecord {
            at: Utc::now(),
            guild_id: Some(guild),
            ticket_id: ticket,
            actor_id: actor,
            kind: kind.into(),
            data,
        };
        if let Err(error) = self.store.record_event(event).await {
            tracing::error!(%error, kind, "could not record an event");
        }
    }

    /// The transcript token of `ticket`: derived from its id and the link key (tickets from
    /// before derived tokens keep the one stored with them).
    pub fn transcript_token(&self, ticket: &TicketRecord) -> String {
        if ticket.transcript_token.is_empty() {
            self.link_key.token(ticket.id)
        } else {
            ticket.transcript_token.clone()
        }
    }

    /// The public transcript URL for a token.
    pub fn transcript_url(&self, token: &str) -> String {
        format!("{}/api/ticket/{token}", self.config().web.public_url)
    }

    /// The guild's settings, if configured.
    pub fn guild(&self, id: u64) -> Option<GuildRef> {
        let config = self.config();
        let index = config.guilds.iter().position(|g| g.id == id)?;
        Some(GuildRef { config, index })
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.config.read().expect("config lock").clone()
    }

    /// Puts `config` in force without dropping the gateway (the operator's reload): the
    /// guilds' settings and texts for every handler that starts from now on, the plugins
    /// loaded again with each guild's own choices and uploads over them, the slash commands
    /// registered again, open tickets' buttons refreshed. Work in flight finishes with the
    /// configuration it started with. The plugins' problems, as at start.
    pub async fn reload(&self, config: Arc<Config>) -> Vec<String> {
        let cache = crate::plugins::ComponentCache::new(Some(config.plugin_cache.clone()));
        let plugins = self.plugins.clone();
        let loading = config.clone();
        let reloaded = tokio::task::spawn_blocking(move || plugins.reload(&loading, &cache)).await;
        let problems: Vec<String> = match reloaded {
            Ok(Ok(problems)) => problems.iter().map(|p| p.to_string()).collect(),
            Ok(Err(error)) => vec![format!("the plugin engine did not start: {error}")],
            Err(error) => vec![format!("loading the plugins failed: {error}")],
        };
        crate::self_service::apply_stored(&config, &self.store, &self.plugins).await;
        let before = self.config();
        *self.texts.write().expect("texts lock") = guild_texts(&config);
        *self.config.write().expect("config lock") = config.clone();
        // What the bot posted follows: panels, welcome messages, open tickets' staff.
        for after in &config.guilds {
            if let Some(before) = before.guild(after.id) {
                self.follow_guild(before, after).await;
            }
        }
        for guild in &config.guilds {
            if self.joined.lock().expect("joined lock").contains(&guild.id) {
                self.register_commands(guild).await;
            }
        }
        tracing::info!(guilds = config.guilds.len(), "configuration reloaded");
        problems
    }

    /// Registers (or replaces) `guild`'s slash commands.
    async fn register_commands(&self, guild: &GuildConfig) {
        if let Err(error) = self
            .discord
            .set_guild_commands(guild.id, &self.commands(guild))
            .await
        {
            tracing::error!(%error, guild = guild.id, "could not register slash commands");
        }
    }

    /// The texts to use in `guild` (the host's default language elsewhere).
    pub fn texts(&self, guild: Option<u64>) -> Arc<Texts> {
        guild
            .and_then(|g| self.texts.read().expect("texts lock").get(&g).cloned())
            .unwrap_or_else(|| self.fallback_texts.clone())
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> &Arc<PluginHost> {
        &self.plugins
    }

    /// Whether this process serves `guild`: one of its shards reported it at READY. (With
    /// shards across processes, each owns the guilds Discord routes to its shards, and runs
    /// their timers, resumed closes and clean-ups; the others leave them alone.)
    pub fn serves_guild(&self, guild: u64) -> bool {
        self.joined.lock().expect("joined lock").contains(&guild)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// At a shard's READY: registers the slash commands in every configured guild the bot is in
    /// on that shard, and warns about configured guilds of that shard it is not in (a wrong id,
    /// or the bot was never invited).
    pub async fn on_ready(self: &Arc<Self>, bot_user: u64, guilds: &[u64], shard: (u32, u32)) {
        let _ = self.bot_user.set(bot_user);
        let (number, total) = shard;
        let on_this_shard = |guild: u64| shard_of(guild, total) == number;
        {
            // Every shard's guilds: this shard's replace what it said before.
            let mut joined = self.joined.lock().expect("joined lock");
            joined.retain(|g| !on_this_shard(*g));
            joined.extend_from_slice(guilds);
        }
        for guild in &self.config().guilds {
            if !on_this_shard(guild.id) {
                continue;
            }
            if !guilds.contains(&guild.id) {
                tracing::warn!(guild = guild.id, name = ?guild.name, "configured guild not joined: invite the bot or fix the id");
                continue;
            }
            self.register_commands(guild).await;
        }
        self.resume(guilds).await;
        self.start_timers();
        self.follow_plugin_changes();
        for guild in guilds {
            if self.guild(*guild).is_none() {
                tracing::info!(
                    guild,
                    "the bot is in a guild that is not configured; ignoring it"
                );
            }
        }
    }

    /// Handles a message posted where the bot can see it.
    pub async fn on_message(self: &Arc<Self>, message: ChatMessage) {
        let span = tracing::info_span!(
            "message",
            id = message.id,
            guild = message.guild_id,
            channel = message.channel_id,
            user = message.author.id,
        );
        self.tracked(self.handle_message(message).instrument(span))
            .await
    }

    async fn handle_message(self: &Arc<Self>, message: ChatMessage) {
        let ticket = match message.guild_id {
            Some(_) => self.capture(&message).await,
            None => None,
        };
        if message.from_bot {
            return;
        }
        if let Some(ticket) = ticket {
            let consumed = self.on_watched_message(&ticket, &message).await;
            if let Some(guild) = self.guild(ticket.guild_id) {
                self.plugins_after_message(&guild, &ticket, &message).await;
            }
            if consumed {
                return;
            }
        }
        if message.content.trim() == SETUP_TEXT_COMMAND {
            self.setup_from_message(&message).await;
        }
    }

    /// Handles an interaction; every one gets an answer, never Discord's "interaction failed".
    /// Everything logged meanwhile carries the guild, channel, user and (once known) ticket.
    pub async fn on_interaction(self: &Arc<Self>, interaction: Interaction) {
        let span = tracing::info_span!(
            "interaction",
            id = interaction.handle.id,
            guild = interaction.guild_id,
            channel = interaction.channel_id,
            user = interaction.user.id,
            ticket = tracing::field::Empty,
        );
        self.tracked(self.handle_interaction(interaction).instrument(span))
            .await
    }

    async fn handle_interaction(self: &Arc<Self>, interaction: Interaction) {
        let received = std::time::Instant::now();
        let texts = self.texts(interaction.guild_id);
        let handled = match &interaction.kind {
            InteractionKind::Command { name, .. } if name == SETUP_SLASH_COMMAND => {
                Handled::Reply(self.setup_from_command(&interaction).await)
            }
            InteractionKind::Button { custom_id }
            | InteractionKind::Select { custom_id, .. }
            | InteractionKind::Modal { custom_id, .. } => match Route::parse(custom_id) {
                Ok(Route::Plugin(id)) => {
                    if id.ticket != 0 {
                        tracing::Span::current().record("ticket", id.ticket);
                    }
                    self.plugin_interaction(&interaction, id).await
                }
                Ok(Route::Core(CustomId::OpenPanel)) => {
                    Handled::Reply(self.open_panel(&interaction).await)
                }
                Ok(Route::Core(CustomId::ChooseType)) => self.choose_type(&interaction).await,
                Ok(Route::Core(CustomId::Questions { type_id })) => match &interaction.kind {
                    InteractionKind::Modal { .. } => {
                        self.questions_answered(&interaction, &type_id).await
                    }
                    _ => self.ask_again(&interaction, &type_id).await,
                },
                Ok(Route::Core(CustomId::Ticket { action, ticket })) => {
                    tracing::Span::current().record("ticket", ticket);
                    self.ticket_action(&interaction, action, ticket).await
                }
                Ok(Route::Core(CustomId::CloseForm { ticket })) => {
                    tracing::Span::current().record("ticket", ticket);
                    match self.active_ticket_for(&interaction, ticket).await {
                        Ok((guild, record)) => {
                            self.close_submitted(&interaction, &guild, record).await
                        }
                        Err(refusal) => Handled::Reply(refusal),
                    }
                }
                Ok(Route::Core(CustomId::NoteForm { ticket })) => {
                    tracing::Span::current().record("ticket", ticket);
                    match self.active_ticket_for(&interaction, ticket).await {
                        Ok((guild, record)) => {
                            self.note_submitted(&interaction, &guild, record).await
                        }
                        Err(refusal) => Handled::Reply(refusal),
                    }
                }
                Err(unknown) => {
                    // The guild's panel opens tickets whatever its button says: an imported
                    // panel of the original bot has the original's custom_id.
                    if self.is_guild_panel(&interaction).await {
                        Handled::Reply(self.open_panel(&interaction).await)
                    } else {
                        tracing::info!(custom_id = %unknown.0, "unknown component");
                        Handled::Reply(Reply::private(texts.get("unknown-action", &[])))
                    }
                }
            },
            InteractionKind::Command {
                name,
                subcommand,
                options,
                ..
            } if name == BLACKLIST_COMMAND => Handled::Reply(
                self.blacklist_command(&interaction, subcommand.as_deref(), options)
                    .await,
            ),
            InteractionKind::Command {
                name,
                subcommand,
                options,
                ..
            } if name == TICKET_COMMAND && subcommand.as_deref() == Some("open") => {
                let option = |key: &str| {
                    options
                        .iter()
                        .find(|(n, _)| n == key)
                        .map(|(_, v)| v.as_str())
                };
                match option("user").and_then(|u| u.parse::<u64>().ok()) {
                    Some(player) => {
                        self.open_for_player(&interaction, player, option("type"))
                            .await
                    }
                    None => Handled::Reply(Reply::private(texts.get("unknown-action", &[]))),
                }
            }
            InteractionKind::Command {
                name,
                target_user: Some(player),
                ..
            } if interaction
                .guild_id
                .is_some_and(|g| *name == self.open_for_menu(g)) =>
            {
                self.open_for_player(&interaction, *player, None).await
            }
            InteractionKind::Command {
                name,
                subcommand,
                options,
                ..
            } if name == plugin_command::PLUGINS_COMMAND => Handled::Reply(
                self.plugins_command(&interaction, subcommand.as_deref(), options)
                    .await,
            ),
            InteractionKind::Command { name, .. } if name == STATS_COMMAND => {
                Handled::Reply(self.show_stats(&interaction).await)
            }
            InteractionKind::Command { name, options, .. } if name == TRANSCRIPT_COMMAND => {
                Handled::Reply(self.find_transcripts(&interaction, options).await)
            }
            InteractionKind::Command { name, .. } => {
                tracing::info!(command = %name, "unknown command");
                Handled::Reply(Reply::private(texts.get("unknown-action", &[])))
            }
        };
        let (reply, after) = match handled {
            Handled::Reply(reply) => (reply, None),
            Handled::Then(reply, after) => (reply, Some(after)),
        };
        let answered = self.discord.reply(&interaction.handle, reply).await;
        crate::metrics::METRICS.interaction(received.elapsed(), answered.is_ok());
        match answered {
            Ok(()) => {
                if let Some(after) = after {
                    after.await;
                }
            }
            Err(error) => {
                tracing::warn!(%error, interaction = interaction.handle.id, "could not answer an interaction");
            }
        }
    }

    /// Whether `interaction` is a button of its guild's panel message.
    async fn is_guild_panel(&self, interaction: &Interaction) -> bool {
        let (Some(guild), Some(message)) = (interaction.guild_id, interaction.message_id) else {
            return false;
        };
        matches!(interaction.kind, InteractionKind::Button { .. })
            && matches!(self.store.panel(guild).await, Ok(Some(p)) if p.message_id == message)
    }

    /// The ticket a button or form belongs to, if it is active and the interaction comes from
    /// its channel; otherwise the ephemeral explanation to give.
    async fn active_ticket_for(
        &self,
        interaction: &Interaction,
        ticket: i64,
    ) -> Result<(GuildRef, TicketRecord), Reply> {
        let texts = self.texts(interaction.guild_id);
        let Some(guild) = interaction.guild_id.and_then(|g| self.guild(g)) else {
            return Err(Reply::private(texts.get("guild-not-configured", &[])));
        };
        let record = match self.store.ticket(ticket).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(Reply::private(texts.get("unknown-action", &[]))),
            Err(error) => {
                tracing::error!(%error, ticket, "reading a ticket failed");
                return Err(Reply::private(texts.get("discord-error", &[])));
            }
        };
        if record.guild_id != guild.id {
            return Err(Reply::private(texts.get("unknown-action", &[])));
        }
        match record.status {
            TicketStatus::Open | TicketStatus::Closing | TicketStatus::Cancelling
                if record.channel_id != Some(interaction.channel_id) =>
            {
                Err(Reply::private(texts.get("unknown-action", &[])))
            }
            TicketStatus::Open => Ok((guild, record)),
            TicketStatus::Closing | TicketStatus::Cancelling => {
                Err(Reply::private(texts.get("ticket-closing", &[])))
            }
            _ => Err(Reply::private(texts.get("ticket-closed", &[]))),
        }
    }

    /// A button of a ticket's welcome message.
    async fn ticket_action(
        self: &Arc<Self>,
        interaction: &Interaction,
        action: TicketAction,
        ticket: i64,
    ) -> Handled {
        let (guild, record) = match self.active_ticket_for(interaction, ticket).await {
            Ok(found) => found,
            Err(refusal) => return Handled::Reply(refusal),
        };
        let texts = self.texts(Some(guild.id));
        let user = &interaction.user;
        let is_staff = guild.is_staff_for(&record.type_id, &user.roles);
        if is_staff {
            self.saw_staff(guild.id, user.id).await;
        }
        let refuse = |key: &str| Handled::Reply(Reply::private(texts.get(key, &[])));
        match action {
            TicketAction::Cancel if user.id != record.opener_id => refuse("not-opener"),
            TicketAction::Cancel => self.cancel(&guild, record, user.id).await,
            TicketAction::Close if !is_staff => refuse("not-staff"),
            TicketAction::Close => Handled::Reply(self.close_form(&guild, &record)),
            TicketAction::RequestClose if !is_staff => refuse("not-staff"),
            TicketAction::RequestClose => self.request_close(&guild, &record, user.id).await,
            TicketAction::ConfirmClose | TicketAction::KeepOpen if user.id != record.opener_id => {
                refuse("only-opener")
            }
            TicketAction::ConfirmClose => self.confirm_close(&guild, &record).await,
            TicketAction::KeepOpen => self.keep_open(&guild, &record).await,
            TicketAction::Claim
            | TicketAction::Unclaim
            | TicketAction::Handover
            | TicketAction::AddNote
                if !is_staff =>
            {
                refuse("not-staff")
            }
            TicketAction::Claim => Handled::Reply(self.claim(&guild, record, user.id).await),
            TicketAction::Unclaim => Handled::Reply(self.unclaim(&guild, record, user.id).await),
            TicketAction::Handover => {
                Handled::Reply(self.start_watch(&guild, &record, user.id, WatchKind::Handover))
            }
            TicketAction::AddNote => Handled::Reply(self.note_form(&guild, &record)),
            TicketAction::AddMember | TicketAction::RemoveMember
                if !is_staff && user.id != record.opener_id =>
            {
                refuse("not-participant")
            }
            TicketAction::AddMember => {
                Handled::Reply(self.start_watch(&guild, &record, user.id, WatchKind::AddMembers))
            }
            TicketAction::RemoveMember => {
                Handled::Reply(self.start_watch(&guild, &record, user.id, WatchKind::RemoveMembers))
            }
        }
    }
}

/// Work to do once the interaction has its answer.
pub(crate) type After = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a handler decided.
pub(crate) enum Handled {
    /// Answer with this.
    Reply(Reply),
    /// Answer with this, then do the rest.
    Then(Reply, After),
}
