//! `ticketbot demo`, the README's main command, walks a whole ticket through the real bot and
//! the emulator and tries a plugin author's component.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_walks_a_whole_ticket_and_tries_an_extra_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let options = ticketbot::demo::DemoOptions {
        locale: "en".into(),
        plugins: vec![ticketbot::plugins::builtin::built_path("example_greeter")],
        plugin_settings: Some("greeting = \"Welcome {opener}!\"".into()),
        stay: false,
    };
    ticketbot::demo::run(dir.path(), &options).await.unwrap();
    // The walk-through left a closed ticket with its transcript in the database.
    let store = ticketbot::store::Store::open(&dir.path().join("ticketbot-demo.duckdb"))
        .await
        .unwrap();
    let ticket = store.ticket(1).await.unwrap().expect("the demo's ticket");
    assert_eq!(ticket.status, ticketbot::store::TicketStatus::Closed);
    assert_eq!(ticket.close_reason.as_deref(), Some("itens devolvidos"));
    let notes: Vec<String> = store
        .notes(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.body)
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(
        notes[0].starts_with("📦 Item return #1 requested for in-game id 4711"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("📦 Item return #1 approved by admin_sofia"),
        "{notes:?}"
    );
    let request = store
        .plugin_get(ticket.guild_id, "item-return", "request:1")
        .await
        .unwrap()
        .unwrap();
    assert!(request.contains("\"approved\":true"), "{request}");
    assert!(store
        .plugin_get(
            ticket.guild_id,
            "example-greeter",
            &format!("greeted:{}", ticket.id)
        )
        .await
        .unwrap()
        .is_some());
    store.close().await;
}
