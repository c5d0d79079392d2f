//! example-greeter: a small plugin to start from. It adds a *Greet* button for staff that posts
//! a configurable greeting in the ticket, mentioning the opener, once per ticket.
//!
//! Build it with `cargo build --release --target wasm32-wasip2 --manifest-path plugins/testing/Cargo.toml
//! -p example-greeter`, then enable it in `config.toml` with
//! `path = "plugins/testing/target/wasm32-wasip2/release/example_greeter.wasm"`.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

/// The settings a guild gives in `[guild.plugin.settings]`, as the host passes them: checked
/// against the schema in the manifest, with the default filled in.
#[derive(Deserialize)]
struct Settings {
    /// The greeting; `{opener}` becomes a mention of the ticket's opener.
    greeting: String,
}

struct Greeter;

impl Plugin for Greeter {
    fn manifest() -> Manifest {
        manifest(
            "example-greeter",
            tr("Greeter (example)", "Saudação (exemplo)"),
        )
        .version(env!("CARGO_PKG_VERSION"))
        .button(
            ticket_button(
                "greet",
                tr("Greet", "Saudar"),
                ButtonStyle::Secondary,
                Audience::Staff,
            )
            .emoji("🙂"),
        )
        // Posting in the ticket's own channel needs no capability; remembering that the
        // ticket was greeted needs `storage`.
        .capabilities(&["storage"])
        .setting(
            setting(
                "greeting",
                text_setting(1, 1500),
                tr("Greeting", "Saudação"),
                tr(
                    "Posted in the ticket; {opener} mentions its opener.",
                    "Postada no ticket; {opener} menciona quem o abriu.",
                ),
            )
            .default_localized(tr(
                "\"Welcome, {opener}! Staff will be with you shortly.\"",
                "\"Bem-vindo, {opener}! A equipe já vai te atender.\"",
            )),
        )
    }

    fn on_button(ctx: &Context, _button: &str) -> Result<Outcome, String> {
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let key = format!("greeted:{}", ticket.id);
        if stored(&key)?.is_some() {
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
                .with(Effect::Post(Post::in_ticket(Message::text(greeting))))
                .with(Effect::Store((key, "1".into()))),
        )
    }
}

plugin!(Greeter);
