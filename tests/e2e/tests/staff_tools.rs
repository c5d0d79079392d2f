//! What staff teams expect beyond the original bot: blocking users and roles from opening
//! tickets, with the player's view in pt-BR.

use serde_json::{json, Value};
use ticketbot_e2e::{Harness, WAIT};

/// Staff run `/blacklist <sub>` with `options`; the private answer's text.
async fn blacklist(h: &Harness, user: u64, sub: &str, options: Value) -> String {
    ticketbot_e2e::slash_answer(h, user, "blacklist", sub, options).await
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
        .any(|u| u["id"].as_str() == Some(h.world.player.to_string().as_str())));

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

fn claim_modes(config: &mut ticketbot::config::Config) {
    use ticketbot::config::ClaimMode;
    let guild = &mut config.guilds[0];
    guild.claim_mode = ClaimMode::Exclusive;
    let report = guild
        .ticket_types
        .iter_mut()
        .find(|t| t.id == "report")
        .unwrap();
    report.claim_mode = Some(ClaimMode::Hidden);
}

fn press(
    h: &Harness,
    user: u64,
    welcome: &Value,
    action: &str,
) -> ticketbot_emulator::InteractionHandle {
    let id = ticketbot_e2e::custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with(&format!("tb:{action}:")))
        .unwrap_or_else(|| panic!("no {action} in {welcome}"));
    h.emu
        .user(user)
        .click(ticketbot_e2e::id_of(welcome), &id)
        .unwrap()
}

/// The welcome message of `channel` as it is now.
fn welcome_now(h: &Harness, channel: u64) -> Value {
    h.emu
        .messages_in(channel)
        .into_iter()
        .find(|m| !ticketbot_e2e::custom_ids(m).is_empty())
        .unwrap()
}

/// Claim modes follow claim, unclaim and hand over, by the emulator's permission math: in
/// "exclusive" other staff keep reading but cannot write; in "hidden" they no longer see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_modes_change_who_may_write_and_see() {
    let h = Harness::start_configured("en", |w| w.close_delay_seconds = 0, claim_modes).await;
    let (staff, other, player) = (h.world.staff, h.world.approver, h.world.player);
    let can = |channel: u64, user: u64| {
        h.emu
            .world(|w| (w.can_view(channel, user), w.can_send(channel, user)))
    };

    // Exclusive (the guild's mode): everyone writes until a claim.
    let (channel, welcome) = h.open_ticket(player, "support").await;
    assert_eq!(can(channel, other), (true, true));
    press(&h, staff, &welcome, "claim")
        .response(WAIT)
        .await
        .unwrap();
    ticketbot_e2e::eventually("the claim's permissions", || {
        (can(channel, other) == (true, false)).then_some(())
    })
    .await;
    assert_eq!(can(channel, staff), (true, true), "the claimer writes");
    assert_eq!(can(channel, player), (true, true), "the opener writes");
    assert!(h.emu.user(other).say(channel, "posso ajudar?").is_err());
    // Hand over to the other staff member: they write, the former claimer reads.
    let welcome = welcome_now(&h, channel);
    press(&h, staff, &welcome, "handover")
        .response(WAIT)
        .await
        .unwrap();
    h.emu
        .user(staff)
        .say(channel, &format!("<@{other}>"))
        .unwrap();
    ticketbot_e2e::eventually("the hand-over's permissions", || {
        (can(channel, other) == (true, true) && can(channel, staff) == (true, false)).then_some(())
    })
    .await;
    // Released: all staff write again.
    let welcome = welcome_now(&h, channel);
    press(&h, other, &welcome, "unclaim")
        .response(WAIT)
        .await
        .unwrap();
    ticketbot_e2e::eventually("the release's permissions", || {
        (can(channel, staff) == (true, true) && can(channel, other) == (true, true)).then_some(())
    })
    .await;

    h.close_by_staff(channel, &welcome_now(&h, channel), "ok")
        .await;

    // Hidden (the report type's own mode): other staff no longer see it.
    let (channel, welcome) = h.open_ticket(player, "report").await;
    assert!(can(channel, h.world.moderator).0);
    press(&h, staff, &welcome, "claim")
        .response(WAIT)
        .await
        .unwrap();
    ticketbot_e2e::eventually("hidden from other staff", || {
        (!can(channel, other).0 && !can(channel, h.world.moderator).0).then_some(())
    })
    .await;
    assert_eq!(can(channel, staff), (true, true));
    assert_eq!(can(channel, player), (true, true));
    h.finish().await;
}

fn quick_close_requests(config: &mut ticketbot::config::Config) {
    config.guilds[0].close_request_after = std::time::Duration::from_secs(3);
}

/// The close request the bot posted in `channel` after log position `from`.
async fn request_in(h: &Harness, from: usize, channel: u64) -> Value {
    h.message_where(from, channel, |m| {
        ticketbot_e2e::custom_ids(m)
            .concat()
            .iter()
            .any(|id| id.starts_with("tb:closeyes:"))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_request_is_answered_by_the_opener_or_closes_when_due_even_after_a_restart() {
    let mut h =
        Harness::start_configured("en", |w| w.close_delay_seconds = 0, quick_close_requests).await;
    let (staff, player) = (h.world.staff, h.world.player);
    let (channel, welcome) = h.open_ticket(player, "support").await;

    // Staff ask; the opener is pinged with the two answers.
    let from = h.emu.log_position();
    let asked = press(&h, staff, &welcome, "closereq")
        .response(WAIT)
        .await
        .unwrap();
    assert!(asked["data"]["content"]
        .as_str()
        .unwrap()
        .starts_with("The opener was asked"));
    let request = request_in(&h, from, channel).await;
    assert_eq!(request["mentions"][0]["id"], player.to_string());
    // Only the opener answers.
    let refused = press(&h, staff, &request, "closeno")
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        refused["data"]["content"],
        "Only the person who opened this ticket can do that."
    );
    let kept = press(&h, player, &request, "closeno")
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(kept["type"], 7, "the request is answered in place");
    assert_eq!(
        kept["data"]["content"],
        "👍 The opener kept the ticket open."
    );
    assert!(h
        .bot()
        .store()
        .close_request(h.ticket_in(channel).await.unwrap().id)
        .await
        .unwrap()
        .is_none());

    // Asked again, the opener agrees: the ticket closes in their name.
    let from = h.emu.log_position();
    press(&h, staff, &welcome, "closereq")
        .response(WAIT)
        .await
        .unwrap();
    let request = request_in(&h, from, channel).await;
    let closing = press(&h, player, &request, "closeyes")
        .response(WAIT)
        .await
        .unwrap();
    assert!(closing["data"]["content"]
        .as_str()
        .unwrap()
        .contains("the opener confirmed the close"));
    let ticket = h
        .wait_ticket(channel, "closed", |t| {
            t.status == ticketbot::store::TicketStatus::Closed
        })
        .await;
    assert_eq!(ticket.closed_by, Some(player));

    // Unanswered, across a restart: it closes when due, in the requester's name.
    let (channel, welcome) = h.open_ticket(player, "support").await;
    let from = h.emu.log_position();
    press(&h, staff, &welcome, "closereq")
        .response(WAIT)
        .await
        .unwrap();
    request_in(&h, from, channel).await;
    h.restart().await;
    let ticket = h
        .wait_ticket(channel, "closed", |t| {
            t.status == ticketbot::store::TicketStatus::Closed
        })
        .await;
    assert_eq!(ticket.closed_by, Some(staff));
    assert_eq!(
        ticket.close_reason.as_deref(),
        Some("no answer to the close request")
    );
    h.finish().await;
}
