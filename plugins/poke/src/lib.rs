//! poke: staff call the opener's attention with a DM naming who poked, the ticket channel and a
//! jump link. One poke per ticket per cooldown; a DM that cannot be delivered is reported to
//! the staff member who pressed the button.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// Seconds between two pokes of the same ticket.
    cooldown_seconds: u64,
}

struct Poke;

impl Plugin for Poke {
    fn manifest() -> Manifest {
        manifest("poke", tr("Poke", "Cutucar"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    "poke",
                    tr("Poke", "Cutucar"),
                    ButtonStyle::Secondary,
                    Audience::Staff,
                )
                .emoji("👋"),
            )
            .capabilities(&["dm", "storage"])
            .setting(
                setting(
                    "cooldown_seconds",
                    integer(0, 86_400),
                    tr("Cooldown (seconds)", "Intervalo (segundos)"),
                    tr(
                        "Seconds before the same ticket can be poked again.",
                        "Segundos até o mesmo ticket poder ser cutucado de novo.",
                    ),
                )
                .default_json("300"),
            )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        if id != "poke" {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("poke needs a ticket")?;
        let user = ctx.user.as_ref().ok_or("poke needs a user")?;
        let l = ctx.locale.as_str();
        let key = format!("last-poke:{}", ticket.id);
        let last = host::get(&key)
            .map_err(|e| format!("{e:?}"))?
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(last) = last {
            let wait_ms =
                (settings.cooldown_seconds * 1000).saturating_sub(ctx.now_ms.saturating_sub(last));
            if wait_ms > 0 {
                let seconds = wait_ms.div_ceil(1000).to_string();
                return Ok(Outcome::private(
                    text(
                        l,
                        "This ticket was poked recently; try again in {s} seconds.",
                        "Este ticket foi cutucado há pouco; tente de novo em {s} segundos.",
                    )
                    .replace("{s}", &seconds),
                ));
            }
        }
        let link = format!(
            "https://discord.com/channels/{}/{}",
            ctx.guild_id, ticket.channel_id
        );
        let embed = Embed::new(
            text(l, "👋 Your ticket needs you", "👋 Seu ticket precisa de você"),
            text(
                l,
                "Hello <@{opener}>! {staff} is waiting for your answer in ticket #{n}: <#{channel}>.",
                "Olá <@{opener}>! {staff} está esperando sua resposta no ticket #{n}: <#{channel}>.",
            )
            .replace("{opener}", &ticket.opener.to_string())
            .replace("{staff}", &user.name)
            .replace("{n}", &ticket.number.to_string())
            .replace("{channel}", &ticket.channel_id.to_string()),
        )
        .color(0xF0B232);
        let dm = Message::embed(embed).row(vec![Component::Link((
            text(l, "Go to the ticket", "Ir para o ticket"),
            link,
        ))]);
        Ok(Outcome::private(text(
            l,
            "The opener was poked by DM.",
            "Quem abriu o ticket foi cutucado por DM.",
        ))
        .with(Effect::SendDm(Dm {
            user: ticket.opener,
            message: dm,
            on_failure: Some(text(
                l,
                "The poke could not be delivered: the opener does not accept DMs.",
                "A cutucada não foi entregue: quem abriu o ticket não aceita DMs.",
            )),
        }))
        .with(Effect::Store((key, ctx.now_ms.to_string()))))
    }
}

plugin!(Poke);
