//! voice-call: a *Voice call* button that creates a voice channel for the ticket that only its
//! participants and staff can see and join. The channel is deleted once it has been empty for
//! `empty_after` (default five minutes), also when nobody ever joins; the host deletes it when
//! the ticket ends. The timer is the host's, so it survives a restart.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Seconds an empty voice channel is kept.
    empty_after: u64,
}

const EMPTY_TIMER: &str = "empty";

struct VoiceCall;

fn channel_key(ticket: i64) -> String {
    format!("voice:{ticket}")
}

/// How many people the host last said were in the ticket's voice channel.
fn occupants_key(ticket: i64) -> String {
    format!("occupants:{ticket}")
}

impl Plugin for VoiceCall {
    fn manifest() -> Manifest {
        manifest("voice-call", tr("Voice call", "Chamada de Voz"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    "call",
                    tr("Voice call", "Chamada de Voz"),
                    ButtonStyle::Secondary,
                    Audience::Participants,
                )
                .emoji("🔊"),
            )
            .capabilities(&["voice-channels", "timers", "storage"])
            .subscribe(&[Subscription::VoiceState, Subscription::TicketClosed])
            .setting(
                setting(
                    "empty_after",
                    duration(3, 86_400),
                    tr("Empty for", "Vazio por"),
                    tr(
                        "How long an empty voice channel is kept, e.g. \"5m\".",
                        "Quanto tempo um canal de voz vazio é mantido, por exemplo \"5m\".",
                    ),
                )
                .default_json("300"),
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        respond(ctx, &Event::Button(id.to_owned()))
    }

    fn on_voice(ctx: &Context, change: &VoiceChange) -> Result<Outcome, String> {
        respond(ctx, &Event::Voice(*change))
    }

    fn on_timer(ctx: &Context, timer: &TimerFired) -> Result<Outcome, String> {
        respond(ctx, &Event::Timer(timer.clone()))
    }

    fn on_ticket_closed(ctx: &Context) -> Result<Outcome, String> {
        respond(ctx, &Event::TicketClosed)
    }
}

/// What the plugin does for `event`, from what it stored about the ticket's channel.
fn respond(ctx: &Context, event: &Event) -> Result<Outcome, String> {
    let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
    let ticket = ctx.ticket.as_ref().ok_or("voice-call needs a ticket")?;
    let l = ctx.locale.as_str();
    let key = channel_key(ticket.id);
    let existing = host::get(&key)
        .map_err(|e| format!("{e:?}"))?
        .and_then(|v| v.parse::<u64>().ok());
    let empty_ms = settings.empty_after * 1000;
    let start_timer = |channel: u64| {
        Effect::Schedule(Timer {
            key: EMPTY_TIMER.into(),
            delay_ms: empty_ms,
            payload: channel.to_string(),
        })
    };
    match event {
        Event::Button(_) => {
            if let Some(channel) = existing {
                return Ok(Outcome::private(
                    text(
                        l,
                        "This ticket's voice channel is <#{c}>.",
                        "O canal de voz deste ticket é <#{c}>.",
                    )
                    .replace("{c}", &channel.to_string()),
                ));
            }
            let name = format!("🔊 ticket-{}", ticket.number);
            // The host creates the channel and stores its id under `key`; the timer, set
            // with no channel id yet, removes it if nobody joins.
            Ok(Outcome::public(
                text(
                    l,
                    "🔊 A voice channel was created for this ticket. It closes after {m} empty.",
                    "🔊 Um canal de voz foi criado para este ticket. Ele fecha após {m} vazio.",
                )
                .replace("{m}", &span(l, settings.empty_after)),
            )
            .with(Effect::CreateVoice((name, key)))
            .with(start_timer(0)))
        }
        Event::Voice(change) => {
            let Some(channel) = existing else {
                return Ok(Outcome::nothing());
            };
            let seen = Effect::Store((occupants_key(ticket.id), change.occupants.to_string()));
            if change.joined == Some(channel) {
                Ok(Outcome::nothing()
                    .with(Effect::CancelTimer(EMPTY_TIMER.into()))
                    .with(seen))
            } else if change.occupants == 0 {
                Ok(Outcome::nothing().with(start_timer(channel)).with(seen))
            } else {
                Ok(Outcome::nothing().with(seen))
            }
        }
        Event::Timer(_) => {
            let Some(channel) = existing else {
                return Ok(Outcome::nothing());
            };
            // A timer taken for firing just as someone joined (their join handled first)
            // finds the channel occupied: it stays.
            let occupants = host::get(&occupants_key(ticket.id))
                .map_err(|e| format!("{e:?}"))?
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0);
            if occupants > 0 {
                return Ok(Outcome::nothing());
            }
            Ok(Outcome::nothing()
                .with(Effect::DeleteVoice(channel))
                .with(Effect::Forget(key))
                .with(Effect::Forget(occupants_key(ticket.id))))
        }
        Event::TicketClosed => {
            let Some(channel) = existing else {
                return Ok(Outcome::nothing());
            };
            Ok(Outcome::nothing()
                .with(Effect::DeleteVoice(channel))
                .with(Effect::Forget(key))
                .with(Effect::Forget(occupants_key(ticket.id))))
        }
        _ => Ok(Outcome::nothing()),
    }
}

/// `seconds` in words: minutes when whole, else seconds.
fn span(l: &str, seconds: u64) -> String {
    if seconds.is_multiple_of(60) {
        let m = seconds / 60;
        match (m, l.starts_with("pt")) {
            (1, true) => "1 minuto".into(),
            (1, false) => "1 minute".into(),
            (m, true) => format!("{m} minutos"),
            (m, false) => format!("{m} minutes"),
        }
    } else {
        format!("{seconds} {}", text(l, "seconds", "segundos"))
    }
}

plugin!(VoiceCall);
