//! fivem: a staff button *Player info* that shows, privately, who the ticket's opener is on the
//! community's FiveM server right now: their in-game name, server id, ping and identifiers
//! (license, steam, ...), found by the `discord:<id>` identifier FiveM lists for players who
//! run Discord. It reads the server's public endpoints `/players.json` and `/info.json`
//! through the host (`http`, the server's address in the guild's `http_allow`). "Not online"
//! and "server unreachable" are plain answers.

use serde::Deserialize;
use ticketbot_plugin_sdk::*;

#[derive(Deserialize)]
struct Settings {
    /// The server's base URL, e.g. `http://127.0.0.1:30120`.
    server: String,
}

/// One entry of FiveM's `/players.json`.
#[derive(Deserialize)]
struct Player {
    id: i64,
    name: String,
    #[serde(default)]
    ping: i64,
    #[serde(default)]
    identifiers: Vec<String>,
}

/// What `/info.json` says that matters here.
#[derive(Deserialize, Default)]
struct Info {
    #[serde(default)]
    vars: serde_json::Map<String, serde_json::Value>,
}

const BUTTON: &str = "player";

struct FiveM;

impl Plugin for FiveM {
    fn manifest() -> Manifest {
        manifest("fivem", tr("FiveM player info", "Info do jogador (FiveM)"))
            .version(env!("CARGO_PKG_VERSION"))
            .button(
                ticket_button(
                    BUTTON,
                    tr("Player info", "Info do jogador"),
                    ButtonStyle::Secondary,
                    Audience::Staff,
                )
                .emoji("🎮"),
            )
            .capabilities(&["http"])
            .setting(setting(
                "server",
                text_setting(8, 200),
                tr("Server address", "Endereço do servidor"),
                tr(
                    "The FiveM server's base URL, e.g. \"http://203.0.113.7:30120\"; list its host and port in http_allow.",
                    "O endereço base do servidor FiveM, por exemplo \"http://203.0.113.7:30120\"; coloque o host e a porta em http_allow.",
                ),
            ))
    }

    fn check_settings(settings: &str) -> Vec<SettingProblem> {
        check_settings_with(settings, |s: &Settings| {
            if s.server.starts_with("http://") || s.server.starts_with("https://") {
                Vec::new()
            } else {
                vec![SettingProblem::new(
                    "server",
                    "an http:// or https:// address, e.g. \"http://203.0.113.7:30120\"",
                )]
            }
        })
    }

    fn on_button(ctx: &Context, id: &str) -> Result<Outcome, String> {
        if id != BUTTON {
            return Ok(Outcome::nothing());
        }
        let settings: Settings = ticketbot_plugin_sdk::settings(&ctx.settings)?;
        let ticket = ctx.ticket.as_ref().ok_or("needs a ticket")?;
        let l = ctx.locale.as_str();
        let base = settings.server.trim_end_matches('/');
        let players = match get(&format!("{base}/players.json")) {
            Ok(body) => match serde_json::from_str::<Vec<Player>>(&body) {
                Ok(players) => players,
                Err(_) => return Ok(unreachable(l, "players.json is not a list of players")),
            },
            Err(why) => return Ok(unreachable(l, &why)),
        };
        // The server's name and size are a courtesy: without them the answer still stands.
        let info = get(&format!("{base}/info.json"))
            .ok()
            .and_then(|body| serde_json::from_str::<Info>(&body).ok())
            .unwrap_or_default();
        let var = |key: &str| {
            info.vars
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let server = var("sv_projectName")
            .or_else(|| var("sv_hostname"))
            .unwrap_or_else(|| text(l, "the server", "o servidor"));
        let count = match var("sv_maxClients") {
            Some(max) => format!("{}/{max}", players.len()),
            None => players.len().to_string(),
        };
        let wanted = format!("discord:{}", ticket.opener);
        let Some(player) = players.iter().find(|p| p.identifiers.contains(&wanted)) else {
            return Ok(Outcome::private(
                text(
                    l,
                    "<@{opener}> is not on {server} right now ({count} players online).",
                    "<@{opener}> não está em {server} agora ({count} jogadores online).",
                )
                .replace("{opener}", &ticket.opener.to_string())
                .replace("{server}", &server)
                .replace("{count}", &count),
            ));
        };
        let identifiers: Vec<String> = player
            .identifiers
            .iter()
            .filter(|i| !i.starts_with("ip:"))
            .map(|i| format!("`{i}`"))
            .collect();
        let embed = Embed::new(
            format!("🎮 {}", player.name),
            text(
                l,
                "<@{opener}> is online on {server} ({count} players).",
                "<@{opener}> está online em {server} ({count} jogadores).",
            )
            .replace("{opener}", &ticket.opener.to_string())
            .replace("{server}", &server)
            .replace("{count}", &count),
        )
        .color(0x2F9E44)
        .field(
            text(l, "Server id", "ID no servidor"),
            player.id.to_string(),
            true,
        )
        .field("Ping", format!("{} ms", player.ping), true)
        .field(
            text(l, "Identifiers", "Identificadores"),
            identifiers.join("\n"),
            false,
        );
        Ok(Outcome::reply(Reply::Message((
            Message::embed(embed),
            true,
        ))))
    }
}

/// GETs `url` through the host; the body of a 200, or why not.
fn get(url: &str) -> Result<String, String> {
    let response = host::http(&HttpRequest {
        method: "GET".into(),
        url: url.to_owned(),
        headers: vec![],
        body: None,
    })
    .map_err(|e| match e {
        HostError::NotGranted(c) => format!("the capability {c:?} is not granted"),
        HostError::Failed(why) => why,
    })?;
    if response.status == 200 {
        Ok(response.body)
    } else {
        Err(format!("HTTP {}", response.status))
    }
}

fn unreachable(l: &str, why: &str) -> Outcome {
    Outcome::private(
        text(
            l,
            "The game server did not answer ({why}). Try again in a moment.",
            "O servidor do jogo não respondeu ({why}). Tente de novo em instantes.",
        )
        .replace("{why}", why),
    )
}

plugin!(FiveM);
