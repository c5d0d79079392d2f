//! Moving from the original bot while it runs: its panel message, taken over by
//! `ticketbot::legacy::import`, opens tickets whatever its button's custom_id; other unknown
//! buttons still get the plain refusal; imported pages answer at their old links.

use serde_json::json;
use ticketbot_e2e::{answer_text, custom_ids, id_of, Harness, WAIT};

const TOKEN: &str = "5d41402a-bc4b-4a76-8e9c-1a2b3c4d5e6f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_panel_opens_tickets_after_an_import() {
    let h = Harness::start().await;
    // The original's panel, posted long ago by the same bot account, with its own custom_id.
    let old_panel = h.emu.seed_bot_message(
        h.world.panel_channel,
        "Abra um ticket",
        vec![json!({"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Abrir ticket", "custom_id": "abrir_ticket"}
        ]})],
    );
    let elsewhere = h.emu.seed_bot_message(
        h.world.panel_channel,
        "Outra coisa",
        vec![json!({"type": 1, "components": [
            {"type": 2, "style": 1, "label": "???", "custom_id": "coisa_antiga"}
        ]})],
    );

    // Before the import the old button is just unknown.
    let before = h
        .emu
        .user(h.world.player)
        .click(old_panel, "abrir_ticket")
        .unwrap();
    let refusal = answer_text(&before).await;
    assert!(!refusal.is_empty());

    let original = h.dir.path().join("original.duckdb");
    {
        let db = duckdb::Connection::open(&original).unwrap();
        db.execute_batch(
            "CREATE TABLE ticket_html (token VARCHAR PRIMARY KEY, html_content VARCHAR);",
        )
        .unwrap();
        db.execute(
            "INSERT INTO ticket_html VALUES (?, ?)",
            duckdb::params![TOKEN, "<p>Histórico antigo</p>"],
        )
        .unwrap();
    }
    let panel_json = h.dir.path().join("panel.json");
    std::fs::write(
        &panel_json,
        format!(r#"{{"panel_message_id": {old_panel}}}"#),
    )
    .unwrap();
    let config = h.config();
    let report = ticketbot::legacy::import(
        h.bot().store(),
        &ticketbot::legacy::LegacyImport {
            duckdb: &original,
            panel_json: Some(&panel_json),
            guild: config.guild(h.world.guild).unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (report.found, report.imported, report.panel),
        (1, 1, Some(old_panel))
    );

    // The old button now shows the type menu, and the choice opens a ticket.
    let actor = h.emu.user(h.world.player);
    let menu = actor
        .click(old_panel, "abrir_ticket")
        .unwrap()
        .message(WAIT)
        .await
        .unwrap();
    assert!(
        custom_ids(&menu).concat().contains(&"tb:type".to_owned()),
        "{menu}"
    );
    let answer = actor
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap()
        .message(WAIT)
        .await
        .unwrap();
    assert!(
        answer["components"][0]["components"][0]["url"].is_string(),
        "{answer}"
    );
    let channel: u64 = answer["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(h.ticket_in(channel).await.is_some());

    // Another old button is still refused, not taken for the panel.
    let other = h
        .emu
        .user(h.world.player)
        .click(elsewhere, "coisa_antiga")
        .unwrap();
    assert_eq!(answer_text(&other).await, refusal);

    // The old page answers at its old link.
    let (status, body) = h.get(&format!("/api/ticket/{TOKEN}")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "<p>Histórico antigo</p>");
    h.finish().await;
}
