//! auto-close: a ticket whose opener has not written for `warn_after` gets a warning that
//! mentions them; `close_after` later, still without a word from them, it is closed with a
//! reason. Any message from the opener starts the wait again; staff can pause and resume it per
//! ticket with a button. The waits can differ per ticket type. The timers are the host's, so
//! they survive restarts; a close already in progress is left alone by the host.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Seconds without a message from the opener before the warning.
    warn_after: u64,
    /// Seconds after the warning before the close.
    close_after: u64,
    /// Other waits for some ticket types.
    per_type: Vec<PerType>,
}

#[derive(Deserialize)]
struct PerType {
    #[serde(rename = "type")]
    type_id: String,
    warn_after: u64,
    close_after: u64,
}

impl Settings {
    /// (warn after, close after) in seconds for tickets of `type_id`.
    fn waits(&self, type_id: &str) -> (u64, u64) {
        self.per_type
            .iter()
            .find(|p| p.type_id == type_id)
            .map_or((self.warn_after, self.close_after), |p| {
                (p.warn_after, p.close_after)
            })
    }
}

const WARN: &str = "warn";
const CLOSE: &str = "close";
const PAUSE: &str = "pause";

fn paused_key(ticket: i64) -> String {
    format!("paused:{ticket}")
}

struct AutoClose;

impl Plugin for AutoClose {
    fn manifest() -> Manifest {
        let wait = |min, max| duration_value(min, max);
        manifest("auto-close", tr("Auto-close", "Fechamento automático"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    PAUSE,
                    tr("Pause auto-close", "Pausar fechamento automático"),
                    ButtonStyle::Secondary,
                    Audience::Staff,
                )
                .emoji("⏸️"),
            )
            .capabilities(&["timers", "storage", "read-messages", "close-tickets"])
            .subscribe(&[
                Subscription::TicketOpened,
                Subscription::TicketMessages,
                Subscription::TicketClosed,
            ])
            .setting(
                setting(
                    "warn_after",
                    duration(1, 30 * 86_400),
                    tr("Warn after", "Avisar após"),
                    tr(
                        "How long the opener may stay silent before the warning, e.g. \"48h\".",
                        "Quanto tempo quem abriu pode ficar em silêncio antes do aviso, por exemplo \"48h\".",
                    ),
                )
                .default_json("172800"),
            )
            .setting(
                setting(
                    "close_after",
                    duration(1, 30 * 86_400),
                    tr("Close after the warning", "Fechar após o aviso"),
                    tr(
                        "How long after the warning the ticket closes without an answer, e.g. \"24h\".",
                        "Quanto tempo após o aviso o ticket fecha sem resposta, por exemplo \"24h\".",
                    ),
                )
                .default_json("86400"),
            )
            .setting(
                setting(
                    "per_type",
                    table(
                        vec![
                            column("type", tr("Ticket type", "Tipo de ticket"), text_value(1, 32)),
                            column("warn_after", tr("Warn after", "Avisar após"), wait(1, 30 * 86_400)),
                            column("close_after", tr("Close after", "Fechar após"), wait(1, 30 * 86_400)),
                        ],
                        25,
                    ),
                    tr("Per ticket type", "Por tipo de ticket"),
                    tr(
                        "Other waits for some ticket types.",
                        "Outros tempos para alguns tipos de ticket.",
                    ),
                )
                .default_json("[]"),
            )
    }

    fn on_ticket_opened(ctx: &Context, _answers: &[Field]) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        Ok(Outcome::nothing().with(timer(WARN, settings.waits(&ticket.type_id).0)))
    }

    fn on_message(ctx: &Context, message: &PostedMessage) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        // Only the opener's words restart the wait; staff answering does not.
        if message.author != ticket.opener || stored(&paused_key(ticket.id))?.is_some() {
            return Ok(Outcome::nothing());
        }
        Ok(Outcome::nothing()
            .with(Effect::CancelTimer(CLOSE.into()))
            .with(timer(WARN, settings.waits(&ticket.type_id).0)))
    }

    fn on_timer(ctx: &Context, fired: &TimerFired) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let l = ctx.locale.as_str();
        if ticket.status != TicketStatus::Open || stored(&paused_key(ticket.id))?.is_some() {
            return Ok(Outcome::nothing());
        }
        let (_, close_after) = settings.waits(&ticket.type_id);
        Ok(match fired.key.as_str() {
            WARN => {
                let warning = text(
                    l,
                    "⏳ <@{opener}>, this ticket closes in {wait} unless you answer.",
                    "⏳ <@{opener}>, este ticket fecha em {wait} se você não responder.",
                )
                .replace("{opener}", &ticket.opener.to_string())
                .replace("{wait}", &span(l, close_after));
                Outcome::nothing()
                    .with(Effect::Post(Post::in_ticket(Message::text(warning))))
                    .with(timer(CLOSE, close_after))
            }
            CLOSE => Outcome::nothing().with(Effect::CloseTicket(text(
                l,
                "no answer from the opener",
                "sem resposta de quem abriu",
            ))),
            _ => Outcome::nothing(),
        })
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        if id != PAUSE {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let user = ctx.user.as_ref().ok_or("needs a user")?;
        let l = ctx.locale.as_str();
        let key = paused_key(ticket.id);
        Ok(if stored(&key)?.is_some() {
            Outcome::public(
                text(
                    l,
                    "▶️ Auto-close resumed by <@{u}>.",
                    "▶️ Fechamento automático retomado por <@{u}>.",
                )
                .replace("{u}", &user.id.to_string()),
            )
            .with(Effect::Forget(key))
            .with(timer(WARN, settings.waits(&ticket.type_id).0))
        } else {
            Outcome::public(
                text(
                    l,
                    "⏸️ Auto-close paused by <@{u}>.",
                    "⏸️ Fechamento automático pausado por <@{u}>.",
                )
                .replace("{u}", &user.id.to_string()),
            )
            .with(Effect::Store((key, user.id.to_string())))
            .with(Effect::CancelTimer(WARN.into()))
            .with(Effect::CancelTimer(CLOSE.into()))
        })
    }

    fn on_ticket_closed(ctx: &Context) -> Result<Outcome, String> {
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        // The host removes the ticket's timers; its pause goes too.
        Ok(Outcome::nothing().with(Effect::Forget(paused_key(ticket.id))))
    }
}

/// The timer `key`, `seconds` from now.
fn timer(key: &str, seconds: u64) -> Effect {
    Effect::Schedule(Timer {
        key: key.to_owned(),
        delay_ms: seconds * 1000,
        payload: String::new(),
    })
}

/// `seconds` in words, in the largest whole unit.
fn span(l: &str, seconds: u64) -> String {
    let pt = l.starts_with("pt");
    let (n, one, many) = if seconds.is_multiple_of(86_400) {
        (seconds / 86_400, ("day", "dia"), ("days", "dias"))
    } else if seconds.is_multiple_of(3600) {
        (seconds / 3600, ("hour", "hora"), ("hours", "horas"))
    } else if seconds.is_multiple_of(60) {
        (seconds / 60, ("minute", "minuto"), ("minutes", "minutos"))
    } else {
        (seconds, ("second", "segundo"), ("seconds", "segundos"))
    };
    let word = match (n == 1, pt) {
        (true, false) => one.0,
        (true, true) => one.1,
        (false, false) => many.0,
        (false, true) => many.1,
    };
    format!("{n} {word}")
}

plugin!(AutoClose);
