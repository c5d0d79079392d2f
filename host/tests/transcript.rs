//! The transcript renderer against fixtures: every render feature of the issue on Discord API
//! messages, and a corpus of hostile names, fields, files and links that must stay inert.

use std::path::Path;

use ticketbot::locale::{texts_for, Locale};
use ticketbot::transcript::model::Names;

fn fixture(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn render(messages: &str, context: &str) -> String {
    let names = Names::from_json(&fixture(context));
    let texts = texts_for(Locale::En, &Default::default());
    ticketbot::transcript::render_offline(&fixture(messages), &names, "Ticket #7", &texts, "en")
        .unwrap()
}

#[test]
fn every_feature_renders() {
    let page = render("messages.json", "context.json");
    let expect =
        |fragment: &str| assert!(page.contains(fragment), "missing {fragment:?} in\n{page}");
    // Markdown, inline.
    expect("<strong>bold</strong>");
    expect("<em>italic</em>");
    expect("<u>under</u>");
    expect("<s>strike</s>");
    expect("<span class=\"spoiler\" tabindex=\"0\">secret</span>");
    expect("<code>inline</code>");
    expect("*literal*");
    expect("<a href=\"https://docs.fivem.net/\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">wiki</a>");
    expect("<a href=\"https://example.com/x\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://example.com/x</a>.");
    // Markdown, blocks.
    expect("<h3 class=\"md\">Heading</h3>");
    expect("<blockquote><p>quoted line</p></blockquote>");
    expect("<ul><li><p>item one</p><ul><li><p>nested item</p></li></ul></li></ul>");
    expect("<ol start=\"1\"><li><p>first</p></li></ol>");
    expect("<p class=\"subtext\">subtext here</p>");
    expect("<pre><code data-lang=\"lua\"><span class=\"k\">local</span> cash = <span class=\"n\">500</span> <span class=\"c\">-- note</span></code></pre>");
    expect("<blockquote><p>all of<br>this is quoted</p></blockquote>");
    // Mentions, emoji, time.
    expect("<span class=\"mention\">#regras</span>");
    expect("<span class=\"mention\">@Administração</span>");
    expect("<span class=\"mention\">@Vic</span>");
    expect("<span class=\"mention\">@here</span>");
    expect("<span class=\"emoji\" title=\":pog:\">:pog:</span>");
    expect("<time datetime=\"2025-11-20T10:03:20+00:00\" data-style=\"R\">");
    for style in ["t", "T", "d", "D", "f", "F", "R"] {
        expect(&format!("data-style=\"{style}\""));
    }
    expect("20 November 2025 10:03 UTC");
    expect("Thursday, 20 November 2025 10:03 UTC");
    expect("10:03:20 UTC");
    expect("🚗 <span class=\"emoji\" title=\":dance:\">:dance:</span>");
    // A video (or any file whose bytes were not kept) is a link with its size.
    expect(">dashcam.mp4</a><span class=\"size\"> 3.0 MB</span>");
    // Messages: order, anchors, grouping, replies, edits, reactions, stickers, system.
    let first = page.find("id=\"m1001\"").unwrap();
    let second = page.find("id=\"m1002\"").unwrap();
    let reply = page.find("id=\"m1003\"").unwrap();
    assert!(first < second && second < reply, "sorted by time");
    expect("<article id=\"m1002\" class=\"msg cont\">");
    expect("<a class=\"reply\" href=\"#m1001\">↪ Vic: **bold**");
    expect("(edited)");
    expect("<span class=\"reaction\">👍 3</span>");
    expect("<span class=\"reaction\">:blobwave: 1</span>");
    expect("🏷 Wave");
    expect("<article id=\"m1005\" class=\"msg system\"><span class=\"sys\">→ newcomer joined the server</span>");
    expect("<span class=\"badge\">BOT</span>");
    // Embeds, components, attachments.
    expect("<div class=\"embed e14\">");
    assert!(
        !page.contains(" style=\""),
        "no inline style: the CSP forbids it"
    );
    expect("<div class=\"etitle\">Item return #1</div>");
    expect("• 2x <strong>pistol</strong>");
    expect("<div class=\"field inline\"><div class=\"fname\">Recipient</div><div class=\"fvalue\"><p>4711</p></div></div>");
    expect("<div class=\"efooter\">Los Santos RP</div>");
    expect("<span class=\"button\">Approve</span>");
    expect("<a class=\"button\" href=\"https://docs.fivem.net/\"");
    expect("<span class=\"select\">Choose an action ▾</span>");
    expect(">inventory.png</a><span class=\"size\"> 200.0 KB</span>");
    // The page: search, theme, print, and nothing remote.
    expect("id=\"search\"");
    expect("@media print");
    expect("prefers-color-scheme");
    assert!(!page.contains("src=\""), "no element loads anything");
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn hostile_input_stays_inert() {
    let page = render("hostile.json", "hostile-context.json");
    let lower = page.to_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the page's own script:\n{page}"
    );
    for forbidden in [
        "<img",
        "<svg",
        "<iframe",
        "<marquee",
        "<textarea",
        "</textarea",
        "<b onmouseover",
        "<style>*",
        "javascript:",
        "vbscript:",
        "data:text",
    ] {
        // The text may appear escaped (`&lt;img`), never as markup or as a link.
        let as_markup = lower.contains(forbidden)
            && !forbidden.starts_with("javascript")
            && !forbidden.starts_with("vbscript")
            && !forbidden.starts_with("data:");
        assert!(!as_markup, "{forbidden} as markup in\n{page}");
    }
    // Every link goes to the web or to an anchor on the page.
    for (i, _) in lower.match_indices("href=\"") {
        let target = &lower[i + 6..];
        // `data:,` is the page's own empty icon (it stops a favicon request).
        assert!(
            target.starts_with("https://")
                || target.starts_with("http://")
                || target.starts_with('#')
                || target.starts_with("data:,\""),
            "bad link at {}",
            &page[i..i + 60.min(page.len() - i)]
        );
    }
    // No attribute was broken out of, and the hostile texts are shown as text.
    let body = lower.split("<script>").next().unwrap();
    for tag in body
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap())
    {
        for handler in [
            "onerror",
            "onload",
            "onmouseover",
            "onclick",
            "src=",
            "formaction",
        ] {
            assert!(!tag.contains(handler), "a tag carries {handler}: <{tag}>");
        }
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("@&quot;&gt;&lt;img src=x onerror=alert(14)&gt;"));
    assert!(
        page.contains("[click](javascript:alert(2))"),
        "the bad link stays text"
    );
}

#[test]
fn the_cli_renders_an_exported_channel_and_explains_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let output = dir.path().join("page.html");
    let run = |input: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ticketbot"))
            .args(["transcript", "render", "--input"])
            .arg(input)
            .arg("--output")
            .arg(&output)
            .arg("--context")
            .arg(fixtures.join("context.json"))
            .output()
            .unwrap()
    };
    let done = run(&fixtures.join("messages.json"));
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let page = std::fs::read_to_string(&output).unwrap();
    assert!(page.contains("id=\"m1006\"") && page.contains("@Vic"));

    let object = dir.path().join("object.json");
    std::fs::write(&object, "{\"messages\": []}").unwrap();
    let refused = run(&object);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(
        error.contains("must be a JSON array of Discord message objects: found an object"),
        "{error}"
    );
}

#[test]
fn kept_images_and_videos_show_inline_from_the_server() {
    use chrono::Utc;
    use ticketbot::store::{CapturedMessage, TicketRecord, TicketStatus};
    let raw = serde_json::json!({
        "id": "5", "type": 0, "timestamp": "2026-11-20T10:00:00+00:00", "content": "clips",
        "author": {"id": "100", "username": "vic", "avatar": "abc"},
        "attachments": [
            {"id": "1", "filename": "crash.mp4", "size": 2048, "content_type": "video/mp4", "url": "https://cdn.example/crash.mp4"},
            {"id": "2", "filename": "car.png", "size": 1024, "content_type": "image/png", "url": "https://cdn.example/car.png"},
            {"id": "3", "filename": "log.txt", "size": 10, "content_type": "text/plain", "url": "https://cdn.example/log.txt"}
        ]
    });
    let message = CapturedMessage {
        message_id: 5,
        author_id: 100,
        author_name: "vic".into(),
        author_bot: false,
        content: "clips".into(),
        attachments: raw["attachments"].clone(),
        embeds: serde_json::json!([]),
        sent_at: Utc::now(),
        edited_at: None,
        deleted: false,
        raw: Some(raw),
    };
    let ticket = TicketRecord {
        id: 1,
        guild_id: 1,
        number: 1,
        type_id: "support".into(),
        channel_id: Some(2),
        opener_id: 100,
        status: TicketStatus::Closed,
        claimed_by: None,
        opened_at: Utc::now(),
        closed_at: None,
        closed_by: None,
        close_reason: None,
        close_due_at: None,
        welcome_message_id: None,
        transcript_token: String::new(),
        status_label: None,
        answers: Vec::new(),
    };
    let files = [
        ("https://cdn.example/crash.mp4", "v1"),
        ("https://cdn.example/car.png", "i1"),
        ("https://cdn.example/log.txt", "t1"),
        ("avatar:100:abc", "a1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let texts = texts_for(Locale::En, &Default::default());
    let page = ticketbot::transcript::render(&ticketbot::transcript::TranscriptInput {
        guild_name: "G",
        type_label: "Support",
        ticket: &ticket,
        closed_at: Utc::now(),
        notes: &[],
        messages: &[message],
        texts: &texts,
        lang: "en",
        files: &files,
        token: "tok",
        names: &Names::default(),
    });
    assert!(
        page.contains(
            "<video src=\"/api/ticket/tok/files/v1\" controls preload=\"metadata\"></video>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<img src=\"/api/ticket/tok/files/i1\" alt=\"car.png\" loading=\"lazy\">"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/api/ticket/tok/files/t1\""),
        "other files link the kept copy: {page}"
    );
    assert!(
        page.contains("<img class=\"avatar\" src=\"/api/ticket/tok/files/a1\""),
        "{page}"
    );
}
