//! What the bot sends is safe whatever users and plugins write: it pings only whom it means to
//! (never `@everyone` or a role because a reason, a note or a plugin's text says so), it fits
//! Discord's limits instead of being refused, and forged forms and components stop at the host.

use serde_json::Value;
use ticketbot_e2e::{custom_ids, id_of, Harness, WAIT};

const MASS: &str = "@everyone @here";

/// Whom a message the emulator stored notified.
fn pinged(message: &Value) -> (bool, Vec<String>, Vec<String>) {
    let users = message["mentions"]
        .as_array()
        .map(|u| {
            u.iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let roles = message["mention_roles"]
        .as_array()
        .map(|r| r.iter().map(|r| r.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    (message["mention_everyone"] == true, users, roles)
}

fn button(welcome: &Value, prefix: &str) -> String {
    custom_ids(welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {welcome}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasons_and_notes_ping_nobody_and_the_welcome_pings_its_people() {
    let h = Harness::start_with("pt-BR", |w| w.close_delay_seconds = 0).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    // The welcome is the one message that pings: the opener and the staff roles.
    let (everyone, users, roles) = pinged(&welcome);
    assert!(!everyone);
    assert_eq!(users, vec![h.world.player.to_string()]);
    assert!(roles.contains(&h.world.staff_role.to_string()), "{welcome}");

    // A note that tries to ping everyone and the staff role (it goes to the close log).
    let role = format!("<@&{}>", h.world.staff_role);
    let staff = h.emu.user(h.world.staff);
    let form = staff
        .click(id_of(&welcome), &button(&welcome, "tb:note:"))
        .unwrap();
    form.response(WAIT).await.unwrap();
    staff
        .submit_modal(&form, &[("note", &format!("{MASS} {role} anotação"))])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();

    // A close whose reason tries the same: the announcement, the log and the DM ping nobody.
    let from = h.emu.log_position();
    h.close_by_staff(
        channel,
        &welcome,
        &format!("{MASS} {role} <@{}>", h.world.staff),
    )
    .await;
    // The log comes last.
    h.message_where(from, h.world.log_channel, |_| true).await;
    let mut checked = 0;
    for request in h.emu.requests().iter().skip(from) {
        if !ticketbot_e2e::sends_message(request) || request.status >= 300 {
            continue;
        }
        let message = if request.path.ends_with("/callback") {
            // An interaction answer: the stored message is in the channel.
            continue;
        } else {
            &request.response
        };
        assert_eq!(pinged(message), (false, vec![], vec![]), "{message}");
        checked += 1;
    }
    assert!(checked >= 2, "the log and the DM were checked");
    let announcement = h
        .emu
        .requests()
        .iter()
        .skip(from)
        .find(|r| {
            r.path.ends_with("/callback")
                && r.body["data"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("@everyone"))
        })
        .map(|r| r.body["data"]["allowed_mentions"].clone())
        .expect("the close announcement");
    assert_eq!(
        announcement["parse"],
        serde_json::json!([]),
        "{announcement}"
    );
    assert_eq!(announcement["users"], serde_json::json!([]));
    assert_eq!(announcement["roles"], serde_json::json!([]));
    h.finish().await;
}

fn with_faulty(w: &mut ticketbot::demo::DemoWorld) {
    let path = ticketbot_test_guests::path("faulty");
    w.plugins.push(format!(
        "[[guild.plugin]]\nid = \"faulty\"\npath = {:?}\ncapabilities = [\"dm\"]\n",
        path.display().to_string()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_post_past_discords_limits_is_cut_to_fit_and_pings_nobody() {
    let h = Harness::start_with("en", with_faulty).await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let from = h.emu.log_position();
    let big = custom_ids(&welcome)
        .concat()
        .into_iter()
        .find(|id| id.starts_with("pl:faulty:") && id.ends_with(":b:big"))
        .unwrap();
    let answer = h
        .emu
        .user(h.world.player)
        .click(id_of(&welcome), &big)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(answer["data"]["content"], "posted");
    let posted = h
        .message_where(from, channel, |m| {
            m["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("@everyone"))
        })
        .await;
    assert_eq!(posted["content"].as_str().unwrap().chars().count(), 2000);
    let embed = &posted["embeds"][0];
    assert_eq!(embed["title"].as_str().unwrap().chars().count(), 256);
    assert!(embed["fields"].as_array().unwrap().len() <= 25);
    assert_eq!(pinged(&posted), (false, vec![], vec![]));
    h.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_form_submission_stops_at_the_host() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let ticket = h.ticket_in(channel).await.unwrap();
    // The item-return form is for staff (its button is); the player forges a submission.
    let from = h.emu.log_position();
    let forged = h
        .emu
        .user(h.world.player)
        .forge_modal_submit(
            channel,
            &format!("pl:item-return:{}:m:form", ticket.id),
            &[("recipient", "4711"), ("items", "1000x gold")],
        )
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(forged["data"]["content"], "Only staff can do that.");
    assert!(
        h.emu
            .requests()
            .iter()
            .skip(from)
            .all(|r| !r.path.contains(&h.world.item_return_channel.to_string())),
        "no request reached the item-return channel"
    );
    // Staff still can, through the real form.
    let staff = h.emu.user(h.world.staff);
    let form = staff
        .click(id_of(&welcome), &button(&welcome, "pl:item-return:"))
        .unwrap();
    form.response(WAIT).await.unwrap();
    let sent = staff
        .submit_modal(&form, &[("recipient", "4711"), ("items", "1x phone")])
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert_eq!(sent["data"]["content"], "Item return #1 sent for approval.");
    h.finish().await;
}

/// A ticket button lives on its ticket's welcome message only: a copy of it on another message
/// in the channel (a forged or replayed component) stops at the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_button_copied_to_another_message_stops_at_the_host() {
    let h = Harness::start_in("en").await;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let poke = button(&welcome, "pl:poke:");
    let copy = h.emu.seed_bot_message(
        channel,
        "",
        vec![serde_json::json!({"type": 1, "components": [{"type": 2, "style": 2, "label": "Poke", "custom_id": poke}]})],
    );
    let from = h.emu.log_position();
    let answer = h
        .emu
        .user(h.world.staff)
        .click(copy, &poke)
        .unwrap()
        .response(WAIT)
        .await
        .unwrap();
    assert!(
        answer["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("This button is no longer handled by the bot"),
        "{answer}"
    );
    assert!(
        h.emu
            .requests()
            .iter()
            .skip(from)
            .all(|r| !r.path.starts_with("/users/@me/channels")),
        "no DM was opened"
    );
    // The real one works.
    let real = h
        .emu
        .user(h.world.staff)
        .click(id_of(&welcome), &poke)
        .unwrap();
    assert_eq!(
        ticketbot_e2e::answer_text(&real).await,
        "The opener was poked by DM."
    );
    h.finish().await;
}
