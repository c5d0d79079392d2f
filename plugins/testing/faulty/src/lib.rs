//! A plugin that misbehaves on purpose, one way per button, for the host's fault-isolation
//! tests: a trap, a panic, an endless loop, a memory bomb, an effect it was not granted, a read
//! that waits on a slow host, and a well-behaved button to show the host still serves it
//! afterwards.

use ticketbot_plugin_sdk::*;

struct Faulty;

const BUTTONS: &[&str] = &[
    "ok",
    "trap",
    "panic",
    "loop",
    "memory",
    "ungranted",
    "secret",
    "slow-read",
    "big",
    "many",
    "huge-value",
    "chatty",
];

impl Plugin for Faulty {
    fn manifest() -> Manifest {
        BUTTONS.iter().fold(
            manifest("faulty", tr("Faulty", "Defeituoso"))
                .version(env!("CARGO_PKG_VERSION"))
                .capabilities(&["dm", "storage", "read-members"]),
            |m, b| {
                m.button(ticket_button(
                    b,
                    tr(b, b),
                    ButtonStyle::Secondary,
                    Audience::Anyone,
                ))
            },
        )
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        match id {
            "ok" => Ok(Outcome::private("still serving")),
            "trap" => core::arch::wasm32::unreachable(),
            "panic" => panic!("the faulty plugin panicked on purpose"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            // The guild grants `dm` only: reading storage is refused with a typed error, and
            // asking to store is refused by the host (nothing of the outcome is performed).
            "ungranted" => match host::get("x") {
                Err(HostError::NotGranted(capability)) => {
                    let opener = ctx.ticket.as_ref().map_or(0, |t| t.opener);
                    Ok(Outcome::private(format!("refused: {capability}"))
                        .with(Effect::SendDm(Dm {
                            user: opener,
                            message: Message::text("should not arrive"),
                            on_failure: None,
                        }))
                        .with(Effect::Store(("x".into(), "y".into()))))
                }
                other => Err(format!("expected not-granted, got {other:?}")),
            },
            "secret" => Err(format!("plugin error for guild {}", ctx.guild_id)),
            // A post past Discord's limits that tries to ping everyone: the host cuts it to
            // fit and lets it ping nobody.
            "big" => {
                let mut embed = Embed::new("T".repeat(300), "D".repeat(5000));
                for i in 0..30 {
                    embed = embed.field(format!("field {i}"), "V".repeat(1100), false);
                }
                let mut message = Message::embed(embed);
                message.content = Some(format!("@everyone @here {}", "C".repeat(2500)));
                Ok(Outcome::private("posted").with(Effect::Post(Post::in_ticket(message))))
            }
            // Past the host's bounds: refused as a whole, nothing performed.
            "many" => Ok((0..30).fold(Outcome::private("thirty"), |o, i| {
                o.with(Effect::Store((format!("k{i}"), "v".into())))
            })),
            "huge-value" => {
                Ok(Outcome::private("huge").with(Effect::Store(("k".into(), "v".repeat(20_000)))))
            }
            // Floods the log: the host writes the first lines and counts the rest.
            "chatty" => {
                for i in 0..1000 {
                    host::log(LogLevel::Info, &format!("line {i}"));
                }
                Ok(Outcome::private("said a lot"))
            }
            // Waits on the host (member roles come from Discord): the wait is not the
            // plugin's time, and a host that fails it is not the plugin's failure.
            "slow-read" => {
                let user = ctx.user.as_ref().map_or(0, |u| u.id);
                match host::member_roles(user) {
                    Ok(roles) => Ok(Outcome::private(format!(
                        "read {} roles",
                        roles.map_or(0, |r| r.len())
                    ))),
                    Err(error) => Err(format!("reading roles failed: {error:?}")),
                }
            }
            _ => Ok(Outcome::nothing()),
        }
    }
}

plugin!(Faulty);
