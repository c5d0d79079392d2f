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

/// The channel a "ticket created" answer links to.
fn linked_channel(answer: &Value) -> u64 {
    let url = answer["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no link in {answer}"));
    url.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_open_a_ticket_for_a_player_by_command_or_context_menu() {
    let h = Harness::start_in("pt-BR").await;
    let staff = h.emu.user(h.world.staff);
    // `/ticket open user: type:`.
    let open = json!([{"name": "open", "type": 1, "options": [
        {"name": "user", "type": 6, "value": h.world.player.to_string()},
        {"name": "type", "type": 3, "value": "report"}]}]);
    let command = staff.slash(h.world.log_channel, "ticket", open).unwrap();
    assert_eq!(command.response(WAIT).await.unwrap()["type"], 5);
    let answer = command.message(WAIT).await.unwrap();
    let channel = linked_channel(&answer);
    assert_eq!(
        answer["content"],
        format!(
            "Ticket <#{channel}> aberto para <@{}>; ele foi mencionado lá.",
            h.world.player
        )
    );
    let ticket = h.ticket_in(channel).await.unwrap();
    assert_eq!(
        (ticket.opener_id, ticket.type_id.as_str()),
        (h.world.player, "report")
    );
    // The player is in the channel and was pinged by its welcome.
    assert!(h.emu.world(|w| w.can_view(channel, h.world.player)));
    let welcome = ticketbot_e2e::eventually("the welcome", || {
        h.emu
            .messages_in(channel)
            .into_iter()
            .find(|m| !ticketbot_e2e::custom_ids(m).is_empty())
    })
    .await;
    assert!(welcome["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == h.world.player.to_string()));

    // The member's context menu, in the guild's language: the first type.
    let menu = staff
        .user_command(h.world.log_channel, "Abrir ticket", h.world.moderator)
        .unwrap();
    let channel = linked_channel(&menu.message(WAIT).await.unwrap());
    let ticket = h.ticket_in(channel).await.unwrap();
    assert_eq!(ticket.opener_id, h.world.moderator);
    assert_eq!(ticket.type_id, h.config().guilds[0].ticket_types[0].id);

    // Players may not.
    let refused = h
        .emu
        .user(h.world.player)
        .user_command(h.world.log_channel, "Abrir ticket", h.world.approver)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        refused["data"]["content"],
        "Apenas a equipe pode fazer isso."
    );
    h.finish().await;
}
