//! The dashboard over HTTP: signing in through the emulator's OAuth2 (authorize page, code,
//! token, the user's guilds), and who sees what, every route tried as the wrong person
//! (signed out, a player, another guild's staff, someone the guild does not have), each
//! refused with nothing of the guild's tickets in the answer.

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use ticketbot_e2e::web::WebUser;
use ticketbot_e2e::{Harness, WAIT};

/// A ticket by `user` with `text` said in it; its channel and welcome message.
async fn ticket_saying(h: &Harness, user: u64, text: &str) -> (u64, serde_json::Value) {
    let (channel, welcome) = h.open_ticket(user, "support").await;
    let message = h.emu.user(user).say(channel, text).unwrap();
    let ticket = h.ticket_in(channel).await.unwrap();
    h.message_handled(ticket.id, message).await;
    (channel, welcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_everything_of_their_guild_players_their_own_and_others_nothing() {
    let h = Harness::start_with_dashboard("pt-BR", |w| w.close_delay_seconds = 0).await;
    let guild = h.world.guild;
    // Two tickets: the player's (closed, with its transcript) and another player's (open).
    let (channel, welcome) = ticket_saying(&h, h.world.player, "perdi minha espada dourada").await;
    let closed = h.close_by_staff(channel, &welcome, "devolvida").await;
    let other_player = h.emu.create_user("Bruna");
    h.emu.add_member(guild, other_player, &[]);
    ticket_saying(&h, other_player, "meu cavalo sumiu").await;

    // Staff: the guild, both tickets, search, filters, the transcript, statistics, CSV, charts.
    let mut staff = WebUser::sign_in(&h, h.world.staff).await;
    let session_cookie = staff
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tb_session="))
        .unwrap()
        .clone();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/dashboard", "Max-Age="] {
        assert!(session_cookie.contains(flag), "{session_cookie}");
    }
    assert!(
        !session_cookie.contains("Secure"),
        "http here: {session_cookie}"
    );
    let (status, _, home) = staff.get("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(&format!("/dashboard/g/{guild}")), "{home}");
    let (status, _, list) = staff.get(&format!("/dashboard/g/{guild}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains("2 ticket(s)"), "{list}");
    let (_, _, found) = staff.get(&format!("/dashboard/g/{guild}?q=ESPADA")).await;
    assert!(found.contains("1 ticket(s)"), "{found}");
    let token = h.token(&closed);
    assert!(found.contains(&format!("/api/ticket/{token}")), "{found}");
    let (_, _, open_only) = staff.get(&format!("/dashboard/g/{guild}?state=open")).await;
    assert!(
        open_only.contains("1 ticket(s)") && open_only.contains("Bruna"),
        "{open_only}"
    );
    let (_, _, by_opener) = staff
        .get(&format!("/dashboard/g/{guild}?opener=bruna"))
        .await;
    assert!(by_opener.contains("1 ticket(s)"), "{by_opener}");
    let (status, _, transcript) = staff.get(&format!("/api/ticket/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(transcript.contains("espada dourada"));
    let (status, _, stats) = staff.get(&format!("/dashboard/g/{guild}/stats")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert!(stats.contains("charts/daily.svg") && stats.contains("Download CSV"));
    let response = staff
        .http
        .get(format!(
            "{}/dashboard/g/{guild}/charts/daily.svg",
            h.web_base()
        ))
        .header(COOKIE, staff.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(response.text().await.unwrap().starts_with("<svg"));
    let (status, _, csv) = staff.get(&format!("/dashboard/g/{guild}/stats.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("guild,kind,key"), "{csv}");

    // The player: only their own ticket, whatever the query asks; no statistics.
    let mut player = WebUser::sign_in(&h, h.world.player).await;
    let (_, _, home) = player.get("/dashboard").await;
    assert!(home.contains(&format!("/dashboard/g/{guild}")) && home.contains("your tickets"));
    let (status, _, mine) = player
        .get(&format!("/dashboard/g/{guild}?opener={other_player}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(mine.contains("1 ticket(s)"), "{mine}");
    assert!(
        !mine.contains("Bruna"),
        "another player's ticket leaked: {mine}"
    );
    let (_, _, search) = player.get(&format!("/dashboard/g/{guild}?q=cavalo")).await;
    assert!(search.contains("0 ticket(s)"), "{search}");

    // Another guild's staff, who is not in this guild; and a member of nothing.
    let elsewhere = h.emu.create_guild("Outro Servidor", h.world.staff);
    let outsider = h.emu.create_user("Forasteiro");
    let role = h.emu.create_role(elsewhere, "Staff", 0);
    h.emu.add_member(elsewhere, outsider, &[role]);
    let mut stranger = WebUser::sign_in(&h, outsider).await;
    let (_, _, home) = stranger.get("/dashboard").await;
    assert!(!home.contains(&format!("/dashboard/g/{guild}")), "{home}");

    let routes = [
        format!("/dashboard/g/{guild}"),
        format!("/dashboard/g/{guild}?q=espada"),
        format!("/dashboard/g/{guild}/stats"),
        format!("/dashboard/g/{guild}/stats.csv"),
        format!("/dashboard/g/{guild}/charts/daily.svg"),
        format!("/dashboard/g/{guild}/charts/first-response-staff.svg"),
    ];
    let mut signed_out = WebUser::new(&h.web_base());
    for route in &routes {
        let (status, _, body) = signed_out.get(route).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "signed out, {route}");
        let (status, _, stranger_body) = stranger.get(route).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "another guild's staff, {route}"
        );
        for text in [&body, &stranger_body] {
            assert!(
                !text.contains("espada") && !text.contains("Bruna") && !text.contains("ticket(s)"),
                "{route} leaked: {text}"
            );
        }
        if route.contains("stats") || route.contains("charts") {
            let (status, _, body) = player.get(route).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "a player, {route}");
            assert!(!body.contains("espada"));
        }
    }
    // A guild the bot does not serve is the same 404, even for staff.
    let (status, _, _) = staff.get(&format!("/dashboard/g/{elsewhere}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A callback whose state is not the one this browser was given signs nobody in.
    let mut forged = WebUser::new(&h.web_base());
    forged.get("/dashboard/login").await;
    let (status, _, _) = forged
        .get("/dashboard/callback?code=whatever&state=not-the-one")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!forged.cookies.contains_key("tb_session"));

    // Signing out needs the session's CSRF token; then the session is gone.
    let (status, _) = staff.post("/dashboard/logout", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, still) = staff.get(&format!("/dashboard/g/{guild}")).await;
    assert!(still.contains("2 ticket(s)"));
    let csrf = {
        let (_, _, page) = staff.get("/dashboard").await;
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        page[at..at + 64].to_owned()
    };
    let old_cookie = staff.cookie_header();
    let (status, _) = staff.post("/dashboard/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let replay = staff
        .http
        .get(format!("{}/dashboard/g/{guild}", h.web_base()))
        .header(COOKIE, old_cookie)
        .timeout(WAIT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::FORBIDDEN,
        "the old session is gone"
    );
    h.finish().await;
}
