//! What staff teams expect beyond the original bot: blocking users and roles from opening
//! tickets, with the player's view in pt-BR.

use serde_json::{json, Value};
use ticketbot_e2e::{Harness, WAIT};

/// Staff run `/blacklist <sub>` with `options`; the private answer's text.
async fn blacklist(h: &Harness, user: u64, sub: &str, options: Value) -> String {
    let answer = h
        .emu
        .user(user)
        .slash(
            h.world.log_channel,
            "blacklist",
            json!([{"name": sub, "type": 1, "options": options}]),
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    answer["data"]["content"].as_str().unwrap().to_owned()
}

/// `user` presses *Open ticket* on the panel: the private answer.
async fn press_open(h: &Harness, user: u64) -> Value {
    let panel = h.post_panel().await;
    h.emu
        .user(user)
        .click(panel, "tb:open")
        .unwrap()
        .response(WAIT)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_block_users_and_roles_from_opening_tickets() {
    let h = Harness::start_in("pt-BR").await;
    let (player, moderator) = (h.world.player, h.world.moderator);
    // Players may not.
    assert_eq!(
        blacklist(&h, player, "list", json!([])).await,
        "Apenas a equipe pode fazer isso."
    );
    assert_eq!(
        blacklist(&h, h.world.staff, "add", json!([{"name": "user", "type": 6, "value": player.to_string()}, {"name": "reason", "type": 3, "value": "spam de tickets"}])).await,
        format!("🚫 <@{player}> não pode mais abrir tickets aqui.")
    );
    assert_eq!(
        blacklist(
            &h,
            h.world.staff,
            "add",
            json!([{"name": "role", "type": 8, "value": h.world.moderator_role.to_string()}])
        )
        .await,
        format!(
            "🚫 <@&{}> não pode mais abrir tickets aqui.",
            h.world.moderator_role
        )
    );
    // The blocked player gets a clear, private refusal with the reason; so does the role.
    let refused = press_open(&h, player).await;
    assert_eq!(refused["data"]["flags"], 64);
    assert_eq!(
        refused["data"]["content"],
        "Você não pode abrir tickets neste servidor: spam de tickets"
    );
    let refused = press_open(&h, moderator).await;
    assert_eq!(
        refused["data"]["content"],
        "Você não pode abrir tickets neste servidor. Se acha que é um engano, fale com a equipe."
    );
    let list = blacklist(&h, h.world.staff, "list", json!([])).await;
    assert!(
        list.contains(&format!(
            "<@{player}> · spam de tickets · por <@{}>",
            h.world.staff
        )),
        "{list}"
    );
    assert!(
        list.contains(&format!("<@&{}> · —", h.world.moderator_role)),
        "{list}"
    );
    // One target at a time.
    assert_eq!(
        blacklist(&h, h.world.staff, "remove", json!([])).await,
        "Informe exatamente um usuário ou um cargo."
    );
    // Unblocked, the player opens a ticket again.
    assert_eq!(
        blacklist(
            &h,
            h.world.staff,
            "remove",
            json!([{"name": "user", "type": 6, "value": player.to_string()}])
        )
        .await,
        format!("✅ <@{player}> pode abrir tickets de novo.")
    );
    let (channel, _) = h.open_ticket(player, "support").await;
    assert!(h.ticket_in(channel).await.is_some());
    // Every change is in the event log.
    let events = h.bot().store().events(h.world.guild).await.unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e.kind.starts_with("blacklist."))
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["blacklist.added", "blacklist.added", "blacklist.removed"]
    );
    h.finish().await;
}
