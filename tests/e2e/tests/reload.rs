//! The operator's reload: a changed `config.toml` is put in force without dropping the gateway
//! (texts, plugins, open tickets' buttons), and a file with a typo is refused with its file
//! and line while the bot keeps running on the configuration it had.

use ticketbot_e2e::{custom_ids, Harness};

fn has_poke(welcome: &serde_json::Value) -> bool {
    custom_ids(welcome)
        .concat()
        .iter()
        .any(|id| id.starts_with("pl:poke:"))
}

fn description(welcome: &serde_json::Value) -> String {
    welcome["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_changes_texts_and_plugins_live_and_a_typo_changes_nothing() {
    let mut h = Harness::start_in("en").await;
    let identified = h.emu.gateway_stats().identifies;
    let (open_channel, before) = h.open_ticket(h.world.player, "support").await;
    assert!(has_poke(&before));

    // A typo: refused with its file and line, and nothing changes.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "database = \"x.duckdb\"\n[[guild]]\nid = 1\npanel_chanel = 2\n",
    )
    .unwrap();
    let error = ticketbot::config::Config::load(&file).unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains(&format!("{}:4:", file.display())), "{shown}");

    // The operator turns poke off and rewrites the welcome text.
    h.world.plugins.retain(|p| !p.contains("id = \"poke\""));
    h.world.text_overrides.push((
        "welcome-description".into(),
        "Reloaded hello, { $opener }.".into(),
    ));
    let notes = h.bot().reload(h.config()).await;
    assert!(notes.is_empty(), "{notes:?}");
    let player = h.emu.create_user("Joana");
    h.emu.add_member(h.world.guild, player, &[]);
    let (_, after) = h.open_ticket(player, "support").await;
    assert!(!has_poke(&after), "{after}");
    assert!(
        description(&after).starts_with("Reloaded hello, "),
        "{after}"
    );
    // The ticket opened before loses the button it can no longer use.
    let welcome = ticketbot_e2e::id_of(&before);
    ticketbot_e2e::eventually("the open ticket's buttons refreshed", || {
        h.emu
            .messages_in(open_channel)
            .into_iter()
            .find(|m| ticketbot_e2e::id_of(m) == welcome && !has_poke(m))
    })
    .await;
    assert_eq!(
        h.emu.gateway_stats().identifies,
        identified,
        "the gateway was not dropped"
    );
    h.finish().await;
}
