//! `ticketbot plugins`: every plugin described from its manifest alone, in the language asked,
//! the built-ins and a component given by path.

use std::process::Command;

#[test]
fn plugins_are_described_from_their_manifests() {
    let tour = ticketbot_test_guests::path("tour");
    let out = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .args(["plugins", "--locale", "pt-BR"])
        .arg(&tour)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "## Cutucar (`poke` 0.1.0, contract 0.2.0)",
        "| `channel` | channel id | required | Onde os pedidos são postados para os aprovadores. |",
        "| `empty_after` | duration 3-86400 s",
        "## Ações Ticket (`ticket-actions`",
        "## Passeio (`tour` 0.1.0, contract 0.2.0)",
        "Asks when a ticket opens (support): \"Seu ID no jogo\"",
        "Events: ticket opened, messages in tickets, claims, members leaving, ticket closed",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    // A file that is no plugin is an error, not a description.
    let out = Command::new(env!("CARGO_BIN_EXE_ticketbot"))
        .arg("plugins")
        .arg(ticketbot_test_guests::path("other_contract"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ticketbot:plugin@9.0.0"));
}
