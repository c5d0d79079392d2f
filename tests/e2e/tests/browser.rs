//! A real browser (headless Chromium, driven over the DevTools protocol) opens a stored
//! transcript from the running server: no console error, no request to anywhere but the
//! server, the page's script runs under its CSP, and in-page search finds a message.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it); `CHROMIUM` may name another binary.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use ticketbot_e2e::Harness;

/// The longest a page event is waited for: a browser on a loaded 2-core machine (debug
/// server, charts drawn on request) can take several seconds to go idle. Only a failure waits
/// this long.
const WAIT: std::time::Duration = std::time::Duration::from_secs(60);
use tokio_tungstenite::tungstenite::Message as Ws;

/// Headless Chromium, killed on drop.
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    endpoint: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch() -> Browser {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(&binary)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync", "--metrics-recording-only"])
        .arg("--remote-debugging-port=0")
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary} ({e}): install Debian's chromium (see .ci/run) or set CHROMIUM"));
    let stderr = child.stderr.take().unwrap();
    let mut endpoint = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("ws://") {
            endpoint = Some(line[at..].trim().to_owned());
            break;
        }
    }
    Browser {
        child,
        _profile: profile,
        endpoint: endpoint.expect("Chromium printed its DevTools endpoint"),
    }
}

/// A DevTools session on one page, recording its events.
struct Page {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    session: String,
    next_id: u64,
    events: Vec<Value>,
}

impl Page {
    async fn open(browser: &Browser) -> Page {
        let (socket, _) = tokio_tungstenite::connect_async(&browser.endpoint)
            .await
            .unwrap();
        let mut page = Page {
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = page
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = page
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        page.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            let session = page.session.clone();
            page.call(Some(&session), domain, json!({})).await;
        }
        // Lifecycle events include "networkIdle": no request in flight for 500 ms.
        let session = page.session.clone();
        page.call(
            Some(&session),
            "Page.setLifecycleEventsEnabled",
            json!({"enabled": true}),
        )
        .await;
        page
    }

    /// Sends a command and waits for its answer, keeping the events that arrive meanwhile.
    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Ws::Text(message.to_string()))
            .await
            .unwrap();
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("DevTools answers")
                .unwrap()
                .unwrap();
            let Ws::Text(text) = frame else { continue };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value["error"].is_null(), "{method} failed: {value}");
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// Collects events until `done` matches one, or the timeout.
    async fn until(&mut self, done: impl Fn(&Value) -> bool) {
        if self.events.iter().any(&done) {
            return;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = tokio::time::timeout(left, self.socket.next())
                .await
                .expect("the awaited event")
                .unwrap()
                .unwrap();
            let Ws::Text(text) = frame else { continue };
            let value: Value = serde_json::from_str(&text).unwrap();
            let found = done(&value);
            self.events.push(value);
            if found {
                return;
            }
        }
    }

    async fn eval(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let result = self
            .call(
                Some(&session),
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_opens_a_transcript_without_errors_or_outside_requests_and_search_works() {
    let h = Harness::start_with("en", |w| w.close_delay_seconds = 0).await;
    // A real 1x1 PNG as the player's avatar: kept with the transcript, shown from the server.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    h.emu.set_avatar(h.world.player, PNG);
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let player = h.emu.user(h.world.player);
    let first = player
        .say(
            channel,
            "My **blue Sultan** vanished at <t:1763633000:f> ||after the crash||",
        )
        .unwrap();
    player
        .reply(
            channel,
            first,
            "plate `44XYZ`, see https://example.com/report",
        )
        .unwrap();
    let staff = h.emu.user(h.world.staff);
    staff
        .say(
            channel,
            "```lua\nlocal car = 'sultan' -- found\n```\n> checking the garage logs",
        )
        .unwrap();
    let ticket_id = h.ticket_in(channel).await.unwrap().id;
    ticketbot_e2e::eventually("the avatar kept", || {
        let files = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(h.bot().store().ticket_files(ticket_id))
        })
        .unwrap();
        files
            .iter()
            .any(|(key, _)| key.starts_with("avatar:"))
            .then_some(())
    })
    .await;
    let ticket = h.close_by_staff(channel, &welcome, "car returned").await;
    let base = format!("http://{}", h.bot().web_addr());
    let url = format!("{base}/api/ticket/{}", h.token(&ticket));

    let browser = tokio::task::spawn_blocking(launch).await.unwrap();
    let mut page = Page::open(&browser).await;
    let session = page.session.clone();
    page.call(Some(&session), "Page.navigate", json!({"url": url}))
        .await;
    page.until(|e| e["method"] == "Page.loadEventFired").await;
    // Every request the page makes has been made and answered once the network is idle; a
    // script round trip after it brings any console message logged before it.
    page.until(|e| e["method"] == "Page.lifecycleEvent" && e["params"]["name"] == "networkIdle")
        .await;
    page.eval("1").await;

    let mut requests = HashMap::new();
    let mut problems = Vec::new();
    for event in &page.events {
        match event["method"].as_str() {
            Some("Network.requestWillBeSent") => {
                let target = event["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                requests.insert(target, ());
            }
            Some("Runtime.exceptionThrown") => problems.push(event["params"].to_string()),
            Some("Runtime.consoleAPICalled") if event["params"]["type"] == "error" => {
                problems.push(event["params"].to_string())
            }
            Some("Log.entryAdded") if event["params"]["entry"]["level"] == "error" => {
                problems.push(event["params"].to_string())
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "console errors: {problems:#?}");
    assert!(!requests.is_empty(), "the navigation itself is a request");
    for target in requests.keys() {
        assert!(
            target.starts_with(&base) || target.starts_with("data:"),
            "a request outside the server: {target}"
        );
    }

    // The avatar came from the server's own copy and rendered.
    let avatar = page
        .eval("(() => { const i = document.querySelector('img.avatar'); return i ? [i.complete, i.naturalWidth, i.getAttribute('src')] : null; })()")
        .await;
    assert_eq!(avatar[0], true, "{avatar}");
    assert_eq!(avatar[1], 1, "the image decoded: {avatar}");
    assert!(avatar[2].as_str().unwrap().contains("/files/"), "{avatar}");
    // The page's script ran under the CSP: times are shown in the reader's zone.
    let shown = page
        .eval("document.querySelector('article time').textContent")
        .await;
    assert!(
        !shown.as_str().unwrap().ends_with("UTC"),
        "the local-time script ran: {shown}"
    );
    // In-page search.
    let found = page
        .eval(
            "(() => { const i = document.getElementById('search'); i.value = 'sultan'; \
             i.dispatchEvent(new Event('input')); \
             return [document.getElementById('hits').textContent, \
                     Array.from(document.querySelectorAll('article.hit')).map(a => a.id), \
                     document.querySelectorAll('article.hidden').length > 0]; })()",
        )
        .await;
    // The message, the reply quoting it, and the staff's code block that names the car.
    assert_eq!(found[0], "3", "{found}");
    assert_eq!(found[1][0], format!("m{first}"));
    assert_eq!(found[2], true, "other messages are hidden while searching");
    h.finish().await;
}

impl Page {
    /// Runs `action` (a script that navigates) and waits for the next page to load.
    async fn navigating(&mut self, action: &str) {
        self.events.clear();
        self.eval(action).await;
        self.until(|e| e["method"] == "Page.loadEventFired").await;
    }

    /// Opens `url` and waits for it to load and go quiet.
    async fn visit(&mut self, url: &str) {
        self.events.clear();
        let session = self.session.clone();
        self.call(Some(&session), "Page.navigate", json!({"url": url}))
            .await;
        self.until(|e| e["method"] == "Page.loadEventFired").await;
    }

    /// Console errors, failed scripts and requests outside `base` seen since the last clear.
    fn problems(&self, base: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for event in &self.events {
            match event["method"].as_str() {
                Some("Network.requestWillBeSent") => {
                    let target = event["params"]["request"]["url"]
                        .as_str()
                        .unwrap_or_default();
                    if !target.starts_with(base) && !target.starts_with("data:") {
                        problems.push(format!("a request outside the server: {target}"));
                    }
                }
                Some("Runtime.exceptionThrown") => problems.push(event["params"].to_string()),
                Some("Runtime.consoleAPICalled") if event["params"]["type"] == "error" => {
                    problems.push(event["params"].to_string())
                }
                Some("Log.entryAdded") if event["params"]["entry"]["level"] == "error" => {
                    problems.push(event["params"].to_string())
                }
                _ => {}
            }
        }
        problems
    }

    /// Asserts that the page says a form was saved (else shows what it says).
    async fn assert_saved(&mut self) {
        let saved = self.eval("document.getElementById('saved') !== null").await;
        assert_eq!(
            saved,
            true,
            "{}",
            self.eval("document.body.innerText").await
        );
    }

    /// Saves a PNG of the page when `TICKETBOT_SCREENSHOTS` names a folder (for the README).
    async fn screenshot(&mut self, name: &str) {
        let Some(dir) = std::env::var_os("TICKETBOT_SCREENSHOTS") else {
            return;
        };
        use base64::Engine;
        let session = self.session.clone();
        let shot = self
            .call(
                Some(&session),
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

/// The dashboard in a real browser: signing in on the emulator's consent page, the ticket
/// list and a search, a transcript from the list, the statistics with their charts, and the
/// list at phone width; no console error and no request outside the server on any page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_signs_in_to_the_dashboard_and_reads_tickets_transcripts_and_charts() {
    let h = Harness::start_with_dashboard("en", |w| w.close_delay_seconds = 0).await;
    let guild = h.world.guild;
    let (channel, welcome) = h.open_ticket(h.world.player, "support").await;
    let said = h
        .emu
        .user(h.world.player)
        .say(channel, "My blue Sultan vanished near the pier")
        .unwrap();
    let ticket = h.ticket_in(channel).await.unwrap();
    h.message_handled(ticket.id, said).await;
    let answer = h
        .emu
        .user(h.world.staff)
        .say(channel, "Found it in the impound lot")
        .unwrap();
    h.message_handled(ticket.id, answer).await;
    h.close_by_staff(channel, &welcome, "car returned").await;
    let (second, _) = h.open_ticket(h.world.player, "support").await;
    let asked = h
        .emu
        .user(h.world.player)
        .say(second, "Lost my phone")
        .unwrap();
    h.message_handled(h.ticket_in(second).await.unwrap().id, asked)
        .await;
    let base = h.web_base();

    let browser = tokio::task::spawn_blocking(launch).await.unwrap();
    let mut page = Page::open(&browser).await;
    page.visit(&format!("{base}/dashboard")).await;
    page.screenshot("dashboard-sign-in").await;
    assert!(
        page.problems(&base).is_empty(),
        "{:#?}",
        page.problems(&base)
    );
    // To the emulator's consent page (another origin, as Discord is), and back signed in.
    page.navigating("document.getElementById('sign-in').click()")
        .await;
    let at = page.eval("location.href").await;
    assert!(
        at.as_str().unwrap().starts_with(&h.emu.authorize_url()),
        "{at}"
    );
    page.navigating(&format!(
        "document.querySelector('button[data-user=\"{}\"]').click()",
        h.world.staff
    ))
    .await;
    let at = page.eval("location.pathname").await;
    assert_eq!(at, "/dashboard");
    let link = page
        .eval(&format!(
            "document.querySelector('a[href=\"/dashboard/g/{guild}\"]') !== null"
        ))
        .await;
    assert_eq!(link, true);

    // The list, then a search through the form.
    page.navigating(&format!(
        "document.querySelector('a[href=\"/dashboard/g/{guild}\"]').click()"
    ))
    .await;
    let count = page
        .eval("document.getElementById('count').textContent")
        .await;
    assert_eq!(count, "2 ticket(s)");
    page.screenshot("dashboard-tickets").await;
    assert!(
        page.problems(&base).is_empty(),
        "{:#?}",
        page.problems(&base)
    );
    page.navigating(
        "(() => { document.getElementById('search').value = 'sultan'; \
         document.getElementById('filter').click(); })()",
    )
    .await;
    let count = page
        .eval("document.getElementById('count').textContent")
        .await;
    assert_eq!(count, "1 ticket(s)");
    // Its transcript, from the row's link.
    page.navigating("document.querySelector('a.transcript').click()")
        .await;
    let text = page.eval("document.body.innerText").await;
    assert!(text.as_str().unwrap().contains("impound lot"), "{text}");

    // Statistics: every chart is an image from the server that decoded.
    page.visit(&format!("{base}/dashboard/g/{guild}/stats"))
        .await;
    page.until(|e| e["method"] == "Page.lifecycleEvent" && e["params"]["name"] == "networkIdle")
        .await;
    let charts = page
        .eval("Array.from(document.querySelectorAll('figure img')).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])")
        .await;
    let charts = charts.as_array().unwrap();
    assert_eq!(charts.len(), 4, "{charts:?}");
    for chart in charts {
        assert_eq!(chart[1], true, "a chart did not render: {chart}");
    }
    let rows = page
        .eval("document.querySelectorAll('#types tbody tr').length")
        .await;
    assert_eq!(rows, 1);
    page.screenshot("dashboard-statistics").await;
    assert!(
        page.problems(&base).is_empty(),
        "{:#?}",
        page.problems(&base)
    );

    // At phone width the list fits the screen (rows become cards).
    let session = page.session.clone();
    page.call(
        Some(&session),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    )
    .await;
    page.visit(&format!("{base}/dashboard/g/{guild}")).await;
    let width = page.eval("document.documentElement.scrollWidth").await;
    assert!(
        width.as_u64().unwrap() <= 390,
        "wider than the phone: {width}"
    );
    page.screenshot("dashboard-phone").await;
    h.finish().await;
}

/// The self-service forms in a real browser: the guild's owner turns on a plugin the operator
/// made available, ticks its capabilities, sets a setting and saves; the preview shows its
/// button and the next ticket has it. Then, in the server's settings, adds a ticket type and a
/// panel title; the preview and the panel's menu show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_turns_a_plugin_on_from_the_settings_form() {
    let h = Harness::start_with_dashboard("en", ticketbot_e2e::with_poke_available_off).await;
    let guild = h.world.guild;
    let owner = h.emu.world(|w| w.guilds[&guild].owner_id);
    let base = h.web_base();
    let browser = tokio::task::spawn_blocking(launch).await.unwrap();
    let mut page = Page::open(&browser).await;
    page.visit(&format!("{base}/dashboard")).await;
    page.navigating("document.getElementById('sign-in').click()")
        .await;
    page.navigating(&format!(
        "document.querySelector('button[data-user=\"{owner}\"]').click()"
    ))
    .await;
    page.navigating(&format!(
        "document.querySelector('a[href=\"/dashboard/g/{guild}/plugins\"]').click()"
    ))
    .await;
    let preview = page
        .eval("document.getElementById('preview').textContent")
        .await;
    assert!(!preview.as_str().unwrap().contains("Poke"), "{preview}");
    page.navigating(&format!(
        "document.querySelector('a[href=\"/dashboard/g/{guild}/plugins/poke\"]').click()"
    ))
    .await;
    page.navigating(
        "(() => { document.querySelector('input[name=enabled]').checked = true; \
         for (const c of document.querySelectorAll('input[name=cap]')) c.checked = true; \
         document.querySelector('input[name=\"s.cooldown_seconds\"]').value = '30'; \
         document.getElementById('save').click(); })()",
    )
    .await;
    page.assert_saved().await;
    page.screenshot("dashboard-plugin-settings").await;
    assert!(
        page.problems(&base).is_empty(),
        "{:#?}",
        page.problems(&base)
    );
    page.visit(&format!("{base}/dashboard/g/{guild}/plugins"))
        .await;
    let preview = page
        .eval("document.getElementById('preview').textContent")
        .await;
    assert!(preview.as_str().unwrap().contains("Poke"), "{preview}");
    let (_, welcome) = h.open_ticket(h.world.player, "support").await;
    assert!(ticketbot_e2e::custom_ids(&welcome)
        .concat()
        .iter()
        .any(|id| id.starts_with("pl:poke:")));

    // The server's own settings: a new ticket type in the blank row and a panel title.
    page.navigating(&format!(
        "document.querySelector('a[href=\"/dashboard/g/{guild}/server\"]').click()"
    ))
    .await;
    page.navigating(
        "(() => { document.querySelector('input[name=\"t.2.id\"]').value = 'ban'; \
         document.querySelector('input[name=\"t.2.label\"]').value = 'Ban appeal'; \
         document.querySelector('textarea[name=\"text.panel-title\"]').value = 'Help desk'; \
         document.getElementById('save').click(); })()",
    )
    .await;
    page.assert_saved().await;
    let preview = page
        .eval("document.getElementById('panel-preview').textContent")
        .await;
    let preview = preview.as_str().unwrap();
    assert!(
        preview.contains("Help desk") && preview.contains("Ban appeal"),
        "{preview}"
    );
    page.screenshot("dashboard-server-settings").await;
    assert!(
        page.problems(&base).is_empty(),
        "{:#?}",
        page.problems(&base)
    );
    let bia = h.emu.create_user("Bia");
    h.emu.add_member(guild, bia, &[]);
    let menu = h.type_menu(bia).await;
    assert!(menu.to_string().contains("Ban appeal"), "{menu}");
    h.finish().await;
}
