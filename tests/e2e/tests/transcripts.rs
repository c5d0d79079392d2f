//! A closed ticket's transcript as the server serves it: compressed as stored, strict headers,
//! revalidation, and one 404 for every miss.

use std::io::Read;

use ticketbot_e2e::{Harness, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_transcript_is_served_compressed_with_strict_headers() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let player = h.emu.user(h.world.player);
    let first = player
        .say(
            channel,
            "**my car** is gone, see `plate 44XYZ` <script>alert(1)</script>",
        )
        .unwrap();
    player
        .reply(channel, first, "it was a blue Sultan")
        .unwrap();
    let typo = player.say(channel, "plate 44XYX").unwrap();
    player.edit(typo, "plate 44XYZ, sorry").unwrap();
    let oops = player.say(channel, "wrong ticket, ignore").unwrap();
    h.emu.delete_message(channel, oops);
    player
        .say_with_file(channel, "my receipt", "receipt.pdf", b"%PDF-1.4 receipt")
        .unwrap();
    // Reactions as they come and go.
    let staff_user = h.emu.user(h.world.staff);
    player.react(first, "👍").unwrap();
    staff_user.react(first, "👍").unwrap();
    player.react(first, "🚗").unwrap();
    staff_user.unreact(first, "👍").unwrap();
    let ticket_id_for_reactions = h.ticket_in(channel).await.unwrap().id;
    ticketbot_e2e::eventually("the reactions captured", || {
        let messages = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(h.bot().store().captured_messages(ticket_id_for_reactions))
        })
        .unwrap();
        let raw = messages
            .iter()
            .find(|m| m.message_id == first)?
            .raw
            .clone()?;
        let counts: Vec<(String, i64)> = raw["reactions"]
            .as_array()?
            .iter()
            .map(|r| {
                (
                    r["emoji"]["name"].as_str().unwrap().to_owned(),
                    r["count"].as_i64().unwrap(),
                )
            })
            .collect();
        (counts == [("👍".to_owned(), 1), ("🚗".to_owned(), 1)]).then_some(())
    })
    .await;
    // The file is kept while its link is fresh.
    let ticket_id = h.ticket_in(channel).await.unwrap().id;
    ticketbot_e2e::eventually("the kept file", || {
        let files = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().ticket_files(ticket_id))
        })
        .unwrap();
        (!files.is_empty()).then_some(())
    })
    .await;
    let ticket = h.close_by_staff(channel, &welcome, "found it").await;
    let url = format!(
        "http://{}/api/ticket/{}",
        h.bot().web_addr(),
        h.token(&ticket)
    );
    let client = reqwest::Client::new();

    // A client that accepts gzip gets the stored bytes.
    let zipped = client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    let headers = zipped.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(!csp.contains("http"), "no remote source: {csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let mut page = String::new();
    flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..])
        .read_to_string(&mut page)
        .unwrap();
    assert!(
        page.contains("<strong>my car</strong>") && page.contains("<code>plate 44XYZ</code>"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // Replies, reactions, edits, deletions and kept files as they happened.
    assert!(
        page.contains("<span class=\"reaction\">👍 1</span><span class=\"reaction\">🚗 1</span>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("<a class=\"reply\" href=\"#m{first}\">")),
        "{page}"
    );
    assert!(page.contains("plate 44XYZ, sorry") && page.contains("(edited)"));
    assert!(page.contains("wrong ticket, ignore") && page.contains("(deleted)"));
    let marker = format!("/api/ticket/{}/files/", h.token(&ticket));
    let at = page.find(&marker).expect("the receipt links the kept copy");
    let path: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let kept = client
        .get(format!("http://{}{path}", h.bot().web_addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200);
    assert_eq!(kept.headers()["content-disposition"], "attachment");
    assert_eq!(kept.headers()["x-content-type-options"], "nosniff");
    assert_eq!(kept.bytes().await.unwrap().as_ref(), b"%PDF-1.4 receipt");

    // One that does not gets the same page, plain.
    let plain = client.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), page);

    // Revalidation.
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The metrics saw it (counters are per process, shared with other tests: at least). They
    // answer only with the bearer token.
    let metrics_url = format!("http://{}/metrics", h.bot().web_addr());
    for wrong in [None, Some("Bearer nope")] {
        let mut request = client.get(&metrics_url);
        if let Some(wrong) = wrong {
            request = request.header("authorization", wrong);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), 404, "{wrong:?}");
    }
    let metrics = client
        .get(&metrics_url)
        .bearer_auth(ticketbot_e2e::METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        metrics.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    let metrics = metrics.text().await.unwrap();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
    };
    assert!(value("ticketbot_transcripts_stored_total") >= 1.0);
    assert!(value("ticketbot_tickets_opened_total") >= 1.0);
    assert!(value("ticketbot_interactions_total") >= 4.0, "{metrics}");
    assert!(value("ticketbot_interaction_answer_seconds_count") >= 4.0);
    assert!(metrics.contains("ticketbot_interaction_answer_seconds_bucket{le=\"+Inf\"}"));

    // Every miss looks the same.
    let mut misses = Vec::new();
    for token in [
        "0".repeat(32),
        "short".into(),
        format!("{}x", h.token(&ticket)),
        "../../etc/passwd".into(),
    ] {
        let response = client
            .get(format!("http://{}/api/ticket/{token}", h.bot().web_addr()))
            .send()
            .await
            .unwrap();
        misses.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    assert!(
        misses
            .iter()
            .all(|m| *m == (404, "No transcript here.".to_owned())),
        "{misses:?}"
    );
    h.finish().await;
}

async fn close_ticket(h: &Harness, user: u64) -> ticketbot::store::TicketRecord {
    let (channel, welcome) = h.open_ticket(user, "support").await;
    h.close_by_staff(channel, &welcome, "done").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_find_past_transcripts_by_number_or_opener() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;
    let first = close_ticket(&h, h.world.player).await;
    let second = close_ticket(&h, h.world.moderator).await;
    let staff = h.emu.user(h.world.staff);
    let ask = |options: serde_json::Value| {
        staff
            .slash(h.world.log_channel, "transcript", options)
            .unwrap()
    };

    let by_number = ask(serde_json::json!([{"name": "number", "type": 4, "value": 2}]))
        .response(WAIT)
        .await
        .unwrap();
    let text = by_number["data"]["content"].as_str().unwrap();
    assert!(
        text.starts_with("**#2** · Suporte · ") && text.ends_with(&h.token(&second)),
        "{text}"
    );
    assert_eq!(by_number["data"]["flags"], 64);

    let by_user =
        ask(serde_json::json!([{"name": "user", "type": 6, "value": h.world.player.to_string()}]))
            .response(WAIT)
            .await
            .unwrap();
    let text = by_user["data"]["content"].as_str().unwrap();
    assert!(
        text.contains(&h.token(&first)) && !text.contains(&h.token(&second)),
        "{text}"
    );

    let none = ask(serde_json::json!([{"name": "number", "type": 4, "value": 99}]))
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        none["data"]["content"],
        "No closed ticket with a transcript matches."
    );

    let stats = ask_stats(&h).await;
    assert!(
        stats.starts_with("**Tickets by type**")
            && stats.contains("• support: 2 opened, 2 closed, 0 cancelled, 0 open"),
        "{stats}"
    );
    // The staff member wrote nothing in these tickets, so they are shown by id.
    assert!(
        stats.contains(&format!(
            "• {}: 2 closed, 0 claimed, 0 first responses",
            h.world.staff
        )),
        "{stats}"
    );
    assert!(
        stats.ends_with("**Item returns**: 0 approved, 0 denied, 0 pending"),
        "{stats}"
    );

    let refused = h
        .emu
        .user(h.world.player)
        .slash(h.world.panel_channel, "transcript", serde_json::json!([]))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(refused["data"]["content"], "Only staff can do that.");
    h.finish().await;
}

async fn ask_stats(h: &Harness) -> String {
    let answer = h
        .emu
        .user(h.world.staff)
        .slash(h.world.log_channel, "stats", serde_json::json!([]))
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(answer["data"]["flags"], 64);
    answer["data"]["content"].as_str().unwrap().to_owned()
}

/// Waits until the bot has captured a message of `ticket` containing `text`.
async fn captured(h: &Harness, ticket: i64, text: &str) {
    ticketbot_e2e::eventually("the message captured", || {
        let messages = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().captured_messages(ticket))
        })
        .unwrap();
        messages
            .iter()
            .any(|m| m.content.contains(text))
            .then_some(())
    })
    .await;
}

/// The acceptance run's message: a Windows path in bold made the renderer panic at the close,
/// and the ticket stayed "closing" for ever. Through a real close, it now ends and renders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pt_br_windows_path_in_bold_closes_and_renders() {
    let h = Harness::start_with("pt-BR", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let text = "veja **C:\\Área de Trabalho\\FiveM**";
    h.emu.user(h.world.player).say(channel, text).unwrap();
    let id = h.ticket_in(channel).await.unwrap().id;
    captured(&h, id, "Área").await;
    let ticket = h.close_by_staff(channel, &welcome, "resolvido").await;
    let (status, page) = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("veja <strong>C:\\Área de Trabalho\\FiveM</strong>"),
        "{page}"
    );
    // The player can open a new ticket: nothing is stuck behind the old one.
    let (again, _) = h.open_ticket(h.world.player, "support").await;
    assert_ne!(again, channel);
    h.finish().await;
}

/// If the renderer fails anyway, the close still completes: the plain page is stored (every
/// message as escaped text), staff see why in the log, and the ticket is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_completes_with_the_plain_page_when_the_renderer_fails() {
    let h = Harness::start_with("pt-BR", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    h.emu
        .user(h.world.player)
        .say(
            channel,
            "**negrito** <script>alert(1)</script>\nsegunda linha",
        )
        .unwrap();
    let id = h.ticket_in(channel).await.unwrap().id;
    captured(&h, id, "negrito").await;
    h.bot().tickets().unwrap().inject_render_panics(1);
    let from = h.emu.log_position();
    let ticket = h.close_by_staff(channel, &welcome, "ok").await;
    assert!(
        !h.emu.world(|w| w.channels.contains_key(&channel)),
        "the channel is deleted"
    );
    let log = h.message_where(from, h.world.log_channel, |_| true).await;
    let fields = log["embeds"][0]["fields"].as_array().unwrap();
    assert!(
        fields.iter().any(|f| f["name"] == "Geração da transcrição"
            && f["value"].as_str().unwrap().contains("texto simples")),
        "{log}"
    );
    let (status, page) = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert_eq!(status, 200);
    assert!(page.contains("texto simples"), "{page}");
    assert!(
        page.contains("**negrito** &lt;script&gt;alert(1)&lt;/script&gt;\nsegunda linha"),
        "{page}"
    );
    let events = h.bot().store().events(h.world.guild).await.unwrap();
    let of_ticket = |kind: &str| {
        events
            .iter()
            .filter(|e| e.ticket_id == Some(ticket.id) && e.kind == kind)
            .count()
    };
    assert_eq!(of_ticket("transcript.plain"), 1);
    assert_eq!(of_ticket("ticket.closed"), 1);
    h.finish().await;
}

fn small_file_budgets(config: &mut ticketbot::config::Config) {
    config.transcripts.max_ticket_file_bytes = 10_000;
    config.transcripts.max_guild_file_bytes = 14_000;
}

/// Kept files of `ticket` named `f*.bin` (the test's files, not avatars).
async fn kept_test_files(h: &Harness, ticket: i64) -> usize {
    h.bot()
        .store()
        .ticket_files(ticket)
        .await
        .unwrap()
        .iter()
        .filter(|(url, _)| url.ends_with(".bin"))
        .count()
}

/// Messages posted at once share their ticket's budget for kept files (each used to check it
/// before any of the others had saved), and all tickets of a guild share the guild's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_posted_at_once_share_one_budget_per_ticket_and_per_guild() {
    let h = Harness::start_configured("en", |_| {}, small_file_budgets).await;
    let (channel, _) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap().id;
    let player = h.emu.user(h.world.player);
    for i in 0..8u8 {
        player
            .say_with_file(
                channel,
                &format!("file {i}"),
                &format!("f{i}.bin"),
                &[i; 4000],
            )
            .unwrap();
    }
    captured(&h, ticket, "file 7").await;
    ticketbot_e2e::eventually("all eight captured", || {
        let messages = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().captured_messages(ticket))
        })
        .unwrap();
        (messages
            .iter()
            .filter(|m| m.content.starts_with("file "))
            .count()
            == 8)
            .then_some(())
    })
    .await;
    let tickets = h.bot().tickets().unwrap();
    assert!(tickets.files_settled(ticket).await);
    // 10,000 bytes hold two files of 4,000.
    assert_eq!(kept_test_files(&h, ticket).await, 2);
    assert!(h.bot().store().ticket_file_bytes(ticket).await.unwrap() <= 10_000);

    // Another ticket of the guild: 14,000 bytes for the guild leave room for one more.
    let (other, _) = h.open_ticket(h.world.moderator, "support").await;
    let other_ticket = h.ticket_in(other).await.unwrap().id;
    let moderator = h.emu.user(h.world.moderator);
    for i in 10..12u8 {
        moderator
            .say_with_file(
                other,
                &format!("file {i}"),
                &format!("f{i}.bin"),
                &[i; 4000],
            )
            .unwrap();
    }
    captured(&h, other_ticket, "file 11").await;
    captured(&h, other_ticket, "file 10").await;
    assert!(tickets.files_settled(other_ticket).await);
    assert_eq!(kept_test_files(&h, other_ticket).await, 1);
    assert!(
        h.bot()
            .store()
            .guild_file_bytes(h.world.guild)
            .await
            .unwrap()
            <= 14_000
    );
    h.finish().await;
}

/// Mentions of roles and channels in a transcript show their names, as Discord showed them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_channel_mentions_show_their_names() {
    let h = Harness::start_with("pt-BR", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let text = format!(
        "chamem <@&{}> ou vejam <#{}>",
        h.world.moderator_role, h.world.panel_channel
    );
    h.emu.user(h.world.player).say(channel, &text).unwrap();
    let id = h.ticket_in(channel).await.unwrap().id;
    captured(&h, id, "chamem").await;
    let ticket = h.close_by_staff(channel, &welcome, "ok").await;
    let (status, page) = h.get(&format!("/api/ticket/{}", h.token(&ticket))).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<span class=\"mention\">@Moderação</span>"),
        "{page}"
    );
    let panel_name = h
        .emu
        .world(|w| w.channels[&h.world.panel_channel].name.clone());
    assert!(
        page.contains(&format!("<span class=\"mention\">#{panel_name}</span>")),
        "{page}"
    );
    assert!(!page.contains("@role "), "{page}");
    h.finish().await;
}

fn core_button(welcome: &serde_json::Value, action: &str) -> String {
    ticketbot_e2e::custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with(&format!("tb:{action}:")))
        .unwrap()
}

/// `/stats` counts as staff only those who held a staff role when they acted: not a player who
/// cancelled, not a member added to a ticket who answered first. It names the guild, and a
/// first response is never "-0 min".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_show_the_guild_by_name_and_only_staff_under_staff() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap().id;
    let player = h.emu.user(h.world.player);
    // The player adds a friend (the moderator, who is not staff for support tickets).
    player
        .click(
            ticketbot_e2e::id_of(&welcome),
            &core_button(&welcome, "add"),
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    let from = h.emu.log_position();
    player
        .say(channel, &format!("<@{}>", h.world.moderator))
        .unwrap();
    h.message_where(from, channel, |m| {
        ticketbot_e2e::says(m, "Added to the ticket")
    })
    .await;
    h.emu
        .user(h.world.moderator)
        .say(channel, "oi, sou amigo")
        .unwrap();
    h.emu
        .user(h.world.staff)
        .say(channel, "olá, equipe aqui")
        .unwrap();
    captured(&h, ticket, "amigo").await;
    captured(&h, ticket, "equipe").await;
    h.close_by_staff(channel, &welcome, "ok").await;

    // Another ticket the player cancels.
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    player
        .click(
            ticketbot_e2e::id_of(&welcome),
            &core_button(&welcome, "cancel"),
        )
        .unwrap();
    h.wait_ticket(channel, "cancelled", |t| {
        t.status == ticketbot::store::TicketStatus::Cancelled
    })
    .await;

    let stats = ask_stats(&h).await;
    assert!(
        stats.starts_with("**Tickets by type** — Los Santos Roleplay"),
        "{stats}"
    );
    let staff_section = stats
        .split("**Staff**")
        .nth(1)
        .and_then(|s| s.split("**Item returns**").next())
        .unwrap();
    let lines: Vec<&str> = staff_section
        .lines()
        .filter(|l| l.starts_with("• "))
        .collect();
    assert_eq!(lines.len(), 1, "only the staff member: {stats}");
    assert!(
        lines[0].contains("1 closed") && lines[0].contains("1 first responses"),
        "{stats}"
    );
    assert!(!stats.contains("-0"), "{stats}");
    h.finish().await;
}
