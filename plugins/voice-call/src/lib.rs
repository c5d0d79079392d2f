//! voice-call: a *Voice call* button that creates a voice channel for the ticket that only its
//! participants and staff can see and join. The channel is deleted once it has been empty for
//! `empty_minutes` (default 5), also when nobody ever joins; the host deletes it when the
//! ticket ends. The timer is the host's, so it survives a restart.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Minutes an empty voice channel is kept.
    #[serde(default = "default_minutes")]
    empty_minutes: f64,
}

fn default_minutes() -> f64 {
    5.0
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

impl Guest for VoiceCall {
    fn describe() -> Manifest {
        Manifest {
            id: "voice-call".into(),
            name: "Voice call".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            buttons: vec![ticket_button(
                "call",
                "Voice call",
                Some("🔊"),
                ButtonStyle::Secondary,
                Audience::Participants,
            )],
            capabilities: vec!["voice-channels".into(), "timers".into(), "storage".into()],
            subscriptions: vec![Subscription::VoiceState, Subscription::TicketClosed],
        }
    }

    fn check_settings(settings: String) -> Vec<SettingProblem> {
        check_settings_with(&settings, |s: &Settings| {
            let mut problems = Vec::new();
            if !(0.05..=1440.0).contains(&s.empty_minutes) {
                problems.push(SettingProblem::new(
                    "empty_minutes",
                    "between 0.05 (3 seconds) and 1440 (a day)",
                ));
            }
            problems
        })
    }

    fn handle(ctx: Context, event: Event) -> Result<Outcome, String> {
        install_panic_hook();
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("voice-call needs a ticket")?;
        let l = ctx.locale.as_str();
        let key = channel_key(ticket.id);
        let existing = host::get(&key)
            .map_err(|e| format!("{e:?}"))?
            .and_then(|v| v.parse::<u64>().ok());
        let empty_ms = (settings.empty_minutes * 60_000.0) as u64;
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
                    text(l, "🔊 A voice channel was created for this ticket. It closes after {m} minutes empty.", "🔊 Um canal de voz foi criado para este ticket. Ele fecha após {m} minutos vazio.")
                        .replace("{m}", &trim(settings.empty_minutes)),
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
}

fn trim(minutes: f64) -> String {
    if minutes.fract() == 0.0 {
        format!("{minutes:.0}")
    } else {
        format!("{minutes}")
    }
}

export!(VoiceCall);
