//! `ticketbot demo`, the README's main command, walks a whole ticket through the real bot and
//! the emulator and tries a plugin author's component.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_walks_a_whole_ticket_and_tries_an_extra_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let options = ticketbot::demo::DemoOptions {
        locale: "en".into(),
        plugins: vec![ticketbot_test_guests::path("example_greeter")],
        plugin_settings: Some("greeting = \"Welcome {opener}!\"".into()),
        actions: Vec::new(),
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
    // The walk shows in the statistics: one support ticket, closed by the officer, who also
    // answered first and claimed it; one item return approved.
    let report = ticketbot::stats::report(&store, ticket.guild_id, None)
        .await
        .unwrap();
    let support = &report.tickets.types[0];
    assert_eq!(
        (
            support.type_id.as_str(),
            support.opened,
            support.closed,
            support.open
        ),
        ("support", 1, 1, 0)
    );
    assert!(support.median_first_response_min.is_some() && support.median_resolution_min.is_some());
    let officer = report
        .tickets
        .staff
        .iter()
        .find(|s| s.name.as_deref() == Some("officer_rodrigues"))
        .unwrap();
    assert_eq!(
        (officer.closed, officer.claimed, officer.first_responses),
        (1, 1, 1)
    );
    assert_eq!(
        report.item_returns,
        ticketbot::stats::ItemReturns {
            approved: 1,
            denied: 0,
            pending: 0
        }
    );
    let mut csv = Vec::new();
    ticketbot::stats::write_csv(std::slice::from_ref(&report), &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with(
            "guild,kind,key,name,opened,closed,cancelled,open,claimed,first_responses,"
        ),
        "{csv}"
    );
    assert!(csv.contains(",type,support,,1,1,0,0,"), "{csv}");
    assert!(csv.contains(",item-returns,,,,,,,,,,,1,0,0"), "{csv}");
    store.close().await;
}

/// The demo with every optional action: its walk answers the opening questions and rates the
/// ticket after the close, and presses the other actions' buttons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_the_optional_actions() {
    let dir = tempfile::tempdir().unwrap();
    let options = ticketbot::demo::DemoOptions {
        locale: "pt-BR".into(),
        plugins: Vec::new(),
        plugin_settings: None,
        actions: ticketbot::demo::DEMO_ACTIONS
            .iter()
            .map(|a| (*a).to_owned())
            .collect(),
        stay: false,
    };
    ticketbot::demo::run(dir.path(), &options).await.unwrap();
    let store = ticketbot::store::Store::open(&dir.path().join("ticketbot-demo.duckdb"))
        .await
        .unwrap();
    let ticket = store.ticket(1).await.unwrap().expect("the demo's ticket");
    assert_eq!(ticket.status, ticketbot::store::TicketStatus::Closed);
    let answers: Vec<(&str, &str)> = ticket
        .answers
        .iter()
        .map(|a| (a.label.as_str(), a.value.as_str()))
        .collect();
    assert_eq!(
        answers,
        [
            ("Seu ID no jogo", "4711"),
            ("O que aconteceu?", "Perdi meu carro depois de um crash.")
        ]
    );
    let feedback = store.feedback(ticket.id).await.unwrap().expect("a rating");
    assert_eq!(feedback.stars, 4);
    store.close().await;
    // An unknown action is refused before anything starts.
    let wrong = ticketbot::demo::DemoOptions {
        actions: vec!["teleport".into()],
        ..options
    };
    let error = ticketbot::demo::run(dir.path(), &wrong).await.unwrap_err();
    assert!(
        error.to_string().contains("no action \"teleport\""),
        "{error}"
    );
}
