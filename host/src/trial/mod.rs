//! `ticketbot plugin try`: runs a plugin component through a script of presses, forms, timers,
//! voice and ticket events as a small cast of users, without Discord or a database, printing
//! each answer, effect (as it would reach Discord) and storage change, and checking what the
//! script expects.
//!
//! - `script`: the JSON script and its checks.
//! - `world`: the cast, the ticket, the plugin's storage and timers, the clock.
//! - `report`: what happened, in words.
//!
//! The plugin is loaded, sandboxed and bounded exactly as the bot loads it, its settings are
//! checked by the same code, and its outcomes pass the same checks
//! (`plugins::checks`) before anything is applied; what differs is only that
//! effects change the small world here instead of a guild.

pub mod report;
pub mod script;
pub mod world;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::capability::Capability;
use crate::config::{PluginConfig, PluginSource};
use crate::plugins::checks::{self, Refusal, Standing};
use crate::plugins::contract as c;
use crate::plugins::{self, CallScope, ComponentCache, GuildPlugin, PluginError};
use crate::store::TicketStatus;

use script::{Action, Script};
use world::{person, Person, TrialServices, World, GUILD, TICKET_CHANNEL};

/// What to try.
pub struct Trial {
    /// The plugin component.
    pub wasm: PathBuf,
    /// The script.
    pub script: Script,
    /// The guild's language, over the script's.
    pub locale: Option<String>,
    /// Grants, over the script's.
    pub grant: Option<Vec<String>>,
    /// Settings, over the script's.
    pub settings: Option<toml::Table>,
}

/// Why a trial could not run at all (a failed step is counted, not an error).
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    /// The plugin did not load.
    #[error(transparent)]
    Load(#[from] PluginError),
    /// The engine did not start.
    #[error("the plugin engine did not start: {0}")]
    Engine(String),
    /// The guild's choices for it are wrong (settings, grants).
    #[error("the plugin cannot be enabled with these choices:\n  {}", .0.join("\n  "))]
    Enable(Vec<String>),
    /// The language is not one the bot speaks.
    #[error("unknown locale {0:?}; use pt-BR or en")]
    Locale(String),
    /// A capability name is unknown.
    #[error("unknown capability {0:?} (known: {1})")]
    Capability(String, String),
    /// The settings cannot be taken as TOML values.
    #[error("the script's settings: {0}")]
    Settings(String),
    /// Writing the report failed.
    #[error("writing the report: {0}")]
    Write(#[from] std::io::Error),
}

/// How a trial went.
#[derive(Debug)]
pub struct Summary {
    /// Steps run.
    pub steps: usize,
    /// Steps that failed or did not meet their expectations.
    pub failed: usize,
}

/// Loads the plugin as a guild with the trial's choices would, then runs the script, writing
/// the report to `out`.
pub fn run(trial: &Trial, out: &mut dyn Write) -> Result<Summary, TrialError> {
    let script = &trial.script;
    let locale = trial
        .locale
        .clone()
        .or_else(|| script.locale.clone())
        .unwrap_or_else(|| "en".into());
    let known_locale: crate::locale::Locale = locale
        .parse()
        .map_err(|()| TrialError::Locale(locale.clone()))?;
    let grant_names = trial.grant.clone().unwrap_or_else(|| script.grant.clone());
    let mut granted = Vec::new();
    for name in &grant_names {
        granted.push(Capability::parse(name).ok_or_else(|| {
            TrialError::Capability(name.clone(), Capability::ALL.map(|c| c.name()).join(", "))
        })?);
    }
    let settings = match &trial.settings {
        Some(table) => table.clone(),
        None => serde_json::from_value::<toml::Table>(serde_json::Value::Object(
            script.settings.clone(),
        ))
        .map_err(|e| TrialError::Settings(e.to_string()))?,
    };
    let plugin = enable(&trial.wasm, granted, settings, &locale, out)?;
    let mut runner = Runner {
        world: World::new(chrono::Utc::now().timestamp_millis().max(0) as u64),
        texts: crate::locale::texts_for(known_locale, &Default::default()),
        services: Arc::new(TrialServices {
            storage: Arc::default(),
            http: script.http.clone().into(),
        }),
        plugin,
        out,
    };
    runner.world.storage = runner.services.storage.clone();
    runner.header()?;
    let mut failed = 0;
    for (i, step) in script.steps.iter().enumerate() {
        if !runner.step(i + 1, step)? {
            failed += 1;
        }
    }
    writeln!(
        runner.out,
        "\n{} step(s), {} failed",
        script.steps.len(),
        failed
    )?;
    Ok(Summary {
        steps: script.steps.len(),
        failed,
    })
}

/// Loads the component at `wasm` and enables it as a guild would.
fn enable(
    wasm: &Path,
    granted: Vec<Capability>,
    settings: toml::Table,
    locale: &str,
    out: &mut dyn Write,
) -> Result<GuildPlugin, TrialError> {
    let engine = plugins::engine::build().map_err(|e| TrialError::Engine(e.to_string()))?;
    let cache = ComponentCache::new(None);
    let config = |id: String| PluginConfig {
        id,
        source: PluginSource::Path(wasm.to_owned()),
        enabled: true,
        capabilities: granted.clone(),
        http_allow: Vec::new(),
        settings: settings.clone(),
    };
    // The component names its own id; the first attempt learns it.
    let loaded = match plugins::load_one(&engine, &cache, &config(String::new())) {
        Err(PluginError::WrongId { found, .. }) => {
            plugins::load_one(&engine, &cache, &config(found))
        }
        other => other,
    };
    let (instance, _) = loaded?;
    let id = instance.manifest().id.clone();
    match plugins::enable(Arc::new(instance), &config(id), locale) {
        Ok((plugin, warnings)) => {
            for warning in warnings {
                writeln!(out, "warning: {}", warning.message)?;
            }
            Ok(plugin)
        }
        Err(problems) => Err(TrialError::Enable(
            problems.into_iter().map(|p| p.message).collect(),
        )),
    }
}

/// What one step led to, for its expectations.
#[derive(Default)]
struct Happened {
    /// The answer's text and whether it was private.
    reply: Option<(String, bool)>,
    /// Effects performed, by name.
    effects: Vec<&'static str>,
    /// Why the step failed, if it did.
    error: Option<String>,
}

struct Runner<'a> {
    world: World,
    texts: crate::locale::Texts,
    services: Arc<TrialServices>,
    plugin: GuildPlugin,
    out: &'a mut dyn Write,
}

impl Runner<'_> {
    fn manifest(&self) -> &c::Manifest {
        self.plugin.instance.manifest()
    }

    fn header(&mut self) -> std::io::Result<()> {
        let manifest = self.plugin.instance.manifest().clone();
        writeln!(
            self.out,
            "{} ({} {}, contract {}), guild language {}",
            self.plugin.name(),
            manifest.id,
            manifest.version,
            self.plugin.instance.version().tag(),
            self.plugin.locale
        )?;
        let granted: Vec<&str> = self.plugin.granted.iter().map(|c| c.name()).collect();
        writeln!(
            self.out,
            "granted: {}",
            if granted.is_empty() {
                "nothing".into()
            } else {
                granted.join(", ")
            }
        )?;
        writeln!(self.out, "settings: {}", self.plugin.settings)?;
        for button in &manifest.buttons {
            let audience = match button.audience {
                c::Audience::Opener => "the opener",
                c::Audience::Staff => "staff",
                c::Audience::Participants => "the opener, members and staff",
                c::Audience::Anyone => "anyone",
            };
            writeln!(
                self.out,
                "button {:?} → {} (for {audience})",
                self.plugin.label(button),
                button.id,
            )?;
        }
        writeln!(
            self.out,
            "cast: {}; the opener's ticket #1 is open, with the member added",
            world::CAST
                .iter()
                .map(|p| format!("{} {} ({})", p.role, p.name, p.id))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// Runs one step; whether it went as expected.
    fn step(&mut self, number: usize, step: &script::Step) -> Result<bool, TrialError> {
        let action = step.action().expect("checked when the script was read");
        let default_actor = if action == Action::Close {
            "staff"
        } else {
            "opener"
        };
        let mut happened = Happened::default();
        let actor = match person(step.actor.as_deref().unwrap_or(default_actor)) {
            Ok(p) => p,
            Err(message) => {
                writeln!(self.out, "\n{number}. ✗ {message}")?;
                return Ok(false);
            }
        };
        writeln!(self.out, "\n{number}. {}", self.describe(&action, actor))?;
        if let Some((event, user)) = self.event(&action, actor, &mut happened)? {
            self.call(event, user, &mut happened)?;
        }
        self.expectations(&step.expect, &happened)
    }

    fn describe(&self, action: &Action, actor: &Person) -> String {
        let name = format!("{} ({})", actor.name, actor.role);
        match action {
            Action::Press(id) => format!("{name} presses {id:?}"),
            Action::Component(id, values) if values.is_empty() => {
                format!("{name} uses the component {id:?}")
            }
            Action::Component(id, values) => {
                format!("{name} chooses {} in {id:?}", values.join(", "))
            }
            Action::Submit(id, _) => format!("{name} submits the form {id:?}"),
            Action::Timer(key) => format!("the timer {key:?} fires"),
            Action::Wait(ms) => format!("{} pass", report::delay(*ms)),
            Action::Voice(true) => format!("{name} joins the plugin's voice channel"),
            Action::Voice(false) => format!("{name} leaves the plugin's voice channel"),
            Action::Message(text) => format!("{name} writes {text:?}"),
            Action::Opened(_) => "the ticket opens".into(),
            Action::Close => format!("{name} closes the ticket"),
            Action::Claim(Some(who)) => format!("{name} hands the ticket to {who}"),
            Action::Claim(None) => format!("{name} releases the ticket"),
            Action::Leave(who) => format!("{who} leaves the guild"),
        }
    }

    /// The event a step sends the plugin and who acts, or none when the bot would send none
    /// (what the bot does instead is recorded in `happened`).
    fn event(
        &mut self,
        action: &Action,
        actor: &Person,
        happened: &mut Happened,
    ) -> Result<Option<(c::Event, Option<c::User>)>, TrialError> {
        let user = Some(actor.user());
        let standing = Standing {
            staff: actor.staff,
            opener: actor.id == world::CAST[0].id,
            member: self.world.ticket.members.contains(&actor.id),
        };
        let open = matches!(self.world.ticket.status, TicketStatus::Open);
        let event = match action {
            Action::Press(id) => {
                let Some(button) = self
                    .manifest()
                    .buttons
                    .iter()
                    .find(|b| &b.id == id)
                    .cloned()
                else {
                    let ids: Vec<&str> = self
                        .manifest()
                        .buttons
                        .iter()
                        .map(|b| b.id.as_str())
                        .collect();
                    happened.error = Some(format!(
                        "the plugin has no ticket button {id:?} (it has: {})",
                        ids.join(", ")
                    ));
                    writeln!(self.out, "   ✗ {}", happened.error.as_deref().unwrap_or(""))?;
                    return Ok(None);
                };
                if !open {
                    return self.refuse("ticket-closed", happened);
                }
                if let Err(key) = checks::audience_allows(button.audience, standing) {
                    return self.refuse(key, happened);
                }
                c::Event::Button(id.clone())
            }
            Action::Component(id, values) => {
                let audience = checks::component_audience(self.manifest());
                if let Err(key) = checks::audience_allows(audience, standing) {
                    return self.refuse(key, happened);
                }
                c::Event::Component(c::ComponentUse {
                    custom_id: id.clone(),
                    values: values.clone(),
                    channel_id: TICKET_CHANNEL,
                    message_id: self.world.next_id,
                    in_dm: false,
                })
            }
            Action::Submit(id, fields) => {
                let audience = checks::component_audience(self.manifest());
                if let Err(key) = checks::audience_allows(audience, standing) {
                    return self.refuse(key, happened);
                }
                c::Event::Modal(c::ModalSubmit {
                    custom_id: id.clone(),
                    fields: fields
                        .iter()
                        .map(|(id, value)| c::Field {
                            id: id.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                })
            }
            Action::Timer(key) => {
                let Some(timer) = self.world.timers.remove(key) else {
                    let pending: Vec<&str> = self.world.timers.keys().map(|k| k.as_str()).collect();
                    happened.error = Some(format!(
                        "no timer {key:?} is pending (pending: {})",
                        if pending.is_empty() {
                            "none".into()
                        } else {
                            pending.join(", ")
                        }
                    ));
                    writeln!(self.out, "   ✗ {}", happened.error.as_deref().unwrap_or(""))?;
                    return Ok(None);
                };
                self.world.now_ms = self.world.now_ms.max(timer.due_ms);
                return Ok(Some((
                    c::Event::Timer(c::TimerFired {
                        key: key.clone(),
                        payload: timer.payload,
                    }),
                    None,
                )));
            }
            Action::Wait(ms) => {
                let until = self.world.now_ms + ms;
                // Timers fall due in order; each is one event, as in the bot.
                while let Some((key, due)) = self
                    .world
                    .timers
                    .iter()
                    .filter(|(_, t)| t.due_ms <= until)
                    .min_by_key(|(_, t)| t.due_ms)
                    .map(|(k, t)| (k.clone(), t.due_ms))
                {
                    let timer = self.world.timers.remove(&key).expect("just found");
                    self.world.now_ms = due;
                    writeln!(self.out, "   the timer {key:?} fires")?;
                    self.call(
                        c::Event::Timer(c::TimerFired {
                            key,
                            payload: timer.payload,
                        }),
                        None,
                        happened,
                    )?;
                }
                self.world.now_ms = until;
                return Ok(None);
            }
            Action::Voice(joined) => {
                let Some((&channel, occupants)) = self.world.voice.iter_mut().next() else {
                    happened.error = Some(
                        "the plugin has no voice channel (it makes one with create-voice)".into(),
                    );
                    writeln!(self.out, "   ✗ {}", happened.error.as_deref().unwrap_or(""))?;
                    return Ok(None);
                };
                occupants.retain(|u| *u != actor.id);
                if *joined {
                    occupants.push(actor.id);
                }
                let count = occupants.len() as u32;
                if !self.subscribed(c::Subscription::VoiceState)? {
                    return Ok(None);
                }
                c::Event::Voice(c::VoiceChange {
                    user: actor.id,
                    joined: joined.then_some(channel),
                    left: (!joined).then_some(channel),
                    occupants: count,
                })
            }
            Action::Message(text) => {
                if !self.subscribed(c::Subscription::TicketMessages)? {
                    return Ok(None);
                }
                if !self.plugin.has(Capability::ReadMessages) {
                    writeln!(
                        self.out,
                        "   (not granted \"read-messages\": the bot would not tell the plugin)"
                    )?;
                    return Ok(None);
                }
                c::Event::MessagePosted(c::PostedMessage {
                    message_id: self.world.fresh_id(),
                    author: actor.id,
                    by_staff: actor.staff,
                    text: text.clone(),
                    attachments: 0,
                })
            }
            Action::Opened(fields) => {
                if !self.subscribed(c::Subscription::TicketOpened)? {
                    return Ok(None);
                }
                c::Event::TicketOpened(
                    fields
                        .iter()
                        .map(|(id, value)| c::Field {
                            id: id.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                )
            }
            Action::Close => {
                if !open {
                    return self.refuse("ticket-closed", happened);
                }
                self.world.ticket.status = TicketStatus::Closed;
                self.world.ticket.closed_by = Some(actor.id);
                if !self.subscribed(c::Subscription::TicketClosed)? {
                    return Ok(None);
                }
                c::Event::TicketClosed
            }
            Action::Claim(who) => {
                let after = match who {
                    Some(who) => match person(who) {
                        Ok(p) => Some(p.id),
                        Err(message) => {
                            happened.error = Some(message);
                            return Ok(None);
                        }
                    },
                    None => None,
                };
                let before = std::mem::replace(&mut self.world.ticket.claimer, after);
                if !self.subscribed(c::Subscription::Claims)? {
                    return Ok(None);
                }
                c::Event::ClaimChanged(c::ClaimChange {
                    before,
                    after,
                    by: actor.id,
                })
            }
            Action::Leave(who) => {
                let id = match person(who) {
                    Ok(p) => p.id,
                    Err(message) => {
                        happened.error = Some(message);
                        return Ok(None);
                    }
                };
                if !self.subscribed(c::Subscription::MembersLeft)? {
                    return Ok(None);
                }
                return Ok(Some((c::Event::MemberLeft(id), None)));
            }
        };
        Ok(Some((event, user)))
    }

    /// Whether the plugin subscribes to `subscription`; says so when not.
    fn subscribed(&mut self, subscription: c::Subscription) -> std::io::Result<bool> {
        let yes = self.manifest().subscriptions.contains(&subscription);
        if !yes {
            writeln!(
                self.out,
                "   (the plugin does not subscribe to {subscription:?}: the bot would not tell it)"
            )?;
        }
        Ok(yes)
    }

    /// The bot refuses the user with text `key`, privately, without calling the plugin.
    fn refuse(
        &mut self,
        key: &str,
        happened: &mut Happened,
    ) -> Result<Option<(c::Event, Option<c::User>)>, TrialError> {
        let text = self.texts.get(key, &[]);
        writeln!(
            self.out,
            "   the bot answers privately: {text:?} (the plugin is not called)"
        )?;
        happened.reply = Some((text, true));
        Ok(None)
    }

    /// Calls the plugin with `event`, checks its outcome as the bot does, and applies it.
    fn call(
        &mut self,
        event: c::Event,
        user: Option<c::User>,
        happened: &mut Happened,
    ) -> Result<(), TrialError> {
        let context = c::Context {
            guild_id: GUILD,
            locale: self.plugin.locale.to_string(),
            ticket: Some(self.world.plugin_ticket()),
            user,
            settings: self.plugin.settings.to_string(),
            now_ms: self.world.now_ms,
        };
        let scope = CallScope {
            guild: GUILD,
            granted: self.plugin.granted.clone(),
            services: Some(self.services.clone()),
        };
        let id = self.plugin.id().to_owned();
        let result = self.plugin.instance.handle(&scope, &context, &event);
        let outcome = result.and_then(|result| {
            for log in &result.logs {
                let _ = writeln!(self.out, "   log {:?}: {}", log.level, log.message);
            }
            match checks::check_effects(
                &self.plugin.granted,
                Some(self.world.ticket.status),
                &result.value,
            ) {
                Ok(()) => Ok(result.value),
                Err(Refusal::NotGranted(capability)) => Err(PluginError::NotGranted {
                    plugin: id.clone(),
                    capability,
                }),
                Err(Refusal::Invalid(message)) => Err(PluginError::Invalid {
                    plugin: id.clone(),
                    message,
                }),
            }
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                let told = if error.is_host_failure() {
                    self.texts.get("plugin-host-failed", &[])
                } else {
                    self.texts
                        .get("plugin-failed", &[("plugin", self.plugin.name())])
                };
                let reason = format!(
                    "{} stopped because it {}",
                    self.plugin.name(),
                    error.reason()
                );
                writeln!(self.out, "   ✗ {reason}")?;
                writeln!(
                    self.out,
                    "   the bot answers privately: {told:?}, and reports it in the log channel"
                )?;
                happened.error = Some(reason);
                happened.reply = Some((told, true));
                return Ok(());
            }
        };
        if let Some(reply) = &outcome.reply {
            writeln!(self.out, "   {}", report::reply(reply))?;
            happened.reply = match reply {
                c::Reply::Message((m, private)) => Some((report::searchable(m), *private)),
                c::Reply::Update(m) => Some((report::searchable(m), false)),
                c::Reply::Modal(form) => Some((form.title.clone(), true)),
            };
        }
        for effect in outcome.effects {
            happened.effects.push(checks::effect_name(&effect));
            let line = self.apply(effect);
            writeln!(self.out, "   {line}")?;
        }
        Ok(())
    }

    /// Applies one (checked) effect to the world; what it did, in words.
    fn apply(&mut self, effect: c::Effect) -> String {
        let world = &mut self.world;
        match effect {
            c::Effect::Post(post) => {
                let id = world.fresh_id();
                let pings = if post.mention.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (may ping {})",
                        post.mention
                            .iter()
                            .map(|u| report::who(*u))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                format!(
                    "posts in {} (message {id}): {}{pings}",
                    report::post_target(&post.channel),
                    report::message(&post.message)
                )
            }
            c::Effect::Edit((channel, message, content)) => format!(
                "edits message {message} in {}: {}",
                report::channel(channel),
                report::message(&content)
            ),
            c::Effect::SendDm(dm) => format!(
                "sends {} a direct message: {}",
                report::who(dm.user),
                report::message(&dm.message)
            ),
            c::Effect::Rename(name) => {
                let line = format!(
                    "renames the ticket's channel from {:?} to {name:?}",
                    world.ticket.channel_name
                );
                world.ticket.channel_name = name;
                line
            }
            c::Effect::MoveTo(category) => {
                format!("moves the ticket's channel to category {category}")
            }
            c::Effect::CreateVoice((name, key)) => {
                let id = world.fresh_id();
                world.voice.insert(id, Vec::new());
                world
                    .storage
                    .lock()
                    .expect("trial storage")
                    .insert(key.clone(), id.to_string());
                format!("creates the voice channel {name:?} ({id}) and stores its id under {key:?}")
            }
            c::Effect::DeleteVoice(id) => {
                world.voice.remove(&id);
                format!("deletes the voice channel {id}")
            }
            c::Effect::AddNote(text) => format!("adds a staff note: {text:?}"),
            c::Effect::Schedule(timer) => {
                world.timers.insert(
                    timer.key.clone(),
                    world::PendingTimer {
                        due_ms: world.now_ms + timer.delay_ms,
                        payload: timer.payload,
                    },
                );
                format!(
                    "schedules the timer {:?} in {}",
                    timer.key,
                    report::delay(timer.delay_ms)
                )
            }
            c::Effect::CancelTimer(key) => match world.timers.remove(&key) {
                Some(_) => format!("cancels the timer {key:?}"),
                None => format!("cancels the timer {key:?} (none was pending)"),
            },
            c::Effect::Store((key, value)) => {
                let before = world
                    .storage
                    .lock()
                    .expect("trial storage")
                    .insert(key.clone(), value.clone());
                match before {
                    Some(before) => format!("storage: {key} = {value:?} (was {before:?})"),
                    None => format!("storage: {key} = {value:?} (new)"),
                }
            }
            c::Effect::Forget(key) => {
                match world.storage.lock().expect("trial storage").remove(&key) {
                    Some(before) => format!("storage: {key} forgotten (was {before:?})"),
                    None => format!("storage: {key} forgotten (it was not set)"),
                }
            }
            c::Effect::CloseTicket(reason) => {
                world.ticket.status = TicketStatus::Closing;
                format!("closes the ticket: {reason:?}")
            }
            c::Effect::RequestClose => "asks the opener whether the ticket may be closed".into(),
            c::Effect::AddMember(user) => {
                if !world.ticket.members.contains(&user) {
                    world.ticket.members.push(user);
                }
                format!("adds {} to the ticket", report::who(user))
            }
            c::Effect::RemoveMember(user) => {
                world.ticket.members.retain(|m| *m != user);
                format!("removes {} from the ticket", report::who(user))
            }
            c::Effect::SetStatus(label) => {
                let line = format!("sets the ticket's status label to {label:?}");
                world.ticket.status_label = Some(label).filter(|l| !l.is_empty());
                line
            }
            c::Effect::RecordFeedback(feedback) => format!(
                "records feedback: {} star(s){}",
                feedback.stars,
                feedback
                    .comment
                    .map(|c| format!(", {c:?}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// Checks a step's expectations; whether all were met.
    fn expectations(
        &mut self,
        expect: &script::Expect,
        happened: &Happened,
    ) -> Result<bool, TrialError> {
        let mut unmet = Vec::new();
        match (&expect.error, &happened.error) {
            (None, Some(error)) => unmet.push(format!("the step failed: {error}")),
            (Some(wanted), None) => unmet.push(format!(
                "expected it to fail with {wanted:?}, but it did not fail"
            )),
            (Some(wanted), Some(error)) if !error.contains(wanted.as_str()) => {
                unmet.push(format!("expected a failure with {wanted:?}, got: {error}"))
            }
            _ => {}
        }
        if let Some(wanted) = &expect.reply {
            match &happened.reply {
                Some((text, _)) if text.contains(wanted.as_str()) => {}
                Some((text, _)) => {
                    unmet.push(format!("expected an answer with {wanted:?}, got {text:?}"))
                }
                None => unmet.push(format!("expected an answer with {wanted:?}, got no answer")),
            }
        }
        if let Some(wanted) = expect.private {
            match &happened.reply {
                Some((_, private)) if *private == wanted => {}
                Some(_) => unmet.push(format!(
                    "expected a {} answer, got a {} one",
                    if wanted { "private" } else { "public" },
                    if wanted { "public" } else { "private" }
                )),
                None => unmet.push("expected an answer, got none".into()),
            }
        }
        if let Some(wanted) = &expect.effects {
            if wanted
                .iter()
                .map(String::as_str)
                .ne(happened.effects.iter().copied())
            {
                unmet.push(format!(
                    "expected the effects [{}], got [{}]",
                    wanted.join(", "),
                    happened.effects.join(", ")
                ));
            }
        }
        for (key, wanted) in &expect.storage {
            let found = self.world.stored(key);
            if &found != wanted {
                unmet.push(format!(
                    "expected storage {key} = {wanted:?}, found {found:?}"
                ));
            }
        }
        if let Some(wanted) = &expect.timers {
            let mut wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            wanted.sort_unstable();
            let found: Vec<&str> = self.world.timers.keys().map(String::as_str).collect();
            if wanted != found {
                unmet.push(format!(
                    "expected the pending timers [{}], found [{}]",
                    wanted.join(", "),
                    found.join(", ")
                ));
            }
        }
        for problem in &unmet {
            writeln!(self.out, "   ✗ {problem}")?;
        }
        Ok(unmet.is_empty())
    }
}
