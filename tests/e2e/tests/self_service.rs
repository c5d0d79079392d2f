//! Self-service from the dashboard: the guild's owner turns on a plugin the operator made
//! available (`enabled = false` in the file), with grants within the file's ceiling and
//! settings checked like the file's; a new ticket shows its button without a restart (and an
//! open ticket's buttons are refreshed), the
//! choice survives a restart, the history rolls it back; a staff member without Manage Server
//! is refused every settings page and form; `/plugins` does the same from Discord.

use reqwest::StatusCode;
use serde_json::json;
use ticketbot_e2e::web::WebUser;
use ticketbot_e2e::{custom_ids, Harness, WAIT};

/// A ticket by a new player (one each, whatever the limit per player), its welcome message.
async fn new_ticket(h: &Harness, name: &str) -> serde_json::Value {
    new_ticket_in(h, name).await.1
}

/// Same, with its channel.
async fn new_ticket_in(h: &Harness, name: &str) -> (u64, serde_json::Value) {
    let player = h.emu.create_user(name);
    h.emu.add_member(h.world.guild, player, &[]);
    h.open_ticket(player, "support").await
}

fn has_poke(welcome: &serde_json::Value) -> bool {
    custom_ids(welcome)
        .concat()
        .iter()
        .any(|id| id.starts_with("pl:poke:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_turns_a_plugin_on_live_and_rolls_it_back() {
    let mut h = Harness::start_with_dashboard("en", ticketbot_e2e::with_poke_available_off).await;
    let guild = h.world.guild;
    let owner = h.emu.world(|w| w.guilds[&guild].owner_id);
    let (open_channel, before) = new_ticket_in(&h, "Ana").await;
    assert!(!has_poke(&before), "poke is off by the file");

    // Staff without Manage Server: every settings page and form is the same 404.
    let mut staff = WebUser::sign_in(&h, h.world.staff).await;
    let (_, _, home) = staff.get("/dashboard").await;
    assert!(!home.contains("/plugins"), "{home}");
    for path in [
        format!("/dashboard/g/{guild}/plugins"),
        format!("/dashboard/g/{guild}/plugins/poke"),
        format!("/dashboard/g/{guild}/history"),
    ] {
        let (status, _, body) = staff.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("cooldown"), "{path} leaked: {body}");
    }
    let csrf = csrf_of(&mut staff).await;
    let (status, _) = staff
        .post(
            &format!("/dashboard/g/{guild}/plugins/poke"),
            &[("csrf", &csrf), ("enabled", "on")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The owner.
    let mut owner_web = WebUser::sign_in(&h, owner).await;
    let (_, _, home) = owner_web.get("/dashboard").await;
    assert!(
        home.contains(&format!("/dashboard/g/{guild}/plugins")),
        "{home}"
    );
    let (status, _, list) = owner_web
        .get(&format!("/dashboard/g/{guild}/plugins"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("(poke)") && list.contains(">off<"), "{list}");
    let (_, _, form) = owner_web
        .get(&format!("/dashboard/g/{guild}/plugins/poke"))
        .await;
    assert!(form.contains("name=\"s.cooldown_seconds\""), "{form}");
    assert!(
        form.contains("send direct messages to the ticket"),
        "{form}"
    );
    let csrf = csrf_of(&mut owner_web).await;
    let path = format!("/dashboard/g/{guild}/plugins/poke");

    // Refused, with the file's own words, and nothing changes: a setting past its bound, a
    // capability beyond the ceiling, a missing CSRF token.
    let (status, body) = owner_web
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("enabled", "on"),
                ("cap", "dm"),
                ("cap", "storage"),
                ("s.cooldown_seconds", "999999"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("settings.cooldown_seconds: between 0 and 86400"),
        "{body}"
    );
    let (status, body) = owner_web
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("enabled", "on"),
                ("cap", "dm"),
                ("cap", "storage"),
                ("cap", "notes"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("capability &quot;notes&quot; is beyond what the operator allows"),
        "{body}"
    );
    let (status, _) = owner_web.post(&path, &[("enabled", "on")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let still_off = new_ticket(&h, "Bia").await;
    assert!(!has_poke(&still_off));

    // Accepted: the next ticket has the button, no restart.
    let (status, _) = owner_web
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("enabled", "on"),
                ("cap", "dm"),
                ("cap", "storage"),
                ("s.cooldown_seconds", "30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = new_ticket(&h, "Caio").await;
    assert!(has_poke(&after), "{after}");
    // The ticket opened before gets the button too: its welcome message is refreshed.
    let welcome = ticketbot_e2e::id_of(&before);
    ticketbot_e2e::eventually("the open ticket's buttons refreshed", || {
        h.emu
            .messages_in(open_channel)
            .into_iter()
            .find(|m| ticketbot_e2e::id_of(m) == welcome && has_poke(m))
    })
    .await;

    // The choice is the guild's, kept across a restart.
    h.restart().await;
    let mut owner_web = WebUser::sign_in(&h, owner).await;
    let restarted = new_ticket(&h, "Duda").await;
    assert!(has_poke(&restarted), "{restarted}");

    // The history shows who changed what; rolling back turns it off again, live.
    let (status, _, history) = owner_web
        .get(&format!("/dashboard/g/{guild}/history"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains(&owner.to_string()), "{history}");
    assert!(history.contains("the config file's default"), "{history}");
    assert!(history.contains("cooldown_seconds = 30"), "{history}");
    let at = history.find("/rollback\"").expect("a rollback form");
    let start = history[..at].rfind("/history/").unwrap() + "/history/".len();
    let change = &history[start..at];
    let csrf = csrf_of(&mut owner_web).await;
    let (status, _) = owner_web
        .post(
            &format!("/dashboard/g/{guild}/history/{change}/rollback"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let rolled_back = new_ticket(&h, "Edu").await;
    assert!(!has_poke(&rolled_back));

    // The same from Discord: /plugins, answered privately, for managers only.
    assert_eq!(
        plugins(
            &h,
            h.world.staff,
            "enable",
            json!([{"name": "plugin", "type": 3, "value": "poke"}])
        )
        .await,
        "Only members who can manage the server can change its plugins."
    );
    let listed = plugins(&h, owner, "list", json!([])).await;
    assert!(listed.contains("Poke (`poke`): off"), "{listed}");
    let enabled = plugins(
        &h,
        owner,
        "enable",
        json!([{"name": "plugin", "type": 3, "value": "poke"}]),
    )
    .await;
    assert!(enabled.starts_with("Poke is now on."), "{enabled}");
    let listed = plugins(&h, owner, "list", json!([])).await;
    assert!(
        listed.contains("Poke (`poke`): on — dm, storage"),
        "{listed}"
    );
    assert!(has_poke(&new_ticket(&h, "Fabi").await));
    let history = h.bot().store().choice_history(guild, 1).await.unwrap();
    assert_eq!(history[0].actor, owner);
    assert!(history[0].after.enabled);
    h.finish().await;
}

/// `user` runs `/plugins <sub>`; the private answer's text.
async fn plugins(h: &Harness, user: u64, sub: &str, options: serde_json::Value) -> String {
    ticketbot_e2e::slash_answer(h, user, "plugins", sub, options).await
}

/// The CSRF token of the signed-in session, from the sign-out form.
async fn csrf_of(user: &mut WebUser) -> String {
    let (_, _, page) = user.get("/dashboard").await;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..at + 64].to_owned()
}

/// A multipart form with a CSRF token and a file, as a browser sends it.
fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "ticketbot-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"component\"; filename=\"plugin.wasm\"\r\nContent-Type: application/wasm\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(h: &Harness, user: &WebUser, file: &[u8], csrf: &str) -> (StatusCode, String) {
    let (content_type, body) = multipart(csrf, file);
    let response = user
        .http
        .post(format!(
            "{}/dashboard/g/{}/plugins/upload",
            h.web_base(),
            h.world.guild
        ))
        .header(reqwest::header::COOKIE, user.cookie_header())
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// A guild uploads its own plugin: checked before it runs (size, component), kept, off until
/// turned on, then contained like a built-in when it misbehaves, and still there after a
/// restart; staff without Manage Server cannot upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_uploads_its_own_plugin_which_runs_contained() {
    let mut h = Harness::start_with_dashboard("en", |w| {
        w.plugins.push(
            "[guild.uploads]\nmax_kib = 1024\nmax_plugins = 2\ncapabilities = [\"dm\", \"storage\"]\n"
                .into(),
        );
    })
    .await;
    let guild = h.world.guild;
    let owner = h.emu.world(|w| w.guilds[&guild].owner_id);
    let faulty = std::fs::read(ticketbot_test_guests::path("faulty")).unwrap();

    let mut staff = WebUser::sign_in(&h, h.world.staff).await;
    let csrf = csrf_of(&mut staff).await;
    let (status, _) = upload(&h, &staff, &faulty, &csrf).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "staff without Manage Server");

    let mut owner_web = WebUser::sign_in(&h, owner).await;
    let csrf = csrf_of(&mut owner_web).await;
    let (_, _, list) = owner_web
        .get(&format!("/dashboard/g/{guild}/plugins"))
        .await;
    assert!(list.contains("id=\"upload\""), "{list}");
    let (status, body) = upload(&h, &owner_web, b"not a component", &csrf).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("not a valid WebAssembly component"), "{body}");
    let (status, body) = upload(&h, &owner_web, &vec![0u8; 1100 * 1024], &csrf).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("this guild may upload at most 1024 KiB"),
        "{body}"
    );
    let (status, _) = upload(&h, &owner_web, &faulty, "forged").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = upload(&h, &owner_web, &faulty, &csrf).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, list) = owner_web
        .get(&format!("/dashboard/g/{guild}/plugins"))
        .await;
    assert!(
        list.contains("(faulty)") && list.contains("uploaded"),
        "{list}"
    );
    let has_faulty = |welcome: &serde_json::Value| {
        custom_ids(welcome)
            .concat()
            .iter()
            .any(|id| id.starts_with("pl:faulty:"))
    };
    assert!(
        !has_faulty(&new_ticket(&h, "Gui").await),
        "off until turned on"
    );
    // Turned on with what the upload ceiling allows of what it asks for.
    let (status, body) = owner_web
        .post(
            &format!("/dashboard/g/{guild}/plugins/faulty"),
            &[
                ("csrf", &csrf),
                ("enabled", "on"),
                ("cap", "dm"),
                ("cap", "read-members"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("capability &quot;read-members&quot; is beyond"),
        "{body}"
    );
    let (status, _) = owner_web
        .post(
            &format!("/dashboard/g/{guild}/plugins/faulty"),
            &[("csrf", &csrf), ("enabled", "on"), ("cap", "dm")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let player = h.emu.create_user("Hana");
    h.emu.add_member(guild, player, &[]);
    let (_, welcome) = h.open_ticket(player, "support").await;
    assert!(has_faulty(&welcome));
    // Contained like a built-in: a panic ends that click only.
    let press = |button: &str| {
        let id = custom_ids(&welcome)
            .concat()
            .into_iter()
            .find(|id| id.starts_with("pl:faulty:") && id.ends_with(&format!(":b:{button}")))
            .unwrap();
        h.emu
            .user(player)
            .click(ticketbot_e2e::id_of(&welcome), &id)
            .unwrap()
    };
    let answer = press("panic").response(WAIT).await.unwrap();
    assert_eq!(
        answer["data"]["content"],
        "The Faulty action failed. The staff were told; please try again later."
    );
    let answer = press("ok").response(WAIT).await.unwrap();
    assert_eq!(answer["data"]["content"], "still serving");

    // Kept, and still on, after a restart.
    h.restart().await;
    assert!(has_faulty(&new_ticket(&h, "Iris").await));
    h.finish().await;
}
