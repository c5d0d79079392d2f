//! A guild's own plugin choices applied live (`PluginHost::apply`): a choice refused for the
//! guild's form leaves the plugin as it was, and a choice adopted from another process does not
//! ask for open tickets' buttons to be edited again.

use ticketbot::config::Config;
use ticketbot::plugins::choices::Choice;
use ticketbot::plugins::{ComponentCache, PluginHost};

/// `n` questions for `support` tickets, as the questions plugin's settings.
fn questions(n: usize) -> toml::Table {
    toml::from_str(&questions_text(n)).unwrap()
}

/// [`questions`] as TOML text.
fn questions_text(n: usize) -> String {
    let list: Vec<String> = (0..n)
        .map(|i| {
            format!("{{ type = \"support\", id = \"q{i}\", label = \"Pergunta {i}\", max = 50 }}")
        })
        .collect();
    format!("questions = [{}]", list.join(", "))
}

/// A guild with the questions plugin (4 questions for `support`) and the tour plugin (one
/// question for `support`): the form is full.
fn guild_with_a_full_form(dir: &std::path::Path) -> (Config, PluginHost) {
    let settings = questions_text(4);
    let text = format!(
        "database = {:?}\n\
         [[guild]]\nid = 1\npanel_channel = 2\nlog_channel = 3\nticket_category = 4\nstaff_roles = [5]\n\
         [[guild.ticket_type]]\nid = \"support\"\nlabel = \"Suporte\"\n\
         [[guild.plugin]]\nid = \"questions\"\nbuiltin = \"questions\"\n\
         [guild.plugin.settings]\n{settings}\n\
         [[guild.plugin]]\nid = \"tour\"\npath = {:?}\n",
        dir.join("t.duckdb").display().to_string(),
        ticketbot_test_guests::path("tour").display().to_string(),
    );
    let config = Config::parse(&dir.join("config.toml"), text).unwrap();
    let (host, problems) = PluginHost::load(&config, &ComponentCache::new(None)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    (config, host)
}

fn on(host: &PluginHost) -> Vec<String> {
    host.enabled(1).iter().map(|p| p.id().to_owned()).collect()
}

#[test]
fn a_choice_that_overflows_the_form_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_config, host) = guild_with_a_full_form(dir.path());
    assert_eq!(on(&host), ["questions", "tour"]);
    let five = Choice {
        plugin: "questions".into(),
        enabled: true,
        capabilities: Vec::new(),
        settings: questions(5),
    };
    let refused = host.apply(1, &five).unwrap_err();
    assert!(refused[0].contains("would make more than 5"), "{refused:?}");
    // Still on, with its four questions.
    assert_eq!(on(&host), ["questions", "tour"]);
    let asked: usize = host.enabled(1)[0]
        .questions
        .iter()
        .map(|q| q.questions.len())
        .sum();
    assert_eq!(asked, 4);
    // A choice that fits is applied, in the file's order.
    let three = Choice {
        settings: questions(3),
        ..five
    };
    host.apply(1, &three).unwrap();
    assert_eq!(on(&host), ["questions", "tour"]);
}

#[test]
fn a_choice_adopted_from_another_process_refreshes_nothing_here() {
    let dir = tempfile::tempdir().unwrap();
    let (_config, host) = guild_with_a_full_form(dir.path());
    let mut changes = host.changes();
    let off = Choice {
        plugin: "tour".into(),
        enabled: false,
        capabilities: Vec::new(),
        settings: toml::Table::new(),
    };
    // Another process turned it off and edited the open tickets' buttons itself.
    host.adopt(1, &off).unwrap();
    assert_eq!(on(&host), ["questions"]);
    assert!(changes.try_recv().is_err(), "nothing to refresh here");
    // Turned on again here: this process refreshes them.
    let again = Choice {
        enabled: true,
        ..off
    };
    host.apply(1, &again).unwrap();
    assert_eq!(on(&host), ["questions", "tour"]);
    assert_eq!(changes.try_recv().unwrap(), 1);
}
