//! The ticket lifecycle end to end: what Discord shows (channels, overwrites, messages,
//! components, ephemeral flags, DMs) and what the database holds, for every core flow.

use serde_json::Value;
use ticketbot::store::TicketStatus;
use ticketbot_e2e::{custom_ids, id_of, says, Harness, WAIT};

const EPHEMERAL: u64 = 64;
const VIEW: u64 = 1 << 10;
const SEND: u64 = 1 << 11;
const HISTORY: u64 = 1 << 16;
const ATTACH: u64 = 1 << 15;

fn button(welcome: &Value, prefix: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with(&format!("tb:{prefix}:")))
        .unwrap_or_else(|| panic!("no {prefix} button in {welcome}"))
}

fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name} in {embed}"))
}

async fn ticket_of(h: &Harness, channel: u64) -> ticketbot::store::TicketRecord {
    h.ticket_in(channel).await.expect("ticket in the database")
}

/// An ephemeral answer's text (initial response or message).
fn text(v: &Value) -> String {
    v["content"].as_str().or(v["data"]["content"].as_str()).unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_creates_a_private_channel_with_a_welcome() {
    let h = Harness::start_in("en").await;
    // The category lets only staff see it; the ticket adds the opener.
    let answer = h.choose_type(h.world.player, "support").await;
    assert_eq!(answer["flags"].as_u64().unwrap() & EPHEMERAL, EPHEMERAL);
    assert!(text(&answer).starts_with("Your ticket was created: <#"), "{answer}");
    let link = &answer["components"][0]["components"][0];
    assert_eq!(link["style"], 5, "a link button");
    let channel: u64 = link["url"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();

    let (name, parent, overwrites) = h.emu.world(|w| {
        let c = &w.channels[&channel];
        (c.name.clone(), c.parent_id, c.overwrites.clone())
    });
    assert_eq!(parent, Some(h.world.category));
    assert_eq!(name.len(), 6, "{name}");
    assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{name}");
    let opener = overwrites.iter().find(|o| o.id == h.world.player && o.kind == 1).expect("opener overwrite");
    assert_eq!(opener.allow & (VIEW | SEND | HISTORY | ATTACH), VIEW | SEND | HISTORY | ATTACH);
    assert!(overwrites.iter().any(|o| o.id == h.world.staff_role && o.kind == 0 && o.allow & VIEW != 0));
    assert!(h.emu.world(|w| w.can_view(channel, h.world.player)));

    let welcome = h.emu.messages_in(channel).into_iter().find(|m| !custom_ids(m).is_empty()).unwrap();
    let embed = &welcome["embeds"][0];
    assert_eq!(embed["title"], "Ticket #1 · Suporte");
    assert_eq!(field(embed, "Opened by"), format!("<@{}>", h.world.player));
    assert_eq!(field(embed, "Claimed by"), "Nobody yet");
    let rows = custom_ids(&welcome);
    assert!(rows.iter().all(|r| r.len() <= 5), "{rows:?}");
    let words: Vec<String> = rows.concat().iter().map(|id| id.split(':').nth(1).unwrap().to_owned()).collect();
    assert_eq!(words, ["close", "claim", "cancel", "add", "remove", "note"]);

    let ticket = ticket_of(&h, channel).await;
    assert_eq!((ticket.number, ticket.status, ticket.opener_id), (1, TicketStatus::Open, h.world.player));
    assert_eq!(ticket.welcome_message_id, Some(id_of(&welcome)));
    assert_eq!(ticket.transcript_token.len(), 32);

    // Numbers increase per guild.
    let (second, _) = h.open_ticket(h.world.staff, "report").await;
    assert_eq!(ticket_of(&h, second).await.number, 2);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_refuses_a_second_ticket_and_links_the_first() {
    let h = Harness::start_in("en").await;
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    let refusal = h.choose_type(h.world.player, "report").await;
    assert_eq!(refusal["flags"].as_u64().unwrap() & EPHEMERAL, EPHEMERAL);
    assert!(text(&refusal).contains(&format!("<#{channel}>")), "{refusal}");
    assert!(refusal["components"][0]["components"][0]["url"].as_str().unwrap().ends_with(&channel.to_string()));
    assert_eq!(h.bot().store().tickets_of_guild(h.world.guild).await.unwrap().len(), 1);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clicks_at_once_create_one_channel() {
    let h = Harness::start_in("en").await;
    let panel = h.post_panel().await;
    let player = h.emu.user(h.world.player);
    let menu = player.click(panel, "tb:open").unwrap().message(WAIT).await.unwrap();
    let first = player.choose(id_of(&menu), "tb:type", &["support"]).unwrap();
    let second = player.choose(id_of(&menu), "tb:type", &["support"]).unwrap();
    let answers = [first.message(WAIT).await.unwrap(), second.message(WAIT).await.unwrap()];
    let created = answers.iter().filter(|a| text(a).starts_with("Your ticket was created")).count();
    assert_eq!(created, 1, "{answers:?}");
    let in_category = h.emu.world(|w| w.channels.values().filter(|c| c.parent_id == Some(h.world.category)).count());
    assert_eq!(in_category, 1);
    assert_eq!(h.bot().store().tickets_of_guild(h.world.guild).await.unwrap().len(), 1);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_category_spills_over_and_then_staff_are_told() {
    let h = Harness::start_in("en").await;
    for i in 0..50 {
        h.emu.create_text_channel(h.world.guild, &format!("old-{i}"), Some(h.world.category));
    }
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    assert_eq!(h.emu.world(|w| w.channels[&channel].parent_id), Some(h.world.overflow_category));

    for i in 0..49 {
        h.emu.create_text_channel(h.world.guild, &format!("older-{i}"), Some(h.world.overflow_category));
    }
    let from = h.emu.log_position();
    let refusal = h.choose_type(h.world.staff, "support").await;
    assert_eq!(text(&refusal), "Your ticket could not be created right now; the staff have been told.");
    let warning = h.message_after(from, h.world.log_channel).await;
    assert!(says(&warning, "every ticket category is full"), "{warning}");
    let tickets = h.bot().store().tickets_of_guild(h.world.guild).await.unwrap();
    assert_eq!(tickets.len(), 1, "the failed reservation was released");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_opener_cancels_and_the_transcript_is_kept() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    h.emu.user(h.world.player).say(channel, "preciso de ajuda <b>agora</b>").unwrap();
    let cancel = button(&welcome, "cancel");

    let refused = h.emu.user(h.world.staff).click(id_of(&welcome), &cancel).unwrap().response(WAIT).await.unwrap();
    assert_eq!(refused["data"]["flags"], EPHEMERAL);
    assert_eq!(refused["data"]["content"], "Only the person who opened this ticket can cancel it.");

    let from = h.emu.log_position();
    h.emu.user(h.world.player).click(id_of(&welcome), &cancel).unwrap();
    h.request_after(from, "DELETE", &format!("/channels/{channel}")).await;
    let ticket = h.wait_ticket(channel, "cancelled", |t| t.status == TicketStatus::Cancelled).await;
    assert_eq!(ticket.closed_by, Some(h.world.player));
    let log = h.message_after(from, h.world.log_channel).await;
    assert_eq!(log["embeds"][0]["title"], "Ticket #1 cancelled by its opener");
    let page = h.get(&format!("/api/ticket/{}", ticket.transcript_token)).await;
    assert_eq!(page.0, 200);
    assert!(page.1.contains("preciso de ajuda &lt;b&gt;agora&lt;/b&gt;"), "{}", page.1);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_claim_release_and_hand_over() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let claim = button(&welcome, "claim");

    let refused = h.emu.user(h.world.player).click(id_of(&welcome), &claim).unwrap().response(WAIT).await.unwrap();
    assert_eq!(refused["data"]["content"], "Only staff can do that.");
    assert_eq!(refused["data"]["flags"], EPHEMERAL);

    let claimed = h.emu.user(h.world.staff).click(id_of(&welcome), &claim).unwrap();
    let response = claimed.response(WAIT).await.unwrap();
    assert_eq!(response["type"], 7, "the welcome message is updated in place");
    let shown = eventually_message(&h, channel, id_of(&welcome), |m| field(&m["embeds"][0], "Claimed by") == format!("<@{}>", h.world.staff)).await;
    let words: Vec<String> = custom_ids(&shown).concat().iter().map(|id| id.split(':').nth(1).unwrap().to_owned()).collect();
    assert!(words.contains(&"unclaim".to_owned()) && words.contains(&"handover".to_owned()), "{words:?}");
    h.wait_ticket(channel, "claimed", |t| t.claimed_by == Some(h.world.staff)).await;

    // Hand over to a player: refused. To the moderator (staff for reports): done.
    let handover = button(&shown, "handover");
    let prompt = h.emu.user(h.world.staff).click(id_of(&welcome), &handover).unwrap().response(WAIT).await.unwrap();
    assert_eq!(prompt["data"]["flags"], EPHEMERAL);
    let from = h.emu.log_position();
    h.emu.user(h.world.staff).say(channel, &format!("<@{}>", h.world.player)).unwrap();
    let answer = h.message_where(from, channel, |m| says(m, "is not staff")).await;
    assert!(says(&answer, &format!("<@{}>", h.world.player)));
    h.emu.user(h.world.staff).click(id_of(&welcome), &handover).unwrap().response(WAIT).await.unwrap();
    let from = h.emu.log_position();
    h.emu.user(h.world.staff).say(channel, &format!("assume aí <@{}>", h.world.moderator)).unwrap();
    h.message_where(from, channel, |m| says(m, "handed this ticket to")).await;
    h.wait_ticket(channel, "handed over", |t| t.claimed_by == Some(h.world.moderator)).await;
    eventually_message(&h, channel, id_of(&welcome), |m| field(&m["embeds"][0], "Claimed by") == format!("<@{}>", h.world.moderator)).await;

    // The moderator releases it.
    let unclaim = button(&shown, "unclaim");
    let released = h.emu.user(h.world.moderator).click(id_of(&welcome), &unclaim).unwrap().response(WAIT).await.unwrap();
    assert_eq!(released["type"], 7);
    h.wait_ticket(channel, "released", |t| t.claimed_by.is_none()).await;
    h.finish().await;
}

/// Waits until message `id` in `channel` satisfies `check`.
async fn eventually_message(h: &Harness, channel: u64, id: u64, check: impl Fn(&Value) -> bool) -> Value {
    ticketbot_e2e::eventually("the message to change", || {
        h.emu.messages_in(channel).into_iter().find(|m| id_of(m) == id && check(m))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_added_and_removed_by_mention() {
    let h = Harness::start_in("en").await;
    let friend = h.emu.create_user("amigo");
    h.emu.add_member(h.world.guild, friend, &[]);
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    assert!(!h.emu.world(|w| w.can_view(channel, friend)));

    // The opener adds a friend; the staff member's chatter meanwhile does not consume the watch.
    let prompt = h.emu.user(h.world.player).click(id_of(&welcome), &button(&welcome, "add")).unwrap().response(WAIT).await.unwrap();
    assert_eq!(prompt["data"]["flags"], EPHEMERAL);
    assert!(prompt["data"]["content"].as_str().unwrap().contains("15 seconds"));
    h.emu.user(h.world.staff).say(channel, &format!("hi <@{friend}>")).unwrap();
    h.emu.user(h.world.player).say(channel, "one moment").unwrap();
    let from = h.emu.log_position();
    h.emu.user(h.world.player).say(channel, &format!("<@{friend}> come here")).unwrap();
    let added = h.message_where(from, channel, |m| says(m, "Added to the ticket")).await;
    assert!(says(&added, &format!("<@{friend}>")));
    assert!(h.emu.world(|w| w.can_view(channel, friend)));
    let ticket = ticket_of(&h, channel).await;
    assert_eq!(h.bot().store().members(ticket.id).await.unwrap(), vec![h.world.player, friend]);
    assert_eq!(h.bot().tickets().unwrap().pending_watches(), 0);

    // An added member is neither opener nor staff: they cannot add others.
    let refused = h.emu.user(friend).click(id_of(&welcome), &button(&welcome, "add")).unwrap().response(WAIT).await.unwrap();
    assert_eq!(refused["data"]["content"], "Only the ticket's opener and staff can do that.");

    // Staff remove the friend, but not the opener or a staff member.
    h.emu.user(h.world.staff).click(id_of(&welcome), &button(&welcome, "remove")).unwrap().response(WAIT).await.unwrap();
    let from = h.emu.log_position();
    h.emu.user(h.world.staff).say(channel, &format!("<@{friend}> <@{}> <@{}>", h.world.player, h.world.moderator)).unwrap();
    let removed = h.message_where(from, channel, |m| says(m, "Removed from the ticket")).await;
    let content = removed["content"].as_str().unwrap();
    assert!(content.contains(&format!("Removed from the ticket: <@{friend}>")), "{content}");
    assert!(content.contains(&format!("Not removed (staff, the opener, or not in this ticket): <@{}>, <@{}>", h.world.player, h.world.moderator)), "{content}");
    assert!(!h.emu.world(|w| w.can_view(channel, friend)));
    assert!(h.emu.world(|w| w.can_view(channel, h.world.player)));
    assert_eq!(h.bot().store().members(ticket.id).await.unwrap(), vec![h.world.player]);

    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_without_a_mention_ends_after_15_seconds() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let from = h.emu.log_position();
    h.emu.user(h.world.player).click(id_of(&welcome), &button(&welcome, "add")).unwrap().response(WAIT).await.unwrap();
    h.emu.user(h.world.player).say(channel, "no mention here").unwrap();
    let expired = h
        .emu
        .wait_for_after(from, std::time::Duration::from_secs(25), "the expiry message", |r| {
            r.is("POST", "/channels/*/messages") && r.response["content"].as_str().is_some_and(|c| c.contains("no mention arrived"))
        })
        .await
        .unwrap();
    assert!(says(&expired.response, &format!("<@{}>", h.world.player)));
    assert_eq!(h.bot().tickets().unwrap().pending_watches(), 0);
    // A later mention adds nobody.
    let friend = h.emu.create_user("tarde");
    h.emu.add_member(h.world.guild, friend, &[]);
    h.emu.user(h.world.player).say(channel, &format!("<@{friend}>")).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!h.emu.world(|w| w.can_view(channel, friend)));
    h.finish().await;
}
