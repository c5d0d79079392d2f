//! The server's own settings from the dashboard: the owner adds a staff role, a ticket type
//! and a panel title; a refused form (the file's own messages, a role of no such server)
//! changes nothing; an accepted one is in force for the next click (the panel's menu, the
//! posted panel edited, open tickets' staff access), survives a restart, and rolls back from
//! the history; staff without Manage Server are refused the page and the form.

use reqwest::StatusCode;
use ticketbot_e2e::web::WebUser;
use ticketbot_e2e::{eventually, id_of, Harness};

/// The CSRF token of the signed-in session, from the sign-out form.
async fn csrf_of(user: &mut WebUser) -> String {
    let (_, _, page) = user.get("/dashboard").await;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..at + 64].to_owned()
}

/// The labels of the ticket types the panel's menu offers `user`.
async fn offered(h: &Harness, user: u64) -> Vec<String> {
    let menu = h.type_menu(user).await;
    menu["components"][0]["components"][0]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no options in {menu}"))
        .iter()
        .map(|o| o["label"].as_str().unwrap().to_owned())
        .collect()
}

/// The role overwrites of `channel` as the emulator holds them.
fn role_overwrites(h: &Harness, channel: u64) -> Vec<u64> {
    h.emu.world(|w| {
        w.channels[&channel]
            .overwrites
            .iter()
            .filter(|o| o.kind == 0)
            .map(|o| o.id)
            .collect()
    })
}

/// The panel's embed title as the emulator holds it.
fn panel_title(h: &Harness, panel: u64) -> Option<String> {
    h.emu
        .messages_in(h.world.panel_channel)
        .into_iter()
        .find(|m| id_of(m) == panel)
        .and_then(|m| m["embeds"][0]["title"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_changes_staff_types_and_texts_live_and_rolls_back() {
    let mut h = Harness::start_with_dashboard("en", |_| {}).await;
    let w = h.world.clone();
    let guild = w.guild;
    let owner = h.emu.world(|x| x.guilds[&guild].owner_id);
    let helpers = h.emu.create_role(guild, "Helpers", 0);
    let panel = h.post_panel().await;
    let player = h.emu.create_user("Ana");
    h.emu.add_member(guild, player, &[]);
    let (open_channel, _) = h.open_ticket(player, "support").await;
    assert!(!role_overwrites(&h, open_channel).contains(&helpers));
    let path = format!("/dashboard/g/{guild}/server");

    // Staff without Manage Server: the page and the form are the same 404.
    let mut staff = WebUser::sign_in(&h, w.staff).await;
    let (status, _, body) = staff.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("staff_role"), "{body}");
    let csrf = csrf_of(&mut staff).await;
    let (status, _) = staff
        .post(&path, &[("csrf", &csrf), ("text.panel-title", "Hacked")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The owner sees the file's values, with the guild's real roles and channels to pick.
    let mut web = WebUser::sign_in(&h, owner).await;
    let (status, _, form) = web.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("From config.toml"), "{form}");
    assert!(form.contains("@Helpers"), "{form}");
    assert!(form.contains("value=\"support\""), "{form}");
    assert!(form.contains("name=\"text.panel-title\""), "{form}");
    let csrf = csrf_of(&mut web).await;
    let (staff_role, approver_role) = (w.staff_role.to_string(), w.approver_role.to_string());
    let helpers_id = helpers.to_string();
    let (panel_ch, log_ch, category) = (
        w.panel_channel.to_string(),
        w.log_channel.to_string(),
        w.category.to_string(),
    );
    let moderators = w.moderator_role.to_string();
    let long = "x".repeat(101);
    // What the browser sends for the file's values, plus `extra`.
    let form = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("csrf", csrf.clone()),
            ("staff_role", staff_role.clone()),
            ("approver_role", approver_role.clone()),
            ("t.0.id", "support".into()),
            ("t.0.label", "Suporte".into()),
            ("t.0.emoji", "🛠️".into()),
            ("t.0.description", "Dúvidas e problemas no servidor".into()),
            ("t.1.id", "report".into()),
            ("t.1.label", "Denúncia".into()),
            ("t.1.emoji", "🚨".into()),
            ("t.1.description", "Denunciar um jogador".into()),
            ("t.1.staff_role", moderators.clone()),
            ("panel_channel", panel_ch.clone()),
            ("log_channel", log_ch.clone()),
            ("ticket_category", category.clone()),
        ];
        out.extend(extra.iter().cloned());
        out
    };
    // Refused with the file's own words, and nothing changes.
    let (status, body) = send(
        &mut web,
        &path,
        form(&[
            ("t.2.id", "ban".into()),
            ("t.2.label", long.clone()),
            ("staff_role", "4242".into()),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("staff_roles: 4242 is not a role of this server"),
        "{body}"
    );
    let (status, body) = send(
        &mut web,
        &path,
        form(&[("t.2.id", "ban".into()), ("t.2.label", long.clone())]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains(
            "ticket_type[2].label: must be 1-100 characters (Discord&#39;s select option limit)"
        ) || body.contains(
            "ticket_type[2].label: must be 1-100 characters (Discord's select option limit)"
        ),
        "{body}"
    );
    // The refused form comes back as sent.
    assert!(body.contains(&long), "{body}");
    let mut no_staff = form(&[]);
    no_staff.retain(|(k, _)| *k != "staff_role");
    let (status, body) = send(&mut web, &path, no_staff).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("staff_roles: list at least one role: nobody could close tickets"),
        "{body}"
    );
    // A missing CSRF token.
    let mut forged = form(&[("text.panel-title", "Forged".into())]);
    forged.retain(|(k, _)| *k != "csrf");
    let (status, _) = send(&mut web, &path, forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(offered(&h, player).await, ["Suporte", "Denúncia"]);

    // Accepted: Helpers become staff, a ban appeal type, a new panel title.
    let (status, _) = send(
        &mut web,
        &path,
        form(&[
            ("staff_role", helpers_id.clone()),
            ("t.2.id", "ban".into()),
            ("t.2.label", "Ban appeal".into()),
            ("t.2.cooldown_minutes", "60".into()),
            ("text.panel-title", "Help desk".into()),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The next click offers the new type; the posted panel is edited; the open ticket lets
    // the new staff role in.
    assert_eq!(
        offered(&h, player).await,
        ["Suporte", "Denúncia", "Ban appeal"]
    );
    eventually("the panel edited", || {
        (panel_title(&h, panel).as_deref() == Some("Help desk")).then_some(())
    })
    .await;
    eventually("the open ticket's staff updated", || {
        role_overwrites(&h, open_channel)
            .contains(&helpers)
            .then_some(())
    })
    .await;
    let bia = h.emu.create_user("Bia");
    h.emu.add_member(guild, bia, &[]);
    let (ban_channel, _) = h.open_ticket(bia, "ban").await;
    let ticket = h.ticket_in(ban_channel).await.expect("a ban ticket");
    assert_eq!(ticket.type_id, "ban");
    let (_, _, form_now) = web.get(&path).await;
    assert!(
        form_now.contains("This server&#39;s own") || form_now.contains("This server's own"),
        "{form_now}"
    );

    // An operator's reload puts the file in force again, with the guild's own over it.
    let notes = h.bot().reload(h.config()).await;
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        offered(&h, player).await,
        ["Suporte", "Denúncia", "Ban appeal"]
    );

    // The guild's own, kept across a restart.
    h.restart().await;
    let mut web = WebUser::sign_in(&h, owner).await;
    assert_eq!(
        offered(&h, player).await,
        ["Suporte", "Denúncia", "Ban appeal"]
    );

    // The history names who and what; rolling back restores the file's values, live.
    let (status, _, history) = web.get(&format!("/dashboard/g/{guild}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains(&owner.to_string()), "{history}");
    assert!(
        history.contains("staff_roles, texts, ticket_type"),
        "{history}"
    );
    let at = history.find("/rollback\"").expect("a rollback form");
    let start = history[..at].rfind("/history/server/").unwrap() + "/history/server/".len();
    let change = history[start..at].to_owned();
    let csrf = csrf_of(&mut web).await;
    let (status, _) = web
        .post(
            &format!("/dashboard/g/{guild}/history/server/{change}/rollback"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(offered(&h, player).await, ["Suporte", "Denúncia"]);
    eventually("the panel's title back", || {
        (panel_title(&h, panel).as_deref() == Some("Support")).then_some(())
    })
    .await;
    eventually("the former staff role out of the open ticket", || {
        (!role_overwrites(&h, open_channel).contains(&helpers)).then_some(())
    })
    .await;
    // The ban ticket opened meanwhile still works for its opener and staff.
    assert!(h.ticket_in(ban_channel).await.is_some());
    h.finish().await;
}

/// Posts `fields` as a browser sends the form.
async fn send(
    web: &mut WebUser,
    path: &str,
    fields: Vec<(&'static str, String)>,
) -> (StatusCode, String) {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    web.post(path, &borrowed).await
}
