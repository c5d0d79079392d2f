//! The ticket lifecycle end to end: what Discord shows (channels, overwrites, messages,
//! components, ephemeral flags, DMs) and what the database holds, for every core flow.

use serde_json::{json, Value};
use ticketbot::store::TicketStatus;
use ticketbot_e2e::{custom_ids, eventually, id_of, says, Harness, WAIT};

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
    v["content"]
        .as_str()
        .or(v["data"]["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_creates_a_private_channel_with_a_welcome() {
    let h = Harness::start_in("en").await;
    // The category lets only staff see it; the ticket adds the opener.
    let answer = h.choose_type(h.world.player, "support").await;
    assert_eq!(answer["flags"].as_u64().unwrap() & EPHEMERAL, EPHEMERAL);
    assert!(
        text(&answer).starts_with("Your ticket was created: <#"),
        "{answer}"
    );
    let link = &answer["components"][0]["components"][0];
    assert_eq!(link["style"], 5, "a link button");
    let channel: u64 = link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let (name, parent, overwrites) = h.emu.world(|w| {
        let c = &w.channels[&channel];
        (c.name.clone(), c.parent_id, c.overwrites.clone())
    });
    assert_eq!(parent, Some(h.world.category));
    assert_eq!(name.len(), 6, "{name}");
    assert!(
        name.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{name}"
    );
    let opener = overwrites
        .iter()
        .find(|o| o.id == h.world.player && o.kind == 1)
        .expect("opener overwrite");
    assert_eq!(
        opener.allow & (VIEW | SEND | HISTORY | ATTACH),
        VIEW | SEND | HISTORY | ATTACH
    );
    assert!(overwrites
        .iter()
        .any(|o| o.id == h.world.staff_role && o.kind == 0 && o.allow & VIEW != 0));
    assert!(h.emu.world(|w| w.can_view(channel, h.world.player)));

    let welcome = h
        .emu
        .messages_in(channel)
        .into_iter()
        .find(|m| !custom_ids(m).is_empty())
        .unwrap();
    let embed = &welcome["embeds"][0];
    assert_eq!(embed["title"], "Ticket #1 · Suporte");
    assert_eq!(field(embed, "Opened by"), format!("<@{}>", h.world.player));
    assert_eq!(field(embed, "Claimed by"), "Nobody yet");
    let rows = custom_ids(&welcome);
    assert!(rows.iter().all(|r| r.len() <= 5), "{rows:?}");
    let ids = rows.concat();
    let words: Vec<&str> = ids[..7]
        .iter()
        .map(|id| id.split(':').nth(1).unwrap())
        .collect();
    assert_eq!(
        words,
        ["close", "closereq", "claim", "cancel", "add", "remove", "note"]
    );

    let ticket = ticket_of(&h, channel).await;
    // Then the buttons of the guild's plugins, in config order, namespaced by plugin and ticket.
    let t = ticket.id;
    assert_eq!(
        ids[7..],
        [
            format!("pl:poke:{t}:b:poke"),
            format!("pl:item-return:{t}:b:item-return"),
            format!("pl:voice-call:{t}:b:call"),
            format!("pl:ticket-actions:{t}:b:actions")
        ]
    );
    assert_eq!(
        (ticket.number, ticket.status, ticket.opener_id),
        (1, TicketStatus::Open, h.world.player)
    );
    assert_eq!(ticket.welcome_message_id, Some(id_of(&welcome)));
    // Nothing secret is stored: the token is derived from the id and the link key.
    assert_eq!(ticket.transcript_token, "");
    assert_eq!(h.token(&ticket).len(), 32);

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
    assert!(
        text(&refusal).contains(&format!("<#{channel}>")),
        "{refusal}"
    );
    assert!(refusal["components"][0]["components"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with(&channel.to_string()));
    assert_eq!(
        h.bot()
            .store()
            .tickets_of_guild(h.world.guild)
            .await
            .unwrap()
            .len(),
        1
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clicks_at_once_create_one_channel() {
    let h = Harness::start_in("en").await;
    let player = h.emu.user(h.world.player);
    let menu = h.type_menu(h.world.player).await;
    let first = player
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap();
    let second = player
        .choose(id_of(&menu), "tb:type", &["support"])
        .unwrap();
    let answers = [
        first.message(WAIT).await.unwrap(),
        second.message(WAIT).await.unwrap(),
    ];
    let created = answers
        .iter()
        .filter(|a| text(a).starts_with("Your ticket was created"))
        .count();
    assert_eq!(created, 1, "{answers:?}");
    let in_category = h.emu.world(|w| {
        w.channels
            .values()
            .filter(|c| c.parent_id == Some(h.world.category))
            .count()
    });
    assert_eq!(in_category, 1);
    assert_eq!(
        h.bot()
            .store()
            .tickets_of_guild(h.world.guild)
            .await
            .unwrap()
            .len(),
        1
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_category_spills_over_and_then_staff_are_told() {
    let h = Harness::start_in("en").await;
    for i in 0..50 {
        h.emu
            .create_text_channel(h.world.guild, &format!("old-{i}"), Some(h.world.category));
    }
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    assert_eq!(
        h.emu.world(|w| w.channels[&channel].parent_id),
        Some(h.world.overflow_category)
    );

    for i in 0..49 {
        h.emu.create_text_channel(
            h.world.guild,
            &format!("older-{i}"),
            Some(h.world.overflow_category),
        );
    }
    let from = h.emu.log_position();
    let refusal = h.choose_type(h.world.staff, "support").await;
    assert_eq!(
        text(&refusal),
        "Your ticket could not be created right now; the staff have been told."
    );
    let warning = h.message_after(from, h.world.log_channel).await;
    assert!(says(&warning, "every ticket category is full"), "{warning}");
    let tickets = h
        .bot()
        .store()
        .tickets_of_guild(h.world.guild)
        .await
        .unwrap();
    assert_eq!(tickets.len(), 1, "the failed reservation was released");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_opener_cancels_and_the_transcript_is_kept() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    h.emu
        .user(h.world.player)
        .say(channel, "preciso de ajuda <b>agora</b>")
        .unwrap();
    let cancel = button(&welcome, "cancel");

    let refused = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &cancel)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(refused["data"]["flags"], EPHEMERAL);
    assert_eq!(
        refused["data"]["content"],
        "Only the person who opened this ticket can cancel it."
    );

    let from = h.emu.log_position();
    h.emu
        .user(h.world.player)
        .click(id_of(&welcome), &cancel)
        .unwrap();
    h.request_after(from, "DELETE", &format!("/channels/{channel}"))
        .await;
    let ticket = h
        .wait_ticket(channel, "cancelled", |t| {
            t.status == TicketStatus::Cancelled
        })
        .await;
    assert_eq!(ticket.closed_by, Some(h.world.player));
    let log = h.message_after(from, h.world.log_channel).await;
    assert_eq!(
        log["embeds"][0]["title"],
        "Ticket #1 cancelled by its opener"
    );
    let page = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert_eq!(page.0, 200);
    assert!(
        page.1.contains("preciso de ajuda &lt;b&gt;agora&lt;/b&gt;"),
        "{}",
        page.1
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_claim_release_and_hand_over() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "report").await;
    let claim = button(&welcome, "claim");

    let refused = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &claim)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(refused["data"]["content"], "Only staff can do that.");
    assert_eq!(refused["data"]["flags"], EPHEMERAL);

    let claimed = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &claim)
        .unwrap();
    let response = claimed.response(WAIT).await.unwrap();
    assert_eq!(
        response["type"], 7,
        "the welcome message is updated in place"
    );
    let shown = eventually_message(&h, channel, id_of(&welcome), |m| {
        field(&m["embeds"][0], "Claimed by") == format!("<@{}>", h.world.staff)
    })
    .await;
    let words: Vec<String> = custom_ids(&shown)
        .concat()
        .iter()
        .map(|id| id.split(':').nth(1).unwrap().to_owned())
        .collect();
    assert!(
        words.contains(&"unclaim".to_owned()) && words.contains(&"handover".to_owned()),
        "{words:?}"
    );
    h.wait_ticket(channel, "claimed", |t| t.claimed_by == Some(h.world.staff))
        .await;

    // Hand over to a player: refused. To the moderator (staff for reports): done.
    let handover = button(&shown, "handover");
    let prompt = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &handover)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(prompt["data"]["flags"], EPHEMERAL);
    let from = h.emu.log_position();
    h.emu
        .user(h.world.staff)
        .say(channel, &format!("<@{}>", h.world.player))
        .unwrap();
    let answer = h
        .message_where(from, channel, |m| says(m, "is not staff"))
        .await;
    assert!(says(&answer, &format!("<@{}>", h.world.player)));
    h.emu
        .user(h.world.staff)
        .click(id_of(&welcome), &handover)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let from = h.emu.log_position();
    h.emu
        .user(h.world.staff)
        .say(channel, &format!("assume aí <@{}>", h.world.moderator))
        .unwrap();
    h.message_where(from, channel, |m| says(m, "handed this ticket to"))
        .await;
    h.wait_ticket(channel, "handed over", |t| {
        t.claimed_by == Some(h.world.moderator)
    })
    .await;
    eventually_message(&h, channel, id_of(&welcome), |m| {
        field(&m["embeds"][0], "Claimed by") == format!("<@{}>", h.world.moderator)
    })
    .await;

    // The moderator releases it.
    let unclaim = button(&shown, "unclaim");
    let released = h
        .emu
        .user(h.world.moderator)
        .click(id_of(&welcome), &unclaim)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(released["type"], 7);
    h.wait_ticket(channel, "released", |t| t.claimed_by.is_none())
        .await;
    h.finish().await;
}

/// Waits until message `id` in `channel` satisfies `check`.
async fn eventually_message(
    h: &Harness,
    channel: u64,
    id: u64,
    check: impl Fn(&Value) -> bool,
) -> Value {
    ticketbot_e2e::eventually("the message to change", || {
        h.emu
            .messages_in(channel)
            .into_iter()
            .find(|m| id_of(m) == id && check(m))
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
    let prompt = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "add"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(prompt["data"]["flags"], EPHEMERAL);
    assert!(prompt["data"]["content"]
        .as_str()
        .unwrap()
        .contains("15 seconds"));
    h.emu
        .user(h.world.staff)
        .say(channel, &format!("hi <@{friend}>"))
        .unwrap();
    h.emu
        .user(h.world.player)
        .say(channel, "one moment")
        .unwrap();
    let from = h.emu.log_position();
    h.emu
        .user(h.world.player)
        .say(channel, &format!("<@{friend}> come here"))
        .unwrap();
    let added = h
        .message_where(from, channel, |m| says(m, "Added to the ticket"))
        .await;
    assert!(says(&added, &format!("<@{friend}>")));
    assert!(h.emu.world(|w| w.can_view(channel, friend)));
    let ticket = ticket_of(&h, channel).await;
    assert_eq!(
        h.bot().store().members(ticket.id).await.unwrap(),
        vec![h.world.player, friend]
    );
    assert_eq!(h.bot().tickets().unwrap().pending_watches(), 0);

    // An added member is neither opener nor staff: they cannot add others.
    let refused = h
        .emu
        .user(friend)
        .click(id_of(&welcome), &button(&welcome, "add"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        refused["data"]["content"],
        "Only the ticket's opener and staff can do that."
    );

    // Staff remove the friend, but not the opener or a staff member.
    h.emu
        .user(h.world.staff)
        .click(id_of(&welcome), &button(&welcome, "remove"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let from = h.emu.log_position();
    h.emu
        .user(h.world.staff)
        .say(
            channel,
            &format!("<@{friend}> <@{}> <@{}>", h.world.player, h.world.moderator),
        )
        .unwrap();
    let removed = h
        .message_where(from, channel, |m| says(m, "Removed from the ticket"))
        .await;
    let content = removed["content"].as_str().unwrap();
    assert!(
        content.contains(&format!("Removed from the ticket: <@{friend}>")),
        "{content}"
    );
    assert!(
        content.contains(&format!(
            "Not removed (staff, the opener, or not in this ticket): <@{}>, <@{}>",
            h.world.player, h.world.moderator
        )),
        "{content}"
    );
    assert!(!h.emu.world(|w| w.can_view(channel, friend)));
    assert!(h.emu.world(|w| w.can_view(channel, h.world.player)));
    assert_eq!(
        h.bot().store().members(ticket.id).await.unwrap(),
        vec![h.world.player]
    );

    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_without_a_mention_ends_after_15_seconds() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let from = h.emu.log_position();
    h.emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "add"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    h.emu
        .user(h.world.player)
        .say(channel, "no mention here")
        .unwrap();
    let expired = h
        .emu
        .wait_for_after(
            from,
            std::time::Duration::from_secs(25),
            "the expiry message",
            |r| {
                r.is("POST", "/channels/*/messages")
                    && r.response["content"]
                        .as_str()
                        .is_some_and(|c| c.contains("no mention arrived"))
            },
        )
        .await
        .unwrap();
    assert!(says(&expired.response, &format!("<@{}>", h.world.player)));
    assert_eq!(h.bot().tickets().unwrap().pending_watches(), 0);
    // A later mention adds nobody.
    let friend = h.emu.create_user("tarde");
    h.emu.add_member(h.world.guild, friend, &[]);
    let late = h
        .emu
        .user(h.world.player)
        .say(channel, &format!("<@{friend}>"))
        .unwrap();
    // The bot has handled that message once it captured it and nothing is in flight.
    let ticket = h.ticket_in(channel).await.unwrap().id;
    h.message_handled(ticket, late).await;
    assert!(!h.emu.world(|w| w.can_view(channel, friend)));
    h.finish().await;
}

/// Staff close `channel`'s ticket through its form, with `reason`.
async fn close(h: &Harness, channel: u64, welcome: &Value, reason: &str) -> Value {
    let staff = h.emu.user(h.world.staff);
    let form = staff
        .click(id_of(welcome), &button(welcome, "close"))
        .unwrap();
    let modal = form.response(WAIT).await.unwrap();
    assert_eq!(modal["type"], 9, "a modal");
    let from = h.emu.log_position();
    let submitted = staff.submit_modal(&form, &[("reason", reason)]).unwrap();
    let announcement = submitted.response(WAIT).await.unwrap();
    assert_eq!(announcement["type"], 4);
    assert_eq!(
        announcement["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL,
        0,
        "everyone sees the close"
    );
    let _ = (from, channel);
    announcement
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_stores_the_transcript_first_then_dms_and_logs() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 1).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    h.emu
        .user(h.world.player)
        .say_with_file(channel, "my inventory", "inv.png", b"\x89PNG fake")
        .unwrap();

    // A note first: taken in a form, answered privately, never posted in the channel.
    let staff = h.emu.user(h.world.staff);
    let form = staff
        .click(id_of(&welcome), &button(&welcome, "note"))
        .unwrap();
    assert_eq!(form.response(WAIT).await.unwrap()["type"], 9, "a form");
    let from = h.emu.log_position();
    let saved = staff
        .submit_modal(&form, &[("note", "player was rude, warned once")])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(saved["data"]["flags"], EPHEMERAL);
    assert!(
        saved["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("📝 Note saved. Only staff see it"),
        "{saved}"
    );
    assert!(
        h.emu.messages_in(channel).iter().all(|m| !says(m, "rude")),
        "the note is nowhere in the channel"
    );
    let _ = from;
    let ticket = ticket_of(&h, channel).await;
    let notes = h.bot().store().notes(ticket.id).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].author_id, notes[0].body.as_str()),
        (h.world.staff, "player was rude, warned once")
    );

    // Players cannot close.
    let refused = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "close"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(refused["data"]["content"], "Only staff can do that.");

    let from = h.emu.log_position();
    let announcement = close(&h, channel, &welcome, "resolvido").await;
    let text = announcement["data"]["content"].as_str().unwrap();
    assert!(
        text.contains("closed this ticket: resolvido") && text.contains("1 seconds"),
        "{text}"
    );
    let closing = h
        .wait_ticket(channel, "closing", |t| t.status != TicketStatus::Open)
        .await;
    assert_eq!(closing.close_reason.as_deref(), Some("resolvido"));

    let deleted = h
        .request_after(from, "DELETE", &format!("/channels/{channel}"))
        .await;
    // The transcript was stored before the deletion was asked for.
    let page = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert_eq!(page.0, 200);
    assert!(
        page.1.contains("my inventory")
            && page.1.contains("inv.png")
            && page.1.contains("player was rude"),
        "{}",
        page.1
    );
    assert!(page.1.contains("resolvido"));
    assert!(deleted.status < 300);
    let ticket = h
        .wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    assert_eq!(ticket.closed_by, Some(h.world.staff));
    assert!(ticket.closed_at.is_some());

    // The opener's DM.
    let dm = ticketbot_e2e::eventually("the DM", || {
        let dm_channel = h
            .emu
            .world(|w| w.dm_channels.get(&h.world.player).copied())?;
        h.emu.messages_in(dm_channel).into_iter().next()
    })
    .await;
    let embed = &dm["embeds"][0];
    assert_eq!(embed["title"], "Your ticket #1 was closed");
    assert!(embed["description"]
        .as_str()
        .unwrap()
        .contains(&format!("/api/ticket/{}", h.token(&ticket))));
    assert_eq!(field(embed, "Closed by"), format!("<@{}>", h.world.staff));
    assert_eq!(field(embed, "Reason"), "resolvido");
    assert!(field(embed, "Closed at").starts_with("<t:"));

    // The log.
    let log = h
        .message_where(from, h.world.log_channel, |m| {
            m["embeds"][0]["title"] == "Ticket #1 closed"
        })
        .await;
    let embed = &log["embeds"][0];
    assert_eq!(field(embed, "Identifier"), "#1");
    assert_eq!(field(embed, "Token"), format!("`{}`", h.token(&ticket)));
    assert_eq!(field(embed, "Opened by"), format!("<@{}>", h.world.player));
    assert_eq!(field(embed, "Closed by"), format!("<@{}>", h.world.staff));
    assert_eq!(field(embed, "Claimed by"), "—");
    assert!(field(embed, "Notes").contains("player was rude"));
    assert!(field(embed, "Transcript").ends_with(&h.token(&ticket)));
    assert_eq!(field(embed, "DM to the opener"), "delivered");
    let file = &log["attachments"][0];
    assert_eq!(file["filename"], "transcript-1.html");
    let html = reqwest::get(file["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("my inventory"));

    // The opener may open again.
    let (again, _) = h.open_ticket(h.world.player, "support").await;
    assert_ne!(again, channel);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_whose_transcript_cannot_be_stored_keeps_the_channel() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    // Break the transcript table, as a full disk or a damaged file would.
    h.bot()
        .store()
        .call(|db| db.batch("ALTER TABLE transcripts RENAME TO transcripts_away"))
        .await
        .unwrap();
    let from = h.emu.log_position();
    close(&h, channel, &welcome, "").await;
    let warning = h
        .message_where(from, channel, |m| says(m, "could not be saved"))
        .await;
    assert!(says(&warning, "NOT closed"));
    assert!(
        h.emu.world(|w| w.channels.contains_key(&channel)),
        "the channel must survive"
    );
    assert!(!h
        .emu
        .requests()
        .iter()
        .skip(from)
        .any(|r| r.is("DELETE", &format!("/channels/{channel}"))));
    h.wait_ticket(channel, "open again", |t| {
        t.status == TicketStatus::Open && t.closed_by.is_none()
    })
    .await;

    // Repaired, the next close goes through.
    h.bot()
        .store()
        .call(|db| db.batch("ALTER TABLE transcripts_away RENAME TO transcripts"))
        .await
        .unwrap();
    close(&h, channel, &welcome, "").await;
    h.wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    assert!(!h.emu.world(|w| w.channels.contains_key(&channel)));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_in_progress_completes_after_a_restart() {
    let mut h = Harness::start_with("en", |w| w.close_delay_seconds = 2).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    close(&h, channel, &welcome, "fim").await;
    h.wait_ticket(channel, "closing", |t| t.status == TicketStatus::Closing)
        .await;
    h.stop().await;
    assert!(
        h.emu.world(|w| w.channels.contains_key(&channel)),
        "stopped before the delay ran out"
    );
    let from = h.emu.log_position();
    h.boot().await;
    h.request_after(from, "DELETE", &format!("/channels/{channel}"))
        .await;
    let ticket = h
        .wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    assert_eq!(ticket.close_reason.as_deref(), Some("fim"));
    h.message_where(from, h.world.log_channel, |m| {
        m["embeds"][0]["title"] == "Ticket #1 closed"
    })
    .await;
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_deleted_by_hand_closes_its_ticket() {
    let mut h = Harness::start_in("en").await;
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    let said = h.emu.user(h.world.player).say(channel, "hello?").unwrap();
    // Gateway events are handled concurrently: what the transcript holds is what was
    // captured before the deletion was handled.
    let open = h.ticket_in(channel).await.expect("the ticket");
    h.message_handled(open.id, said).await;
    let from = h.emu.log_position();
    h.emu.delete_channel(channel);
    let ticket = h
        .wait_ticket(channel, "closed as an orphan", |t| {
            t.status == TicketStatus::Closed
        })
        .await;
    assert_eq!(ticket.closed_by, None);
    let log = h.message_after(from, h.world.log_channel).await;
    assert_eq!(
        log["embeds"][0]["title"],
        "Ticket #1 closed: its channel was deleted by hand"
    );
    let page = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert!(page.1.contains("hello?"));
    // Not stuck behind the limit.
    let (second, _) = h.open_ticket(h.world.player, "support").await;

    // Deleted while the bot was away: found at the next start.
    h.stop().await;
    h.emu.delete_channel(second);
    h.boot().await;
    h.wait_ticket(second, "closed at start", |t| {
        t.status == TicketStatus::Closed
    })
    .await;
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opening_cut_off_by_a_crash_is_undone_at_the_next_start() {
    let mut h = Harness::start_in("en").await;
    h.stop().await;
    // What a crash between creating the channel and recording it leaves behind: a reservation
    // in the database and a channel (named by its topic) in the ticket category.
    let store = ticketbot::store::Store::connect(&h.config().database)
        .await
        .unwrap();
    let reserved = store
        .reserve_ticket(ticketbot::store::NewTicket {
            guild_id: h.world.guild,
            type_id: "support".into(),
            opener_id: h.world.player,
            transcript_token: String::new(),
            limit: 1,
            guild_limit: None,
            cooldown: None,
            answers: Vec::new(),
        })
        .await
        .unwrap();
    let ticketbot::store::Reservation::Reserved(ticket) = reserved else {
        panic!("no reservation: {reserved:?}");
    };
    store.close().await;
    let create = |name: &str, topic: String| {
        let url = format!(
            "{}/api/v10/guilds/{}/channels",
            h.emu.api_base(),
            h.world.guild
        );
        let body = json!({"name": name, "type": 0, "parent_id": h.world.category.to_string(), "topic": topic});
        let auth = format!("Bot {}", h.emu.token());
        async move {
            let created: Value = reqwest::Client::new()
                .post(url)
                .header("Authorization", auth)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            created["id"].as_str().unwrap().parse::<u64>().unwrap()
        }
    };
    let stray = create(
        "ab12cd",
        format!("#{} · support · <@{}>", ticket.number, h.world.player),
    )
    .await;
    let unrelated = create("staff-chat", "staff only".into()).await;

    h.boot().await;
    eventually("the stray channel deleted", || {
        h.emu
            .world(|w| !w.channels.contains_key(&stray))
            .then_some(())
    })
    .await;
    assert!(h.emu.world(|w| w.channels.contains_key(&unrelated)));
    // The opener is not stuck behind the limit of one ticket.
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    let opened = ticket_of(&h, channel).await;
    assert_eq!(opened.status, TicketStatus::Open);
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_and_foreign_buttons_are_explained() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 3).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let staff = h.emu.user(h.world.staff);

    // During the close delay the other buttons explain instead of acting.
    close(&h, channel, &welcome, "").await;
    let answer = staff
        .click(id_of(&welcome), &button(&welcome, "claim"))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        (&answer["data"]["content"], &answer["data"]["flags"]),
        (&json!("This ticket is being closed."), &json!(64))
    );

    // Buttons the bot does not know: the original bot's, or a ticket button moved elsewhere.
    let row = |id: &str| json!({"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": id}]});
    let ticket = ticket_of(&h, channel).await;
    let old = h.emu.seed_bot_message(
        h.world.panel_channel,
        "old panel",
        vec![row("abrir_ticket")],
    );
    let foreign = h.emu.seed_bot_message(
        h.world.panel_channel,
        "moved",
        vec![row(&format!("tb:claim:{}", ticket.id))],
    );
    let ghost =
        h.emu
            .seed_bot_message(h.world.panel_channel, "ghost", vec![row("tb:claim:999999")]);
    for (message, id) in [
        (old, "abrir_ticket".to_owned()),
        (foreign, format!("tb:claim:{}", ticket.id)),
        (ghost, "tb:claim:999999".to_owned()),
    ] {
        let answer = staff
            .click(message, &id)
            .unwrap()
            .response(WAIT)
            .await
            .unwrap();
        assert_eq!(answer["data"]["flags"], EPHEMERAL, "{id}");
        assert!(
            answer["data"]["content"]
                .as_str()
                .unwrap()
                .starts_with("This button is no longer handled"),
            "{id}: {answer}"
        );
    }

    // After the close, a ticket button (on a message that survived elsewhere) says closed.
    h.wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    let answer = staff
        .click(foreign, &format!("tb:claim:{}", ticket.id))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        answer["data"]["content"],
        "This ticket is already closed; its buttons no longer work."
    );
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guild_language_and_overrides_apply() {
    let h = Harness::start().await;
    let answer = h.choose_type(h.world.player, "support").await;
    assert!(
        text(&answer).starts_with("Seu ticket foi criado"),
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
    let welcome = ticketbot_e2e::eventually("welcome", || {
        h.emu
            .messages_in(channel)
            .into_iter()
            .find(|m| !custom_ids(m).is_empty())
    })
    .await;
    assert_eq!(
        field(&welcome["embeds"][0], "Aberto por"),
        format!("<@{}>", h.world.player)
    );
    assert_eq!(welcome["components"][0]["components"][0]["label"], "Fechar");
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_can_override_any_text() {
    let h = Harness::start_with("en", |w| {
        w.text_overrides = vec![
            ("panel-open-button".into(), "Need help?".into()),
            (
                "ticket-created".into(),
                "Ticket ready at { $channel }, officer.".into(),
            ),
        ]
    })
    .await;
    let panel = h.post_panel().await;
    let shown = h
        .emu
        .messages_in(h.world.panel_channel)
        .into_iter()
        .find(|m| id_of(m) == panel)
        .unwrap();
    assert_eq!(
        shown["components"][0]["components"][0]["label"],
        "Need help?"
    );
    let answer = h.choose_type(h.world.player, "support").await;
    assert!(
        text(&answer).starts_with("Ticket ready at <#") && text(&answer).ends_with(">, officer."),
        "{answer}"
    );
    h.finish().await;
}

/// Events of `ticket` of kind `kind` in the event log.
async fn events_of(h: &Harness, ticket: i64, kind: &str) -> usize {
    h.bot()
        .store()
        .events(h.world.guild)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.ticket_id == Some(ticket) && e.kind == kind)
        .count()
}

/// Waits until the bot has handled the deletion of `ticket`'s channel by its own close or
/// cancel (it records it), the event that would have ended the ticket a second time.
async fn deletion_handled(h: &Harness, ticket: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while events_of(h, ticket, "ticket.channel_deleted").await == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the deletion was never handled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Posts of the bot in the log channel at or after log position `from`.
fn log_posts(h: &Harness, from: usize) -> usize {
    let path = format!("/channels/{}/messages", h.world.log_channel);
    h.emu
        .requests()
        .iter()
        .skip(from)
        .filter(|r| r.method == "POST" && r.path.ends_with(&path) && r.status < 300)
        .count()
}

/// A cancel, a staff close and a channel deleted by hand each end their ticket once: one log
/// post, one ending event. (Discord tells the bot about the channels it deletes itself; a
/// cancel used to be logged a second time as an orphan.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ending_is_logged_exactly_once() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;

    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap().id;
    let from = h.emu.log_position();
    h.emu
        .user(h.world.player)
        .click(id_of(&welcome), &button(&welcome, "cancel"))
        .unwrap();
    deletion_handled(&h, ticket).await;
    h.wait_ticket(channel, "cancelled", |t| {
        t.status == TicketStatus::Cancelled
    })
    .await;
    h.message_after(from, h.world.log_channel).await;
    assert_eq!(log_posts(&h, from), 1, "{}", h.requests_since(from));
    assert_eq!(events_of(&h, ticket, "ticket.cancelled").await, 1);
    assert_eq!(events_of(&h, ticket, "ticket.orphaned").await, 0);

    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap().id;
    let from = h.emu.log_position();
    h.close_by_staff(channel, &welcome, "done").await;
    deletion_handled(&h, ticket).await;
    h.message_after(from, h.world.log_channel).await;
    assert_eq!(log_posts(&h, from), 1, "{}", h.requests_since(from));
    assert_eq!(events_of(&h, ticket, "ticket.closed").await, 1);
    assert_eq!(events_of(&h, ticket, "ticket.orphaned").await, 0);

    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap().id;
    let from = h.emu.log_position();
    h.emu.delete_channel(channel);
    h.wait_ticket(channel, "closed", |t| t.status == TicketStatus::Closed)
        .await;
    h.message_after(from, h.world.log_channel).await;
    assert_eq!(log_posts(&h, from), 1, "{}", h.requests_since(from));
    assert_eq!(events_of(&h, ticket, "ticket.orphaned").await, 1);
    h.finish().await;
}

fn limits(config: &mut ticketbot::config::Config) {
    let guild = &mut config.guilds[0];
    guild.max_open_tickets = Some(2);
    guild.ticket_types[0].cooldown = Some(std::time::Duration::from_secs(3600));
}

/// Limits against spam: one user waits between two tickets of a type with a cooldown, and the
/// guild's cap of open tickets holds for everyone; each is answered with a clear message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_cooldown_and_the_guild_cap_refuse_clearly() {
    let h = Harness::start_configured("en", |w| w.close_delay_seconds = 0, limits).await;
    let first_type = h.config().guilds[0].ticket_types[0].id.clone();
    let (channel, welcome) = h.open_ticket(h.world.player, &first_type).await;
    h.close_by_staff(channel, &welcome, "done").await;
    // Closed, but opened a moment ago: the same type waits an hour.
    let answer = h.choose_type(h.world.player, &first_type).await;
    let text = answer["content"].as_str().unwrap();
    assert!(
        text.starts_with("You opened a ticket of this kind a moment ago; you can open another <t:"),
        "{text}"
    );
    assert!(h.ticket_in(channel).await.is_some());
    // Another type is fine; then the guild has 1 open, and a second user takes the last slot.
    let other_type = h.config().guilds[0].ticket_types[1].id.clone();
    h.open_ticket(h.world.player, &other_type).await;
    h.open_ticket(h.world.moderator, &other_type).await;
    let full = h.choose_type(h.world.approver, &other_type).await;
    assert_eq!(
        full["content"],
        "The staff have as many tickets open as they can handle right now; please try again later."
    );
    h.finish().await;
}
