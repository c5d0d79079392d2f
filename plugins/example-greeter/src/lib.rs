//! example-greeter: a small plugin to start from. It adds a *Greet* button for staff that posts
//! a configurable greeting in the ticket, mentioning the opener, once per ticket.
//!
//! Build it with `cargo build --release --target wasm32-wasip2 --manifest-path plugins/Cargo.toml
//! -p example-greeter`, then enable it in `config.toml` with
//! `path = "plugins/target/wasm32-wasip2/release/example_greeter.wasm"`.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

/// The settings a guild gives in `[guild.plugin.settings]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The greeting; `{opener}` becomes a mention of the ticket's opener.
    greeting: String,
}

struct Greeter;

impl Guest for Greeter {
    fn describe() -> Manifest {
        Manifest {
            id: "example-greeter".into(),
            name: "Greeter (example)".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            buttons: vec![ticket_button(
                "greet",
                "Greet",
                Some("🙂"),
                ButtonStyle::Secondary,
                Audience::Staff,
            )],
            // Posting in the ticket's own channel needs no capability; remembering that the
            // ticket was greeted needs `storage`.
            capabilities: vec!["storage".into()],
            subscriptions: vec![],
        }
    }

    fn check_settings(settings: String) -> Vec<SettingProblem> {
        check_settings_with(&settings, |s: &Settings| {
            let mut problems = Vec::new();
            if s.greeting.trim().is_empty() {
                problems.push(SettingProblem::new("greeting", "must not be empty"));
            } else if s.greeting.len() > 1500 {
                problems.push(SettingProblem::new("greeting", "at most 1500 characters"));
            }
            problems
        })
    }

    fn handle(ctx: Context, event: Event) -> Result<Outcome, String> {
        install_panic_hook();
        let Event::Button(_) = event else {
            return Ok(Outcome::nothing());
        };
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.ok_or("needs a ticket")?;
        let key = format!("greeted:{}", ticket.id);
        if host::get(&key).map_err(|e| format!("{e:?}"))?.is_some() {
            return Ok(Outcome::private(text(
                &ctx.locale,
                "This ticket was already greeted.",
                "Este ticket já foi saudado.",
            )));
        }
        let greeting = settings
            .greeting
            .replace("{opener}", &format!("<@{}>", ticket.opener));
        Ok(
            Outcome::private(text(&ctx.locale, "Greeting posted.", "Saudação enviada."))
                .with(Effect::Post((Channel::Ticket, Message::text(greeting))))
                .with(Effect::Store((key, "1".into()))),
        )
    }
}

export!(Greeter);
